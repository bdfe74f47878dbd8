#include "accuracy/parity.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/text.h"

using nlohmann::json;

namespace dli {
namespace {

// In order of preference.
constexpr const char* kReferenceFrameworks[] = {"onnxruntime", "openvino", "opencv"};

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The model entry of one format of a prepared model.
ResolvedModel ModelOfFormat(const ModelMeta& meta, const ModelFormat& format) {
  namespace fs = std::filesystem;
  ResolvedModel r;
  r.name = meta.name;
  r.path = (fs::path(meta.dir) / format.path).lexically_normal().string();
  if (!format.weights.empty())
    r.weights = (fs::path(meta.dir) / format.weights).lexically_normal().string();
  r.format = format.id.empty() ? format.format : format.id;
  r.meta = meta;
  return r;
}

// A predict point of one format: the request's photos, or its synthetic
// inputs (seed 0, one per batch).
PointSpec CheckPoint(const BackendInfo& backend, const ModelMeta& meta, const ModelFormat& format,
                     const ParityRequest& request) {
  PointSpec spec =
      PredictSpec(backend, ModelOfFormat(meta, format), format.precision, request.files, 1, true);
  spec.shapes = request.shapes;
  if (request.files.empty()) spec.input.synthetic_batches = request.synthetic_inputs;
  return spec;
}

}  // namespace

ParityComparison CompareWithReference(PointResult run, const PointResult& reference,
                                      const ParityRule& rule) {
  ParityComparison c;
  c.run = std::move(run);
  if (!c.run.ok()) {
    c.verdict = c.run.status + ": " + c.run.error;
    return c;
  }
  for (const Prediction& p : c.run.predictions) {
    const auto ref = std::find_if(reference.predictions.begin(), reference.predictions.end(),
                                  [&](const Prediction& r) { return r.file == p.file; });
    if (ref == reference.predictions.end()) continue;
    ++c.images;
    if (p.top5[0] == ref->top5[0]) ++c.top1_agree;
    if (p.output.size() != ref->output.size()) {
      c.max_abs_diff = INFINITY;
      continue;
    }
    for (size_t i = 0; i < p.output.size(); ++i)
      c.max_abs_diff =
          std::max(c.max_abs_diff, static_cast<double>(std::fabs(p.output[i] - ref->output[i])));
  }
  if (c.images == 0) {
    c.verdict = "no image in common with the reference";
  } else if (c.run.spec.precision == "FP32") {
    c.pass = c.top1_agree == c.images && c.max_abs_diff <= rule.tolerance;
    c.verdict = c.pass ? ""
                       : (c.top1_agree != c.images
                              ? "top-1 differs from the reference"
                              : "outputs differ by more than " + FormatFixed(rule.tolerance, 6));
  } else {
    c.pass =
        static_cast<double>(c.top1_agree) >= rule.min_agreement * static_cast<double>(c.images);
    c.verdict =
        c.pass ? "" : "top-1 agreement below " + FormatFixed(100 * rule.min_agreement, 1) + "%";
  }
  return c;
}

bool ParityReport::passed() const {
  return !results.empty() && std::all_of(results.begin(), results.end(),
                                         [](const ParityComparison& c) { return c.pass; });
}

ParityReport RunParityCheck(const ModelMeta& meta, const ParityRequest& request,
                            const std::vector<BackendInfo>& available,
                            const std::vector<BackendInfo>& checked, const PointRunner& run,
                            std::ostream& log) {
  const auto onnx = std::find_if(
      meta.formats.begin(), meta.formats.end(),
      [](const ModelFormat& f) { return f.format == "onnx" && f.precision == "FP32"; });
  if (onnx == meta.formats.end())
    throw UsageError(meta.dir + "/model.json has no FP32 ONNX format to compare with");
  const BackendInfo* ref_backend = nullptr;
  for (const char* name : kReferenceFrameworks)
    for (const BackendInfo& b : available)
      if (!ref_backend && b.name == name && Contains(onnx->frameworks, name)) ref_backend = &b;
  for (const BackendInfo& b : available)
    if (!ref_backend && Contains(onnx->frameworks, b.name)) ref_backend = &b;
  if (ref_backend == nullptr)
    throw UsageError("no available framework can run the reference ONNX model");

  ParityReport report;
  report.request = request;
  report.reference_framework = ref_backend->name;
  report.reference_path = onnx->path;
  report.reference_format = onnx->id;
  log << "reference: " << onnx->path << " on " << ref_backend->name << "\n";
  report.reference = run(CheckPoint(*ref_backend, meta, *onnx, request));
  if (!report.reference.ok())
    throw std::runtime_error("reference run failed: " + report.reference.error);

  for (const BackendInfo& b : checked) {
    for (const ModelFormat& f : meta.formats) {
      if (!Contains(f.frameworks, b.name) || !Contains(b.precisions, f.precision) ||
          !(request.precisions.empty() || Contains(request.precisions, f.precision)))
        continue;
      log << "checking " << b.name << " " << f.id << " ..." << std::flush;
      report.results.push_back(CompareWithReference(run(CheckPoint(b, meta, f, request)),
                                                    report.reference, request.rule));
      const ParityComparison& c = report.results.back();
      log << (c.pass ? " PASS" : " FAIL " + c.verdict) << "\n";
    }
  }
  return report;
}

ConsoleReport ParityConsole(const ParityReport& report) {
  ConsoleReport out;
  const std::string inputs = report.request.files.empty()
                                 ? " synthetic inputs"
                                 : " photos from " + report.request.images_dir;
  out.before = "\nparity with " + report.reference_path + " on " + report.reference_framework +
               ", " + std::to_string(report.reference.predictions.size()) + inputs + "\n\n";
  out.header = {"framework", "format", "precision", "top-1 agree", "max |diff|", "result"};
  for (const ParityComparison& c : report.results)
    out.rows.push_back({c.run.spec.framework, c.run.spec.model_format, c.run.spec.precision,
                        std::to_string(c.top1_agree) + "/" + std::to_string(c.images),
                        c.run.ok() ? FormatFixed(c.max_abs_diff, 6) : "-",
                        c.pass ? "PASS" : "FAIL: " + c.verdict});
  if (!report.passed()) out.after = "\nPARITY CHECK FAILED\n";
  return out;
}

json ParityReferenceToJson(const ParityReport& report) {
  return {{"framework", report.reference_framework},
          {"format", report.reference_format},
          {"framework_version", report.reference.framework_version}};
}

json ParityComparisonToJson(const ParityComparison& c) {
  return {{"framework", c.run.spec.framework},
          {"framework_version", c.run.framework_version},
          {"format", c.run.spec.model_format},
          {"precision", c.run.spec.precision},
          {"images", c.images},
          {"top1_agree", c.top1_agree},
          {"max_abs_diff", c.run.ok() ? json(c.max_abs_diff) : json(nullptr)},
          {"pass", c.pass},
          {"reason", c.verdict}};
}

json ParityDocument(const ParityReport& report, const HostInfo& host) {
  json doc = {{"schema", "dli.parity/1"},
              {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
              {"host", HostToJson(host)},
              {"model", report.request.model},
              {"reference", ParityReferenceToJson(report)},
              {"images", report.request.files},
              {"tolerance", report.request.rule.tolerance},
              {"min_agreement", report.request.rule.min_agreement},
              {"results", json::array()}};
  for (const ParityComparison& c : report.results)
    doc["results"].push_back(ParityComparisonToJson(c));
  return doc;
}

}  // namespace dli
