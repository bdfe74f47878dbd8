// A study on many targets at once (`dli run --targets`): every target runs
// every point of the study (hardware is an axis of the results), each
// target's repetitions in RunStudy's order, `slots` of them at a time; the
// results of all targets stream into one run of the results database.
#ifndef DLI_STUDY_DISPATCH_H
#define DLI_STUDY_DISPATCH_H

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "exec/executor.h"
#include "store/store.h"
#include "study/runner.h"

namespace dli {

// The resume key of a point (ResumeKeys) measured by target `target` on the
// machine `node` (TargetNode): the same point on two targets, or on another
// host under the same name, is another measurement.
std::string TargetPointKey(const std::string& point_key, const std::string& target,
                           const std::string& node);
// Makes every key of `study` (points and repetitions) the target's, before
// MarkFinished.
void KeyStudyForTarget(Study& study, const std::string& target, const std::string& node);

// One target's repetitions to run, taken by its slot threads in order.
// Once the target is down, the rest come out with the reason, to be recorded
// as failed without running; once stopped, nothing more comes out.
class TargetQueue {
 public:
  explicit TargetQueue(std::vector<StudyVisit> visits) : visits_(visits.begin(), visits.end()) {}

  struct Item {
    StudyVisit visit;
    std::string not_run;  // non-empty: do not run; record as failed with this reason
  };
  std::optional<Item> Next();
  void MarkDown(const std::string& reason);  // keeps the first reason
  void Stop();
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::deque<StudyVisit> visits_;
  std::string down_;
  bool stopped_ = false;
};

// How a stored point names the container image it ran in (its `container`
// key): {"engine", "image", "image_id"}.
nlohmann::json ContainerImageJson(const ContainerImage& image);

// What a target's node says about itself, or why it could not.
struct TargetDescription {
  std::string name;
  std::optional<NodeInfo> node;
  std::string error;  // one line when node is empty
};
// DescribeNode of every executor at once (`names[i]` is that of
// `executors[i]`), in their order.
std::vector<TargetDescription> DescribeTargets(const std::vector<std::string>& names,
                                               const std::vector<Executor*>& executors);
// One line for each framework available on several targets in different
// versions ("framework onnxruntime differs: 1.17.1 on here, lab1; 1.16.0 on
// lab2"). The dli versions cannot differ: a worker of another version is
// refused (worker_protocol.h), and its target is not described.
std::vector<std::string> VersionWarnings(const std::vector<TargetDescription>& targets);

struct StudyTarget {
  std::string name;  // the target's name
  int slots = 1;     // repetitions run at the same time
  Executor* executor = nullptr;
  Study study;  // planned with the target's frameworks, keyed for it, marked
  // Where the targets file allows failover (`failover: true`), the target's
  // hardware class: once the target is down, its repetitions left run on a
  // live target of the same class instead. "" = they stay pending.
  std::string hardware_class;
};

struct TargetCallbacks {
  // Before a repetition runs on a target: its number among every target's
  // repetitions to run (from 1) and their count.
  std::function<void(const std::string& target, const StudyPoint&, size_t repetition, size_t number,
                     size_t count)>
      on_start;
  // After a repetition was saved (ran, failed, or not run: target down).
  std::function<void(const std::string& target, const StudyPoint&, const PointResult&)> on_finish;
  std::function<bool()> stop_requested;  // polled before each repetition
};

// Runs every target's repetitions left, concurrently, into a new run of
// `store` (writes serialized). A repetition that fails because its target
// cannot be reached (TargetUnreachable) marks the target down: its other
// repetitions are saved as failed with the reason and not run, so a later
// run resumes exactly those; the other targets go on. A down target with a
// hardware class hands each repetition left to a live target of its class
// instead, which runs it between its own (never more at once than its
// slots); the result carries the target that ran it and `moved_from`, and
// is saved under the down target's key, so resuming does not repeat it. Drift is taken per
// target, against its first reading. An interrupted repetition is not saved
// and stops every target.
StudyOutcome RunStudyOnTargets(std::vector<StudyTarget>& targets, ResultStore& store,
                               const StudyOptions& options, const TargetCallbacks& callbacks);

}  // namespace dli

#endif  // DLI_STUDY_DISPATCH_H
