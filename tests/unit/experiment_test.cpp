#include "study/experiment.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

class ExperimentFile : public ::testing::Test {
 protected:
  std::string Write(const std::string& yaml) {
    const std::string path = (dir.path() / "exp.yaml").string();
    std::ofstream(path) << yaml;
    return path;
  }
  // The error message of loading `yaml`, or "" when it loads.
  std::string ErrorOf(const std::string& yaml) {
    try {
      LoadExperiment(Write(yaml));
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  }
  // A prepared model folder with one FP32 format for "fast".
  std::string Model() {
    const fs::path m = dir.path() / "m";
    fs::create_directories(m);
    std::ofstream(m / "m.txt") << "1";
    std::ofstream(m / "model.json")
        << R"({"name": "m", "formats": [{"id": "txt", "precision": "FP32", "path": "m.txt",
                "frameworks": ["fast"]}]})";
    return m.string();
  }
  static BackendInfo Fast() {
    BackendInfo p;
    p.name = "fast";
    p.available = true;
    p.path = "/x/libdli_backend_fast.so";
    p.devices = {"CPU"};
    p.precisions = {"FP32", "INT8"};
    p.params = {{"threads", "int", "", "", ""}, {"hint", "choice", "", "A|B", ""}};
    return p;
  }
  TempDir dir;
};

TEST(ExpandParams, CartesianProductFirstAxisSlowest) {
  const std::vector<ParamList> sets = ExpandParams({{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}});
  ASSERT_EQ(sets.size(), 6u);
  EXPECT_EQ(sets[0], (ParamList{{"a", "1"}, {"b", "x"}}));
  EXPECT_EQ(sets[1], (ParamList{{"a", "1"}, {"b", "y"}}));
  EXPECT_EQ(sets[5], (ParamList{{"a", "2"}, {"b", "z"}}));
  EXPECT_EQ(ExpandParams({}), std::vector<ParamList>{ParamList{}});
}

TEST_F(ExperimentFile, DefaultsAndValues) {
  const Experiment e = LoadExperiment(
      Write("name: study\nmodels: [a, b]\nframeworks: [fast]\nprecisions: [fp32, int8]\n"
            "measure: {iterations: 50, ci_target: 0.02, warmup: 3}\n"));
  EXPECT_EQ(e.name, "study");
  EXPECT_EQ(e.models, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(e.precisions, (std::vector<std::string>{"FP32", "INT8"}));
  EXPECT_EQ(e.batches, (std::vector<int>{1, 2, 4, 8, 16, 32, 64}));  // the paper's
  EXPECT_EQ(e.devices, (std::vector<std::string>{"CPU"}));
  EXPECT_EQ(e.measure.stop.iterations, 50u);
  EXPECT_DOUBLE_EQ(e.measure.stop.ci_target_rel, 0.02);
  EXPECT_EQ(e.measure.warmup, 3u);
}

TEST_F(ExperimentFile, ImagesSyntheticIsRandomDataNotAFolder) {
  EXPECT_EQ(LoadExperiment(Write("models: [a]\nframeworks: [fast]\nimages: synthetic\n")).images,
            "");
  EXPECT_EQ(LoadExperiment(Write("models: [a]\nframeworks: [fast]\nimages: photos\n")).images,
            (dir.path() / "photos").string());
}

TEST_F(ExperimentFile, SyntaxErrorNamesLineAndColumn) {
  const std::string err = ErrorOf("models: [a\nframeworks: [fast]\n");
  EXPECT_NE(err.find("exp.yaml:"), std::string::npos) << err;
  EXPECT_NE(err.find(":2:"), std::string::npos) << err;
}

TEST_F(ExperimentFile, UnknownKeyNamesLineAndColumn) {
  const std::string err = ErrorOf("models: [a]\nframeworks: [fast]\nbatchez: [1]\n");
  EXPECT_NE(err.find("exp.yaml:3:1: unknown key 'batchez'"), std::string::npos) << err;
}

TEST_F(ExperimentFile, BadValueNamesItsPosition) {
  const std::string err = ErrorOf("models: [a]\nframeworks: [fast]\nbatches: [1, two]\n");
  EXPECT_NE(err.find("exp.yaml:3:14: each batch size must be a whole number"), std::string::npos)
      << err;
  EXPECT_NE(ErrorOf("models: [a]\nframeworks: [fast]\nbatches: [0]\n").find("at least 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf("models: [a]\nframeworks: [fast]\nparams: {slow: {threads: [1]}}\n")
                .find("exp.yaml:3:10: params for 'slow', which is not in frameworks"),
            std::string::npos);
  EXPECT_NE(ErrorOf("frameworks: [fast]\n").find("no model"), std::string::npos);
}

TEST_F(ExperimentFile, PlanExpandsAxesAndSkipsUnsupported) {
  const std::string model = Model();
  const Experiment e = LoadExperiment(
      Write("models: [" + model +
            "]\nframeworks: [fast]\nprecisions: [FP32, INT8, FP16]\n"
            "batches: [1, 8]\nparams:\n  fast:\n    threads: [1, 2]\n    hint: [A, B]\n"));
  const std::vector<PlannedPoint> plan = PlanExperiment(e, {{"fast", Fast()}});
  // 3 precisions x 2 batches x 4 parameter sets.
  ASSERT_EQ(plan.size(), 24u);
  size_t runnable = 0;
  for (const PlannedPoint& p : plan) {
    if (p.spec.precision == "FP32") {
      EXPECT_TRUE(p.skip_reason.empty()) << p.skip_reason;
      ++runnable;
    } else if (p.spec.precision == "FP16") {
      EXPECT_EQ(p.skip_reason, "fast does not support FP16");  // backend says no
    } else {
      EXPECT_NE(p.skip_reason.find("no INT8 variant"), std::string::npos) << p.skip_reason;
    }
  }
  EXPECT_EQ(runnable, 8u);
  EXPECT_EQ(plan[0].spec.params, (ParamList{{"threads", "1"}, {"hint", "A"}}));
}

TEST_F(ExperimentFile, ModesAndRequestsAxes) {
  const std::string model = Model();
  std::ofstream(fs::path(model) / "model.json")
      << R"({"name": "m", "formats": [{"id": "txt", "precision": "FP32", "path": "m.txt",
              "frameworks": ["fast", "bridged"]}]})";
  const Experiment e = LoadExperiment(Write("models: [" + model +
                                            "]\nframeworks: [fast, bridged]\nbatches: [1]\n"
                                            "modes: [latency, throughput]\nrequests: [1, 2, 4]\n"));
  BackendInfo bridged = Fast();
  bridged.name = "bridged";
  bridged.notes = "python bridge no-op call: 1 us";
  BackendInfo fast = Fast();
  fast.max_requests = 2;
  const std::vector<PlannedPoint> plan = PlanExperiment(e, {{"fast", fast}, {"bridged", bridged}});
  // Per framework: one latency point, three throughput points.
  ASSERT_EQ(plan.size(), 8u);
  EXPECT_EQ(MeasureModeText(plan[0].spec), "latency");
  EXPECT_EQ(MeasureModeText(plan[3].spec), "throughput x4");
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(plan[i].skip_reason, "") << i;
  // More requests than the backend holds: skipped with the reason.
  EXPECT_NE(plan[3].skip_reason.find("at most 2"), std::string::npos) << plan[3].skip_reason;
  EXPECT_EQ(plan[4].skip_reason, "");  // latency mode on one thread is fine
  EXPECT_NE(plan[5].skip_reason.find("calls from one thread only"), std::string::npos);
  EXPECT_NE(ErrorOf("models: [m]\nframeworks: [fast]\nrequests: [2]\n")
                .find("requests apply to throughput points"),
            std::string::npos);
  EXPECT_NE(ErrorOf("models: [m]\nframeworks: [fast]\nmodes: [burst]\n").find("unknown mode"),
            std::string::npos);
  EXPECT_NE(ErrorOf("models: [m]\nframeworks: [fast]\nmodes: throughput\nrequests: [0]\n")
                .find("at least 1"),
            std::string::npos);
}

TEST_F(ExperimentFile, TuneSettings) {
  const Experiment plain = LoadExperiment(Write("models: [a]\nframeworks: [fast]\n"));
  EXPECT_FALSE(plain.tune.has_value());
  const Experiment e = LoadExperiment(
      Write("models: [a]\nframeworks: [fast]\nmodes: [latency, throughput]\n"
            "tune: {budget: 30, metric: latency, batches: [1, 8], requests: [1, 2],\n"
            "       params: [hint], min_measure: 0.5}\n"));
  ASSERT_TRUE(e.tune.has_value());
  EXPECT_DOUBLE_EQ(e.tune->budget_s, 30);
  EXPECT_EQ(e.tune->metric, "latency");
  EXPECT_EQ(e.tune->batches, (std::vector<int>{1, 8}));
  EXPECT_EQ(e.tune->requests, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(e.tune->params, (std::vector<std::string>{"hint"}));
  EXPECT_DOUBLE_EQ(e.tune->min_measure_s, 0.5);
  EXPECT_NE(e.tune_at.find("exp.yaml:4:7"), std::string::npos) << e.tune_at;
  const Experiment defaults =
      LoadExperiment(Write("models: [a]\nframeworks: [fast]\ntune: {budget: 10}\n"));
  EXPECT_EQ(defaults.tune->metric, "fps");
  EXPECT_TRUE(defaults.tune->batches.empty());
  EXPECT_TRUE(defaults.tune->modes.empty());
  EXPECT_EQ(defaults.tune->points, "all");
  EXPECT_DOUBLE_EQ(defaults.tune->min_measure_s, 2);
  // Tuning may cover a mode the study does not measure otherwise.
  const Experiment own =
      LoadExperiment(Write("models: [a]\nframeworks: [fast]\nprecisions: [FP32, INT8]\n"
                           "tune: {budget: 10, modes: [latency, throughput], requests: [1, 2],\n"
                           "       precisions: [fp32], points: best}\n"));
  EXPECT_EQ(own.tune->modes, (std::vector<std::string>{"latency", "throughput"}));
  EXPECT_EQ(own.tune->precisions, (std::vector<std::string>{"FP32"}));
  EXPECT_EQ(own.tune->points, "best");
}

TEST_F(ExperimentFile, BadTuneSettingsNameTheirPosition) {
  const std::string head = "models: [a]\nframeworks: [fast]\n";
  EXPECT_NE(ErrorOf(head + "tune: 30\n").find("exp.yaml:3:7: tune must be a mapping"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {metric: fps}\n").find("exp.yaml:3:7: tune needs a budget"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {budget: 0}\n").find("exp.yaml:3:16: budget must be > 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {budget: ten}\n").find("exp.yaml:3:16:"), std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {budget: 5, metric: speed}\n")
                .find("exp.yaml:3:27: unknown metric 'speed'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {budget: 5, budgett: 6}\n").find("unknown key 'budgett'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {budget: 5, requests: [2]}\n")
                .find("requests apply to throughput points"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {budget: 5, batches: [0]}\n").find("at least 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {budget: 5, modes: [burst]}\n").find("unknown mode 'burst'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {budget: 5, precisions: [INT8]}\n")
                .find("INT8 is not in the study's precisions"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "tune: {budget: 5, points: some}\n").find("expected all or best"),
            std::string::npos);
}

TEST_F(ExperimentFile, BadParameterValueNamesTheParamsBlock) {
  const std::string model = Model();
  const Experiment e = LoadExperiment(Write("models: [" + model +
                                            "]\nframeworks: [fast]\nparams:\n  fast:\n"
                                            "    hint: [C]\n"));
  try {
    PlanExperiment(e, {{"fast", Fast()}});
    FAIL() << "expected UsageError";
  } catch (const UsageError& err) {
    EXPECT_NE(std::string(err.what()).find("exp.yaml:4:3:"), std::string::npos) << err.what();
    EXPECT_NE(std::string(err.what()).find("expected one of A, B"), std::string::npos);
  }
}

TEST_F(ExperimentFile, UnknownAndUnavailableFrameworks) {
  const std::string model = Model();
  const Experiment e = LoadExperiment(Write("models: [" + model + "]\nframeworks: [fast, gone]\n"));
  EXPECT_THROW(PlanExperiment(e, {{"fast", Fast()}}), UsageError);
  BackendInfo gone;
  gone.name = "gone";
  gone.reason = "not built: SDK missing";
  const std::vector<PlannedPoint> plan = PlanExperiment(e, {{"fast", Fast()}, {"gone", gone}});
  EXPECT_NE(plan.back().skip_reason.find("gone is unavailable: not built"), std::string::npos);
}

TEST_F(ExperimentFile, AccuracyPointsComeFirst) {
  const std::string model = Model();
  fs::create_directories(dir.path() / "photos");
  const Experiment e = LoadExperiment(Write("models: [" + model +
                                            "]\nframeworks: [fast]\nbatches: [1, 2]\n"
                                            "accuracy: {dataset: photos, limit: 5}\n"));
  EXPECT_EQ(e.dataset, (dir.path() / "photos").string());
  const std::vector<PlannedPoint> plan = PlanExperiment(e, {{"fast", Fast()}});
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].kind, "accuracy");
  EXPECT_EQ(plan[0].spec.mode, "predict");
  EXPECT_EQ(plan[1].kind, "performance");
}

}  // namespace
}  // namespace dli
