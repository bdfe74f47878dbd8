#include "core/backend.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/text.h"
#include "dli/model_spec.h"
#include "dli/param_check.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

constexpr const char* kLibPrefix = "libdli_backend_";
constexpr const char* kMarkerPrefix = "dli_backend_";
constexpr const char* kMarkerSuffix = ".unavailable";

std::string ExecutableDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : exe.parent_path().string();
}

std::string ReadFileTrimmed(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return Trim(ss.str());
}

}  // namespace

std::vector<std::string> BackendSearchDirs() {
  if (const char* env = std::getenv("DLI_BACKEND_PATH"); env && *env) return Split(env, ':');
  return {(fs::path(ExecutableDir()) / ".." / "lib" / "dli").lexically_normal().string()};
}

std::vector<BackendEntry> DiscoverBackends(const std::vector<std::string>& dirs) {
  std::vector<BackendEntry> found;
  auto known = [&](const std::string& name) {
    return std::any_of(found.begin(), found.end(),
                       [&](const BackendEntry& e) { return e.name == name; });
  };
  for (const std::string& dir : dirs) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) {
      const std::string file = p.filename().string();
      BackendEntry e;
      if (StartsWith(file, kLibPrefix) && EndsWith(file, ".so")) {
        e.name = file.substr(std::string(kLibPrefix).size(),
                             file.size() - std::string(kLibPrefix).size() - 3);
        e.library_path = p.string();
      } else if (StartsWith(file, kMarkerPrefix) && EndsWith(file, kMarkerSuffix)) {
        e.name = file.substr(
            std::string(kMarkerPrefix).size(),
            file.size() - std::string(kMarkerPrefix).size() - std::string(kMarkerSuffix).size());
        e.not_built_reason = "not built: " + ReadFileTrimmed(p);
      } else {
        continue;
      }
      if (!known(e.name)) found.push_back(e);
    }
  }
  std::sort(found.begin(), found.end(),
            [](const BackendEntry& a, const BackendEntry& b) { return a.name < b.name; });
  return found;
}

BackendEntry FindBackend(const std::string& name) {
  const std::vector<BackendEntry> all = DiscoverBackends(BackendSearchDirs());
  std::vector<std::string> names;
  for (const BackendEntry& e : all) {
    if (e.name == name) {
      if (e.library_path.empty())
        throw UsageError("framework '" + name + "' is " + e.not_built_reason);
      return e;
    }
    names.push_back(e.name);
  }
  throw UsageError("unknown framework '" + name + "'; known: " +
                   (names.empty() ? std::string("none (no backends found in ") +
                                        Join(BackendSearchDirs(), ":") + ")"
                                  : Join(names, ", ")));
}

std::string ValidateParamValue(const ParamDesc& p, const std::string& value) {
  dli_param_info info{};
  info.name = p.name.c_str();
  info.type = p.type.c_str();
  info.choices = p.choices.c_str();
  info.min_value = p.min_value.c_str();
  info.max_value = p.max_value.c_str();
  return param_check::Check(info, value);
}

std::string ParamValuesText(const ParamDesc& p) {
  if (p.type == "choice") return p.choices;
  if (p.type != "int" || (p.min_value.empty() && p.max_value.empty())) return p.type;
  if (p.max_value.empty()) return "int >= " + p.min_value;
  if (p.min_value.empty()) return "int <= " + p.max_value;
  return "int " + p.min_value + ".." + p.max_value;
}

// ---------------------------------------------------------------- Session

Session::Session(const dli_backend* api, dli_session* handle)
    : api_(api), handle_(handle), err_{} {}

Session::~Session() { api_->close(handle_); }

#define DLI_CHECK_CALL(call)                                                          \
  do {                                                                                \
    err_[0] = '\0';                                                                   \
    if ((call) != DLI_OK) throw std::runtime_error(err_[0] ? err_ : "backend error"); \
  } while (0)

dli_tensor_info Session::Info(bool input, size_t index) {
  dli_tensor_info info{};
  if (input)
    DLI_CHECK_CALL(api_->input_info(handle_, index, &info, err_, sizeof(err_)));
  else
    DLI_CHECK_CALL(api_->output_info(handle_, index, &info, err_, sizeof(err_)));
  return info;
}

void Session::SetInputs(const std::vector<const void*>& batches) {
  if (inputs_.empty() || batches.size() % inputs_.size() != 0)
    throw std::logic_error(std::to_string(batches.size()) + " input pointers for " +
                           std::to_string(inputs_.size()) + " inputs");
  DLI_CHECK_CALL(api_->set_inputs(handle_, batches.data(), batches.size() / inputs_.size(), err_,
                                  sizeof(err_)));
}

void Session::Bind(size_t batch_index) {
  DLI_CHECK_CALL(api_->bind(handle_, batch_index, err_, sizeof(err_)));
}

void Session::Infer() { DLI_CHECK_CALL(api_->infer(handle_, err_, sizeof(err_))); }

std::vector<float> Session::ReadOutput(size_t index) {
  std::vector<float> out(ElementCount(outputs_.at(index)));
  DLI_CHECK_CALL(api_->read_output(handle_, index, out.data(), out.size(), err_, sizeof(err_)));
  return out;
}

bool Session::HasAsyncRequests() const {
  return api_->open_requests && api_->bind_request && api_->start_request && api_->wait_request;
}

bool Session::HasConcurrentRequests() const {
  return api_->open_requests && api_->bind_request && api_->infer_request;
}

void Session::OpenRequests(size_t n) {
  if (!HasAsyncRequests() && !HasConcurrentRequests())
    throw std::logic_error(std::string(api_->name) + " has no request calls");
  DLI_CHECK_CALL(api_->open_requests(handle_, n, err_, sizeof(err_)));
}

void Session::BindRequest(size_t slot, size_t batch_index) {
  DLI_CHECK_CALL(api_->bind_request(handle_, slot, batch_index, err_, sizeof(err_)));
}

// Runs on several threads at once: its own error buffer, not err_.
void Session::InferRequest(size_t slot) {
  char err[2048] = "";
  if (api_->infer_request(handle_, slot, err, sizeof(err)) != DLI_OK)
    throw std::runtime_error(err[0] ? err : "backend error");
}

void Session::StartRequest(size_t slot) {
  DLI_CHECK_CALL(api_->start_request(handle_, slot, err_, sizeof(err_)));
}

std::pair<size_t, std::string> Session::WaitRequest() {
  size_t slot = static_cast<size_t>(-1);
  err_[0] = '\0';
  if (api_->wait_request(handle_, &slot, err_, sizeof(err_)) == DLI_OK) return {slot, ""};
  const std::string error = err_[0] ? err_ : "request failed";
  if (slot == static_cast<size_t>(-1)) throw std::runtime_error(error);
  return {slot, error};
}

#undef DLI_CHECK_CALL

AsyncSessionRequests::AsyncSessionRequests(Session& session, size_t slots, Clock clock)
    : session_(session), slots_(slots), clock_(std::move(clock)) {
  session_.OpenRequests(slots);
}

Completion AsyncSessionRequests::WaitAny() {
  auto [slot, error] = session_.WaitRequest();
  Completion c;
  c.end_ms = clock_();
  c.slot = slot;
  c.error = std::move(error);
  return c;
}

ConcurrentSessionRequests::ConcurrentSessionRequests(Session& session, size_t slots)
    : session_(session) {
  session_.OpenRequests(slots);
}

std::string RequestCallsText(const BackendInfo& info) {
  std::string text;
  if (info.request_calls == "async")
    text = "asynchronous requests on one session";
  else if (info.request_calls == "concurrent")
    text = "concurrent requests on one session, a thread each";
  else if (info.notes.rfind("python bridge", 0) == 0)
    return "none (calls from one thread only)";
  else
    text = "one session per request, a thread each";
  if (info.max_requests > 0) text += " (at most " + std::to_string(info.max_requests) + ")";
  return text;
}

// ----------------------------------------------------------------- BackendLibrary

BackendLibrary::BackendLibrary(void* handle, const dli_backend* api, std::string path)
    : handle_(handle), api_(api), path_(std::move(path)) {}

// Backends are never dlclose'd: several frameworks crash when unloaded, and
// each test point runs in a short-lived process anyway.
BackendLibrary::~BackendLibrary() = default;

std::unique_ptr<BackendLibrary> BackendLibrary::Load(const std::string& library_path) {
  void* handle = dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr)
    throw std::runtime_error("cannot load backend " + library_path + ": " + dlerror());
  auto get = reinterpret_cast<dli_backend_get_fn>(dlsym(handle, DLI_BACKEND_ENTRY_SYMBOL));
  if (get == nullptr)
    throw std::runtime_error(library_path + " is not a DLI backend (no " +
                             DLI_BACKEND_ENTRY_SYMBOL + ")");
  const dli_backend* api = get();
  if (api == nullptr)
    throw std::runtime_error(library_path + " is not a DLI backend (" + DLI_BACKEND_ENTRY_SYMBOL +
                             " returned nothing)");
  if (api->abi_version != DLI_BACKEND_ABI_VERSION)
    throw std::runtime_error(library_path + " was built for backend ABI version " +
                             std::to_string(api->abi_version) + "; this dli needs version " +
                             std::to_string(DLI_BACKEND_ABI_VERSION) + ": rebuild the backend");
  return std::unique_ptr<BackendLibrary>(new BackendLibrary(handle, api, library_path));
}

void BackendLibrary::Probe() const {
  char err[2048] = "";
  if (api_->probe(err, sizeof(err)) != DLI_OK)
    throw std::runtime_error(std::string(api_->display_name) + " is unavailable: " + err);
}

BackendInfo BackendLibrary::Describe() const {
  BackendInfo info;
  info.name = api_->name;
  info.display_name = api_->display_name;
  info.path = path_;
  info.model_formats = api_->model_formats;
  info.max_requests = api_->max_requests;
  if (api_->open_requests && api_->bind_request) {
    if (api_->start_request && api_->wait_request)
      info.request_calls = "async";
    else if (api_->infer_request)
      info.request_calls = "concurrent";
  }
  for (size_t i = 0; i < api_->n_params; ++i) {
    const dli_param_info& p = api_->params[i];
    auto text = [](const char* field) { return std::string(field ? field : ""); };
    info.params.push_back({p.name, p.type, text(p.default_value), text(p.choices), text(p.help),
                           text(p.min_value), text(p.max_value)});
  }
  char err[2048] = "";
  info.available = api_->probe(err, sizeof(err)) == DLI_OK;
  if (!info.available) {
    info.reason = err;
    return info;
  }
  info.version = api_->framework_version();
  info.notes = api_->notes();
  info.notes +=
      (info.notes.empty() ? "" : "; ") + std::string("throughput mode: ") + RequestCallsText(info);
  info.devices = Split(api_->devices(), ',');
  info.precisions = Split(api_->precisions(), ',');
  return info;
}

std::unique_ptr<Session> BackendLibrary::Open(const OpenArgs& args) const {
  const dli::ModelSpec spec(args);
  dli_session* handle = nullptr;
  char err[2048] = "";
  if (api_->open(spec.get(), &handle, err, sizeof(err)) != DLI_OK || handle == nullptr)
    throw std::runtime_error(std::string(api_->name) + ": " + (err[0] ? err : "open failed"));
  std::unique_ptr<Session> session(new Session(api_, handle));
  size_t n_inputs = 0, n_outputs = 0;
  if (api_->io_counts(handle, &n_inputs, &n_outputs, err, sizeof(err)) != DLI_OK)
    throw std::runtime_error(std::string(api_->name) + ": " + err);
  if (n_inputs == 0 || n_outputs == 0)
    throw std::runtime_error(std::string(api_->name) + " reports " + std::to_string(n_inputs) +
                             " inputs and " + std::to_string(n_outputs) + " outputs");
  for (size_t i = 0; i < n_inputs; ++i) session->inputs_.push_back(session->Info(true, i));
  for (size_t i = 0; i < n_outputs; ++i) session->outputs_.push_back(session->Info(false, i));
  return session;
}

// ---------------------------------------------------------------- tensors

size_t ElementCount(const dli_tensor_info& t) {
  size_t n = 1;
  for (int i = 0; i < t.rank; ++i) n *= static_cast<size_t>(t.shape[i] > 0 ? t.shape[i] : 0);
  return n;
}

std::string DtypeName(dli_dtype t) {
  switch (t) {
    case DLI_DTYPE_F32:
      return "float32";
    case DLI_DTYPE_U8:
      return "uint8";
    case DLI_DTYPE_I8:
      return "int8";
    case DLI_DTYPE_F16:
      return "float16";
    case DLI_DTYPE_I32:
      return "int32";
    case DLI_DTYPE_I64:
      return "int64";
    case DLI_DTYPE_BOOL:
      return "bool";
  }
  return "unknown";
}

std::string ShapeText(const dli_tensor_info& t) {
  std::vector<std::string> dims;
  for (int i = 0; i < t.rank; ++i) dims.push_back(std::to_string(t.shape[i]));
  return "[" + Join(dims, ",") + "]";
}

std::string ShapesText(const std::vector<dli_tensor_info>& tensors) {
  if (tensors.size() == 1) return ShapeText(tensors[0]);
  std::vector<std::string> parts;
  for (const dli_tensor_info& t : tensors)
    parts.push_back(std::string(t.name) + " " + ShapeText(t));
  return Join(parts, "; ");
}

std::string DimsText(const std::vector<int64_t>& dims) {
  std::vector<std::string> parts;
  for (int64_t d : dims) parts.push_back(d < 0 ? "?" : std::to_string(d));
  return Join(parts, "x");
}

}  // namespace dli
