// The schema of every parameter the calculators read. Adding a key here is
// what makes it legal in a rules file; the values themselves live in rules/.
#include <algorithm>

#include "rules/parameter_store.h"

namespace shebao::rules {
namespace {

using enum ValueType;
using enum Granularity;

const std::vector<std::string_view> kCategories = {"male", "female_55", "female_50"};
const std::vector<std::string_view> kSexes = {"male", "female"};
const std::vector<std::string_view> kDaySchemes = {"5_day", "6_day", "7_day"};

const std::vector<ParamSchema>& schema_table() {
  static const std::vector<ParamSchema> schemas = {
      // --- employee contributions (selected by contribution month) ---
      {"employer_pension_rate", decimal, by_month, "0", "0.5", false, true, true, {}, {},
       "employer pension contribution rate of the base"},
      {"individual_pension_rate", decimal, by_month, "0", "0.2", false, true, true, {}, {},
       "individual pension contribution rate of the base"},
      {"account_credit_rate", decimal, by_month, "0", "0.2", false, false, true, {}, {},
       "share of the base credited monthly to the personal account"},
      {"contribution_base_floor_ratio", decimal, by_month, "0", "10", false, true, true, {}, {},
       "floor of the contribution base as a ratio of the local average wage"},
      {"contribution_base_ceiling_ratio", decimal, by_month, "0", "10", false, true, true, {}, {},
       "ceiling of the contribution base as a ratio of the local average wage"},
      {"average_wage_for_base", decimal, by_month, "1", "1000000", true, true, true, {}, {},
       "local average monthly wage that sets the contribution base floor and ceiling, yuan"},
      {"public_institution_scheme", boolean, by_month, "", "", false, false, true, {}, {},
       "government bodies and public institutions are in the employee scheme"},
      {"covid_employer_relief_factor", decimal, by_month, "0", "1", false, true, false,
       {"sme", "large", "all_units"}, {}, "factor applied to the employer pension contribution in 2020"},
      // --- flexible workers ---
      {"flexible_total_rate", decimal, by_month, "0", "1", false, true, true, {}, {},
       "total contribution rate of a flexible worker's chosen base"},
      {"flexible_account_rate", decimal, by_month, "0", "1", false, true, true, {}, {},
       "part of the flexible contribution credited to the personal account"},
      {"flexible_min_base_ratio", decimal, by_month, "0", "10", false, true, true, {}, {},
       "lowest base a flexible worker may choose, as a ratio of the average wage"},
      {"flexible_max_base_ratio", decimal, by_month, "0", "10", false, true, true, {}, {},
       "highest base a flexible worker may choose, as a ratio of the average wage"},
      // --- arrears ---
      {"late_fee_daily_rate", decimal, by_day, "0", "0.01", false, true, true, {}, {},
       "late fee per overdue calendar day, of the arrears"},
      {"late_fee_cap_at_principal", boolean, by_day, "", "", false, true, true, {}, {},
       "whether the late fee is capped at the arrears"},
      // --- benefits (selected by retirement month) ---
      {"basic_pension_accrual_rate", decimal, by_month, "0", "0.1", false, false, true, {}, {},
       "basic pension per contribution year, of the average of W and the indexed wage"},
      {"pension_divisor", table, by_month, "1", "300", false, false, true, {}, {},
       "months divisor of the account pension by whole years of age at retirement"},
      {"divisor_month_rule", text, by_month, "", "", false, false, true, {}, {"completed_years", "linear_1dp"},
       "how a retirement age with months selects the divisor"},
      {"pension_base_w", decimal, by_month, "1", "1000000", true, true, false, {}, {},
       "provincial pension base W (计发基数) of the retirement year, yuan per month"},
      {"minimum_contribution_months", integer, by_year, "0", "600", false, false, true, {}, {},
       "minimum contribution months for a monthly pension, by year of retirement"},
      // --- retirement age (series selected by birth month; see rules/cn/retirement.toml) ---
      {"retirement_original_age_months", integer, by_month, "480", "840", false, false, true, kCategories, {},
       "statutory age before the 2025 reform"},
      {"retirement_delay_step_birth_months", integer, by_month, "1", "12", false, false, true, kCategories, {},
       "birth months per one month of delay; the series starts at the first affected birth month"},
      {"retirement_delay_cap_months", integer, by_month, "0", "120", false, false, true, kCategories, {},
       "largest delay of the statutory age"},
      {"flexible_retirement_window_months", integer, by_month, "0", "120", false, false, true,
       {"earliest", "latest"}, {}, "months before/after the statutory age a person may choose"},
      // --- residents' scheme ---
      {"resident_min_basic_pension", decimal, by_month, "0", "100000", true, false, true, {}, {},
       "national minimum basic pension of the residents' scheme, yuan per month"},
      {"resident_account_divisor", decimal, by_month, "1", "1000", false, false, true, {}, {},
       "divisor of the residents' account pension"},
      // --- personal account interest (selected by the year credited) ---
      {"account_interest_rate", decimal, by_year, "0", "0.5", false, true, false, {}, {},
       "yearly crediting rate of employee personal accounts"},
      // --- transfers between provinces (selected by transfer date) ---
      {"transfer_pooled_rate", decimal, by_day, "0", "1", false, false, true, {}, {},
       "share of each year's contribution base transferred from the pooled fund"},
      {"transfer_counting_start", month, by_day, "", "", false, false, true, {}, {},
       "first contribution month counted for the pooled transfer"},
      {"paying_region_min_months", integer, by_day, "1", "600", false, false, true, {}, {},
       "contribution months in a region that make it the paying region"},
      {"temporary_account_age_months", integer, by_day, "0", "1200", false, false, true, kSexes, {},
       "age at a move from which a temporary account is opened"},
      // --- EU coordination ---
      {"eu_hours_per_day", integer, by_day, "1", "24", false, false, true, kDaySchemes, {},
       "hours in a day of the scheme (987/2009 art. 13(1)(b))"},
      {"eu_days_per_week", integer, by_day, "1", "7", false, false, true, kDaySchemes, {}, "days in a week"},
      {"eu_days_per_month", integer, by_day, "1", "31", false, false, true, kDaySchemes, {}, "days in a month"},
      {"eu_days_per_quarter", integer, by_day, "1", "92", false, false, true, kDaySchemes, {}, "days in a quarter"},
      {"eu_days_per_year", integer, by_day, "1", "366", false, false, true, kDaySchemes, {},
       "maximum days in a calendar year"},
      {"eu_art57_one_year", integer, by_day, "1", "400", false, false, true, {"week", "month", "quarter"}, {},
       "one year of periods in the state's own unit (883/2004 art. 57(1))"},
      {"eu_art57_released_periods_in_denominator", boolean, by_day, "", "", false, false, true, {}, {},
       "whether periods of a state released under art. 57(1) stay in the other states' pro-rata denominators"},
  };
  return schemas;
}

}  // namespace

std::span<const ParamSchema> parameter_schema() { return schema_table(); }

const ParamSchema* find_schema(std::string_view key) {
  const auto& table = schema_table();
  auto it = std::find_if(table.begin(), table.end(), [&](const ParamSchema& s) { return s.key == key; });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace shebao::rules
