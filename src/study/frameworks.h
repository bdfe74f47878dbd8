// The frameworks an executor offers. Describing one loads the framework (in
// a child process for the local executor: seconds for some), so a command
// asks this catalog, which describes each framework at most once.
#ifndef DLI_STUDY_FRAMEWORKS_H
#define DLI_STUDY_FRAMEWORKS_H

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/backend.h"
#include "exec/executor.h"

namespace dli {

class FrameworkCatalog {
 public:
  explicit FrameworkCatalog(Executor& executor) : executor_(executor) {}

  // Every framework found, available or not, in name order. Describes them
  // all, so a command that needs them all asks for them first.
  const std::vector<BackendInfo>& All();
  // All(), by name.
  std::map<std::string, BackendInfo> ByName();
  // The named framework, available or not; nullptr when the executor has
  // no built backend by that name.
  const BackendInfo* Find(const std::string& name);
  // The named framework; UsageError when it is unknown (naming the known
  // ones) or unavailable (saying why).
  const BackendInfo& Require(const std::string& name);
  // "a,b" -> Require() of each; "all" -> every available framework,
  // `on_unavailable` called with each other one that was built (one whose
  // backend was not built is left out silently).
  std::vector<BackendInfo> Select(
      const std::string& list, const std::function<void(const BackendInfo&)>& on_unavailable = {});

 private:
  const BackendInfo& Describe(const std::string& name);
  Executor& executor_;
  std::optional<std::vector<BackendInfo>> all_;
  std::map<std::string, BackendInfo> described_;
};

}  // namespace dli

#endif  // DLI_STUDY_FRAMEWORKS_H
