#include "accuracy/accuracy_report.h"
#include "accuracy/accuracy_json.h"

#include <algorithm>
#include <fstream>

#include "core/error.h"
#include "core/text.h"

using nlohmann::json;

namespace dli {
namespace {

// Lines of the model's labels file, or empty.
std::vector<std::string> ReadClassNames(const ModelMeta& meta) {
  std::vector<std::string> names;
  if (meta.labels_path.empty()) return names;
  std::ifstream in(meta.labels_path);
  for (std::string line; std::getline(in, line);) names.push_back(Trim(line));
  return names;
}

std::string ClassName(const std::vector<std::string>& names, int index) {
  return index >= 0 && static_cast<size_t>(index) < names.size() ? names[index]
                                                                 : std::to_string(index);
}

std::string Fraction(size_t part, size_t whole) {
  return std::to_string(part) + "/" + std::to_string(whole);
}

}  // namespace

bool AccuracyReport::all_ok() const {
  return std::all_of(points.begin(), points.end(),
                     [](const AccuracyPoint& p) { return p.run.ok(); });
}

AccuracyReport RunAccuracyCheck(const AccuracyRequest& request, Dataset dataset,
                                const std::vector<BackendInfo>& backends, const PointRunner& run,
                                std::ostream& log) {
  log << "dataset: " << dataset.root << " (" << dataset.format << ", " << dataset.items.size()
      << " images";
  if (!dataset.warnings.empty())
    log << ", " << dataset.warnings.size() << " entries skipped, e.g. " << dataset.warnings.front();
  log << ")\n";
  std::vector<std::string> files;
  for (const LabelledImage& li : dataset.items) files.push_back(li.path);

  AccuracyReport report;
  report.dataset = std::move(dataset);
  size_t index = 0;
  const size_t total = backends.size() * request.precisions.size();
  for (const BackendInfo& backend : backends) {
    for (const std::string& precision : request.precisions) {
      const std::string counter = "[" + std::to_string(++index) + "/" + std::to_string(total) + "]";
      ResolvedModel model;
      try {
        model = ResolveModel(request.model, backend.name, precision);
      } catch (const UsageError& e) {
        if (total == 1) throw;
        log << counter << " skipped: " << e.what() << "\n";
        continue;
      }
      AccuracyPoint p;
      if (model.meta) {
        p.label_offset = model.meta->label_offset;
        if (report.class_names.empty()) report.class_names = ReadClassNames(*model.meta);
      }
      if (request.label_offset) p.label_offset = *request.label_offset;
      PointSpec spec = PredictSpec(backend, model, precision, files, request.batch, false);
      spec.preprocessing = request.preprocessing ? *request.preprocessing
                                                 : RequirePreprocessing(model, "dli accuracy");
      ValidateAgainstBackend(backend, spec);
      log << counter << " " << backend.name << " " << precision << " (" << model.format << ") ..."
          << std::flush;
      p.run = run(spec);
      p.score = ScorePredictions(p.run, report.dataset, p.label_offset);
      log << (p.run.ok() ? " top-1 " + Fraction(p.score.top1, p.score.images) + ", top-5 " +
                               Fraction(p.score.top5, p.score.images)
                         : " " + p.run.status + ": " + p.run.error)
          << "\n";
      report.points.push_back(std::move(p));
    }
  }
  if (report.points.empty())
    throw UsageError("no framework has a model for the requested precision");
  return report;
}

std::optional<AccuracySpread> LargestDifference(const std::vector<AccuracyPoint>& points) {
  double best1 = -1, worst1 = 101, best5 = -1, worst5 = 101;
  for (const AccuracyPoint& p : points) {
    if (!p.run.ok()) continue;
    best1 = std::max(best1, p.score.top1_pct());
    worst1 = std::min(worst1, p.score.top1_pct());
    best5 = std::max(best5, p.score.top5_pct());
    worst5 = std::min(worst5, p.score.top5_pct());
  }
  if (best1 < 0) return std::nullopt;
  return AccuracySpread{best1 - worst1, best5 - worst5};
}

ConsoleReport AccuracyConsole(const AccuracyReport& report, bool verbose) {
  ConsoleReport out;
  out.before = "\n";
  out.header = {"framework", "precision", "format",  "images",   "top-1",
                "top-1 %",   "top-5",     "top-5 %", "images/s", "status"};
  for (const AccuracyPoint& p : report.points) {
    const PointSpec& s = p.run.spec;
    out.rows.push_back({s.framework, s.precision, s.model_format, std::to_string(p.score.images),
                        std::to_string(p.score.top1), FormatFixed(p.score.top1_pct(), 2),
                        std::to_string(p.score.top5), FormatFixed(p.score.top5_pct(), 2),
                        FormatFixed(ImagesPerSecond(p.run, p.score), 1), p.run.status});
  }
  if (const auto spread = LargestDifference(report.points))
    out.after += "largest difference between frameworks/precisions: top-1 " +
                 FormatFixed(spread->top1, 2) + " points, top-5 " + FormatFixed(spread->top5, 2) +
                 " points\n";
  const size_t images = report.dataset.items.size();
  if (images < kSanityOnlyBelow)
    out.after += "note: " + std::to_string(images) +
                 " images is a sanity check of the conversion, not an ImageNet accuracy figure\n";
  for (const AccuracyPoint& p : report.points) {
    if (!p.run.skipped_images.empty())
      out.after += "warning: " + p.run.spec.framework + ": " +
                   std::to_string(p.run.skipped_images.size()) +
                   " image(s) could not be decoded, e.g. " + p.run.skipped_images.front() + "\n";
    if (!verbose) continue;
    for (const Prediction& pr : p.run.predictions)
      out.after += "  " + p.run.spec.framework + " " + p.run.spec.precision + " " + pr.file + ": " +
                   ClassName(report.class_names, pr.top5[0] - p.label_offset) + "\n";
  }
  return out;
}

json AccuracyDocument(const AccuracyReport& report, const HostInfo& host) {
  const Dataset& dataset = report.dataset;
  json doc = {{"schema", "dli.accuracy/1"},
              {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
              {"host", HostToJson(host)},
              {"dataset",
               {{"root", dataset.root},
                {"format", dataset.format},
                {"images", dataset.items.size()},
                {"warnings", dataset.warnings},
                {"sanity_only", dataset.items.size() < kSanityOnlyBelow}}},
              {"results", json::array()}};
  for (const AccuracyPoint& p : report.points)
    doc["results"].push_back(AccuracyToJson(p.run, dataset, p.label_offset, p.score));
  const AccuracySpread spread = LargestDifference(report.points).value_or(AccuracySpread{});
  doc["max_difference_pct"] = {{"top1", spread.top1}, {"top5", spread.top5}};
  return doc;
}

}  // namespace dli
