// Derived views of the performance results for the report (docs/REPORT.md):
// each measurement with its repetitions aggregated, the best point per mode
// against the best default-parameter point, Pareto fronts of latency and
// throughput, FPS normalised by the reference workload, and the pivot tables
// of the published DLI layout. Pure functions over typed results.
#ifndef DLI_REPORT_VIEWS_H
#define DLI_REPORT_VIEWS_H

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/point.h"

namespace dli {

// Frequent precisions first, in the order the paper discusses them (FP32,
// FP16, BF16, INT8, UINT8, then any other).
int PrecisionRank(const std::string& precision);

// The newest measurement of one (target, model, framework, device, precision,
// batch, params, mode), its repetitions aggregated as the figures do
// (AggregatePoint): a re-run of a repetition replaces the earlier one.
struct ViewPoint {
  std::string target, model, framework, device, precision;
  int batch = 0;
  ParamList params;  // empty = the framework's defaults
  bool throughput = false;
  size_t requests = 1;                      // throughput mode: requests in flight
  bool ok = false;                          // at least one repetition succeeded
  double fps = 0;                           // 0 when !ok
  std::optional<double> fps_low, fps_high;  // 95% interval
  // Median latency in ms (per request in throughput mode), the median of the
  // repetition medians.
  double latency_ms = 0;
  size_t repetitions = 0, flagged = 0;  // flagged: repetitions with a flag
  std::vector<std::string> flags;       // their distinct flags, sorted
  // NormalizedFps over the successful repetitions with a drift ratio: the
  // median of each repetition's FPS x its ratio, and of the ratios.
  std::optional<double> normalized_fps, drift_ratio;

  bool DefaultParams() const { return params.empty(); }
  // "latency" or "throughput": the mode without the request count.
  std::string ModeName() const { return throughput ? "throughput" : "latency"; }
};

// The repetitions of one measurement (at least one, the last one's spec
// describes them) as one point. Several repetitions: latency mode takes
// AggregatePoint's FPS and interval; throughput mode the median of the
// repetitions' throughputs and their range.
ViewPoint AggregateViewPoint(const std::vector<PointResult>& repetitions);

// Sorted by target, model, framework, device, precision (FP32 first),
// mode, requests, batch, params.
std::vector<ViewPoint> BuildViewPoints(const std::vector<PointResult>& results);

// The indices of the points no other point beats on both axes, lower latency
// and higher FPS being better (a point equal to another on both axes is on
// the front with it), ordered by latency. Points with a non-positive or
// non-finite coordinate are left out.
std::vector<size_t> ParetoFront(const std::vector<std::pair<double, double>>& latency_fps);

// FPS scaled to the machine's state at the start of the study: fps x ratio,
// where ratio = the reference workload's time around the repetition / its
// study's first reading (MachineRecord::drift_ratio; 1.10 = the machine ran
// 10% slower). nullopt when the ratio is unknown (not positive) or fps is not
// positive.
std::optional<double> NormalizedFps(double fps, double drift_ratio);

// Methodology step 3 from the results alone: per target, model, framework,
// device, precision and mode, the fastest successful point and the fastest
// successful point with the default parameters.
struct ModeBest {
  std::string target, model, framework, device, precision;
  bool throughput = false;
  const ViewPoint* best = nullptr;          // never null
  const ViewPoint* best_default = nullptr;  // null when no default point succeeded

  // best / best_default - 1, when both are known.
  std::optional<double> Gain() const;
  // The two 95% intervals overlap: the gain is within noise.
  bool GainWithinNoise() const;
};
// In the order of `points` (BuildViewPoints' order); pointers into `points`.
std::vector<ModeBest> FindBestPerMode(const std::vector<ViewPoint>& points);
// Whether any point was measured with parameters other than the defaults.
bool AnyNonDefaultParams(const std::vector<ViewPoint>& points);

// A table of the best FPS per cell: rows and columns are keys made of
// several fields (the row fields side by side, the column fields as header
// rows, outermost first).
struct PivotCell {
  const ViewPoint* best = nullptr;  // the fastest successful point of the cell
  bool measured = false;            // some point of the cell exists, failed or not
};
struct PivotTable {
  std::vector<std::string> row_fields;  // e.g. {"framework"}
  std::vector<std::vector<std::string>> rows, columns;
  std::vector<std::vector<PivotCell>> cells;  // [row][column]
};
// The published DLI layout: rows framework, columns precision x {"Latency
// mode", "Throughput mode"} (both modes for every precision measured). A
// model and a target field lead the row when the points hold several.
PivotTable ModesTable(const std::vector<ViewPoint>& points);
// Rows framework x precision x batch, columns target.
PivotTable TargetsTable(const std::vector<ViewPoint>& points);
// Rows model x batch, columns framework x precision.
PivotTable ModelsTable(const std::vector<ViewPoint>& points);

// The distinct targets and models of the points, sorted.
std::vector<std::string> Targets(const std::vector<ViewPoint>& points);
std::vector<std::string> Models(const std::vector<ViewPoint>& points);

}  // namespace dli

#endif  // DLI_REPORT_VIEWS_H
