// Unit tests of the core's smaller pieces: hashing, text parsing, batch
// layout, model resolution, result JSON.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/batches.h"
#include "core/error.h"
#include "core/files.h"
#include "core/model.h"
#include "core/point.h"
#include "core/sha256.h"
#include "core/text.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, FileMatchesBytes) {
  TempDir dir;
  const std::string path = (dir.path() / "f.bin").string();
  std::string bytes(200000, 'x');
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_EQ(Sha256File(path), Sha256Hex(bytes));
  EXPECT_THROW(Sha256File((dir.path() / "missing").string()), std::runtime_error);
}

TEST(Text, DurationsRoundToTheSecond) {
  EXPECT_EQ(FormatDuration(41.6), "42s");
  EXPECT_EQ(FormatDuration(187), "3m7s");
  EXPECT_EQ(FormatDuration(3900), "1h5m");
}

TEST(Point, LabelNamesParametersAndModeOnlyWhenSet) {
  PointSpec s;
  s.framework = "openvino";
  s.batch = 4;
  EXPECT_EQ(PointLabel(s), "openvino CPU FP32 batch 4");
  s.params = {{"threads", "2"}};
  s.measure.mode = kThroughputMode;
  s.measure.requests = 4;
  EXPECT_EQ(PointLabel(s), "openvino CPU FP32 batch 4 threads=2 " + MeasureModeText(s));
}

TEST(Text, WholeStringParses) {
  EXPECT_EQ(ParseInt("42"), 42);
  EXPECT_FALSE(ParseInt("4x"));
  EXPECT_FALSE(ParseInt(""));
  EXPECT_FALSE(ParseInt("99999999999999999999"));
  EXPECT_EQ(ParseDouble("0.5"), 0.5);
  EXPECT_FALSE(ParseDouble("nan"));
  EXPECT_EQ(ParseBool("yes"), true);
  EXPECT_FALSE(ParseBool("maybe"));
  EXPECT_EQ(Split("a, b,,c", ','), (std::vector<std::string>{"a", "b", "c"}));
}

dli_tensor_info ImageInput(dli_layout layout, int batch, int h, int w) {
  dli_tensor_info t{};
  t.dtype = DLI_DTYPE_F32;
  t.layout = layout;
  t.rank = 4;
  const int64_t nchw[] = {batch, 3, h, w}, nhwc[] = {batch, h, w, 3};
  for (int i = 0; i < 4; ++i) t.shape[i] = layout == DLI_LAYOUT_NCHW ? nchw[i] : nhwc[i];
  return t;
}

// A 1x2 image whose pixel p channel c holds 100*id + 10*p + c.
HwcImage Tagged(int id) {
  HwcImage im{1, 2, 3, {}};
  for (int p = 0; p < 2; ++p)
    for (int c = 0; c < 3; ++c) im.pixels.push_back(100.0f * id + 10.0f * p + c);
  return im;
}

TEST(Batches, NchwLayoutPutsChannelsInPlanes) {
  BatchSet set = BuildImageBatches({Tagged(0)}, ImageInput(DLI_LAYOUT_NCHW, 1, 1, 2));
  const auto* f = reinterpret_cast<const float*>(set.data(0));
  EXPECT_EQ(std::vector<float>(f, f + 6), (std::vector<float>{0, 10, 1, 11, 2, 12}));
}

TEST(Batches, NhwcLayoutKeepsPixelOrder) {
  BatchSet set = BuildImageBatches({Tagged(0)}, ImageInput(DLI_LAYOUT_NHWC, 1, 1, 2));
  const auto* f = reinterpret_cast<const float*>(set.data(0));
  EXPECT_EQ(std::vector<float>(f, f + 6), (std::vector<float>{0, 1, 2, 10, 11, 12}));
}

TEST(Batches, ImagesAreCutIntoWholeBatches) {
  BatchSet set = BuildImageBatches({Tagged(0), Tagged(1), Tagged(2), Tagged(3), Tagged(4)},
                                   ImageInput(DLI_LAYOUT_NHWC, 2, 1, 2));
  ASSERT_EQ(set.size(), 2u);
  const auto* second = reinterpret_cast<const float*>(set.data(1));
  EXPECT_FLOAT_EQ(second[0], 200.0f);  // image 2 starts batch 1
  EXPECT_FLOAT_EQ(second[6], 300.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(set.data(1)) % 64, 0u);
}

TEST(Batches, FewerImagesThanABatchAreRepeated) {
  BatchSet set = BuildImageBatches({Tagged(7)}, ImageInput(DLI_LAYOUT_NHWC, 3, 1, 2));
  ASSERT_EQ(set.size(), 1u);
  const auto* f = reinterpret_cast<const float*>(set.data(0));
  EXPECT_FLOAT_EQ(f[12], 700.0f);
}

TEST(Batches, ShapeMismatchIsAnError) {
  EXPECT_THROW(BuildImageBatches({Tagged(0)}, ImageInput(DLI_LAYOUT_NCHW, 1, 4, 4)),
               std::runtime_error);
}

TEST(Batches, SyntheticIsReproducible) {
  const dli_tensor_info in = ImageInput(DLI_LAYOUT_NCHW, 2, 4, 4);
  BatchSet a = BuildSyntheticBatches(in, 3, 1), b = BuildSyntheticBatches(in, 3, 1);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(0, std::memcmp(a.data(2), b.data(2), a.batch_bytes()));
  const auto* f = reinterpret_cast<const float*>(a.data(0));
  for (int i = 0; i < 96; ++i) EXPECT_TRUE(f[i] >= -2.0f && f[i] <= 2.0f);
}

class ModelDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root = dir.path() / "mnv2";
    fs::create_directories(root / "ir");
    std::ofstream(root / "m.onnx") << "onnx";
    std::ofstream(root / "ir" / "m.xml") << "xml";
    std::ofstream(root / "model.json") << R"({
      "schema": "dli.model/1", "name": "mnv2",
      "preprocessing": {"color_order": "BGR", "resize_shorter": 300, "crop": 256,
                        "mean": [1, 2, 3], "std": [4, 5, 6], "scale": 1.0},
      "formats": [
        {"id": "ir-fp32", "format": "openvino_ir", "precision": "FP32", "path": "ir/m.xml",
         "frameworks": ["openvino"]},
        {"id": "onnx-fp32", "format": "onnx", "precision": "FP32", "path": "m.onnx",
         "frameworks": ["onnxruntime", "openvino"]}]})";
  }
  TempDir dir;
  fs::path root;
};

TEST_F(ModelDir, FolderResolvesToFirstMatchingFormat) {
  const ResolvedModel r = ResolveModel(root.string(), "openvino", "fp32");
  EXPECT_EQ(r.path, (root / "ir" / "m.xml").string());
  EXPECT_EQ(r.format, "ir-fp32");
  ASSERT_TRUE(r.meta.has_value());
  EXPECT_EQ(r.meta->preprocessing.color_order, "BGR");
  EXPECT_EQ(r.meta->preprocessing.crop, 256);
  EXPECT_DOUBLE_EQ(r.meta->preprocessing.std[2], 6.0);
  EXPECT_EQ(ResolveModel(root.string(), "onnxruntime", "FP32").format, "onnx-fp32");
}

TEST_F(ModelDir, FileFindsItsMetadata) {
  const ResolvedModel r = ResolveModel((root / "ir" / "m.xml").string(), "openvino", "FP32");
  ASSERT_TRUE(r.meta.has_value());
  EXPECT_EQ(r.meta->name, "mnv2");
}

TEST(Preprocessing, PresetsAndNoDefault) {
  const Preprocessing imagenet = PreprocessingFrom("imagenet");
  EXPECT_EQ(imagenet.color_order, "RGB");
  EXPECT_EQ(imagenet.resize_shorter, 256);
  EXPECT_EQ(imagenet.crop, 224);
  EXPECT_DOUBLE_EQ(imagenet.std[0], 0.229);
  const Preprocessing inception = PreprocessingFrom("inception");
  EXPECT_DOUBLE_EQ(0 * inception.scale - inception.mean[0], -1.0);  // [-1, 1]
  EXPECT_DOUBLE_EQ(255 * inception.scale - inception.mean[0], 1.0);
  const Preprocessing caffe = PreprocessingFrom("caffe");
  EXPECT_EQ(caffe.color_order, "BGR");
  EXPECT_DOUBLE_EQ(caffe.mean[0], 103.939);
  EXPECT_FALSE(PreprocessingFrom("none").declared());
  EXPECT_FALSE(Preprocessing{}.declared());
  EXPECT_THROW(PreprocessingFrom("vgg"), UsageError);
}

TEST(Preprocessing, UndeclaredIsRefusedNamingTheSettingAndPresets) {
  TempDir dir;
  std::ofstream(dir.path() / "model.json") << R"({"name": "plain", "formats": []})";
  const ModelMeta meta = LoadModelMeta((dir.path() / "model.json").string());
  EXPECT_FALSE(meta.preprocessing.declared());
  try {
    RequirePreprocessing(meta, "dli accuracy");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'preprocessing'"), std::string::npos) << message;
    EXPECT_NE(message.find("imagenet, inception, caffe, none"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // A preset name alone is completed from the preset; a partial explicit one is an error.
  std::ofstream(dir.path() / "model.json")
      << R"({"name": "p", "preprocessing": {"preset": "caffe"}})";
  EXPECT_EQ(LoadModelMeta((dir.path() / "model.json").string()).preprocessing.color_order, "BGR");
  std::ofstream(dir.path() / "model.json") << R"({"name": "p", "preprocessing": {"crop": 224}})";
  EXPECT_THROW(LoadModelMeta((dir.path() / "model.json").string()), UsageError);
}

TEST_F(ModelDir, MissingPrecisionNamesWhatExists) {
  try {
    ResolveModel(root.string(), "openvino", "INT8");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("available: FP32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ResolveModel(root.string(), "tflite", "FP32"), UsageError);
  EXPECT_THROW(ResolveModel((root / "nope.onnx").string(), "openvino", "FP32"), UsageError);
}

TEST_F(ModelDir, MalformedMetadataIsAUsageError) {
  std::ofstream(root / "model.json") << "{ not json";
  EXPECT_THROW(ResolveModel(root.string(), "openvino", "FP32"), UsageError);
}

TEST(ResultJson, RoundTripKeepsStatisticsAndSamples) {
  PointResult r;
  r.spec.framework = "x";
  r.spec.batch = 4;
  r.samples_ms = {2, 4, 6};
  r.latency = Summarize(r.samples_ms);
  r.fps = FramesPerSecond(4, r.latency.median);
  const nlohmann::json j = ResultToJson(r, true);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["median"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["fps"].get<double>(), 1000.0);
  const PointResult back = ResultFromJson(j);
  EXPECT_EQ(back.samples_ms, r.samples_ms);
  EXPECT_DOUBLE_EQ(back.latency.median, 4.0);
  EXPECT_FALSE(ResultToJson(r, false).contains("samples_ms"));
}

TEST(ResultJson, SpecRoundTrip) {
  PointSpec s;
  s.framework = "openvino";
  s.params = {{"threads", "2"}, {"hint", "LATENCY"}};
  s.measure.stop.ci_target_rel = 0.02;
  const PointSpec back = SpecFromJson(SpecToJson(s));
  EXPECT_EQ(back.framework, "openvino");
  EXPECT_EQ(back.params.size(), 2u);
  EXPECT_DOUBLE_EQ(back.measure.stop.ci_target_rel, 0.02);
}

}  // namespace
}  // namespace dli
