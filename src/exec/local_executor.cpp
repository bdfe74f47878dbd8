#include "core/backend_probe.h"
#include "core/isolation.h"
#include "exec/executor.h"

namespace dli {
namespace {

class LocalExecutor final : public Executor {
 public:
  std::vector<BackendInfo> DescribeBackends() override {
    std::vector<BackendInfo> out;
    for (const BackendEntry& e : DiscoverBackends(BackendSearchDirs()))
      out.push_back(DescribeBackendIsolated(e, self_));
    return out;
  }
  BackendInfo DescribeBackend(const std::string& framework) override {
    return DescribeBackendIsolated(FindBackend(framework), self_);
  }
  PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress) override {
    return RunPointIsolated(spec, self_, on_progress);
  }

 private:
  const std::string self_ = SelfExecutable();
};

}  // namespace

std::unique_ptr<Executor> MakeLocalExecutor() { return std::make_unique<LocalExecutor>(); }

}  // namespace dli
