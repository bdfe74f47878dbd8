#include <fstream>

#include "core/isolation.h"
#include "core/point.h"

using nlohmann::json;

namespace dli {
namespace {

constexpr const char* kProgressPrefix = "dli: ";

PointResult FailedResult(const PointSpec& spec, const std::string& status, const std::string& error,
                         const ChildOutcome& child) {
  PointResult r;
  r.spec = spec;
  r.status = status;
  r.error = error;
  r.stderr_tail = child.tail;
  r.wall_s = child.wall_s;
  return r;
}

}  // namespace

PointResult RunPointIsolated(const PointSpec& spec, const std::string& worker_exe,
                             const LineCallback& on_progress) {
  TempDir dir;
  const std::string spec_file = (dir.path() / "spec.json").string();
  const std::string result_file = (dir.path() / "result.json").string();
  std::ofstream(spec_file) << SpecToJson(spec).dump();

  const ChildOutcome child = RunChild({worker_exe, "__worker", spec_file, result_file},
                                      spec.timeout_s, [&](const std::string& line) {
                                        const std::string prefix = kProgressPrefix;
                                        if (on_progress && line.rfind(prefix, 0) == 0)
                                          on_progress(line.substr(prefix.size()));
                                      });
  if (child.interrupted) return FailedResult(spec, "interrupted", "interrupted by the user", child);
  if (child.timed_out)
    return FailedResult(
        spec, "timeout",
        "timed out after " + std::to_string(static_cast<int>(spec.timeout_s)) + " s", child);
  std::ifstream in(result_file);
  if (!in) return FailedResult(spec, "crashed", "worker " + DescribeExit(child.wait_status), child);
  try {
    PointResult r = ResultFromJson(json::parse(in));
    r.spec = spec;
    if (!r.ok()) r.stderr_tail = child.tail;
    return r;
  } catch (const std::exception& e) {
    return FailedResult(spec, "crashed",
                        std::string("worker wrote an unreadable result: ") + e.what(), child);
  }
}

}  // namespace dli
