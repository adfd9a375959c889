// shebao rules: yearly interest crediting of an employee personal account
// (rules-cn-eu.md §1.4, CN-EMP-ACCT-INTEREST-2016, CN-EMP-ACCT-INTRAYEAR).
//
// Interest is settled once per calendar year at that year's crediting rate r
// (parameter account_interest_rate of the year). The balance at 1 January
// earns r for the whole year; an amount credited for month m (1..12) earns
// r × (13 − m) / 12 (simple interest, the crediting month counts):
//
//   interest = round2(opening × r + Σ credit_m × r × (13 − m) / 12)
//
// The sum is computed exactly and rounded once, HALF_UP to the fen; no
// per-credit rounding. closing balance = opening + Σ credits + interest.
//
// Errors (Result):
//   invalid_input  year outside 1..9999, a credit month outside 1..12, a
//                  negative opening balance or credit;
//   rule_missing   no published rate for the year in the jurisdiction or
//                  nationally (e.g. 2025 until the official rate is loaded);
//   out_of_range   a result too large for Money.
//
// Pure function of its arguments and the (immutable) store: thread safe.
#pragma once

#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/error.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::rules {

struct MonthlyCredit {
  int month = 1;  // 1..12, the month the amount is credited for
  Money amount;   // ≥ 0
};

struct AccountInterestQuery {
  int year = 0;
  Money opening_balance;               // balance at 1 January, ≥ 0
  std::vector<MonthlyCredit> credits;  // any order; several credits may share a month
  std::string jurisdiction = "CN";     // a province's rate series, falling back to "CN"
};

struct AccountInterestResult {
  Decimal rate;         // account_interest_rate of the year
  Money credits_total;  // Σ credits
  Money interest;
  Money closing_balance;  // opening + credits + interest
};

Result<AccountInterestResult> compute_account_interest(const AccountInterestQuery& query, const ParameterStore& store,
                                                       Trace* trace);

}  // namespace shebao::rules
