// The options of `dli bench` and the point they describe, checked before
// anything runs.
#ifndef DLI_APPS_BENCH_ARGS_H
#define DLI_APPS_BENCH_ARGS_H

#include <cstdint>
#include <string>
#include <vector>

#include "args.h"
#include "core/point.h"

namespace dli::cli {

struct BenchRequest {
  PointSpec base;  // every field but the model's and the batch
  std::string model;
  std::vector<int> batches;
  size_t repetitions = 1;
  uint32_t seed = 0;
};

Args BenchArgs();
// UsageError for anything the user typed wrong.
BenchRequest ParseBenchArgs(const Args& args);

}  // namespace dli::cli

#endif  // DLI_APPS_BENCH_ARGS_H
