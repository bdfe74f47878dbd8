#include "exec/child_process.h"
#include "exec/executor.h"
#include "exec/model_cache.h"
#include "exec/remote_commands.h"
#include "exec/targets.h"
#include "exec/worker_executor.h"

namespace dli {
namespace {

// Runs each point in a child process of this host: `dli __worker`.
class LocalExecutor final : public WorkerExecutor {
 public:
  explicit LocalExecutor(std::string dli_executable) : dli_(std::move(dli_executable)) {}

 protected:
  std::vector<std::string> WorkerCommand(const std::string& verb) const override {
    return {dli_, verb};
  }

 private:
  const std::string dli_;
};

// A local target: its own dli, maybe in a container, which gets the
// model's folder mounted read-only and the model by path.
class LocalTargetExecutor final : public TargetExecutor {
 public:
  LocalTargetExecutor(const Targets& all, const Target& target) : TargetExecutor(all, target) {}

 protected:
  std::vector<std::string> PointWorkerCommand(const PointSpec& placed) const override {
    return Command("__worker",
                   target_.container ? PointFolders(placed) : std::vector<std::string>());
  }
};

}  // namespace

std::unique_ptr<Executor> MakeLocalTargetExecutor(const Targets& all, const Target& target) {
  return std::make_unique<LocalTargetExecutor>(all, target);
}

std::unique_ptr<Executor> MakeLocalExecutor() { return MakeLocalExecutor(SelfExecutable()); }

std::unique_ptr<Executor> MakeLocalExecutor(const std::string& dli_executable) {
  return std::make_unique<LocalExecutor>(dli_executable);
}

}  // namespace dli
