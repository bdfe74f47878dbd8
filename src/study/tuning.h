// Launch-parameter tuning through an executor (docs/METHODOLOGY.md,
// "Tuning"): each configuration of a tune::Space measured as a point in a
// fresh worker, as `dli bench` measures; and the tuning phase of a study
// (`tune:` in an experiment), which adds the points with the tuned
// parameters beside the default ones.
#ifndef DLI_STUDY_TUNING_H
#define DLI_STUDY_TUNING_H

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/point.h"
#include "exec/executor.h"
#include "store/store.h"
#include "study/runner.h"
#include "tune/tune.h"

namespace dli {

inline constexpr const char* kTuneSchema = "dli.tune/1";

// `base` with the configuration's mode, batch, requests and parameters; a
// parameter at tune::kUnset is left out (the backend's default).
PointSpec ConfigSpec(const PointSpec& base, const tune::Config& config);

// What the tuner ranks: "fps" (images per second, with its interval) or
// "latency" (1000 / median latency in ms, so that higher is better, with the
// median's interval). The error is the point's status and message.
tune::Figure FigureOf(const PointResult& result, const std::string& metric);

// Thrown out of a measurement the executor reports interrupted (Ctrl-C):
// tuning stops and nothing of it is kept.
struct TuningInterrupted : std::runtime_error {
  TuningInterrupted() : std::runtime_error("tuning interrupted") {}
};

// Measures each configuration as a time-limited point of `base` (iterations
// 0, time_limit = the measurement's budget less the mean overhead seen so
// far: process start, loading, warm-up, machine readings; half the budget
// before the first; never below a quarter of it), so that a measurement
// takes about its budget when that exceeds the overhead.
// `on_result` sees every result (to print or store it).
tune::MeasureFn ExecutorMeasure(
    Executor& executor, const PointSpec& base, const std::string& metric,
    std::function<void(const PointResult&, const tune::Config&, double budget_s)> on_result = {});

// The outcome as JSON (schema dli.tune/1, docs/RESULTS.md "Tuning").
nlohmann::json TuneToJson(const tune::Space& space, const tune::Result& result,
                          const PointSpec& base, const std::string& metric, double budget_s);

// The framework parameters of a configuration (neither mode, batch nor
// requests; none at tune::kUnset).
ParamList TunedParams(const tune::Config& config);

// Where a study keeps its tuning outcomes: next to the results database, one
// file per target of `dli run --targets` (each tunes on its own hardware).
std::string TuningFile(const std::string& db_path, const std::string& target = "");

// The tuning phase of a study with `tune:`; without it, `planned` as is.
// Tunes each framework x device x precision of the runnable performance
// points (those of tune.precisions) over tune.modes (one tune::Tune per
// framework, device and precision, the budget shared by its modes), reusing
// the outcomes of `tuning_file` whose key matches (model content, space,
// budget, metric, measurement settings), and saving each new one there at
// once. The study's own parameter axes are not tuned (single-valued ones
// are part of every configuration). Returns the study with, per tuned mode:
// with tune.points "all", each planned point's twin with the tuned
// parameters added; and the tuned configuration itself with and without
// the tuned parameters, where the study has no such point. Added points are
// left to run: marking what the store already holds (MarkFinished) is the
// caller's choice, as for planned points. `log` gets the progress lines. An
// interrupt returns `planned` as is.
Study TuneStudy(const Study& planned, Executor& executor, const std::string& tuning_file,
                const std::function<void(const std::string&)>& log);

}  // namespace dli

#endif  // DLI_STUDY_TUNING_H
