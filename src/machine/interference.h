// What else happened on the machine while a point was measured: snapshots of
// kernel counters before and after a measured window, their difference, and
// warnings when it exceeds documented thresholds (docs/METHODOLOGY.md,
// "Repetitions, interference and drift").
//
// Every reader takes the file system root ("/" on a live machine) so tests
// read fixture trees. A counter the machine does not expose stays nullopt.
#ifndef DLI_MACHINE_INTERFERENCE_H
#define DLI_MACHINE_INTERFERENCE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dli {

// The aggregate "cpu" line of /proc/stat, in clock ticks (USER_HZ). Guest time
// is already inside user and nice, so it is not kept.
struct CpuTimes {
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  uint64_t Total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
  // Time some process or interrupt of this machine ran: neither idle, nor
  // waiting for I/O, nor taken by the hypervisor.
  uint64_t Busy() const { return user + nice + system + irq + softirq; }
};

struct LoadAverage {
  double one = 0, five = 0, fifteen = 0;
};

// The CPU controller of this process's cgroup (v2 cpu.max / cpu.stat, or v1
// cpu.cfs_quota_us / cpu.cfs_period_us / cpu.stat).
struct CgroupCpu {
  int version = 2;
  // The tightest quota on the path from this cgroup to the root, in CPUs
  // (quota / period); nullopt when no level sets one ("max", or -1 in v1).
  std::optional<double> quota_cpus;
  // Throttling counters summed over the same path.
  uint64_t nr_periods = 0, nr_throttled = 0, throttled_usec = 0;
};

struct MachineSnapshot {
  double monotonic_s = 0;       // steady clock when taken
  long ticks_per_second = 100;  // sysconf(_SC_CLK_TCK)
  int cpu_count = 0;            // "cpuN" lines of /proc/stat
  std::optional<CpuTimes> cpu;  // /proc/stat
  // CPU time of this process and its reaped children (utime + stime + cutime
  // + cstime of /proc/self/stat), in ticks.
  std::optional<uint64_t> own_ticks;
  std::optional<LoadAverage> load;  // /proc/loadavg
  std::optional<CgroupCpu> cgroup;
  // Mean scaling_cur_freq over the CPUs that expose it, in MHz.
  std::optional<double> frequency_mean_mhz;
  // Sum of every */thermal_throttle/*_count of every CPU.
  std::optional<uint64_t> thermal_throttle_count;
};

// Reads every counter above under `root`; a missing or unreadable file leaves
// its field nullopt.
MachineSnapshot TakeSnapshot(const std::string& root = "/");

// The individual readers (nullopt when the file is missing or malformed).
std::optional<CpuTimes> ReadCpuTimes(const std::string& root, int* cpu_count = nullptr);
std::optional<uint64_t> ReadOwnTicks(const std::string& root);
std::optional<LoadAverage> ReadLoadAverage(const std::string& root);
std::optional<CgroupCpu> ReadCgroupCpu(const std::string& root);

// The difference of two snapshots of one process: `after` must be taken after
// the measured work's processes were reaped, or their CPU time counts as
// another process's.
struct InterferenceWindow {
  double seconds = 0;  // steady clock between the snapshots
  // Fractions of the window's total CPU time (all CPUs, all states).
  std::optional<double> steal_fraction, iowait_fraction;
  // Busy CPU time of everything but this process tree, in seconds, and that
  // divided by the window: how many CPUs others used on average.
  std::optional<double> own_cpu_s, other_cpu_s, other_cpus;
  std::optional<LoadAverage> load_before, load_after;
  std::optional<double> cgroup_quota_cpus;
  std::optional<uint64_t> throttled_periods;
  std::optional<double> throttled_s;
  std::optional<double> frequency_before_mhz, frequency_after_mhz;  // means
  std::optional<uint64_t> thermal_throttle_events;
};
InterferenceWindow Difference(const MachineSnapshot& before, const MachineSnapshot& after);

// The thresholds of Flag, with their documented defaults.
struct InterferenceThresholds {
  double max_steal_fraction = 0.02;  // of the window's CPU time
  double max_other_cpus = 0.5;       // other processes' average CPUs
  double max_frequency_drop = 0.10;  // relative fall of the mean frequency
};

enum class InterferenceKind {
  kSteal,              // the hypervisor ran something else on our CPUs
  kOtherProcesses,     // other processes competed for the CPUs
  kCgroupThrottling,   // the cgroup's CPU quota stopped us
  kThermalThrottling,  // a CPU throttled for heat
  kFrequencyDrop,      // the clock fell during the window
};
const char* InterferenceKindId(InterferenceKind kind);  // "steal", "other_processes", ...

struct InterferenceWarning {
  InterferenceKind kind;
  std::string text;  // one line, with the measured value and the threshold
};
// Warnings for the window; throttling of either kind warns on any event.
std::vector<InterferenceWarning> Flag(const InterferenceWindow& window,
                                      const InterferenceThresholds& thresholds = {});

// {"seconds":..,"steal_fraction":..,...,"warnings":[{"id":..,"text":..}]};
// unavailable counters are null.
nlohmann::json InterferenceToJson(const InterferenceWindow& window,
                                  const std::vector<InterferenceWarning>& warnings);

}  // namespace dli

#endif  // DLI_MACHINE_INTERFERENCE_H
