#include "machine/reference_workload.h"

#include <gtest/gtest.h>

#include "core/stats.h"

namespace dli {
namespace {

TEST(ReferenceWorkload, ChecksumIsTheExactProduct) {
  // The same product in integers: float is exact for these small entries.
  int64_t expected = 0;
  const int n = kReferenceSize;
  std::vector<int64_t> column_sums(n, 0);  // sum over j of B(k, j)
  for (int k = 0; k < n; ++k)
    for (int j = 0; j < n; ++j) column_sums[k] += static_cast<int64_t>(ReferenceB(k, j));
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) expected += static_cast<int64_t>(ReferenceA(i, k)) * column_sums[k];
  const ReferenceTiming t = MeasureReferenceWorkload(3);
  EXPECT_EQ(t.checksum, expected);
  EXPECT_NE(t.checksum, 0);
}

TEST(ReferenceWorkload, TimesEveryRunAndTakesTheMedian) {
  const ReferenceTiming t = MeasureReferenceWorkload(5);
  ASSERT_EQ(t.runs_ms.size(), 5u);
  for (double ms : t.runs_ms) EXPECT_GT(ms, 0);
  EXPECT_DOUBLE_EQ(t.median_ms, Median(t.runs_ms));
}

TEST(ReferenceWorkload, Entries) {
  EXPECT_FLOAT_EQ(ReferenceA(0, 0), -5);
  EXPECT_FLOAT_EQ(ReferenceA(1, 2), -3);  // (7 + 6) % 11 - 5
  EXPECT_FLOAT_EQ(ReferenceB(2, 3), -3);  // (10 + 6) % 13 - 6
}

TEST(ReferenceWorkload, DriftRatio) {
  EXPECT_DOUBLE_EQ(DriftRatio(5, 4), 1.25);
  EXPECT_DOUBLE_EQ(DriftRatio(4, 4), 1.0);
  EXPECT_DOUBLE_EQ(DriftRatio(3, 0), 0.0);
}

}  // namespace
}  // namespace dli
