// shebao rules: monthly pension at award, employee scheme and residents' scheme
// (CN-EMP-BEN-TOTAL-2006, CN-EMP-BEN-BASIC-2006, CN-EMP-BEN-ACCT-2006,
// CN-EMP-DIVISOR-2006, CN-EMP-DIVISOR-MONTHS-2025, CN-RES-MINBASIC,
// CN-RES-ACCT-139; rules-cn-eu.md §2, §6, §16.3, §16.4).
//
// Every rule number (accrual rate, divisor table, month-level divisor rule,
// minimum basic pension, residents' divisor) comes from the ParameterStore,
// selected by the retirement (payment) month, or the entry currently in force
// when no month is given. Amounts are exact decimals, each component rounded
// HALF_UP to the fen; totals are sums of rounded components.
//
// Success: a result holding the components the query asked for.
// Failure:
//   invalid_input  inconsistent or out-of-domain query (both or neither of two
//                  alternatives, negative amounts, zero wage or divisor,
//                  months outside 0..11, an override outside its domain);
//   out_of_range   a month before the rule in force (employee pensions before
//                  the 2006 formula, residents' payments before the first
//                  minimum), a divisor age outside the table, or a result too
//                  large to represent.
//
// Pure functions of their arguments and the store; no clock. Thread safe.
#pragma once

#include <cstdint>
#include <optional>

#include "core/calendar.h"
#include "core/decimal.h"
#include "core/error.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::rules {

// Age at retirement in completed years and months (months 0..11).
struct AgeAtRetirement {
  int years = 0;
  int months = 0;
};

// The basic-pension inputs. Exactly one of the index and the indexed wage, and
// exactly one of the months and the years; given values are used as given.
struct BasicPensionInputs {
  Money average_wage;                                  // W (计发基数), > 0
  std::optional<Decimal> average_contribution_index;   // Z, > 0
  std::optional<Money> indexed_monthly_wage;           // W × Z as published, > 0
  std::optional<std::int64_t> contribution_months;     // incl. deemed months, >= 0
  std::optional<Decimal> contribution_years;           // as published, >= 0
};

// The account-pension inputs. Exactly one of the age and the divisor.
struct AccountPensionInputs {
  Money account_balance;                  // >= 0
  std::optional<AgeAtRetirement> retirement_age;
  std::optional<Decimal> divisor;         // given explicitly, > 0
};

struct EmployeePensionQuery {
  // Selects the rules in force; absent = the rules currently in force.
  std::optional<YearMonth> retirement_month;
  std::optional<BasicPensionInputs> basic;     // at least one of the two groups
  std::optional<AccountPensionInputs> account;
  // Given amounts (>= 0) that enter only the total, when both groups are present.
  Money transitional_pension;
  Money local_supplement;
  // Replaces the table value at age 47 (also inside the month-level
  // interpolation); must lie between the table values at 48 and 46.
  std::optional<std::int64_t> divisor_age_47;
  // Replaces basic_pension_accrual_rate (the share of the average of W and the
  // indexed wage per year of contributions); 0 < rate <= 0.05. For policy
  // simulation: the rules in force still decide which formula applies.
  std::optional<Decimal> accrual_rate;
};

struct EmployeePensionResult {
  std::optional<Money> indexed_monthly_wage;   // only when derived from Z
  std::optional<Decimal> contribution_years;   // only when derived from months
  std::optional<Money> basic_pension;
  std::optional<Decimal> divisor;
  std::optional<Money> account_pension;
  std::optional<Money> total_pension;          // only when both groups are present
};

Result<EmployeePensionResult> compute_employee_pension(const EmployeePensionQuery& query,
                                                       const ParameterStore& store, Trace* trace);

// The divisor (计发月数) for an age at retirement under the divisor table and
// month rule in force at `retirement_month` (absent = currently in force), with
// an optional override of the age-47 value. Errors as compute_employee_pension.
Result<Decimal> employee_pension_divisor(AgeAtRetirement age, std::optional<YearMonth> retirement_month,
                                         std::optional<std::int64_t> divisor_age_47, const ParameterStore& store,
                                         Trace* trace);

// The account balance as its parts (Q3): (contribution + subsidy) × years + interest.
struct ResidentAccountParts {
  Money annual_contribution;   // >= 0
  Money annual_subsidy;        // >= 0
  std::int64_t contribution_years = 0;  // >= 0
  Money accrued_interest;      // >= 0
};

struct ResidentPensionQuery {
  // Exactly one of a given basic pension and a payment month; with the month,
  // the national minimum of that month plus the local top-up.
  std::optional<Money> basic_pension;
  std::optional<YearMonth> payment_month;
  std::optional<Money> local_top_up;   // only with payment_month; absent = 0
  // Exactly one of a balance and its parts.
  std::optional<Money> account_balance;
  std::optional<ResidentAccountParts> account_parts;
  // Replaces the residents' divisor for this computation; > 0.
  std::optional<Decimal> resident_divisor;
};

struct ResidentPensionResult {
  Money basic_pension;
  Money account_balance;
  Decimal divisor;
  Money account_pension;
  Money total_pension;
};

Result<ResidentPensionResult> compute_resident_pension(const ResidentPensionQuery& query,
                                                       const ParameterStore& store, Trace* trace);

}  // namespace shebao::rules
