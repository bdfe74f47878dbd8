// The search space of launch-parameter tuning (docs/METHODOLOGY.md,
// "Tuning"), derived from what a backend declares (dli_param_info): small on
// purpose, since successive halving measures every candidate at least once.
#ifndef DLI_TUNE_SPACE_H
#define DLI_TUNE_SPACE_H

#include <string>
#include <vector>

#include "core/backend.h"
#include "tune/tune.h"

namespace dli::tune {

// The axis value that leaves a parameter unset: the backend's own default.
inline constexpr const char* kUnset = "default";

// The values tried for one parameter, its default first; empty when the
// parameter cannot be tuned (a free-form string, or an int without bounds
// that is not a thread count). Thread counts (ints named *threads): the
// default, then 1, 2, 4, ... up to `cores` and `cores` itself, within the
// declared bounds. Other ints: min, middle, max. Bools: both. Choices: each.
std::vector<std::string> ParamCandidates(const ParamDesc& param, int cores);

// An int parameter named *threads. The first the user did not set is tuned
// by default.
bool IsThreadCount(const ParamDesc& param);

struct SpaceRequest {
  std::vector<std::string> modes;  // latency and/or throughput
  std::vector<int> batches;        // batch 1 is the default when present
  std::vector<size_t> requests;    // throughput mode's; 1 is the default when present
  // Parameters to tune besides the first thread count; UsageError for one the
  // backend does not declare or that cannot be tuned.
  std::vector<std::string> params;
  // Parameters the user set: fixed, not tuned.
  std::vector<std::string> fixed;
  int cores = 1;
};

// Axes mode, batch, requests (with throughput mode), then the first thread
// count and the requested parameters in the backend's order; grouped by mode; latency
// configurations keep the default request count.
Space LaunchSpace(const BackendInfo& info, const SpaceRequest& request);

// The value of `name` in `config`; "" when absent.
std::string ConfigValue(const Config& config, const std::string& name);

}  // namespace dli::tune

#endif  // DLI_TUNE_SPACE_H
