#include <algorithm>

#include "core/error.h"
#include "core/point.h"
#include "core/text.h"

namespace dli {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

void ValidateAgainstBackend(const BackendInfo& info, const PointSpec& spec) {
  if (!info.available)
    throw UsageError("framework '" + info.name + "' is unavailable: " + info.reason);
  if (!Contains(info.devices, spec.device))
    throw UsageError(info.name + " has no device '" + spec.device +
                     "'; devices: " + Join(info.devices, ", "));
  if (!Contains(info.precisions, spec.precision))
    throw UsageError(info.name + " does not support precision '" + spec.precision +
                     "'; supported: " + Join(info.precisions, ", "));
  for (const auto& [key, value] : spec.params) {
    const auto it = std::find_if(info.params.begin(), info.params.end(),
                                 [&](const ParamDesc& d) { return d.name == key; });
    if (it == info.params.end()) {
      std::vector<std::string> names;
      for (const ParamDesc& d : info.params) names.push_back(d.name);
      throw UsageError(info.name + " has no parameter '" + key + "'; parameters: " +
                       (names.empty() ? std::string("none") : Join(names, ", ")));
    }
    if (const std::string err = ValidateParamValue(*it, value); !err.empty())
      throw UsageError(info.name + ": " + err);
  }
}

}  // namespace dli
