#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/text.h"

namespace dli {

std::string EscapeXml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const std::vector<std::string>& ChartPalette() {
  static const std::vector<std::string> palette = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                   "#E69F00", "#56B4E9", "#000000", "#882255",
                                                   "#999933", "#44AA99"};
  return palette;
}

std::vector<double> NiceTicks(double lo, double hi, int max_ticks) {
  if (!(hi > lo)) hi = lo + (lo == 0 ? 1 : std::fabs(lo) * 0.1);
  const double raw_step = (hi - lo) / std::max(1, max_ticks - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  const double normalized = raw_step / magnitude;
  const double step = (normalized <= 1   ? 1
                       : normalized <= 2 ? 2
                       : normalized <= 5 ? 5
                                         : 10) *
                      magnitude;
  const double first = std::floor(lo / step + 1e-9);
  const double last = std::ceil(hi / step - 1e-9);
  std::vector<double> ticks;
  // Multiplying integers by the step (not summing steps) keeps 0.1+0.2 drift out.
  for (double i = first; i <= last; ++i) ticks.push_back(i * step);
  return ticks;
}

std::vector<double> LogTicks(double lo, double hi) {
  if (!(lo > 0)) lo = 1;
  if (!(hi > lo)) hi = lo * 10;
  const int first_decade = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int last_decade = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  std::vector<double> ticks;
  if (hi / lo >= 100) {
    for (int k = first_decade; k <= last_decade; ++k) ticks.push_back(std::pow(10.0, k));
    return ticks;
  }
  // Less than two decades: 1-2-5 steps from the largest one <= lo to the
  // smallest >= hi, so the data fills the plot.
  std::vector<double> candidates;
  for (int k = first_decade; k < last_decade; ++k)
    for (double m : {1.0, 2.0, 5.0}) candidates.push_back(m * std::pow(10.0, k));
  candidates.push_back(std::pow(10.0, last_decade));
  size_t begin = 0, end = candidates.size() - 1;
  for (size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i] <= lo * (1 + 1e-9)) begin = i;
  for (size_t i = candidates.size(); i-- > 0;)
    if (candidates[i] >= hi * (1 - 1e-9)) end = i;
  return {candidates.begin() + begin, candidates.begin() + end + 1};
}

std::vector<double> Log2Ticks(double lo, double hi) {
  if (!(lo > 0)) lo = 1;
  if (!(hi >= lo)) hi = lo;
  const int first = static_cast<int>(std::floor(std::log2(lo) + 1e-9));
  int last = static_cast<int>(std::ceil(std::log2(hi) - 1e-9));
  if (last == first) ++last;  // one batch size still needs an axis
  std::vector<double> ticks;
  for (int k = first; k <= last; ++k) ticks.push_back(std::ldexp(1.0, k));
  return ticks;
}

std::string FormatSignificant(double v, int significant) {
  if (v == 0 || !std::isfinite(v)) return v == 0 ? "0" : "n/a";
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  return FormatFixed(v, std::max(0, significant - 1 - magnitude));
}

std::string FormatTick(double v) {
  if (std::fabs(v - std::round(v)) < 1e-9 * std::max(1.0, std::fabs(v))) return FormatFixed(v, 0);
  std::string text = FormatSignificant(v, 3);
  if (text.find('.') == std::string::npos) return text;
  while (text.back() == '0') text.pop_back();  // 0.250 -> 0.25
  if (text.back() == '.') text.pop_back();
  return text;
}

namespace {

constexpr const char* kFontFamily = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";
constexpr const char* kAxisColor = "#444444";
constexpr const char* kGridColor = "#e3e3e3";
constexpr int kTitleHeight = 40;
constexpr int kLegendRowHeight = 20;
constexpr double kPi = 3.14159265358979323846;

// SVG coordinates with one decimal: enough for a screen and a printer.
std::string Px(double v) { return FormatFixed(v, 1); }

// No font metrics here: DejaVu Sans averages a little under 0.6 em per
// character, so this estimate errs on the wide side.
double TextWidth(const std::string& text, double font_size) {
  size_t chars = 0;
  for (unsigned char c : text) chars += (c & 0xC0) != 0x80;  // UTF-8 code points
  return chars * font_size * 0.6;
}

// Cuts `text` to about `max_width` pixels, ending with an ellipsis.
std::string Ellipsize(const std::string& text, double max_width, double font_size) {
  if (TextWidth(text, font_size) <= max_width) return text;
  const double keep = std::floor(max_width / (font_size * 0.6)) - 1;  // code points
  std::string out;
  double points = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && points++ >= keep) break;
    out += c;
  }
  return out + "\xE2\x80\xA6";
}

void OpenSvg(std::ostringstream& out, int width, int height, const std::string& title) {
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\" font-family=\"" << kFontFamily
      << "\" font-size=\"12\" role=\"img\">\n"
      << "<title>" << EscapeXml(title) << "</title>\n"
      << "<rect width=\"" << width << "\" height=\"" << height << "\" fill=\"#ffffff\"/>\n"
      << "<text class=\"chart-title\" x=\"" << width / 2.0
      << "\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">"
      << EscapeXml(title) << "</text>\n";
}

void NoDataBox(std::ostringstream& out, double x, double y, double w, double h,
               const std::string& message) {
  out << "<rect x=\"" << Px(x) << "\" y=\"" << Px(y) << "\" width=\"" << Px(w) << "\" height=\""
      << Px(h) << "\" fill=\"#fafafa\" stroke=\"" << kGridColor << "\"/>\n"
      << "<text class=\"no-data\" x=\"" << Px(x + w / 2) << "\" y=\"" << Px(y + h / 2)
      << "\" text-anchor=\"middle\" font-size=\"14\" fill=\"#777777\">" << EscapeXml(message)
      << "</text>\n";
}

void DrawMarker(std::ostringstream& out, Marker marker, double x, double y,
                const std::string& color) {
  const double r = 4.5;
  const std::string filled = "\" fill=\"" + color + "\" stroke=\"#ffffff\" stroke-width=\"0.8\"/>";
  const std::string stroked = "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"/>";
  auto path = [&](const std::vector<std::pair<double, double>>& offsets) {
    std::string d;
    for (size_t i = 0; i < offsets.size(); ++i)
      d += (i ? " L" : "M") + Px(x + offsets[i].first * r) + " " + Px(y + offsets[i].second * r);
    return d + " Z";
  };
  switch (marker) {
    case Marker::kCircle:
      out << "<circle cx=\"" << Px(x) << "\" cy=\"" << Px(y) << "\" r=\"" << Px(r) << filled;
      break;
    case Marker::kSquare:
      out << "<path d=\"" << path({{-0.9, -0.9}, {0.9, -0.9}, {0.9, 0.9}, {-0.9, 0.9}}) << filled;
      break;
    case Marker::kTriangleUp:
      out << "<path d=\"" << path({{0, -1.2}, {1.1, 0.8}, {-1.1, 0.8}}) << filled;
      break;
    case Marker::kDiamond:
      out << "<path d=\"" << path({{0, -1.25}, {1.1, 0}, {0, 1.25}, {-1.1, 0}}) << filled;
      break;
    case Marker::kTriangleDown:
      out << "<path d=\"" << path({{0, 1.2}, {1.1, -0.8}, {-1.1, -0.8}}) << filled;
      break;
    case Marker::kCross:
      out << "<path d=\"M" << Px(x - r) << " " << Px(y - r) << " L" << Px(x + r) << " " << Px(y + r)
          << " M" << Px(x - r) << " " << Px(y + r) << " L" << Px(x + r) << " " << Px(y - r)
          << stroked;
      break;
    case Marker::kPlus:
      out << "<path d=\"M" << Px(x - r * 1.2) << " " << Px(y) << " L" << Px(x + r * 1.2) << " "
          << Px(y) << " M" << Px(x) << " " << Px(y - r * 1.2) << " L" << Px(x) << " "
          << Px(y + r * 1.2) << stroked;
      break;
    case Marker::kStar: {
      std::vector<std::pair<double, double>> star;
      for (int i = 0; i < 10; ++i) {
        const double angle = kPi * i / 5 - kPi / 2, radius = i % 2 ? 0.55 : 1.35;
        star.emplace_back(radius * std::cos(angle), radius * std::sin(angle));
      }
      out << "<path d=\"" << path(star) << filled;
      break;
    }
  }
  out << "\n";
}

struct LegendEntry {
  std::string name;
  SeriesStyle style;
  bool line = true;  // a line with its marker; else a filled box (bars)
};

// Columns as wide as the longest name allows; returns the rows needed.
int LegendColumns(const std::vector<LegendEntry>& entries, double width) {
  double widest = 0;
  for (const LegendEntry& e : entries) widest = std::max(widest, TextWidth(e.name, 12));
  return std::clamp(static_cast<int>(width / (widest + 50)), 1, 4);
}

int LegendHeight(const std::vector<LegendEntry>& entries, double width) {
  if (entries.empty()) return 0;
  const int columns = LegendColumns(entries, width);
  const int rows = (static_cast<int>(entries.size()) + columns - 1) / columns;
  return rows * kLegendRowHeight + 10;
}

void DrawLegend(std::ostringstream& out, const std::vector<LegendEntry>& entries, double x0,
                double y0, double width) {
  if (entries.empty()) return;
  const int columns = LegendColumns(entries, width);
  const double column_width = width / columns;
  out << "<g class=\"legend\">\n";
  for (size_t i = 0; i < entries.size(); ++i) {
    const LegendEntry& e = entries[i];
    const double x = x0 + (i % columns) * column_width;
    const double y = y0 + (i / columns) * kLegendRowHeight + kLegendRowHeight / 2.0;
    out << "<g class=\"legend-entry\"><title>" << EscapeXml(e.name) << "</title>\n";
    if (e.line) {
      if (e.style.line) {
        out << "<line x1=\"" << Px(x) << "\" y1=\"" << Px(y) << "\" x2=\"" << Px(x + 30)
            << "\" y2=\"" << Px(y) << "\" stroke=\"" << e.style.color << "\" stroke-width=\"2\"";
        if (!e.style.dash.empty()) out << " stroke-dasharray=\"" << e.style.dash << "\"";
        out << "/>\n";
      }
      DrawMarker(out, e.style.marker, x + 15, y, e.style.color);
    } else {
      out << "<rect x=\"" << Px(x + 8) << "\" y=\"" << Px(y - 6) << "\" width=\"14\" height=\"12\" "
          << "fill=\"" << e.style.color << "\"/>\n";
    }
    out << "<text class=\"legend-label\" x=\"" << Px(x + 38) << "\" y=\"" << Px(y + 4) << "\">"
        << EscapeXml(Ellipsize(e.name, column_width - 44, 12)) << "</text>\n</g>\n";
  }
  out << "</g>\n";
}

// Maps data values to pixels along one axis, linear or logarithmic.
class Scale {
 public:
  Scale(double domain_lo, double domain_hi, double pixel_lo, double pixel_hi, bool log)
      : log_(log),
        lo_(Transform(domain_lo)),
        hi_(Transform(domain_hi)),
        pixel_lo_(pixel_lo),
        pixel_hi_(pixel_hi) {}
  double operator()(double v) const {
    const double span = hi_ - lo_;
    const double t = span > 0 ? (Transform(v) - lo_) / span : 0.5;
    return pixel_lo_ + t * (pixel_hi_ - pixel_lo_);
  }

 private:
  double Transform(double v) const { return log_ ? std::log(std::max(v, 1e-300)) : v; }
  bool log_;
  double lo_, hi_, pixel_lo_, pixel_hi_;
};

void AxisLabel(std::ostringstream& out, double x, double y, const std::string& text,
               bool vertical) {
  out << "<text class=\"axis-label\" x=\"" << Px(x) << "\" y=\"" << Px(y)
      << "\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\"";
  if (vertical) out << " transform=\"rotate(-90 " << Px(x) << " " << Px(y) << ")\"";
  out << ">" << EscapeXml(text) << "</text>\n";
}

std::vector<LinePoint> SortedByX(std::vector<LinePoint> points) {
  std::stable_sort(points.begin(), points.end(),
                   [](const LinePoint& a, const LinePoint& b) { return a.x < b.x; });
  return points;
}

}  // namespace

std::string RenderLineChart(const LineChart& chart) {
  const double left = 78, right = 24, top = kTitleHeight + 8;
  const double plot_w = chart.width - left - right, plot_h = chart.plot_height;
  const double plot_bottom = top + plot_h;

  // Data ranges (the confidence bands included), skipping values a log axis
  // cannot show.
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  std::vector<LegendEntry> legend;
  for (const LineSeries& s : chart.series) {
    bool drawn = false;
    for (const LinePoint& p : s.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y) || (chart.log2_x && p.x <= 0) ||
          (chart.log_y && p.y <= 0))
        continue;
      drawn = true;
      x_lo = std::min(x_lo, p.x);
      x_hi = std::max(x_hi, p.x);
      for (double y : {p.y, p.y_low.value_or(p.y), p.y_high.value_or(p.y)}) {
        if (!std::isfinite(y) || (chart.log_y && y <= 0)) continue;
        y_lo = std::min(y_lo, y);
        y_hi = std::max(y_hi, y);
      }
    }
    if (drawn) legend.push_back({s.name, s.style, true});
  }
  const double legend_top = plot_bottom + 52;
  const int height = static_cast<int>(legend_top + LegendHeight(legend, plot_w) + 6);

  std::ostringstream out;
  OpenSvg(out, chart.width, height, chart.title);
  if (legend.empty()) {
    NoDataBox(out, left, top, plot_w, plot_h, chart.empty_message);
    AxisLabel(out, left + plot_w / 2, plot_bottom + 40, chart.x_label, false);
    AxisLabel(out, 20, top + plot_h / 2, chart.y_label, true);
    out << "</svg>\n";
    return out.str();
  }

  const std::vector<double> x_ticks =
      chart.log2_x ? Log2Ticks(x_lo, x_hi) : NiceTicks(x_lo, x_hi, 8);
  const std::vector<double> y_ticks =
      chart.log_y ? LogTicks(y_lo, y_hi) : NiceTicks(std::min(0.0, y_lo), y_hi, 7);
  // Markers at the ends of the x range stay clear of the frame.
  const double inset = 14;
  const Scale sx(x_ticks.front(), x_ticks.back(), left + inset, left + plot_w - inset,
                 chart.log2_x);
  const Scale sy(y_ticks.front(), y_ticks.back(), plot_bottom, top, chart.log_y);

  // Grid and axes; a log axis gets unlabelled minor lines at 2..9 x 10^k.
  if (chart.log_y) {
    out << "<g class=\"minor-grid\">\n";
    for (double decade = std::pow(10.0, std::floor(std::log10(y_ticks.front())));
         decade < y_ticks.back(); decade *= 10)
      for (int m = 2; m <= 9; ++m) {
        const double v = m * decade;
        if (v <= y_ticks.front() || v >= y_ticks.back() ||
            std::find(y_ticks.begin(), y_ticks.end(), v) != y_ticks.end())
          continue;
        out << "<line x1=\"" << Px(left) << "\" y1=\"" << Px(sy(v)) << "\" x2=\""
            << Px(left + plot_w) << "\" y2=\"" << Px(sy(v)) << "\" stroke=\"#f1f1f1\"/>\n";
      }
    out << "</g>\n";
  }
  out << "<g class=\"y-axis\" data-scale=\"" << (chart.log_y ? "log" : "linear") << "\">\n";
  for (double t : y_ticks) {
    const double y = sy(t);
    out << "<line x1=\"" << Px(left) << "\" y1=\"" << Px(y) << "\" x2=\"" << Px(left + plot_w)
        << "\" y2=\"" << Px(y) << "\" stroke=\"" << kGridColor << "\"/>\n"
        << "<text class=\"tick\" x=\"" << Px(left - 6) << "\" y=\"" << Px(y + 4)
        << "\" text-anchor=\"end\" fill=\"" << kAxisColor << "\">" << FormatTick(t) << "</text>\n";
  }
  out << "</g>\n<g class=\"x-axis\" data-scale=\"" << (chart.log2_x ? "log2" : "linear") << "\">\n";
  for (double t : x_ticks) {
    const double x = sx(t);
    out << "<line x1=\"" << Px(x) << "\" y1=\"" << Px(top) << "\" x2=\"" << Px(x) << "\" y2=\""
        << Px(plot_bottom) << "\" stroke=\"" << kGridColor << "\" stroke-dasharray=\"2 3\"/>\n"
        << "<line x1=\"" << Px(x) << "\" y1=\"" << Px(plot_bottom) << "\" x2=\"" << Px(x)
        << "\" y2=\"" << Px(plot_bottom + 5) << "\" stroke=\"" << kAxisColor << "\"/>\n"
        << "<text class=\"tick\" x=\"" << Px(x) << "\" y=\"" << Px(plot_bottom + 19)
        << "\" text-anchor=\"middle\" fill=\"" << kAxisColor << "\">" << FormatTick(t)
        << "</text>\n";
  }
  out << "</g>\n<rect x=\"" << Px(left) << "\" y=\"" << Px(top) << "\" width=\"" << Px(plot_w)
      << "\" height=\"" << Px(plot_h) << "\" fill=\"none\" stroke=\"" << kAxisColor << "\"/>\n";
  AxisLabel(out, left + plot_w / 2, plot_bottom + 40, chart.x_label, false);
  AxisLabel(out, 20, top + plot_h / 2, chart.y_label, true);

  auto drawable = [&](const LinePoint& p) {
    return std::isfinite(p.x) && std::isfinite(p.y) && !(chart.log2_x && p.x <= 0) &&
           !(chart.log_y && p.y <= 0);
  };
  auto has_interval = [&](const LinePoint& p) {
    return p.y_low && p.y_high && std::isfinite(*p.y_low) && std::isfinite(*p.y_high) &&
           !(chart.log_y && *p.y_low <= 0);
  };
  // Bands under every line, then the lines, then error bars and markers on top.
  for (const LineSeries& s : chart.series) {
    if (!s.style.line) continue;
    std::vector<LinePoint> band;
    for (const LinePoint& p : SortedByX(s.points))
      if (drawable(p) && has_interval(p)) band.push_back(p);
    if (band.size() < 2) continue;
    out << "<polygon class=\"ci-band\" fill=\"" << s.style.color
        << "\" fill-opacity=\"0.16\" stroke=\"none\" points=\"";
    for (const LinePoint& p : band) out << Px(sx(p.x)) << "," << Px(sy(*p.y_high)) << " ";
    for (auto p = band.rbegin(); p != band.rend(); ++p)
      out << Px(sx(p->x)) << "," << Px(sy(*p->y_low)) << " ";
    out << "\"/>\n";
  }
  for (const LineSeries& s : chart.series) {
    out << "<g class=\"series\" data-name=\"" << EscapeXml(s.name) << "\">\n";
    if (s.style.line) {
      std::string polyline;
      for (const LinePoint& p : SortedByX(s.points))
        if (drawable(p)) polyline += Px(sx(p.x)) + "," + Px(sy(p.y)) + " ";
      out << "<polyline fill=\"none\" stroke=\"" << s.style.color
          << "\" stroke-width=\"2\" stroke-linejoin=\"round\"";
      if (!s.style.dash.empty()) out << " stroke-dasharray=\"" << s.style.dash << "\"";
      out << " points=\"" << polyline << "\"/>\n";
    }
    for (const LinePoint& p : s.points) {
      if (!drawable(p)) continue;
      const double x = sx(p.x), y = sy(p.y);
      out << "<g><title>" << EscapeXml(s.name + (p.tooltip.empty() ? "" : ": " + p.tooltip))
          << "</title>\n";
      if (has_interval(p)) {
        const double y1 = sy(*p.y_low), y2 = sy(*p.y_high);
        out << "<path class=\"error-bar\" d=\"M" << Px(x) << " " << Px(y1) << " L" << Px(x) << " "
            << Px(y2) << " M" << Px(x - 3) << " " << Px(y1) << " L" << Px(x + 3) << " " << Px(y1)
            << " M" << Px(x - 3) << " " << Px(y2) << " L" << Px(x + 3) << " " << Px(y2)
            << "\" stroke=\"" << s.style.color << "\" stroke-width=\"1\" fill=\"none\"/>\n";
      }
      DrawMarker(out, s.style.marker, x, y, s.style.color);
      out << "</g>\n";
    }
    out << "</g>\n";
  }
  DrawLegend(out, legend, left, legend_top, plot_w);
  out << "</svg>\n";
  return out.str();
}

std::string RenderBarChart(const BarChart& chart) {
  constexpr double kBarGap = 2, kGroupGap = 14, kFont = 12;
  const double top = kTitleHeight + 8, right_pad = 16;
  const size_t n_series = std::max<size_t>(1, chart.series.size());
  const double kBarHeight = n_series == 1 ? 22 : 16;

  double longest_label = 0, longest_annotation = 0, value_hi = 0;
  bool any_bar = false;
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    longest_label = std::max(longest_label, TextWidth(chart.categories[c], kFont));
    if (c >= chart.bars.size()) continue;
    for (const std::optional<Bar>& bar : chart.bars[c]) {
      if (!bar || !std::isfinite(bar->value)) continue;
      any_bar = true;
      value_hi = std::max(value_hi, bar->value);
      longest_annotation = std::max(longest_annotation, TextWidth(bar->annotation, 11));
    }
  }
  const double left = std::min(longest_label, chart.width * 0.35) + 20;
  const double plot_w = std::max(120.0, chart.width - left - right_pad - longest_annotation - 8);
  const double group_h = n_series * (kBarHeight + kBarGap) - kBarGap + kGroupGap;
  const double plot_h = any_bar ? chart.categories.size() * group_h : 160;
  const double plot_bottom = top + plot_h;

  std::vector<LegendEntry> legend;
  if (chart.show_legend && any_bar)
    for (size_t s = 0; s < chart.series.size(); ++s) {
      SeriesStyle style;
      if (s < chart.series_colors.size()) style.color = chart.series_colors[s];
      legend.push_back({chart.series[s], style, false});
    }
  const double legend_top = plot_bottom + 50;
  const int height = static_cast<int>(legend_top + LegendHeight(legend, plot_w) + 6);

  std::ostringstream out;
  OpenSvg(out, chart.width, height, chart.title);
  if (!any_bar) {
    NoDataBox(out, left, top, plot_w, plot_h, chart.empty_message);
    AxisLabel(out, left + plot_w / 2, plot_bottom + 38, chart.value_label, false);
    out << "</svg>\n";
    return out.str();
  }

  const std::vector<double> ticks = NiceTicks(0, chart.value_max.value_or(value_hi), 7);
  const Scale sx(0, chart.value_max.value_or(ticks.back()), left, left + plot_w, false);
  out << "<g class=\"x-axis\" data-scale=\"linear\">\n";
  for (double t : ticks) {
    if (t > chart.value_max.value_or(ticks.back()) + 1e-9) break;
    const double x = sx(t);
    out << "<line x1=\"" << Px(x) << "\" y1=\"" << Px(top) << "\" x2=\"" << Px(x) << "\" y2=\""
        << Px(plot_bottom + 5) << "\" stroke=\"" << kGridColor << "\"/>\n"
        << "<text class=\"tick\" x=\"" << Px(x) << "\" y=\"" << Px(plot_bottom + 19)
        << "\" text-anchor=\"middle\" fill=\"" << kAxisColor << "\">" << FormatTick(t)
        << "</text>\n";
  }
  out << "</g>\n";
  AxisLabel(out, left + plot_w / 2, plot_bottom + 38, chart.value_label, false);

  out << "<g class=\"categories\">\n";
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    const double group_top = top + c * group_h + kGroupGap / 2;
    const double center = group_top + (group_h - kGroupGap) / 2;
    out << "<text class=\"category-label\" x=\"" << Px(left - 8) << "\" y=\"" << Px(center + 4)
        << "\" text-anchor=\"end\" fill=\"#222222\"><title>" << EscapeXml(chart.categories[c])
        << "</title>" << EscapeXml(Ellipsize(chart.categories[c], left - 16, kFont)) << "</text>\n";
    for (size_t s = 0; c < chart.bars.size() && s < chart.bars[c].size(); ++s) {
      const std::optional<Bar>& bar = chart.bars[c][s];
      if (!bar || !std::isfinite(bar->value)) continue;
      const double y = group_top + s * (kBarHeight + kBarGap);
      const double w = std::max(0.0, sx(std::max(0.0, bar->value)) - left);
      const std::string color = !bar->color.empty()              ? bar->color
                                : s < chart.series_colors.size() ? chart.series_colors[s]
                                                                 : ChartPalette()[0];
      out << "<g class=\"bar\"><title>"
          << EscapeXml(bar->tooltip.empty() ? chart.categories[c] : bar->tooltip)
          << "</title>\n<rect x=\"" << Px(left) << "\" y=\"" << Px(y) << "\" width=\"" << Px(w)
          << "\" height=\"" << Px(kBarHeight) << "\" fill=\"" << color << "\"/>\n"
          << "<text class=\"bar-annotation\" x=\"" << Px(left + w + 5) << "\" y=\""
          << Px(y + kBarHeight / 2 + 4) << "\" font-size=\"11\" fill=\"#222222\">"
          << EscapeXml(bar->annotation) << "</text>\n</g>\n";
    }
  }
  out << "</g>\n<line x1=\"" << Px(left) << "\" y1=\"" << Px(top) << "\" x2=\"" << Px(left)
      << "\" y2=\"" << Px(plot_bottom) << "\" stroke=\"" << kAxisColor << "\"/>\n"
      << "<line x1=\"" << Px(left) << "\" y1=\"" << Px(plot_bottom) << "\" x2=\""
      << Px(left + plot_w) << "\" y2=\"" << Px(plot_bottom) << "\" stroke=\"" << kAxisColor
      << "\"/>\n";
  DrawLegend(out, legend, left, legend_top, plot_w);
  out << "</svg>\n";
  return out.str();
}

std::string RenderStackedLineCharts(const std::string& title,
                                    const std::vector<LineChart>& panels) {
  // Each panel's drawing moves into a group below the previous one; its
  // height is the one RenderLineChart chose.
  std::string body;
  int width = 0, height = kTitleHeight;
  for (const LineChart& panel : panels) {
    std::string svg = RenderLineChart(panel);
    const int panel_height = std::stoi(svg.substr(svg.find("height=\"") + 8));
    svg.replace(0, svg.find('>') + 1,
                "<g class=\"panel\" transform=\"translate(0," + std::to_string(height) + ")\">");
    svg.replace(svg.rfind("</svg>"), 6, "</g>");
    body += svg;
    height += panel_height;
    width = std::max(width, panel.width);
  }
  std::ostringstream out;
  OpenSvg(out, std::max(width, 200), height, title);
  out << body << "</svg>\n";
  return out.str();
}

}  // namespace dli
