#include "exec/backend_probe.h"

using nlohmann::json;

namespace dli {

json BackendInfoToJson(const BackendInfo& p) {
  json params = json::array();
  for (const ParamDesc& d : p.params)
    params.push_back({{"name", d.name},
                      {"type", d.type},
                      {"default", d.default_value},
                      {"choices", d.choices},
                      {"help", d.help},
                      {"min", d.min_value},
                      {"max", d.max_value}});
  return {{"name", p.name},
          {"display_name", p.display_name},
          {"available", p.available},
          {"reason", p.reason},
          {"version", p.version},
          {"devices", p.devices},
          {"precisions", p.precisions},
          {"model_formats", p.model_formats},
          {"notes", p.notes},
          {"params", params},
          {"request_calls", p.request_calls},
          {"max_requests", p.max_requests},
          {"library", p.path}};
}

BackendInfo BackendInfoFromJson(const json& j) {
  BackendInfo p;
  p.name = j.at("name");
  p.display_name = j.at("display_name");
  p.available = j.at("available");
  p.reason = j.at("reason");
  p.version = j.at("version");
  p.devices = j.at("devices").get<std::vector<std::string>>();
  p.precisions = j.at("precisions").get<std::vector<std::string>>();
  p.model_formats = j.at("model_formats");
  p.notes = j.at("notes");
  p.path = j.at("library");
  p.request_calls = j.value("request_calls", "");
  p.max_requests = j.value("max_requests", size_t{0});
  for (const json& d : j.at("params"))
    p.params.push_back({d.at("name"), d.at("type"), d.at("default"), d.at("choices"), d.at("help"),
                        d.at("min"), d.at("max")});
  return p;
}

std::vector<std::string> FrameworksFound() {
  std::vector<std::string> names;
  for (const BackendEntry& e : DiscoverBackends(BackendSearchDirs())) names.push_back(e.name);
  return names;
}

BackendInfo DescribeBackendInProcess(const std::string& framework) {
  for (const BackendEntry& e : DiscoverBackends(BackendSearchDirs())) {
    if (e.name != framework) continue;
    BackendInfo info;
    info.name = info.display_name = e.name;
    if (e.library_path.empty()) {
      info.reason = e.not_built_reason;
      return info;
    }
    info.path = e.library_path;
    try {
      return BackendLibrary::Load(e.library_path)->Describe();
    } catch (const std::exception& error) {  // not loadable, or another ABI version
      info.reason = error.what();
      return info;
    }
  }
  FindBackend(framework);  // throws the error that names the known frameworks
  throw std::logic_error("FindBackend accepted an unknown framework");
}

}  // namespace dli
