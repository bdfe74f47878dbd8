// The embedded CPython interpreter shared by a bridged backend: starting it in
// a virtual environment, owning references, and turning Python exceptions
// into one-line C++ errors. Internal to backends/python_bridge.
#ifndef DLI_PYTHON_RUNTIME_H
#define DLI_PYTHON_RUNTIME_H

// Python.h must come first (it sets feature macros for the C library).
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string>
#include <utility>

namespace dli::python_bridge {

// Owns one reference to a Python object.
class PyRef {
 public:
  PyRef() = default;
  explicit PyRef(PyObject* owned) : object_(owned) {}
  ~PyRef() { Py_XDECREF(object_); }
  PyRef(PyRef&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  PyRef& operator=(PyRef&& other) noexcept {
    std::swap(object_, other.object_);
    return *this;
  }
  PyRef(const PyRef&) = delete;
  PyRef& operator=(const PyRef&) = delete;

  PyObject* get() const { return object_; }
  // Forgets the object without releasing it: for a destructor that may not
  // touch Python.
  void Abandon() { object_ = nullptr; }

 private:
  PyObject* object_ = nullptr;
};

// Throws std::runtime_error("ExcType: message") for the pending Python
// exception, on one line and without the traceback, and clears it.
[[noreturn]] void ThrowPythonError();

// Takes ownership of a new reference returned by the C API; throws the
// pending exception when it is NULL.
PyRef Check(PyObject* new_reference);

// Starts CPython with `venv_dir` as its virtual environment and `python_dir`
// first on sys.path, unless it runs already, and releases the GIL (take a
// Gil to call Python). Throws when the environment is missing or
// Python already runs with another environment.
void StartInterpreter(const std::string& venv_dir, const std::string& python_dir);

// Holds the GIL for its scope, on any thread: every call into Python takes
// one. No thread keeps the GIL between calls (StartInterpreter releases it),
// so the frameworks' own threads and the core's request threads can run
// Python while a call of another thread waits in the framework.
class Gil {
 public:
  Gil();
  ~Gil();
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;

 private:
  PyGILState_STATE state_;
};

// UTF-8 text of str(object).
std::string Str(PyObject* object);

}  // namespace dli::python_bridge

#endif  // DLI_PYTHON_RUNTIME_H
