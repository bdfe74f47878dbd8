#include "machine/doctor.h"

#include <gtest/gtest.h>

#include <sstream>

#include "fixture_tree.h"

namespace dli {
namespace {

// A quiet two-CPU machine with performance governors, no turbo, SMT off, no
// cgroup quota, madvise huge pages and no memory pressure; tests change one
// file at a time.
class Doctor : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.Write("/proc/stat", "cpu  1000 0 200 5000 10 0 0 100 0 0\ncpu0 x\ncpu1 x\n");
    tree_.Write("/proc/self/stat", "7 (dli) S 1 7 7 0 -1 0 0 0 0 0 10 10 0 0\n");
    tree_.Write("/proc/loadavg", "0.20 0.30 0.40 1/100 7\n");
    tree_.Write("/proc/pressure/memory",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    tree_.Write("/proc/self/cgroup", "0::/\n");
    tree_.Write("/sys/fs/cgroup/cgroup.controllers", "cpu\n");
    tree_.Write("/sys/fs/cgroup/cpu.max", "max 100000\n");
    for (const char* cpu : {"cpu0", "cpu1"})
      tree_.Write(std::string("/sys/devices/system/cpu/") + cpu + "/cpufreq/scaling_governor",
                  "performance\n");
    tree_.Write("/sys/devices/system/cpu/intel_pstate/no_turbo", "1\n");
    tree_.Write("/sys/devices/system/cpu/smt/active", "0\n");
    tree_.Write("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
    // 3 s later: 600 more ticks, 1 of them steal, 20 busy (10 of them ours).
    after_.Write("/proc/stat", "cpu  1020 0 200 5579 10 0 0 101 0 0\ncpu0 x\ncpu1 x\n");
    after_.Write("/proc/self/stat", "7 (dli) S 1 7 7 0 -1 0 0 0 0 0 15 15 0 0\n");
  }

  DoctorReport Run() {
    MachineSnapshot before = TakeSnapshot(tree_.root());
    MachineSnapshot after = TakeSnapshot(tree_.root());
    before.monotonic_s = 100;
    after.monotonic_s = 103;
    after.cpu = ReadCpuTimes(after_.root());
    after.own_ticks = ReadOwnTicks(after_.root());
    after.ticks_per_second = before.ticks_per_second = 100;
    return Diagnose(tree_.root(), before, after, lock_.root());
  }

  static const Finding& Find(const DoctorReport& r, const std::string& id) {
    for (const Finding& f : r.findings)
      if (f.id == id) return f;
    throw std::runtime_error("no finding " + id);
  }

  FixtureTree tree_, after_, lock_;
};

TEST_F(Doctor, QuietTunedMachineIsAllOk) {
  const DoctorReport r = Run();
  ASSERT_EQ(r.findings.size(), 10u);
  const char* ids[] = {
      "governor",        "turbo",           "smt",          "load_average",
      "other_processes", "steal",           "cgroup_quota", "transparent_hugepages",
      "memory_pressure", "measurement_lock"};
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(r.findings[i].id, ids[i]);
    EXPECT_EQ(r.findings[i].status, FindingStatus::kOk)
        << r.findings[i].id << ": " << r.findings[i].value;
    EXPECT_EQ(r.findings[i].advice, "") << r.findings[i].id;
  }
  EXPECT_TRUE(AllChecksRan(r));
  EXPECT_EQ(Find(r, "governor").value, "performance on 2/2 CPUs");
  EXPECT_EQ(Find(r, "load_average").value, "0.20 0.30 0.40 on 2 CPUs");
  EXPECT_EQ(Find(r, "other_processes").value, "0.03 CPUs over 3.0 s");  // (20 - 10) ticks / 3 s
  EXPECT_EQ(Find(r, "steal").value, "0.2% of CPU time over 3.0 s");     // 1 / 600
  EXPECT_EQ(Find(r, "cgroup_quota").value, "no quota (cgroup v2)");
  EXPECT_EQ(Find(r, "transparent_hugepages").value, "madvise");
  EXPECT_EQ(Find(r, "memory_pressure").value, "0.00% of the last 10 s stalled (PSI)");
  EXPECT_EQ(Find(r, "measurement_lock").value, "free (" + lock_.root() + ")");
}

TEST_F(Doctor, UntunedMachineWarns) {
  tree_.Write("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n");
  tree_.Write("/sys/devices/system/cpu/intel_pstate/no_turbo", "0\n");
  tree_.Write("/sys/devices/system/cpu/smt/active", "1\n");
  tree_.Write("/proc/loadavg", "3.50 2.00 1.00 5/100 7\n");
  tree_.Write("/sys/fs/cgroup/cpu.max", "150000 100000\n");
  tree_.Write("/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
  tree_.Write("/proc/pressure/memory", "some avg10=2.50 avg60=1.00 avg300=0.10 total=9\n");
  // 600 ticks: 30 steal, 300 busy of which 10 ours.
  after_.Write("/proc/stat", "cpu  1300 0 200 5270 10 0 0 130 0 0\ncpu0 x\ncpu1 x\n");
  std::ostringstream notice;
  MeasurementLock held("dli run study.yaml", LockWait::kNoWait, notice, lock_.root());
  const DoctorReport r = Run();

  EXPECT_EQ(Find(r, "governor").status, FindingStatus::kWarn);
  EXPECT_EQ(Find(r, "governor").value, "performance on 1/2 CPUs, powersave on 1/2 CPUs");
  EXPECT_EQ(Find(r, "turbo").status, FindingStatus::kWarn);
  EXPECT_EQ(Find(r, "turbo").advice,
            "the clock then depends on temperature and busy cores; to turn it off: echo 1 | "
            "sudo tee " +
                tree_.root() + "/sys/devices/system/cpu/intel_pstate/no_turbo");
  EXPECT_EQ(Find(r, "smt").status, FindingStatus::kInfo);
  EXPECT_EQ(Find(r, "load_average").status, FindingStatus::kWarn);
  EXPECT_EQ(Find(r, "other_processes").status, FindingStatus::kWarn);
  EXPECT_EQ(Find(r, "other_processes").value, "0.97 CPUs over 3.0 s");  // 290 ticks / 3 s
  EXPECT_EQ(Find(r, "steal").status, FindingStatus::kWarn);
  EXPECT_EQ(Find(r, "steal").value, "5.0% of CPU time over 3.0 s");
  EXPECT_EQ(Find(r, "cgroup_quota").status, FindingStatus::kWarn);
  EXPECT_EQ(Find(r, "cgroup_quota").value, "1.50 CPUs (cgroup v2) of 2 CPUs");
  EXPECT_EQ(Find(r, "transparent_hugepages").status, FindingStatus::kInfo);
  EXPECT_EQ(Find(r, "memory_pressure").status, FindingStatus::kWarn);
  EXPECT_EQ(Find(r, "measurement_lock").status, FindingStatus::kWarn);
  EXPECT_EQ(
      Find(r, "measurement_lock")
          .value.rfind("held by pid " + std::to_string(getpid()) + " (dli run study.yaml)", 0),
      0u);
  for (const Finding& f : r.findings)
    if (f.status == FindingStatus::kWarn) EXPECT_NE(f.advice, "") << f.id;
  EXPECT_TRUE(AllChecksRan(r));
}

TEST_F(Doctor, VirtualMachineWithoutCpufreqIsInfo) {
  FixtureTree vm;
  vm.Write("/proc/stat", "cpu  1000 0 200 5000 10 0 0 100 0 0\ncpu0 x\n");
  vm.Write("/proc/loadavg", "0.00 0.00 0.00 1/1 1\n");
  vm.Write("/proc/meminfo", "MemTotal:  1000 kB\nMemFree:  10 kB\nMemAvailable:  50 kB\n");
  const MachineSnapshot s = TakeSnapshot(vm.root());
  const DoctorReport r = Diagnose(vm.root(), s, s, lock_.root());
  EXPECT_EQ(Find(r, "governor").status, FindingStatus::kInfo);
  EXPECT_EQ(Find(r, "turbo").status, FindingStatus::kInfo);
  EXPECT_EQ(Find(r, "smt").status, FindingStatus::kInfo);
  EXPECT_EQ(Find(r, "cgroup_quota").status, FindingStatus::kInfo);
  EXPECT_EQ(Find(r, "transparent_hugepages").status, FindingStatus::kInfo);
  EXPECT_EQ(Find(r, "memory_pressure").status, FindingStatus::kWarn);
  EXPECT_EQ(Find(r, "memory_pressure").value, "5.0% of memory available");
  // No CPU time passed between identical snapshots: steal cannot be known.
  EXPECT_EQ(Find(r, "steal").status, FindingStatus::kUnknown);
  EXPECT_EQ(Find(r, "other_processes").status, FindingStatus::kUnknown);
  EXPECT_FALSE(AllChecksRan(r));
}

TEST_F(Doctor, MissingProcFilesAreUnknown) {
  FixtureTree empty;
  const MachineSnapshot s = TakeSnapshot(empty.root());
  const DoctorReport r = Diagnose(empty.root(), s, s, lock_.root());
  EXPECT_EQ(Find(r, "load_average").status, FindingStatus::kUnknown);
  EXPECT_EQ(Find(r, "memory_pressure").status, FindingStatus::kUnknown);
  EXPECT_EQ(Find(r, "measurement_lock").status, FindingStatus::kOk);
  EXPECT_FALSE(AllChecksRan(r));
}

TEST_F(Doctor, Json) {
  const nlohmann::json doc = DoctorToJson(Run());
  EXPECT_EQ(doc.at("schema"), "dli.doctor/1");
  EXPECT_EQ(doc.at("tool").at("name"), "dli");
  ASSERT_EQ(doc.at("findings").size(), 10u);
  EXPECT_EQ(doc.at("findings")[0], nlohmann::json::parse(R"({"id": "governor", "status": "ok",
                                      "value": "performance on 2/2 CPUs", "advice": ""})"));
  EXPECT_DOUBLE_EQ(doc.at("interference").at("seconds").get<double>(), 3.0);
  EXPECT_TRUE(doc.at("interference").at("warnings").empty());
}

TEST(DoctorStatus, Names) {
  EXPECT_STREQ(FindingStatusName(FindingStatus::kOk), "ok");
  EXPECT_STREQ(FindingStatusName(FindingStatus::kWarn), "warn");
  EXPECT_STREQ(FindingStatusName(FindingStatus::kInfo), "info");
  EXPECT_STREQ(FindingStatusName(FindingStatus::kUnknown), "unknown");
}

}  // namespace
}  // namespace dli
