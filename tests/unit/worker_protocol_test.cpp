// The worker protocol: what a request and the events carry, references that
// the worker resolves on its own host, and the one-line errors when the two
// sides speak different protocols or dli versions.
#include "exec/worker_protocol.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"
#include "core/sha256.h"
#include "exec/worker.h"
#include "result_testing.h"
#include "worker_testing.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli {
namespace {

using testing::ScopedEnv;

class WorkerProtocol : public ::testing::Test {
 protected:
  void SetUp() override { testing::MakeModelsDir(here_); }
  // The coordinator's spec: the prepared model, the bundled dataset, and a
  // file of its own.
  PointSpec Spec() const {
    PointSpec s = testing::TestingPoint();
    s.input.images_dir = (here_ / "_datasets" / "set1").string();
    s.input.files = {(here_ / "_datasets" / "set1" / "a.png").string(), "/elsewhere/b.png"};
    return s;
  }
  TempDir dir_;
  const fs::path here_ = dir_.path() / "coordinator", there_ = dir_.path() / "worker";
  ScopedEnv models_{"DLI_MODELS_DIR", here_.string()};
};

TEST_F(WorkerProtocol, RequestNamesThingsTheWorkerCanFindOnItsHost) {
  const PointSpec spec = Spec();
  const json request = EncodePointRequest(spec, "ab12");
  EXPECT_EQ(request["protocol"], "dli.worker/1");
  EXPECT_EQ(request["dli_version"], DLI_VERSION);
  const json& s = request["spec"];
  EXPECT_EQ(s["framework"], "testing");
  EXPECT_FALSE(s.contains("backend_path"));
  EXPECT_EQ(
      s["model"],
      json({{"name", "m"}, {"format", "testing-fp32"}, {"sha256", "ab12"}, {"prepared", true}}));
  EXPECT_EQ(s["input"]["images_dir"], json({{"dataset", "set1"}, {"path", ""}}));
  EXPECT_EQ(s["input"]["files"], json::parse(R"([{"dataset": "set1", "path": "a.png"},
                                                  {"path": "/elsewhere/b.png"}])"));
}

TEST_F(WorkerProtocol, WorkerResolvesReferencesInItsOwnModelsDir) {
  const PointSpec spec = Spec();
  const json request = EncodePointRequest(spec, "ab12");
  fs::copy(here_, there_, fs::copy_options::recursive);
  ScopedEnv on_the_worker("DLI_MODELS_DIR", there_.string());
  const PointRequest decoded = DecodePointRequest(json::parse(request.dump()));
  EXPECT_EQ(decoded.model_sha256, "ab12");
  PointSpec expected = spec;
  expected.model_path = (there_ / "m" / "m.txt").string();
  expected.input.images_dir = (there_ / "_datasets" / "set1").string();
  expected.input.files[0] = (there_ / "_datasets" / "set1" / "a.png").string();
  testing::ExpectSameSpec(decoded.spec, expected);
}

TEST_F(WorkerProtocol, AModelFileGivenByPathKeepsItsPath) {
  PointSpec spec = Spec();
  const fs::path file = dir_.path() / "adhoc.txt";
  std::ofstream(file) << "2\n";
  ApplyModel(spec, ResolveModel(file.string(), "testing", "FP32"));
  const json model = EncodePointRequest(spec, "ff")["spec"]["model"];
  EXPECT_EQ(model["path"], file.string());
  EXPECT_EQ(model["name"], "adhoc");
  EXPECT_FALSE(model.contains("prepared"));
  EXPECT_EQ(DecodePointRequest(EncodePointRequest(spec, "ff")).spec.model_path, file.string());
}

TEST_F(WorkerProtocol, WhatTheWorkerHostLacksIsAUsageError) {
  const json request = EncodePointRequest(Spec(), "ab12");
  fs::create_directories(there_);
  ScopedEnv on_the_worker("DLI_MODELS_DIR", there_.string());
  try {
    DecodePointRequest(request);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("model 'm' is not prepared on this host"),
              std::string::npos)
        << e.what();
  }
  testing::MakeModelsDir(there_);
  fs::remove_all(there_ / "_datasets" / "set1");
  EXPECT_THROW(DecodePointRequest(request), UsageError);
}

TEST(WorkerEvents, VersionMismatchIsOneLineNamingBoth) {
  json event = ProgressEvent(1, 2);
  event["protocol"] = "dli.worker/2";
  try {
    DecodeEvent(event);
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "worker speaks dli.worker/2, this dli speaks dli.worker/1");
  }
  event = ProgressEvent(1, 2);
  event["dli_version"] = "0.0.1";
  try {
    DecodeEvent(event);
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(std::string(e.what()), std::string("worker is dli 0.0.1, this is dli ") +
                                         DLI_VERSION + ": run the same dli version on both sides");
  }
  json request = EncodeProbeRequest({"testing"});
  request["protocol"] = "dli.worker/2";
  try {
    DecodeProbeRequest(request);
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "the caller speaks dli.worker/2, this dli speaks dli.worker/1");
  }
  EXPECT_THROW(DecodeEvent({{"event", "progress"}}), ProtocolError);
  EXPECT_THROW(DecodeEvent(json::array()), ProtocolError);
}

TEST(WorkerEvents, MalformedOrUnknownEventIsAProtocolError) {
  json event = ProgressEvent(1, 2);
  event.erase("requests");
  EXPECT_THROW(DecodeEvent(event), ProtocolError);
  event = ProgressEvent(1, 2);
  event["event"] = "gossip";
  EXPECT_THROW(DecodeEvent(event), ProtocolError);
}

TEST(WorkerEvents, RoundTrip) {
  const WorkerEvent progress = DecodeEvent(json::parse(ProgressEvent(300, 1000).dump()));
  EXPECT_EQ(progress.kind, WorkerEvent::Kind::kProgress);
  EXPECT_EQ(progress.requests, 300u);
  EXPECT_EQ(progress.of, 1000u);
  EXPECT_EQ(ProgressText(300, 1000), "300/1000 requests");
  EXPECT_EQ(ProgressText(300, 0), "300 requests");

  const PointResult full = testing::FullResult();
  const WorkerEvent result = DecodeEvent(json::parse(ResultEvent(full).dump()));
  EXPECT_EQ(result.kind, WorkerEvent::Kind::kResult);
  testing::ExpectSameResult(result.result, full);

  BackendInfo info;
  info.name = "testing";
  info.display_name = "Testing backend";
  info.available = true;
  info.version = "1.0";
  info.devices = {"CPU"};
  info.params = {{"mode", "choice", "ok", "ok|fail", "misbehave"}};
  const WorkerEvent backend = DecodeEvent(BackendEvent(info));
  EXPECT_EQ(backend.kind, WorkerEvent::Kind::kBackend);
  EXPECT_EQ(backend.backend.name, "testing");
  EXPECT_TRUE(backend.backend.available);
  ASSERT_EQ(backend.backend.params.size(), 1u);
  EXPECT_EQ(backend.backend.params[0].choices, "ok|fail");

  const WorkerEvent error = DecodeEvent(ErrorEvent("unknown framework 'x'"));
  EXPECT_EQ(error.kind, WorkerEvent::Kind::kError);
  EXPECT_EQ(error.message, "unknown framework 'x'");

  const std::vector<std::string> names = {"a", "b"};
  EXPECT_EQ(DecodeProbeRequest(EncodeProbeRequest(names)), names);
}

// The worker side, in this process: whatever goes wrong, one result event.
std::vector<json> Serve(const json& request) {
  std::istringstream in(request.dump());
  std::vector<json> events;
  ServeWorker(in, [&](const json& e) { events.push_back(e); });
  return events;
}

TEST_F(WorkerProtocol, WorkerAnswersAMismatchedRequestWithAFailedResult) {
  json request = EncodePointRequest(Spec(), "ab12");
  request["protocol"] = "dli.worker/2";
  const std::vector<json> events = Serve(request);
  ASSERT_EQ(events.size(), 1u);
  const WorkerEvent e = DecodeEvent(events[0]);
  EXPECT_EQ(e.kind, WorkerEvent::Kind::kResult);
  EXPECT_EQ(e.result.status, "failed");
  EXPECT_EQ(e.result.error, "the caller speaks dli.worker/2, this dli speaks dli.worker/1");
}

TEST_F(WorkerProtocol, WorkerRefusesAModelFileWithOtherContent) {
  const std::vector<json> events = Serve(EncodePointRequest(Spec(), std::string(64, '0')));
  ASSERT_EQ(events.size(), 1u);
  const PointResult r = DecodeEvent(events[0]).result;
  EXPECT_EQ(r.status, "failed");
  EXPECT_NE(
      r.error.find("has SHA-256 " + Sha256Path((here_ / "m" / "m.txt").string()).substr(0, 12) +
                   "..., expected 000000000000..."),
      std::string::npos)
      << r.error;
  EXPECT_FALSE(r.host.hostname.empty()) << "the worker says where it ran";
}

}  // namespace
}  // namespace dli
