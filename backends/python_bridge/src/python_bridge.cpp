// Maps the backend ABI onto a Python session object of the module
// dli_backends.<name> (the protocol is in python/dli_backends/__init__.py).

// Python.h (through python_runtime.h) before any other header, as Python's
// C API documentation requires.
#include "python_runtime.h"

#include "dli/python_bridge.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dli::python_bridge {
namespace {

// What this backend has set up in the process-wide interpreter. Raw pointers:
// the interpreter is never finalised (frameworks such as TensorFlow do not
// survive Py_Finalize), so these references live as long as the process.
struct BridgeState {
  PyObject* module = nullptr;
  std::string version;
  std::string notes;
  bool notes_measured = false;
};
BridgeState& State() {
  static BridgeState* state = new BridgeState();
  return *state;
}

std::string FromEnvironment(const char* variable, const char* built_in) {
  const char* value = std::getenv(variable);
  return value != nullptr && *value != '\0' ? value : built_in;
}

std::string ModuleName(const BackendConfig& config) {
  return std::string("dli_backends.") + config.name;
}

// The only C++ -> Python call of the timed region, GIL included. The no-op
// measurement below goes through this same function, so the overhead notes()
// reports is the one every infer() pays.
void CallWithoutArguments(PyObject* callable) {
  Gil gil;
  PyObject* result = PyObject_CallNoArgs(callable);
  if (result == nullptr) ThrowPythonError();
  Py_DECREF(result);
}

// The callers of these hold a Gil (every entry point below takes one).
PyRef CallMethod(PyObject* object, const char* method) {
  return Check(PyObject_CallMethod(object, method, nullptr));
}

PyRef CallMethod(PyObject* object, const char* method, PyObject* argument) {
  return Check(
      PyObject_CallMethodOneArg(object, Check(PyUnicode_FromString(method)).get(), argument));
}

std::string Utf8(PyObject* text, const char* what) {
  const char* utf8 = PyUnicode_Check(text) ? PyUnicode_AsUTF8(text) : nullptr;
  if (utf8 == nullptr) {
    PyErr_Clear();
    throw std::runtime_error(std::string("the backend module gave a non-string ") + what);
  }
  return utf8;
}

// numpy's dtype names of the seven dtypes of backend_abi.h.
dli_dtype ParseDtype(const std::string& tensor, const std::string& dtype) {
  static const std::pair<const char*, dli_dtype> kDtypes[] = {
      {"float32", DLI_DTYPE_F32}, {"float16", DLI_DTYPE_F16}, {"int64", DLI_DTYPE_I64},
      {"int32", DLI_DTYPE_I32},   {"int8", DLI_DTYPE_I8},     {"uint8", DLI_DTYPE_U8},
      {"bool", DLI_DTYPE_BOOL}};
  for (const auto& [name, value] : kDtypes)
    if (dtype == name) return value;
  throw std::runtime_error("tensor '" + tensor + "' has dtype " + dtype +
                           "; DLI exchanges float32, float16, int64, int32, int8, uint8 or bool "
                           "tensors");
}

// A (name, dtype name, shape) tuple from the lists of the session's
// inputs() or outputs().
dli_tensor_info ParseTensorInfo(PyObject* described, const char* method) {
  if (!PyTuple_Check(described) || PyTuple_Size(described) != 3)
    throw std::runtime_error(std::string("the backend module's ") + method +
                             "() must list (name, dtype, shape) tuples");
  const std::string name = Utf8(PyTuple_GetItem(described, 0), "tensor name");
  const std::string dtype = Utf8(PyTuple_GetItem(described, 1), "dtype");
  PyRef dims =
      Check(PySequence_Fast(PyTuple_GetItem(described, 2), "the tensor shape must be a sequence"));
  std::vector<int64_t> shape;
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(dims.get()); ++i) {
    const long long dim = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(dims.get(), i));
    if (dim == -1 && PyErr_Occurred()) ThrowPythonError();
    shape.push_back(dim);
  }
  return sdk::MakeTensorInfo(name, ParseDtype(name, dtype), sdk::GuessImageLayout(shape), shape);
}

// Hands the reference over, for the calls that steal one (PyList_SET_ITEM).
PyObject* Owned(PyRef ref) {
  PyObject* object = ref.get();
  ref.Abandon();
  return object;
}

// The session's inputs() or outputs(): a sequence of (name, dtype, shape).
std::vector<dli_tensor_info> ParseTensorList(PyObject* session, const char* method) {
  PyRef list = Check(PySequence_Fast(CallMethod(session, method).get(),
                                     "inputs() and outputs() must return a sequence"));
  std::vector<dli_tensor_info> infos;
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(list.get()); ++i)
    infos.push_back(ParseTensorInfo(PySequence_Fast_GET_ITEM(list.get(), i), method));
  return infos;
}

PyRef SpecToDict(const sdk::Spec& spec) {
  PyRef params = Check(PyDict_New());
  for (const auto& [key, value] : spec.params) {
    PyRef text = Check(PyUnicode_FromString(value.c_str()));
    if (PyDict_SetItemString(params.get(), key.c_str(), text.get()) != 0) ThrowPythonError();
  }
  PyRef shapes = Check(PyDict_New());
  for (const auto& [name, dims] : spec.shapes) {
    PyRef list = Check(PyList_New(static_cast<Py_ssize_t>(dims.size())));
    for (size_t i = 0; i < dims.size(); ++i)
      PyList_SET_ITEM(list.get(), static_cast<Py_ssize_t>(i),
                      Owned(Check(PyLong_FromLongLong(dims[i]))));
    if (PyDict_SetItemString(shapes.get(), name.c_str(), list.get()) != 0) ThrowPythonError();
  }
  return Check(Py_BuildValue("{s:s,s:s,s:s,s:s,s:i,s:O,s:O}", "model_path", spec.model_path.c_str(),
                             "weights_path", spec.weights_path.c_str(), "device",
                             spec.device.c_str(), "precision", spec.precision.c_str(), "batch",
                             spec.batch, "params", params.get(), "shapes", shapes.get()));
}

class PythonSession : public sdk::Session {
 public:
  // Called with a Gil held.
  explicit PythonSession(PyRef session)
      : session_(std::move(session)),
        infer_(Check(PyObject_GetAttrString(session_.get(), "infer"))) {
    if (!PyCallable_Check(infer_.get()))
      throw std::runtime_error("the backend session's infer is not callable");
  }

  ~PythonSession() override {
    Gil gil;
    slot_infer_.clear();
    infer_ = PyRef();
    batches_ = PyRef();
    session_ = PyRef();
  }

  std::vector<dli_tensor_info> Inputs() override {
    Gil gil;
    inputs_ = ParseTensorList(session_.get(), "inputs");
    return inputs_;
  }

  std::vector<dli_tensor_info> Outputs() override {
    Gil gil;
    return ParseTensorList(session_.get(), "outputs");
  }

  // Hands Python read-only memoryviews over the caller's batches, a list
  // per batch of one view per input: the module wraps them as numpy arrays
  // without a copy.
  void SetInputs(const void* const* batches, size_t n_batches) override {
    Gil gil;
    const size_t n_inputs = inputs_.size();
    PyRef all = Check(PyList_New(static_cast<Py_ssize_t>(n_batches)));
    for (size_t b = 0; b < n_batches; ++b) {
      PyRef views = Check(PyList_New(static_cast<Py_ssize_t>(n_inputs)));
      for (size_t i = 0; i < n_inputs; ++i) {
        const dli_tensor_info& input = inputs_[i];
        PyObject* view = PyMemoryView_FromMemory(
            static_cast<char*>(const_cast<void*>(batches[b * n_inputs + i])),
            static_cast<Py_ssize_t>(sdk::ElementCount(input) * sdk::DtypeSize(input.dtype)),
            PyBUF_READ);
        if (view == nullptr) ThrowPythonError();
        PyList_SET_ITEM(views.get(), static_cast<Py_ssize_t>(i), view);  // steals
      }
      PyList_SET_ITEM(all.get(), static_cast<Py_ssize_t>(b), Owned(std::move(views)));
    }
    CallMethod(session_.get(), "set_inputs", all.get());
    batches_ = std::move(all);
  }

  void Bind(size_t index) override {
    Gil gil;
    PyRef position = Check(PyLong_FromSize_t(index));
    CallMethod(session_.get(), "bind", position.get());
  }

  void Infer() override { CallWithoutArguments(infer_.get()); }

  // Python writes output `output` as float32 straight into `dst` through a
  // writable memoryview, released before returning so no reference to it
  // survives.
  void ReadOutput(size_t output, float* dst, size_t n_values) override {
    Gil gil;
    PyRef view = Check(PyMemoryView_FromMemory(reinterpret_cast<char*>(dst),
                                               static_cast<Py_ssize_t>(n_values * sizeof(float)),
                                               PyBUF_WRITE));
    PyRef arguments = Check(Py_BuildValue("(nO)", static_cast<Py_ssize_t>(output), view.get()));
    PyRef read = Check(PyObject_GetAttrString(session_.get(), "read_output"));
    PyRef result(PyObject_CallObject(read.get(), arguments.get()));
    // Released even when read_output failed, its exception kept aside.
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyRef released(PyObject_CallMethod(view.get(), "release", nullptr));
    if (released.get() == nullptr) PyErr_Clear();
    PyErr_Restore(type, value, traceback);
    if (result.get() == nullptr) ThrowPythonError();
  }

  // Throughput mode: the module's open_requests(n) returns one callable per
  // slot (its infer); the core calls them from a thread per slot, each
  // taking the GIL, which the frameworks release while they compute.
  void OpenRequests(size_t n) override {
    Gil gil;
    if (!PyObject_HasAttrString(session_.get(), "open_requests"))
      throw std::runtime_error("this bridged backend has no open_requests()");
    PyRef count = Check(PyLong_FromSize_t(n));
    PyRef callables =
        Check(PySequence_Fast(CallMethod(session_.get(), "open_requests", count.get()).get(),
                              "open_requests() must return a sequence of callables"));
    if (static_cast<size_t>(PySequence_Fast_GET_SIZE(callables.get())) != n)
      throw std::runtime_error("open_requests(" + std::to_string(n) + ") returned " +
                               std::to_string(PySequence_Fast_GET_SIZE(callables.get())) +
                               " callables");
    slot_infer_.clear();
    for (size_t slot = 0; slot < n; ++slot) {
      PyObject* callable = PySequence_Fast_GET_ITEM(callables.get(), static_cast<Py_ssize_t>(slot));
      if (!PyCallable_Check(callable))
        throw std::runtime_error("open_requests() returned a non-callable for slot " +
                                 std::to_string(slot));
      Py_INCREF(callable);
      slot_infer_.emplace_back(callable);
    }
  }

  void BindRequest(size_t slot, size_t index) override {
    Gil gil;
    PyRef arguments =
        Check(Py_BuildValue("(nn)", static_cast<Py_ssize_t>(slot), static_cast<Py_ssize_t>(index)));
    PyRef bind = Check(PyObject_GetAttrString(session_.get(), "bind_request"));
    Check(PyObject_CallObject(bind.get(), arguments.get()));
  }

  void InferRequest(size_t slot) override { CallWithoutArguments(slot_infer_[slot].get()); }

 private:
  PyRef session_;
  PyRef infer_;
  PyRef batches_;
  std::vector<dli_tensor_info> inputs_;  // Inputs(), asked once after open
  std::vector<PyRef> slot_infer_;
};

// Calls a no-op Python method through CallWithoutArguments, the path of
// every infer(), and returns the median duration in microseconds.
double MeasureBridgeCallMicroseconds() {
  constexpr int kWarmupCalls = 1000;
  constexpr int kTimedCalls = 20000;
  PyRef bridge, target, no_op;
  {
    Gil gil;
    bridge = Check(PyImport_ImportModule("dli_backends._bridge"));
    target = CallMethod(bridge.get(), "NoOpSession");
    no_op = Check(PyObject_GetAttrString(target.get(), "infer"));
  }
  // No GIL held here, as around every infer(): each call takes it.
  for (int i = 0; i < kWarmupCalls; ++i) CallWithoutArguments(no_op.get());
  std::vector<double> durations(kTimedCalls);
  for (double& duration : durations) {
    const auto start = std::chrono::steady_clock::now();
    CallWithoutArguments(no_op.get());
    duration =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  }
  {
    Gil gil;
    no_op = PyRef();
    target = PyRef();
    bridge = PyRef();
  }
  auto middle = durations.begin() + kTimedCalls / 2;
  std::nth_element(durations.begin(), middle, durations.end());
  return *middle;
}

}  // namespace

void Probe(const BackendConfig& config) {
  StartInterpreter(FromEnvironment("DLI_VENV_ROOT", DLI_BRIDGE_VENV_ROOT) + "/" + config.venv_name,
                   FromEnvironment("DLI_PYTHON_DIR", DLI_BRIDGE_PYTHON_DIR));
  BridgeState& state = State();
  if (state.module != nullptr) return;
  Gil gil;
  PyRef module = Check(PyImport_ImportModule(ModuleName(config).c_str()));
  state.version = Str(CallMethod(module.get(), "version").get());
  state.module = module.get();
  Py_INCREF(state.module);
}

const char* FrameworkVersion(const BackendConfig&) { return State().version.c_str(); }

const char* Notes(const BackendConfig& config) {
  BridgeState& state = State();
  if (!state.notes_measured) {
    state.notes_measured = true;
    try {
      Probe(config);
      char text[256];
      std::snprintf(text, sizeof(text),
                    "python bridge no-op call: %.3f us median (venv %s, "
                    "Python %s, through the same C++ path as infer())",
                    MeasureBridgeCallMicroseconds(), config.venv_name, PY_VERSION);
      state.notes = text;
    } catch (const std::exception& error) {
      state.notes = std::string("python bridge unavailable: ") + error.what();
    }
  }
  return state.notes.c_str();
}

std::unique_ptr<sdk::Session> Open(const BackendConfig& config, const sdk::Spec& spec) {
  Probe(config);
  Gil gil;
  PyRef arguments = SpecToDict(spec);
  return std::make_unique<PythonSession>(CallMethod(State().module, "open", arguments.get()));
}

}  // namespace dli::python_bridge
