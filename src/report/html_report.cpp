#include "report/html_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "core/point.h"
#include "core/repeated_point.h"
#include "core/stats.h"
#include "report/svg_chart.h"
#include "core/text.h"

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

// Frequent precisions first, in the order the paper discusses them.
int PrecisionRank(const std::string& precision) {
  static const std::vector<std::string> order = {"FP32", "FP16", "BF16", "INT8", "UINT8"};
  const auto it = std::find(order.begin(), order.end(), ToUpper(precision));
  return static_cast<int>(it - order.begin());
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
  std::string params;
  int batch = 0;
  std::optional<double> fps, fps_low, fps_high;
  size_t repetitions = 1;  // aggregated into fps and its interval

  bool Plottable() const { return status == "ok" && fps && *fps > 0 && batch > 0; }
  // (model, framework, device, precision, params): one line in Fig. 2/3.
  std::tuple<std::string, std::string, std::string, int, std::string, std::string> SeriesKey()
      const {
    return {model, framework, device, PrecisionRank(precision), precision, params};
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
  p.batch = s.batch;
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
      const RepeatedPoint aggregate = AggregatePoint(std::move(all));
      p.fps = Positive(aggregate.fps);
      p.fps_low = Positive(aggregate.fps_interval.low);
      p.fps_high = Positive(aggregate.fps_interval.high);
      p.repetitions = repetitions.size();
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

LineChart FpsFigure(const std::vector<PerfPoint>& latest, const SeriesStyles& styles,
                    bool fp32_only, bool log_y, int width) {
  LineChart chart;
  chart.title = fp32_only ? "Fig. 2: FPS vs batch size, FP32 models"
                          : std::string("Fig. 3: FPS vs batch size, all precisions") +
                                (log_y ? " (log scale)" : "");
  chart.x_label = "batch size";
  chart.y_label = "FPS (images/s)";
  chart.log2_x = true;
  chart.log_y = log_y;
  chart.width = width;
  chart.empty_message =
      fp32_only ? "no data: no successful FP32 points" : "no data: no successful points";

  std::vector<const PerfPoint*> points;
  for (const PerfPoint& p : latest)
    if (!fp32_only || ToUpper(p.precision) == "FP32") points.push_back(&p);
  // Params and model names appear in a series name only where they tell
  // series apart.
  std::set<std::string> models;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::set<std::string>>
      params_sets;
  for (const PerfPoint* p : points) {
    models.insert(p->model);
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
               p->precision + (sets.size() > 1 ? " [" + p->params + "]" : "");
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

BarChart BestFpsFigure(const std::vector<PerfPoint>& latest, const SeriesStyles& styles,
                       int width) {
  std::map<std::string, const PerfPoint*> best;  // per framework
  for (const PerfPoint& p : latest) {
    const PerfPoint*& b = best[p.framework];
    if (!b || *p.fps > *b->fps) b = &p;
  }
  std::vector<const PerfPoint*> order;
  for (const auto& [framework, p] : best) order.push_back(p);
  std::stable_sort(order.begin(), order.end(),
                   [](const PerfPoint* a, const PerfPoint* b) { return *a->fps > *b->fps; });

  BarChart chart;
  chart.title = "Fig. 4: Best FPS per framework";
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
                     ", batch " + std::to_string(p->batch) + ")";
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

std::string BestParamsSection(const std::vector<BestParams>& best) {
  std::ostringstream out;
  out << "<h2 id=\"best-params\">Best launch parameters</h2>\n";
  if (best.empty()) return out.str() + "<p>No successful performance points.</p>\n";
  std::vector<std::vector<Cell>> compared, single;
  for (const BestParams& b : best) {
    if (b.params_sets == 1) {
      single.push_back({Text(b.framework), Text(b.device), Text(b.precision),
                        Number(std::to_string(b.batch)), Text(b.best_params),
                        Number(Fps(b.best_fps)),
                        Number(Interval(b.best_fps_low, b.best_fps_high))});
      continue;
    }
    auto gain = [&](const std::optional<double>& other, const std::optional<double>& other_high) {
      std::string text = Gain(b.best_fps, other);
      if (!text.empty() && b.best_fps_low && other_high && *b.best_fps_low <= *other_high)
        text += " (within noise)";
      return Number(text);
    };
    compared.push_back({Text(b.framework), Text(b.device), Text(b.precision),
                        Number(std::to_string(b.batch)), Number(std::to_string(b.params_sets)),
                        Text(b.best_params), Number(Fps(b.best_fps)),
                        Number(Interval(b.best_fps_low, b.best_fps_high)),
                        Number(b.default_fps ? Fps(*b.default_fps) : "not measured"),
                        gain(b.default_fps, b.default_fps_high), Text(b.worst_params),
                        Number(Fps(b.worst_fps)), gain(b.worst_fps, b.worst_fps_high)});
  }
  const std::vector<std::string> single_header = {"framework", "device", "precision", "batch",
                                                  "params",    "FPS",    "95% CI"};
  if (compared.empty())
    return out.str() +
           "<p>No parameter sweep: every framework, device, precision and batch size was "
           "measured with one parameter set.</p>\n" +
           Table(single_header, single);
  out << "<p>For every framework, device, precision and batch size measured with several "
         "parameter sets: the set with the highest FPS, compared with the default parameters "
         "and with the slowest set. A gain whose 95% confidence intervals overlap is marked "
         "&quot;within noise&quot;.</p>\n"
      << Table({"framework", "device", "precision", "batch", "params sets", "best params",
                "best FPS", "95% CI", "default FPS", "best vs default", "worst params", "worst FPS",
                "best vs worst"},
               compared);
  if (!single.empty())
    out << "<details><summary>" << single.size()
        << " more measured with one parameter set only</summary>\n"
        << Table(single_header, single) << "</details>\n";
  return out.str();
}

std::string FailedSection(const std::vector<PerfPoint>& perf,
                          const std::vector<AccuracyPoint>& accuracy) {
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
    if (p.status != "ok")
      rows.push_back({Text("performance"), Text(p.framework), Text(p.device), Text(p.precision),
                      Number(p.batch ? std::to_string(p.batch) : ""), Text(p.params),
                      StatusCell(p.status), reason(p.error, p.stderr_tail)});
  for (const AccuracyPoint& a : accuracy)
    if (a.status != "ok")
      rows.push_back({Text("accuracy"), Text(a.framework), Text(a.device), Text(a.precision),
                      Number(""), Text(""), StatusCell(a.status), reason(a.error, a.stderr_tail)});
  if (rows.empty()) return out.str() + "<p>None: every point succeeded.</p>\n";
  out << Table({"kind", "framework", "device", "precision", "batch", "params", "status", "reason"},
               rows);
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

std::string PerformanceSection(const std::vector<PerfPoint>& perf) {
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
                    StatusCell(p.status),
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
  }
  out << Table({"framework",     "version",
                "device",        "precision",
                "batch",         "params",
                "status",        "FPS",
                "FPS 95% CI",    "median",
                "mean",          "std",
                "min",           "p90",
                "p99",           "max",
                "median 95% CI", "kept / dropped",
                "stop reason",   "first inference",
                "load"},
               rows);
  return out.str();
}

}  // namespace

std::vector<BestParams> FindBestParams(const std::vector<json>& performance) {
  return FindBestParams(ReadResults(performance));
}

std::vector<BestParams> FindBestParams(const std::vector<PointResult>& performance) {
  std::map<std::tuple<std::string, std::string, std::string, int, std::string, int>,
           std::vector<PerfPoint>>
      groups;
  for (PerfPoint& p : LatestPlottable(performance))
    groups[{p.model, p.framework, p.device, PrecisionRank(p.precision), p.precision, p.batch}]
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
    b.batch = best.batch;
    b.params_sets = points.size();
    b.best_params = best.params;
    b.best_fps = *best.fps;
    b.best_fps_low = best.fps_low;
    b.best_fps_high = best.fps_high;
    for (const PerfPoint& p : points)
      if (p.params == ParamsText({})) {
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

  RenderedReport report;
  report.figures = {
      {"fig1_accuracy.svg",
       RenderBarChart(AccuracyFigure(accuracy, AccuracyDataset(in), opts.figure_width))},
      {"fig2_fps_fp32.svg",
       RenderLineChart(FpsFigure(latest, styles, true, false, opts.figure_width))},
      {"fig3_fps_all_precisions.svg",
       RenderLineChart(FpsFigure(latest, styles, false, opts.log_y, opts.figure_width))},
      {"fig4_best_fps.svg", RenderBarChart(BestFpsFigure(latest, styles, opts.figure_width))}};

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
                 "precision, with the same preprocessing for every framework.")
       << Figure("fig2", report.figures[1].second,
                 "Throughput of the FP32 models against batch size, one line per framework, "
                 "device and precision (and parameter set where several were measured). "
                 "Bands and error bars: 95% confidence interval, from the interval of the "
                 "median latency.")
       << Figure("fig3", report.figures[2].second,
                 std::string("The same with the FP16 and INT8 models (dashed and dotted lines)") +
                     (opts.log_y ? ", on a logarithmic FPS axis." : "."))
       << Figure("fig4", report.figures[3].second,
                 "The highest FPS each framework reached, with the device, precision and batch "
                 "size that achieved it.")
       << BestParamsSection(FindBestParams(results)) << FailedSection(perf, accuracy)
       << HostSection(in, perf, accuracy) << AccuracySection(accuracy) << PerformanceSection(perf)
       << "</body>\n</html>\n";
  report.html = html.str();
  return report;
}

}  // namespace dli
