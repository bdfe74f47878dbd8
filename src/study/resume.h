// What makes two measurements the same, so that running a study again skips
// the points it already finished.
#ifndef DLI_STUDY_RESUME_H
#define DLI_STUDY_RESUME_H

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "study/experiment.h"

namespace dli {

// The model's content (not its path), the point's coordinates, and its input
// and measurement settings (performance) or its data set (accuracy). Stored
// keys hash this exact document: changing it makes every stored point run
// again.
nlohmann::json ResumeIdentity(const PlannedPoint& point, const std::string& model_sha256,
                              const std::string& dataset);

// The store key (PointKey of ResumeIdentity) of each point of `plan`, each
// model file hashed once; empty for a skipped point. `dataset` is the
// experiment's accuracy data set.
std::vector<std::string> ResumeKeys(const std::vector<PlannedPoint>& plan,
                                    const std::string& dataset);

// The resume key of repetition `repetition` of the point whose key is
// `point_key`: the point key itself for repetition 0, so studies stored
// before repetitions existed (and studies with one repetition) resume.
std::string RepetitionKey(const std::string& point_key, size_t repetition);

}  // namespace dli

#endif  // DLI_STUDY_RESUME_H
