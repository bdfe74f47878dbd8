#include "exec/targets.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "core/text.h"
#include "core/yaml_reader.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

constexpr auto npos = std::string::npos;

const std::set<std::string> kCommonKeys = {"name", "type", "container", "hardware_class"};
const std::set<std::string> kSshKeys = {"host", "port", "user",  "identity",    "known_hosts",
                                        "dli",  "jump", "slots", "shared_files"};
const std::set<std::string> kSlurmKeys = {"partition", "nodes", "time", "account",     "constraint",
                                          "exclusive", "via",   "dli",  "shared_files"};
const std::set<std::string> kContainerKeys = {"engine", "image", "network", "dli"};

std::set<std::string> KeysOf(TargetType type) {
  std::set<std::string> keys = kCommonKeys;
  if (type == TargetType::kSsh) keys.insert(kSshKeys.begin(), kSshKeys.end());
  if (type == TargetType::kSlurm) keys.insert(kSlurmKeys.begin(), kSlurmKeys.end());
  return keys;
}

// Names, hosts, users, nodes and images end up as single command-line
// arguments of ssh, srun or a container engine: a leading '-' would make
// them options, whitespace would split them on a remote shell.
bool IsToken(const std::string& s, const std::string& extra_chars) {
  if (s.empty() || s[0] == '-') return false;
  for (const char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("._-").find(c) == npos &&
        extra_chars.find(c) == npos)
      return false;
  return true;
}

class TargetsReader {
 public:
  explicit TargetsReader(const std::string& path)
      : r_(path), folder_(fs::absolute(path).parent_path()) {}

  Target Read(const YAML::Node& entry, size_t index) const {
    if (!entry.IsMap()) r_.Fail(entry, "each target must be a mapping (name:, type:, ...)");
    Target t;
    t.where = r_.Where(entry.Mark());
    t.name = entry["name"] ? r_.Scalar(entry["name"], "name") : "#" + std::to_string(index + 1);
    if (entry["password"])
      r_.Fail(entry["password"],
              "target " + t.name + ": passwords are not accepted; use identity: with a key file");
    if (!entry["name"]) r_.Fail(entry, "target #" + std::to_string(index + 1) + " has no name");
    if (!IsToken(t.name, ""))
      r_.Fail(entry["name"],
              "target name '" + t.name + "' must be letters, digits, '.', '_' or '-' (not first)");
    if (!entry["type"]) r_.Fail(entry, "target " + t.name + " has no type (local, ssh or slurm)");
    const std::string type = r_.Scalar(entry["type"], "type");
    if (type == "local") {
      t.type = TargetType::kLocal;
    } else if (type == "ssh") {
      t.type = TargetType::kSsh;
    } else if (type == "slurm") {
      t.type = TargetType::kSlurm;
    } else {
      r_.Fail(entry["type"],
              "target " + t.name + ": unknown type '" + type + "'; expected local, ssh or slurm");
    }
    r_.CheckKeys(entry, KeysOf(t.type), "target " + t.name + " (type " + type + ")");
    if (entry["container"]) t.container = ReadContainer(t, entry["container"]);
    if (entry["hardware_class"])
      t.hardware_class = Token(entry["hardware_class"], t, "hardware_class");
    if (t.container && entry["dli"])
      r_.Fail(entry["dli"], "target " + t.name +
                                ": in a container, dli comes with the image; "
                                "give its path as container: {dli: PATH}");
    if (t.type == TargetType::kSsh) ReadSsh(entry, t);
    if (t.type == TargetType::kSlurm) ReadSlurm(entry, t);
    return t;
  }

  const YamlReader& reader() const { return r_; }

 private:
  std::string Required(const YAML::Node& entry, const Target& t, const std::string& key) const {
    if (!entry[key])
      r_.Fail(entry,
              "target " + t.name + " (type " + TargetTypeName(t.type) + ") needs " + key + ":");
    const std::string v = r_.Scalar(entry[key], key);
    if (v.empty()) r_.Fail(entry[key], "target " + t.name + ": " + key + " must not be empty");
    return v;
  }
  std::string Token(const YAML::Node& n, const Target& t, const std::string& key,
                    const std::string& extra_chars = "") const {
    const std::string v = r_.Scalar(n, key);
    if (!IsToken(v, extra_chars))
      r_.Fail(n, "target " + t.name + ": " + key + " '" + v +
                     "' must be letters, digits, '.', '_', '-' (not first)" +
                     (extra_chars.empty() ? "" : " or '" + extra_chars + "'"));
    return v;
  }
  // A file on this machine, passed to ssh inside -o options, which split at
  // whitespace and expand '%' tokens and '${}' variables.
  std::string LocalFile(const YAML::Node& entry, const Target& t, const std::string& key) const {
    const std::string v = Required(entry, t, key);
    const fs::path p = fs::path(v).is_absolute() ? fs::path(v) : folder_ / v;
    const std::string resolved = p.lexically_normal().string();
    for (const char c : resolved)
      if (std::isspace(static_cast<unsigned char>(c)) || std::string("\"'%$\\").find(c) != npos)
        r_.Fail(entry[key], "target " + t.name + ": " + key + " path " + resolved +
                                " has a space, quote, %, $ or \\, which ssh options cannot "
                                "carry; move the file");
    return resolved;
  }
  std::string RemoteProgram(const YAML::Node& n, const Target& t) const {
    const std::string v = r_.Scalar(n, "dli");
    if (v.empty() || v[0] != '/')
      r_.Fail(n, "target " + t.name + ": dli must be an absolute path (the remote PATH differs)");
    return v;
  }

  Container ReadContainer(const Target& t, const YAML::Node& n) const {
    r_.CheckKeys(n, kContainerKeys, "the container of target " + t.name);
    Container c;
    if (!n["engine"]) r_.Fail(n, "the container of target " + t.name + " needs engine:");
    c.engine = r_.Scalar(n["engine"], "engine");
    if (c.engine != "docker" && c.engine != "podman")
      r_.Fail(n["engine"],
              "target " + t.name + ": container engine '" + c.engine + "' is not docker or podman");
    if (!n["image"]) r_.Fail(n, "the container of target " + t.name + " needs image:");
    c.image = Token(n["image"], t, "image", "/:@");
    if (n["network"]) {
      c.network = r_.Scalar(n["network"], "network");
      if (c.network != "none" && c.network != "host")
        r_.Fail(n["network"],
                "target " + t.name + ": container network '" + c.network + "' is not none or host");
    }
    if (n["dli"]) c.dli = r_.Scalar(n["dli"], "dli");
    return c;
  }

  void ReadSsh(const YAML::Node& e, Target& t) const {
    SshSettings& s = t.ssh;
    Required(e, t, "host");
    s.host = Token(e["host"], t, "host", ":");
    if (e["port"]) s.port = static_cast<int>(r_.Int(e["port"], "port", 1));
    if (s.port > 65535) r_.Fail(e["port"], "target " + t.name + ": port must be at most 65535");
    Required(e, t, "user");
    s.user = Token(e["user"], t, "user", "$");
    s.identity = LocalFile(e, t, "identity");
    s.known_hosts = LocalFile(e, t, "known_hosts");
    if (e["dli"]) {
      t.dli = RemoteProgram(e["dli"], t);
    } else if (!t.container) {
      r_.Fail(e, "target " + t.name + " needs dli: (the path of dli on " + s.host + ")");
    }
    if (e["jump"]) s.jump = r_.Scalar(e["jump"], "jump");
    if (e["slots"]) s.slots = static_cast<int>(r_.Int(e["slots"], "slots", 1));
    if (e["shared_files"]) t.shared_files = r_.Bool(e["shared_files"], "shared_files");
  }

  void ReadSlurm(const YAML::Node& e, Target& t) const {
    SlurmSettings& s = t.slurm;
    if (e["partition"]) s.partition = Token(e["partition"], t, "partition");
    if (const YAML::Node n = e["nodes"]) {
      if (n.IsSequence()) {
        for (const YAML::Node& node : n) s.node_list.push_back(Token(node, t, "each node"));
        if (s.node_list.empty()) r_.Fail(n, "target " + t.name + ": nodes must not be empty");
        s.nodes = static_cast<int>(s.node_list.size());
      } else {
        s.nodes = static_cast<int>(r_.Int(n, "nodes (a count, or a list of node names)", 1));
      }
    }
    s.time = Required(e, t, "time");
    const auto seconds = ParseSlurmTime(s.time);
    if (!seconds)
      r_.Fail(e["time"], "target " + t.name + ": time '" + s.time +
                             "' is not a Slurm time limit (MINUTES, HH:MM:SS or DAYS-HH:MM:SS)");
    s.time_s = *seconds;
    if (e["account"]) s.account = Token(e["account"], t, "account");
    if (e["constraint"]) {
      s.constraint = r_.Scalar(e["constraint"], "constraint");
      if (s.constraint.empty() || s.constraint[0] == '-')
        r_.Fail(e["constraint"], "target " + t.name +
                                     ": constraint must be a Slurm feature "
                                     "expression");
    }
    if (e["exclusive"]) s.exclusive = r_.Bool(e["exclusive"], "exclusive");
    if (e["via"]) s.via = r_.Scalar(e["via"], "via");
    if (e["dli"]) t.dli = RemoteProgram(e["dli"], t);
    if (e["shared_files"]) t.shared_files = r_.Bool(e["shared_files"], "shared_files");
  }

  YamlReader r_;
  fs::path folder_;
};

// `name` (the `key` of `from`) must be another ssh target; the chain of jump
// hosts it starts must not loop back.
void CheckHop(const Targets& all, const std::map<std::string, const Target*>& by_name,
              const Target& from, const std::string& key, const std::string& name) {
  const auto it = by_name.find(name);
  if (it == by_name.end() || it->second->type != TargetType::kSsh)
    throw UsageError(from.where + ": target " + from.name + ": " + key + " '" + name +
                     "' is not an ssh target in " + all.file);
  std::set<std::string> seen = {from.name};
  for (const Target* hop = it->second; hop;) {
    if (!seen.insert(hop->name).second)
      throw UsageError(from.where + ": target " + from.name + ": the jump hosts from " + name +
                       " lead back to " + hop->name);
    const auto next = by_name.find(hop->ssh.jump);
    hop = next == by_name.end() ? nullptr : next->second;
  }
}

void CheckFile(const Target& t, const std::string& what, const std::string& path, bool secret) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw UsageError("target " + t.name + ": " + what + " file not found: " + path);
  if (secret && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw UsageError("target " + t.name + ": " + what + " " + path +
                     " can be read by others (mode " + mode +
                     ") and ssh refuses such keys; chmod 600 " + path);
  }
}

}  // namespace

std::string TargetTypeName(TargetType type) {
  switch (type) {
    case TargetType::kLocal:
      return "local";
    case TargetType::kSsh:
      return "ssh";
    case TargetType::kSlurm:
      return "slurm";
  }
  return "?";
}

int Target::Slots() const {
  if (type == TargetType::kSsh) return ssh.slots;
  if (type == TargetType::kSlurm) return slurm.nodes;
  return 1;
}

std::string TargetNode(const Target& t) {
  switch (t.type) {
    case TargetType::kSsh:
      return t.ssh.user + "@" + t.ssh.host + ":" + std::to_string(t.ssh.port);
    case TargetType::kSlurm:
      return "slurm:" + t.slurm.partition + ":" +
             (t.slurm.node_list.empty() ? std::to_string(t.slurm.nodes)
                                        : Join(t.slurm.node_list, ",")) +
             (t.slurm.via.empty() ? "" : "@" + t.slurm.via);
    case TargetType::kLocal:
      break;
  }
  return "local";
}

const Target& Targets::Find(const std::string& name) const {
  std::vector<std::string> names;
  for (const Target& t : targets) {
    if (t.name == name) return t;
    names.push_back(t.name);
  }
  throw UsageError("unknown target '" + name + "' in " + file + "; known: " + Join(names, ", "));
}

std::optional<long long> ParseSlurmTime(const std::string& text) {
  long long days = 0;
  std::string rest = text;
  const size_t dash = text.find('-');
  if (dash != npos) {
    const auto d = ParseInt(text.substr(0, dash));
    if (!d || *d < 0) return std::nullopt;
    days = *d;
    rest = text.substr(dash + 1);
  }
  std::vector<long long> parts;
  size_t start = 0;
  while (true) {
    const size_t colon = rest.find(':', start);
    const auto v = ParseInt(rest.substr(start, colon == npos ? npos : colon - start));
    if (!v || *v < 0) return std::nullopt;
    parts.push_back(*v);
    if (colon == npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3) return std::nullopt;
  long long seconds = 0;
  if (dash != npos) {  // days-hours[:minutes[:seconds]]
    const long long unit[] = {3600, 60, 1};
    for (size_t i = 0; i < parts.size(); ++i) seconds += parts[i] * unit[i];
    seconds += days * 86400;
  } else if (parts.size() == 1) {  // minutes
    seconds = parts[0] * 60;
  } else if (parts.size() == 2) {  // minutes:seconds
    seconds = parts[0] * 60 + parts[1];
  } else {  // hours:minutes:seconds
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
  }
  if (seconds <= 0) return std::nullopt;
  return seconds;
}

Targets LoadTargets(const std::string& path) {
  const YAML::Node root = LoadYamlFile(path, "targets");
  const TargetsReader reader(path);
  const YamlReader& r = reader.reader();
  if (!root.IsMap()) throw UsageError(path + ": a targets file is a YAML mapping (targets: [...])");
  r.CheckKeys(root, {"targets", "failover"}, "the targets file");
  const YAML::Node list = root["targets"];
  if (!list || !list.IsSequence() || list.size() == 0)
    r.Fail(list ? list : root, "targets must be a non-empty list");
  Targets out;
  out.file = path;
  if (root["failover"]) out.failover = r.Bool(root["failover"], "failover");
  std::map<std::string, const Target*> by_name;
  for (size_t i = 0; i < list.size(); ++i) out.targets.push_back(reader.Read(list[i], i));
  for (size_t i = 0; i < out.targets.size(); ++i) {
    const Target& t = out.targets[i];
    if (!by_name.emplace(t.name, &t).second)
      r.Fail(list[i]["name"], "target name '" + t.name + "' is used twice (first at " +
                                  by_name[t.name]->where + ")");
  }
  for (const Target& t : out.targets) {
    if (!t.ssh.jump.empty()) CheckHop(out, by_name, t, "jump", t.ssh.jump);
    if (!t.slurm.via.empty()) CheckHop(out, by_name, t, "via", t.slurm.via);
  }
  return out;
}

void CheckTargetFiles(const Targets& all, const Target& target) {
  for (const Target* t = &target; t;) {
    std::string next;
    if (t->type == TargetType::kSsh) {
      CheckFile(*t, "identity", t->ssh.identity, true);
      CheckFile(*t, "known_hosts", t->ssh.known_hosts, false);
      next = t->ssh.jump;
    } else if (t->type == TargetType::kSlurm) {
      next = t->slurm.via;
    }
    t = next.empty() ? nullptr : &all.Find(next);
  }
}

}  // namespace dli
