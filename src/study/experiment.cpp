#include "study/experiment.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/model.h"
#include "core/text.h"
#include "core/throughput.h"
#include "core/yaml_reader.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

const std::set<std::string> kTopKeys = {
    "name",        "models", "model",    "frameworks", "devices",  "precisions",
    "batches",     "params", "images",   "max_images", "accuracy", "measure",
    "repetitions", "modes",  "requests", "tune",       "shapes"};
const std::set<std::string> kMeasureKeys = {"iterations",     "time_limit", "warmup", "ci_target",
                                            "min_iterations", "min_time",   "timeout"};
const std::set<std::string> kTuneKeys = {"budget",     "metric",      "modes",
                                         "precisions", "batches",     "requests",
                                         "params",     "min_measure", "points"};
const std::set<std::string> kAccuracyKeys = {"dataset", "labels", "classes", "limit"};

// Relative paths are relative to the experiment file; a bare name that is a
// bundled dataset (models/_datasets/NAME) means that dataset.
std::string ResolveDataPath(const std::string& value, const std::string& experiment_file) {
  if (value.empty() || fs::path(value).is_absolute()) return value;
  if (value.find('/') == std::string::npos) {
    const fs::path bundled = fs::path(ModelsDir()) / "_datasets" / value;
    if (fs::is_directory(bundled)) return bundled.string();
  }
  return (fs::absolute(experiment_file).parent_path() / value).lexically_normal().string();
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::vector<long long> Ints(const YamlReader& r, const YAML::Node& node, const std::string& what,
                            long long min) {
  std::vector<long long> out;
  for (const YAML::Node& item :
       node.IsSequence() ? node : YAML::Node(std::vector<YAML::Node>{node}))
    out.push_back(r.Int(item, what, min));
  return out;
}

TuneSettings ReadTune(const YamlReader& r, const YAML::Node& t, const Experiment& e,
                      std::string& where) {
  if (!t.IsMap()) r.Fail(t, "tune must be a mapping (tune: {budget: SECONDS})");
  r.CheckKeys(t, kTuneKeys, "tune");
  if (!t["budget"]) r.Fail(t, "tune needs a budget in seconds (tune: {budget: 60})");
  where = r.Where(t.Mark());
  TuneSettings s;
  s.budget_s = r.Real(t["budget"], "budget", 0);
  if (!(s.budget_s > 0)) r.Fail(t["budget"], "budget must be > 0 seconds");
  if (t["metric"]) {
    s.metric = r.Scalar(t["metric"], "metric");
    if (s.metric != "fps" && s.metric != "latency")
      r.Fail(t["metric"], "unknown metric '" + s.metric + "'; expected fps or latency");
  }
  if (t["modes"]) {
    s.modes = r.List(t["modes"], "modes");
    for (const std::string& mode : s.modes)
      if (mode != kLatencyMode && mode != kThroughputMode)
        r.Fail(t["modes"], "unknown mode '" + mode + "'; expected latency or throughput");
  }
  if (t["precisions"]) {
    s.precisions = r.List(t["precisions"], "precisions");
    for (std::string& p : s.precisions) {
      p = ToUpper(p);
      if (!Has(e.precisions, p)) r.Fail(t["precisions"], p + " is not in the study's precisions");
    }
  }
  if (t["batches"])
    for (long long b : Ints(r, t["batches"], "each batch size", 1))
      s.batches.push_back(static_cast<int>(b));
  if (t["requests"]) {
    if (!Has(s.modes.empty() ? e.modes : s.modes, kThroughputMode))
      r.Fail(t["requests"], "requests apply to throughput points; add throughput to modes");
    for (long long n : Ints(r, t["requests"], "each request count", 1))
      s.requests.push_back(static_cast<size_t>(n));
  }
  if (t["params"]) s.params = r.List(t["params"], "params");
  if (t["points"]) {
    s.points = r.Scalar(t["points"], "points");
    if (s.points != "all" && s.points != "best")
      r.Fail(t["points"], "unknown points '" + s.points + "'; expected all or best");
  }
  if (t["min_measure"]) {
    s.min_measure_s = r.Real(t["min_measure"], "min_measure", 0);
    if (!(s.min_measure_s > 0)) r.Fail(t["min_measure"], "min_measure must be > 0 seconds");
  }
  return s;
}

}  // namespace

Experiment LoadExperiment(const std::string& path) {
  const YAML::Node root = LoadYamlFile(path, "experiment");
  const YamlReader r(path);
  if (!root.IsMap()) throw UsageError(path + ": an experiment file is a YAML mapping");
  r.CheckKeys(root, kTopKeys, "the experiment");
  Experiment e;
  e.file = path;
  e.name = root["name"] ? r.Scalar(root["name"], "name") : fs::path(path).stem().string();
  if (root["models"] && root["model"]) r.Fail(root["model"], "give either model or models");
  if (root["models"]) e.models = r.List(root["models"], "models");
  if (root["model"]) e.models = r.List(root["model"], "model");
  if (e.models.empty()) throw UsageError(path + ": no model given (models: [mobilenet_v2])");
  if (!root["frameworks"])
    throw UsageError(path + ": no frameworks given (frameworks: [openvino])");
  e.frameworks = r.List(root["frameworks"], "frameworks");
  if (root["devices"]) e.devices = r.List(root["devices"], "devices");
  if (root["precisions"]) {
    e.precisions = r.List(root["precisions"], "precisions");
    for (std::string& p : e.precisions) p = ToUpper(p);
  }
  if (root["batches"]) {
    e.batches.clear();
    const YAML::Node b = root["batches"];
    for (const YAML::Node& item : b.IsSequence() ? b : YAML::Node(std::vector<YAML::Node>{b}))
      e.batches.push_back(static_cast<int>(r.Int(item, "each batch size", 1)));
  }
  if (root["modes"]) {
    e.modes = r.List(root["modes"], "modes");
    for (const std::string& mode : e.modes)
      if (mode != kLatencyMode && mode != kThroughputMode)
        r.Fail(root["modes"], "unknown mode '" + mode + "'; expected latency or throughput");
  }
  if (const YAML::Node requests = root["requests"]) {
    if (!Has(e.modes, kThroughputMode))
      r.Fail(requests, "requests apply to throughput points; add throughput to modes");
    e.requests.clear();
    for (const YAML::Node& item :
         requests.IsSequence() ? requests : YAML::Node(std::vector<YAML::Node>{requests}))
      e.requests.push_back(static_cast<size_t>(r.Int(item, "each request count", 1)));
  }
  if (const YAML::Node params = root["params"]) {
    if (!params.IsMap()) r.Fail(params, "params must map a framework to its parameter axes");
    for (const auto& fw : params) {
      const std::string name = fw.first.as<std::string>();
      if (std::find(e.frameworks.begin(), e.frameworks.end(), name) == e.frameworks.end())
        r.Fail(fw.first, "params for '" + name + "', which is not in frameworks");
      if (!fw.second.IsMap()) r.Fail(fw.second, "params of " + name + " must be a mapping");
      e.params_at[name] = r.Where(fw.first.Mark());
      for (const auto& axis : fw.second)
        e.params[name].emplace_back(
            axis.first.as<std::string>(),
            r.List(axis.second, "values of " + axis.first.as<std::string>()));
    }
  }
  if (const YAML::Node shapes = root["shapes"]) {
    if (!shapes.IsMap()) r.Fail(shapes, "shapes must map an input name to its shape (1x128)");
    for (const auto& input : shapes) {
      const std::string name = input.first.as<std::string>();
      std::vector<int64_t> dims;
      if (input.second.IsSequence()) {
        for (const YAML::Node& dim : input.second)
          dims.push_back(r.Int(dim, "each dimension of shapes." + name, 1));
        if (dims.empty() || dims.size() > DLI_MAX_RANK)
          r.Fail(input.second,
                 "shapes." + name + " needs 1.." + std::to_string(DLI_MAX_RANK) + " dimensions");
      } else {
        const std::string text = r.Scalar(input.second, "shapes." + name);
        try {
          dims = ParseDims(text, "shapes." + name);
        } catch (const UsageError& err) {
          r.Fail(input.second, err.what());
        }
      }
      e.shapes.emplace_back(name, dims);
    }
  }
  // `synthetic` names the default (random data) explicitly, not a folder.
  if (root["images"]) {
    const std::string images = r.Scalar(root["images"], "images");
    if (images != "synthetic") e.images = ResolveDataPath(images, path);
  }
  if (root["max_images"])
    e.max_images = static_cast<size_t>(r.Int(root["max_images"], "max_images", 1));
  if (root["repetitions"])
    e.repetitions = static_cast<size_t>(r.Int(root["repetitions"], "repetitions", 1));
  if (const YAML::Node acc = root["accuracy"]) {
    if (acc.IsScalar()) {
      e.accuracy = r.Bool(acc, "accuracy");
      if (e.accuracy) r.Fail(acc, "accuracy: true needs a dataset (accuracy: {dataset: DIR})");
    } else {
      r.CheckKeys(acc, kAccuracyKeys, "accuracy");
      if (!acc["dataset"]) r.Fail(acc, "accuracy needs a dataset");
      e.accuracy = true;
      e.dataset = ResolveDataPath(r.Scalar(acc["dataset"], "dataset"), path);
      if (acc["labels"])
        e.dataset_labels = ResolveDataPath(r.Scalar(acc["labels"], "labels"), path);
      if (acc["classes"])
        e.dataset_classes = ResolveDataPath(r.Scalar(acc["classes"], "classes"), path);
      if (acc["limit"]) e.dataset_limit = static_cast<size_t>(r.Int(acc["limit"], "limit", 1));
    }
  }
  if (const YAML::Node m = root["measure"]) {
    r.CheckKeys(m, kMeasureKeys, "measure");
    StopRule& stop = e.measure.stop;
    if (m["iterations"])
      stop.iterations = static_cast<size_t>(r.Int(m["iterations"], "iterations", 0));
    if (m["time_limit"]) stop.time_limit_s = r.Real(m["time_limit"], "time_limit", 0);
    if (m["warmup"]) e.measure.warmup = static_cast<size_t>(r.Int(m["warmup"], "warmup", 0));
    if (m["ci_target"]) stop.ci_target_rel = r.Real(m["ci_target"], "ci_target", 0);
    if (m["min_iterations"])
      stop.min_iterations = static_cast<size_t>(r.Int(m["min_iterations"], "min_iterations", 1));
    if (m["min_time"]) stop.min_time_s = r.Real(m["min_time"], "min_time", 0);
    if (m["timeout"]) e.timeout_s = r.Real(m["timeout"], "timeout", 1);
    if (const std::string err = ValidateStopRule(stop); !err.empty()) r.Fail(m, err);
  }
  if (const YAML::Node t = root["tune"]) e.tune = ReadTune(r, t, e, e.tune_at);
  return e;
}

std::vector<ParamList> ExpandParams(const ParamAxes& axes) {
  std::vector<ParamList> sets = {{}};
  for (const auto& [name, values] : axes) {
    std::vector<ParamList> next;
    for (const ParamList& base : sets)
      for (const std::string& v : values) {
        ParamList p = base;
        p.emplace_back(name, v);
        next.push_back(std::move(p));
      }
    sets = std::move(next);
  }
  return sets;
}

namespace {

// One latency point, and a throughput point per request count.
std::vector<MeasureOptions> MeasureVariants(const Experiment& e) {
  std::vector<MeasureOptions> out;
  for (const std::string& mode : e.modes) {
    MeasureOptions m = e.measure;
    m.mode = mode;
    if (mode == kLatencyMode) {
      out.push_back(m);
      continue;
    }
    for (size_t requests : e.requests) {
      m.requests = requests;
      out.push_back(m);
    }
  }
  return out;
}

}  // namespace

std::vector<PlannedPoint> PlanExperiment(const Experiment& e,
                                         const std::map<std::string, BackendInfo>& backends) {
  std::vector<PlannedPoint> accuracy, performance;
  for (const std::string& model_arg : e.models) {
    for (const std::string& fw : e.frameworks) {
      const auto it = backends.find(fw);
      if (it == backends.end()) {
        std::vector<std::string> known;
        for (const auto& [name, info] : backends) known.push_back(name);
        throw UsageError(e.file + ": unknown framework '" + fw + "'; known: " + Join(known, ", "));
      }
      const BackendInfo& info = it->second;
      const ParamAxes axes = e.params.count(fw) ? e.params.at(fw) : ParamAxes{};
      const std::vector<ParamList> param_sets = ExpandParams(axes);
      for (const std::string& device : e.devices) {
        for (const std::string& precision : e.precisions) {
          PointSpec base;
          base.framework = fw;
          base.device = device;
          base.precision = precision;
          base.measure = e.measure;
          base.timeout_s = e.timeout_s;
          base.input.images_dir = e.images;
          base.input.max_images = e.max_images;
          base.shapes = e.shapes;
          base.model_name = model_arg;
          std::string skip;
          if (!info.available) {
            skip = fw + " is unavailable: " + info.reason;
          } else if (!Has(info.devices, device)) {
            skip = fw + " has no device " + device;
          } else if (!Has(info.precisions, precision)) {
            skip = fw + " does not support " + precision;
          } else {
            try {
              ApplyModel(base, ResolveModel(model_arg, fw, precision));
            } catch (const UsageError& err) {
              skip = err.what();
            }
          }
          if (skip.empty()) {
            for (const ParamList& params : param_sets) {
              PointSpec check = base;
              check.params = params;
              try {
                ValidateAgainstBackend(info, check);
              } catch (const UsageError& err) {
                throw UsageError(e.params_at.count(fw) ? e.params_at.at(fw) + ": " + err.what()
                                                       : std::string(err.what()));
              }
            }
          }
          if (e.accuracy) {
            PointSpec a = base;
            a.mode = "predict";
            a.batch = 1;
            const bool image_input =
                a.inputs.empty() ||
                std::any_of(a.inputs.begin(), a.inputs.end(),
                            [](const ModelInput& in) { return in.kind == "image"; });
            accuracy.push_back({"accuracy", a,
                                skip.empty() && !image_input
                                    ? "the model has no image input; accuracy needs photos"
                                    : skip});
          }
          for (int batch : e.batches)
            for (const ParamList& params : param_sets)
              for (const MeasureOptions& measure : MeasureVariants(e)) {
                PointSpec p = base;
                p.batch = batch;
                p.params = params;
                p.measure = measure;
                std::string why = skip;
                if (why.empty() && IsThroughput(p)) why = ThroughputRefusal(info);
                if (why.empty() && IsThroughput(p))
                  why = ValidateRequestCount(p.measure.requests, info.max_requests);
                performance.push_back({"performance", p, why});
              }
        }
      }
    }
  }
  accuracy.insert(accuracy.end(), performance.begin(), performance.end());
  return accuracy;
}

}  // namespace dli
