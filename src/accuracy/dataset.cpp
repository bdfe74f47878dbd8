#include "accuracy/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>

#include "core/error.h"
#include "accuracy/images.h"
#include "core/point.h"
#include "core/text.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

constexpr const char* kManifest = "manifest.txt";

std::vector<std::string> ReadLines(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw UsageError(what + " not found: " + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool IsCommentOrBlank(const std::string& line) {
  const std::string t = Trim(line);
  return t.empty() || t[0] == '#';
}

// Splits on tabs if there are any, else on runs of spaces.
std::vector<std::string> Fields(const std::string& line) {
  if (line.find('\t') != std::string::npos) return Split(line, '\t');
  return Split(line, ' ');
}

class Builder {
 public:
  Builder(Dataset& d, const DatasetOptions& o) : d_(d), o_(o) {}

  // Adds `file` with its label texts, or a warning naming `where`.
  void Add(const std::string& where, const fs::path& file, const std::vector<std::string>& labels) {
    if (o_.limit > 0 && d_.items.size() >= o_.limit) return;
    LabelledImage item{file.string(), {}};
    for (const std::string& text : labels) {
      const auto v = ParseInt(text);
      if (!v) return Warn(where + ": label '" + text + "' is not a whole number");
      if (*v < 0 || *v >= o_.num_classes)
        return Warn(where + ": label " + text + " out of range [0, " +
                    std::to_string(o_.num_classes) + ")");
      item.labels.push_back(static_cast<int>(*v));
    }
    if (item.labels.empty()) return Warn(where + ": no label");
    if (!fs::is_regular_file(file)) return Warn(where + ": image not found: " + file.string());
    d_.items.push_back(std::move(item));
  }
  void Warn(const std::string& w) { d_.warnings.push_back(w); }

 private:
  Dataset& d_;
  const DatasetOptions& o_;
};

void LoadManifest(Dataset& d, const DatasetOptions& o) {
  const std::string path = (fs::path(d.root) / kManifest).string();
  Builder b(d, o);
  const std::vector<std::string> lines = ReadLines(path, "manifest");
  for (size_t i = 0; i < lines.size(); ++i) {
    if (IsCommentOrBlank(lines[i])) continue;
    const std::string where = path + ":" + std::to_string(i + 1);
    const std::vector<std::string> f = Fields(lines[i]);
    if (f.size() != 2) {
      b.Warn(where + ": expected `file<TAB>label[,label...]`");
      continue;
    }
    b.Add(where, fs::path(d.root) / f[0], Split(f[1], ','));
  }
}

void LoadImagenetVal(Dataset& d, const DatasetOptions& o) {
  Builder b(d, o);
  const std::vector<std::string> lines = ReadLines(o.labels_file, "labels file");
  for (size_t i = 0; i < lines.size(); ++i) {
    if (IsCommentOrBlank(lines[i])) continue;
    const std::string where = o.labels_file + ":" + std::to_string(i + 1);
    const std::vector<std::string> f = Fields(lines[i]);
    if (f.size() != 2) {
      b.Warn(where + ": expected `file label`");
      continue;
    }
    b.Add(where, fs::path(d.root) / f[0], {f[1]});
  }
}

void LoadClassFolders(Dataset& d, const DatasetOptions& o) {
  std::map<std::string, std::string> class_of_folder;
  const std::vector<std::string> lines = ReadLines(o.classes_file, "class-index file");
  int order = 0;
  for (const std::string& line : lines) {
    if (IsCommentOrBlank(line)) continue;
    const std::vector<std::string> f = Fields(line);
    class_of_folder[f[0]] = f.size() >= 2 ? f[1] : std::to_string(order);
    ++order;
  }
  Builder b(d, o);
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(d.root))
    if (e.is_directory()) folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());
  for (const fs::path& folder : folders) {
    const auto it = class_of_folder.find(folder.filename().string());
    if (it == class_of_folder.end()) {
      b.Warn(folder.string() + ": folder not listed in " + o.classes_file);
      continue;
    }
    for (const std::string& file : ListImageFiles(folder.string())) b.Add(file, file, {it->second});
  }
}

}  // namespace

Dataset LoadDataset(const std::string& dir, const DatasetOptions& o) {
  if (!fs::is_directory(dir)) throw UsageError("dataset folder not found: " + dir);
  Dataset d;
  d.root = dir;
  if (!o.labels_file.empty()) {
    d.format = "imagenet-val";
    LoadImagenetVal(d, o);
  } else if (!o.classes_file.empty()) {
    d.format = "class-folders";
    LoadClassFolders(d, o);
  } else if (fs::exists(fs::path(dir) / kManifest)) {
    d.format = "manifest";
    LoadManifest(d, o);
  } else {
    throw UsageError("cannot tell the layout of dataset " + dir +
                     ": expected manifest.txt in it, or --labels FILE (`file label` lines), "
                     "or --classes FILE (one sub-folder per class)");
  }
  if (d.items.empty())
    throw UsageError(
        "dataset " + dir + " has no usable image" +
        (d.warnings.empty() ? std::string() : " (first problem: " + d.warnings[0] + ")"));
  return d;
}

std::vector<int> TopK(const float* values, size_t n, int k) {
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  const size_t kk = std::min(n, static_cast<size_t>(std::max(k, 0)));
  std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(kk), idx.end(), [&](int a, int b) {
    return values[a] > values[b] || (values[a] == values[b] && a < b);
  });
  idx.resize(kk);
  return idx;
}

TopKScore ScoreTopK(const std::vector<std::vector<int>>& labels,
                    const std::vector<std::vector<int>>& top5_per_image, int label_offset) {
  TopKScore s;
  for (size_t i = 0; i < labels.size() && i < top5_per_image.size(); ++i) {
    ++s.images;
    const std::vector<int>& top = top5_per_image[i];
    auto accepted = [&](int output_index) {
      return std::find(labels[i].begin(), labels[i].end(), output_index - label_offset) !=
             labels[i].end();
    };
    if (!top.empty() && accepted(top[0])) ++s.top1;
    for (size_t k = 0; k < top.size() && k < 5; ++k)
      if (accepted(top[k])) {
        ++s.top5;
        break;
      }
  }
  return s;
}

TopKScore ScorePredictions(const PointResult& run, const Dataset& dataset, int label_offset) {
  std::map<std::string, const std::vector<int>*> labels_of;
  for (const LabelledImage& li : dataset.items) labels_of[li.path] = &li.labels;
  std::vector<std::vector<int>> labels, top5;
  for (const Prediction& p : run.predictions) {
    const auto it = labels_of.find(p.file);
    if (it == labels_of.end()) continue;
    labels.push_back(*it->second);
    top5.push_back(p.top5);
  }
  return ScoreTopK(labels, top5, label_offset);
}

}  // namespace dli
