// Pieces shared by several dli commands.
#ifndef DLI_APPS_CLI_COMMON_H
#define DLI_APPS_CLI_COMMON_H

#include <string>
#include <vector>

#include "accuracy/images.h"
#include "core/backend.h"
#include "core/point.h"
#include "store/store.h"
#include "study/frameworks.h"

namespace dli::cli {

// `key=value` items of repeated --param options.
ParamList ParseParams(const std::vector<std::string>& items);

// frameworks.Select(list), with a note on stderr for each framework that
// "all" leaves out because it is unavailable.
std::vector<BackendInfo> SelectBackends(FrameworkCatalog& frameworks, const std::string& list);

// A predict-mode point: one pass over `files` in order.
PointSpec PredictSpec(const BackendInfo& backend, const ResolvedModel& model,
                      const std::string& precision, const std::vector<std::string>& files,
                      int batch, bool keep_outputs);
// The model entry of one format of a prepared model.
ResolvedModel ModelOfFormat(const ModelMeta& meta, const ModelFormat& format);

// The results database at `path`; UsageError when there is none.
ResultStore OpenResults(const std::string& path);

// Lines of the model's labels file (class names), or empty.
std::vector<std::string> ReadClassNames(const ModelMeta& meta);

// Runs a program with this process's stdin/stdout/stderr; returns its exit
// code (128 + signal when it was killed).
int RunForeground(const std::vector<std::string>& argv);

// The model preparation command line, `/usr/bin/python3 <DLI_HOME>/python/
// dli_models/prepare.py --models-dir <ModelsDir()>`, to which the caller adds
// its options; UsageError when the script is missing.
std::vector<std::string> PrepareCommand();

// Writes the preprocessed images of `set` as one float32 NumPy .npy array,
// [N, C, H, W] for layout "NCHW" or [N, H, W, C] for "NHWC": the calibration
// data the Python quantization tools read (dli __preprocess, dli optimize).
void WriteImagesNpy(const ImageSet& set, const std::string& layout, const std::string& path);

}  // namespace dli::cli

#endif  // DLI_APPS_CLI_COMMON_H
