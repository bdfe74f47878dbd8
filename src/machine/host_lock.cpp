#include "machine/host_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <vector>

#include "core/text.h"

namespace dli {
namespace {

constexpr const char* kLockFileName = "measure.lock";

std::runtime_error SystemError(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

bool IsWritableDir(const std::string& dir) {
  struct stat st {};
  return stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
         access(dir.c_str(), W_OK | X_OK) == 0;
}

// Creates `dir` shared by every user (sticky, like /tmp); false when it
// cannot be created.
bool CreateSharedDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 01777) != 0) return errno == EEXIST && IsWritableDir(dir);
  chmod(dir.c_str(), 01777);  // mkdir's mode went through the umask
  return true;
}

// Opens the lock file, creating it readable and writable by every user. An
// existing file is opened without O_CREAT: in a sticky directory the kernel's
// protected_regular rule refuses O_CREAT on another user's file.
int OpenLockFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0)
      fchmod(fd, 0666);
    else if (errno == EEXIST)
      fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  }
  // Read access is enough to lock; the holder's details then stay unwritten.
  if (fd < 0 && errno == EACCES) fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return fd;
}

LockHolder ReadHolder(int fd) {
  std::string text;
  char buffer[512];
  off_t offset = 0;
  ssize_t n = 0;
  while ((n = pread(fd, buffer, sizeof(buffer), offset)) > 0) {
    text.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  LockHolder holder;
  std::istringstream in(text);
  std::string pid, started;
  if (!std::getline(in, pid) || !std::getline(in, started)) return holder;
  const auto pid_value = ParseInt(pid);
  const auto started_value = ParseInt(started);
  if (!pid_value || !started_value) return holder;
  holder.pid = static_cast<long>(*pid_value);
  holder.started = static_cast<std::time_t>(*started_value);
  std::getline(in, holder.command);
  return holder;
}

// Best effort: a holder that cannot write (read-only file) still holds the lock.
void WriteHolder(int fd, const std::string& command) {
  std::string one_line = command.substr(0, 300);
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  const std::string text =
      std::to_string(getpid()) + "\n" + std::to_string(std::time(nullptr)) + "\n" + one_line + "\n";
  if (ftruncate(fd, 0) == 0) (void)!pwrite(fd, text.data(), text.size(), 0);
}

}  // namespace

std::string DescribeHolder(const LockHolder& holder) {
  if (holder.pid == 0) return "another process (it has not written its details yet)";
  char clock[16] = "??:??:??";
  struct tm local {};
  if (localtime_r(&holder.started, &local)) std::strftime(clock, sizeof(clock), "%H:%M:%S", &local);
  return "pid " + std::to_string(holder.pid) + " (" + holder.command + "), started " + clock;
}

std::string MeasurementLockDir() {
  if (const char* dir = std::getenv("DLI_LOCK_DIR"); dir && *dir) return dir;
  for (const char* dir : {"/run/lock/dli", "/tmp/dli-lock"})
    if (IsWritableDir(dir) || CreateSharedDir(dir)) return dir;
  return "/tmp/dli-lock";  // the open then fails with a message naming it
}

std::string MeasurementLockFile(const std::string& dir) { return dir + "/" + kLockFileName; }

std::optional<LockHolder> MeasurementLockHolder(const std::string& dir) {
  const std::string path = MeasurementLockFile(dir);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;  // nobody ever took it
    throw SystemError("cannot open the measurement lock", path);
  }
  std::optional<LockHolder> holder;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
  } else if (errno == EWOULDBLOCK) {
    holder = ReadHolder(fd);
  } else {
    const std::runtime_error error = SystemError("cannot probe the measurement lock", path);
    close(fd);
    throw error;
  }
  close(fd);
  return holder;
}

MeasurementLockBusy::MeasurementLockBusy(LockHolder holder)
    : std::runtime_error("another dli is measuring on this host: " + DescribeHolder(holder)),
      holder_(std::move(holder)) {}

MeasurementLock::MeasurementLock(const std::string& command, LockWait wait, std::ostream& notice,
                                 const std::string& dir) {
  if (!IsWritableDir(dir) && !CreateSharedDir(dir))
    throw SystemError("cannot create the measurement lock directory", dir);
  const std::string path = MeasurementLockFile(dir);
  fd_ = OpenLockFile(path);
  if (fd_ < 0) throw SystemError("cannot open the measurement lock", path);
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      const std::runtime_error error = SystemError("cannot take the measurement lock", path);
      close(fd_);
      throw error;
    }
    const LockHolder holder = ReadHolder(fd_);
    if (wait == LockWait::kNoWait) {
      close(fd_);
      throw MeasurementLockBusy(holder);
    }
    notice << "waiting for the measurement lock held by " << DescribeHolder(holder) << std::endl;
    waited_ = true;
    int rc = 0;
    while ((rc = flock(fd_, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      const std::runtime_error error = SystemError("cannot take the measurement lock", path);
      close(fd_);
      throw error;
    }
  }
  WriteHolder(fd_, command);
}

MeasurementLock::~MeasurementLock() { Release(); }

void MeasurementLock::Release() {
  if (fd_ < 0) return;
  // Cleared while still held (closing releases the lock), so the file names
  // no finished process; after a crash they stay, but they are read only
  // while someone holds the lock, and the next holder overwrites them.
  (void)!ftruncate(fd_, 0);
  close(fd_);
  fd_ = -1;
}

MeasurementLock::MeasurementLock(MeasurementLock&& other) noexcept
    : fd_(other.fd_), waited_(other.waited_) {
  other.fd_ = -1;
}

MeasurementLock& MeasurementLock::operator=(MeasurementLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = other.fd_;
    waited_ = other.waited_;
    other.fd_ = -1;
  }
  return *this;
}

std::string SelfCommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  if (args.empty()) return "";
  args[0] = args[0].substr(args[0].rfind('/') + 1);
  return Join(args, " ");
}

}  // namespace dli
