#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "core/error.h"
#include "core/text.h"
#include "exec/child_process.h"
#include "exec/executor.h"
#include "exec/model_cache.h"
#include "exec/remote_commands.h"
#include "exec/targets.h"
#include "exec/worker_executor.h"

namespace dli {
namespace {

// A folder only this user can enter: whoever can reach the control socket
// can run commands as us on the host. Short, because a socket path holds
// 107 bytes.
std::string MakeControlDir() {
  std::string dir = "/tmp/dli-ssh-XXXXXX";
  if (!mkdtemp(dir.data())) throw std::runtime_error("cannot create a folder under /tmp for ssh");
  return dir;
}

// Runs each point's worker on the host through ssh, with the model files
// copied there by content first (unless the target shares this machine's
// files).
class SshExecutor final : public TargetExecutor {
 public:
  SshExecutor(const Targets& all, const Target& target)
      : TargetExecutor(all, target),
        control_dir_((CheckTargetFiles(all_, target_), MakeControlDir())),
        models_(all_, target_, control_dir_) {}

  ~SshExecutor() override {
    try {
      RunChild({SshControlExitArgv(all_, target_, control_dir_), "", 10, true},
               [](const std::string&) { return true; });
    } catch (const std::exception&) {  // nothing to end
    }
    std::error_code ignored;
    std::filesystem::remove_all(control_dir_, ignored);
  }

  PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress) override {
    PointResult r = TargetExecutor::Run(spec, on_progress);
    if (TargetUnreachable(r)) return r;  // the model copy could not connect
    // ssh's own failures (refused, host key, authentication) exit with 255:
    // the point did not run, and ssh's last line says why.
    if (r.status == "crashed" && r.error == "worker exited with code 255") {
      std::string reason;
      for (const std::string& line : Split(r.stderr_tail, '\n'))
        if (!Trim(line).empty()) reason = Trim(line);
      r.status = "failed";
      r.error = "cannot reach target " + target_.name + (reason.empty() ? "" : ": " + reason);
    }
    return r;
  }

  NodeInfo DescribeNode() override {
    try {
      return WorkerExecutor::DescribeNode();
    } catch (const std::runtime_error& e) {
      // ssh's own failure (exit 255): say which target, with ssh's last line.
      static const std::string kSshFailed = "(exited with code 255)";
      const std::string what = e.what();
      const size_t at = what.find(kSshFailed);
      if (at == std::string::npos) throw;
      const std::string reason = Trim(what.substr(at + kSshFailed.size()));
      throw std::runtime_error(kCannotReachTarget + target_.name +
                               (reason.size() > 1 ? ": " + Trim(reason.substr(1)) : ""));
    }
  }

 protected:
  std::vector<std::string> PointWorkerCommand(const PointSpec& placed) const override {
    if (!target_.container) return Command("__worker", {});
    return Command("__worker", target_.shared_files ? PointFolders(placed)
                                                    : std::vector<std::string>{models_.Folder()});
  }

  std::vector<std::string> OnNode(const std::vector<std::string>& argv) const override {
    WorkerPlace place;
    AddToPlace(place);
    return OnTargetNode(all_, target_, place, argv);
  }
  void AddToPlace(WorkerPlace& place) const override { place.control_dir = control_dir_; }

  PointSpec Place(const PointSpec& spec, const std::string& model_sha256) override {
    return target_.shared_files
               ? spec
               : PlaceModelFiles(
                     spec, model_sha256, [this](const std::string& p) { return ModelSha256(p); },
                     models_);
  }

 private:
  const std::string control_dir_;
  RemoteModelCache models_;
};

}  // namespace

std::unique_ptr<Executor> MakeSshExecutor(const Targets& all, const Target& target) {
  return std::make_unique<SshExecutor>(all, target);
}

}  // namespace dli
