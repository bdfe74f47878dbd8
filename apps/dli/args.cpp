#include "args.h"

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/text.h"

namespace dli::cli {
namespace {

// The value of a flag given without one (CLI11's --flag{value} names): any
// other value was written by the user, --flag=VALUE. A control character
// cannot be typed there by accident.
const std::string kFlagGiven = "\x01";

std::string CliNames(const Option& o) {
  if (!o.value_name.empty()) return "--" + o.name;
  const std::string given = "{" + kFlagGiven + "}";
  return (o.name == "help" ? "-h" + given + "," : "") + "--" + o.name + given;
}

}  // namespace

Args::Args(std::string usage, std::string summary, std::vector<Option> options,
           bool takes_positional)
    : usage_(std::move(usage)),
      summary_(std::move(summary)),
      options_(std::move(options)),
      takes_positional_(takes_positional) {}

const Option* Args::Find(const std::string& name) const {
  for (const Option& o : options_)
    if (o.name == name) return &o;
  return nullptr;
}

void Args::Parse(int argc, char** argv, int first) {
  CLI::App app;
  app.set_help_flag();  // --help is one of the flags below: help() tells the command
  app.allow_extras();   // what is left over gets this file's messages, below
  std::vector<Option> all = options_;
  all.push_back({"help", "", ""});
  for (const Option& o : all) {
    CLI::Option* option =
        o.value_name.empty() ? app.add_flag(CliNames(o)) : app.add_option(CliNames(o));
    // Stored as read, so that of two misused options the first on the line
    // is reported.
    option->each([this, o](const std::string& value) { Store(o, value); })->trigger_on_parse();
  }
  if (takes_positional_) app.add_option("positional", positional_);
  try {
    app.parse(argc - first + 1, argv + first - 1);
  } catch (const CLI::ArgumentMismatch&) {
    // CLI11 takes any next word as an option's value: only the last argument
    // can lack one.
    const std::string last = argv[argc - 1];
    const std::string name = last.substr(2, last.find('=') - 2);
    throw UsageError("--" + name + " needs a value <" + Find(name)->value_name + ">");
  }
  help_ = values_.erase("help") > 0;
  if (app.remaining().empty()) return;
  const std::string extra = app.remaining().front();
  if (StartsWith(extra, "--"))
    throw UsageError("unknown option " + extra.substr(0, extra.find('=')) + " (see --help)");
  throw UsageError("unexpected argument '" + extra + "' (see --help)");
}

void Args::Store(const Option& option, const std::string& value) {
  if (option.value_name.empty()) {
    if (value != kFlagGiven) throw UsageError("--" + option.name + " takes no value");
    values_[option.name].push_back("true");
    return;
  }
  if (!option.repeatable && values_.count(option.name))
    throw UsageError("--" + option.name + " given more than once");
  values_[option.name].push_back(value);
}

std::string Args::HelpText() const {
  std::string text = "usage: " + usage_ + "\n\n" + summary_ + "\n";
  if (options_.empty()) return text;
  text += "\noptions:\n";
  size_t width = 0;
  std::vector<std::string> heads;
  for (const Option& o : options_) {
    heads.push_back("--" + o.name + (o.value_name.empty() ? "" : " " + o.value_name));
    width = std::max(width, heads.back().size());
  }
  for (size_t i = 0; i < options_.size(); ++i)
    text +=
        "  " + heads[i] + std::string(width - heads[i].size() + 2, ' ') + options_[i].help + "\n";
  text += "  --help" + std::string(width > 4 ? width - 4 : 2, ' ') + "show this help\n";
  return text;
}

bool Args::Has(const std::string& name) const { return values_.count(name) > 0; }

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::Require(const std::string& name) const {
  if (!Has(name)) throw UsageError("--" + name + " is required (see --help)");
  return Get(name);
}

long long Args::GetInt(const std::string& name, long long fallback, long long min) const {
  if (!Has(name)) return fallback;
  const auto v = ParseInt(Get(name));
  if (!v) throw UsageError("--" + name + " expects a whole number, got '" + Get(name) + "'");
  if (*v < min)
    throw UsageError("--" + name + " must be at least " + std::to_string(min) + ", got " +
                     Get(name));
  return *v;
}

double Args::GetDouble(const std::string& name, double fallback, double min) const {
  if (!Has(name)) return fallback;
  const auto v = ParseDouble(Get(name));
  if (!v) throw UsageError("--" + name + " expects a number, got '" + Get(name) + "'");
  if (*v < min)
    throw UsageError("--" + name + " must be at least " + FormatFixed(min, 3) + ", got " +
                     Get(name));
  return *v;
}

std::vector<int> ParseBatchList(const std::string& text) {
  std::vector<int> out;
  for (const std::string& part : Split(text, ',')) {
    const auto v = ParseInt(part);
    if (!v || *v < 1 || *v > 65536)
      throw UsageError("batch sizes must be positive whole numbers, got '" + part + "'");
    out.push_back(static_cast<int>(*v));
  }
  if (out.empty()) throw UsageError("--batch needs at least one batch size");
  return out;
}

}  // namespace dli::cli
