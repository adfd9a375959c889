// SQLite implementation of storage::ApiStore over the tables of migrations 5
// to 7 (storage/sqlite/sqlite_database.cpp). Its own connection to the file, WAL
// mode like the Database connection, statements prepared once.
#include <sqlite3.h>

#include <algorithm>
#include <limits>

#include <map>

#include "ledger/ledger.h"
#include "storage/api_store.h"
#include "storage/sqlite/declaration_packs.h"
#include "storage/sqlite/sqlite_database.h"
#include "storage/sqlite/sqlite_page_cache.h"

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
// Contribution months of a person: the person's lines of packed flexible
// payments (kind 2) and of packed contribution entries (kind 1), both through
// SHEBAO_SQLITE_PERSON_LINES, not reversed, with their personal and pooled credits
// (and a flexible month's contribution base when its line keeps it, else 0).
// A flexible month's region is the person's scheme region when that lies in the
// entry's scheme province ("province" of its `lines`, two digits 11..82), else
// the province's own code (44 -> "440000"): a worker who moved the scheme to
// another province keeps the earlier months there.
constexpr const char* kContributions = SHEBAO_SQLITE_PERSON_LINES R"SQL(
SELECT month, kind, credit_code, name, region, wage_fen, size, unit_type, personal_fen, pooled_fen, base_fen FROM (
SELECT x.month, 2 AS kind, '' AS credit_code, '' AS name,
       CASE WHEN substr(p.scheme_region, 1, 2) = CAST(f.lines ->> '$.province' AS TEXT) THEN p.scheme_region
            ELSE (f.lines ->> '$.province') || '0000' END AS region, 0 AS wage_fen, '' AS size,
       '' AS unit_type, -x.personal_fen AS personal_fen, -x.pooled_fen AS pooled_fen,
       COALESCE(x.base_fen, 0) AS base_fen, x.entry_id
FROM person_lines x JOIN journal_entries f ON f.entry_id = x.entry_id LEFT JOIN persons p ON p.person_id = ?1
WHERE x.kind = 2 AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = x.entry_id)
UNION ALL
SELECT x.month, 1, m.credit_code, m.name, m.region, COALESCE(declaration_line(l.lines, ?1) ->> 1, 0), m.size,
       m.unit_type, -x.personal_fen,
       -x.pooled_fen, 0, x.entry_id
FROM person_lines x JOIN declarations d ON d.declaration_id = x.declaration_id
JOIN employers m ON m.employer_id = d.employer_id
LEFT JOIN declaration_line_packs l ON l.declaration_id = d.declaration_id
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
// Person search (migration 6).
constexpr const char* kQueuedPersons = R"SQL(
SELECT q.person_id, COALESCE(p.name, ''), COALESCE(p.name_pinyin, '') FROM person_search_queue q
LEFT JOIN persons p ON p.person_id = q.person_id ORDER BY q.person_id LIMIT ?1)SQL";
constexpr const char* kAnyQueued = "SELECT 1 FROM person_search_queue LIMIT 1";
constexpr const char* kDropSearchKeys = "DELETE FROM person_search_keys WHERE person_id = ?1";
constexpr const char* kInsertSearchKey = "INSERT OR IGNORE INTO person_search_keys (key, person_id) VALUES (?1, ?2)";
constexpr const char* kDequeuePerson = "DELETE FROM person_search_queue WHERE person_id = ?1";
// Keys in index order (a prefix is a range of the primary key); the region
// prefix ?3 ('' = all) keeps the persons of the region: hukou, scheme, or an
// employer of a spell. ?4 rows at most (the caller reads ahead by the keys a
// person may have).
constexpr const char* kSearchPersons = R"SQL(
SELECT k.person_id FROM person_search_keys k JOIN persons p ON p.person_id = k.person_id
WHERE k.key >= ?1 AND k.key < ?2
  AND (?3 = '' OR substr(p.hukou_region, 1, length(?3)) = ?3 OR substr(p.scheme_region, 1, length(?3)) = ?3
       OR EXISTS (SELECT 1 FROM employment_spells s JOIN employers e ON e.employer_id = s.employer_id
                  WHERE s.person_id = k.person_id AND substr(e.region, 1, length(?3)) = ?3))
ORDER BY k.key, k.person_id LIMIT ?4)SQL";
// Review queue and merge log (migration 7).
constexpr const char* kQueuePair =
    "INSERT INTO review_pairs (person_a, person_b, probability, weight, evidence, source, found_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (person_a, person_b) DO NOTHING";
constexpr const char* kPairIdOf = "SELECT pair_id FROM review_pairs WHERE person_a = ?1 AND person_b = ?2";
#define SHEBAO_PAIR_COLUMNS                                                                                 \
  "q.pair_id, q.person_a, q.person_b, q.probability, q.weight, q.evidence, q.source, q.found_at, q.status, " \
  "q.decided_by, q.decided_at, q.reason, q.merge_sequence"
constexpr const char* kReviewPairs = "SELECT " SHEBAO_PAIR_COLUMNS R"SQL( FROM review_pairs q
WHERE (?1 = '' OR q.status = ?1) AND q.pair_id > ?3
  AND (?2 = '%' OR EXISTS (SELECT 1 FROM persons p WHERE p.resident_id IN (q.person_a, q.person_b)
                           AND (p.hukou_region LIKE ?2 OR p.scheme_region LIKE ?2)))
ORDER BY q.pair_id LIMIT ?4)SQL";
// The persons above ?1 or from ?2 to ?3 (one gap).
constexpr const char* kMatchPersons =
    "SELECT person_id, resident_id, name, sex, birth_date, phone FROM persons WHERE person_id > ?1 "
    "ORDER BY person_id";
constexpr const char* kMatchPersonsBetween =
    "SELECT person_id, resident_id, name, sex, birth_date, phone FROM persons WHERE person_id BETWEEN ?2 AND ?3 "
    "AND person_id <= ?1 ORDER BY person_id";
// The persons whose matching fields changed with a mark above ?1 (migration
// 13; a range of persons_match_changed: no ORDER BY person_id, which the
// planner would answer with a scan of persons), and the highest mark.
constexpr const char* kChangedPersons =
    "SELECT person_id, resident_id, name, sex, birth_date, phone, match_changed FROM persons "
    "WHERE match_changed > 0 AND match_changed > ?1";
constexpr const char* kHighestChange =
    "SELECT COALESCE((SELECT match_changed FROM persons WHERE match_changed > 0 ORDER BY match_changed DESC LIMIT 1), "
    "0)";
constexpr const char* kFindPair = "SELECT " SHEBAO_PAIR_COLUMNS " FROM review_pairs q WHERE q.pair_id = ?1";
constexpr const char* kDecidePair =
    "UPDATE review_pairs SET status = ?2, decided_by = ?3, decided_at = ?4, reason = ?5, merge_sequence = ?6 "
    "WHERE pair_id = ?1 AND status = ?7";
constexpr const char* kInsertMerge =
    "INSERT INTO person_merges (sequence, kind, survivor, merged, undoes, actor, reason, at, pair_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
#define SHEBAO_MERGE_COLUMNS "m.sequence, m.kind, m.survivor, m.merged, m.undoes, m.actor, m.reason, m.at, m.pair_id"
constexpr const char* kMergeLog = "SELECT " SHEBAO_MERGE_COLUMNS " FROM person_merges m ORDER BY m.sequence";
constexpr const char* kStandingMerges = "SELECT " SHEBAO_MERGE_COLUMNS R"SQL( FROM person_merges m
WHERE m.kind = 'merge' AND (m.survivor = ?1 OR m.merged = ?1)
  AND NOT EXISTS (SELECT 1 FROM person_merges u WHERE u.kind = 'undo' AND u.undoes = m.sequence)
ORDER BY m.sequence)SQL";

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
  void bind(int i, double v) { sqlite3_bind_double(s_, i, v); }
  void bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  int step() { return sqlite3_step(s_); }
  std::int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  double real(int c) { return sqlite3_column_double(s_, c); }
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
      r.base_fen = s.i64(10);
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

  Result<std::size_t> index_queued_persons(std::size_t batch, const SearchKeysOf& keys_of) override {
    {
      // An empty queue (the usual case) is seen without taking the write lock.
      auto q = prepare(kAnyQueued);
      if (!q) return tl::unexpected(q.error());
      Stmt s(*q);
      const int rc = s.step();
      if (rc == SQLITE_DONE) return std::size_t{0};
      if (rc != SQLITE_ROW) return tl::unexpected(err("search queue").error());
    }
    if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return tl::unexpected(ok.error());
    auto done = [&]() -> Result<std::size_t> {
      std::vector<SearchIndexName> queued;
      {
        auto q = prepare(kQueuedPersons);
        if (!q) return tl::unexpected(q.error());
        Stmt s(*q);
        s.bind(1, static_cast<std::int64_t>(batch));
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) queued.push_back(SearchIndexName{s.i64(0), s.text(1), s.text(2)});
        if (rc != SQLITE_DONE) return tl::unexpected(err("search queue").error());
      }
      auto drop = prepare(kDropSearchKeys);
      auto insert = prepare(kInsertSearchKey);
      auto dequeue = prepare(kDequeuePerson);
      if (!drop || !insert || !dequeue) return fail(ErrorCode::internal, "sqlite", "prepare failed");
      for (const SearchIndexName& person : queued) {
        {
          Stmt s(*drop);
          s.bind(1, person.person_id);
          if (s.step() != SQLITE_DONE) return tl::unexpected(err("search keys").error());
        }
        std::vector<std::string> keys = keys_of(person);
        if (keys.size() > kMaxSearchKeysPerPerson) keys.resize(kMaxSearchKeysPerPerson);
        for (const std::string& key : keys) {
          Stmt s(*insert);
          s.bind(1, key);
          s.bind(2, person.person_id);
          if (s.step() != SQLITE_DONE) return tl::unexpected(err("search keys").error());
        }
        Stmt s(*dequeue);
        s.bind(1, person.person_id);
        if (s.step() != SQLITE_DONE) return tl::unexpected(err("search queue").error());
      }
      return queued.size();
    }();
    if (!done) {
      exec("ROLLBACK");
      return done;
    }
    if (auto ok = exec("COMMIT"); !ok) return tl::unexpected(ok.error());
    return done;
  }

  Result<std::vector<std::int64_t>> search_persons(const PersonSearch& search) override {
    auto q = prepare(kSearchPersons);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, search.key_prefix);
    s.bind(2, std::string(search.key_prefix).append(kAfterEveryCharacter));
    s.bind(3, search.region_prefix);
    s.bind(4, search.limit * static_cast<std::int64_t>(kMaxSearchKeysPerPerson));
    std::vector<std::int64_t> out;
    int rc = SQLITE_DONE;
    while (static_cast<std::int64_t>(out.size()) < search.limit && (rc = s.step()) == SQLITE_ROW) {
      const std::int64_t id = s.i64(0);
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
    if (static_cast<std::int64_t>(out.size()) < search.limit && rc != SQLITE_DONE) {
      return tl::unexpected(err("search persons").error());
    }
    return out;
  }

  Result<std::pair<std::int64_t, bool>> queue_review_pair(const ReviewPair& pair) override {
    auto q = prepare(kQueuePair);
    if (!q) return tl::unexpected(q.error());
    bool added = false;
    {
      Stmt s(*q);
      s.bind(1, pair.person_a);
      s.bind(2, pair.person_b);
      s.bind(3, pair.probability);
      s.bind(4, pair.weight);
      s.bind(5, pair.evidence);
      s.bind(6, pair.source);
      s.bind(7, pair.found_at);
      const int rc = s.step();
      if (rc == SQLITE_CONSTRAINT) return fail(ErrorCode::invalid_input, "person_a", "person_a must sort before person_b");
      if (rc != SQLITE_DONE) return tl::unexpected(err("queue review pair").error());
      added = sqlite3_changes(db_) == 1;
    }
    auto id = prepare(kPairIdOf);
    if (!id) return tl::unexpected(id.error());
    Stmt s(*id);
    s.bind(1, pair.person_a);
    s.bind(2, pair.person_b);
    if (s.step() != SQLITE_ROW) return tl::unexpected(err("queue review pair").error());
    return std::pair<std::int64_t, bool>(s.i64(0), added);
  }

  Result<std::vector<ReviewPair>> review_pairs(std::string_view status, std::string_view region_like,
                                               std::int64_t after_id, std::int64_t limit) override {
    auto q = prepare(kReviewPairs);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, status);
    s.bind(2, region_like);
    s.bind(3, after_id);
    s.bind(4, limit);
    return pair_rows(s);
  }

  Result<std::optional<ReviewPair>> find_review_pair(std::int64_t pair_id) override {
    auto q = prepare(kFindPair);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    s.bind(1, pair_id);
    auto rows = pair_rows(s);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<ReviewPair>();
    return std::optional<ReviewPair>(std::move(rows->front()));
  }

  Result<bool> decide_review_pair(const ReviewPair& d, std::string_view from,
                                  const std::optional<MergeRecord>& entry) override {
    if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return tl::unexpected(ok.error());
    auto done = [&]() -> Result<bool> {
      auto q = prepare(kDecidePair);
      if (!q) return tl::unexpected(q.error());
      {
        Stmt s(*q);
        s.bind(1, d.pair_id);
        s.bind(2, d.status);
        s.bind(3, d.decided_by);
        s.bind(4, d.decided_at);
        s.bind(5, d.reason);
        s.bind(6, d.merge_sequence);
        s.bind(7, from);
        if (s.step() != SQLITE_DONE) return tl::unexpected(err("decide review pair").error());
        if (sqlite3_changes(db_) != 1) return false;
      }
      if (!entry) return true;
      auto m = prepare(kInsertMerge);
      if (!m) return tl::unexpected(m.error());
      Stmt s(*m);
      s.bind(1, entry->sequence);
      s.bind(2, entry->kind);
      s.bind(3, entry->survivor);
      s.bind(4, entry->merged);
      s.bind(5, entry->undoes);
      s.bind(6, entry->actor);
      s.bind(7, entry->reason);
      s.bind(8, entry->at);
      s.bind(9, entry->pair_id);
      const int rc = s.step();
      if (rc == SQLITE_CONSTRAINT) {
        return fail(ErrorCode::conflict, "sequence", "merge log entry " + std::to_string(entry->sequence) + " exists");
      }
      if (rc != SQLITE_DONE) return tl::unexpected(err("append merge log").error());
      return true;
    }();
    if (!done || !*done) {
      exec("ROLLBACK");
      return done;
    }
    if (auto ok = exec("COMMIT"); !ok) return tl::unexpected(ok.error());
    return true;
  }

  Result<std::vector<MergeRecord>> merge_log() override { return merge_query(kMergeLog, ""); }
  // One writer at a time commits person_ids in id order: nothing open can
  // fill a gap (ids never taken, none in practice), so the bounds are the
  // largest int64 and a gap is read once. Change marks, likewise, are
  // committed in increasing order; they are read first, so that a change
  // committed between the statements is read (again) next time.
  Result<MatchRead> read_persons_for_matching(std::int64_t after, const std::vector<MatchGap>& gaps,
                                              std::int64_t changed_after) override {
    MatchRead out;
    out.oldest_open = out.next = std::numeric_limits<std::int64_t>::max();
    {
      auto q = prepare(changed_after < 0 ? kHighestChange : kChangedPersons);
      if (!q) return tl::unexpected(q.error());
      Stmt s(*q);
      out.changes_seen = std::max<std::int64_t>(changed_after, 0);
      if (changed_after >= 0) s.bind(1, changed_after);
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) {
        if (changed_after < 0) {
          out.changes_seen = s.i64(0);
          continue;
        }
        out.changed.push_back(MatchPerson{s.i64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)});
        out.changes_seen = std::max(out.changes_seen, s.i64(6));
      }
      if (rc != SQLITE_DONE) return tl::unexpected(err("persons changed for matching").error());
      std::sort(out.changed.begin(), out.changed.end(),
                [](const MatchPerson& x, const MatchPerson& y) { return x.person_id < y.person_id; });
    }
    // The persons above `after` (no gap) or in the gap.
    auto read = [&](const MatchGap* gap) -> Result<void> {
      auto q = prepare(gap ? kMatchPersonsBetween : kMatchPersons);
      if (!q) return tl::unexpected(q.error());
      Stmt s(*q);
      s.bind(1, after);
      if (gap) {
        s.bind(2, gap->first);
        s.bind(3, gap->last);
      }
      int rc;
      while ((rc = s.step()) == SQLITE_ROW)
        out.persons.push_back(MatchPerson{s.i64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)});
      if (rc != SQLITE_DONE) return tl::unexpected(err("persons for matching").error());
      return {};
    };
    for (const MatchGap& g : gaps)
      if (auto ok = read(&g); !ok) return tl::unexpected(ok.error());
    if (auto ok = read(nullptr); !ok) return tl::unexpected(ok.error());
    std::sort(out.persons.begin(), out.persons.end(),
              [](const MatchPerson& x, const MatchPerson& y) { return x.person_id < y.person_id; });
    return out;
  }
  Result<std::vector<MergeRecord>> standing_merges_of(std::string_view resident_id) override {
    return merge_query(kStandingMerges, resident_id);
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

  Result<std::vector<ReviewPair>> pair_rows(Stmt& s) {
    std::vector<ReviewPair> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      out.push_back(ReviewPair{s.i64(0), s.text(1), s.text(2), s.real(3), s.real(4), s.text(5), s.text(6), s.text(7),
                               s.text(8), s.text(9), s.text(10), s.text(11), s.i64(12)});
    }
    if (rc != SQLITE_DONE) return tl::unexpected(err("review pairs").error());
    return out;
  }
  Result<std::vector<MergeRecord>> merge_query(const char* sql, std::string_view resident_id) {
    auto q = prepare(sql);
    if (!q) return tl::unexpected(q.error());
    Stmt s(*q);
    if (!resident_id.empty()) s.bind(1, resident_id);
    std::vector<MergeRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      out.push_back(MergeRecord{s.i64(0), s.text(1), s.text(2), s.text(3), s.i64(4), s.text(5), s.text(6), s.text(7),
                                s.i64(8)});
    }
    if (rc != SQLITE_DONE) return tl::unexpected(err("merge log").error());
    return out;
  }

  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace

Result<std::unique_ptr<ApiStore>> open_sqlite_api_store(const std::string& path) {
  configure_sqlite_process();  // the same process-wide settings as open_sqlite's
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close_v2(db);
    return fail(ErrorCode::io_error, path, "cannot open the database: " + message);
  }
  if (sqlite_packs::register_declaration_pack_functions(db) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db);
    sqlite3_close_v2(db);
    return fail(ErrorCode::io_error, path, "cannot use the database: " + message);
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
