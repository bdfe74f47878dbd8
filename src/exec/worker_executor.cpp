#include "exec/worker_executor.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "core/error.h"
#include "core/sha256.h"
#include "core/text.h"
#include "exec/child_process.h"
#include "exec/remote_commands.h"
#include "exec/worker_protocol.h"

using nlohmann::json;

namespace dli {
namespace {

constexpr double kProbeTimeoutS = 120;
// Probing every framework: the worker gives each its own kProbeTimeoutS in a
// child process; this only bounds the worker itself.
constexpr double kProbeAllTimeoutS = 1800;
// Reading an image's id: an ssh connection or a job step, then the engine.
constexpr double kImageIdTimeoutS = 60;

// Text from a child process may be cut inside a character or not be UTF-8
// at all; results are JSON, so invalid bytes become U+FFFD.
std::string ValidUtf8(const std::string& text) {
  return json::parse(json(text).dump(-1, ' ', false, json::error_handler_t::replace))
      .get<std::string>();
}

// One exchange with a worker: its events as they come, and what went wrong.
struct Conversation {
  ChildOutcome child;
  std::string protocol_error;  // a message this dli cannot accept: the worker was stopped
  std::string log;             // stdout lines that were not events, then the stderr tail
};

Conversation Converse(const ChildCommand& command,
                      const std::function<void(const WorkerEvent&)>& on_event) {
  Conversation c;
  std::string stray;
  c.child = RunChild(command, [&](const std::string& line) {
    if (Trim(line).empty()) return true;
    json message;
    try {
      message = json::parse(line);
    } catch (const json::exception&) {
      stray += line + "\n";  // e.g. a remote shell's greeting
      if (stray.size() > 4096) stray.erase(0, stray.size() - 4096);
      return true;
    }
    try {
      on_event(DecodeEvent(message));
    } catch (const ProtocolError& e) {
      c.protocol_error = e.what();
      return false;
    }
    return true;
  });
  c.log = ValidUtf8(stray + c.child.log_tail);
  return c;
}

std::string Request(const json& request) {
  return request.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

PointResult Failed(const PointSpec& spec, const std::string& status, const std::string& error,
                   const Conversation* c = nullptr) {
  PointResult r;
  r.spec = spec;
  r.status = status;
  r.error = error;
  if (c) {
    r.stderr_tail = c->log;
    r.wall_s = c->child.wall_s;
  }
  return r;
}

// Predictions name the files as the worker found them; the caller knows them
// by the names in its own spec, in the same order.
void RenameFiles(PointResult& r, const std::vector<std::string>& worker_files,
                 const std::vector<std::string>& files) {
  if (worker_files.size() != files.size()) return;
  std::map<std::string, std::string> ours;
  for (size_t i = 0; i < files.size(); ++i) ours[worker_files[i]] = files[i];
  for (Prediction& p : r.predictions)
    if (const auto it = ours.find(p.file); it != ours.end()) p.file = it->second;
}

std::string WhyNotDescribed(const Conversation& c, double timeout_s) {
  if (c.child.interrupted) return "probing the backend was interrupted by the user";
  if (c.child.timed_out)
    return "probing the backend timed out after " + FormatFixed(timeout_s, 0) + " s";
  const std::vector<std::string> lines = Split(c.log, '\n');
  return "probing the backend failed (" + DescribeExit(c.child.wait_status) + ")" +
         (lines.empty() ? "" : ": " + lines.back());
}

}  // namespace

const std::string& WorkerExecutor::ModelSha256(const std::string& path) {
  const std::lock_guard<std::mutex> lock(model_sha256_mutex_);
  auto it = model_sha256_.find(path);
  if (it == model_sha256_.end()) {
    if (!std::filesystem::exists(path)) throw std::runtime_error("model file not found: " + path);
    it = model_sha256_.emplace(path, Sha256Path(path)).first;
  }
  return it->second;
}

PointResult WorkerExecutor::Run(const PointSpec& spec, const ProgressCallback& on_progress) {
  std::string request;
  PointSpec placed;
  try {
    const std::string& sha256 = ModelSha256(spec.model_path);
    placed = Place(spec, sha256);
    // In a container the worker finds the model by path: the image has no
    // models folder of its own.
    if (PointContainer() != nullptr) placed.model_name.clear();
    request = Request(EncodePointRequest(placed, sha256));
  } catch (const std::exception& e) {
    return Failed(spec, "failed", e.what());
  }
  std::optional<PointResult> result;
  std::string worker_error;
  Conversation c;
  try {
    c = Converse({PointWorkerCommand(placed), request, spec.timeout_s}, [&](const WorkerEvent& e) {
      if (e.kind == WorkerEvent::Kind::kProgress && on_progress)
        on_progress(ProgressText(e.requests, e.of));
      if (e.kind == WorkerEvent::Kind::kResult) result = e.result;
      if (e.kind == WorkerEvent::Kind::kError) worker_error = e.message;
    });
  } catch (const std::exception& e) {  // no process could be started
    return Failed(spec, "failed", std::string("cannot start the worker: ") + e.what());
  }
  if (c.child.interrupted) return Failed(spec, "interrupted", "interrupted by the user", &c);
  if (!c.protocol_error.empty()) return Failed(spec, "failed", c.protocol_error, &c);
  if (c.child.timed_out)
    return Failed(spec, "timeout", "timed out after " + FormatFixed(spec.timeout_s, 0) + " s", &c);
  if (result) {
    PointResult r = std::move(*result);
    RenameFiles(r, r.spec.input.files, spec.input.files);
    // The images were read from their copy where the worker ran.
    if (r.input_source == "images:" + placed.input.images_dir)
      r.input_source = "images:" + spec.input.images_dir;
    r.spec = spec;
    if (!r.ok()) r.stderr_tail = c.log;
    return r;
  }
  if (!worker_error.empty()) return Failed(spec, "failed", worker_error, &c);
  const std::string exit = DescribeExit(c.child.wait_status);
  return Failed(spec, "crashed",
                "worker " + exit + (exit == "exited with code 0" ? " without a result" : ""), &c);
}

std::vector<BackendInfo> WorkerExecutor::Probe(const std::vector<std::string>& frameworks,
                                               double timeout_s, HostInfo* host) {
  std::vector<BackendInfo> described;
  std::string usage_error;
  const Conversation c =
      Converse({WorkerCommand("__probe"), Request(EncodeProbeRequest(frameworks)), timeout_s},
               [&](const WorkerEvent& e) {
                 if (e.kind == WorkerEvent::Kind::kBackend) described.push_back(e.backend);
                 if (e.kind == WorkerEvent::Kind::kHost && host) *host = e.host;
                 if (e.kind == WorkerEvent::Kind::kError) usage_error = e.message;
               });
  if (!c.protocol_error.empty()) throw std::runtime_error(c.protocol_error);
  if (!usage_error.empty()) throw UsageError(usage_error);
  const bool finished = !c.child.timed_out && !c.child.interrupted && c.child.wait_status == 0;
  if (frameworks.empty()) {
    // Each framework had its own child process there: this worker itself failed.
    if (!finished)
      throw std::runtime_error("cannot list the frameworks: " + WhyNotDescribed(c, timeout_s));
    return described;
  }
  std::vector<BackendInfo> out;
  for (const std::string& name : frameworks) {
    const auto it = std::find_if(described.begin(), described.end(),
                                 [&](const BackendInfo& b) { return b.name == name; });
    if (it != described.end()) {
      out.push_back(*it);
      continue;
    }
    BackendInfo info;
    info.name = info.display_name = name;
    info.reason = WhyNotDescribed(c, timeout_s);
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<BackendInfo> WorkerExecutor::DescribeBackends() { return Probe({}, kProbeAllTimeoutS); }

NodeInfo WorkerExecutor::DescribeNode() {
  NodeInfo node;
  node.backends = Probe({}, kProbeAllTimeoutS, &node.host);
  return node;
}

std::optional<ContainerImage> WorkerExecutor::Image() {
  const Container* container = PointContainer();
  if (!container) return std::nullopt;
  const std::lock_guard<std::mutex> lock(image_mutex_);
  if (image_id_.empty()) {
    std::string id;
    try {
      const ChildOutcome out =
          RunChild({OnNode(ContainerImageIdArgv(*container)), "", kImageIdTimeoutS},
                   [&](const std::string& line) {
                     if (id.empty()) id = Trim(line);
                     return true;
                   });
      // A failure leaves the id unknown for this point; the next one asks again.
      if (!out.timed_out && !out.interrupted && out.wait_status == 0) image_id_ = id;
    } catch (const std::exception&) {
    }
  }
  return ContainerImage{container->engine, container->image, image_id_};
}

BackendInfo WorkerExecutor::DescribeBackend(const std::string& framework) {
  return Probe({framework}, kProbeTimeoutS).front();
}

TargetExecutor::TargetExecutor(const Targets& all, const Target& target)
    : all_(all), target_(all_.Find(target.name)), self_(SelfExecutable()) {}

PointResult TargetExecutor::Run(const PointSpec& spec, const ProgressCallback& on_progress) {
  PointResult r = WorkerExecutor::Run(spec, on_progress);
  r.target = target_.name;
  return r;
}

std::vector<std::string> TargetExecutor::Command(
    const std::string& verb, const std::vector<std::string>& read_only_dirs) const {
  WorkerPlace place;
  place.self = self_;
  AddToPlace(place);
  place.name = WorkerName(target_.name, std::to_string(++workers_));
  place.read_only_dirs = read_only_dirs;
  place.verb = verb;
  return WorkerArgv(all_, target_, place);
}

}  // namespace dli
