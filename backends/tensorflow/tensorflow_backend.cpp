// TensorFlow backend: runs a SavedModel through the TensorFlow C API of the
// PyPI tensorflow-cpu wheel (libtensorflow_cc.so.2 exports the TF_* symbols,
// the wheel ships tensorflow/c/c_api.h).
//
// The SavedModel's serving signature names the graph tensors to feed and
// fetch; it is read from the MetaGraphDef that TF_LoadSessionFromSavedModel
// returns (saved_model_proto.h). Each ring-buffer batch is wrapped once in a
// TF_Tensor over the core's memory, so infer() is TF_SessionRun alone.
//
// Throughput mode: TF_SessionRun is thread-safe on one session, so each
// request slot runs it from the core's thread for that slot (infer_request),
// with a bound input, output and status of its own.
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

    const dli::tensorflow::SignatureTensors tensors =
        dli::tensorflow::FindSignature(meta_graph->data, meta_graph->length, signature);
    if (tensors.inputs.size() != 1 || tensors.outputs.empty())
      throw std::runtime_error("signature '" + signature + "' has " +
                               std::to_string(tensors.inputs.size()) + " inputs and " +
                               std::to_string(tensors.outputs.size()) +
                               " outputs; expected one input and at least one output");
    // With several outputs, the first by key is the one read back.
    input_ = Describe(tensors.inputs[0], spec.batch, &input_info_);
    output_ = Describe(tensors.outputs[0], spec.batch, &output_info_);
  }

  dli_tensor_info InputInfo() override { return input_info_; }
  dli_tensor_info OutputInfo() override { return output_info_; }

  void SetInputs(const void* const* batches, size_t n_batches, size_t batch_bytes) override {
    inputs_.clear();
    for (size_t i = 0; i < n_batches; ++i) {
      // Zero copy when the batch is aligned as Eigen wants (the core's
      // batches are 64-byte aligned); otherwise TF_NewTensor copies it once,
      // here, outside the timed call.
      TF_Tensor* tensor =
          TF_NewTensor(TF_FLOAT, input_info_.shape, input_info_.rank, const_cast<void*>(batches[i]),
                       batch_bytes, &KeepCallerMemory, nullptr);
      if (tensor == nullptr)
        throw std::runtime_error("TF_NewTensor failed for input batch " + std::to_string(i));
      inputs_.emplace_back(tensor);
    }
  }

  void Bind(size_t index) override {
    bound_ = inputs_[index].get();
    output_tensor_.reset();  // freed here, not inside the timed call
  }

  void Infer() override {
    TF_Tensor* result = nullptr;
    TF_SessionRun(session_.get(), nullptr, &input_, &bound_, 1, &output_, &result, 1, nullptr, 0,
                  nullptr, run_status_.get());
    output_tensor_.reset(result);
    run_status_.Check("TF_SessionRun failed");
  }

  void OpenRequests(size_t n) override { requests_ = std::vector<Request>(n); }

  void BindRequest(size_t slot, size_t index) override {
    requests_[slot].bound = inputs_[index].get();
    requests_[slot].output.reset();
  }

  void InferRequest(size_t slot) override {
    Request& r = requests_[slot];
    TF_Tensor* result = nullptr;
    TF_SessionRun(session_.get(), nullptr, &input_, &r.bound, 1, &output_, &result, 1, nullptr, 0,
                  nullptr, r.status.get());
    r.output.reset(result);
    r.status.Check("TF_SessionRun failed");
  }

  void ReadOutput(float* dst, size_t n_values) override {
    if (TF_TensorType(output_tensor_.get()) != TF_FLOAT)
      throw std::runtime_error("the model's output is not float32");
    const size_t bytes = TF_TensorByteSize(output_tensor_.get());
    if (bytes != n_values * sizeof(float))
      throw std::runtime_error("output has " + std::to_string(bytes / sizeof(float)) +
                               " values; caller expected " + std::to_string(n_values));
    std::memcpy(dst, TF_TensorData(output_tensor_.get()), bytes);
  }

 private:
  // Resolves a signature tensor to its graph output and fills `info` with
  // the batch dimension set.
  TF_Output Describe(const std::pair<std::string, std::string>& tensor, int batch,
                     dli_tensor_info* info) {
    const auto [op_name, index] = dli::tensorflow::SplitTensorName(tensor.second);
    TF_Operation* op = TF_GraphOperationByName(graph_.get(), op_name.c_str());
    if (op == nullptr)
      throw std::runtime_error("signature tensor '" + tensor.first + "' names operation '" +
                               op_name + "', which is not in the graph");
    const TF_Output output{op, index};
    if (TF_OperationOutputType(output) != TF_FLOAT)
      throw std::runtime_error("signature tensor '" + tensor.first +
                               "' is not float32; this backend runs FP32 "
                               "models");
    std::vector<int64_t> shape = GraphTensorShape(graph_.get(), output);
    if (shape.empty())
      throw std::runtime_error("signature tensor '" + tensor.first + "' has no known rank");
    shape[0] = batch;
    for (int64_t dim : shape)
      if (dim < 1)
        throw std::runtime_error("signature tensor '" + tensor.first +
                                 "' has a dimension of unknown size besides "
                                 "the batch");
    *info = dli::sdk::MakeTensorInfo(tensor.first, DLI_DTYPE_F32, dli::sdk::GuessImageLayout(shape),
                                     shape);
    return output;
  }

  // Declared after graph_, so the session closes before the graph goes.
  std::unique_ptr<TF_Graph, GraphDeleter> graph_;
  std::unique_ptr<TF_Session, SessionDeleter> session_;
  TF_Output input_{};
  TF_Output output_{};
  dli_tensor_info input_info_{};
  dli_tensor_info output_info_{};
  std::vector<TensorPtr> inputs_;
  TF_Tensor* bound_ = nullptr;
  TensorPtr output_tensor_;
  Status run_status_;
  struct Request {
    TF_Tensor* bound = nullptr;
    TensorPtr output;
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
