// Labelled image sets for the accuracy checker (methodology steps 2 and 5),
// and top-k scoring. Three layouts are read (docs/ACCURACY.md):
//   manifest      DIR/manifest.txt: `file<TAB>label[,label...]`, a set of
//                 acceptable classes per image (real photos fit several)
//   imagenet-val  a folder of images plus --labels FILE of `file label` lines
//   class-folders one sub-folder per class plus --classes FILE mapping each
//                 folder name to its class index (`folder index` lines, or
//                 one folder name per line in class order)
#ifndef DLI_DATASET_H
#define DLI_DATASET_H

#include <string>
#include <vector>

namespace dli {

// Below this many images a top-1 figure says little about the model: reports
// call it a sanity check, not an accuracy figure.
inline constexpr size_t kSanityOnlyBelow = 1000;

struct LabelledImage {
  std::string path;
  std::vector<int> labels;  // acceptable 0-based class indices
};

struct Dataset {
  std::string root;
  std::string format;  // "manifest", "imagenet-val" or "class-folders"
  std::vector<LabelledImage> items;
  std::vector<std::string> warnings;  // skipped entries, with the reason
};

struct DatasetOptions {
  std::string labels_file;   // imagenet-val
  std::string classes_file;  // class-folders
  int num_classes = 1000;    // labels must lie in [0, num_classes)
  size_t limit = 0;          // 0 = all
};

// Throws UsageError when the folder or a required file is missing, the
// layout cannot be recognised, or no usable entry remains. Bad entries
// (missing files, labels out of range, malformed lines) become warnings.
Dataset LoadDataset(const std::string& dir, const DatasetOptions& options);

// Indices of the k largest values, largest first (ties: lower index first).
std::vector<int> TopK(const float* values, size_t n, int k);

// The model's output index for dataset class c is c + label_offset (1 for
// models with a background class at index 0, 1001 outputs).
struct TopKScore {
  size_t images = 0, top1 = 0, top5 = 0;
  double top1_pct() const { return images ? 100.0 * top1 / images : 0; }
  double top5_pct() const { return images ? 100.0 * top5 / images : 0; }
};
// `top5_per_image[i]` are model output indices, best first.
TopKScore ScoreTopK(const std::vector<std::vector<int>>& labels,
                    const std::vector<std::vector<int>>& top5_per_image, int label_offset);

struct PointResult;

// Scores a predict-mode result against the dataset's labels.
TopKScore ScorePredictions(const PointResult& run, const Dataset& dataset, int label_offset);

}  // namespace dli

#endif  // DLI_DATASET_H
