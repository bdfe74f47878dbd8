// Small, dependency-free SVG charts for the HTML report and for papers:
// a line chart (log2 x, linear or log y, confidence bands) and a horizontal
// grouped bar chart. Each Render* returns a standalone SVG document (xmlns,
// width, height, <title>) that can also be inlined in HTML as is.
#ifndef DLI_SVG_CHART_H
#define DLI_SVG_CHART_H

#include <optional>
#include <string>
#include <vector>

namespace dli {

// Escapes & < > " ' so any text is safe in XML/HTML content and attributes.
std::string EscapeXml(const std::string& text);

// A fixed colour-blind-friendly palette (Okabe & Ito, without the yellow that
// vanishes on white, then three of Paul Tol's muted colours).
const std::vector<std::string>& ChartPalette();

enum class Marker { kCircle, kSquare, kTriangleUp, kDiamond, kTriangleDown, kCross, kPlus, kStar };
inline constexpr int kMarkerCount = 8;

// Axis helpers, public for tests.
// "Nice" ticks in 1-2-5 steps covering [lo, hi] with at most about
// `max_ticks` ticks; the first tick is <= lo and the last is >= hi.
std::vector<double> NiceTicks(double lo, double hi, int max_ticks);
// Log-axis ticks covering [lo, hi] (lo > 0): the decades 10^k when the data
// spans two decades or more, else 1-2-5 multiples (..., 50, 100, 200, ...).
std::vector<double> LogTicks(double lo, double hi);
// Powers of two covering [lo, hi]: the natural ticks of a batch-size axis.
std::vector<double> Log2Ticks(double lo, double hi);
// Tick text: integers without decimals, otherwise up to 3 significant
// digits without trailing zeros.
std::string FormatTick(double v);
// A number with about `significant` significant digits and no exponent,
// e.g. 1234.6 -> "1235", 45.678 -> "45.7", 0.01234 -> "0.0123".
std::string FormatSignificant(double v, int significant);

struct SeriesStyle {
  std::string color = "#0072B2";
  Marker marker = Marker::kCircle;
  std::string dash;  // SVG stroke-dasharray, empty = solid
  bool line = true;  // false: markers only (a scatter), no line and no band
};

struct LinePoint {
  double x = 0, y = 0;
  // The confidence interval of y, drawn as a band (and as error bars).
  std::optional<double> y_low, y_high;
  std::string tooltip;  // shown by viewers on hover (<title>)
};

struct LineSeries {
  std::string name;
  SeriesStyle style;
  std::vector<LinePoint> points;  // any order; drawn sorted by x
};

struct LineChart {
  std::string title;
  std::string x_label, y_label;
  bool log2_x = true;  // batch sizes 1, 2, 4, ...
  bool log_y = false;
  std::vector<LineSeries> series;
  std::string empty_message = "no data";
  int width = 820;
  int plot_height = 420;  // the legend below the plot adds to the height
};

struct Bar {
  double value = 0;
  std::string annotation;  // text after the bar end, e.g. "71.9%"
  std::string color;       // empty = the series' colour
  std::string tooltip;
};

struct BarChart {
  std::string title;
  std::string value_label;              // the value axis, e.g. "FPS (images/s)"
  std::vector<std::string> categories;  // one row (group of bars) each
  std::vector<std::string> series;      // bars within a group, legend entries
  std::vector<std::string> series_colors;
  // bars[category][series]; nullopt = no bar (a missing measurement).
  std::vector<std::vector<std::optional<Bar>>> bars;
  std::optional<double> value_max;  // axis end; default: nice ticks over the data
  bool show_legend = true;
  std::string empty_message = "no data";
  int width = 820;
};

std::string RenderLineChart(const LineChart& chart);
std::string RenderBarChart(const BarChart& chart);
// Line charts stacked top to bottom in one standalone SVG document under one
// title: panels that share an x axis but not a unit (a machine timeline).
std::string RenderStackedLineCharts(const std::string& title, const std::vector<LineChart>& panels);

}  // namespace dli

#endif  // DLI_SVG_CHART_H
