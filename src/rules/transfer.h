// shebao rules: moving the employee pension relationship between provinces
// (国办发〔2009〕66号; rules-cn-eu.md §7.2-§7.4, §16.8, §16.9;
// CN-XFER-FUNDS-2010, CN-XFER-TEMP-2010, CN-XFER-PAYER-2010).
//
// Two calculators:
//   compute_pooled_transfer  the pooled-fund share that follows the member:
//                            round2(pooled rate × Σ monthly base × months) over
//                            the years from the counting start (1998), earlier
//                            years accepted and skipped (T1);
//   compute_paying_region    which province pays the pension (art. 6 points
//                            1-4), which one holds the relationship at the end
//                            and which stints were temporary accounts (art. 5(3)).
//
// Every number (pooled rate, counting start, 10-year threshold, age thresholds
// of the temporary account) comes from the ParameterStore. The rules are
// selected by the transfer date; a query without one uses the entries in force
// now (ParameterStore::current) and the trace says so. A pooled-rate override
// replaces the store's value for one computation and is traced as an override.
//
// Regions are provinces by their two-digit GB/T 2260 code (44 = Guangdong),
// written "CN-44" in case files and traces.
//
// Errors (Result):
//   invalid_input  an empty list, months outside 1..12 in a pooled period, the
//                  months of one calendar year above 12 (T2), a negative base or
//                  rate, an unknown province code, a stint with months < 1, a
//                  history that is not chronological or overlaps, a stint that
//                  starts before the birth month (G5), an amount too large;
//   rule_missing   the store has no entry for a key needed.
// Neither calculator has out_of_range inputs (cases-format.md §4).
//
// Pure functions of their arguments and the (immutable) store: thread safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/decimal.h"
#include "core/error.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::rules {

// "CN-44" for 44. The code is not checked.
std::string province_jurisdiction(int province_code);

// ---------------------------------------------------------------------------
// Pooled-fund transfer (CN-XFER-FUNDS-2010).

struct PooledPeriod {
  int year = 0;        // calendar year of the contributions
  Money monthly_base;  // actual monthly contribution base, ≥ 0
  int months = 0;      // contribution months in that year at this base, 1..12
};

struct PooledTransferQuery {
  // Non-empty. Several entries may share a year (a change of base within the
  // year); their months total at most 12.
  std::vector<PooledPeriod> periods;
  // Selects the rules; nullopt = the entries in force now.
  std::optional<Date> transfer_date;
  // Replaces transfer_pooled_rate when set; ≥ 0.
  std::optional<Decimal> pooled_rate;
};

struct PooledTransferResult {
  int counted_months = 0;    // months of the years from the counting start
  Money counted_base_total;  // Σ monthly_base × months over those years
  Decimal pooled_rate;       // the rate applied (store or override)
  Money pooled_transfer;     // round2(pooled_rate × counted_base_total)
};

Result<PooledTransferResult> compute_pooled_transfer(const PooledTransferQuery& query, const ParameterStore& store,
                                                     Trace* trace);

// ---------------------------------------------------------------------------
// Paying region and temporary accounts (CN-XFER-PAYER-2010, CN-XFER-TEMP-2010).

enum class Sex { male, female };
std::string_view to_string(Sex sex);

// One period of contributions in one province. It occupies the calendar months
// start_month … start_month + months − 1 (G5).
struct Stint {
  int region = 0;  // province code
  YearMonth start_month;
  int months = 0;                  // contribution months, ≥ 1
  bool approved_transfer = false;  // move approved by the authorities: exempt from the age rule (G4)
};

struct PayingRegionQuery {
  int hukou_region = 0;  // province code of the household registration
  Sex sex = Sex::male;   // selects the temporary-account age threshold
  YearMonth birth_month;
  // Non-empty, chronological and non-overlapping; gaps are allowed. No stint
  // starts before birth_month.
  std::vector<Stint> history;
  // Selects the rules; nullopt = the entries in force now.
  std::optional<Date> transfer_date;
};

// art. 6 points 1-4.
enum class PayingRule { hukou_region, current_region_10y, previous_region_10y, hukou_fallback };
std::string_view to_string(PayingRule rule);

struct PayingRegionResult {
  int paying_region = 0;
  PayingRule rule = PayingRule::hukou_fallback;
  // Region of the last non-temporary stint; nullopt when every stint was a
  // temporary account.
  std::optional<int> relationship_region;
  // One flag per history entry, in order.
  std::vector<bool> temporary_account;
  // months_in(r): months of all non-temporary stints per region (G1).
  std::map<int, int> counted_months_by_region;
};

// A stint is a temporary account when its region differs from the hukou region
// and from the region holding the relationship when it starts, the member's
// age at its start (whole months from birth month to start month) has reached
// the threshold of their sex, and it is not an approved transfer (G2, G4); a
// first enrolment outside the hukou region is judged the same way. Only
// non-temporary stints move the relationship. The paying region then follows
// art. 6: the hukou region if it holds the relationship; else the relationship
// region with ≥ the 10-year threshold of months_in; else the region with
// months_in ≥ the threshold whose last non-temporary stint ends latest
// (previous_region_10y, even when that is the hukou region, G3); else the
// hukou region (hukou_fallback).
Result<PayingRegionResult> compute_paying_region(const PayingRegionQuery& query, const ParameterStore& store,
                                                 Trace* trace);

}  // namespace shebao::rules
