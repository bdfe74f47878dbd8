// OpenCV DNN backend (Debian's OpenCV 4.6): reads ONNX and Caffe models.
// There is no Caffe framework on Debian 12 or PyPI, so OpenCV's Caffe
// importer is how DLI runs Caffe models at all.
//
// bind() hands the next ring-buffer batch to Net::setInput, which copies it
// into the network's input blob (untimed); infer() is Net::forward only.
#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dli/backend_checks.h"
#include "dli/backend_sdk.h"

namespace dli::opencv_backend {
namespace {

using sdk::Spec;

constexpr const char* kFormats = "ONNX (.onnx) or Caffe (.prototxt + .caffemodel)";

// Runs an OpenCV call and rethrows its exception as a one-line message
// saying which step failed. cv::Exception::err is the message without
// OpenCV's source location.
template <typename Call>
auto Cv(const std::string& step, Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const cv::Exception& e) {
    throw std::runtime_error("opencv: " + step + ": " + sdk::OneLine(e.err));
  }
}

struct NamedBackend {
  const char* name;
  cv::dnn::Backend id;
};

// The computation backends OpenCV 4.6 can be built with. DNN_BACKEND_DEFAULT
// is left out: it is only an alias of one of these.
constexpr NamedBackend kBackendNames[] = {
    {"OPENCV", cv::dnn::DNN_BACKEND_OPENCV},
    {"INFERENCE_ENGINE", cv::dnn::DNN_BACKEND_INFERENCE_ENGINE},
    {"HALIDE", cv::dnn::DNN_BACKEND_HALIDE},
    {"VKCOM", cv::dnn::DNN_BACKEND_VKCOM},
    {"CUDA", cv::dnn::DNN_BACKEND_CUDA},
    {"WEBNN", cv::dnn::DNN_BACKEND_WEBNN},
    {"TIMVX", cv::dnn::DNN_BACKEND_TIMVX},
};

// Names of the backends this OpenCV build has, e.g. "OPENCV" for Debian's.
const std::string& AvailableBackendChoices() {
  static const std::string choices = [] {
    std::set<int> available;
    for (const auto& [backend, target] : cv::dnn::getAvailableBackends()) available.insert(backend);
    std::string text;
    for (const NamedBackend& backend : kBackendNames)
      if (available.count(backend.id))
        text += (text.empty() ? "" : "|") + std::string(backend.name);
    return text;
  }();
  return choices;
}

cv::dnn::Backend BackendByName(const std::string& name) {
  for (const NamedBackend& backend : kBackendNames)
    if (name == backend.name) return backend.id;
  throw std::logic_error("backend " + name + " passed CheckParams");
}

bool HasTarget(cv::dnn::Backend backend, cv::dnn::Target target) {
  for (cv::dnn::Target available : cv::dnn::getAvailableTargets(backend))
    if (available == target) return true;
  return false;
}

// DLI device "CPU" is DNN_TARGET_CPU; "OPENCL" (where an OpenCL runtime is
// installed) is DNN_TARGET_OPENCL, or DNN_TARGET_OPENCL_FP16 for FP16.
cv::dnn::Target TargetFor(const std::string& device, const std::string& precision) {
  if (device == "CPU") return cv::dnn::DNN_TARGET_CPU;
  return precision == "FP16" ? cv::dnn::DNN_TARGET_OPENCL_FP16 : cv::dnn::DNN_TARGET_OPENCL;
}

// The "Parallel framework:" entry of OpenCV's build information, e.g.
// "TBB (ver 2021.8 interface 12080)": what runs DNN layers in parallel.
std::string ParallelFramework() {
  const std::string info = cv::getBuildInformation();
  const std::string key = "Parallel framework:";
  const size_t at = info.find(key);
  if (at == std::string::npos) return "an unnamed parallel framework";
  const size_t begin = info.find_first_not_of(' ', at + key.size());
  return info.substr(begin, info.find('\n', begin) - begin);
}

// A network as read from disk, with the input shape its file declares
// (batch dimension -1 when the file leaves it free).
struct LoadedNet {
  cv::dnn::Net net;
  std::string input_name;
  std::vector<int64_t> input_shape;
};

// OpenCV 4.6 keeps no input shape for an ONNX model whose batch is dynamic,
// so the graph's input is read from the file with the ONNX library.
LoadedNet ReadOnnx(const std::string& path) {
  onnx::ModelProto model;
  std::ifstream file(path, std::ios::binary);
  if (!model.ParseFromIstream(&file))
    throw std::runtime_error("opencv: cannot read '" + path +
                             "': not an ONNX model (protobuf parse failed)");
  std::set<std::string> initializers;
  for (const onnx::TensorProto& tensor : model.graph().initializer())
    initializers.insert(tensor.name());
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const onnx::ValueInfoProto& input : model.graph().input())
    if (!initializers.count(input.name())) inputs.push_back(&input);
  if (inputs.size() != 1)
    throw std::runtime_error("opencv: '" + path + "' has " + std::to_string(inputs.size()) +
                             " inputs; DLI runs models with one input");
  const onnx::TypeProto_Tensor& tensor = inputs[0]->type().tensor_type();
  if (tensor.elem_type() != onnx::TensorProto::FLOAT)
    throw std::runtime_error("opencv: input '" + inputs[0]->name() +
                             "' is not float32; OpenCV DNN takes float32 inputs");
  LoadedNet loaded;
  loaded.input_name = inputs[0]->name();
  for (const onnx::TensorShapeProto_Dimension& dim : tensor.shape().dim())
    loaded.input_shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  loaded.net = Cv("cannot read '" + path + "'", [&] { return cv::dnn::readNetFromONNX(path); });
  return loaded;
}

// A Caffe deploy prototxt declares its input shape, which OpenCV keeps.
LoadedNet ReadCaffe(const std::string& prototxt, const std::string& caffemodel) {
  LoadedNet loaded;
  loaded.net = Cv("cannot read '" + prototxt + "' with '" + caffemodel + "'",
                  [&] { return cv::dnn::readNetFromCaffe(prototxt, caffemodel); });
  std::vector<cv::dnn::MatShape> declared, unused;
  Cv("cannot get the input shape of '" + prototxt + "'",
     [&] { loaded.net.getLayerShapes(cv::dnn::MatShape(), 0, unused, declared); });
  if (declared.size() != 1 || declared[0].empty())
    throw std::runtime_error("opencv: '" + prototxt +
                             "' declares no single input shape (input_shape "
                             "or an Input layer)");
  loaded.input_shape.assign(declared[0].begin(), declared[0].end());
  return loaded;
}

// The model file and, for Caffe, its weights.
struct ModelFiles {
  std::string model;
  std::string caffe_weights;  // empty for ONNX
};

// Checks the files before OpenCV sees them: its readers fail with parser
// internals for a file in an unexpected format.
ModelFiles CheckModelFiles(const Spec& spec) {
  sdk::RequirePath(spec.model_path, sdk::PathKind::kFile, kFormats);
  const std::string extension = sdk::LowerExtension(spec.model_path);
  if (extension == ".onnx") return {spec.model_path, ""};
  if (extension == ".prototxt")
    return {spec.model_path, sdk::RequireWeightsFile(spec, ".caffemodel",
                                                     "a Caffe .prototxt needs its .caffemodel")};
  if (extension == ".caffemodel")
    throw std::runtime_error("opencv: '" + spec.model_path +
                             "' holds Caffe weights; pass the network's "
                             ".prototxt as the model (its .caffemodel is found "
                             "next to it)");
  throw std::runtime_error("opencv: cannot read '" + spec.model_path + "': expected " + kFormats);
}

class OpenCvSession : public sdk::Session {
 public:
  OpenCvSession(const Spec& spec, LoadedNet loaded, cv::dnn::Backend backend,
                cv::dnn::Target target)
      : net_(std::move(loaded.net)) {
    std::vector<int64_t> shape = loaded.input_shape;
    if (shape.empty()) throw std::runtime_error("opencv: the model's input has no dimensions");
    shape[0] = spec.batch;
    for (int64_t dim : shape)
      if (dim < 1)
        throw std::runtime_error("opencv: input '" + loaded.input_name +
                                 "' has dynamic dimensions besides the batch; "
                                 "DLI needs a model with a fixed input size");
    Cv("cannot select the backend and target", [&] {
      net_.setPreferableBackend(backend);
      net_.setPreferableTarget(target);
    });

    const std::vector<std::string> outputs = net_.getUnconnectedOutLayersNames();
    if (outputs.size() != 1)
      throw std::runtime_error("opencv: the model has " + std::to_string(outputs.size()) +
                               " outputs; DLI runs models with one output");
    output_name_ = outputs[0];
    // Shape inference only: the first forward() allocates the network's
    // buffers, and the core measures that as the first inference.
    const cv::dnn::MatShape input_shape(shape.begin(), shape.end());
    std::vector<cv::dnn::MatShape> unused, output_shapes;
    Cv("cannot infer the output shape", [&] {
      net_.getLayerShapes(input_shape, net_.getLayerId(output_name_), unused, output_shapes);
    });
    input_info_ =
        sdk::MakeTensorInfo(loaded.input_name, DLI_DTYPE_F32,
                            shape.size() == 4 ? DLI_LAYOUT_NCHW : DLI_LAYOUT_OTHER, shape);
    output_info_ = sdk::MakeTensorInfo(
        output_name_, DLI_DTYPE_F32, DLI_LAYOUT_OTHER,
        std::vector<int64_t>(output_shapes.at(0).begin(), output_shapes.at(0).end()));
  }

  dli_tensor_info InputInfo() override { return input_info_; }
  dli_tensor_info OutputInfo() override { return output_info_; }

  void SetInputs(const void* const* batches, size_t n_batches, size_t) override {
    const std::vector<int> sizes(input_info_.shape, input_info_.shape + input_info_.rank);
    inputs_.clear();
    for (size_t i = 0; i < n_batches; ++i) {
      // A header over the core's memory; setInput only reads it.
      inputs_.emplace_back(input_info_.rank, sizes.data(), CV_32F, const_cast<void*>(batches[i]));
    }
  }

  void Bind(size_t index) override {
    Cv("cannot set the input", [&] { net_.setInput(inputs_[index]); });
  }

  void Infer() override {
    Cv("inference failed", [&] { net_.forward(output_, output_name_); });
  }

  void ReadOutput(float* dst, size_t n_values) override {
    if (output_.total() != n_values)
      throw std::runtime_error("output has " + std::to_string(output_.total()) +
                               " values; caller expected " + std::to_string(n_values));
    if (output_.type() != CV_32F || !output_.isContinuous())
      throw std::runtime_error("opencv: output is not a dense float32 blob");
    std::memcpy(dst, output_.ptr<float>(), n_values * sizeof(float));
  }

 private:
  cv::dnn::Net net_;
  std::string output_name_;
  dli_tensor_info input_info_{};
  dli_tensor_info output_info_{};
  std::vector<cv::Mat> inputs_;
  cv::Mat output_;
};

struct OpenCvBackend {
  static constexpr const char* kName = "opencv";
  static constexpr const char* kDisplayName = "OpenCV DNN";
  static constexpr const char* kModelFormats = kFormats;

  static void Probe() {
    if (AvailableBackendChoices().empty())
      throw std::runtime_error("opencv: this OpenCV build has no DNN backend");
  }

  static const char* Version() { return CV_VERSION; }

  static const char* Devices() noexcept {
    static const std::string devices =
        HasTarget(cv::dnn::DNN_BACKEND_OPENCV, cv::dnn::DNN_TARGET_OPENCL) ? "CPU,OPENCL" : "CPU";
    return devices.c_str();
  }

  static const char* Precisions() noexcept {
    static const std::string precisions =
        HasTarget(cv::dnn::DNN_BACKEND_OPENCV, cv::dnn::DNN_TARGET_OPENCL_FP16) ? "FP32,FP16"
                                                                                : "FP32";
    return precisions.c_str();
  }

  static const char* Notes() noexcept {
    static const std::string notes =
        "computation backends in this build: " + AvailableBackendChoices() + "; " +
        std::to_string(cv::getNumThreads()) +
        " thread(s) by default; parallel framework as built: " + ParallelFramework() +
        "; FP16 needs the OPENCL device";
    return notes.c_str();
  }

  static const dli_param_info* Params(size_t* n) {
    static const std::string backend_choices = AvailableBackendChoices();
    static const dli_param_info params[] = {
        {"threads", "int", "", nullptr,
         "threads of OpenCV's parallel framework (cv::setNumThreads); default: OpenCV's", "1",
         nullptr},
        {"backend", "choice", "OPENCV", backend_choices.c_str(),
         "DNN computation backend (Net::setPreferableBackend)", nullptr, nullptr},
    };
    *n = sizeof(params) / sizeof(params[0]);
    return params;
  }

  static std::unique_ptr<sdk::Session> Open(const Spec& spec) {
    const ModelFiles files = CheckModelFiles(spec);
    const int threads = spec.IntParam("threads", 0);
    const cv::dnn::Backend backend = BackendByName(spec.Param("backend", "OPENCV"));
    const cv::dnn::Target target = TargetFor(spec.device, spec.precision);
    if (!HasTarget(backend, target))
      throw std::runtime_error("opencv: backend " + spec.Param("backend", "OPENCV") +
                               " cannot run on device " + spec.device);
    LoadedNet loaded = files.caffe_weights.empty() ? ReadOnnx(files.model)
                                                   : ReadCaffe(files.model, files.caffe_weights);
    // A process-wide setting; -1 restores OpenCV's default after a session
    // that changed it.
    cv::setNumThreads(threads > 0 ? threads : -1);
    return std::make_unique<OpenCvSession>(spec, std::move(loaded), backend, target);
  }
};

}  // namespace
}  // namespace dli::opencv_backend

DLI_DEFINE_BACKEND(dli::opencv_backend::OpenCvBackend)
