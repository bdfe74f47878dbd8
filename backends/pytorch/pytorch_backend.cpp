// PyTorch backend: runs a TorchScript module (.pt) with Debian's LibTorch.
//
// TorchScript keeps no input shape, so the file written by
// `dli models prepare` carries one in an extra file (kIoExtraFile, see
// python/dli_models/steps/torchscript.py). Any other TorchScript file needs
// the `input_shape` parameter; its output shape is then learned from one
// forward pass on zeros inside open().
//
// The whole backend is one source file on purpose: LibTorch headers make
// every translation unit cost 25-40 s to compile on two cores.
#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/version.h>

#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dli/backend_checks.h"
#include "dli/backend_sdk.h"

namespace {

using dli::sdk::Spec;

// Name of the extra file inside the .pt archive that describes the model's
// input and output: {"input": {"name", "shape", "layout"}, "output": {...}}.
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

std::vector<int64_t> ShapeFromJson(const nlohmann::json& tensor, const std::string& what) {
  if (!tensor.contains("shape") || !tensor["shape"].is_array())
    throw std::runtime_error("'" + std::string(kIoExtraFile) + "' has no " + what + ".shape");
  return tensor["shape"].get<std::vector<int64_t>>();
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

class TorchSession : public dli::sdk::Session {
 public:
  explicit TorchSession(const Spec& spec) : batch_(spec.batch) {
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
    if (!io_text.empty()) {
      DescribeFromMetadata(io_text);
    } else {
      DescribeFromParams(spec);
    }
  }

  dli_tensor_info InputInfo() override { return input_info_; }
  dli_tensor_info OutputInfo() override { return output_info_; }

  void SetInputs(const void* const* batches, size_t n_batches, size_t) override {
    const std::vector<int64_t> shape(input_info_.shape, input_info_.shape + input_info_.rank);
    inputs_.clear();
    for (size_t i = 0; i < n_batches; ++i) {
      // from_blob wraps the core's memory without copying; the model only
      // reads its input.
      inputs_.push_back(torch::from_blob(const_cast<void*>(batches[i]), shape, torch::kFloat32));
    }
  }

  void Bind(size_t index) override { forward_args_.assign(1, inputs_[index]); }

  void Infer() override { output_ = RunForward(forward_args_); }

  void ReadOutput(float* dst, size_t n_values) override {
    const torch::Tensor values = output_.to(torch::kFloat32).contiguous();
    if (static_cast<size_t>(values.numel()) != n_values)
      throw std::runtime_error("output has " + std::to_string(values.numel()) +
                               " values; caller expected " + std::to_string(n_values));
    std::memcpy(dst, values.data_ptr<float>(), n_values * sizeof(float));
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

  // The model's outputs as one tensor: a module returning a tuple or list
  // yields its first element.
  torch::Tensor RunForward(std::vector<torch::jit::IValue>& args) {
    c10::InferenceMode inference_mode;
    torch::jit::IValue result;
    try {
      result = module_.forward(args);
    } catch (const std::exception& e) {
      throw std::runtime_error("forward pass failed: " + TorchMessage(e));
    }
    if (result.isTensor()) return result.toTensor();
    if (result.isTuple())
      result = result.toTupleRef().elements().at(0);
    else if (result.isList())
      result = result.toListRef().at(0);
    if (!result.isTensor())
      throw std::runtime_error("the TorchScript module returns " + result.tagKind() +
                               "; expected a tensor");
    return result.toTensor();
  }

  void DescribeFromMetadata(const std::string& io_text) {
    nlohmann::json io;
    try {
      io = nlohmann::json::parse(io_text);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("'" + std::string(kIoExtraFile) +
                               "' in the .pt file is not valid JSON: " + e.what());
    }
    const nlohmann::json& in = io.at("input");
    std::vector<int64_t> in_shape = ShapeFromJson(in, "input");
    std::vector<int64_t> out_shape = ShapeFromJson(io.at("output"), "output");
    in_shape.at(0) = batch_;
    out_shape.at(0) = batch_;
    input_info_ =
        dli::sdk::MakeTensorInfo(in.value("name", "input"), DLI_DTYPE_F32,
                                 LayoutFromText(in.value("layout", ""), in_shape), in_shape);
    output_info_ = dli::sdk::MakeTensorInfo(io["output"].value("name", "output"), DLI_DTYPE_F32,
                                            DLI_LAYOUT_OTHER, out_shape);
  }

  // A TorchScript file from elsewhere: the shape comes from `input_shape`,
  // the output shape from one forward pass on zeros.
  void DescribeFromParams(const Spec& spec) {
    const std::string dims_text = spec.Param("input_shape");
    if (dims_text.empty())
      throw std::runtime_error("'" + spec.model_path + "' carries no input shape (extra file '" +
                               kIoExtraFile +
                               "', written by `dli models prepare`); pass --param "
                               "input_shape=CxHxW, e.g. 3x224x224");
    std::vector<int64_t> in_shape = dli::sdk::ParseDims("input_shape", dims_text);
    in_shape.insert(in_shape.begin(), batch_);
    std::vector<torch::jit::IValue> args{torch::zeros(in_shape)};
    torch::Tensor probe;
    try {
      probe = RunForward(args);
    } catch (const std::exception& e) {
      throw std::runtime_error("the model rejects an input of shape " + dims_text +
                               " (parameter input_shape): " + e.what());
    }
    input_info_ = dli::sdk::MakeTensorInfo("input", DLI_DTYPE_F32,
                                           dli::sdk::GuessImageLayout(in_shape), in_shape);
    output_info_ =
        dli::sdk::MakeTensorInfo("output", DLI_DTYPE_F32, DLI_LAYOUT_OTHER, probe.sizes().vec());
  }

  const int batch_;
  torch::jit::Module module_;
  dli_tensor_info input_info_{};
  dli_tensor_info output_info_{};
  std::vector<torch::Tensor> inputs_;
  std::vector<torch::jit::IValue> forward_args_;
  torch::Tensor output_;
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
         "CxHxW input shape for a .pt file without DLI metadata, e.g. "
         "3x224x224",
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
