// `dli results` (list, export, runs) and `dli compare` over the database.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <sstream>

#include "args.h"
#include "commands.h"
#include "core/error.h"
#include "report/report.h"
#include "store/store.h"
#include "core/text.h"

using nlohmann::json;

namespace dli::cli {
namespace {

const std::vector<Option> kFilterOptions = {
    {"db", "FILE", "results database (default results/dli.sqlite)"},
    {"run", "ID", "only this run"},
    {"experiment", "NAME", "only runs of this experiment"},
    {"kind", "KIND", "performance or accuracy"},
    {"framework", "NAME", "only this framework"},
    {"precision", "P", "only this precision"},
    {"status", "S", "only this status (ok, failed, timeout, crashed)"},
    {"all-versions", "", "every stored point, not only the newest of each measurement"}};

ResultStore OpenExisting(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw UsageError("results database not found: " + path + " (dli run writes it)");
  return ResultStore(path);
}

PointFilter FilterFrom(const Args& args) {
  PointFilter f;
  f.run_id = args.GetInt("run", 0, 1);
  f.experiment = args.Get("experiment");
  f.kind = args.Get("kind");
  f.framework = args.Get("framework");
  f.precision = ToUpper(args.Get("precision"));
  f.status = args.Get("status");
  f.latest_per_key = !args.Has("all-versions");
  return f;
}

std::string ParamsOf(const json& p) {
  std::vector<std::string> parts;
  if (p.contains("params"))
    for (const auto& [k, v] : p["params"].items()) parts.push_back(k + "=" + v.get<std::string>());
  return parts.empty() ? "default" : Join(parts, ",");
}

// The FPS interval implied by the latency's 95% CI.
struct FpsInterval {
  double fps = 0, low = 0, high = 0;
};
FpsInterval FpsOf(const json& p) {
  const double batch = p.at("batch").get<double>();
  const json& l = p.at("latency_ms");
  FpsInterval f;
  f.fps = p.at("fps").is_number() ? p.at("fps").get<double>() : 0;
  if (l.at("ci95_high").is_number() && l.at("ci95_high").get<double>() > 0)
    f.low = batch * 1000 / l.at("ci95_high").get<double>();
  if (l.at("ci95_low").is_number() && l.at("ci95_low").get<double>() > 0)
    f.high = batch * 1000 / l.at("ci95_low").get<double>();
  return f;
}

std::string MatchKey(const json& p) {
  return p.at("model").at("name").get<std::string>() + "|" + p.at("model").value("format", "") +
         "|" + p.at("framework").get<std::string>() + "|" + p.at("device").get<std::string>() +
         "|" + p.at("precision").get<std::string>() + "|" +
         std::to_string(p.at("batch").get<int>()) + "|" + ParamsOf(p);
}

}  // namespace

int RunResults(int argc, char** argv) {
  std::vector<Option> options = kFilterOptions;
  options.push_back({"csv", "FILE", "export: write performance points as CSV"});
  options.push_back({"json", "FILE", "export: write the points as JSON"});
  Args args("dli results list|export|runs [options]",
            "Lists or exports the points stored by `dli run`: by default the newest result of\n"
            "each distinct measurement, across runs.",
            options, /*takes_positional=*/true);
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  const std::string action = args.positional().empty() ? "list" : args.positional()[0];
  ResultStore store = OpenExisting(args.Get("db", "results/dli.sqlite"));
  if (action == "runs") {
    TextTable table({"run", "experiment", "started", "finished", "status", "points"});
    for (const StoredRun& r : store.Runs())
      table.AddRow({std::to_string(r.id), r.experiment, r.started, r.finished, r.status,
                    std::to_string(r.points)});
    table.Print(std::cout);
    return kExitOk;
  }
  const std::vector<StoredPoint> points = store.Points(FilterFrom(args));
  if (action == "list") {
    TextTable table({"id", "run", "kind", "framework", "device", "precision", "batch", "params",
                     "FPS", "median ms", "top-1 %", "status"});
    for (const StoredPoint& sp : points) {
      const json& p = sp.result;
      const bool perf = sp.kind == "performance";
      auto num = [](const json& v, int d) {
        return v.is_number() ? FormatFixed(v.get<double>(), d) : "-";
      };
      table.AddRow({std::to_string(sp.id), std::to_string(sp.run_id), sp.kind,
                    p.value("framework", ""), p.value("device", ""), p.value("precision", ""),
                    perf ? std::to_string(p.value("batch", 0)) : "-", perf ? ParamsOf(p) : "-",
                    perf ? num(p["fps"], 1) : "-", perf ? num(p["latency_ms"]["median"], 3) : "-",
                    perf ? "-" : num(p["top1_pct"], 2), sp.status});
    }
    table.Print(std::cout);
    std::cout << points.size() << " point(s)\n";
    return kExitOk;
  }
  if (action != "export") throw UsageError("unknown action '" + action + "': list, export or runs");
  if (!args.Has("csv") && !args.Has("json"))
    throw UsageError("export needs --csv FILE or --json FILE");
  if (args.Has("csv")) {
    std::vector<json> perf;
    for (const StoredPoint& sp : points)
      if (sp.kind == "performance") perf.push_back(sp.result);
    std::ostringstream csv;
    WriteResultsCsv(perf, csv);
    WriteFileAtomically(args.Get("csv"), csv.str());
  }
  if (args.Has("json")) {
    json doc = {{"schema", "dli.results-export/1"}, {"points", json::array()}};
    for (const StoredPoint& sp : points)
      doc["points"].push_back({{"id", sp.id},
                               {"run", sp.run_id},
                               {"kind", sp.kind},
                               {"created", sp.created},
                               {"result", sp.result}});
    WriteFileAtomically(args.Get("json"), doc.dump(2) + "\n");
  }
  std::cout << "exported " << points.size() << " point(s)\n";
  return kExitOk;
}

int RunCompare(int argc, char** argv) {
  Args args("dli compare RUN_A RUN_B [--db FILE] [--json FILE]",
            "Compares the performance points two runs have in common (same model, format,\n"
            "framework, device, precision, batch and parameters): FPS ratio B/A with the\n"
            "interval implied by both medians' 95% confidence intervals. A change is flagged\n"
            "only when that interval excludes 1, i.e. it exceeds the measurement noise.",
            {{"db", "FILE", "results database (default results/dli.sqlite)"},
             {"json", "FILE", "write the comparison as JSON"}},
            /*takes_positional=*/true);
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  if (args.positional().size() != 2)
    throw UsageError("expected two run ids (see dli results runs)");
  int64_t ids[2];
  for (int i = 0; i < 2; ++i) {
    const auto v = ParseInt(args.positional()[i]);
    if (!v || *v < 1)
      throw UsageError("run ids are positive whole numbers, got '" + args.positional()[i] + "'");
    ids[i] = *v;
  }
  ResultStore store = OpenExisting(args.Get("db", "results/dli.sqlite"));
  std::map<std::string, json> side[2];
  for (int i = 0; i < 2; ++i) {
    const std::vector<StoredRun> runs = store.Runs();
    if (std::none_of(runs.begin(), runs.end(), [&](const StoredRun& r) { return r.id == ids[i]; }))
      throw UsageError("no run " + std::to_string(ids[i]) +
                       " in the database (see dli results runs)");
    PointFilter f;
    f.run_id = ids[i];
    f.kind = "performance";
    f.status = "ok";
    for (const StoredPoint& sp : store.Points(f)) side[i][MatchKey(sp.result)] = sp.result;
  }
  TextTable table({"framework", "device", "precision", "batch", "params", "FPS A", "FPS B", "B/A",
                   "95% interval", "change"});
  json out = json::array();
  size_t changed = 0;
  for (const auto& [key, a] : side[0]) {
    const auto it = side[1].find(key);
    if (it == side[1].end()) continue;
    const json& b = it->second;
    const FpsInterval fa = FpsOf(a), fb = FpsOf(b);
    const double ratio = fa.fps > 0 ? fb.fps / fa.fps : 0;
    const double low = fa.high > 0 ? fb.low / fa.high : 0;
    const double high = fa.low > 0 ? fb.high / fa.low : 0;
    const std::string change = low > 1 ? "faster" : high < 1 ? "slower" : "within noise";
    if (change != "within noise") ++changed;
    table.AddRow({a["framework"], a["device"], a["precision"],
                  std::to_string(a["batch"].get<int>()), ParamsOf(a), FormatFixed(fa.fps, 1),
                  FormatFixed(fb.fps, 1), FormatFixed(ratio, 3),
                  FormatFixed(low, 3) + "-" + FormatFixed(high, 3), change});
    out.push_back({{"key", key},
                   {"fps_a", fa.fps},
                   {"fps_b", fb.fps},
                   {"ratio", ratio},
                   {"ratio_low", low},
                   {"ratio_high", high},
                   {"change", change}});
  }
  if (out.empty())
    throw UsageError("runs " + std::to_string(ids[0]) + " and " + std::to_string(ids[1]) +
                     " have no successful point in common");
  table.Print(std::cout);
  std::cout << out.size() << " point(s) compared, " << changed << " changed beyond the noise\n";
  if (args.Has("json"))
    WriteFileAtomically(
        args.Get("json"),
        json({{"run_a", ids[0]}, {"run_b", ids[1]}, {"points", out}}).dump(2) + "\n");
  return kExitOk;
}

}  // namespace dli::cli
