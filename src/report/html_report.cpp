#include "report/html_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "core/model.h"
#include "core/point.h"
#include "core/repeated_point.h"
#include "core/stats.h"
#include "core/text.h"
#include "report/svg_chart.h"
#include "report/views.h"

using nlohmann::json;

namespace dli {
namespace {

// ---- Reading points. Performance points are typed results (ResultFromJson
// at the boundary); accuracy results stay JSON objects, read tolerating
// missing and null fields. ----

std::string TextField(const json& j, const char* key) {
  if (!j.is_object()) return "";
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::optional<double> NumberField(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

const json& ObjectField(const json& j, const char* key) {
  static const json kEmpty = json::object();
  if (!j.is_object()) return kEmpty;
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

// The fields a performance point and an accuracy result share.
struct ResultFields {
  std::string model, model_format, framework, version, device, precision, status;
  std::string error, stderr_tail;
};

ResultFields ReadResultFields(const json& j) {
  ResultFields r;
  const json& model = ObjectField(j, "model");
  r.model = TextField(model, "name");
  r.model_format = TextField(model, "format");
  r.framework = TextField(j, "framework");
  r.version = TextField(j, "framework_version");
  r.device = TextField(j, "device");
  r.precision = TextField(j, "precision");
  r.status = TextField(j, "status");
  if (r.status.empty()) r.status = "unknown";
  r.error = TextField(j, "error");
  r.stderr_tail = TextField(j, "stderr_tail");
  return r;
}

struct PerfPoint : ResultFields {
  const PointResult* result = nullptr;
  std::string params, target;
  int batch = 0;
  std::optional<double> fps, fps_low, fps_high;
  size_t repetitions = 1;  // aggregated into fps and its interval
  size_t flagged = 0;      // of those, the repetitions with a flag

  bool Plottable() const { return status == "ok" && fps && *fps > 0 && batch > 0; }
  // (model, framework, device, precision, params, target): one line in Fig. 2/3.
  std::tuple<std::string, std::string, std::string, int, std::string, std::string, std::string>
  SeriesKey() const {
    return {model, framework, device, PrecisionRank(precision), precision, params, target};
  }
  auto SortKey() const { return std::tuple_cat(SeriesKey(), std::make_tuple(batch)); }
};

// The performance points, each read once; one that cannot be read is shown
// as a failed point that says why.
std::vector<PointResult> ReadResults(const std::vector<json>& performance) {
  std::vector<PointResult> results;
  for (const json& j : performance) {
    try {
      results.push_back(ResultFromJson(j));
    } catch (const std::exception& e) {
      PointResult unreadable;  // no coordinates: blank, not the spec's defaults
      unreadable.spec.device = unreadable.spec.precision = "";
      unreadable.spec.batch = 0;
      unreadable.status = "failed";
      unreadable.error = std::string("unreadable result: ") + e.what();
      results.push_back(std::move(unreadable));
    }
  }
  return results;
}

std::optional<double> Positive(double v) {
  return v > 0 && std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

PerfPoint ReadPerfPoint(const PointResult& r) {
  PerfPoint p;
  p.result = &r;
  const PointSpec& s = r.spec;
  p.model = s.model_name;
  p.model_format = s.model_format;
  p.framework = s.framework;
  p.version = r.framework_version;
  p.device = s.device;
  p.precision = s.precision;
  p.status = r.status;
  p.error = r.error;
  p.stderr_tail = r.stderr_tail;
  // Throughput points form series of their own until the report has mode columns.
  p.params = ParamsText(s.params) + (IsThroughput(s) ? " " + MeasureModeText(s) : "");
  p.target = r.target;
  p.batch = s.batch;
  p.flagged = r.flags.empty() ? 0 : 1;
  p.fps = Positive(r.fps);
  if (!p.fps) p.fps = Positive(FramesPerSecond(p.batch, r.latency.median));
  const auto fps = PointFpsInterval(r);
  p.fps_low = Positive(fps.low);
  p.fps_high = Positive(fps.high);
  return p;
}

struct AccuracyPoint : ResultFields {
  std::optional<double> images, top1, top5, top1_pct, top5_pct;

  bool Plottable() const { return status == "ok" && top1_pct && top5_pct; }
  auto SortKey() const {
    return std::make_tuple(model, framework, device, PrecisionRank(precision), precision);
  }
};

AccuracyPoint ReadAccuracyPoint(const json& j) {
  AccuracyPoint a;
  static_cast<ResultFields&>(a) = ReadResultFields(j);
  a.images = NumberField(j, "images");
  a.top1 = NumberField(j, "top1");
  a.top5 = NumberField(j, "top5");
  a.top1_pct = NumberField(j, "top1_pct");
  a.top5_pct = NumberField(j, "top5_pct");
  auto percent = [&](const std::optional<double>& count) -> std::optional<double> {
    if (!count || !a.images || *a.images <= 0) return std::nullopt;
    return 100.0 * *count / *a.images;
  };
  if (!a.top1_pct) a.top1_pct = percent(a.top1);
  if (!a.top5_pct) a.top5_pct = percent(a.top5);
  return a;
}

template <typename Point, typename Source>
std::vector<Point> SortedPoints(const std::vector<Source>& sources, Point (*read)(const Source&)) {
  std::vector<Point> points;
  for (const Source& source : sources) points.push_back(read(source));
  std::stable_sort(points.begin(), points.end(),
                   [](const Point& a, const Point& b) { return a.SortKey() < b.SortKey(); });
  return points;
}

// The plottable points, one per series and batch: a re-run replaces the
// earlier measurement (the last in input order wins). A point measured in
// several repetitions shows their aggregate: the median of the medians and
// the between-repetition interval.
std::vector<PerfPoint> LatestPlottable(const std::vector<PointResult>& performance) {
  std::map<decltype(PerfPoint().SortKey()), std::map<size_t, const PointResult*>> latest;
  std::map<decltype(PerfPoint().SortKey()), const PointResult*> last;
  for (const PointResult& r : performance) {
    const PerfPoint p = ReadPerfPoint(r);
    if (!p.Plottable()) continue;
    latest[p.SortKey()][r.repetition] = &r;
    last[p.SortKey()] = &r;
  }
  std::vector<PerfPoint> out;
  for (const auto& [key, repetitions] : latest) {
    PerfPoint p = ReadPerfPoint(*last.at(key));
    if (repetitions.size() > 1) {
      std::vector<PointResult> all;
      for (const auto& [index, r] : repetitions) all.push_back(*r);
      const ViewPoint aggregate = AggregateViewPoint(all);
      p.fps = Positive(aggregate.fps);
      p.fps_low = aggregate.fps_low;
      p.fps_high = aggregate.fps_high;
      p.repetitions = repetitions.size();
      p.flagged = aggregate.flagged;
    }
    out.push_back(std::move(p));
  }
  return out;
}

// "Run-to-run variability" for the header: what the repetitions measured,
// empty when no point has more than one.
std::string VariabilityText(const std::vector<PointResult>& results) {
  std::vector<PointResult> ok;
  size_t flagged = 0;
  for (const PointResult& r : results) {
    if (r.ok()) ok.push_back(r);
    if (!r.flags.empty()) ++flagged;
  }
  std::vector<double> between, within;
  size_t repetitions = 0;
  for (const RepeatedPoint& p : GroupRepetitions(ok)) {
    if (p.ok < 2) continue;
    between.push_back(p.latency.between_spread);
    within.push_back(p.latency.within_spread);
    repetitions += p.ok;
  }
  if (between.empty()) return "";
  return "Run-to-run variability measured: median between-repetition spread " +
         FormatFixed(100 * Median(between), 1) +
         "% (std / mean of the repetition medians) against " +
         FormatFixed(100 * Median(within), 1) +
         "% within one repetition (relative CI width), over " + std::to_string(between.size()) +
         " points with " + std::to_string(repetitions) + " repetitions; " +
         std::to_string(flagged) + " repetitions flagged for interference or drift.";
}

// ---- Formatting. ----

std::string Fps(double v) { return FormatSignificant(v, 4); }

std::string OptionalNumber(const std::optional<double>& v) {
  return v ? FormatSignificant(*v, 4) : "";
}

std::string Count(const std::optional<double>& v) { return v ? FormatTick(*v) : ""; }

std::string Interval(const std::optional<double>& lo, const std::optional<double>& hi) {
  return lo && hi ? "[" + Fps(*lo) + ", " + Fps(*hi) + "]" : "";
}

std::string Percent(double v) { return FormatFixed(v, 2) + "%"; }

std::string Gain(double best, const std::optional<double>& other) {
  if (!other || *other <= 0) return "";
  const double gain = 100.0 * (best / *other - 1);
  return (gain >= 0 ? "+" : "") + FormatFixed(gain, 1) + "%";
}

// Colours follow (framework, device) through every figure; markers too, so
// lines stay apart in greyscale; the dash tells the precision.
class SeriesStyles {
 public:
  explicit SeriesStyles(const std::vector<PerfPoint>& points) {
    for (const PerfPoint& p : points) index_.emplace(std::make_pair(p.framework, p.device), 0);
    int i = 0;
    for (auto& [key, index] : index_) index = i++;
  }
  std::string Color(const std::string& framework, const std::string& device) const {
    const auto it = index_.find({framework, device});
    const int i = it == index_.end() ? 0 : it->second;
    return ChartPalette()[i % ChartPalette().size()];
  }
  SeriesStyle Style(const PerfPoint& p, int variant) const {
    const auto it = index_.find({p.framework, p.device});
    const int i = it == index_.end() ? 0 : it->second;
    SeriesStyle style;
    style.color = Color(p.framework, p.device);
    const int rank = PrecisionRank(p.precision);
    // FP32 keeps the (framework, device) marker; other precisions shift it.
    style.marker = static_cast<Marker>((i + variant + (rank == 0 ? 0 : 3 + rank)) % kMarkerCount);
    style.dash = rank == 0 ? "" : rank <= 2 ? "7 4" : rank <= 4 ? "2 3" : "10 3 2 3";
    return style;
  }

 private:
  std::map<std::pair<std::string, std::string>, int> index_;
};

// ---- The figures. ----

bool SanityOnly(const json& dataset) {
  if (!dataset.is_object()) return false;
  const auto it = dataset.find("sanity_only");
  return it != dataset.end() && it->is_boolean() && it->get<bool>();
}

std::string DatasetDescription(const json& dataset) {
  const std::optional<double> images = NumberField(dataset, "images");
  std::string text = images ? FormatTick(*images) + " images" : "the labelled images";
  if (SanityOnly(dataset)) text += ", a sanity set (not ImageNet accuracy)";
  return text;
}

// The caller's dataset description, else the one accuracy results carry.
const json& AccuracyDataset(const ReportInput& in) {
  if (in.dataset.is_object() && !in.dataset.empty()) return in.dataset;
  for (const json& a : in.accuracy)
    if (!ObjectField(a, "dataset").empty()) return ObjectField(a, "dataset");
  return in.dataset;
}

BarChart AccuracyFigure(const std::vector<AccuracyPoint>& accuracy, const json& dataset,
                        int width) {
  BarChart chart;
  chart.title = "Fig. 1: Accuracy per framework and precision";
  chart.value_label = "accuracy on " + DatasetDescription(dataset) + " (%)";
  chart.series = {"top-1", "top-5"};
  chart.series_colors = {"#0072B2", "#56B4E9"};
  chart.value_max = 100;
  chart.width = width;
  chart.empty_message = "no data: no successful accuracy results";
  // Models and devices appear in a label only where they tell results apart.
  std::set<std::string> models, devices;
  for (const AccuracyPoint& a : accuracy) {
    models.insert(a.model);
    devices.insert(a.device);
  }
  for (const AccuracyPoint& a : accuracy) {
    if (!a.Plottable()) continue;
    std::string category = a.framework + " " + a.precision;
    if (devices.size() > 1) category += " " + a.device;
    if (models.size() > 1) category = a.model + " " + category;
    chart.categories.push_back(category);
    auto bar = [&](const char* name, double pct, const std::optional<double>& count) {
      Bar b;
      b.value = pct;
      b.annotation = Percent(pct);
      b.tooltip =
          category + " (" + a.framework + " " + a.version + "): " + name + " " + Percent(pct) +
          (count && a.images ? " (" + FormatTick(*count) + "/" + FormatTick(*a.images) + ")" : "");
      return b;
    };
    chart.bars.push_back({bar("top-1", *a.top1_pct, a.top1), bar("top-5", *a.top5_pct, a.top5)});
  }
  return chart;
}

// `model`: the figure's one model when the report holds several (its name
// ends the title), else "".
LineChart FpsFigure(const std::vector<PerfPoint>& latest, const SeriesStyles& styles,
                    bool fp32_only, bool log_y, int width, const std::string& model) {
  LineChart chart;
  chart.title = fp32_only ? "Fig. 2: FPS vs batch size, FP32 models"
                          : std::string("Fig. 3: FPS vs batch size, all precisions") +
                                (log_y ? " (log scale)" : "");
  if (!model.empty()) chart.title += ", " + model;
  chart.x_label = "batch size";
  chart.y_label = "FPS (images/s)";
  chart.log2_x = true;
  chart.log_y = log_y;
  chart.width = width;
  chart.empty_message =
      fp32_only ? "no data: no successful FP32 points" : "no data: no successful points";

  std::vector<const PerfPoint*> points;
  for (const PerfPoint& p : latest)
    if ((!fp32_only || ToUpper(p.precision) == "FP32") && (model.empty() || p.model == model))
      points.push_back(&p);
  // Params, model and target names appear in a series name only where they
  // tell series apart.
  std::set<std::string> models, targets;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::set<std::string>>
      params_sets;
  for (const PerfPoint* p : points) {
    models.insert(p->model);
    targets.insert(p->target);
    params_sets[{p->model, p->framework, p->device, p->precision}].insert(p->params);
  }
  std::map<decltype(PerfPoint().SeriesKey()), size_t> series_index;
  for (const PerfPoint* p : points) {
    const auto [it, added] = series_index.emplace(p->SeriesKey(), chart.series.size());
    if (added) {
      const std::set<std::string>& sets =
          params_sets[{p->model, p->framework, p->device, p->precision}];
      const int variant = static_cast<int>(std::distance(sets.begin(), sets.find(p->params)));
      LineSeries s;
      s.name = (models.size() > 1 ? p->model + " " : "") + p->framework + " " + p->device + " " +
               p->precision + (targets.size() > 1 ? " on " + p->target : "") +
               (sets.size() > 1 ? " [" + p->params + "]" : "");
      s.style = styles.Style(*p, variant);
      chart.series.push_back(std::move(s));
    }
    LinePoint lp;
    lp.x = p->batch;
    lp.y = *p->fps;
    lp.y_low = p->fps_low;
    lp.y_high = p->fps_high;
    lp.tooltip = "batch " + std::to_string(p->batch) + ", " + Fps(*p->fps) + " FPS" +
                 (p->fps_low && p->fps_high ? ", 95% CI " + Interval(p->fps_low, p->fps_high) : "");
    chart.series[it->second].points.push_back(lp);
  }
  return chart;
}

BarChart BestFpsFigure(const std::vector<PerfPoint>& latest, const SeriesStyles& styles, int width,
                       const std::string& model) {
  std::map<std::string, const PerfPoint*> best;  // per framework
  std::set<std::string> targets;
  for (const PerfPoint& p : latest) {
    if (!model.empty() && p.model != model) continue;
    targets.insert(p.target);
    const PerfPoint*& b = best[p.framework];
    if (!b || *p.fps > *b->fps) b = &p;
  }
  std::vector<const PerfPoint*> order;
  for (const auto& [framework, p] : best) order.push_back(p);
  std::stable_sort(order.begin(), order.end(),
                   [](const PerfPoint* a, const PerfPoint* b) { return *a->fps > *b->fps; });

  BarChart chart;
  chart.title = "Fig. 4: Best FPS per framework" + (model.empty() ? "" : ", " + model);
  chart.value_label = "FPS (images/s)";
  chart.series = {"best FPS"};
  chart.show_legend = false;  // the categories are the frameworks
  chart.width = width;
  chart.empty_message = "no data: no successful points";
  for (const PerfPoint* p : order) {
    chart.categories.push_back(p->framework);
    Bar bar;
    bar.value = *p->fps;
    bar.color = styles.Color(p->framework, p->device);
    bar.annotation = FormatSignificant(*p->fps, 3) + " FPS (" + p->device + ", " + p->precision +
                     ", batch " + std::to_string(p->batch) +
                     (targets.size() > 1 ? ", " + p->target : "") + ")";
    bar.tooltip =
        p->framework + " " + p->version + ", " + p->model + " " + p->model_format + ", params " +
        p->params + ": " + Fps(*p->fps) + " FPS" +
        (p->fps_low && p->fps_high ? ", 95% CI " + Interval(p->fps_low, p->fps_high) : "");
    chart.bars.push_back({bar});
  }
  return chart;
}

// ---- HTML. ----

struct Cell {
  std::string html;
  bool numeric = false;
};
Cell Text(const std::string& text) { return {EscapeXml(text), false}; }
Cell Number(const std::string& formatted) { return {EscapeXml(formatted), true}; }

std::string Table(const std::vector<std::string>& header,
                  const std::vector<std::vector<Cell>>& rows) {
  std::ostringstream out;
  out << "<div class=\"table-wrap\"><table>\n";
  if (!header.empty()) {
    out << "<thead><tr>";
    for (const std::string& h : header) out << "<th>" << EscapeXml(h) << "</th>";
    out << "</tr></thead>\n";
  }
  out << "<tbody>\n";
  for (const std::vector<Cell>& row : rows) {
    out << "<tr>";
    for (const Cell& c : row)
      out << (c.numeric ? "<td class=\"num\">" : "<td>") << c.html << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody></table></div>\n";
  return out.str();
}

Cell StatusCell(const std::string& status) {
  return {"<span class=\"status-" + EscapeXml(status) + "\">" + EscapeXml(status) + "</span>",
          false};
}

constexpr const char* kStyle = R"(body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;
max-width:1180px;margin:24px auto;padding:0 16px;color:#222;line-height:1.45;font-size:14px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;border-bottom:1px solid #ddd;
padding-bottom:4px;margin-top:36px}h3{font-size:15px;margin-top:20px}
.meta{color:#666;font-size:13px}nav a{margin-right:14px}
.warning{background:#fff4e0;border-left:4px solid #E69F00;padding:8px 12px;margin:10px 0}
figure{margin:22px 0;text-align:center}figure svg{max-width:100%;height:auto}
figcaption{font-size:13px;color:#555;max-width:820px;margin:6px auto 0;text-align:left}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f2f2f2}tbody tr:nth-child(even) td{background:#fafafa}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.status-ok{color:#1a7f37}
.status-failed,.status-timeout,.status-crashed{color:#b00020;font-weight:bold}
.error{white-space:pre-wrap;max-width:560px}code{font-size:12px}
details pre{white-space:pre-wrap;max-height:260px;overflow:auto;background:#f6f6f6;padding:6px;
font-size:11px;margin:4px 0}
)";

std::string Figure(const char* id, const std::string& svg, const std::string& caption) {
  return "<figure id=\"" + std::string(id) + "\">\n" + svg + "<figcaption>" + caption +
         "</figcaption>\n</figure>\n";
}

// A note naming the models whose model.json (docs/MODELS.md) says their
// weights were seeded, not trained: their figures are timings only. Empty
// when there are none, or when a model's metadata is not on this machine.
std::string SeededWeightsNote(const std::set<std::string>& models) {
  std::vector<std::string> seeded;
  for (const std::string& name : models) {
    try {
      if (const auto meta = FindModelMeta(name); meta && meta->seeded()) seeded.push_back(name);
    } catch (const UsageError&) {
    }
  }
  if (seeded.empty()) return "";
  return "<p class=\"warning\">Seeded weights, performance only: " + EscapeXml(Join(seeded, ", ")) +
         " (no package here ships trained weights for " + (seeded.size() > 1 ? "them" : "it") +
         "; their speed is real, their predictions mean nothing).</p>\n";
}

std::string HostSection(const ReportInput& in, const std::vector<PerfPoint>& perf,
                        const std::vector<AccuracyPoint>& accuracy) {
  std::ostringstream out;
  out << "<h2 id=\"host\">Host and versions</h2>\n";
  static const std::vector<std::pair<const char*, const char*>> host_fields = {
      {"hostname", "host name"},    {"cpu", "CPU"}, {"logical_cores", "logical cores"},
      {"memory_mb", "memory (MB)"}, {"os", "OS"},   {"kernel", "kernel"}};
  std::vector<std::vector<Cell>> rows;
  std::set<std::string> shown;
  for (const auto& [key, label] : host_fields) {
    shown.insert(key);
    if (in.host.is_object() && in.host.contains(key))
      rows.push_back({Text(label), Text(TextField(in.host, key))});
  }
  if (in.host.is_object())
    for (const auto& [key, value] : in.host.items())
      if (!shown.count(key)) rows.push_back({Text(key), Text(TextField(in.host, key.c_str()))});
  if (rows.empty())
    out << "<p>No host information was recorded.</p>\n";
  else
    out << Table({}, rows);

  struct Usage {
    std::set<std::string> versions, devices, precisions, formats;
    size_t ok = 0, total = 0;
  };
  std::map<std::string, Usage> frameworks;
  auto note = [&](const ResultFields& r) {
    Usage& u = frameworks[r.framework];
    if (!r.version.empty()) u.versions.insert(r.version);
    if (!r.device.empty()) u.devices.insert(r.device);
    if (!r.precision.empty()) u.precisions.insert(r.precision);
    if (!r.model_format.empty()) u.formats.insert(r.model_format);
    u.ok += r.status == "ok";
    ++u.total;
  };
  for (const PerfPoint& p : perf) note(p);
  for (const AccuracyPoint& a : accuracy) note(a);
  out << "<h3>Frameworks</h3>\n";
  rows.clear();
  for (const auto& [framework, u] : frameworks) {
    std::vector<std::string> devices(u.devices.begin(), u.devices.end());
    std::vector<std::string> precisions(u.precisions.begin(), u.precisions.end());
    std::sort(precisions.begin(), precisions.end(), [](const auto& a, const auto& b) {
      return std::make_pair(PrecisionRank(a), a) < std::make_pair(PrecisionRank(b), b);
    });
    rows.push_back({Text(framework), Text(Join({u.versions.begin(), u.versions.end()}, ", ")),
                    Text(Join(devices, ", ")), Text(Join(precisions, ", ")),
                    Text(Join({u.formats.begin(), u.formats.end()}, ", ")),
                    Number(std::to_string(u.ok) + " / " + std::to_string(u.total))});
  }
  if (rows.empty())
    out << "<p>No results.</p>\n";
  else
    out << Table(
        {"framework", "version", "devices", "precisions", "model formats", "results ok / total"},
        rows);

  std::set<std::tuple<std::string, std::string, std::string, std::string>> models;
  for (const PerfPoint& p : perf) {
    const PointResult& r = *p.result;
    models.insert({r.spec.model_name, r.spec.model_format, r.spec.model_path, r.model_sha256});
  }
  for (const json& j : in.accuracy) {
    const json& m = ObjectField(j, "model");
    models.insert({TextField(m, "name"), TextField(m, "format"), TextField(m, "path"),
                   TextField(m, "sha256")});
  }
  if (!models.empty()) {
    out << "<h3>Model files</h3>\n";
    rows.clear();
    for (const auto& [name, format, path, sha] : models)
      rows.push_back(
          {Text(name), Text(format), Text(path), {"<code>" + EscapeXml(sha) + "</code>", false}});
    out << Table({"model", "format", "file", "SHA-256"}, rows);
    std::set<std::string> names;
    for (const auto& m : models) names.insert(std::get<0>(m));
    out << SeededWeightsNote(names);
  }
  if (in.dataset.is_object() && !in.dataset.empty()) {
    out << "<h3>Accuracy data set</h3>\n";
    rows.clear();
    for (const auto& [key, value] : in.dataset.items())
      rows.push_back({Text(key), Text(TextField(in.dataset, key.c_str()))});
    out << Table({}, rows);
  }
  return out.str();
}

// ---- Flags. ----

// After a figure of a point one of whose repetitions was flagged.
constexpr const char* kFlagMark = " \u2691";

std::string FlagMark(size_t flagged) { return flagged ? kFlagMark : ""; }

std::string FlagLegend() {
  return "<p class=\"meta\">\u2691 flagged: a repetition of this point ran while the machine was "
         "disturbed (CPU steal, other processes, cgroup or thermal throttling, a frequency drop) "
         "or while the reference workload ran more than 10% away from its first reading "
         "(drift); see docs/METHODOLOGY.md, &quot;Repetitions, interference and drift&quot;.</p>\n";
}

// ---- Tables of the derived views (report/views.h). ----

std::string ModeText(const ViewPoint& p) {
  return p.throughput ? "throughput x" + std::to_string(p.requests) : "latency";
}

// "452.0 (batch 8)" or "610.3 (batch 1, 4 requests)", with the flag mark.
std::string FpsWithLaunch(const ViewPoint& p) {
  return Fps(p.fps) + " (batch " + std::to_string(p.batch) +
         (p.throughput ? ", " + std::to_string(p.requests) + " requests" : "") + ")" +
         FlagMark(p.flagged);
}

std::string FpsWithInterval(const ViewPoint& p) {
  const std::string interval = Interval(p.fps_low, p.fps_high);
  return Fps(p.fps) + (interval.empty() ? "" : " " + interval) + FlagMark(p.flagged);
}

std::string FpsOnly(const ViewPoint& p) { return Fps(p.fps) + FlagMark(p.flagged); }

// The pivot with its column fields as header rows (outer ones spanning their
// inner columns). A cell: the best FPS, "-" when every point of it failed,
// "N/A" when it was never measured.
std::string PivotHtml(const PivotTable& t, std::string (*cell_text)(const ViewPoint&),
                      bool* any_flagged) {
  std::ostringstream out;
  out << "<div class=\"table-wrap\"><table>\n<thead>";
  const size_t levels = t.columns.empty() ? 1 : t.columns.front().size();
  for (size_t level = 0; level < levels; ++level) {
    out << "<tr>";
    if (level == 0)
      for (const std::string& field : t.row_fields)
        out << (levels > 1 ? "<th rowspan=\"" + std::to_string(levels) + "\">" : "<th>")
            << EscapeXml(field) << "</th>";
    for (size_t c = 0; c < t.columns.size();) {
      size_t span = 1;
      while (level + 1 < levels && c + span < t.columns.size() &&
             std::equal(t.columns[c].begin(), t.columns[c].begin() + level + 1,
                        t.columns[c + span].begin()))
        ++span;
      out << (span > 1 ? "<th colspan=\"" + std::to_string(span) + "\">" : "<th>")
          << EscapeXml(t.columns[c][level]) << "</th>";
      c += span;
    }
    out << "</tr>\n";
  }
  out << "</thead>\n<tbody>\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    out << "<tr>";
    for (const std::string& field : t.rows[r]) out << "<td>" << EscapeXml(field) << "</td>";
    for (const PivotCell& cell : t.cells[r]) {
      if (cell.best && cell.best->flagged) *any_flagged = true;
      out << "<td class=\"num\">"
          << EscapeXml(cell.best       ? cell_text(*cell.best)
                       : cell.measured ? "-"
                                       : "N/A")
          << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table></div>\n";
  return out.str();
}

std::string ModeBestTable(const std::vector<ViewPoint>& views, bool* any_flagged) {
  const bool targets = Targets(views).size() > 1, models = Models(views).size() > 1;
  std::vector<std::string> header;
  if (targets) header.push_back("target");
  if (models) header.push_back("model");
  header.insert(header.end(), {"framework", "device", "precision", "mode", "best params", "batch",
                               "requests", "FPS", "95% CI", "default batch", "default requests",
                               "default FPS", "default 95% CI", "best vs default"});
  std::vector<std::vector<Cell>> rows;
  for (const ModeBest& b : FindBestPerMode(views)) {
    std::vector<Cell> row;
    if (targets) row.push_back(Text(b.target));
    if (models) row.push_back(Text(b.model));
    auto launch = [&](const ViewPoint* p) -> std::vector<Cell> {
      if (!p) return {Number("not measured"), Number(""), Number(""), Number("")};
      if (p->flagged) *any_flagged = true;
      return {Number(std::to_string(p->batch)),
              Number(p->throughput ? std::to_string(p->requests) : "-"),
              Number(Fps(p->fps) + FlagMark(p->flagged)),
              Number(Interval(p->fps_low, p->fps_high))};
    };
    const std::vector<Cell> best = launch(b.best), fallback = launch(b.best_default);
    row.insert(row.end(),
               {Text(b.framework), Text(b.device), Text(b.precision),
                Text(b.throughput ? "throughput" : "latency"), Text(ParamsText(b.best->params))});
    row.insert(row.end(), best.begin(), best.end());
    row.insert(row.end(), fallback.begin(), fallback.end());
    std::string gain;
    if (b.best != b.best_default && b.Gain()) {
      gain = (*b.Gain() >= 0 ? "+" : "") + FormatFixed(100 * *b.Gain(), 1) + "%";
      if (b.GainWithinNoise()) gain += " (within noise)";
    }
    row.push_back(Number(gain));
    rows.push_back(std::move(row));
  }
  return Table(header, rows);
}

std::string BestParamsSection(const std::vector<BestParams>& best,
                              const std::vector<ViewPoint>& views) {
  std::ostringstream out;
  out << "<h2 id=\"best-params\">Best launch parameters</h2>\n";
  if (best.empty()) return out.str() + "<p>No successful performance points.</p>\n";
  bool any_flagged = false;
  if (AnyNonDefaultParams(views))
    out << "<p>Per framework, device, precision and mode: the fastest point (its parameters, "
           "batch size and requests in flight) beside the fastest point measured with the "
           "framework's default parameters, and the gain. A gain whose 95% confidence intervals "
           "overlap is marked &quot;within noise&quot;.</p>\n";
  else
    out << "<p>Defaults only: every point was measured with the framework's default "
           "parameters, so the best point per framework, device, precision and mode is its "
           "best batch size (and request count).</p>\n";
  out << ModeBestTable(views, &any_flagged);
  if (any_flagged) out << FlagLegend();
  const bool targets = Targets(views).size() > 1;
  auto lead = [&](const BestParams& b, std::vector<Cell> row) {
    if (targets) row.insert(row.begin(), Text(b.target));
    return row;
  };
  auto lead_header = [&](std::vector<std::string> header) {
    if (targets) header.insert(header.begin(), "target");
    return header;
  };
  any_flagged = false;
  std::vector<std::vector<Cell>> compared, single;
  for (const BestParams& b : best) {
    any_flagged |= b.best_flagged > 0;
    const Cell best_fps = Number(Fps(b.best_fps) + FlagMark(b.best_flagged));
    if (b.params_sets == 1) {
      single.push_back(lead(
          b, {Text(b.framework), Text(b.device), Text(b.precision), Number(std::to_string(b.batch)),
              Text(b.best_params), best_fps, Number(Interval(b.best_fps_low, b.best_fps_high))}));
      continue;
    }
    auto gain = [&](const std::optional<double>& other, const std::optional<double>& other_high) {
      std::string text = Gain(b.best_fps, other);
      if (!text.empty() && b.best_fps_low && other_high && *b.best_fps_low <= *other_high)
        text += " (within noise)";
      return Number(text);
    };
    compared.push_back(
        lead(b, {Text(b.framework), Text(b.device), Text(b.precision),
                 Number(std::to_string(b.batch)), Number(std::to_string(b.params_sets)),
                 Text(b.best_params), best_fps, Number(Interval(b.best_fps_low, b.best_fps_high)),
                 Number(b.default_fps ? Fps(*b.default_fps) : "not measured"),
                 gain(b.default_fps, b.default_fps_high), Text(b.worst_params),
                 Number(Fps(b.worst_fps)), gain(b.worst_fps, b.worst_fps_high)}));
  }
  const std::vector<std::string> single_header =
      lead_header({"framework", "device", "precision", "batch", "params", "FPS", "95% CI"});
  out << "<h3>Per batch size</h3>\n";
  if (compared.empty()) {
    out << "<p>Every framework, device, precision and batch size was measured with one "
           "parameter set.</p>\n"
        << Table(single_header, single);
    if (any_flagged) out << FlagLegend();
    return out.str();
  }
  out << "<p>For every framework, device, precision and batch size measured with several "
         "parameter sets: the set with the highest FPS, compared with the default parameters "
         "and with the slowest set. A gain whose 95% confidence intervals overlap is marked "
         "&quot;within noise&quot;.</p>\n"
      << Table(lead_header({"framework", "device", "precision", "batch", "params sets",
                            "best params", "best FPS", "95% CI", "default FPS", "best vs default",
                            "worst params", "worst FPS", "best vs worst"}),
               compared);
  if (!single.empty())
    out << "<details><summary>" << single.size()
        << " more measured with one parameter set only</summary>\n"
        << Table(single_header, single) << "</details>\n";
  if (any_flagged) out << FlagLegend();
  return out.str();
}

std::string ModesSection(const std::vector<ViewPoint>& views) {
  std::ostringstream out;
  out << "<h2 id=\"modes\">Latency and throughput modes</h2>\n";
  if (views.empty()) return out.str() + "<p>No performance points.</p>\n";
  out << "<p>The layout of the published DLI tables: per framework, precision and mode, the "
         "highest FPS with the batch size (and requests in flight) that reached it. Latency "
         "mode: one request at a time; throughput mode: several requests in flight "
         "(docs/METHODOLOGY.md). N/A: never measured; -: measured, and every point failed.</p>\n";
  bool any_flagged = false;
  out << PivotHtml(ModesTable(views), &FpsWithLaunch, &any_flagged);
  if (any_flagged) out << FlagLegend();
  return out.str();
}

std::string TargetsSection(const std::vector<ViewPoint>& views) {
  if (Targets(views).size() < 2) return "";
  std::ostringstream out;
  out << "<h2 id=\"targets\">Across targets</h2>\n"
         "<p>The highest FPS of each framework, precision and batch size on each target "
         "machine, over its parameter sets and modes, with its 95% interval. N/A: never "
         "measured there; -: measured, and every point failed.</p>\n";
  bool any_flagged = false;
  out << PivotHtml(TargetsTable(views), &FpsWithInterval, &any_flagged);
  if (any_flagged) out << FlagLegend();
  return out.str();
}

std::string ModelsSection(const std::vector<ViewPoint>& views) {
  if (Models(views).size() < 2) return "";
  std::ostringstream out;
  out << "<h2 id=\"models\">Across models</h2>\n"
         "<p>The layout of the published DLI tables: the highest FPS of each model and batch "
         "size per framework and precision, over parameter sets and modes. -: measured, and "
         "every point failed; N/A: never measured (for example, the model was not converted "
         "for that framework).</p>\n";
  bool any_flagged = false;
  out << PivotHtml(ModelsTable(views), &FpsOnly, &any_flagged);
  if (any_flagged) out << FlagLegend();
  const std::vector<std::string> names = Models(views);
  out << SeededWeightsNote({names.begin(), names.end()});
  return out.str();
}

std::string NormalizedSection(const std::vector<ViewPoint>& views) {
  std::ostringstream out;
  out << "<h2 id=\"normalized\">Normalised FPS (derived: normalised by the reference "
         "workload)</h2>\n"
         "<p class=\"warning\">Derived: normalised by the reference workload. Not a "
         "measurement: each repetition's FPS is multiplied by its drift ratio (the reference "
         "workload's time around the repetition over its first reading in the study), which "
         "estimates the FPS in the machine's state when the study began. The measured FPS "
         "stays the figure of record (docs/METHODOLOGY.md, &quot;Normalising by the reference "
         "workload&quot;).</p>\n";
  const bool targets = Targets(views).size() > 1, models = Models(views).size() > 1;
  std::vector<std::vector<Cell>> rows;
  for (const ViewPoint& p : views) {
    if (!p.ok || !p.normalized_fps) continue;
    std::vector<Cell> row;
    if (targets) row.push_back(Text(p.target));
    if (models) row.push_back(Text(p.model));
    row.insert(row.end(), {Text(p.framework), Text(p.device), Text(p.precision),
                           Number(std::to_string(p.batch)), Text(ParamsText(p.params)),
                           Text(ModeText(p)), Number(Fps(p.fps) + FlagMark(p.flagged)),
                           Number(FormatFixed(*p.drift_ratio, 3)), Number(Fps(*p.normalized_fps))});
    rows.push_back(std::move(row));
  }
  if (rows.empty())
    return out.str() +
           "<p>No successful repetition carries a drift ratio: there is nothing to "
           "normalise.</p>\n";
  std::vector<std::string> header;
  if (targets) header.push_back("target");
  if (models) header.push_back("model");
  header.insert(header.end(),
                {"framework", "device", "precision", "batch", "params", "mode", "measured FPS",
                 "drift ratio", "FPS (derived: normalised by the reference workload)"});
  out << Table(header, rows);
  return out.str();
}

// `targets`: name each point's target (the results come from several).
std::string FailedSection(const std::vector<PerfPoint>& perf,
                          const std::vector<AccuracyPoint>& accuracy, bool targets) {
  std::ostringstream out;
  out << "<h2 id=\"failed\">Failed points</h2>\n";
  std::vector<std::vector<Cell>> rows;
  auto reason = [](const std::string& error, const std::string& stderr_tail) {
    std::string html = "<div class=\"error\">" +
                       EscapeXml(error.empty() ? "(no error message recorded)" : error) + "</div>";
    if (!stderr_tail.empty())
      html += "<details><summary>stderr tail</summary><pre>" + EscapeXml(stderr_tail) +
              "</pre></details>";
    return Cell{html, false};
  };
  for (const PerfPoint& p : perf)
    if (p.status != "ok") {
      rows.push_back({Text("performance"), Text(p.framework), Text(p.device), Text(p.precision),
                      Number(p.batch ? std::to_string(p.batch) : ""), Text(p.params),
                      StatusCell(p.status), reason(p.error, p.stderr_tail)});
      if (targets) rows.back().insert(rows.back().begin() + 1, Text(p.target));
    }
  for (const AccuracyPoint& a : accuracy)
    if (a.status != "ok") {
      rows.push_back({Text("accuracy"), Text(a.framework), Text(a.device), Text(a.precision),
                      Number(""), Text(""), StatusCell(a.status), reason(a.error, a.stderr_tail)});
      if (targets) rows.back().insert(rows.back().begin() + 1, Text(""));
    }
  if (rows.empty()) return out.str() + "<p>None: every point succeeded.</p>\n";
  std::vector<std::string> header = {"kind",  "framework", "device", "precision",
                                     "batch", "params",    "status", "reason"};
  if (targets) header.insert(header.begin() + 1, "target");
  out << Table(header, rows);
  return out.str();
}

std::string AccuracySection(const std::vector<AccuracyPoint>& accuracy) {
  std::ostringstream out;
  out << "<h2 id=\"accuracy\">Accuracy results</h2>\n";
  if (accuracy.empty()) return out.str() + "<p>No accuracy results.</p>\n";
  std::vector<std::vector<Cell>> rows;
  for (const AccuracyPoint& a : accuracy) {
    // A failed run scored nothing: its zeros would read as a measurement.
    const bool ok = a.status == "ok";
    auto percent = [&](const std::optional<double>& v) { return ok && v ? Percent(*v) : ""; };
    rows.push_back({Text(a.framework), Text(a.version), Text(a.device), Text(a.precision),
                    Text(a.model + " " + a.model_format), Number(ok ? Count(a.images) : ""),
                    Number(ok ? Count(a.top1) : ""), Number(percent(a.top1_pct)),
                    Number(ok ? Count(a.top5) : ""), Number(percent(a.top5_pct)),
                    StatusCell(a.status)});
  }
  out << Table({"framework", "version", "device", "precision", "model", "images", "top-1",
                "top-1 %", "top-5", "top-5 %", "status"},
               rows);
  return out.str();
}

// A status with the repetition's flags after it.
Cell FlaggedStatusCell(const PointResult& r) {
  Cell cell = StatusCell(r.status);
  if (!r.flags.empty())
    cell.html +=
        "<span class=\"flag\">" + EscapeXml(kFlagMark + (" " + Join(r.flags, ","))) + "</span>";
  return cell;
}

// `targets`: name each point's target (the results come from several).
std::string PerformanceSection(const std::vector<PerfPoint>& perf, bool targets) {
  std::ostringstream out;
  out << "<h2 id=\"points\">All performance points</h2>\n"
         "<p>Latencies in milliseconds over the samples kept by the 3-sigma filter; FPS = "
         "batch / median latency; the FPS interval follows from the 95% confidence interval "
         "of the median latency.</p>\n";
  if (perf.empty()) return out.str() + "<p>No performance points.</p>\n";
  std::vector<std::vector<Cell>> rows;
  for (const PerfPoint& p : perf) {
    const PointResult& r = *p.result;
    const LatencySummary& l = r.latency;
    // Blank where the JSON has null (ResultToJson): statistics of a failed
    // point, times it never reached.
    auto ms = [&](double v) { return Number(r.ok() ? FormatSignificant(v, 4) : ""); };
    auto time = [&](double v) { return Number(r.ok() || v > 0 ? FormatSignificant(v, 4) : ""); };
    const size_t kept = l.samples_kept, dropped = l.samples_dropped;
    rows.push_back({Text(p.framework),
                    Text(p.version),
                    Text(p.device),
                    Text(p.precision),
                    Number(std::to_string(p.batch)),
                    Text(p.params),
                    FlaggedStatusCell(r),
                    Number(p.status == "ok" ? OptionalNumber(p.fps) : ""),
                    Number(Interval(p.fps_low, p.fps_high)),
                    ms(l.median),
                    ms(l.mean),
                    ms(l.std),
                    ms(l.min),
                    ms(l.p90),
                    ms(l.p99),
                    ms(l.max),
                    Number(r.ok() ? Interval(l.ci95.low, l.ci95.high) : ""),
                    Number(kept + dropped > 0 ? FormatTick(static_cast<double>(kept)) + " / " +
                                                    FormatTick(static_cast<double>(dropped))
                                              : ""),
                    Text(r.stop_reason),
                    time(r.first_inference_ms),
                    time(r.load_ms)});
    if (targets) rows.back().insert(rows.back().begin(), Text(p.target));
  }
  std::vector<std::string> header = {"framework",     "version",
                                     "device",        "precision",
                                     "batch",         "params",
                                     "status",        "FPS",
                                     "FPS 95% CI",    "median",
                                     "mean",          "std",
                                     "min",           "p90",
                                     "p99",           "max",
                                     "median 95% CI", "kept / dropped",
                                     "stop reason",   "first inference",
                                     "load"};
  if (targets) header.insert(header.begin(), "target");
  out << Table(header, rows);
  if (std::any_of(perf.begin(), perf.end(),
                  [](const PerfPoint& p) { return !p.result->flags.empty(); }))
    out << FlagLegend();
  return out.str();
}

// A name for files and element ids: letters, digits, '.', '_' and '-'.
std::string FileSafe(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return out;
}

// ---- The machine's state across the study (issue: trustworthy numbers). ----

std::string UtcText(int64_t ms, const char* format) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

// The 1-minute load average at the end of the window, else at its start.
std::optional<double> LoadAverage(const json& interference) {
  for (const char* key : {"load_after", "load_before"}) {
    const auto it = interference.is_object() ? interference.find(key) : interference.end();
    if (interference.is_object() && it != interference.end() && it->is_array() && !it->empty() &&
        (*it)[0].is_number())
      return (*it)[0].get<double>();
  }
  return std::nullopt;
}

// Four panels over one time axis, one point per repetition's measured
// window; flagged repetitions are crosses on top. nullopt when no
// repetition recorded its window.
std::optional<std::string> MachineTimeline(const std::vector<PointResult>& results, int width,
                                           std::string* start_text) {
  std::vector<const PointResult*> recorded;
  for (const PointResult& r : results)
    if (r.machine.recorded()) recorded.push_back(&r);
  if (recorded.empty()) return std::nullopt;
  int64_t t0 = recorded.front()->machine.window_start_utc_ms;
  for (const PointResult* r : recorded) t0 = std::min(t0, r->machine.window_start_utc_ms);
  *start_text = UtcText(t0, "%Y-%m-%d %H:%M:%S UTC");

  struct Panel {
    const char* title;
    const char* y_label;
    std::optional<double> (*value)(const PointResult&);
  };
  static const std::vector<Panel> panels = {
      {"CPU steal", "steal (% of CPU time)",
       [](const PointResult& r) -> std::optional<double> {
         const auto v = NumberField(r.machine.interference, "steal_fraction");
         return v ? std::optional<double>(100 * *v) : std::nullopt;
       }},
      {"Other processes", "CPUs busy with other processes",
       [](const PointResult& r) { return NumberField(r.machine.interference, "other_cpus"); }},
      {"Load average", "1-minute load average",
       [](const PointResult& r) { return LoadAverage(r.machine.interference); }},
      {"Drift of the reference workload", "drift ratio (1 = first reading)",
       [](const PointResult& r) { return Positive(r.machine.drift_ratio); }}};
  std::vector<LineChart> charts;
  for (const Panel& panel : panels) {
    LineChart chart;
    chart.title = panel.title;
    chart.x_label = "minutes since " + *start_text + " (start of each measured window)";
    chart.y_label = panel.y_label;
    chart.log2_x = false;
    chart.width = width;
    chart.plot_height = 150;
    chart.empty_message = "not recorded: the machine did not expose this counter";
    LineSeries all, flagged;
    all.name = "repetitions";
    all.style.color = ChartPalette()[0];
    flagged.name = "flagged repetitions";
    flagged.style.color = "#D55E00";
    flagged.style.marker = Marker::kCross;
    flagged.style.line = false;
    for (const PointResult* r : recorded) {
      const std::optional<double> value = panel.value(*r);
      if (!value) continue;
      LinePoint p;
      p.x = (r->machine.window_start_utc_ms - t0) / 60000.0;
      p.y = *value;
      const int64_t end = r->machine.window_end_utc_ms;
      p.tooltip = PointLabel(r->spec) + ", repetition " + std::to_string(r->repetition + 1) + ", " +
                  UtcText(r->machine.window_start_utc_ms, "%H:%M:%S") +
                  (end ? "-" + UtcText(end, "%H:%M:%S") : "") +
                  " UTC: " + FormatSignificant(*value, 3) +
                  (r->flags.empty() ? "" : ", flagged " + Join(r->flags, ","));
      all.points.push_back(p);
      if (!r->flags.empty()) flagged.points.push_back(p);
    }
    chart.series.push_back(std::move(all));
    if (!flagged.points.empty()) chart.series.push_back(std::move(flagged));
    charts.push_back(std::move(chart));
  }
  return RenderStackedLineCharts("Machine state across the study", charts);
}

std::string MachineSection(const std::optional<std::string>& timeline,
                           const std::string& start_text, size_t flagged) {
  std::ostringstream out;
  out << "<h2 id=\"machine\">Machine state across the study</h2>\n";
  if (!timeline)
    return out.str() +
           "<p>Machine state was not recorded for these results: no repetition carries the "
           "record of its measured window (results from before that record, or points that "
           "failed before measuring).</p>\n";
  out << "<figure id=\"machine-state\">\n"
      << *timeline
      << "<figcaption>One point per repetition, at the start of its measured window (minutes "
         "since "
      << EscapeXml(start_text)
      << "): CPU steal, CPUs kept busy by other processes and the load average over the "
         "window, and the reference workload's drift ratio around it. Crosses: the "
      << flagged
      << " flagged repetitions. A panel without data says the machine did not expose that "
         "counter.</figcaption>\n</figure>\n";
  return out.str();
}

// ---- Latency against throughput (issue: throughput mode). ----

// One figure per precision: each framework's points at (median latency per
// request, FPS), its Pareto front joined by a line, the points off the front
// as crosses.
std::vector<std::pair<std::string, LineChart>> LatencyThroughputFigures(
    const std::vector<ViewPoint>& views, const SeriesStyles& styles, int width) {
  std::vector<std::string> precisions;
  for (const ViewPoint& p : views)
    if (p.ok && std::find(precisions.begin(), precisions.end(), p.precision) == precisions.end())
      precisions.push_back(p.precision);
  const bool targets = Targets(views).size() > 1, models = Models(views).size() > 1;
  std::vector<std::pair<std::string, LineChart>> out;
  for (const std::string& precision : precisions) {
    LineChart chart;
    chart.title = "Fig. 5: Latency vs throughput, " + precision;
    chart.x_label = "median latency per request (ms)";
    chart.y_label = "FPS (images/s)";
    chart.log2_x = false;
    chart.width = width;
    // Series in the views' order: (target, model, framework, device).
    std::vector<std::pair<std::string, std::vector<const ViewPoint*>>> groups;
    for (const ViewPoint& p : views) {
      if (!p.ok || p.precision != precision) continue;
      const std::string name = (targets ? p.target + " " : "") + (models ? p.model + " " : "") +
                               p.framework + " " + p.device;
      if (groups.empty() || groups.back().first != name) groups.push_back({name, {}});
      groups.back().second.push_back(&p);
    }
    for (const auto& [name, points] : groups) {
      std::vector<std::pair<double, double>> coordinates;
      for (const ViewPoint* p : points) coordinates.emplace_back(p->latency_ms, p->fps);
      const std::vector<size_t> front = ParetoFront(coordinates);
      PerfPoint style_key;
      style_key.framework = points.front()->framework;
      style_key.device = points.front()->device;
      style_key.precision = "FP32";  // solid lines: the figure holds one precision
      LineSeries on, off;
      on.name = name + " (Pareto front)";
      on.style = styles.Style(style_key, 0);
      off.name = name + " (other points)";
      off.style = on.style;
      off.style.marker = Marker::kCross;
      off.style.line = false;
      for (size_t i = 0; i < points.size(); ++i) {
        const ViewPoint& p = *points[i];
        LinePoint lp;
        lp.x = p.latency_ms;
        lp.y = p.fps;
        lp.tooltip = "batch " + std::to_string(p.batch) + ", " + ModeText(p) + ", params " +
                     ParamsText(p.params) + ": " + Fps(p.fps) + " FPS at " +
                     FormatSignificant(p.latency_ms, 3) + " ms per request" + FlagMark(p.flagged);
        (std::find(front.begin(), front.end(), i) != front.end() ? on : off)
            .points.push_back(std::move(lp));
      }
      chart.series.push_back(std::move(on));
      if (!off.points.empty()) chart.series.push_back(std::move(off));
    }
    out.emplace_back(precision, std::move(chart));
  }
  return out;
}

}  // namespace

std::vector<BestParams> FindBestParams(const std::vector<json>& performance) {
  return FindBestParams(ReadResults(performance));
}

std::vector<BestParams> FindBestParams(const std::vector<PointResult>& performance) {
  // Latency and throughput mode measure different things: never compared.
  std::map<std::tuple<std::string, std::string, std::string, int, std::string, int, std::string,
                      std::string>,
           std::vector<PerfPoint>>
      groups;
  for (PerfPoint& p : LatestPlottable(performance))
    groups[{p.model, p.framework, p.device, PrecisionRank(p.precision), p.precision, p.batch,
            p.target, MeasureModeText(p.result->spec)}]
        .push_back(std::move(p));
  std::vector<BestParams> out;
  for (const auto& [key, points] : groups) {
    auto by_fps = [](const PerfPoint& a, const PerfPoint& b) { return *a.fps < *b.fps; };
    const PerfPoint& best = *std::max_element(points.begin(), points.end(), by_fps);
    const PerfPoint& worst = *std::min_element(points.begin(), points.end(), by_fps);
    BestParams b;
    b.model = best.model;
    b.framework = best.framework;
    b.device = best.device;
    b.precision = best.precision;
    b.target = best.target;
    b.batch = best.batch;
    b.params_sets = points.size();
    b.best_params = best.params;
    b.best_fps = *best.fps;
    b.best_fps_low = best.fps_low;
    b.best_fps_high = best.fps_high;
    b.best_flagged = best.flagged;
    for (const PerfPoint& p : points)
      if (p.result->spec.params.empty()) {
        b.default_fps = p.fps;
        b.default_fps_low = p.fps_low;
        b.default_fps_high = p.fps_high;
      }
    b.worst_params = worst.params;
    b.worst_fps = *worst.fps;
    b.worst_fps_high = worst.fps_high;
    out.push_back(std::move(b));
  }
  return out;
}

RenderedReport RenderReport(const ReportInput& in, const ReportOptions& opts) {
  const std::vector<PointResult> results = ReadResults(in.performance);
  const std::vector<PerfPoint> perf = SortedPoints(results, &ReadPerfPoint);
  const std::vector<AccuracyPoint> accuracy = SortedPoints(in.accuracy, &ReadAccuracyPoint);
  const std::vector<PerfPoint> latest = LatestPlottable(results);
  const SeriesStyles styles(latest);

  const std::vector<ViewPoint> views = BuildViewPoints(results);
  std::set<std::string> models;
  for (const PerfPoint& p : latest) models.insert(p.model);
  // Figures 2-4 once per model where there are several ("" = all points).
  std::vector<std::string> figure_models = {""};
  if (models.size() > 1) figure_models.assign(models.begin(), models.end());

  RenderedReport report;
  report.figures = {{"fig1_accuracy.svg", RenderBarChart(AccuracyFigure(
                                              accuracy, AccuracyDataset(in), opts.figure_width))}};
  for (const std::string& model : figure_models) {
    const std::string suffix = model.empty() ? "" : "_" + FileSafe(model);
    report.figures.push_back(
        {"fig2_fps_fp32" + suffix + ".svg",
         RenderLineChart(FpsFigure(latest, styles, true, false, opts.figure_width, model))});
    report.figures.push_back(
        {"fig3_fps_all_precisions" + suffix + ".svg",
         RenderLineChart(FpsFigure(latest, styles, false, opts.log_y, opts.figure_width, model))});
    report.figures.push_back(
        {"fig4_best_fps" + suffix + ".svg",
         RenderBarChart(BestFpsFigure(latest, styles, opts.figure_width, model))});
  }
  // Latency against throughput only says more than Fig. 2 once some point
  // kept several requests in flight.
  const bool any_throughput = std::any_of(views.begin(), views.end(),
                                          [](const ViewPoint& p) { return p.ok && p.throughput; });
  std::vector<std::string> fig5_precisions;
  if (any_throughput)
    for (auto& [precision, chart] : LatencyThroughputFigures(views, styles, opts.figure_width)) {
      report.figures.push_back({"fig5_latency_throughput_" + FileSafe(ToLower(precision)) + ".svg",
                                RenderLineChart(chart)});
      fig5_precisions.push_back(precision);
    }
  std::string timeline_start;
  const std::optional<std::string> timeline =
      MachineTimeline(results, opts.figure_width, &timeline_start);
  if (timeline) report.figures.push_back({"machine_state.svg", *timeline});
  const size_t flagged = std::count_if(results.begin(), results.end(),
                                       [](const PointResult& r) { return !r.flags.empty(); });
  const bool several_targets = Targets(views).size() > 1;

  const size_t perf_failed =
      std::count_if(perf.begin(), perf.end(), [](const PerfPoint& p) { return p.status != "ok"; });
  const size_t accuracy_failed = std::count_if(
      accuracy.begin(), accuracy.end(), [](const AccuracyPoint& a) { return a.status != "ok"; });
  const std::string title = in.title.empty() ? "DLI benchmark report" : in.title;

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
       << EscapeXml(title) << "</title>\n<style>\n"
       << kStyle << "</style>\n</head>\n<body>\n"
       << "<h1>" << EscapeXml(title) << "</h1>\n";
  if (!opts.generated_by.empty())
    html << "<p class=\"meta\">Generated by " << EscapeXml(opts.generated_by) << "</p>\n";
  html << "<p>" << perf.size() << " performance points (" << perf_failed << " failed), "
       << accuracy.size() << " accuracy results (" << accuracy_failed << " failed).</p>\n";
  if (const std::string variability = VariabilityText(results); !variability.empty())
    html << "<p class=\"meta\">" << EscapeXml(variability) << "</p>\n";
  if (!in.notes.empty()) {
    html << "<ul class=\"notes\">\n";
    for (const std::string& note : in.notes) html << "<li>" << EscapeXml(note) << "</li>\n";
    html << "</ul>\n";
  }
  html << "<nav><a href=\"#fig1\">Figures</a><a href=\"#best-params\">Best parameters</a>"
          "<a href=\"#machine\">Machine state</a><a href=\"#modes\">Modes</a>"
          "<a href=\"#failed\">Failed points</a><a href=\"#host\">Host and versions</a>"
          "<a href=\"#accuracy\">Accuracy</a><a href=\"#points\">All points</a></nav>\n"
       << "<h2>Figures</h2>\n";
  if (SanityOnly(in.dataset))
    html << "<p class=\"warning\">Accuracy was measured on a sanity set of "
         << EscapeXml(TextField(in.dataset, "images"))
         << " images, not on the ImageNet validation set: it shows that the converted models "
            "agree, not how accurate the model is.</p>\n";
  html << Figure("fig1", report.figures[0].second,
                 "Top-1 and top-5 accuracy of every converted model, per framework and weight "
                 "precision, with the same preprocessing for every framework.");
  for (size_t m = 0; m < figure_models.size(); ++m) {
    const std::string& model = figure_models[m];
    const std::string id_suffix = model.empty() ? "" : "-" + FileSafe(model);
    const std::string of_model = model.empty() ? "" : " (model " + EscapeXml(model) + ")";
    html << Figure(("fig2" + id_suffix).c_str(), report.figures[1 + 3 * m].second,
                   "Throughput of the FP32 models against batch size, one line per framework, "
                   "device and precision (and parameter set where several were measured)" +
                       of_model +
                       ". Bands and error bars: 95% confidence interval, from the interval of "
                       "the median latency.")
         << Figure(("fig3" + id_suffix).c_str(), report.figures[2 + 3 * m].second,
                   std::string("The same with the FP16 and INT8 models (dashed and dotted lines)") +
                       of_model + (opts.log_y ? ", on a logarithmic FPS axis." : "."))
         << Figure(("fig4" + id_suffix).c_str(), report.figures[3 + 3 * m].second,
                   "The highest FPS each framework reached, with the device, precision and batch "
                   "size that achieved it" +
                       of_model + ".");
  }
  for (size_t i = 0; i < fig5_precisions.size(); ++i)
    html << Figure(("fig5-" + FileSafe(ToLower(fig5_precisions[i]))).c_str(),
                   report.figures[1 + 3 * figure_models.size() + i].second,
                   "Median latency per request against FPS for the " +
                       EscapeXml(fig5_precisions[i]) +
                       " models, every batch size, mode and parameter set: each framework's "
                       "Pareto front (no other point of it has both lower latency and higher "
                       "FPS) joined by a line, its other points as crosses.");
  html << MachineSection(timeline, timeline_start, flagged)
       << BestParamsSection(FindBestParams(results), views) << ModesSection(views)
       << TargetsSection(views) << ModelsSection(views)
       << (opts.normalize ? NormalizedSection(views) : "")
       << FailedSection(perf, accuracy, several_targets) << HostSection(in, perf, accuracy)
       << AccuracySection(accuracy) << PerformanceSection(perf, several_targets)
       << "</body>\n</html>\n";
  report.html = html.str();
  return report;
}

}  // namespace dli
