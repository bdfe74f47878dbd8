// `dli doctor`: one table of findings about the machine, optionally as JSON.
#include <iostream>

#include "args.h"
#include "commands.h"
#include "core/error.h"
#include "machine/doctor.h"
#include "report/report.h"

namespace dli::cli {
namespace {

// The advice goes in its own column: a finding is read as "what, how much,
// what to do".
void PrintFindings(const DoctorReport& report, std::ostream& out) {
  TextTable table({"check", "status", "value", "advice"});
  for (const Finding& f : report.findings)
    table.AddRow({f.id, FindingStatusName(f.status), f.value, f.advice});
  table.Print(out);
}

}  // namespace

int RunDoctor(int argc, char** argv) {
  Args args("dli doctor [--seconds N] [--json FILE]",
            "Checks whether this machine gives stable measurements: CPU governor and\n"
            "turbo, SMT, load average, CPU used by other processes and hypervisor steal\n"
            "over a sampling window, cgroup CPU quota, transparent huge pages, memory\n"
            "pressure, and whether another dli is measuring. Exit code 1 when a check\n"
            "could not run.",
            {{"seconds", "N", "sampling window for load and steal (default 3)"},
             {"json", "FILE", "also write the findings as JSON (schema dli.doctor/1)"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  const double seconds = args.GetDouble("seconds", 3, 0.1);
  const DoctorReport report = DiagnoseMachine(seconds);
  PrintFindings(report, std::cout);
  if (args.Has("json")) WriteFileAtomically(args.Get("json"), DoctorToJson(report).dump(2) + "\n");
  if (!AllChecksRan(report)) {
    std::cerr << "dli doctor: some checks could not run (status unknown)\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace dli::cli
