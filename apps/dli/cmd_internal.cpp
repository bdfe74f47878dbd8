// The hidden commands the parent dli runs in child processes.
#include <fstream>
#include <iostream>

#include "commands.h"
#include "dli/error.h"
#include "dli/plugin_probe.h"
#include "dli/point.h"
#include "dli/report.h"

namespace dli::cli {

int RunWorker(int argc, char** argv) {
  if (argc != 4) throw UsageError("usage: dli __worker SPEC_JSON RESULT_JSON");
  std::ifstream in(argv[2]);
  const PointSpec spec = SpecFromJson(nlohmann::json::parse(in));
  const PointResult r = RunPointInProcess(spec);
  WriteFileAtomically(argv[3], ResultToJson(r, /*with_samples=*/true).dump());
  if (!r.ok()) std::cerr << "dli: point failed: " << r.error << "\n";
  return r.ok() ? kExitOk : kExitFailed;
}

int RunProbe(int argc, char** argv) {
  if (argc != 4) throw UsageError("usage: dli __probe PLUGIN_LIBRARY OUT_JSON");
  WritePluginDescription(argv[2], argv[3]);
  return kExitOk;
}

}  // namespace dli::cli
