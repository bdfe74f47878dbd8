// Model files reach the hosts of ssh targets by content: each file lives on
// the host at ~/.cache/dli/models/<sha256>/<file name> (ModelCachePath), is
// checked there with sha256sum and sent with rsync over the target's own ssh
// settings only when it is missing or different, then checked again.
#ifndef DLI_EXEC_MODEL_CACHE_H
#define DLI_EXEC_MODEL_CACHE_H

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "core/point.h"
#include "exec/targets.h"

namespace dli {

class RemoteModelCache {
 public:
  // `target`: the ssh target whose home folder holds the cache (a slurm
  // target's login node); `control_dir`: its shared connection, "" = none.
  RemoteModelCache(const Targets& all, const Target& target, std::string control_dir);

  // The absolute path on the host of a file with `local_file`'s name and
  // content `sha256`, copied there if needed. Throws std::runtime_error with
  // one line; it starts with kCannotReachTarget when ssh cannot connect.
  std::string Stage(const std::string& local_file, const std::string& sha256);
  // The cache folder on the host (absolute); "" before the first Stage.
  std::string Folder() const;

 private:
  // The host's home folder, and the sha256 of the cached file ("" when it is
  // absent; a file with other content is removed).
  std::pair<std::string, std::string> Check(const std::string& relative, const std::string& sha256);
  // Runs a command; the output, or throws naming the target.
  std::string Output(const std::vector<std::string>& argv, const std::string& what);

  const Targets& all_;
  const Target& target_;
  const std::string control_dir_;
  mutable std::mutex mutex_;
  std::string home_;
  std::map<std::string, std::string> staged_;  // "sha256/name" -> path on the host
};

// `spec` with its model (and weights) file named by its copy in `cache`,
// sent by path rather than as a prepared model, which the host need not
// have. `sha256_of` hashes a local file (the weights).
PointSpec PlaceModelFiles(const PointSpec& spec, const std::string& model_sha256,
                          const std::function<std::string(const std::string&)>& sha256_of,
                          RemoteModelCache& cache);

}  // namespace dli

#endif  // DLI_EXEC_MODEL_CACHE_H
