// Prepared models and their metadata file (models/<name>/model.json, written
// by python/dli_models; schema in docs/MODELS.md), and how a --model argument
// is resolved to a file for one framework and precision.
#ifndef DLI_MODEL_H
#define DLI_MODEL_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dli {

// How an image becomes a model input: resize the shorter side, centre crop,
// then value = (pixel * scale - mean) / std per channel in color_order. There
// is no default: a model declares it (model.json) or takes no images.
struct Preprocessing {
  // Only the values of a declared() preprocessing mean anything; RGB here
  // keeps an undeclared one a valid result document (docs/schema).
  std::string color_order = "RGB";
  int resize_shorter = 0;
  int crop = 0;
  double scale = 0;
  std::array<double, 3> mean = {0, 0, 0};
  std::array<double, 3> std = {1, 1, 1};

  bool declared() const { return crop > 0; }
};

// The presets of `dli models import --preprocessing` (docs/MODELS.md).
inline constexpr const char* kPreprocessingPresets = "imagenet, inception, caffe, none";

// A preset (imagenet, inception, caffe; none gives an undeclared one) or a
// JSON file with the six fields; throws UsageError naming the presets.
Preprocessing PreprocessingFrom(const std::string& preset_or_file);

// One input as model.json declares it (docs/MODELS.md, "Inputs and outputs").
struct ModelInput {
  std::string name;
  std::vector<int64_t> shape;  // batch first, -1 = open; empty when not given
  std::string dtype;           // float32, float16, int64, ...; "" when not given
  std::string layout;          // NCHW, NHWC or ""
  // Its synthetic data (docs/METHODOLOGY.md): image, token_ids, mask,
  // segment_ids or random.
  std::string kind = "random";
  int64_t vocab_size = 0;  // token_ids: values in [0, vocab_size)
  // random integers: values in [range_low, range_high)
  int64_t range_low = 0, range_high = 100;
  bool has_range = false;

  bool operator==(const ModelInput& o) const {
    return name == o.name && shape == o.shape && dtype == o.dtype && layout == o.layout &&
           kind == o.kind && vocab_size == o.vocab_size && range_low == o.range_low &&
           range_high == o.range_high && has_range == o.has_range;
  }
};

struct ModelOutput {
  std::string name;
  std::vector<int64_t> shape;
  int label_offset = 0;
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
  int label_offset = 0;     // of output 0, the one classification reads
  // In the model's order; empty when model.json declares none.
  std::vector<ModelInput> inputs;
  std::vector<ModelOutput> outputs;
  Preprocessing preprocessing;       // declared() false: the model takes no images
  std::string preprocessing_preset;  // as model.json names it; empty when undeclared
  // Where the weights came from: "pretrained: <package>", "seeded
  // initialisation, performance only", or what an import declared.
  std::string weights;
  std::vector<ModelFormat> formats;
  bool seeded() const { return weights.rfind("seeded", 0) == 0; }
  // Declares its inputs, none of them an image: checked on synthetic data,
  // never on photos.
  bool ImagelessInputs() const;
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

// The metadata of a prepared model's name or folder, or the model.json near a
// model file; nullopt for a file without one. Throws UsageError when nothing
// of that name exists.
std::optional<ModelMeta> FindModelMeta(const std::string& name_or_path);

// The model's image preprocessing for `what` (e.g. "dli accuracy"), or a
// UsageError naming the missing setting, the presets and how to declare one,
// or saying that the model has no image input.
const Preprocessing& RequirePreprocessing(const ModelMeta& meta, const std::string& what);
const Preprocessing& RequirePreprocessing(const ResolvedModel& model, const std::string& what);

// `name_or_path` is a model file, a folder holding model.json, or the name of
// a prepared model under ModelsDir(). For a prepared model the first format
// entry listing `framework` with `precision` is chosen. Throws UsageError
// with what is missing and how to get it.
ResolvedModel ResolveModel(const std::string& name_or_path, const std::string& framework,
                           const std::string& precision);

}  // namespace dli

#endif  // DLI_MODEL_H
