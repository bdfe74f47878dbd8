// Tests of the SDK without a framework: the parameter checker that the core
// and every backend share (dli/param_check.h), and the adapter's checks of
// the spec and of the ring-buffer calls, through the test-only backend
// (tests/test_backends/testing_backend.cpp) loaded as the core loads it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "dli/backend_testing.h"
#include "dli/param_check.h"

namespace dli::testing {
namespace {

dli_param_info Param(const char* type, const char* choices = nullptr, const char* min = nullptr,
                     const char* max = nullptr) {
  return {"p", type, "", choices, "help", min, max};
}

TEST(ParamCheck, EmptyMeansNotSetForEveryType) {
  for (const char* type : {"int", "bool", "string", "choice"})
    EXPECT_EQ(param_check::Check(Param(type, "a|b", "1", "4"), ""), "") << type;
}

TEST(ParamCheck, IntIsAWholeNumberThatFitsAnInt) {
  const dli_param_info p = Param("int");
  for (const char* ok : {"0", "42", "-3", "+7", "2147483647", "-2147483648"})
    EXPECT_EQ(param_check::Check(p, ok), "") << ok;
  for (const char* bad :
       {"4x", "1.5", " 4", "4 ", "-", "two", "2147483648", "99999999999999999999"})
    EXPECT_EQ(param_check::Check(p, bad),
              std::string("parameter p=") + bad + ": expected an integer")
        << bad;
}

TEST(ParamCheck, IntRangeIsInclusiveAndNamedInTheMessage) {
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1"), "1"), "");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1"), "0"),
            "parameter p=0: expected an integer >= 1");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1"), "x"),
            "parameter p=x: expected an integer >= 1");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, nullptr, "8"), "9"),
            "parameter p=9: expected an integer <= 8");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "", "8"), "-5"), "");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1", "8"), "8"), "");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1", "8"), "0"),
            "parameter p=0: expected an integer from 1 to 8");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "one"), "1"),
            "parameter p: the backend declares the range [one, ], which is not made of integers");
}

TEST(ParamCheck, BoolChoiceAndString) {
  for (const char* ok : {"true", "False", "1", "0", "YES", "no", "on", "Off"})
    EXPECT_EQ(param_check::Check(Param("bool"), ok), "") << ok;
  EXPECT_EQ(param_check::Check(Param("bool"), "maybe"),
            "parameter p=maybe: expected true or false");
  EXPECT_EQ(param_check::Check(Param("choice", "A|B"), "B"), "");
  EXPECT_EQ(param_check::Check(Param("choice", "A|B"), "a"), "parameter p=a: expected one of A, B");
  EXPECT_EQ(param_check::Check(Param("string"), " anything at all "), "");
}

// The testing backend with a model file, for the adapter's checks.
class Adapter : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = std::filesystem::temp_directory_path() /
             ("dli_backend_sdk_test_" + std::to_string(::getpid()) + ".txt");
    std::ofstream(model_) << "1\n";
  }
  void TearDown() override { std::filesystem::remove(model_); }
  OpenRequest Request(const Params& params = {}) const {
    OpenRequest request;
    request.model_path = model_.string();
    request.params = params;
    return request;
  }
  std::filesystem::path model_;
};

TEST_F(Adapter, ParamTableIsEnforcedBeforeOpen) {
  const dli_backend& api = TestBackend();
  ExpectParamTableEnforced(api, Request());
  EXPECT_EQ(OpenError(api, Request({{"mode", "sideways"}})),
            "parameter mode=sideways: expected one of ok, fail, crash, abort, hang");
  EXPECT_EQ(OpenError(api, Request({{"knob", "1"}})),
            "unknown parameter 'knob' (known: mode, fault_batch, threads, sleep_ms)");
  OpenRequest batch0 = Request();
  batch0.batch = 0;
  EXPECT_EQ(OpenError(api, batch0), "batch 0 is not >= 1");
}

TEST_F(Adapter, RingBufferCallsAreCheckedForTheBackend) {
  ExpectCallOrderAndSizesChecked(TestBackend(), Request());
}

TEST_F(Adapter, AFailedInferLeavesNoOutputToRead) {
  BackendSession session(TestBackend(), Request({{"mode", "fail"}}));
  ASSERT_TRUE(session.ok()) << session.error();
  const std::vector<float> batch(3 * 224 * 224);
  ASSERT_TRUE(session.SetInputs({batch.data()}, batch.size() * sizeof(float)));
  ASSERT_TRUE(session.Bind(0));
  EXPECT_FALSE(session.Infer());
  EXPECT_EQ(session.error(), "testing backend: failure requested");
  std::vector<float> out(1);
  EXPECT_FALSE(session.ReadOutput(out));
  EXPECT_EQ(session.error(), "read_output() called before infer()");
}

TEST_F(Adapter, RequestSlotsAreCheckedForTheBackend) {
  const dli_backend& api = TestBackend();
  EXPECT_EQ(api.max_requests, 16u);
  ExpectRequestsComplete(api, Request({{"sleep_ms", "1"}}), 4, 20);

  BackendSession session(api, Request());
  ASSERT_TRUE(session.ok()) << session.error();
  char err[512] = {};
  size_t slot = 0;
  EXPECT_EQ(api.open_requests(session.handle(), 2, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "open_requests() called before set_inputs()");
  const std::vector<float> batch(3 * 224 * 224);
  ASSERT_TRUE(session.SetInputs({batch.data()}, batch.size() * sizeof(float)));
  EXPECT_EQ(api.open_requests(session.handle(), 17, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "17 requests asked; testing holds at most 16");
  ASSERT_EQ(api.open_requests(session.handle(), 2, err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(api.start_request(session.handle(), 0, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "request slot 0 started before bind");
  EXPECT_EQ(api.bind_request(session.handle(), 2, 0, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "request slot 2 does not exist; 2 were opened");
  EXPECT_EQ(api.wait_request(session.handle(), &slot, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "wait_request() called with no request started");
  EXPECT_EQ(slot, static_cast<size_t>(-1));
  ASSERT_EQ(api.bind_request(session.handle(), 1, 0, err, sizeof(err)), DLI_OK) << err;
  ASSERT_EQ(api.start_request(session.handle(), 1, err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(api.bind_request(session.handle(), 1, 0, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "request slot 1 is still running");
  ASSERT_EQ(api.wait_request(session.handle(), &slot, err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(slot, 1u);
}

}  // namespace
}  // namespace dli::testing
