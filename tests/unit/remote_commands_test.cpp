#include "exec/remote_commands.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "exec/model_cache.h"

namespace dli {
namespace {

using Argv = std::vector<std::string>;
namespace fs = std::filesystem;

class RemoteCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = (dir.path() / "targets.yaml").string();
    std::ofstream(path) << R"(targets:
  - {name: here, type: local}
  - {name: boxed, type: local, container: {engine: podman, image: dli:1}}
  - {name: gate, type: ssh, host: gate.example, user: jo, identity: /k/gate,
     known_hosts: /k/kh, dli: /opt/dli/bin/dli}
  - {name: lab1, type: ssh, host: 127.0.0.1, port: 2222, user: root, identity: /k/id,
     known_hosts: /k/known_hosts, dli: /opt/dli/bin/dli}
  - {name: inner, type: ssh, host: "::1", port: 2200, user: root, identity: /k/in,
     known_hosts: /k/kh2, dli: /x/dli, jump: lab1}
  - {name: deep, type: ssh, host: deep, user: u, identity: /k/deep, known_hosts: /k/kh3,
     jump: inner, container: {engine: docker, image: reg/dli:2, network: host}}
  - {name: cluster, type: slurm, partition: debug, nodes: 2, time: "00:30:00"}
  - {name: full, type: slurm, nodes: [n1, n3], time: 90, account: ml,
     constraint: "avx512&bf16", exclusive: false, via: gate,
     container: {engine: podman, image: dli:1}}
)";
    all = LoadTargets(path);
  }
  const Target& T(const std::string& name) const { return all.Find(name); }
  TempDir dir;
  Targets all;
};

// The options every ssh command line carries, for identity `id` and known hosts `kh`.
Argv SshCommon(const std::string& id, const std::string& kh) {
  return {"ssh",       "-F",
          "/dev/null", "-T",
          "-i",        id,
          "-o",        "IdentitiesOnly=yes",
          "-o",        "StrictHostKeyChecking=yes",
          "-o",        "UserKnownHostsFile=" + kh,
          "-o",        "GlobalKnownHostsFile=/dev/null",
          "-o",        "BatchMode=yes",
          "-o",        "PasswordAuthentication=no",
          "-o",        "KbdInteractiveAuthentication=no",
          "-o",        "ConnectTimeout=10",
          "-o",        "ServerAliveInterval=15",
          "-o",        "ServerAliveCountMax=4"};
}

Argv Cat(Argv a, const Argv& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(ShellQuote, QuotesOnlyWhatTheShellWouldChange) {
  EXPECT_EQ(ShellQuote("/opt/dli/bin/dli"), "/opt/dli/bin/dli");
  EXPECT_EQ(ShellQuote("a=b,c:d@e%f+g"), "a=b,c:d@e%f+g");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("two words"), "'two words'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("[%h]:%p"), "'[%h]:%p'");
  EXPECT_EQ(ShellJoin({"echo", "a b", "*"}), "echo 'a b' '*'");
}

TEST_F(RemoteCommands, SshKeyOnlyStrictHostKeysNoPrompts) {
  EXPECT_EQ(SshArgv(all, T("lab1"), "", {"/opt/dli/bin/dli", "__worker"}),
            Cat(SshCommon("/k/id", "/k/known_hosts"),
                {"-p", "2222", "root@127.0.0.1", "--", "/opt/dli/bin/dli __worker"}));
  // The remote command is one string for the remote shell, quoted word by word.
  EXPECT_EQ(SshArgv(all, T("lab1"), "", {"echo", "a b", "$HOME"}).back(), "echo 'a b' '$HOME'");
  EXPECT_EQ(SshArgv(all, T("lab1"), "", {}).back(), "root@127.0.0.1");
}

TEST_F(RemoteCommands, SshSharesConnectionsThroughAControlDirectory) {
  EXPECT_EQ(SshArgv(all, T("lab1"), "/run/dli/ssh", {"true"}),
            Cat(SshCommon("/k/id", "/k/known_hosts"),
                {"-o", "ControlMaster=auto", "-o", "ControlPath=/run/dli/ssh/%C", "-o",
                 "ControlPersist=60", "-p", "2222", "root@127.0.0.1", "--", "true"}));
  EXPECT_EQ(SshControlExitArgv(all, T("lab1"), "/run/dli/ssh"),
            Cat(SshCommon("/k/id", "/k/known_hosts"),
                {"-o", "ControlMaster=auto", "-o", "ControlPath=/run/dli/ssh/%C", "-o",
                 "ControlPersist=60", "-p", "2222", "-O", "exit", "root@127.0.0.1"}));
  // A socket path has 107 bytes; ssh adds a 40-digit hash and a temporary suffix.
  EXPECT_NO_THROW(SshArgv(all, T("lab1"), std::string(49, 'd'), {"true"}));
  EXPECT_THROW(SshArgv(all, T("lab1"), std::string(50, 'd'), {"true"}), UsageError);
}

TEST_F(RemoteCommands, JumpHostsGoThroughProxyCommandWithTheirOwnKeys) {
  const std::string hop =
      "ssh -F /dev/null -T -i /k/id -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes "
      "-o UserKnownHostsFile=/k/known_hosts -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes "
      "-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -o ConnectTimeout=10 "
      "-o ServerAliveInterval=15 -o ServerAliveCountMax=4 -p 2222 root@127.0.0.1";
  EXPECT_EQ(
      SshArgv(all, T("inner"), "/c", {"true"}),
      Cat(SshCommon("/k/in", "/k/kh2"),
          {"-o", "ControlMaster=auto", "-o", "ControlPath=/c/%C", "-o", "ControlPersist=60", "-o",
           "ProxyCommand=" + hop + " -W '[%h]:%p'", "-p", "2200", "root@::1", "--", "true"}));
  // Two hops: the inner ProxyCommand's tokens are escaped for the outer one.
  const Argv deep = SshArgv(all, T("deep"), "", {"true"});
  const std::string inner_proxy = "-o 'ProxyCommand=" + hop + " -W '\\''[%%h]:%%p'\\'''";
  EXPECT_EQ(deep[deep.size() - 6],
            "ProxyCommand=ssh -F /dev/null -T -i /k/in -o IdentitiesOnly=yes "
            "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/k/kh2 "
            "-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o PasswordAuthentication=no "
            "-o KbdInteractiveAuthentication=no -o ConnectTimeout=10 -o ServerAliveInterval=15 "
            "-o ServerAliveCountMax=4 " +
                inner_proxy + " -p 2200 root@::1 -W '[%h]:%p'");
}

TEST_F(RemoteCommands, ModelUploadByContent) {
  EXPECT_EQ(ModelCachePath("ab12", "m.onnx"), ".cache/dli/models/ab12/m.onnx");
  const Argv argv = ModelUploadArgv(all, T("lab1"), "/c", "/models/mobilenet/m.onnx", "ab12");
  ASSERT_EQ(argv.size(), 8u);
  EXPECT_EQ(argv[0], "rsync");
  EXPECT_EQ(argv[1],
            "--rsh=ssh -F /dev/null -T -i /k/id -o IdentitiesOnly=yes "
            "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/k/known_hosts "
            "-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o PasswordAuthentication=no "
            "-o KbdInteractiveAuthentication=no -o ConnectTimeout=10 -o ServerAliveInterval=15 "
            "-o ServerAliveCountMax=4 -o ControlMaster=auto -o ControlPath=/c/%C "
            "-o ControlPersist=60 -p 2222");
  EXPECT_EQ(argv[2], "--rsync-path=mkdir -p .cache/dli/models/ab12 && rsync");
  EXPECT_EQ(argv[3], "--ignore-existing");
  EXPECT_EQ(argv[4], "--recursive");  // a folder model (SavedModel)
  EXPECT_EQ(argv[5], "--");
  EXPECT_EQ(argv[6], "/models/mobilenet/m.onnx");
  EXPECT_EQ(argv[7], "root@127.0.0.1:.cache/dli/models/ab12/m.onnx");
  // rsync's --rsh keeps a quoted ProxyCommand in one word; IPv6 hosts get brackets.
  const Argv jumped = ModelUploadArgv(all, T("inner"), "", "/m.onnx", "ab12");
  EXPECT_NE(jumped[1].find(" \"ProxyCommand=ssh -F /dev/null"), std::string::npos);
  EXPECT_NE(jumped[1].find("-W '[%h]:%p'\" -p 2200"), std::string::npos);
  EXPECT_EQ(jumped[7], "root@[::1]:.cache/dli/models/ab12/m.onnx");
  // A folder goes as its content into the cache entry of the same name.
  const fs::path folder = fs::temp_directory_path() / "dli-upload-test-saved_model";
  fs::create_directories(folder);
  const Argv tree = ModelUploadArgv(all, T("lab1"), "", folder.string(), "cd34");
  EXPECT_EQ(Argv(tree.end() - 2, tree.end()),
            (Argv{folder.string() + "/",
                  "root@127.0.0.1:.cache/dli/models/cd34/dli-upload-test-saved_model/"}));
  fs::remove_all(folder);
  EXPECT_THROW(ModelUploadArgv(all, T("cluster"), "", "/m.onnx", "ab12"), std::invalid_argument);
}

TEST(PointFolders, EachFolderOfThePointsFilesOnce) {
  PointSpec spec;
  spec.model_path = "/m/net/model.xml";
  spec.weights_path = "/m/net/model.bin";
  EXPECT_EQ(PointFolders(spec), (Argv{"/m/net"}));
  spec.input.images_dir = "/data/photos";
  spec.input.files = {"/data/val/a.jpg", "/data/val/b.jpg", "/data/photos/c.jpg"};
  EXPECT_EQ(PointFolders(spec), (Argv{"/m/net", "/data/photos", "/data/val"}));
}

TEST_F(RemoteCommands, SeveralFilesByContentInOneRsync) {
  const Argv argv = FilesUploadArgv(all, T("inner"), "", "/tmp/links", "/tmp/links/.files");
  ASSERT_EQ(argv.size(), 10u);
  EXPECT_EQ(argv[0], "rsync");
  EXPECT_EQ(argv[1], ModelUploadArgv(all, T("inner"), "", "/m.onnx", "ab12")[1]);  // same ssh
  EXPECT_EQ(Argv(argv.begin() + 2, argv.end()),
            (Argv{"--rsync-path=mkdir -p .cache/dli/models && rsync", "--ignore-existing",
                  "--recursive", "--copy-links", "--files-from=/tmp/links/.files", "--", "/tmp/links/",
                  "root@[::1]:.cache/dli/models/"}));
  EXPECT_EQ(ImageFolderCachePath("c0ffee"), ".cache/dli/images/c0ffee");
  EXPECT_THROW(FilesUploadArgv(all, T("cluster"), "", "/l", "/l/.f"), std::invalid_argument);
}

TEST_F(RemoteCommands, ContainerRunNeverPullsAndHasNoNetwork) {
  EXPECT_EQ(
      ContainerRunArgv(*T("boxed").container, "dli-p1", {"/root/.cache/dli/models"},
                       {"dli", "__worker"}),
      (Argv{"podman", "run", "--rm", "-i", "--pull=never", "--network=none", "--log-driver=none",
            "--name", "dli-p1", "--volume=/root/.cache/dli/models:/root/.cache/dli/models:ro",
            "dli:1", "dli", "__worker"}));
  EXPECT_EQ(ContainerRunArgv(*T("deep").container, "dli-p2", {}, {"echo", "hi"}),
            (Argv{"docker", "run", "--rm", "-i", "--pull=never", "--network=host",
                  "--log-driver=none", "--name", "dli-p2", "reg/dli:2", "echo", "hi"}));
  EXPECT_EQ(ContainerRemoveArgv(*T("deep").container, "dli-p2"),
            (Argv{"docker", "rm", "--force", "dli-p2"}));
}

TEST_F(RemoteCommands, SallocHoldsWholeNodes) {
  EXPECT_EQ(SallocArgv(T("cluster"), "dli-study", 0),
            (Argv{"salloc", "--no-shell", "--job-name=dli-study", "--partition=debug", "--nodes=2",
                  "--time=00:30:00", "--exclusive", "--mem=0"}));
  EXPECT_EQ(SallocArgv(T("full"), "s", 5),
            (Argv{"salloc", "--no-shell", "--job-name=s", "--nodes=2", "--nodelist=n1,n3",
                  "--time=90", "--account=ml", "--constraint=avx512&bf16", "--immediate=5"}));
  EXPECT_THROW(SallocArgv(T("lab1"), "s", 0), std::invalid_argument);
}

TEST_F(RemoteCommands, SallocJobId) {
  EXPECT_EQ(ParseSallocJobId("salloc: Granted job allocation 1234\n"), "1234");
  EXPECT_EQ(ParseSallocJobId("salloc: Pending job allocation 7\nsalloc: job 7 queued and waiting "
                             "for resources\nsalloc: Granted job allocation 7\n"),
            "7");
  EXPECT_EQ(ParseSallocJobId("salloc: Pending job allocation 2\nsalloc: error: Unable to "
                             "allocate resources: Connection timed out\n"),
            std::nullopt);
}

TEST_F(RemoteCommands, QueuedRequestsAreFoundToCancelThem) {
  EXPECT_EQ(ParseQueuedJobId("salloc: Pending job allocation 7\nsalloc: job 7 queued and waiting "
                             "for resources\n"),
            "7");
  EXPECT_EQ(ParseQueuedJobId("salloc: Granted job allocation 8\n"), std::nullopt);
  EXPECT_EQ(ScancelByNameArgv("dli-123"), (Argv{"scancel", "--me", "--name=dli-123"}));
}

TEST_F(RemoteCommands, ContainerImageIdOnTheNode) {
  EXPECT_EQ(ContainerImageIdArgv(*T("boxed").container),
            (Argv{"podman", "image", "inspect", "--format", "{{.Id}}", "dli:1"}));
  WorkerPlace place;
  place.slurm_job_id = "42";
  place.name = "dli-9-image";
  EXPECT_EQ(OnTargetNode(all, T("boxed"), place, {"true"}), (Argv{"true"}));
  EXPECT_EQ(OnTargetNode(all, T("full"), place, {"true"}),
            Cat(SshCommon("/k/gate", "/k/kh"),
                {"-p", "22", "jo@gate.example", "--",
                 "srun --jobid=42 --job-name=dli-9-image --nodes=1 --ntasks=1 -- true"}));
}

TEST_F(RemoteCommands, NodesOfSlurmTargetsFromSinfo) {
  EXPECT_EQ(SinfoNodesArgv(), (Argv{"sinfo", "--noheader", "--Node", "--format=%N %P"}));
  const auto nodes = ParseSinfoNodes("n1 debug*\nn2 debug*\nn2 big\nn3 slow\n\n");
  using Set = std::set<std::string>;
  EXPECT_EQ(nodes.at(""), (Set{"n1", "n2"}));  // the default partition
  EXPECT_EQ(nodes.at("debug"), (Set{"n1", "n2"}));
  EXPECT_EQ(nodes.at("big"), (Set{"n2"}));
  EXPECT_EQ(SlurmTargetNodes(T("cluster"), nodes), (Set{"n1", "n2"}));
  EXPECT_EQ(SlurmTargetNodes(T("full"), nodes), (Set{"n1", "n3"}));  // named nodes
  Target unknown = T("cluster");
  unknown.slurm.partition = "gpu";
  EXPECT_EQ(SlurmTargetNodes(unknown, nodes), Set{});
}

TEST_F(RemoteCommands, SrunStepsAndJobControl) {
  EXPECT_EQ(SrunStepArgv("42", "dli-p1", {"dli", "__worker"}),
            (Argv{"srun", "--jobid=42", "--job-name=dli-p1", "--nodes=1", "--ntasks=1", "--", "dli",
                  "__worker"}));
  EXPECT_EQ(ScancelArgv("42"), (Argv{"scancel", "42"}));
  EXPECT_EQ(SlurmJobStateArgv("42"),
            (Argv{"squeue", "--noheader", "--states=all", "--jobs=42", "--format=%T"}));
  EXPECT_EQ(OnLoginNode(all, T("cluster"), "", {"scancel", "42"}), (Argv{"scancel", "42"}));
  EXPECT_EQ(
      OnLoginNode(all, T("full"), "", {"scancel", "42"}),
      Cat(SshCommon("/k/gate", "/k/kh"), {"-p", "22", "jo@gate.example", "--", "scancel 42"}));
}

TEST(PointStatusForSlurmState, EveryEndAndStillRunning) {
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {"COMPLETED", "ok"},
      {"CD", "ok"},
      {"TIMEOUT", "timeout"},
      {"TO", "timeout"},
      {"DEADLINE", "timeout"},
      {"CANCELLED", "interrupted"},
      {"CANCELLED by 0", "interrupted"},
      {"CANCELLED+", "interrupted"},
      {"CA", "interrupted"},
      {"PREEMPTED", "interrupted"},
      {"FAILED", "failed"},
      {"NODE_FAIL", "failed"},
      {"NF", "failed"},
      {"BOOT_FAIL", "failed"},
      {"OUT_OF_MEMORY", "failed"},
      {"OUT_OF_ME+", "failed"},  // unknown after truncation: still an end
      {"OOM", "failed"},
      {"SPECIAL_EXIT", "failed"},
      {"something new", "failed"},
      {"PENDING", std::nullopt},
      {"PD", std::nullopt},
      {"RUNNING", std::nullopt},
      {"running", std::nullopt},
      {" R\n", std::nullopt},
      {"COMPLETING", std::nullopt},
      {"CONFIGURING", std::nullopt},
      {"SUSPENDED", std::nullopt},
      {"REQUEUED", std::nullopt},
      {"RESIZING", std::nullopt},
      {"SIGNALING", std::nullopt},
      {"STAGE_OUT", std::nullopt},
      {"STOPPED", std::nullopt}};
  for (const auto& [state, status] : cases)
    EXPECT_EQ(PointStatusForSlurmState(state), status) << state;
}

TEST_F(RemoteCommands, WorkerCommandLineOnEachKindOfTarget) {
  WorkerPlace place;
  place.self = "/build/bin/dli";
  place.control_dir = "/c";
  place.slurm_job_id = "42";
  place.name = "dli-p1";
  place.read_only_dirs = {"/home/u/.cache/dli/models"};
  EXPECT_EQ(WorkerArgv(all, T("here"), place), (Argv{"/build/bin/dli", "__worker"}));
  EXPECT_EQ(
      WorkerArgv(all, T("boxed"), place),
      (Argv{"podman", "run", "--rm", "-i", "--pull=never", "--network=none", "--log-driver=none",
            "--name", "dli-p1", "--volume=/home/u/.cache/dli/models:/home/u/.cache/dli/models:ro",
            "dli:1", "dli", "__worker"}));
  const Argv ssh = WorkerArgv(all, T("lab1"), place);
  EXPECT_EQ(Argv(ssh.end() - 3, ssh.end()),
            (Argv{"root@127.0.0.1", "--", "/opt/dli/bin/dli __worker"}));
  EXPECT_EQ(WorkerArgv(all, T("deep"), place).back(),
            "docker run --rm -i --pull=never --network=host --log-driver=none --name dli-p1 "
            "--volume=/home/u/.cache/dli/models:/home/u/.cache/dli/models:ro reg/dli:2 dli "
            "__worker");
  EXPECT_EQ(WorkerArgv(all, T("cluster"), place),
            (Argv{"srun", "--jobid=42", "--job-name=dli-p1", "--nodes=1", "--ntasks=1", "--",
                  "/build/bin/dli", "__worker"}));
  const Argv via = WorkerArgv(all, T("full"), place);
  EXPECT_EQ(via[0], "ssh");
  EXPECT_EQ(Argv(via.end() - 2, via.end()),
            (Argv{"--",
                  "srun --jobid=42 --job-name=dli-p1 --nodes=1 --ntasks=1 -- podman run --rm -i "
                  "--pull=never --network=none --log-driver=none --name dli-p1 "
                  "--volume=/home/u/.cache/dli/models:/home/u/.cache/dli/models:ro dli:1 dli "
                  "__worker"}));
}

}  // namespace
}  // namespace dli
