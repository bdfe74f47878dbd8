#include "exec/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace dli {
namespace {

constexpr size_t kTailBytes = 4096;
volatile sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) { g_interrupted = 1; }

// Closes a descriptor once; -1 means closed.
void Close(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// The parent's ends of the child's stdin, stdout and stderr.
struct ChildPipes {
  int in = -1, out = -1, err = -1;
  ~ChildPipes() {
    Close(in);
    Close(out);
    Close(err);
  }
};

// Reads what `fd` has now; false at end of file (or a read error).
bool ReadAvailable(int fd, std::string& into) {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

void InstallInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted != 0; }

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

ChildOutcome RunChild(const ChildCommand& command, const StdoutLineHandler& on_line) {
  const auto start = std::chrono::steady_clock::now();
  auto left_s = [&] {
    return command.timeout_s -
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::vector<char*> c_argv;
  for (const std::string& a : command.argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  if (command.argv.empty()) throw std::runtime_error("RunChild: no command");

  // stdin is a socket so that writing to a child that exited early fails
  // with EPIPE instead of raising SIGPIPE in dli (send(MSG_NOSIGNAL)).
  int in_fds[2], out_fds[2], err_fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_fds) != 0)
    throw std::runtime_error(std::string("socketpair() failed: ") + std::strerror(errno));
  if (pipe2(out_fds, O_CLOEXEC) != 0 || pipe2(err_fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe() failed: ") + std::strerror(errno));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork() failed: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);  // own process group: a timeout kills its children too
    // ... and the child dies with dli, even when dli itself is killed
    // (before prctl took effect: then its parent is another process). Not
    // "is the parent pid 1": in a container dli itself is pid 1.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(in_fds[1], STDIN_FILENO);
    dup2(out_fds[1], STDOUT_FILENO);
    dup2(err_fds[1], STDERR_FILENO);
    execvp(c_argv[0], c_argv.data());
    std::fprintf(stderr, "cannot start %s: %s\n", c_argv[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  close(in_fds[1]);
  close(out_fds[1]);
  close(err_fds[1]);
  ChildPipes pipes;
  pipes.in = in_fds[0];
  pipes.out = out_fds[0];
  pipes.err = err_fds[0];
  for (int fd : {pipes.in, pipes.out, pipes.err}) fcntl(fd, F_SETFL, O_NONBLOCK);

  ChildOutcome outcome;
  size_t written = 0;
  if (command.input.empty()) Close(pipes.in);
  std::string out_text, err_text;
  bool exited = false;
  // Hands every complete stdout line to the handler; false when it said stop.
  auto deliver_lines = [&](bool at_end) {
    size_t begin = 0;
    for (size_t eol; (eol = out_text.find('\n', begin)) != std::string::npos; begin = eol + 1)
      if (on_line && !on_line(out_text.substr(begin, eol - begin))) return false;
    out_text.erase(0, begin);
    if (at_end && !out_text.empty()) {
      const std::string last = std::move(out_text);
      out_text.clear();
      if (on_line && !on_line(last)) return false;
    }
    return true;
  };
  auto keep_tail = [&] {
    if (err_text.size() > 2 * kTailBytes) err_text.erase(0, err_text.size() - kTailBytes);
  };
  while (pipes.out >= 0 || pipes.err >= 0) {
    if (Interrupted() && !command.after_interrupt) {
      outcome.interrupted = true;
      break;
    }
    const double left = left_s();
    if (left <= 0) {
      outcome.timed_out = true;
      break;
    }
    std::vector<pollfd> fds;
    for (int fd : {pipes.out, pipes.err})
      if (fd >= 0) fds.push_back({fd, POLLIN, 0});
    if (pipes.in >= 0) fds.push_back({pipes.in, POLLOUT, 0});
    const int ready =
        poll(fds.data(), fds.size(), static_cast<int>(std::min(left * 1000, 500.0)) + 1);
    if (ready < 0 && errno != EINTR)
      throw std::runtime_error(std::string("poll() failed: ") + std::strerror(errno));
    if (pipes.in >= 0) {
      const ssize_t n = send(pipes.in, command.input.data() + written,
                             command.input.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) written += static_cast<size_t>(n);
      // Written in full, or the child stopped reading: either way, done.
      if (written == command.input.size() || (n < 0 && errno != EAGAIN && errno != EINTR))
        Close(pipes.in);
    }
    if (pipes.out >= 0 && !ReadAvailable(pipes.out, out_text)) Close(pipes.out);
    if (!deliver_lines(pipes.out < 0)) {
      outcome.stopped = true;
      break;
    }
    if (pipes.err >= 0 && !ReadAvailable(pipes.err, err_text)) Close(pipes.err);
    keep_tail();
    // A grandchild may hold the pipes open after the child exited: what the
    // child wrote is read, then the loop ends without waiting for them.
    if (!exited && waitpid(pid, &outcome.wait_status, WNOHANG) == pid) {
      exited = true;
      if (pipes.out >= 0) ReadAvailable(pipes.out, out_text);
      if (pipes.err >= 0) ReadAvailable(pipes.err, err_text);
      Close(pipes.out);
      Close(pipes.err);
      if (!deliver_lines(true)) outcome.stopped = true;
    }
  }
  if (!exited) {
    // Stopped early, or both pipes closed: the child gets until the deadline
    // to exit (no deadline after an interrupt or a stop).
    const bool kill_now = outcome.interrupted || outcome.timed_out || outcome.stopped;
    while (!kill_now && waitpid(pid, &outcome.wait_status, WNOHANG) == 0) {
      if (left_s() <= 0) {
        outcome.timed_out = true;
        break;
      }
      usleep(10000);
    }
    if (kill_now || outcome.timed_out) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &outcome.wait_status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  if (err_text.size() > kTailBytes) err_text.erase(0, err_text.size() - kTailBytes);
  outcome.log_tail = std::move(err_text);
  outcome.wall_s = command.timeout_s - left_s();
  return outcome;
}

}  // namespace dli
