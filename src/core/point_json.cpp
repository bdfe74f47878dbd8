#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <stdexcept>

#include "core/error.h"
#include "core/point.h"
#include "core/text.h"

using nlohmann::json;

namespace dli {

double FramesPerSecond(int batch, double median_ms) {
  return median_ms > 0 ? batch * 1000.0 / median_ms : 0;
}

Interval FramesPerSecondInterval(int batch, const Interval& latency_ms) {
  return {FramesPerSecond(batch, latency_ms.high), FramesPerSecond(batch, latency_ms.low)};
}

Interval PointFpsInterval(const PointResult& r) {
  if (IsThroughput(r.spec)) return r.throughput_ci95;
  return FramesPerSecondInterval(r.spec.batch, r.latency.ci95);
}

bool IsThroughput(const PointSpec& spec) { return spec.measure.mode == kThroughputMode; }

std::string MeasureModeText(const PointSpec& spec) {
  return IsThroughput(spec) ? spec.measure.mode + " x" + std::to_string(spec.measure.requests)
                            : spec.measure.mode;
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
    spec.inputs = model.meta->inputs;
  }
}

std::vector<int64_t> ParseDims(const std::string& text, const std::string& what) {
  std::vector<int64_t> dims;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('x', start);
    const std::string part = text.substr(start, end == std::string::npos ? end : end - start);
    char* stop = nullptr;
    const long long dim = part.empty() ? 0 : std::strtoll(part.c_str(), &stop, 10);
    if (part.empty() || *stop != '\0' || dim < 1 || part[0] == '+')
      throw UsageError(what + " '" + text + "' is not a shape: positive integers joined by 'x' " +
                       "(e.g. 1x128)");
    dims.push_back(dim);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (dims.size() > DLI_MAX_RANK)
    throw UsageError(what + " '" + text + "' has more than " + std::to_string(DLI_MAX_RANK) +
                     " dimensions");
  return dims;
}

ShapeList ParseShapeArgs(const std::vector<std::string>& args) {
  ShapeList shapes;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--shape " + arg + ": expected NAME=AxB... (e.g. input_ids=1x128)");
    const std::string name = arg.substr(0, eq);
    for (const auto& [known, dims] : shapes)
      if (known == name) throw UsageError("--shape " + name + " given twice");
    shapes.emplace_back(name, ParseDims(arg.substr(eq + 1), "--shape " + name + ":"));
  }
  return shapes;
}

std::string ShapesListText(const ShapeList& shapes) {
  std::vector<std::string> parts;
  for (const auto& [name, dims] : shapes) parts.push_back(name + "=" + DimsText(dims));
  return Join(parts, ",");
}

ShapeList PointShapes(const PointSpec& spec) {
  ShapeList shapes;
  for (const ModelInput& in : spec.inputs) {
    if (in.kind == "image" || in.shape.size() < 2) continue;
    if (std::any_of(in.shape.begin() + 1, in.shape.end(), [](int64_t d) { return d < 0; }))
      continue;
    shapes.emplace_back(in.name, in.shape);
  }
  for (const auto& [name, dims] : spec.shapes) {
    auto known = std::find_if(shapes.begin(), shapes.end(),
                              [&](const auto& shape) { return shape.first == name; });
    if (known != shapes.end())
      known->second = dims;
    else
      shapes.emplace_back(name, dims);
  }
  for (auto& [name, dims] : shapes) dims[0] = spec.batch;
  return shapes;
}

std::string ParamsText(const ParamList& params) {
  if (params.empty()) return "default";
  std::vector<std::string> parts;
  for (const auto& [k, v] : params) parts.push_back(k + "=" + v);
  return Join(parts, ",");
}

std::string PointLabel(const PointSpec& s) {
  return s.framework + " " + s.device + " " + s.precision + " batch " + std::to_string(s.batch) +
         (s.params.empty() ? "" : " " + ParamsText(s.params)) +
         (IsThroughput(s) ? " " + MeasureModeText(s) : "");
}

namespace {

// The optional fields of one JSON object: an absent or null field keeps the
// caller's default; a field of another type is an error that names it.
class Fields {
 public:
  // `j` may be absent (null): every field then keeps its default.
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_null() && !j_.is_object())
      throw std::runtime_error(Name() + " is " + j_.type_name() + ", expected an object");
  }

  template <typename T>
  void Get(const char* key, T& out) const {
    const json* v = Find(key);
    if (!v) return;
    try {
      out = v->get<T>();
    } catch (const json::exception&) {
      throw std::runtime_error(Name(key) + " is " + v->type_name() + ", expected " + Expected<T>());
    }
  }
  bool Has(const char* key) const { return Find(key) != nullptr; }
  Fields Object(const char* key) const {
    const json* v = Find(key);
    return Fields(v ? *v : Null(), Path(key));
  }
  const json* Find(const char* key) const {
    if (!j_.is_object()) return nullptr;
    const auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  // "'latency_ms.median'" for messages.
  std::string Name(const char* key = nullptr) const {
    const std::string path = key ? Path(key) : where_;
    return path.empty() ? "the result" : "'" + path + "'";
  }

 private:
  std::string Path(const char* key) const { return where_.empty() ? key : where_ + "." + key; }
  static const json& Null() {
    static const json kNull;
    return kNull;
  }
  template <typename T>
  static std::string Expected() {
    if constexpr (std::is_same_v<T, std::string>)
      return "a string";
    else if constexpr (std::is_same_v<T, bool>)
      return "true or false";
    else if constexpr (std::is_arithmetic_v<T>)
      return "a number";
    else
      return "an array";
  }
  const json& j_;
  std::string where_;
};

json ShapesToJson(const ShapeList& shapes) {
  json j = json::object();
  for (const auto& [name, dims] : shapes) j[name] = DimsText(dims);
  return j;
}

ShapeList ShapesFromJson(const Fields& f) {
  ShapeList out;
  const json* shapes = f.Find("shapes");
  if (!shapes) return out;
  const Fields object = f.Object("shapes");
  for (const auto& [name, v] : shapes->items()) {
    std::string text;
    object.Get(name.c_str(), text);
    try {
      out.emplace_back(name, ParseDims(text, "shape"));
    } catch (const UsageError& e) {
      throw std::runtime_error(std::string("shapes.") + name + ": " + e.what());
    }
  }
  return out;
}

json InputsToJson(const std::vector<ModelInput>& inputs) {
  json list = json::array();
  for (const ModelInput& in : inputs) {
    json j = {{"name", in.name},     {"shape", in.shape}, {"dtype", in.dtype},
              {"layout", in.layout}, {"kind", in.kind},   {"vocab_size", in.vocab_size}};
    if (in.has_range) j["range"] = {in.range_low, in.range_high};
    list.push_back(std::move(j));
  }
  return list;
}

std::vector<ModelInput> InputsFromJson(const Fields& f) {
  std::vector<ModelInput> inputs;
  const json* list = f.Find("inputs");
  if (!list) return inputs;
  if (!list->is_array()) throw std::runtime_error("spec.inputs: expected an array");
  for (size_t i = 0; i < list->size(); ++i) {
    const Fields entry((*list)[i], "spec.inputs[" + std::to_string(i) + "]");
    ModelInput in;
    entry.Get("name", in.name);
    entry.Get("shape", in.shape);
    entry.Get("dtype", in.dtype);
    entry.Get("layout", in.layout);
    entry.Get("kind", in.kind);
    entry.Get("vocab_size", in.vocab_size);
    std::vector<int64_t> range;
    entry.Get("range", range);
    if (range.size() == 2) {
      in.has_range = true;
      in.range_low = range[0];
      in.range_high = range[1];
    }
    inputs.push_back(std::move(in));
  }
  return inputs;
}

json ParamsToJson(const ParamList& params) {
  json j = json::object();
  for (const auto& [k, v] : params) j[k] = v;
  return j;
}

ParamList ParamsFromJson(const Fields& f) {
  ParamList out;
  const json* params = f.Find("params");
  if (!params) return out;
  const Fields object = f.Object("params");  // checks that it is an object
  for (const auto& [k, v] : params->items()) {
    std::string value;
    object.Get(k.c_str(), value);
    out.emplace_back(k, value);
  }
  return out;
}

json StopRuleToJson(const StopRule& r) {
  return {{"iterations", r.iterations},
          {"time_limit_s", r.time_limit_s},
          {"ci_target_rel", r.ci_target_rel},
          {"min_iterations", r.min_iterations},
          {"min_time_s", r.min_time_s}};
}

void StopRuleFromJson(const Fields& f, StopRule& r) {
  f.Get("iterations", r.iterations);
  f.Get("time_limit_s", r.time_limit_s);
  f.Get("ci_target_rel", r.ci_target_rel);
  f.Get("min_iterations", r.min_iterations);
  f.Get("min_time_s", r.min_time_s);
}

PointSpec SpecFromFields(const Fields& f) {
  PointSpec s;
  f.Get("mode", s.mode);
  f.Get("task", s.task);
  f.Get("framework", s.framework);
  const Fields m = f.Object("model");
  m.Get("name", s.model_name);
  m.Get("path", s.model_path);
  m.Get("weights", s.weights_path);
  m.Get("format", s.model_format);
  f.Get("label_offset", s.label_offset);
  f.Get("device", s.device);
  f.Get("precision", s.precision);
  f.Get("batch", s.batch);
  s.params = ParamsFromJson(f);
  s.shapes = ShapesFromJson(f);
  s.inputs = InputsFromJson(f);
  const Fields p = f.Object("preprocessing");
  p.Get("color_order", s.preprocessing.color_order);
  p.Get("resize_shorter", s.preprocessing.resize_shorter);
  p.Get("crop", s.preprocessing.crop);
  p.Get("scale", s.preprocessing.scale);
  p.Get("mean", s.preprocessing.mean);
  p.Get("std", s.preprocessing.std);
  const Fields in = f.Object("input");
  in.Get("images_dir", s.input.images_dir);
  in.Get("max_images", s.input.max_images);
  in.Get("seed", s.input.seed);
  in.Get("synthetic_batches", s.input.synthetic_batches);
  in.Get("files", s.input.files);
  in.Get("keep_outputs", s.input.keep_outputs);
  const Fields me = f.Object("measure");
  me.Get("warmup", s.measure.warmup);
  me.Get("mode", s.measure.mode);
  me.Get("requests", s.measure.requests);
  StopRuleFromJson(me, s.measure.stop);
  f.Get("save_samples", s.save_samples);
  f.Get("timeout_s", s.timeout_s);
  return s;
}

// Results written before they carried their spec: what the summary keys say.
PointSpec SpecFromSummary(const Fields& f) {
  PointSpec s;
  f.Get("task", s.task);
  f.Get("framework", s.framework);
  f.Get("device", s.device);
  f.Get("precision", s.precision);
  f.Get("batch", s.batch);
  s.params = ParamsFromJson(f);
  const Fields m = f.Object("model");
  m.Get("name", s.model_name);
  m.Get("path", s.model_path);
  m.Get("format", s.model_format);
  StopRuleFromJson(f.Object("stop_rule"), s.measure.stop);
  return s;
}

bool IsEmpty(const HostInfo& h) {
  return h.hostname.empty() && h.cpu_model.empty() && h.logical_cores == 0 && h.memory_mb == 0 &&
         h.os.empty() && h.kernel.empty();
}

HostInfo HostFromFields(const Fields& f) {
  HostInfo h;
  f.Get("hostname", h.hostname);
  f.Get("cpu", h.cpu_model);
  f.Get("logical_cores", h.logical_cores);
  f.Get("memory_mb", h.memory_mb);
  f.Get("os", h.os);
  f.Get("kernel", h.kernel);
  return h;
}

}  // namespace

json SpecToJson(const PointSpec& s) {
  const Preprocessing& p = s.preprocessing;
  json measure = StopRuleToJson(s.measure.stop);
  measure["warmup"] = s.measure.warmup;
  measure["mode"] = s.measure.mode;
  measure["requests"] = s.measure.requests;
  json j = {{"mode", s.mode},
            {"task", s.task},
            {"framework", s.framework},
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
            {"measure", measure},
            {"save_samples", s.save_samples},
            {"timeout_s", s.timeout_s}};
  // Only when set, so that documents of image models stay as they were.
  if (!s.shapes.empty()) j["shapes"] = ShapesToJson(s.shapes);
  if (!s.inputs.empty()) j["inputs"] = InputsToJson(s.inputs);
  return j;
}

PointSpec SpecFromJson(const json& j) { return SpecFromFields(Fields(j, "spec")); }

json ResultToJson(const PointResult& r, bool with_samples) {
  const PointSpec& s = r.spec;
  const LatencySummary& l = r.latency;
  auto stat = [&](double v) { return r.ok() ? json(v) : json(nullptr); };
  // Load and first-inference times also tell about a point that failed later.
  auto time = [&](double v) { return r.ok() || v > 0 ? json(v) : json(nullptr); };
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
      {"iterations", l.samples_total},
      {"warmup", r.warmup_ms.size()},
      {"warmup_ms", r.warmup_ms},
      {"stop_reason", r.stop_reason},
      {"stop_rule", StopRuleToJson(s.measure.stop)},
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
      {"first_inference_ms", time(r.first_inference_ms)},
      {"load_ms", time(r.load_ms)},
      {"wall_s", r.wall_s},
      {"status", r.status},
      {"error", r.error.empty() ? json(nullptr) : json(r.error)},
      {"spec", SpecToJson(s)},
  };
  if (!s.shapes.empty()) j["shapes"] = ShapesToJson(s.shapes);
  if (!IsEmpty(r.host)) j["host"] = HostToJson(r.host);
  if (r.target != "local") j["target"] = r.target;
  if (!r.slurm_job.empty()) j["slurm_job"] = r.slurm_job;
  j["repetition"] = r.repetition;
  if (r.machine.recorded()) {
    const MachineRecord& m = r.machine;
    auto positive = [](double v) { return v > 0 ? json(v) : json(nullptr); };
    j["machine"] = {{"window_start_utc_ms", m.window_start_utc_ms},
                    {"window_end_utc_ms", m.window_end_utc_ms},
                    {"interference", m.interference},
                    {"reference_before_ms", positive(m.reference_before_ms)},
                    {"reference_after_ms", positive(m.reference_after_ms)},
                    {"drift_ratio", positive(m.drift_ratio)}};
  }
  if (!r.flags.empty()) j["flags"] = r.flags;
  if (!r.stderr_tail.empty()) j["stderr_tail"] = r.stderr_tail;
  if (IsThroughput(s))
    j["throughput"] = {
        {"requests", s.measure.requests},
        {"fps", stat(r.throughput_fps)},
        {"ci95_low", stat(r.throughput_ci95.low)},
        // null: unbounded, too few completions to say (ThroughputCi95)
        {"ci95_high",
         std::isfinite(r.throughput_ci95.high) ? stat(r.throughput_ci95.high) : json(nullptr)},
        {"completed", r.completed},
        {"window_ms", stat(r.window_ms)}};
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
  const Fields f(j, "");
  PointResult r;
  r.spec = f.Has("spec") ? SpecFromFields(f.Object("spec")) : SpecFromSummary(f);
  f.Get("status", r.status);
  f.Get("error", r.error);
  f.Get("stderr_tail", r.stderr_tail);
  f.Get("target", r.target);
  f.Get("slurm_job", r.slurm_job);
  f.Get("framework_version", r.framework_version);
  f.Object("model").Get("sha256", r.model_sha256);
  const Fields in = f.Object("input");
  in.Get("source", r.input_source);
  in.Get("images", r.n_images);
  in.Get("batches", r.n_batches);
  in.Get("shape", r.input_shape);
  in.Get("skipped", r.skipped_images);
  f.Get("output_shape", r.output_shape);
  f.Get("warmup_ms", r.warmup_ms);
  f.Get("samples_ms", r.samples_ms);
  f.Get("stop_reason", r.stop_reason);
  LatencySummary& l = r.latency;
  f.Get("iterations", l.samples_total);
  f.Get("samples_kept", l.samples_kept);
  f.Get("samples_dropped", l.samples_dropped);
  const Fields lat = f.Object("latency_ms");
  lat.Get("median", l.median);
  lat.Get("mean", l.mean);
  lat.Get("std", l.std);
  lat.Get("min", l.min);
  lat.Get("max", l.max);
  lat.Get("p90", l.p90);
  lat.Get("p95", l.p95);
  lat.Get("p99", l.p99);
  lat.Get("ci95_low", l.ci95.low);
  lat.Get("ci95_high", l.ci95.high);
  f.Get("fps", r.fps);
  f.Get("first_inference_ms", r.first_inference_ms);
  f.Get("load_ms", r.load_ms);
  f.Get("wall_s", r.wall_s);
  const Fields t = f.Object("throughput");
  t.Get("fps", r.throughput_fps);
  t.Get("ci95_low", r.throughput_ci95.low);
  t.Get("ci95_high", r.throughput_ci95.high);
  if (r.ok() && t.Has("fps") && !t.Has("ci95_high"))
    r.throughput_ci95.high = std::numeric_limits<double>::infinity();
  t.Get("completed", r.completed);
  t.Get("window_ms", r.window_ms);
  if (const json* preds = f.Find("predictions")) {
    if (!preds->is_array()) throw std::runtime_error(f.Name("predictions") + " is not an array");
    for (size_t i = 0; i < preds->size(); ++i) {
      const Fields p((*preds)[i], "predictions[" + std::to_string(i) + "]");
      Prediction one;
      p.Get("file", one.file);
      p.Get("top5", one.top5);
      p.Get("top5_scores", one.top5_scores);
      p.Get("output", one.output);
      r.predictions.push_back(std::move(one));
    }
  }
  r.host = HostFromFields(f.Object("host"));
  f.Get("repetition", r.repetition);
  const Fields m = f.Object("machine");
  m.Get("window_start_utc_ms", r.machine.window_start_utc_ms);
  m.Get("window_end_utc_ms", r.machine.window_end_utc_ms);
  if (const json* interference = m.Find("interference")) r.machine.interference = *interference;
  m.Get("reference_before_ms", r.machine.reference_before_ms);
  m.Get("reference_after_ms", r.machine.reference_after_ms);
  m.Get("drift_ratio", r.machine.drift_ratio);
  f.Get("flags", r.flags);
  return r;
}

json HostToJson(const HostInfo& h) {
  return {{"hostname", h.hostname},   {"cpu", h.cpu_model}, {"logical_cores", h.logical_cores},
          {"memory_mb", h.memory_mb}, {"os", h.os},         {"kernel", h.kernel}};
}

HostInfo HostFromJson(const json& j) { return HostFromFields(Fields(j, "host")); }

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
