#include <algorithm>

#include "core/error.h"
#include "core/point.h"
#include "core/text.h"
#include "core/throughput.h"

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

std::string ThroughputRefusal(const BackendInfo& info) {
  if (info.request_calls.empty() && info.notes.rfind("python bridge", 0) == 0)
    return "throughput mode: " + info.name +
           " runs through embedded Python and accepts calls from one thread only";
  return "";
}

std::string ValidateMeasureMode(const MeasureOptions& options) {
  if (options.mode != kLatencyMode && options.mode != kThroughputMode)
    return "unknown measurement mode '" + options.mode + "'; expected latency or throughput";
  if (const std::string err = ValidateRequestCount(options.requests, 0); !err.empty()) return err;
  if (options.mode == kLatencyMode && options.requests > 1)
    return "latency mode runs one request at a time; use throughput mode for " +
           std::to_string(options.requests) + " requests";
  return "";
}

}  // namespace dli
