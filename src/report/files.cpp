#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dli/report.h"
#include "dli/text.h"

namespace dli {

std::string CsvEscape(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void WriteResultsCsv(const std::vector<PointResult>& results, std::ostream& out) {
  out << "status,task,topology,framework,framework_version,precision,batch,device,parameters,"
         "iterations,average_time_ms,latency_ms,fps,ci95_low_ms,ci95_high_ms,p90_ms,"
         "samples_dropped,first_inference_ms,load_ms,error\n";
  for (const PointResult& r : results) {
    const PointSpec& s = r.spec;
    const LatencySummary& l = r.latency;
    auto num = [&](double v, int decimals) { return r.ok() ? FormatFixed(v, decimals) : ""; };
    const std::vector<std::string> row = {
        r.status, s.task, s.model_name, s.framework, r.framework_version, s.precision,
        std::to_string(s.batch), s.device, ParamsText(s.params),
        std::to_string(r.samples_ms.size()), num(l.mean, 4), num(l.median, 4), num(r.fps, 2),
        num(l.ci95.low, 4), num(l.ci95.high, 4), num(l.p90, 4),
        std::to_string(l.samples_dropped), num(r.first_inference_ms, 3), num(r.load_ms, 1),
        r.error};
    for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << CsvEscape(row[i]);
    out << "\n";
  }
}

void WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot write " + path + ": " + ec.message());
}

}  // namespace dli
