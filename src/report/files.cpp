#include <cstdio>
#include <filesystem>
#include <fstream>

#include "report/report.h"
#include "core/text.h"

namespace dli {

std::string CsvEscape(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void WriteResultsCsv(const std::vector<nlohmann::json>& points, std::ostream& out) {
  out << "status,task,topology,framework,framework_version,precision,batch,device,parameters,"
         "iterations,average_time_ms,latency_ms,fps,ci95_low_ms,ci95_high_ms,p90_ms,"
         "samples_dropped,first_inference_ms,load_ms,error\n";
  for (const nlohmann::json& p : points) {
    auto num = [&](const nlohmann::json& v, int decimals) {
      return v.is_number() ? FormatFixed(v.get<double>(), decimals) : std::string();
    };
    std::vector<std::string> params;
    for (const auto& [k, v] : p.at("params").items())
      params.push_back(k + "=" + v.get<std::string>());
    const nlohmann::json& l = p.at("latency_ms");
    const std::vector<std::string> row = {
        p.at("status"),
        p.at("task"),
        p.at("model").at("name"),
        p.at("framework"),
        p.at("framework_version"),
        p.at("precision"),
        std::to_string(p.at("batch").get<int>()),
        p.at("device"),
        params.empty() ? "default" : Join(params, ","),
        std::to_string(p.at("iterations").get<size_t>()),
        num(l.at("mean"), 4),
        num(l.at("median"), 4),
        num(p.at("fps"), 2),
        num(l.at("ci95_low"), 4),
        num(l.at("ci95_high"), 4),
        num(l.at("p90"), 4),
        std::to_string(p.at("samples_dropped").get<size_t>()),
        num(p.at("first_inference_ms"), 3),
        num(p.at("load_ms"), 1),
        p.at("error").is_string() ? p.at("error").get<std::string>() : ""};
    for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << CsvEscape(row[i]);
    out << "\n";
  }
}

void WriteResultsCsv(const std::vector<PointResult>& results, std::ostream& out) {
  std::vector<nlohmann::json> points;
  for (const PointResult& r : results) points.push_back(ResultToJson(r, false));
  WriteResultsCsv(points, out);
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
