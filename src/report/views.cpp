#include "report/views.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "core/repeated_point.h"
#include "core/stats.h"
#include "core/text.h"

namespace dli {
namespace {

bool Finite(double v) { return std::isfinite(v) && v > 0; }

std::optional<double> Positive(double v) {
  return Finite(v) ? std::optional<double>(v) : std::nullopt;
}

auto SortKey(const ViewPoint& p) {
  return std::make_tuple(p.target, p.model, p.framework, p.device, PrecisionRank(p.precision),
                         p.precision, p.throughput, p.requests, p.batch, ParamsText(p.params));
}

}  // namespace

ViewPoint AggregateViewPoint(const std::vector<PointResult>& repetitions) {
  const RepeatedPoint agg = AggregatePoint(repetitions);
  const PointResult& last = repetitions.back();
  const PointSpec& s = last.spec;
  ViewPoint v;
  v.target = last.target;
  v.model = s.model_name;
  v.framework = s.framework;
  v.device = s.device;
  v.precision = s.precision;
  v.batch = s.batch;
  v.params = s.params;
  v.throughput = IsThroughput(s);
  v.requests = v.throughput ? s.measure.requests : 1;
  v.repetitions = repetitions.size();
  v.flagged = agg.flagged;
  std::set<std::string> flags;
  std::vector<double> normalized, ratios;
  for (const PointResult& r : repetitions) {
    flags.insert(r.flags.begin(), r.flags.end());
    if (!r.ok()) continue;
    const double rep_fps = Finite(r.fps) ? r.fps : FramesPerSecond(s.batch, r.latency.median);
    if (const auto n = NormalizedFps(rep_fps, r.machine.drift_ratio)) {
      normalized.push_back(*n);
      ratios.push_back(r.machine.drift_ratio);
    }
  }
  v.flags.assign(flags.begin(), flags.end());
  if (agg.ok == 0) return v;
  v.ok = true;
  v.latency_ms = agg.latency.median;
  v.fps = agg.fps;
  v.fps_low = Positive(agg.fps_interval.low);
  v.fps_high = Positive(agg.fps_interval.high);
  if (!normalized.empty()) {
    v.normalized_fps = Median(normalized);
    v.drift_ratio = Median(ratios);
  }
  return v;
}

namespace {

// Cells compare as numbers where both are numbers (batch sizes), as
// precisions where both are known precisions, else as text.
bool FieldLess(const std::string& a, const std::string& b) {
  char* end_a = nullptr;
  char* end_b = nullptr;
  const long na = std::strtol(a.c_str(), &end_a, 10), nb = std::strtol(b.c_str(), &end_b, 10);
  if (!a.empty() && !b.empty() && *end_a == 0 && *end_b == 0) return na < nb;
  const int ra = PrecisionRank(a), rb = PrecisionRank(b);
  if (ra != rb) return ra < rb;
  return a < b;
}

struct KeyLess {
  bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), FieldLess);
  }
};

using KeyFn = std::function<std::vector<std::string>(const ViewPoint&)>;

PivotTable Pivot(const std::vector<ViewPoint>& points, std::vector<std::string> row_fields,
                 const KeyFn& row_key, const KeyFn& column_key,
                 const std::vector<std::vector<std::string>>& extra_columns = {}) {
  std::map<std::vector<std::string>, std::map<std::vector<std::string>, PivotCell, KeyLess>,
           KeyLess>
      cells;
  std::set<std::vector<std::string>, KeyLess> columns(extra_columns.begin(), extra_columns.end());
  for (const ViewPoint& p : points) {
    const std::vector<std::string> column = column_key(p);
    columns.insert(column);
    PivotCell& cell = cells[row_key(p)][column];
    cell.measured = true;
    if (p.ok && (!cell.best || p.fps > cell.best->fps)) cell.best = &p;
  }
  PivotTable table;
  table.row_fields = std::move(row_fields);
  table.columns.assign(columns.begin(), columns.end());
  for (const auto& [row, by_column] : cells) {
    table.rows.push_back(row);
    std::vector<PivotCell> line;
    for (const std::vector<std::string>& column : table.columns) {
      const auto it = by_column.find(column);
      line.push_back(it == by_column.end() ? PivotCell{} : it->second);
    }
    table.cells.push_back(std::move(line));
  }
  return table;
}

// The row fields that lead a table where the points hold several targets
// or models, and their values for one point.
struct Lead {
  bool targets = false, models = false;
  std::vector<std::string> Fields() const {
    std::vector<std::string> fields;
    if (targets) fields.push_back("target");
    if (models) fields.push_back("model");
    return fields;
  }
  std::vector<std::string> Of(const ViewPoint& p) const {
    std::vector<std::string> key;
    if (targets) key.push_back(p.target);
    if (models) key.push_back(p.model);
    return key;
  }
};

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

int PrecisionRank(const std::string& precision) {
  static const std::vector<std::string> order = {"FP32", "FP16", "BF16", "INT8", "UINT8"};
  const auto it = std::find(order.begin(), order.end(), ToUpper(precision));
  return static_cast<int>(it - order.begin());
}

std::vector<ViewPoint> BuildViewPoints(const std::vector<PointResult>& results) {
  // Per measurement, per repetition index: the last result in input order.
  std::map<std::string, std::map<size_t, const PointResult*>> groups;
  for (const PointResult& r : results) {
    const PointSpec& s = r.spec;
    const std::string key =
        Join({r.target, s.model_name, s.framework, s.device, s.precision, std::to_string(s.batch),
              ParamsText(s.params), MeasureModeText(s)},
             "\x1f");
    groups[key][r.repetition] = &r;
  }
  std::vector<ViewPoint> out;
  for (const auto& [key, repetitions] : groups) {
    std::vector<PointResult> all;
    for (const auto& [index, r] : repetitions) all.push_back(*r);
    out.push_back(AggregateViewPoint(all));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ViewPoint& a, const ViewPoint& b) { return SortKey(a) < SortKey(b); });
  return out;
}

std::vector<size_t> ParetoFront(const std::vector<std::pair<double, double>>& latency_fps) {
  std::vector<size_t> order;
  for (size_t i = 0; i < latency_fps.size(); ++i)
    if (Finite(latency_fps[i].first) && Finite(latency_fps[i].second)) order.push_back(i);
  // By latency, the faster first among equal latencies: a point is on the
  // front when its FPS is at least the best FPS of every point before it.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (latency_fps[a].first != latency_fps[b].first)
      return latency_fps[a].first < latency_fps[b].first;
    return latency_fps[a].second > latency_fps[b].second;
  });
  std::vector<size_t> front;
  double best_fps = -INFINITY, front_latency = -INFINITY;
  for (size_t i : order) {
    const auto [latency, fps] = latency_fps[i];
    const bool tie =
        !front.empty() && latency == front_latency && fps == latency_fps[front.back()].second;
    if (fps > best_fps || tie) {
      front.push_back(i);
      best_fps = std::max(best_fps, fps);
      front_latency = latency;
    }
  }
  return front;
}

std::optional<double> NormalizedFps(double fps, double drift_ratio) {
  if (!Finite(fps) || !Finite(drift_ratio)) return std::nullopt;
  return fps * drift_ratio;
}

std::optional<double> ModeBest::Gain() const {
  if (!best_default || best_default->fps <= 0) return std::nullopt;
  return best->fps / best_default->fps - 1;
}

bool ModeBest::GainWithinNoise() const {
  return best_default && best->fps_low && best_default->fps_high &&
         *best->fps_low <= *best_default->fps_high;
}

std::vector<ModeBest> FindBestPerMode(const std::vector<ViewPoint>& points) {
  std::vector<ModeBest> out;
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string, bool>,
           size_t>
      index;
  for (const ViewPoint& p : points) {
    if (!p.ok) continue;
    const auto key =
        std::make_tuple(p.target, p.model, p.framework, p.device, p.precision, p.throughput);
    auto [it, added] = index.emplace(key, out.size());
    if (added) {
      ModeBest b;
      b.target = p.target;
      b.model = p.model;
      b.framework = p.framework;
      b.device = p.device;
      b.precision = p.precision;
      b.throughput = p.throughput;
      b.best = &p;
      out.push_back(b);
    }
    ModeBest& b = out[it->second];
    if (p.fps > b.best->fps) b.best = &p;
    if (p.DefaultParams() && (!b.best_default || p.fps > b.best_default->fps)) b.best_default = &p;
  }
  return out;
}

bool AnyNonDefaultParams(const std::vector<ViewPoint>& points) {
  return std::any_of(points.begin(), points.end(),
                     [](const ViewPoint& p) { return !p.DefaultParams(); });
}

PivotTable ModesTable(const std::vector<ViewPoint>& points) {
  const Lead lead{Targets(points).size() > 1, Models(points).size() > 1};
  std::set<std::string> precisions;
  for (const ViewPoint& p : points) precisions.insert(p.precision);
  std::vector<std::vector<std::string>> columns;
  for (const std::string& precision : precisions)
    for (const char* mode : {"Latency mode", "Throughput mode"})
      columns.push_back({precision, mode});
  return Pivot(
      points, Concat(lead.Fields(), {"framework"}),
      [&](const ViewPoint& p) { return Concat(lead.Of(p), {p.framework}); },
      [](const ViewPoint& p) {
        return std::vector<std::string>{p.precision,
                                        p.throughput ? "Throughput mode" : "Latency mode"};
      },
      columns);
}

PivotTable TargetsTable(const std::vector<ViewPoint>& points) {
  const Lead lead{false, Models(points).size() > 1};
  return Pivot(
      points, Concat(lead.Fields(), {"framework", "precision", "batch"}),
      [&](const ViewPoint& p) {
        return Concat(lead.Of(p), {p.framework, p.precision, std::to_string(p.batch)});
      },
      [](const ViewPoint& p) { return std::vector<std::string>{p.target}; });
}

PivotTable ModelsTable(const std::vector<ViewPoint>& points) {
  const Lead lead{Targets(points).size() > 1, false};
  return Pivot(
      points, Concat(lead.Fields(), {"model", "batch"}),
      [&](const ViewPoint& p) {
        return Concat(lead.Of(p), {p.model, std::to_string(p.batch)});
      },
      [](const ViewPoint& p) {
        return std::vector<std::string>{p.framework, p.precision};
      });
}

std::vector<std::string> Targets(const std::vector<ViewPoint>& points) {
  std::set<std::string> out;
  for (const ViewPoint& p : points) out.insert(p.target);
  return {out.begin(), out.end()};
}

std::vector<std::string> Models(const std::vector<ViewPoint>& points) {
  std::set<std::string> out;
  for (const ViewPoint& p : points) out.insert(p.model);
  return {out.begin(), out.end()};
}

}  // namespace dli
