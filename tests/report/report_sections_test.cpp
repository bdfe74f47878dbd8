// The report's sections over the derived views: the machine-state timeline,
// latency vs throughput, the best launch parameters per mode, the modes
// table, the tables across targets and models, flag markers and the
// normalised view. New sections are compared byte for byte with the files
// in golden/ (DLI_UPDATE_GOLDEN=1 rewrites them; read the diff before
// committing).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>

#include "markup.h"
#include "report/html_report.h"
#include "report/svg_chart.h"
#include "report_fixture.h"
#include "views_fixture.h"

namespace dli {
namespace {

using testing::CountOf;
using testing::LatencyResult;
using testing::MarkupProblem;
using testing::PointOptions;
using testing::TextsOfClass;
using testing::ToJson;
using testing::ViewResult;
using testing::WithMachine;

// The HTML section from <h2 id="ID"> to the next <h2.
std::string Section(const std::string& html, const std::string& id) {
  const size_t start = html.find("<h2 id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("<h2", start + 1) - start);
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(DLI_REPORT_GOLDEN_DIR) + "/" + name;
  if (std::getenv("DLI_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (DLI_UPDATE_GOLDEN=1 writes it)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "golden file " << path;
}

const std::string* Figure(const RenderedReport& report, const std::string& name) {
  for (const auto& [file, svg] : report.figures)
    if (file == name) return &svg;
  return nullptr;
}

RenderedReport Render(const std::vector<PointResult>& results, ReportOptions opts = {}) {
  ReportInput in;
  in.performance = ToJson(results);
  return RenderReport(in, opts);
}

// ---- Machine state (trustworthy numbers). ----

std::vector<PointResult> MachineResults() {
  std::vector<PointResult> results;
  PointOptions o;
  for (size_t rep = 0; rep < 3; ++rep) {
    o.repetition = rep;
    results.push_back(WithMachine(
        LatencyResult("openvino", "FP32", 1, 200 - 20.0 * rep, o), 3.0 * rep, 0.001, 0.1, 0.5,
        1 + 0.1 * rep,
        rep == 2 ? std::vector<std::string>{"steal", "drift"} : std::vector<std::string>{}));
    results.push_back(WithMachine(LatencyResult("tflite", "FP32", 1, 90, o), 3.0 * rep + 1, 0.002,
                                  0.2, 0.7, 1.0));
  }
  return results;
}

TEST(MachineState, TimelinePanelsOverTheStudyWithFlaggedRepetitions) {
  const RenderedReport report = Render(MachineResults());
  const std::string* svg = Figure(report, "machine_state.svg");
  ASSERT_NE(svg, nullptr);
  EXPECT_EQ(MarkupProblem(*svg), "");
  EXPECT_EQ(svg->rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"820\"", 0), 0u);
  EXPECT_EQ(
      TextsOfClass(*svg, "chart-title"),
      (std::vector<std::string>{"Machine state across the study", "CPU steal", "Other processes",
                                "Load average", "Drift of the reference workload"}));
  EXPECT_NE(svg->find("minutes since 2026-01-01 00:00:00 UTC"), std::string::npos);
  // One flagged repetition, marked in each of the four panels.
  EXPECT_EQ(CountOf(*svg, "<g class=\"series\" data-name=\"flagged repetitions\">"), 4u);
  EXPECT_NE(svg->find("openvino CPU FP32 batch 1, repetition 3, 00:06:00-00:06:20 UTC: 1.20, "
                      "flagged steal,drift"),
            std::string::npos);
  const std::string section = Section(report.html, "machine");
  EXPECT_NE(section.find(*svg), std::string::npos) << "inlined";
  EXPECT_NE(section.find("Crosses: the 1 flagged repetitions."), std::string::npos);
}

TEST(MachineState, SaysSoWhenNotRecorded) {
  const RenderedReport report = RenderReport(testing::Fixture(), {});
  EXPECT_EQ(Figure(report, "machine_state.svg"), nullptr);
  ExpectGolden("machine_not_recorded.html", Section(report.html, "machine"));
}

TEST(MachineState, PanelSaysWhenACounterWasNotReadable) {
  std::vector<PointResult> results = MachineResults();
  for (PointResult& r : results) r.machine.interference = nullptr;
  const RenderedReport report = Render(results);
  const std::string* svg = Figure(report, "machine_state.svg");
  ASSERT_NE(svg, nullptr);
  EXPECT_EQ(CountOf(*svg, "not recorded: the machine did not expose this counter"), 3u);
  EXPECT_EQ(MarkupProblem(*svg), "");
}

TEST(Flags, MarkedInTablesWithALegend) {
  const std::string html = Render(MachineResults()).html;
  const std::string points = Section(html, "points");
  EXPECT_NE(points.find("<span class=\"status-ok\">ok</span><span class=\"flag\"> \u2691 "
                        "steal,drift</span>"),
            std::string::npos);
  EXPECT_NE(points.find("<p class=\"meta\">\u2691 flagged:"), std::string::npos);
  // The aggregate of openvino's three repetitions carries the mark.
  const std::string best = Section(html, "best-params");
  EXPECT_NE(best.find("180.0 \u2691</td>"), std::string::npos) << best;
  EXPECT_NE(best.find("\u2691 flagged:"), std::string::npos);
  EXPECT_NE(Section(html, "modes").find("180.0 (batch 1) \u2691"), std::string::npos);
  // No flag, no mark and no legend.
  EXPECT_EQ(RenderReport(testing::Fixture(), {}).html.find("\u2691"), std::string::npos);
}

TEST(Normalize, ADerivedViewOnlyWhenAsked) {
  EXPECT_EQ(Render(MachineResults()).html.find("normalised"), std::string::npos);
  ReportOptions opts;
  opts.normalize = true;
  const RenderedReport report = Render(MachineResults(), opts);
  const std::string section = Section(report.html, "normalized");
  // openvino: 200 x 1.0, 180 x 1.1, 160 x 1.2 -> median 198; tflite 90 x 1.0.
  ExpectGolden("normalized.html", section);
  EXPECT_NE(section.find("<td class=\"num\">1.100</td><td class=\"num\">198.0</td>"),
            std::string::npos);
  EXPECT_EQ(MarkupProblem(report.html, {"meta"}), "");
  // Measured figures elsewhere stay as measured.
  EXPECT_NE(Section(report.html, "modes").find("180.0 (batch 1)"), std::string::npos);

  const std::string none = Section(Render(testing::ModesResults(), opts).html, "normalized");
  EXPECT_NE(none.find("derived: normalised by the reference workload"), std::string::npos);
  EXPECT_NE(none.find("nothing to normalise"), std::string::npos);
}

// ---- Throughput mode. ----

TEST(LatencyThroughput, OneFigurePerPrecisionWithParetoFronts) {
  const RenderedReport report = Render(testing::ModesResults());
  const std::string* fp32 = Figure(report, "fig5_latency_throughput_fp32.svg");
  const std::string* int8 = Figure(report, "fig5_latency_throughput_int8.svg");
  ASSERT_NE(fp32, nullptr);
  ASSERT_NE(int8, nullptr);
  EXPECT_EQ(MarkupProblem(*fp32), "");
  EXPECT_EQ(
      TextsOfClass(*fp32, "legend-label"),
      (std::vector<std::string>{"onnxruntime CPU (Pareto front)", "onnxruntime CPU (other points)",
                                "openvino CPU (Pareto front)", "openvino CPU (other points)",
                                "tflite CPU (Pareto front)"}));
  EXPECT_EQ(TextsOfClass(*fp32, "axis-label"),
            (std::vector<std::string>{"median latency per request (ms)", "FPS (images/s)"}));
  // openvino FP32: 5 ms/200 FPS, 9 ms/450 FPS (tuned throughput) on the
  // front; 10 ms/400 FPS, 13.3 ms/260 and 300 FPS, 40 ms/440 FPS off it.
  // onnxruntime: 34.8 ms/230 FPS (batch 8) loses to 12 ms/330 FPS.
  const size_t front = fp32->find("data-name=\"openvino CPU (Pareto front)\"");
  const size_t off = fp32->find("data-name=\"openvino CPU (other points)\"");
  ASSERT_LT(front, off);
  EXPECT_EQ(CountOf(fp32->substr(front, off - front), "<g><title>"), 2u);
  EXPECT_NE(
      fp32->find("batch 1, throughput x4, params nstreams=2: 450.0 FPS at 9.00 ms per request"),
      std::string::npos);
  EXPECT_NE(report.html.find("<figure id=\"fig5-fp32\">"), std::string::npos);
  // Latency mode only: Fig. 2 says it all, no figure 5.
  EXPECT_EQ(RenderReport(testing::Fixture(), {}).figures.size(), 4u);
}

TEST(ModesTable, PublishedLayoutWithBothModes) {
  const std::string html = Render(testing::ModesResults()).html;
  ExpectGolden("modes.html", Section(html, "modes"));
  const std::string modes = Section(html, "modes");
  EXPECT_NE(modes.find("<tr><td>openvino</td><td class=\"num\">300.0 (batch 4)</td>"
                       "<td class=\"num\">450.0 (batch 1, 4 requests)</td>"
                       "<td class=\"num\">350.0 (batch 1)</td><td class=\"num\">N/A</td></tr>"),
            std::string::npos);
  EXPECT_NE(modes.find("<tr><td>tflite</td><td class=\"num\">90.00 (batch 1)</td>"
                       "<td class=\"num\">N/A</td><td class=\"num\">-</td>"),
            std::string::npos);
}

TEST(BestParams, PerModeFromTheResultsAlone) {
  const std::string html = Render(testing::ModesResults()).html;
  const std::string best = Section(html, "best-params");
  ExpectGolden("best_params_modes.html", best.substr(0, best.find("<h3>")));
  EXPECT_NE(best.find("<td>openvino</td><td>CPU</td><td>FP32</td><td>throughput</td>"
                      "<td>nstreams=2</td><td class=\"num\">1</td><td class=\"num\">4</td>"
                      "<td class=\"num\">450.0</td><td class=\"num\">[441.0, 459.0]</td>"
                      "<td class=\"num\">4</td><td class=\"num\">2</td><td class=\"num\">440.0</td>"
                      "<td class=\"num\">[431.2, 448.8]</td>"
                      "<td class=\"num\">+2.3% (within noise)</td>"),
            std::string::npos);
  EXPECT_EQ(best.find("Defaults only"), std::string::npos);
}

TEST(BestParams, PerBatchComparesParamsWithinOneMode) {
  const std::vector<BestParams> best = FindBestParams(ToJson(testing::ModesResults()));
  std::vector<std::string> openvino_batch1;
  for (const BestParams& b : best)
    if (b.framework == "openvino" && b.precision == "FP32" && b.batch == 1)
      openvino_batch1.push_back(b.best_params + ", " + std::to_string(b.params_sets) +
                                " sets, default " +
                                (b.default_fps ? FormatSignificant(*b.default_fps, 3) : "none"));
  EXPECT_EQ(openvino_batch1,
            (std::vector<std::string>{"default, 1 sets, default 200",
                                      "nstreams=2 throughput x4, 2 sets, default 400"}));
}

TEST(BestParams, DefaultsOnly) {
  const std::string best = Section(
      Render({LatencyResult("tflite", "FP32", 1, 90), LatencyResult("tflite", "FP32", 2, 95)}).html,
      "best-params");
  EXPECT_NE(best.find("<p>Defaults only: every point was measured with the framework's default "
                      "parameters"),
            std::string::npos);
  EXPECT_EQ(best.find("No parameter sweep"), std::string::npos);
  EXPECT_NE(best.find("<td>tflite</td><td>CPU</td><td>FP32</td><td>latency</td><td>default</td>"
                      "<td class=\"num\">2</td>"),
            std::string::npos);
}

// ---- Many machines. ----

std::vector<PointResult> TwoTargets() {
  return {LatencyResult("openvino", "FP32", 1, 200), LatencyResult("openvino", "FP32", 4, 260),
          LatencyResult("openvino", "FP32", 1, 410, {{}, 0, "big-box"}),
          LatencyResult("tflite", "FP32", 1, 90, {{}, 0, "big-box"}),
          LatencyResult("tflite", "FP32", 1, 0, {{}, 0, "local", "mobilenet_v2", 0, "failed"})};
}

TEST(Targets, CrossTargetTableAndTargetsNamedInDetail) {
  const RenderedReport report = Render(TwoTargets());
  ExpectGolden("targets.html", Section(report.html, "targets"));
  EXPECT_NE(Section(report.html, "points").find("<th>target</th><th>framework</th>"),
            std::string::npos);
  EXPECT_NE(Section(report.html, "points").find("<tr><td>big-box</td><td>openvino</td>"),
            std::string::npos);
  EXPECT_NE(Section(report.html, "failed").find("<td>performance</td><td>local</td>"),
            std::string::npos);
  // Two targets' series stay apart in Fig. 2.
  EXPECT_EQ(TextsOfClass(report.figures[1].second, "legend-label"),
            (std::vector<std::string>{"openvino CPU FP32 on big-box", "openvino CPU FP32 on local",
                                      "tflite CPU FP32 on big-box"}));
  EXPECT_EQ(TextsOfClass(report.figures[3].second, "bar-annotation"),
            (std::vector<std::string>{"410 FPS (CPU, FP32, batch 1, big-box)",
                                      "90.0 FPS (CPU, FP32, batch 1, big-box)"}));
  // One target, whatever its name: no table, no column, no name in Fig. 4.
  std::vector<PointResult> remote = TwoTargets();
  remote.resize(3);
  remote.erase(remote.begin(), remote.begin() + 2);
  EXPECT_EQ(TextsOfClass(Render(remote).figures[3].second, "bar-annotation"),
            (std::vector<std::string>{"410 FPS (CPU, FP32, batch 1)"}));
  const std::string one = RenderReport(testing::Fixture(), {}).html;
  EXPECT_EQ(one.find("id=\"targets\""), std::string::npos);
  EXPECT_EQ(one.find("<th>target</th>"), std::string::npos);
}

// ---- Many models. ----

std::vector<PointResult> TwoModels() {
  const PointOptions resnet{{}, 0, "local", "resnet50"};
  PointOptions resnet_failed = resnet;
  resnet_failed.status = "failed";
  return {LatencyResult("openvino", "FP32", 1, 200),
          LatencyResult("openvino", "FP32", 8, 260),
          LatencyResult("openvino", "INT8", 1, 350),
          LatencyResult("tflite", "FP32", 1, 90),
          LatencyResult("openvino", "FP32", 1, 40, resnet),
          LatencyResult("openvino", "FP32", 8, 52, resnet),
          LatencyResult("tflite", "FP32", 1, 0, resnet_failed)};
}

// DLI_MODELS_DIR set to a fresh folder for the lifetime of the object, so
// the report reads model.json files of the test's making only.
class ModelsDirFor {
 public:
  ModelsDirFor()
      : dir_(std::filesystem::temp_directory_path() /
             ("dli-report-models-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    if (const char* old = std::getenv("DLI_MODELS_DIR")) old_ = old;
    ::setenv("DLI_MODELS_DIR", dir_.c_str(), 1);
  }
  ~ModelsDirFor() {
    if (old_)
      ::setenv("DLI_MODELS_DIR", old_->c_str(), 1);
    else
      ::unsetenv("DLI_MODELS_DIR");
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& model, const std::string& model_json) {
    std::filesystem::create_directories(dir_ / model);
    std::ofstream(dir_ / model / "model.json") << model_json;
  }

 private:
  std::filesystem::path dir_;
  std::optional<std::string> old_;
};

TEST(Models, CrossModelTableAndFiguresPerModel) {
  ModelsDirFor no_metadata;
  const RenderedReport report = Render(TwoModels());
  ExpectGolden("models.html", Section(report.html, "models"));
  const std::string models = Section(report.html, "models");
  EXPECT_NE(models.find("<tr><td>resnet50</td><td>1</td><td class=\"num\">40.00</td>"
                        "<td class=\"num\">N/A</td><td class=\"num\">-</td></tr>"),
            std::string::npos);
  std::vector<std::string> names;
  for (const auto& [name, svg] : report.figures) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "fig1_accuracy.svg", "fig2_fps_fp32_mobilenet_v2.svg",
                       "fig3_fps_all_precisions_mobilenet_v2.svg", "fig4_best_fps_mobilenet_v2.svg",
                       "fig2_fps_fp32_resnet50.svg", "fig3_fps_all_precisions_resnet50.svg",
                       "fig4_best_fps_resnet50.svg"}));
  const std::string& resnet_fig2 = report.figures[4].second;
  EXPECT_NE(resnet_fig2.find("<title>Fig. 2: FPS vs batch size, FP32 models, resnet50</title>"),
            std::string::npos);
  EXPECT_EQ(resnet_fig2.find("tflite"), std::string::npos) << "its failed point is not drawn";
  EXPECT_EQ(resnet_fig2.find("mobilenet"), std::string::npos);
  EXPECT_NE(report.html.find("<figure id=\"fig2-resnet50\">"), std::string::npos);
  EXPECT_EQ(MarkupProblem(report.html, {"meta"}), "");
  // One model: no table, the four figures as before.
  EXPECT_EQ(RenderReport(testing::Fixture(), {}).html.find("id=\"models\""), std::string::npos);
  EXPECT_EQ(report.html.find("Seeded weights"), std::string::npos);
}

TEST(Models, SeededWeightsAreLabelled) {
  ModelsDirFor models;
  models.Write("resnet50",
               R"({"name": "resnet50", "weights": "seeded initialisation, performance only"})");
  models.Write("mobilenet_v2", R"({"name": "mobilenet_v2", "weights": "pretrained: fdet"})");
  const RenderedReport report = Render(TwoModels());
  const std::string note = "Seeded weights, performance only: resnet50 (";
  EXPECT_NE(Section(report.html, "models").find(note), std::string::npos);
  EXPECT_EQ(CountOf(report.html, note), 2u) << "in the table across models and beside the files";
  EXPECT_EQ(MarkupProblem(report.html, {"meta"}), "");
}

}  // namespace
}  // namespace dli
