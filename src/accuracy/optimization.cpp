#include "accuracy/optimization.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "core/error.h"
#include "core/text.h"

using nlohmann::json;

namespace dli {
namespace {

constexpr OptimizationPath kPaths[] = {
    {"openvino", "FP16", "openvino_ir", false},    {"openvino", "INT8", "openvino_int8", true},
    {"onnxruntime", "FP16", "onnx_fp16", false},   {"onnxruntime", "INT8", "onnx_int8", true},
    {"tflite", "FP16", "tflite_fp16", false},      {"tflite", "INT8", "tflite_int8", true},
    {"tflite", "UINT8", "tflite_uint8", true},     {"mxnet", "INT8", "mxnet_int8", true},
    {"pytorch", "INT8", "torchscript_int8", true},
};

// Frameworks without a path, and why (the evidence is in docs/OPTIMIZE.md).
constexpr std::pair<const char*, const char*> kNoPath[] = {
    {"opencv",
     "OpenCV 4.6 DNN has no quantization tool of its own and cannot read the FP16 ONNX file "
     "(\"Unsupported data type: FLOAT16\") nor ONNX Runtime's QDQ INT8 file"},
    {"tensorflow",
     "TensorFlow quantizes through its TFLite converter (use --framework tflite); there is no "
     "post-training quantization of a SavedModel"},
};

std::string Fraction(size_t part, size_t whole) {
  return std::to_string(part) + "/" + std::to_string(whole);
}

// A text field of a model.json entry, "" when it has none.
std::string EntryField(const json& entry, const char* key) {
  return entry.is_object() ? entry.value(key, "") : "";
}

const AccuracyPoint* PointOf(const AccuracyReport& accuracy, const std::string& precision) {
  for (const AccuracyPoint& p : accuracy.points)
    if (p.run.spec.precision == precision) return &p;
  return nullptr;
}

AccuracySummary SummaryOf(const AccuracyPoint& p) {
  return {p.run.spec.precision, p.run.spec.model_format, p.score.images,    p.score.top1,
          p.score.top5,         p.score.top1_pct(),      p.score.top5_pct()};
}

json SummaryToJson(const AccuracySummary& s) {
  return {{"precision", s.precision}, {"format", s.format}, {"images", s.images},
          {"top1", s.top1},           {"top5", s.top5},     {"top1_pct", s.top1_pct},
          {"top5_pct", s.top5_pct}};
}

}  // namespace

const OptimizationPath& FindOptimizationPath(const std::string& framework,
                                             const std::string& precision) {
  std::vector<std::string> offered;
  for (const OptimizationPath& p : kPaths) {
    if (p.framework != framework) continue;
    if (p.precision == precision) return p;
    offered.push_back(ToLower(p.precision));
  }
  for (const auto& [name, why] : kNoPath)
    if (framework == name) throw UsageError("no optimisation path for " + framework + ": " + why);
  if (offered.empty()) {
    std::vector<std::string> frameworks;
    for (const OptimizationPath& p : kPaths)
      if (std::find(frameworks.begin(), frameworks.end(), p.framework) == frameworks.end())
        frameworks.push_back(p.framework);
    throw UsageError("unknown --framework '" + framework + "'; dli optimize knows " +
                     Join(frameworks, ", "));
  }
  throw UsageError(framework + " has no " + ToLower(precision) + " path; it offers --to " +
                   Join(offered, ", "));
}

Agreement AgreementOf(const PointResult& optimized, const PointResult& fp32) {
  std::map<std::string, int> fp32_top1;
  for (const Prediction& p : fp32.predictions)
    if (!p.top5.empty()) fp32_top1[p.file] = p.top5[0];
  Agreement a;
  for (const Prediction& p : optimized.predictions) {
    const auto it = fp32_top1.find(p.file);
    if (it == fp32_top1.end() || p.top5.empty()) continue;
    ++a.images;
    if (p.top5[0] == it->second)
      ++a.top1_equal;
    else
      a.differs.push_back(std::filesystem::path(p.file).filename().string());
  }
  return a;
}

OptimizeVerdict JudgeOptimizedModel(OptimizedModel made, const ParityReport& parity,
                                    const AccuracyReport& accuracy, double max_loss) {
  const AccuracyPoint* fp32 = PointOf(accuracy, "FP32");
  const AccuracyPoint* optimized = PointOf(accuracy, made.precision);
  if (fp32 == nullptr || optimized == nullptr || !fp32->run.ok() || !optimized->run.ok())
    throw std::runtime_error("the accuracy check of " + made.framework + " FP32 and " +
                             made.precision + " did not complete (its output is above)");
  const auto comparison = std::find_if(
      parity.results.rbegin(), parity.results.rend(),
      [&](const ParityComparison& c) { return c.run.spec.model_format == made.format_id; });
  if (comparison == parity.results.rend())
    throw std::runtime_error("the parity check has no result for " + made.format_id +
                             " (its output is above)");

  OptimizeVerdict v;
  v.dataset = accuracy.dataset.root;
  v.fp32 = SummaryOf(*fp32);
  v.optimized = SummaryOf(*optimized);
  v.agreement_with_fp32 = AgreementOf(optimized->run, fp32->run);
  v.parity = *comparison;
  v.parity_reference = ParityReferenceToJson(parity);
  v.min_agreement = parity.request.rule.min_agreement;
  v.max_loss = max_loss;
  v.top1_loss = v.fp32.top1_pct - v.optimized.top1_pct;
  v.flagged = v.top1_loss > max_loss;
  v.made = std::move(made);
  return v;
}

ConsoleReport VerdictConsole(const OptimizeVerdict& v) {
  const OptimizedModel& m = v.made;
  ConsoleReport out;
  out.before = "\n== dli optimize: " + m.model + " " + m.precision + " on " + m.framework + "\n";
  out.before += "model:       " + EntryField(m.format, "id") + " (" + EntryField(m.format, "path") +
                "), " + EntryField(m.format, "converter") + " " +
                EntryField(m.format, "converter_version") + "\n";
  if (!m.calibration.is_null())
    out.before += "calibration: " + std::to_string(m.calibration["samples"].get<size_t>()) +
                  " image(s) of " + m.calibration["dataset"].get<std::string>() + "\n";
  const size_t images = v.optimized.images;
  out.before += "accuracy on " + v.dataset + " (" + std::to_string(images) + " images" +
                (images < kSanityOnlyBelow ? ": a sanity check, not an ImageNet figure" : "") +
                "):\n";
  out.header = {"precision", "format", "top-1", "top-1 %", "top-5", "top-5 %"};
  for (const AccuracySummary* r : {&v.fp32, &v.optimized})
    out.rows.push_back({r->precision, r->format, Fraction(r->top1, r->images),
                        FormatFixed(r->top1_pct, 2), Fraction(r->top5, r->images),
                        FormatFixed(r->top5_pct, 2)});

  const Agreement& a = v.agreement_with_fp32;
  out.after = "top-1 agreement with " + m.framework + " FP32: " + Fraction(a.top1_equal, a.images);
  if (!a.differs.empty()) out.after += " (differs on " + Join(a.differs, ", ") + ")";
  const ParityComparison& p = v.parity;
  out.after += "\ntop-1 agreement with the reference (" + v.parity_reference.value("format", "") +
               " on " + v.parity_reference.value("framework", "") +
               "): " + Fraction(p.top1_agree, p.images) + ", max |logit diff| " +
               (p.run.ok() ? FormatFixed(p.max_abs_diff, 3) : std::string("-"));
  if (!p.pass) out.after += ": WARNING, below " + FormatFixed(100 * v.min_agreement, 1) + "%";
  out.after +=
      "\nverdict: " +
      (v.flagged ? "FLAGGED: top-1 loss " + FormatFixed(v.top1_loss, 2) +
                       " percentage points exceeds --max-loss " + FormatFixed(v.max_loss, 2)
                 : "OK: top-1 " + std::string(v.top1_loss > 0 ? "loss " : "change +") +
                       FormatFixed(std::abs(v.top1_loss), 2) + " points (limit " +
                       FormatFixed(v.max_loss, 2) + ")") +
      "\n";
  return out;
}

json VerdictToJson(const OptimizeVerdict& v) {
  const OptimizedModel& m = v.made;
  json parity = ParityComparisonToJson(v.parity);
  parity["reference"] = v.parity_reference;
  parity["min_agreement"] = v.min_agreement;
  const Agreement& a = v.agreement_with_fp32;
  return {{"schema", "dli.optimize/1"},
          {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
          {"model", m.model},
          {"framework", m.framework},
          {"precision", m.precision},
          {"step", m.step},
          {"format", m.format},
          {"calibration", m.calibration},
          {"accuracy",
           {{"dataset", v.dataset},
            {"fp32", SummaryToJson(v.fp32)},
            {"optimized", SummaryToJson(v.optimized)}}},
          {"agreement_with_fp32",
           {{"images", a.images}, {"top1_equal", a.top1_equal}, {"differs", a.differs}}},
          {"parity", parity},
          {"max_loss", v.max_loss},
          {"top1_loss", v.top1_loss},
          {"flagged", v.flagged}};
}

}  // namespace dli
