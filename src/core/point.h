// One test point (model, framework, device, precision, batch, params) and its
// result: the one result schema every framework reports (docs/RESULTS.md).
#ifndef DLI_POINT_H
#define DLI_POINT_H

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backend.h"
#include "core/host.h"
#include "core/measure.h"
#include "core/model.h"
#include "core/stats.h"

namespace dli {

inline constexpr const char* kResultSchema = "dli.result/1";

struct InputSpec {
  std::string images_dir;  // empty = synthetic data
  size_t max_images = 320;
  uint32_t seed = 0;  // synthetic data
  // Synthetic batches in the ring (0 = enough for max_images images).
  size_t synthetic_batches = 0;
  // Predict mode: the images, in order.
  std::vector<std::string> files;
  // Predict mode: also return each image's whole output vector.
  bool keep_outputs = false;
};

struct Prediction {
  std::string file;
  std::vector<int> top5;  // output indices, best first
  std::vector<float> top5_scores;
  std::vector<float> output;  // whole output, with input.keep_outputs
};

struct PointSpec {
  // "performance": the timed loop; "predict": one pass over input.files in
  // order, returning each image's top-5 (accuracy and parity checks).
  std::string mode = "performance";
  std::string task = "image_classification";
  std::string framework;
  std::string model_name, model_path, weights_path, model_format;
  int label_offset = 0;  // output index = dataset class + label_offset
  std::string device = "CPU";
  std::string precision = "FP32";
  int batch = 1;
  ParamList params;
  // The user's input shapes (--shape, `shapes:`), batch dimension first; it
  // is replaced by `batch` (PointShapes).
  ShapeList shapes;
  // The model description's inputs (their synthetic data and shapes).
  std::vector<ModelInput> inputs;
  Preprocessing preprocessing;
  InputSpec input;
  MeasureOptions measure;
  bool save_samples = false;
  double timeout_s = 600;
};

// The machine around one repetition's measured window (docs/METHODOLOGY.md,
// "Repetitions, interference and drift"). The worker fills the window, the
// interference record and the reference readings; whoever runs the
// repetitions adds the drift ratio and its flag.
struct MachineRecord {
  // UTC wall clock around the first inference, warm-up and timed requests,
  // in milliseconds since the epoch; 0 when the point never got there (the
  // end stays 0 when the measurement failed inside the window).
  int64_t window_start_utc_ms = 0, window_end_utc_ms = 0;
  // InterferenceToJson of the window (warnings included); null when not taken.
  nlohmann::json interference;
  // The reference workload's median just before and just after the window
  // (0 = not measured), and their mean over the study's first reading.
  double reference_before_ms = 0, reference_after_ms = 0;
  double drift_ratio = 0;  // 0 = unknown

  bool recorded() const { return window_start_utc_ms != 0; }
};

struct PointResult {
  PointSpec spec;
  // Which repetition of the point this is (from 0): each is its own process.
  size_t repetition = 0;
  std::string status = "ok";  // ok | failed | timeout | crashed | interrupted
  std::string error;
  std::string stderr_tail;
  std::string framework_version;
  std::string model_sha256;
  std::string input_source;  // "images:<dir>" or "synthetic"
  size_t n_images = 0, n_batches = 0;
  std::vector<std::string> skipped_images;
  std::string input_shape, output_shape;
  double load_ms = 0;
  double first_inference_ms = 0;
  std::vector<double> warmup_ms;
  std::vector<double> samples_ms;
  std::string stop_reason;
  LatencySummary latency;
  double fps = 0;  // throughput mode: throughput_fps
  // Throughput mode only (spec.measure.mode): images per second of the
  // window, its interval (ThroughputCi95), the timed requests completed in
  // the window and its length. `latency` then summarises per-request latency.
  double throughput_fps = 0;
  Interval throughput_ci95;
  size_t completed = 0;
  double window_ms = 0;
  double wall_s = 0;
  std::vector<Prediction> predictions;  // predict mode
  // The machine that measured the point, as its worker read it (empty when
  // the worker died before reporting).
  HostInfo host;
  // The target that ran it (exec/targets.h); absent from JSON when "local".
  std::string target = "local";
  // The Slurm job whose step ran it; "" elsewhere.
  std::string slurm_job;
  MachineRecord machine;
  // Why this repetition's figures may not describe the framework: the
  // interference warning ids ("steal", "other_processes", ...) and "drift".
  std::vector<std::string> flags;

  bool ok() const { return status == "ok"; }
};

// Fills the point's model fields (path, weights, format, preprocessing,
// task, label offset) from a resolved model.
void ApplyModel(PointSpec& spec, const ResolvedModel& model);

// FPS = batch / median latency (METHODOLOGY.md section 2); 0 without a latency.
double FramesPerSecond(int batch, double median_ms);
// The FPS interval implied by an interval of the median latency: FPS falls as
// latency rises, so the low FPS comes from the high latency. A bound is 0
// where the latency bound is not positive.
Interval FramesPerSecondInterval(int batch, const Interval& latency_ms);

// The point's FPS interval: the throughput interval in throughput mode, else
// FramesPerSecondInterval of the median's interval.
Interval PointFpsInterval(const PointResult& r);

bool IsThroughput(const PointSpec& spec);
// "latency", or "throughput xN" with N requests: the mode in tables.
std::string MeasureModeText(const PointSpec& spec);

std::string ParamsText(const ParamList& params);  // "k=v,k=v" or "default"

// "1x128" -> {1, 128}; UsageError for anything but positive integers
// joined by 'x' (`what` names the text in the message).
std::vector<int64_t> ParseDims(const std::string& text, const std::string& what);
// --shape NAME=AxB... arguments; UsageError naming the malformed one.
ShapeList ParseShapeArgs(const std::vector<std::string>& args);
// "input_ids=1x128,attention_mask=1x128" (empty for none).
std::string ShapesListText(const ShapeList& shapes);
// The shapes the point's backend gets (dli_model_spec.shapes): the model
// description's fixed shapes of non-image inputs, then the user's, which
// replace them; the batch dimension of each becomes spec.batch.
ShapeList PointShapes(const PointSpec& spec);
// A performance point for progress lines: "openvino CPU FP32 batch 4
// threads=2 throughput x4" (parameters and mode only when set).
std::string PointLabel(const PointSpec& s);

// The readers below are lenient where documents differ in age: a missing or
// null field keeps its default. A field of the wrong type throws
// std::runtime_error naming the field.
nlohmann::json SpecToJson(const PointSpec& s);
PointSpec SpecFromJson(const nlohmann::json& j);
// One dli.result/1 point (docs/RESULTS.md). `with_samples` adds samples_ms
// (raw durations); the worker always sends them to the parent, the user's
// files carry them with --save-samples. ResultFromJson(ResultToJson(r, true))
// equals r, field by field; statistics of a failed point are null in the
// JSON, so they read back as 0. A point without "spec" (older files) takes
// its spec from the summary keys (framework, device, model, stop_rule...).
nlohmann::json ResultToJson(const PointResult& r, bool with_samples);
PointResult ResultFromJson(const nlohmann::json& j);
nlohmann::json HostToJson(const HostInfo& h);
HostInfo HostFromJson(const nlohmann::json& j);
// The whole results document: schema, tool, host, results[].
nlohmann::json ResultsDocument(const std::vector<PointResult>& results, const HostInfo& host,
                               bool with_samples);

// Checks the point's device, precision and parameters against what the
// backend declares; throws UsageError naming the valid choices.
void ValidateAgainstBackend(const BackendInfo& info, const PointSpec& spec);

// Throughput mode uses the backend's request calls where it has them (one
// session), else one session per request, each from its own thread
// (InstancePerSlot + ThreadPerSlot). "" when the backend allows one of them,
// else the reason it cannot: a Python-bridged backend (notes starting with
// "python bridge") without request calls accepts calls only from the thread
// that started Python.
std::string ThroughputRefusal(const BackendInfo& info);
// The measurement options' own checks: the mode's name and the request
// count (ValidateRequestCount); one line for the user, "" when fine.
std::string ValidateMeasureMode(const MeasureOptions& options);

}  // namespace dli

#endif  // DLI_POINT_H
