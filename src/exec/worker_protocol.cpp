#include "exec/worker_protocol.h"

#include <filesystem>

#include "core/error.h"
#include "core/model.h"
#include "exec/backend_probe.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli {
namespace {

constexpr const char* kDatasetsFolder = "_datasets";
constexpr const char* kMetaFile = "model.json";

json Message() { return {{"protocol", kWorkerProtocol}, {"dli_version", DLI_VERSION}}; }

// What a peer's message says of its protocol and dli version, checked
// against ours; `peer` names the sender ("worker", "caller").
void CheckVersions(const json& message, const std::string& peer) {
  if (!message.is_object() || !message.contains("protocol"))
    throw ProtocolError(peer + " sent a message that is not of the worker protocol: " +
                        message.dump().substr(0, 120));
  const json& protocol = message.at("protocol");
  const std::string theirs = protocol.is_string() ? protocol.get<std::string>() : protocol.dump();
  if (theirs != kWorkerProtocol)
    throw ProtocolError(peer + " speaks " + theirs + ", this dli speaks " + kWorkerProtocol);
  const json version = message.value("dli_version", json());
  const std::string their_version = version.is_string() ? version.get<std::string>() : "unknown";
  if (their_version != DLI_VERSION)
    throw ProtocolError(peer + " is dli " + their_version + ", this is dli " + DLI_VERSION +
                        ": run the same dli version on both sides");
}

// Rethrows a malformed message's error as a ProtocolError saying what it was.
template <typename Decode>
auto Decoding(const std::string& what, Decode&& decode) {
  try {
    return decode();
  } catch (const ProtocolError&) {
    throw;
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    throw ProtocolError("malformed " + what + ": " + e.what());
  }
}

fs::path Normal(const fs::path& p) { return fs::weakly_canonical(fs::absolute(p)); }

// {"dataset", "path"} for a file or folder of a bundled dataset
// (ModelsDir()/_datasets/NAME/...), else {"path": absolute}.
json PathRef(const std::string& path) {
  const fs::path p = Normal(path);
  const fs::path rel = p.lexically_relative(Normal(fs::path(ModelsDir()) / kDatasetsFolder));
  if (!rel.empty() && *rel.begin() != ".." && *rel.begin() != ".") {
    fs::path inside;
    for (auto it = std::next(rel.begin()); it != rel.end(); ++it) inside /= *it;
    return {{"dataset", rel.begin()->string()}, {"path", inside.generic_string()}};
  }
  return {{"path", p.string()}};
}

std::string PathOf(const json& ref) {
  const std::string path = ref.at("path");
  if (!ref.contains("dataset")) return path;
  const std::string name = ref.at("dataset");
  const fs::path dir = fs::path(ModelsDir()) / kDatasetsFolder / name;
  if (!fs::is_directory(dir))
    throw UsageError("bundled dataset '" + name + "' is not on this host (no folder " +
                     dir.string() + "; `dli models prepare` makes it)");
  return (path.empty() ? dir : dir / path).string();
}

// A model prepared in ModelsDir() goes by name and format id; the worker
// looks both up in its own model.json.
bool IsPrepared(const PointSpec& spec) {
  if (spec.model_name.empty() || spec.model_format.empty()) return false;
  const fs::path meta_file = fs::path(ModelsDir()) / spec.model_name / kMetaFile;
  if (!fs::is_regular_file(meta_file)) return false;
  const ModelMeta meta = LoadModelMeta(meta_file.string());
  for (const ModelFormat& f : meta.formats) {
    if (f.id != spec.model_format) continue;
    std::error_code ec;
    return fs::equivalent(fs::path(meta.dir) / f.path, spec.model_path, ec);
  }
  return false;
}

void LocatePreparedModel(json& model) {
  const std::string name = model.at("name"), format = model.at("format");
  const fs::path meta_file = fs::path(ModelsDir()) / name / kMetaFile;
  if (!fs::is_regular_file(meta_file))
    throw UsageError("model '" + name + "' is not prepared on this host (no " + meta_file.string() +
                     "; `dli models prepare` makes it)");
  const ModelMeta meta = LoadModelMeta(meta_file.string());
  for (const ModelFormat& f : meta.formats) {
    if (f.id != format) continue;
    model["path"] = (fs::path(meta.dir) / f.path).lexically_normal().string();
    model["weights"] =
        f.weights.empty() ? "" : (fs::path(meta.dir) / f.weights).lexically_normal().string();
    return;
  }
  throw UsageError("model '" + name + "' on this host has no format '" + format + "' (see " +
                   meta_file.string() + ")");
}

std::string TypeOf(const json& event) {
  const json& type = event.at("event");
  return type.is_string() ? type.get<std::string>() : type.dump();
}

}  // namespace

json EncodePointRequest(const PointSpec& spec, const std::string& model_sha256) {
  json s = SpecToJson(spec);
  json& model = s["model"];
  model["sha256"] = model_sha256;
  if (IsPrepared(spec)) {
    model.erase("path");
    model.erase("weights");
    model["prepared"] = true;
  } else {
    model["path"] = Normal(spec.model_path).string();
    model["weights"] = spec.weights_path.empty() ? "" : Normal(spec.weights_path).string();
  }
  json& input = s["input"];
  input["images_dir"] = spec.input.images_dir.empty() ? json() : PathRef(spec.input.images_dir);
  input["files"] = json::array();
  for (const std::string& f : spec.input.files) input["files"].push_back(PathRef(f));
  json request = Message();
  request["spec"] = std::move(s);
  return request;
}

PointRequest DecodePointRequest(const json& request) {
  CheckVersions(request, "the caller");
  return Decoding("point request", [&] {
    json s = request.at("spec");
    json& model = s.at("model");
    PointRequest r;
    r.model_sha256 = model.at("sha256");
    if (model.value("prepared", false)) LocatePreparedModel(model);
    json& input = s.at("input");
    input["images_dir"] = input.at("images_dir").is_null() ? "" : PathOf(input.at("images_dir"));
    json files = json::array();
    for (const json& ref : input.at("files")) files.push_back(PathOf(ref));
    input["files"] = std::move(files);
    r.spec = SpecFromJson(s);
    return r;
  });
}

json EncodeProbeRequest(const std::vector<std::string>& frameworks) {
  json request = Message();
  request["frameworks"] = frameworks;
  return request;
}

std::vector<std::string> DecodeProbeRequest(const json& request) {
  CheckVersions(request, "the caller");
  return Decoding("probe request",
                  [&] { return request.at("frameworks").get<std::vector<std::string>>(); });
}

json ProgressEvent(size_t requests, size_t of) {
  json e = Message();
  e["event"] = "progress";
  e["requests"] = requests;
  e["of"] = of;
  return e;
}

json ResultEvent(const PointResult& result) {
  json e = Message();
  e["event"] = "result";
  e["result"] = ResultToJson(result, /*with_samples=*/true);
  return e;
}

json BackendEvent(const BackendInfo& backend) {
  json e = Message();
  e["event"] = "backend";
  e["backend"] = BackendInfoToJson(backend);
  return e;
}

json HostEvent(const HostInfo& host) {
  json e = Message();
  e["event"] = "host";
  e["host"] = HostToJson(host);
  return e;
}

json ErrorEvent(const std::string& message) {
  json e = Message();
  e["event"] = "error";
  e["message"] = message;
  return e;
}

WorkerEvent DecodeEvent(const json& event) {
  CheckVersions(event, "worker");
  return Decoding("worker event", [&] {
    WorkerEvent e;
    const std::string type = TypeOf(event);
    if (type == "progress") {
      e.kind = WorkerEvent::Kind::kProgress;
      e.requests = event.at("requests");
      e.of = event.at("of");
    } else if (type == "result") {
      e.kind = WorkerEvent::Kind::kResult;
      e.result = ResultFromJson(event.at("result"));
    } else if (type == "backend") {
      e.kind = WorkerEvent::Kind::kBackend;
      e.backend = BackendInfoFromJson(event.at("backend"));
    } else if (type == "host") {
      e.kind = WorkerEvent::Kind::kHost;
      e.host = HostFromJson(event.at("host"));
    } else if (type == "error") {
      e.kind = WorkerEvent::Kind::kError;
      e.message = event.at("message");
    } else {
      throw ProtocolError("worker sent an unknown event '" + type + "'");
    }
    return e;
  });
}

std::string ProgressText(size_t requests, size_t of) {
  return std::to_string(requests) + (of > 0 ? "/" + std::to_string(of) : "") + " requests";
}

}  // namespace dli
