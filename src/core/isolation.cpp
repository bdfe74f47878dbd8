#include "core/isolation.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace fs = std::filesystem;

namespace dli {
namespace {
constexpr size_t kTailBytes = 4096;
volatile sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) { g_interrupted = 1; }
}  // namespace

void InstallInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted != 0; }

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "dli-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error(std::string("cannot create a temporary folder: ") +
                             std::strerror(errno));
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string SelfExecutable() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the dli executable: " + ec.message());
  return exe.string();
}

std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    std::string text = "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
    if (sig == SIGKILL) text += "; possibly out of memory";
    return text;
  }
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

ChildOutcome RunChild(const std::vector<std::string>& argv, double timeout_s,
                      const LineCallback& on_line) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_s = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe() failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork() failed");
  if (pid == 0) {
    setpgid(0, 0);  // own process group: a timeout kills its children too
    // ... and the worker dies with dli, even when dli itself is killed.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(127);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    execv(c_argv[0], c_argv.data());
    std::fprintf(stderr, "cannot start %s: %s\n", c_argv[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  close(pipe_fds[1]);

  ChildOutcome out;
  std::string partial_line;
  char buf[4096];
  for (;;) {
    if (Interrupted()) {
      out.interrupted = true;
      kill(-pid, SIGKILL);
      break;
    }
    const double left_s = timeout_s - elapsed_s();
    if (left_s <= 0) {
      out.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(std::min(left_s * 1000, 500.0)) + 1);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // every writer closed: the child is done
    out.tail.append(buf, static_cast<size_t>(n));
    if (on_line) {
      partial_line.append(buf, static_cast<size_t>(n));
      for (size_t eol; (eol = partial_line.find('\n')) != std::string::npos;) {
        on_line(partial_line.substr(0, eol));
        partial_line.erase(0, eol + 1);
      }
    }
    if (out.tail.size() > 2 * kTailBytes) out.tail.erase(0, out.tail.size() - kTailBytes);
  }
  close(pipe_fds[0]);
  while (waitpid(pid, &out.wait_status, 0) < 0 && errno == EINTR) {
  }
  if (out.tail.size() > kTailBytes) out.tail.erase(0, out.tail.size() - kTailBytes);
  out.wall_s = elapsed_s();
  return out;
}

}  // namespace dli
