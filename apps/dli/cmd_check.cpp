// `dli check`: the parity check. The same preprocessed photos go through
// every available framework and every format of a prepared model; each
// output is compared with the reference (the ONNX model on the first
// available of onnxruntime, openvino, opencv).
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "accuracy/dataset.h"
#include "core/error.h"
#include "core/host.h"
#include "accuracy/images.h"
#include "core/isolation.h"
#include "report/report.h"
#include "core/text.h"
#include "exec/executor.h"

using nlohmann::json;

namespace dli::cli {
namespace {

constexpr const char* kReferenceFrameworks[] = {"onnxruntime", "openvino", "opencv"};

struct Comparison {
  PointResult run;
  size_t images = 0;
  size_t top1_agree = 0;
  double max_abs_diff = 0;
  bool pass = false;
  std::string verdict;
};

Comparison Compare(PointResult run, const PointResult& reference, double tolerance,
                   double min_agreement) {
  Comparison c;
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
  const bool fp32 = c.run.spec.precision == "FP32";
  if (c.images == 0) {
    c.verdict = "no image in common with the reference";
  } else if (fp32) {
    c.pass = c.top1_agree == c.images && c.max_abs_diff <= tolerance;
    c.verdict = c.pass ? ""
                       : (c.top1_agree != c.images
                              ? "top-1 differs from the reference"
                              : "outputs differ by more than " + FormatFixed(tolerance, 6));
  } else {
    c.pass = static_cast<double>(c.top1_agree) >= min_agreement * static_cast<double>(c.images);
    c.verdict = c.pass ? "" : "top-1 agreement below " + FormatFixed(100 * min_agreement, 1) + "%";
  }
  return c;
}

}  // namespace

int RunCheck(int argc, char** argv) {
  Args args("dli check --model NAME [options]",
            "Parity check of converted models: feeds the same preprocessed photos to every\n"
            "available framework and every format of a prepared model and compares each output\n"
            "with the reference ONNX model's. FP32 must give the identical top-1 on every photo\n"
            "and logits within --tolerance; FP16/INT8 must agree on top-1 for at least\n"
            "--min-agreement of the photos.",
            {{"model", "NAME", "prepared model (default mobilenet_v2)"},
             {"images", "DIR", "photos (default: the bundled sample set)"},
             {"framework", "LIST", "frameworks to check (default all available)"},
             {"precision", "LIST", "precisions to check (default all prepared)"},
             {"tolerance", "X", "max |difference| of FP32 outputs (default 1e-3)"},
             {"min-agreement", "R", "top-1 agreement needed below FP32 (default 0.875)"},
             {"json", "FILE", "write the comparison as JSON"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  const std::string model_name = args.Get("model", "mobilenet_v2");
  const double tolerance = args.GetDouble("tolerance", 1e-3, 0);
  const double min_agreement = args.GetDouble("min-agreement", 0.875, 0);
  const std::string meta_file =
      (std::filesystem::path(ModelsDir()) / model_name / "model.json").string();
  if (!std::filesystem::exists(meta_file))
    throw UsageError("no prepared model '" + model_name + "' in " + ModelsDir() +
                     " (run `dli models prepare`)");
  const ModelMeta meta = LoadModelMeta(meta_file);
  const std::string images =
      args.Get("images", (std::filesystem::path(ModelsDir()) / "_datasets" / "sample").string());
  CheckImageFolder(images);
  const std::vector<std::string> files = ListImageFiles(images);
  const std::unique_ptr<Executor> executor = MakeLocalExecutor();
  FrameworkCatalog frameworks(*executor);
  const std::vector<BackendInfo> backends =
      SelectBackends(frameworks, args.Get("framework", "all"));
  const std::vector<std::string> precisions = Split(ToUpper(args.Get("precision", "")), ',');
  auto wanted = [&](const std::string& precision) {
    return precisions.empty() ||
           std::find(precisions.begin(), precisions.end(), precision) != precisions.end();
  };

  // The reference: the FP32 ONNX model on the first available framework.
  const ModelFormat* onnx = nullptr;
  for (const ModelFormat& f : meta.formats)
    if (f.format == "onnx" && f.precision == "FP32" && !onnx) onnx = &f;
  if (onnx == nullptr) throw UsageError(meta_file + " has no FP32 ONNX format to compare with");
  std::optional<BackendInfo> ref_backend;
  for (const char* name : kReferenceFrameworks) {
    if (!std::count(onnx->frameworks.begin(), onnx->frameworks.end(), name)) continue;
    const BackendInfo* b = frameworks.Find(name);
    if (b != nullptr && b->available) {
      ref_backend = *b;
      break;
    }
  }
  if (!ref_backend) throw UsageError("no available framework can run the reference ONNX model");
  std::cerr << "reference: " << onnx->path << " on " << ref_backend->name << "\n";
  const PointResult reference = executor->Run(
      PredictSpec(*ref_backend, ModelOfFormat(meta, *onnx), "FP32", files, 1, true));
  if (!reference.ok()) throw std::runtime_error("reference run failed: " + reference.error);

  std::vector<Comparison> results;
  for (const BackendInfo& b : backends) {
    for (const ModelFormat& f : meta.formats) {
      if (!std::count(f.frameworks.begin(), f.frameworks.end(), b.name) ||
          !wanted(f.precision))
        continue;
      if (!std::count(b.precisions.begin(), b.precisions.end(), f.precision)) continue;
      std::cerr << "checking " << b.name << " " << f.id << " ..." << std::flush;
      results.push_back(Compare(
          executor->Run(PredictSpec(b, ModelOfFormat(meta, f), f.precision, files, 1, true)),
          reference, tolerance, min_agreement));
      const Comparison& c = results.back();
      std::cerr << (c.pass ? " PASS" : " FAIL " + c.verdict) << "\n";
    }
  }

  std::cout << "\nparity with " << onnx->path << " on " << ref_backend->name << ", "
            << reference.predictions.size() << " photos from " << images << "\n\n";
  TextTable table({"framework", "format", "precision", "top-1 agree", "max |diff|", "result"});
  bool all_pass = !results.empty();
  for (const Comparison& c : results) {
    table.AddRow({c.run.spec.framework, c.run.spec.model_format, c.run.spec.precision,
                  std::to_string(c.top1_agree) + "/" + std::to_string(c.images),
                  c.run.ok() ? FormatFixed(c.max_abs_diff, 6) : "-",
                  c.pass ? "PASS" : "FAIL: " + c.verdict});
    all_pass = all_pass && c.pass;
  }
  table.Print(std::cout);
  if (args.Has("json")) {
    json doc = {{"schema", "dli.parity/1"},
                {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
                {"host", HostToJson(ReadHostInfo())},
                {"model", model_name},
                {"reference",
                 {{"framework", ref_backend->name},
                  {"format", onnx->id},
                  {"framework_version", reference.framework_version}}},
                {"images", files},
                {"tolerance", tolerance},
                {"min_agreement", min_agreement},
                {"results", json::array()}};
    for (const Comparison& c : results)
      doc["results"].push_back({{"framework", c.run.spec.framework},
                                {"framework_version", c.run.framework_version},
                                {"format", c.run.spec.model_format},
                                {"precision", c.run.spec.precision},
                                {"images", c.images},
                                {"top1_agree", c.top1_agree},
                                {"max_abs_diff", c.run.ok() ? json(c.max_abs_diff) : json(nullptr)},
                                {"pass", c.pass},
                                {"reason", c.verdict}});
    WriteFileAtomically(args.Get("json"), doc.dump(2) + "\n");
  }
  if (!all_pass) std::cout << "\nPARITY CHECK FAILED\n";
  return all_pass ? kExitOk : kExitFailed;
}

}  // namespace dli::cli
