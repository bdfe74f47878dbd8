// The ring buffer's content: every batch of every input of a test point,
// laid out in the backend's dtypes and layouts before timing starts.
#ifndef DLI_BATCHES_H
#define DLI_BATCHES_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/model.h"
#include "dli/backend_abi.h"

namespace dli {

// One decoded, preprocessed image: height x width x channels floats (HWC).
struct HwcImage {
  int height = 0, width = 0, channels = 0;
  std::vector<float> pixels;
};

// n_batches batches, each holding one buffer per input.
class BatchSet {
 public:
  BatchSet(size_t n_batches, const std::vector<size_t>& input_bytes);
  size_t size() const { return n_batches_; }
  size_t inputs() const { return input_bytes_.size(); }
  size_t bytes(size_t input) const { return input_bytes_[input]; }
  unsigned char* data(size_t batch, size_t input = 0) {
    return buffers_[batch * inputs() + input].get();
  }
  const unsigned char* data(size_t batch, size_t input = 0) const {
    return buffers_[batch * inputs() + input].get();
  }
  // pointers[b * inputs() + i] is input i of batch b, as set_inputs takes them.
  std::vector<const void*> Pointers() const;

 private:
  struct FreeDeleter {
    void operator()(unsigned char* p) const;
  };
  size_t n_batches_;
  std::vector<size_t> input_bytes_;
  // 64-byte aligned so frameworks can wrap them without copying.
  std::vector<std::unique_ptr<unsigned char, FreeDeleter>> buffers_;
};

// The synthetic data of each input (docs/METHODOLOGY.md, "Inputs"): the
// model description's entry of the same name, else of the same position
// when it lists as many inputs, else `random`.
std::vector<ModelInput> InputRules(const std::vector<ModelInput>& declared,
                                   const std::vector<dli_tensor_info>& inputs);

// Synthetic batches for every input, by its rule's kind: image (values of
// normalised pixels, [-2, 2]; 0..255 for u8, -128..127 for i8), token_ids
// (uniform in [0, vocab_size)), mask (ones), segment_ids (zeros), random
// (floats uniform in [-2, 2]; integers uniform in the rule's range, default
// [0, 100); bool 0 or 1). The same seed gives the same values whatever the
// dtype, input i drawing from its own generator.
BatchSet BuildSyntheticBatches(const std::vector<dli_tensor_info>& inputs,
                               const std::vector<ModelInput>& rules, size_t n_batches,
                               uint32_t seed);
// One input of the default rule.
BatchSet BuildSyntheticBatches(const dli_tensor_info& input, size_t n_batches, uint32_t seed);

// Cuts `images` into batches of inputs[image_input].shape[0] images in that
// input's layout; the other inputs get synthetic data by their rules.
// Timing (cover_all = false): n_batches = max(1, images / batch), whole
// batches only. Predictions (cover_all = true): ceil(images / batch) batches
// so every image is in one; the last batch is padded. Padding repeats images
// from the start. Throws std::runtime_error on a shape mismatch or an
// unsupported input dtype.
BatchSet BuildImageBatches(const std::vector<HwcImage>& images,
                           const std::vector<dli_tensor_info>& inputs, size_t image_input,
                           const std::vector<ModelInput>& rules, uint32_t seed,
                           bool cover_all = false);
// A model with one input, the image.
BatchSet BuildImageBatches(const std::vector<HwcImage>& images, const dli_tensor_info& input,
                           bool cover_all = false);

// IEEE half bits of `value`, rounded to nearest even.
uint16_t FloatToHalf(float value);

}  // namespace dli

#endif  // DLI_BATCHES_H
