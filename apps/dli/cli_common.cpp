#include "cli_common.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "dli/error.h"
#include "dli/isolation.h"
#include "dli/plugin_probe.h"
#include "dli/text.h"

namespace fs = std::filesystem;

namespace dli::cli {

ParamList ParseParams(const std::vector<std::string>& items) {
  ParamList params;
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--param expects key=value, got '" + item + "'");
    params.emplace_back(Trim(item.substr(0, eq)), Trim(item.substr(eq + 1)));
  }
  return params;
}

Backend ProbeBackend(const std::string& name) {
  Backend b;
  b.entry = FindPlugin(name);
  b.info = DescribePluginIsolated(b.entry, SelfExecutable());
  if (!b.info.available)
    throw UsageError("framework '" + name + "' is unavailable: " + b.info.reason);
  return b;
}

std::vector<Backend> AvailableBackends() {
  std::vector<Backend> out;
  const std::string self = SelfExecutable();
  for (const PluginEntry& e : DiscoverPlugins(PluginSearchDirs())) {
    if (e.library_path.empty()) continue;
    PluginInfo info = DescribePluginIsolated(e, self);
    if (info.available)
      out.push_back({e, std::move(info)});
    else
      std::cerr << "note: skipping " << e.name << ": " << info.reason << "\n";
  }
  return out;
}

std::vector<Backend> SelectBackends(const std::string& list) {
  if (list == "all") return AvailableBackends();
  std::vector<Backend> out;
  for (const std::string& name : Split(list, ',')) out.push_back(ProbeBackend(name));
  if (out.empty()) throw UsageError("no framework given");
  return out;
}

PointSpec PredictSpec(const Backend& backend, const ResolvedModel& model,
                      const std::string& precision, const std::vector<std::string>& files,
                      int batch, bool keep_outputs) {
  PointSpec s;
  s.mode = "predict";
  s.framework = backend.entry.name;
  s.plugin_path = backend.entry.library_path;
  ApplyModel(s, model);
  s.precision = precision;
  s.batch = batch;
  s.input.files = files;
  s.input.keep_outputs = keep_outputs;
  s.timeout_s = 600 + 2.0 * static_cast<double>(files.size());
  return s;
}

ResolvedModel ModelOfFormat(const ModelMeta& meta, const ModelFormat& format) {
  ResolvedModel r;
  r.name = meta.name;
  r.path = (fs::path(meta.dir) / format.path).lexically_normal().string();
  if (!format.weights.empty())
    r.weights = (fs::path(meta.dir) / format.weights).lexically_normal().string();
  r.format = format.id.empty() ? format.format : format.id;
  r.meta = meta;
  return r;
}

std::vector<std::string> ReadClassNames(const ModelMeta& meta) {
  std::vector<std::string> names;
  if (meta.labels_path.empty()) return names;
  std::ifstream in(meta.labels_path);
  for (std::string line; std::getline(in, line);) names.push_back(Trim(line));
  return names;
}

}  // namespace dli::cli
