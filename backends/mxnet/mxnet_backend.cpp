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
// MXPredSetInput copies the input into the predictor; that copy is in bind(),
// outside the timer. MXPredForward only pushes work to MXNet's asynchronous
// engine, so infer() waits for it to finish (MXNDArrayWaitAll).
#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
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
  decltype(&MXPredCreate) pred_create;
  decltype(&MXPredGetOutputShape) pred_get_output_shape;
  decltype(&MXPredSetInput) pred_set_input;
  decltype(&MXPredForward) pred_forward;
  decltype(&MXPredGetOutput) pred_get_output;
  decltype(&MXPredFree) pred_free;
  decltype(&MXNDListCreate) nd_list_create;
  decltype(&MXNDListGet) nd_list_get;
  decltype(&MXNDListFree) nd_list_free;

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
  Resolve(library, "MXPredCreate", &loaded->pred_create);
  Resolve(library, "MXPredGetOutputShape", &loaded->pred_get_output_shape);
  Resolve(library, "MXPredSetInput", &loaded->pred_set_input);
  Resolve(library, "MXPredForward", &loaded->pred_forward);
  Resolve(library, "MXPredGetOutput", &loaded->pred_get_output);
  Resolve(library, "MXPredFree", &loaded->pred_free);
  Resolve(library, "MXNDListCreate", &loaded->nd_list_create);
  Resolve(library, "MXNDListGet", &loaded->nd_list_get);
  Resolve(library, "MXNDListFree", &loaded->nd_list_free);
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

// The data input of a symbol: its one argument node that the params file
// does not hold, with the shape recorded in its "__shape__" attribute
// (written by mx.sym.var(..., shape=...)); the shape is empty when absent.
struct DataInput {
  std::string name;
  std::vector<int64_t> shape;
};

DataInput FindDataInput(const std::string& symbol_json, const std::string& symbol_path,
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
    DataInput input{name, {}};
    const std::string shape = node.value("attrs", nlohmann::json::object()).value("__shape__", "");
    for (size_t i = 0; i < shape.size();) {
      const size_t end = shape.find_first_not_of("0123456789", i);
      if (end != i) input.shape.push_back(std::stoll(shape.substr(i, end - i)));
      i = end == i ? i + 1 : end;
    }
    inputs.push_back(input);
  }
  if (inputs.size() != 1) {
    std::string names;
    for (const auto& input : inputs) names += (names.empty() ? "" : ", ") + input.name;
    throw std::runtime_error("the symbol has " + std::to_string(inputs.size()) +
                             " inputs not in the params file (" + names +
                             "); this backend runs models with one input");
  }
  return inputs[0];
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
    DataInput input =
        FindDataInput(symbol_json, spec.model_path, ParamNames(*mx_, params, params_path));
    std::vector<int64_t> shape = input.shape;
    if (!spec.Param("input_shape").empty()) {
      shape = dli::sdk::ParseDims("input_shape", spec.Param("input_shape"));
      shape.insert(shape.begin(), spec.batch);
    } else if (shape.empty()) {
      throw std::runtime_error("the symbol's input '" + input.name +
                               "' has no __shape__ attribute; pass --param input_shape=CxHxW, "
                               "e.g. 3x224x224");
    }
    shape.at(0) = spec.batch;
    input_name_ = input.name;
    input_info_ = dli::sdk::MakeTensorInfo(input.name, DLI_DTYPE_F32,
                                           dli::sdk::GuessImageLayout(shape), shape);

    const std::vector<uint32_t> shape_data(shape.begin(), shape.end());
    const uint32_t shape_indptr[] = {0, static_cast<uint32_t>(shape.size())};
    const char* keys[] = {input_name_.c_str()};
    PredictorHandle predictor = nullptr;
    mx_->Check(
        mx_->pred_create(symbol_json.c_str(), params.data(), static_cast<int>(params.size()),
                         kCpuDevice, 0, 1, keys, shape_indptr, shape_data.data(), &predictor),
        "cannot create an MXNet predictor for '" + spec.model_path + "'");
    predictor_ = Predictor(predictor, mx_->pred_free);

    uint32_t* out_shape = nullptr;
    uint32_t out_rank = 0;
    mx_->Check(mx_->pred_get_output_shape(predictor_.get(), 0, &out_shape, &out_rank),
               "cannot read the output shape");
    output_info_ = dli::sdk::MakeTensorInfo("output", DLI_DTYPE_F32, DLI_LAYOUT_OTHER,
                                            std::vector<int64_t>(out_shape, out_shape + out_rank));
  }

  dli_tensor_info InputInfo() override { return input_info_; }
  dli_tensor_info OutputInfo() override { return output_info_; }

  void SetInputs(const void* const* batches, size_t n_batches, size_t) override {
    batches_.assign(batches, batches + n_batches);
  }

  void Bind(size_t index) override {
    // The predict API has no zero-copy input: the copy happens here.
    mx_->Check(mx_->pred_set_input(predictor_.get(), input_name_.c_str(),
                                   static_cast<const float*>(batches_[index]),
                                   static_cast<uint32_t>(dli::sdk::ElementCount(input_info_))),
               "MXPredSetInput failed");
  }

  void Infer() override {
    mx_->Check(mx_->pred_forward(predictor_.get()), "MXPredForward failed");
    mx_->Check(mx_->wait_all(), "MXNet forward pass failed");
  }

  void ReadOutput(float* dst, size_t n_values) override {
    mx_->Check(mx_->pred_get_output(predictor_.get(), 0, dst, static_cast<uint32_t>(n_values)),
               "MXPredGetOutput failed");
  }

 private:
  using Predictor = std::unique_ptr<void, decltype(&MXPredFree)>;

  const MxnetApi* mx_ = nullptr;
  Predictor predictor_{nullptr, nullptr};
  std::string input_name_;
  dli_tensor_info input_info_{};
  dli_tensor_info output_info_{};
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
         "CxHxW input shape when the symbol does not record one, e.g. 3x224x224", nullptr, nullptr},
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
