// What a worker process does: measure one point in this process, and the
// bodies of `dli __worker` and `dli __probe` (worker_protocol.h).
#ifndef DLI_WORKER_H
#define DLI_WORKER_H

#include <cstddef>
#include <functional>
#include <istream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/point.h"

namespace dli {

// Called every 100 timed requests with the count so far and the count the
// stop rule asks for (0 when time or the CI decides).
using PointProgress = std::function<void(size_t requests, size_t of)>;

// Runs one test point in this process: never throws, a failure is a result.
// The result carries this host's HostInfo. A non-empty
// `expected_model_sha256` must match the model file's content.
PointResult RunPointInProcess(const PointSpec& spec, const PointProgress& on_progress = {},
                              const std::string& expected_model_sha256 = "");

// Where a worker sends its events, one JSON object each.
using EventWriter = std::function<void(const nlohmann::json& event)>;

// `dli __worker`: reads a point request from `in`, emits progress events and
// one result event. Returns the exit code: 0 when the point succeeded.
int ServeWorker(std::istream& in, const EventWriter& emit);
// `dli __probe`: reads a probe request from `in` and emits one backend event
// per framework, or an error event for an unknown one. One framework is
// described in this process; several (or all) each in their own child
// process, so that one that crashes cannot hide the others.
int ServeProbe(std::istream& in, const EventWriter& emit);

// Runs `serve` on this process's stdin, with its events on stdout as JSON
// lines. Anything else written to stdout (a framework's prints) goes to
// stderr instead, so that it cannot corrupt the events.
int ServeOnStdio(int (*serve)(std::istream&, const EventWriter&));

}  // namespace dli

#endif  // DLI_WORKER_H
