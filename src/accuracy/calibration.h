// Calibration data for the post-training quantization tools (python/
// dli_models/optimization.py): images preprocessed exactly as the accuracy
// checker and the benchmark preprocess them, as one float32 NumPy array.
#ifndef DLI_ACCURACY_CALIBRATION_H
#define DLI_ACCURACY_CALIBRATION_H

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "accuracy/images.h"
#include "core/model.h"

namespace dli {

// Calibration images used when no count is given: all of the folder, up to
// the paper's order of magnitude (it measured with 320 images).
inline constexpr size_t kDefaultMaxCalibrationImages = 300;

// The images of `set` as the bytes of a NumPy .npy file (format 1.0) of
// float32: [N, C, H, W] for layout "NCHW", [N, H, W, C] for "NHWC".
// std::invalid_argument for another layout.
std::string ImagesNpy(const ImageSet& set, const std::string& layout);

struct CalibrationSet {
  std::string array_path;   // <model>/calibration/calibration.npy, where the steps read it
  std::string array;        // its content: the images, [N, C, H, W] float32
  std::string record_path;  // <model>/calibration/calibration.json
  nlohmann::json record;    // its content, schema dli.calibration/1
};

// `samples` (0: all, at most kDefaultMaxCalibrationImages) decodable images
// of `dir`, preprocessed for `meta` and checked against the NCHW input its
// model.json declares. A note on undecodable files goes to `log`. UsageError
// when there are fewer images than `samples`, or their size is not the
// model's.
CalibrationSet MakeCalibrationSet(const ModelMeta& meta, const std::string& dir, size_t samples,
                                  std::ostream& log);

}  // namespace dli

#endif  // DLI_ACCURACY_CALIBRATION_H
