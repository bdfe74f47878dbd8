// Files the tool writes: results that survive a crash mid-write, and private
// scratch folders.
#ifndef DLI_FILES_H
#define DLI_FILES_H

#include <filesystem>
#include <string>

namespace dli {

// Writes `text` to `path` atomically (temp file + rename) so a crash never
// leaves a half-written results file; throws std::runtime_error on failure.
void WriteFileAtomically(const std::string& path, const std::string& text);

// A private temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace dli

#endif  // DLI_FILES_H
