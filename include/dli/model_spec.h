// The dli_model_spec of one open() call, built from C++ containers: one
// definition for the core (BackendLibrary::Open) and the backend test harness
// (backend_testing.h). Header-only and used inside one binary at a time: only
// the plain C spec crosses to the backend (see backend_abi.h).
#ifndef DLI_MODEL_SPEC_H
#define DLI_MODEL_SPEC_H

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "dli/backend_abi.h"

namespace dli {

// Owns the arrays the spec points into, so it can be neither copied nor moved.
// `Request` is any struct with model_path, weights_path, device, precision
// (strings), batch, requests (ints), params (pairs of strings) and shapes
// (pairs of a name and its dims, batch first).
class ModelSpec {
 public:
  template <class Request>
  explicit ModelSpec(const Request& request) {
    for (const auto& [key, value] : request.params) params_.push_back({key.c_str(), value.c_str()});
    for (const auto& [name, dims] : request.shapes) {
      // More dimensions than dims[] holds cannot be passed; the backend
      // refuses any other bad shape itself (the SDK's adapter: rank 0).
      if (dims.size() > DLI_MAX_RANK)
        throw std::runtime_error("shape of input '" + name + "' has rank " +
                                 std::to_string(dims.size()) + "; at most " +
                                 std::to_string(DLI_MAX_RANK) + " supported");
      dli_input_shape shape{};
      shape.name = name.c_str();
      shape.rank = static_cast<int32_t>(dims.size());
      std::copy(dims.begin(), dims.end(), shape.dims);
      shapes_.push_back(shape);
    }
    spec_.model_path = request.model_path.c_str();
    spec_.weights_path = request.weights_path.empty() ? nullptr : request.weights_path.c_str();
    spec_.device = request.device.c_str();
    spec_.precision = request.precision.c_str();
    spec_.batch = request.batch;
    spec_.requests = request.requests;
    spec_.params = params_.data();
    spec_.n_params = params_.size();
    spec_.shapes = shapes_.data();
    spec_.n_shapes = shapes_.size();
  }
  ModelSpec(const ModelSpec&) = delete;
  ModelSpec& operator=(const ModelSpec&) = delete;

  const dli_model_spec* get() const { return &spec_; }

 private:
  std::vector<dli_kv> params_;
  std::vector<dli_input_shape> shapes_;
  dli_model_spec spec_{};
};

}  // namespace dli

#endif  // DLI_MODEL_SPEC_H
