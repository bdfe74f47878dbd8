// The executors on the test backend (tests/test_backends): the local one
// through real `dli __worker` / `dli __probe` processes, the in-process one,
// and executors that only supply a command line, as remote ones will.
#include "exec/executor.h"

#include <gtest/gtest.h>

#include <fstream>

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

// The testing backend's three-input, two-output model, described with its
// input kinds and a fixed sequence length of 6.
PointSpec MultiInputPoint(const fs::path& models, const std::string& mode) {
  fs::create_directories(models / "enc");
  std::ofstream(models / "enc" / "enc.txt") << "1 multi\n";
  std::ofstream(models / "enc" / "model.json") << R"({"name": "enc", "task": "generic",
      "inputs": [{"name": "input_ids", "shape": [-1, 6], "dtype": "int64", "kind": "token_ids",
                  "vocab_size": 1},
                 {"name": "attention_mask", "shape": [-1, 6], "dtype": "int64", "kind": "mask"},
                 {"name": "features", "shape": [-1, 4], "dtype": "float32"}],
      "outputs": [{"name": "pooled", "shape": [-1, 4]}, {"name": "counts", "shape": [-1, 2]}],
      "formats": [{"id": "testing-fp32", "format": "text", "precision": "FP32",
                   "path": "enc.txt", "frameworks": ["testing"]}]})";
  PointSpec s = testing::TestingPoint();
  ApplyModel(s, ResolveModel("enc", "testing", "FP32"));
  s.mode = mode;
  s.batch = 2;
  s.input.synthetic_batches = 3;
  s.input.keep_outputs = true;
  return s;
}

TEST_F(Executors, EveryInputOfAMultiInputModelReachesTheBackend) {
  const PointSpec spec = MultiInputPoint(dir_.path(), "performance");
  const PointResult r = MakeLocalExecutor(DLI_BIN)->Run(spec);
  ASSERT_EQ(r.status, "ok") << r.error << "\n" << r.stderr_tail;
  EXPECT_EQ(r.input_shape, "input_ids [2,6]; attention_mask [2,6]; features [2,4]");
  EXPECT_EQ(r.output_shape, "pooled [2,4]; counts [2,2]");
  EXPECT_EQ(r.n_batches, 3u);
  EXPECT_EQ(r.spec.inputs.size(), 3u) << "the description's inputs travel to the worker";
}

TEST_F(Executors, PredictOnSyntheticInputsReadsEveryOutput) {
  const PointResult r = MakeInProcessExecutor()->Run(MultiInputPoint(dir_.path(), "predict"));
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.input_source, "synthetic");
  ASSERT_EQ(r.predictions.size(), 6u);  // 3 batches of 2
  EXPECT_EQ(r.predictions[5].file, "synthetic 5");
  for (const Prediction& p : r.predictions) {
    // pooled = features (token ids all 0 with vocab_size 1), counts =
    // {mask ones, sequence length}: mask all ones.
    ASSERT_EQ(p.output.size(), 6u);
    for (int k = 0; k < 4; ++k) EXPECT_TRUE(p.output[k] >= -2 && p.output[k] <= 2) << p.output[k];
    EXPECT_EQ(p.output[4], 6);
    EXPECT_EQ(p.output[5], 6);
  }
  // Seeded: the same inputs again give the same outputs.
  const PointResult again = MakeInProcessExecutor()->Run(MultiInputPoint(dir_.path(), "predict"));
  ASSERT_EQ(again.status, "ok") << again.error;
  EXPECT_EQ(again.predictions[3].output, r.predictions[3].output);
}

TEST_F(Executors, ShapesOpenTheModelAndUnknownNamesFailIt) {
  PointSpec spec = MultiInputPoint(dir_.path(), "performance");
  spec.inputs.clear();  // as for a bare file: the sequence length stays open
  PointResult r = MakeInProcessExecutor()->Run(spec);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error,
            "testing: input 'input_ids' (?x?) leaves dimension 1 open; give its shape (dli bench "
            "--shape input_ids=..., or the model description)");
  spec.shapes = {{"input_ids", {1, 3}}, {"attention_mask", {1, 3}}};
  r = MakeInProcessExecutor()->Run(spec);
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.input_shape, "input_ids [2,3]; attention_mask [2,3]; features [2,4]");
  spec.shapes.push_back({"token_type_ids", {1, 3}});
  r = MakeInProcessExecutor()->Run(spec);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error, "testing: the model has no input 'token_type_ids'");
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
