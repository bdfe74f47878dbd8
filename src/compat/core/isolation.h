// Transitional: the commands included core/isolation.h before the child
// process machinery moved to src/exec and the accuracy JSON to
// src/accuracy. Removed once they include those headers directly.
#ifndef DLI_COMPAT_ISOLATION_H
#define DLI_COMPAT_ISOLATION_H

#include "accuracy/accuracy_json.h"
#include "core/files.h"
#include "exec/child_process.h"
#include "exec/local_executor.h"

#endif  // DLI_COMPAT_ISOLATION_H
