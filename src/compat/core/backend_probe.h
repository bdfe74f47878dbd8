// Transitional: the commands included core/backend_probe.h before backend
// probing moved to src/exec. Removed once they include exec/ headers.
#ifndef DLI_COMPAT_BACKEND_PROBE_H
#define DLI_COMPAT_BACKEND_PROBE_H

#include "exec/backend_probe.h"
#include "exec/local_executor.h"

#endif  // DLI_COMPAT_BACKEND_PROBE_H
