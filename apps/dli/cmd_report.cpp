// `dli report`: the HTML report (with standalone SVG figures) of the results
// database.
#include <ctime>
#include <filesystem>
#include <iostream>
#include <set>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "accuracy/dataset.h"
#include "core/error.h"
#include "report/html_report.h"
#include "report/report.h"
#include "store/store.h"
#include "core/text.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli::cli {
namespace {

std::string NowText() {
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buf;
}

}  // namespace

int RunReport(int argc, char** argv) {
  Args args("dli report [--db FILE] [--out FILE.html] [filters]",
            "Writes one self-contained HTML report (inline SVG, no network, no JavaScript\n"
            "needed) from the results database: Fig. 1 accuracy per framework and precision,\n"
            "Fig. 2 FPS vs batch size (FP32) with 95% confidence bands, Fig. 3 the same with\n"
            "FP16/INT8 models, Fig. 4 best FPS per framework; the best launch parameters per\n"
            "framework and batch; tables of every point; host and versions; failed points.\n"
            "Each figure is also written as a standalone SVG next to the HTML. By default the\n"
            "newest result of each distinct measurement is used. Also: the machine's state\n"
            "across the study, latency vs throughput per precision (with throughput-mode\n"
            "points), the latency/throughput mode table, and tables across targets and\n"
            "models when the results hold several.",
            {{"db", "FILE", "results database (default results/dli.sqlite)"},
             {"out", "FILE", "HTML file to write (default results/report.html)"},
             {"run", "ID", "only this run"},
             {"experiment", "NAME", "only runs of this experiment"},
             {"title", "TEXT", "report title"},
             {"linear-y", "", "Fig. 3 on a linear FPS axis instead of a logarithmic one"},
             {"normalize", "",
              "also show FPS x drift ratio (derived: normalised by the reference workload)"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  const std::string db = args.Get("db", "results/dli.sqlite");
  ResultStore store = OpenResults(db);
  PointFilter filter;
  filter.run_id = args.GetInt("run", 0, 1);
  filter.experiment = args.Get("experiment");
  filter.latest_per_key = true;
  const std::vector<StoredPoint> points = store.Points(filter);
  if (points.empty()) throw UsageError("no results in " + db + " for that selection");

  ReportInput in;
  std::set<int64_t> run_ids;
  std::set<std::string> experiments;
  for (const StoredPoint& p : points) {
    (p.kind == "accuracy" ? in.accuracy : in.performance).push_back(p.result);
    run_ids.insert(p.run_id);
  }
  std::vector<std::string> doctor_notes;
  for (const StoredRun& r : store.Runs()) {
    if (!run_ids.count(r.id)) continue;
    experiments.insert(r.experiment);
    in.host = r.host;  // the newest run's host
    // What `dli doctor` found before the run: its warnings, or that it found none.
    const json& doctor = r.config.value("doctor", json());
    if (!doctor.is_object()) continue;
    std::vector<std::string> warnings;
    for (const json& f : doctor.value("findings", json::array()))
      if (f.value("status", "") == "warn")
        warnings.push_back(f.value("id", "") + " (" + f.value("value", "") + ")");
    doctor_notes.push_back("run " + std::to_string(r.id) + ", dli doctor before it: " +
                           (warnings.empty() ? "no warnings" : Join(warnings, "; ")));
  }
  const std::vector<std::string> names(experiments.begin(), experiments.end());
  in.title = args.Get("title", "DLI report: " + Join(names, ", "));
  for (const json& a : in.accuracy)
    if (a.contains("dataset")) {
      in.dataset = a["dataset"];
      in.dataset["sanity_only"] = a["dataset"].value("images", size_t{0}) < kSanityOnlyBelow;
    }
  in.notes.push_back(std::to_string(points.size()) + " points from " +
                     std::to_string(run_ids.size()) + " run(s) in " + db +
                     " (the newest result of each measurement)");
  in.notes.insert(in.notes.end(), doctor_notes.begin(), doctor_notes.end());
  if (!in.dataset.is_null() && in.dataset.value("sanity_only", false))
    in.notes.push_back(
        "accuracy was checked on " + std::to_string(in.dataset.value("images", 0)) +
        " photos: a sanity check of the conversions, not an ImageNet accuracy figure");

  ReportOptions opts;
  opts.log_y = !args.Has("linear-y");
  opts.normalize = args.Has("normalize");
  opts.generated_by = std::string("dli ") + DLI_VERSION + ", " + NowText();
  const RenderedReport report = RenderReport(in, opts);

  const fs::path out = args.Get("out", "results/report.html");
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  WriteFileAtomically(out.string(), report.html);
  for (const auto& [name, svg] : report.figures)
    WriteFileAtomically((out.parent_path() / name).string(), svg);
  std::cout << "report: " << fs::absolute(out).string() << " (" << in.performance.size()
            << " performance and " << in.accuracy.size() << " accuracy points; "
            << report.figures.size() << " SVG figures beside it)\n";
  return kExitOk;
}

}  // namespace dli::cli
