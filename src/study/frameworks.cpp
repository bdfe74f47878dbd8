#include "study/frameworks.h"

#include "core/error.h"
#include "core/text.h"

namespace dli {

const std::vector<BackendInfo>& FrameworkCatalog::All() {
  if (!all_) all_ = executor_.DescribeBackends();
  return *all_;
}

std::map<std::string, BackendInfo> FrameworkCatalog::ByName() {
  std::map<std::string, BackendInfo> out;
  for (const BackendInfo& info : All()) out[info.name] = info;
  return out;
}

const BackendInfo& FrameworkCatalog::Describe(const std::string& name) {
  if (all_)
    for (const BackendInfo& info : *all_)
      if (info.name == name) return info;
  auto it = described_.find(name);
  if (it == described_.end()) it = described_.emplace(name, executor_.DescribeBackend(name)).first;
  return it->second;
}

const BackendInfo* FrameworkCatalog::Find(const std::string& name) {
  try {
    return &Describe(name);
  } catch (const UsageError&) {
    return nullptr;  // the executor's answer for a name it has no built backend for
  }
}

const BackendInfo& FrameworkCatalog::Require(const std::string& name) {
  const BackendInfo& info = Describe(name);
  if (!info.available) throw UsageError("framework '" + name + "' is unavailable: " + info.reason);
  return info;
}

std::vector<BackendInfo> FrameworkCatalog::Select(
    const std::string& list, const std::function<void(const BackendInfo&)>& on_unavailable) {
  std::vector<BackendInfo> out;
  if (list == "all") {
    for (const BackendInfo& info : All()) {
      if (info.available)
        out.push_back(info);
      else if (!info.path.empty() && on_unavailable)
        on_unavailable(info);
    }
    return out;
  }
  for (const std::string& name : Split(list, ',')) out.push_back(Require(name));
  if (out.empty()) throw UsageError("no framework given");
  return out;
}

}  // namespace dli
