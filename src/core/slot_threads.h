// Throughput mode for frameworks without an asynchronous API of their own:
// one worker thread per request slot around a synchronous call that may run
// on several slots at once (a thread-safe Run on one shared session, or one
// framework instance per slot).
#ifndef DLI_SLOT_THREADS_H
#define DLI_SLOT_THREADS_H

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/measure.h"
#include "core/throughput.h"

namespace dli {

// A synchronous target with request slots: Infer() on distinct slots may run
// at the same time on different threads, and Bind() of an idle slot may run
// while other slots infer.
class ConcurrentInferenceTarget {
 public:
  virtual ~ConcurrentInferenceTarget() = default;
  virtual void Bind(size_t slot, size_t batch_index) = 0;
  virtual void Infer(size_t slot) = 0;
};

// One independent instance per slot (N sessions of the same model): slot s
// binds and infers on instances[s]. The instances are not owned.
class InstancePerSlot : public ConcurrentInferenceTarget {
 public:
  explicit InstancePerSlot(std::vector<InferenceTarget*> instances)
      : instances_(std::move(instances)) {}
  size_t Slots() const { return instances_.size(); }
  void Bind(size_t slot, size_t batch_index) override { instances_.at(slot)->Bind(batch_index); }
  void Infer(size_t slot) override { instances_.at(slot)->Infer(); }

 private:
  std::vector<InferenceTarget*> instances_;
};

// An AsyncInferenceTarget with one worker thread per slot. Start() wakes the
// slot's thread, which calls Infer(slot) and reads `clock` as soon as it
// returns; an exception from Infer becomes the completion's error. Bind()
// runs on the caller's thread. The destructor waits for running requests.
class ThreadPerSlot : public AsyncInferenceTarget {
 public:
  ThreadPerSlot(ConcurrentInferenceTarget& inner, size_t slots, Clock clock = SteadyClockMs);
  ~ThreadPerSlot() override;
  ThreadPerSlot(const ThreadPerSlot&) = delete;
  ThreadPerSlot& operator=(const ThreadPerSlot&) = delete;

  size_t Slots() const override { return workers_.size(); }
  void Bind(size_t slot, size_t batch_index) override;
  void Start(size_t slot) override;
  Completion WaitAny() override;

 private:
  // Each slot has its own wake-up, so starting one request wakes one thread.
  struct Worker {
    std::condition_variable wake;
    bool started = false;  // Start() called, Infer() not yet begun
    bool busy = false;     // from Start() until WaitAny() returns the slot
    std::thread thread;
  };
  void Serve(size_t slot);
  void StopAndJoin();
  Worker& IdleWorker(size_t slot);  // mutex_ held

  ConcurrentInferenceTarget& inner_;
  const Clock clock_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::deque<Completion> done_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace dli

#endif  // DLI_SLOT_THREADS_H
