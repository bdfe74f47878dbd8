#include "core/text.h"
#include "report/report.h"

#include "core/repeated_point.h"

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
         "samples_dropped,first_inference_ms,load_ms,error,mode,requests\n";
  for (const PointResult& r : results) {
    const PointSpec& s = r.spec;
    const LatencySummary& l = r.latency;
    // Blank where the JSON has null (ResultToJson): statistics of a failed
    // point, times it never reached.
    auto stat = [&](double v, int decimals) { return r.ok() ? FormatFixed(v, decimals) : ""; };
    auto time = [&](double v, int decimals) {
      return r.ok() || v > 0 ? FormatFixed(v, decimals) : "";
    };
    const std::vector<std::string> row = {r.status,
                                          s.task,
                                          s.model_name,
                                          s.framework,
                                          r.framework_version,
                                          s.precision,
                                          std::to_string(s.batch),
                                          s.device,
                                          ParamsText(s.params),
                                          std::to_string(l.samples_total),
                                          stat(l.mean, 4),
                                          stat(l.median, 4),
                                          stat(r.fps, 2),
                                          stat(l.ci95.low, 4),
                                          stat(l.ci95.high, 4),
                                          stat(l.p90, 4),
                                          std::to_string(l.samples_dropped),
                                          time(r.first_inference_ms, 3),
                                          time(r.load_ms, 1),
                                          r.error,
                                          s.measure.mode,
                                          std::to_string(s.measure.requests)};
    for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << CsvEscape(row[i]);
    out << "\n";
  }
}

nlohmann::json BenchDocument(const std::vector<PointResult>& results, const HostInfo& host,
                             bool with_samples, size_t repetitions, uint32_t seed) {
  nlohmann::json doc = ResultsDocument(results, host, with_samples);
  doc["repetitions"] = repetitions;
  if (repetitions > 1) doc["seed"] = seed;
  doc["aggregates"] = nlohmann::json::array();
  for (const RepeatedPoint& p : GroupRepetitions(results)) {
    nlohmann::json a = AggregateToJson(p);
    a["batch"] = p.first().spec.batch;
    doc["aggregates"].push_back(std::move(a));
  }
  return doc;
}

}  // namespace dli
