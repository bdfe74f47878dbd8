#include "exec/model_cache.h"

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "accuracy/images.h"
#include "core/files.h"
#include "core/sha256.h"
#include "core/text.h"
#include "exec/child_process.h"
#include "exec/executor.h"
#include "exec/remote_commands.h"

namespace fs = std::filesystem;

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

std::string RemoteModelCache::Output(const std::vector<std::string>& argv, const std::string& what,
                                     const std::string& input) {
  std::string out;
  const ChildOutcome c =
      RunChild({argv, input, what == "upload" ? kUploadTimeoutS : kCheckTimeoutS},
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

std::pair<std::string, std::vector<bool>> RemoteModelCache::Check(
    const std::vector<std::pair<std::string, std::string>>& files) {
  // One round trip: the home folder, then each cached file's hash (the list
  // comes on stdin: a data set's may not fit on a command line); a copy with
  // another content (a broken one) is removed so rsync sends it anew. A
  // folder model (a SavedModel) is hashed as Sha256Path does: the sorted
  // "relative/path<TAB>sha256" lines of its files.
  const std::string script =
      "cd && pwd && while IFS= read -r line; do s=${line%% *}; f=${line#* }; "
      "if [ -d \"$f\" ]; then h=$(cd -- \"$f\" && find . -type f | while IFS= read -r p; do "
      "p=${p#./}; printf '%s\\t%s\\n' \"$p\" \"$(sha256sum -- \"$p\" | cut -c1-64)\"; done "
      "| LC_ALL=C sort | sha256sum | cut -c1-64); "
      "else h=$(sha256sum -- \"$f\" 2>/dev/null | cut -c1-64); fi; "
      "[ \"$h\" = \"$s\" ] || rm -rf -- \"$f\"; echo \"hash $h\"; done";
  std::string input;
  for (const auto& [relative, sha256] : files) input += sha256 + " " + relative + "\n";
  const std::vector<std::string> lines =
      Lines(Output(SshArgv(all_, target_, control_dir_, {"sh", "-c", script}), "check", input));
  if (lines.size() != files.size() + 1 || lines[0].empty() || lines[0][0] != '/')
    throw std::runtime_error("model check on target " + target_.name +
                             " gave unexpected output (is the login shell a POSIX shell?)");
  std::vector<bool> present;
  for (size_t i = 0; i < files.size(); ++i) {
    if (lines[i + 1].rfind("hash", 0) != 0)
      throw std::runtime_error("model check on target " + target_.name +
                               " gave unexpected output: " + lines[i + 1]);
    present.push_back(Trim(lines[i + 1].substr(4)) == files[i].second);
  }
  return {lines[0], present};
}

void RemoteModelCache::Upload(const std::vector<std::string>& local_files,
                              const std::vector<std::string>& relative) {
  if (local_files.size() == 1) {
    const std::string sha256 = fs::path(relative[0]).parent_path().filename().string();
    Output(ModelUploadArgv(all_, target_, control_dir_, local_files[0], sha256), "upload");
    return;
  }
  // rsync sends a list of files under one root: a folder of links laid out
  // like the cache (<sha256>/<name>), followed when sent.
  TempDir links;
  std::string list;
  for (size_t i = 0; i < local_files.size(); ++i) {
    const fs::path rel = fs::path(relative[i]).lexically_relative(kModelCache);
    fs::create_directories(links.path() / rel.parent_path());
    fs::create_symlink(fs::absolute(local_files[i]), links.path() / rel);
    list += rel.string() + "\n";
  }
  const std::string list_file = (links.path() / ".files").string();
  std::ofstream(list_file) << list;
  Output(FilesUploadArgv(all_, target_, control_dir_, links.path().string(), list_file), "upload");
}

std::vector<std::string> RemoteModelCache::StageAll(const std::vector<std::string>& local_files,
                                                    const std::vector<std::string>& sha256s) {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<std::string, std::string>> unknown;  // (cache path, sha256)
  std::vector<std::string> unknown_files;
  for (size_t i = 0; i < local_files.size(); ++i) {
    const std::string relative =
        ModelCachePath(sha256s[i], fs::path(local_files[i]).filename().string());
    if (staged_.count(relative) || std::any_of(unknown.begin(), unknown.end(),
                                               [&](const auto& u) { return u.first == relative; }))
      continue;
    unknown.emplace_back(relative, sha256s[i]);
    unknown_files.push_back(local_files[i]);
  }
  if (!unknown.empty()) {
    auto [home, present] = Check(unknown);
    std::vector<std::pair<std::string, std::string>> missing;
    std::vector<std::string> missing_files, missing_relative;
    for (size_t i = 0; i < unknown.size(); ++i) {
      if (present[i]) continue;
      missing.push_back(unknown[i]);
      missing_files.push_back(unknown_files[i]);
      missing_relative.push_back(unknown[i].first);
    }
    if (!missing.empty()) {
      Upload(missing_files, missing_relative);
      const std::vector<bool> sent = Check(missing).second;
      for (size_t i = 0; i < missing.size(); ++i)
        if (!sent[i])
          throw std::runtime_error("the copy of " + missing_files[i] + " on target " +
                                   target_.name + " does not have its sha256 " + missing[i].second);
    }
    home_ = home;
    for (const auto& [relative, sha256] : unknown) staged_[relative] = home + "/" + relative;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < local_files.size(); ++i)
    out.push_back(
        staged_.at(ModelCachePath(sha256s[i], fs::path(local_files[i]).filename().string())));
  return out;
}

std::string RemoteModelCache::Stage(const std::string& local_file, const std::string& sha256) {
  return StageAll({local_file}, {sha256}).front();
}

std::string RemoteModelCache::StageImageFolder(const std::vector<std::string>& local_files,
                                               const std::vector<std::string>& sha256s) {
  StageAll(local_files, sha256s);
  // Each line "<sha256>/<name>": the link's name and its target in the cache.
  std::string listing;
  for (size_t i = 0; i < local_files.size(); ++i)
    listing += sha256s[i] + "/" + fs::path(local_files[i]).filename().string() + "\n";
  const std::string folder = ImageFolderCachePath(Sha256Hex(listing));
  const std::lock_guard<std::mutex> lock(mutex_);
  if (const auto it = staged_.find(folder); it != staged_.end()) return it->second;
  // Made under a temporary name and renamed: a folder that is there is whole.
  const std::string script =
      "cd && d=\"$1\" && if [ ! -d \"$d\" ]; then t=\"$d.tmp.$$\" && rm -rf -- \"$t\" && "
      "mkdir -p -- \"$t\" && while IFS= read -r f; do "
      "ln -s -- \"../../models/$f\" \"$t/${f#*/}\" || exit 1; done && "
      "{ mv -T -- \"$t\" \"$d\" 2>/dev/null || rm -rf -- \"$t\"; }; fi && [ -d \"$d\" ] && pwd";
  const std::vector<std::string> lines = Lines(Output(
      SshArgv(all_, target_, control_dir_, {"sh", "-c", script, "sh", folder}), "check", listing));
  if (lines.size() != 1 || lines[0].empty() || lines[0][0] != '/')
    throw std::runtime_error("the image folder on target " + target_.name +
                             " could not be made (is the login shell a POSIX shell?)");
  return staged_[folder] = lines[0] + "/" + folder;
}

std::string RemoteModelCache::Folder() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return home_.empty() ? "" : home_ + "/.cache/dli";
}

std::vector<std::string> PointFolders(const PointSpec& spec) {
  std::vector<std::string> out;
  const auto add = [&](const std::string& folder) {
    if (!folder.empty() && std::find(out.begin(), out.end(), folder) == out.end())
      out.push_back(folder);
  };
  for (const std::string& file : {spec.model_path, spec.weights_path})
    if (!file.empty()) add(fs::absolute(file).parent_path().string());
  if (!spec.input.images_dir.empty()) add(fs::absolute(spec.input.images_dir).string());
  for (const std::string& file : spec.input.files) add(fs::absolute(file).parent_path().string());
  return out;
}

PointSpec PlaceModelFiles(const PointSpec& spec, const std::string& model_sha256,
                          const std::function<std::string(const std::string&)>& sha256_of,
                          RemoteModelCache& cache) {
  PointSpec placed = spec;
  placed.model_path = cache.Stage(spec.model_path, model_sha256);
  if (!spec.weights_path.empty())
    placed.weights_path = cache.Stage(spec.weights_path, sha256_of(spec.weights_path));
  placed.model_name.clear();
  const auto hashes = [&](const std::vector<std::string>& files) {
    std::vector<std::string> out;
    for (const std::string& f : files) out.push_back(sha256_of(f));
    return out;
  };
  if (!spec.input.images_dir.empty()) {
    std::vector<std::string> files = ListImageFiles(spec.input.images_dir);
    if (files.size() > spec.input.max_images) files.resize(spec.input.max_images);
    // An empty folder stays as it is: the worker says so in its own words.
    if (!files.empty()) placed.input.images_dir = cache.StageImageFolder(files, hashes(files));
  }
  if (!spec.input.files.empty())
    placed.input.files = cache.StageAll(spec.input.files, hashes(spec.input.files));
  return placed;
}

}  // namespace dli
