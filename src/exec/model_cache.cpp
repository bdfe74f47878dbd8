#include "exec/model_cache.h"

#include <sys/wait.h>

#include <filesystem>
#include <stdexcept>

#include "core/text.h"
#include "exec/child_process.h"
#include "exec/executor.h"
#include "exec/remote_commands.h"

namespace dli {
namespace {

// Uploads of big models over slow links take a while; a check does not.
constexpr double kCheckTimeoutS = 60;
constexpr double kUploadTimeoutS = 3600;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : Split(text, '\n'))
    if (!Trim(line).empty()) out.push_back(Trim(line));
  return out;
}

}  // namespace

RemoteModelCache::RemoteModelCache(const Targets& all, const Target& target,
                                   std::string control_dir)
    : all_(all), target_(target), control_dir_(std::move(control_dir)) {}

std::string RemoteModelCache::Output(const std::vector<std::string>& argv,
                                     const std::string& what) {
  std::string out;
  const ChildOutcome c = RunChild({argv, "", what == "upload" ? kUploadTimeoutS : kCheckTimeoutS},
                                  [&](const std::string& line) {
                                    out += line + "\n";
                                    return true;
                                  });
  if (c.wait_status == 0 && !c.timed_out && !c.interrupted) return out;
  const std::vector<std::string> log = Lines(c.log_tail);
  const std::string last = log.empty() ? "" : ": " + log.back();
  // ssh exits with 255 when it cannot connect; rsync with 255 or 12 then.
  if (WIFEXITED(c.wait_status) && WEXITSTATUS(c.wait_status) == 255)
    throw std::runtime_error(kCannotReachTarget + target_.name + last);
  throw std::runtime_error("model " + what + " on target " + target_.name + " failed (" +
                           (c.timed_out ? "timed out" : DescribeExit(c.wait_status)) + ")" + last);
}

std::pair<std::string, std::string> RemoteModelCache::Check(const std::string& relative,
                                                            const std::string& sha256) {
  // One round trip: the home folder, then the cached file's hash; a file
  // with another content (a broken copy) is removed so rsync sends it anew.
  const std::string script =
      "cd && pwd && h=$(sha256sum -- \"$1\" 2>/dev/null | cut -c1-64) && "
      "{ [ \"$h\" = \"$2\" ] || rm -f -- \"$1\"; } && echo \"hash $h\"";
  const std::vector<std::string> lines = Lines(Output(
      SshArgv(all_, target_, control_dir_, {"sh", "-c", script, "sh", relative, sha256}), "check"));
  if (lines.size() != 2 || lines[0].empty() || lines[0][0] != '/' || lines[1].rfind("hash", 0) != 0)
    throw std::runtime_error("model check on target " + target_.name +
                             " gave unexpected output (is the login shell a POSIX shell?)");
  return {lines[0], Trim(lines[1].substr(4))};
}

std::string RemoteModelCache::Stage(const std::string& local_file, const std::string& sha256) {
  const std::string relative =
      ModelCachePath(sha256, std::filesystem::path(local_file).filename().string());
  const std::lock_guard<std::mutex> lock(mutex_);
  if (const auto it = staged_.find(relative); it != staged_.end()) return it->second;
  auto [home, found] = Check(relative, sha256);
  if (found != sha256) {
    Output(ModelUploadArgv(all_, target_, control_dir_, local_file, sha256), "upload");
    found = Check(relative, sha256).second;
    if (found != sha256)
      throw std::runtime_error("the copy of " + local_file + " on target " + target_.name +
                               " does not have its sha256 " + sha256);
  }
  home_ = home;
  return staged_[relative] = home + "/" + relative;
}

std::string RemoteModelCache::Folder() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return home_.empty() ? "" : home_ + "/.cache/dli/models";
}

PointSpec PlaceModelFiles(const PointSpec& spec, const std::string& model_sha256,
                          const std::function<std::string(const std::string&)>& sha256_of,
                          RemoteModelCache& cache) {
  PointSpec placed = spec;
  placed.model_path = cache.Stage(spec.model_path, model_sha256);
  if (!spec.weights_path.empty())
    placed.weights_path = cache.Stage(spec.weights_path, sha256_of(spec.weights_path));
  placed.model_name.clear();
  return placed;
}

}  // namespace dli
