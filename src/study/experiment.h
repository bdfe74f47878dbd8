// Declarative studies: an experiment file (YAML, docs/EXPERIMENTS.md) names
// models, frameworks, devices, precisions, batch sizes and per-framework
// parameter axes; the plan is their cartesian product, minus combinations a
// backend declares unsupported (kept in the plan, marked skipped, with why).
#ifndef DLI_STUDY_EXPERIMENT_H
#define DLI_STUDY_EXPERIMENT_H

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/backend.h"
#include "core/point.h"

namespace dli {

using ParamAxes = std::vector<std::pair<std::string, std::vector<std::string>>>;

// `tune:` (docs/EXPERIMENTS.md): launch-parameter tuning before the study
// (study/tuning.h).
struct TuneSettings {
  double budget_s = 0;                  // per framework, device and precision, all modes together
  std::string metric = "fps";           // "fps" (throughput) or "latency" (lowest median)
  std::vector<std::string> modes;       // modes to tune; empty: the study's
  std::vector<std::string> precisions;  // precisions to tune; empty: the study's
  std::vector<int> batches;             // batch sizes to try; empty: the study's
  std::vector<size_t> requests;         // throughput request counts to try; empty: the study's
  std::vector<std::string> params;      // parameters to tune besides the first thread count
  double min_measure_s = 2;             // the shortest measurement of a configuration
  // "all": every planned point of a tuned mode also with the tuned
  // parameters, and the tuned configuration with and without them; "best":
  // only the latter two.
  std::string points = "all";
};

struct Experiment {
  std::string name;
  std::string file;
  std::vector<std::string> models;
  std::vector<std::string> frameworks;
  std::vector<std::string> devices = {"CPU"};
  std::vector<std::string> precisions = {"FP32"};
  std::vector<int> batches = {1, 2, 4, 8, 16, 32, 64};
  // Measurement modes; request counts apply to throughput points only.
  std::vector<std::string> modes = {kLatencyMode};
  std::vector<size_t> requests = {1};
  std::map<std::string, ParamAxes> params;       // per framework
  std::map<std::string, std::string> params_at;  // framework -> "file:line:col"
  // `shapes:` input name -> full shape (batch first; each point's batch
  // replaces it), for inputs the model file leaves open.
  ShapeList shapes;
  std::string images;  // performance input; "" = synthetic
  size_t max_images = 320;
  // Each performance point runs this many times, each in a fresh process,
  // interleaved across the points (docs/EXPERIMENTS.md).
  size_t repetitions = 1;
  bool accuracy = false;
  std::string dataset, dataset_labels, dataset_classes;
  size_t dataset_limit = 0;
  MeasureOptions measure;
  double timeout_s = 600;
  std::optional<TuneSettings> tune;
  std::string tune_at;  // "file:line:col" of `tune:`
};

// Reads and checks an experiment file. Every error names FILE:LINE:COLUMN.
Experiment LoadExperiment(const std::string& path);

// The cartesian product of parameter axes, first axis slowest; one empty
// set when there are no axes.
std::vector<ParamList> ExpandParams(const ParamAxes& axes);

struct PlannedPoint {
  std::string kind;  // "performance" or "accuracy"
  PointSpec spec;
  std::string skip_reason;  // non-empty: not run, and why
};

// Expands the experiment against the backends' declarations (`backends` by
// name; a framework missing from it is unknown). Accuracy points come first.
std::vector<PlannedPoint> PlanExperiment(const Experiment& e,
                                         const std::map<std::string, BackendInfo>& backends);

}  // namespace dli

#endif  // DLI_STUDY_EXPERIMENT_H
