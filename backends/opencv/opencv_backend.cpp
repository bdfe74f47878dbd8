// OpenCV DNN backend (Debian's OpenCV 4.6): reads ONNX and Caffe models.
// There is no Caffe framework on Debian 12 or PyPI, so OpenCV's Caffe
// importer is how DLI runs Caffe models at all.
//
// bind() hands each input of the next ring-buffer batch to Net::setInput,
// which copies it into the network's input blob (untimed); infer() is
// Net::forward of every output only.
//
// OpenCV DNN computes in float32 and its input blobs are float32 in
// practice, so inputs of other dtypes (int64 token ids, say) are converted to
// float32 once, in set_inputs (untimed); an integer that float32 cannot hold
// exactly (beyond 2^24) fails set_inputs rather than run on a rounded value.
// Outputs come back as float32 whatever the model file declares.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
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

// A network as read from disk, with its inputs in the net's order (names,
// dtypes and the shapes the file declares, -1 where it leaves a dimension
// free) and the names of its outputs in the model's order.
struct LoadedNet {
  struct Input {
    std::string name;
    dli_dtype dtype = DLI_DTYPE_F32;
    std::vector<int64_t> dims;
  };
  cv::dnn::Net net;
  std::vector<Input> inputs;
  std::vector<std::string> outputs;
};

dli_dtype OnnxDtype(int elem_type, const std::string& input) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT:
      return DLI_DTYPE_F32;
    case onnx::TensorProto::FLOAT16:
      return DLI_DTYPE_F16;
    case onnx::TensorProto::INT32:
      return DLI_DTYPE_I32;
    case onnx::TensorProto::INT64:
      return DLI_DTYPE_I64;
    case onnx::TensorProto::INT8:
      return DLI_DTYPE_I8;
    case onnx::TensorProto::UINT8:
      return DLI_DTYPE_U8;
    case onnx::TensorProto::BOOL:
      return DLI_DTYPE_BOOL;
  }
  throw std::runtime_error("opencv: input '" + input + "' has ONNX element type " +
                           std::to_string(elem_type) +
                           "; DLI handles float32, float16, int32, int64, int8, uint8 and bool");
}

// OpenCV 4.6 keeps no input shape for an ONNX model whose batch is dynamic,
// so the graph's inputs and outputs are read from the file with the ONNX
// library.
LoadedNet ReadOnnx(const std::string& path) {
  onnx::ModelProto model;
  std::ifstream file(path, std::ios::binary);
  if (!model.ParseFromIstream(&file))
    throw std::runtime_error("opencv: cannot read '" + path +
                             "': not an ONNX model (protobuf parse failed)");
  std::set<std::string> initializers;
  for (const onnx::TensorProto& tensor : model.graph().initializer())
    initializers.insert(tensor.name());
  LoadedNet loaded;
  for (const onnx::ValueInfoProto& input : model.graph().input()) {
    if (initializers.count(input.name())) continue;
    const onnx::TypeProto_Tensor& tensor = input.type().tensor_type();
    LoadedNet::Input described{input.name(), OnnxDtype(tensor.elem_type(), input.name()), {}};
    for (const onnx::TensorShapeProto_Dimension& dim : tensor.shape().dim())
      described.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    loaded.inputs.push_back(std::move(described));
  }
  for (const onnx::ValueInfoProto& output : model.graph().output())
    loaded.outputs.push_back(output.name());
  loaded.net = Cv("cannot read '" + path + "'", [&] { return cv::dnn::readNetFromONNX(path); });
  // forward() fetches outputs by layer name.
  for (const std::string& output : loaded.outputs)
    if (loaded.net.getLayerId(output) < 0)
      throw std::runtime_error("opencv: output '" + output + "' of '" + path +
                               "' has no layer of that name in OpenCV's network, so OpenCV DNN "
                               "cannot fetch it");
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
  // OpenCV does not say what a Caffe input is called; "" sets the only one.
  loaded.inputs.push_back({"", DLI_DTYPE_F32, {declared[0].begin(), declared[0].end()}});
  loaded.outputs = loaded.net.getUnconnectedOutLayersNames();
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

// A float32 blob with the values of an input of another dtype. Integers
// must survive the conversion exactly.
cv::Mat ToFloatBlob(const void* values, const dli_tensor_info& input) {
  const std::vector<int> sizes(input.shape, input.shape + input.rank);
  cv::Mat blob(input.rank, sizes.data(), CV_32F);
  const size_t n = sdk::ElementCount(input);
  float* converted = blob.ptr<float>();
  sdk::CopyAsFloat(values, input.dtype, n, converted);
  if (input.dtype != DLI_DTYPE_I64 && input.dtype != DLI_DTYPE_I32) return blob;  // all exact
  for (size_t i = 0; i < n; ++i) {
    const int64_t value = input.dtype == DLI_DTYPE_I64 ? static_cast<const int64_t*>(values)[i]
                                                       : static_cast<const int32_t*>(values)[i];
    if (std::fabs(converted[i]) > 16777216.0f || static_cast<int64_t>(converted[i]) != value)
      throw std::runtime_error("opencv: input '" + std::string(input.name) + "' holds " +
                               std::to_string(value) +
                               ", which float32 cannot hold exactly; OpenCV DNN computes in "
                               "float32 (integers up to 2^24)");
  }
  return blob;
}

class OpenCvSession : public sdk::Session {
 public:
  OpenCvSession(const Spec& spec, LoadedNet loaded, cv::dnn::Backend backend,
                cv::dnn::Target target)
      : net_(std::move(loaded.net)), output_names_(std::move(loaded.outputs)) {
    std::vector<cv::dnn::MatShape> input_shapes;
    for (const LoadedNet::Input& input : loaded.inputs) {
      if (input.dims.empty())
        throw std::runtime_error("opencv: input '" + input.name + "' has no dimensions");
      const std::vector<int64_t> shape = sdk::ResolveShape(spec, input.name, input.dims);
      for (size_t i = 1; i < shape.size(); ++i)
        if (shape[i] < 1)
          throw std::runtime_error("opencv: input '" + input.name + "' has dimension " +
                                   std::to_string(i) + " of size " + std::to_string(shape[i]));
      inputs_info_.push_back(sdk::MakeTensorInfo(
          input.name, input.dtype, shape.size() == 4 ? DLI_LAYOUT_NCHW : DLI_LAYOUT_OTHER, shape));
      input_shapes.emplace_back(shape.begin(), shape.end());
    }
    Cv("cannot select the backend and target", [&] {
      net_.setPreferableBackend(backend);
      net_.setPreferableTarget(target);
    });

    // Shape inference only: the first forward() allocates the network's
    // buffers, and the core measures that as the first inference.
    for (const std::string& output : output_names_) {
      std::vector<cv::dnn::MatShape> unused, output_shapes;
      Cv("cannot infer the shape of output '" + output + "'", [&] {
        net_.getLayerShapes(input_shapes, net_.getLayerId(output), unused, output_shapes);
      });
      outputs_info_.push_back(sdk::MakeTensorInfo(
          output, DLI_DTYPE_F32, DLI_LAYOUT_OTHER,
          std::vector<int64_t>(output_shapes.at(0).begin(), output_shapes.at(0).end())));
    }
  }

  std::vector<dli_tensor_info> Inputs() override { return inputs_info_; }
  std::vector<dli_tensor_info> Outputs() override { return outputs_info_; }

  void SetInputs(const void* const* batches, size_t n_batches) override {
    const size_t n_inputs = inputs_info_.size();
    blobs_.clear();
    for (size_t i = 0; i < n_batches * n_inputs; ++i) {
      const dli_tensor_info& input = inputs_info_[i % n_inputs];
      const std::vector<int> sizes(input.shape, input.shape + input.rank);
      // A float32 batch is wrapped in a header over the core's memory, which
      // setInput only reads.
      blobs_.push_back(input.dtype == DLI_DTYPE_F32 ? cv::Mat(input.rank, sizes.data(), CV_32F,
                                                              const_cast<void*>(batches[i]))
                                                    : ToFloatBlob(batches[i], input));
    }
  }

  void Bind(size_t index) override {
    const size_t n_inputs = inputs_info_.size();
    Cv("cannot set the input", [&] {
      for (size_t i = 0; i < n_inputs; ++i)
        net_.setInput(blobs_[index * n_inputs + i], inputs_info_[i].name);
    });
  }

  // This overload of forward() hands back headers over the network's own
  // output blobs (measured on 4.6: the same memory on every call); the one
  // taking std::vector<cv::Mat> would copy every output inside the timer.
  void Infer() override {
    Cv("inference failed", [&] { net_.forward(outputs_, output_names_); });
  }

  void ReadOutput(size_t index, float* dst, size_t n_values) override {
    const cv::Mat& output = outputs_.at(index).at(0);
    if (output.total() != n_values)
      throw std::runtime_error("output '" + output_names_[index] + "' has " +
                               std::to_string(output.total()) + " values; caller expected " +
                               std::to_string(n_values));
    if (!output.isContinuous() || (output.type() != CV_32F && output.type() != CV_16S))
      throw std::runtime_error("opencv: output '" + output_names_[index] +
                               "' is not a dense float32 blob");
    // The OPENCL_FP16 target keeps its blobs as IEEE halves in CV_16S Mats.
    sdk::CopyAsFloat(output.data, output.type() == CV_32F ? DLI_DTYPE_F32 : DLI_DTYPE_F16, n_values,
                     dst);
  }

 private:
  cv::dnn::Net net_;
  std::vector<std::string> output_names_;  // the model's order
  std::vector<dli_tensor_info> inputs_info_, outputs_info_;
  std::vector<cv::Mat> blobs_;                 // input i of batch b at b * n_inputs + i
  std::vector<std::vector<cv::Mat>> outputs_;  // [output][0], as forward() fills it
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
