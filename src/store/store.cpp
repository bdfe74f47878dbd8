#include "store/store.h"

#include <sqlite3.h>

#include <ctime>
#include <stdexcept>

#include "core/sha256.h"

using nlohmann::json;

namespace dli {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  experiment TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT,
  status TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  host_json TEXT NOT NULL,
  config_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  status TEXT NOT NULL,
  framework TEXT NOT NULL,
  precision TEXT NOT NULL,
  created TEXT NOT NULL,
  result_json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS points_key ON points(key, status);
CREATE INDEX IF NOT EXISTS points_run ON points(run_id);
)";

std::string NowUtc() {
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("results database: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), -1, SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  bool Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("results database: ") + sqlite3_errmsg(db_));
  }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

// The open connection; closed with the store.
struct ResultStore::Database {
  sqlite3* db = nullptr;
  std::string path;
  ~Database() { sqlite3_close(db); }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw std::runtime_error(msg);
    }
  }
};

ResultStore::ResultStore(const std::string& path) : db_(std::make_unique<Database>()) {
  db_->path = path;
  if (sqlite3_open(path.c_str(), &db_->db) != SQLITE_OK) {
    const std::string msg = db_->db ? sqlite3_errmsg(db_->db) : "out of memory";
    throw std::runtime_error("cannot open results database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_->db, 10000);
  try {
    // WAL keeps finished points safe if the process dies mid-write.
    db_->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    db_->Exec(kSchema);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot use results database " + path + ": " + e.what());
  }
}

ResultStore::~ResultStore() = default;
ResultStore::ResultStore(ResultStore&&) noexcept = default;
ResultStore& ResultStore::operator=(ResultStore&&) noexcept = default;

int64_t ResultStore::BeginRun(const std::string& experiment, const json& config, const json& host) {
  Statement st(db_->db,
               "INSERT INTO runs (experiment, started, status, tool_version, host_json, "
               "config_json) VALUES (?, ?, 'running', ?, ?, ?)");
  st.Bind(1, experiment).Bind(2, NowUtc()).Bind(3, std::string(DLI_VERSION));
  st.Bind(4, host.dump()).Bind(5, config.dump());
  st.Step();
  return sqlite3_last_insert_rowid(db_->db);
}

void ResultStore::FinishRun(int64_t run_id, const std::string& status) {
  Statement st(db_->db, "UPDATE runs SET finished = ?, status = ? WHERE id = ?");
  st.Bind(1, NowUtc()).Bind(2, status).Bind(3, run_id);
  st.Step();
}

void ResultStore::SavePoint(int64_t run_id, const std::string& kind, const std::string& key,
                            const json& result) {
  Statement st(db_->db,
               "INSERT INTO points (run_id, kind, key, status, framework, precision, created, "
               "result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  st.Bind(1, run_id).Bind(2, kind).Bind(3, key);
  st.Bind(4, result.value("status", std::string("ok")));
  st.Bind(5, result.value("framework", std::string()));
  st.Bind(6, result.value("precision", std::string()));
  st.Bind(7, NowUtc()).Bind(8, result.dump());
  st.Step();
}

void ResultStore::SaveResult(int64_t run_id, const std::string& key, const PointResult& result,
                             bool with_samples) {
  SavePoint(run_id, "performance", key, ResultToJson(result, with_samples));
}

bool ResultStore::HasFinished(const std::string& key) {
  Statement st(db_->db, "SELECT 1 FROM points WHERE key = ? AND status = 'ok' LIMIT 1");
  st.Bind(1, key);
  return st.Step();
}

std::vector<StoredPoint> ResultStore::Points(const PointFilter& f) {
  std::string sql =
      "SELECT p.id, p.run_id, p.kind, p.key, p.status, p.created, p.result_json "
      "FROM points p JOIN runs r ON r.id = p.run_id WHERE 1";
  std::vector<std::string> args;
  auto add = [&](const std::string& column, const std::string& value) {
    if (value.empty()) return;
    sql += " AND " + column + " = ?";
    args.push_back(value);
  };
  add("r.experiment", f.experiment);
  add("p.kind", f.kind);
  add("p.framework", f.framework);
  add("p.precision", f.precision);
  add("p.status", f.status);
  if (f.run_id > 0) sql += " AND p.run_id = " + std::to_string(f.run_id);
  if (f.latest_per_key) sql += " AND p.id = (SELECT MAX(q.id) FROM points q WHERE q.key = p.key)";
  sql += " ORDER BY p.id";
  Statement st(db_->db, sql);
  for (size_t i = 0; i < args.size(); ++i) st.Bind(static_cast<int>(i + 1), args[i]);
  std::vector<StoredPoint> out;
  while (st.Step()) {
    StoredPoint p;
    p.id = st.Int(0);
    p.run_id = st.Int(1);
    p.kind = st.Text(2);
    p.key = st.Text(3);
    p.status = st.Text(4);
    p.created = st.Text(5);
    p.result = json::parse(st.Text(6));
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<StoredResult> ResultStore::Results(const PointFilter& filter) {
  PointFilter performance = filter;
  performance.kind = "performance";
  std::vector<StoredResult> out;
  for (StoredPoint& p : Points(performance)) {
    StoredResult r;
    r.id = p.id;
    r.run_id = p.run_id;
    r.key = std::move(p.key);
    r.created = std::move(p.created);
    try {
      r.result = ResultFromJson(p.result);
    } catch (const std::exception& e) {
      throw std::runtime_error("point " + std::to_string(p.id) + " in " + db_->path +
                               " cannot be read: " + e.what());
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<StoredRun> ResultStore::Runs() {
  Statement st(db_->db,
               "SELECT r.id, r.experiment, r.started, IFNULL(r.finished, ''), r.status, "
               "r.host_json, r.config_json, (SELECT COUNT(*) FROM points p WHERE p.run_id = r.id) "
               "FROM runs r ORDER BY r.id");
  std::vector<StoredRun> out;
  while (st.Step()) {
    StoredRun r;
    r.id = st.Int(0);
    r.experiment = st.Text(1);
    r.started = st.Text(2);
    r.finished = st.Text(3);
    r.status = st.Text(4);
    r.host = json::parse(st.Text(5));
    r.config = json::parse(st.Text(6));
    r.points = st.Int(7);
    out.push_back(std::move(r));
  }
  return out;
}

StoredRun ResultStore::Run(int64_t run_id) {
  for (StoredRun& r : Runs())
    if (r.id == run_id) return r;
  throw std::runtime_error("no run " + std::to_string(run_id) + " in " + db_->path);
}

std::string PointKey(const json& identity) { return Sha256Hex(identity.dump()); }

}  // namespace dli
