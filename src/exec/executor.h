// Where a test point runs. Every command that measures or predicts goes
// through this one interface; each implementation is one file in src/exec/
// (local child process, in-process for tests; remote ones build on the
// worker protocol of worker_protocol.h).
#ifndef DLI_EXEC_EXECUTOR_H
#define DLI_EXEC_EXECUTOR_H

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/point.h"

namespace dli {

// Called with the worker's progress lines ("300/1000 requests").
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
  // Runs one point. A failing point (crash, timeout, framework error,
  // interrupt) is a result with its status, never an exception.
  virtual PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress = {}) = 0;
};

// Each point in a child process of this dli (`dli __worker`), with the
// point's timeout: a framework that crashes or hangs cannot take dli down.
std::unique_ptr<Executor> MakeLocalExecutor();
// Each point inside this process: for tests with a well-behaved backend.
std::unique_ptr<Executor> MakeInProcessExecutor();

}  // namespace dli

#endif  // DLI_EXEC_EXECUTOR_H
