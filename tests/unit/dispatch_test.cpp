// A study on several targets at once (study/dispatch.h): per-target resume
// keys, the order each target's slots take its points in, what happens when
// a target becomes unreachable, and version warnings. The targets here are
// in-process executors with the test backend (tests/test_backends).
#include "study/dispatch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "core/files.h"
#include "exec/targets.h"
#include "study/resume.h"

namespace dli {
namespace {

TEST(TargetPointKey, TargetAndNodeMakeAnotherMeasurement) {
  const std::string point = PointKey({{"x", 1}});
  const std::string a = TargetPointKey(point, "lab1", "root@10.0.0.1:22");
  EXPECT_EQ(a, TargetPointKey(point, "lab1", "root@10.0.0.1:22"));
  EXPECT_NE(a, point);
  EXPECT_NE(a, TargetPointKey(point, "lab2", "root@10.0.0.1:22"));
  EXPECT_NE(a, TargetPointKey(point, "lab1", "root@10.0.0.2:22"));
  EXPECT_NE(a, TargetPointKey(PointKey({{"x", 2}}), "lab1", "root@10.0.0.1:22"));
}

TEST(TargetNode, NamesTheMachineOfEachKindOfTarget) {
  TempDir dir;
  for (const char* key : {"id", "kh"}) std::ofstream(dir.path() / key) << "x\n";
  const std::string file = (dir.path() / "targets.yaml").string();
  std::ofstream(file) << "targets:\n"
                      << "  - {name: here, type: local}\n"
                      << "  - {name: lab1, type: ssh, host: 10.0.0.1, port: 2222, user: bench,\n"
                      << "     identity: id, known_hosts: kh, dli: /opt/dli, shared_files: true}\n"
                      << "  - {name: c, type: slurm, partition: debug, nodes: [n1, n2],\n"
                      << "     time: '5', via: lab1}\n"
                      << "  - {name: d, type: slurm, nodes: 3, time: '5'}\n";
  const Targets all = LoadTargets(file);
  EXPECT_EQ(TargetNode(all.Find("here")), "local");
  EXPECT_EQ(TargetNode(all.Find("lab1")), "bench@10.0.0.1:2222");
  EXPECT_TRUE(all.Find("lab1").shared_files);
  EXPECT_EQ(TargetNode(all.Find("c")), "slurm:debug:n1,n2@lab1");
  EXPECT_FALSE(all.Find("c").shared_files);
  EXPECT_EQ(TargetNode(all.Find("d")), "slurm::3");
}

TEST(TargetQueue, SlotsTakeTheOrderAndADownTargetGivesTheRestWithTheReason) {
  StudyPoint p1, p2, p3;
  TargetQueue q({{&p1, 0}, {&p2, 0}, {&p3, 1}});
  EXPECT_EQ(q.size(), 3u);
  auto first = q.Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->visit.first, &p1);
  EXPECT_EQ(first->not_run, "");
  q.MarkDown("not run: cannot reach target lab2: Connection refused");
  q.MarkDown("a later reason");  // the first one stays
  auto second = q.Next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->visit.first, &p2);
  EXPECT_EQ(second->not_run, "not run: cannot reach target lab2: Connection refused");
  q.Stop();
  EXPECT_FALSE(q.Next());
}

TEST(TargetQueue, EachVisitGoesToExactlyOneSlot) {
  std::vector<StudyPoint> points(200);
  std::vector<StudyVisit> visits;
  for (StudyPoint& p : points) visits.emplace_back(&p, 0);
  TargetQueue q(visits);
  std::mutex mutex;
  std::multiset<const StudyPoint*> taken;
  std::vector<std::thread> slots;
  for (int i = 0; i < 4; ++i)
    slots.emplace_back([&] {
      while (auto item = q.Next()) {
        const std::lock_guard<std::mutex> lock(mutex);
        taken.insert(item->visit.first);
      }
    });
  for (std::thread& t : slots) t.join();
  EXPECT_EQ(taken.size(), 200u);
  EXPECT_EQ(std::set<const StudyPoint*>(taken.begin(), taken.end()).size(), 200u);
}

TEST(VersionWarnings, FlagsAFrameworkWhoseVersionDiffers) {
  auto node = [](const std::string& version, bool available = true) {
    BackendInfo b;
    b.name = "onnxruntime";
    b.version = version;
    b.available = available;
    BackendInfo same;
    same.name = "testing";
    same.version = "1.0";
    same.available = true;
    return NodeInfo{{}, {b, same}};
  };
  std::vector<TargetDescription> targets = {{"here", node("1.17.1"), ""},
                                            {"lab1", node("1.17.1"), ""},
                                            {"lab2", node("1.16.0"), ""},
                                            {"lab3", node("0.1", false), ""},
                                            {"down", std::nullopt, "cannot reach target down"}};
  EXPECT_EQ(VersionWarnings(targets),
            (std::vector<std::string>{
                "framework onnxruntime differs: 1.16.0 on lab2; 1.17.1 on here, lab1"}));
  targets.erase(targets.begin() + 2);
  EXPECT_TRUE(VersionWarnings(targets).empty());
}

// The in-process executor, under a target's name; `reachable` false: every
// point fails as an ssh target's does when its host is gone.
class FakeTarget : public Executor {
 public:
  FakeTarget(std::string name, bool reachable) : name_(std::move(name)), reachable_(reachable) {}
  std::vector<BackendInfo> DescribeBackends() override { return inner_->DescribeBackends(); }
  BackendInfo DescribeBackend(const std::string& f) override { return inner_->DescribeBackend(f); }
  PointResult Run(const PointSpec& spec, const ProgressCallback& progress) override {
    ++runs;
    PointResult r;
    if (reachable_) {
      r = inner_->Run(spec, progress);
    } else {
      r.spec = spec;
      r.status = "failed";
      r.error = std::string(kCannotReachTarget) + name_ + ": Connection refused";
    }
    r.target = name_;
    return r;
  }
  std::atomic<int> runs{0};

 private:
  std::string name_;
  bool reachable_;
  std::unique_ptr<Executor> inner_ = MakeInProcessExecutor();
};

class TargetsRun : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("DLI_BACKEND_PATH", DLI_TEST_BACKEND_DIR, 1);
    std::ofstream(model) << "2\n";
    std::ofstream(experiment) << "name: spread\nmodels: [" << model
                              << "]\nframeworks: [testing]\nprecisions: [FP32]\n"
                              << "batches: [1]\nparams:\n  testing: {threads: [1, 2]}\n"
                              << "repetitions: 2\nmeasure: {iterations: 5, warmup: 1}\n";
  }

  // Every target plans the study, keyed for it, resumed from the store.
  std::vector<StudyTarget> Plan(std::vector<FakeTarget*> executors, int slots) {
    std::vector<StudyTarget> targets;
    for (size_t i = 0; i < executors.size(); ++i) {
      FrameworkCatalog frameworks(*executors[i]);
      StudyTarget t{names[i], slots, executors[i],
                    PlanStudy(LoadExperiment(experiment), frameworks)};
      KeyStudyForTarget(t.study, t.name, "node-" + t.name);
      MarkFinished(t.study, store);
      targets.push_back(std::move(t));
    }
    return targets;
  }

  TempDir dir;
  const std::string model = (dir.path() / "model.txt").string();
  const std::string experiment = (dir.path() / "exp.yaml").string();
  const std::string db = (dir.path() / "r.sqlite").string();
  const std::vector<std::string> names = {"here", "lab1", "lab2"};
  ResultStore store{db};
};

TEST_F(TargetsRun, EveryTargetRunsEveryPointIntoOneRunAndADownTargetLosesNothing) {
  FakeTarget here("here", true), lab1("lab1", true), lab2("lab2", false);
  std::vector<StudyTarget> targets = Plan({&here, &lab1, &lab2}, 2);
  ASSERT_EQ(targets[0].study.RepetitionsToRun(), 4u);  // 2 points x 2 repetitions
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> statuses;
  std::set<size_t> numbers;
  TargetCallbacks callbacks;
  callbacks.on_start = [&](const std::string&, const StudyPoint&, size_t, size_t number,
                           size_t count) {
    numbers.insert(number);  // called under the dispatcher's lock
    EXPECT_EQ(count, 12u);
  };
  callbacks.on_finish = [&](const std::string& target, const StudyPoint&, const PointResult& r) {
    statuses[target].push_back(r.status);
    EXPECT_EQ(r.target, target);
  };
  const StudyOutcome outcome = RunStudyOnTargets(targets, store, {db}, callbacks);
  EXPECT_FALSE(outcome.interrupted);
  EXPECT_EQ(outcome.finished, 12u);
  EXPECT_EQ(outcome.failed, 4u);
  EXPECT_EQ(statuses["here"], std::vector<std::string>(4, "ok"));
  EXPECT_EQ(statuses["lab1"], std::vector<std::string>(4, "ok"));
  EXPECT_EQ(statuses["lab2"], std::vector<std::string>(4, "failed"));
  // lab2's two slots each tried one point at most; the rest were not run.
  EXPECT_LE(lab2.runs.load(), 2);
  EXPECT_EQ(numbers.size(), 8u + static_cast<size_t>(lab2.runs.load()));

  const std::vector<StoredPoint> stored = store.Points({});
  ASSERT_EQ(stored.size(), 12u);
  std::map<std::string, int> per_target;
  for (const StoredPoint& sp : stored) {
    EXPECT_EQ(sp.run_id, outcome.run_id);
    const PointResult r = ResultFromJson(sp.result);
    ++per_target[r.target];
    if (r.target == "lab2") {
      EXPECT_EQ(r.status, "failed");
      EXPECT_NE(r.error.find("cannot reach target lab2: Connection refused"), std::string::npos)
          << r.error;
    }
  }
  EXPECT_EQ(per_target, (std::map<std::string, int>{{"here", 4}, {"lab1", 4}, {"lab2", 4}}));
  EXPECT_EQ(store.Run(outcome.run_id).config["targets"],
            nlohmann::json::array({"here", "lab1", "lab2"}));

  // lab2 is back: resuming runs its 4 repetitions and nothing else.
  FakeTarget here2("here", true), lab1b("lab1", true), lab2b("lab2", true);
  std::vector<StudyTarget> again = Plan({&here2, &lab1b, &lab2b}, 1);
  EXPECT_EQ(again[0].study.RepetitionsToRun(), 0u);
  EXPECT_EQ(again[1].study.RepetitionsToRun(), 0u);
  EXPECT_EQ(again[2].study.RepetitionsToRun(), 4u);
  const StudyOutcome resumed = RunStudyOnTargets(again, store, {db}, {});
  EXPECT_EQ(resumed.finished, 4u);
  EXPECT_EQ(resumed.failed, 0u);
  EXPECT_EQ(here2.runs.load() + lab1b.runs.load(), 0);
  EXPECT_EQ(lab2b.runs.load(), 4);
}

TEST_F(TargetsRun, ADownTargetHandsItsPointsLeftToALiveTargetOfItsClass) {
  FakeTarget here("here", true), lab1("lab1", true), lab2("lab2", false);
  std::vector<StudyTarget> targets = Plan({&here, &lab1, &lab2}, 1);
  targets[1].hardware_class = targets[2].hardware_class = "twin";
  std::map<std::string, std::vector<std::string>> statuses;
  TargetCallbacks callbacks;
  callbacks.on_finish = [&](const std::string& target, const StudyPoint&, const PointResult& r) {
    statuses[target].push_back(r.status);
  };
  const StudyOutcome outcome = RunStudyOnTargets(targets, store, {db}, callbacks);
  EXPECT_EQ(outcome.finished, 12u);
  EXPECT_EQ(outcome.failed, 1u);  // the point lab2 was running
  EXPECT_EQ(lab2.runs.load(), 1);
  EXPECT_EQ(lab1.runs.load(), 4 + 3);
  EXPECT_EQ(here.runs.load(), 4);
  EXPECT_EQ(statuses["lab2"], std::vector<std::string>{"failed"});
  EXPECT_EQ(statuses["lab1"], std::vector<std::string>(7, "ok"));

  std::map<std::string, int> moved;
  for (const StoredPoint& sp : store.Points({})) {
    const PointResult r = ResultFromJson(sp.result);
    if (!sp.result.contains("moved_from")) continue;
    EXPECT_EQ(r.target, "lab1");
    EXPECT_EQ(r.status, "ok");
    ++moved[sp.result["moved_from"].get<std::string>()];
  }
  EXPECT_EQ(moved, (std::map<std::string, int>{{"lab2", 3}}));

  // The moved points count as lab2's: resuming runs only its failed one.
  FakeTarget here2("here", true), lab1b("lab1", true), lab2b("lab2", true);
  std::vector<StudyTarget> again = Plan({&here2, &lab1b, &lab2b}, 1);
  EXPECT_EQ(again[1].study.RepetitionsToRun(), 0u);
  EXPECT_EQ(again[2].study.RepetitionsToRun(), 1u);
}

TEST_F(TargetsRun, WithoutAClassADownTargetsPointsStayPending) {
  FakeTarget here("here", true), lab1("lab1", false);
  std::vector<StudyTarget> targets = Plan({&here, &lab1}, 1);
  targets[0].hardware_class = "twin";  // lab1 has none
  const StudyOutcome outcome = RunStudyOnTargets(targets, store, {db}, {});
  EXPECT_EQ(outcome.failed, 4u);
  EXPECT_EQ(here.runs.load(), 4);
  EXPECT_EQ(lab1.runs.load(), 1);
}

TEST_F(TargetsRun, AStopRequestEndsEveryTarget) {
  FakeTarget here("here", true), lab1("lab1", true);
  std::vector<StudyTarget> targets = Plan({&here, &lab1}, 1);
  std::atomic<int> polls{0};
  TargetCallbacks callbacks;
  callbacks.stop_requested = [&] { return ++polls > 3; };
  const StudyOutcome outcome = RunStudyOnTargets(targets, store, {db}, callbacks);
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_LT(outcome.finished, 8u);
  EXPECT_EQ(store.Run(outcome.run_id).status, "interrupted");
}

}  // namespace
}  // namespace dli
