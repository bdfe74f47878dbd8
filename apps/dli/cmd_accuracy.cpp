// `dli accuracy`: the accuracy checker (src/accuracy/accuracy_report.h),
// through the local executor.
#include <iostream>

#include "accuracy/accuracy_report.h"
#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/host.h"
#include "core/model.h"
#include "core/text.h"
#include "report/report.h"

namespace dli::cli {

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
             {"preprocessing", "PRESET|FILE",
              "instead of the model's: imagenet, inception, caffe or a JSON file"},
             {"limit", "N", "use at most N images"},
             {"batch", "N", "batch size of the inference (default 1)"},
             {"json", "FILE", "write results as JSON (schema dli.accuracy/1)"},
             {"verbose", "", "print every image's prediction"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  AccuracyRequest request;
  request.model = args.Require("model");
  const std::string dataset_dir = args.Require("dataset");
  request.precisions = Split(ToUpper(args.Get("precision", "FP32")), ',');
  request.batch = static_cast<int>(args.GetInt("batch", 1, 1));
  if (args.Has("label-offset"))
    request.label_offset = static_cast<int>(args.GetInt("label-offset", 0, 0));
  // Refused before the dataset is read: without a declared preprocessing
  // any number would be another model's.
  if (args.Has("preprocessing")) {
    request.preprocessing = PreprocessingFrom(args.Get("preprocessing"));
    if (!request.preprocessing->declared())
      throw UsageError(std::string("dli accuracy needs images: --preprocessing none declares no "
                                   "image input; presets: ") +
                       kPreprocessingPresets + ", or a JSON file");
    // A model without an image input takes no photos whatever the preprocessing.
    if (auto meta = FindModelMeta(request.model); meta && meta->ImagelessInputs())
      RequirePreprocessing(*meta, "dli accuracy");
  } else if (auto meta = FindModelMeta(request.model)) {
    RequirePreprocessing(*meta, "dli accuracy");
  } else {
    ResolvedModel bare;
    bare.path = request.model;
    RequirePreprocessing(bare, "dli accuracy");
  }
  DatasetOptions dataset_options;
  dataset_options.labels_file = args.Get("labels");
  dataset_options.classes_file = args.Get("classes");
  dataset_options.limit = static_cast<size_t>(args.GetInt("limit", 0, 1));
  Dataset dataset = LoadDataset(dataset_dir, dataset_options);
  const auto executor = MakeLocalExecutor();
  FrameworkCatalog frameworks(*executor);
  const std::vector<BackendInfo> backends = SelectBackends(frameworks, args.Require("framework"));

  const AccuracyReport report = RunAccuracyCheck(
      request, std::move(dataset), backends,
      [&](const PointSpec& spec) { return executor->Run(spec); }, std::cerr);
  PrintConsoleReport(AccuracyConsole(report, args.Has("verbose")), std::cout);
  if (args.Has("json"))
    WriteFileAtomically(args.Get("json"), AccuracyDocument(report, ReadHostInfo()).dump(2) + "\n");
  return report.all_ok() ? kExitOk : kExitFailed;
}

}  // namespace dli::cli
