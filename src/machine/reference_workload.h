// A fixed compute kernel that depends on no framework, timed between the
// points of a study: when its time changes, the machine changed speed (a slow
// phase of a shared host, a lower clock), not the framework under test.
#ifndef DLI_MACHINE_REFERENCE_WORKLOAD_H
#define DLI_MACHINE_REFERENCE_WORKLOAD_H

#include <cstdint>
#include <vector>

namespace dli {

// The kernel: C = A * B for fixed kReferenceSize x kReferenceSize float
// matrices whose entries are small integers, so every product and sum is exact
// in float whatever the compiler's order or FMA use (|C(i, j)| <= 320 * 30 <
// 2^24), and the checksum (the sum of C) is one exact number on every build.
// About 3 ms of CPU time on the 2-core development VM (AMD EPYC, Release
// build): long enough to dwarf the clock's cost, short enough to run between
// every two points of a study.
constexpr int kReferenceSize = 320;
// A(i, j) = (i * 7 + j * 3) % 11 - 5, B(i, j) = (i * 5 + j * 2) % 13 - 6.
float ReferenceA(int i, int j);
float ReferenceB(int i, int j);

struct ReferenceTiming {
  double median_ms = 0;
  std::vector<double> runs_ms;  // in run order
  int64_t checksum = 0;         // sum of C, the same for every run
};
// Runs the kernel once untimed (page faults, caches), then `runs` times timed
// with the steady clock; `runs` >= 1.
ReferenceTiming MeasureReferenceWorkload(int runs = 5);

// reading / first reading: 1.10 means the machine is 10% slower than when the
// study started; 0 when `first_ms` is not positive.
double DriftRatio(double reading_ms, double first_ms);

}  // namespace dli

#endif  // DLI_MACHINE_REFERENCE_WORKLOAD_H
