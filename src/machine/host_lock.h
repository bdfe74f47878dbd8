// The host-wide measurement lock: two dli processes never measure on the same
// host at once. It is flock(2) on one file, so the kernel releases it when its
// holder exits or crashes; the holder writes its pid, command and start time
// into the file so that a waiting process can say whom it waits for.
#ifndef DLI_MACHINE_HOST_LOCK_H
#define DLI_MACHINE_HOST_LOCK_H

#include <ctime>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>

namespace dli {

// Who holds the lock, as the holder wrote it (pid 0 when unreadable).
struct LockHolder {
  long pid = 0;
  std::string command;
  std::time_t started = 0;
};
// "pid N (COMMAND), started HH:MM:SS" (local time).
std::string DescribeHolder(const LockHolder& holder);

// The lock's directory: $DLI_LOCK_DIR when set; else the first of /run/lock/dli
// and /tmp/dli-lock that exists or can be created (mode 1777, so every user of
// the host shares it). Not $XDG_RUNTIME_DIR: it is per user, and the lock is
// for the host.
std::string MeasurementLockDir();
std::string MeasurementLockFile(const std::string& dir);

// The holder when someone holds the lock, nullopt when it is free. It does not
// wait; it probes with a shared lock for an instant, so a taker with kNoWait
// that arrives in that instant fails as if the lock were held.
std::optional<LockHolder> MeasurementLockHolder(const std::string& dir = MeasurementLockDir());

// Thrown by MeasurementLock with kNoWait when another process holds the lock.
class MeasurementLockBusy : public std::runtime_error {
 public:
  explicit MeasurementLockBusy(LockHolder holder);
  const LockHolder& holder() const { return holder_; }

 private:
  LockHolder holder_;
};

enum class LockWait { kWait, kNoWait };

// Holds the lock from construction to destruction. kWait blocks until the
// lock is free, first writing one line to `notice` ("waiting for the
// measurement lock held by pid N (dli run ...), started HH:MM:SS");
// kNoWait throws MeasurementLockBusy. Other failures (the directory cannot be
// created, the file cannot be opened) throw std::runtime_error with the path.
// The descriptor is close-on-exec: worker processes do not inherit the lock.
class MeasurementLock {
 public:
  MeasurementLock(const std::string& command, LockWait wait, std::ostream& notice,
                  const std::string& dir = MeasurementLockDir());
  ~MeasurementLock();
  MeasurementLock(MeasurementLock&& other) noexcept;
  MeasurementLock& operator=(MeasurementLock&& other) noexcept;
  MeasurementLock(const MeasurementLock&) = delete;
  MeasurementLock& operator=(const MeasurementLock&) = delete;

  // Whether the constructor had to wait for another holder.
  bool waited() const { return waited_; }

 private:
  void Release();
  int fd_ = -1;
  bool waited_ = false;
};

// This process's command line from /proc/self/cmdline, arguments joined by
// spaces: what MeasurementLock's callers usually pass as `command`.
std::string SelfCommandLine();

}  // namespace dli

#endif  // DLI_MACHINE_HOST_LOCK_H
