#include "jobs/runs.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>

#include "collection/month_entries.h"
#include "rules/interest.h"
#include "storage/transaction_batch.h"

namespace shebao::jobs {
namespace {

using Batch = storage::TransactionBatch;

// Flexible workers' lines and payments and late fees (whole blocks each) are
// booked about this many at a time (each entry stands alone).
constexpr std::size_t kFlexibleGroup = 1024;
constexpr std::size_t kSettlementGroup = 1024;

// Declarations read, computed and booked together (one transaction holds whole groups).
constexpr std::size_t kDeclarationsPerGroup = 256;

struct DeclarationGroup {
  struct Outcome {
    std::int64_t declaration_id = 0;
    std::optional<Error> problem;  // the entries could not be computed: none is booked
    bool has_rows = false;
    std::int64_t employer_id = 0;
    std::int64_t dues_fen = 0;
    std::size_t person_months = 0;
  };
  std::vector<std::int64_t> ids;                      // ascending
  std::vector<collection::DeclaredPersonMonth> rows;  // grouped by declaration, ascending
  // Filled by compute_group:
  std::vector<Outcome> outcomes;                      // one per id, in order
  std::vector<ledger::PackedEntry> entries;           // one per declaration with lines and without a problem
  std::size_t person_months = 0;                      // lines of `entries`
};

// Pure: the rules' arithmetic only (runs on the second thread).
void compute_group(DeclarationGroup& group, const rules::ParameterStore& rules, collection::DeclaredMonths& months) {
  group.entries.reserve(group.ids.size());
  std::size_t row = 0;
  for (const std::int64_t id : group.ids) {
    while (row < group.rows.size() && group.rows[row].declaration_id < id) ++row;
    DeclarationGroup::Outcome outcome;
    outcome.declaration_id = id;
    const std::size_t first_row = row;
    while (row < group.rows.size() && group.rows[row].declaration_id == id) ++row;
    if (row > first_row) {
      const std::span<const collection::DeclaredPersonMonth> lines(group.rows.data() + first_row, row - first_row);
      auto entry = collection::declaration_entry(lines, rules, &months);
      if (!entry) {
        outcome.problem = entry.error();
      } else {
        outcome.has_rows = true;
        outcome.employer_id = entry->employer_id;
        outcome.dues_fen = entry->receivable_total();
        outcome.person_months = entry->lines.size();
        group.person_months += entry->lines.size();
        group.entries.push_back(std::move(*entry));
      }
    }
    group.outcomes.push_back(std::move(outcome));
  }
}

// The second thread of a month run: computes one group at a time, for the
// whole run (a thread per group cost a thread start and exit each, whose
// stack and allocator caches went back to the kernel with madvise: a TLB
// flush on every core each time).
class GroupComputer {
 public:
  explicit GroupComputer(const rules::ParameterStore& rules) : rules_(rules), thread_([this] { loop(); }) {}
  GroupComputer(const GroupComputer&) = delete;
  GroupComputer& operator=(const GroupComputer&) = delete;
  // Finishes the group being computed, if any, before the thread ends.
  ~GroupComputer() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  // Starts computing `group` (the previous one must have been awaited).
  void start(DeclarationGroup& group) {
    {
      const std::lock_guard lock(mutex_);
      pending_ = &group;
      done_ = false;
    }
    wake_.notify_all();
  }
  // Waits for the group started last; rethrows what its computation threw.
  void wait() {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [&] { return done_; });
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || pending_ != nullptr; });
      if (pending_ == nullptr) return;
      DeclarationGroup* group = std::exchange(pending_, nullptr);
      lock.unlock();
      std::exception_ptr failure;
      try {
        compute_group(*group, rules_, months_);
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      failure_ = failure;
      done_ = true;
      wake_.notify_all();
    }
  }

  const rules::ParameterStore& rules_;
  collection::DeclaredMonths months_{rules_};  // this thread's only
  std::mutex mutex_;
  std::condition_variable wake_;
  DeclarationGroup* pending_ = nullptr;
  bool done_ = true;
  bool stopping_ = false;
  std::exception_ptr failure_;
  std::thread thread_;  // last: starts once the members it uses are ready
};

std::size_t batch_entries(const storage::Database& database, const RunOptions& options) {
  return options.batch_entries > 0 ? options.batch_entries : database.batch_entries();
}

}  // namespace

Result<MonthRunSummary> run_month(YearMonth month, storage::Database& database, const rules::ParameterStore& rules,
                                  const RunOptions& options) {
  MonthRunSummary summary;
  Batch batch(database, batch_entries(database, options));

  // 1. Reversals of replaced declarations, each packed entry whole.
  auto packed_to_reverse = database.packed_entries_to_reverse(month);
  if (!packed_to_reverse) return tl::unexpected(packed_to_reverse.error());
  for (const storage::StoredPackedEntry& stored : *packed_to_reverse) {
    if (auto ok = batch.ensure_open(); !ok) return tl::unexpected(ok.error());
    const ledger::PackedEntry reversal = ledger::reversal_of(stored.entry, stored.entry_id);
    if (auto booked = database.book_packed(std::span(&reversal, 1)); !booked) return tl::unexpected(booked.error());
    if (const std::int64_t delta = reversal.receivable_total(); delta != 0) {
      if (auto ok = database.add_employer_month(reversal.employer_id, reversal.month, delta, 0); !ok) {
        return tl::unexpected(ok.error());
      }
    }
    ++summary.reversals;
    if (auto ok = batch.add(reversal.lines.size()); !ok) return tl::unexpected(ok.error());
  }

  // 2. The declarations to book. A backend may start reading ahead here (their
  // lines, the flexible workers, the employer-months to settle): the flexible
  // workers and the months before this one are booked between the month's
  // declarations, a quarter and half of the way through, by when such reads
  // are done, and their booking overlaps the reading of the remaining lines.
  auto declarations = database.declarations_to_book(month);
  if (!declarations) return tl::unexpected(declarations.error());
  const std::vector<std::int64_t>& ids = *declarations;

  // Flexible workers, packed: one entry per scheme province and block of
  // person ids (ledger::kFlexibleBlock). The workers come in ascending person
  // order, so a block is complete when the next worker lies in a later block;
  // each entry is booked whole, so a re-run after a crash books the blocks not
  // committed with the same entries, and a worker booked already is not read.
  const auto book_flexible_workers = [&]() -> Result<void> {
    auto flexible = database.flexible_months_to_book(month);
    if (!flexible) return tl::unexpected(flexible.error());
    std::vector<ledger::PackedEntry> flexible_entries;
    std::size_t flexible_lines = 0;
    std::map<int, std::vector<ledger::PackedLine>> block_lines;  // by province
    const auto close_block = [&]() {
      for (auto& [province, lines] : block_lines) {
        flexible_lines += lines.size();
        flexible_entries.push_back(ledger::packed_flexible_entry(month, province, std::move(lines)));
      }
      block_lines.clear();
    };
    const auto book_flexible = [&]() -> Result<void> {
      if (flexible_entries.empty()) return {};
      if (auto ok = batch.ensure_open(); !ok) return ok;
      if (auto booked = database.book_packed_ahead(flexible_entries); !booked) return booked;
      summary.flexible_months += static_cast<std::int64_t>(flexible_lines);
      const std::size_t count = flexible_lines;
      flexible_entries.clear();
      flexible_lines = 0;
      return batch.add(count);
    };
    collection::FlexibleEntries flexible_computations(rules);
    std::int64_t block = -1;
    for (const auto& member : *flexible) {
      if (member.person_id / ledger::kFlexibleBlock != block) {
        close_block();
        block = member.person_id / ledger::kFlexibleBlock;
        if (flexible_lines >= kFlexibleGroup) {
          if (auto ok = book_flexible(); !ok) return ok;
        }
      }
      auto line = flexible_computations.line(member);
      if (!line) {
        summary.problems.push_back("flexible worker " + std::to_string(member.person_id) + ": " +
                                   line.error().to_string());
        continue;
      }
      block_lines[collection::province_of(member.scheme_region)].push_back(*line);
    }
    close_block();
    return book_flexible();  // committed with the declarations' next batch
  };

  // Payments and late fees, packed per block of employers
  // (ledger::kEmployerBlock) and booked a group at a time; an employer-month's
  // total changes in the transaction that books its payment (no commit comes
  // between the two: the batch may commit only after a group is booked). The
  // dues come in employer order, so a block is complete when the next row lies
  // in a later block. A payment booked already has left nothing outstanding; a
  // late fee booked already is asked of the database (its line's key).
  const auto settle = [&](storage::Database::SettlePart part) -> Result<void> {
    auto dues = database.employer_dues_to_settle(month, part);
    if (!dues) return tl::unexpected(dues.error());
    const Date month_end = Date::last_of(month);
    // The late fees the month accrues (one per employer-month at most), and which
    // of them are booked already, asked of the database at once.
    std::vector<std::optional<ledger::SettlementLine>> fees(dues->size());
    std::vector<std::string> fee_keys;
    for (std::size_t i = 0; i < dues->size(); ++i) {
      const storage::EmployerMonthDues& row = (*dues)[i];
      if (row.dues_fen <= 0 || row.month >= month) continue;  // month M's dues fall due in M+1
      auto fee = collection::late_fee_line(row.employer_id, row.employer_region, row.month, row.dues_fen, row.paid_on,
                                           month, rules);
      if (!fee) {
        summary.problems.push_back("late fee of employer " + std::to_string(row.employer_id) + " for " +
                                   row.month.to_string() + ": " + fee.error().to_string());
        continue;
      }
      if (!*fee) continue;
      fee_keys.push_back(ledger::settlement_key(**fee, month));
      fees[i] = std::move(**fee);
    }
    auto fees_booked = database.entries_exist(fee_keys);
    if (!fees_booked) return tl::unexpected(fees_booked.error());
    std::size_t fee_index = 0;
    std::vector<ledger::SettlementEntry> settlements;
    std::vector<ledger::SettlementLine> employer_lines;
    std::size_t settlement_lines = 0;
    const auto close_settlement_block = [&]() {
      if (employer_lines.empty()) return;
      settlement_lines += employer_lines.size();
      settlements.push_back(ledger::packed_settlement_entry(month, std::move(employer_lines)));
      employer_lines.clear();
    };
    const auto book_settlements = [&]() -> Result<void> {
      if (settlements.empty()) return {};
      if (auto ok = batch.ensure_open(); !ok) return ok;
      if (auto booked = database.book_settlements_ahead(settlements); !booked) return booked;
      const std::size_t count = settlement_lines;
      settlements.clear();
      settlement_lines = 0;
      return batch.add(count);
    };
    std::int64_t employer_block = -1;
    for (std::size_t i = 0; i < dues->size(); ++i) {
      const storage::EmployerMonthDues& row = (*dues)[i];
      if (row.employer_id / ledger::kEmployerBlock != employer_block) {
        close_settlement_block();
        employer_block = row.employer_id / ledger::kEmployerBlock;
        if (settlement_lines >= kSettlementGroup) {
          if (auto ok = book_settlements(); !ok) return ok;
        }
      }
      const std::int64_t outstanding = row.dues_fen - row.paid_fen;
      if (row.paid_on && *row.paid_on <= month_end && outstanding > 0) {
        if (auto ok = batch.ensure_open(); !ok) return ok;
        if (auto ok = database.add_employer_month(row.employer_id, row.month, 0, outstanding); !ok) {
          return ok;
        }
        employer_lines.push_back(collection::payment_line(row.employer_id, row.employer_region, row.month,
                                                          outstanding, *row.paid_on, row.paid_fen));
        ++summary.payments;
      }
      if (!fees[i]) continue;
      if ((*fees_booked)[fee_index++]) continue;
      employer_lines.push_back(std::move(*fees[i]));
      ++summary.late_fees;
    }
    close_settlement_block();
    return book_settlements();  // committed with the next batch, the run's last at the latest
  };

  // 3. Between the groups of declarations of step 4: the flexible workers, and
  // the payments and late fees of the months before this one (what the
  // contributions and reversals of this month leave unchanged), from half way
  // through once the database has them ready (a backend may be reading them
  // beside the booking), after the last group at the latest.
  bool flexible_booked = false;
  bool before_settled = false;
  const auto between_groups = [&](std::size_t declarations_booked) -> Result<void> {
    if (!flexible_booked && declarations_booked * 4 >= ids.size()) {
      flexible_booked = true;
      if (auto ok = book_flexible_workers(); !ok) return ok;
    }
    if (!before_settled && declarations_booked * 2 >= ids.size() &&
        (declarations_booked == ids.size() ||
         database.employer_dues_ready(month, storage::Database::SettlePart::before))) {
      before_settled = true;
      if (auto ok = settle(storage::Database::SettlePart::before); !ok) return ok;
    }
    return {};
  };

  // 4. Contributions of the current declarations, in groups: while this thread
  // books a group, a second thread computes the next group's entries with the
  // rules (immutable, safe to share); the database is used by this thread only.
  const auto read_group = [&](std::size_t from) -> Result<std::unique_ptr<DeclarationGroup>> {
    auto group = std::make_unique<DeclarationGroup>();
    const std::size_t count = std::min(kDeclarationsPerGroup, ids.size() - from);
    group->ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(from),
                      ids.begin() + static_cast<std::ptrdiff_t>(from + count));
    auto rows = database.declared_person_months_of(group->ids);
    if (!rows) return tl::unexpected(rows.error());
    group->rows = std::move(*rows);
    return group;
  };
  std::uint64_t done = 0;
  const auto book_group = [&](const DeclarationGroup& group) -> Result<void> {
    if (auto ok = batch.ensure_open(); !ok) return ok;
    if (auto booked = database.book_packed_ahead(group.entries); !booked) return booked;
    for (const DeclarationGroup::Outcome& outcome : group.outcomes) {
      ++done;
      if (outcome.problem) {
        summary.problems.push_back("declaration " + std::to_string(outcome.declaration_id) + ": " +
                                   outcome.problem->to_string());
        continue;
      }
      if (outcome.has_rows) {
        if (auto ok = database.add_employer_month(outcome.employer_id, month, outcome.dues_fen, 0); !ok) return ok;
      }
      ++summary.declarations;
      summary.person_months += static_cast<std::int64_t>(outcome.person_months);
      if (options.on_progress && (done % 64 == 0 || done == ids.size())) options.on_progress(done, ids.size());
    }
    return batch.add(group.person_months);
  };
  {
    std::unique_ptr<DeclarationGroup> current;
    std::unique_ptr<DeclarationGroup> upcoming;
    std::optional<GroupComputer> computer;  // declared after the groups: joined before they go
    std::size_t next = 0;
    if (!ids.empty()) {
      auto first = read_group(0);
      if (!first) return tl::unexpected(first.error());
      current = std::move(*first);
      next = current->ids.size();
      computer.emplace(rules);
      computer->start(*current);
    }
    while (current) {
      if (next < ids.size()) {
        auto read = read_group(next);
        if (!read) return tl::unexpected(read.error());
        upcoming = std::move(*read);
        next += upcoming->ids.size();
      }
      computer->wait();
      if (upcoming) computer->start(*upcoming);
      if (auto ok = book_group(*current); !ok) return tl::unexpected(ok.error());
      if (auto ok = between_groups(done); !ok) return tl::unexpected(ok.error());
      current = std::move(upcoming);
    }
  }
  if (auto ok = between_groups(ids.size()); !ok) return tl::unexpected(ok.error());

  // 5. This month's own dues paid within it.
  if (auto ok = settle(storage::Database::SettlePart::within); !ok) return tl::unexpected(ok.error());
  if (auto ok = batch.commit(); !ok) return tl::unexpected(ok.error());
  return summary;
}

Result<YearRunSummary> run_year(int year, storage::Database& database, const rules::ParameterStore& rules,
                                const RunOptions& options) {
  YearRunSummary summary;
  if (auto rate = rules.find("account_interest_rate", Date::of(year, 1, 1)); !rate) {
    return fail(ErrorCode::rule_missing, "year",
                "no published account_interest_rate for " + std::to_string(year) +
                    "; add the official rate to rules/cn/interest.toml before crediting this year");
  }
  auto accounts = database.personal_year_activity(year);
  if (!accounts) return tl::unexpected(accounts.error());
  Batch batch(database, batch_entries(database, options));
  std::uint64_t done = 0;
  for (const storage::PersonalYear& account : *accounts) {
    ++done;
    if (options.on_progress && (done % 4096 == 0 || done == accounts->size())) {
      options.on_progress(done, accounts->size());
    }
    const std::string key = "interest/" + std::to_string(account.person_id) + "/" + std::to_string(year);
    auto exists = database.entry_exists(key);
    if (!exists) return tl::unexpected(exists.error());
    if (*exists) continue;
    rules::AccountInterestQuery query;
    query.year = year;
    query.opening_balance = Money::from_fen(std::max<std::int64_t>(0, account.opening_fen));
    for (const auto& [month, fen] : account.credits) {
      if (fen > 0) query.credits.push_back(rules::MonthlyCredit{month, Money::from_fen(fen)});
    }
    query.jurisdiction = account.region.empty() ? "CN" : registry::province_jurisdiction(account.region);
    auto interest = rules::compute_account_interest(query, rules, nullptr);
    if (!interest) {
      summary.problems.push_back("person " + std::to_string(account.person_id) + ": " + interest.error().to_string());
      continue;
    }
    if (interest->interest.fen() == 0) continue;
    ledger::JournalEntry entry;
    entry.idempotency_key = key;
    entry.person_id = account.person_id;
    entry.kind = ledger::EntryKind::interest;
    entry.month = YearMonth::of(year, 12);
    const int province = account.region.empty() ? 0 : collection::province_of(account.region);
    entry.postings.push_back({{ledger::AccountKind::interest_expense, province}, interest->interest.fen()});
    entry.postings.push_back({{ledger::AccountKind::personal, account.person_id}, -interest->interest.fen()});
    if (auto ok = batch.ensure_open(); !ok) return tl::unexpected(ok.error());
    if (auto booked = database.book(entry); !booked) return tl::unexpected(booked.error());
    ++summary.accounts;
    summary.interest_fen += interest->interest.fen();
    if (auto ok = batch.add(1); !ok) return tl::unexpected(ok.error());
  }
  if (auto ok = batch.commit(); !ok) return tl::unexpected(ok.error());
  return summary;
}

}  // namespace shebao::jobs
