#include "study/dispatch.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <thread>

#include "accuracy/dataset.h"
#include "core/host.h"
#include "core/repeated_point.h"
#include "core/repetitions.h"
#include "core/text.h"
#include "study/resume.h"

using nlohmann::json;

namespace dli {

std::string TargetPointKey(const std::string& point_key, const std::string& target,
                           const std::string& node) {
  return PointKey({{"point", point_key}, {"target", target}, {"node", node}});
}

void KeyStudyForTarget(Study& study, const std::string& target, const std::string& node) {
  for (StudyPoint& p : study.points) {
    if (p.key.empty()) continue;
    p.key = TargetPointKey(p.key, target, node);
    for (size_t r = 0; r < p.repetition_keys.size(); ++r)
      p.repetition_keys[r] = RepetitionKey(p.key, r);
  }
}

std::optional<TargetQueue::Item> TargetQueue::Next() {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_ || visits_.empty()) return std::nullopt;
  Item item{visits_.front(), down_};
  visits_.pop_front();
  return item;
}

void TargetQueue::MarkDown(const std::string& reason) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (down_.empty()) down_ = reason;
}

void TargetQueue::Stop() {
  const std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
}

size_t TargetQueue::size() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return visits_.size();
}

json ContainerImageJson(const ContainerImage& image) {
  return {{"engine", image.engine}, {"image", image.image}, {"image_id", image.id}};
}

std::vector<TargetDescription> DescribeTargets(const std::vector<std::string>& names,
                                               const std::vector<Executor*>& executors) {
  std::vector<TargetDescription> out(names.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < names.size(); ++i) {
    out[i].name = names[i];
    threads.emplace_back([&, i] {
      try {
        out[i].node = executors[i]->DescribeNode();
      } catch (const std::exception& e) {
        const std::vector<std::string> lines = Split(e.what(), '\n');
        out[i].error = lines.empty() ? "no reason given" : Trim(lines.front());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return out;
}

std::vector<std::string> VersionWarnings(const std::vector<TargetDescription>& targets) {
  // framework -> version -> targets, in name order
  std::map<std::string, std::map<std::string, std::vector<std::string>>> seen;
  for (const TargetDescription& t : targets) {
    if (!t.node) continue;
    for (const BackendInfo& b : t.node->backends)
      if (b.available) seen[b.name][b.version].push_back(t.name);
  }
  std::vector<std::string> lines;
  for (const auto& [framework, versions] : seen) {
    if (versions.size() < 2) continue;
    std::vector<std::string> parts;
    for (const auto& [version, names] : versions)
      parts.push_back((version.empty() ? "?" : version) + " on " + Join(names, ", "));
    lines.push_back("framework " + framework + " differs: " + Join(parts, "; "));
  }
  return lines;
}

namespace {

// A target's node runs at most `slots` repetitions at once: its own slot
// threads and those of down targets of its class that hand it theirs. Taken
// in arrival order, so a handed-over repetition is not starved by the
// target's own.
class NodeGate {
 public:
  explicit NodeGate(int slots) : free_(slots) {}
  void Acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    const unsigned long ticket = next_++;
    waiting_.push_back(ticket);
    changed_.wait(lock, [&] { return free_ > 0 && waiting_.front() == ticket; });
    waiting_.pop_front();
    --free_;
    changed_.notify_all();
  }
  void Release() {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++free_;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int free_;
  unsigned long next_ = 0;
  std::deque<unsigned long> waiting_;
};

struct TargetState {
  TargetState(StudyTarget* t, std::vector<StudyVisit> visits)
      : target(t), queue(std::move(visits)), gate(std::max(1, t->slots)) {}
  StudyTarget* target;
  TargetQueue queue;
  NodeGate gate;
  std::atomic<bool> down{false};
  std::vector<std::string> dataset_files;
  double first_reference_ms = 0;  // guarded by Shared::mutex
};

// What the slot threads share; `mutex` serializes the store, the counts and
// the callbacks.
struct Shared {
  ResultStore& store;
  const StudyOptions& options;
  const TargetCallbacks& callbacks;
  StudyOutcome& outcome;
  std::deque<TargetState>& states;
  std::mutex mutex;
  size_t started = 0, count = 0;
  std::atomic<bool> stop{false};

  void StopAll() {
    stop = true;
    for (TargetState& t : states) t.queue.Stop();
  }

  // A live target of `from`'s hardware class to run its repetitions left.
  TargetState* Peer(const TargetState& from) {
    if (from.target->hardware_class.empty()) return nullptr;
    for (TargetState& t : states)
      if (&t != &from && !t.down && t.target->hardware_class == from.target->hardware_class)
        return &t;
    return nullptr;
  }
};

void RunSlot(TargetState& t, Shared& s) {
  while (std::optional<TargetQueue::Item> item = t.queue.Next()) {
    if (s.stop || (s.callbacks.stop_requested && s.callbacks.stop_requested())) {
      s.StopAll();
      return;
    }
    const auto& [point, repetition] = item->visit;
    const PointSpec spec = SpecToRun(*point, t.dataset_files);
    TargetState* runner = item->not_run.empty() ? &t : s.Peer(t);
    PointResult r;
    std::optional<ContainerImage> image;
    if (!runner) {
      r.spec = spec;
      r.status = "failed";
      r.error = item->not_run;
      r.target = t.target->name;
    } else {
      runner->gate.Acquire();
      {
        const std::lock_guard<std::mutex> lock(s.mutex);
        if (s.callbacks.on_start)
          s.callbacks.on_start(runner->target->name, *point, repetition, ++s.started, s.count);
      }
      r = runner->target->executor->Run(spec);
      runner->gate.Release();
      if (r.status == "interrupted") {
        s.StopAll();
        return;
      }
      if (TargetUnreachable(r)) {
        runner->down = true;
        runner->queue.MarkDown("not run: " + r.error);
      } else {
        image = runner->target->executor->Image();
      }
    }
    const std::lock_guard<std::mutex> lock(s.mutex);
    r.repetition = repetition;
    if (runner) {
      if (runner->first_reference_ms <= 0)
        runner->first_reference_ms = r.machine.reference_before_ms;
      ApplyDrift(r, runner->first_reference_ms);
    }
    ++s.outcome.finished;
    if (!r.ok()) ++s.outcome.failed;
    if (!r.flags.empty()) ++s.outcome.flagged;
    json saved = StudyPointJson(t.target->study, *point, spec, r, s.options.save_samples);
    if (image) saved["container"] = ContainerImageJson(*image);
    if (runner && runner != &t) saved["moved_from"] = t.target->name;
    s.store.SavePoint(s.outcome.run_id, point->planned.kind, point->repetition_keys.at(repetition),
                      saved);
    if (s.callbacks.on_finish)
      s.callbacks.on_finish((runner ? runner : &t)->target->name, *point, r);
  }
}

}  // namespace

StudyOutcome RunStudyOnTargets(std::vector<StudyTarget>& targets, ResultStore& store,
                               const StudyOptions& options, const TargetCallbacks& callbacks) {
  StudyOutcome outcome;
  outcome.seed = options.seed ? *options.seed : NewStudySeed();
  if (targets.empty()) return outcome;
  json config = StudyRunConfig(targets.front().study, options, outcome.seed);
  config["targets"] = json::array();
  for (const StudyTarget& t : targets) config["targets"].push_back(t.name);
  outcome.run_id =
      store.BeginRun(targets.front().study.experiment.name, config, HostToJson(ReadHostInfo()));
  const auto started = std::chrono::steady_clock::now();

  std::deque<TargetState> states;  // stable addresses for the threads
  Shared shared{store, options, callbacks, outcome, states, {}, 0, 0, {false}};
  for (StudyTarget& t : targets) {
    states.emplace_back(&t, StudyVisits(t.study, outcome.seed));
    if (t.study.dataset)
      for (const LabelledImage& li : t.study.dataset->items)
        states.back().dataset_files.push_back(li.path);
    shared.count += states.back().queue.size();
  }
  std::vector<std::thread> threads;
  for (TargetState& state : states)
    for (int slot = 0; slot < std::max(1, state.target->slots); ++slot)
      threads.emplace_back(RunSlot, std::ref(state), std::ref(shared));
  for (std::thread& thread : threads) thread.join();

  outcome.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  outcome.interrupted = shared.stop || (callbacks.stop_requested && callbacks.stop_requested());
  store.FinishRun(outcome.run_id, outcome.interrupted ? "interrupted" : "finished");
  return outcome;
}

}  // namespace dli
