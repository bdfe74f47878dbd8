// The self-contained HTML report: the paper's four figures as inline SVG,
// the best launch parameters, tables of every point, host and versions,
// failed points with their reasons. It renders JSON point objects (the
// dli.result/1 and accuracy schemas, docs/REPORT.md) and knows nothing about
// where they are stored: performance points are read once into PointResult
// (ResultFromJson), accuracy results are read as JSON.
#ifndef DLI_HTML_REPORT_H
#define DLI_HTML_REPORT_H

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/point.h"

namespace dli {

struct ReportInput {
  std::string title;                        // e.g. "MobileNetV2 on this host"
  nlohmann::json host;                      // HostToJson()
  std::vector<nlohmann::json> performance;  // dli.result/1 points (ResultToJson)
  std::vector<nlohmann::json> accuracy;     // one per (framework, precision) (dli accuracy)
  nlohmann::json dataset;                   // {root, format, images, sanity_only}
  std::vector<std::string> notes;           // free text lines shown under the title
};

struct ReportOptions {
  bool log_y = true;         // Fig. 3's y axis: logarithmic (decades) or linear
  int figure_width = 820;    // pixels; each figure's height follows its content
  std::string generated_by;  // shown under the title, e.g. "dli 0.1.0, 2025-01-31 12:00 UTC"
  // Adds the derived view of FPS normalised by the reference workload
  // (NormalizedFps); never the default.
  bool normalize = false;
};

struct RenderedReport {
  std::string html;
  // (file name, standalone SVG document): fig1_accuracy.svg,
  // fig2_fps_fp32.svg, fig3_fps_all_precisions.svg, fig4_best_fps.svg (with
  // several models, figures 2-4 once per model: fig2_fps_fp32_MODEL.svg...);
  // then fig5_latency_throughput_PRECISION.svg per precision when some point
  // was measured in throughput mode, and machine_state.svg when the
  // repetitions recorded the machine's state.
  std::vector<std::pair<std::string, std::string>> figures;
};

// Never throws on odd input: missing or null fields show as blanks, points
// without a usable FPS are left out of the figures but kept in the tables, a
// performance point that cannot be read is listed as failed with the reason.
RenderedReport RenderReport(const ReportInput& in, const ReportOptions& opts = {});

// Methodology step 3: among the successful points of one framework x device
// x precision x batch (and model, target and measuring mode), the params set
// with the highest FPS.
struct BestParams {
  std::string model, framework, device, precision, target;
  int batch = 0;
  size_t params_sets = 0;   // distinct params sets measured
  std::string best_params;  // "k=v,k=v" or "default"
  double best_fps = 0;
  std::optional<double> best_fps_low, best_fps_high;  // 95% CI
  std::optional<double> default_fps;                  // when the default params were measured
  std::optional<double> default_fps_low, default_fps_high;
  std::string worst_params;
  double worst_fps = 0;
  std::optional<double> worst_fps_high;
  size_t best_flagged = 0;  // repetitions of the best point with a flag
};

// Sorted by model, framework, device, precision, batch (then target). Repeated points of
// one params set count once: the last in input order.
std::vector<BestParams> FindBestParams(const std::vector<PointResult>& performance);
std::vector<BestParams> FindBestParams(const std::vector<nlohmann::json>& performance);

}  // namespace dli

#endif  // DLI_HTML_REPORT_H
