#include "storage/sqlite/sqlite_database.h"

#include <sqlite3.h>

#include <map>
#include <unordered_map>

namespace shebao::storage {
namespace {

using registry::Person;
using registry::Employer;

// ---------------------------------------------------------------------------
// Migrations: append only. A released migration is never edited.
struct Migration {
  int version;
  const char* description;
  const char* sql;
};

const Migration kMigrations[] = {
    {1, "registry, declarations, payments, ledger",
     R"SQL(
CREATE TABLE persons (
  person_id INTEGER PRIMARY KEY,
  resident_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  name_pinyin TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL,
  birth_date TEXT NOT NULL,
  hukou_region TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  retirement_category TEXT NOT NULL,
  scheme TEXT NOT NULL,
  scheme_region TEXT NOT NULL DEFAULT '',
  flexible_base_ratio TEXT
);
CREATE TABLE employers (
  employer_id INTEGER PRIMARY KEY,
  credit_code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  region TEXT NOT NULL,
  size TEXT NOT NULL,
  unit_type TEXT NOT NULL
);
CREATE TABLE employment_spells (
  person_id INTEGER NOT NULL,
  employer_id INTEGER NOT NULL,
  hire_date TEXT NOT NULL,
  leave_date TEXT,
  PRIMARY KEY (person_id, employer_id, hire_date)
) WITHOUT ROWID;
CREATE TABLE declarations (
  declaration_id INTEGER PRIMARY KEY,
  employer_id INTEGER NOT NULL,
  month INTEGER NOT NULL,
  version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  source TEXT NOT NULL,
  line_count INTEGER NOT NULL,
  superseded INTEGER NOT NULL DEFAULT 0,
  UNIQUE (employer_id, month, version)
);
CREATE INDEX declarations_by_month ON declarations (month, superseded);
CREATE TABLE declaration_lines (
  declaration_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  wage_fen INTEGER NOT NULL,
  days_worked INTEGER NOT NULL,
  event TEXT NOT NULL DEFAULT '',
  event_date TEXT,
  PRIMARY KEY (declaration_id, person_id)
) WITHOUT ROWID;
CREATE TABLE payments (
  employer_id INTEGER NOT NULL,
  month INTEGER NOT NULL,
  paid_on TEXT NOT NULL,
  PRIMARY KEY (employer_id, month)
) WITHOUT ROWID;
CREATE TABLE employer_months (
  employer_id INTEGER NOT NULL,
  month INTEGER NOT NULL,
  dues_fen INTEGER NOT NULL,
  paid_fen INTEGER NOT NULL,
  PRIMARY KEY (employer_id, month)
) WITHOUT ROWID;
CREATE TABLE journal_entries (
  entry_id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  person_id INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  month INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  corrects_entry_id INTEGER
);
CREATE INDEX journal_by_source ON journal_entries (kind, source_id);
CREATE INDEX journal_by_correction ON journal_entries (corrects_entry_id) WHERE corrects_entry_id IS NOT NULL;
CREATE TABLE postings (
  entry_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  account_kind INTEGER NOT NULL,
  account_owner INTEGER NOT NULL,
  amount_fen INTEGER NOT NULL,
  PRIMARY KEY (entry_id, seq)
) WITHOUT ROWID;
)SQL"},
};

// ---------------------------------------------------------------------------
// Statements, named.
constexpr const char* kUpsertPerson = R"SQL(
INSERT INTO persons (resident_id, name, name_pinyin, sex, birth_date, hukou_region, phone, retirement_category,
                     scheme, scheme_region, flexible_base_ratio)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (resident_id) DO UPDATE SET name = excluded.name, name_pinyin = excluded.name_pinyin,
  hukou_region = excluded.hukou_region, phone = excluded.phone, retirement_category = excluded.retirement_category,
  scheme = excluded.scheme, scheme_region = excluded.scheme_region, flexible_base_ratio = excluded.flexible_base_ratio
RETURNING person_id)SQL";
constexpr const char* kUpsertEmployer = R"SQL(
INSERT INTO employers (credit_code, name, region, size, unit_type) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (credit_code) DO UPDATE SET name = excluded.name, region = excluded.region, size = excluded.size,
  unit_type = excluded.unit_type
RETURNING employer_id)SQL";
constexpr const char* kFindPerson = R"SQL(
SELECT person_id, resident_id, name, name_pinyin, sex, birth_date, hukou_region, phone, retirement_category, scheme,
       scheme_region, flexible_base_ratio FROM persons WHERE resident_id = ?1)SQL";
constexpr const char* kFindEmployer =
    "SELECT employer_id, credit_code, name, region, size, unit_type FROM employers WHERE credit_code = ?1";
constexpr const char* kEmployedIn = R"SQL(
SELECT 1 FROM employment_spells WHERE person_id = ?1 AND employer_id = ?2 AND hire_date <= ?4
  AND (leave_date IS NULL OR leave_date >= ?3) LIMIT 1)SQL";
constexpr const char* kRecordHire =
    "INSERT OR IGNORE INTO employment_spells (person_id, employer_id, hire_date) VALUES (?1, ?2, ?3)";
constexpr const char* kRecordLeave = R"SQL(
UPDATE employment_spells SET leave_date = ?3 WHERE person_id = ?1 AND employer_id = ?2 AND hire_date = (
  SELECT MAX(hire_date) FROM employment_spells WHERE person_id = ?1 AND employer_id = ?2 AND hire_date <= ?3))SQL";
constexpr const char* kLatestDeclaration = R"SQL(
SELECT declaration_id, version, content_hash FROM declarations WHERE employer_id = ?1 AND month = ?2
ORDER BY version DESC LIMIT 1)SQL";
constexpr const char* kSupersede = "UPDATE declarations SET superseded = 1 WHERE employer_id = ?1 AND month = ?2";
constexpr const char* kInsertDeclaration = R"SQL(
INSERT INTO declarations (employer_id, month, version, content_hash, source, line_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6))SQL";
constexpr const char* kInsertDeclarationLine = R"SQL(
INSERT INTO declaration_lines (declaration_id, person_id, wage_fen, days_worked, event, event_date)
VALUES (?1, ?2, ?3, ?4, ?5, ?6))SQL";
constexpr const char* kRecordPayment = R"SQL(
INSERT INTO payments (employer_id, month, paid_on) VALUES (?1, ?2, ?3)
ON CONFLICT (employer_id, month) DO UPDATE SET paid_on = excluded.paid_on WHERE paid_on <> excluded.paid_on)SQL";
constexpr const char* kDeclarationsToBook = R"SQL(
SELECT d.declaration_id FROM declarations d WHERE d.month = ?1 AND d.superseded = 0
  AND NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.kind = 1 AND e.source_id = d.declaration_id)
ORDER BY d.declaration_id)SQL";
constexpr const char* kDeclaredPersonMonths = R"SQL(
SELECT l.person_id, d.employer_id, e.region, e.size, e.unit_type, d.month, l.wage_fen
FROM declaration_lines l JOIN declarations d ON d.declaration_id = l.declaration_id
JOIN employers e ON e.employer_id = d.employer_id WHERE l.declaration_id = ?1)SQL";
constexpr const char* kEntriesToReverse = R"SQL(
SELECT e.entry_id, e.idempotency_key, e.person_id, e.kind, e.month, e.source_id, p.account_kind, p.account_owner,
       p.amount_fen
FROM declarations d JOIN journal_entries e ON e.kind = 1 AND e.source_id = d.declaration_id
JOIN postings p ON p.entry_id = e.entry_id
WHERE d.month = ?1 AND d.superseded = 1
  AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = e.entry_id)
ORDER BY e.entry_id, p.seq)SQL";
constexpr const char* kFlexibleToBook = R"SQL(
SELECT p.person_id, p.scheme_region, p.flexible_base_ratio FROM persons p
WHERE p.scheme = 'flexible' AND NOT EXISTS (
  SELECT 1 FROM journal_entries e WHERE e.idempotency_key = 'flexible/' || p.person_id || '/' || ?2)
ORDER BY p.person_id)SQL";
constexpr const char* kEmployerDues = R"SQL(
SELECT m.employer_id, e.region, m.month, m.dues_fen, m.paid_fen, p.paid_on
FROM employer_months m JOIN employers e ON e.employer_id = m.employer_id
LEFT JOIN payments p ON p.employer_id = m.employer_id AND p.month = m.month
WHERE m.month <= ?1 ORDER BY m.employer_id, m.month)SQL";
constexpr const char* kAddEmployerMonth = R"SQL(
INSERT INTO employer_months (employer_id, month, dues_fen, paid_fen) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (employer_id, month) DO UPDATE SET dues_fen = dues_fen + excluded.dues_fen,
  paid_fen = paid_fen + excluded.paid_fen)SQL";
constexpr const char* kEntryExists = "SELECT 1 FROM journal_entries WHERE idempotency_key = ?1";
constexpr const char* kInsertEntry = R"SQL(
INSERT INTO journal_entries (idempotency_key, person_id, kind, month, source_id, corrects_entry_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6))SQL";
constexpr const char* kInsertPosting = R"SQL(
INSERT INTO postings (entry_id, seq, person_id, account_kind, account_owner, amount_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6))SQL";
constexpr const char* kPersonalYear = R"SQL(
SELECT p.account_owner, e.month, SUM(p.amount_fen)
FROM postings p JOIN journal_entries e ON e.entry_id = p.entry_id
WHERE p.account_kind = 1 AND e.month < ?2 AND NOT (e.kind = 5 AND e.month >= ?1)
GROUP BY p.account_owner, e.month ORDER BY p.account_owner, e.month)SQL";
constexpr const char* kPersonRegion =
    "SELECT person_id, CASE WHEN scheme_region <> '' THEN scheme_region ELSE hukou_region END FROM persons";

// ---------------------------------------------------------------------------

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Result<void> prepare(sqlite3* db, const char* sql) {
    if (stmt_ != nullptr) return {};
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      return fail(ErrorCode::internal, "sqlite", std::string("prepare failed: ") + sqlite3_errmsg(db));
    }
    return {};
  }
  sqlite3_stmt* get() { return stmt_; }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int index) { sqlite3_bind_null(stmt_, index); }
  std::int64_t int64(int column) { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) {
    const unsigned char* value = sqlite3_column_text(stmt_, column);
    return value ? std::string(reinterpret_cast<const char*>(value)) : std::string();
  }
  bool is_null(int column) { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  ~SqliteDatabase() override {
    statements_.clear();
    sqlite3_close_v2(db_);
  }

  std::string_view backend() const override { return "sqlite"; }

  Result<void> exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : "unknown error";
      sqlite3_free(message);
      return error("exec", text);
    }
    return {};
  }

  Result<int> migrate() override {
    if (auto made = exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                         "description TEXT NOT NULL)");
        !made) {
      return tl::unexpected(made.error());
    }
    int current = 0;
    {
      Statement query;
      if (auto ok = query.prepare(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"); !ok) {
        return tl::unexpected(ok.error());
      }
      if (sqlite3_step(query.get()) == SQLITE_ROW) current = static_cast<int>(query.int64(0));
    }
    for (const Migration& migration : kMigrations) {
      if (migration.version <= current) continue;
      if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return tl::unexpected(ok.error());
      auto applied = exec(migration.sql);
      if (applied) {
        Statement record;
        applied = record.prepare(db_, "INSERT INTO schema_migrations (version, description) VALUES (?1, ?2)");
        if (applied) {
          record.bind(1, static_cast<std::int64_t>(migration.version));
          record.bind(2, std::string_view(migration.description));
          if (sqlite3_step(record.get()) != SQLITE_DONE) applied = error("migrate", sqlite3_errmsg(db_));
        }
      }
      if (!applied) {
        exec("ROLLBACK");
        return tl::unexpected(applied.error());
      }
      if (auto ok = exec("COMMIT"); !ok) return tl::unexpected(ok.error());
      current = migration.version;
    }
    return current;
  }

  Result<void> begin() override { return exec("BEGIN IMMEDIATE"); }
  Result<void> commit() override { return exec("COMMIT"); }
  void rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  // --- registry ---
  Result<std::int64_t> upsert_person(const Person& person) override {
    auto s = statement(kUpsertPerson);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, person.resident_id);
    q.bind(2, person.name);
    q.bind(3, person.name_pinyin);
    q.bind(4, registry::to_string(person.sex));
    q.bind(5, person.birth_date.to_string());
    q.bind(6, person.hukou_region);
    q.bind(7, person.phone);
    q.bind(8, person.retirement_category);
    q.bind(9, registry::to_string(person.scheme));
    q.bind(10, person.scheme_region);
    if (person.flexible_base_ratio) q.bind(11, person.flexible_base_ratio->to_string());
    return single_int(q, "upsert person");
  }

  Result<std::int64_t> upsert_employer(const Employer& employer) override {
    auto s = statement(kUpsertEmployer);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer.credit_code);
    q.bind(2, employer.name);
    q.bind(3, employer.region);
    q.bind(4, registry::to_string(employer.size));
    q.bind(5, registry::to_string(employer.unit_type));
    return single_int(q, "upsert employer");
  }

  Result<std::optional<Person>> find_person(std::string_view resident_id) override {
    auto s = statement(kFindPerson);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, resident_id);
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) {
      q.reset();
      return std::optional<Person>();
    }
    if (rc != SQLITE_ROW) return step_error(q, "find person");
    Person person;
    person.person_id = q.int64(0);
    person.resident_id = q.text(1);
    person.name = q.text(2);
    person.name_pinyin = q.text(3);
    person.sex = q.text(4) == "male" ? registry::Sex::male : registry::Sex::female;
    person.birth_date = *Date::parse(q.text(5));
    person.hukou_region = q.text(6);
    person.phone = q.text(7);
    person.retirement_category = q.text(8);
    person.scheme = *registry::parse_scheme(q.text(9));
    person.scheme_region = q.text(10);
    if (!q.is_null(11)) person.flexible_base_ratio = *Decimal::parse(q.text(11));
    q.reset();
    return std::optional<Person>(std::move(person));
  }

  Result<std::optional<Employer>> find_employer(std::string_view credit_code) override {
    auto s = statement(kFindEmployer);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, credit_code);
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) {
      q.reset();
      return std::optional<Employer>();
    }
    if (rc != SQLITE_ROW) return step_error(q, "find employer");
    Employer employer;
    employer.employer_id = q.int64(0);
    employer.credit_code = q.text(1);
    employer.name = q.text(2);
    employer.region = q.text(3);
    employer.size = *registry::parse_employer_size(q.text(4));
    employer.unit_type = *registry::parse_unit_type(q.text(5));
    q.reset();
    return std::optional<Employer>(std::move(employer));
  }

  Result<bool> employed_in(std::int64_t person_id, std::int64_t employer_id, YearMonth month) override {
    auto s = statement(kEmployedIn);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, person_id);
    q.bind(2, employer_id);
    q.bind(3, Date::first_of(month).to_string());
    q.bind(4, Date::last_of(month).to_string());
    const int rc = sqlite3_step(q.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return step_error(q, "employment");
    q.reset();
    return rc == SQLITE_ROW;
  }

  Result<void> record_hire(std::int64_t person_id, std::int64_t employer_id, Date hire_date) override {
    auto s = statement(kRecordHire);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, person_id);
    q.bind(2, employer_id);
    q.bind(3, hire_date.to_string());
    return run(q, "record hire");
  }

  Result<void> record_leave(std::int64_t person_id, std::int64_t employer_id, Date leave_date) override {
    auto s = statement(kRecordLeave);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, person_id);
    q.bind(2, employer_id);
    q.bind(3, leave_date.to_string());
    return run(q, "record leave");
  }

  // --- declarations ---
  Result<std::optional<StoredDeclaration>> latest_declaration(std::int64_t employer_id, YearMonth month) override {
    auto s = statement(kLatestDeclaration);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer_id);
    q.bind(2, static_cast<std::int64_t>(month.serial()));
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) {
      q.reset();
      return std::optional<StoredDeclaration>();
    }
    if (rc != SQLITE_ROW) return step_error(q, "latest declaration");
    StoredDeclaration stored{q.int64(0), static_cast<int>(q.int64(1)), q.text(2)};
    q.reset();
    return std::optional<StoredDeclaration>(std::move(stored));
  }

  Result<std::int64_t> insert_declaration(std::int64_t employer_id, YearMonth month, int version,
                                          std::string_view content_hash, std::string_view source,
                                          const std::vector<DeclarationLine>& lines) override {
    {
      auto s = statement(kSupersede);
      if (!s) return tl::unexpected(s.error());
      (*s)->bind(1, employer_id);
      (*s)->bind(2, static_cast<std::int64_t>(month.serial()));
      if (auto ok = run(**s, "supersede declaration"); !ok) return tl::unexpected(ok.error());
    }
    auto s = statement(kInsertDeclaration);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer_id);
    q.bind(2, static_cast<std::int64_t>(month.serial()));
    q.bind(3, static_cast<std::int64_t>(version));
    q.bind(4, content_hash);
    q.bind(5, source);
    q.bind(6, static_cast<std::int64_t>(lines.size()));
    if (auto ok = run(q, "insert declaration"); !ok) return tl::unexpected(ok.error());
    const std::int64_t declaration_id = sqlite3_last_insert_rowid(db_);
    auto l = statement(kInsertDeclarationLine);
    if (!l) return tl::unexpected(l.error());
    Statement& line_statement = **l;
    for (const DeclarationLine& line : lines) {
      line_statement.bind(1, declaration_id);
      line_statement.bind(2, line.person_id);
      line_statement.bind(3, line.wage_fen);
      line_statement.bind(4, static_cast<std::int64_t>(line.days_worked));
      line_statement.bind(5, line.event);
      if (line.event_date) line_statement.bind(6, line.event_date->to_string());
      if (auto ok = run(line_statement, "insert declaration line"); !ok) return tl::unexpected(ok.error());
    }
    return declaration_id;
  }

  Result<bool> record_payment(std::int64_t employer_id, YearMonth month, Date paid_on) override {
    auto s = statement(kRecordPayment);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer_id);
    q.bind(2, static_cast<std::int64_t>(month.serial()));
    q.bind(3, paid_on.to_string());
    if (auto ok = run(q, "record payment"); !ok) return tl::unexpected(ok.error());
    return sqlite3_changes(db_) > 0;
  }

  // --- month run ---
  Result<std::vector<std::int64_t>> declarations_to_book(YearMonth month) override {
    auto s = statement(kDeclarationsToBook);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, static_cast<std::int64_t>(month.serial()));
    std::vector<std::int64_t> ids;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) ids.push_back(q.int64(0));
    if (rc != SQLITE_DONE) return step_error(q, "declarations to book");
    q.reset();
    return ids;
  }

  Result<std::vector<collection::DeclaredPersonMonth>> declared_person_months(std::int64_t declaration_id) override {
    auto s = statement(kDeclaredPersonMonths);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, declaration_id);
    std::vector<collection::DeclaredPersonMonth> rows;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      collection::DeclaredPersonMonth row;
      row.declaration_id = declaration_id;
      row.person_id = q.int64(0);
      row.employer_id = q.int64(1);
      row.employer_region = q.text(2);
      row.employer_size = *registry::parse_employer_size(q.text(3));
      row.unit_type = *registry::parse_unit_type(q.text(4));
      row.month = YearMonth::from_serial(static_cast<int>(q.int64(5)));
      row.declared_wage = Money::from_fen(q.int64(6));
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return step_error(q, "declared person-months");
    q.reset();
    return rows;
  }

  Result<std::vector<StoredEntry>> entries_to_reverse(YearMonth month) override {
    auto s = statement(kEntriesToReverse);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, static_cast<std::int64_t>(month.serial()));
    std::vector<StoredEntry> entries;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      const std::int64_t entry_id = q.int64(0);
      if (entries.empty() || entries.back().entry_id != entry_id) {
        StoredEntry stored;
        stored.entry_id = entry_id;
        stored.entry.idempotency_key = q.text(1);
        stored.entry.person_id = q.int64(2);
        stored.entry.kind = static_cast<ledger::EntryKind>(q.int64(3));
        stored.entry.month = YearMonth::from_serial(static_cast<int>(q.int64(4)));
        stored.entry.source_id = q.int64(5);
        entries.push_back(std::move(stored));
      }
      entries.back().entry.postings.push_back(ledger::Posting{
          ledger::AccountRef{static_cast<ledger::AccountKind>(q.int64(6)), q.int64(7)}, q.int64(8)});
    }
    if (rc != SQLITE_DONE) return step_error(q, "entries to reverse");
    q.reset();
    return entries;
  }

  Result<std::vector<collection::FlexibleMonth>> flexible_months_to_book(YearMonth month) override {
    auto s = statement(kFlexibleToBook);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(2, month.to_string());
    std::vector<collection::FlexibleMonth> rows;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      collection::FlexibleMonth row;
      row.person_id = q.int64(0);
      row.scheme_region = q.text(1);
      row.base_ratio = q.is_null(2) ? Decimal() : *Decimal::parse(q.text(2));
      row.month = month;
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return step_error(q, "flexible months");
    q.reset();
    return rows;
  }

  Result<std::vector<EmployerMonthDues>> employer_dues(YearMonth up_to) override {
    auto s = statement(kEmployerDues);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, static_cast<std::int64_t>(up_to.serial()));
    std::vector<EmployerMonthDues> rows;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      EmployerMonthDues row;
      row.employer_id = q.int64(0);
      row.employer_region = q.text(1);
      row.month = YearMonth::from_serial(static_cast<int>(q.int64(2)));
      row.dues_fen = q.int64(3);
      row.paid_fen = q.int64(4);
      if (!q.is_null(5)) row.paid_on = *Date::parse(q.text(5));
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return step_error(q, "employer dues");
    q.reset();
    return rows;
  }

  Result<void> add_employer_month(std::int64_t employer_id, YearMonth month, std::int64_t dues_delta_fen,
                                  std::int64_t paid_delta_fen) override {
    auto s = statement(kAddEmployerMonth);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer_id);
    q.bind(2, static_cast<std::int64_t>(month.serial()));
    q.bind(3, dues_delta_fen);
    q.bind(4, paid_delta_fen);
    return run(q, "employer month");
  }

  // --- ledger ---
  Result<bool> entry_exists(std::string_view idempotency_key) override {
    auto s = statement(kEntryExists);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, idempotency_key);
    const int rc = sqlite3_step(q.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return step_error(q, "entry exists");
    q.reset();
    return rc == SQLITE_ROW;
  }

  Result<std::int64_t> book(const ledger::JournalEntry& entry) override {
    if (auto ok = ledger::check_entry(entry); !ok) return tl::unexpected(ok.error());
    auto s = statement(kInsertEntry);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, entry.idempotency_key);
    q.bind(2, entry.person_id);
    q.bind(3, static_cast<std::int64_t>(entry.kind));
    q.bind(4, static_cast<std::int64_t>(entry.month.serial()));
    q.bind(5, entry.source_id);
    if (entry.corrects_entry_id) q.bind(6, *entry.corrects_entry_id);
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_CONSTRAINT) {
      q.reset();
      return fail(ErrorCode::conflict, entry.idempotency_key, "this entry is already booked");
    }
    if (rc != SQLITE_DONE) return step_error(q, "book entry");
    q.reset();
    const std::int64_t entry_id = sqlite3_last_insert_rowid(db_);
    auto p = statement(kInsertPosting);
    if (!p) return tl::unexpected(p.error());
    Statement& posting_statement = **p;
    std::int64_t seq = 0;
    for (const ledger::Posting& posting : entry.postings) {
      posting_statement.bind(1, entry_id);
      posting_statement.bind(2, seq++);
      posting_statement.bind(3, entry.person_id);
      posting_statement.bind(4, static_cast<std::int64_t>(posting.account.kind));
      posting_statement.bind(5, posting.account.owner);
      posting_statement.bind(6, posting.amount_fen);
      if (auto ok = run(posting_statement, "book posting"); !ok) return tl::unexpected(ok.error());
    }
    return entry_id;
  }

  Result<std::vector<PersonalYear>> personal_year_activity(int year) override {
    std::unordered_map<std::int64_t, std::string> regions;
    {
      auto s = statement(kPersonRegion);
      if (!s) return tl::unexpected(s.error());
      int rc;
      while ((rc = sqlite3_step((*s)->get())) == SQLITE_ROW) regions[(*s)->int64(0)] = (*s)->text(1);
      if (rc != SQLITE_DONE) return step_error(**s, "person regions");
      (*s)->reset();
    }
    auto s = statement(kPersonalYear);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    const int first = YearMonth::of(year, 1).serial();
    q.bind(1, static_cast<std::int64_t>(first));
    q.bind(2, static_cast<std::int64_t>(first + 12));
    std::vector<PersonalYear> rows;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      const std::int64_t owner = q.int64(0);
      const int month_serial = static_cast<int>(q.int64(1));
      const std::int64_t credit = -q.int64(2);  // personal accounts are credit-normal
      if (rows.empty() || rows.back().person_id != owner) {
        PersonalYear row;
        row.person_id = owner;
        row.region = regions[owner];
        rows.push_back(std::move(row));
      }
      if (month_serial < first) {
        rows.back().opening_fen += credit;
      } else if (credit != 0) {
        rows.back().credits.emplace_back(month_serial - first + 1, credit);
      }
    }
    if (rc != SQLITE_DONE) return step_error(q, "personal year");
    q.reset();
    return rows;
  }

  // --- checks ---
  Result<std::vector<VerifyCheck>> verify() override;
  Result<Stats> stats() override;

 private:
  Result<Statement*> statement(const char* sql) {
    auto& slot = statements_[sql];
    if (!slot) slot = std::make_unique<Statement>();
    if (auto ok = slot->prepare(db_, sql); !ok) return tl::unexpected(ok.error());
    slot->reset();
    return slot.get();
  }

  tl::unexpected<Error> error(const char* what, const std::string& message) {
    const int code = sqlite3_errcode(db_);
    const ErrorCode mapped = (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN ||
                              code == SQLITE_BUSY || code == SQLITE_READONLY)
                                 ? ErrorCode::io_error
                                 : ErrorCode::internal;
    return fail(mapped, std::string("sqlite: ") + what, message);
  }
  tl::unexpected<Error> step_error(Statement& q, const char* what) {
    auto e = error(what, sqlite3_errmsg(db_));
    q.reset();
    return e;
  }

  Result<void> run(Statement& q, const char* what) {
    const int rc = sqlite3_step(q.get());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return step_error(q, what);
    q.reset();
    return {};
  }

  Result<std::int64_t> single_int(Statement& q, const char* what) {
    const int rc = sqlite3_step(q.get());
    if (rc != SQLITE_ROW) return step_error(q, what);
    const std::int64_t value = q.int64(0);
    sqlite3_step(q.get());  // finish RETURNING
    q.reset();
    return value;
  }

  Result<std::int64_t> scalar(const char* sql) {
    auto s = statement(sql);
    if (!s) return tl::unexpected(s.error());
    const int rc = sqlite3_step((*s)->get());
    if (rc != SQLITE_ROW) return step_error(**s, "query");
    const std::int64_t value = (*s)->int64(0);
    (*s)->reset();
    return value;
  }

  // A check whose query returns (count of failures, one example).
  Result<VerifyCheck> check(std::string name, const char* count_sql, const char* failure_sql) {
    VerifyCheck result;
    result.name = std::move(name);
    auto checked = scalar(count_sql);
    if (!checked) return tl::unexpected(checked.error());
    result.checked = *checked;
    auto s = statement(failure_sql);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      if (result.failures == 0) result.first_failure = q.text(0);
      ++result.failures;
    }
    if (rc != SQLITE_DONE) return step_error(q, "verify");
    q.reset();
    return result;
  }

  sqlite3* db_;
  std::map<const char*, std::unique_ptr<Statement>> statements_;
};

Result<std::vector<VerifyCheck>> SqliteDatabase::verify() {
  struct Definition {
    const char* name;
    const char* count_sql;
    const char* failure_sql;
  };
  const Definition definitions[] = {
      {"journal entries sum to zero", "SELECT COUNT(*) FROM journal_entries",
       "SELECT 'entry ' || entry_id || ' sums to ' || SUM(amount_fen) FROM postings GROUP BY entry_id "
       "HAVING SUM(amount_fen) <> 0"},
      {"journal entries have at least two postings", "SELECT COUNT(*) FROM journal_entries",
       "SELECT 'entry ' || e.entry_id || ' (' || e.idempotency_key || ') has ' || COUNT(p.entry_id) || ' postings' "
       "FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.entry_id GROUP BY e.entry_id "
       "HAVING COUNT(p.entry_id) < 2"},
      {"no posting without its journal entry", "SELECT COUNT(*) FROM postings",
       "SELECT 'posting ' || p.entry_id || '#' || p.seq FROM postings p "
       "WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.entry_id = p.entry_id)"},
      {"no duplicate idempotency key", "SELECT COUNT(*) FROM journal_entries",
       "SELECT idempotency_key FROM journal_entries GROUP BY idempotency_key HAVING COUNT(*) > 1"},
      {"postings carry their entry's person_id", "SELECT COUNT(*) FROM postings",
       "SELECT 'posting ' || p.entry_id || '#' || p.seq FROM postings p JOIN journal_entries e "
       "ON e.entry_id = p.entry_id WHERE p.person_id <> e.person_id"},
      {"reversals negate the entry they correct, once",
       "SELECT COUNT(*) FROM journal_entries WHERE corrects_entry_id IS NOT NULL",
       "SELECT 'reversal ' || r.entry_id FROM journal_entries r LEFT JOIN journal_entries o "
       "ON o.entry_id = r.corrects_entry_id WHERE r.corrects_entry_id IS NOT NULL AND (o.entry_id IS NULL OR "
       "(SELECT COUNT(*) FROM journal_entries x WHERE x.corrects_entry_id = r.corrects_entry_id) > 1 OR EXISTS ("
       "SELECT 1 FROM postings a WHERE a.entry_id = r.entry_id AND NOT EXISTS (SELECT 1 FROM postings b "
       "WHERE b.entry_id = o.entry_id AND b.seq = a.seq AND b.account_kind = a.account_kind "
       "AND b.account_owner = a.account_owner AND b.amount_fen = -a.amount_fen)))"},
      {"every line of a booked declaration has exactly one contribution entry",
       "SELECT COUNT(*) FROM declaration_lines l JOIN declarations d ON d.declaration_id = l.declaration_id "
       "WHERE EXISTS (SELECT 1 FROM journal_entries e WHERE e.kind = 1 AND e.source_id = d.declaration_id)",
       "SELECT 'declaration ' || d.declaration_id || ' person ' || l.person_id FROM declaration_lines l "
       "JOIN declarations d ON d.declaration_id = l.declaration_id "
       "WHERE EXISTS (SELECT 1 FROM journal_entries e WHERE e.kind = 1 AND e.source_id = d.declaration_id) "
       "AND (SELECT COUNT(*) FROM journal_entries e WHERE e.idempotency_key = "
       "'contribution/' || d.declaration_id || '/' || l.person_id) <> 1"},
      {"no contribution entry without its declaration line",
       "SELECT COUNT(*) FROM journal_entries WHERE kind = 1",
       "SELECT e.idempotency_key FROM journal_entries e WHERE e.kind = 1 AND NOT EXISTS ("
       "SELECT 1 FROM declaration_lines l WHERE l.declaration_id = e.source_id AND l.person_id = e.person_id)"},
      {"employer-month dues equal the booked receivables",
       "SELECT COUNT(*) FROM employer_months",
       "WITH booked AS (SELECT p.account_owner AS employer_id, e.month AS month, "
       "SUM(CASE WHEN e.kind IN (1, 8) THEN p.amount_fen ELSE 0 END) AS dues, "
       "SUM(CASE WHEN e.kind = 3 THEN -p.amount_fen ELSE 0 END) AS paid "
       "FROM postings p JOIN journal_entries e ON e.entry_id = p.entry_id WHERE p.account_kind = 3 "
       "GROUP BY p.account_owner, e.month) "
       "SELECT 'employer ' || COALESCE(m.employer_id, b.employer_id) || ' month ' || COALESCE(m.month, b.month) "
       "FROM employer_months m FULL OUTER JOIN booked b ON b.employer_id = m.employer_id AND b.month = m.month "
       "WHERE COALESCE(m.dues_fen, 0) <> COALESCE(b.dues, 0) OR COALESCE(m.paid_fen, 0) <> COALESCE(b.paid, 0)"},
      {"only the latest declaration of an employer-month is current", "SELECT COUNT(*) FROM declarations",
       "SELECT 'employer ' || employer_id || ' month ' || month FROM declarations WHERE superseded = 0 "
       "GROUP BY employer_id, month HAVING COUNT(*) > 1"},
  };
  std::vector<VerifyCheck> checks;
  for (const Definition& definition : definitions) {
    auto result = check(definition.name, definition.count_sql, definition.failure_sql);
    if (!result) return tl::unexpected(result.error());
    checks.push_back(std::move(*result));
  }
  return checks;
}

Result<Stats> SqliteDatabase::stats() {
  Stats stats;
  struct Field {
    std::int64_t* target;
    const char* sql;
  };
  const Field fields[] = {
      {&stats.persons, "SELECT COUNT(*) FROM persons"},
      {&stats.employers, "SELECT COUNT(*) FROM employers"},
      {&stats.declarations, "SELECT COUNT(*) FROM declarations"},
      {&stats.declaration_lines, "SELECT COUNT(*) FROM declaration_lines"},
      {&stats.journal_entries, "SELECT COUNT(*) FROM journal_entries"},
      {&stats.postings, "SELECT COUNT(*) FROM postings"},
      {&stats.personal_account_balance_fen,
       "SELECT COALESCE(-SUM(amount_fen), 0) FROM postings WHERE account_kind = 1"},
      {&stats.pooled_fund_balance_fen, "SELECT COALESCE(-SUM(amount_fen), 0) FROM postings WHERE account_kind = 2"},
      {&stats.receivable_balance_fen, "SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE account_kind = 3"},
  };
  for (const Field& field : fields) {
    auto value = scalar(field.sql);
    if (!value) return tl::unexpected(value.error());
    *field.target = *value;
  }
  return stats;
}

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close_v2(db);
    return fail(ErrorCode::io_error, path, "cannot open the database: " + message);
  }
  sqlite3_busy_timeout(db, 10000);
  auto database = std::make_unique<SqliteDatabase>(db);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = OFF",
                             "PRAGMA temp_store = MEMORY", "PRAGMA cache_size = -262144"}) {
    if (auto ok = database->exec(pragma); !ok) {
      return fail(ErrorCode::io_error, path, "cannot use the database: " + ok.error().message);
    }
  }
  return std::unique_ptr<Database>(std::move(database));
}

}  // namespace shebao::storage
