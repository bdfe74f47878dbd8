#include "python_runtime.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>
#include <stdexcept>

#include "dli/backend_checks.h"

namespace dli::python_bridge {
namespace {

bool IsFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string RealPath(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string result(resolved);
  std::free(resolved);
  return result;
}

// The core dlopens backends with RTLD_LOCAL, which keeps libpython's symbols
// private to this backend; Python extension modules (numpy, the frameworks'
// own .so files) are not linked against libpython and expect those symbols
// to be global. Re-opening the already loaded libpython with RTLD_GLOBAL
// makes them so.
void MakeLibpythonSymbolsGlobal() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&Py_InitializeFromConfig), &info) == 0 ||
      info.dli_fname == nullptr)
    throw std::runtime_error("cannot locate the loaded libpython");
  if (dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) == nullptr)
    throw std::runtime_error(std::string("cannot make libpython global: ") + dlerror());
}

std::string SysAttribute(const char* name) {
  PyObject* value = PySys_GetObject(name);  // borrowed
  return value == nullptr ? "" : Str(value);
}

void Initialize(const std::string& venv_dir) {
  const std::string python = venv_dir + "/bin/python";
  if (!IsFile(venv_dir + "/pyvenv.cfg") || !IsFile(python))
    throw std::runtime_error("virtual environment '" + venv_dir +
                             "' not found: run scripts/setup.sh");
  MakeLibpythonSymbolsGlobal();

  // Isolated: PYTHONPATH, PYTHONHOME and the user's site-packages of the
  // calling shell must not change which packages a benchmark runs. Naming
  // the venv's interpreter as the program makes CPython's own path logic
  // read its pyvenv.cfg, exactly as running that interpreter would.
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  // The core owns SIGINT and its timeouts; Python must not take them.
  config.install_signal_handlers = 0;
  PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, python.c_str());
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status))
    throw std::runtime_error(std::string("cannot start Python: ") +
                             (status.err_msg ? status.err_msg : "unknown error"));
}

}  // namespace

std::string Str(PyObject* object) {
  PyRef text(PyObject_Str(object));
  const char* utf8 = text.get() ? PyUnicode_AsUTF8(text.get()) : nullptr;
  if (utf8 == nullptr) {
    PyErr_Clear();
    return "";
  }
  return utf8;
}

void ThrowPythonError() {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  if (type == nullptr)
    throw std::runtime_error("SystemError: a Python call failed without an exception");
  PyErr_NormalizeException(&type, &value, &traceback);
  PyRef owned_type(type), owned_value(value), owned_traceback(traceback);
  // Extension types are named "package.module.Name": the last part reads best.
  std::string name = reinterpret_cast<PyTypeObject*>(type)->tp_name;
  name = name.substr(name.rfind('.') + 1);
  const std::string message = value ? Str(value) : "";
  throw std::runtime_error(sdk::OneLine(message.empty() ? name : name + ": " + message));
}

PyRef Check(PyObject* new_reference) {
  if (new_reference == nullptr) ThrowPythonError();
  return PyRef(new_reference);
}

namespace {

// A thread's Python thread state, kept for the thread's life: without it,
// each PyGILState_Release that drops the last hold would delete the state and
// the next call create it again.
struct ThreadStateKeeper {
  ThreadStateKeeper() {
    const PyGILState_STATE state = PyGILState_Ensure();
    (void)state;  // never released: the state stays until the process exits
    PyEval_SaveThread();
  }
};

}  // namespace

Gil::Gil() {
  if (!PyGILState_Check()) {
    thread_local ThreadStateKeeper keeper;
  }
  state_ = PyGILState_Ensure();
}

Gil::~Gil() { PyGILState_Release(state_); }

void StartInterpreter(const std::string& venv_dir, const std::string& python_dir) {
  if (!Py_IsInitialized()) {
    Initialize(venv_dir);
    PyObject* path = PySys_GetObject("path");  // borrowed
    PyRef folder = Check(PyUnicode_DecodeFSDefault(python_dir.c_str()));
    if (path == nullptr || PyList_Insert(path, 0, folder.get()) != 0) ThrowPythonError();
    folder = PyRef();
    PyEval_SaveThread();
  }
  Gil gil;
  // One interpreter per process: a second bridged backend with another
  // environment (or a venv path logic surprise) must not run silently.
  const std::string prefix = SysAttribute("prefix");
  if (RealPath(prefix) != RealPath(venv_dir))
    throw std::runtime_error("Python runs with the environment '" + prefix +
                             "' in this process, not '" + venv_dir +
                             "': run each bridged backend in its own process");
}

}  // namespace dli::python_bridge
