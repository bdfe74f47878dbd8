// Reporters over the one result model: a console table for people, CSV and
// JSON files for machines.
#ifndef DLI_REPORT_H
#define DLI_REPORT_H

#include <ostream>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/files.h"
#include "core/host.h"
#include "core/point.h"

namespace dli {

// A plain text table with columns aligned to their widest cell.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

void PrintResultsTable(const std::vector<PointResult>& results, std::ostream& out);
// One line per point of `results` (its repetitions grouped): the aggregate
// FPS with its between-repetition interval and the two spreads
// (docs/METHODOLOGY.md).
void PrintAggregatesTable(const std::vector<PointResult>& results, std::ostream& out);
// `dli bench --json`: every repetition in "results", the seed of the order
// and each batch's aggregate over its repetitions.
nlohmann::json BenchDocument(const std::vector<PointResult>& results, const HostInfo& host,
                             bool with_samples, size_t repetitions, uint32_t seed);
// DLI's familiar CSV columns plus the spread of the measurement.
void WriteResultsCsv(const std::vector<PointResult>& results, std::ostream& out);
std::string CsvEscape(const std::string& field);

void PrintHostInfo(const HostInfo& host, std::ostream& out);
void PrintBackendInfo(const std::vector<BackendInfo>& backends, std::ostream& out);

}  // namespace dli

#endif  // DLI_REPORT_H
