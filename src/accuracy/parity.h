// The parity check (`dli check`, methodology section 5): the same
// preprocessed photos (or, for a model without an image input, the same
// seeded synthetic inputs) go through every format of a prepared model on
// every framework that runs it, and every output is compared with the
// reference's, the FP32 ONNX model on the first available of onnxruntime,
// openvino and opencv (else of any framework listed for it). Schema of its
// document: dli.parity/1.
#ifndef DLI_ACCURACY_PARITY_H
#define DLI_ACCURACY_PARITY_H

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "accuracy/check.h"
#include "core/host.h"

namespace dli {

struct ParityRule {
  double tolerance = 1e-3;       // max |difference| of FP32 outputs
  double min_agreement = 0.875;  // top-1 agreement needed below FP32
};

// One format on one framework against the reference.
struct ParityComparison {
  PointResult run;
  size_t images = 0;        // images both runs predicted
  size_t top1_agree = 0;    // of those, with the reference's top-1
  double max_abs_diff = 0;  // over every output value; infinite when the sizes differ
  bool pass = false;
  std::string verdict;  // why it did not pass; empty when it did
};

// FP32 passes with the reference's top-1 on every image and outputs within
// rule.tolerance; other precisions with top-1 agreement on at least
// rule.min_agreement of the images. Images are matched by file.
ParityComparison CompareWithReference(PointResult run, const PointResult& reference,
                                      const ParityRule& rule);

struct ParityRequest {
  std::string model;  // the prepared model's name
  std::string images_dir;
  std::vector<std::string> files;       // the photos, in order; empty: synthetic inputs
  size_t synthetic_inputs = 8;          // without files: seeded synthetic inputs compared
  ShapeList shapes;                     // --shape
  std::vector<std::string> precisions;  // upper case; empty: every prepared one
  ParityRule rule;
};

struct ParityReport {
  ParityRequest request;
  std::string reference_framework;  // that ran the reference
  std::string reference_path;       // the reference file, as model.json names it
  std::string reference_format;     // its format id
  PointResult reference;
  std::vector<ParityComparison> results;

  // True when there is a result and every one passed.
  bool passed() const;
};

// Runs the reference on the first of `available` that can, then every
// format of `meta` that a framework of `checked` runs at a precision it
// declares. Progress lines go to `log`. UsageError without an FP32 ONNX
// format or a framework for it; std::runtime_error when the reference run fails.
ParityReport RunParityCheck(const ModelMeta& meta, const ParityRequest& request,
                            const std::vector<BackendInfo>& available,
                            const std::vector<BackendInfo>& checked, const PointRunner& run,
                            std::ostream& log);

// The heading, one row per comparison, and PARITY CHECK FAILED unless passed().
ConsoleReport ParityConsole(const ParityReport& report);
// `reference` and `results[]` entries of the document.
nlohmann::json ParityReferenceToJson(const ParityReport& report);
nlohmann::json ParityComparisonToJson(const ParityComparison& comparison);
// The whole document (schema dli.parity/1).
nlohmann::json ParityDocument(const ParityReport& report, const HostInfo& host);

}  // namespace dli

#endif  // DLI_ACCURACY_PARITY_H
