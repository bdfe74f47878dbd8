// Running a command in a child process with a timeout, so that a framework
// that crashes, hangs or is killed for memory cannot take the caller down.
// The child gets its input on stdin and answers line by line on stdout;
// stderr is its log, of which the tail is kept.
#ifndef DLI_CHILD_PROCESS_H
#define DLI_CHILD_PROCESS_H

#include <functional>
#include <string>
#include <vector>

namespace dli {

struct ChildCommand {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no '/'
  std::string input;              // written to the child's stdin, which is then closed
  double timeout_s = 600;
  // Runs to its end after Ctrl-C too: the clean-up that Ctrl-C calls for
  // (scancel of an allocation, the end of an ssh connection).
  bool after_interrupt = false;
};

struct ChildOutcome {
  bool timed_out = false;
  bool interrupted = false;  // the user pressed Ctrl-C: the child was killed
  bool stopped = false;      // the line handler asked to stop: the child was killed
  int wait_status = 0;       // as from waitpid
  std::string log_tail;      // last few KiB of the child's stderr
  double wall_s = 0;
};

// Called with each complete line of the child's stdout; returning false
// kills the child (e.g. it speaks another protocol).
using StdoutLineHandler = std::function<bool(const std::string& line)>;

// Runs the command in its own process group (killed whole on timeout,
// interrupt or stop) and waits for it. Throws std::runtime_error only when
// the child cannot be started at all (no pipes, no fork); a program that
// cannot be executed exits with code 127 and says why on stderr.
ChildOutcome RunChild(const ChildCommand& command, const StdoutLineHandler& on_line);

// From now on SIGINT and SIGTERM only set a flag: a running child is killed
// and the caller stops cleanly, keeping what finished.
void InstallInterruptHandler();
bool Interrupted();

// "killed by signal 11 (Segmentation fault)", "exited with code 3", ...
std::string DescribeExit(int wait_status);

// The dli executable itself, which serves as the worker (`dli __worker`).
std::string SelfExecutable();

}  // namespace dli

#endif  // DLI_CHILD_PROCESS_H
