// `dli compare RUN_A RUN_B`: per-point FPS ratios between two stored runs.
#include <algorithm>
#include <iostream>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/text.h"
#include "report/compare.h"
#include "report/report.h"
#include "store/store.h"

namespace dli::cli {
namespace {

// The successful performance points of a run; UsageError when there is no such run.
std::vector<PointResult> PointsOfRun(ResultStore& store, int64_t run_id) {
  const std::vector<StoredRun> runs = store.Runs();
  if (std::none_of(runs.begin(), runs.end(), [&](const StoredRun& r) { return r.id == run_id; }))
    throw UsageError("no run " + std::to_string(run_id) +
                     " in the database (see dli results runs)");
  PointFilter f;
  f.run_id = run_id;
  f.kind = "performance";
  f.status = "ok";
  std::vector<PointResult> points;
  for (StoredResult& sr : store.Results(f)) points.push_back(std::move(sr.result));
  return points;
}

}  // namespace

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
  ResultStore store = OpenResults(args.Get("db", "results/dli.sqlite"));
  const std::vector<PointResult> a = PointsOfRun(store, ids[0]);
  const std::vector<PointComparison> compared = ComparePoints(a, PointsOfRun(store, ids[1]));
  if (compared.empty())
    throw UsageError("runs " + std::to_string(ids[0]) + " and " + std::to_string(ids[1]) +
                     " have no successful point in common");
  TextTable table({"framework", "device", "precision", "batch", "params", "FPS A", "FPS B", "B/A",
                   "95% interval", "change"});
  size_t changed = 0;
  for (const PointComparison& c : compared) {
    if (c.change != Change::kWithinNoise) ++changed;
    table.AddRow({c.framework, c.device, c.precision, std::to_string(c.batch), c.params,
                  FormatFixed(c.a.fps, 1), FormatFixed(c.b.fps, 1), FormatFixed(c.ratio, 3),
                  FormatFixed(c.ratio_low, 3) + "-" + FormatFixed(c.ratio_high, 3),
                  ChangeName(c.change)});
  }
  table.Print(std::cout);
  std::cout << compared.size() << " point(s) compared, " << changed
            << " changed beyond the noise\n";
  if (args.Has("json"))
    WriteFileAtomically(args.Get("json"),
                        ComparisonToJson(ids[0], ids[1], compared).dump(2) + "\n");
  return kExitOk;
}

}  // namespace dli::cli
