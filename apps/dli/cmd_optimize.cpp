// `dli optimize`: steps 4 and 5 of the methodology. Makes an FP16, INT8 or
// UINT8 model with the framework's own tool (an optional model preparation
// step, python/dli_models/steps/), then re-checks it with the parity check
// and the accuracy checker (FP32 and the new precision on the same
// framework), and flags a top-1 loss larger than --max-loss
// (src/accuracy/optimization.h). docs/OPTIMIZE.md describes every path.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "accuracy/calibration.h"
#include "accuracy/optimization.h"
#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/text.h"
#include "report/report.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli::cli {

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
  OptimizedModel made;
  made.model = args.Require("model");
  made.precision = ToUpper(args.Require("to"));
  if (made.precision != "FP16" && made.precision != "INT8" && made.precision != "UINT8")
    throw UsageError("--to is fp16, int8 or uint8, got '" + args.Get("to") + "'");
  made.framework = args.Require("framework");
  const OptimizationPath& path = FindOptimizationPath(made.framework, made.precision);
  made.step = path.step;
  if (!path.calibrated && (args.Has("calibration") || args.Has("samples")))
    throw UsageError("--calibration and --samples are for int8/uint8; " + ToLower(made.precision) +
                     " needs no calibration");
  const size_t samples = static_cast<size_t>(args.GetInt("samples", 0, 1));
  const double max_loss = args.GetDouble("max-loss", 1.0, 0);
  ParityRequest parity_request;
  parity_request.model = made.model;
  parity_request.precisions = {made.precision};
  parity_request.rule.min_agreement = args.GetDouble("min-agreement", 0.875, 0);
  const fs::path models_dir = ModelsDir();
  const std::string sample_dir = (models_dir / "_datasets" / "sample").string();
  parity_request.images_dir = args.Get("dataset", sample_dir);

  const fs::path meta_file = models_dir / made.model / "model.json";
  if (!fs::exists(meta_file))
    throw UsageError("no prepared model '" + made.model + "' in " + models_dir.string() +
                     " (run `dli models prepare`)");
  const ModelMeta meta = LoadModelMeta(meta_file.string());
  // Bad input stops here, before anything is written.
  DatasetOptions dataset_options;
  dataset_options.labels_file = args.Get("labels");
  Dataset dataset = LoadDataset(parity_request.images_dir, dataset_options);
  const auto executor = MakeLocalExecutor();
  FrameworkCatalog frameworks(*executor);
  const std::vector<BackendInfo> target = SelectBackends(frameworks, made.framework);

  if (path.calibrated) {
    const std::string dir = args.Get("calibration", sample_dir);
    const CalibrationSet set = MakeCalibrationSet(meta, dir, samples, std::cerr);
    fs::create_directories(fs::path(set.array_path).parent_path());
    WriteFileAtomically(set.array_path, set.array);
    WriteFileAtomically(set.record_path, set.record.dump(2) + "\n");
    std::cerr << "calibration: " << set.record["samples"].get<size_t>() << " image(s) of " << dir
              << " -> " << set.array_path << "\n";
    made.calibration = set.record;
  }

  std::cerr << "\n== " << path.step << ": " << made.model << " to " << made.precision << " for "
            << made.framework << "\n";
  std::vector<std::string> prepare = PrepareCommand();
  prepare.insert(prepare.end(), {"--model", made.model, "--steps", path.step});
  if (args.Has("force")) prepare.push_back("--force");
  if (RunForeground(prepare) != 0)
    throw std::runtime_error(std::string("the ") + path.step +
                             " step failed (its output is above)");
  made.format_id = ResolveModel(made.model, made.framework, made.precision).format;
  std::ifstream meta_in(meta_file);
  for (const json& f : json::parse(meta_in).value("formats", json::array()))
    if (f.value("id", "") == made.format_id) made.format = f;

  // The checks `dli check` and `dli accuracy` would make, on the files just
  // made. The model is written by now: a check that cannot run is a failure,
  // not bad input.
  const PointRunner run = [&](const PointSpec& spec) { return executor->Run(spec); };
  ParityReport parity;
  AccuracyReport accuracy;
  try {
    std::cerr << "\n== parity check (dli check)\n";
    CheckImageFolder(parity_request.images_dir);
    parity_request.files = ListImageFiles(parity_request.images_dir);
    parity = RunParityCheck(LoadModelMeta(meta_file.string()), parity_request,
                            SelectBackends(frameworks, "all"), target, run, std::cerr);
    PrintConsoleReport(ParityConsole(parity), std::cout);
    std::cerr << "\n== accuracy check (dli accuracy)\n";
    AccuracyRequest accuracy_request;
    accuracy_request.model = made.model;
    accuracy_request.precisions = {"FP32", made.precision};
    accuracy = RunAccuracyCheck(accuracy_request, std::move(dataset), target, run, std::cerr);
    PrintConsoleReport(AccuracyConsole(accuracy, false), std::cout);
  } catch (const UsageError& e) {
    throw std::runtime_error(std::string("the checks of the new model could not run: ") + e.what());
  }

  const OptimizeVerdict verdict = JudgeOptimizedModel(made, parity, accuracy, max_loss);
  PrintConsoleReport(VerdictConsole(verdict), std::cout);
  if (args.Has("json"))
    WriteFileAtomically(args.Get("json"), VerdictToJson(verdict).dump(2) + "\n");
  return verdict.flagged ? kExitFailed : kExitOk;
}

}  // namespace dli::cli
