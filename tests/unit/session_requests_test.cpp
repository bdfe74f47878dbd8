// Throughput mode on a backend's own request calls (backend_abi.h, "Request
// slots"), through the testing backend, whose requests sleep for a known
// service time: N slots in flight on one session give about N times the
// throughput of one, every request completes and is timed once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

#include "core/backend.h"
#include "core/batches.h"
#include "core/slot_threads.h"
#include "core/throughput.h"

namespace dli {
namespace {

constexpr int kServiceMs = 10;

class SessionRequests : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = std::filesystem::temp_directory_path() /
             ("dli_session_requests_" + std::to_string(::getpid()) + ".txt");
    std::ofstream(model_) << "1\n";
    backend_ =
        BackendLibrary::Load(std::string(DLI_TEST_BACKEND_DIR) + "/libdli_backend_testing.so");
  }
  void TearDown() override { std::filesystem::remove(model_); }

  std::unique_ptr<Session> Open(size_t requests) {
    BackendLibrary::OpenArgs args;
    args.model_path = model_.string();
    args.device = "CPU";
    args.precision = "FP32";
    args.requests = static_cast<int>(requests);
    args.params = {{"sleep_ms", std::to_string(kServiceMs)}};
    std::unique_ptr<Session> session = backend_->Open(args);
    batches_ = std::make_unique<BatchSet>(BuildSyntheticBatches(session->Inputs()[0], 3, 1));
    session->SetInputs(batches_->Pointers());
    return session;
  }

  static MeasureOptions Iterations(size_t n) {
    MeasureOptions o;
    o.warmup = 1;
    o.stop.iterations = n;
    return o;
  }

  std::filesystem::path model_;
  std::unique_ptr<BackendLibrary> backend_;
  std::unique_ptr<BatchSet> batches_;
};

void ExpectCountsAndWindow(const ThroughputMeasurement& m, size_t requests, size_t iterations) {
  EXPECT_EQ(m.requests, requests);
  EXPECT_EQ(m.Completed(), iterations);
  EXPECT_EQ(m.completed_at_ms.size(), iterations);
  EXPECT_GT(m.WindowMs(), 0);
  for (size_t i = 0; i < m.Completed(); ++i) {
    EXPECT_GE(m.samples_ms[i], kServiceMs * 0.99);
    EXPECT_GE(m.completed_at_ms[i], m.window_start_ms);
    EXPECT_LE(m.completed_at_ms[i], m.window_end_ms);
  }
  // Every request in flight took at least the service time and the window
  // holds them all: no request was timed twice or left out.
  EXPECT_GE(m.WindowMs(), iterations * kServiceMs / static_cast<double>(requests) * 0.99);
}

TEST_F(SessionRequests, TheTestingBackendDeclaresBothKinds) {
  const BackendInfo info = backend_->Describe();
  EXPECT_EQ(info.request_calls, "async");
  EXPECT_EQ(info.max_requests, 16u);
  EXPECT_NE(info.notes.find("throughput mode: asynchronous requests on one session (at most 16)"),
            std::string::npos)
      << info.notes;
  std::unique_ptr<Session> session = Open(1);
  EXPECT_TRUE(session->HasAsyncRequests());
  EXPECT_TRUE(session->HasConcurrentRequests());
}

TEST_F(SessionRequests, AsyncSlotsGiveAboutNTimesTheThroughput) {
  std::unique_ptr<Session> one_session = Open(1);
  AsyncSessionRequests one(*one_session, 1);
  const ThroughputMeasurement serial = RunThroughputMeasurement(one, 3, Iterations(10));
  ExpectCountsAndWindow(serial, 1, 10);

  std::unique_ptr<Session> four_session = Open(4);
  AsyncSessionRequests four(*four_session, 4);
  const ThroughputMeasurement parallel = RunThroughputMeasurement(four, 3, Iterations(40));
  ExpectCountsAndWindow(parallel, 4, 40);
  EXPECT_GT(parallel.Fps(1), 0.7 * 4 * serial.Fps(1))
      << "1 request: " << serial.Fps(1) << "/s, 4 requests: " << parallel.Fps(1) << "/s";
}

TEST_F(SessionRequests, ConcurrentSlotsGiveAboutNTimesTheThroughput) {
  std::unique_ptr<Session> one_session = Open(1);
  ConcurrentSessionRequests one_slots(*one_session, 1);
  ThreadPerSlot one(one_slots, 1);
  const ThroughputMeasurement serial = RunThroughputMeasurement(one, 3, Iterations(10));
  ExpectCountsAndWindow(serial, 1, 10);

  std::unique_ptr<Session> four_session = Open(4);
  ConcurrentSessionRequests four_slots(*four_session, 4);
  ThreadPerSlot four(four_slots, 4);
  const ThroughputMeasurement parallel = RunThroughputMeasurement(four, 3, Iterations(40));
  ExpectCountsAndWindow(parallel, 4, 40);
  EXPECT_GT(parallel.Fps(1), 0.7 * 4 * serial.Fps(1))
      << "1 request: " << serial.Fps(1) << "/s, 4 requests: " << parallel.Fps(1) << "/s";
}

TEST_F(SessionRequests, MisuseComesBackAsOneLineErrors) {
  std::unique_ptr<Session> session = Open(2);
  EXPECT_THROW(
      {
        try {
          session->OpenRequests(17);
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "17 requests asked; testing holds at most 16");
          throw;
        }
      },
      std::runtime_error);
  session->OpenRequests(2);
  EXPECT_THROW(session->StartRequest(0), std::runtime_error);  // not bound
  EXPECT_THROW(session->BindRequest(2, 0), std::runtime_error);
  EXPECT_THROW(session->BindRequest(0, 3), std::runtime_error);
  EXPECT_THROW(session->WaitRequest(), std::runtime_error);  // nothing started
  session->BindRequest(0, 1);
  session->StartRequest(0);
  EXPECT_THROW(session->StartRequest(0), std::runtime_error);  // still running
  EXPECT_EQ(session->WaitRequest(), std::make_pair(size_t{0}, std::string()));
}

TEST_F(SessionRequests, AFailedRequestNamesItsSlot) {
  BackendLibrary::OpenArgs args;
  args.model_path = model_.string();
  args.device = "CPU";
  args.precision = "FP32";
  args.params = {{"mode", "fail"}};
  std::unique_ptr<Session> session = backend_->Open(args);
  batches_ = std::make_unique<BatchSet>(BuildSyntheticBatches(session->Inputs()[0], 1, 1));
  session->SetInputs(batches_->Pointers());
  session->OpenRequests(2);
  session->BindRequest(1, 0);
  session->StartRequest(1);
  EXPECT_EQ(session->WaitRequest(),
            std::make_pair(size_t{1}, std::string("testing backend: failure requested")));
}

}  // namespace
}  // namespace dli
