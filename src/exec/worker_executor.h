// The base of every executor whose points run in `dli __worker` processes:
// it starts the worker command, sends the request, reads the events
// (worker_protocol.h) and turns a crash, hang, interrupt or protocol
// mismatch into a failed result. An executor built on it only says how to
// start dli where the points run: the local one runs this dli; an SSH or
// Slurm one would prefix the command with `ssh HOST` or `srun ...`.
#ifndef DLI_WORKER_EXECUTOR_H
#define DLI_WORKER_EXECUTOR_H

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "exec/executor.h"
#include "exec/remote_commands.h"
#include "exec/targets.h"

namespace dli {

class WorkerExecutor : public Executor {
 public:
  std::vector<BackendInfo> DescribeBackends() override;
  BackendInfo DescribeBackend(const std::string& framework) override;
  PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress = {}) override;
  // One `dli __probe` of every framework, which also reports its host.
  NodeInfo DescribeNode() override;
  // `ENGINE image inspect` of PointContainer() through OnNode, once it succeeded.
  std::optional<ContainerImage> Image() override;

 protected:
  // The command line that runs `dli <verb>` where the points run, with
  // verb "__worker" or "__probe": {"/usr/bin/dli", "__worker"}, or
  // {"ssh", "node1", "dli", "__worker"}.
  virtual std::vector<std::string> WorkerCommand(const std::string& verb) const = 0;
  // The command of one point's worker, given the spec Place() made for it
  // (a container mounts the folder of its model). Default: WorkerCommand.
  virtual std::vector<std::string> PointWorkerCommand(const PointSpec& /*placed*/) const {
    return WorkerCommand("__worker");
  }
  // The spec as the worker must see it where it runs: an executor that
  // copies the model there names the copy. Throws (one line) when it cannot;
  // the point then fails with that reason. Default: the spec as it is. (In a
  // container, Run then clears the model's name: the worker reads the path.)
  virtual PointSpec Place(const PointSpec& spec, const std::string& /*model_sha256*/) {
    return spec;
  }
  // The container the points run in; nullptr when they run on the node itself.
  virtual const Container* PointContainer() const { return nullptr; }
  // `argv` as run on the node where the points run, outside any container.
  virtual std::vector<std::string> OnNode(const std::vector<std::string>& argv) const {
    return argv;
  }
  // Each model file is hashed once per executor; points of a target with
  // several slots run on threads of their own.
  const std::string& ModelSha256(const std::string& path);

 private:
  // The frameworks' descriptions from one `dli __probe`; what it could not
  // describe (it crashed or hung) is described as unavailable, with why.
  // `host`: set when the worker reports its host (a probe of every framework).
  std::vector<BackendInfo> Probe(const std::vector<std::string>& frameworks, double timeout_s,
                                 HostInfo* host = nullptr);
  std::mutex model_sha256_mutex_;
  std::map<std::string, std::string> model_sha256_;
  std::mutex image_mutex_;
  std::string image_id_;
};

// The base of the executors of a targets file's entries (local, ssh, slurm):
// each worker runs through WorkerArgv (transport, container, dli), named
// after the target and a counter, and each result names the target.
class TargetExecutor : public WorkerExecutor {
 public:
  PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress = {}) override;

 protected:
  TargetExecutor(const Targets& all, const Target& target);
  std::vector<std::string> WorkerCommand(const std::string& verb) const override {
    return Command(verb, {});
  }
  const Container* PointContainer() const override {
    return target_.container ? &*target_.container : nullptr;
  }
  // `dli <verb>` where the points run; `read_only_dirs`: what the container
  // mounts.
  std::vector<std::string> Command(const std::string& verb,
                                   const std::vector<std::string>& read_only_dirs) const;
  // What the executor adds to each worker's place: the SSH control socket,
  // the Slurm allocation. Default: nothing.
  virtual void AddToPlace(WorkerPlace& /*place*/) const {}

  const Targets all_;
  const Target& target_;  // in all_
  const std::string self_;

 private:
  mutable std::atomic<long> workers_{0};
};

}  // namespace dli

#endif  // DLI_WORKER_EXECUTOR_H
