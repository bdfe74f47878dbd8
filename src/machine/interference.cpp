#include "machine/interference.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

#include "core/text.h"
#include "machine/files.h"

namespace dli {
namespace {

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::optional<uint64_t> Unsigned(const std::string& word) {
  const auto v = ParseInt(word);
  if (!v || *v < 0) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

// "key value" lines (cpu.stat) -> the value of `key`.
std::optional<uint64_t> KeyedValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto w = Words(line);
    if (w.size() == 2 && w[0] == key) return Unsigned(w[1]);
  }
  return std::nullopt;
}

// One cgroup level's quota (in CPUs, nullopt when unlimited) and counters;
// false when the level has no CPU controller files.
bool ReadCgroupLevel(const std::string& dir, int version, CgroupCpu* out) {
  bool found = false;
  std::optional<double> quota;
  if (version == 2) {
    if (const auto line = ReadLine(dir + "/cpu.max")) {
      found = true;
      const auto w = Words(*line);
      if (w.size() == 2 && w[0] != "max") {
        const auto q = Unsigned(w[0]), p = Unsigned(w[1]);
        if (q && p && *p > 0) quota = static_cast<double>(*q) / static_cast<double>(*p);
      }
    }
  } else {
    const auto q = ReadNumber(dir + "/cpu.cfs_quota_us");
    const auto p = ReadNumber(dir + "/cpu.cfs_period_us");
    if (q && p) {
      found = true;
      if (*q > 0 && *p > 0) quota = static_cast<double>(*q) / static_cast<double>(*p);
    }
  }
  if (quota && (!out->quota_cpus || *quota < *out->quota_cpus)) out->quota_cpus = quota;
  if (const auto stat = ReadText(dir + "/cpu.stat")) {
    found = true;
    out->nr_periods += KeyedValue(*stat, "nr_periods").value_or(0);
    out->nr_throttled += KeyedValue(*stat, "nr_throttled").value_or(0);
    out->throttled_usec += version == 2 ? KeyedValue(*stat, "throttled_usec").value_or(0)
                                        : KeyedValue(*stat, "throttled_time").value_or(0) / 1000;
  }
  return found;
}

std::optional<double> RelativeDelta(uint64_t part_before, uint64_t part_after, uint64_t total) {
  if (total == 0 || part_after < part_before) return std::nullopt;
  return static_cast<double>(part_after - part_before) / static_cast<double>(total);
}

std::string Percent(double fraction) { return FormatFixed(100 * fraction, 1) + "%"; }

nlohmann::json OrNull(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json OrNull(const std::optional<uint64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json OrNull(const std::optional<LoadAverage>& v) {
  return v ? nlohmann::json::array({v->one, v->five, v->fifteen}) : nlohmann::json(nullptr);
}

}  // namespace

std::optional<CpuTimes> ReadCpuTimes(const std::string& root, int* cpu_count) {
  const auto text = ReadText(UnderRoot(root, "/proc/stat"));
  if (!text) return std::nullopt;
  std::optional<CpuTimes> total;
  int cpus = 0;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    const auto w = Words(line);
    if (w.empty() || !StartsWith(w[0], "cpu")) continue;
    if (w[0] != "cpu") {
      ++cpus;
      continue;
    }
    // Kernels before 2.6.11 have no steal column; all in use today do.
    if (w.size() < 9) return std::nullopt;
    std::vector<uint64_t> v;
    for (size_t i = 1; i <= 8; ++i) {
      const auto x = Unsigned(w[i]);
      if (!x) return std::nullopt;
      v.push_back(*x);
    }
    total = CpuTimes{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
  }
  if (cpu_count) *cpu_count = cpus;
  return total;
}

std::optional<uint64_t> ReadOwnTicks(const std::string& root) {
  const auto text = ReadText(UnderRoot(root, "/proc/self/stat"));
  if (!text) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: fields are
  // counted after its last ')'. utime, stime, cutime, cstime are fields 14-17.
  const auto paren = text->rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  const auto w = Words(text->substr(paren + 1));
  if (w.size() < 15) return std::nullopt;
  uint64_t sum = 0;
  for (size_t i = 11; i <= 14; ++i) {
    const auto x = Unsigned(w[i]);
    if (!x) return std::nullopt;
    sum += *x;
  }
  return sum;
}

std::optional<LoadAverage> ReadLoadAverage(const std::string& root) {
  const auto line = ReadLine(UnderRoot(root, "/proc/loadavg"));
  if (!line) return std::nullopt;
  const auto w = Words(*line);
  if (w.size() < 3) return std::nullopt;
  const auto a = ParseDouble(w[0]), b = ParseDouble(w[1]), c = ParseDouble(w[2]);
  if (!a || !b || !c) return std::nullopt;
  return LoadAverage{*a, *b, *c};
}

std::optional<CgroupCpu> ReadCgroupCpu(const std::string& root) {
  const auto text = ReadText(UnderRoot(root, "/proc/self/cgroup"));
  if (!text) return std::nullopt;
  // A v1 line names its controllers ("4:cpu,cpuacct:/path"); the v2 line is "0::/path".
  std::string mount, path;
  int version = 0;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const auto names = Split(controllers, ',');
    if (std::find(names.begin(), names.end(), "cpu") != names.end()) {
      version = 1;
      path = line.substr(second + 1);
      mount = UnderRoot(root, "/sys/fs/cgroup/" + controllers);
      if (!std::filesystem::is_directory(mount)) mount = UnderRoot(root, "/sys/fs/cgroup/cpu");
      break;
    }
    if (controllers.empty() && line.substr(0, first) == "0" &&
        std::filesystem::exists(UnderRoot(root, "/sys/fs/cgroup/cgroup.controllers"))) {
      version = 2;
      path = line.substr(second + 1);
      mount = UnderRoot(root, "/sys/fs/cgroup");
    }
  }
  if (version == 0) return std::nullopt;
  // Inside a container the path may name the host's hierarchy while the
  // mount shows the container's own cgroup as its root.
  std::string dir = mount + path;
  while (dir.size() > mount.size() && dir.back() == '/') dir.pop_back();
  if (path.find("..") != std::string::npos || !std::filesystem::is_directory(dir)) dir = mount;
  CgroupCpu cgroup;
  cgroup.version = version;
  bool found = false;
  for (;;) {
    found = ReadCgroupLevel(dir, version, &cgroup) || found;
    if (dir.size() <= mount.size()) break;
    dir.erase(dir.rfind('/'));
  }
  if (!found) return std::nullopt;
  return cgroup;
}

MachineSnapshot TakeSnapshot(const std::string& root) {
  MachineSnapshot s;
  s.monotonic_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  s.ticks_per_second = sysconf(_SC_CLK_TCK);
  s.cpu = ReadCpuTimes(root, &s.cpu_count);
  s.own_ticks = ReadOwnTicks(root);
  s.load = ReadLoadAverage(root);
  s.cgroup = ReadCgroupCpu(root);
  double sum = 0;
  int with_frequency = 0;
  uint64_t throttle_events = 0;
  bool with_throttle = false;
  for (const std::string& cpu : CpuDirs(root)) {
    if (const auto khz = ReadNumber(cpu + "/cpufreq/scaling_cur_freq"); khz && *khz > 0) {
      const double mhz = static_cast<double>(*khz) / 1000;
      sum += mhz;
      ++with_frequency;
    }
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator(cpu + "/thermal_throttle", error)) {
      if (!EndsWith(entry.path().filename().string(), "_count")) continue;
      if (const auto n = ReadNumber(entry.path().string()); n && *n >= 0) {
        throttle_events += static_cast<uint64_t>(*n);
        with_throttle = true;
      }
    }
  }
  if (with_frequency > 0) s.frequency_mean_mhz = sum / with_frequency;
  if (with_throttle) s.thermal_throttle_count = throttle_events;
  return s;
}

InterferenceWindow Difference(const MachineSnapshot& before, const MachineSnapshot& after) {
  InterferenceWindow w;
  w.seconds = after.monotonic_s - before.monotonic_s;
  const double tick_s = 1.0 / static_cast<double>(after.ticks_per_second);
  if (before.cpu && after.cpu && after.cpu->Total() > before.cpu->Total()) {
    const uint64_t total = after.cpu->Total() - before.cpu->Total();
    w.steal_fraction = RelativeDelta(before.cpu->steal, after.cpu->steal, total);
    w.iowait_fraction = RelativeDelta(before.cpu->iowait, after.cpu->iowait, total);
  }
  if (before.own_ticks && after.own_ticks && *after.own_ticks >= *before.own_ticks)
    w.own_cpu_s = static_cast<double>(*after.own_ticks - *before.own_ticks) * tick_s;
  if (w.own_cpu_s && before.cpu && after.cpu && after.cpu->Busy() >= before.cpu->Busy()) {
    const double busy_s = static_cast<double>(after.cpu->Busy() - before.cpu->Busy()) * tick_s;
    // The two counters are sampled at different instants and rounded to
    // ticks differently: a small negative difference means "none".
    w.other_cpu_s = std::max(0.0, busy_s - *w.own_cpu_s);
    if (w.seconds > 0) w.other_cpus = *w.other_cpu_s / w.seconds;
  }
  w.load_before = before.load;
  w.load_after = after.load;
  if (after.cgroup) w.cgroup_quota_cpus = after.cgroup->quota_cpus;
  if (before.cgroup && after.cgroup && after.cgroup->nr_throttled >= before.cgroup->nr_throttled &&
      after.cgroup->throttled_usec >= before.cgroup->throttled_usec) {
    w.throttled_periods = after.cgroup->nr_throttled - before.cgroup->nr_throttled;
    w.throttled_s =
        static_cast<double>(after.cgroup->throttled_usec - before.cgroup->throttled_usec) / 1e6;
  }
  w.frequency_before_mhz = before.frequency_mean_mhz;
  w.frequency_after_mhz = after.frequency_mean_mhz;
  if (before.thermal_throttle_count && after.thermal_throttle_count &&
      *after.thermal_throttle_count >= *before.thermal_throttle_count)
    w.thermal_throttle_events = *after.thermal_throttle_count - *before.thermal_throttle_count;
  return w;
}

const char* InterferenceKindId(InterferenceKind kind) {
  switch (kind) {
    case InterferenceKind::kSteal:
      return "steal";
    case InterferenceKind::kOtherProcesses:
      return "other_processes";
    case InterferenceKind::kCgroupThrottling:
      return "cgroup_throttling";
    case InterferenceKind::kThermalThrottling:
      return "thermal_throttling";
    case InterferenceKind::kFrequencyDrop:
      return "frequency_drop";
  }
  return "?";
}

std::vector<InterferenceWarning> Flag(const InterferenceWindow& w,
                                      const InterferenceThresholds& t) {
  std::vector<InterferenceWarning> out;
  if (w.steal_fraction && *w.steal_fraction > t.max_steal_fraction)
    out.push_back(
        {InterferenceKind::kSteal, "the hypervisor gave " + Percent(*w.steal_fraction) +
                                       " of the CPU time to other machines (steal; threshold " +
                                       Percent(t.max_steal_fraction) + ")"});
  if (w.other_cpus && *w.other_cpus > t.max_other_cpus)
    out.push_back({InterferenceKind::kOtherProcesses,
                   "other processes used " + FormatFixed(*w.other_cpus, 2) +
                       " CPUs on average (threshold " + FormatFixed(t.max_other_cpus, 2) + ")"});
  if (w.throttled_periods && *w.throttled_periods > 0)
    out.push_back({InterferenceKind::kCgroupThrottling,
                   "the cgroup CPU quota" +
                       (w.cgroup_quota_cpus ? " (" + FormatFixed(*w.cgroup_quota_cpus, 2) + " CPUs)"
                                            : std::string()) +
                       " throttled " + std::to_string(*w.throttled_periods) + " periods, " +
                       FormatFixed(w.throttled_s.value_or(0), 3) + " s in all"});
  if (w.thermal_throttle_events && *w.thermal_throttle_events > 0)
    out.push_back(
        {InterferenceKind::kThermalThrottling, std::to_string(*w.thermal_throttle_events) +
                                                   " thermal throttle events (summed over CPUs)"});
  if (w.frequency_before_mhz && w.frequency_after_mhz && *w.frequency_before_mhz > 0) {
    const double drop = 1 - *w.frequency_after_mhz / *w.frequency_before_mhz;
    if (drop > t.max_frequency_drop)
      out.push_back({InterferenceKind::kFrequencyDrop,
                     "the mean CPU frequency fell from " + FormatFixed(*w.frequency_before_mhz, 0) +
                         " to " + FormatFixed(*w.frequency_after_mhz, 0) + " MHz (" +
                         Percent(drop) + "; threshold " + Percent(t.max_frequency_drop) + ")"});
  }
  return out;
}

nlohmann::json InterferenceToJson(const InterferenceWindow& w,
                                  const std::vector<InterferenceWarning>& warnings) {
  nlohmann::json doc = {{"seconds", w.seconds},
                        {"steal_fraction", OrNull(w.steal_fraction)},
                        {"iowait_fraction", OrNull(w.iowait_fraction)},
                        {"own_cpu_s", OrNull(w.own_cpu_s)},
                        {"other_cpu_s", OrNull(w.other_cpu_s)},
                        {"other_cpus", OrNull(w.other_cpus)},
                        {"load_before", OrNull(w.load_before)},
                        {"load_after", OrNull(w.load_after)},
                        {"cgroup_quota_cpus", OrNull(w.cgroup_quota_cpus)},
                        {"throttled_periods", OrNull(w.throttled_periods)},
                        {"throttled_s", OrNull(w.throttled_s)},
                        {"frequency_before_mhz", OrNull(w.frequency_before_mhz)},
                        {"frequency_after_mhz", OrNull(w.frequency_after_mhz)},
                        {"thermal_throttle_events", OrNull(w.thermal_throttle_events)},
                        {"warnings", nlohmann::json::array()}};
  for (const InterferenceWarning& warning : warnings)
    doc["warnings"].push_back({{"id", InterferenceKindId(warning.kind)}, {"text", warning.text}});
  return doc;
}

}  // namespace dli
