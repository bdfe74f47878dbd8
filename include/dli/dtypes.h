// Byte size of each element type of the backend ABI: one definition for the
// core and the header-only backend SDK (which a backend compiles with its own
// libstdc++ ABI flag, so only plain C types cross; see backend_abi.h).
#ifndef DLI_DTYPES_H
#define DLI_DTYPES_H

#include <cstddef>
#include <stdexcept>
#include <string>

#include "dli/backend_abi.h"

namespace dli {

inline size_t DtypeSize(dli_dtype dtype) {
  switch (dtype) {
    case DLI_DTYPE_F32:
    case DLI_DTYPE_I32:
      return 4;
    case DLI_DTYPE_I64:
      return 8;
    case DLI_DTYPE_F16:
      return 2;
    case DLI_DTYPE_U8:
    case DLI_DTYPE_I8:
    case DLI_DTYPE_BOOL:
      return 1;
  }
  throw std::runtime_error("unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

}  // namespace dli

#endif  // DLI_DTYPES_H
