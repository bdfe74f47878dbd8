#include "core/batches.h"

#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

#include "core/backend.h"

namespace dli {

void BatchSet::FreeDeleter::operator()(unsigned char* p) const { std::free(p); }

BatchSet::BatchSet(size_t n_batches, size_t batch_bytes) : batch_bytes_(batch_bytes) {
  const size_t rounded = (batch_bytes + 63) / 64 * 64;
  for (size_t i = 0; i < n_batches; ++i) {
    auto* p = static_cast<unsigned char*>(std::aligned_alloc(64, rounded == 0 ? 64 : rounded));
    if (p == nullptr) throw std::runtime_error("out of memory preparing input batches");
    std::memset(p, 0, rounded == 0 ? 64 : rounded);
    batches_.emplace_back(p);
  }
}

std::vector<const void*> BatchSet::Pointers() const {
  std::vector<const void*> out;
  for (const auto& b : batches_) out.push_back(b.get());
  return out;
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

}  // namespace

BatchSet BuildImageBatches(const std::vector<HwcImage>& images, const dli_tensor_info& input,
                           bool cover_all) {
  if (images.empty()) throw std::runtime_error("no images to build batches from");
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
  BatchSet set(n_batches, per_batch * image_floats * sizeof(float));
  for (size_t b = 0; b < n_batches; ++b) {
    auto* dst = reinterpret_cast<float*>(set.data(b));
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

BatchSet BuildSyntheticBatches(const dli_tensor_info& input, size_t n_batches, uint32_t seed) {
  const size_t elements = ElementCount(input);
  BatchSet set(n_batches, elements * DtypeSize(input.dtype));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> real(-2.0f, 2.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t b = 0; b < n_batches; ++b) {
    unsigned char* dst = set.data(b);
    for (size_t i = 0; i < elements; ++i) {
      if (input.dtype == DLI_DTYPE_F32)
        reinterpret_cast<float*>(dst)[i] = real(rng);
      else
        dst[i] = static_cast<unsigned char>(byte(rng));
    }
  }
  return set;
}

}  // namespace dli
