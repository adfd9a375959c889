// PostgreSQL implementation of storage::ApiStore over the tables of migrations
// 5 to 7 (storage/postgres/postgres_database.cpp), with the same behaviour as
// storage/sqlite/sqlite_api_store.cpp: the same conflicts (a second user with
// a login: conflict; a second idempotency record for (user, key): ignored), the
// same orders, the audit entries and the head in one transaction, the per-person
// read paths with the same fields and order.
//
// Its own libpq connection (not from PostgresDatabase's pool: the pool belongs to
// one Database, and an ApiStore lives on its own thread). The few libpq helpers
// it needs (result ownership, text parameters, error mapping) are a small
// private copy of postgres_database.cpp's, which live in that file's anonymous
// namespace next to the Database plumbing they serve.
//
// Citus: the API tables are reference or coordinator-local tables (see
// migration 5). contributions_of and spells_of select the person's rows by
// person_id and join the employer through declaration_lines.employer_id and
// employers (a reference table), not through declarations (the reversal check
// reads journal_entries by corrects_entry_id, as on SQLite); personal_postings
// selects by the personal account's owner, as the SQLite store does (on Citus,
// a query to every shard).
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <type_traits>

#include "ledger/ledger.h"
#include "storage/api_store.h"
#include "storage/postgres/postgres_database.h"
#include "storage/postgres/pg_values.h"

namespace shebao::storage {
namespace {

constexpr const char* kInsertUser =
    "INSERT INTO api_users (login, role, person, employer, region, password_hash, disabled) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7::boolean) RETURNING user_id";
constexpr const char* kFindUser =
    "SELECT user_id, login, role, person, employer, region, password_hash, disabled::int FROM api_users "
    "WHERE login = $1";
constexpr const char* kFindUserById =
    "SELECT user_id, login, role, person, employer, region, password_hash, disabled::int FROM api_users "
    "WHERE user_id = $1";
constexpr const char* kInsertSession =
    "INSERT INTO api_sessions (token_hash, user_id, created_at, expires_at, revoked) VALUES ($1, $2, $3, $4, FALSE)";
constexpr const char* kFindSession =
    "SELECT token_hash, user_id, created_at, expires_at, revoked::int FROM api_sessions WHERE token_hash = $1";
constexpr const char* kRevokeSession = "UPDATE api_sessions SET revoked = TRUE WHERE token_hash = $1";
constexpr const char* kAuditHead = "SELECT count, hash FROM audit_head WHERE id = 1";
constexpr const char* kAuditEntries =
    "SELECT seq, at, actor, role, action, person, resource, purpose, prev_hash, hash FROM audit_log "
    "WHERE seq > $1 ORDER BY seq LIMIT $2";
constexpr const char* kAuditOfPerson =
    "SELECT seq, at, actor, role, action, person, resource, purpose, prev_hash, hash FROM audit_log "
    "WHERE person = $1 AND person <> '' ORDER BY seq DESC LIMIT $2";
// Read in binary result format: every column is returned as its raw bytes
// (text as is, the body as stored), so status is read as text.
constexpr const char* kFindIdempotent =
    "SELECT request_hash, status::text, content_type, body FROM api_idempotency WHERE user_id = $1 AND key = $2";
constexpr const char* kStoreIdempotent =
    "INSERT INTO api_idempotency (user_id, key, request_hash, status, content_type, body) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING";
constexpr const char* kInsertUpload =
    "INSERT INTO api_uploads (employer, created_at, summary, feedback) VALUES ($1, $2, $3, $4) RETURNING upload_id";
constexpr const char* kFindUpload =
    "SELECT upload_id, employer, created_at, summary, feedback FROM api_uploads WHERE upload_id = $1";
// Contribution months of a person: the person's lines of packed flexible
// payments (kind 2) and of packed contribution entries (kind 1), both through
// SHEBAO_PG_PERSON_LINES, not reversed, with their personal and pooled credits
// (and a flexible month's contribution base when its line keeps it, else 0).
// The employer of an employee month is its declaration line's (lines carry
// their declaration's employer_id; the same employer as the declaration's).
// A flexible month's region is the person's scheme region when that lies in the
// entry's scheme province ("province" of its `lines`, two digits 11..82), else
// the province's own code (44 -> "440000"), as on SQLite.
constexpr const char* kContributions = SHEBAO_PG_PERSON_LINES R"SQL(
SELECT month, kind, credit_code, name, region, wage_fen, size, unit_type, personal_fen, pooled_fen, base_fen FROM (
SELECT x.month, 2 AS kind, '' AS credit_code, '' AS name,
       CASE WHEN left(p.scheme_region, 2) = (f.lines ->> 'province') THEN p.scheme_region
            ELSE (f.lines ->> 'province') || '0000' END AS region, 0::bigint AS wage_fen,
       '' AS size, '' AS unit_type, -x.personal_fen AS personal_fen, -x.pooled_fen AS pooled_fen,
       COALESCE(x.base_fen, 0) AS base_fen, x.entry_id
FROM person_lines x JOIN journal_entries f ON f.entry_id = x.entry_id LEFT JOIN persons p ON p.person_id = $1
WHERE x.kind = 2 AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = x.entry_id)
UNION ALL
SELECT x.month, 1, m.credit_code, m.name, m.region, l.wage_fen, m.size, m.unit_type, -x.personal_fen,
       -x.pooled_fen, 0, x.entry_id
FROM person_lines x JOIN declaration_lines l ON l.person_id = $1 AND l.declaration_id = x.declaration_id
JOIN employers m ON m.employer_id = l.employer_id
WHERE x.kind = 1 AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = x.entry_id)) c
ORDER BY month, entry_id)SQL";
// The personal account's postings: rows of `postings` and packed lines.
constexpr const char* kPersonalPostings = SHEBAO_PG_PERSON_LINES R"SQL(
SELECT entry_id, kind, month, amount_fen FROM (
SELECT p.entry_id, e.kind, e.month, -p.amount_fen AS amount_fen FROM postings p
JOIN journal_entries e ON e.person_id = p.person_id AND e.entry_id = p.entry_id
WHERE p.account_kind = 1 AND p.account_owner = $1
UNION ALL
SELECT entry_id, kind, month, -personal_fen FROM person_lines WHERE personal_fen <> 0) a
ORDER BY entry_id DESC LIMIT $2)SQL";
constexpr const char* kSpells = R"SQL(
SELECT m.credit_code, m.name, m.region, s.hire_date::text, s.leave_date::text FROM employment_spells s
JOIN employers m ON m.employer_id = s.employer_id WHERE s.person_id = $1 ORDER BY s.hire_date)SQL";
constexpr const char* kUpdatePhone = "UPDATE persons SET phone = $2 WHERE person_id = $1";
// Person search (migration 6), as on SQLite. Queued persons are taken with
// SKIP LOCKED, so connections indexing at once take different persons; a rename
// committed meanwhile queues the person again (its insert waits for this
// transaction's delete of the queue row).
constexpr const char* kTakeQueuedPersons = R"SQL(
WITH taken AS (
  DELETE FROM person_search_queue WHERE person_id IN (
    SELECT person_id FROM person_search_queue ORDER BY person_id LIMIT $1 FOR UPDATE SKIP LOCKED)
  RETURNING person_id)
SELECT t.person_id, COALESCE(p.name, ''), COALESCE(p.name_pinyin, '') FROM taken t
LEFT JOIN persons p ON p.person_id = t.person_id ORDER BY t.person_id)SQL";
constexpr const char* kAnyQueued = "SELECT 1 FROM person_search_queue LIMIT 1";
constexpr const char* kReplaceSearchKeys = R"SQL(
WITH dropped AS (DELETE FROM person_search_keys WHERE person_id = ANY($1::bigint[]))
INSERT INTO person_search_keys (key, person_id) SELECT * FROM unnest($2::text[], $3::bigint[])
ON CONFLICT DO NOTHING)SQL";
constexpr const char* kSearchPersons = R"SQL(
SELECT k.person_id FROM person_search_keys k JOIN persons p ON p.person_id = k.person_id
WHERE k.key >= $1 COLLATE "C" AND k.key < $2 COLLATE "C"
  AND ($3 = '' OR left(p.hukou_region, length($3)) = $3 OR left(p.scheme_region, length($3)) = $3
       OR EXISTS (SELECT 1 FROM employment_spells s JOIN employers e ON e.employer_id = s.employer_id
                  WHERE s.person_id = k.person_id AND left(e.region, length($3)) = $3))
ORDER BY k.key, k.person_id LIMIT $4)SQL";
// Review queue and merge log (migration 7), as in sqlite_api_store.cpp.
constexpr const char* kQueuePair = R"SQL(
WITH added AS (
  INSERT INTO review_pairs (person_a, person_b, probability, weight, evidence, source, found_at)
  VALUES ($1, $2, $3::double precision, $4::double precision, $5, $6, $7)
  ON CONFLICT (person_a, person_b) DO NOTHING RETURNING pair_id)
SELECT pair_id, 1 FROM added
UNION ALL SELECT pair_id, 0 FROM review_pairs WHERE person_a = $1 AND person_b = $2 AND NOT EXISTS (SELECT 1 FROM added))SQL";
#define SHEBAO_PAIR_COLUMNS                                                                                     \
  "q.pair_id, q.person_a, q.person_b, q.probability::text, q.weight::text, q.evidence, q.source, q.found_at, " \
  "q.status, q.decided_by, q.decided_at, q.reason, q.merge_sequence"
constexpr const char* kReviewPairs = "SELECT " SHEBAO_PAIR_COLUMNS R"SQL( FROM review_pairs q
WHERE ($1 = '' OR q.status = $1) AND q.pair_id > $3
  AND ($2 = '%' OR EXISTS (SELECT 1 FROM resident_ids r JOIN persons p ON p.person_id = r.person_id
                           WHERE r.resident_id IN (q.person_a, q.person_b)
                             AND (p.hukou_region LIKE $2 OR p.scheme_region LIKE $2)))
ORDER BY q.pair_id LIMIT $4)SQL";
// The persons above $1 and in the gaps ($2 first ids, $3 last ids), and
// (changed = 1) those whose matching fields changed with a mark above $4
// (migration 13: the changing transaction's id; none when $4 < 0), with the
// statement's snapshot bounds (pg_current_snapshot() is the snapshot the
// statement reads with); one row of bounds and no person when none is found.
constexpr const char* kMatchPersons = R"SQL(
SELECT s.oldest_open, s.next, p.person_id, p.resident_id, p.name, p.sex, p.birth_date::text, p.phone, p.changed
FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS oldest_open,
             pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next) s
LEFT JOIN LATERAL (
  SELECT x.person_id, x.resident_id, x.name, x.sex, x.birth_date, x.phone, 0 AS changed FROM persons x
  WHERE x.person_id > $1
  UNION ALL
  SELECT x.person_id, x.resident_id, x.name, x.sex, x.birth_date, x.phone, 0
  FROM unnest($2::bigint[], $3::bigint[]) g(first, last)
  JOIN persons x ON x.person_id BETWEEN g.first AND g.last AND x.person_id <= $1
  UNION ALL
  SELECT x.person_id, x.resident_id, x.name, x.sex, x.birth_date, x.phone, 1 FROM persons x
  WHERE $4::bigint >= 0 AND x.match_changed > 0 AND x.match_changed > $4::bigint) p ON TRUE
ORDER BY p.person_id)SQL";
constexpr const char* kFindPair = "SELECT " SHEBAO_PAIR_COLUMNS " FROM review_pairs q WHERE q.pair_id = $1";
constexpr const char* kDecidePair =
    "UPDATE review_pairs SET status = $2, decided_by = $3, decided_at = $4, reason = $5, merge_sequence = $6 "
    "WHERE pair_id = $1 AND status = $7";
constexpr const char* kInsertMerge =
    "INSERT INTO person_merges (sequence, kind, survivor, merged, undoes, actor, reason, at, pair_id) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
#define SHEBAO_MERGE_COLUMNS "m.sequence, m.kind, m.survivor, m.merged, m.undoes, m.actor, m.reason, m.at, m.pair_id"
constexpr const char* kMergeLog = "SELECT " SHEBAO_MERGE_COLUMNS " FROM person_merges m ORDER BY m.sequence";
constexpr const char* kStandingMerges = "SELECT " SHEBAO_MERGE_COLUMNS R"SQL( FROM person_merges m
WHERE m.kind = 'merge' AND (m.survivor = $1 OR m.merged = $1)
  AND NOT EXISTS (SELECT 1 FROM person_merges u WHERE u.kind = 'undo' AND u.undoes = m.sequence)
ORDER BY m.sequence)SQL";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Parameters of a statement (nullopt = NULL); binary ones are sent as raw bytes.
class Params {
 public:
  Params& add(std::int64_t value) { return push(std::to_string(value), false); }
  Params& add(std::string_view value) { return push(std::string(value), false); }
  Params& add(bool value) { return push(value ? "true" : "false", false); }
  Params& add(double value) {
    char buffer[32];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    return push(std::string(buffer, end), false);
  }
  Params& add_bytes(std::string_view value) { return push(std::string(value), true); }
  // LIMIT n; a negative n is no limit, as SQLite's LIMIT reads it.
  Params& add_limit(std::int64_t value) {
    if (value < 0) {
      values_.emplace_back();
      binary_.push_back(0);
      return *this;
    }
    return add(value);
  }
  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const {
    std::vector<const char*> out;
    for (const auto& value : values_) out.push_back(value ? value->data() : nullptr);
    return out;
  }
  std::vector<int> lengths() const {
    std::vector<int> out;
    for (const auto& value : values_) out.push_back(value ? static_cast<int>(value->size()) : 0);
    return out;
  }
  const int* formats() const { return binary_.data(); }

 private:
  Params& push(std::string value, bool binary) {
    values_.emplace_back(std::move(value));
    binary_.push_back(binary ? 1 : 0);
    return *this;
  }
  std::vector<std::optional<std::string>> values_;
  std::vector<int> binary_;
};

using pg::int_of;
using pg::null_at;
using pg::text_of;

// A PostgreSQL array literal of the values, each quoted ("{"a","b"}").
template <typename T>
std::string array_literal(const std::vector<T>& values) {
  std::string out = "{";
  for (const T& value : values) {
    if (out.size() > 1) out += ',';
    if constexpr (std::is_integral_v<T>) {
      out += std::to_string(value);
    } else {
      out += '"';
      for (char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  return out + "}";
}

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

class PostgresApiStore final : public ApiStore {
 public:
  explicit PostgresApiStore(PGconn* conn) : conn_(conn) {}
  ~PostgresApiStore() override { PQfinish(conn_); }

  Result<std::int64_t> insert_user(const User& u) override {
    auto r = query(kInsertUser,
                   Params().add(u.login).add(u.role).add(u.person).add(u.employer).add(u.region).add(u.password_hash).add(
                       u.disabled),
                   "insert user");
    if (!r) {
      if (r.error().code == ErrorCode::conflict) return fail(ErrorCode::conflict, "login", "a user with this login exists");
      return tl::unexpected(r.error());
    }
    return int_of(r->get(), 0, 0);
  }

  Result<std::optional<User>> find_user(std::string_view login) override {
    return user_query(kFindUser, Params().add(login));
  }
  Result<std::optional<User>> find_user_by_id(std::int64_t id) override {
    return user_query(kFindUserById, Params().add(id));
  }

  Result<void> insert_session(const Session& session) override {
    auto r = query(kInsertSession,
                   Params().add(session.token_hash).add(session.user_id).add(session.created_at).add(session.expires_at),
                   "insert session");
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<std::optional<Session>> find_session(std::string_view token_hash) override {
    auto r = query(kFindSession, Params().add(token_hash), "find session");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    if (PQntuples(q) == 0) return std::optional<Session>();
    Session out{text_of(q, 0, 0), int_of(q, 0, 1), int_of(q, 0, 2), int_of(q, 0, 3), int_of(q, 0, 4) != 0};
    return std::optional<Session>(std::move(out));
  }

  Result<void> revoke_session(std::string_view token_hash) override {
    auto r = query(kRevokeSession, Params().add(token_hash), "revoke session");
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<AuditHead> audit_head() override {
    auto r = query(kAuditHead, Params(), "audit head");
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return AuditHead{};
    return AuditHead{int_of(r->get(), 0, 0), text_of(r->get(), 0, 1)};
  }

  // The entries and the head in one transaction, sent as one round trip.
  Result<void> append_audit(std::span<const AuditRecord> records) override {
    if (records.empty()) return {};
    std::string sql =
        "BEGIN;\nINSERT INTO audit_log (seq, at, actor, role, action, person, resource, purpose, prev_hash, hash) "
        "VALUES ";
    bool first = true;
    for (const AuditRecord& a : records) {
      if (!first) sql += ", ";
      first = false;
      sql += "(" + std::to_string(a.seq);
      for (const std::string* field : {&a.at, &a.actor, &a.role, &a.action, &a.person, &a.resource, &a.purpose,
                                       &a.prev_hash, &a.hash}) {
        auto quoted = quote(*field);
        if (!quoted) return tl::unexpected(quoted.error());
        sql += ", " + *quoted;
      }
      sql += ")";
    }
    auto hash = quote(records.back().hash);
    if (!hash) return tl::unexpected(hash.error());
    sql += ";\nINSERT INTO audit_head (id, count, hash) VALUES (1, " + std::to_string(records.back().seq) + ", " +
           *hash + ") ON CONFLICT (id) DO UPDATE SET count = excluded.count, hash = excluded.hash;\nCOMMIT";
    auto done = exec_script(sql, "append audit");
    if (!done && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PQclear(PQexec(conn_, "ROLLBACK"));
    }
    return done;
  }

  Result<std::vector<AuditRecord>> audit_entries(std::int64_t after, std::int64_t limit) override {
    return audit_query(kAuditEntries, Params().add(after).add_limit(limit));
  }
  Result<std::vector<AuditRecord>> audit_of_person(std::string_view person, std::int64_t limit) override {
    return audit_query(kAuditOfPerson, Params().add(person).add_limit(limit));
  }

  Result<std::optional<IdempotentResponse>> find_idempotent(std::int64_t user_id, std::string_view key) override {
    auto r = query(kFindIdempotent, Params().add(user_id).add(key), "find idempotency key", 1);
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    if (PQntuples(q) == 0) return std::optional<IdempotentResponse>();
    IdempotentResponse out{text_of(q, 0, 0), static_cast<int>(int_of(q, 0, 1)), text_of(q, 0, 2), text_of(q, 0, 3)};
    return std::optional<IdempotentResponse>(std::move(out));
  }

  Result<void> store_idempotent(std::int64_t user_id, std::string_view key, const IdempotentResponse& response) override {
    auto r = query(kStoreIdempotent,
                   Params()
                       .add(user_id)
                       .add(key)
                       .add(response.request_hash)
                       .add(std::int64_t{response.status})
                       .add(response.content_type)
                       .add_bytes(response.body),
                   "store idempotency key");
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<std::int64_t> insert_upload(const Upload& u) override {
    auto r = query(kInsertUpload, Params().add(u.employer).add(u.created_at).add(u.summary).add(u.feedback),
                   "insert upload");
    if (!r) return tl::unexpected(r.error());
    return int_of(r->get(), 0, 0);
  }

  Result<std::optional<Upload>> find_upload(std::int64_t id) override {
    auto r = query(kFindUpload, Params().add(id), "find upload");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    if (PQntuples(q) == 0) return std::optional<Upload>();
    Upload u{int_of(q, 0, 0), text_of(q, 0, 1), text_of(q, 0, 2), text_of(q, 0, 3), text_of(q, 0, 4)};
    return std::optional<Upload>(std::move(u));
  }

  Result<std::vector<ContributionRecord>> contributions_of(std::int64_t person_id) override {
    auto r = query(kContributions, Params().add(person_id), "contributions");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    std::vector<ContributionRecord> out;
    for (int i = 0; i < PQntuples(q); ++i) {
      ContributionRecord c;
      c.month = YearMonth::from_serial(static_cast<int>(int_of(q, i, 0)));
      c.kind = int_of(q, i, 1) == 1 ? "employee" : "flexible";
      c.employer_code = text_of(q, i, 2);
      c.employer_name = text_of(q, i, 3);
      c.region = text_of(q, i, 4);
      c.declared_wage_fen = int_of(q, i, 5);
      c.employer_size = text_of(q, i, 6);
      c.employer_unit_type = text_of(q, i, 7);
      c.personal_fen = int_of(q, i, 8);
      c.pooled_fen = int_of(q, i, 9);
      c.base_fen = int_of(q, i, 10);
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<std::vector<PostingRecord>> personal_postings(std::int64_t person_id, std::int64_t limit) override {
    auto r = query(kPersonalPostings, Params().add(person_id).add_limit(limit), "postings");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    std::vector<PostingRecord> out;
    for (int i = 0; i < PQntuples(q); ++i) {
      PostingRecord p;
      p.entry_id = int_of(q, i, 0);
      p.entry_kind = std::string(ledger::to_string(static_cast<ledger::EntryKind>(int_of(q, i, 1))));
      p.month = YearMonth::from_serial(static_cast<int>(int_of(q, i, 2)));
      p.amount_fen = int_of(q, i, 3);
      out.push_back(std::move(p));
    }
    return out;
  }

  Result<std::vector<SpellRecord>> spells_of(std::int64_t person_id) override {
    auto r = query(kSpells, Params().add(person_id), "spells");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    std::vector<SpellRecord> out;
    for (int i = 0; i < PQntuples(q); ++i) {
      SpellRecord s;
      s.employer_code = text_of(q, i, 0);
      s.employer_name = text_of(q, i, 1);
      s.employer_region = text_of(q, i, 2);
      if (auto d = Date::parse(text_of(q, i, 3))) s.hire_date = *d;
      if (!null_at(q, i, 4)) {
        if (auto d = Date::parse(text_of(q, i, 4))) s.leave_date = *d;
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  Result<void> update_phone(std::int64_t person_id, std::string_view phone) override {
    auto r = query(kUpdatePhone, Params().add(person_id).add(phone), "update phone");
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<std::size_t> index_queued_persons(std::size_t batch, const SearchKeysOf& keys_of) override {
    // An empty queue (the usual case) costs one query, not a transaction.
    auto any = query(kAnyQueued, Params(), "search queue");
    if (!any) return tl::unexpected(any.error());
    if (PQntuples(any->get()) == 0) return std::size_t{0};
    if (auto ok = exec_script("BEGIN", "search queue"); !ok) return tl::unexpected(ok.error());
    auto done = [&]() -> Result<std::size_t> {
      auto r = query(kTakeQueuedPersons, Params().add(static_cast<std::int64_t>(batch)), "search queue");
      if (!r) return tl::unexpected(r.error());
      const PGresult* q = r->get();
      std::vector<std::int64_t> ids;
      std::vector<std::string> keys;
      std::vector<std::int64_t> owners;
      for (int i = 0; i < PQntuples(q); ++i) {
        const SearchIndexName person{int_of(q, i, 0), text_of(q, i, 1), text_of(q, i, 2)};
        ids.push_back(person.person_id);
        std::vector<std::string> of_person = keys_of(person);
        if (of_person.size() > kMaxSearchKeysPerPerson) of_person.resize(kMaxSearchKeysPerPerson);
        for (std::string& key : of_person) {
          keys.push_back(std::move(key));
          owners.push_back(person.person_id);
        }
      }
      if (ids.empty()) return std::size_t{0};
      auto replaced = query(kReplaceSearchKeys,
                            Params().add(array_literal(ids)).add(array_literal(keys)).add(array_literal(owners)),
                            "search keys");
      if (!replaced) return tl::unexpected(replaced.error());
      return ids.size();
    }();
    if (!done) {
      if (PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
      return done;
    }
    if (auto ok = exec_script("COMMIT", "search keys"); !ok) return tl::unexpected(ok.error());
    return done;
  }

  Result<std::vector<std::int64_t>> search_persons(const PersonSearch& search) override {
    auto r = query(kSearchPersons,
                   Params()
                       .add(search.key_prefix)
                       .add(std::string(search.key_prefix).append(kAfterEveryCharacter))
                       .add(search.region_prefix)
                       .add(search.limit * static_cast<std::int64_t>(kMaxSearchKeysPerPerson)),
                   "search persons");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    std::vector<std::int64_t> out;
    for (int i = 0; i < PQntuples(q) && static_cast<std::int64_t>(out.size()) < search.limit; ++i) {
      const std::int64_t id = int_of(q, i, 0);
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
    return out;
  }

 private:
  // As PostgresDatabase::error: a lost connection is io_error, a unique
  // violation conflict, anything else internal with its SQLSTATE.
  tl::unexpected<Error> error(const char* what, const PGresult* r) {
    std::string message = r ? PQresultErrorMessage(r) : "";
    if (message.empty()) message = PQerrorMessage(conn_);
    message = one_line(message);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state ? state : "";
    if (PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08") || sqlstate == "57P01" ||
        sqlstate == "57P02" || sqlstate == "57P03") {
      return fail(ErrorCode::io_error, std::string("postgresql: ") + what,
                  "the connection to PostgreSQL was lost (" + message + ")");
    }
    if (sqlstate == "23505") return fail(ErrorCode::conflict, std::string("postgresql: ") + what, message);
    if (sqlstate.starts_with("53") || sqlstate.starts_with("58")) {
      return fail(ErrorCode::io_error, std::string("postgresql: ") + what, message);
    }
    return fail(ErrorCode::internal, std::string("postgresql: ") + what,
                message + (sqlstate.empty() ? "" : " [" + sqlstate + "]"));
  }

  Result<std::pair<std::int64_t, bool>> queue_review_pair(const ReviewPair& p) override {
    if (!(p.person_a < p.person_b)) return fail(ErrorCode::invalid_input, "person_a", "person_a must sort before person_b");
    auto r = query(kQueuePair,
                   Params().add(p.person_a).add(p.person_b).add(p.probability).add(p.weight).add(p.evidence)
                       .add(p.source).add(p.found_at),
                   "queue review pair");
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) != 1) return fail(ErrorCode::internal, "postgresql: queue review pair", "no pair id");
    return std::pair<std::int64_t, bool>(int_of(r->get(), 0, 0), int_of(r->get(), 0, 1) == 1);
  }

  Result<std::vector<ReviewPair>> review_pairs(std::string_view status, std::string_view region_like,
                                               std::int64_t after_id, std::int64_t limit) override {
    return pair_query(kReviewPairs, Params().add(status).add(region_like).add(after_id).add_limit(limit));
  }

  Result<std::optional<ReviewPair>> find_review_pair(std::int64_t pair_id) override {
    auto rows = pair_query(kFindPair, Params().add(pair_id));
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<ReviewPair>();
    return std::optional<ReviewPair>(std::move(rows->front()));
  }

  Result<bool> decide_review_pair(const ReviewPair& d, std::string_view from,
                                  const std::optional<MergeRecord>& entry) override {
    if (auto ok = query("BEGIN", Params(), "decide review pair"); !ok) return tl::unexpected(ok.error());
    auto done = [&]() -> Result<bool> {
      auto r = query(kDecidePair,
                     Params().add(d.pair_id).add(d.status).add(d.decided_by).add(d.decided_at).add(d.reason)
                         .add(d.merge_sequence).add(from),
                     "decide review pair");
      if (!r) return tl::unexpected(r.error());
      if (std::string_view(PQcmdTuples(r->get())) != "1") return false;
      if (!entry) return true;
      auto m = query(kInsertMerge,
                     Params().add(entry->sequence).add(entry->kind).add(entry->survivor).add(entry->merged)
                         .add(entry->undoes).add(entry->actor).add(entry->reason).add(entry->at).add(entry->pair_id),
                     "append merge log");
      if (!m) {
        Error e = m.error();
        if (e.code == ErrorCode::conflict) {
          e.field = "sequence";
          e.message = "merge log entry " + std::to_string(entry->sequence) + " exists";
        }
        return tl::unexpected(e);
      }
      return true;
    }();
    if (!done || !*done) {
      PQclear(PQexec(conn_, "ROLLBACK"));
      return done;
    }
    if (auto ok = query("COMMIT", Params(), "decide review pair"); !ok) return tl::unexpected(ok.error());
    return true;
  }

  Result<std::vector<MergeRecord>> merge_log() override { return merge_query(kMergeLog, Params()); }
  // A change is asked for above the oldest transaction open at the last read
  // less one (changes_seen): see MatchRead in storage/api_store.h.
  Result<MatchRead> read_persons_for_matching(std::int64_t after, const std::vector<MatchGap>& gaps,
                                              std::int64_t changed_after) override {
    std::string firsts = "{", lasts = "{";
    for (const MatchGap& g : gaps) {
      const char* comma = firsts.size() > 1 ? "," : "";
      firsts += comma + std::to_string(g.first);
      lasts += comma + std::to_string(g.last);
    }
    firsts += '}';
    lasts += '}';
    auto r = query(kMatchPersons, Params().add(after).add(firsts).add(lasts).add(changed_after),
                   "persons for matching");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    MatchRead out;
    out.persons.reserve(static_cast<std::size_t>(PQntuples(q)));
    for (int i = 0; i < PQntuples(q); ++i) {
      out.oldest_open = int_of(q, i, 0);
      out.next = int_of(q, i, 1);
      if (null_at(q, i, 2)) continue;  // nothing found: the bounds alone
      (int_of(q, i, 8) == 1 ? out.changed : out.persons)
          .push_back(MatchPerson{int_of(q, i, 2), text_of(q, i, 3), text_of(q, i, 4), text_of(q, i, 5),
                                 text_of(q, i, 6), text_of(q, i, 7)});
    }
    out.changes_seen = out.oldest_open - 1;
    return out;
  }
  Result<std::vector<MergeRecord>> standing_merges_of(std::string_view resident_id) override {
    return merge_query(kStandingMerges, Params().add(resident_id));
  }

  // A lost connection (a server restart) is reopened before the next statement;
  // the statement that met the loss has failed with io_error.
  bool ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return true;
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return false;
    PQclear(PQexec(conn_, "SET datestyle TO ISO, YMD; SET client_min_messages TO warning"));
    return true;
  }

  Result<PgResult> query(const char* sql, const Params& params, const char* what, int result_format = 0) {
    if (!ensure_connected()) return error(what, nullptr);
    const auto values = params.pointers();
    const auto lengths = params.lengths();
    PgResult r(PQexecParams(conn_, sql, params.size(), nullptr, values.data(), lengths.data(), params.formats(),
                            result_format));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error(what, r.get());
    return r;
  }

  // Several statements in one round trip; the first error is the result.
  Result<void> exec_script(const std::string& sql, const char* what) {
    if (!ensure_connected()) return error(what, nullptr);
    if (PQsendQuery(conn_, sql.c_str()) != 1) return error(what, nullptr);
    std::optional<Error> problem;
    while (PGresult* next = PQgetResult(conn_)) {
      PgResult r(next);
      const auto status = PQresultStatus(r.get());
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && !problem) problem = error(what, r.get()).value();
    }
    if (problem) return tl::unexpected(*problem);
    if (PQstatus(conn_) != CONNECTION_OK) return error(what, nullptr);
    return {};
  }

  Result<std::string> quote(std::string_view text) {
    char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
    if (quoted == nullptr) {
      return fail(ErrorCode::invalid_input, "postgresql: append audit", one_line(PQerrorMessage(conn_)));
    }
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
  }

  Result<std::optional<User>> user_query(const char* sql, const Params& params) {
    auto r = query(sql, params, "find user");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    if (PQntuples(q) == 0) return std::optional<User>();
    User u{int_of(q, 0, 0),  text_of(q, 0, 1), text_of(q, 0, 2), text_of(q, 0, 3),
           text_of(q, 0, 4), text_of(q, 0, 5), text_of(q, 0, 6), int_of(q, 0, 7) != 0};
    return std::optional<User>(std::move(u));
  }

  Result<std::vector<AuditRecord>> audit_query(const char* sql, const Params& params) {
    auto r = query(sql, params, "audit log");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    std::vector<AuditRecord> out;
    out.reserve(static_cast<std::size_t>(PQntuples(q)));
    for (int i = 0; i < PQntuples(q); ++i) {
      out.push_back(AuditRecord{int_of(q, i, 0), text_of(q, i, 1), text_of(q, i, 2), text_of(q, i, 3),
                                text_of(q, i, 4), text_of(q, i, 5), text_of(q, i, 6), text_of(q, i, 7),
                                text_of(q, i, 8), text_of(q, i, 9)});
    }
    return out;
  }

  Result<std::vector<ReviewPair>> pair_query(const char* sql, const Params& params) {
    auto r = query(sql, params, "review pairs");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    std::vector<ReviewPair> out;
    for (int i = 0; i < PQntuples(q); ++i) {
      out.push_back(ReviewPair{int_of(q, i, 0), text_of(q, i, 1), text_of(q, i, 2), std::stod(text_of(q, i, 3)),
                               std::stod(text_of(q, i, 4)), text_of(q, i, 5), text_of(q, i, 6), text_of(q, i, 7),
                               text_of(q, i, 8), text_of(q, i, 9), text_of(q, i, 10), text_of(q, i, 11),
                               int_of(q, i, 12)});
    }
    return out;
  }

  Result<std::vector<MergeRecord>> merge_query(const char* sql, const Params& params) {
    auto r = query(sql, params, "merge log");
    if (!r) return tl::unexpected(r.error());
    const PGresult* q = r->get();
    std::vector<MergeRecord> out;
    for (int i = 0; i < PQntuples(q); ++i) {
      out.push_back(MergeRecord{int_of(q, i, 0), text_of(q, i, 1), text_of(q, i, 2), text_of(q, i, 3),
                                int_of(q, i, 4), text_of(q, i, 5), text_of(q, i, 6), text_of(q, i, 7),
                                int_of(q, i, 8)});
    }
    return out;
  }

  PGconn* conn_;
};

}  // namespace

Result<std::unique_ptr<ApiStore>> open_postgres_api_store(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = one_line(conn ? PQerrorMessage(conn) : "out of memory");
    PQfinish(conn);
    return fail(ErrorCode::io_error, "--db",
                "cannot connect to PostgreSQL: " + message + "; check that the server runs and the URL is right");
  }
  PQclear(PQexec(conn, "SET datestyle TO ISO, YMD; SET client_min_messages TO warning"));
  return std::unique_ptr<ApiStore>(std::make_unique<PostgresApiStore>(conn));
}

}  // namespace shebao::storage
