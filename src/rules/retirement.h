// shebao rules: statutory retirement date under the 2025 reform and the
// minimum contribution period (CN-RET-AGE-PRE2025, CN-RET-AGE-2025,
// CN-RET-FLEX-2025, CN-EMP-ELIG-15Y, CN-EMP-MINYRS-2030).
//
// Pure functions of their arguments and the ParameterStore; no clock (the
// reference date is an argument). Thread safe.
#pragma once

#include <optional>

#include "core/calendar.h"
#include "core/error.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::rules {

// The original statutory category, a member attribute never inferred from sex.
enum class RetirementCategory { male, female_55, female_50 };
enum class RetirementOption { statutory, earliest, latest };

std::string_view to_string(RetirementCategory category);
std::string_view to_string(RetirementOption option);

struct RetirementQuery {
  YearMonth birth_month;
  RetirementCategory category = RetirementCategory::male;
  RetirementOption option = RetirementOption::statutory;
};

struct RetirementResult {
  YearMonth retirement_month;     // birth month + age
  int age_months = 0;             // age at retirement for the option asked
  int statutory_delay_months = 0; // statutory age minus original age (same for all options)
  int statutory_age_months = 0;
  YearMonth statutory_month;
};

// out_of_range: earliest/latest for a cohort whose statutory month is before the
// flexible window exists (2025-01).
Result<RetirementResult> compute_retirement(const RetirementQuery& query, const ParameterStore& store,
                                            Trace* trace);

// Minimum contribution months for a pension starting in `retirement_year`;
// out_of_range before the first year the rule covers (1998).
Result<int> compute_minimum_months(int retirement_year, const ParameterStore& store, Trace* trace);

}  // namespace shebao::rules
