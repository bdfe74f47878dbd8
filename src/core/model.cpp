#include "core/model.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/text.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli {

std::string DliHome() {
  if (const char* env = std::getenv("DLI_HOME"); env && *env) return env;
  return DLI_SOURCE_DIR;
}

std::string ModelsDir() {
  if (const char* env = std::getenv("DLI_MODELS_DIR"); env && *env) return env;
  return (fs::path(DliHome()) / "models").string();
}

namespace {

constexpr const char* kMetaFile = "model.json";

template <typename T>
T Get(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? fallback : it->get<T>();
}

std::optional<fs::path> FindMetaNear(const fs::path& file) {
  fs::path dir = file.parent_path();
  for (int up = 0; up < 3 && !dir.empty(); ++up, dir = dir.parent_path()) {
    if (fs::exists(dir / kMetaFile)) return dir / kMetaFile;
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

// Every field is required: a partial declaration must not be completed
// with another model's values.
Preprocessing ParsePreprocessing(const json& p) {
  Preprocessing pre;
  pre.color_order = p.at("color_order").get<std::string>();
  pre.resize_shorter = p.at("resize_shorter").get<int>();
  pre.crop = p.at("crop").get<int>();
  pre.scale = p.at("scale").get<double>();
  pre.mean = p.at("mean").get<std::array<double, 3>>();
  pre.std = p.at("std").get<std::array<double, 3>>();
  if (pre.color_order != "RGB" && pre.color_order != "BGR")
    throw UsageError("preprocessing color_order must be RGB or BGR, not " + pre.color_order);
  if (pre.crop <= 0 || pre.resize_shorter < pre.crop)
    throw UsageError("preprocessing needs crop > 0 and resize_shorter >= crop");
  return pre;
}

constexpr const char* kDtypes[] = {"float32", "float16", "int64", "int32", "int8", "uint8", "bool"};

std::vector<int64_t> ParseShape(const json& entry, const std::string& name) {
  std::vector<int64_t> shape = Get<std::vector<int64_t>>(entry, "shape", {});
  for (int64_t dim : shape)
    if (dim < -1 || dim == 0)
      throw UsageError("'" + name + "' has shape dimension " + std::to_string(dim) +
                       " (positive, or -1 for open)");
  return shape;
}

// An entry of "inputs" (or the older single "input" object, `legacy`).
ModelInput ParseInput(const json& entry, bool legacy, const std::string& task) {
  ModelInput in;
  in.name = Get<std::string>(entry, "name", "");
  in.shape = ParseShape(entry, in.name);
  in.dtype = Get<std::string>(entry, "dtype", "");
  in.layout = Get<std::string>(entry, "layout", "");
  // The older single input of an image classifier is its image.
  const bool image = legacy && task == "image_classification";
  in.kind = Get<std::string>(entry, "kind", image ? "image" : "random");
  if (!in.dtype.empty() &&
      std::find(std::begin(kDtypes), std::end(kDtypes), in.dtype) == std::end(kDtypes))
    throw UsageError("input '" + in.name + "' has unknown dtype '" + in.dtype +
                     "' (known: " + Join({std::begin(kDtypes), std::end(kDtypes)}, ", ") + ")");
  static const std::vector<std::string> kinds = {"image", "token_ids", "mask", "segment_ids",
                                                 "random"};
  if (std::find(kinds.begin(), kinds.end(), in.kind) == kinds.end())
    throw UsageError("input '" + in.name + "' has unknown kind '" + in.kind +
                     "' (known: " + Join(kinds, ", ") + ")");
  in.vocab_size = Get<int64_t>(entry, "vocab_size", 0);
  if (in.kind == "token_ids" && in.vocab_size < 1)
    throw UsageError("input '" + in.name + "' of kind token_ids needs a positive vocab_size");
  if (auto range = entry.find("range"); range != entry.end() && !range->is_null()) {
    const auto bounds = range->get<std::vector<int64_t>>();
    if (bounds.size() != 2 || bounds[0] >= bounds[1])
      throw UsageError("input '" + in.name + "' has range " + range->dump() +
                       "; expected [low, high] with low < high");
    in.has_range = true;
    in.range_low = bounds[0];
    in.range_high = bounds[1];
  }
  return in;
}

ModelOutput ParseOutput(const json& entry) {
  ModelOutput out;
  out.name = Get<std::string>(entry, "name", "");
  out.shape = ParseShape(entry, out.name);
  out.label_offset = Get<int>(entry, "label_offset", 0);
  return out;
}

// "inputs" (a list) or the older "input" (one object) as a list.
std::vector<json> Entries(const json& j, const char* list, const char* single) {
  if (auto it = j.find(list); it != j.end() && !it->is_null()) {
    if (!it->is_array()) throw UsageError(std::string("'") + list + "' must be a list");
    return {it->begin(), it->end()};
  }
  if (auto it = j.find(single); it != j.end() && !it->is_null()) return {*it};
  return {};
}

Preprocessing PreprocessingPreset(const std::string& name) {
  Preprocessing pre;
  pre.resize_shorter = 256;
  pre.crop = 224;
  if (name == "imagenet") {  // torchvision's recipe
    pre.color_order = "RGB";
    pre.scale = 1.0 / 255.0;
    pre.mean = {0.485, 0.456, 0.406};
    pre.std = {0.229, 0.224, 0.225};
  } else if (name == "inception") {  // RGB scaled to [-1, 1]
    pre.color_order = "RGB";
    pre.scale = 1.0 / 127.5;
    pre.mean = {1, 1, 1};
  } else if (name == "caffe") {  // BGR 0-255 minus the ImageNet mean
    pre.color_order = "BGR";
    pre.scale = 1.0;
    pre.mean = {103.939, 116.779, 123.68};
  } else if (name == "none") {
    return Preprocessing{};
  } else {
    throw UsageError("unknown preprocessing preset '" + name +
                     "'; presets: " + kPreprocessingPresets + ", or a JSON file");
  }
  return pre;
}

}  // namespace

Preprocessing PreprocessingFrom(const std::string& preset_or_file) {
  if (!fs::is_regular_file(preset_or_file)) return PreprocessingPreset(preset_or_file);
  std::ifstream in(preset_or_file);
  try {
    return ParsePreprocessing(json::parse(in));
  } catch (const json::exception& e) {
    throw UsageError("preprocessing file " + preset_or_file + ": " + e.what());
  } catch (const UsageError& e) {
    throw UsageError("preprocessing file " + preset_or_file + ": " + e.what());
  }
}

std::optional<ModelMeta> FindModelMeta(const std::string& name_or_path) {
  const fs::path arg(name_or_path);
  if (fs::is_directory(arg) && fs::exists(arg / kMetaFile))
    return LoadModelMeta((arg / kMetaFile).string());
  if (fs::exists(arg)) {
    if (auto meta = FindMetaNear(fs::absolute(arg))) return LoadModelMeta(meta->string());
    return std::nullopt;
  }
  const fs::path prepared = fs::path(ModelsDir()) / arg / kMetaFile;
  if (arg.filename() == arg && fs::exists(prepared)) return LoadModelMeta(prepared.string());
  throw UsageError("model file not found: " + name_or_path +
                   " (nor a prepared model of that name in " + ModelsDir() +
                   "; see `dli models list`)");
}

bool ModelMeta::ImagelessInputs() const {
  return !inputs.empty() && std::none_of(inputs.begin(), inputs.end(),
                                         [](const ModelInput& in) { return in.kind == "image"; });
}

const Preprocessing& RequirePreprocessing(const ModelMeta& meta, const std::string& what) {
  if (meta.ImagelessInputs()) {
    std::vector<std::string> inputs;
    for (const ModelInput& in : meta.inputs) inputs.push_back(in.name + " (" + in.kind + ")");
    throw UsageError(what + " needs images, but model '" + meta.name +
                     "' has no image input (inputs: " + Join(inputs, ", ") + ")");
  }
  if (meta.preprocessing.declared()) return meta.preprocessing;
  throw UsageError(
      what + " needs images, but model '" + meta.name + "' " +
      (meta.preprocessing_preset == "none"
           ? std::string("declares preprocessing 'none' (no image input)")
           : std::string("declares no preprocessing")) +
      ": set 'preprocessing' in " + (fs::path(meta.dir) / kMetaFile).string() +
      " (`dli models import " + meta.name +
      " --from FILE --force --preprocessing PRESET|FILE`, presets: " + kPreprocessingPresets +
      "); without it the model is benchmarked on synthetic data only");
}

const Preprocessing& RequirePreprocessing(const ResolvedModel& model, const std::string& what) {
  if (model.meta) return RequirePreprocessing(*model.meta, what);
  throw UsageError(what + " needs images, but " + model.path +
                   " has no model.json declaring its preprocessing: import it with `dli models "
                   "import NAME --from " +
                   model.path + " --preprocessing PRESET|FILE` (presets: " + kPreprocessingPresets +
                   ") or pass --preprocessing");
}

ModelMeta LoadModelMeta(const std::string& model_json) {
  std::ifstream in(model_json);
  if (!in) throw UsageError("cannot read model metadata " + model_json);
  ModelMeta m;
  try {
    const json j = json::parse(in);
    m.dir = fs::absolute(fs::path(model_json)).parent_path().string();
    m.name = Get<std::string>(j, "name", fs::path(m.dir).filename().string());
    m.task = Get<std::string>(j, "task", "image_classification");
    if (auto labels = Get<std::string>(j, "labels", ""); !labels.empty())
      m.labels_path = (fs::path(m.dir) / labels).string();
    const bool listed = j.contains("inputs") && !j["inputs"].is_null();
    for (const json& entry : Entries(j, "inputs", "input"))
      m.inputs.push_back(ParseInput(entry, !listed, m.task));
    for (const json& entry : Entries(j, "outputs", "output"))
      m.outputs.push_back(ParseOutput(entry));
    if (!m.outputs.empty()) m.label_offset = m.outputs[0].label_offset;
    if (j.contains("weights") && j["weights"].is_string()) m.weights = j["weights"];
    if (auto p = j.find("preprocessing"); p != j.end() && !p->is_null()) {
      m.preprocessing_preset = Get<std::string>(*p, "preset", "explicit");
      if (p->contains("crop")) {
        m.preprocessing = ParsePreprocessing(*p);
      } else if (m.preprocessing_preset != "explicit") {
        m.preprocessing = PreprocessingPreset(m.preprocessing_preset);
      }
    }
    for (const json& f : Get<json>(j, "formats", json::array())) {
      ModelFormat fmt;
      fmt.id = Get<std::string>(f, "id", "");
      fmt.format = Get<std::string>(f, "format", "");
      fmt.precision = ToUpper(Get<std::string>(f, "precision", "FP32"));
      fmt.path = Get<std::string>(f, "path", "");
      fmt.weights = Get<std::string>(f, "weights", "");
      fmt.layout = Get<std::string>(f, "layout", "");
      fmt.frameworks = Get<std::vector<std::string>>(f, "frameworks", {});
      fmt.converter = Get<std::string>(f, "converter", "");
      fmt.converter_version = Get<std::string>(f, "converter_version", "");
      fmt.sha256 = Get<std::string>(f, "sha256", "");
      if (fmt.path.empty()) throw UsageError("a format entry has no 'path'");
      m.formats.push_back(fmt);
    }
  } catch (const json::exception& e) {
    throw UsageError("malformed model metadata " + model_json + ": " + e.what());
  } catch (const UsageError& e) {
    throw UsageError("malformed model metadata " + model_json + ": " + e.what());
  }
  return m;
}

ResolvedModel ResolveModel(const std::string& name_or_path, const std::string& framework,
                           const std::string& precision) {
  ResolvedModel r;
  const fs::path arg(name_or_path);
  // A file, or a folder that is itself a model (a TensorFlow SavedModel).
  const bool folder_model = fs::is_directory(arg) && !fs::exists(arg / kMetaFile);
  if (fs::is_regular_file(arg) || folder_model) {
    r.path = fs::absolute(arg).lexically_normal().string();
    r.name = fs::absolute(arg).lexically_normal().filename().string();
    if (!folder_model) r.name = arg.stem().string();
    r.format = arg.extension().string();
    if (auto meta = FindMetaNear(fs::absolute(arg))) r.meta = LoadModelMeta(meta->string());
    return r;
  }
  fs::path meta_file;
  if (fs::is_directory(arg) && fs::exists(arg / kMetaFile)) {
    meta_file = arg / kMetaFile;
  } else if (arg.filename() == arg && fs::exists(fs::path(ModelsDir()) / arg / kMetaFile)) {
    meta_file = fs::path(ModelsDir()) / arg / kMetaFile;
  } else {
    throw UsageError("model file not found: " + name_or_path +
                     " (nor a prepared model of that name in " + ModelsDir() +
                     "; `dli models prepare` builds the reference model)");
  }
  ModelMeta meta = LoadModelMeta(meta_file.string());
  std::vector<std::string> offered;
  for (const ModelFormat& f : meta.formats) {
    for (const std::string& fw : f.frameworks) {
      if (fw != framework) continue;
      offered.push_back(f.precision);
      if (f.precision != ToUpper(precision)) continue;
      r.name = meta.name;
      r.path = (fs::path(meta.dir) / f.path).lexically_normal().string();
      if (!f.weights.empty())
        r.weights = (fs::path(meta.dir) / f.weights).lexically_normal().string();
      r.format = f.id.empty() ? f.format : f.id;
      if (!fs::exists(r.path))
        throw UsageError("model file listed in " + meta_file.string() + " is missing: " + r.path +
                         " (run `dli models prepare`)");
      r.meta = std::move(meta);
      return r;
    }
  }
  if (offered.empty())
    throw UsageError("prepared model '" + meta.name + "' has no format for framework '" +
                     framework + "' (see " + meta_file.string() + ")");
  throw UsageError("prepared model '" + meta.name + "' has no " + ToUpper(precision) +
                   " variant for framework '" + framework + "'; available: " + Join(offered, ", "));
}

}  // namespace dli
