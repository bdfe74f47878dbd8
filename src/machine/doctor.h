// `dli doctor`: is this machine fit to measure on? Each check reads kernel
// files under a root directory (fixture trees in tests) and reports one
// finding with advice; docs/METHODOLOGY.md lists the checks and thresholds.
#ifndef DLI_MACHINE_DOCTOR_H
#define DLI_MACHINE_DOCTOR_H

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "machine/host_lock.h"
#include "machine/interference.h"

namespace dli {

// kUnknown means the check could not run (a file every Linux has is missing);
// kInfo means it does not apply here or is only worth knowing.
enum class FindingStatus { kOk, kWarn, kInfo, kUnknown };
const char* FindingStatusName(FindingStatus status);  // "ok", "warn", "info", "unknown"

struct Finding {
  std::string id;  // governor, turbo, smt, load_average, other_processes, steal,
                   // cgroup_quota, transparent_hugepages, memory_pressure, measurement_lock
  FindingStatus status = FindingStatus::kUnknown;
  std::string value;   // what was measured, e.g. "performance on 8/8 CPUs"
  std::string advice;  // one line; empty when there is nothing to do
};

// Doctor-only thresholds; steal and other processes use InterferenceThresholds.
constexpr double kDoctorMaxLoad = 1.0;                // 1-minute load average
constexpr double kDoctorMaxMemoryStallPercent = 1.0;  // PSI memory "some avg10"
constexpr double kDoctorMinAvailableMemory = 0.10;    // MemAvailable / MemTotal

struct DoctorReport {
  std::vector<Finding> findings;
  InterferenceWindow window;  // the sampling window the load checks used
};

// The findings for a machine whose files are under `root`, with `before` and
// `after` two snapshots of it some seconds apart, and the measurement lock in
// `lock_dir`.
DoctorReport Diagnose(const std::string& root, const MachineSnapshot& before,
                      const MachineSnapshot& after, const std::string& lock_dir);
// Samples the live machine for `seconds`, then Diagnose.
DoctorReport DiagnoseMachine(double seconds, const std::string& root = "/",
                             const std::string& lock_dir = MeasurementLockDir());

// True when every check ran (no kUnknown finding).
bool AllChecksRan(const DoctorReport& report);

// {"schema": "dli.doctor/1", "tool": {...}, "findings": [{"id", "status",
// "value", "advice"}], "interference": InterferenceToJson(window)}.
nlohmann::json DoctorToJson(const DoctorReport& report);

}  // namespace dli

#endif  // DLI_MACHINE_DOCTOR_H
