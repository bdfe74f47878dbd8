#include "exec/backend_probe.h"
#include "exec/executor.h"
#include "exec/worker.h"
#include "exec/worker_protocol.h"

namespace dli {
namespace {

class InProcessExecutor final : public Executor {
 public:
  std::vector<BackendInfo> DescribeBackends() override {
    std::vector<BackendInfo> out;
    for (const std::string& name : FrameworksFound()) out.push_back(DescribeBackendInProcess(name));
    return out;
  }
  BackendInfo DescribeBackend(const std::string& framework) override {
    return DescribeBackendInProcess(framework);
  }
  PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress) override {
    return RunPointInProcess(spec, [&](size_t requests, size_t of) {
      if (on_progress) on_progress(ProgressText(requests, of));
    });
  }
};

}  // namespace

std::unique_ptr<Executor> MakeInProcessExecutor() { return std::make_unique<InProcessExecutor>(); }

}  // namespace dli
