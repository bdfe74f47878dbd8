// MXNet backend: runs a symbol JSON + params checkpoint through the C predict
// API of the PyPI mxnet wheel (mxnet/libmxnet.so, mxnet/include/mxnet/).
//
// libmxnet.so is opened with dlopen inside open(), not linked: MXNet reads its
// thread settings (OMP_NUM_THREADS, MXNET_OMP_MAX_THREADS,
// MXNET_CPU_WORKER_NTHREADS, MXNET_ENGINE_TYPE) from the environment in static
// initializers that run when the library loads, so the backend sets them from
// the test point's parameters first. The core runs each test point in a fresh
// process, so every point gets its own settings.
//
// The data inputs are the symbol's arguments that the params file does not
// hold, each with the shape and dtype its variable records (__shape__,
// __dtype__); the outputs are the symbol's outputs. MXPredSetInput copies an
// input into the predictor in the predictor's dtype for it (the float* of its
// signature is only a pointer); those copies are in bind(), outside the
// timer. MXPredForward only pushes work to MXNet's asynchronous engine, so
// infer() waits for it to finish (MXNDArrayWaitAll).
#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

// c_api.h first: it includes <stdint.h>, which c_predict_api.h relies on.
#include <mxnet/c_api.h>
#include <mxnet/c_predict_api.h>

#include "dli/backend_checks.h"
#include "dli/backend_sdk.h"

#ifndef DLI_MXNET_LIBRARY
#error "DLI_MXNET_LIBRARY (path of libmxnet.so) must be defined by CMake"
#endif
#ifndef DLI_MXNET_VERSION
#error "DLI_MXNET_VERSION must be defined by CMake"
#endif

namespace {

using dli::sdk::Spec;

constexpr int kCpuDevice = 1;  // dev_type of MXPredCreate

// The process environment MXNet reads while loading, from the parameters.
struct LoadSettings {
  std::string omp_threads;     // "" = MXNet's default
  std::string worker_threads;  // "" = MXNet's default
  std::string engine;          // "" = MXNet's default

  bool operator==(const LoadSettings& other) const {
    return omp_threads == other.omp_threads && worker_threads == other.worker_threads &&
           engine == other.engine;
  }
  std::string Describe() const {
    const auto show = [](const std::string& v) { return v.empty() ? "default" : v; };
    return "threads=" + show(omp_threads) + ", worker_threads=" + show(worker_threads) +
           ", engine=" + show(engine);
  }
};

// The C API functions this backend calls, resolved from libmxnet.so.
struct MxnetApi {
  decltype(&MXGetLastError) get_last_error;
  decltype(&MXNDArrayWaitAll) wait_all;
  decltype(&MXPredCreateEx) pred_create_ex;
  decltype(&MXPredGetOutputShape) pred_get_output_shape;
  decltype(&MXPredGetOutputType) pred_get_output_type;
  decltype(&MXPredSetInput) pred_set_input;
  decltype(&MXPredForward) pred_forward;
  decltype(&MXPredGetOutput) pred_get_output;
  decltype(&MXPredFree) pred_free;
  decltype(&MXNDListCreate) nd_list_create;
  decltype(&MXNDListGet) nd_list_get;
  decltype(&MXNDListFree) nd_list_free;
  decltype(&MXSymbolCreateFromJSON) symbol_create_from_json;
  decltype(&MXSymbolListOutputs) symbol_list_outputs;
  decltype(&MXSymbolFree) symbol_free;

  // Throws with MXNet's last error when a call returned non-zero.
  void Check(int rc, const std::string& what) const {
    if (rc != 0) throw std::runtime_error(what + ": " + dli::sdk::OneLine(get_last_error()));
  }
};

template <typename Fn>
void Resolve(void* library, const char* name, Fn* out) {
  *out = reinterpret_cast<Fn>(dlsym(library, name));
  if (*out == nullptr) throw std::runtime_error(std::string(DLI_MXNET_LIBRARY) + " lacks " + name);
}

// An unset parameter leaves the variable as the user's environment has it.
void SetIfGiven(const char* name, const std::string& value) {
  if (!value.empty()) setenv(name, value.c_str(), 1);
}

// Loads libmxnet.so once per process with `settings` in the environment.
// A second session in the same process must ask for the same settings: MXNet
// cannot change them after loading.
const MxnetApi& LoadMxnet(const LoadSettings& settings) {
  static std::unique_ptr<MxnetApi> api;
  static LoadSettings loaded_with;
  if (api) {
    if (!(settings == loaded_with))
      throw std::runtime_error("MXNet was loaded in this process with " + loaded_with.Describe() +
                               "; it reads these only when it loads, so " + settings.Describe() +
                               " needs a fresh process");
    return *api;
  }
  SetIfGiven("OMP_NUM_THREADS", settings.omp_threads);
  // MXNet sizes its operator thread count from MXNET_OMP_MAX_THREADS when set,
  // whatever OpenMP runtime state the process already has.
  SetIfGiven("MXNET_OMP_MAX_THREADS", settings.omp_threads);
  SetIfGiven("MXNET_CPU_WORKER_NTHREADS", settings.worker_threads);
  SetIfGiven("MXNET_ENGINE_TYPE", settings.engine);
  void* library = dlopen(DLI_MXNET_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) throw std::runtime_error(std::string("cannot load MXNet: ") + dlerror());
  auto loaded = std::make_unique<MxnetApi>();
  Resolve(library, "MXGetLastError", &loaded->get_last_error);
  Resolve(library, "MXNDArrayWaitAll", &loaded->wait_all);
  Resolve(library, "MXPredCreateEx", &loaded->pred_create_ex);
  Resolve(library, "MXPredGetOutputShape", &loaded->pred_get_output_shape);
  Resolve(library, "MXPredGetOutputType", &loaded->pred_get_output_type);
  Resolve(library, "MXPredSetInput", &loaded->pred_set_input);
  Resolve(library, "MXPredForward", &loaded->pred_forward);
  Resolve(library, "MXPredGetOutput", &loaded->pred_get_output);
  Resolve(library, "MXPredFree", &loaded->pred_free);
  Resolve(library, "MXNDListCreate", &loaded->nd_list_create);
  Resolve(library, "MXNDListGet", &loaded->nd_list_get);
  Resolve(library, "MXNDListFree", &loaded->nd_list_free);
  Resolve(library, "MXSymbolCreateFromJSON", &loaded->symbol_create_from_json);
  Resolve(library, "MXSymbolListOutputs", &loaded->symbol_list_outputs);
  Resolve(library, "MXSymbolFree", &loaded->symbol_free);
  api = std::move(loaded);
  loaded_with = settings;
  return *api;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// "net-symbol.json" -> "net-0000.params", MXNet's checkpoint naming.
std::string DefaultParamsPath(const std::string& symbol_path) {
  const std::string suffix = "-symbol.json";
  if (symbol_path.size() <= suffix.size() ||
      symbol_path.compare(symbol_path.size() - suffix.size(), suffix.size(), suffix) != 0)
    throw std::runtime_error("no params file given and '" + symbol_path +
                             "' is not named <prefix>-symbol.json; pass the .params file as the "
                             "model's weights");
  return symbol_path.substr(0, symbol_path.size() - suffix.size()) + "-0000.params";
}

// The names stored in a params file, without MXNet's "arg:"/"aux:" prefix.
std::set<std::string> ParamNames(const MxnetApi& mx, const std::string& bytes,
                                 const std::string& path) {
  NDListHandle handle = nullptr;
  uint32_t count = 0;
  mx.Check(mx.nd_list_create(bytes.data(), static_cast<int>(bytes.size()), &handle, &count),
           "'" + path + "' is not an MXNet params file");
  const std::unique_ptr<void, decltype(mx.nd_list_free)> list(handle, mx.nd_list_free);
  std::set<std::string> names;
  for (uint32_t i = 0; i < count; ++i) {
    const char* key = nullptr;
    const float* data = nullptr;
    const uint32_t* shape = nullptr;
    uint32_t ndim = 0;
    mx.Check(mx.nd_list_get(list.get(), i, &key, &data, &shape, &ndim),
             "cannot read entry " + std::to_string(i) + " of '" + path + "'");
    std::string name = key;
    const size_t colon = name.find(':');
    names.insert(colon == std::string::npos ? name : name.substr(colon + 1));
  }
  return names;
}

// MXNet's type codes (mshadow::TypeFlag) as DLI dtypes; nullopt for float64
// and the others DLI does not feed or read.
std::optional<dli_dtype> DtypeOfMxnet(int code) {
  switch (code) {
    case 0:
      return DLI_DTYPE_F32;
    case 2:
      return DLI_DTYPE_F16;
    case 3:
      return DLI_DTYPE_U8;
    case 4:
      return DLI_DTYPE_I32;
    case 5:
      return DLI_DTYPE_I8;
    case 6:
      return DLI_DTYPE_I64;
    case 7:
      return DLI_DTYPE_BOOL;
    default:
      return std::nullopt;
  }
}

int MxnetTypeCode(dli_dtype dtype) {
  switch (dtype) {
    case DLI_DTYPE_F32:
      return 0;
    case DLI_DTYPE_F16:
      return 2;
    case DLI_DTYPE_U8:
      return 3;
    case DLI_DTYPE_I32:
      return 4;
    case DLI_DTYPE_I8:
      return 5;
    case DLI_DTYPE_I64:
      return 6;
    case DLI_DTYPE_BOOL:
      return 7;
  }
  throw std::runtime_error("unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

// A data input of a symbol: an argument node that the params file does not
// hold, with the shape recorded in its "__shape__" attribute (written by
// mx.sym.var(..., shape=...); empty when absent, -1 where MXNet 1.x writes 0,
// its unknown dimension) and the dtype in "__dtype__" (float32 when absent).
struct DataInput {
  std::string name;
  std::vector<int64_t> shape;
  dli_dtype dtype = DLI_DTYPE_F32;
};

std::vector<DataInput> FindDataInputs(const std::string& symbol_json,
                                      const std::string& symbol_path,
                                      const std::set<std::string>& params) {
  nlohmann::json graph;
  try {
    graph = nlohmann::json::parse(symbol_json);
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error("'" + symbol_path +
                             "' is not JSON; expected an MXNet symbol file "
                             "(<prefix>-symbol.json)");
  }
  if (!graph.contains("nodes") || !graph.contains("arg_nodes"))
    throw std::runtime_error("'" + symbol_path +
                             "' has no nodes/arg_nodes; expected an MXNet "
                             "symbol file (<prefix>-symbol.json)");
  std::vector<DataInput> inputs;
  for (const auto& index : graph["arg_nodes"]) {
    const auto& node = graph["nodes"].at(index.get<size_t>());
    const std::string name = node.value("name", "");
    if (params.count(name) != 0) continue;
    DataInput input{name, {}, DLI_DTYPE_F32};
    const nlohmann::json attrs = node.value("attrs", nlohmann::json::object());
    const std::string shape = attrs.value("__shape__", "");
    for (size_t i = 0; i < shape.size();) {
      const size_t end = shape.find_first_not_of("0123456789", i);
      if (end != i) {
        const int64_t dim = std::stoll(shape.substr(i, end - i));
        input.shape.push_back(dim == 0 ? -1 : dim);
      }
      i = end == i ? i + 1 : end;
    }
    const std::string dtype = attrs.value("__dtype__", "");
    if (!dtype.empty()) {
      const std::optional<dli_dtype> known = DtypeOfMxnet(std::stoi(dtype));
      if (!known)
        throw std::runtime_error("input '" + name + "' has MXNet dtype " + dtype +
                                 "; DLI feeds float32, float16, int64, int32, int8, uint8 "
                                 "and bool inputs");
      input.dtype = *known;
    }
    inputs.push_back(input);
  }
  if (inputs.empty())
    throw std::runtime_error("every argument of the symbol is in the params file; it has no input");
  return inputs;
}

// The names of the symbol's outputs, in order.
std::vector<std::string> OutputNames(const MxnetApi& mx, const std::string& symbol_json,
                                     const std::string& symbol_path) {
  SymbolHandle handle = nullptr;
  mx.Check(mx.symbol_create_from_json(symbol_json.c_str(), &handle),
           "cannot load '" + symbol_path + "' as an MXNet symbol");
  const std::unique_ptr<void, decltype(mx.symbol_free)> symbol(handle, mx.symbol_free);
  uint32_t count = 0;
  const char** names = nullptr;
  mx.Check(mx.symbol_list_outputs(symbol.get(), &count, &names),
           "cannot list the outputs of '" + symbol_path + "'");
  return {names, names + count};
}

class MxnetSession : public dli::sdk::Session {
 public:
  MxnetSession(const Spec& spec, const LoadSettings& settings) {
    dli::sdk::RequirePath(spec.model_path, dli::sdk::PathKind::kFile,
                          "MXNet symbol file (<prefix>-symbol.json)");
    const std::string params_path =
        spec.weights_path.empty() ? DefaultParamsPath(spec.model_path) : spec.weights_path;
    dli::sdk::RequirePath(params_path, dli::sdk::PathKind::kFile,
                          "MXNet params file (<prefix>-0000.params)");
    const std::string symbol_json = ReadFile(spec.model_path);
    const std::string params = ReadFile(params_path);

    mx_ = &LoadMxnet(settings);
    DescribeInputs(
        spec, FindDataInputs(symbol_json, spec.model_path, ParamNames(*mx_, params, params_path)));

    std::vector<const char*> keys;
    std::vector<uint32_t> shape_indptr{0}, shape_data;
    std::vector<int> dtypes;
    for (const dli_tensor_info& input : inputs_) {
      keys.push_back(input.name);
      shape_data.insert(shape_data.end(), input.shape, input.shape + input.rank);
      shape_indptr.push_back(static_cast<uint32_t>(shape_data.size()));
      dtypes.push_back(MxnetTypeCode(input.dtype));
    }
    PredictorHandle predictor = nullptr;
    mx_->Check(
        mx_->pred_create_ex(
            symbol_json.c_str(), params.data(), static_cast<int>(params.size()), kCpuDevice, 0,
            static_cast<uint32_t>(keys.size()), keys.data(), shape_indptr.data(), shape_data.data(),
            static_cast<uint32_t>(keys.size()), keys.data(), dtypes.data(), &predictor),
        "cannot create an MXNet predictor for '" + spec.model_path + "'");
    predictor_ = Predictor(predictor, mx_->pred_free);

    const std::vector<std::string> names = OutputNames(*mx_, symbol_json, spec.model_path);
    // MXPredGetOutputType writes the dtype of output i into element i of its
    // argument (MXNet 1.9), so it gets room for every output.
    std::vector<int> codes(names.size(), -1);
    for (uint32_t i = 0; i < names.size(); ++i) {
      uint32_t* out_shape = nullptr;
      uint32_t out_rank = 0;
      mx_->Check(mx_->pred_get_output_shape(predictor_.get(), i, &out_shape, &out_rank),
                 "cannot read the shape of output '" + names[i] + "'");
      mx_->Check(mx_->pred_get_output_type(predictor_.get(), i, codes.data()),
                 "cannot read the dtype of output '" + names[i] + "'");
      const int code = codes[i];
      const std::optional<dli_dtype> dtype = DtypeOfMxnet(code);
      if (!dtype)
        throw std::runtime_error("output '" + names[i] + "' has MXNet dtype " +
                                 std::to_string(code) +
                                 "; DLI reads float32, float16, int64, int32, int8, uint8 and "
                                 "bool outputs");
      outputs_.push_back(
          dli::sdk::MakeTensorInfo(names[i], *dtype, DLI_LAYOUT_OTHER,
                                   std::vector<int64_t>(out_shape, out_shape + out_rank)));
    }
  }

  std::vector<dli_tensor_info> Inputs() override { return inputs_; }
  std::vector<dli_tensor_info> Outputs() override { return outputs_; }

  void SetInputs(const void* const* batches, size_t n_batches) override {
    batches_.assign(batches, batches + n_batches * inputs_.size());
  }

  void Bind(size_t index) override {
    // The predict API has no zero-copy input: the copies happen here. It
    // copies elements of the predictor's dtype for the input, whatever its
    // float* parameter says.
    for (size_t i = 0; i < inputs_.size(); ++i)
      mx_->Check(
          mx_->pred_set_input(predictor_.get(), inputs_[i].name,
                              static_cast<const float*>(batches_[index * inputs_.size() + i]),
                              static_cast<uint32_t>(dli::sdk::ElementCount(inputs_[i]))),
          std::string("MXPredSetInput failed for '") + inputs_[i].name + "'");
  }

  void Infer() override {
    mx_->Check(mx_->pred_forward(predictor_.get()), "MXPredForward failed");
    mx_->Check(mx_->wait_all(), "MXNet forward pass failed");
  }

  void ReadOutput(size_t output, float* dst, size_t n_values) override {
    const dli_dtype dtype = outputs_[output].dtype;
    const auto index = static_cast<uint32_t>(output);
    const auto count = static_cast<uint32_t>(n_values);
    if (dtype == DLI_DTYPE_F32) {
      mx_->Check(mx_->pred_get_output(predictor_.get(), index, dst, count),
                 "MXPredGetOutput failed");
      return;
    }
    // MXPredGetOutput writes elements of the output's own dtype.
    std::vector<unsigned char> values(n_values * dli::sdk::DtypeSize(dtype));
    mx_->Check(mx_->pred_get_output(predictor_.get(), index,
                                    reinterpret_cast<float*>(values.data()), count),
               "MXPredGetOutput failed");
    dli::sdk::CopyAsFloat(values.data(), dtype, n_values, dst);
  }

 private:
  using Predictor = std::unique_ptr<void, decltype(&MXPredFree)>;

  // The data inputs with their shapes resolved: the recorded one, or
  // `input_shape` for a model with one input, or the spec's.
  void DescribeInputs(const Spec& spec, const std::vector<DataInput>& data) {
    std::string names;
    for (const DataInput& input : data) names += (names.empty() ? "" : ", ") + input.name;
    const std::string input_shape = spec.Param("input_shape");
    if (!input_shape.empty() && data.size() != 1)
      throw std::runtime_error("input_shape is for a model with one input; this one has " +
                               std::to_string(data.size()) + " (" + names +
                               "): give each shape with --shape NAME=...");
    for (const DataInput& input : data) {
      std::vector<int64_t> file_dims = input.shape;
      if (!input_shape.empty()) {
        file_dims = dli::sdk::ParseDims("input_shape", input_shape);
        file_dims.insert(file_dims.begin(), -1);
      } else if (file_dims.empty()) {
        const auto given = spec.shapes.find(input.name);
        if (given == spec.shapes.end())
          throw std::runtime_error(
              "the symbol's input '" + input.name + "' has no __shape__ attribute; give it with " +
              "--shape " + input.name + "=..." +
              (data.size() == 1 ? " or --param input_shape=CxHxW, e.g. 3x224x224" : ""));
        file_dims.assign(given->second.size(), -1);
      }
      const std::vector<int64_t> shape = dli::sdk::ResolveShape(spec, input.name, file_dims);
      inputs_.push_back(dli::sdk::MakeTensorInfo(input.name, input.dtype,
                                                 dli::sdk::GuessImageLayout(shape), shape));
    }
    for (const auto& [name, dims] : spec.shapes) {
      bool known = false;
      for (const DataInput& input : data) known = known || input.name == name;
      if (!known)
        throw std::runtime_error("a shape is given for '" + name +
                                 "', which is not an input of the model (" + names + ")");
    }
  }

  const MxnetApi* mx_ = nullptr;
  Predictor predictor_{nullptr, nullptr};
  std::vector<dli_tensor_info> inputs_;
  std::vector<dli_tensor_info> outputs_;
  std::vector<const void*> batches_;
};

struct MxnetBackend {
  static constexpr const char* kName = "mxnet";
  static constexpr const char* kDisplayName = "Apache MXNet";
  static constexpr const char* kModelFormats =
      "MXNet symbol + params (<prefix>-symbol.json, <prefix>-0000.params)";

  // Loading libmxnet.so here would fix its thread settings before open()
  // sees the parameters; the probe only checks that the library is there.
  static void Probe() {
    dli::sdk::RequirePath(DLI_MXNET_LIBRARY, dli::sdk::PathKind::kFile,
                          "MXNet library (libmxnet.so of the mxnet wheel; "
                          "run scripts/setup.sh)");
  }
  static const char* Version() { return DLI_MXNET_VERSION; }
  static const char* Devices() { return "CPU"; }
  static const char* Precisions() { return "FP32,INT8"; }
  static const char* Notes() {
    return "C predict API of the mxnet wheel; without --param threads MXNet "
           "1.x uses half the logical CPUs for operators (it assumes "
           "hyper-threading)";
  }

  static const dli_param_info* Params(size_t* n) {
    static const dli_param_info params[] = {
        {"threads", "int", "", nullptr,
         "OpenMP threads per operator (OMP_NUM_THREADS, MXNET_OMP_MAX_THREADS)", "1", nullptr},
        {"worker_threads", "int", "", nullptr, "engine worker threads (MXNET_CPU_WORKER_NTHREADS)",
         "1", nullptr},
        {"engine", "choice", "", "ThreadedEnginePerDevice|ThreadedEngine|NaiveEngine",
         "execution engine (MXNET_ENGINE_TYPE)", nullptr, nullptr},
        {"input_shape", "string", "", nullptr,
         "CxHxW input shape of a model with one input when the symbol does not record one, "
         "e.g. 3x224x224 (more inputs: --shape NAME=...)",
         nullptr, nullptr},
    };
    *n = sizeof(params) / sizeof(params[0]);
    return params;
  }

  static std::unique_ptr<dli::sdk::Session> Open(const Spec& spec) {
    LoadSettings settings;
    settings.omp_threads = spec.Param("threads");
    settings.worker_threads = spec.Param("worker_threads");
    settings.engine = spec.Param("engine");
    return std::make_unique<MxnetSession>(spec, settings);
  }
};

}  // namespace

DLI_DEFINE_BACKEND(MxnetBackend)
