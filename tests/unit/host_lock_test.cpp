#include "machine/host_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <ctime>
#include <sstream>
#include <thread>

#include "fixture_tree.h"

namespace dli {
namespace {

TEST(HostLock, HeldThenReleased) {
  FixtureTree dir;
  EXPECT_FALSE(MeasurementLockHolder(dir.root()));  // no lock file yet
  {
    std::ostringstream notice;
    const std::time_t before = std::time(nullptr);
    MeasurementLock lock("dli run study.yaml", LockWait::kNoWait, notice, dir.root());
    EXPECT_FALSE(lock.waited());
    EXPECT_EQ(notice.str(), "");
    const auto holder = MeasurementLockHolder(dir.root());
    ASSERT_TRUE(holder);
    EXPECT_EQ(holder->pid, getpid());
    EXPECT_EQ(holder->command, "dli run study.yaml");
    EXPECT_GE(holder->started, before);
    EXPECT_LE(holder->started, std::time(nullptr));
  }
  EXPECT_FALSE(MeasurementLockHolder(dir.root()));
  // Taken again after the release.
  std::ostringstream notice;
  MeasurementLock again("dli bench", LockWait::kNoWait, notice, dir.root());
  EXPECT_EQ(MeasurementLockHolder(dir.root())->command, "dli bench");
}

TEST(HostLock, NoWaitFailsAtOnceNamingTheHolder) {
  FixtureTree dir;
  std::ostringstream notice;
  MeasurementLock first("dli run a.yaml", LockWait::kNoWait, notice, dir.root());
  try {
    MeasurementLock second("dli run b.yaml", LockWait::kNoWait, notice, dir.root());
    FAIL() << "the second taker got the lock";
  } catch (const MeasurementLockBusy& busy) {
    EXPECT_EQ(busy.holder().pid, getpid());
    EXPECT_EQ(busy.holder().command, "dli run a.yaml");
    const std::string prefix = "another dli is measuring on this host: pid " +
                               std::to_string(getpid()) + " (dli run a.yaml), started ";
    EXPECT_EQ(std::string(busy.what()).rfind(prefix, 0), 0u) << busy.what();
  }
  EXPECT_EQ(notice.str(), "");
}

TEST(HostLock, SecondTakerWaitsAndSaysSoOnce) {
  FixtureTree dir;
  std::ostringstream first_notice, second_notice;
  auto first = std::make_unique<MeasurementLock>("dli run a.yaml", LockWait::kNoWait, first_notice,
                                                 dir.root());
  std::atomic<bool> taken{false};
  bool waited = false;
  std::thread second([&] {
    MeasurementLock lock("dli run b.yaml", LockWait::kWait, second_notice, dir.root());
    waited = lock.waited();
    taken = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(taken);  // flock locks of two open files conflict, even in one process
  first.reset();
  second.join();
  EXPECT_TRUE(taken);
  EXPECT_TRUE(waited);
  const std::string prefix = "waiting for the measurement lock held by pid " +
                             std::to_string(getpid()) + " (dli run a.yaml), started ";
  const std::string text = second_notice.str();
  EXPECT_EQ(text.rfind(prefix, 0), 0u) << text;
  EXPECT_EQ(text.size(), prefix.size() + std::string("HH:MM:SS\n").size()) << text;
}

TEST(HostLock, ReleasedWhenTheHolderIsKilled) {
  FixtureTree dir;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      std::ostringstream notice;
      MeasurementLock lock("dli run crash.yaml", LockWait::kNoWait, notice, dir.root());
      (void)!write(ready[1], "x", 1);
      for (;;) pause();
    } catch (...) {
      _exit(1);
    }
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  const auto holder = MeasurementLockHolder(dir.root());
  ASSERT_TRUE(holder);
  EXPECT_EQ(holder->pid, child);
  EXPECT_EQ(holder->command, "dli run crash.yaml");

  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  std::ostringstream notice;
  MeasurementLock lock("dli run after.yaml", LockWait::kNoWait, notice, dir.root());
  EXPECT_EQ(MeasurementLockHolder(dir.root())->pid, getpid());
}

TEST(HostLock, MovedLockStaysHeld) {
  FixtureTree dir;
  std::ostringstream notice;
  MeasurementLock a("dli run a.yaml", LockWait::kNoWait, notice, dir.root());
  MeasurementLock b(std::move(a));
  EXPECT_TRUE(MeasurementLockHolder(dir.root()));
  MeasurementLock c = std::move(b);
  EXPECT_TRUE(MeasurementLockHolder(dir.root()));
}

TEST(HostLock, CreatesItsDirectoryForEveryUser) {
  FixtureTree parent;
  const std::string dir = parent.root() + "/lock";
  std::ostringstream notice;
  { MeasurementLock lock("dli", LockWait::kNoWait, notice, dir); }
  struct stat st {};
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  ASSERT_EQ(stat(MeasurementLockFile(dir).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u);
}

TEST(HostLock, DirectoryFromTheEnvironment) {
  const char* saved = std::getenv("DLI_LOCK_DIR");
  const std::string restore = saved ? saved : "";
  setenv("DLI_LOCK_DIR", "/some/where", 1);
  EXPECT_EQ(MeasurementLockDir(), "/some/where");
  EXPECT_EQ(MeasurementLockFile("/some/where"), "/some/where/measure.lock");
  if (saved)
    setenv("DLI_LOCK_DIR", restore.c_str(), 1);
  else
    unsetenv("DLI_LOCK_DIR");
}

TEST(HostLock, DescribesAHolderThatWroteNothingYet) {
  EXPECT_EQ(DescribeHolder({}), "another process (it has not written its details yet)");
}

TEST(HostLock, SelfCommandLineStartsWithTheProgramName) {
  EXPECT_EQ(SelfCommandLine().rfind("dli_machine_tests", 0), 0u) << SelfCommandLine();
}

}  // namespace
}  // namespace dli
