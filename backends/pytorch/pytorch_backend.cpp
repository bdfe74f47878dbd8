// PyTorch backend: runs a TorchScript module (.pt) with Debian's LibTorch.
//
// TorchScript keeps no input shapes or dtypes, so the file written by
// `dli models prepare` carries them in an extra file (kIoExtraFile, see
// python/dli_models/steps/torchscript.py). For any other TorchScript file the
// inputs are the arguments of its forward(), float32, with shapes from the
// spec (or the `input_shape` parameter for one input); its outputs are then
// learned from one forward pass on zeros inside open().
//
// forward() may return a tensor, or a tuple, list or dict of tensors: each
// tensor is one output, in order (a dict's outputs are named by its keys).
//
// The whole backend is one source file on purpose: LibTorch headers make
// every translation unit cost 25-40 s to compile on two cores.
#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/version.h>

#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dli/backend_checks.h"
#include "dli/backend_sdk.h"

namespace {

using dli::sdk::Spec;

// Name of the extra file inside the .pt archive that describes the model's
// inputs and outputs: {"inputs": [{"name", "shape", "dtype", "layout"}...],
// "outputs": [{"name", "shape", "dtype"}...]}, model.json's form; the older
// single "input"/"output" objects are read as one-element lists.
constexpr const char* kIoExtraFile = "dli_io.json";

// LibTorch's own defaults, read before any session changes them.
struct ThreadDefaults {
  int intra_op = at::get_num_threads();
  int inter_op = at::get_num_interop_threads();
};

const ThreadDefaults& DefaultThreads() {
  static const ThreadDefaults defaults;
  return defaults;
}

// LibTorch's message without its C++ backtrace; for an error inside the
// TorchScript interpreter, the final "RuntimeError: ..." line, not the
// TorchScript traceback above it.
std::string TorchMessage(const std::exception& error) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&error);
  std::string text = c10_error ? c10_error->what_without_backtrace() : error.what();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.find("Traceback of TorchScript") != std::string::npos)
    text = text.substr(text.rfind('\n') + 1);
  return dli::sdk::OneLine(text);
}

dli_layout LayoutFromText(const std::string& text, const std::vector<int64_t>& shape) {
  if (text == "NCHW") return DLI_LAYOUT_NCHW;
  if (text == "NHWC") return DLI_LAYOUT_NHWC;
  return dli::sdk::GuessImageLayout(shape);
}

// model.json's dtype names.
dli_dtype DtypeFromText(const std::string& text, const std::string& tensor) {
  static const std::map<std::string, dli_dtype> dtypes = {
      {"float32", DLI_DTYPE_F32}, {"float16", DLI_DTYPE_F16}, {"int64", DLI_DTYPE_I64},
      {"int32", DLI_DTYPE_I32},   {"int8", DLI_DTYPE_I8},     {"uint8", DLI_DTYPE_U8},
      {"bool", DLI_DTYPE_BOOL}};
  const auto it = dtypes.find(text);
  if (it == dtypes.end())
    throw std::runtime_error("'" + std::string(kIoExtraFile) + "': tensor '" + tensor +
                             "' has dtype '" + text +
                             "'; expected float32, float16, int64, int32, int8, uint8 or bool");
  return it->second;
}

torch::ScalarType TorchType(dli_dtype dtype) {
  switch (dtype) {
    case DLI_DTYPE_F32:
      return torch::kFloat32;
    case DLI_DTYPE_F16:
      return torch::kFloat16;
    case DLI_DTYPE_I32:
      return torch::kInt32;
    case DLI_DTYPE_I64:
      return torch::kInt64;
    case DLI_DTYPE_I8:
      return torch::kInt8;
    case DLI_DTYPE_U8:
      return torch::kUInt8;
    case DLI_DTYPE_BOOL:
      return torch::kBool;
  }
  throw std::runtime_error("unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

// The dli dtype of a tensor type, or nullopt for one (float64, bfloat16...)
// that ReadOutput converts with LibTorch.
std::optional<dli_dtype> DliType(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return DLI_DTYPE_F32;
    case torch::kFloat16:
      return DLI_DTYPE_F16;
    case torch::kInt32:
      return DLI_DTYPE_I32;
    case torch::kInt64:
      return DLI_DTYPE_I64;
    case torch::kInt8:
      return DLI_DTYPE_I8;
    case torch::kUInt8:
      return DLI_DTYPE_U8;
    case torch::kBool:
      return DLI_DTYPE_BOOL;
    default:
      return std::nullopt;
  }
}

// One input or output as kIoExtraFile describes it.
struct IoEntry {
  std::string name;
  std::optional<std::vector<int64_t>> shape;  // batch first, -1 = open
  dli_dtype dtype = DLI_DTYPE_F32;
  std::string layout;
};

// The entries of `key` (a list) or of `single_key` (one object, the older
// form); empty when the file has neither.
std::vector<IoEntry> ReadIoEntries(const nlohmann::json& io, const char* key,
                                   const char* single_key, const char* default_name) {
  nlohmann::json list = nlohmann::json::array();
  if (io.contains(key))
    list = io[key];
  else if (io.contains(single_key))
    list.push_back(io[single_key]);
  if (!list.is_array())
    throw std::runtime_error("'" + std::string(kIoExtraFile) + "': '" + key + "' is not a list");
  std::vector<IoEntry> entries;
  for (const nlohmann::json& tensor : list) {
    IoEntry entry;
    entry.name = tensor.value("name", list.size() == 1 ? default_name : "");
    if (entry.name.empty())
      throw std::runtime_error("'" + std::string(kIoExtraFile) + "': an entry of '" + key +
                               "' has no name");
    if (tensor.contains("shape")) entry.shape = tensor["shape"].get<std::vector<int64_t>>();
    entry.dtype = DtypeFromText(tensor.value("dtype", "float32"), entry.name);
    entry.layout = tensor.value("layout", "");
    entries.push_back(std::move(entry));
  }
  return entries;
}

// Every tensor that forward() returned, in order, with its output name
// (nullopt when the result gives none: a lone tensor, tuple or list).
std::vector<std::pair<std::optional<std::string>, torch::Tensor>> FlattenResult(
    const torch::jit::IValue& result) {
  std::vector<std::pair<std::optional<std::string>, torch::Tensor>> tensors;
  const auto add = [&](std::optional<std::string> name, const torch::jit::IValue& value) {
    if (!value.isTensor())
      throw std::runtime_error("the TorchScript module returns " + value.tagKind() +
                               " among its outputs; expected tensors");
    tensors.emplace_back(std::move(name), value.toTensor());
  };
  if (result.isTuple()) {
    for (const auto& element : result.toTupleRef().elements()) add(std::nullopt, element);
  } else if (result.isList()) {
    for (const auto& element : result.toListRef()) add(std::nullopt, element);
  } else if (result.isGenericDict()) {
    for (const auto& item : result.toGenericDict()) {
      if (!item.key().isString())
        throw std::runtime_error("the TorchScript module returns a dict with " +
                                 item.key().tagKind() + " keys; expected strings");
      add(item.key().toStringRef(), item.value());
    }
  } else {
    add(std::nullopt, result);
  }
  if (tensors.empty()) throw std::runtime_error("the TorchScript module returns no tensors");
  return tensors;
}

class TorchSession : public dli::sdk::Session {
 public:
  explicit TorchSession(const Spec& spec) : spec_(spec) {
    dli::sdk::RequirePath(spec.model_path, dli::sdk::PathKind::kFile, "TorchScript model (.pt)");
    ApplyThreadParams(spec);

    torch::jit::ExtraFilesMap extra_files{{kIoExtraFile, ""}};
    try {
      module_ = torch::jit::load(spec.model_path, torch::kCPU, extra_files);
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot load '" + spec.model_path +
                               "' as a TorchScript module (expected a file saved by "
                               "torch.jit.save): " +
                               TorchMessage(e));
    }
    module_.eval();

    const std::string& io_text = extra_files[kIoExtraFile];
    std::vector<IoEntry> described_inputs, described_outputs;
    if (!io_text.empty()) {
      nlohmann::json io;
      try {
        io = nlohmann::json::parse(io_text);
        described_inputs = ReadIoEntries(io, "inputs", "input", "input");
        described_outputs = ReadIoEntries(io, "outputs", "output", "output");
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("'" + std::string(kIoExtraFile) +
                                 "' in the .pt file is not valid: " + e.what());
      }
    }
    dtypes_known_ = !described_inputs.empty();
    DescribeInputs(described_inputs);
    DescribeOutputs(described_outputs);
  }

  std::vector<dli_tensor_info> Inputs() override { return inputs_; }
  std::vector<dli_tensor_info> Outputs() override { return outputs_; }

  void SetInputs(const void* const* batches, size_t n_batches) override {
    const size_t n_inputs = inputs_.size();
    batches_.assign(n_batches, {});
    for (size_t b = 0; b < n_batches; ++b) {
      for (size_t i = 0; i < n_inputs; ++i) {
        const dli_tensor_info& input = inputs_[i];
        // from_blob wraps the core's memory without copying; the model only
        // reads its inputs.
        batches_[b].push_back(torch::from_blob(
            const_cast<void*>(batches[b * n_inputs + i]),
            std::vector<int64_t>(input.shape, input.shape + input.rank), TorchType(input.dtype)));
      }
    }
  }

  void Bind(size_t index) override { forward_args_ = batches_[index]; }

  void Infer() override { result_ = RunForward(forward_args_); }

  void ReadOutput(size_t output, float* dst, size_t n_values) override {
    const auto tensors = FlattenResult(result_);
    if (output >= tensors.size())
      throw std::runtime_error("the module returned " + std::to_string(tensors.size()) +
                               " tensors; the model declared " + std::to_string(outputs_.size()) +
                               " outputs");
    torch::Tensor values = tensors[output].second.contiguous();
    if (static_cast<size_t>(values.numel()) != n_values)
      throw std::runtime_error("output '" + std::string(outputs_[output].name) + "' has " +
                               std::to_string(values.numel()) + " values; the model declared " +
                               std::to_string(n_values));
    const std::optional<dli_dtype> dtype = DliType(values.scalar_type());
    if (!dtype) values = values.to(torch::kFloat32);
    dli::sdk::CopyAsFloat(values.data_ptr(), dtype.value_or(DLI_DTYPE_F32), n_values, dst);
  }

 private:
  static void ApplyThreadParams(const Spec& spec) {
    DefaultThreads();  // records the defaults before they change
    const int threads = spec.IntParam("threads", 0);
    if (threads > 0) at::set_num_threads(threads);
    const int interop = spec.IntParam("interop_threads", 0);
    if (interop > 0 && interop != at::get_num_interop_threads()) {
      try {
        at::set_num_interop_threads(interop);
      } catch (const c10::Error&) {
        throw std::runtime_error(
            "interop_threads can only be set once per process, before the "
            "first inter-op task; this process already uses " +
            std::to_string(at::get_num_interop_threads()));
      }
    }
  }

  torch::jit::IValue RunForward(const std::vector<torch::jit::IValue>& args) {
    c10::InferenceMode inference_mode;
    try {
      return module_.forward(args);
    } catch (const std::exception& e) {
      throw std::runtime_error("forward pass failed: " + TorchMessage(e));
    }
  }

  // The inputs as kIoExtraFile describes them, else forward()'s arguments
  // without a default value, float32; shapes resolved against the spec.
  void DescribeInputs(std::vector<IoEntry> entries) {
    const auto& arguments = module_.get_method("forward").function().getSchema().arguments();
    std::string argument_names;
    size_t required = 0;
    for (size_t i = 1; i < arguments.size(); ++i) {  // arguments[0] is self
      argument_names += (i > 1 ? ", " : "") + arguments[i].name();
      if (!arguments[i].default_value()) ++required;
    }
    if (entries.empty()) {
      for (size_t i = 1; i <= required; ++i) entries.push_back({arguments[i].name(), {}, {}, {}});
    } else if (entries.size() < required || entries.size() > arguments.size() - 1) {
      throw std::runtime_error("'" + std::string(kIoExtraFile) + "' describes " +
                               std::to_string(entries.size()) + " inputs; forward() takes (" +
                               argument_names + ")");
    }
    if (entries.empty()) throw std::runtime_error("forward() of the module takes no tensors");

    const std::string input_shape = spec_.Param("input_shape");
    if (!input_shape.empty() && entries.size() != 1)
      throw std::runtime_error("input_shape is for a model with one input; this one takes (" +
                               argument_names + "): give each shape with --shape NAME=...");
    for (IoEntry& entry : entries) {
      std::vector<int64_t> file_dims;
      if (entry.shape) {
        file_dims = *entry.shape;
      } else if (!input_shape.empty()) {
        input_shape_param_ = true;
        file_dims = dli::sdk::ParseDims("input_shape", input_shape);
        file_dims.insert(file_dims.begin(), -1);
      } else if (spec_.shapes.count(entry.name) != 0) {
        file_dims.assign(spec_.shapes.at(entry.name).size(), -1);
      } else {
        throw std::runtime_error(
            "'" + spec_.model_path + "' records no shape for input '" + entry.name +
            "' (extra file '" + kIoExtraFile +
            "', written by `dli models prepare`); give it with " + "--shape " + entry.name +
            "=..." + (entries.size() == 1 ? " or --param input_shape=CxHxW, e.g. 3x224x224" : ""));
      }
      const std::vector<int64_t> shape = dli::sdk::ResolveShape(spec_, entry.name, file_dims);
      inputs_.push_back(dli::sdk::MakeTensorInfo(entry.name, entry.dtype,
                                                 LayoutFromText(entry.layout, shape), shape));
    }
    for (const auto& [name, dims] : spec_.shapes) {
      bool known = false;
      for (const IoEntry& entry : entries) known = known || entry.name == name;
      if (!known)
        throw std::runtime_error("a shape is given for '" + name +
                                 "', which is not an input of the model (" + argument_names + ")");
    }
  }

  // The outputs as kIoExtraFile describes them when it fixes every shape
  // (no forward pass in open(), so the first inference stays the first);
  // else as one forward pass on zeros returns them.
  void DescribeOutputs(const std::vector<IoEntry>& entries) {
    bool complete = !entries.empty();
    for (const IoEntry& entry : entries) {
      complete = complete && entry.shape && !entry.shape->empty();
      for (size_t d = 1; complete && d < entry.shape->size(); ++d)
        complete = (*entry.shape)[d] >= 0;
    }
    if (complete) {
      for (const IoEntry& entry : entries) {
        std::vector<int64_t> shape = *entry.shape;
        shape[0] = spec_.batch;
        outputs_.push_back(
            dli::sdk::MakeTensorInfo(entry.name, entry.dtype, DLI_LAYOUT_OTHER, shape));
      }
      return;
    }
    const auto tensors = FlattenResult(ForwardOnZeros());
    if (!entries.empty() && entries.size() != tensors.size())
      throw std::runtime_error("the module returns " + std::to_string(tensors.size()) +
                               " tensors; '" + kIoExtraFile + "' describes " +
                               std::to_string(entries.size()) + " outputs");
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto& [key, tensor] = tensors[i];
      std::string name = tensors.size() == 1 ? "output" : "output" + std::to_string(i);
      if (!entries.empty())
        name = entries[i].name;
      else if (key)
        name = *key;
      outputs_.push_back(
          dli::sdk::MakeTensorInfo(name, DliType(tensor.scalar_type()).value_or(DLI_DTYPE_F32),
                                   DLI_LAYOUT_OTHER, tensor.sizes().vec()));
    }
  }

  // forward() on zeros of the inputs' shapes and dtypes. A file without
  // metadata says nothing of dtypes: when float32 zeros fail, inputs of
  // int64 (token ids, as text models take them) are tried before giving up.
  torch::jit::IValue ForwardOnZeros() {
    const auto zeros = [&] {
      std::vector<torch::jit::IValue> args;
      for (const dli_tensor_info& input : inputs_)
        args.push_back(torch::zeros(std::vector<int64_t>(input.shape, input.shape + input.rank),
                                    torch::TensorOptions().dtype(TorchType(input.dtype))));
      return args;
    };
    try {
      return RunForward(zeros());
    } catch (const std::exception& e) {
      const std::string message = e.what();
      if (!dtypes_known_ && !input_shape_param_) {
        for (dli_tensor_info& input : inputs_) input.dtype = DLI_DTYPE_I64;
        try {
          return RunForward(zeros());
        } catch (const std::exception&) {
          for (dli_tensor_info& input : inputs_) input.dtype = DLI_DTYPE_F32;
        }
      }
      if (input_shape_param_)
        throw std::runtime_error("the model rejects an input of shape " +
                                 spec_.Param("input_shape") +
                                 " (parameter input_shape): " + message);
      std::string shapes;
      for (const dli_tensor_info& input : inputs_)
        shapes += std::string(shapes.empty() ? "" : ", ") + input.name + " " +
                  dli::sdk::ShapeText({input.shape, input.shape + input.rank}) + " " +
                  dli::sdk::DtypeName(input.dtype);
      throw std::runtime_error("the model rejects zeros of its inputs' shapes (" + shapes +
                               "): " + message);
    }
  }

  const Spec spec_;
  torch::jit::Module module_;
  bool dtypes_known_ = false;       // kIoExtraFile describes the inputs
  bool input_shape_param_ = false;  // an input's shape came from `input_shape`
  std::vector<dli_tensor_info> inputs_;
  std::vector<dli_tensor_info> outputs_;
  std::vector<std::vector<torch::jit::IValue>> batches_;
  std::vector<torch::jit::IValue> forward_args_;
  torch::jit::IValue result_;
};

struct PyTorchBackend {
  static constexpr const char* kName = "pytorch";
  static constexpr const char* kDisplayName = "PyTorch (LibTorch)";
  static constexpr const char* kModelFormats = "TorchScript (.pt)";

  static void Probe() { DefaultThreads(); }
  static const char* Version() { return TORCH_VERSION; }
  static const char* Devices() { return "CPU"; }
  static const char* Precisions() { return "FP32,INT8"; }

  static const char* Notes() {
    static const std::string notes =
        "LibTorch defaults here: " + std::to_string(DefaultThreads().intra_op) +
        " intra-op thread(s), " + std::to_string(DefaultThreads().inter_op) +
        " inter-op thread(s), on " + std::to_string(std::thread::hardware_concurrency()) +
        " hardware thread(s); set --param threads=N to use more";
    return notes.c_str();
  }

  static const dli_param_info* Params(size_t* n) {
    static const dli_param_info params[] = {
        {"threads", "int", "", nullptr,
         "intra-op threads (at::set_num_threads); default: LibTorch's", "1", nullptr},
        {"interop_threads", "int", "", nullptr,
         "inter-op threads (at::set_num_interop_threads); default: LibTorch's", "1", nullptr},
        {"input_shape", "string", "", nullptr,
         "CxHxW input shape for a .pt file with one input and without DLI metadata, e.g. "
         "3x224x224 (more inputs: --shape NAME=...)",
         nullptr, nullptr},
    };
    *n = sizeof(params) / sizeof(params[0]);
    return params;
  }

  static std::unique_ptr<dli::sdk::Session> Open(const Spec& spec) {
    return std::make_unique<TorchSession>(spec);
  }
};

}  // namespace

DLI_DEFINE_BACKEND(PyTorchBackend)
