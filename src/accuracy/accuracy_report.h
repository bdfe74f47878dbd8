// The accuracy checker (`dli accuracy`, methodology steps 2 and 5): top-1
// and top-5 of a model on a labelled image set, per framework and
// precision, with the same preprocessing for every framework. Schema of its
// document: dli.accuracy/1 (docs/RESULTS.md).
#ifndef DLI_ACCURACY_ACCURACY_REPORT_H
#define DLI_ACCURACY_ACCURACY_REPORT_H

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "accuracy/check.h"
#include "accuracy/dataset.h"
#include "core/host.h"

namespace dli {

struct AccuracyPoint {
  PointResult run;
  TopKScore score;
  int label_offset = 0;  // of this point's model, or the request's
};

struct AccuracyRequest {
  std::string model;  // a model file, a folder with model.json, or a prepared model's name
  std::vector<std::string> precisions;  // upper case
  int batch = 1;
  std::optional<int> label_offset;  // instead of the model's
  std::optional<Preprocessing> preprocessing;  // instead of the model's (--preprocessing)
};

struct AccuracyReport {
  Dataset dataset;
  std::vector<AccuracyPoint> points;     // in framework, then precision order
  std::vector<std::string> class_names;  // the prepared model's labels, or empty

  // True when every point ran.
  bool all_ok() const;
};

// Runs the model on every framework of `backends` at every precision of the
// request and scores it on `dataset`; progress lines go to `log`. A
// framework without a model of a precision is skipped with a line in `log`,
// unless it is the only point asked for (UsageError, as when no point is left).
AccuracyReport RunAccuracyCheck(const AccuracyRequest& request, Dataset dataset,
                                const std::vector<BackendInfo>& backends, const PointRunner& run,
                                std::ostream& log);

// The largest difference in top-1 and top-5 percentage between the points
// that ran; nullopt when none ran.
struct AccuracySpread {
  double top1 = 0, top5 = 0;
};
std::optional<AccuracySpread> LargestDifference(const std::vector<AccuracyPoint>& points);

// One row per point, the largest difference, the sanity-check note for a
// small set, undecodable images, and with `verbose` every image's top-1
// class.
ConsoleReport AccuracyConsole(const AccuracyReport& report, bool verbose);
// The whole document (schema dli.accuracy/1).
nlohmann::json AccuracyDocument(const AccuracyReport& report, const HostInfo& host);

}  // namespace dli

#endif  // DLI_ACCURACY_ACCURACY_REPORT_H
