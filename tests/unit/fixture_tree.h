// A temporary directory tree standing in for "/" in tests of code that reads
// /proc and /sys under a root directory.
#ifndef DLI_TESTS_FIXTURE_TREE_H
#define DLI_TESTS_FIXTURE_TREE_H

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

class FixtureTree {
 public:
  FixtureTree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dli-fixture-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a fixture directory");
    root_ = pattern;
  }
  ~FixtureTree() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  FixtureTree(const FixtureTree&) = delete;
  FixtureTree& operator=(const FixtureTree&) = delete;

  const std::string& root() const { return root_; }
  // Writes `text` to root + `path` ("/proc/stat"), creating its directories.
  void Write(const std::string& path, const std::string& text) const {
    const std::filesystem::path file = root_ + path;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }

 private:
  std::string root_;
};

#endif  // DLI_TESTS_FIXTURE_TREE_H
