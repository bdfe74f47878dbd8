// The typed result model and its JSON (dli.result/1): lossless round trips
// of a fully populated result and of the report fixtures, readers that
// tolerate older documents, the FPS interval.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "../report/report_fixture.h"
#include "core/point.h"
#include "result_testing.h"

using nlohmann::json;

namespace dli {
namespace {

TEST(ResultJson, RoundTripKeepsEveryField) {
  const PointResult r = testing::FullResult();
  const PointResult back = ResultFromJson(ResultToJson(r, /*with_samples=*/true));
  testing::ExpectSameResult(back, r);
  // Through text too: numbers survive printing and parsing.
  testing::ExpectSameResult(ResultFromJson(json::parse(ResultToJson(r, true).dump())), r);
}

TEST(ResultJson, WithoutSamplesKeepsTheStatistics) {
  PointResult r = testing::FullResult();
  const PointResult back = ResultFromJson(ResultToJson(r, /*with_samples=*/false));
  EXPECT_TRUE(back.samples_ms.empty());
  r.samples_ms.clear();
  testing::ExpectSameResult(back, r);
}

TEST(ResultJson, FailedPointKeepsWhatItHad) {
  PointResult r = testing::FullResult();
  r.status = "timeout";
  r.error = "timed out after 3 s";
  r.latency = {};
  r.fps = 0;
  r.throughput_fps = 0;
  r.throughput_ci95 = {};
  r.window_ms = 0;
  r.first_inference_ms = 0;
  r.samples_ms.clear();
  r.predictions.clear();
  r.host = {};
  const json j = ResultToJson(r, true);
  EXPECT_TRUE(j["latency_ms"]["median"].is_null());
  EXPECT_TRUE(j["fps"].is_null());
  EXPECT_TRUE(j["first_inference_ms"].is_null());
  EXPECT_EQ(j["load_ms"], 812.25) << "the model loaded before the point failed";
  EXPECT_FALSE(j.contains("host")) << "a worker that died reported no host";
  testing::ExpectSameResult(ResultFromJson(j), r);
}

TEST(ResultJson, ThroughputFieldsOnlyForThroughputPoints) {
  PointResult r = testing::FullResult();
  const json t = ResultToJson(r, false)["throughput"];
  EXPECT_EQ(t["requests"], 4);
  EXPECT_EQ(t["fps"], 2.75);
  EXPECT_EQ(t["completed"], 4);
  // Too few completions to say: an unbounded interval reads back unbounded.
  r.throughput_ci95 = {0, std::numeric_limits<double>::infinity()};
  const json unbounded = ResultToJson(r, false);
  EXPECT_TRUE(unbounded["throughput"]["ci95_high"].is_null());
  EXPECT_TRUE(std::isinf(ResultFromJson(json::parse(unbounded.dump())).throughput_ci95.high));
  EXPECT_EQ(PointFpsInterval(r).low, 0);
  r.spec.measure.mode = "latency";
  r.spec.measure.requests = 1;
  EXPECT_FALSE(ResultToJson(r, false).contains("throughput"));
}

TEST(MeasureMode, RequestsAndModeAreChecked) {
  MeasureOptions m;
  EXPECT_EQ(ValidateMeasureMode(m), "");
  EXPECT_EQ(MeasureModeText(PointSpec{}), "latency");
  m.requests = 2;
  EXPECT_NE(ValidateMeasureMode(m).find("latency mode runs one request"), std::string::npos);
  m.mode = "throughput";
  EXPECT_EQ(ValidateMeasureMode(m), "");
  m.requests = 0;
  EXPECT_EQ(ValidateMeasureMode(m), "requests must be at least 1");
  m.mode = "fast";
  EXPECT_NE(ValidateMeasureMode(m).find("unknown measurement mode 'fast'"), std::string::npos);
  BackendInfo bridged;
  bridged.name = "tflite";
  bridged.notes = "python bridge no-op call: 0.8 us median";
  EXPECT_NE(ThroughputRefusal(bridged).find("calls from one thread only"), std::string::npos);
  bridged.notes = "";
  EXPECT_EQ(ThroughputRefusal(bridged), "");
}

TEST(ResultJson, SpecRoundTrip) {
  const PointSpec s = testing::FullResult().spec;
  testing::ExpectSameSpec(SpecFromJson(SpecToJson(s)), s);
  EXPECT_FALSE(SpecToJson(s).contains("backend_path"));
}

// The report fixtures are hand-written like older result files: no spec,
// no input, no samples. What they say must survive reading and writing.
void ExpectContains(const json& written, const json& expected, const std::string& where) {
  if (expected.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      ASSERT_TRUE(written.contains(key)) << where << "." << key;
      ExpectContains(written[key], value, where + "." + key);
    }
  } else if (expected.is_number() && written.is_number()) {
    EXPECT_EQ(written.get<double>(), expected.get<double>()) << where;
  } else {
    EXPECT_EQ(written, expected) << where;
  }
}

TEST(ResultJson, ReportFixturesRoundTrip) {
  const ReportInput in = testing::Fixture();
  ASSERT_FALSE(in.performance.empty());
  for (const json& point : in.performance) {
    SCOPED_TRACE(point.dump());
    const PointResult typed = ResultFromJson(point);
    const json written = ResultToJson(typed, true);
    ExpectContains(written, point, "point");
    testing::ExpectSameResult(ResultFromJson(written), typed);
  }
}

TEST(ResultJson, OlderPointsTakeTheirSpecFromTheSummary) {
  const json point =
      testing::PerfPoint("openvino", "2024.6.0", "INT8", 4, 12.5, {{"nthreads", "2"}});
  const PointResult r = ResultFromJson(point);
  EXPECT_EQ(r.spec.framework, "openvino");
  EXPECT_EQ(r.spec.precision, "INT8");
  EXPECT_EQ(r.spec.batch, 4);
  EXPECT_EQ(r.spec.params, (ParamList{{"nthreads", "2"}}));
  EXPECT_EQ(r.spec.model_name, "mobilenet_v2");
  EXPECT_EQ(r.spec.model_format, "openvino_ir");
  EXPECT_EQ(r.latency.median, 12.5);
  EXPECT_EQ(r.latency.samples_total, 400u);
  EXPECT_EQ(r.latency.samples_kept, 396u);
  EXPECT_EQ(r.fps, 4 * 1000.0 / 12.5);
  EXPECT_TRUE(r.host.hostname.empty());
}

TEST(ResultJson, WrongTypeNamesTheField) {
  json point = testing::PerfPoint("openvino", "2024.6.0", "FP32", 1, 5);
  point["latency_ms"]["median"] = "fast";
  try {
    ResultFromJson(point);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "'latency_ms.median' is string, expected a number");
  }
  EXPECT_THROW(ResultFromJson(json::array()), std::runtime_error);
  EXPECT_THROW(ResultFromJson({{"params", {{"threads", 2}}}}), std::runtime_error);
  EXPECT_NO_THROW(ResultFromJson(json::object())) << "every field is optional";
}

TEST(ResultJson, HostRoundTrip) {
  const HostInfo h = testing::FullResult().host;
  const HostInfo back = HostFromJson(HostToJson(h));
  EXPECT_EQ(back.hostname, h.hostname);
  EXPECT_EQ(back.cpu_model, h.cpu_model);
  EXPECT_EQ(back.logical_cores, h.logical_cores);
  EXPECT_EQ(back.memory_mb, h.memory_mb);
  EXPECT_EQ(back.os, h.os);
  EXPECT_EQ(back.kernel, h.kernel);
}

TEST(ResultJson, DocumentKeepsItsHostAndEachResultsHost) {
  const PointResult r = testing::FullResult();
  HostInfo coordinator;
  coordinator.hostname = "laptop";
  const json doc = ResultsDocument({r}, coordinator, false);
  EXPECT_EQ(doc["host"]["hostname"], "laptop");
  EXPECT_EQ(doc["results"][0]["host"]["hostname"], "node7");
}

TEST(FramesPerSecond, IntervalFollowsFromTheLatencyInterval) {
  EXPECT_DOUBLE_EQ(FramesPerSecond(4, 8), 500);
  EXPECT_EQ(FramesPerSecond(4, 0), 0);
  const Interval fps = FramesPerSecondInterval(4, {8, 10});
  EXPECT_DOUBLE_EQ(fps.low, 400);   // from the high latency
  EXPECT_DOUBLE_EQ(fps.high, 500);  // from the low latency
  const Interval none = FramesPerSecondInterval(4, {});
  EXPECT_EQ(none.low, 0);
  EXPECT_EQ(none.high, 0);
}

}  // namespace
}  // namespace dli
