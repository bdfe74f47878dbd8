// The worker protocol (dli.worker/1): how a dli that coordinates talks to
// the `dli __worker` / `dli __probe` process that measures, on this host or
// (through ssh or srun) on another.
//
//   coordinator -> worker (stdin): one JSON request
//     __worker  {"protocol", "dli_version", "spec": {...}}
//     __probe   {"protocol", "dli_version", "frameworks": [names]}
//   worker -> coordinator (stdout): one JSON event per line
//     {"protocol", "dli_version", "event": "progress", "requests": 300, "of": 1000}
//     {"protocol", "dli_version", "event": "result", "result": {dli.result/1 point}}
//     {"protocol", "dli_version", "event": "backend", "backend": {as in dli info --json}}
//     {"protocol", "dli_version", "event": "host", "host": {as in results}}  (probe of all)
//     {"protocol", "dli_version", "event": "error", "message": "..."}
//   the worker's stderr is its log (frameworks print there).
//
// Every message carries the protocol and the dli version: the two sides must
// run the same dli, or a point's settings could mean different things.
// The spec refers to files by what the worker can find on its own host: the
// framework by name (the worker loads the library from its own
// BackendSearchDirs()), a prepared model by name and format id in its own
// ModelsDir(), a bundled dataset by name under ModelsDir()/_datasets; any
// other file by its absolute path. The model file's SHA-256 travels along,
// and the worker refuses a file with another content.
#ifndef DLI_WORKER_PROTOCOL_H
#define DLI_WORKER_PROTOCOL_H

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backend.h"
#include "core/point.h"

namespace dli {

inline constexpr const char* kWorkerProtocol = "dli.worker/1";

// A message from a peer that speaks another protocol or dli version, or that
// is not a message of this protocol at all. what() is one line for the user.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The request to measure one point. `model_sha256` is the content the
// worker must find in the model file.
nlohmann::json EncodePointRequest(const PointSpec& spec, const std::string& model_sha256);

struct PointRequest {
  PointSpec spec;  // with paths on this host
  std::string model_sha256;
};
// Throws ProtocolError for another protocol or version or a malformed
// request, UsageError when a model or dataset it names is not on this host.
PointRequest DecodePointRequest(const nlohmann::json& request);

// The request to describe frameworks: the named ones, or every one found on
// the worker's host when `frameworks` is empty.
nlohmann::json EncodeProbeRequest(const std::vector<std::string>& frameworks);
std::vector<std::string> DecodeProbeRequest(const nlohmann::json& request);

struct WorkerEvent {
  enum class Kind { kProgress, kResult, kBackend, kHost, kError };
  Kind kind = Kind::kError;
  size_t requests = 0, of = 0;  // progress; of = 0 when the count is open
  PointResult result;           // result
  BackendInfo backend;          // backend
  HostInfo host;                // host: the worker's own
  std::string message;          // error: why the request could not be served
};
nlohmann::json ProgressEvent(size_t requests, size_t of);
nlohmann::json ResultEvent(const PointResult& result);
nlohmann::json BackendEvent(const BackendInfo& backend);
nlohmann::json HostEvent(const HostInfo& host);
nlohmann::json ErrorEvent(const std::string& message);
// Throws ProtocolError when the event comes from another protocol or dli
// version ("worker speaks dli.worker/2, this dli speaks dli.worker/1") or is
// malformed.
WorkerEvent DecodeEvent(const nlohmann::json& event);

// "300/1000 requests", or "300 requests" when the count is open.
std::string ProgressText(size_t requests, size_t of);

}  // namespace dli

#endif  // DLI_WORKER_PROTOCOL_H
