// The ring buffer's content: every input batch of a test point, laid out in
// the backend's dtype and layout before timing starts.
#ifndef DLI_BATCHES_H
#define DLI_BATCHES_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dli/backend_abi.h"

namespace dli {

// One decoded, preprocessed image: height x width x channels floats (HWC).
struct HwcImage {
  int height = 0, width = 0, channels = 0;
  std::vector<float> pixels;
};

class BatchSet {
 public:
  BatchSet(size_t n_batches, size_t batch_bytes);
  size_t size() const { return batches_.size(); }
  size_t batch_bytes() const { return batch_bytes_; }
  unsigned char* data(size_t i) { return batches_[i].get(); }
  std::vector<const void*> Pointers() const;

 private:
  struct FreeDeleter {
    void operator()(unsigned char* p) const;
  };
  size_t batch_bytes_;
  // 64-byte aligned so frameworks can wrap them without copying.
  std::vector<std::unique_ptr<unsigned char, FreeDeleter>> batches_;
};

// Cuts `images` into batches of input.shape[0] images in input's layout.
// Timing (cover_all = false): n_batches = max(1, images / batch), whole
// batches only. Predictions (cover_all = true): ceil(images / batch) batches
// so every image is in one; the last batch is padded. Padding repeats images
// from the start. Throws std::runtime_error on a shape mismatch or an
// unsupported input dtype.
BatchSet BuildImageBatches(const std::vector<HwcImage>& images, const dli_tensor_info& input,
                           bool cover_all = false);

// Random values in [-2, 2] (the range of normalised pixels), reproducible
// from `seed`.
BatchSet BuildSyntheticBatches(const dli_tensor_info& input, size_t n_batches, uint32_t seed);

}  // namespace dli

#endif  // DLI_BATCHES_H
