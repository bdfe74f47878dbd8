#include "exec/worker.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "accuracy/dataset.h"
#include "accuracy/images.h"
#include "core/batches.h"
#include "core/error.h"
#include "core/host.h"
#include "core/sha256.h"
#include "core/slot_threads.h"
#include "core/throughput.h"
#include "exec/backend_probe.h"
#include "exec/executor.h"
#include "exec/worker_protocol.h"
#include "machine/interference.h"
#include "machine/reference_workload.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The input that takes the images: the one the model description calls an
// image, else the model's only input.
size_t ImageInput(const std::vector<dli_tensor_info>& inputs,
                  const std::vector<ModelInput>& rules) {
  for (size_t i = 0; i < rules.size(); ++i)
    if (rules[i].kind == "image") return i;
  if (inputs.size() == 1) return 0;
  throw std::runtime_error("images need an image input, and none of the model's inputs (" +
                           ShapesText(inputs) + ") is declared one (kind image in model.json)");
}

BatchSet PrepareInputs(const PointSpec& spec, const std::vector<dli_tensor_info>& inputs,
                       const std::vector<ModelInput>& rules, PointResult& r) {
  if (spec.input.images_dir.empty()) {
    r.input_source = "synthetic";
    const size_t per_ring = spec.input.max_images / static_cast<size_t>(spec.batch);
    const size_t n = spec.input.synthetic_batches > 0 ? spec.input.synthetic_batches
                                                      : (per_ring > 0 ? per_ring : 1);
    return BuildSyntheticBatches(inputs, rules, n, spec.input.seed);
  }
  r.input_source = "images:" + spec.input.images_dir;
  const size_t image_input = ImageInput(inputs, rules);
  ImageSet set = LoadImageFolder(spec.input.images_dir, spec.preprocessing, spec.input.max_images);
  r.n_images = set.images.size();
  r.skipped_images = set.skipped;
  return BuildImageBatches(set.images, inputs, image_input, rules, spec.input.seed);
}

// Predict mode: one pass over spec.input.files in order, or, without files,
// over spec.input.synthetic_batches seeded synthetic batches (items named
// "synthetic N"); each item's top-5 of output 0 (and optionally every
// output's values for it, one after another) in r.predictions.
void Predict(const PointSpec& spec, Session& session, const std::vector<ModelInput>& rules,
             PointResult& r) {
  const std::vector<dli_tensor_info>& inputs = session.Inputs();
  const size_t per_batch = static_cast<size_t>(spec.batch);
  std::vector<std::string> names;
  std::optional<BatchSet> batches;
  if (spec.input.files.empty()) {
    r.input_source = "synthetic";
    const size_t n = spec.input.synthetic_batches > 0 ? spec.input.synthetic_batches : 1;
    batches.emplace(BuildSyntheticBatches(inputs, rules, n, spec.input.seed));
    for (size_t i = 0; i < n * per_batch; ++i) names.push_back("synthetic " + std::to_string(i));
  } else {
    r.input_source = "files";
    const size_t image_input = ImageInput(inputs, rules);
    DecodedImages decoded = PreprocessFiles(spec.input.files, spec.preprocessing);
    r.skipped_images = decoded.errors;
    if (decoded.images.empty()) throw std::runtime_error("no decodable image among the inputs");
    for (size_t index : decoded.source_index) names.push_back(spec.input.files[index]);
    batches.emplace(BuildImageBatches(decoded.images, inputs, image_input, rules, spec.input.seed,
                                      /*cover_all=*/true));
  }
  r.n_images = names.size();
  r.n_batches = batches->size();
  session.SetInputs(batches->Pointers());
  for (size_t b = 0; b < batches->size(); ++b) {
    session.Bind(b);
    session.Infer();
    std::vector<std::vector<float>> outputs;
    for (size_t j = 0; j < session.Outputs().size(); ++j) outputs.push_back(session.ReadOutput(j));
    for (size_t slot = 0; slot < per_batch; ++slot) {
      const size_t item = b * per_batch + slot;
      if (item >= names.size()) break;  // padding
      const size_t per_item = outputs[0].size() / per_batch;
      const float* first = outputs[0].data() + slot * per_item;
      Prediction p;
      p.file = names[item];
      p.top5 = TopK(first, per_item, 5);
      for (int k : p.top5) p.top5_scores.push_back(first[k]);
      if (spec.input.keep_outputs)
        for (const std::vector<float>& out : outputs) {
          const size_t values = out.size() / per_batch;
          p.output.insert(p.output.end(), out.begin() + slot * values,
                          out.begin() + (slot + 1) * values);
        }
      r.predictions.push_back(std::move(p));
    }
  }
}

// Every input has the point's batch first. (A shape naming no input of the
// model fails open(): the backend knows the names its format gives them.)
void CheckBatch(const PointSpec& spec, const std::vector<dli_tensor_info>& inputs,
                const std::string& shapes_text) {
  for (const dli_tensor_info& in : inputs)
    if (in.rank < 1 || in.shape[0] != spec.batch)
      throw std::runtime_error("backend reports input shape " + shapes_text + " for batch " +
                               std::to_string(spec.batch));
}

int64_t UtcNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Runs `measure` with the machine recorded around its window: the reference
// workload outermost, so its own CPU time stays outside the interference
// window; the snapshots are of this process, so its CPU time (every thread
// of the framework) is "own", never "other processes".
template <typename Measure>
auto RecordMachine(PointResult& r, Measure&& measure) {
  r.machine.reference_before_ms = MeasureReferenceWorkload().median_ms;
  const MachineSnapshot before = TakeSnapshot();
  r.machine.window_start_utc_ms = UtcNowMs();
  auto m = measure();
  r.machine.window_end_utc_ms = UtcNowMs();
  const InterferenceWindow window = Difference(before, TakeSnapshot());
  r.machine.reference_after_ms = MeasureReferenceWorkload().median_ms;
  const std::vector<InterferenceWarning> warnings = Flag(window);
  r.machine.interference = InterferenceToJson(window, warnings);
  for (const InterferenceWarning& w : warnings) r.flags.push_back(InterferenceKindId(w.kind));
  return m;
}

Measurement MeasureRecorded(Session& session, size_t n_batches, const PointSpec& spec,
                            const PointProgress& on_progress, PointResult& r) {
  return RecordMachine(r, [&] {
    return RunMeasurement(session, n_batches, spec.measure, SteadyClockMs, [&](size_t n) {
      if (on_progress && n % 100 == 0) on_progress(n, spec.measure.stop.iterations);
    });
  });
}

// Throughput mode on the backend's own mechanism where it has one: its
// asynchronous request calls, or its thread-safe infer_request driven by a
// thread per slot, both on `first` alone. Otherwise `first` and requests-1
// more sessions of the same model, each fed the same ring of batches and
// driven by a thread of its own.
void MeasureThroughput(const PointSpec& spec, const BackendLibrary& backend,
                       const BackendLibrary::OpenArgs& args, Session& first,
                       const BatchSet& batches, const PointProgress& on_progress, PointResult& r) {
  const size_t requests = spec.measure.requests;
  std::vector<std::unique_ptr<Session>> more;
  std::unique_ptr<ConcurrentInferenceTarget> slots;
  std::unique_ptr<AsyncInferenceTarget> target;
  if (first.HasAsyncRequests()) {
    target = std::make_unique<AsyncSessionRequests>(first, requests);
  } else {
    if (first.HasConcurrentRequests()) {
      slots = std::make_unique<ConcurrentSessionRequests>(first, requests);
    } else {
      std::vector<InferenceTarget*> instances = {&first};
      for (size_t i = 1; i < requests; ++i) {
        more.push_back(backend.Open(args));
        more.back()->SetInputs(batches.Pointers());
        instances.push_back(more.back().get());
      }
      slots = std::make_unique<InstancePerSlot>(instances);
    }
    target = std::make_unique<ThreadPerSlot>(*slots, requests);
  }
  const ThroughputMeasurement m = RecordMachine(r, [&] {
    return RunThroughputMeasurement(*target, batches.size(), spec.measure, SteadyClockMs,
                                    [&](size_t n) {
                                      if (on_progress && n % 100 == 0)
                                        on_progress(n, spec.measure.stop.iterations);
                                    });
  });
  r.first_inference_ms = m.first_inference_ms;
  r.warmup_ms = m.warmup_ms;
  r.samples_ms = m.samples_ms;
  r.stop_reason = m.stop_reason;
  r.latency = Summarize(m.samples_ms);
  const size_t batch = static_cast<size_t>(spec.batch);
  r.throughput_fps = m.Fps(batch);
  r.throughput_ci95 = ThroughputCi95(m, batch);
  r.completed = m.Completed();
  r.window_ms = m.WindowMs();
  r.fps = r.throughput_fps;
}

// A shortened hash for messages.
std::string Short(const std::string& sha256) { return sha256.substr(0, 12); }

}  // namespace

PointResult RunPointInProcess(const PointSpec& spec, const PointProgress& on_progress,
                              const std::string& expected_model_sha256) {
  const auto start = std::chrono::steady_clock::now();
  PointResult r;
  r.spec = spec;
  r.host = ReadHostInfo();
  try {
    if (!fs::exists(spec.model_path))
      throw std::runtime_error("model file not found: " + spec.model_path);
    r.model_sha256 = Sha256Path(spec.model_path);
    if (!expected_model_sha256.empty() && r.model_sha256 != expected_model_sha256)
      throw std::runtime_error("model file " + spec.model_path + " has SHA-256 " +
                               Short(r.model_sha256) + "..., expected " +
                               Short(expected_model_sha256) +
                               "...: this host has another version of the model");
    std::unique_ptr<BackendLibrary> backend =
        BackendLibrary::Load(FindBackend(spec.framework).library_path);
    backend->Probe();
    const BackendInfo info = backend->Describe();
    r.framework_version = info.version;
    if (spec.mode != "predict") {
      if (const std::string err = ValidateMeasureMode(spec.measure); !err.empty())
        throw std::runtime_error(err);
      if (IsThroughput(spec)) {
        if (const std::string err = ThroughputRefusal(info); !err.empty())
          throw std::runtime_error(err);
        if (const std::string err = ValidateRequestCount(spec.measure.requests, info.max_requests);
            !err.empty())
          throw std::runtime_error(err);
      }
    }

    BackendLibrary::OpenArgs args;
    args.model_path = spec.model_path;
    args.weights_path = spec.weights_path;
    args.device = spec.device;
    args.precision = spec.precision;
    args.batch = spec.batch;
    args.requests = IsThroughput(spec) ? static_cast<int>(spec.measure.requests) : 0;
    args.params = spec.params;
    args.shapes = PointShapes(spec);
    const auto load_start = std::chrono::steady_clock::now();
    std::unique_ptr<Session> session = backend->Open(args);
    r.load_ms = MsSince(load_start);

    const std::vector<dli_tensor_info>& inputs = session->Inputs();
    r.input_shape = ShapesText(inputs);
    r.output_shape = ShapesText(session->Outputs());
    CheckBatch(spec, inputs, r.input_shape);
    const std::vector<ModelInput> rules = InputRules(spec.inputs, inputs);
    if (spec.mode == "predict") {
      Predict(spec, *session, rules, r);
      r.wall_s = MsSince(start) / 1000;
      return r;
    }
    BatchSet batches = PrepareInputs(spec, inputs, rules, r);
    r.n_batches = batches.size();
    session->SetInputs(batches.Pointers());
    if (IsThroughput(spec)) {
      MeasureThroughput(spec, *backend, args, *session, batches, on_progress, r);
      r.wall_s = MsSince(start) / 1000;
      return r;
    }

    const Measurement m = MeasureRecorded(*session, batches.size(), spec, on_progress, r);
    r.first_inference_ms = m.first_inference_ms;
    r.warmup_ms = m.warmup_ms;
    r.samples_ms = m.samples_ms;
    r.stop_reason = m.stop_reason;
    r.latency = Summarize(m.samples_ms);
    r.fps = FramesPerSecond(spec.batch, r.latency.median);
  } catch (const std::exception& e) {
    r.status = "failed";
    r.error = e.what();
  }
  r.wall_s = MsSince(start) / 1000;
  return r;
}

int ServeWorker(std::istream& in, const EventWriter& emit) {
  PointResult r;
  try {
    const PointRequest request = DecodePointRequest(nlohmann::json::parse(in));
    r = RunPointInProcess(
        request.spec, [&](size_t n, size_t of) { emit(ProgressEvent(n, of)); },
        request.model_sha256);
  } catch (const std::exception& e) {
    r.status = "failed";
    r.error = e.what();
    r.host = ReadHostInfo();
  }
  if (!r.ok()) std::cerr << "dli: point failed: " << r.error << "\n";
  emit(ResultEvent(r));
  return r.ok() ? kExitOk : kExitFailed;
}

int ServeProbe(std::istream& in, const EventWriter& emit) {
  try {
    std::vector<std::string> frameworks = DecodeProbeRequest(nlohmann::json::parse(in));
    if (frameworks.size() == 1) {
      emit(BackendEvent(DescribeBackendInProcess(frameworks[0])));
      return kExitOk;
    }
    const std::vector<std::string> found = FrameworksFound();
    if (frameworks.empty()) {
      emit(HostEvent(ReadHostInfo()));  // the node as `dli info --targets` shows it
      frameworks = found;
    }
    for (const std::string& name : frameworks)
      if (std::find(found.begin(), found.end(), name) == found.end())
        FindBackend(name);  // throws the error that names the known frameworks
    const std::unique_ptr<Executor> isolated = MakeLocalExecutor();
    for (const std::string& name : frameworks) emit(BackendEvent(isolated->DescribeBackend(name)));
    return kExitOk;
  } catch (const std::exception& e) {
    emit(ErrorEvent(e.what()));
    return kExitUsage;
  }
}

int ServeOnStdio(int (*serve)(std::istream&, const EventWriter&)) {
  std::cout.flush();
  std::fflush(stdout);
  // Events go to a private copy of stdout; stdout itself now leads to stderr.
  const int events_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (events_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    throw std::runtime_error("cannot set up the worker's output");
  FILE* events = fdopen(events_fd, "w");
  if (!events) throw std::runtime_error("cannot set up the worker's output");
  const EventWriter emit = [events](const nlohmann::json& event) {
    // Framework messages need not be UTF-8: replaced, not a reason to fail.
    const std::string line =
        event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), events);
    std::fflush(events);
  };
  // The coordinator gone (its ssh session ended, it was killed): nobody
  // reads the events any more, so the worker ends instead of measuring on.
  // A closed reading end shows as POLLERR (pipe) or POLLHUP (socket).
  const auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread([events_fd, done] {
    while (!*done) {
      pollfd p{events_fd, 0, 0};
      if (poll(&p, 1, 500) > 0 && !*done && (p.revents & (POLLERR | POLLHUP))) _exit(kExitFailed);
    }
  }).detach();
  const int code = serve(std::cin, emit);
  *done = true;
  std::fclose(events);
  return code;
}

}  // namespace dli
