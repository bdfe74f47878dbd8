#include <ctime>

#include "core/point.h"
#include "core/text.h"

using nlohmann::json;

namespace dli {

double FramesPerSecond(int batch, double median_ms) {
  return median_ms > 0 ? batch * 1000.0 / median_ms : 0;
}

void ApplyModel(PointSpec& spec, const ResolvedModel& model) {
  spec.model_name = model.name;
  spec.model_path = model.path;
  spec.weights_path = model.weights;
  spec.model_format = model.format;
  if (model.meta) {
    spec.preprocessing = model.meta->preprocessing;
    spec.task = model.meta->task;
    spec.label_offset = model.meta->label_offset;
  }
}

std::string ParamsText(const ParamList& params) {
  if (params.empty()) return "default";
  std::vector<std::string> parts;
  for (const auto& [k, v] : params) parts.push_back(k + "=" + v);
  return Join(parts, ",");
}

namespace {

json ParamsToJson(const ParamList& params) {
  json j = json::object();
  for (const auto& [k, v] : params) j[k] = v;
  return j;
}

ParamList ParamsFromJson(const json& j) {
  ParamList out;
  for (const auto& [k, v] : j.items()) out.emplace_back(k, v.get<std::string>());
  return out;
}

}  // namespace

json SpecToJson(const PointSpec& s) {
  const Preprocessing& p = s.preprocessing;
  return {{"mode", s.mode},
          {"task", s.task},
          {"framework", s.framework},
          {"backend_path", s.backend_path},
          {"model",
           {{"name", s.model_name},
            {"path", s.model_path},
            {"weights", s.weights_path},
            {"format", s.model_format}}},
          {"label_offset", s.label_offset},
          {"device", s.device},
          {"precision", s.precision},
          {"batch", s.batch},
          {"params", ParamsToJson(s.params)},
          {"preprocessing",
           {{"color_order", p.color_order},
            {"resize_shorter", p.resize_shorter},
            {"crop", p.crop},
            {"scale", p.scale},
            {"mean", p.mean},
            {"std", p.std}}},
          {"input",
           {{"images_dir", s.input.images_dir},
            {"max_images", s.input.max_images},
            {"seed", s.input.seed},
            {"synthetic_batches", s.input.synthetic_batches},
            {"files", s.input.files},
            {"keep_outputs", s.input.keep_outputs}}},
          {"measure",
           {{"warmup", s.measure.warmup},
            {"iterations", s.measure.stop.iterations},
            {"time_limit_s", s.measure.stop.time_limit_s},
            {"ci_target_rel", s.measure.stop.ci_target_rel},
            {"min_iterations", s.measure.stop.min_iterations},
            {"min_time_s", s.measure.stop.min_time_s}}},
          {"save_samples", s.save_samples},
          {"timeout_s", s.timeout_s}};
}

PointSpec SpecFromJson(const json& j) {
  PointSpec s;
  s.mode = j.at("mode");
  s.task = j.at("task");
  s.framework = j.at("framework");
  s.backend_path = j.at("backend_path");
  const json& m = j.at("model");
  s.model_name = m.at("name");
  s.model_path = m.at("path");
  s.weights_path = m.at("weights");
  s.model_format = m.at("format");
  s.label_offset = j.at("label_offset");
  s.device = j.at("device");
  s.precision = j.at("precision");
  s.batch = j.at("batch");
  s.params = ParamsFromJson(j.at("params"));
  const json& p = j.at("preprocessing");
  s.preprocessing.color_order = p.at("color_order");
  s.preprocessing.resize_shorter = p.at("resize_shorter");
  s.preprocessing.crop = p.at("crop");
  s.preprocessing.scale = p.at("scale");
  s.preprocessing.mean = p.at("mean");
  s.preprocessing.std = p.at("std");
  const json& in = j.at("input");
  s.input.images_dir = in.at("images_dir");
  s.input.max_images = in.at("max_images");
  s.input.seed = in.at("seed");
  s.input.synthetic_batches = in.at("synthetic_batches");
  s.input.files = in.at("files").get<std::vector<std::string>>();
  s.input.keep_outputs = in.at("keep_outputs");
  const json& me = j.at("measure");
  s.measure.warmup = me.at("warmup");
  s.measure.stop.iterations = me.at("iterations");
  s.measure.stop.time_limit_s = me.at("time_limit_s");
  s.measure.stop.ci_target_rel = me.at("ci_target_rel");
  s.measure.stop.min_iterations = me.at("min_iterations");
  s.measure.stop.min_time_s = me.at("min_time_s");
  s.save_samples = j.at("save_samples");
  s.timeout_s = j.at("timeout_s");
  return s;
}

json ResultToJson(const PointResult& r, bool with_samples) {
  const PointSpec& s = r.spec;
  const LatencySummary& l = r.latency;
  auto stat = [&](double v) { return r.ok() ? json(v) : json(nullptr); };
  json j = {
      {"task", s.task},
      {"framework", s.framework},
      {"framework_version", r.framework_version},
      {"device", s.device},
      {"precision", s.precision},
      {"batch", s.batch},
      {"params", ParamsToJson(s.params)},
      {"model",
       {{"name", s.model_name},
        {"path", s.model_path},
        {"sha256", r.model_sha256},
        {"format", s.model_format}}},
      {"input",
       {{"source", r.input_source},
        {"images", r.n_images},
        {"batches", r.n_batches},
        {"shape", r.input_shape},
        {"skipped", r.skipped_images}}},
      {"output_shape", r.output_shape},
      {"iterations", r.samples_ms.size()},
      {"warmup", r.warmup_ms.size()},
      {"warmup_ms", r.warmup_ms},
      {"stop_reason", r.stop_reason},
      {"stop_rule",
       {{"iterations", s.measure.stop.iterations},
        {"time_limit_s", s.measure.stop.time_limit_s},
        {"ci_target_rel", s.measure.stop.ci_target_rel},
        {"min_iterations", s.measure.stop.min_iterations},
        {"min_time_s", s.measure.stop.min_time_s}}},
      {"samples_kept", l.samples_kept},
      {"samples_dropped", l.samples_dropped},
      {"latency_ms",
       {{"median", stat(l.median)},
        {"mean", stat(l.mean)},
        {"std", stat(l.std)},
        {"min", stat(l.min)},
        {"max", stat(l.max)},
        {"p90", stat(l.p90)},
        {"p95", stat(l.p95)},
        {"p99", stat(l.p99)},
        {"ci95_low", stat(l.ci95.low)},
        {"ci95_high", stat(l.ci95.high)}}},
      {"fps", stat(r.fps)},
      {"first_inference_ms", stat(r.first_inference_ms)},
      {"load_ms", stat(r.load_ms)},
      {"wall_s", r.wall_s},
      {"status", r.status},
      {"error", r.error.empty() ? json(nullptr) : json(r.error)},
  };
  if (!r.stderr_tail.empty()) j["stderr_tail"] = r.stderr_tail;
  if (with_samples) j["samples_ms"] = r.samples_ms;
  if (!r.predictions.empty()) {
    json preds = json::array();
    for (const Prediction& p : r.predictions) {
      json one = {{"file", p.file}, {"top5", p.top5}, {"top5_scores", p.top5_scores}};
      if (!p.output.empty()) one["output"] = p.output;
      preds.push_back(std::move(one));
    }
    j["predictions"] = std::move(preds);
  }
  return j;
}

PointResult ResultFromJson(const json& j) {
  PointResult r;
  r.status = j.at("status");
  r.error = j.at("error").is_null() ? "" : j.at("error").get<std::string>();
  r.framework_version = j.at("framework_version");
  r.model_sha256 = j.at("model").at("sha256");
  const json& in = j.at("input");
  r.input_source = in.at("source");
  r.n_images = in.at("images");
  r.n_batches = in.at("batches");
  r.input_shape = in.at("shape");
  r.skipped_images = in.at("skipped").get<std::vector<std::string>>();
  r.output_shape = j.at("output_shape");
  r.warmup_ms = j.at("warmup_ms").get<std::vector<double>>();
  r.stop_reason = j.at("stop_reason");
  r.wall_s = j.at("wall_s");
  if (j.contains("stderr_tail")) r.stderr_tail = j.at("stderr_tail");
  if (j.contains("samples_ms")) r.samples_ms = j.at("samples_ms").get<std::vector<double>>();
  if (j.contains("predictions"))
    for (const json& p : j.at("predictions"))
      r.predictions.push_back(
          {p.at("file"), p.at("top5").get<std::vector<int>>(),
           p.at("top5_scores").get<std::vector<float>>(),
           p.contains("output") ? p.at("output").get<std::vector<float>>() : std::vector<float>{}});
  auto num = [](const json& v) { return v.is_null() ? 0.0 : v.get<double>(); };
  r.load_ms = num(j.at("load_ms"));
  r.first_inference_ms = num(j.at("first_inference_ms"));
  r.fps = num(j.at("fps"));
  // The statistics are recomputed from the raw samples: one source of truth.
  r.latency = Summarize(r.samples_ms);
  return r;
}

json HostToJson(const HostInfo& h) {
  return {{"hostname", h.hostname},   {"cpu", h.cpu_model}, {"logical_cores", h.logical_cores},
          {"memory_mb", h.memory_mb}, {"os", h.os},         {"kernel", h.kernel}};
}

json ResultsDocument(const std::vector<PointResult>& results, const HostInfo& host,
                     bool with_samples) {
  char created[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  json doc = {{"schema", kResultSchema},
              {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
              {"created", created},
              {"host", HostToJson(host)},
              {"results", json::array()}};
  for (const PointResult& r : results) doc["results"].push_back(ResultToJson(r, with_samples));
  return doc;
}

}  // namespace dli
