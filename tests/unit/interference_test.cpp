#include "machine/interference.h"

#include <gtest/gtest.h>

#include "fixture_tree.h"

namespace dli {
namespace {

constexpr const char* kProcStat =
    "cpu  1000 5 300 8000 40 3 2 150 60 0\n"
    "cpu0 500 2 150 4000 20 1 1 75 30 0\n"
    "cpu1 500 3 150 4000 20 2 1 75 30 0\n"
    "intr 12345 0 0\n"
    "ctxt 999\n";

TEST(Interference, ReadsTheAggregateCpuLine) {
  FixtureTree tree;
  tree.Write("/proc/stat", kProcStat);
  int cpus = 0;
  const auto t = ReadCpuTimes(tree.root(), &cpus);
  ASSERT_TRUE(t);
  EXPECT_EQ(cpus, 2);
  EXPECT_EQ(t->user, 1000u);
  EXPECT_EQ(t->nice, 5u);
  EXPECT_EQ(t->system, 300u);
  EXPECT_EQ(t->idle, 8000u);
  EXPECT_EQ(t->iowait, 40u);
  EXPECT_EQ(t->steal, 150u);
  EXPECT_EQ(t->Total(), 9500u);  // guest (60) is already inside user
  EXPECT_EQ(t->Busy(), 1310u);
}

TEST(Interference, MalformedOrMissingFilesGiveNothing) {
  FixtureTree tree;
  EXPECT_FALSE(ReadCpuTimes(tree.root()));
  EXPECT_FALSE(ReadOwnTicks(tree.root()));
  EXPECT_FALSE(ReadLoadAverage(tree.root()));
  EXPECT_FALSE(ReadCgroupCpu(tree.root()));
  tree.Write("/proc/stat", "cpu  1 2 3\n");
  tree.Write("/proc/loadavg", "0.5 x\n");
  tree.Write("/proc/self/stat", "12 (dli) S 1 2 3\n");
  EXPECT_FALSE(ReadCpuTimes(tree.root()));
  EXPECT_FALSE(ReadLoadAverage(tree.root()));
  EXPECT_FALSE(ReadOwnTicks(tree.root()));
}

TEST(Interference, OwnTicksCountFieldsAfterTheCommandName) {
  FixtureTree tree;
  // A command name with spaces and parentheses; utime 11, stime 22,
  // cutime 33, cstime 44 are fields 14-17.
  tree.Write("/proc/self/stat",
             "4242 (dli (w) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 11 22 33 44 20 0 1 0 "
             "51726 2998272 416\n");
  EXPECT_EQ(ReadOwnTicks(tree.root()), 110u);
}

TEST(Interference, LoadAverage) {
  FixtureTree tree;
  tree.Write("/proc/loadavg", "2.71 2.27 1.15 7/124 11871\n");
  const auto load = ReadLoadAverage(tree.root());
  ASSERT_TRUE(load);
  EXPECT_DOUBLE_EQ(load->one, 2.71);
  EXPECT_DOUBLE_EQ(load->five, 2.27);
  EXPECT_DOUBLE_EQ(load->fifteen, 1.15);
}

TEST(Interference, CgroupV2TakesTheTightestQuotaOnThePath) {
  FixtureTree tree;
  tree.Write("/proc/self/cgroup", "0::/a/b\n");
  tree.Write("/sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
  tree.Write("/sys/fs/cgroup/a/b/cpu.max", "max 100000\n");
  tree.Write("/sys/fs/cgroup/a/b/cpu.stat",
             "usage_usec 5\nnr_periods 10\nnr_throttled 2\nthrottled_usec 5000\n");
  tree.Write("/sys/fs/cgroup/a/cpu.max", "150000 100000\n");
  tree.Write("/sys/fs/cgroup/a/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_usec 1000\n");
  tree.Write("/sys/fs/cgroup/cpu.stat", "usage_usec 99\n");  // the root has no quota
  const auto cg = ReadCgroupCpu(tree.root());
  ASSERT_TRUE(cg);
  EXPECT_EQ(cg->version, 2);
  ASSERT_TRUE(cg->quota_cpus);
  EXPECT_DOUBLE_EQ(*cg->quota_cpus, 1.5);
  EXPECT_EQ(cg->nr_periods, 14u);
  EXPECT_EQ(cg->nr_throttled, 3u);
  EXPECT_EQ(cg->throttled_usec, 6000u);
}

TEST(Interference, CgroupV2WithoutQuota) {
  FixtureTree tree;
  tree.Write("/proc/self/cgroup", "0::/\n");
  tree.Write("/sys/fs/cgroup/cgroup.controllers", "cpu\n");
  tree.Write("/sys/fs/cgroup/cpu.max", "max 100000\n");
  const auto cg = ReadCgroupCpu(tree.root());
  ASSERT_TRUE(cg);
  EXPECT_FALSE(cg->quota_cpus);
  EXPECT_EQ(cg->nr_throttled, 0u);
}

TEST(Interference, CgroupV1InAContainerFallsBackToTheMount) {
  FixtureTree tree;
  tree.Write("/proc/self/cgroup",
             "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/system.slice\n");
  // The container sees its own cgroup as the mount's root.
  tree.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "200000\n");
  tree.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  tree.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.stat",
             "nr_periods 50\nnr_throttled 7\nthrottled_time 3000000\n");
  const auto cg = ReadCgroupCpu(tree.root());
  ASSERT_TRUE(cg);
  EXPECT_EQ(cg->version, 1);
  ASSERT_TRUE(cg->quota_cpus);
  EXPECT_DOUBLE_EQ(*cg->quota_cpus, 2.0);
  EXPECT_EQ(cg->nr_throttled, 7u);
  EXPECT_EQ(cg->throttled_usec, 3000u);  // throttled_time is in ns
}

TEST(Interference, CgroupV1Unlimited) {
  FixtureTree tree;
  tree.Write("/proc/self/cgroup", "1:cpu:/\n");
  tree.Write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
  tree.Write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  const auto cg = ReadCgroupCpu(tree.root());
  ASSERT_TRUE(cg);
  EXPECT_FALSE(cg->quota_cpus);
}

TEST(Interference, SnapshotReadsFrequencyAndThermalCounters) {
  FixtureTree tree;
  tree.Write("/proc/stat", kProcStat);
  tree.Write("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "3000000\n");
  tree.Write("/sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "2000000\n");
  tree.Write("/sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count", "2\n");
  tree.Write("/sys/devices/system/cpu/cpu0/thermal_throttle/package_throttle_count", "1\n");
  tree.Write("/sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_total_time_ms", "90\n");
  tree.Write("/sys/devices/system/cpu/cpu1/thermal_throttle/core_throttle_count", "4\n");
  tree.Write("/sys/devices/system/cpu/cpufreq/boost", "1\n");  // not a CPU
  const MachineSnapshot s = TakeSnapshot(tree.root());
  EXPECT_EQ(s.cpu_count, 2);
  ASSERT_TRUE(s.cpu);
  ASSERT_TRUE(s.frequency_mean_mhz);
  EXPECT_DOUBLE_EQ(*s.frequency_mean_mhz, 2500.0);
  EXPECT_EQ(s.thermal_throttle_count, 7u);
  EXPECT_FALSE(s.load);
  EXPECT_FALSE(s.cgroup);
}

TEST(Interference, EmptyRootGivesAnEmptySnapshot) {
  FixtureTree tree;
  const MachineSnapshot s = TakeSnapshot(tree.root());
  EXPECT_FALSE(s.cpu);
  EXPECT_FALSE(s.own_ticks);
  EXPECT_FALSE(s.frequency_mean_mhz);
  EXPECT_FALSE(s.thermal_throttle_count);
  const InterferenceWindow w = Difference(s, s);
  EXPECT_FALSE(w.steal_fraction);
  EXPECT_FALSE(w.other_cpus);
  EXPECT_TRUE(Flag(w).empty());
}

TEST(Interference, LiveMachineSnapshot) {
  const MachineSnapshot s = TakeSnapshot();
  EXPECT_TRUE(s.cpu);
  EXPECT_GE(s.cpu_count, 1);
  EXPECT_TRUE(s.own_ticks);
  EXPECT_TRUE(s.load);
  EXPECT_GT(s.ticks_per_second, 0);
}

// Two snapshots 2 s apart on 2 CPUs at 100 ticks/s: 400 ticks in all.
struct Pair {
  MachineSnapshot before, after;
};
Pair TwoSeconds() {
  Pair p;
  p.before.monotonic_s = 10;
  p.after.monotonic_s = 12;
  p.before.cpu_count = p.after.cpu_count = 2;
  p.before.cpu = CpuTimes{1000, 0, 200, 5000, 10, 0, 0, 100};
  p.after.cpu = CpuTimes{1200, 0, 300, 5088, 14, 0, 0, 108};  // +200 +100 +88 +4 +8 steal
  p.before.own_ticks = 50;
  p.after.own_ticks = 150;  // 1 s of our own
  p.before.load = LoadAverage{0.5, 0.4, 0.3};
  p.after.load = LoadAverage{1.5, 0.6, 0.4};
  return p;
}

TEST(Interference, DifferenceOfTwoSnapshots) {
  const Pair p = TwoSeconds();
  const InterferenceWindow w = Difference(p.before, p.after);
  EXPECT_DOUBLE_EQ(w.seconds, 2.0);
  ASSERT_TRUE(w.steal_fraction && w.iowait_fraction);
  EXPECT_DOUBLE_EQ(*w.steal_fraction, 0.02);  // 8 / 400
  EXPECT_DOUBLE_EQ(*w.iowait_fraction, 0.01);
  ASSERT_TRUE(w.own_cpu_s && w.other_cpu_s && w.other_cpus);
  EXPECT_DOUBLE_EQ(*w.own_cpu_s, 1.0);
  EXPECT_DOUBLE_EQ(*w.other_cpu_s, 2.0);  // busy 300 ticks = 3 s, minus our 1 s
  EXPECT_DOUBLE_EQ(*w.other_cpus, 1.0);
  EXPECT_DOUBLE_EQ(w.load_after->one, 1.5);
  EXPECT_FALSE(w.throttled_periods);
  EXPECT_FALSE(w.thermal_throttle_events);
}

TEST(Interference, OwnTimeAboveTheBusyTimeMeansNoOtherTime) {
  Pair p = TwoSeconds();
  p.after.own_ticks = 500;
  EXPECT_DOUBLE_EQ(*Difference(p.before, p.after).other_cpu_s, 0.0);
}

TEST(Interference, FlagAppliesTheThresholds) {
  Pair p = TwoSeconds();
  p.after.own_ticks = 250;  // others: 3 s - 2 s = 1 s over 2 s, 0.5 CPUs: at the threshold
  std::vector<InterferenceWarning> warnings = Flag(Difference(p.before, p.after));
  EXPECT_TRUE(warnings.empty());  // steal 2% and 0.5 CPUs are both at their thresholds

  p.after.cpu->steal = 120;  // 20 of 412 ticks
  p.after.own_ticks = 150;
  p.before.cgroup = CgroupCpu{2, 1.5, 10, 1, 1000};
  p.after.cgroup = CgroupCpu{2, 1.5, 30, 4, 251000};
  p.before.thermal_throttle_count = 3;
  p.after.thermal_throttle_count = 5;
  p.before.frequency_mean_mhz = 3000;
  p.after.frequency_mean_mhz = 2500;
  warnings = Flag(Difference(p.before, p.after));
  ASSERT_EQ(warnings.size(), 5u);
  EXPECT_EQ(warnings[0].kind, InterferenceKind::kSteal);
  EXPECT_EQ(warnings[0].text,
            "the hypervisor gave 4.9% of the CPU time to other machines (steal; threshold 2.0%)");
  EXPECT_EQ(warnings[1].kind, InterferenceKind::kOtherProcesses);
  EXPECT_EQ(warnings[1].text, "other processes used 1.00 CPUs on average (threshold 0.50)");
  EXPECT_EQ(warnings[2].kind, InterferenceKind::kCgroupThrottling);
  EXPECT_EQ(warnings[2].text,
            "the cgroup CPU quota (1.50 CPUs) throttled 3 periods, 0.250 s in all");
  EXPECT_EQ(warnings[3].kind, InterferenceKind::kThermalThrottling);
  EXPECT_EQ(warnings[3].text, "2 thermal throttle events (summed over CPUs)");
  EXPECT_EQ(warnings[4].kind, InterferenceKind::kFrequencyDrop);
  EXPECT_EQ(warnings[4].text,
            "the mean CPU frequency fell from 3000 to 2500 MHz (16.7%; threshold 10.0%)");

  InterferenceThresholds lenient;
  lenient.max_steal_fraction = 0.1;
  lenient.max_other_cpus = 2;
  lenient.max_frequency_drop = 0.2;
  EXPECT_EQ(Flag(Difference(p.before, p.after), lenient).size(), 2u);  // the throttling ones
}

TEST(Interference, JsonHasNullForWhatWasNotMeasured) {
  Pair p = TwoSeconds();
  p.after.own_ticks = 150;
  const InterferenceWindow w = Difference(p.before, p.after);
  const nlohmann::json doc = InterferenceToJson(w, {{InterferenceKind::kOtherProcesses, "others"}});
  EXPECT_DOUBLE_EQ(doc.at("seconds").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(doc.at("steal_fraction").get<double>(), 0.02);
  EXPECT_DOUBLE_EQ(doc.at("other_cpus").get<double>(), 1.0);
  EXPECT_EQ(doc.at("load_after"), nlohmann::json::parse("[1.5, 0.6, 0.4]"));
  EXPECT_TRUE(doc.at("cgroup_quota_cpus").is_null());
  EXPECT_TRUE(doc.at("throttled_periods").is_null());
  EXPECT_TRUE(doc.at("frequency_before_mhz").is_null());
  EXPECT_TRUE(doc.at("thermal_throttle_events").is_null());
  EXPECT_EQ(doc.at("warnings"),
            nlohmann::json::parse(R"([{"id": "other_processes", "text": "others"}])"));
  EXPECT_EQ(doc.size(), 15u);
}

TEST(Interference, KindIds) {
  EXPECT_STREQ(InterferenceKindId(InterferenceKind::kSteal), "steal");
  EXPECT_STREQ(InterferenceKindId(InterferenceKind::kCgroupThrottling), "cgroup_throttling");
  EXPECT_STREQ(InterferenceKindId(InterferenceKind::kThermalThrottling), "thermal_throttling");
  EXPECT_STREQ(InterferenceKindId(InterferenceKind::kFrequencyDrop), "frequency_drop");
}

}  // namespace
}  // namespace dli
