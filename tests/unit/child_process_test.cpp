// Child processes: input on stdin, lines from stdout, the tail of stderr,
// and a child that hangs, exits early or is stopped.
#include "exec/child_process.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

namespace dli {
namespace {

TEST(RunChild, StdinInStdoutLinesOutStderrTailKept) {
  std::vector<std::string> lines;
  const ChildOutcome out =
      RunChild({{"/bin/sh", "-c", "cat; echo log >&2; printf 'last'"}, "a\nb\n", 10},
               [&](const std::string& line) {
                 lines.push_back(line);
                 return true;
               });
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "last"}));
  EXPECT_EQ(out.log_tail, "log\n");
  EXPECT_TRUE(WIFEXITED(out.wait_status));
  EXPECT_EQ(WEXITSTATUS(out.wait_status), 0);
  EXPECT_FALSE(out.timed_out || out.interrupted || out.stopped);
}

TEST(RunChild, LargeInputAndOutputDoNotDeadlock) {
  const std::string input(4 << 20, 'x');
  size_t received = 0;
  const ChildOutcome out =
      RunChild({{"/bin/sh", "-c", "cat; echo"}, input, 30}, [&](const std::string& line) {
        received += line.size();
        return true;
      });
  EXPECT_EQ(received, input.size());
  EXPECT_FALSE(out.timed_out);
}

TEST(RunChild, HandlerStopsTheChild) {
  const ChildOutcome out = RunChild({{"/bin/sh", "-c", "echo one; exec sleep 30"}, "", 20},
                                    [&](const std::string& line) { return line != "one"; });
  EXPECT_TRUE(out.stopped);
  EXPECT_LT(out.wall_s, 10);
}

TEST(RunChild, TimeoutKillsTheWholeGroup) {
  const ChildOutcome out = RunChild({{"/bin/sh", "-c", "sleep 30 & sleep 30"}, "", 0.5}, {});
  EXPECT_TRUE(out.timed_out);
  EXPECT_LT(out.wall_s, 10);
}

TEST(RunChild, ChildThatDoesNotReadItsInput) {
  const ChildOutcome out =
      RunChild({{"/bin/sh", "-c", "exit 3"}, std::string(1 << 20, 'x'), 10}, {});
  EXPECT_EQ(DescribeExit(out.wait_status), "exited with code 3");
}

TEST(RunChild, ProgramThatCannotStart) {
  const ChildOutcome out = RunChild({{"/nonexistent/dli", "__worker"}, "", 10}, {});
  EXPECT_EQ(DescribeExit(out.wait_status), "exited with code 127");
  EXPECT_NE(out.log_tail.find("cannot start /nonexistent/dli"), std::string::npos);
}

}  // namespace
}  // namespace dli
