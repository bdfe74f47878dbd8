// The command lines that reach a target: OpenSSH, rsync, Slurm and container
// engines. Pure functions of a target (exec/targets.h) and what the executor
// knows at run time, so every option is unit-tested; tests/cluster runs them
// against real sshd, Slurm and podman. docs/CLUSTER.md explains the choices.
#ifndef DLI_EXEC_REMOTE_COMMANDS_H
#define DLI_EXEC_REMOTE_COMMANDS_H

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "exec/targets.h"

namespace dli {

// One word for a POSIX shell ('...' unless it is plain); ssh hands a remote
// command to the login shell as one string.
std::string ShellQuote(const std::string& word);
std::string ShellJoin(const std::vector<std::string>& argv);

// The OpenSSH client and its options for an ssh target (`ssh`, `-F /dev/null`,
// key only, strict host keys from the target's known_hosts alone, no prompts,
// keep-alives, its port): without the destination, for rsync's --rsh.
// control_dir: where connections are shared (ControlMaster, one socket per
// host, kept 60 s after last use); "" = one connection per command.
// A jump host is reached through ProxyCommand running the same options for
// it, because `-J` starts its own ssh without our -i and -o options.
std::vector<std::string> SshBaseArgv(const Targets& all, const Target& target,
                                     const std::string& control_dir);
// `ssh ... user@host -- 'the remote command'`.
std::vector<std::string> SshArgv(const Targets& all, const Target& target,
                                 const std::string& control_dir,
                                 const std::vector<std::string>& remote_command);
// Ends the shared connection (its master process) to the target.
std::vector<std::string> SshControlExitArgv(const Targets& all, const Target& target,
                                            const std::string& control_dir);

// Where a model file lives on a host, relative to the home folder there:
// ".cache/dli/models/<sha256>/<file name>". The content names the folder, so a
// file that is present is complete and current.
inline constexpr const char* kModelCache = ".cache/dli/models";
std::string ModelCachePath(const std::string& sha256, const std::string& file_name);
// rsync of `local_file` to ModelCachePath on an ssh target: skipped when it is
// there, written under a temporary name and renamed when complete.
std::vector<std::string> ModelUploadArgv(const Targets& all, const Target& target,
                                         const std::string& control_dir,
                                         const std::string& local_file, const std::string& sha256);
// rsync of several files at once into the host's model cache: `list_file`
// names them one a line as "<sha256>/<file name>", relative to `local_root`,
// where each is that name or a link to the file (links are followed).
std::vector<std::string> FilesUploadArgv(const Targets& all, const Target& target,
                                         const std::string& control_dir,
                                         const std::string& local_root,
                                         const std::string& list_file);
// Where an image folder's copy lives on a host, relative to its home:
// ".cache/dli/images/<digest>", the digest naming its files' contents.
std::string ImageFolderCachePath(const std::string& digest);

// `ENGINE run --rm -i` of `command` in the container's image: never pulled,
// no network unless the target asks for the host's, each of `read_only_dirs`
// (the model cache, or the folders of a point's files) mounted read-only at
// the same path so point specs need no translation. `name`
// lets ContainerRemoveArgv end it when its client was killed (a container
// outlives a killed `docker run`).
std::vector<std::string> ContainerRunArgv(const Container& container, const std::string& name,
                                          const std::vector<std::string>& read_only_dirs,
                                          const std::vector<std::string>& command);
std::vector<std::string> ContainerRemoveArgv(const Container& container, const std::string& name);
// Prints the id of the container's image as its engine has it on the node.
std::vector<std::string> ContainerImageIdArgv(const Container& container);

// `salloc --no-shell` of the target's nodes for a whole study; exclusive
// targets get whole nodes with all their memory. immediate_s > 0: give up
// when the nodes are not free within that time (else wait in the queue).
std::vector<std::string> SallocArgv(const Target& target, const std::string& job_name,
                                    int immediate_s);
// The job id in salloc's "Granted job allocation 123"; nullopt if none.
std::optional<std::string> ParseSallocJobId(const std::string& salloc_stderr);
// One task of `command` as a step of allocation `job_id`, on one node. No
// step --exclusive: it implies --exact, which would confine the step to one
// CPU; a plain step gets all the CPUs of its node and shares none with other
// steps (Slurm >= 20.11.3).
std::vector<std::string> SrunStepArgv(const std::string& job_id, const std::string& step_name,
                                      const std::vector<std::string>& command);
// The job id in salloc's "Pending job allocation 123" (the request waits in
// the queue); nullopt if none.
std::optional<std::string> ParseQueuedJobId(const std::string& salloc_stderr);
std::vector<std::string> ScancelArgv(const std::string& job_id);
// Cancels this user's jobs called `job_name`, queued or running.
std::vector<std::string> ScancelByNameArgv(const std::string& job_name);
// Prints the job's state (RUNNING, TIMEOUT, ...) while the controller keeps it.
std::vector<std::string> SlurmJobStateArgv(const std::string& job_id);
// Every node of the cluster with its partitions, one "NODE PARTITION" line
// each (the default partition marked with '*').
std::vector<std::string> SinfoNodesArgv();
// Partition -> its nodes, from SinfoNodesArgv's output; the default
// partition's nodes are also under "".
std::map<std::string, std::set<std::string>> ParseSinfoNodes(const std::string& sinfo_stdout);
// The nodes a slurm target may be given: its node list, else its partition's.
std::set<std::string> SlurmTargetNodes(const Target& target,
                                       const std::map<std::string, std::set<std::string>>& nodes);
// `argv` as run for a slurm target: through ssh to its login node (via:), or as is.
std::vector<std::string> OnLoginNode(const Targets& all, const Target& target,
                                     const std::string& control_dir,
                                     const std::vector<std::string>& argv);

// The point status ("ok", "failed", "timeout", "interrupted") of a job or step
// that Slurm ended in `state`, as squeue, sacct or scontrol print it (long or
// short form; "CANCELLED by 0" and sacct's truncated "CANCELLED+" too);
// nullopt while it may still run. An unknown state is "failed".
std::optional<std::string> PointStatusForSlurmState(const std::string& state);

// What the executor knows when it starts a point's worker.
struct WorkerPlace {
  std::string self;          // this dli: local targets, slurm ones without dli:
  std::string control_dir;   // ssh connection sharing; "" = none
  std::string slurm_job_id;  // the allocation of a slurm target (SallocArgv)
  std::string name;          // unique per point: Slurm step and container name
  // Absolute folders where the worker runs that its container mounts read-only.
  std::vector<std::string> read_only_dirs;
  std::string verb = "__worker";  // or "__probe"
};

// `argv` run where the target's points run, outside their container: as is
// (local), through ssh (ssh), or as a step of allocation place.slurm_job_id
// named place.name (slurm, through its login node if it has one).
std::vector<std::string> OnTargetNode(const Targets& all, const Target& target,
                                      const WorkerPlace& place,
                                      const std::vector<std::string>& argv);

// The name of one worker of this dli process on `target` (its Slurm step
// and container): "dli-PID-TARGET-WHICH". Two targets on one host (two local
// containers, two ssh targets of one machine) share its container names.
std::string WorkerName(const std::string& target, const std::string& which);

// The full command line of `dli __worker` (or place.verb) for one point on `target`:
// transport (ssh, srun, maybe through a login node), then container, then dli.
std::vector<std::string> WorkerArgv(const Targets& all, const Target& target,
                                    const WorkerPlace& place);

}  // namespace dli

#endif  // DLI_EXEC_REMOTE_COMMANDS_H
