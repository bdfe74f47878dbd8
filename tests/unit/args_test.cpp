// The dli commands' argument parsing: values, flags, positionals, and the one
// line each malformed command line gets (tests/cli checks some end to end).
#include "args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace dli::cli {
namespace {

Args Bench(bool takes_positional = false) {
  return Args("dli bench --model PATH [options]", "Measures.",
              {{"model", "PATH", "model file"},
               {"batch", "LIST", "batch sizes"},
               {"iterations", "N", "timed requests"},
               {"time-limit", "SEC", "seconds"},
               {"param", "KEY=VALUE", "framework parameter", true},
               {"quiet", "", "no progress lines"}},
              takes_positional);
}

// Parses `words` as the arguments after `dli bench`.
void Parse(Args& args, std::vector<std::string> words) {
  words.insert(words.begin(), {"dli", "bench"});
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  args.Parse(static_cast<int>(argv.size()), argv.data(), 2);
}

// The message of the UsageError that parsing `words` gives, or "".
std::string ErrorOf(std::vector<std::string> words, bool takes_positional = false) {
  Args args = Bench(takes_positional);
  try {
    Parse(args, std::move(words));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Args, ValuesFlagsAndRepeatableOptions) {
  Args args = Bench();
  Parse(args, {"--model", "m.onnx", "--batch=1,2", "--param", "a=1", "--param=b=2", "--quiet"});
  EXPECT_EQ(args.Get("model"), "m.onnx");
  EXPECT_EQ(args.Get("batch"), "1,2");
  EXPECT_EQ(args.GetAll("param"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_TRUE(args.Has("quiet"));
  EXPECT_FALSE(args.Has("iterations"));
  EXPECT_EQ(args.Get("iterations", "1000"), "1000");
  EXPECT_FALSE(args.help());
}

TEST(Args, AValueIsTheNextWordWhateverItLooksLike) {
  Args args = Bench();
  Parse(args, {"--model", "--quiet", "--batch", "-1", "--param", ""});
  EXPECT_EQ(args.Get("model"), "--quiet");
  EXPECT_FALSE(args.Has("quiet"));
  EXPECT_EQ(args.Get("batch"), "-1");
  EXPECT_EQ(args.GetAll("param"), std::vector<std::string>{""});
}

TEST(Args, HelpAnywhere) {
  for (const char* help : {"--help", "-h"}) {
    Args args = Bench();
    Parse(args, {"--model", "m", help});
    EXPECT_TRUE(args.help());
    EXPECT_FALSE(args.Has("help"));
  }
}

TEST(Args, Positionals) {
  Args args = Bench(/*takes_positional=*/true);
  Parse(args, {"list", "--quiet", "-3", "x"});
  EXPECT_EQ(args.positional(), (std::vector<std::string>{"list", "-3", "x"}));
  EXPECT_EQ(ErrorOf({"list"}), "unexpected argument 'list' (see --help)");
}

TEST(Args, MalformedCommandLinesGetOneLine) {
  EXPECT_EQ(ErrorOf({"--fast"}), "unknown option --fast (see --help)");
  EXPECT_EQ(ErrorOf({"--fast=1"}), "unknown option --fast (see --help)");
  EXPECT_EQ(ErrorOf({"--quiet=yes"}), "--quiet takes no value");
  EXPECT_EQ(ErrorOf({"--quiet=true"}), "--quiet takes no value");
  EXPECT_EQ(ErrorOf({"--model"}), "--model needs a value <PATH>");
  EXPECT_EQ(ErrorOf({"--quiet", "--model="}), "--model needs a value <PATH>");
  EXPECT_EQ(ErrorOf({"--model", "a", "--model", "b"}), "--model given more than once");
  EXPECT_EQ(ErrorOf({"-x"}), "unexpected argument '-x' (see --help)");
  // The first mistake on the line is the one reported.
  EXPECT_EQ(ErrorOf({"--model", "a", "--quiet=1", "--model", "b"}), "--quiet takes no value");
}

TEST(Args, TypedValues) {
  Args args = Bench();
  Parse(args, {"--iterations", "many", "--time-limit", "-1"});
  EXPECT_THROW(args.Require("model"), UsageError);
  try {
    args.Require("model");
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--model is required (see --help)");
  }
  try {
    args.GetInt("iterations", 1000, 0);
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--iterations expects a whole number, got 'many'");
  }
  try {
    args.GetDouble("time-limit", 0, 0);
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--time-limit must be at least 0.000, got -1");
  }
  EXPECT_EQ(args.GetInt("batch", 7, 1), 7);
}

TEST(ParseBatchList, PositiveWholeNumbers) {
  EXPECT_EQ(ParseBatchList("1, 2,8"), (std::vector<int>{1, 2, 8}));
  EXPECT_THROW(ParseBatchList("1,0"), UsageError);
  EXPECT_THROW(ParseBatchList("two"), UsageError);
  EXPECT_THROW(ParseBatchList(""), UsageError);
}

TEST(Args, HelpTextListsEveryOption) {
  EXPECT_EQ(Bench().HelpText(),
            "usage: dli bench --model PATH [options]\n\nMeasures.\n\noptions:\n"
            "  --model PATH       model file\n"
            "  --batch LIST       batch sizes\n"
            "  --iterations N     timed requests\n"
            "  --time-limit SEC   seconds\n"
            "  --param KEY=VALUE  framework parameter\n"
            "  --quiet            no progress lines\n"
            "  --help             show this help\n");
}

}  // namespace
}  // namespace dli::cli
