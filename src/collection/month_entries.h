// shebao collection: the journal entries of a month, computed with the rules.
//
// Pure functions from registry facts, declared wages and the rules to ledger
// entries (ledger/ledger.h). The storage layer reads the facts and books the
// entries; nothing here does I/O or reads a clock.
//
// Accounts used (debit > 0):
//   contribution (employee person-month, employer in province P), one line of
//   the declaration's packed entry (ledger::PackedEntry):
//     employer_receivable(employer)  + employer part + individual part
//     personal(person)               − account credit
//     pooled_fund(P)                 − the rest
//   flexible contribution (paid online when declared, in the scheme province P),
//   one line of the packed entry of the month, P and the worker's block:
//     collection_bank(P) + total,  personal − account credit,  pooled_fund(P) − the rest
//   payment of an employer's month: collection_bank(P) + dues, employer_receivable − dues
//   late fee for the overdue days within a run month:
//     employer_receivable + fee, pooled_fund(P) − fee
//   (each one line of the run month's packed entry of its block of employers,
//   ledger::SettlementEntry)
//   interest: interest_expense(P) + interest, personal − interest
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <tuple>

#include "core/calendar.h"
#include "core/decimal.h"
#include "ledger/ledger.h"
#include "registry/model.h"
#include "rules/contribution.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::collection {

struct DeclaredPersonMonth {
  std::int64_t declaration_id = 0;
  std::int64_t person_id = 0;
  std::int64_t employer_id = 0;
  std::string employer_region;  // six digits
  registry::EmployerSize employer_size = registry::EmployerSize::small;
  registry::UnitType unit_type = registry::UnitType::enterprise;
  YearMonth month;
  Money declared_wage;  // own previous-year average monthly wage
};

// Province number of a six-digit region ("440300" → 44).
int province_of(std::string_view region_code);

// The rules' computation of one declared person-month: the local average wage
// of the employer's province, then base, rates, relief and amounts.
Result<rules::EmployeeContributionResult> compute_declared_month(const DeclaredPersonMonth& declared,
                                                                 const rules::ParameterStore& store,
                                                                 rules::Trace* trace);

// The contribution postings of one person-month. Errors: the rules'
// (out_of_range / rule_missing for a month outside the rules shipped).
Result<ledger::PackedLine> contribution_line(const DeclaredPersonMonth& declared, const rules::ParameterStore& store,
                                             rules::Trace* trace);

// compute_declared_month for many declarations: its result depends on the
// month, the employer's region, size and unit type and the wage only, and the
// wage changes the base and the amounts alone (rules::with_monthly_wage), so
// the rules are resolved once per such quadruple and kept (a month's
// declarations share a few dozen of them). An error is not kept: the next
// person-month with the same quadruple resolves them again (and fails the same).
class DeclaredMonths {
 public:
  explicit DeclaredMonths(const rules::ParameterStore& store) : store_(store) {}
  Result<rules::EmployeeContributionResult> compute(const DeclaredPersonMonth& declared);

 private:
  static constexpr std::size_t kMostKept = 4096;  // forgotten all at once beyond this
  const rules::ParameterStore& store_;
  std::map<std::tuple<int, std::string, int, int>, rules::EmployeeContributionResult> computed_;
};

// The packed contribution entry of one declaration from its person-months (all
// of one declaration, ascending person_id, at least one). Errors: the first
// line's that cannot be computed. With `months`, the rules resolved for earlier
// declarations are reused (the same entry as without).
Result<ledger::PackedEntry> declaration_entry(std::span<const DeclaredPersonMonth> declared,
                                              const rules::ParameterStore& store, DeclaredMonths* months = nullptr);

struct FlexibleMonth {
  std::int64_t person_id = 0;
  std::string scheme_region;
  Decimal base_ratio;
  YearMonth month;
};

// A flexible worker's line of the month's packed flexible payments
// (ledger::packed_flexible_entry): amount 0 the collection bank of the scheme
// province (province_of(member.scheme_region)), 1 the personal account, 2 the
// pooled fund.
Result<ledger::PackedLine> flexible_line(const FlexibleMonth& member, const rules::ParameterStore& store,
                                         rules::Trace* trace);

// flexible_line for many workers: the rules' result depends on the month, the
// scheme province and the base ratio only, so it is computed once per such
// triple (an error too) and kept.
class FlexibleEntries {
 public:
  explicit FlexibleEntries(const rules::ParameterStore& store) : store_(store) {}
  Result<ledger::PackedLine> line(const FlexibleMonth& member);

 private:
  const rules::ParameterStore& store_;
  // By month, scheme province and base ratio (the rules a flexible payment
  // follows are the province's).
  std::map<std::tuple<int, int, Decimal>, Result<rules::FlexibleContributionResult>> computed_;
};

// Payment on `paid_on` of `outstanding_fen` of an employer's month, of which
// `paid_before_fen` had been paid (a line of a packed settlement entry).
ledger::SettlementLine payment_line(std::int64_t employer_id, std::string_view employer_region, YearMonth month,
                                    std::int64_t outstanding_fen, Date paid_on, std::int64_t paid_before_fen);

// Contributions of month M are due on this day (the 15th of M+1).
Date due_date(YearMonth month);

// Late fee on `dues_fen` of `owed_month` for the overdue days that fall inside
// `run_month`, given the payment date (nullopt = unpaid), as a line of a packed
// settlement entry. Returns nullopt when nothing is overdue in that month.
Result<std::optional<ledger::SettlementLine>> late_fee_line(std::int64_t employer_id,
                                                            std::string_view employer_region, YearMonth owed_month,
                                                            std::int64_t dues_fen, std::optional<Date> paid_on,
                                                            YearMonth run_month, const rules::ParameterStore& store);

}  // namespace shebao::collection
