// Where a test point runs. Every command that measures or predicts goes
// through this one interface; each implementation is one file in src/exec/
// (local child process, in-process for tests). Executors whose points run in
// `dli __worker` processes derive from WorkerExecutor (worker_executor.h),
// which speaks the worker protocol (worker_protocol.h): a remote one only
// supplies the command line that starts dli there.
#ifndef DLI_EXEC_EXECUTOR_H
#define DLI_EXEC_EXECUTOR_H

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/host.h"
#include "core/point.h"

namespace dli {

struct Target;
struct Targets;

// The node where an executor runs points: its host and its frameworks.
struct NodeInfo {
  HostInfo host;
  std::vector<BackendInfo> backends;
};

// The error of a point that did not run because its target could not be
// reached (ssh refused, host key, no allocation) starts with this.
inline constexpr const char* kCannotReachTarget = "cannot reach target ";
inline bool TargetUnreachable(const PointResult& r) {
  return r.status == "failed" && r.error.rfind(kCannotReachTarget, 0) == 0;
}

// The image a container target's points run in, as the engine on the node
// names it: results record it beside the target (docs/CLUSTER.md).
struct ContainerImage {
  std::string engine;  // "docker" or "podman"
  std::string image;   // as the targets file names it
  std::string id;      // the engine's image id; "" when it could not be read
};

// Called with the worker's progress ("300/1000 requests").
using ProgressCallback = std::function<void(const std::string& progress)>;

class Executor {
 public:
  virtual ~Executor() = default;

  // Every framework backend found where this executor runs points: built or
  // not, available or why not, in name order. Never throws for a backend
  // that crashes or hangs while probed (available=false with the reason).
  virtual std::vector<BackendInfo> DescribeBackends() = 0;
  // One framework; UsageError naming the known ones when it is unknown.
  virtual BackendInfo DescribeBackend(const std::string& framework) = 0;
  // The node's host and every framework there; this host unless the
  // executor runs points elsewhere. Throws when the node cannot be reached.
  virtual NodeInfo DescribeNode() { return {ReadHostInfo(), DescribeBackends()}; }
  // Runs one point. A failing point (crash, timeout, framework error,
  // interrupt) is a result with its status, never an exception.
  virtual PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress = {}) = 0;
  // The image of this executor's points; nullopt when they run on the node
  // itself. Its id is read once, on the node, after the first point ran
  // (a Slurm target's image is read on one node of its allocation).
  virtual std::optional<ContainerImage> Image() { return std::nullopt; }
};

// Each point in a child process of this dli (`dli __worker`), with the
// point's timeout: a framework that crashes or hangs cannot take dli down.
// Frameworks are described the same way (`dli __probe`).
std::unique_ptr<Executor> MakeLocalExecutor();
// The same with another dli executable as the worker (tests).
std::unique_ptr<Executor> MakeLocalExecutor(const std::string& dli_executable);
// Each point inside this process: for tests with a well-behaved backend.
// Nothing protects the caller from a framework that crashes or hangs.
std::unique_ptr<Executor> MakeInProcessExecutor();

// Each point in `dli __worker` on an ssh target (exec/targets.h), over one
// shared connection (ControlMaster in a private folder, ended with the
// executor). Checks the target's key files first (UsageError).
std::unique_ptr<Executor> MakeSshExecutor(const Targets& all, const Target& target);
// Each point as a job step (`srun`) of one allocation (`salloc`) made at the
// first point and cancelled with the executor: the queue wait is not part of
// any point's timeout. Results carry the job id.
std::unique_ptr<Executor> MakeSlurmExecutor(const Targets& all, const Target& target);
// Refuses (UsageError, one line) two slurm targets among `selected` whose
// nodes may overlap on one cluster (the same login node, or none), as sinfo
// there lists them: each holds an allocation for the whole study, so with
// exclusive nodes one would wait for the other to end, and without, their
// steps would measure on one node at once. A cluster that cannot be asked is
// left to describing the targets.
void CheckSlurmTargetsApart(const Targets& all, const std::vector<Target>& selected);
// A local target: this dli (or the target's), in its container if it has one.
std::unique_ptr<Executor> MakeLocalTargetExecutor(const Targets& all, const Target& target);
// The executor of any target; its results carry the target's name.
std::unique_ptr<Executor> MakeTargetExecutor(const Targets& all, const Target& target);

}  // namespace dli

#endif  // DLI_EXEC_EXECUTOR_H
