// `dli results` (list, export, runs) over the database.
#include <iostream>
#include <map>
#include <sstream>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/repeated_point.h"
#include "core/text.h"
#include "report/compare.h"
#include "report/report.h"
#include "store/store.h"

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

// Throughput points say so next to their parameters.
std::string Mode(const PointSpec& s) { return IsThroughput(s) ? " " + MeasureModeText(s) : ""; }

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
  ResultStore store = OpenResults(args.Get("db", "results/dli.sqlite"));
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
                     "rep", "FPS", "median ms", "top-1 %", "status", "flags"});
    for (const StoredPoint& sp : points) {
      std::vector<std::string> row = {std::to_string(sp.id), std::to_string(sp.run_id), sp.kind};
      if (sp.kind == "performance") {
        const PointResult r = ResultFromJson(sp.result);
        const bool measured = r.ok();
        row.insert(row.end(),
                   {r.spec.framework, r.spec.device, r.spec.precision, std::to_string(r.spec.batch),
                    ParamsText(r.spec.params) + Mode(r.spec), std::to_string(r.repetition + 1),
                    measured ? FormatFixed(r.fps, 1) : "-",
                    measured ? FormatFixed(r.latency.median, 3) : "-", "-"});
      } else {
        const json& p = sp.result;
        const json& top1 = p.value("top1_pct", json());
        row.insert(row.end(), {p.value("framework", ""), p.value("device", ""),
                               p.value("precision", ""), "-", "-", "-", "-", "-",
                               top1.is_number() ? FormatFixed(top1.get<double>(), 2) : "-"});
      }
      row.push_back(sp.status);
      const json& flags = sp.result.value("flags", json::array());
      row.push_back(flags.empty() ? "-" : Join(flags.get<std::vector<std::string>>(), ","));
      table.AddRow(std::move(row));
    }
    table.Print(std::cout);
    std::cout << points.size() << " point(s)\n";
    return kExitOk;
  }
  if (action != "export") throw UsageError("unknown action '" + action + "': list, export or runs");
  if (!args.Has("csv") && !args.Has("json"))
    throw UsageError("export needs --csv FILE or --json FILE");
  std::map<int64_t, std::vector<PointResult>> performance_by_run;
  for (const StoredPoint& sp : points)
    if (sp.kind == "performance")
      performance_by_run[sp.run_id].push_back(ResultFromJson(sp.result));
  if (args.Has("csv")) {
    std::vector<PointResult> perf;
    for (const auto& [run, results] : performance_by_run)
      perf.insert(perf.end(), results.begin(), results.end());
    std::ostringstream csv;
    WriteResultsCsv(perf, csv);
    WriteFileAtomically(args.Get("csv"), csv.str());
  }
  if (args.Has("json")) {
    json doc = {{"schema", "dli.results-export/1"},
                {"points", json::array()},
                {"aggregates", json::array()}};
    for (const StoredPoint& sp : points)
      doc["points"].push_back({{"id", sp.id},
                               {"run", sp.run_id},
                               {"kind", sp.kind},
                               {"created", sp.created},
                               {"result", sp.result}});
    // The figure each point is reported with: its repetitions within one run
    // aggregated (a point measured in two runs is two aggregates).
    for (const auto& [run, results] : performance_by_run)
      for (const RepeatedPoint& p : GroupRepetitions(results)) {
        const PointSpec& s = p.first().spec;
        json a = {{"run", run},
                  {"model", s.model_name},
                  {"framework", s.framework},
                  {"device", s.device},
                  {"precision", s.precision},
                  {"batch", s.batch},
                  {"mode", s.measure.mode},
                  {"requests", s.measure.requests},
                  {"params", ParamsText(s.params)},
                  {"target", p.first().target}};
        a.update(AggregateToJson(p));
        doc["aggregates"].push_back(std::move(a));
      }
    WriteFileAtomically(args.Get("json"), doc.dump(2) + "\n");
  }
  std::cout << "exported " << points.size() << " point(s)\n";
  return kExitOk;
}

}  // namespace dli::cli
