// OpenVINO backend: reads an OpenVINO IR or ONNX model, reshapes it to the
// requested batch, compiles it for one device and runs it with one
// synchronous ov::InferRequest, as the paper's latency mode does. In
// throughput mode it keeps N asynchronous infer requests of one compiled
// model in flight (start_async and completion callbacks), compiled with the
// THROUGHPUT hint and N as its request count, as benchmark_app -hint
// throughput -nireq N does.
//
// Every input of every ring-buffer batch is wrapped once as an ov::Tensor
// over the core's memory (set_inputs); bind() only swaps the request's input
// tensors, so the timed infer() copies nothing on our side.
#include <dlfcn.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <openvino/op/parameter.hpp>
#include <openvino/op/relu.hpp>
#include <openvino/openvino.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dli/backend_checks.h"
#include "dli/backend_sdk.h"
#include "openvino_messages.h"

namespace dli::openvino_backend {
namespace {

using sdk::Spec;

constexpr const char* kFormats = "OpenVINO IR (.xml + .bin) or ONNX (.onnx)";
constexpr const char* kPrecisions = "FP32,FP16,INT8";

// Runs an OpenVINO call and rethrows its exception as a one-line message
// saying which step failed.
template <typename Call>
auto Ov(const std::string& step, Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const ov::Exception& e) {
    throw std::runtime_error("openvino: " + step + ": " + CleanOpenVinoMessage(e.what()));
  }
}

// One Core per process: it owns the loaded device plugins, which are costly
// to load again for every session.
ov::Core& SharedCore() {
  static ov::Core core;
  return core;
}

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string joined;
  for (const std::string& item : items) joined += (joined.empty() ? "" : separator) + item;
  return joined;
}

const std::string& AvailableDevices() {
  static const std::string devices =
      Ov("listing devices", [] { return Join(SharedCore().get_available_devices(), ","); });
  return devices;
}

// The TBB library OpenVINO actually uses. libopenvino finds the wheel's own
// libtbb.so.12 through its $ORIGIN rpath, unless the process already holds a
// libtbb.so.12 (Debian's OpenCV links one): then the dynamic loader reuses
// that one, whatever its version.
std::string TbbInUse() {
  void* tbb = dlopen("libtbb.so.12", RTLD_LAZY | RTLD_NOLOAD);
  if (tbb == nullptr) return "not loaded";
  std::string text = "unknown version";
  using VersionFn = const char* (*)();
  if (auto version = reinterpret_cast<VersionFn>(dlsym(tbb, "TBB_runtime_version"))) {
    text = version();
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(version), &info) && info.dli_fname)
      text += std::string(" from ") + info.dli_fname;
  }
  dlclose(tbb);
  return text;
}

// What the THROUGHPUT hint chooses on the CPU here, read from a one-layer
// model compiled with it (the CPU plugin sizes streams from the cores, so
// MobileNetV2 gets the same); "" when it cannot be compiled.
std::string CpuThroughputDefaults() {
  try {
    auto input = std::make_shared<ov::op::v0::Parameter>(ov::element::f32, ov::Shape{1, 3, 8, 8});
    auto relu = std::make_shared<ov::op::v0::Relu>(input);
    auto model = std::make_shared<ov::Model>(ov::OutputVector{relu}, ov::ParameterVector{input});
    const ov::CompiledModel compiled = SharedCore().compile_model(
        model, "CPU", ov::hint::performance_mode(ov::hint::PerformanceMode::THROUGHPUT));
    return "THROUGHPUT hint on CPU here: " +
           std::to_string(compiled.get_property(ov::num_streams).num) +
           " streams, OPTIMAL_NUMBER_OF_INFER_REQUESTS " +
           std::to_string(compiled.get_property(ov::optimal_number_of_infer_requests)) +
           " (throughput mode's --requests)";
  } catch (const std::exception&) {
    return "";
  }
}

// The DLI dtype of a port's element type. A bf16 output (there is no DLI
// bf16) is described as f32, which is what read_output widens it to.
dli_dtype ToDliType(const ov::element::Type& type, const std::string& what, bool is_output) {
  if (type == ov::element::f32) return DLI_DTYPE_F32;
  if (type == ov::element::f16) return DLI_DTYPE_F16;
  if (type == ov::element::i32) return DLI_DTYPE_I32;
  if (type == ov::element::i64) return DLI_DTYPE_I64;
  if (type == ov::element::i8) return DLI_DTYPE_I8;
  if (type == ov::element::u8) return DLI_DTYPE_U8;
  if (type == ov::element::boolean) return DLI_DTYPE_BOOL;
  if (is_output && type == ov::element::bf16) return DLI_DTYPE_F32;
  throw std::runtime_error("openvino: " + what + " has element type " + type.get_type_name() +
                           "; DLI handles f32, f16, i32, i64, i8, u8 and boolean");
}

std::string PortName(const ov::Output<const ov::Node>& port) {
  return port.get_names().empty() ? "" : port.get_any_name();
}

dli_tensor_info DescribePort(const ov::Output<const ov::Node>& port, bool is_output) {
  const std::string what = (is_output ? "output '" : "input '") + PortName(port) + "'";
  const dli_dtype dtype = ToDliType(port.get_element_type(), what, is_output);
  if (port.get_partial_shape().is_dynamic())
    throw std::runtime_error("openvino: " + what + " has shape " +
                             port.get_partial_shape().to_string() +
                             " after reshaping the inputs; DLI needs outputs of a known size");
  const ov::Shape& dims = port.get_shape();
  const std::vector<int64_t> shape(dims.begin(), dims.end());
  // A layout stored in the IR wins over guessing from the channel count.
  const ov::Layout layout = ov::layout::get_layout(port);
  dli_layout dli = sdk::GuessImageLayout(shape);
  if (layout == ov::Layout("NCHW")) dli = DLI_LAYOUT_NCHW;
  if (layout == ov::Layout("NHWC")) dli = DLI_LAYOUT_NHWC;
  return sdk::MakeTensorInfo(PortName(port), dtype, dli, shape);
}

// The model file and its weights, checked before OpenVINO sees them: its
// readers print pages of noise for a file in an unknown format.
struct ModelFiles {
  std::string model;
  std::string weights;  // empty for ONNX
};

ModelFiles CheckModelFiles(const Spec& spec) {
  sdk::RequirePath(spec.model_path, sdk::PathKind::kFile, kFormats);
  const std::string extension = sdk::LowerExtension(spec.model_path);
  if (extension == ".onnx") return {spec.model_path, ""};
  if (extension == ".xml")
    return {spec.model_path,
            sdk::RequireWeightsFile(spec, ".bin", "an OpenVINO IR .xml needs its .bin")};
  throw std::runtime_error("openvino: cannot read '" + spec.model_path + "': expected " + kFormats);
}

// Compile-time properties from the test point's parameters and precision.
ov::AnyMap CompileConfig(const Spec& spec) {
  ov::AnyMap config;
  const int threads = spec.IntParam("threads", 0);
  if (threads > 0) config.insert(ov::inference_num_threads(threads));

  // A "string" parameter: the table's types cannot say "an integer or AUTO".
  const std::string streams = spec.Param("streams");
  if (streams == "AUTO") {
    config.insert(ov::num_streams(ov::streams::AUTO));
  } else if (!streams.empty()) {
    const std::optional<int> n = param_check::ParseInt(streams);
    if (!n || *n < 1)
      throw std::runtime_error("parameter streams=" + streams +
                               ": expected an integer >= 1 or AUTO");
    config.insert(ov::num_streams(ov::streams::Num(*n)));
  }

  const std::string hint = spec.Param("hint", spec.requests > 0 ? "THROUGHPUT" : "LATENCY");
  if (hint == "LATENCY")
    config.insert(ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY));
  else if (hint == "THROUGHPUT")
    config.insert(ov::hint::performance_mode(ov::hint::PerformanceMode::THROUGHPUT));
  // benchmark_app passes -nireq the same way; the hint then sizes the
  // streams for that many requests.
  if (spec.requests > 0 && hint != "NONE")
    config.insert(ov::hint::num_requests(static_cast<uint32_t>(spec.requests)));

  if (!spec.Param("pinning").empty())
    config.insert(ov::hint::enable_cpu_pinning(spec.BoolParam("pinning", false)));

  // The CPU plugin runs f32 models in bf16 where the CPU has bf16 support
  // (this machine's AMD EPYC does), and GPUs default to f16. FP32 in a DLI
  // test means f32 arithmetic unless the user asks otherwise; FP16 and INT8
  // models keep the device's own choice, which is how those files are meant
  // to run.
  std::string infer_precision = spec.Param("infer_precision");
  if (infer_precision.empty() && spec.precision == "FP32") infer_precision = "f32";
  if (!infer_precision.empty())
    config.insert(ov::hint::inference_precision(ov::element::Type(infer_precision)));
  return config;
}

// The model with every input reshaped to the shape the test point runs:
// the batch dimension set to spec.batch, other open ones from spec.shapes.
std::shared_ptr<ov::Model> ReadAndReshape(const ModelFiles& files, const Spec& spec) {
  std::shared_ptr<ov::Model> model = Ov("cannot read '" + files.model + "'", [&] {
    return SharedCore().read_model(files.model, files.weights);
  });
  std::map<ov::Output<ov::Node>, ov::PartialShape> shapes;
  for (const ov::Output<ov::Node>& input : model->inputs()) {
    const std::string name = input.get_names().empty() ? "" : input.get_any_name();
    const ov::PartialShape& file_shape = input.get_partial_shape();
    if (file_shape.rank().is_dynamic() || file_shape.rank().get_length() < 1)
      throw std::runtime_error("openvino: input '" + name + "' has shape " +
                               file_shape.to_string() + ", which has no batch dimension");
    std::vector<int64_t> dims;
    for (const ov::Dimension& dim : file_shape)
      dims.push_back(dim.is_static() ? dim.get_length() : -1);
    const std::vector<int64_t> resolved = sdk::ResolveShape(spec, name, dims);
    shapes[input] = ov::PartialShape(std::vector<ov::Dimension>(resolved.begin(), resolved.end()));
  }
  Ov("cannot reshape the model to batch " + std::to_string(spec.batch),
     [&] { model->reshape(shapes); });
  return model;
}

class OpenVinoSession : public sdk::Session {
 public:
  OpenVinoSession(const Spec& spec, const ModelFiles& files, const ov::AnyMap& config) {
    const std::shared_ptr<ov::Model> model = ReadAndReshape(files, spec);
    compiled_ = Ov("cannot compile the model for " + spec.device,
                   [&] { return SharedCore().compile_model(model, spec.device, config); });
    request_ =
        Ov("cannot create an infer request", [&] { return compiled_.create_infer_request(); });
    for (const ov::Output<const ov::Node>& input : compiled_.inputs())
      inputs_info_.push_back(DescribePort(input, false));
    for (const ov::Output<const ov::Node>& output : compiled_.outputs())
      outputs_info_.push_back(DescribePort(output, true));
    if (spec.requests > 0) ReportOptimalRequests(spec.requests);
  }

  ~OpenVinoSession() override {
    for (ov::InferRequest& r : requests_) {
      try {
        r.wait();
      } catch (...) {
      }
    }
  }

  std::vector<dli_tensor_info> Inputs() override { return inputs_info_; }
  std::vector<dli_tensor_info> Outputs() override { return outputs_info_; }

  void SetInputs(const void* const* batches, size_t n_batches) override {
    const std::vector<ov::Output<const ov::Node>> inputs = compiled_.inputs();
    batches_.clear();
    for (size_t i = 0; i < n_batches * inputs.size(); ++i) {
      // The tensor borrows the core's memory, which outlives the session;
      // OpenVINO only reads inputs.
      const ov::Output<const ov::Node>& input = inputs[i % inputs.size()];
      batches_.emplace_back(input.get_element_type(), input.get_shape(),
                            const_cast<void*>(batches[i]));
    }
  }

  void Bind(size_t index) override { BindTo(request_, index); }

  void Infer() override {
    Ov("inference failed", [&] { request_.infer(); });
  }

  // Throughput mode: `n` requests of the compiled model; each completion
  // callback queues its slot for WaitRequest.
  void OpenRequests(size_t n) override {
    requests_.clear();
    for (size_t slot = 0; slot < n; ++slot) {
      requests_.push_back(
          Ov("cannot create an infer request", [&] { return compiled_.create_infer_request(); }));
      requests_.back().set_callback([this, slot](std::exception_ptr failure) {
        std::string error;
        if (failure) {
          try {
            std::rethrow_exception(failure);
          } catch (const std::exception& e) {
            error = "openvino: inference failed: " + CleanOpenVinoMessage(e.what());
          } catch (...) {
            error = "openvino: inference failed";
          }
        }
        std::lock_guard<std::mutex> lock(mutex_);
        done_.emplace_back(slot, std::move(error));
        finished_.notify_one();
      });
    }
  }

  void BindRequest(size_t slot, size_t index) override { BindTo(requests_[slot], index); }

  void StartRequest(size_t slot) override {
    Ov("cannot start a request", [&] { requests_[slot].start_async(); });
  }

  size_t WaitRequest() override {
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return !done_.empty(); });
    auto [slot, error] = std::move(done_.front());
    done_.pop_front();
    if (!error.empty()) throw sdk::RequestFailed(slot, error);
    return slot;
  }

  void ReadOutput(size_t index, float* dst, size_t n_values) override {
    const ov::Tensor output =
        Ov("cannot get the output", [&] { return request_.get_output_tensor(index); });
    if (output.get_size() != n_values)
      throw std::runtime_error("output '" + std::string(outputs_info_[index].name) + "' has " +
                               std::to_string(output.get_size()) + " values; caller expected " +
                               std::to_string(n_values));
    if (output.get_element_type() == ov::element::bf16) {
      const ov::bfloat16* values = output.data<const ov::bfloat16>();
      for (size_t i = 0; i < n_values; ++i) dst[i] = static_cast<float>(values[i]);
    } else {
      sdk::CopyAsFloat(output.data(), outputs_info_[index].dtype, n_values, dst);
    }
  }

 private:
  // Makes every input of ring-buffer batch `index` the input of `request`.
  void BindTo(ov::InferRequest& request, size_t index) {
    const size_t n_inputs = inputs_info_.size();
    Ov("cannot bind the input", [&] {
      for (size_t i = 0; i < n_inputs; ++i)
        request.set_input_tensor(i, batches_[index * n_inputs + i]);
    });
  }

  // A request count other than the compiled model's own optimum is the
  // user's choice, but worth a line: it is what `requests` could be set to.
  void ReportOptimalRequests(int requests) const {
    try {
      const uint32_t optimal = compiled_.get_property(ov::optimal_number_of_infer_requests);
      const int streams = compiled_.get_property(ov::num_streams).num;
      if (optimal != static_cast<uint32_t>(requests))
        std::fprintf(stderr,
                     "openvino: %d requests on %d streams; the compiled model's "
                     "OPTIMAL_NUMBER_OF_INFER_REQUESTS is %u\n",
                     requests, streams, optimal);
    } catch (const ov::Exception&) {
    }
  }

  ov::CompiledModel compiled_;
  ov::InferRequest request_;
  std::vector<ov::InferRequest> requests_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::deque<std::pair<size_t, std::string>> done_;
  std::vector<dli_tensor_info> inputs_info_, outputs_info_;
  std::vector<ov::Tensor> batches_;  // input i of batch b at b * n_inputs + i
};

struct OpenVinoBackend {
  static constexpr const char* kName = "openvino";
  static constexpr const char* kDisplayName = "OpenVINO";
  static constexpr const char* kModelFormats = kFormats;
  static constexpr unsigned kRequestCalls = sdk::kAsyncRequests;
  static constexpr size_t kMaxRequests = 0;

  static void Probe() {
    if (AvailableDevices().empty())
      throw std::runtime_error("openvino: no inference device available");
  }

  static const char* Version() {
    static const std::string version = ov::get_openvino_version().buildNumber;
    return version.c_str();
  }

  static const char* Devices() noexcept {
    try {
      return AvailableDevices().c_str();
    } catch (...) {
      return "";
    }
  }

  static const char* Precisions() { return kPrecisions; }

  static const char* Notes() noexcept {
    static const std::string notes = [] {
      std::string text =
          "FP32 models run with INFERENCE_PRECISION_HINT=f32 unless "
          "infer_precision says otherwise; FP16/INT8 keep the device default";
      try {
        text += " (CPU default here: " +
                SharedCore().get_property("CPU", ov::hint::inference_precision).get_type_name() +
                ")";
      } catch (...) {
      }
      text += "; TBB " + TbbInUse();
      const std::string throughput = CpuThroughputDefaults();
      return throughput.empty() ? text : text + "; " + throughput;
    }();
    return notes.c_str();
  }

  static const dli_param_info* Params(size_t* n) {
    static const dli_param_info params[] = {
        {"threads", "int", "", nullptr,
         "inference threads (INFERENCE_NUM_THREADS); default: OpenVINO's", "1", nullptr},
        {"streams", "string", "", nullptr,
         "execution streams (NUM_STREAMS): an integer >= 1 or AUTO; default: "
         "set by the hint",
         nullptr, nullptr},
        {"hint", "choice", "", "LATENCY|THROUGHPUT|NONE",
         "PERFORMANCE_HINT; NONE leaves it to the device; default: LATENCY in latency mode, "
         "THROUGHPUT in throughput mode",
         nullptr, nullptr},
        {"pinning", "bool", "", nullptr,
         "pin inference threads to cores (ENABLE_CPU_PINNING); default: "
         "OpenVINO's",
         nullptr, nullptr},
        {"infer_precision", "choice", "", "f32|bf16|f16",
         "arithmetic precision (INFERENCE_PRECISION_HINT); default: f32 for "
         "FP32 models, the device's choice for FP16 and INT8",
         nullptr, nullptr},
    };
    *n = sizeof(params) / sizeof(params[0]);
    return params;
  }

  static std::unique_ptr<sdk::Session> Open(const Spec& spec) {
    const ModelFiles files = CheckModelFiles(spec);
    const ov::AnyMap config = CompileConfig(spec);
    return std::make_unique<OpenVinoSession>(spec, files, config);
  }
};

}  // namespace
}  // namespace dli::openvino_backend

DLI_DEFINE_BACKEND(dli::openvino_backend::OpenVinoBackend)
