#include <algorithm>
#include <iostream>
#include <memory>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "accuracy/dataset.h"
#include "core/error.h"
#include "core/host.h"
#include "core/isolation.h"
#include "report/report.h"
#include "core/text.h"
#include "exec/executor.h"

using nlohmann::json;

namespace dli::cli {
namespace {

struct AccuracyPoint {
  PointResult run;
  TopKScore score;
  int label_offset = 0;  // of this point's model (or --label-offset)
};

std::string ClassName(const std::vector<std::string>& names, int index) {
  return index >= 0 && static_cast<size_t>(index) < names.size() ? names[index]
                                                                 : std::to_string(index);
}

}  // namespace

int RunAccuracy(int argc, char** argv) {
  Args args("dli accuracy --model PATH|NAME --framework LIST --dataset DIR [options]",
            "Checks a model's quality: top-1 and top-5 on a labelled image set, per framework\n"
            "and precision, with the same preprocessing for every framework (from the model's\n"
            "metadata). Dataset layouts: DIR/manifest.txt (`file<TAB>label[,label...]`, a set\n"
            "of acceptable classes per image), --labels FILE (`file label`, ImageNet val) or\n"
            "--classes FILE (one sub-folder per class). Labels are 0-based class indices.",
            {{"model", "PATH|NAME", "model file, or a prepared model name (e.g. mobilenet_v2)"},
             {"framework", "LIST", "comma-separated frameworks, or `all` available ones"},
             {"precision", "LIST", "comma-separated precisions (default FP32)"},
             {"device", "DEV", "device (default CPU)"},
             {"dataset", "DIR", "labelled images"},
             {"labels", "FILE", "ImageNet-val layout: `file label` lines"},
             {"classes", "FILE", "class-folder layout: folder name -> class index"},
             {"label-offset", "N", "output index = label + N (default: model metadata, else 0)"},
             {"limit", "N", "use at most N images"},
             {"batch", "N", "batch size of the inference (default 1)"},
             {"json", "FILE", "write results as JSON (schema dli.accuracy/1)"},
             {"verbose", "", "print every image's prediction"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  const std::string model_arg = args.Require("model");
  const std::string dataset_dir = args.Require("dataset");
  const std::vector<std::string> precisions = Split(ToUpper(args.Get("precision", "FP32")), ',');
  const int batch = static_cast<int>(args.GetInt("batch", 1, 1));
  DatasetOptions dopt;
  dopt.labels_file = args.Get("labels");
  dopt.classes_file = args.Get("classes");
  dopt.limit = static_cast<size_t>(args.GetInt("limit", 0, 1));
  const Dataset dataset = LoadDataset(dataset_dir, dopt);
  std::vector<std::string> files;
  for (const LabelledImage& li : dataset.items) files.push_back(li.path);
  const std::unique_ptr<Executor> executor = MakeLocalExecutor();
  FrameworkCatalog frameworks(*executor);
  const std::vector<BackendInfo> backends = SelectBackends(frameworks, args.Require("framework"));

  std::cerr << "dataset: " << dataset_dir << " (" << dataset.format << ", " << dataset.items.size()
            << " images";
  if (!dataset.warnings.empty())
    std::cerr << ", " << dataset.warnings.size() << " entries skipped, e.g. "
              << dataset.warnings.front();
  std::cerr << ")\n";

  std::vector<AccuracyPoint> points;
  std::vector<std::string> class_names;
  size_t index = 0;
  const size_t total = backends.size() * precisions.size();
  for (const BackendInfo& backend : backends) {
    for (const std::string& precision : precisions) {
      ++index;
      ResolvedModel model;
      try {
        model = ResolveModel(model_arg, backend.name, precision);
      } catch (const UsageError& e) {
        if (backends.size() * precisions.size() == 1) throw;
        std::cerr << "[" << index << "/" << total << "] skipped: " << e.what() << "\n";
        continue;
      }
      int label_offset = 0;
      if (model.meta) {
        label_offset = model.meta->label_offset;
        if (class_names.empty()) class_names = ReadClassNames(*model.meta);
      }
      if (args.Has("label-offset"))
        label_offset = static_cast<int>(args.GetInt("label-offset", 0, 0));
      PointSpec spec = PredictSpec(backend, model, precision, files, batch, false);
      ValidateAgainstBackend(backend, spec);
      std::cerr << "[" << index << "/" << total << "] " << backend.name << " " << precision
                << " (" << model.format << ") ..." << std::flush;
      AccuracyPoint p;
      p.run = executor->Run(spec);
      p.label_offset = label_offset;
      p.score = ScorePredictions(p.run, dataset, label_offset);
      std::cerr << (p.run.ok()
                        ? " top-1 " + std::to_string(p.score.top1) + "/" +
                              std::to_string(p.score.images) + ", top-5 " +
                              std::to_string(p.score.top5) + "/" + std::to_string(p.score.images)
                        : " " + p.run.status + ": " + p.run.error)
                << "\n";
      points.push_back(std::move(p));
    }
  }
  if (points.empty()) throw UsageError("no framework has a model for the requested precision");

  std::cout << "\n";
  TextTable table({"framework", "precision", "format", "images", "top-1", "top-1 %", "top-5",
                   "top-5 %", "images/s", "status"});
  double best1 = -1, worst1 = 101, best5 = -1, worst5 = 101;
  for (const AccuracyPoint& p : points) {
    const PointSpec& s = p.run.spec;
    table.AddRow({s.framework, s.precision, s.model_format, std::to_string(p.score.images),
                  std::to_string(p.score.top1), FormatFixed(p.score.top1_pct(), 2),
                  std::to_string(p.score.top5), FormatFixed(p.score.top5_pct(), 2),
                  FormatFixed(ImagesPerSecond(p.run, p.score), 1), p.run.status});
    if (!p.run.ok()) continue;
    best1 = std::max(best1, p.score.top1_pct());
    worst1 = std::min(worst1, p.score.top1_pct());
    best5 = std::max(best5, p.score.top5_pct());
    worst5 = std::min(worst5, p.score.top5_pct());
  }
  table.Print(std::cout);
  if (best1 >= 0)
    std::cout << "largest difference between frameworks/precisions: top-1 "
              << FormatFixed(best1 - worst1, 2) << " points, top-5 "
              << FormatFixed(best5 - worst5, 2) << " points\n";
  if (dataset.items.size() < kSanityOnlyBelow)
    std::cout << "note: " << dataset.items.size()
              << " images is a sanity check of the conversion, not an ImageNet accuracy "
                 "figure\n";
  for (const AccuracyPoint& p : points) {
    if (!p.run.skipped_images.empty())
      std::cout << "warning: " << p.run.spec.framework << ": " << p.run.skipped_images.size()
                << " image(s) could not be decoded, e.g. " << p.run.skipped_images.front() << "\n";
    if (!args.Has("verbose")) continue;
    for (const Prediction& pr : p.run.predictions)
      std::cout << "  " << p.run.spec.framework << " " << p.run.spec.precision << " " << pr.file
                << ": " << ClassName(class_names, pr.top5[0] - p.label_offset) << "\n";
  }
  if (args.Has("json")) {
    json doc = {{"schema", "dli.accuracy/1"},
                {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
                {"host", HostToJson(ReadHostInfo())},
                {"dataset",
                 {{"root", dataset.root},
                  {"format", dataset.format},
                  {"images", dataset.items.size()},
                  {"warnings", dataset.warnings},
                  {"sanity_only", dataset.items.size() < kSanityOnlyBelow}}},
                {"results", json::array()}};
    for (const AccuracyPoint& p : points)
      doc["results"].push_back(AccuracyToJson(p.run, dataset, p.label_offset, p.score));
    doc["max_difference_pct"] = {{"top1", best1 >= 0 ? best1 - worst1 : 0.0},
                                 {"top5", best5 >= 0 ? best5 - worst5 : 0.0}};
    WriteFileAtomically(args.Get("json"), doc.dump(2) + "\n");
  }
  for (const AccuracyPoint& p : points)
    if (!p.run.ok()) return kExitFailed;
  return kExitOk;
}

}  // namespace dli::cli
