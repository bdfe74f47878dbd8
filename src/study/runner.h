// Running a study: an experiment's points through an executor into the
// results database, one at a time, each saved the moment it finishes, so a
// study stopped by Ctrl-C or a kill resumes where it stopped.
#ifndef DLI_STUDY_RUNNER_H
#define DLI_STUDY_RUNNER_H

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "accuracy/dataset.h"
#include "exec/executor.h"
#include "store/store.h"
#include "study/experiment.h"
#include "study/frameworks.h"

namespace dli {

enum class PointState {
  kRun,   // to run
  kDone,  // finished before with the same resume key
  kSkip,  // not runnable: planned.skip_reason says why
};

struct StudyPoint {
  PlannedPoint planned;
  std::string key;  // the resume key (ResumeKeys); empty when skipped
  // kRun while any repetition is left to run, kDone when every one finished.
  PointState state = PointState::kRun;
  // Per repetition (one for an accuracy point): its resume key
  // (RepetitionKey of `key`) and whether it finished before.
  std::vector<std::string> repetition_keys;
  std::vector<bool> repetition_done;
};

struct Study {
  Experiment experiment;
  std::vector<StudyPoint> points;
  std::optional<Dataset> dataset;  // the accuracy points' labelled images

  size_t Count(PointState state) const;
  // Repetitions of runnable points not finished yet: what RunStudy runs.
  size_t RepetitionsToRun() const;
};

// Plans the experiment against every framework of `frameworks`, loads its
// accuracy data set and checks its image folder: UsageError on bad input,
// before anything runs. Each point is kRun or kSkip.
Study PlanStudy(const Experiment& experiment, FrameworkCatalog& frameworks);

// Marks each repetition to run as done when `store` holds a point that
// finished with its resume key, and a point as done when all of them are.
void MarkFinished(Study& study, ResultStore& store);

struct StudyCallbacks {
  // Before a repetition of a point runs: the repetition (from 0), its number
  // among the repetitions to run (from 1), their count, and the estimated
  // time left in seconds (negative while unknown).
  std::function<void(const StudyPoint&, size_t repetition, size_t number, size_t count,
                     double eta_s)>
      on_start;
  // After a repetition ran and was saved, whether it succeeded or not; the
  // result carries its repetition index, drift ratio and flags.
  std::function<void(const StudyPoint&, const PointResult&)> on_finish;
  // Polled before each point and at the end: true stops the study (Ctrl-C).
  std::function<bool()> stop_requested;
};

struct StudyOptions {
  std::string db_path;  // recorded in the run's configuration
  bool save_samples = false;
  // The shuffle seed of the interleaved order; a fresh one when unset.
  std::optional<uint32_t> seed;
  // Recorded in the run's configuration as "doctor" when not null
  // (DoctorToJson of the machine before the study).
  nlohmann::json doctor;
  // Skip the repetitions the store already holds (false: `--rerun`). The
  // planned points are marked by the caller (MarkFinished); this covers the
  // points tuning adds.
  bool resume = true;
};

struct StudyOutcome {
  int64_t run_id = 0;
  uint32_t seed = 0;  // the interleaved order's seed (used with more than one repetition)
  size_t finished = 0, failed = 0, flagged = 0;  // repetitions
  bool interrupted = false;                      // stopped before every point ran
  double wall_s = 0;
};

// Runs every repetition left through `executor` into a new run of `store`
// (with the experiment, this host, the seed and the options recorded), each
// saved as its own record the moment it finishes: accuracy points first, in
// plan order, then the performance points' repetitions interleaved
// (InterleavedOrder over the runnable performance points with the seed; with
// one repetition, plan order, and the seed is not recorded). Each
// repetition's drift ratio is taken against the first reading of this run. A
// repetition the executor reports interrupted is not saved and stops the study.
StudyOutcome RunStudy(const Study& study, Executor& executor, ResultStore& store,
                      const StudyOptions& options, const StudyCallbacks& callbacks);

// The pieces of RunStudy that RunStudyOnTargets (study/dispatch.h) shares.
// A repetition of a point, as RunStudy visits them.
using StudyVisit = std::pair<const StudyPoint*, size_t>;
// What RunStudy runs, in order: accuracy points first, then the performance
// points' repetitions interleaved (plan order with one repetition);
// finished repetitions are left out.
std::vector<StudyVisit> StudyVisits(const Study& study, uint32_t seed);
// The spec a point runs with: an accuracy point predicts every image of the
// data set (its files, `dataset_files`).
PointSpec SpecToRun(const StudyPoint& p, const std::vector<std::string>& dataset_files);
// The run's configuration as stored with it.
nlohmann::json StudyRunConfig(const Study& study, const StudyOptions& options, uint32_t seed);
// The stored document of a point's result (an accuracy point scored).
nlohmann::json StudyPointJson(const Study& study, const StudyPoint& p, const PointSpec& spec,
                              const PointResult& r, bool save_samples);

// `dli bench`: each of `points` run `repetitions` times, each time in a fresh
// worker, in the interleaved order of `seed` (the points' own order when
// there is one repetition); each repetition's drift is taken against the
// first reading. `on_start` is called before each run with its position and
// returns the progress callback for it; `on_finish` after it, with every
// result so far.
struct RepeatedRunCallbacks {
  std::function<ProgressCallback(size_t index, size_t count, const PointSpec& spec,
                                 size_t repetition)>
      on_start;
  std::function<void(const std::vector<PointResult>& results)> on_finish;
};
std::vector<PointResult> RunRepeated(Executor& executor, const std::vector<PointSpec>& points,
                                     size_t repetitions, uint32_t seed,
                                     const RepeatedRunCallbacks& callbacks);

}  // namespace dli

#endif  // DLI_STUDY_RUNNER_H
