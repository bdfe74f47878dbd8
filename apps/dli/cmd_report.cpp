#include "commands.h"
#include "dli/error.h"
namespace dli::cli {
int RunReport(int, char**) { throw UsageError("dli report is not built yet"); }
}  // namespace dli::cli
