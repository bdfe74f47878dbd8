// Unit tests of the chart helpers: tick choice, number formatting, escaping,
// and the structure of the rendered SVG.
#include "report/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>

#include "markup.h"

namespace dli {
namespace {

using testing::CountOf;
using testing::MarkupProblem;
using testing::TextsOfClass;

TEST(SvgChart, EscapeXml) {
  EXPECT_EQ(EscapeXml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(EscapeXml("plain"), "plain");
}

TEST(SvgChart, NiceTicksUseOneTwoFiveSteps) {
  EXPECT_EQ(NiceTicks(0, 324.9, 7), (std::vector<double>{0, 100, 200, 300, 400}));
  EXPECT_EQ(NiceTicks(0, 1234, 7), (std::vector<double>{0, 500, 1000, 1500}));
  EXPECT_EQ(NiceTicks(0, 100, 7), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  const std::vector<double> small = NiceTicks(0.1, 0.7, 7);
  ASSERT_EQ(small.size(), 7u);
  EXPECT_DOUBLE_EQ(small.front(), 0.1);
  EXPECT_DOUBLE_EQ(small.back(), 0.7);
  EXPECT_EQ(NiceTicks(5, 5, 7).front(), 5);  // an empty range still gives an axis
}

TEST(SvgChart, LogTicks) {
  EXPECT_EQ(LogTicks(3, 4200), (std::vector<double>{1, 10, 100, 1000, 10000}));
  EXPECT_EQ(LogTicks(89, 459), (std::vector<double>{50, 100, 200, 500}));
  EXPECT_EQ(LogTicks(30, 800), (std::vector<double>{20, 50, 100, 200, 500, 1000}));
  EXPECT_EQ(LogTicks(100, 100), (std::vector<double>{100, 200, 500, 1000}));
}

TEST(SvgChart, Log2Ticks) {
  EXPECT_EQ(Log2Ticks(1, 64), (std::vector<double>{1, 2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(Log2Ticks(3, 20), (std::vector<double>{2, 4, 8, 16, 32}));
  EXPECT_EQ(Log2Ticks(1, 1), (std::vector<double>{1, 2}));
}

TEST(SvgChart, Formatting) {
  EXPECT_EQ(FormatSignificant(1234.6, 4), "1235");
  EXPECT_EQ(FormatSignificant(45.678, 3), "45.7");
  EXPECT_EQ(FormatSignificant(0.012345, 3), "0.0123");
  EXPECT_EQ(FormatSignificant(0, 3), "0");
  EXPECT_EQ(FormatTick(1000), "1000");
  EXPECT_EQ(FormatTick(1234.6), "1235");
  EXPECT_EQ(FormatTick(0.5), "0.5");
  EXPECT_EQ(FormatTick(0.30000000000000004), "0.3");
  EXPECT_EQ(FormatTick(0.25), "0.25");
}

LineChart TwoSeries() {
  LineChart chart;
  chart.title = "t";
  chart.x_label = "batch size";
  chart.y_label = "FPS (images/s)";
  LineSeries a{"a", {}, {{1, 100, 95, 104, ""}, {2, 180, 170, 190, ""}, {4, 240, 230, 250, ""}}};
  LineSeries b{"b", {"#D55E00", Marker::kStar, "7 4"}, {{1, 50, {}, {}, ""}, {8, 90, {}, {}, ""}}};
  chart.series = {a, b};
  return chart;
}

TEST(SvgChart, LineChartDrawsBandsErrorBarsMarkersAndLegend) {
  const std::string svg = RenderLineChart(TwoSeries());
  EXPECT_EQ(MarkupProblem(svg), "");
  EXPECT_EQ(TextsOfClass(svg, "legend-label"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(CountOf(svg, "class=\"ci-band\""), 1u);  // only series a has intervals
  EXPECT_EQ(CountOf(svg, "class=\"error-bar\""), 3u);
  EXPECT_EQ(CountOf(svg, "<polyline"), 2u);
  EXPECT_NE(svg.find("stroke-dasharray=\"7 4\""), std::string::npos);
  std::vector<std::string> ticks = TextsOfClass(svg, "tick");
  // y: 0..250 in 50s, then x: 1..8.
  EXPECT_EQ(ticks,
            (std::vector<std::string>{"0", "50", "100", "150", "200", "250", "1", "2", "4", "8"}));
}

TEST(SvgChart, LogAxisSkipsValuesItCannotShow) {
  LineChart chart = TwoSeries();
  chart.log_y = true;
  chart.series[1].points.push_back({16, 0, {}, {}, ""});
  const std::string svg = RenderLineChart(chart);
  EXPECT_EQ(MarkupProblem(svg), "");
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_EQ(TextsOfClass(svg, "tick").front(), "50");
}

TEST(SvgChart, EmptyChartsSayNoData) {
  LineChart line;
  line.title = "Empty";
  line.empty_message = "no data: nothing <here>";
  const std::string svg = RenderLineChart(line);
  EXPECT_NE(svg.find("no data: nothing &lt;here&gt;"), std::string::npos);
  EXPECT_EQ(MarkupProblem(svg), "");
  BarChart bars;
  bars.categories = {"x"};
  bars.bars = {{std::nullopt}};
  EXPECT_NE(RenderBarChart(bars).find("class=\"no-data\""), std::string::npos);
}

TEST(SvgChart, BarChartLengthsFollowTheValues) {
  BarChart chart;
  chart.categories = {"first", "second"};
  chart.series = {"v"};
  chart.series_colors = {"#0072B2"};
  chart.value_max = 100;
  Bar half{50, "50%", "", ""}, full{100, "100%", "#D55E00", ""};
  chart.bars = {{half}, {full}};
  const std::string svg = RenderBarChart(chart);
  EXPECT_EQ(MarkupProblem(svg), "");
  std::vector<double> widths;
  for (size_t at = svg.find("class=\"bar\""); at != std::string::npos;
       at = svg.find("class=\"bar\"", at + 1)) {
    const size_t w = svg.find("width=\"", at) + 7;
    widths.push_back(std::stod(svg.substr(w, svg.find('"', w) - w)));
  }
  ASSERT_EQ(widths.size(), 2u);
  EXPECT_NEAR(widths[1], 2 * widths[0], 0.2);
  EXPECT_NE(svg.find("fill=\"#D55E00\""), std::string::npos);
  EXPECT_EQ(TextsOfClass(svg, "bar-annotation"), (std::vector<std::string>{"50%", "100%"}));
}

TEST(SvgChart, LongLabelsAreShortenedWithTheFullTextAsTitle) {
  BarChart chart;
  const std::string name(300, 'x');
  chart.categories = {name};
  chart.series = {"v"};
  chart.bars = {{Bar{1, "1", "", ""}}};
  const std::string svg = RenderBarChart(chart);
  EXPECT_NE(svg.find("<title>" + name + "</title>"), std::string::npos);
  const std::string shown = TextsOfClass(svg, "category-label").at(0);
  EXPECT_LT(shown.size(), 300u);
  EXPECT_EQ(shown.substr(shown.size() - 3), "\xE2\x80\xA6");
}

TEST(SvgChart, MarkersOnlySeriesDrawNoLineAndNoBand) {
  LineChart chart;
  chart.log2_x = false;
  LineSeries scatter;
  scatter.name = "scatter";
  scatter.style.line = false;
  scatter.points = {{1, 10, 9, 11, ""}, {2, 20, 19, 21, ""}};
  chart.series = {scatter};
  const std::string svg = RenderLineChart(chart);
  EXPECT_EQ(MarkupProblem(svg), "");
  EXPECT_EQ(svg.find("<polyline"), std::string::npos);
  EXPECT_EQ(svg.find("ci-band"), std::string::npos);
  EXPECT_EQ(CountOf(svg, "class=\"error-bar\""), 2u);
  const std::string legend = svg.substr(svg.find("<g class=\"legend\">"));
  EXPECT_EQ(legend.find("<line"), std::string::npos) << "the legend shows the marker alone";
}

TEST(SvgChart, StackedChartsShareOneDocument) {
  LineChart a, b;
  a.title = "first";
  b.title = "second";
  a.series = {{"s", {}, {{1, 1}, {2, 2}}}};
  const std::string svg = RenderStackedLineCharts("both", {a, b});
  EXPECT_EQ(MarkupProblem(svg), "");
  EXPECT_EQ(CountOf(svg, "<svg"), 1u);
  EXPECT_EQ(TextsOfClass(svg, "chart-title"),
            (std::vector<std::string>{"both", "first", "second"}));
  const int first = std::stoi(RenderLineChart(a).substr(RenderLineChart(a).find("height=\"") + 8));
  const int second = std::stoi(RenderLineChart(b).substr(RenderLineChart(b).find("height=\"") + 8));
  EXPECT_NE(svg.find("height=\"" + std::to_string(40 + first + second) + "\""), std::string::npos);
  EXPECT_NE(
      svg.find("<g class=\"panel\" transform=\"translate(0," + std::to_string(40 + first) + ")\">"),
      std::string::npos);
  EXPECT_NE(svg.find("no data"), std::string::npos) << "the empty panel says so";
}

}  // namespace
}  // namespace dli
