// Model files reach the hosts of ssh targets by content: each file lives on
// the host at ~/.cache/dli/models/<sha256>/<file name> (ModelCachePath), is
// checked there with sha256sum and sent with rsync over the target's own ssh
// settings only when it is missing or different, then checked again. A
// point's input files (an image folder, a data set's images) go the same
// way, all of a point's at once; an image folder becomes a folder of links
// to them at ~/.cache/dli/images/<digest> (ImageFolderCachePath).
#ifndef DLI_EXEC_MODEL_CACHE_H
#define DLI_EXEC_MODEL_CACHE_H

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

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
  // Stage of each file, with one check for all, one rsync for those missing
  // and one check of those sent; the paths on the host, in order.
  std::vector<std::string> StageAll(const std::vector<std::string>& local_files,
                                    const std::vector<std::string>& sha256s);
  // A folder on the host holding links named like `local_files` (the images
  // of one folder) to their staged copies; the folder's name is a digest of
  // the names and contents, so a folder that is there is complete.
  std::string StageImageFolder(const std::vector<std::string>& local_files,
                               const std::vector<std::string>& sha256s);
  // The cache folder on the host (absolute), models and image folders;
  // "" before the first Stage.
  std::string Folder() const;

 private:
  // The host's home folder, and for each file ("<relative path>", sha256)
  // whether it is there with that content (one with other content is removed).
  std::pair<std::string, std::vector<bool>> Check(
      const std::vector<std::pair<std::string, std::string>>& files);
  // Runs a command; the output, or throws naming the target.
  std::string Output(const std::vector<std::string>& argv, const std::string& what,
                     const std::string& input = "");
  // Sends the files whose copies are missing (`relative` their cache paths).
  void Upload(const std::vector<std::string>& local_files,
              const std::vector<std::string>& relative);

  const Targets& all_;
  const Target& target_;
  const std::string control_dir_;
  mutable std::mutex mutex_;
  std::string home_;
  std::map<std::string, std::string> staged_;  // cache path -> path on the host
};

// `spec` with its model (and weights) file named by its copy in `cache`,
// sent by path rather than as a prepared model, which the host need not
// have, and its input by copies too: the image folder's files the worker
// may read (the first input.max_images of ListImageFiles) as a folder, and
// each file of input.files (a data set's images). `sha256_of` hashes a
// local file.
// The folders of a point's files (model, weights, image folder, data set
// images), once each in order: what a container mounts to see them.
std::vector<std::string> PointFolders(const PointSpec& spec);

PointSpec PlaceModelFiles(const PointSpec& spec, const std::string& model_sha256,
                          const std::function<std::string(const std::string&)>& sha256_of,
                          RemoteModelCache& cache);

}  // namespace dli

#endif  // DLI_EXEC_MODEL_CACHE_H
