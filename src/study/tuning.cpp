#include "study/tuning.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/sha256.h"
#include "core/text.h"
#include "study/resume.h"
#include "tune/space.h"

using nlohmann::json;

namespace dli {
namespace {

bool IsLaunchAxis(const std::string& name) {
  return name == "mode" || name == "batch" || name == "requests";
}

json ConfigToJson(const tune::Config& config) {
  json j = json::object();
  for (const auto& [name, value] : config) j[name] = value;
  return j;
}

// In the space's axis order; empty when `j` is not a configuration of it.
tune::Config ConfigFromJson(const tune::Space& space, const json& j) {
  tune::Config config;
  if (!j.is_object()) return config;
  for (const tune::Axis& axis : space.axes) {
    if (!j.contains(axis.name) || !j[axis.name].is_string()) return {};
    config.emplace_back(axis.name, j[axis.name].get<std::string>());
  }
  return config;
}

json FigureToJson(const tune::Figure& f) {
  json j = {
      {"fps", f.fps}, {"ci_low", f.ci_low}, {"ci_high", f.ci_high}, {"seconds", f.seconds_spent}};
  if (!f.error.empty()) j["error"] = f.error;
  return j;
}

// The shortest timed window of a measurement, as a share of its budget:
// a slow start (loading) must not leave a window too short for an interval.
constexpr double kMinWindowShare = 0.25;
constexpr double kFirstOverheadShare = 0.5;

}  // namespace

PointSpec ConfigSpec(const PointSpec& base, const tune::Config& config) {
  PointSpec spec = base;
  for (const auto& [name, value] : config) {
    if (name == "mode") {
      spec.measure.mode = value;
    } else if (name == "batch") {
      spec.batch = std::stoi(value);
    } else if (name == "requests") {
      spec.measure.requests = static_cast<size_t>(std::stoul(value));
    } else {
      spec.params.erase(std::remove_if(spec.params.begin(), spec.params.end(),
                                       [&](const auto& p) { return p.first == name; }),
                        spec.params.end());
      if (value != tune::kUnset) spec.params.emplace_back(name, value);
    }
  }
  if (spec.measure.mode == kLatencyMode) spec.measure.requests = 1;
  return spec;
}

ParamList TunedParams(const tune::Config& config) {
  ParamList params;
  for (const auto& [name, value] : config)
    if (!IsLaunchAxis(name) && value != tune::kUnset) params.emplace_back(name, value);
  return params;
}

tune::Figure FigureOf(const PointResult& r, const std::string& metric) {
  tune::Figure f;
  f.seconds_spent = r.wall_s;
  if (!r.ok()) {
    f.error = r.status + (r.error.empty() ? "" : ": " + r.error);
    return f;
  }
  if (metric == "latency") {
    if (r.latency.median > 0) f.fps = 1000 / r.latency.median;
    // The score falls as latency rises: the low bound comes from the high one.
    f.ci_low = r.latency.ci95.high > 0 ? 1000 / r.latency.ci95.high : f.fps;
    f.ci_high = r.latency.ci95.low > 0 ? 1000 / r.latency.ci95.low : f.fps;
  } else {
    f.fps = r.fps;
    const Interval ci = PointFpsInterval(r);
    f.ci_low = ci.low > 0 ? ci.low : f.fps;
    f.ci_high = ci.high > 0 ? ci.high : f.fps;
  }
  if (!(f.fps > 0)) f.error = "no figure: the point measured no request";
  return f;
}

tune::MeasureFn ExecutorMeasure(
    Executor& executor, const PointSpec& base, const std::string& metric,
    std::function<void(const PointResult&, const tune::Config&, double budget_s)> on_result) {
  struct Overhead {
    double sum = 0;
    size_t count = 0;
  };
  auto overhead = std::make_shared<Overhead>();
  return
      [&executor, base, metric, on_result, overhead](const tune::Config& config, double budget_s) {
        PointSpec spec = ConfigSpec(base, config);
        // Before any measurement the overhead is unknown: half the time is
        // a guess that keeps the first from overrunning much.
        const double expected = overhead->count > 0
                                    ? overhead->sum / static_cast<double>(overhead->count)
                                    : kFirstOverheadShare * budget_s;
        const double window = std::max(kMinWindowShare * budget_s, budget_s - expected);
        StopRule& stop = spec.measure.stop;
        stop.iterations = 0;
        stop.time_limit_s = window;
        stop.ci_target_rel = 0;
        stop.min_time_s = 0;
        PointResult r = executor.Run(spec);
        if (r.status == "interrupted") throw TuningInterrupted();
        if (r.ok()) {
          overhead->sum += std::max(0.0, r.wall_s - window);
          ++overhead->count;
        }
        if (on_result) on_result(r, config, budget_s);
        return FigureOf(r, metric);
      };
}

json TuneToJson(const tune::Space& space, const tune::Result& result, const PointSpec& base,
                const std::string& metric, double budget_s) {
  json axes = json::array();
  for (const tune::Axis& a : space.axes)
    axes.push_back(
        {{"name", a.name}, {"values", a.values}, {"default", a.values[a.default_index]}});
  json groups = json::array();
  for (const tune::GroupResult& g : result.groups) {
    groups.push_back({{"mode", g.group},
                      {"best", g.best.empty() ? json(nullptr) : ConfigToJson(g.best)},
                      {"best_figure", FigureToJson(g.best_figure)},
                      {"default", ConfigToJson(g.default_config)},
                      {"default_figure", FigureToJson(g.default_figure)},
                      {"gain", g.gain},
                      {"significant", g.significant}});
  }
  json trials = json::array();
  for (const tune::Trial& t : result.log) {
    json trial = FigureToJson(t.figure);
    trial["round"] = t.round;
    trial["config"] = ConfigToJson(t.config);
    trial["budget_s"] = t.budget_s;
    trial["verdict"] = tune::VerdictName(t.verdict);
    trials.push_back(std::move(trial));
  }
  return {{"schema", kTuneSchema},
          {"model", base.model_name.empty() ? base.model_path : base.model_name},
          {"framework", base.framework},
          {"device", base.device},
          {"precision", base.precision},
          {"fixed_params", ParamsText(base.params)},
          {"metric", metric},
          {"budget_s", budget_s},
          {"seconds_spent", result.seconds_spent},
          {"rounds", result.rounds},
          {"stop_reason", result.stop_reason},
          {"measurements", result.log.size()},
          {"axes", std::move(axes)},
          {"groups", std::move(groups)},
          {"trials", std::move(trials)}};
}

std::string TuningFile(const std::string& db_path, const std::string& target) {
  if (db_path.empty()) return "";
  return db_path + (target.empty() ? "" : ".target-" + target) + ".tuning.json";
}

namespace {

// One framework x device x precision of a study to tune.
struct TuneTarget {
  PointSpec base;  // model, measurement settings, the study's single-valued parameters
  tune::Space space;
  json key;      // what makes a stored outcome reusable
  json outcome;  // TuneToJson, once tuned or reused
};

std::string TargetText(const PointSpec& s) {
  return s.framework + " " + s.device + " " + s.precision;
}

bool SameTarget(const PointSpec& a, const PointSpec& b) {
  return a.model_name == b.model_name && a.framework == b.framework && a.device == b.device &&
         a.precision == b.precision;
}

std::vector<TuneTarget> TuneTargets(const Study& study, Executor& executor) {
  const Experiment& e = study.experiment;
  const TuneSettings& t = *e.tune;
  std::vector<TuneTarget> targets;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const StudyPoint& p : study.points) {
    const PointSpec& s = p.planned.spec;
    if (p.planned.kind != "performance" || p.state == PointState::kSkip) continue;
    if (!t.precisions.empty() &&
        std::find(t.precisions.begin(), t.precisions.end(), s.precision) == t.precisions.end())
      continue;
    if (std::any_of(targets.begin(), targets.end(),
                    [&](const TuneTarget& x) { return SameTarget(x.base, s); }))
      continue;
    const BackendInfo info = executor.DescribeBackend(s.framework);
    tune::SpaceRequest request;
    for (const std::string& mode : t.modes.empty() ? e.modes : t.modes)
      if (mode == kLatencyMode || ThroughputRefusal(info).empty()) request.modes.push_back(mode);
    request.batches = t.batches.empty() ? e.batches : t.batches;
    request.requests = t.requests.empty() ? e.requests : t.requests;
    request.params = t.params;
    TuneTarget target;
    target.base = s;
    // The study's own parameter axes are not tuned; one with a single value
    // is part of every point, so of every configuration too.
    target.base.params.clear();
    if (e.params.count(s.framework))
      for (const auto& [name, values] : e.params.at(s.framework)) {
        request.fixed.push_back(name);
        if (values.size() == 1) target.base.params.emplace_back(name, values[0]);
      }
    request.cores = cores;
    target.base.measure = e.measure;
    target.base.batch = 1;
    try {
      target.space = tune::LaunchSpace(info, request);
    } catch (const UsageError& err) {
      throw UsageError(e.tune_at + ": " + TargetText(s) + ": " + err.what());
    }
    const double minimum = tune::MinimumBudget(target.space, {t.budget_s, t.min_measure_s});
    if (t.budget_s < minimum * (1 - 1e-9))
      throw UsageError(
          e.tune_at + ": a tuning budget of " + FormatFixed(t.budget_s, 1) +
          " s is below the minimum of " + FormatFixed(minimum, 1) + " s for " + TargetText(s) +
          " (" + std::to_string(tune::Candidates(target.space).size()) +
          " configurations measured once for " + FormatFixed(t.min_measure_s, 1) + " s)");
    json axes = json::array();
    for (const tune::Axis& a : target.space.axes)
      axes.push_back({a.name, a.values, a.values[a.default_index]});
    target.key = {{"model_sha256", Sha256Path(s.model_path)},
                  {"fixed_params", ParamsText(target.base.params)},
                  {"framework", s.framework},
                  {"device", s.device},
                  {"precision", s.precision},
                  {"axes", axes},
                  {"budget_s", t.budget_s},
                  {"min_measure_s", t.min_measure_s},
                  {"metric", t.metric},
                  {"measure", SpecToJson(target.base)["measure"]}};
    targets.push_back(std::move(target));
  }
  return targets;
}

json LoadOutcomes(const std::string& file) {
  if (file.empty() || !std::filesystem::exists(file)) return {{"outcomes", json::array()}};
  std::ifstream in(file);
  try {
    json j = json::parse(in);
    if (j.is_object() && j.contains("outcomes") && j["outcomes"].is_array()) return j;
  } catch (const json::exception&) {
  }
  throw UsageError(file + ": not a tuning outcome file; delete it to tune again");
}

// The points of one tuned mode: each planned point's twin with the tuned
// parameters added (`every_point`), and the tuned configuration with and
// without them.
std::vector<PlannedPoint> PointsToAdd(const Study& study, const TuneTarget& target,
                                      const json& group, bool every_point) {
  const tune::Config best = ConfigFromJson(target.space, group["best"]);
  if (best.empty()) return {};
  const ParamList tuned = TunedParams(best);
  const std::string mode = group["mode"].get<std::string>();
  std::vector<PointSpec> wanted;
  const PointSpec* model_point = nullptr;
  for (const StudyPoint& p : study.points) {
    const PointSpec& s = p.planned.spec;
    if (p.planned.kind != "performance" || p.state == PointState::kSkip ||
        !SameTarget(s, target.base))
      continue;
    model_point = &p.planned.spec;
    if (every_point && s.measure.mode == mode && !tuned.empty()) {
      wanted.push_back(s);
      wanted.back().params.insert(wanted.back().params.end(), tuned.begin(), tuned.end());
    }
  }
  if (model_point == nullptr) return {};
  PointSpec fixed = *model_point;
  fixed.params = target.base.params;
  PointSpec at_best = ConfigSpec(fixed, best);
  wanted.push_back(at_best);
  at_best.params = fixed.params;
  wanted.push_back(at_best);

  auto same = [](const PointSpec& a, const PointSpec& b) {
    return a.batch == b.batch && a.measure.mode == b.measure.mode &&
           a.measure.requests == b.measure.requests && a.params == b.params;
  };
  std::vector<PlannedPoint> out;
  for (const PointSpec& w : wanted) {
    const bool planned = std::any_of(study.points.begin(), study.points.end(), [&](const auto& p) {
      return p.planned.kind == "performance" && SameTarget(p.planned.spec, w) &&
             same(p.planned.spec, w);
    });
    const bool added =
        std::any_of(out.begin(), out.end(), [&](const PlannedPoint& p) { return same(p.spec, w); });
    if (!planned && !added) out.push_back({"performance", w, ""});
  }
  return out;
}

std::string GroupLine(const json& g) {
  const json& best = g["best_figure"];
  const json& def = g["default_figure"];
  std::string text = "  " + g["mode"].get<std::string>() + ": ";
  if (g["best"].is_null()) return text + "every configuration failed";
  std::string config;
  for (const auto& [name, value] : g["best"].items())
    if (name != "mode")
      config += (config.empty() ? "" : " ") + name + "=" + value.get<std::string>();
  text += config + " " + FormatFixed(best["fps"].get<double>(), 1) + " FPS";
  if (!def.contains("error"))
    text += " (default " + FormatFixed(def["fps"].get<double>(), 1) + ", x" +
            FormatFixed(g["gain"].get<double>(), 2) + ")";
  return text;
}

}  // namespace

Study TuneStudy(const Study& planned, Executor& executor, const std::string& tuning_file,
                const std::function<void(const std::string&)>& log) {
  const Experiment& e = planned.experiment;
  if (!e.tune) return planned;
  std::vector<TuneTarget> targets = TuneTargets(planned, executor);
  json file = LoadOutcomes(tuning_file);
  try {
    for (TuneTarget& target : targets) {
      for (const json& o : file["outcomes"])
        if (o.value("key", json()) == target.key) target.outcome = o;
      const std::string what = "tuning " + TargetText(target.base);
      if (!target.outcome.is_null()) {
        log(what + ": tuned before (" + tuning_file + ")");
      } else {
        const size_t n = tune::Candidates(target.space).size();
        log(what + ": " + std::to_string(n) + " configurations, budget " +
            FormatDuration(e.tune->budget_s));
        size_t measured = 0;
        const tune::MeasureFn measure = ExecutorMeasure(
            executor, target.base, e.tune->metric,
            [&](const PointResult& r, const tune::Config& config, double) {
              log("  [" + std::to_string(++measured) + "] " + tune::ConfigText(config) + ": " +
                  (r.ok() ? FormatFixed(r.fps, 1) + " FPS" : r.status + ": " + r.error));
            });
        const tune::Result result =
            tune::Tune(target.space, measure, {e.tune->budget_s, e.tune->min_measure_s});
        target.outcome =
            TuneToJson(target.space, result, target.base, e.tune->metric, e.tune->budget_s);
        target.outcome["key"] = target.key;
        file["outcomes"].push_back(target.outcome);
        if (!tuning_file.empty()) WriteFileAtomically(tuning_file, file.dump(2) + "\n");
      }
      for (const json& g : target.outcome["groups"]) log(GroupLine(g));
    }
  } catch (const TuningInterrupted&) {
    log("tuning interrupted; the outcomes finished so far are kept in " + tuning_file);
    return planned;
  }

  Study study = planned;
  std::vector<PlannedPoint> added;
  for (const TuneTarget& target : targets)
    for (const json& g : target.outcome["groups"])
      for (PlannedPoint& p : PointsToAdd(planned, target, g, e.tune->points == "all"))
        added.push_back(std::move(p));
  const std::vector<std::string> keys = ResumeKeys(added, e.dataset);
  for (size_t i = 0; i < added.size(); ++i) {
    // Not marked finished here: resuming (MarkFinished) is the caller's choice.
    StudyPoint p{added[i], keys[i], PointState::kRun, {}, {}};
    for (size_t r = 0; r < e.repetitions; ++r) {
      p.repetition_keys.push_back(RepetitionKey(p.key, r));
      p.repetition_done.push_back(false);
    }
    study.points.push_back(std::move(p));
  }
  if (!added.empty())
    log("tuning added " + std::to_string(added.size()) +
        " points with the tuned parameters or configurations");
  return study;
}

}  // namespace dli
