#include "machine/doctor.h"

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include "core/text.h"
#include "machine/files.h"

namespace dli {
namespace {

Finding Make(const std::string& id, FindingStatus status, const std::string& value,
             const std::string& advice = "") {
  return {id, status, value, advice};
}

std::string Percent(double fraction) { return FormatFixed(100 * fraction, 1) + "%"; }

Finding CheckGovernor(const std::string& root) {
  std::map<std::string, int> count;
  int cpus = 0;
  for (const std::string& cpu : CpuDirs(root))
    if (const auto governor = ReadLine(cpu + "/cpufreq/scaling_governor")) {
      ++count[*governor];
      ++cpus;
    }
  if (cpus == 0)
    return Make("governor", FindingStatus::kInfo, "no cpufreq governor exposed",
                "typical of a virtual machine: the host sets the clock");
  std::vector<std::string> parts;
  for (const auto& [name, n] : count)
    parts.push_back(name + " on " + std::to_string(n) + "/" + std::to_string(cpus) + " CPUs");
  if (count.size() == 1 && count.count("performance"))
    return Make("governor", FindingStatus::kOk, Join(parts, ", "));
  return Make("governor", FindingStatus::kWarn, Join(parts, ", "),
              "the clock follows the load; for stable numbers: sudo cpupower frequency-set -g "
              "performance");
}

Finding CheckTurbo(const std::string& root) {
  const std::string no_turbo = UnderRoot(root, "/sys/devices/system/cpu/intel_pstate/no_turbo");
  const std::string boost = UnderRoot(root, "/sys/devices/system/cpu/cpufreq/boost");
  std::optional<bool> on;
  std::string file;
  if (const auto v = ReadNumber(no_turbo)) {
    on = *v == 0;
    file = no_turbo;
  } else if (const auto b = ReadNumber(boost)) {
    on = *b != 0;
    file = boost;
  }
  if (!on)
    return Make("turbo", FindingStatus::kInfo, "no turbo/boost control exposed",
                "typical of a virtual machine: the host decides");
  if (!*on) return Make("turbo", FindingStatus::kOk, "off");
  return Make("turbo", FindingStatus::kWarn, "on",
              "the clock then depends on temperature and busy cores; to turn it off: echo " +
                  std::string(file == no_turbo ? "1" : "0") + " | sudo tee " + file);
}

Finding CheckSmt(const std::string& root) {
  const auto active = ReadNumber(UnderRoot(root, "/sys/devices/system/cpu/smt/active"));
  if (!active) return Make("smt", FindingStatus::kInfo, "not exposed");
  if (*active == 0) return Make("smt", FindingStatus::kOk, "off");
  return Make("smt", FindingStatus::kInfo, "on",
              "sibling threads share a core: thread counts above the physical cores measure "
              "sharing, not scaling");
}

Finding CheckLoad(const std::optional<LoadAverage>& load, int cpus) {
  if (!load) return Make("load_average", FindingStatus::kUnknown, "/proc/loadavg unreadable");
  const std::string value = FormatFixed(load->one, 2) + " " + FormatFixed(load->five, 2) + " " +
                            FormatFixed(load->fifteen, 2) + " on " + std::to_string(cpus) + " CPUs";
  if (load->one < kDoctorMaxLoad) return Make("load_average", FindingStatus::kOk, value);
  return Make("load_average", FindingStatus::kWarn, value,
              "other work kept " + FormatFixed(load->one, 1) +
                  " tasks runnable in the last minute: wait for it or stop it");
}

Finding CheckOtherProcesses(const InterferenceWindow& w, double max_other_cpus) {
  if (!w.other_cpus)
    return Make("other_processes", FindingStatus::kUnknown,
                "/proc/stat or /proc/self/stat unreadable");
  const std::string value =
      FormatFixed(*w.other_cpus, 2) + " CPUs over " + FormatFixed(w.seconds, 1) + " s";
  if (*w.other_cpus <= max_other_cpus) return Make("other_processes", FindingStatus::kOk, value);
  return Make("other_processes", FindingStatus::kWarn, value,
              "other processes compete for the CPUs (top shows which): results will be slower "
              "and noisier");
}

Finding CheckSteal(const InterferenceWindow& w, double max_steal) {
  if (!w.steal_fraction)
    return Make("steal", FindingStatus::kUnknown, "no CPU time counted in /proc/stat");
  const std::string value =
      Percent(*w.steal_fraction) + " of CPU time over " + FormatFixed(w.seconds, 1) + " s";
  if (*w.steal_fraction <= max_steal) return Make("steal", FindingStatus::kOk, value);
  return Make("steal", FindingStatus::kWarn, value,
              "the hypervisor runs other machines on these CPUs: use repetitions and expect "
              "slow phases");
}

Finding CheckCgroup(const std::optional<CgroupCpu>& cgroup, const InterferenceWindow& w, int cpus) {
  if (!cgroup) return Make("cgroup_quota", FindingStatus::kInfo, "no CPU controller visible");
  std::string value =
      cgroup->quota_cpus ? FormatFixed(*cgroup->quota_cpus, 2) + " CPUs" : std::string("no quota");
  value += " (cgroup v" + std::to_string(cgroup->version) + ")";
  if (w.throttled_periods && *w.throttled_periods > 0)
    return Make("cgroup_quota", FindingStatus::kWarn,
                value + ", throttled " + std::to_string(*w.throttled_periods) + " periods",
                "the quota stopped this cgroup while idle: something else in it is busy");
  if (cgroup->quota_cpus && *cgroup->quota_cpus < cpus)
    return Make("cgroup_quota", FindingStatus::kWarn,
                value + " of " + std::to_string(cpus) + " CPUs",
                "frameworks size thread pools by CPU count and then get throttled: set their "
                "threads to at most the quota");
  return Make("cgroup_quota", FindingStatus::kOk, value);
}

Finding CheckHugePages(const std::string& root) {
  const auto line = ReadLine(UnderRoot(root, "/sys/kernel/mm/transparent_hugepage/enabled"));
  if (!line) return Make("transparent_hugepages", FindingStatus::kInfo, "not exposed");
  const auto open = line->find('['), close = line->find(']');
  if (open == std::string::npos || close == std::string::npos || close < open)
    return Make("transparent_hugepages", FindingStatus::kInfo, *line);
  const std::string mode = line->substr(open + 1, close - open - 1);
  if (mode != "always") return Make("transparent_hugepages", FindingStatus::kOk, mode);
  return Make("transparent_hugepages", FindingStatus::kInfo, mode,
              "khugepaged may compact memory during a run; madvise is the quieter setting");
}

Finding CheckMemory(const std::string& root) {
  if (const auto psi = ReadLine(UnderRoot(root, "/proc/pressure/memory"))) {
    // "some avg10=0.00 avg60=0.00 avg300=0.00 total=0": percent of time
    // some task stalled on memory in the last 10 s.
    std::istringstream in(*psi);
    for (std::string word; in >> word;)
      if (StartsWith(word, "avg10="))
        if (const auto avg10 = ParseDouble(word.substr(6))) {
          const std::string value = FormatFixed(*avg10, 2) + "% of the last 10 s stalled (PSI)";
          if (*avg10 <= kDoctorMaxMemoryStallPercent)
            return Make("memory_pressure", FindingStatus::kOk, value);
          return Make("memory_pressure", FindingStatus::kWarn, value,
                      "tasks wait for memory: free some, or results include reclaim stalls");
        }
  }
  const auto meminfo = ReadText(UnderRoot(root, "/proc/meminfo"));
  std::optional<long long> total, available;
  if (meminfo) {
    std::istringstream in(*meminfo);
    for (std::string key, number, unit; in >> key >> number;) {
      if (key == "MemTotal:") total = ParseInt(number);
      if (key == "MemAvailable:") available = ParseInt(number);
      std::getline(in, unit);
    }
  }
  if (!total || !available || *total <= 0)
    return Make("memory_pressure", FindingStatus::kUnknown,
                "neither /proc/pressure/memory nor MemAvailable readable");
  const double fraction = static_cast<double>(*available) / static_cast<double>(*total);
  const std::string value = Percent(fraction) + " of memory available";
  if (fraction >= kDoctorMinAvailableMemory)
    return Make("memory_pressure", FindingStatus::kOk, value);
  return Make("memory_pressure", FindingStatus::kWarn, value,
              "little memory is free: the kernel may reclaim pages during a run");
}

Finding CheckLock(const std::string& lock_dir) {
  try {
    if (const auto holder = MeasurementLockHolder(lock_dir))
      return Make("measurement_lock", FindingStatus::kWarn, "held by " + DescribeHolder(*holder),
                  "another dli is measuring now: results taken meanwhile compete with it");
    return Make("measurement_lock", FindingStatus::kOk, "free (" + lock_dir + ")");
  } catch (const std::exception& e) {
    return Make("measurement_lock", FindingStatus::kUnknown, e.what());
  }
}

}  // namespace

const char* FindingStatusName(FindingStatus status) {
  switch (status) {
    case FindingStatus::kOk:
      return "ok";
    case FindingStatus::kWarn:
      return "warn";
    case FindingStatus::kInfo:
      return "info";
    case FindingStatus::kUnknown:
      return "unknown";
  }
  return "?";
}

DoctorReport Diagnose(const std::string& root, const MachineSnapshot& before,
                      const MachineSnapshot& after, const std::string& lock_dir) {
  const InterferenceThresholds thresholds;
  DoctorReport report;
  report.window = Difference(before, after);
  const InterferenceWindow& w = report.window;
  report.findings = {CheckGovernor(root),
                     CheckTurbo(root),
                     CheckSmt(root),
                     CheckLoad(after.load, after.cpu_count),
                     CheckOtherProcesses(w, thresholds.max_other_cpus),
                     CheckSteal(w, thresholds.max_steal_fraction),
                     CheckCgroup(after.cgroup, w, after.cpu_count),
                     CheckHugePages(root),
                     CheckMemory(root),
                     CheckLock(lock_dir)};
  return report;
}

DoctorReport DiagnoseMachine(double seconds, const std::string& root, const std::string& lock_dir) {
  const MachineSnapshot before = TakeSnapshot(root);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return Diagnose(root, before, TakeSnapshot(root), lock_dir);
}

bool AllChecksRan(const DoctorReport& report) {
  for (const Finding& f : report.findings)
    if (f.status == FindingStatus::kUnknown) return false;
  return true;
}

nlohmann::json DoctorToJson(const DoctorReport& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : report.findings)
    findings.push_back({{"id", f.id},
                        {"status", FindingStatusName(f.status)},
                        {"value", f.value},
                        {"advice", f.advice}});
  return {{"schema", "dli.doctor/1"},
          {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
          {"findings", findings},
          {"interference", InterferenceToJson(report.window, Flag(report.window))}};
}

}  // namespace dli
