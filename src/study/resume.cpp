#include "study/resume.h"

#include <map>

#include "core/sha256.h"
#include "store/store.h"

using nlohmann::json;

namespace dli {

json ResumeIdentity(const PlannedPoint& point, const std::string& model_sha256,
                    const std::string& dataset) {
  const PointSpec& s = point.spec;
  json params = json::object();
  for (const auto& [k, v] : s.params) params[k] = v;
  json id = {{"kind", point.kind},       {"model_sha256", model_sha256},
             {"format", s.model_format}, {"framework", s.framework},
             {"device", s.device},       {"precision", s.precision},
             {"batch", s.batch},         {"params", params}};
  // Only points with shapes name them, so others keep their keys.
  if (!s.shapes.empty()) id["shapes"] = ShapesListText(s.shapes);
  if (point.kind == "accuracy") {
    id["dataset"] = dataset;
  } else {
    id["images"] = s.input.images_dir;
    id["max_images"] = s.input.max_images;
    id["measure"] = {{"iterations", s.measure.stop.iterations},
                     {"time_limit_s", s.measure.stop.time_limit_s},
                     {"ci_target_rel", s.measure.stop.ci_target_rel},
                     {"min_iterations", s.measure.stop.min_iterations},
                     {"min_time_s", s.measure.stop.min_time_s},
                     {"warmup", s.measure.warmup}};
    // Only throughput points name their mode, so latency points keep the
    // keys they had before there were modes.
    if (IsThroughput(s)) {
      id["measure"]["mode"] = s.measure.mode;
      id["measure"]["requests"] = s.measure.requests;
    }
  }
  return id;
}

std::vector<std::string> ResumeKeys(const std::vector<PlannedPoint>& plan,
                                    const std::string& dataset) {
  std::map<std::string, std::string> sha_of;
  std::vector<std::string> keys(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlannedPoint& p = plan[i];
    if (!p.skip_reason.empty()) continue;
    if (!sha_of.count(p.spec.model_path)) sha_of[p.spec.model_path] = Sha256Path(p.spec.model_path);
    keys[i] = PointKey(ResumeIdentity(p, sha_of[p.spec.model_path], dataset));
  }
  return keys;
}

std::string RepetitionKey(const std::string& point_key, size_t repetition) {
  if (repetition == 0) return point_key;
  return PointKey({{"point", point_key}, {"repetition", repetition}});
}

}  // namespace dli
