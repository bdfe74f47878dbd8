// A point result with every field set to a value that differs from its
// default, and a field-by-field comparison: what "lossless" means for the
// result model's JSON round trip.
#ifndef DLI_TESTS_RESULT_TESTING_H
#define DLI_TESTS_RESULT_TESTING_H

#include <gtest/gtest.h>

#include "core/point.h"

namespace dli::testing {

inline PointResult FullResult() {
  PointResult r;
  PointSpec& s = r.spec;
  s.mode = "predict";
  s.task = "image_classification";
  s.framework = "openvino";
  s.model_name = "mobilenet_v2";
  s.model_path = "/models/mobilenet_v2/openvino/fp32/mobilenet_v2.xml";
  s.weights_path = "/models/mobilenet_v2/openvino/fp32/mobilenet_v2.bin";
  s.model_format = "openvino-ir-fp32";
  s.label_offset = 1;
  s.device = "GPU";
  s.precision = "FP16";
  s.batch = 8;
  s.params = {{"nstreams", "1"}, {"nthreads", "2"}};                 // a JSON object: in name order
  s.shapes = {{"attention_mask", {8, 64}}, {"input_ids", {8, 64}}};  // in name order too
  ModelInput ids;
  ids.name = "input_ids";
  ids.shape = {-1, 64};
  ids.dtype = "int64";
  ids.kind = "token_ids";
  ids.vocab_size = 30522;
  ModelInput mask;
  mask.name = "attention_mask";
  mask.shape = {-1, -1};
  mask.dtype = "int32";
  mask.kind = "random";
  mask.has_range = true;
  mask.range_low = -3;
  mask.range_high = 9;
  s.inputs = {ids, mask};
  s.preprocessing.color_order = "BGR";
  s.preprocessing.resize_shorter = 342;
  s.preprocessing.crop = 299;
  s.preprocessing.scale = 1.0 / 127.5;
  s.preprocessing.mean = {0.5, 0.25, 0.125};
  s.preprocessing.std = {0.1, 0.2, 0.3};
  s.input.images_dir = "/data/val";
  s.input.max_images = 64;
  s.input.seed = 7;
  s.input.synthetic_batches = 3;
  s.input.files = {"/data/val/a.jpg", "/data/val/b.png"};
  s.input.keep_outputs = true;
  s.measure.warmup = 9;
  s.measure.stop.iterations = 0;
  s.measure.stop.time_limit_s = 12.5;
  s.measure.stop.ci_target_rel = 0.02;
  s.measure.stop.min_iterations = 40;
  s.measure.stop.min_time_s = 1.5;
  s.measure.mode = "throughput";
  s.measure.requests = 4;
  s.save_samples = true;
  s.timeout_s = 321;
  r.status = "ok";
  r.stderr_tail = "a log line\n";
  r.framework_version = "2024.6.0";
  r.model_sha256 = std::string(64, 'c');
  r.input_source = "images:/data/val";
  r.n_images = 2;
  r.n_batches = 1;
  r.skipped_images = {"/data/val/c.gif: not an image"};
  r.input_shape = "[8,3,299,299] f32 NCHW";
  r.output_shape = "[8,1001] f32";
  r.load_ms = 812.25;
  r.first_inference_ms = 41.125;
  r.warmup_ms = {40.5, 39.75};
  r.samples_ms = {10.1, 10.3, 9.9, 30.7};
  r.stop_reason = "ci_target";
  r.latency.samples_total = 4;
  r.latency.samples_kept = 3;
  r.latency.samples_dropped = 1;
  r.latency.median = 10.1;
  r.latency.mean = 10.1000000001;
  r.latency.std = 0.2;
  r.latency.min = 9.9;
  r.latency.max = 10.3;
  r.latency.p90 = 10.26;
  r.latency.p95 = 10.28;
  r.latency.p99 = 10.296;
  r.latency.ci95 = {9.9, 10.3};
  r.fps = 8 * 1000 / 10.1;
  r.throughput_fps = 2.75;
  r.throughput_ci95 = {2.5, 3.125};
  r.completed = 4;
  r.window_ms = 11636.25;
  r.wall_s = 3.75;
  r.predictions = {{"/data/val/a.jpg", {5, 4, 3, 2, 1}, {9.5f, 8.25f, 7, 6, 5.125f}, {0.1f, 0.2f}},
                   {"/data/val/b.png", {1, 2, 3, 4, 5}, {1, 0.5f, 0.25f, 0.125f, 0}, {}}};
  r.host = {"node7", "AMD EPYC 7B13", 16, 64000, "Debian GNU/Linux 12", "Linux 6.1.0 x86_64"};
  r.repetition = 3;
  r.machine.window_start_utc_ms = 1735689600123;
  r.machine.window_end_utc_ms = 1735689603875;
  r.machine.interference = {{"seconds", 3.75},
                            {"steal_fraction", 0.03},
                            {"warnings", {{{"id", "steal"}, {"text", "steal 3.0%"}}}}};
  r.machine.reference_before_ms = 3.125;
  r.machine.reference_after_ms = 3.5;
  r.machine.drift_ratio = 1.15625;
  r.flags = {"steal", "drift"};
  return r;
}

inline void ExpectSameSpec(const PointSpec& a, const PointSpec& b) {
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.task, b.task);
  EXPECT_EQ(a.framework, b.framework);
  EXPECT_EQ(a.model_name, b.model_name);
  EXPECT_EQ(a.model_path, b.model_path);
  EXPECT_EQ(a.weights_path, b.weights_path);
  EXPECT_EQ(a.model_format, b.model_format);
  EXPECT_EQ(a.label_offset, b.label_offset);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.precision, b.precision);
  EXPECT_EQ(a.batch, b.batch);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.shapes, b.shapes);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.preprocessing.color_order, b.preprocessing.color_order);
  EXPECT_EQ(a.preprocessing.resize_shorter, b.preprocessing.resize_shorter);
  EXPECT_EQ(a.preprocessing.crop, b.preprocessing.crop);
  EXPECT_EQ(a.preprocessing.scale, b.preprocessing.scale);
  EXPECT_EQ(a.preprocessing.mean, b.preprocessing.mean);
  EXPECT_EQ(a.preprocessing.std, b.preprocessing.std);
  EXPECT_EQ(a.input.images_dir, b.input.images_dir);
  EXPECT_EQ(a.input.max_images, b.input.max_images);
  EXPECT_EQ(a.input.seed, b.input.seed);
  EXPECT_EQ(a.input.synthetic_batches, b.input.synthetic_batches);
  EXPECT_EQ(a.input.files, b.input.files);
  EXPECT_EQ(a.input.keep_outputs, b.input.keep_outputs);
  EXPECT_EQ(a.measure.warmup, b.measure.warmup);
  EXPECT_EQ(a.measure.stop.iterations, b.measure.stop.iterations);
  EXPECT_EQ(a.measure.stop.time_limit_s, b.measure.stop.time_limit_s);
  EXPECT_EQ(a.measure.stop.ci_target_rel, b.measure.stop.ci_target_rel);
  EXPECT_EQ(a.measure.stop.min_iterations, b.measure.stop.min_iterations);
  EXPECT_EQ(a.measure.stop.min_time_s, b.measure.stop.min_time_s);
  EXPECT_EQ(a.measure.mode, b.measure.mode);
  EXPECT_EQ(a.measure.requests, b.measure.requests);
  EXPECT_EQ(a.save_samples, b.save_samples);
  EXPECT_EQ(a.timeout_s, b.timeout_s);
}

inline void ExpectSameResult(const PointResult& a, const PointResult& b) {
  ExpectSameSpec(a.spec, b.spec);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.stderr_tail, b.stderr_tail);
  EXPECT_EQ(a.framework_version, b.framework_version);
  EXPECT_EQ(a.model_sha256, b.model_sha256);
  EXPECT_EQ(a.input_source, b.input_source);
  EXPECT_EQ(a.n_images, b.n_images);
  EXPECT_EQ(a.n_batches, b.n_batches);
  EXPECT_EQ(a.skipped_images, b.skipped_images);
  EXPECT_EQ(a.input_shape, b.input_shape);
  EXPECT_EQ(a.output_shape, b.output_shape);
  EXPECT_EQ(a.load_ms, b.load_ms);
  EXPECT_EQ(a.first_inference_ms, b.first_inference_ms);
  EXPECT_EQ(a.warmup_ms, b.warmup_ms);
  EXPECT_EQ(a.samples_ms, b.samples_ms);
  EXPECT_EQ(a.stop_reason, b.stop_reason);
  const LatencySummary &l = a.latency, &m = b.latency;
  EXPECT_EQ(l.samples_total, m.samples_total);
  EXPECT_EQ(l.samples_kept, m.samples_kept);
  EXPECT_EQ(l.samples_dropped, m.samples_dropped);
  EXPECT_EQ(l.median, m.median);
  EXPECT_EQ(l.mean, m.mean);
  EXPECT_EQ(l.std, m.std);
  EXPECT_EQ(l.min, m.min);
  EXPECT_EQ(l.max, m.max);
  EXPECT_EQ(l.p90, m.p90);
  EXPECT_EQ(l.p95, m.p95);
  EXPECT_EQ(l.p99, m.p99);
  EXPECT_EQ(l.ci95.low, m.ci95.low);
  EXPECT_EQ(l.ci95.high, m.ci95.high);
  EXPECT_EQ(a.fps, b.fps);
  EXPECT_EQ(a.throughput_fps, b.throughput_fps);
  EXPECT_EQ(a.throughput_ci95.low, b.throughput_ci95.low);
  EXPECT_EQ(a.throughput_ci95.high, b.throughput_ci95.high);
  EXPECT_EQ(a.completed, b.completed);
  EXPECT_EQ(a.window_ms, b.window_ms);
  EXPECT_EQ(a.wall_s, b.wall_s);
  ASSERT_EQ(a.predictions.size(), b.predictions.size());
  for (size_t i = 0; i < a.predictions.size(); ++i) {
    EXPECT_EQ(a.predictions[i].file, b.predictions[i].file);
    EXPECT_EQ(a.predictions[i].top5, b.predictions[i].top5);
    EXPECT_EQ(a.predictions[i].top5_scores, b.predictions[i].top5_scores);
    EXPECT_EQ(a.predictions[i].output, b.predictions[i].output);
  }
  EXPECT_EQ(a.host.hostname, b.host.hostname);
  EXPECT_EQ(a.host.cpu_model, b.host.cpu_model);
  EXPECT_EQ(a.host.logical_cores, b.host.logical_cores);
  EXPECT_EQ(a.host.memory_mb, b.host.memory_mb);
  EXPECT_EQ(a.host.os, b.host.os);
  EXPECT_EQ(a.host.kernel, b.host.kernel);
  EXPECT_EQ(a.repetition, b.repetition);
  EXPECT_EQ(a.machine.window_start_utc_ms, b.machine.window_start_utc_ms);
  EXPECT_EQ(a.machine.window_end_utc_ms, b.machine.window_end_utc_ms);
  EXPECT_EQ(a.machine.interference, b.machine.interference);
  EXPECT_EQ(a.machine.reference_before_ms, b.machine.reference_before_ms);
  EXPECT_EQ(a.machine.reference_after_ms, b.machine.reference_after_ms);
  EXPECT_EQ(a.machine.drift_ratio, b.machine.drift_ratio);
  EXPECT_EQ(a.flags, b.flags);
}

}  // namespace dli::testing

#endif  // DLI_TESTS_RESULT_TESTING_H
