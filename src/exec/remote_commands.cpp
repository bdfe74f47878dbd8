#include "exec/remote_commands.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "core/error.h"
#include "core/text.h"

namespace dli {
namespace {

constexpr auto npos = std::string::npos;

// ssh expands %-tokens in ProxyCommand, ControlPath and file options.
std::string EscapePercent(const std::string& s) {
  std::string out;
  for (const char c : s) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

// Longest control directory: a socket path holds 107 bytes, ssh names the
// socket by a 40-hex-digit hash (%C) and first creates it with a 17-byte
// random suffix.
constexpr size_t kMaxControlDir = 107 - 1 - 40 - 17;

void RequireSsh(const Target& target, const char* what) {
  if (target.type != TargetType::kSsh)
    throw std::invalid_argument(std::string(what) + " needs an ssh target, not " + target.name);
}

std::string Destination(const SshSettings& s) { return s.user + "@" + s.host; }

// rsync splits its --rsh value at spaces and honours quotes, not backslashes.
std::string RsyncWord(const std::string& word) {
  if (word.find_first_of(" \t\n'\"") == npos) return word;
  if (word.find('\'') == npos) return "'" + word + "'";
  if (word.find('"') == npos) return "\"" + word + "\"";
  throw UsageError("cannot pass '" + word + "' to rsync's --rsh (it has both kinds of quote)");
}

}  // namespace

std::string ShellQuote(const std::string& word) {
  static const std::string kPlain = "_@%+=:,./-";
  bool plain = !word.empty();
  for (const char c : word)
    if (!std::isalnum(static_cast<unsigned char>(c)) && kPlain.find(c) == npos) plain = false;
  if (plain) return word;
  std::string out = "'";
  for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::vector<std::string> words;
  for (const std::string& a : argv) words.push_back(ShellQuote(a));
  return Join(words, " ");
}

std::vector<std::string> SshBaseArgv(const Targets& all, const Target& t,
                                     const std::string& control_dir) {
  RequireSsh(t, "ssh");
  const SshSettings& s = t.ssh;
  std::vector<std::string> options = {"IdentitiesOnly=yes",
                                      "StrictHostKeyChecking=yes",
                                      "UserKnownHostsFile=" + s.known_hosts,
                                      "GlobalKnownHostsFile=/dev/null",
                                      "BatchMode=yes",
                                      "PasswordAuthentication=no",
                                      "KbdInteractiveAuthentication=no",
                                      "ConnectTimeout=10",
                                      "ServerAliveInterval=15",
                                      "ServerAliveCountMax=4"};
  if (!control_dir.empty()) {
    if (control_dir.size() > kMaxControlDir)
      throw UsageError("ssh control directory " + control_dir + " is too long for a socket path (" +
                       std::to_string(kMaxControlDir) + " characters at most)");
    options.insert(options.end(),
                   {"ControlMaster=auto", "ControlPath=" + EscapePercent(control_dir) + "/%C",
                    "ControlPersist=60"});
  }
  if (!s.jump.empty()) {
    // The jump host's own connection is not shared: once this connection's
    // master runs, ProxyCommand does not start again.
    const Target& hop = all.Find(s.jump);
    std::vector<std::string> hop_argv = SshBaseArgv(all, hop, "");
    hop_argv.push_back(Destination(hop.ssh));
    options.push_back("ProxyCommand=" + EscapePercent(ShellJoin(hop_argv)) + " " +
                      ShellJoin({"-W", "[%h]:%p"}));
  }
  std::vector<std::string> argv = {"ssh", "-F", "/dev/null", "-T", "-i", s.identity};
  for (const std::string& option : options) argv.insert(argv.end(), {"-o", option});
  argv.insert(argv.end(), {"-p", std::to_string(s.port)});
  return argv;
}

std::vector<std::string> SshArgv(const Targets& all, const Target& target,
                                 const std::string& control_dir,
                                 const std::vector<std::string>& remote_command) {
  std::vector<std::string> argv = SshBaseArgv(all, target, control_dir);
  argv.push_back(Destination(target.ssh));
  if (!remote_command.empty()) {
    argv.push_back("--");
    argv.push_back(ShellJoin(remote_command));
  }
  return argv;
}

std::vector<std::string> SshControlExitArgv(const Targets& all, const Target& target,
                                            const std::string& control_dir) {
  if (control_dir.empty()) throw std::invalid_argument("no control directory to exit");
  std::vector<std::string> argv = SshBaseArgv(all, target, control_dir);
  argv.insert(argv.end(), {"-O", "exit", Destination(target.ssh)});
  return argv;
}

std::string ModelCachePath(const std::string& sha256, const std::string& file_name) {
  return std::string(kModelCache) + "/" + sha256 + "/" + file_name;
}

namespace {

// rsync's options to reach `target` with our ssh, making `remote_folder`
// first: --rsync-path runs in the remote shell (rsync's own --mkpath needs
// 3.2.3 on both ends).
std::vector<std::string> RsyncToTarget(const Targets& all, const Target& target,
                                       const std::string& control_dir,
                                       const std::string& remote_folder) {
  std::vector<std::string> shell;
  for (const std::string& word : SshBaseArgv(all, target, control_dir))
    shell.push_back(RsyncWord(word));
  return {"rsync", "--rsh=" + Join(shell, " "),
          "--rsync-path=" + ShellJoin({"mkdir", "-p", remote_folder}) + " && rsync",
          "--ignore-existing", "--recursive"};
}

std::string RsyncDestination(const Target& target, const std::string& remote) {
  const std::string host =
      target.ssh.host.find(':') == npos ? target.ssh.host : "[" + target.ssh.host + "]";
  return target.ssh.user + "@" + host + ":" + remote;
}

}  // namespace

std::vector<std::string> ModelUploadArgv(const Targets& all, const Target& target,
                                         const std::string& control_dir,
                                         const std::string& local_file, const std::string& sha256) {
  RequireSsh(target, "a model upload");
  const std::string remote =
      ModelCachePath(sha256, std::filesystem::path(local_file).filename().string());
  std::vector<std::string> argv =
      RsyncToTarget(all, target, control_dir, std::filesystem::path(remote).parent_path().string());
  // A folder model (a SavedModel) goes as its content into <sha256>/<name>.
  const bool folder = std::filesystem::is_directory(local_file);
  argv.insert(argv.end(), {"--", folder ? local_file + "/" : local_file,
                           RsyncDestination(target, folder ? remote + "/" : remote)});
  return argv;
}

std::vector<std::string> FilesUploadArgv(const Targets& all, const Target& target,
                                         const std::string& control_dir,
                                         const std::string& local_root,
                                         const std::string& list_file) {
  RequireSsh(target, "a file upload");
  std::vector<std::string> argv = RsyncToTarget(all, target, control_dir, kModelCache);
  argv.insert(argv.end(), {"--copy-links", "--files-from=" + list_file, "--", local_root + "/",
                           RsyncDestination(target, std::string(kModelCache) + "/")});
  return argv;
}

std::string ImageFolderCachePath(const std::string& digest) {
  return ".cache/dli/images/" + digest;
}

std::vector<std::string> ContainerRunArgv(const Container& container, const std::string& name,
                                          const std::vector<std::string>& read_only_dirs,
                                          const std::vector<std::string>& command) {
  std::vector<std::string> argv = {container.engine, "run", "--rm", "-i", "--pull=never"};
  argv.push_back("--network=" + container.network);
  argv.insert(argv.end(), {"--log-driver=none", "--name", name});
  for (const std::string& dir : read_only_dirs)
    argv.push_back("--volume=" + dir + ":" + dir + ":ro");
  argv.push_back(container.image);
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::vector<std::string> ContainerRemoveArgv(const Container& container, const std::string& name) {
  return {container.engine, "rm", "--force", name};
}

std::vector<std::string> ContainerImageIdArgv(const Container& container) {
  return {container.engine, "image", "inspect", "--format", "{{.Id}}", container.image};
}

std::vector<std::string> SallocArgv(const Target& target, const std::string& job_name,
                                    int immediate_s) {
  if (target.type != TargetType::kSlurm)
    throw std::invalid_argument("salloc needs a slurm target, not " + target.name);
  const SlurmSettings& s = target.slurm;
  std::vector<std::string> argv = {"salloc", "--no-shell", "--job-name=" + job_name};
  if (!s.partition.empty()) argv.push_back("--partition=" + s.partition);
  argv.push_back("--nodes=" + std::to_string(s.nodes));
  if (!s.node_list.empty()) argv.push_back("--nodelist=" + Join(s.node_list, ","));
  argv.push_back("--time=" + s.time);
  if (!s.account.empty()) argv.push_back("--account=" + s.account);
  if (!s.constraint.empty()) argv.push_back("--constraint=" + s.constraint);
  if (s.exclusive) argv.insert(argv.end(), {"--exclusive", "--mem=0"});
  if (immediate_s > 0) argv.push_back("--immediate=" + std::to_string(immediate_s));
  return argv;
}

namespace {

// The digits after `prefix` in salloc's stderr.
std::optional<std::string> JobIdAfter(const std::string& salloc_stderr, const std::string& prefix) {
  const size_t at = salloc_stderr.find(prefix);
  if (at == npos) return std::nullopt;
  const size_t begin = at + prefix.size();
  size_t end = begin;
  while (end < salloc_stderr.size() && std::isdigit(static_cast<unsigned char>(salloc_stderr[end])))
    ++end;
  if (end == begin) return std::nullopt;
  return salloc_stderr.substr(begin, end - begin);
}

}  // namespace

std::optional<std::string> ParseSallocJobId(const std::string& salloc_stderr) {
  return JobIdAfter(salloc_stderr, "Granted job allocation ");
}

std::optional<std::string> ParseQueuedJobId(const std::string& salloc_stderr) {
  return JobIdAfter(salloc_stderr, "Pending job allocation ");
}

std::vector<std::string> SrunStepArgv(const std::string& job_id, const std::string& step_name,
                                      const std::vector<std::string>& command) {
  std::vector<std::string> argv = {"srun",      "--jobid=" + job_id, "--job-name=" + step_name,
                                   "--nodes=1", "--ntasks=1",        "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::vector<std::string> ScancelArgv(const std::string& job_id) { return {"scancel", job_id}; }

std::vector<std::string> ScancelByNameArgv(const std::string& job_name) {
  return {"scancel", "--me", "--name=" + job_name};
}

std::vector<std::string> SlurmJobStateArgv(const std::string& job_id) {
  return {"squeue", "--noheader", "--states=all", "--jobs=" + job_id, "--format=%T"};
}

std::vector<std::string> SinfoNodesArgv() {
  return {"sinfo", "--noheader", "--Node", "--format=%N %P"};
}

std::map<std::string, std::set<std::string>> ParseSinfoNodes(const std::string& sinfo_stdout) {
  std::map<std::string, std::set<std::string>> out;
  for (const std::string& line : Split(sinfo_stdout, '\n')) {
    const std::vector<std::string> words = Split(Trim(line), ' ');
    if (words.size() != 2) continue;
    std::string partition = words[1];
    if (!partition.empty() && partition.back() == '*') {
      partition.pop_back();
      out[""].insert(words[0]);
    }
    out[partition].insert(words[0]);
  }
  return out;
}

std::set<std::string> SlurmTargetNodes(const Target& target,
                                       const std::map<std::string, std::set<std::string>>& nodes) {
  if (!target.slurm.node_list.empty())
    return {target.slurm.node_list.begin(), target.slurm.node_list.end()};
  const auto it = nodes.find(target.slurm.partition);
  return it == nodes.end() ? std::set<std::string>() : it->second;
}

std::vector<std::string> OnLoginNode(const Targets& all, const Target& target,
                                     const std::string& control_dir,
                                     const std::vector<std::string>& argv) {
  if (target.slurm.via.empty()) return argv;
  return SshArgv(all, all.Find(target.slurm.via), control_dir, argv);
}

std::optional<std::string> PointStatusForSlurmState(const std::string& state) {
  // Long names as squeue %T and sacct print them, with squeue's %t codes.
  static const std::map<std::string, std::string> kEnded = {
      {"COMPLETED", "ok"},          {"CD", "ok"},
      {"TIMEOUT", "timeout"},       {"TO", "timeout"},
      {"DEADLINE", "timeout"},      {"DL", "timeout"},
      {"CANCELLED", "interrupted"}, {"CA", "interrupted"},
      {"PREEMPTED", "interrupted"}, {"PR", "interrupted"},
      {"FAILED", "failed"},         {"F", "failed"},
      {"NODE_FAIL", "failed"},      {"NF", "failed"},
      {"BOOT_FAIL", "failed"},      {"BF", "failed"},
      {"OUT_OF_MEMORY", "failed"},  {"OOM", "failed"},
      {"SPECIAL_EXIT", "failed"},   {"SE", "failed"},
      {"REVOKED", "failed"},        {"RV", "failed"}};
  static const std::vector<std::string> kActive = {
      "PENDING",   "PD", "CONFIGURING",   "CF", "RUNNING",     "R",  "COMPLETING",   "CG",
      "SUSPENDED", "S",  "REQUEUED",      "RQ", "REQUEUE_FED", "RF", "REQUEUE_HOLD", "RH",
      "RESIZING",  "RS", "RESV_DEL_HOLD", "RD", "SIGNALING",   "SI", "STAGE_OUT",    "SO",
      "STOPPED",   "ST"};
  std::string word = Trim(state);
  word = word.substr(0, word.find(' '));                     // "CANCELLED by 0"
  if (!word.empty() && word.back() == '+') word.pop_back();  // sacct's truncation mark
  word = ToUpper(word);
  if (const auto it = kEnded.find(word); it != kEnded.end()) return it->second;
  for (const std::string& active : kActive)
    if (word == active) return std::nullopt;
  return "failed";
}

std::string WorkerName(const std::string& target, const std::string& which) {
  return "dli-" + std::to_string(getpid()) + "-" + target + "-" + which;
}

std::vector<std::string> WorkerArgv(const Targets& all, const Target& target,
                                    const WorkerPlace& place) {
  std::vector<std::string> argv;
  if (target.container) {
    argv = ContainerRunArgv(*target.container, place.name, place.read_only_dirs,
                            {target.container->dli, place.verb});
  } else {
    argv = {target.dli.empty() ? place.self : target.dli, place.verb};
  }
  return OnTargetNode(all, target, place, argv);
}

std::vector<std::string> OnTargetNode(const Targets& all, const Target& target,
                                      const WorkerPlace& place,
                                      const std::vector<std::string>& argv) {
  switch (target.type) {
    case TargetType::kLocal:
      return argv;
    case TargetType::kSsh:
      return SshArgv(all, target, place.control_dir, argv);
    case TargetType::kSlurm:
      return OnLoginNode(all, target, place.control_dir,
                         SrunStepArgv(place.slurm_job_id, place.name, argv));
  }
  return argv;
}

}  // namespace dli
