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
  PointState state = PointState::kRun;
};

struct Study {
  Experiment experiment;
  std::vector<StudyPoint> points;
  std::optional<Dataset> dataset;  // the accuracy points' labelled images

  size_t Count(PointState state) const;
};

// Plans the experiment against every framework of `frameworks`, loads its
// accuracy data set and checks its image folder: UsageError on bad input,
// before anything runs. Each point is kRun or kSkip.
Study PlanStudy(const Experiment& experiment, FrameworkCatalog& frameworks);

// Marks each point to run as done when `store` holds a point that finished
// with its resume key.
void MarkFinished(Study& study, ResultStore& store);

struct StudyCallbacks {
  // Before a point runs: its number among the points to run (from 1), their
  // count, and the estimated time left in seconds (negative while unknown).
  std::function<void(const StudyPoint&, size_t number, size_t count, double eta_s)> on_start;
  // After a point ran and was saved, whether it succeeded or not.
  std::function<void(const StudyPoint&, const PointResult&)> on_finish;
  // Polled before each point and at the end: true stops the study (Ctrl-C).
  std::function<bool()> stop_requested;
};

struct StudyOptions {
  std::string db_path;  // recorded in the run's configuration
  bool save_samples = false;
};

struct StudyOutcome {
  int64_t run_id = 0;
  size_t finished = 0, failed = 0;
  bool interrupted = false;  // stopped before every point ran
  double wall_s = 0;
};

// Runs every kRun point through `executor` into a new run of `store` (with
// the experiment, this host and the options recorded), in plan order; a
// point the executor reports interrupted is not saved and stops the study.
StudyOutcome RunStudy(const Study& study, Executor& executor, ResultStore& store,
                      const StudyOptions& options, const StudyCallbacks& callbacks);

}  // namespace dli

#endif  // DLI_STUDY_RUNNER_H
