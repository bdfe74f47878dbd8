#include "core/backend_probe.h"

#include <fstream>

#include "core/isolation.h"
#include "report/report.h"
#include "core/text.h"

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
  for (const json& d : j.at("params"))
    p.params.push_back({d.at("name"), d.at("type"), d.at("default"), d.at("choices"), d.at("help"),
                        d.at("min"), d.at("max")});
  return p;
}

void WriteBackendDescription(const std::string& library_path, const std::string& out_file) {
  const BackendInfo info = BackendLibrary::Load(library_path)->Describe();
  WriteFileAtomically(out_file, BackendInfoToJson(info).dump());
}

BackendInfo DescribeBackendIsolated(const BackendEntry& entry, const std::string& worker_exe,
                                  double timeout_s) {
  BackendInfo info;
  info.name = entry.name;
  info.display_name = entry.name;
  if (entry.library_path.empty()) {
    info.reason = entry.not_built_reason;
    return info;
  }
  info.path = entry.library_path;
  TempDir dir;
  const std::string out_file = (dir.path() / "info.json").string();
  const ChildOutcome child =
      RunChild({worker_exe, "__probe", entry.library_path, out_file}, timeout_s);
  std::ifstream in(out_file);
  if (child.timed_out) {
    info.reason = "probing the backend timed out after " + FormatFixed(timeout_s, 0) + " s";
  } else if (!in) {
    const std::vector<std::string> lines = Split(child.tail, '\n');
    info.reason = "probing the backend failed (" + DescribeExit(child.wait_status) + ")" +
                  (lines.empty() ? "" : ": " + lines.back());
  } else {
    try {
      info = BackendInfoFromJson(json::parse(in));
    } catch (const std::exception& e) {
      info.reason = std::string("unreadable backend description: ") + e.what();
    }
  }
  return info;
}

}  // namespace dli
