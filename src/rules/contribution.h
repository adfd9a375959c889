// shebao rules: pension contributions of employees and flexible workers, and
// the late-payment fee on arrears (rules-cn-eu.md §1.1-§1.3, §5, §8, §9, §16.5-§16.7;
// CN-EMP-RATE-*, CN-EMP-BASE-1997, CN-EMP-ACCT-CREDIT-*, CN-EMP-PUBINST-2014,
// CN-COVID-*, CN-FLEX-*, CN-LATE-*).
//
// Every number (rates, base ratios, relief factors, late-fee rates and the
// date they change) comes from the ParameterStore; a query may carry
// overrides that replace the store's value for that one computation and are
// recorded in the trace as overrides. Amounts are exact decimals rounded
// HALF_UP to the fen once per component (rules §0.3).
//
// Errors (Result):
//   invalid_input  a value outside its domain (negative amount, average wage
//                  not > 0, floor ratio above ceiling ratio, months < 1 ...),
//                  a missing employer size where the 2020 relief needs it (E3),
//                  both or neither of two alternative inputs;
//   out_of_range   a month before the rule exists (employee contributions before
//                  the first employer_pension_rate entry, public institutions
//                  before public_institution_scheme, flexible workers before
//                  the first flexible_total_rate entry), a flexible base ratio
//                  or chosen base outside the band, an amount too large for Money;
//   rule_missing   the store has no value where one is needed.
//
// Pure functions of their arguments and the (immutable) store: thread safe.
// The trace, when given, is appended to by one call at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/calendar.h"
#include "core/decimal.h"
#include "core/error.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::rules {

enum class EmployerSize { micro, small, medium, large };
enum class UnitType { enterprise, individual_business, public_institution };
// The 2020 relief of the employer pension share (rules §9): `exempt` for a
// factor of 0, `half` for a factor strictly between 0 and 1, `none` otherwise.
enum class CovidRelief { none, half, exempt };

std::string_view to_string(EmployerSize size);
std::string_view to_string(UnitType unit_type);
std::string_view to_string(CovidRelief relief);

// ---------------------------------------------------------------------------
// Employee contribution for one contribution month (pension line only).

struct EmployeeContributionQuery {
  YearMonth contribution_month;               // 所属期; selects every rule
  Money monthly_wage;                         // own previous-year average monthly wage, ≥ 0
  Money local_average_monthly_wage;           // sets floor and ceiling, > 0
  std::optional<EmployerSize> employer_size;  // required for enterprises in months a relief entry covers (E3)
  UnitType unit_type = UnitType::enterprise;
  // "CN" or "CN-nn". Selects the province-specific relief series (the Hubei
  // all_units entry); the general relief series fall back to "CN".
  std::string province = "CN";
  // Jurisdiction of the rate, base-ratio and account-credit series. The case
  // kind always uses "CN": the contract has no provincial rate tables (E1).
  std::string rate_jurisdiction = "CN";
  // Overrides (each ≥ 0; the floor ratio must not exceed the ceiling ratio).
  std::optional<Decimal> employer_pension_rate;
  std::optional<Decimal> individual_pension_rate;
  std::optional<Decimal> base_floor_ratio;
  std::optional<Decimal> base_ceiling_ratio;
};

struct EmployeeContributionResult {
  Money base_floor;               // round2(floor ratio × average)
  Money base_ceiling;             // round2(ceiling ratio × average)
  Money contribution_base;        // clamp(wage, floor, ceiling)
  Decimal employer_pension_rate;  // before any relief
  Decimal individual_pension_rate;
  Decimal account_credit_rate;
  CovidRelief covid_relief = CovidRelief::none;
  Decimal relief_factor;     // multiplies the employer share; 1 without relief
  Money employer_pension;    // round2(base × employer rate × relief factor)
  Money individual_pension;  // round2(base × individual rate), never reduced
  Money account_credit;      // round2(base × account credit rate)
};

Result<EmployeeContributionResult> compute_employee_contribution(const EmployeeContributionQuery& query,
                                                                 const ParameterStore& store, Trace* trace);

// What compute_employee_contribution returns for the query that gave `computed`
// with `monthly_wage` instead of its wage: only the base (clamped to the same
// floor and ceiling) and the three amounts depend on the wage; every parameter
// and check of the query is the same. For many person-months that share every
// field but the wage (the lines of one declaration), without resolving the rules
// again for each.
Result<EmployeeContributionResult> with_monthly_wage(const EmployeeContributionResult& computed, Money monthly_wage);

// ---------------------------------------------------------------------------
// Flexible worker (灵活就业人员) contribution for `months` months at one base.

enum class AverageWagePeriod { monthly, annual };

struct FlexibleContributionQuery {
  YearMonth contribution_month;  // before the first flexible_total_rate entry: out_of_range
  Money local_average_wage;      // > 0
  // An annual average is divided by 12 without rounding (X2).
  AverageWagePeriod average_period = AverageWagePeriod::monthly;
  // Exactly one of the two, each ≥ 0: the base is round2(average × ratio), or the chosen base as given.
  std::optional<Decimal> base_ratio;
  std::optional<Money> chosen_monthly_base;
  std::int64_t months = 1;  // ≥ 1
  // Jurisdiction of the flexible_* series (a province's local band); the case kind uses "CN".
  std::string jurisdiction = "CN";
  // Overrides (each ≥ 0, min ≤ max, account ≤ total).
  std::optional<Decimal> min_base_ratio;
  std::optional<Decimal> max_base_ratio;
  std::optional<Decimal> total_rate;
  std::optional<Decimal> account_rate;
};

struct FlexibleContributionResult {
  Money lowest_base;        // round2(min ratio × average)
  Money highest_base;       // round2(max ratio × average)
  Money contribution_base;  // monthly base
  Decimal total_rate;
  Decimal account_rate;
  Money total_contribution;  // round2(base × total rate × months)
  Money account_credit;      // round2(base × account rate × months)
  Money pooled_fund_part;    // total − account
};

Result<FlexibleContributionResult> compute_flexible_contribution(const FlexibleContributionQuery& query,
                                                                 const ParameterStore& store, Trace* trace);

// ---------------------------------------------------------------------------
// Late-payment fee (滞纳金) on arrears.
//
// The days charged are first_overdue_date … first_overdue_date + overdue_days − 1.
// Two daily rates apply: the old rate to days before the change date, the new
// rate from it (L1). From the store: the new rate and the change date are the
// value and `from` of the current late_fee_daily_rate entry, the old rate the
// value of the entry before it; the cap flag is the current
// late_fee_cap_at_principal entry. The fee is
// round2(principal × (old rate × old days + new rate × new days)), computed
// exactly and rounded once, then limited to the principal when capped.

struct LateFeeQuery {
  Money principal;  // ≥ 0
  Date first_overdue_date;
  std::int64_t overdue_days = 0;    // ≥ 0
  std::string jurisdiction = "CN";  // a province's series, falling back to "CN"
  // Overrides (rates ≥ 0).
  std::optional<bool> cap_at_principal;
  std::optional<Date> rate_change_date;
  std::optional<Decimal> old_daily_rate;
  std::optional<Decimal> new_daily_rate;
};

struct LateFeeResult {
  std::int64_t days_at_old_rate = 0;
  std::int64_t days_at_new_rate = 0;
  Date rate_change_date;
  Decimal old_daily_rate;
  Decimal new_daily_rate;
  bool cap_at_principal = false;
  Money uncapped_fee;  // before the cap
  Money late_fee;      // after the cap, when it applies
};

Result<LateFeeResult> compute_late_fee(const LateFeeQuery& query, const ParameterStore& store, Trace* trace);

}  // namespace shebao::rules
