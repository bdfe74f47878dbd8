// `dli optimize` (methodology steps 4 and 5): which tool makes an FP16,
// INT8 or UINT8 model for each framework, and the verdict on the new model
// from its re-check: the parity check and the accuracy checker on it and on
// the FP32 model of its framework. Paths and their evidence:
// docs/OPTIMIZE.md. Schema of the verdict: dli.optimize/1.
#ifndef DLI_ACCURACY_OPTIMIZATION_H
#define DLI_ACCURACY_OPTIMIZATION_H

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "accuracy/accuracy_report.h"
#include "accuracy/check.h"
#include "accuracy/parity.h"

namespace dli {

struct OptimizationPath {
  const char* framework;
  const char* precision;
  const char* step;  // python/dli_models/steps/<step>.py
  bool calibrated;   // needs the calibration set
};

// The path for `framework` to `precision` (upper case). UsageError naming the
// precisions the framework offers, why it has none, or the frameworks known.
const OptimizationPath& FindOptimizationPath(const std::string& framework,
                                             const std::string& precision);

// Top-1, top-5 of one accuracy point.
struct AccuracySummary {
  std::string precision, format;
  size_t images = 0, top1 = 0, top5 = 0;
  double top1_pct = 0, top5_pct = 0;
};

// Top-1 agreement of the optimised model with the FP32 one, over the images
// both predicted.
struct Agreement {
  size_t images = 0, top1_equal = 0;
  std::vector<std::string> differs;  // file names where the top-1 differs
};
Agreement AgreementOf(const PointResult& optimized, const PointResult& fp32);

// What the step made.
struct OptimizedModel {
  std::string model, framework, precision, step;
  std::string format_id;
  nlohmann::json format;       // its model.json entry
  nlohmann::json calibration;  // the calibration record; null when not calibrated
};

struct OptimizeVerdict {
  OptimizedModel made;
  std::string dataset;  // of the accuracy check
  AccuracySummary fp32, optimized;
  Agreement agreement_with_fp32;
  ParityComparison parity;
  nlohmann::json parity_reference;  // ParityReferenceToJson
  double min_agreement = 0;
  double max_loss = 0;
  double top1_loss = 0;  // FP32 top-1 % minus the optimised model's
  bool flagged = false;  // top1_loss > max_loss
};

// The verdict from the parity check and the accuracy check (FP32 and
// made.precision on made.framework). std::runtime_error when either has no
// completed result for the new model.
OptimizeVerdict JudgeOptimizedModel(OptimizedModel made, const ParityReport& parity,
                                    const AccuracyReport& accuracy, double max_loss);

// The verdict for people: the model, its calibration, the accuracy of both
// precisions, the agreements and the verdict line.
ConsoleReport VerdictConsole(const OptimizeVerdict& verdict);
// The verdict document (schema dli.optimize/1).
nlohmann::json VerdictToJson(const OptimizeVerdict& verdict);

}  // namespace dli

#endif  // DLI_ACCURACY_OPTIMIZATION_H
