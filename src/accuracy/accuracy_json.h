// The accuracy result of a predict-mode point (schema dli.accuracy/1,
// docs/RESULTS.md).
#ifndef DLI_ACCURACY_JSON_H
#define DLI_ACCURACY_JSON_H

#include <nlohmann/json.hpp>

#include "accuracy/dataset.h"
#include "core/point.h"

namespace dli {

// Counts, percentages and each image's labels and top-5.
nlohmann::json AccuracyToJson(const PointResult& run, const Dataset& dataset, int label_offset,
                              const TopKScore& score);
// Scored images per second of the run's wall time (0 when none was recorded):
// the images_per_s of AccuracyToJson and of `dli accuracy`'s table.
double ImagesPerSecond(const PointResult& run, const TopKScore& score);

}  // namespace dli

#endif  // DLI_ACCURACY_JSON_H
