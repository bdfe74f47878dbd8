#include "accuracy/accuracy_json.h"

#include <map>

using nlohmann::json;

namespace dli {

double ImagesPerSecond(const PointResult& run, const TopKScore& score) {
  return run.wall_s > 0 ? score.images / run.wall_s : 0;
}

json AccuracyToJson(const PointResult& run, const Dataset& dataset, int label_offset,
                    const TopKScore& score) {
  const PointSpec& s = run.spec;
  std::map<std::string, const std::vector<int>*> labels_of;
  for (const LabelledImage& li : dataset.items) labels_of[li.path] = &li.labels;
  json preds = json::array();
  for (const Prediction& p : run.predictions) {
    const auto it = labels_of.find(p.file);
    preds.push_back({{"file", p.file},
                     {"labels", it == labels_of.end() ? json::array() : json(*it->second)},
                     {"top5", p.top5},
                     {"top5_scores", p.top5_scores}});
  }
  return {{"task", s.task},
          {"framework", s.framework},
          {"framework_version", run.framework_version},
          {"device", s.device},
          {"precision", s.precision},
          {"batch", s.batch},
          {"model",
           {{"name", s.model_name},
            {"path", s.model_path},
            {"sha256", run.model_sha256},
            {"format", s.model_format}}},
          {"dataset",
           {{"root", dataset.root}, {"format", dataset.format}, {"images", dataset.items.size()}}},
          {"label_offset", label_offset},
          {"status", run.status},
          {"error", run.error.empty() ? json(nullptr) : json(run.error)},
          {"images", score.images},
          {"top1", score.top1},
          {"top5", score.top5},
          {"top1_pct", score.top1_pct()},
          {"top5_pct", score.top5_pct()},
          {"images_per_s", ImagesPerSecond(run, score)},
          {"wall_s", run.wall_s},
          {"skipped_images", run.skipped_images},
          {"predictions", preds}};
}

}  // namespace dli
