// Decoding and preprocessing of images (OpenCV imgcodecs/imgproc): one
// implementation for every framework, driven by the model's metadata.
#ifndef DLI_IMAGES_H
#define DLI_IMAGES_H

#include <string>
#include <vector>

#include "core/batches.h"
#include "core/model.h"

namespace dli {

// True when this build can decode images (OpenCV was found at build time).
bool ImageDecodingAvailable();

// Image files (by extension) directly in `dir`, sorted by name.
std::vector<std::string> ListImageFiles(const std::string& dir);

// Decode, convert colour order, resize the shorter side, centre-crop, scale
// and normalise: returns HWC floats. Throws std::runtime_error when the file
// cannot be decoded.
HwcImage PreprocessImage(const std::string& path, const Preprocessing& pre);

struct DecodedImages {
  std::vector<HwcImage> images;      // the decodable ones, in input order
  std::vector<size_t> source_index;  // images[i] came from files[source_index[i]]
  std::vector<std::string> errors;   // "file: reason" for the others
};
// Preprocesses `files` on all cores (decoding is the checker's bottleneck).
DecodedImages PreprocessFiles(const std::vector<std::string>& files, const Preprocessing& pre);

// Throws UsageError unless `dir` exists and at least one image in it decodes.
void CheckImageFolder(const std::string& dir);

struct ImageSet {
  std::vector<HwcImage> images;
  std::vector<std::string> files;    // decoded, in order
  std::vector<std::string> skipped;  // "file: reason"
};
// Up to `max_images` decodable images of `dir`. Throws UsageError when the
// folder is missing or holds no decodable image.
ImageSet LoadImageFolder(const std::string& dir, const Preprocessing& pre, size_t max_images);

}  // namespace dli

#endif  // DLI_IMAGES_H
