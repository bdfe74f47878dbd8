#include "exec/executor.h"

namespace dli {
namespace {

BackendInfo Describe(const BackendEntry& e) {
  if (e.library_path.empty()) {
    BackendInfo info;
    info.name = info.display_name = e.name;
    info.reason = e.not_built_reason;
    return info;
  }
  return BackendLibrary::Load(e.library_path)->Describe();
}

class InProcessExecutor final : public Executor {
 public:
  std::vector<BackendInfo> DescribeBackends() override {
    std::vector<BackendInfo> out;
    for (const BackendEntry& e : DiscoverBackends(BackendSearchDirs())) out.push_back(Describe(e));
    return out;
  }
  BackendInfo DescribeBackend(const std::string& framework) override {
    return Describe(FindBackend(framework));
  }
  PointResult Run(const PointSpec& spec, const ProgressCallback&) override {
    return RunPointInProcess(spec);
  }
};

}  // namespace

std::unique_ptr<Executor> MakeInProcessExecutor() { return std::make_unique<InProcessExecutor>(); }

}  // namespace dli
