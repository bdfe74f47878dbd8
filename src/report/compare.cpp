#include "report/compare.h"

#include <map>

#include "core/point.h"
#include "core/repeated_point.h"
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

namespace {

// A run's points by MatchKey, each key's repetitions by index (of several
// with one index, the last counts).
using RunPoints = std::map<std::string, std::map<size_t, const PointResult*>>;
RunPoints ByKey(const std::vector<PointResult>& points) {
  RunPoints out;
  for (const PointResult& p : points) out[MatchKey(p)][p.repetition] = &p;
  return out;
}

// One repetition: its own FPS and CI; several: the aggregate's FPS and
// between-repetition interval.
FpsInterval FpsOf(const std::map<size_t, const PointResult*>& repetitions, size_t& count) {
  count = repetitions.size();
  if (count == 1) return FpsIntervalOf(*repetitions.begin()->second);
  std::vector<PointResult> all;
  for (const auto& [index, p] : repetitions) all.push_back(*p);
  const RepeatedPoint point = AggregatePoint(std::move(all));
  return {point.fps, point.fps_interval.low, point.fps_interval.high};
}

}  // namespace

std::vector<PointComparison> ComparePoints(const std::vector<PointResult>& a,
                                           const std::vector<PointResult>& b) {
  const RunPoints in_a = ByKey(a), in_b = ByKey(b);
  std::vector<PointComparison> out;
  for (const auto& [key, reps_a] : in_a) {
    const auto it = in_b.find(key);
    if (it == in_b.end()) continue;
    const PointResult* pa = reps_a.begin()->second;
    PointComparison c;
    c.key = key;
    c.framework = pa->spec.framework;
    c.device = pa->spec.device;
    c.precision = pa->spec.precision;
    c.batch = pa->spec.batch;
    c.params = ParamsText(pa->spec.params);
    c.a = FpsOf(reps_a, c.repetitions_a);
    c.b = FpsOf(it->second, c.repetitions_b);
    c.ratio = c.a.fps > 0 ? c.b.fps / c.a.fps : 0;
    c.ratio_low = c.a.high > 0 ? c.b.low / c.a.high : 0;
    c.ratio_high = c.a.low > 0 ? c.b.high / c.a.low : 0;
    // Equivalent to SignificantlyDifferent(a, b) on the two FPS intervals.
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
                   {"change", ChangeName(c.change)},
                   {"repetitions_a", c.repetitions_a},
                   {"repetitions_b", c.repetitions_b}});
  return {{"run_a", run_a}, {"run_b", run_b}, {"points", out}};
}

}  // namespace dli
