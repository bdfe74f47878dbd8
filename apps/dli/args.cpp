#include "args.h"

#include "core/error.h"
#include "core/text.h"

namespace dli::cli {

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
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (!StartsWith(arg, "--")) {
      if (!takes_positional_) throw UsageError("unexpected argument '" + arg + "' (see --help)");
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Option* opt = Find(name);
    if (opt == nullptr) throw UsageError("unknown option --" + name + " (see --help)");
    if (opt->value_name.empty()) {
      if (value) throw UsageError("--" + name + " takes no value");
      values_[name].push_back("true");
      continue;
    }
    if (!value) {
      if (i + 1 >= argc) throw UsageError("--" + name + " needs a value <" + opt->value_name + ">");
      value = argv[++i];
    }
    if (!opt->repeatable && values_.count(name))
      throw UsageError("--" + name + " given more than once");
    values_[name].push_back(*value);
  }
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
