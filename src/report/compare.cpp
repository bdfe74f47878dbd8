#include "report/compare.h"

#include <map>

#include "core/point.h"
#include "core/text.h"

using nlohmann::json;

namespace dli {

FpsInterval FpsIntervalOf(const json& point) {
  const int batch = point.at("batch").get<int>();
  const json& l = point.at("latency_ms");
  auto fps_at = [&](const json& latency_ms) {
    return latency_ms.is_number() ? FramesPerSecond(batch, latency_ms.get<double>()) : 0;
  };
  FpsInterval f;
  f.fps = point.at("fps").is_number() ? point.at("fps").get<double>() : 0;
  // FPS falls as latency rises: the latency interval's high end is the FPS
  // interval's low end.
  f.low = fps_at(l.at("ci95_high"));
  f.high = fps_at(l.at("ci95_low"));
  return f;
}

std::string PointParamsText(const json& point) {
  std::vector<std::string> parts;
  if (point.contains("params"))
    for (const auto& [k, v] : point["params"].items())
      parts.push_back(k + "=" + v.get<std::string>());
  return parts.empty() ? "default" : Join(parts, ",");
}

std::string MatchKey(const json& point) {
  return point.at("model").at("name").get<std::string>() + "|" +
         point.at("model").value("format", "") + "|" + point.at("framework").get<std::string>() +
         "|" + point.at("device").get<std::string>() + "|" +
         point.at("precision").get<std::string>() + "|" +
         std::to_string(point.at("batch").get<int>()) + "|" + PointParamsText(point);
}

const char* ChangeName(Change change) {
  switch (change) {
    case Change::kFaster:
      return "faster";
    case Change::kSlower:
      return "slower";
    case Change::kWithinNoise:
      break;
  }
  return "within noise";
}

std::vector<PointComparison> ComparePoints(const std::vector<json>& a, const std::vector<json>& b) {
  std::map<std::string, const json*> in_b;
  for (const json& p : b) in_b[MatchKey(p)] = &p;
  std::map<std::string, const json*> in_a;
  for (const json& p : a) in_a[MatchKey(p)] = &p;
  std::vector<PointComparison> out;
  for (const auto& [key, pa] : in_a) {
    const auto it = in_b.find(key);
    if (it == in_b.end()) continue;
    PointComparison c;
    c.key = key;
    c.framework = pa->at("framework");
    c.device = pa->at("device");
    c.precision = pa->at("precision");
    c.batch = pa->at("batch");
    c.params = PointParamsText(*pa);
    c.a = FpsIntervalOf(*pa);
    c.b = FpsIntervalOf(*it->second);
    c.ratio = c.a.fps > 0 ? c.b.fps / c.a.fps : 0;
    c.ratio_low = c.a.high > 0 ? c.b.low / c.a.high : 0;
    c.ratio_high = c.a.low > 0 ? c.b.high / c.a.low : 0;
    c.change = c.ratio_low > 1    ? Change::kFaster
               : c.ratio_high < 1 ? Change::kSlower
                                  : Change::kWithinNoise;
    out.push_back(std::move(c));
  }
  return out;
}

json ComparisonToJson(int64_t run_a, int64_t run_b, const std::vector<PointComparison>& points) {
  json out = json::array();
  for (const PointComparison& c : points)
    out.push_back({{"key", c.key},
                   {"fps_a", c.a.fps},
                   {"fps_b", c.b.fps},
                   {"ratio", c.ratio},
                   {"ratio_low", c.ratio_low},
                   {"ratio_high", c.ratio_high},
                   {"change", ChangeName(c.change)}});
  return {{"run_a", run_a}, {"run_b", run_b}, {"points", out}};
}

}  // namespace dli
