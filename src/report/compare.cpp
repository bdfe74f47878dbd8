#include "report/compare.h"

#include <map>

#include "core/point.h"
#include "core/text.h"

using nlohmann::json;

namespace dli {

FpsInterval FpsIntervalOf(const PointResult& point) {
  const Interval fps = PointFpsInterval(point);
  return {point.fps, fps.low, fps.high};
}

std::string MatchKey(const PointResult& point) {
  const PointSpec& s = point.spec;
  return s.model_name + "|" + s.model_format + "|" + s.framework + "|" + s.device + "|" +
         s.precision + "|" + std::to_string(s.batch) + "|" + ParamsText(s.params) +
         (IsThroughput(s) ? "|" + MeasureModeText(s) : "");
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

std::vector<PointComparison> ComparePoints(const std::vector<PointResult>& a,
                                           const std::vector<PointResult>& b) {
  std::map<std::string, const PointResult*> in_b;
  for (const PointResult& p : b) in_b[MatchKey(p)] = &p;
  std::map<std::string, const PointResult*> in_a;
  for (const PointResult& p : a) in_a[MatchKey(p)] = &p;
  std::vector<PointComparison> out;
  for (const auto& [key, pa] : in_a) {
    const auto it = in_b.find(key);
    if (it == in_b.end()) continue;
    PointComparison c;
    c.key = key;
    c.framework = pa->spec.framework;
    c.device = pa->spec.device;
    c.precision = pa->spec.precision;
    c.batch = pa->spec.batch;
    c.params = ParamsText(pa->spec.params);
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
