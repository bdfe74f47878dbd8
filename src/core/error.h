#ifndef DLI_ERROR_H
#define DLI_ERROR_H

#include <stdexcept>

namespace dli {

// Bad usage or bad input (a missing model file, an unknown framework, a
// malformed value): the CLI prints the message and exits with code 2. Any
// other exception reaching the CLI boundary exits with code 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum ExitCode { kExitOk = 0, kExitFailed = 1, kExitUsage = 2 };

}  // namespace dli

#endif  // DLI_ERROR_H
