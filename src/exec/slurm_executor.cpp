#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

// The longest wait for the allocation in the queue; it is never counted in a
// point's timeout.
constexpr double kQueueWaitS = 24 * 3600;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : Split(text, '\n'))
    if (!Trim(line).empty()) out.push_back(Trim(line));
  return out;
}

// One allocation per executor (per study), each point a step of it: the
// queue is waited in once, before the first point, and every point of the
// study runs on the same nodes. docs/CLUSTER.md says why not srun per point.
class SlurmExecutor final : public TargetExecutor {
 public:
  SlurmExecutor(const Targets& all, const Target& target) : TargetExecutor(all, target) {
    if (target_.slurm.via.empty()) return;
    const Target& login = all_.Find(target_.slurm.via);
    CheckTargetFiles(all_, login);
    // The models go to the login node's home, which its compute nodes share.
    if (!target_.shared_files) models_ = std::make_unique<RemoteModelCache>(all_, login, "");
  }

  ~SlurmExecutor() override {
    if (job_id_.empty()) return;
    try {
      RunChild({OnLoginNode(all_, target_, "", ScancelArgv(job_id_)), "", 30, true},
               [](const std::string&) { return true; });
    } catch (const std::exception&) {  // the job ends at its time limit
    }
  }

  std::vector<BackendInfo> DescribeBackends() override {
    Allocate();
    return WorkerExecutor::DescribeBackends();
  }

  BackendInfo DescribeBackend(const std::string& framework) override {
    Allocate();
    return WorkerExecutor::DescribeBackend(framework);
  }

  NodeInfo DescribeNode() override {
    Allocate();
    return WorkerExecutor::DescribeNode();
  }

  PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress) override {
    PointResult r;
    try {
      Allocate();
      r = TargetExecutor::Run(spec, on_progress);
    } catch (const std::exception& e) {
      r.spec = spec;
      r.status = Interrupted() ? "interrupted" : "failed";
      r.error = e.what();
    }
    r.target = target_.name;
    r.slurm_job = job_id_;
    return r;
  }

 protected:
  std::vector<std::string> PointWorkerCommand(const PointSpec& placed) const override {
    if (!target_.container) return Command("__worker", {});
    return Command("__worker",
                   models_ ? std::vector<std::string>{models_->Folder()} : PointFolders(placed));
  }

  std::vector<std::string> OnNode(const std::vector<std::string>& argv) const override {
    WorkerPlace place;
    AddToPlace(place);
    place.name = WorkerName(target_.name, "image");
    return OnTargetNode(all_, target_, place, argv);
  }

  PointSpec Place(const PointSpec& spec, const std::string& model_sha256) override {
    if (models_)
      return PlaceModelFiles(
          spec, model_sha256, [this](const std::string& p) { return ModelSha256(p); }, *models_);
    return spec;
  }
  void AddToPlace(WorkerPlace& place) const override { place.slurm_job_id = job_id_; }

 private:
  void Allocate() {
    const std::lock_guard<std::mutex> lock(allocate_mutex_);
    if (!job_id_.empty()) return;
    const std::string job_name = "dli-" + std::to_string(getpid());
    const ChildOutcome out = RunChild(
        {OnLoginNode(all_, target_, "", SallocArgv(target_, job_name, 0)), "", kQueueWaitS},
        [](const std::string&) { return true; });
    const auto id = ParseSallocJobId(out.log_tail);
    if (!out.interrupted && !out.timed_out && out.wait_status == 0 && id) {
      job_id_ = *id;
      return;
    }
    // salloc was killed (Ctrl-C, the queue wait) or failed: its request may
    // still wait in the queue, or hold nodes nobody will use.
    CancelRequest(out.log_tail, job_name);
    if (out.interrupted) throw std::runtime_error("interrupted by the user");
    const std::vector<std::string> lines = Lines(out.log_tail);
    throw std::runtime_error(
        kCannotReachTarget + target_.name + ": no Slurm allocation (" +
        (out.timed_out ? "still queued after 24 h" : DescribeExit(out.wait_status)) + ")" +
        (lines.empty() ? "" : ": " + lines.back()));
  }

  // By its id when salloc said it, else by the study's job name: salloc may
  // have been killed before it printed the id.
  void CancelRequest(const std::string& salloc_stderr, const std::string& job_name) const {
    std::optional<std::string> id = ParseSallocJobId(salloc_stderr);
    if (!id) id = ParseQueuedJobId(salloc_stderr);
    try {
      RunChild({OnLoginNode(all_, target_, "", id ? ScancelArgv(*id) : ScancelByNameArgv(job_name)),
                "", 30, true},
               [](const std::string&) { return true; });
    } catch (const std::exception&) {  // the request ends at its time limit
    }
  }

  std::unique_ptr<RemoteModelCache> models_;  // through the login node, unless files are shared
  std::mutex allocate_mutex_;
  std::string job_id_;
};

}  // namespace

void CheckSlurmTargetsApart(const Targets& all, const std::vector<Target>& selected) {
  // Targets through the same login node (or none) are on the same cluster.
  std::map<std::string, std::vector<const Target*>> by_cluster;
  for (const Target& t : selected)
    if (t.type == TargetType::kSlurm) by_cluster[t.slurm.via].push_back(&t);
  for (const auto& [via, targets] : by_cluster) {
    if (targets.size() < 2) continue;
    std::string listing;
    try {
      const ChildOutcome out =
          RunChild({OnLoginNode(all, *targets.front(), "", SinfoNodesArgv()), "", 60},
                   [&](const std::string& line) {
                     listing += line + "\n";
                     return true;
                   });
      if (out.timed_out || out.interrupted || out.wait_status != 0) continue;
    } catch (const std::exception&) {
      continue;  // describing the targets says why the cluster cannot be reached
    }
    const auto nodes = ParseSinfoNodes(listing);
    for (size_t i = 0; i < targets.size(); ++i) {
      const std::set<std::string> mine = SlurmTargetNodes(*targets[i], nodes);
      for (size_t j = i + 1; j < targets.size(); ++j) {
        std::vector<std::string> shared;
        for (const std::string& node : SlurmTargetNodes(*targets[j], nodes))
          if (mine.count(node)) shared.push_back(node);
        if (shared.empty()) continue;
        throw UsageError("slurm targets " + targets[i]->name + " and " + targets[j]->name +
                         " may get the same nodes (" + Join(shared, ", ") +
                         "): each holds its nodes for the whole study, so one would wait for "
                         "the other or their measurements would overlap; give them disjoint "
                         "nodes or partitions, or keep one (--only)");
      }
    }
  }
}

std::unique_ptr<Executor> MakeSlurmExecutor(const Targets& all, const Target& target) {
  return std::make_unique<SlurmExecutor>(all, target);
}

std::unique_ptr<Executor> MakeTargetExecutor(const Targets& all, const Target& target) {
  switch (target.type) {
    case TargetType::kSsh:
      return MakeSshExecutor(all, target);
    case TargetType::kSlurm:
      return MakeSlurmExecutor(all, target);
    case TargetType::kLocal:
      break;
  }
  return MakeLocalTargetExecutor(all, target);
}

}  // namespace dli
