// Prepared models and their metadata file (models/<name>/model.json, written
// by python/dli_models; schema in docs/MODELS.md), and how a --model argument
// is resolved to a file for one framework and precision.
#ifndef DLI_MODEL_H
#define DLI_MODEL_H

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace dli {

struct Preprocessing {
  std::string color_order = "RGB";
  int resize_shorter = 256;
  int crop = 224;
  double scale = 1.0 / 255.0;
  std::array<double, 3> mean = {0.485, 0.456, 0.406};
  std::array<double, 3> std = {0.229, 0.224, 0.225};
};

struct ModelFormat {
  std::string id, format, precision, path, weights, layout;
  std::vector<std::string> frameworks;
  std::string converter, converter_version, sha256;
};

struct ModelMeta {
  std::string name;
  std::string task;
  std::string dir;          // absolute folder of model.json
  std::string labels_path;  // absolute, may be empty
  int label_offset = 0;
  Preprocessing preprocessing;
  std::vector<ModelFormat> formats;
};

// DLI_HOME, else the source tree this binary was built from.
std::string DliHome();
// DLI_MODELS_DIR, else <DliHome()>/models.
std::string ModelsDir();

// Parses a model.json; throws UsageError with the file name on bad content.
ModelMeta LoadModelMeta(const std::string& model_json);

struct ResolvedModel {
  std::string name;     // prepared model name, or the file stem
  std::string path;     // absolute path of the file the backend opens
  std::string weights;  // second file where the format has one
  std::string format;   // format id from the metadata, or the extension
  std::optional<ModelMeta> meta;
};

// `name_or_path` is a model file, a folder holding model.json, or the name of
// a prepared model under ModelsDir(). For a prepared model the first format
// entry listing `framework` with `precision` is chosen. Throws UsageError
// with what is missing and how to get it.
ResolvedModel ResolveModel(const std::string& name_or_path, const std::string& framework,
                           const std::string& precision);

}  // namespace dli

#endif  // DLI_MODEL_H
