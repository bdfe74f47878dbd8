#include "core/slot_threads.h"

#include <stdexcept>
#include <string>

namespace dli {

ThreadPerSlot::ThreadPerSlot(ConcurrentInferenceTarget& inner, size_t slots, Clock clock)
    : inner_(inner), clock_(std::move(clock)) {
  for (size_t slot = 0; slot < slots; ++slot) workers_.push_back(std::make_unique<Worker>());
  try {
    for (size_t slot = 0; slot < slots; ++slot)
      workers_[slot]->thread = std::thread([this, slot] { Serve(slot); });
  } catch (...) {
    StopAndJoin();
    throw;
  }
}

ThreadPerSlot::~ThreadPerSlot() { StopAndJoin(); }

void ThreadPerSlot::StopAndJoin() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  for (auto& worker : workers_) {
    worker->wake.notify_one();
    if (worker->thread.joinable()) worker->thread.join();
  }
}

ThreadPerSlot::Worker& ThreadPerSlot::IdleWorker(size_t slot) {
  if (slot >= workers_.size())
    throw std::logic_error("slot " + std::to_string(slot) + " of " +
                           std::to_string(workers_.size()));
  Worker& worker = *workers_[slot];
  if (worker.busy) throw std::logic_error("slot " + std::to_string(slot) + " is busy");
  return worker;
}

void ThreadPerSlot::Bind(size_t slot, size_t batch_index) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    IdleWorker(slot);
  }
  inner_.Bind(slot, batch_index);
}

void ThreadPerSlot::Start(size_t slot) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Worker& worker = IdleWorker(slot);
    worker.busy = true;
    worker.started = true;
  }
  workers_[slot]->wake.notify_one();
}

Completion ThreadPerSlot::WaitAny() {
  std::unique_lock<std::mutex> lock(mutex_);
  bool any_busy = false;
  for (const auto& worker : workers_) any_busy = any_busy || worker->busy;
  if (!any_busy) throw std::logic_error("waiting with no request started");
  finished_.wait(lock, [this] { return !done_.empty(); });
  Completion c = std::move(done_.front());
  done_.pop_front();
  workers_[c.slot]->busy = false;
  return c;
}

void ThreadPerSlot::Serve(size_t slot) {
  Worker& worker = *workers_[slot];
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    worker.wake.wait(lock, [&] { return worker.started || stopping_; });
    if (stopping_) return;
    worker.started = false;
    lock.unlock();
    Completion c;
    c.slot = slot;
    try {
      inner_.Infer(slot);
    } catch (const std::exception& e) {
      c.error = e.what();
    } catch (...) {
      c.error = "inference failed with an unknown exception";
    }
    // Read before taking the lock: waiting for it is the loop's time, not
    // the request's.
    c.end_ms = clock_();
    lock.lock();
    done_.push_back(std::move(c));
    finished_.notify_one();
  }
}

}  // namespace dli
