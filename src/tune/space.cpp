#include "tune/space.h"

#include <algorithm>

#include "core/error.h"
#include "core/measure.h"
#include "dli/param_check.h"

namespace dli::tune {
namespace {

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// `first` (the default), then the others in order, each once.
std::vector<std::string> DefaultFirst(const std::string& first,
                                      const std::vector<std::string>& others) {
  std::vector<std::string> out{first.empty() ? kUnset : first};
  for (const std::string& v : others)
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  return out;
}

template <typename T>
size_t IndexOf(const std::vector<T>& values, const T& wanted) {
  const auto it = std::find(values.begin(), values.end(), wanted);
  return it == values.end() ? 0 : static_cast<size_t>(it - values.begin());
}

}  // namespace

bool IsThreadCount(const ParamDesc& param) {
  return param.type == "int" && EndsWith(param.name, "threads");
}

std::vector<std::string> ParamCandidates(const ParamDesc& param, int cores) {
  if (param.type == "choice") {
    dli_param_info info{};
    info.choices = param.choices.c_str();
    return DefaultFirst(param.default_value, param_check::Choices(info));
  }
  if (param.type == "bool") return DefaultFirst(param.default_value, {"true", "false"});
  if (param.type != "int") return {};
  const std::optional<int> min = param_check::ParseInt(param.min_value);
  const std::optional<int> max = param_check::ParseInt(param.max_value);
  std::vector<int> values;
  if (IsThreadCount(param)) {
    for (int n = 1; n < cores; n *= 2) values.push_back(n);
    values.push_back(std::max(cores, 1));
  } else if (min && max) {
    values = {*min, *min + (*max - *min) / 2, *max};
  } else {
    return {};
  }
  std::vector<std::string> texts;
  for (int v : values)
    if ((!min || v >= *min) && (!max || v <= *max)) texts.push_back(std::to_string(v));
  return DefaultFirst(param.default_value, texts);
}

std::string ConfigValue(const Config& config, const std::string& name) {
  for (const auto& [key, value] : config)
    if (key == name) return value;
  return "";
}

Space LaunchSpace(const BackendInfo& info, const SpaceRequest& request) {
  if (request.modes.empty() || request.batches.empty())
    throw UsageError("nothing to tune: no mode or no batch size");
  Space space;
  space.axes.push_back({"mode", request.modes, 0});
  Axis batch{"batch", {}, IndexOf(request.batches, 1)};
  for (int b : request.batches) batch.values.push_back(std::to_string(b));
  space.axes.push_back(std::move(batch));
  const bool throughput = std::find(request.modes.begin(), request.modes.end(),
                                    std::string(kThroughputMode)) != request.modes.end();
  if (throughput) {
    if (request.requests.empty()) throw UsageError("nothing to tune: no request count");
    Axis requests{"requests", {}, IndexOf(request.requests, size_t{1})};
    for (size_t r : request.requests) {
      // More requests than the backend holds would only fail.
      if (info.max_requests > 0 && r > info.max_requests)
        throw UsageError(info.name + " holds at most " + std::to_string(info.max_requests) +
                         " requests in flight; cannot tune requests=" + std::to_string(r));
      requests.values.push_back(std::to_string(r));
    }
    const std::string latency_requests = requests.values[requests.default_index];
    space.admissible = [latency_requests](const Config& c) {
      return ConfigValue(c, "mode") == kThroughputMode ||
             ConfigValue(c, "requests") == latency_requests;
    };
    space.axes.push_back(std::move(requests));
  }
  auto listed = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (const std::string& name : request.params) {
    const auto it = std::find_if(info.params.begin(), info.params.end(),
                                 [&](const ParamDesc& p) { return p.name == name; });
    if (it == info.params.end())
      throw UsageError("cannot tune '" + name + "': " + info.name + " has no such parameter");
    if (ParamCandidates(*it, request.cores).empty())
      throw UsageError("cannot tune '" + name + "': a " + it->type +
                       " parameter without a bounded range of values");
    if (listed(request.fixed, name))
      throw UsageError("cannot tune '" + name + "': it is set with --param");
  }
  // The first thread count is the intra-op one (threads, intra_threads);
  // the others (inter-op, engine workers) matter less and only on request.
  bool thread_count_taken = false;
  for (const ParamDesc& p : info.params) {
    if (listed(request.fixed, p.name)) continue;
    const bool by_default = IsThreadCount(p) && !thread_count_taken;
    thread_count_taken = thread_count_taken || IsThreadCount(p);
    if (!listed(request.params, p.name) && !by_default) continue;
    std::vector<std::string> values = ParamCandidates(p, request.cores);
    if (values.size() > 1) space.axes.push_back({p.name, std::move(values), 0});
  }
  return space;
}

}  // namespace dli::tune
