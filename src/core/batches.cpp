#include "core/batches.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

#include "core/backend.h"

namespace dli {

void BatchSet::FreeDeleter::operator()(unsigned char* p) const { std::free(p); }

BatchSet::BatchSet(size_t n_batches, const std::vector<size_t>& input_bytes)
    : n_batches_(n_batches), input_bytes_(input_bytes) {
  for (size_t b = 0; b < n_batches; ++b)
    for (size_t bytes : input_bytes) {
      const size_t rounded = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
      auto* p = static_cast<unsigned char*>(std::aligned_alloc(64, rounded));
      if (p == nullptr) throw std::runtime_error("out of memory preparing input batches");
      std::memset(p, 0, rounded);
      buffers_.emplace_back(p);
    }
}

std::vector<const void*> BatchSet::Pointers() const {
  std::vector<const void*> out;
  for (const auto& b : buffers_) out.push_back(b.get());
  return out;
}

uint16_t FloatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u)  // inf or NaN
    return static_cast<uint16_t>(sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u : 0));
  if (magnitude >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow
  if (magnitude < 0x38800000u) {  // subnormal half (or zero)
    float abs_value;
    std::memcpy(&abs_value, &magnitude, sizeof(abs_value));
    return static_cast<uint16_t>(sign |
                                 static_cast<uint32_t>(std::nearbyint(abs_value * 16777216.0f)));
  }
  // Normal: rebias the exponent, round the 13 dropped bits to nearest even.
  const uint32_t rebased = magnitude - 0x38000000u;
  const uint32_t rounded = rebased + 0xfffu + ((rebased >> 13) & 1u);
  return static_cast<uint16_t>(sign | (rounded >> 13));
}

namespace {

struct ImageGeometry {
  int64_t batch, height, width, channels;
};

ImageGeometry GeometryOf(const dli_tensor_info& input) {
  if (input.rank != 4)
    throw std::runtime_error("image input must have rank 4, the model's input " +
                             std::string(input.name) + " has shape " + ShapeText(input));
  if (input.layout == DLI_LAYOUT_NCHW)
    return {input.shape[0], input.shape[2], input.shape[3], input.shape[1]};
  if (input.layout == DLI_LAYOUT_NHWC)
    return {input.shape[0], input.shape[1], input.shape[2], input.shape[3]};
  throw std::runtime_error("cannot lay out images for input " + std::string(input.name) +
                           " of shape " + ShapeText(input) + ": neither NCHW nor NHWC");
}

std::vector<size_t> InputBytes(const std::vector<dli_tensor_info>& inputs) {
  std::vector<size_t> bytes;
  for (const dli_tensor_info& in : inputs) bytes.push_back(ElementCount(in) * DtypeSize(in.dtype));
  return bytes;
}

// Stores `value` as element i of a buffer of `dtype`.
void Store(unsigned char* dst, dli_dtype dtype, size_t i, double value) {
  switch (dtype) {
    case DLI_DTYPE_F32:
      reinterpret_cast<float*>(dst)[i] = static_cast<float>(value);
      return;
    case DLI_DTYPE_F16:
      reinterpret_cast<uint16_t*>(dst)[i] = FloatToHalf(static_cast<float>(value));
      return;
    case DLI_DTYPE_I32:
      reinterpret_cast<int32_t*>(dst)[i] = static_cast<int32_t>(value);
      return;
    case DLI_DTYPE_I64:
      reinterpret_cast<int64_t*>(dst)[i] = static_cast<int64_t>(value);
      return;
    case DLI_DTYPE_U8:
    case DLI_DTYPE_BOOL:
      dst[i] = static_cast<unsigned char>(value);
      return;
    case DLI_DTYPE_I8:
      reinterpret_cast<int8_t*>(dst)[i] = static_cast<int8_t>(value);
      return;
  }
}

bool IsFloat(dli_dtype dtype) { return dtype == DLI_DTYPE_F32 || dtype == DLI_DTYPE_F16; }

// Fills input `input` of every batch of `set` by `rule`.
void FillSynthetic(BatchSet& set, size_t input, const dli_tensor_info& info, const ModelInput& rule,
                   uint32_t seed) {
  // Input 0 keeps the generator of single-input models: mt19937(seed).
  std::mt19937 rng(seed);
  if (input > 0) {
    std::seed_seq sequence{seed, static_cast<uint32_t>(input)};
    rng.seed(sequence);
  }
  const size_t elements = ElementCount(info);
  const std::string& kind = rule.kind;
  std::uniform_real_distribution<float> real(-2.0f, 2.0f);
  int64_t low = rule.range_low, high = rule.range_high;  // integers in [low, high)
  if (kind == "token_ids") {
    low = 0;
    high = rule.vocab_size;
  } else if (info.dtype == DLI_DTYPE_BOOL) {
    low = 0;
    high = 2;
  } else if (kind == "image" && info.dtype == DLI_DTYPE_U8) {
    low = 0;
    high = 256;
  } else if (kind == "image" && info.dtype == DLI_DTYPE_I8) {
    low = -128;
    high = 128;
  }
  std::uniform_int_distribution<int64_t> integer(low, high - 1);
  const bool as_float = IsFloat(info.dtype) && kind != "token_ids";
  for (size_t b = 0; b < set.size(); ++b) {
    unsigned char* dst = set.data(b, input);
    for (size_t i = 0; i < elements; ++i) {
      double value;
      if (kind == "mask")
        value = 1;
      else if (kind == "segment_ids")
        value = 0;
      else if (as_float)
        value = real(rng);
      else
        value = static_cast<double>(integer(rng));
      Store(dst, info.dtype, i, value);
    }
  }
}

}  // namespace

std::vector<ModelInput> InputRules(const std::vector<ModelInput>& declared,
                                   const std::vector<dli_tensor_info>& inputs) {
  std::vector<ModelInput> rules;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ModelInput* rule = nullptr;
    for (const ModelInput& d : declared)
      if (d.name == inputs[i].name) rule = &d;
    // A converted format may rename inputs (TFLite's serving_default_...:0).
    if (rule == nullptr && declared.size() == inputs.size()) rule = &declared[i];
    rules.push_back(rule ? *rule : ModelInput{});
    rules.back().name = inputs[i].name;
  }
  return rules;
}

BatchSet BuildSyntheticBatches(const std::vector<dli_tensor_info>& inputs,
                               const std::vector<ModelInput>& rules, size_t n_batches,
                               uint32_t seed) {
  BatchSet set(n_batches, InputBytes(inputs));
  for (size_t i = 0; i < inputs.size(); ++i) FillSynthetic(set, i, inputs[i], rules.at(i), seed);
  return set;
}

BatchSet BuildSyntheticBatches(const dli_tensor_info& input, size_t n_batches, uint32_t seed) {
  return BuildSyntheticBatches({input}, {ModelInput{}}, n_batches, seed);
}

BatchSet BuildImageBatches(const std::vector<HwcImage>& images,
                           const std::vector<dli_tensor_info>& inputs, size_t image_input,
                           const std::vector<ModelInput>& rules, uint32_t seed, bool cover_all) {
  if (images.empty()) throw std::runtime_error("no images to build batches from");
  const dli_tensor_info& input = inputs.at(image_input);
  if (input.dtype != DLI_DTYPE_F32)
    throw std::runtime_error("image batches for a " + DtypeName(input.dtype) +
                             " input are not supported yet (float32 only)");
  const ImageGeometry g = GeometryOf(input);
  for (const HwcImage& im : images)
    if (im.height != g.height || im.width != g.width || im.channels != g.channels)
      throw std::runtime_error("preprocessed images are " + std::to_string(im.height) + "x" +
                               std::to_string(im.width) + "x" + std::to_string(im.channels) +
                               " but the model expects " + ShapeText(input));
  const size_t per_batch = static_cast<size_t>(g.batch);
  const size_t whole = images.size() / per_batch;
  const size_t n_batches =
      cover_all ? (images.size() + per_batch - 1) / per_batch : (whole > 0 ? whole : 1);
  const size_t plane = static_cast<size_t>(g.height * g.width);
  const size_t image_floats = plane * static_cast<size_t>(g.channels);
  BatchSet set(n_batches, InputBytes(inputs));
  for (size_t i = 0; i < inputs.size(); ++i)
    if (i != image_input) FillSynthetic(set, i, inputs[i], rules.at(i), seed);
  for (size_t b = 0; b < n_batches; ++b) {
    auto* dst = reinterpret_cast<float*>(set.data(b, image_input));
    for (size_t slot = 0; slot < per_batch; ++slot) {
      const HwcImage& im = images[(b * per_batch + slot) % images.size()];
      float* out = dst + slot * image_floats;
      if (input.layout == DLI_LAYOUT_NHWC) {
        std::memcpy(out, im.pixels.data(), image_floats * sizeof(float));
        continue;
      }
      for (size_t p = 0; p < plane; ++p)
        for (int c = 0; c < g.channels; ++c)
          out[static_cast<size_t>(c) * plane + p] = im.pixels[p * g.channels + c];
    }
  }
  return set;
}

BatchSet BuildImageBatches(const std::vector<HwcImage>& images, const dli_tensor_info& input,
                           bool cover_all) {
  return BuildImageBatches(images, {input}, 0, {ModelInput{}}, 0, cover_all);
}

}  // namespace dli
