// The body of one test point, run inside the isolated child process.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/batches.h"
#include "accuracy/dataset.h"
#include "accuracy/images.h"
#include "core/point.h"
#include "core/sha256.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

BatchSet PrepareInputs(const PointSpec& spec, const dli_tensor_info& input, PointResult& r) {
  if (spec.input.images_dir.empty()) {
    r.input_source = "synthetic";
    const size_t per_ring = spec.input.max_images / static_cast<size_t>(spec.batch);
    const size_t n = spec.input.synthetic_batches > 0 ? spec.input.synthetic_batches
                                                      : (per_ring > 0 ? per_ring : 1);
    return BuildSyntheticBatches(input, n, spec.input.seed);
  }
  r.input_source = "images:" + spec.input.images_dir;
  ImageSet set = LoadImageFolder(spec.input.images_dir, spec.preprocessing, spec.input.max_images);
  r.n_images = set.images.size();
  r.skipped_images = set.skipped;
  return BuildImageBatches(set.images, input);
}

// Progress on stderr for a person watching a long point; the parent keeps
// only the tail of this stream.
void ReportProgress(size_t n, const StopRule& stop) {
  if (n % 100 != 0) return;
  if (stop.iterations > 0)
    std::fprintf(stderr, "dli: %zu/%zu requests\n", n, stop.iterations);
  else
    std::fprintf(stderr, "dli: %zu requests\n", n);
}

// Predict mode: one pass over spec.input.files in order; each image's top-5
// (and optionally its whole output) in r.predictions.
void Predict(const PointSpec& spec, Session& session, const dli_tensor_info& input,
             PointResult& r) {
  r.input_source = "files";
  DecodedImages decoded = PreprocessFiles(spec.input.files, spec.preprocessing);
  r.skipped_images = decoded.errors;
  r.n_images = decoded.images.size();
  if (decoded.images.empty()) throw std::runtime_error("no decodable image among the inputs");
  BatchSet batches = BuildImageBatches(decoded.images, input, /*cover_all=*/true);
  r.n_batches = batches.size();
  session.SetInputs(batches.Pointers(), batches.batch_bytes());
  const size_t per_batch = static_cast<size_t>(spec.batch);
  for (size_t b = 0; b < batches.size(); ++b) {
    session.Bind(b);
    session.Infer();
    const std::vector<float> out = session.ReadOutput();
    const size_t per_item = out.size() / per_batch;
    for (size_t slot = 0; slot < per_batch; ++slot) {
      const size_t image = b * per_batch + slot;
      if (image >= decoded.images.size()) break;  // padding
      const float* item = out.data() + slot * per_item;
      Prediction p;
      p.file = spec.input.files[decoded.source_index[image]];
      p.top5 = TopK(item, per_item, 5);
      for (int k : p.top5) p.top5_scores.push_back(item[k]);
      if (spec.input.keep_outputs) p.output.assign(item, item + per_item);
      r.predictions.push_back(std::move(p));
    }
  }
}

}  // namespace

PointResult RunPointInProcess(const PointSpec& spec) {
  const auto start = std::chrono::steady_clock::now();
  PointResult r;
  r.spec = spec;
  try {
    if (!fs::exists(spec.model_path))
      throw std::runtime_error("model file not found: " + spec.model_path);
    r.model_sha256 = Sha256Path(spec.model_path);
    std::unique_ptr<BackendLibrary> backend = BackendLibrary::Load(spec.backend_path);
    backend->Probe();
    r.framework_version = backend->Describe().version;

    BackendLibrary::OpenArgs args{spec.model_path, spec.weights_path, spec.device,
                          spec.precision,  spec.batch,        spec.params};
    const auto load_start = std::chrono::steady_clock::now();
    std::unique_ptr<Session> session = backend->Open(args);
    r.load_ms = MsSince(load_start);

    const dli_tensor_info input = session->InputInfo();
    r.input_shape = ShapeText(input);
    if (input.rank < 1 || input.shape[0] != spec.batch)
      throw std::runtime_error("backend reports input shape " + r.input_shape + " for batch " +
                               std::to_string(spec.batch));
    if (spec.mode == "predict") {
      r.output_shape = ShapeText(session->OutputInfo());
      Predict(spec, *session, input, r);
      r.wall_s = MsSince(start) / 1000;
      return r;
    }
    BatchSet batches = PrepareInputs(spec, input, r);
    r.n_batches = batches.size();
    session->SetInputs(batches.Pointers(), batches.batch_bytes());
    r.output_shape = ShapeText(session->OutputInfo());

    const Measurement m = RunMeasurement(*session, batches.size(), spec.measure, SteadyClockMs,
                                         [&](size_t n) { ReportProgress(n, spec.measure.stop); });
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

}  // namespace dli
