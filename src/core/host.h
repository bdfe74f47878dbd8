#ifndef DLI_HOST_H
#define DLI_HOST_H

#include <string>

namespace dli {

// The machine a result was measured on (provenance).
struct HostInfo {
  std::string hostname;
  std::string cpu_model;
  int logical_cores = 0;
  long long memory_mb = 0;
  std::string os;
  std::string kernel;
};

HostInfo ReadHostInfo();

}  // namespace dli

#endif  // DLI_HOST_H
