#include "accuracy/check.h"

namespace dli {

PointSpec PredictSpec(const BackendInfo& backend, const ResolvedModel& model,
                      const std::string& precision, const std::vector<std::string>& files,
                      int batch, bool keep_outputs) {
  PointSpec s;
  s.mode = "predict";
  s.framework = backend.name;
  ApplyModel(s, model);
  s.precision = precision;
  s.batch = batch;
  s.input.files = files;
  s.input.keep_outputs = keep_outputs;
  s.timeout_s = 600 + 2.0 * static_cast<double>(files.size());
  return s;
}

}  // namespace dli
