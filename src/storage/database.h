// shebao storage: the repository interface every backend implements.
//
// Domain code never sees SQL: ingest and the month run call these methods,
// and a backend (storage/sqlite, storage/postgres) implements them with
// its own statements, kept as named constants next to the implementation.
//
// Contract for every backend:
// - migrate() applies the versioned migrations in order, each in its own
//   transaction, and is idempotent; open_database() runs it at start.
// - Writes happen inside begin()/commit(); a failure leaves nothing half
//   applied (rollback() undoes the open transaction).
// - book() refuses an idempotency key that is already booked (conflict), and
//   stores an entry with all its postings or not at all; a declaration's
//   contributions are one packed entry (book_packed, ledger::PackedEntry),
//   stored as one row with its postings (migration 8, storage/packed_lines.h);
//   so are a month's flexible payments per scheme province and block of
//   persons (migration 9), and a month run's employers' payments and late fees
//   per block of employers (book_settlements, ledger::SettlementEntry,
//   migration 11).
// - Person-keyed tables carry person_id, the distribution key (see
//   docs/architecture.md §6).
//
// Thread safety: a Database is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/compliance.h"
#include "analytics/coverage.h"
#include "collection/month_entries.h"
#include "core/calendar.h"
#include "core/error.h"
#include "ledger/ledger.h"
#include "portability/transfers.h"
#include "registry/model.h"

namespace shebao::storage {

struct StoredDeclaration {
  std::int64_t declaration_id = 0;
  int version = 0;
  std::string content_hash;
};

struct DeclarationLine {
  std::int64_t person_id = 0;
  std::int64_t wage_fen = 0;
  int days_worked = 0;
  std::string event;  // "", "hire", "leave"
  std::optional<Date> event_date;
};

struct StoredPackedEntry {
  std::int64_t entry_id = 0;
  ledger::PackedEntry entry;
};

// An employer-month with contributions booked, for payments and arrears.
struct EmployerMonthDues {
  std::int64_t employer_id = 0;
  std::string employer_region;
  YearMonth month;
  std::int64_t dues_fen = 0;        // net of reversals
  std::int64_t paid_fen = 0;        // payments booked
  std::optional<Date> paid_on;      // recorded payment date
};

struct Stats {
  std::int64_t persons = 0;
  std::int64_t employers = 0;
  std::int64_t declarations = 0;
  std::int64_t declaration_lines = 0;
  std::int64_t journal_entries = 0;
  std::int64_t postings = 0;
  std::int64_t personal_account_balance_fen = 0;  // sum of all personal account balances
  std::int64_t pooled_fund_balance_fen = 0;
  std::int64_t receivable_balance_fen = 0;
};

struct VerifyCheck {
  std::string name;
  std::int64_t checked = 0;  // items examined
  std::int64_t failures = 0;
  std::string first_failure;  // one example, empty when none
};

struct PersonalYear {
  std::int64_t person_id = 0;
  std::string region;              // where the person contributes (for the interest expense account)
  std::int64_t opening_fen = 0;    // displayed balance at 1 January
  std::vector<std::pair<int, std::int64_t>> credits;  // (month 1..12, fen credited)
};

class Database {
 public:
  virtual ~Database() = default;
  virtual std::string_view backend() const = 0;

  virtual Result<int> migrate() = 0;  // returns the schema version now in place
  virtual Result<void> begin() = 0;
  virtual Result<void> commit() = 0;
  virtual void rollback() noexcept = 0;
  // Entries (a month run's person-months) a job books per transaction unless
  // told otherwise (jobs::RunOptions::batch_entries); a declaration is never
  // split. A re-run after a crash books what the last commit left out.
  virtual std::size_t batch_entries() const { return 20000; }

  // --- registry ---
  // Inserts or updates (by resident ID / credit code) and returns the id.
  virtual Result<std::int64_t> upsert_person(const registry::Person& person) = 0;
  virtual Result<std::int64_t> upsert_employer(const registry::Employer& employer) = 0;
  // Several persons, each as upsert_person would, in order (a later line of the
  // same resident ID wins); all or none. The default calls upsert_person.
  virtual Result<void> upsert_persons(std::span<const registry::Person> persons) {
    for (const registry::Person& person : persons) {
      if (auto stored = upsert_person(person); !stored) return tl::unexpected(stored.error());
    }
    return {};
  }
  virtual Result<std::optional<registry::Person>> find_person(std::string_view resident_id) = 0;
  virtual Result<std::optional<registry::Employer>> find_employer(std::string_view credit_code) = 0;
  // Whether an employment spell of the person at the employer covers any day of the month.
  virtual Result<bool> employed_in(std::int64_t person_id, std::int64_t employer_id, YearMonth month) = 0;
  virtual Result<void> record_hire(std::int64_t person_id, std::int64_t employer_id, Date hire_date) = 0;
  virtual Result<void> record_leave(std::int64_t person_id, std::int64_t employer_id, Date leave_date) = 0;

  // --- fast paths for ingest (the defaults use the methods above; a backend may do better) ---
  // The employer_id of a registered credit code, without reading the rest of
  // the employer. A backend may answer from a cache of committed employers (an
  // employer's id and code never change, and employers are never deleted).
  virtual Result<std::optional<std::int64_t>> find_employer_id(std::string_view credit_code) {
    auto employer = find_employer(credit_code);
    if (!employer) return tl::unexpected(employer.error());
    if (!*employer) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>((*employer)->employer_id);
  }
  // The person_id of a registered resident ID, without reading the rest of the person.
  // A backend may answer from a cache of committed persons (a person's id never changes).
  virtual Result<std::optional<std::int64_t>> find_person_id(std::string_view resident_id) {
    auto person = find_person(resident_id);
    if (!person) return tl::unexpected(person.error());
    if (!*person) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>((*person)->person_id);
  }
  // The person_ids of several resident IDs (as find_person_id each), in their
  // order, into `ids`; a backend may overlap the lookups.
  virtual Result<void> find_person_ids(std::span<const std::string_view> resident_ids,
                                       std::vector<std::optional<std::int64_t>>& ids) {
    ids.clear();
    for (const std::string_view resident_id : resident_ids) {
      auto found = find_person_id(resident_id);
      if (!found) return tl::unexpected(found.error());
      ids.push_back(*found);
    }
    return {};
  }

  // The persons with an employment spell at the employer covering any day of
  // the month (as employed_in), in any order, a person possibly more than once
  // (one per spell); nullopt when there are more than `limit`
  // or the backend does not offer it (the caller then asks employed_in per person).
  virtual Result<std::optional<std::vector<std::int64_t>>> employees_in(std::int64_t /*employer_id*/,
                                                                        YearMonth /*month*/, std::size_t /*limit*/) {
    return std::optional<std::vector<std::int64_t>>();
  }

  // --- declarations and payments ---
  virtual Result<std::optional<StoredDeclaration>> latest_declaration(std::int64_t employer_id, YearMonth month) = 0;
  // Stores a new version (the previous one, if any, becomes superseded) with its lines.
  // A failure rolls back the open transaction: nothing of it stays.
  virtual Result<std::int64_t> insert_declaration(std::int64_t employer_id, YearMonth month, int version,
                                                  std::string_view content_hash, std::string_view source,
                                                  const std::vector<DeclarationLine>& lines) = 0;
  // Records (or changes) the payment date of an employer's month; true when anything changed.
  virtual Result<bool> record_payment(std::int64_t employer_id, YearMonth month, Date paid_on) = 0;

  // --- month run ---
  // Latest declarations of the month with no contribution entry booked yet.
  virtual Result<std::vector<std::int64_t>> declarations_to_book(YearMonth month) = 0;
  virtual Result<std::vector<collection::DeclaredPersonMonth>> declared_person_months(std::int64_t declaration_id) = 0;
  // The person-months of several declarations (ids ascending, as declarations_to_book
  // returns them), grouped by declaration in that order.
  virtual Result<std::vector<collection::DeclaredPersonMonth>> declared_person_months_of(
      std::span<const std::int64_t> declaration_ids) {
    std::vector<collection::DeclaredPersonMonth> all;
    for (const std::int64_t id : declaration_ids) {
      auto rows = declared_person_months(id);
      if (!rows) return tl::unexpected(rows.error());
      all.insert(all.end(), rows->begin(), rows->end());
    }
    return all;
  }
  // Contribution entries (packed, one per declaration) of superseded declarations
  // of the month that are not reversed yet.
  virtual Result<std::vector<StoredPackedEntry>> packed_entries_to_reverse(YearMonth month) = 0;
  // Flexible workers enrolled in the month with no line in the month's packed
  // flexible payments yet, in ascending person order.
  virtual Result<std::vector<collection::FlexibleMonth>> flexible_months_to_book(YearMonth month) = 0;
  // Employer-months up to `month` with dues booked.
  virtual Result<std::vector<EmployerMonthDues>> employer_dues(YearMonth up_to) = 0;
  // The rows of employer_dues(month) that can still get a payment or a late fee in
  // `month`: all but those paid in full on or before its first day.
  virtual Result<std::vector<EmployerMonthDues>> employer_dues_to_settle(YearMonth month) {
    return employer_dues(month);
  }
  // A month run settles the months before its own first (its contributions and
  // reversals, all of its own month, leave them unchanged), then its own month's
  // dues once it has booked them: the rows of employer_dues_to_settle(month) of
  // the months before `month` (`before`), or of `month` itself (`within`; a
  // backend may leave out those that no payment dated by the month's last day
  // can settle, as the run settles nothing else of its own month). Same order.
  enum class SettlePart { before, within };
  virtual Result<std::vector<EmployerMonthDues>> employer_dues_to_settle(YearMonth month, SettlePart part) {
    auto rows = employer_dues_to_settle(month);
    if (!rows) return rows;
    std::erase_if(*rows, [&](const EmployerMonthDues& row) {
      return part == SettlePart::before ? !(row.month < month) : row.month != month;
    });
    return rows;
  }
  // False while employer_dues_to_settle(month, part) would wait for a read the
  // backend started ahead of it (a month run settles the months before its own
  // once they are read, the end of its declarations at the latest); true
  // otherwise. Asks nothing of the database.
  virtual bool employer_dues_ready(YearMonth month, SettlePart part) {
    (void)month;
    (void)part;
    return true;
  }
  // Keeps the per employer-month totals the arrears run reads (in the booking's transaction).
  virtual Result<void> add_employer_month(std::int64_t employer_id, YearMonth month, std::int64_t dues_delta_fen,
                                          std::int64_t paid_delta_fen) = 0;

  // --- ledger ---
  virtual Result<bool> entry_exists(std::string_view idempotency_key) = 0;
  // entry_exists for each key, in order (a backend may answer in one read).
  virtual Result<std::vector<bool>> entries_exist(std::span<const std::string> keys) {
    std::vector<bool> booked;
    booked.reserve(keys.size());
    for (const std::string& key : keys) {
      auto exists = entry_exists(key);
      if (!exists) return tl::unexpected(exists.error());
      booked.push_back(*exists);
    }
    return booked;
  }
  virtual Result<std::int64_t> book(const ledger::JournalEntry& entry) = 0;
  // Books several entries, each as book() would, all of them or none (a conflict
  // or a failure leaves none of them stored).
  virtual Result<void> book_many(std::span<const ledger::JournalEntry> entries) {
    for (const ledger::JournalEntry& entry : entries) {
      if (auto booked = book(entry); !booked) return tl::unexpected(booked.error());
    }
    return {};
  }
  // Books declarations' contributions (or the reversal of one) and flexible
  // workers' payments, each packed entry as one journal entry
  // (ledger::PackedEntry), all of them or none; invalid_input unless
  // ledger::check_packed holds, conflict when a key is already booked. book()
  // and book_many() refuse contributions and flexible payments.
  virtual Result<void> book_packed(std::span<const ledger::PackedEntry> entries) = 0;
  // Books a month run's employers' payments and late fees, each block's as one
  // journal entry (ledger::SettlementEntry, migration 11), all of them or none;
  // invalid_input unless ledger::check_settlement holds, conflict when the
  // entry's key is already booked. entry_exists() answers for a line's own key
  // (ledger::settlement_key) too; book() and book_many() refuse payments and
  // late fees.
  virtual Result<void> book_settlements(std::span<const ledger::SettlementEntry> entries) = 0;
  // book_packed inside the open transaction, where the database may return
  // before the entries are stored: a failure (a key booked already included) is
  // then reported by the next call that uses the database, commit() at the
  // latest, and the transaction is to be rolled back. Outside a transaction,
  // book_packed.
  virtual Result<void> book_packed_ahead(std::span<const ledger::PackedEntry> entries) {
    return book_packed(entries);
  }
  // book_settlements, ahead as book_packed_ahead.
  virtual Result<void> book_settlements_ahead(std::span<const ledger::SettlementEntry> entries) {
    return book_settlements(entries);
  }
  // Every personal account: balance at 1 January of `year` and the credits of
  // that year by month (for yearly interest), without the year's interest entries.
  virtual Result<std::vector<PersonalYear>> personal_year_activity(int year) = 0;

  // --- transfers ---
  virtual Result<std::int64_t> insert_transfer(const portability::Transfer& transfer) = 0;  // returns its id
  virtual Result<void> update_transfer(const portability::Transfer& transfer) = 0;
  virtual Result<std::optional<portability::Transfer>> find_transfer(std::int64_t transfer_id) = 0;
  virtual Result<std::vector<portability::Transfer>> transfers_of(std::int64_t person_id) = 0;
  virtual Result<std::optional<registry::Person>> find_person_by_id(std::int64_t person_id) = 0;
  // The person's lines of current declarations of employers in the province.
  virtual Result<std::vector<collection::DeclaredPersonMonth>> person_months_in_province(std::int64_t person_id,
                                                                                         int province) = 0;
  // Displayed balance of the person's personal account.
  virtual Result<std::int64_t> personal_balance(std::int64_t person_id) = 0;

  // --- analytics (coverage, compliance, policy simulation; see analytics/) ---
  // Every registered person, in person_id order, as the coverage report reads
  // them (no strings): the months up to `up_to` that have a contribution
  // (employee or flexible) booked and not reversed, the province of the latest
  // one, and whether a transfer was ever requested.
  virtual Result<std::vector<analytics::CoverageFacts>> coverage_facts(YearMonth up_to) = 0;
  // The same persons with names, birth dates and IDs as text, without their
  // contribution months (recent_months 0, no last_month).
  virtual Result<std::vector<analytics::RegisteredPerson>> registered_persons() = 0;
  // The latest month with a contribution (employee or flexible) booked; nullopt when none.
  virtual Result<std::optional<YearMonth>> latest_contribution_month() = 0;
  // Every employer with its arrears (dues not paid, months up to `up_to`) and late fees booked.
  virtual Result<std::vector<analytics::EmployerFacts>> employer_facts(YearMonth up_to) = 0;
  // The lines of the current (not superseded) declarations of a month.
  virtual Result<std::vector<analytics::DeclaredLineFact>> declared_lines(YearMonth month) = 0;
  // Every registered person as the policy simulation reads them (no strings).
  virtual Result<std::vector<analytics::SimulationPerson>> simulation_persons() = 0;
  // Every employer's id, region, size and unit type.
  virtual Result<std::vector<analytics::SimulationEmployer>> simulation_employers() = 0;
  // For each person given: the months up to `up_to` with a contribution
  // (employee or flexible) booked and not reversed, and the personal account
  // balance. Persons with nothing booked have zeros.
  virtual Result<std::vector<analytics::PensionFacts>> pension_facts(const std::vector<std::int64_t>& person_ids,
                                                                     YearMonth up_to) = 0;

  // --- checks ---
  // Every ledger invariant (`shebao verify`). `progress`, when set, is called on
  // the calling thread as each check ends: (checks ended, checks in all).
  using VerifyProgress = std::function<void(std::size_t done, std::size_t total)>;
  virtual Result<std::vector<VerifyCheck>> verify(const VerifyProgress& progress) = 0;
  Result<std::vector<VerifyCheck>> verify() { return verify(VerifyProgress()); }
  virtual Result<Stats> stats() = 0;
};

// What a connection is for. `bulk` (imports, year runs, reports): SQLite maps
// the file into memory and keeps a large page cache. `month_run`: a page cache
// of 32 MiB without the mapping; a month run's inserts reach every leaf of the
// per-person and per-account indexes, which grow with every month booked, and
// each mapped page touched (with the kernel's read-around, its neighbours too)
// would stay in the process's memory, so memory would grow with the history;
// unmapped, it is bounded by the page cache, which is small because a month
// run reads most pages once (sqlite_database.cpp, open_sqlite). Both checkpoint
// the WAL on a thread of their own (sqlite/wal_checkpointer.h). `requests` (one connection
// per server thread, many short reads while the audit log commits every few
// milliseconds): no mapping and a small page cache, because SQLite drops both
// whenever another connection has changed the file, and unmapping on every
// such change costs more than reading the few pages a request needs.
// PostgreSQL ignores it.
enum class Workload { bulk, month_run, requests };

// Opens "sqlite:PATH" (creating the file) or "postgresql://..." (a libpq
// connection URI; "postgres://" too) and applies pending migrations.
Result<std::unique_ptr<Database>> open_database(std::string_view url, Workload workload = Workload::bulk);

}  // namespace shebao::storage
