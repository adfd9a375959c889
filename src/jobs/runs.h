// shebao jobs: the month run and the year run over a database.
//
// run_month(M) books, each step restartable:
//   1. reversals of contribution entries whose declaration was replaced by a
//      correction (one reversal of the whole packed entry, linked to it);
//   2. the contribution entry of every current declaration of M not yet
//      booked — one packed entry per declaration (ledger::PackedEntry, three
//      postings per line), so a crash leaves a declaration wholly booked or not
//      at all; between its groups of declarations (from a quarter and from
//      half of the way through, the latter once the backend has the rows ready,
//      Database::employer_dues_ready; after the last group at the latest):
//   3. the month's payments of flexible workers not booked yet, packed: one
//      entry per scheme province and block of person ids
//      (ledger::packed_flexible_entry), each block booked whole;
//   4. employers' payments recorded up to the end of M, and late fees for the
//      overdue days inside M, of every unpaid or late month before M (what
//      steps 1 and 2, all of M, leave unchanged); after the declarations, the
//      payments of M's own dues dated within M.
// Every entry has an idempotency key, so running a month again books only
// what is missing (a crash, a correction imported since, a late payment).
//
// run_year(Y) credits a year's interest to every personal account from the
// published rate (rules account_interest_rate); a year without a published rate
// is an error and books nothing.
//
// A declaration whose entries cannot be computed (e.g. a month outside the
// rules shipped) is skipped and reported in `problems`; the rest is booked.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/error.h"
#include "rules/parameter_store.h"
#include "storage/database.h"

namespace shebao::jobs {

struct RunOptions {
  std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
  // Person-months (or other entries) per transaction, a declaration never split;
  // 0: the database's own (storage::Database::batch_entries).
  std::size_t batch_entries = 0;
};

struct MonthRunSummary {
  std::int64_t reversals = 0;
  std::int64_t declarations = 0;
  std::int64_t person_months = 0;
  std::int64_t flexible_months = 0;
  std::int64_t payments = 0;
  std::int64_t late_fees = 0;
  std::vector<std::string> problems;
};

struct YearRunSummary {
  std::int64_t accounts = 0;
  std::int64_t interest_fen = 0;
  std::vector<std::string> problems;
};

Result<MonthRunSummary> run_month(YearMonth month, storage::Database& database, const rules::ParameterStore& rules,
                                  const RunOptions& options);

Result<YearRunSummary> run_year(int year, storage::Database& database, const rules::ParameterStore& rules,
                                const RunOptions& options);

}  // namespace shebao::jobs
