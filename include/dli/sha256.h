#ifndef DLI_SHA256_H
#define DLI_SHA256_H

#include <string>

namespace dli {

// Lower-case hex SHA-256 of a byte string / of a file's content (throws
// std::runtime_error when the file cannot be read).
std::string Sha256Hex(const std::string& bytes);
std::string Sha256File(const std::string& path);

}  // namespace dli

#endif  // DLI_SHA256_H
