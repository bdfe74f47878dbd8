// `dli optimize`: steps 4 and 5 of the methodology. Makes an FP16, INT8 or
// UINT8 model with the framework's own tool (an optional model preparation
// step, python/dli_models/steps/), then re-checks it: the parity check
// (`dli check`) and the accuracy checker (`dli accuracy`, FP32 and the new
// precision on the same framework) run as child processes of this binary,
// and the verdict flags a top-1 loss larger than --max-loss.
// docs/OPTIMIZE.md describes every path.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "accuracy/dataset.h"
#include "core/error.h"
#include "accuracy/images.h"
#include "core/isolation.h"
#include "report/report.h"
#include "core/text.h"
#include "exec/executor.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli::cli {
namespace {

struct OptimizationPath {
  const char* framework;
  const char* precision;
  const char* step;  // python/dli_models/steps/<step>.py
  bool calibrated;   // needs the calibration set
};

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

// Calibration images used when --samples is not given: all of the folder, up
// to the paper's order of magnitude (it measured with 320 images).
constexpr size_t kDefaultMaxCalibrationImages = 300;

const OptimizationPath& FindPath(const std::string& framework, const std::string& precision) {
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

json ReadJsonFile(const fs::path& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(what + " wrote no result file " + path.string());
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(what + " wrote an unreadable result file " + path.string() + ": " +
                             e.what());
  }
}

// The preprocessed calibration images (the accuracy checker's code path),
// validated against the model's input, written where the optimisation steps
// read them: <model>/calibration/calibration.npy and calibration.json
// (python/dli_models/optimization.py). `samples` 0: all images, at most
// kDefaultMaxCalibrationImages.
json WriteCalibrationSet(const ModelMeta& meta, const json& model_input, const std::string& dir,
                         size_t samples) {
  const ImageSet set = LoadImageFolder(dir, meta.preprocessing,
                                       samples > 0 ? samples : kDefaultMaxCalibrationImages);
  if (set.images.size() < samples)
    throw UsageError("calibration folder " + dir + " has " + std::to_string(set.images.size()) +
                     " decodable image(s), --samples asks for " + std::to_string(samples) +
                     (set.skipped.empty() ? "" : " (" + set.skipped.front() + ")"));
  if (!set.skipped.empty())
    std::cerr << "note: " << set.skipped.size() << " file(s) of " << dir
              << " could not be decoded and are not used, e.g. " << set.skipped.front() << "\n";

  const HwcImage& first = set.images.front();
  const std::vector<int64_t> made = {first.channels, first.height, first.width};
  std::vector<int64_t> expected;
  if (model_input.value("layout", "") == "NCHW" && model_input.contains("shape"))
    for (const json& d : model_input["shape"]) expected.push_back(d.get<int64_t>());
  if (expected.size() != 4)
    throw UsageError(meta.dir +
                     "/model.json: dli optimize needs an NCHW image input "
                     "[batch, C, H, W]");
  expected.erase(expected.begin());
  if (made != expected) {
    auto text = [](const std::vector<int64_t>& v) {
      std::vector<std::string> parts;
      for (int64_t d : v) parts.push_back(std::to_string(d));
      return Join(parts, "x");
    };
    throw UsageError("calibration images of " + dir + " preprocess to " + text(made) + " but " +
                     meta.name + " takes " + text(expected) +
                     " (CxHxW): the model's preprocessing and input disagree");
  }

  const fs::path folder = fs::path(meta.dir) / "calibration";
  fs::create_directories(folder);
  const fs::path array = folder / "calibration.npy";
  WriteImagesNpy(set, "NCHW", array.string());
  json files = json::array();
  for (const std::string& f : set.files) files.push_back(fs::path(f).filename().string());
  const Preprocessing& p = meta.preprocessing;
  json info = {{"schema", "dli.calibration/1"},
               {"dataset", fs::absolute(dir).lexically_normal().string()},
               {"samples", set.images.size()},
               {"layout", "NCHW"},
               {"preprocessing", "dli " DLI_VERSION " accuracy checker: " + p.color_order +
                                     ", shorter side " + std::to_string(p.resize_shorter) +
                                     ", centre crop " + std::to_string(p.crop) +
                                     ", (pixel*scale - mean)/std"},
               {"files", files},
               {"skipped", set.skipped}};
  WriteFileAtomically((folder / "calibration.json").string(), info.dump(2) + "\n");
  std::cerr << "calibration: " << set.images.size() << " image(s) of " << dir << " -> "
            << array.string() << "\n";
  return info;
}

// The `dli accuracy` result of one precision, or null.
const json* AccuracyOf(const json& accuracy, const std::string& precision) {
  if (!accuracy.contains("results")) return nullptr;
  for (const json& r : accuracy.at("results"))
    if (r.value("precision", "") == precision) return &r;
  return nullptr;
}

// Top-1 agreement of two `dli accuracy` results over the images both have.
json AgreementOf(const json& optimized, const json& fp32) {
  std::map<std::string, int> fp32_top1;
  for (const json& p : fp32.value("predictions", json::array()))
    if (!p["top5"].empty()) fp32_top1[p["file"].get<std::string>()] = p["top5"][0].get<int>();
  size_t images = 0, equal = 0;
  json differs = json::array();
  for (const json& p : optimized.value("predictions", json::array())) {
    const auto it = fp32_top1.find(p["file"].get<std::string>());
    if (it == fp32_top1.end() || p["top5"].empty()) continue;
    ++images;
    if (p["top5"][0].get<int>() == it->second)
      ++equal;
    else
      differs.push_back(fs::path(p["file"].get<std::string>()).filename().string());
  }
  return {{"images", images}, {"top1_equal", equal}, {"differs", differs}};
}

std::string Fraction(size_t part, size_t whole) {
  return std::to_string(part) + "/" + std::to_string(whole);
}

// The summary of one `dli accuracy` result.
json AccuracySummary(const json& result) {
  return {{"precision", result.value("precision", "")},
          {"format", result.at("model").value("format", "")},
          {"images", result.value("images", 0)},
          {"top1", result.value("top1", 0)},
          {"top5", result.value("top5", 0)},
          {"top1_pct", result.value("top1_pct", 0.0)},
          {"top5_pct", result.value("top5_pct", 0.0)}};
}

void PrintVerdict(const json& v, std::ostream& out) {
  const json& entry = v["format"];
  out << "\n== dli optimize: " << v["model"].get<std::string>() << " "
      << v["precision"].get<std::string>() << " on " << v["framework"].get<std::string>() << "\n";
  out << "model:       " << entry.value("id", "") << " (" << entry.value("path", "") << "), "
      << entry.value("converter", "") << " " << entry.value("converter_version", "") << "\n";
  if (!v["calibration"].is_null())
    out << "calibration: " << v["calibration"]["samples"].get<size_t>() << " image(s) of "
        << v["calibration"]["dataset"].get<std::string>() << "\n";
  const json& accuracy = v["accuracy"];
  const size_t images = accuracy["optimized"]["images"].get<size_t>();
  out << "accuracy on " << accuracy["dataset"].get<std::string>() << " (" << images << " images"
      << (images < kSanityOnlyBelow ? ": a sanity check, not an ImageNet figure" : "") << "):\n";
  TextTable table({"precision", "format", "top-1", "top-1 %", "top-5", "top-5 %"});
  for (const char* which : {"fp32", "optimized"}) {
    const json& r = accuracy[which];
    table.AddRow({r["precision"].get<std::string>(), r["format"].get<std::string>(),
                  Fraction(r["top1"].get<size_t>(), r["images"].get<size_t>()),
                  FormatFixed(r["top1_pct"].get<double>(), 2),
                  Fraction(r["top5"].get<size_t>(), r["images"].get<size_t>()),
                  FormatFixed(r["top5_pct"].get<double>(), 2)});
  }
  table.Print(out);

  const json& agreement = v["agreement_with_fp32"];
  out << "top-1 agreement with " << v["framework"].get<std::string>() << " FP32: "
      << Fraction(agreement["top1_equal"].get<size_t>(), agreement["images"].get<size_t>());
  if (!agreement["differs"].empty())
    out << " (differs on " << Join(agreement["differs"].get<std::vector<std::string>>(), ", ")
        << ")";
  const json& parity = v["parity"];
  out << "\ntop-1 agreement with the reference (" << parity["reference"].value("format", "")
      << " on " << parity["reference"].value("framework", "")
      << "): " << Fraction(parity.value("top1_agree", 0), parity.value("images", 0))
      << ", max |logit diff| "
      << (parity["max_abs_diff"].is_number() ? FormatFixed(parity["max_abs_diff"].get<double>(), 3)
                                             : std::string("-"));
  if (!parity.value("pass", false))
    out << ": WARNING, below " << FormatFixed(100 * parity["min_agreement"].get<double>(), 1)
        << "%";
  const double loss = v["top1_loss"].get<double>(), max_loss = v["max_loss"].get<double>();
  out << "\nverdict: "
      << (v["flagged"].get<bool>()
              ? "FLAGGED: top-1 loss " + FormatFixed(loss, 2) +
                    " percentage points exceeds --max-loss " + FormatFixed(max_loss, 2)
              : "OK: top-1 " + std::string(loss > 0 ? "loss " : "change +") +
                    FormatFixed(std::abs(loss), 2) + " points (limit " + FormatFixed(max_loss, 2) +
                    ")")
      << "\n";
}

}  // namespace

int RunOptimize(int argc, char** argv) {
  Args args(
      "dli optimize --model NAME --to fp16|int8|uint8 --framework NAME [options]",
      "Makes an optimised model with the framework's own tool and re-checks it (methodology\n"
      "steps 4-5): FP16 weights or INT8/UINT8 post-training quantization, calibrated on\n"
      "images preprocessed exactly as for inference. The new file is registered in the\n"
      "model's metadata (format, precision, tool, version, calibration), then the parity\n"
      "check and the accuracy checker run on it and on the FP32 model of the same framework.\n"
      "A top-1 loss above --max-loss is flagged (exit 1). Paths: openvino fp16|int8,\n"
      "onnxruntime fp16|int8, tflite fp16|int8|uint8, mxnet int8, pytorch int8\n"
      "(docs/OPTIMIZE.md).",
      {{"model", "NAME", "prepared model (e.g. mobilenet_v2)"},
       {"to", "P", "fp16, int8 or uint8"},
       {"framework", "NAME", "framework whose tool optimises and which runs the model"},
       {"calibration", "DIR", "calibration images, int8/uint8 (default: the bundled sample set)"},
       {"samples", "N",
        "use N calibration images; fewer decodable images is an error "
        "(default: all, at most 300)"},
       {"dataset", "DIR", "labelled images of the accuracy check (default: the sample set)"},
       {"labels", "FILE", "ImageNet-val labels of --dataset (`file label` lines)"},
       {"max-loss", "PP", "top-1 loss in percentage points that is flagged (default 1)"},
       {"min-agreement", "R",
        "top-1 agreement with the reference the parity check needs "
        "(default 0.875)"},
       {"force", "", "optimise again even when the model is up to date"},
       {"json", "FILE", "write the verdict as JSON (schema dli.optimize/1)"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  const std::string model_name = args.Require("model");
  const std::string precision = ToUpper(args.Require("to"));
  if (precision != "FP16" && precision != "INT8" && precision != "UINT8")
    throw UsageError("--to is fp16, int8 or uint8, got '" + args.Get("to") + "'");
  const std::string framework = args.Require("framework");
  const OptimizationPath& path = FindPath(framework, precision);
  if (!path.calibrated && (args.Has("calibration") || args.Has("samples")))
    throw UsageError("--calibration and --samples are for int8/uint8; " + ToLower(precision) +
                     " needs no calibration");
  const size_t samples = static_cast<size_t>(args.GetInt("samples", 0, 1));
  const double max_loss = args.GetDouble("max-loss", 1.0, 0);
  const double min_agreement = args.GetDouble("min-agreement", 0.875, 0);
  const fs::path models_dir = ModelsDir();
  const std::string sample_dir = (models_dir / "_datasets" / "sample").string();
  const std::string dataset_dir = args.Get("dataset", sample_dir);

  const fs::path meta_file = models_dir / model_name / "model.json";
  if (!fs::exists(meta_file))
    throw UsageError("no prepared model '" + model_name + "' in " + models_dir.string() +
                     " (run `dli models prepare`)");
  const ModelMeta meta = LoadModelMeta(meta_file.string());
  // Bad input stops here, before anything is written.
  DatasetOptions dataset_options;
  dataset_options.labels_file = args.Get("labels");
  LoadDataset(dataset_dir, dataset_options);
  FrameworkCatalog(*MakeLocalExecutor()).Require(framework);

  json calibration;
  if (path.calibrated) {
    std::ifstream in(meta_file);
    calibration = WriteCalibrationSet(meta, json::parse(in).value("input", json::object()),
                                      args.Get("calibration", sample_dir), samples);
  }

  std::cerr << "\n== " << path.step << ": " << model_name << " to " << precision << " for "
            << framework << "\n";
  std::vector<std::string> prepare = PrepareCommand();
  prepare.insert(prepare.end(), {"--model", model_name, "--steps", path.step});
  if (args.Has("force")) prepare.push_back("--force");
  if (RunForeground(prepare) != 0)
    throw std::runtime_error(std::string("the ") + path.step +
                             " step failed (its output is above)");

  const ResolvedModel optimized = ResolveModel(model_name, framework, precision);
  std::ifstream meta_in(meta_file);
  json entry;
  for (const json& f : json::parse(meta_in).value("formats", json::array()))
    if (f.value("id", "") == optimized.format) entry = f;

  // The checks, as the commands a user would run, on the files just made.
  const TempDir scratch;
  const std::string self = SelfExecutable();
  const fs::path check_file = scratch.path() / "check.json";
  const fs::path accuracy_file = scratch.path() / "accuracy.json";
  std::cerr << "\n== parity check (dli check)\n";
  const int check_code =
      RunForeground({self, "check", "--model", model_name, "--framework", framework, "--precision",
                     precision, "--images", dataset_dir, "--min-agreement",
                     FormatFixed(min_agreement, 6), "--json", check_file.string()});
  std::cerr << "\n== accuracy check (dli accuracy)\n";
  std::vector<std::string> accuracy_cmd = {
      self,          "accuracy",  "--model",     model_name,
      "--framework", framework,   "--precision", "FP32," + precision,
      "--dataset",   dataset_dir, "--json",      accuracy_file.string()};
  if (args.Has("labels")) accuracy_cmd.insert(accuracy_cmd.end(), {"--labels", args.Get("labels")});
  const int accuracy_code = RunForeground(accuracy_cmd);

  const json check = ReadJsonFile(check_file, "dli check");
  const json accuracy = ReadJsonFile(accuracy_file, "dli accuracy");
  const json* fp32 = AccuracyOf(accuracy, "FP32");
  const json* quantized = AccuracyOf(accuracy, precision);
  if (accuracy_code != kExitOk || fp32 == nullptr || quantized == nullptr ||
      fp32->value("status", "") != "ok" || quantized->value("status", "") != "ok")
    throw std::runtime_error("the accuracy check of " + framework + " FP32 and " + precision +
                             " did not complete (its output is above)");
  json parity;
  for (const json& r : check.value("results", json::array()))
    if (r.value("format", "") == optimized.format) parity = r;
  if (parity.is_null())
    throw std::runtime_error("the parity check has no result for " + optimized.format +
                             " (exit code " + std::to_string(check_code) + "; output above)");

  parity["reference"] = check.value("reference", json::object());
  parity["min_agreement"] = min_agreement;
  const double loss = fp32->value("top1_pct", 0.0) - quantized->value("top1_pct", 0.0);
  const bool flagged = loss > max_loss;
  const json verdict = {{"schema", "dli.optimize/1"},
                        {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
                        {"model", model_name},
                        {"framework", framework},
                        {"precision", precision},
                        {"step", path.step},
                        {"format", entry},
                        {"calibration", path.calibrated ? calibration : json(nullptr)},
                        {"accuracy",
                         {{"dataset", dataset_dir},
                          {"fp32", AccuracySummary(*fp32)},
                          {"optimized", AccuracySummary(*quantized)}}},
                        {"agreement_with_fp32", AgreementOf(*quantized, *fp32)},
                        {"parity", parity},
                        {"max_loss", max_loss},
                        {"top1_loss", loss},
                        {"flagged", flagged}};
  PrintVerdict(verdict, std::cout);
  if (args.Has("json")) WriteFileAtomically(args.Get("json"), verdict.dump(2) + "\n");
  return flagged ? kExitFailed : kExitOk;
}

}  // namespace dli::cli
