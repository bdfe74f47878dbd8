#include "exec/child_process.h"
#include "exec/executor.h"
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

}  // namespace

std::unique_ptr<Executor> MakeLocalExecutor() { return MakeLocalExecutor(SelfExecutable()); }

std::unique_ptr<Executor> MakeLocalExecutor(const std::string& dli_executable) {
  return std::make_unique<LocalExecutor>(dli_executable);
}

}  // namespace dli
