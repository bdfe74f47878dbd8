// Where a study's points can run: a targets file (docs/CLUSTER.md, schema in
// docs/schema/targets.schema.json) names this machine, SSH hosts and Slurm
// clusters, each optionally inside a container. Loading checks everything
// that can be checked without touching the network; every error names
// FILE:LINE:COL.
#ifndef DLI_EXEC_TARGETS_H
#define DLI_EXEC_TARGETS_H

#include <optional>
#include <string>
#include <vector>

namespace dli {

enum class TargetType { kLocal, kSsh, kSlurm };

std::string TargetTypeName(TargetType type);  // "local", "ssh", "slurm"

// The point's worker runs in `image` instead of directly on the host.
struct Container {
  std::string engine;            // "docker" or "podman"
  std::string image;             // already present on the host: never pulled
  std::string network = "none";  // "none" or "host"
  std::string dli = "dli";       // in the image
};

struct SshSettings {
  std::string host;
  int port = 22;
  std::string user;
  std::string identity;     // private key, absolute path on this machine
  std::string known_hosts;  // the only host keys trusted, absolute path
  std::string jump;         // another ssh target to connect through, or ""
  int slots = 1;            // points run at the same time
};

struct SlurmSettings {
  std::string partition;               // "" = the cluster's default
  int nodes = 1;                       // node count
  std::vector<std::string> node_list;  // named nodes (then nodes is their count)
  std::string time;                    // per allocation, as written ("00:30:00")
  long long time_s = 0;                // the same in seconds
  std::string account;
  std::string constraint;
  bool exclusive = true;  // whole nodes, all their memory
  std::string via;        // ssh target of the login node; "" = run sbatch/srun here
};

struct Target {
  std::string name;
  TargetType type = TargetType::kLocal;
  // dli on the machine that runs the worker, when not in a container. Empty:
  // this dli's own path (local; slurm, whose nodes share its file system).
  std::string dli;
  SshSettings ssh;
  SlurmSettings slurm;
  std::optional<Container> container;
  // ssh, slurm through a login node: the node sees this machine's model
  // files at the same paths (a shared file system), so none is copied.
  bool shared_files = false;
  // Targets with the same class have the same hardware: with `failover`, a
  // down target's points left run on another of its class. "" = none.
  std::string hardware_class;
  std::string where;  // FILE:LINE:COL of the entry

  // Points this target runs at the same time.
  int Slots() const;
};

struct Targets {
  std::string file;
  std::vector<Target> targets;
  // A target that goes down mid-study hands its points left to a live target
  // of its hardware_class (study/dispatch.h); else they stay pending.
  bool failover = false;

  // UsageError naming the known targets when none is called `name`.
  const Target& Find(const std::string& name) const;
};

// The machine a target measures on, as part of a point's resume identity:
// "user@host:port" of an ssh target, "slurm:PARTITION:NODES[@login host]"
// of a slurm one, "local" for this machine. Another host under the same
// target name is another measurement.
std::string TargetNode(const Target& target);

// Reads and checks a targets file. Relative paths (identity, known_hosts)
// resolve against the file's folder.
Targets LoadTargets(const std::string& path);

// The local files an ssh target needs, and those of the hosts it connects
// through: present, and the keys readable by their owner only (ssh ignores a
// key that others can read). Called before connecting, not when loading, so
// a targets file can be checked on a machine that has no keys.
void CheckTargetFiles(const Targets& all, const Target& target);

// Seconds in a Slurm time limit ("30", "30:00", "1:30:00", "2-0", "2-12:00:00");
// nullopt when it is not one or is zero.
std::optional<long long> ParseSlurmTime(const std::string& text);

}  // namespace dli

#endif  // DLI_EXEC_TARGETS_H
