// The generic half of a backend whose framework runs through its
// Python API, from a CPython interpreter embedded in the backend.
//
// Why: LiteRT (ai-edge-litert) and ONNX Runtime ship their runtimes on PyPI
// without C/C++ headers (see docs/backends/python_bridge.md), so the closest
// real route from C++ is the framework's own Python API. Timing stays in the
// core's C++ loop: the backend's infer() is one C++ -> Python call of the
// framework's inference method, and notes() reports the measured cost of
// that call path.
//
// A backend source does not include this header directly but
// dli/python_backend.h, which turns a traits struct into the backend table.
#ifndef DLI_PYTHON_BRIDGE_H
#define DLI_PYTHON_BRIDGE_H

#include <memory>

#include "dli/backend_sdk.h"

namespace dli::python_bridge {

// What the generic bridge needs to know about one backend.
struct BackendConfig {
  const char* name;       // the backend name; its module is dli_backends.<name>
  const char* venv_name;  // the virtual environment <venv root>/<venv_name>
  const char* devices;    // comma-separated, as the backend declares them
  const char* precisions;
};

// Starts Python with the backend's virtual environment (once per process) and
// imports its module; throws with a one-line reason when either fails.
void Probe(const BackendConfig& config);
// The module's version(), e.g. "2.3.0"; "" before Probe.
const char* FrameworkVersion(const BackendConfig& config);
// The measured per-call cost of the bridge's call path; "" when Python could
// not be started.
const char* Notes(const BackendConfig& config);
std::unique_ptr<sdk::Session> Open(const BackendConfig& config, const sdk::Spec& spec);

}  // namespace dli::python_bridge

#endif  // DLI_PYTHON_BRIDGE_H
