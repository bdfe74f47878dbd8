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
// DLI's familiar CSV columns plus the spread of the measurement.
void WriteResultsCsv(const std::vector<PointResult>& results, std::ostream& out);
std::string CsvEscape(const std::string& field);

void PrintHostInfo(const HostInfo& host, std::ostream& out);
void PrintBackendInfo(const std::vector<BackendInfo>& backends, std::ostream& out);

}  // namespace dli

#endif  // DLI_REPORT_H
