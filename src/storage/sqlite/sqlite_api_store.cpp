// SQLite implementation of storage::ApiStore over the tables of migration 5
// (storage/sqlite/sqlite_database.cpp). Its own connection to the file, WAL
// mode like the Database connection, statements prepared once.
#include <sqlite3.h>

#include <map>

#include "ledger/ledger.h"
#include "storage/api_store.h"
#include "storage/sqlite/sqlite_database.h"

namespace shebao::storage {
namespace {

constexpr const char* kInsertUser =
    "INSERT INTO api_users (login, role, person, employer, region, password_hash, disabled) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kFindUser =
    "SELECT user_id, login, role, person, employer, region, password_hash, disabled FROM api_users WHERE login = ?1";
constexpr const char* kFindUserById =
    "SELECT user_id, login, role, person, employer, region, password_hash, disabled FROM api_users WHERE user_id = ?1";
constexpr const char* kInsertSession =
    "INSERT INTO api_sessions (token_hash, user_id, created_at, expires_at, revoked) VALUES (?1, ?2, ?3, ?4, 0)";
constexpr const char* kFindSession =
    "SELECT token_hash, user_id, created_at, expires_at, revoked FROM api_sessions WHERE token_hash = ?1";
constexpr const char* kRevokeSession = "UPDATE api_sessions SET revoked = 1 WHERE token_hash = ?1";
constexpr const char* kAuditHead = "SELECT count, hash FROM audit_head WHERE id = 1";
constexpr const char* kInsertAudit =
    "INSERT INTO audit_log (seq, at, actor, role, action, person, resource, purpose, prev_hash, hash) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr const char* kSetAuditHead =
    "INSERT INTO audit_head (id, count, hash) VALUES (1, ?1, ?2) "
    "ON CONFLICT (id) DO UPDATE SET count = excluded.count, hash = excluded.hash";
constexpr const char* kAuditEntries =
    "SELECT seq, at, actor, role, action, person, resource, purpose, prev_hash, hash FROM audit_log "
    "WHERE seq > ?1 ORDER BY seq LIMIT ?2";
constexpr const char* kAuditOfPerson =
    "SELECT seq, at, actor, role, action, person, resource, purpose, prev_hash, hash FROM audit_log "
    "WHERE person = ?1 AND person <> '' ORDER BY seq DESC LIMIT ?2";
constexpr const char* kFindIdempotent =
    "SELECT request_hash, status, content_type, body FROM api_idempotency WHERE user_id = ?1 AND key = ?2";
constexpr const char* kStoreIdempotent =
    "INSERT OR IGNORE INTO api_idempotency (user_id, key, request_hash, status, content_type, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kInsertUpload =
    "INSERT INTO api_uploads (employer, created_at, summary, feedback) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kFindUpload =
    "SELECT upload_id, employer, created_at, summary, feedback FROM api_uploads WHERE upload_id = ?1";
// Contribution months of a person: flexible entries (kind 2) and the person's
// lines of packed contribution entries (kind 1, SHEBAO_SQLITE_PERSON_LINES),
// not reversed, with their personal and pooled credits.
constexpr const char* kContributions = SHEBAO_SQLITE_PERSON_LINES R"SQL(
SELECT month, kind, credit_code, name, region, wage_fen, size, unit_type, personal_fen, pooled_fen FROM (
SELECT e.month, e.kind, '' AS credit_code, '' AS name,
       (SELECT scheme_region FROM persons WHERE person_id = e.person_id) AS region, 0 AS wage_fen, '' AS size,
       '' AS unit_type,
       (SELECT COALESCE(-SUM(p.amount_fen), 0) FROM postings p WHERE p.entry_id = e.entry_id AND p.account_kind = 1)
         AS personal_fen,
       (SELECT COALESCE(-SUM(p.amount_fen), 0) FROM postings p WHERE p.entry_id = e.entry_id AND p.account_kind = 2)
         AS pooled_fen,
       e.entry_id
FROM journal_entries e
WHERE e.person_id = ?1 AND e.kind = 2
  AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = e.entry_id)
UNION ALL
SELECT x.month, 1, m.credit_code, m.name, m.region, COALESCE(l.wage_fen, 0), m.size, m.unit_type, -x.personal_fen,
       -x.pooled_fen, x.entry_id
FROM person_lines x JOIN declarations d ON d.declaration_id = x.declaration_id
JOIN employers m ON m.employer_id = d.employer_id
LEFT JOIN declaration_lines l ON l.declaration_id = d.declaration_id AND l.person_id = ?1
WHERE x.kind = 1 AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = x.entry_id))
ORDER BY month, entry_id)SQL";
// The personal account's postings: rows of `postings` and packed lines.
constexpr const char* kPersonalPostings = SHEBAO_SQLITE_PERSON_LINES R"SQL(
SELECT entry_id, kind, month, amount_fen FROM (
SELECT p.entry_id, e.kind, e.month, -p.amount_fen AS amount_fen FROM postings p
JOIN journal_entries e ON e.entry_id = p.entry_id WHERE p.account_kind = 1 AND p.account_owner = ?1
UNION ALL
SELECT entry_id, kind, month, -personal_fen FROM person_lines WHERE personal_fen <> 0)
ORDER BY entry_id DESC LIMIT ?2)SQL";
constexpr const char* kSpells = R"SQL(
SELECT m.credit_code, m.name, m.region, s.hire_date, s.leave_date FROM employment_spells s
JOIN employers m ON m.employer_id = s.employer_id WHERE s.person_id = ?1 ORDER BY s.hire_date)SQL";
constexpr const char* kUpdatePhone = "UPDATE persons SET phone = ?2 WHERE person_id = ?1";

class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  int step() { return sqlite3_step(s_); }
  std::int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  std::string text(int c) {
    const void* v = sqlite3_column_blob(s_, c);
    const int n = sqlite3_column_bytes(s_, c);
    return v ? std::string(static_cast<const char*>(v), static_cast<std::size_t>(n)) : std::string();
  }
  bool null(int c) { return sqlite3_column_type(s_, c) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_;
};

class SqliteApiStore final : public ApiStore {
 public:
  explicit SqliteApiStore(sqlite3* db) : db_(db) {}
  ~SqliteApiStore() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Result<std::int64_t> insert_user(const User& u) override {
    auto q = prepare(kInsertUser);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, u.login);
    s.bind(2, u.role);
    s.bind(3, u.person);
    s.bind(4, u.employer);
    s.bind(5, u.region);
    s.bind(6, u.password_hash);
    s.bind(7, std::int64_t{u.disabled ? 1 : 0});
    const int rc = s.step();
    if (rc == SQLITE_CONSTRAINT) return fail(ErrorCode::conflict, "login", "a user with this login exists");
    if (rc != SQLITE_DONE) return err("insert user");
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::optional<User>> find_user(std::string_view login) override { return user_query(kFindUser, login, 0); }
  Result<std::optional<User>> find_user_by_id(std::int64_t id) override { return user_query(kFindUserById, "", id); }

  Result<void> insert_session(const Session& session) override {
    auto q = prepare(kInsertSession);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, session.token_hash);
    s.bind(2, session.user_id);
    s.bind(3, session.created_at);
    s.bind(4, session.expires_at);
    if (s.step() != SQLITE_DONE) return tl::unexpected(err("insert session").error());
    return {};
  }

  Result<std::optional<Session>> find_session(std::string_view token_hash) override {
    auto q = prepare(kFindSession);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, token_hash);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<Session>();
    if (rc != SQLITE_ROW) return tl::unexpected(err("find session").error());
    Session out{s.text(0), s.i64(1), s.i64(2), s.i64(3), s.i64(4) != 0};
    return std::optional<Session>(std::move(out));
  }

  Result<void> revoke_session(std::string_view token_hash) override {
    auto q = prepare(kRevokeSession);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, token_hash);
    if (s.step() != SQLITE_DONE) return tl::unexpected(err("revoke session").error());
    return {};
  }

  Result<AuditHead> audit_head() override {
    auto q = prepare(kAuditHead);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return AuditHead{};
    if (rc != SQLITE_ROW) return tl::unexpected(err("audit head").error());
    return AuditHead{s.i64(0), s.text(1)};
  }

  Result<void> append_audit(std::span<const AuditRecord> records) override {
    if (records.empty()) return {};
    if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return ok;
    auto done = [&]() -> Result<void> {
      auto q = prepare(kInsertAudit);
      if (!q) return tl::unexpected(q.error());
      for (const AuditRecord& r : records) {
        Stmt s(*q);
        s.bind(1, r.seq);
        s.bind(2, r.at);
        s.bind(3, r.actor);
        s.bind(4, r.role);
        s.bind(5, r.action);
        s.bind(6, r.person);
        s.bind(7, r.resource);
        s.bind(8, r.purpose);
        s.bind(9, r.prev_hash);
        s.bind(10, r.hash);
        if (s.step() != SQLITE_DONE) return tl::unexpected(err("append audit").error());
      }
      auto h = prepare(kSetAuditHead);
      if (!h) return tl::unexpected(h.error());
      Stmt s(*h);
      s.bind(1, records.back().seq);
      s.bind(2, records.back().hash);
      if (s.step() != SQLITE_DONE) return tl::unexpected(err("audit head").error());
      return {};
    }();
    if (!done) {
      exec("ROLLBACK");
      return done;
    }
    return exec("COMMIT");
  }

  Result<std::vector<AuditRecord>> audit_entries(std::int64_t after, std::int64_t limit) override {
    return audit_query(kAuditEntries, after, "", limit);
  }
  Result<std::vector<AuditRecord>> audit_of_person(std::string_view person, std::int64_t limit) override {
    return audit_query(kAuditOfPerson, 0, person, limit);
  }

  Result<std::optional<IdempotentResponse>> find_idempotent(std::int64_t user_id, std::string_view key) override {
    auto q = prepare(kFindIdempotent);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, user_id);
    s.bind(2, key);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<IdempotentResponse>();
    if (rc != SQLITE_ROW) return tl::unexpected(err("find idempotency key").error());
    IdempotentResponse r{s.text(0), static_cast<int>(s.i64(1)), s.text(2), s.text(3)};
    return std::optional<IdempotentResponse>(std::move(r));
  }

  Result<void> store_idempotent(std::int64_t user_id, std::string_view key, const IdempotentResponse& r) override {
    auto q = prepare(kStoreIdempotent);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, user_id);
    s.bind(2, key);
    s.bind(3, r.request_hash);
    s.bind(4, std::int64_t{r.status});
    s.bind(5, r.content_type);
    s.bind(6, r.body);
    if (s.step() != SQLITE_DONE) return tl::unexpected(err("store idempotency key").error());
    return {};
  }

  Result<std::int64_t> insert_upload(const Upload& u) override {
    auto q = prepare(kInsertUpload);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, u.employer);
    s.bind(2, u.created_at);
    s.bind(3, u.summary);
    s.bind(4, u.feedback);
    if (s.step() != SQLITE_DONE) return err("insert upload");
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::optional<Upload>> find_upload(std::int64_t id) override {
    auto q = prepare(kFindUpload);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, id);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<Upload>();
    if (rc != SQLITE_ROW) return tl::unexpected(err("find upload").error());
    Upload u{s.i64(0), s.text(1), s.text(2), s.text(3), s.text(4)};
    return std::optional<Upload>(std::move(u));
  }

  Result<std::vector<ContributionRecord>> contributions_of(std::int64_t person_id) override {
    auto q = prepare(kContributions);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, person_id);
    std::vector<ContributionRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      ContributionRecord r;
      r.month = YearMonth::from_serial(static_cast<int>(s.i64(0)));
      r.kind = s.i64(1) == 1 ? "employee" : "flexible";
      r.employer_code = s.text(2);
      r.employer_name = s.text(3);
      r.region = s.text(4);
      r.declared_wage_fen = s.i64(5);
      r.employer_size = s.text(6);
      r.employer_unit_type = s.text(7);
      r.personal_fen = s.i64(8);
      r.pooled_fen = s.i64(9);
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return tl::unexpected(err("contributions").error());
    return out;
  }

  Result<std::vector<PostingRecord>> personal_postings(std::int64_t person_id, std::int64_t limit) override {
    auto q = prepare(kPersonalPostings);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, person_id);
    s.bind(2, limit);
    std::vector<PostingRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      PostingRecord r;
      r.entry_id = s.i64(0);
      r.entry_kind = std::string(ledger::to_string(static_cast<ledger::EntryKind>(s.i64(1))));
      r.month = YearMonth::from_serial(static_cast<int>(s.i64(2)));
      r.amount_fen = s.i64(3);
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return tl::unexpected(err("postings").error());
    return out;
  }

  Result<std::vector<SpellRecord>> spells_of(std::int64_t person_id) override {
    auto q = prepare(kSpells);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, person_id);
    std::vector<SpellRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      SpellRecord r;
      r.employer_code = s.text(0);
      r.employer_name = s.text(1);
      r.employer_region = s.text(2);
      if (auto d = Date::parse(s.text(3))) r.hire_date = *d;
      if (!s.null(4)) {
        if (auto d = Date::parse(s.text(4))) r.leave_date = *d;
      }
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return tl::unexpected(err("spells").error());
    return out;
  }

  Result<void> update_phone(std::int64_t person_id, std::string_view phone) override {
    auto q = prepare(kUpdatePhone);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, person_id);
    s.bind(2, phone);
    if (s.step() != SQLITE_DONE) return tl::unexpected(err("update phone").error());
    return {};
  }

  Result<void> exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : "unknown error";
      sqlite3_free(message);
      return fail(ErrorCode::io_error, "sqlite", text);
    }
    return {};
  }

 private:
  Result<sqlite3_stmt*> prepare(const char* sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      return fail(ErrorCode::internal, "sqlite", std::string("prepare failed: ") + sqlite3_errmsg(db_));
    }
    cache_.emplace(sql, stmt);
    return stmt;
  }
  Result<std::int64_t> err(const char* what) {
    return fail(ErrorCode::io_error, "sqlite", std::string(what) + ": " + sqlite3_errmsg(db_));
  }
  Result<std::optional<User>> user_query(const char* sql, std::string_view login, std::int64_t id) {
    auto q = prepare(sql);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    if (id) {
      s.bind(1, id);
    } else {
      s.bind(1, login);
    }
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<User>();
    if (rc != SQLITE_ROW) return tl::unexpected(err("find user").error());
    User u{s.i64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.i64(7) != 0};
    return std::optional<User>(std::move(u));
  }
  Result<std::vector<AuditRecord>> audit_query(const char* sql, std::int64_t after, std::string_view person,
                                               std::int64_t limit) {
    auto q = prepare(sql);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    if (person.empty()) {
      s.bind(1, after);
    } else {
      s.bind(1, person);
    }
    s.bind(2, limit);
    std::vector<AuditRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      out.push_back(AuditRecord{s.i64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7),
                                s.text(8), s.text(9)});
    }
    if (rc != SQLITE_DONE) return tl::unexpected(err("audit log").error());
    return out;
  }

  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace

Result<std::unique_ptr<ApiStore>> open_sqlite_api_store(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close_v2(db);
    return fail(ErrorCode::io_error, path, "cannot open the database: " + message);
  }
  sqlite3_busy_timeout(db, 10000);
  auto store = std::make_unique<SqliteApiStore>(db);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA temp_store = MEMORY",
                             "PRAGMA mmap_size = 0", "PRAGMA wal_autocheckpoint = 8192"}) {
    if (auto ok = store->exec(pragma); !ok) return tl::unexpected(ok.error());
  }
  return std::unique_ptr<ApiStore>(std::move(store));
}

}  // namespace shebao::storage
