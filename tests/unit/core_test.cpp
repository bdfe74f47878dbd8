// Unit tests of the core's smaller pieces: hashing, text parsing, batch
// layout, model resolution, result JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

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
  EXPECT_EQ(0, std::memcmp(a.data(2), b.data(2), a.bytes(0)));
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

// Writes `text` as model.json in `dir` and reads it back.
ModelMeta MetaOf(const TempDir& dir, const std::string& text) {
  std::ofstream(dir.path() / "model.json") << text;
  return LoadModelMeta((dir.path() / "model.json").string());
}

std::string MetaError(const TempDir& dir, const std::string& text) {
  try {
    MetaOf(dir, text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(read)";
}

TEST(ModelMetaInputs, ListsOfInputsAndOutputsWithKinds) {
  TempDir dir;
  const ModelMeta meta = MetaOf(dir, R"({"name": "enc", "task": "generic",
    "inputs": [
      {"name": "input_ids", "shape": [-1, 128], "dtype": "int64", "kind": "token_ids",
       "vocab_size": 30522},
      {"name": "attention_mask", "shape": [-1, 128], "dtype": "int64", "kind": "mask"},
      {"name": "scale", "shape": [-1, 1], "dtype": "int32", "range": [-4, 5]},
      {"name": "flag", "shape": [-1], "dtype": "bool"}],
    "outputs": [{"name": "last_hidden_state", "shape": [-1, 128, 256]},
                {"name": "pooler_output", "shape": [-1, 256], "label_offset": 1}]})");
  ASSERT_EQ(meta.inputs.size(), 4u);
  EXPECT_EQ(meta.inputs[0].name, "input_ids");
  EXPECT_EQ(meta.inputs[0].shape, (std::vector<int64_t>{-1, 128}));
  EXPECT_EQ(meta.inputs[0].kind, "token_ids");
  EXPECT_EQ(meta.inputs[0].vocab_size, 30522);
  EXPECT_EQ(meta.inputs[1].kind, "mask");
  EXPECT_EQ(meta.inputs[2].kind, "random");
  EXPECT_TRUE(meta.inputs[2].has_range);
  EXPECT_EQ(meta.inputs[2].range_low, -4);
  EXPECT_EQ(meta.inputs[2].range_high, 5);
  EXPECT_EQ(meta.inputs[3].dtype, "bool");
  ASSERT_EQ(meta.outputs.size(), 2u);
  EXPECT_EQ(meta.outputs[1].shape, (std::vector<int64_t>{-1, 256}));
  EXPECT_EQ(meta.label_offset, 0) << "classification reads output 0";
  EXPECT_TRUE(meta.ImagelessInputs());
  try {
    RequirePreprocessing(meta, "dli accuracy");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "dli accuracy needs images, but model 'enc' has no image input (inputs: input_ids "
              "(token_ids), attention_mask (mask), scale (random), flag (random))");
  }
}

TEST(ModelMetaInputs, OlderSingleObjectsAreOneElementLists) {
  TempDir dir;
  const ModelMeta meta = MetaOf(dir, R"({"name": "mnv2",
    "input": {"name": "input", "shape": [-1, 3, 224, 224], "layout": "NCHW", "dtype": "float32"},
    "output": {"name": "logits", "shape": [-1, 1000], "label_offset": 1}})");
  ASSERT_EQ(meta.inputs.size(), 1u);
  EXPECT_EQ(meta.inputs[0].kind, "image") << "an image classifier's single input";
  EXPECT_EQ(meta.inputs[0].layout, "NCHW");
  ASSERT_EQ(meta.outputs.size(), 1u);
  EXPECT_EQ(meta.label_offset, 1);
  EXPECT_FALSE(meta.ImagelessInputs());
  EXPECT_FALSE(MetaOf(dir, R"({"name": "plain"})").ImagelessInputs());
}

TEST(ModelMetaInputs, BadEntriesNameTheFileAndTheInput) {
  TempDir dir;
  const std::string file = (dir.path() / "model.json").string();
  std::string error = MetaError(dir, R"({"inputs": [{"name": "x", "dtype": "complex64"}]})");
  EXPECT_EQ(error.find("malformed model metadata " + file), 0u) << error;
  EXPECT_NE(error.find("input 'x' has unknown dtype 'complex64' (known: float32, float16, int64, "
                       "int32, int8, uint8, bool)"),
            std::string::npos)
      << error;
  error = MetaError(dir, R"({"inputs": [{"name": "x", "kind": "words"}]})");
  EXPECT_NE(error.find(file), std::string::npos) << error;
  EXPECT_NE(error.find("input 'x' has unknown kind 'words' (known: image, token_ids, mask, "
                       "segment_ids, random)"),
            std::string::npos)
      << error;
  error = MetaError(dir, R"({"inputs": [{"name": "ids", "kind": "token_ids"}]})");
  EXPECT_NE(error.find("token_ids needs a positive vocab_size"), std::string::npos) << error;
  error = MetaError(dir, R"({"inputs": [{"name": "r", "range": [5, 5]}]})");
  EXPECT_NE(error.find("expected [low, high] with low < high"), std::string::npos) << error;
  error = MetaError(dir, R"({"inputs": {"name": "x"}})");
  EXPECT_NE(error.find("'inputs' must be a list"), std::string::npos) << error;
  error = MetaError(dir, R"({"inputs": [{"name": "x", "shape": [-1, 0]}]})");
  EXPECT_NE(error.find("'x' has shape dimension 0"), std::string::npos) << error;
}

dli_tensor_info Tensor(const char* name, dli_dtype dtype, std::vector<int64_t> shape) {
  dli_tensor_info t{};
  std::snprintf(t.name, sizeof(t.name), "%s", name);
  t.dtype = dtype;
  t.layout = DLI_LAYOUT_OTHER;
  t.rank = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) t.shape[i] = shape[i];
  return t;
}

ModelInput Rule(const std::string& kind, int64_t vocab = 0) {
  ModelInput rule;
  rule.kind = kind;
  rule.vocab_size = vocab;
  return rule;
}

TEST(Batches, SyntheticDataFollowsEachInputsKind) {
  const std::vector<dli_tensor_info> inputs = {
      Tensor("ids", DLI_DTYPE_I64, {2, 50}),      Tensor("mask", DLI_DTYPE_I64, {2, 50}),
      Tensor("segments", DLI_DTYPE_I32, {2, 50}), Tensor("x", DLI_DTYPE_F16, {2, 50}),
      Tensor("flags", DLI_DTYPE_BOOL, {2, 50}),   Tensor("small", DLI_DTYPE_I8, {2, 50})};
  ModelInput ranged = Rule("random");
  ranged.has_range = true;
  ranged.range_low = -3;
  ranged.range_high = 3;
  const std::vector<ModelInput> rules = {Rule("token_ids", 7), Rule("mask"),   Rule("segment_ids"),
                                         Rule("random"),       Rule("random"), ranged};
  BatchSet set = BuildSyntheticBatches(inputs, rules, 3, 11);
  ASSERT_EQ(set.size(), 3u);
  ASSERT_EQ(set.inputs(), 6u);
  EXPECT_EQ(set.bytes(0), 800u);
  EXPECT_EQ(set.bytes(3), 200u);
  EXPECT_EQ(set.Pointers().size(), 18u);
  EXPECT_EQ(set.Pointers()[1 * 6 + 2], set.data(1, 2));
  std::set<int64_t> ids, flags, small;
  for (size_t b = 0; b < 3; ++b)
    for (size_t i = 0; i < 100; ++i) {
      ids.insert(reinterpret_cast<const int64_t*>(set.data(b, 0))[i]);
      EXPECT_EQ(reinterpret_cast<const int64_t*>(set.data(b, 1))[i], 1);
      EXPECT_EQ(reinterpret_cast<const int32_t*>(set.data(b, 2))[i], 0);
      const uint16_t half = reinterpret_cast<const uint16_t*>(set.data(b, 3))[i];
      EXPECT_LE(half & 0x7fffu, FloatToHalf(2.0f)) << "|value| <= 2";
      flags.insert(set.data(b, 4)[i]);
      small.insert(reinterpret_cast<const int8_t*>(set.data(b, 5))[i]);
    }
  EXPECT_EQ(ids, (std::set<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(flags, (std::set<int64_t>{0, 1}));
  EXPECT_EQ(small, (std::set<int64_t>{-3, -2, -1, 0, 1, 2}));
  // Same seed, same bytes; input 0 of a one-input model as before.
  BatchSet again = BuildSyntheticBatches(inputs, rules, 3, 11);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(0, std::memcmp(set.data(2, i), again.data(2, i), set.bytes(i))) << i;
  BatchSet other = BuildSyntheticBatches(inputs, rules, 3, 12);
  EXPECT_NE(0, std::memcmp(set.data(0, 0), other.data(0, 0), set.bytes(0)));
}

TEST(Batches, RulesMatchByNameThenByPosition) {
  const std::vector<dli_tensor_info> inputs = {
      Tensor("serving_default_ids:0", DLI_DTYPE_I64, {1, 4}),
      Tensor("mask", DLI_DTYPE_I64, {1, 4})};
  ModelInput ids = Rule("token_ids", 9);
  ids.name = "ids";
  ModelInput mask = Rule("mask");
  mask.name = "mask";
  std::vector<ModelInput> rules = InputRules({mask, ids}, inputs);
  EXPECT_EQ(rules[1].kind, "mask");
  EXPECT_EQ(rules[0].kind, "mask") << "no name matches: the entry at the same position";
  rules = InputRules({ids}, inputs);
  EXPECT_EQ(rules[0].kind, "random");
  EXPECT_EQ(rules[1].kind, "random");
  EXPECT_EQ(rules[0].name, "serving_default_ids:0");
}

TEST(Batches, ImageInputAmongOthers) {
  dli_tensor_info image = ImageInput(DLI_LAYOUT_NHWC, 1, 1, 2);
  std::snprintf(image.name, sizeof(image.name), "pixels");
  const std::vector<dli_tensor_info> inputs = {Tensor("scale", DLI_DTYPE_I64, {1, 2}), image};
  BatchSet set = BuildImageBatches({Tagged(3)}, inputs, 1, {Rule("mask"), Rule("image")}, 0, true);
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(reinterpret_cast<const int64_t*>(set.data(0, 0))[1], 1);
  EXPECT_FLOAT_EQ(reinterpret_cast<const float*>(set.data(0, 1))[3], 310.0f);
}

TEST(Batches, FloatToHalfRoundsToNearest) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.5f), 0xc100);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);
  EXPECT_EQ(FloatToHalf(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00) << "a tie rounds to even";
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
}

TEST(Shapes, ParsedRecordedAndResolvedForThePoint) {
  EXPECT_EQ(ParseDims("1x128", "--shape ids:"), (std::vector<int64_t>{1, 128}));
  for (const char* bad : {"", "1x", "x2", "1x-2", "1x0", "ax2", "1x2.5", "1,2", "+1x2"})
    EXPECT_THROW(ParseDims(bad, "s"), UsageError) << bad;
  const ShapeList shapes = ParseShapeArgs({"input_ids=1x64", "attention_mask=4x64"});
  EXPECT_EQ(ShapesListText(shapes), "input_ids=1x64,attention_mask=4x64");
  for (const char* bad : {"input_ids", "=1x2", "ids=1xx2"}) {
    try {
      ParseShapeArgs({bad});
      FAIL() << bad;
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
  EXPECT_THROW(ParseShapeArgs({"a=1x2", "a=1x3"}), UsageError);

  PointSpec spec;
  spec.batch = 8;
  ModelInput ids = Rule("token_ids", 10);
  ids.name = "input_ids";
  ids.shape = {-1, 128};
  ModelInput open = Rule("random");
  open.name = "open";
  open.shape = {-1, -1};
  ModelInput image = Rule("image");
  image.name = "image";
  image.shape = {-1, 3, 8, 8};
  spec.inputs = {ids, open, image};
  EXPECT_EQ(PointShapes(spec), (ShapeList{{"input_ids", {8, 128}}}))
      << "the description's fixed shapes of non-image inputs only";
  spec.shapes = {{"open", {1, 5}}, {"input_ids", {1, 64}}};
  EXPECT_EQ(PointShapes(spec), (ShapeList{{"input_ids", {8, 64}}, {"open", {8, 5}}}));
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
