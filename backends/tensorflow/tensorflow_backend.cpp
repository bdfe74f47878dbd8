// TensorFlow backend: runs a SavedModel through the TensorFlow C API of the
// PyPI tensorflow-cpu wheel (libtensorflow_cc.so.2 exports the TF_* symbols,
// the wheel ships tensorflow/c/c_api.h).
//
// The SavedModel's serving signature names the graph tensors to feed and
// fetch; it is read from the MetaGraphDef that TF_LoadSessionFromSavedModel
// returns (saved_model_proto.h). Each ring-buffer batch is wrapped once in a
// TF_Tensor over the core's memory, so infer() is TF_SessionRun alone.
// Every signature input and output takes part, in the order of their keys.
//
// Throughput mode: TF_SessionRun is thread-safe on one session, so each
// request slot runs it from the core's thread for that slot (infer_request),
// with bound inputs, outputs and a status of its own.
#include <tensorflow/c/c_api.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dli/backend_checks.h"
#include "dli/backend_sdk.h"
#include "saved_model_proto.h"

namespace {

using dli::sdk::Spec;

constexpr const char* kServeTag = "serve";

struct StatusDeleter {
  void operator()(TF_Status* s) const { TF_DeleteStatus(s); }
};
struct GraphDeleter {
  void operator()(TF_Graph* g) const { TF_DeleteGraph(g); }
};
struct BufferDeleter {
  void operator()(TF_Buffer* b) const { TF_DeleteBuffer(b); }
};
struct OptionsDeleter {
  void operator()(TF_SessionOptions* o) const { TF_DeleteSessionOptions(o); }
};
struct TensorDeleter {
  void operator()(TF_Tensor* t) const { TF_DeleteTensor(t); }
};
struct SessionDeleter {
  void operator()(TF_Session* session) const {
    TF_Status* status = TF_NewStatus();
    TF_CloseSession(session, status);
    TF_DeleteSession(session, status);
    TF_DeleteStatus(status);
  }
};
using StatusPtr = std::unique_ptr<TF_Status, StatusDeleter>;
using TensorPtr = std::unique_ptr<TF_Tensor, TensorDeleter>;

// Throws a one-line message when a C API call failed.
class Status {
 public:
  Status() : status_(TF_NewStatus()) {}
  TF_Status* get() { return status_.get(); }
  void Check(const std::string& what) {
    if (TF_GetCode(status_.get()) == TF_OK) return;
    throw std::runtime_error(what + ": " + dli::sdk::OneLine(TF_Message(status_.get())));
  }

 private:
  StatusPtr status_;
};

// The core owns the batch memory; a TF_Tensor over it must not free it.
void KeepCallerMemory(void*, size_t, void*) {}

// Shape of a graph tensor; -1 for unknown dimensions.
std::vector<int64_t> GraphTensorShape(TF_Graph* graph, TF_Output output) {
  Status status;
  const int rank = TF_GraphGetTensorNumDims(graph, output, status.get());
  status.Check("cannot read the rank of a signature tensor");
  if (rank < 0) return {};
  std::vector<int64_t> dims(static_cast<size_t>(rank));
  TF_GraphGetTensorShape(graph, output, dims.data(), rank, status.get());
  status.Check("cannot read the shape of a signature tensor");
  return dims;
}

// Checks that the export dir looks like a SavedModel before TensorFlow
// reports something less direct.
void RequireSavedModel(const std::string& dir) {
  dli::sdk::RequirePath(dir, dli::sdk::PathKind::kDirectory,
                        "a TensorFlow SavedModel folder (saved_model.pb and "
                        "variables/)");
  const std::filesystem::path folder(dir);
  if (!std::filesystem::exists(folder / "saved_model.pb") &&
      !std::filesystem::exists(folder / "saved_model.pbtxt"))
    throw std::runtime_error("'" + dir +
                             "' holds no saved_model.pb; expected a "
                             "TensorFlow SavedModel folder");
}

// The DLI dtype of a TensorFlow element type.
dli_dtype ToDliType(TF_DataType type, const std::string& what) {
  switch (type) {
    case TF_FLOAT:
      return DLI_DTYPE_F32;
    case TF_HALF:
      return DLI_DTYPE_F16;
    case TF_INT32:
      return DLI_DTYPE_I32;
    case TF_INT64:
      return DLI_DTYPE_I64;
    case TF_INT8:
      return DLI_DTYPE_I8;
    case TF_UINT8:
      return DLI_DTYPE_U8;
    case TF_BOOL:
      return DLI_DTYPE_BOOL;
    default:
      throw std::runtime_error(
          "signature tensor '" + what + "' has TensorFlow type " +
          std::to_string(static_cast<int>(type)) +
          "; DLI handles float32, float16, int32, int64, int8, uint8 and bool");
  }
}

TF_DataType ToTfType(dli_dtype dtype) {
  switch (dtype) {
    case DLI_DTYPE_F32:
      return TF_FLOAT;
    case DLI_DTYPE_F16:
      return TF_HALF;
    case DLI_DTYPE_I32:
      return TF_INT32;
    case DLI_DTYPE_I64:
      return TF_INT64;
    case DLI_DTYPE_I8:
      return TF_INT8;
    case DLI_DTYPE_U8:
      return TF_UINT8;
    case DLI_DTYPE_BOOL:
      return TF_BOOL;
  }
  throw std::logic_error("unknown dtype");
}

class TensorFlowSession : public dli::sdk::Session {
 public:
  explicit TensorFlowSession(const Spec& spec) : graph_(TF_NewGraph()) {
    RequireSavedModel(spec.model_path);
    const int intra = spec.IntParam("intra_threads", 0);
    const int inter = spec.IntParam("inter_threads", 0);
    const std::string signature = spec.Param("signature", "serving_default");

    std::unique_ptr<TF_SessionOptions, OptionsDeleter> options(TF_NewSessionOptions());
    const std::string config = dli::tensorflow::SessionConfigProto(intra, inter);
    Status status;
    TF_SetConfig(options.get(), config.data(), config.size(), status.get());
    status.Check("TensorFlow rejected the session config");

    std::unique_ptr<TF_Buffer, BufferDeleter> meta_graph(TF_NewBuffer());
    const char* tags[] = {kServeTag};
    session_.reset(TF_LoadSessionFromSavedModel(options.get(), nullptr, spec.model_path.c_str(),
                                                tags, 1, graph_.get(), meta_graph.get(),
                                                status.get()));
    status.Check("cannot load SavedModel '" + spec.model_path + "' with tag 'serve'");

    // The signature's tensors in the order of their keys: a signature is a
    // map, and TensorFlow's own tools list it sorted too.
    const dli::tensorflow::SignatureTensors tensors =
        dli::tensorflow::FindSignature(meta_graph->data, meta_graph->length, signature);
    if (tensors.inputs.empty() || tensors.outputs.empty())
      throw std::runtime_error("signature '" + signature + "' has " +
                               std::to_string(tensors.inputs.size()) + " inputs and " +
                               std::to_string(tensors.outputs.size()) +
                               " outputs; expected at least one of each");
    for (const auto& tensor : tensors.inputs) {
      input_ports_.push_back(GraphOutput(tensor));
      std::vector<int64_t> dims = GraphTensorShape(graph_.get(), input_ports_.back());
      // An input of unknown rank takes its rank from a shape in the spec.
      auto given = spec.shapes.find(tensor.first);
      if (dims.empty() && given != spec.shapes.end()) dims.assign(given->second.size(), -1);
      if (dims.empty())
        throw std::runtime_error("signature tensor '" + tensor.first + "' has no known rank");
      const std::vector<int64_t> shape = dli::sdk::ResolveShape(spec, tensor.first, dims);
      inputs_info_.push_back(dli::sdk::MakeTensorInfo(
          tensor.first, ToDliType(TF_OperationOutputType(input_ports_.back()), tensor.first),
          dli::sdk::GuessImageLayout(shape), shape));
    }
    bool sizes_known = true;
    for (const auto& tensor : tensors.outputs) {
      output_ports_.push_back(GraphOutput(tensor));
      std::vector<int64_t> shape = GraphTensorShape(graph_.get(), output_ports_.back());
      if (!shape.empty() && shape[0] < 0) shape[0] = spec.batch;
      for (int64_t dim : shape) sizes_known = sizes_known && dim >= 0;
      sizes_known = sizes_known && !shape.empty();
      outputs_info_.push_back(dli::sdk::MakeTensorInfo(
          tensor.first, ToDliType(TF_OperationOutputType(output_ports_.back()), tensor.first),
          DLI_LAYOUT_OTHER, shape));
    }
    results_.resize(output_ports_.size());
    outputs_.resize(output_ports_.size());
    // The graph leaves the size of an output open when it follows an input's
    // open dimension: one run on zeros, here in open(), measures it.
    if (!sizes_known) MeasureOutputShapes();
  }

  std::vector<dli_tensor_info> Inputs() override { return inputs_info_; }
  std::vector<dli_tensor_info> Outputs() override { return outputs_info_; }

  void SetInputs(const void* const* batches, size_t n_batches) override {
    const size_t n_inputs = inputs_info_.size();
    batches_.clear();
    batch_tensors_.clear();
    for (size_t i = 0; i < n_batches * n_inputs; ++i) {
      const dli_tensor_info& input = inputs_info_[i % n_inputs];
      // Zero copy when the batch is aligned as Eigen wants (the core's
      // batches are 64-byte aligned); otherwise TF_NewTensor copies it once,
      // here, outside the timed call.
      TF_Tensor* tensor = TF_NewTensor(
          ToTfType(input.dtype), input.shape, input.rank, const_cast<void*>(batches[i]),
          dli::sdk::ElementCount(input) * dli::sdk::DtypeSize(input.dtype), &KeepCallerMemory,
          nullptr);
      if (tensor == nullptr)
        throw std::runtime_error("TF_NewTensor failed for input '" + std::string(input.name) +
                                 "' of batch " + std::to_string(i / n_inputs));
      batches_.emplace_back(tensor);
      batch_tensors_.push_back(tensor);
    }
  }

  void Bind(size_t index) override {
    bound_ = &batch_tensors_[index * inputs_info_.size()];
    for (TensorPtr& output : outputs_) output.reset();  // freed here, not inside the timed call
  }

  void Infer() override { Run(bound_, results_, outputs_, run_status_); }

  void OpenRequests(size_t n) override {
    requests_ = std::vector<Request>(n);
    for (Request& r : requests_) {
      r.results.resize(output_ports_.size());
      r.outputs.resize(output_ports_.size());
    }
  }

  void BindRequest(size_t slot, size_t index) override {
    requests_[slot].bound = &batch_tensors_[index * inputs_info_.size()];
    for (TensorPtr& output : requests_[slot].outputs) output.reset();
  }

  void InferRequest(size_t slot) override {
    Request& r = requests_[slot];
    Run(r.bound, r.results, r.outputs, r.status);
  }

  void ReadOutput(size_t index, float* dst, size_t n_values) override {
    const dli_tensor_info& info = outputs_info_[index];
    TF_Tensor* output = outputs_[index].get();
    const size_t bytes = TF_TensorByteSize(output);
    if (TF_TensorType(output) != ToTfType(info.dtype) ||
        bytes != n_values * dli::sdk::DtypeSize(info.dtype))
      throw std::runtime_error("output '" + std::string(info.name) + "' came back with " +
                               std::to_string(bytes) + " bytes of type " +
                               std::to_string(static_cast<int>(TF_TensorType(output))) +
                               "; expected " + std::to_string(n_values) + " values of " +
                               dli::sdk::DtypeName(info.dtype));
    dli::sdk::CopyAsFloat(TF_TensorData(output), info.dtype, n_values, dst);
  }

 private:
  // One TF_SessionRun with every input of `inputs` and every output into
  // `outputs`; `results` is their preallocated C array.
  void Run(TF_Tensor* const* inputs, std::vector<TF_Tensor*>& results,
           std::vector<TensorPtr>& outputs, Status& status) {
    TF_SessionRun(session_.get(), nullptr, input_ports_.data(), inputs,
                  static_cast<int>(input_ports_.size()), output_ports_.data(), results.data(),
                  static_cast<int>(output_ports_.size()), nullptr, 0, nullptr, status.get());
    for (size_t j = 0; j < results.size(); ++j) {
      outputs[j].reset(results[j]);
      results[j] = nullptr;
    }
    status.Check("TF_SessionRun failed");
  }

  // Sets every output's shape to what one run on all-zero inputs returns.
  void MeasureOutputShapes() {
    std::vector<TensorPtr> zeros;
    std::vector<TF_Tensor*> inputs;
    for (const dli_tensor_info& input : inputs_info_) {
      const size_t bytes = dli::sdk::ElementCount(input) * dli::sdk::DtypeSize(input.dtype);
      zeros.emplace_back(TF_AllocateTensor(ToTfType(input.dtype), input.shape, input.rank, bytes));
      std::memset(TF_TensorData(zeros.back().get()), 0, bytes);
      inputs.push_back(zeros.back().get());
    }
    Status status;
    try {
      Run(inputs.data(), results_, outputs_, status);
    } catch (const std::exception& e) {
      throw std::runtime_error(
          std::string("cannot learn the output shapes (the graph leaves them open) from a run on "
                      "zeros: ") +
          e.what());
    }
    for (size_t j = 0; j < outputs_.size(); ++j) {
      dli_tensor_info& info = outputs_info_[j];
      info.rank = TF_NumDims(outputs_[j].get());
      if (info.rank > DLI_MAX_RANK)
        throw std::runtime_error("output '" + std::string(info.name) + "' has rank " +
                                 std::to_string(info.rank) + ", more than " +
                                 std::to_string(DLI_MAX_RANK));
      for (int d = 0; d < info.rank; ++d) info.shape[d] = TF_Dim(outputs_[j].get(), d);
      outputs_[j].reset();
    }
  }

  // The graph tensor a signature entry (key, "op:index") names.
  TF_Output GraphOutput(const std::pair<std::string, std::string>& tensor) {
    const auto [op_name, index] = dli::tensorflow::SplitTensorName(tensor.second);
    TF_Operation* op = TF_GraphOperationByName(graph_.get(), op_name.c_str());
    if (op == nullptr)
      throw std::runtime_error("signature tensor '" + tensor.first + "' names operation '" +
                               op_name + "', which is not in the graph");
    return TF_Output{op, index};
  }

  // Declared after graph_, so the session closes before the graph goes.
  std::unique_ptr<TF_Graph, GraphDeleter> graph_;
  std::unique_ptr<TF_Session, SessionDeleter> session_;
  std::vector<TF_Output> input_ports_, output_ports_;  // in signature order
  std::vector<dli_tensor_info> inputs_info_, outputs_info_;
  // Input i of ring-buffer batch b at b * n_inputs + i; batch_tensors_ is
  // the C array TF_SessionRun reads a batch's inputs from.
  std::vector<TensorPtr> batches_;
  std::vector<TF_Tensor*> batch_tensors_;
  TF_Tensor* const* bound_ = nullptr;
  std::vector<TF_Tensor*> results_;
  std::vector<TensorPtr> outputs_;
  Status run_status_;
  struct Request {
    TF_Tensor* const* bound = nullptr;
    std::vector<TF_Tensor*> results;
    std::vector<TensorPtr> outputs;
    Status status;
  };
  std::vector<Request> requests_;
};

struct TensorFlowBackend {
  static constexpr const char* kName = "tensorflow";
  static constexpr const char* kDisplayName = "TensorFlow";
  static constexpr const char* kModelFormats = "TensorFlow SavedModel (folder)";
  static constexpr unsigned kRequestCalls = dli::sdk::kConcurrentRequests;
  static constexpr size_t kMaxRequests = 0;

  static void Probe() {}
  static const char* Version() { return TF_Version(); }
  static const char* Devices() { return "CPU"; }
  static const char* Precisions() { return "FP32"; }
  static const char* Notes() {
    return "C API of the tensorflow-cpu wheel; intra_threads and "
           "inter_threads unset leave the thread pools to TensorFlow";
  }

  static const dli_param_info* Params(size_t* n) {
    static const dli_param_info params[] = {
        {"intra_threads", "int", "", nullptr,
         "threads inside one op (ConfigProto.intra_op_parallelism_threads)", "1", nullptr},
        {"inter_threads", "int", "", nullptr,
         "ops run in parallel (ConfigProto.inter_op_parallelism_threads)", "1", nullptr},
        {"signature", "string", "serving_default", nullptr, "SavedModel signature to run", nullptr,
         nullptr},
    };
    *n = sizeof(params) / sizeof(params[0]);
    return params;
  }

  static std::unique_ptr<dli::sdk::Session> Open(const Spec& spec) {
    return std::make_unique<TensorFlowSession>(spec);
  }
};

}  // namespace

DLI_DEFINE_BACKEND(TensorFlowBackend)
