// The executors on the test backend (tests/test_backends): the local one
// through real `dli __worker` / `dli __probe` processes, the in-process one,
// and executors that only supply a command line, as remote ones will.
#include "exec/executor.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/host.h"
#include "core/sha256.h"
#include "exec/worker_executor.h"
#include "worker_testing.h"

#ifdef DLI_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

namespace fs = std::filesystem;

namespace dli {
namespace {

using testing::ScopedEnv;

class Executors : public ::testing::Test {
 protected:
  void SetUp() override { testing::MakeModelsDir(dir_.path()); }
  TempDir dir_;
  ScopedEnv models_{"DLI_MODELS_DIR", dir_.path().string()};
  ScopedEnv backends_{"DLI_BACKEND_PATH", DLI_TEST_BACKEND_DIR};
};

void ExpectMeasured(const PointResult& r, const PointSpec& spec) {
  ASSERT_EQ(r.status, "ok") << r.error << "\n" << r.stderr_tail;
  EXPECT_EQ(r.samples_ms.size(), 200u);
  EXPECT_EQ(r.latency.samples_total, 200u);
  EXPECT_GT(r.fps, 0);
  EXPECT_EQ(r.framework_version, "1.0");
  EXPECT_EQ(r.model_sha256, Sha256Path(spec.model_path));
  EXPECT_EQ(r.spec.model_path, spec.model_path);
  const HostInfo here = ReadHostInfo();
  EXPECT_EQ(r.host.hostname, here.hostname);
  EXPECT_EQ(r.host.logical_cores, here.logical_cores);
  EXPECT_GT(r.host.logical_cores, 0);
}

TEST_F(Executors, LocalRunsAPointInAWorkerWithProgressAndHost) {
  const PointSpec spec = testing::TestingPoint();
  std::vector<std::string> progress;
  const PointResult r = MakeLocalExecutor(DLI_BIN)->Run(
      spec, [&](const std::string& line) { progress.push_back(line); });
  ExpectMeasured(r, spec);
  EXPECT_EQ(progress, (std::vector<std::string>{"100/200 requests", "200/200 requests"}));
}

TEST_F(Executors, InProcessRunsTheSamePoint) {
  const PointSpec spec = testing::TestingPoint();
  std::vector<std::string> progress;
  const PointResult r = MakeInProcessExecutor()->Run(
      spec, [&](const std::string& line) { progress.push_back(line); });
  ExpectMeasured(r, spec);
  EXPECT_EQ(progress, (std::vector<std::string>{"100/200 requests", "200/200 requests"}));
}

TEST_F(Executors, LocalTurnsACrashIntoAResult) {
  PointSpec spec = testing::TestingPoint();
  spec.params = {{"mode", "crash"}};
  const PointResult r = MakeLocalExecutor(DLI_BIN)->Run(spec);
  EXPECT_EQ(r.status, "crashed");
  EXPECT_NE(r.error.find("killed by signal 11"), std::string::npos) << r.error;
  EXPECT_EQ(r.spec.params, spec.params);
}

TEST_F(Executors, LocalReportsTheFrameworkError) {
  PointSpec spec = testing::TestingPoint();
  spec.params = {{"mode", "fail"}};
  const PointResult r = MakeLocalExecutor(DLI_BIN)->Run(spec);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error, "testing backend: failure requested");
  EXPECT_NE(r.stderr_tail.find("dli: point failed"), std::string::npos) << r.stderr_tail;
  EXPECT_FALSE(r.host.hostname.empty());
}

TEST_F(Executors, MissingModelFileFailsBeforeAnyWorker) {
  PointSpec spec = testing::TestingPoint();
  spec.model_path = (dir_.path() / "gone.txt").string();
  const PointResult r = MakeLocalExecutor(DLI_BIN)->Run(spec);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error, "model file not found: " + spec.model_path);
}

#ifdef DLI_HAVE_OPENCV
// Predictions come back under the caller's file names, whatever the worker
// called the files it opened.
TEST_F(Executors, LocalPredictKeepsTheCallersFileNames) {
  const fs::path set = dir_.path() / "_datasets" / "set1";
  ASSERT_TRUE(cv::imwrite((set / "a.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3))));
  ASSERT_TRUE(cv::imwrite((set / "b.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(9, 9, 9))));
  PointSpec spec = testing::TestingPoint();
  spec.mode = "predict";
  spec.preprocessing = PreprocessingFrom("imagenet");
  spec.input.files = {(set / "." / "a.png").string(), (set / "b.png").string()};
  const PointResult r = MakeLocalExecutor(DLI_BIN)->Run(spec);
  ASSERT_EQ(r.status, "ok") << r.error;
  ASSERT_EQ(r.predictions.size(), 2u);
  EXPECT_EQ(r.predictions[0].file, spec.input.files[0]);
  EXPECT_EQ(r.predictions[1].file, spec.input.files[1]);
}
#endif

TEST_F(Executors, DescribeBackendsOnEachSide) {
  for (const auto& executor : {MakeLocalExecutor(DLI_BIN), MakeInProcessExecutor()}) {
    const std::vector<BackendInfo> all = executor->DescribeBackends();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].name, "testing");
    EXPECT_TRUE(all[0].available) << all[0].reason;
    EXPECT_EQ(executor->DescribeBackend("testing").version, "1.0");
    try {
      executor->DescribeBackend("nope");
      FAIL() << "expected UsageError";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("unknown framework 'nope'; known: testing"),
                std::string::npos)
          << e.what();
    }
  }
}

// An executor is the command line that starts dli where points run; here a
// shell stands in for ssh or srun.
class ShellExecutor : public WorkerExecutor {
 public:
  explicit ShellExecutor(std::string script) : script_(std::move(script)) {}

 protected:
  std::vector<std::string> WorkerCommand(const std::string& verb) const override {
    return {"/bin/sh", "-c", script_, DLI_BIN, verb};
  }

 private:
  std::string script_;
};

TEST_F(Executors, ACommandLineIsAllAnExecutorSupplies) {
  const PointSpec spec = testing::TestingPoint();
  ShellExecutor through_a_shell(R"(echo "greetings from the remote shell"; exec "$0" "$1")");
  ExpectMeasured(through_a_shell.Run(spec), spec);
  EXPECT_EQ(through_a_shell.DescribeBackend("testing").version, "1.0");
}

TEST_F(Executors, WorkerOfAnotherProtocolIsOneLineError) {
  const PointSpec spec = testing::TestingPoint();
  ShellExecutor newer(
      R"(cat >/dev/null; echo '{"protocol": "dli.worker/2", "dli_version": "9.0", "event": "x"}')");
  const PointResult r = newer.Run(spec);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error, "worker speaks dli.worker/2, this dli speaks dli.worker/1");
  EXPECT_THROW(newer.DescribeBackend("testing"), std::runtime_error);
}

TEST_F(Executors, WorkerThatSaysNothingOrHangs) {
  PointSpec spec = testing::TestingPoint();
  const PointResult silent = ShellExecutor("cat >/dev/null; echo bye >&2").Run(spec);
  EXPECT_EQ(silent.status, "crashed");
  EXPECT_EQ(silent.error, "worker exited with code 0 without a result");
  EXPECT_EQ(silent.stderr_tail, "bye\n");
  spec.timeout_s = 1;
  const PointResult hung = ShellExecutor("exec sleep 30").Run(spec);
  EXPECT_EQ(hung.status, "timeout");
  EXPECT_EQ(hung.error, "timed out after 1 s");
  EXPECT_LT(hung.wall_s, 10);
  const BackendInfo crashed = ShellExecutor("kill -SEGV $$").DescribeBackend("testing");
  EXPECT_FALSE(crashed.available);
  EXPECT_NE(crashed.reason.find("probing the backend failed (killed by signal 11"),
            std::string::npos)
      << crashed.reason;
}

}  // namespace
}  // namespace dli
