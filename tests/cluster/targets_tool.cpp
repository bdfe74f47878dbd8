// Test-only front end of exec/targets.h and exec/remote_commands.h: the
// cluster tests load targets files and take their command lines from here,
// so what runs against the real sshd, Slurm and podman is what dli builds.
// Prints JSON on stdout; a UsageError prints its line on stderr, exit 2.
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/point.h"
#include "exec/executor.h"
#include "exec/remote_commands.h"
#include "exec/targets.h"

namespace {

using dli::Targets;
using Args = std::vector<std::string>;

const char kUsage[] =
    "usage: dli_targets_tool COMMAND ...\n"
    "  load FILE                                  the targets, as JSON\n"
    "  check-files FILE TARGET\n"
    "  ssh FILE TARGET CONTROL_DIR [COMMAND...]\n"
    "  ssh-exit FILE TARGET CONTROL_DIR\n"
    "  upload FILE TARGET CONTROL_DIR LOCAL_FILE SHA256\n"
    "  container FILE TARGET NAME CACHE_DIR COMMAND...\n"
    "  container-rm FILE TARGET NAME\n"
    "  salloc FILE TARGET JOB_NAME IMMEDIATE_S\n"
    "  salloc-job-id          (salloc's stderr on stdin)\n"
    "  step JOB_ID STEP_NAME COMMAND...\n"
    "  state JOB_ID | scancel JOB_ID | map SLURM_STATE\n"
    "  on-login FILE TARGET CONTROL_DIR COMMAND...\n"
    "  worker FILE TARGET SELF CONTROL_DIR JOB_ID NAME CACHE_DIR\n"
    "  run-points FILE TARGET MODEL COUNT         COUNT 'testing' points through the\n"
    "                                             target's executor, as result JSON\n"
    "  interleave FILE MODEL ITERATIONS BLOCKS PER_BLOCK TARGET...\n"
    "                                             the same 'testing' point on each target,\n"
    "                                             PER_BLOCK at a time, the targets' order\n"
    "                                             rotating each block "
    "(scripts/bench/dispatch.sh)\n";

nlohmann::json Describe(const dli::Target& t) {
  nlohmann::json j = {{"name", t.name},
                      {"type", dli::TargetTypeName(t.type)},
                      {"dli", t.dli},
                      {"slots", t.Slots()},
                      {"where", t.where},
                      {"container", nullptr},
                      {"hardware_class", t.hardware_class}};
  if (t.type == dli::TargetType::kSsh)
    j["ssh"] = {{"host", t.ssh.host},
                {"port", t.ssh.port},
                {"user", t.ssh.user},
                {"identity", t.ssh.identity},
                {"known_hosts", t.ssh.known_hosts},
                {"jump", t.ssh.jump}};
  if (t.type == dli::TargetType::kSlurm)
    j["slurm"] = {{"partition", t.slurm.partition},
                  {"nodes", t.slurm.nodes},
                  {"node_list", t.slurm.node_list},
                  {"time", t.slurm.time},
                  {"time_s", t.slurm.time_s},
                  {"exclusive", t.slurm.exclusive},
                  {"via", t.slurm.via}};
  if (t.container)
    j["container"] = {{"engine", t.container->engine},
                      {"image", t.container->image},
                      {"network", t.container->network},
                      {"dli", t.container->dli}};
  return j;
}

// Words each command needs, the command included.
const std::map<std::string, size_t> kMinWords = {
    {"load", 2},       {"check-files", 3},  {"ssh", 4},      {"ssh-exit", 4}, {"upload", 6},
    {"container", 6},  {"container-rm", 4}, {"salloc", 5},   {"step", 4},     {"state", 2},
    {"scancel", 2},    {"map", 2},          {"on-login", 5}, {"worker", 8},   {"salloc-job-id", 1},
    {"run-points", 5}, {"interleave", 7}};

// A point of the test backend: one warm-up and `iterations` timed requests.
dli::PointSpec TestingPoint(const std::string& model, int iterations) {
  dli::PointSpec spec;
  spec.framework = "testing";
  spec.model_path = model;
  spec.measure.warmup = 1;
  spec.measure.stop.iterations = iterations;
  spec.measure.stop.min_iterations = iterations;
  spec.timeout_s = 60;
  return spec;
}

// A plain local target runs this process's dli, which is not this tool.
std::unique_ptr<dli::Executor> ExecutorOf(const Targets& all, const dli::Target& t) {
  const char* dli_bin = std::getenv("DLI_BIN");
  return t.type == dli::TargetType::kLocal && !t.container && dli_bin
             ? dli::MakeLocalExecutor(dli_bin)
             : dli::MakeTargetExecutor(all, t);
}

nlohmann::json Run(const Args& a) {
  const auto min_words = a.empty() ? kMinWords.end() : kMinWords.find(a[0]);
  if (min_words == kMinWords.end() || a.size() < min_words->second) throw dli::UsageError(kUsage);
  const std::string& cmd = a[0];
  const auto rest = [&](size_t from) { return Args(a.begin() + from, a.end()); };
  if (cmd == "state") return dli::SlurmJobStateArgv(a[1]);
  if (cmd == "scancel") return dli::ScancelArgv(a[1]);
  if (cmd == "step") return dli::SrunStepArgv(a[1], a[2], rest(3));
  if (cmd == "map") {
    const auto status = dli::PointStatusForSlurmState(a[1]);
    return status ? nlohmann::json(*status) : nlohmann::json(nullptr);
  }
  if (cmd == "salloc-job-id") {
    const std::string text((std::istreambuf_iterator<char>(std::cin)), {});
    const auto id = dli::ParseSallocJobId(text);
    return id ? nlohmann::json(*id) : nlohmann::json(nullptr);
  }
  const Targets all = dli::LoadTargets(a[1]);
  if (cmd == "load") {
    nlohmann::json out = nlohmann::json::array();
    for (const dli::Target& t : all.targets) out.push_back(Describe(t));
    return out;
  }
  if (cmd == "interleave") {
    const dli::PointSpec spec = TestingPoint(a[2], std::stoi(a[3]));
    const int blocks = std::stoi(a[4]), per_block = std::stoi(a[5]);
    std::vector<std::unique_ptr<dli::Executor>> executors;
    for (size_t i = 6; i < a.size(); ++i) executors.push_back(ExecutorOf(all, all.Find(a[i])));
    nlohmann::json out = nlohmann::json::array();
    for (int block = 0; block < blocks; ++block) {
      for (size_t k = 0; k < executors.size(); ++k) {
        const size_t i = (k + static_cast<size_t>(block)) % executors.size();
        for (int p = 0; p < per_block; ++p)
          out.push_back({{"target", a[6 + i]},
                         {"block", block},
                         {"result", dli::ResultToJson(executors[i]->Run(spec), false)}});
      }
    }
    return out;
  }
  const dli::Target& t = all.Find(a[2]);
  if (cmd == "check-files") {
    dli::CheckTargetFiles(all, t);
    return "ok";
  }
  if (cmd == "ssh") return dli::SshArgv(all, t, a[3], rest(4));
  if (cmd == "ssh-exit") return dli::SshControlExitArgv(all, t, a[3]);
  if (cmd == "upload") return dli::ModelUploadArgv(all, t, a[3], a[4], a[5]);
  const Args cache_dir = a.size() > 4 && !a[4].empty() ? Args{a[4]} : Args{};
  if (cmd == "container")
    return dli::ContainerRunArgv(t.container.value(), a[3], cache_dir, rest(5));
  if (cmd == "container-rm") return dli::ContainerRemoveArgv(t.container.value(), a[3]);
  if (cmd == "salloc") return dli::SallocArgv(t, a[3], std::stoi(a[4]));
  if (cmd == "on-login") return dli::OnLoginNode(all, t, a[3], rest(4));
  if (cmd == "run-points") {
    const dli::PointSpec spec = TestingPoint(a[3], 5);
    nlohmann::json out = nlohmann::json::array();
    const auto executor = ExecutorOf(all, t);
    for (int i = 0; i < std::stoi(a[4]); ++i) {
      out.push_back(dli::ResultToJson(executor->Run(spec), false));
    }
    return out;
  }
  dli::WorkerPlace place;  // "worker"
  place.self = a[3];
  place.control_dir = a[4];
  place.slurm_job_id = a[5];
  place.name = a[6];
  place.read_only_dirs = a[7].empty() ? Args{} : Args{a[7]};
  return dli::WorkerArgv(all, t, place);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::cout << Run(Args(argv + 1, argv + argc)).dump() << "\n";
    return dli::kExitOk;
  } catch (const dli::UsageError& e) {
    std::cerr << e.what() << "\n";
    return dli::kExitUsage;
  }
}
