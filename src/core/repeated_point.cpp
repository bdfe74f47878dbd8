#include "core/repeated_point.h"

#include <algorithm>
#include <cmath>
#include <map>

using nlohmann::json;

namespace dli {

std::string RepetitionGroupKey(const PointResult& r) {
  const PointSpec& s = r.spec;
  json params = json::object();
  for (const auto& [k, v] : s.params) params[k] = v;
  const json id = {{"model", s.model_path.empty() ? s.model_name : s.model_path},
                   {"sha256", r.model_sha256},
                   {"format", s.model_format},
                   {"framework", s.framework},
                   {"device", s.device},
                   {"precision", s.precision},
                   {"batch", s.batch},
                   {"params", params},
                   {"images", s.input.images_dir},
                   {"max_images", s.input.max_images},
                   {"iterations", s.measure.stop.iterations},
                   {"time_limit_s", s.measure.stop.time_limit_s},
                   {"ci_target_rel", s.measure.stop.ci_target_rel},
                   {"min_iterations", s.measure.stop.min_iterations},
                   {"min_time_s", s.measure.stop.min_time_s},
                   {"warmup", s.measure.warmup}};
  return id.dump();
}

RepeatedPoint AggregatePoint(std::vector<PointResult> repetitions) {
  RepeatedPoint p;
  std::stable_sort(
      repetitions.begin(), repetitions.end(),
      [](const PointResult& a, const PointResult& b) { return a.repetition < b.repetition; });
  p.repetitions = std::move(repetitions);
  std::vector<LatencySummary> ok;
  for (const PointResult& r : p.repetitions) {
    if (r.ok()) ok.push_back(r.latency);
    if (!r.flags.empty()) ++p.flagged;
  }
  p.ok = ok.size();
  if (ok.empty()) return p;
  p.latency = AggregateRepetitions(ok);
  const int batch = p.first().spec.batch;
  if (IsThroughput(p.first().spec)) {
    // Per-request latency says nothing about images per second with several
    // requests in flight: the repetitions' throughputs are aggregated instead.
    std::vector<LatencySummary> throughputs;
    for (const PointResult& r : p.repetitions) {
      if (!r.ok()) continue;
      LatencySummary figure;
      figure.median = r.fps;
      figure.ci95 = PointFpsInterval(r);
      throughputs.push_back(figure);
    }
    const RepetitionAggregate a = AggregateRepetitions(throughputs);
    p.fps = a.median;
    p.fps_interval = a.interval;
  } else if (p.repetitions.size() == 1) {
    p.fps = p.first().fps;
    p.fps_interval = FramesPerSecondInterval(batch, p.first().latency.ci95);
  } else {
    p.fps = FramesPerSecond(batch, p.latency.median);
    p.fps_interval = FramesPerSecondInterval(batch, p.latency.interval);
  }
  return p;
}

std::vector<RepeatedPoint> GroupRepetitions(const std::vector<PointResult>& results) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<PointResult>> groups;
  for (const PointResult& r : results) {
    const std::string key = RepetitionGroupKey(r);
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(r);
  }
  std::vector<RepeatedPoint> out;
  for (const std::string& key : order) out.push_back(AggregatePoint(std::move(groups[key])));
  return out;
}

json AggregateToJson(const RepeatedPoint& p) {
  const RepetitionAggregate& a = p.latency;
  auto stat = [&](double v) { return p.ok > 0 ? json(v) : json(nullptr); };
  return {{"repetitions", p.repetitions.size()},
          {"ok", p.ok},
          {"flagged", p.flagged},
          {"median_ms", stat(a.median)},
          {"interval_ms", {stat(a.interval.low), stat(a.interval.high)}},
          {"method", p.ok > 0 ? json(RepetitionIntervalName(a.method)) : json(nullptr)},
          {"within_spread", stat(a.within_spread)},
          {"between_spread", stat(a.between_spread)},
          {"max_min_ratio", stat(a.max_min_ratio)},
          {"fps", stat(p.fps)},
          {"fps_interval", {stat(p.fps_interval.low), stat(p.fps_interval.high)}}};
}

void ApplyDrift(PointResult& r, double first_reference_ms) {
  MachineRecord& m = r.machine;
  if (first_reference_ms <= 0 || m.reference_before_ms <= 0 || m.reference_after_ms <= 0) return;
  m.drift_ratio = (m.reference_before_ms + m.reference_after_ms) / 2 / first_reference_ms;
  if (std::fabs(m.drift_ratio - 1) > kMaxDrift &&
      std::find(r.flags.begin(), r.flags.end(), "drift") == r.flags.end())
    r.flags.push_back("drift");
}

}  // namespace dli
