// Golden structure checks of the HTML report and its four figures, rendered
// from the hand-written fixture.
#include "report/html_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "markup.h"
#include "report_fixture.h"

namespace dli {
namespace {

using testing::CountOf;
using testing::Fixture;
using testing::MarkupProblem;
using testing::TextsOfClass;

const RenderedReport& FixtureReport() {
  static const RenderedReport report = RenderReport(Fixture(), {});
  return report;
}

const std::string& FigureSvg(size_t index) { return FixtureReport().figures.at(index).second; }

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The HTML section from <h2 id="ID"> to the next <h2.
std::string Section(const std::string& html, const std::string& id) {
  const size_t start = html.find("<h2 id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("<h2", start + 1) - start);
}

TEST(HtmlReport, HasExactlyFourFiguresInlineAndStandalone) {
  const RenderedReport& report = FixtureReport();
  ASSERT_EQ(report.figures.size(), 4u);
  EXPECT_EQ(report.figures[0].first, "fig1_accuracy.svg");
  EXPECT_EQ(report.figures[1].first, "fig2_fps_fp32.svg");
  EXPECT_EQ(report.figures[2].first, "fig3_fps_all_precisions.svg");
  EXPECT_EQ(report.figures[3].first, "fig4_best_fps.svg");
  EXPECT_EQ(CountOf(report.html, "<svg"), 4u);
  const std::vector<std::string> titles = {
      "Fig. 1: Accuracy per framework and precision", "Fig. 2: FPS vs batch size, FP32 models",
      "Fig. 3: FPS vs batch size, all precisions (log scale)", "Fig. 4: Best FPS per framework"};
  for (size_t i = 0; i < 4; ++i) {
    const std::string& svg = FigureSvg(i);
    SCOPED_TRACE(report.figures[i].first);
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", 0), 0u);
    EXPECT_TRUE(std::regex_search(svg, std::regex("^<svg [^>]*height=\"[0-9]+\"")));
    EXPECT_NE(svg.find("<title>" + titles[i] + "</title>"), std::string::npos);
    EXPECT_EQ(MarkupProblem(svg), "");
    EXPECT_NE(report.html.find(svg), std::string::npos) << "the same SVG is inlined";
  }
  EXPECT_EQ(MarkupProblem(report.html, {"meta"}), "");
}

TEST(HtmlReport, Fig1GroupsTop1AndTop5PerFrameworkAndPrecision) {
  const std::string& svg = FigureSvg(0);
  EXPECT_EQ(TextsOfClass(svg, "legend-label"), (std::vector<std::string>{"top-1", "top-5"}));
  // Failed accuracy (mxnet) is left out of the figure.
  EXPECT_EQ(TextsOfClass(svg, "category-label"),
            (std::vector<std::string>{"onnxruntime FP32", "openvino FP32", "openvino INT8",
                                      "tflite FP32", "tflite INT8"}));
  // openvino INT8: 7/9 top-1, 9/9 top-5.
  const std::vector<std::string> values = TextsOfClass(svg, "bar-annotation");
  EXPECT_EQ(values.at(4), "77.78%");
  EXPECT_EQ(values.at(5), "100.00%");
  EXPECT_NE(svg.find("accuracy on 9 images, a sanity set (not ImageNet accuracy) (%)"),
            std::string::npos);
}

TEST(HtmlReport, Fig1FallsBackToTheDatasetTheResultsCarry) {
  ReportInput in;
  nlohmann::json a = testing::AccuracyResult("openvino", "2024.6.0", "FP32", 8, 9);
  a["dataset"] = {{"root", "/data/imagenet/val"}, {"format", "imagenet_val"}, {"images", 50000}};
  in.accuracy = {a};
  EXPECT_NE(RenderReport(in).figures[0].second.find("accuracy on 50000 images (%)"),
            std::string::npos);
}

TEST(HtmlReport, Fig2HasOneLinePerFp32SeriesWithParamsWhereSeveral) {
  const std::string& svg = FigureSvg(1);
  const std::vector<std::string> legend = TextsOfClass(svg, "legend-label");
  EXPECT_EQ(legend, (std::vector<std::string>{"onnxruntime CPU FP32", "openvino CPU FP32 [default]",
                                              "openvino CPU FP32 [nstreams=1,nthreads=2]",
                                              "openvino CPU FP32 [nthreads=1]", "tflite CPU FP32",
                                              "weird&lt;&amp;&gt;fw CPU FP32"}));
  EXPECT_EQ(CountOf(svg, "<g class=\"series\""), legend.size());
  EXPECT_EQ(svg.find("INT8"), std::string::npos);
  // Every line of 7 batches has its confidence band; a single point has none.
  EXPECT_EQ(CountOf(svg, "class=\"ci-band\""), 5u);
  EXPECT_EQ(TextsOfClass(svg, "axis-label"),
            (std::vector<std::string>{"batch size", "FPS (images/s)"}));
  EXPECT_NE(svg.find("data-scale=\"log2\""), std::string::npos);
  EXPECT_NE(svg.find("<g class=\"y-axis\" data-scale=\"linear\">"), std::string::npos);
  std::vector<std::string> ticks = TextsOfClass(svg, "tick");
  for (const char* batch : {"1", "2", "4", "8", "16", "32", "64"})
    EXPECT_TRUE(Contains(ticks, batch)) << batch;
}

TEST(HtmlReport, Fig2UsesTheLatestRunOfARepeatedPoint) {
  const std::string& svg = FigureSvg(1);
  // onnxruntime batch 8 was re-run: 233 FPS replaced 229 FPS.
  EXPECT_NE(svg.find("onnxruntime CPU FP32: batch 8, 233.0 FPS"), std::string::npos);
  EXPECT_EQ(svg.find("batch 8, 229.0 FPS"), std::string::npos);
}

TEST(HtmlReport, Fig3AddsQuantizedModelsOnALogAxis) {
  const std::string& svg = FigureSvg(2);
  const std::vector<std::string> legend = TextsOfClass(svg, "legend-label");
  EXPECT_TRUE(Contains(legend, "openvino CPU INT8"));
  EXPECT_TRUE(Contains(legend, "tflite CPU INT8"));
  EXPECT_TRUE(Contains(legend, "openvino CPU FP32 [default]"));
  EXPECT_EQ(legend.size(), 8u);
  EXPECT_NE(svg.find("<g class=\"y-axis\" data-scale=\"log\">"), std::string::npos);
  EXPECT_NE(svg.find("<g class=\"minor-grid\">"), std::string::npos);
  // FPS (with the CI) spans 89..459, less than two decades: 1-2-5 ticks
  // around the decade 100, then the batch ticks of the x axis.
  const std::vector<std::string> ticks = TextsOfClass(svg, "tick");
  EXPECT_EQ(std::vector<std::string>(ticks.begin(), ticks.begin() + 4),
            (std::vector<std::string>{"50", "100", "200", "500"}));
  EXPECT_NE(svg.find("stroke-dasharray=\"2 3\" points="), std::string::npos)
      << "INT8 lines are dotted";

  ReportOptions linear;
  linear.log_y = false;
  const std::string linear_svg = RenderReport(Fixture(), linear).figures[2].second;
  EXPECT_NE(linear_svg.find("<g class=\"y-axis\" data-scale=\"linear\">"), std::string::npos);
  EXPECT_EQ(linear_svg.find("minor-grid"), std::string::npos);
  EXPECT_NE(linear_svg.find("Fig. 3: FPS vs batch size, all precisions</title>"),
            std::string::npos);
}

TEST(HtmlReport, Fig4LabelsEachFrameworksBestWithDevicePrecisionBatch) {
  const std::string& svg = FigureSvg(3);
  EXPECT_EQ(
      TextsOfClass(svg, "category-label"),
      (std::vector<std::string>{"openvino", "onnxruntime", "tflite", "weird&lt;&amp;&gt;fw"}));
  EXPECT_EQ(
      TextsOfClass(svg, "bar-annotation"),
      (std::vector<std::string>{"452 FPS (CPU, INT8, batch 8)", "233 FPS (CPU, FP32, batch 8)",
                                "134 FPS (CPU, INT8, batch 64)", "100 FPS (CPU, FP32, batch 4)"}));
  EXPECT_EQ(TextsOfClass(svg, "axis-label"), (std::vector<std::string>{"FPS (images/s)"}));
}

TEST(HtmlReport, NoScriptAndNoNetworkReferences) {
  const std::string& html = FixtureReport().html;
  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  EXPECT_EQ(lower.find("<script"), std::string::npos);
  const std::regex url("https?://[^\"' <)]*");
  size_t urls = 0;
  for (auto it = std::sregex_iterator(lower.begin(), lower.end(), url);
       it != std::sregex_iterator(); ++it, ++urls)
    EXPECT_EQ(it->str(), "http://www.w3.org/2000/svg");
  EXPECT_EQ(urls, 4u) << "one xmlns per figure";
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
}

TEST(HtmlReport, EscapesEveryText) {
  const RenderedReport& report = FixtureReport();
  EXPECT_EQ(report.html.find("weird<&>fw"), std::string::npos);
  EXPECT_NE(report.html.find("weird&lt;&amp;&gt;fw"), std::string::npos);
  EXPECT_NE(report.html.find("0.1&quot;beta&quot;"), std::string::npos);
  EXPECT_NE(report.html.find("MXNetError &lt;symbol&gt; missing"), std::string::npos);
  for (const auto& [name, svg] : report.figures)
    EXPECT_EQ(svg.find("weird<&>"), std::string::npos) << name;
}

TEST(HtmlReport, ListsFailedPointsWithTheirReasons) {
  const std::string failed = Section(FixtureReport().html, "failed");
  ASSERT_FALSE(failed.empty());
  EXPECT_NE(failed.find("<span class=\"status-timeout\">timeout</span>"), std::string::npos);
  EXPECT_NE(failed.find("point timed out after 600 s"), std::string::npos);
  EXPECT_NE(failed.find("<span class=\"status-crashed\">crashed</span>"), std::string::npos);
  EXPECT_NE(failed.find("worker killed by signal 11 (SIGSEGV)"), std::string::npos);
  EXPECT_NE(failed.find("cannot load model"), std::string::npos) << "failed accuracy too";
  EXPECT_EQ(CountOf(failed, "<details><summary>stderr tail</summary><pre>"), 2u);
  EXPECT_NE(failed.find("I tensorflow/core: &lt;oneDNN&gt; on\nstill running batch 64</pre>"),
            std::string::npos);
  EXPECT_EQ(CountOf(failed, "<tr>"), 4u) << "header + 3 failures";
}

TEST(HtmlReport, BestParamsPicksTheFastestSetPerBatch) {
  const std::vector<BestParams> best = FindBestParams(Fixture().performance);
  const auto it = std::find_if(best.begin(), best.end(), [](const BestParams& b) {
    return b.framework == "openvino" && b.precision == "FP32" && b.batch == 8;
  });
  ASSERT_NE(it, best.end());
  EXPECT_EQ(it->params_sets, 3u);
  EXPECT_EQ(it->best_params, "nstreams=1,nthreads=2");
  EXPECT_NEAR(it->best_fps, 320, 1e-9);
  EXPECT_NEAR(*it->best_fps_low, 8000 / (25 * 1.02), 1e-9);
  EXPECT_NEAR(*it->best_fps_high, 8000 / (25 * 0.985), 1e-9);
  ASSERT_TRUE(it->default_fps);
  EXPECT_NEAR(*it->default_fps, 266.7, 1e-9);
  EXPECT_EQ(it->worst_params, "nthreads=1");
  EXPECT_NEAR(it->worst_fps, 166.7, 1e-9);
  // 4 series x 7 batches, onnxruntime (re-run counted once), weird (1 batch).
  EXPECT_EQ(best.size(), 4u * 7 + 7 + 1);

  const std::string table = Section(FixtureReport().html, "best-params");
  EXPECT_NE(table.find("<td>openvino</td><td>CPU</td><td>FP32</td><td class=\"num\">8</td>"
                       "<td class=\"num\">3</td><td>nstreams=1,nthreads=2</td>"
                       "<td class=\"num\">320.0</td><td class=\"num\">[313.7, 324.9]</td>"
                       "<td class=\"num\">266.7</td><td class=\"num\">+20.0%</td>"
                       "<td>nthreads=1</td><td class=\"num\">166.7</td>"
                       "<td class=\"num\">+92.0%</td>"),
            std::string::npos)
      << table;
}

TEST(HtmlReport, BestParamsMarksGainsWithinNoise) {
  std::vector<nlohmann::json> points = {
      testing::PerfPoint("onnxruntime", "1.20.1", "FP32", 1, 5.0),
      testing::PerfPoint("onnxruntime", "1.20.1", "FP32", 1, 4.98, {{"intra_op_threads", "2"}})};
  const std::vector<BestParams> best = FindBestParams(points);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].best_params, "intra_op_threads=2");
  ReportInput in;
  in.performance = points;
  const std::string html = RenderReport(in).html;
  EXPECT_NE(html.find("+0.4% (within noise)"), std::string::npos);
}

TEST(HtmlReport, ShowsHostVersionsAndEveryPoint) {
  const std::string& html = FixtureReport().html;
  const std::string host = Section(html, "host");
  EXPECT_NE(host.find("<td>CPU</td><td>Intel(R) Xeon(R) CPU @ 2.20GHz</td>"), std::string::npos);
  EXPECT_NE(host.find("<td>logical cores</td><td>2</td>"), std::string::npos);
  EXPECT_NE(host.find("<td>openvino</td><td>2024.6.0</td><td>CPU</td><td>FP32, INT8</td>"),
            std::string::npos);
  EXPECT_NE(host.find("<td>mxnet</td><td>1.9.1</td>"), std::string::npos);
  const std::string points = Section(html, "points");
  EXPECT_EQ(CountOf(points, "<tr>"), Fixture().performance.size() + 1);
  // batch 4 of the tuned openvino: median 4000/301 ms; FPS CI from the latency CI.
  EXPECT_NE(points.find("<td class=\"num\">301.0</td><td class=\"num\">[295.1, 305.6]</td>"),
            std::string::npos);
  const std::string accuracy = Section(html, "accuracy");
  EXPECT_NE(accuracy.find("<td class=\"num\">7</td><td class=\"num\">77.78%</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<li>sanity set of 9 photos, not ImageNet accuracy</li>"), std::string::npos);
  EXPECT_NE(html.find("class=\"warning\">Accuracy was measured on a sanity set of 9 images"),
            std::string::npos);
}

TEST(HtmlReport, EmptyInputGivesNoDataFigures) {
  const RenderedReport report = RenderReport(ReportInput{}, {});
  ASSERT_EQ(report.figures.size(), 4u);
  for (const auto& [name, svg] : report.figures) {
    EXPECT_NE(svg.find("class=\"no-data\""), std::string::npos) << name;
    EXPECT_EQ(MarkupProblem(svg), "") << name;
  }
  EXPECT_EQ(CountOf(report.html, "<svg"), 4u);
  EXPECT_NE(report.html.find("<title>DLI benchmark report</title>"), std::string::npos);
  EXPECT_NE(report.html.find("None: every point succeeded."), std::string::npos);
}

TEST(HtmlReport, OddJsonDoesNotThrow) {
  ReportInput in;
  in.host = "not an object";
  in.dataset = nullptr;
  in.performance = {nlohmann::json::object(),
                    nlohmann::json::array(),
                    42,
                    {{"framework", 7}, {"batch", "x"}, {"status", "ok"}, {"fps", "fast"}}};
  in.accuracy = {{{"framework", "a"}, {"status", "ok"}, {"top1", 3}}};
  RenderedReport report;
  ASSERT_NO_THROW(report = RenderReport(in, {}));
  EXPECT_EQ(MarkupProblem(report.html, {"meta"}), "");
  EXPECT_NE(report.figures[1].second.find("class=\"no-data\""), std::string::npos);
}

TEST(HtmlReport, SinglePointDrawsOneMarkerWithErrorBar) {
  ReportInput in;
  in.performance = {testing::PerfPoint("openvino", "2024.6.0", "FP32", 1, 4.0)};
  const RenderedReport report = RenderReport(in, {});
  const std::string& fig2 = report.figures[1].second;
  EXPECT_EQ(TextsOfClass(fig2, "legend-label"), (std::vector<std::string>{"openvino CPU FP32"}));
  EXPECT_EQ(CountOf(fig2, "class=\"error-bar\""), 1u);
  EXPECT_EQ(CountOf(fig2, "class=\"ci-band\""), 0u);
  EXPECT_EQ(TextsOfClass(report.figures[3].second, "bar-annotation"),
            (std::vector<std::string>{"250 FPS (CPU, FP32, batch 1)"}));
  EXPECT_NE(report.figures[0].second.find("no data: no successful accuracy results"),
            std::string::npos);
}

TEST(HtmlReport, AllPointsFailed) {
  ReportInput in;
  in.performance = {
      testing::FailedPoint("tensorflow", "2.15.1", "failed", 1, "no such op", ""),
      testing::FailedPoint("tensorflow", "2.15.1", "crashed", 2, "signal 6", "abort")};
  const RenderedReport report = RenderReport(in, {});
  EXPECT_NE(report.figures[1].second.find("no data: no successful FP32 points"), std::string::npos);
  EXPECT_NE(report.figures[3].second.find("class=\"no-data\""), std::string::npos);
  const std::string failed = Section(report.html, "failed");
  EXPECT_NE(failed.find("no such op"), std::string::npos);
  EXPECT_EQ(CountOf(failed, "<details>"), 1u) << "only the point with a stderr tail";
  EXPECT_NE(Section(report.html, "best-params").find("No successful performance points."),
            std::string::npos);
}

}  // namespace
}  // namespace dli
