// Running work in a child process with a timeout, so that a framework that
// crashes, hangs or is killed for memory cannot take the caller down.
#ifndef DLI_ISOLATION_H
#define DLI_ISOLATION_H

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace dli {

struct ChildOutcome {
  bool timed_out = false;
  bool interrupted = false;  // the user pressed Ctrl-C: the child was killed
  int wait_status = 0;       // as from waitpid
  std::string tail;          // last few KiB of the child's stdout + stderr
  double wall_s = 0;
};

// Called with each complete line the child writes (for live progress).
using LineCallback = std::function<void(const std::string& line)>;

// Runs argv[0] with argv, stdout and stderr captured, in its own process
// group (killed whole on timeout).
ChildOutcome RunChild(const std::vector<std::string>& argv, double timeout_s,
                      const LineCallback& on_line = {});

// From now on SIGINT and SIGTERM only set a flag: a running child is killed
// and the caller stops cleanly, keeping what finished.
void InstallInterruptHandler();
bool Interrupted();

// "killed by signal 11 (Segmentation fault)", "exited with code 3", ...
std::string DescribeExit(int wait_status);

// A private temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The dli executable itself, which serves as the worker (`dli __worker`).
std::string SelfExecutable();

}  // namespace dli

#endif  // DLI_ISOLATION_H
