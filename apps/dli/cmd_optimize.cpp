#include "commands.h"
#include "dli/error.h"

namespace dli::cli {

int RunOptimize(int, char**) { throw UsageError("dli optimize is being written"); }

}  // namespace dli::cli
