#include "exec/targets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

class TargetsFile : public ::testing::Test {
 protected:
  std::string Write(const std::string& yaml) {
    std::ofstream(path()) << yaml;
    return path();
  }
  std::string path() const { return (dir.path() / "targets.yaml").string(); }
  // The error message of loading `yaml`, or "" when it loads.
  std::string ErrorOf(const std::string& yaml) {
    try {
      LoadTargets(Write(yaml));
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  }
  std::string In(const std::string& rel) const { return (dir.path() / rel).string(); }
  TempDir dir;
};

const char kSshEntry[] =
    "  - {name: lab1, type: ssh, host: 127.0.0.1, port: 2222, user: root,\n"
    "     identity: keys/id_ed25519, known_hosts: keys/known_hosts, dli: /opt/dli/bin/dli}\n";

TEST_F(TargetsFile, ReadsEveryKindOfTarget) {
  const Targets all =
      LoadTargets(Write(std::string("targets:\n") + "  - {name: here, type: local}\n" + kSshEntry +
                        "  - name: lab2\n"
                        "    type: ssh\n"
                        "    host: lab2.example\n"
                        "    user: bench\n"
                        "    identity: /keys/lab2\n"
                        "    known_hosts: ../kh\n"
                        "    jump: lab1\n"
                        "    slots: 3\n"
                        "    container: {engine: podman, image: dli:latest}\n"
                        "  - name: cluster\n"
                        "    type: slurm\n"
                        "    partition: debug\n"
                        "    nodes: 2\n"
                        "    time: \"00:30:00\"\n"
                        "    account: ml\n"
                        "    constraint: \"avx512&bf16\"\n"
                        "    via: lab1\n"
                        "  - {name: named, type: slurm, nodes: [n1, n3], time: 90,\n"
                        "     exclusive: false, dli: /shared/dli}\n"
                        "  - {name: boxed, type: local, container: {engine: "
                        "docker, image: reg/dli:1, network: host, dli: "
                        "/usr/bin/dli}}\n"));
  ASSERT_EQ(all.targets.size(), 6u);
  EXPECT_EQ(all.file, path());

  const Target& here = all.Find("here");
  EXPECT_EQ(here.type, TargetType::kLocal);
  EXPECT_EQ(here.Slots(), 1);
  EXPECT_FALSE(here.container);
  EXPECT_EQ(here.where, path() + ":2:5");

  const Target& lab1 = all.Find("lab1");
  EXPECT_EQ(lab1.type, TargetType::kSsh);
  EXPECT_EQ(lab1.ssh.host, "127.0.0.1");
  EXPECT_EQ(lab1.ssh.port, 2222);
  EXPECT_EQ(lab1.ssh.user, "root");
  EXPECT_EQ(lab1.ssh.identity, In("keys/id_ed25519"));
  EXPECT_EQ(lab1.ssh.known_hosts, In("keys/known_hosts"));
  EXPECT_EQ(lab1.dli, "/opt/dli/bin/dli");
  EXPECT_EQ(lab1.ssh.jump, "");
  EXPECT_EQ(lab1.Slots(), 1);

  const Target& lab2 = all.Find("lab2");
  EXPECT_EQ(lab2.ssh.port, 22);
  EXPECT_EQ(lab2.ssh.identity, "/keys/lab2");
  EXPECT_EQ(lab2.ssh.known_hosts, (dir.path().parent_path() / "kh").string());
  EXPECT_EQ(lab2.ssh.jump, "lab1");
  EXPECT_EQ(lab2.Slots(), 3);
  EXPECT_EQ(lab2.dli, "");
  ASSERT_TRUE(lab2.container);
  EXPECT_EQ(lab2.container->engine, "podman");
  EXPECT_EQ(lab2.container->image, "dli:latest");
  EXPECT_EQ(lab2.container->network, "none");
  EXPECT_EQ(lab2.container->dli, "dli");

  const Target& cluster = all.Find("cluster");
  EXPECT_EQ(cluster.type, TargetType::kSlurm);
  EXPECT_EQ(cluster.slurm.partition, "debug");
  EXPECT_EQ(cluster.slurm.nodes, 2);
  EXPECT_TRUE(cluster.slurm.node_list.empty());
  EXPECT_EQ(cluster.slurm.time, "00:30:00");
  EXPECT_EQ(cluster.slurm.time_s, 1800);
  EXPECT_EQ(cluster.slurm.account, "ml");
  EXPECT_EQ(cluster.slurm.constraint, "avx512&bf16");
  EXPECT_TRUE(cluster.slurm.exclusive);
  EXPECT_EQ(cluster.slurm.via, "lab1");
  EXPECT_EQ(cluster.dli, "");
  EXPECT_EQ(cluster.Slots(), 2);

  const Target& named = all.Find("named");
  EXPECT_EQ(named.slurm.partition, "");
  EXPECT_EQ(named.slurm.node_list, (std::vector<std::string>{"n1", "n3"}));
  EXPECT_EQ(named.slurm.nodes, 2);
  EXPECT_EQ(named.slurm.time_s, 5400);
  EXPECT_FALSE(named.slurm.exclusive);
  EXPECT_EQ(named.dli, "/shared/dli");

  const Target& boxed = all.Find("boxed");
  EXPECT_EQ(boxed.container->engine, "docker");
  EXPECT_EQ(boxed.container->image, "reg/dli:1");
  EXPECT_EQ(boxed.container->network, "host");
  EXPECT_EQ(boxed.container->dli, "/usr/bin/dli");
}

TEST_F(TargetsFile, RefusesPasswords) {
  EXPECT_EQ(
      ErrorOf("targets:\n"
              "  - name: lab1\n"
              "    type: ssh\n"
              "    host: 127.0.0.1\n"
              "    password: hunter2\n"),
      path() + ":5:15: target lab1: passwords are not accepted; use identity: with a key file");
}

TEST_F(TargetsFile, UnknownKeysNameTheirPlace) {
  EXPECT_EQ(ErrorOf("targets:\n  - {name: here, type: local, hots: x}\n"),
            path() +
                ":2:31: unknown key 'hots' in target here (type local); expected one of "
                "container, hardware_class, name, type");
  // A key of another type is unknown too.
  EXPECT_NE(ErrorOf("targets:\n  - {name: lab1, type: ssh, partition: debug}\n")
                .find(":2:29: unknown key 'partition' in target lab1 (type ssh)"),
            std::string::npos);
  EXPECT_NE(ErrorOf("targets: [{name: a, type: local, container: {engine: podman, image: i, "
                    "pull: always}}]\n")
                .find(":1:72: unknown key 'pull' in the container of target a"),
            std::string::npos);
  EXPECT_NE(ErrorOf("hosts: []\n").find(":1:1: unknown key 'hosts' in the targets file"),
            std::string::npos);
}

TEST_F(TargetsFile, SshNeedsKeyKnownHostsAndAnAbsoluteDli) {
  const std::string base = "targets:\n  - {name: lab1, type: ssh, host: h, user: u";
  EXPECT_EQ(ErrorOf(base + ", identity: k, dli: /d}\n"),
            path() + ":2:5: target lab1 (type ssh) needs known_hosts:");
  EXPECT_EQ(ErrorOf(base + ", known_hosts: kh, dli: /d}\n"),
            path() + ":2:5: target lab1 (type ssh) needs identity:");
  EXPECT_EQ(ErrorOf(base + ", identity: k, known_hosts: kh}\n"),
            path() + ":2:5: target lab1 needs dli: (the path of dli on h)");
  EXPECT_EQ(ErrorOf(base + ", identity: k, known_hosts: kh, dli: build/bin/dli}\n"),
            path() + ":2:82: target lab1: dli must be an absolute path (the remote PATH differs)");
  // In a container, dli comes with the image.
  EXPECT_EQ(ErrorOf(base + ", identity: k, known_hosts: kh, container: {engine: docker, image: "
                           "dli}}\n"),
            "");
  EXPECT_EQ(ErrorOf(base + ", identity: k, known_hosts: kh, dli: /d, container: {engine: docker, "
                           "image: dli}}\n"),
            path() +
                ":2:82: target lab1: in a container, dli comes with the image; give its "
                "path as container: {dli: PATH}");
}

TEST_F(TargetsFile, RefusesWhatWouldBecomeAnOptionOrSplit) {
  const std::string base = "targets:\n  - {name: lab1, type: ssh, user: u, dli: /d, ";
  EXPECT_NE(ErrorOf(base + "host: -oProxyCommand=x, identity: k, known_hosts: kh}\n")
                .find("host '-oProxyCommand=x' must be letters"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "host: h, identity: 'my keys/k', known_hosts: kh}\n")
                .find("identity path " + In("my keys/k") + " has a space"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "host: h, identity: k%d, known_hosts: kh}\n").find("has a space"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "host: h, port: 70000, identity: k, known_hosts: kh}\n")
                .find("port must be at most 65535"),
            std::string::npos);
  EXPECT_NE(ErrorOf("targets: [{name: -x, type: local}]\n").find("target name '-x' must be"),
            std::string::npos);
}

TEST_F(TargetsFile, JumpAndViaMustBeSshTargetsWithoutLoops) {
  const std::string a =
      "  - {name: a, type: ssh, host: h, user: u, identity: k, known_hosts: kh, "
      "dli: /d, jump: b}\n";
  const std::string b =
      "  - {name: b, type: ssh, host: h, user: u, identity: k, known_hosts: kh, "
      "dli: /d, jump: a}\n";
  EXPECT_EQ(ErrorOf("targets:\n" + a + b),
            path() + ":2:5: target a: the jump hosts from b lead back to a");
  EXPECT_EQ(ErrorOf("targets:\n" + a),
            path() + ":2:5: target a: jump 'b' is not an ssh target in " + path());
  EXPECT_EQ(ErrorOf("targets:\n  - {name: c, type: slurm, time: 5, via: here}\n"
                    "  - {name: here, type: local}\n"),
            path() + ":2:5: target c: via 'here' is not an ssh target in " + path());
  EXPECT_EQ(ErrorOf("targets:\n  - {name: a, type: ssh, host: h, user: u, identity: k, "
                    "known_hosts: kh, dli: /d, jump: a}\n"),
            path() + ":2:5: target a: the jump hosts from a lead back to a");
}

TEST_F(TargetsFile, NamesAreUnique) {
  EXPECT_EQ(ErrorOf("targets:\n  - {name: x, type: local}\n  - {name: x, type: local}\n"),
            path() + ":3:12: target name 'x' is used twice (first at " + path() + ":2:5)");
}

TEST_F(TargetsFile, SlurmValues) {
  EXPECT_EQ(ErrorOf("targets: [{name: c, type: slurm}]\n"),
            path() + ":1:11: target c (type slurm) needs time:");
  EXPECT_NE(ErrorOf("targets: [{name: c, type: slurm, time: soon}]\n")
                .find("time 'soon' is not a Slurm time limit"),
            std::string::npos);
  EXPECT_NE(ErrorOf("targets: [{name: c, type: slurm, time: 5, nodes: 0}]\n")
                .find("nodes (a count, or a list of node names) must be at least 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf("targets: [{name: c, type: slurm, time: 5, nodes: []}]\n")
                .find("nodes must not be empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf("targets: [{name: c, type: slurm, time: 5, exclusive: maybe}]\n")
                .find("exclusive must be true or false"),
            std::string::npos);
}

TEST_F(TargetsFile, ContainerValues) {
  EXPECT_NE(ErrorOf("targets: [{name: a, type: local, container: {engine: lxc, image: i}}]\n")
                .find("container engine 'lxc' is not docker or podman"),
            std::string::npos);
  EXPECT_NE(ErrorOf("targets: [{name: a, type: local, container: {engine: docker}}]\n")
                .find("the container of target a needs image:"),
            std::string::npos);
  EXPECT_NE(ErrorOf("targets: [{name: a, type: local, container: {engine: docker, image: i, "
                    "network: bridge}}]\n")
                .find("container network 'bridge' is not none or host"),
            std::string::npos);
}

TEST_F(TargetsFile, HardwareClassesAndFailover) {
  Targets all = LoadTargets(
      Write("failover: true\ntargets:\n  - {name: a, type: local, hardware_class: epyc-7763}\n"
            "  - {name: b, type: local}\n"));
  EXPECT_TRUE(all.failover);
  EXPECT_EQ(all.Find("a").hardware_class, "epyc-7763");
  EXPECT_EQ(all.Find("b").hardware_class, "");
  EXPECT_FALSE(LoadTargets(Write("targets: [{name: a, type: local}]\n")).failover);
  EXPECT_EQ(ErrorOf("failover: often\ntargets: [{name: a, type: local}]\n"),
            path() + ":1:11: failover must be true or false");
  EXPECT_NE(ErrorOf("targets: [{name: a, type: local, hardware_class: -x}]\n")
                .find("target a: hardware_class '-x' must be letters"),
            std::string::npos);
}

TEST_F(TargetsFile, ShapeErrors) {
  EXPECT_EQ(ErrorOf("targets: []\n"), path() + ":1:10: targets must be a non-empty list");
  EXPECT_EQ(ErrorOf("targets: [{type: local}]\n"), path() + ":1:11: target #1 has no name");
  EXPECT_EQ(ErrorOf("targets: [{name: a}]\n"),
            path() + ":1:11: target a has no type (local, ssh or slurm)");
  EXPECT_EQ(ErrorOf("targets: [{name: a, type: cloud}]\n"),
            path() + ":1:27: target a: unknown type 'cloud'; expected local, ssh or slurm");
  EXPECT_EQ(ErrorOf("targets: [{name: a, type: local\n"),
            path() + ":2:1: end of map flow not found");
  EXPECT_EQ(ErrorOf("- a\n"), path() + ": a targets file is a YAML mapping (targets: [...])");
  try {
    LoadTargets(In("missing.yaml"));
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "targets file not found: " + In("missing.yaml"));
  }
}

TEST_F(TargetsFile, FindNamesTheKnownTargets) {
  const Targets all =
      LoadTargets(Write("targets: [{name: a, type: local}, {name: b, type: local}]"));
  try {
    all.Find("c");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown target 'c' in " + path() + "; known: a, b");
  }
}

TEST_F(TargetsFile, CheckFilesOfTheTargetAndItsJumpHosts) {
  fs::create_directories(dir.path() / "keys");
  const Targets all = LoadTargets(Write(
      std::string("targets:\n") + kSshEntry +
      "  - {name: lab2, type: ssh, host: h, user: u, identity: keys/k2, known_hosts: keys/kh2,\n"
      "     dli: /d, jump: lab1}\n"
      "  - {name: c, type: slurm, time: 5, via: lab2}\n"));
  const auto error = [&](const std::string& name) -> std::string {
    try {
      CheckTargetFiles(all, all.Find(name));
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error("lab1"), "target lab1: identity file not found: " + In("keys/id_ed25519"));
  std::ofstream(In("keys/id_ed25519")) << "key";
  chmod(In("keys/id_ed25519").c_str(), 0644);
  EXPECT_EQ(error("lab1"), "target lab1: identity " + In("keys/id_ed25519") +
                               " can be read by others (mode 0644) and ssh refuses such keys; "
                               "chmod 600 " +
                               In("keys/id_ed25519"));
  chmod(In("keys/id_ed25519").c_str(), 0600);
  EXPECT_EQ(error("lab1"), "target lab1: known_hosts file not found: " + In("keys/known_hosts"));
  std::ofstream(In("keys/known_hosts")) << "[127.0.0.1]:2222 ssh-ed25519 AAAA";
  EXPECT_EQ(error("lab1"), "");
  std::ofstream(In("keys/k2")) << "key";
  chmod(In("keys/k2").c_str(), 0600);
  std::ofstream(In("keys/kh2")) << "h ssh-ed25519 AAAA";
  EXPECT_EQ(error("c"), "");
  fs::remove(In("keys/id_ed25519"));
  // The jump host's key is needed as much as the target's own.
  EXPECT_EQ(error("c"), "target lab1: identity file not found: " + In("keys/id_ed25519"));
}

TEST(ParseSlurmTime, EverySlurmFormat) {
  EXPECT_EQ(ParseSlurmTime("30"), 1800);
  EXPECT_EQ(ParseSlurmTime("30:15"), 1815);
  EXPECT_EQ(ParseSlurmTime("00:30:00"), 1800);
  EXPECT_EQ(ParseSlurmTime("1:02:03"), 3723);
  EXPECT_EQ(ParseSlurmTime("2-0"), 172800);
  EXPECT_EQ(ParseSlurmTime("2-12"), 216000);
  EXPECT_EQ(ParseSlurmTime("1-00:30"), 88200);
  EXPECT_EQ(ParseSlurmTime("1-00:00:05"), 86405);
  EXPECT_EQ(ParseSlurmTime("0"), std::nullopt);  // Slurm: no limit
  EXPECT_EQ(ParseSlurmTime("UNLIMITED"), std::nullopt);
  EXPECT_EQ(ParseSlurmTime("1:2:3:4"), std::nullopt);
  EXPECT_EQ(ParseSlurmTime("-5"), std::nullopt);
  EXPECT_EQ(ParseSlurmTime("5:"), std::nullopt);
  EXPECT_EQ(ParseSlurmTime(""), std::nullopt);
}

}  // namespace
}  // namespace dli
