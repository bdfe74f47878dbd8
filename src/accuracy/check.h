// What the quality checks share (the parity check, the accuracy checker and
// the re-check of an optimised model): predict-mode points, how they are
// run, and the shape of their console output.
#ifndef DLI_ACCURACY_CHECK_H
#define DLI_ACCURACY_CHECK_H

#include <functional>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/model.h"
#include "core/point.h"

namespace dli {

// Runs one point and returns its result, a failure included. The CLI passes
// its Executor's Run; this module cannot name the Executor (src/exec depends
// on it), and tests pass made-up results.
using PointRunner = std::function<PointResult(const PointSpec& spec)>;

// A predict-mode point: one pass over `files` in order. `keep_outputs` also
// returns each image's whole output (the parity check compares them).
PointSpec PredictSpec(const BackendInfo& backend, const ResolvedModel& model,
                      const std::string& precision, const std::vector<std::string>& files,
                      int batch, bool keep_outputs);

// A check's console output: text, one table, text. The CLI aligns the table
// (report's TextTable, which this module sits below).
struct ConsoleReport {
  std::string before;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string after;
};

}  // namespace dli

#endif  // DLI_ACCURACY_CHECK_H
