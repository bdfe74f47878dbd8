#ifndef DLI_SHA256_H
#define DLI_SHA256_H

#include <string>

namespace dli {

// Lower-case hex SHA-256 of a byte string / of a file's content (throws
// std::runtime_error when the file cannot be read).
std::string Sha256Hex(const std::string& bytes);
std::string Sha256File(const std::string& path);
// A file's SHA-256, or for a folder model (e.g. a TensorFlow SavedModel) the
// SHA-256 of its sorted "relative/path <TAB> file sha256" lines.
std::string Sha256Path(const std::string& path);

}  // namespace dli

#endif  // DLI_SHA256_H
