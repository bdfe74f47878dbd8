// The results database (SQLite): every finished point of every run with its
// full provenance. Each point is written in its own transaction the moment
// it finishes, so an interrupted or crashed run never loses or corrupts the
// points already finished.
#ifndef DLI_STORE_H
#define DLI_STORE_H

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

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
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  int64_t BeginRun(const std::string& experiment, const nlohmann::json& config,
                   const nlohmann::json& host);
  void FinishRun(int64_t run_id, const std::string& status);
  void SavePoint(int64_t run_id, const std::string& kind, const std::string& key,
                 const nlohmann::json& result);
  // True when a point with this key finished with status "ok" in any run.
  bool HasFinished(const std::string& key);
  std::vector<StoredPoint> Points(const PointFilter& filter);
  std::vector<StoredRun> Runs();
  StoredRun Run(int64_t run_id);  // throws when there is no such run

 private:
  void Exec(const std::string& sql);
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A stable identity for a measurement: SHA-256 of the canonical JSON of what
// defines it (model hash, framework, device, precision, batch, params,
// input and measurement settings).
std::string PointKey(const nlohmann::json& identity);

}  // namespace dli

#endif  // DLI_STORE_H
