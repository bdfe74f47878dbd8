// The results database (SQLite): every finished point of every run with its
// full provenance. Each point is written in its own transaction the moment
// it finishes, so an interrupted or crashed run never loses or corrupts the
// points already finished.
#ifndef DLI_STORE_H
#define DLI_STORE_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/point.h"

namespace dli {

struct StoredPoint {
  int64_t id = 0;
  int64_t run_id = 0;
  std::string kind;  // "performance" or "accuracy"
  std::string key;   // identity: same key = same measurement to skip on resume
  std::string status;
  std::string created;
  nlohmann::json result;  // the point object (dli.result/1 or accuracy)
};

// A stored performance point as the typed result.
struct StoredResult {
  int64_t id = 0;
  int64_t run_id = 0;
  std::string key;
  std::string created;
  PointResult result;
};

struct StoredRun {
  int64_t id = 0;
  std::string experiment, started, finished, status;
  nlohmann::json host, config;
  int64_t points = 0;
};

struct PointFilter {
  int64_t run_id = 0;  // 0 = every run
  std::string experiment, kind, framework, precision, status;
  bool latest_per_key = false;  // only the newest point of each key
};

class ResultStore {
 public:
  // Opens (creating if needed) the database; throws std::runtime_error with
  // the path and SQLite's message.
  explicit ResultStore(const std::string& path);
  ~ResultStore();
  ResultStore(ResultStore&&) noexcept;
  ResultStore& operator=(ResultStore&&) noexcept;

  int64_t BeginRun(const std::string& experiment, const nlohmann::json& config,
                   const nlohmann::json& host);
  void FinishRun(int64_t run_id, const std::string& status);
  void SavePoint(int64_t run_id, const std::string& kind, const std::string& key,
                 const nlohmann::json& result);
  // A performance point (kind "performance"), as ResultToJson writes it.
  void SaveResult(int64_t run_id, const std::string& key, const PointResult& result,
                  bool with_samples);
  // True when a point with this key finished with status "ok" in any run.
  bool HasFinished(const std::string& key);
  // Every kind, as stored.
  std::vector<StoredPoint> Points(const PointFilter& filter);
  // The performance points (filter.kind is ignored), read with
  // ResultFromJson; throws std::runtime_error naming a point that cannot be read.
  std::vector<StoredResult> Results(const PointFilter& filter);
  std::vector<StoredRun> Runs();
  StoredRun Run(int64_t run_id);  // throws when there is no such run

 private:
  struct Database;
  std::unique_ptr<Database> db_;
};

// A stable identity for a measurement: SHA-256 of the canonical JSON of what
// defines it (model hash, framework, device, precision, batch, params,
// input and measurement settings).
std::string PointKey(const nlohmann::json& identity);

}  // namespace dli

#endif  // DLI_STORE_H
