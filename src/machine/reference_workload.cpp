#include "machine/reference_workload.h"

#include <chrono>
#include <cmath>

#include "core/stats.h"

namespace dli {
namespace {

constexpr int kN = kReferenceSize;

// What the kernel reads and writes escapes to the compiler here (as
// google/benchmark's DoNotOptimize does), so it can neither drop the
// multiplication nor move it out of the timed region.
void Escape(const void* p) { asm volatile("" : : "r"(p) : "memory"); }

__attribute__((noinline)) void Multiply(const float* a, const float* b, float* c) {
  for (int i = 0; i < kN; ++i) {
    float* row = c + i * kN;
    for (int j = 0; j < kN; ++j) row[j] = 0;
    for (int k = 0; k < kN; ++k) {
      const float aik = a[i * kN + k];
      const float* brow = b + k * kN;
      for (int j = 0; j < kN; ++j) row[j] += aik * brow[j];
    }
  }
}

}  // namespace

float ReferenceA(int i, int j) { return static_cast<float>((i * 7 + j * 3) % 11 - 5); }
float ReferenceB(int i, int j) { return static_cast<float>((i * 5 + j * 2) % 13 - 6); }

ReferenceTiming MeasureReferenceWorkload(int runs) {
  std::vector<float> a(kN * kN), b(kN * kN), c(kN * kN);
  for (int i = 0; i < kN; ++i)
    for (int j = 0; j < kN; ++j) {
      a[i * kN + j] = ReferenceA(i, j);
      b[i * kN + j] = ReferenceB(i, j);
    }
  ReferenceTiming timing;
  for (int run = -1; run < runs; ++run) {
    Escape(a.data());
    Escape(b.data());
    const auto start = std::chrono::steady_clock::now();
    Multiply(a.data(), b.data(), c.data());
    Escape(c.data());
    const auto stop = std::chrono::steady_clock::now();
    if (run >= 0)
      timing.runs_ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
  }
  for (float x : c) timing.checksum += static_cast<int64_t>(x);
  timing.median_ms = Median(timing.runs_ms);
  return timing;
}

double DriftRatio(double reading_ms, double first_ms) {
  return first_ms > 0 ? reading_ms / first_ms : 0;
}

}  // namespace dli
