#include <atomic>

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
class LocalTargetExecutor final : public WorkerExecutor {
 public:
  LocalTargetExecutor(const Targets& all, const Target& target)
      : all_(all), target_(all_.Find(target.name)), self_(SelfExecutable()) {}

  PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress) override {
    PointResult r = WorkerExecutor::Run(spec, on_progress);
    r.target = target_.name;
    return r;
  }

 protected:
  std::vector<std::string> WorkerCommand(const std::string& verb) const override {
    return Command(verb, {});
  }
  std::vector<std::string> PointWorkerCommand(const PointSpec& placed) const override {
    return Command("__worker",
                   target_.container ? PointFolders(placed) : std::vector<std::string>());
  }
  const Container* PointContainer() const override {
    return target_.container ? &*target_.container : nullptr;
  }

 private:
  std::vector<std::string> Command(const std::string& verb,
                                   const std::vector<std::string>& read_only_dirs) const {
    WorkerPlace place;
    place.self = self_;
    place.name = WorkerName(target_.name, std::to_string(++points_));
    place.read_only_dirs = read_only_dirs;
    place.verb = verb;
    return WorkerArgv(all_, target_, place);
  }

  const Targets all_;
  const Target& target_;  // in all_
  const std::string self_;
  mutable std::atomic<long> points_{0};
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
