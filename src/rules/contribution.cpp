#include "rules/contribution.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/region.h"
#include "rules/case_input.h"
#include "rules/case_kinds.h"

namespace shebao::rules {
namespace json = boost::json;

std::string_view to_string(EmployerSize size) {
  switch (size) {
    case EmployerSize::micro: return "micro";
    case EmployerSize::small: return "small";
    case EmployerSize::medium: return "medium";
    case EmployerSize::large: return "large";
  }
  return "large";
}

std::string_view to_string(UnitType unit_type) {
  switch (unit_type) {
    case UnitType::enterprise: return "enterprise";
    case UnitType::individual_business: return "individual_business";
    case UnitType::public_institution: return "public_institution";
  }
  return "enterprise";
}

std::string_view to_string(CovidRelief relief) {
  switch (relief) {
    case CovidRelief::none: return "none";
    case CovidRelief::half: return "half";
    case CovidRelief::exempt: return "exempt";
  }
  return "none";
}

namespace {

// A parameter value with where it came from. `entry` is the store's entry for
// the date, also when an override replaced its value (it still names the rule).
struct Resolved {
  Decimal value;
  const ParamEntry* entry = nullptr;
  bool overridden = false;
  std::string override_name;  // where the override came from: "parameters.total_rate", "employer_pension_rate"
};

std::string rule_of(const Resolved& resolved, std::string_view fallback) {
  return resolved.entry != nullptr ? resolved.entry->rule_id : std::string(fallback);
}

void cite(TraceStep& step, const Resolved& resolved) {
  if (resolved.overridden) {
    std::string_view key = resolved.override_name;
    if (key.starts_with("parameters.")) key.remove_prefix(std::string_view("parameters.").size());
    step.override_param(std::string(key), resolved.value.to_string(), "case input (" + resolved.override_name + ")");
  } else if (resolved.entry != nullptr) {
    step.param(*resolved.entry);
  }
}

Resolved from_entry_or_override(const ParamEntry* entry, const std::optional<Decimal>& override_value,
                                std::string override_name) {
  if (override_value) return Resolved{*override_value, entry, true, std::move(override_name)};
  return Resolved{entry != nullptr ? entry->number : Decimal(), entry, false, {}};
}

// The override when given, otherwise the store's value of `key` for `month`
// (rule_missing when the store has none).
Result<Resolved> resolve(const ParameterStore& store, std::string_view key, YearMonth month,
                         std::string_view jurisdiction, const std::optional<Decimal>& override_value,
                         std::string override_name) {
  auto entry = store.find(key, month, jurisdiction);
  if (!entry && !override_value) return tl::unexpected(entry.error());
  return from_entry_or_override(entry ? *entry : nullptr, override_value, std::move(override_name));
}

// The series of `key` for a jurisdiction, or the national one when the province has none.
std::span<const ParamEntry> series_with_fallback(const ParameterStore& store, std::string_view key,
                                                 std::string_view jurisdiction) {
  auto entries = store.series(key, jurisdiction);
  if (entries.empty() && jurisdiction != "CN") entries = store.series(key, "CN");
  return entries;
}

// `value` (at most two decimals) as Money; out_of_range beyond what Money holds.
Result<Money> to_money(const Decimal& value, std::string_view field) {
  static const Decimal largest = Decimal::from_units(std::numeric_limits<std::int64_t>::max(), 2);
  static const Decimal smallest = Decimal::from_units(std::numeric_limits<std::int64_t>::min(), 2);
  if (value > largest || value < smallest) {
    return out_of_range(std::string(field), "amount " + value.to_string() + " is too large");
  }
  return Money::from_decimal(value);
}

Result<void> require_non_negative(const std::optional<Decimal>& value, std::string_view field) {
  if (value && value->sign() < 0) return invalid(std::string(field), "must not be negative");
  return {};
}

Result<void> require_non_negative(const Money& value, std::string_view field) {
  if (value.fen() < 0) return invalid(std::string(field), "must not be negative");
  return {};
}

CovidRelief relief_of(const Decimal& factor) {
  if (factor.is_zero()) return CovidRelief::exempt;
  if (factor < Decimal::from_int(1)) return CovidRelief::half;
  return CovidRelief::none;
}

bool counts_as_sme(const EmployeeContributionQuery& query) {
  if (query.unit_type == UnitType::individual_business) return true;
  return query.employer_size && *query.employer_size != EmployerSize::large;
}

// The relief entry that applies to the query's month, or nullptr (rules §9,
// driven by the data: the province's all_units entry, else the SME or the
// large-enterprise entry; public institutions have none).
const ParamEntry* relief_entry(const EmployeeContributionQuery& query, const ParameterStore& store) {
  if (query.unit_type == UnitType::public_institution) return nullptr;
  const Date day = Date::first_of(query.contribution_month);
  if (const ParamEntry* all_units =
          store.find_exact("covid_employer_relief_factor", day, query.province, "all_units")) {
    return all_units;
  }
  auto entry = store.find("covid_employer_relief_factor", day, query.province, counts_as_sme(query) ? "sme" : "large");
  return entry ? *entry : nullptr;
}

// Whether any relief entry covers the month, so that an enterprise must state its size (E3).
bool relief_period(const EmployeeContributionQuery& query, const ParameterStore& store) {
  const Date day = Date::first_of(query.contribution_month);
  if (store.find_exact("covid_employer_relief_factor", day, query.province, "all_units") != nullptr) return true;
  for (std::string_view variant : {"sme", "large"}) {
    if (store.find("covid_employer_relief_factor", day, query.province, variant)) return true;
  }
  return false;
}

// The three amounts of `result` from its contribution base, rates and relief factor.
Result<void> employee_amounts(EmployeeContributionResult& result) {
  const Decimal base = result.contribution_base.to_decimal();
  auto employer = to_money(round2(base * result.employer_pension_rate * result.relief_factor), "employer_pension");
  if (!employer) return tl::unexpected(employer.error());
  result.employer_pension = *employer;
  auto individual = to_money(round2(base * result.individual_pension_rate), "individual_pension");
  if (!individual) return tl::unexpected(individual.error());
  result.individual_pension = *individual;
  auto credit = to_money(round2(base * result.account_credit_rate), "account_credit");
  if (!credit) return tl::unexpected(credit.error());
  result.account_credit = *credit;
  return {};
}

Result<EmployeeContributionResult> employee_contribution(const EmployeeContributionQuery& query,
                                                         const ParameterStore& store, Trace* trace) {
  if (auto ok = require_non_negative(query.monthly_wage, "monthly_wage"); !ok) return tl::unexpected(ok.error());
  if (query.local_average_monthly_wage.fen() <= 0) {
    return invalid("local_average_monthly_wage", "the average wage must be greater than 0");
  }
  for (const auto& [value, name] : {std::pair{&query.employer_pension_rate, "employer_pension_rate"},
                                    std::pair{&query.individual_pension_rate, "individual_pension_rate"},
                                    std::pair{&query.base_floor_ratio, "parameters.base_floor_ratio"},
                                    std::pair{&query.base_ceiling_ratio, "parameters.base_ceiling_ratio"}}) {
    if (auto ok = require_non_negative(*value, name); !ok) return tl::unexpected(ok.error());
  }
  if (query.province != "CN" && !parse_province_jurisdiction(query.province)) {
    return invalid("province", "\"" + query.province + "\" is neither CN nor a province CN-nn");
  }

  const YearMonth month = query.contribution_month;
  const Date day = Date::first_of(month);
  auto rate_series = series_with_fallback(store, "employer_pension_rate", query.rate_jurisdiction);
  if (rate_series.empty()) {
    return fail(ErrorCode::rule_missing, "employer_pension_rate", "no employer_pension_rate series");
  }
  if (day < rate_series.front().from) {
    return out_of_range("contribution_month", "employee contributions are modelled from " +
                                                  rate_series.front().from.year_month().to_string() + "; " +
                                                  month.to_string() + " is earlier");
  }
  if (query.unit_type == UnitType::public_institution) {
    auto scheme = store.find("public_institution_scheme", month);
    if (!scheme || !(*scheme)->flag) {
      return out_of_range("unit_type",
                          "public institutions are in the employee scheme only from the start of "
                          "public_institution_scheme; " +
                              month.to_string() + " is not covered");
    }
  }
  if (query.unit_type == UnitType::enterprise && !query.employer_size && relief_period(query, store)) {
    return invalid("employer_size",
                   "an enterprise must state its size for " + month.to_string() + ", a month of the 2020 relief");
  }

  auto floor_ratio = resolve(store, "contribution_base_floor_ratio", month, query.rate_jurisdiction,
                             query.base_floor_ratio, "parameters.base_floor_ratio");
  if (!floor_ratio) return tl::unexpected(floor_ratio.error());
  auto ceiling_ratio = resolve(store, "contribution_base_ceiling_ratio", month, query.rate_jurisdiction,
                               query.base_ceiling_ratio, "parameters.base_ceiling_ratio");
  if (!ceiling_ratio) return tl::unexpected(ceiling_ratio.error());
  if (floor_ratio->value > ceiling_ratio->value) {
    return invalid("parameters.base_floor_ratio", "the floor ratio " + floor_ratio->value.to_string() +
                                                      " is above the ceiling ratio " +
                                                      ceiling_ratio->value.to_string());
  }
  auto employer_rate = resolve(store, "employer_pension_rate", month, query.rate_jurisdiction,
                               query.employer_pension_rate, "employer_pension_rate");
  if (!employer_rate) return tl::unexpected(employer_rate.error());
  auto individual_rate = resolve(store, "individual_pension_rate", month, query.rate_jurisdiction,
                                 query.individual_pension_rate, "individual_pension_rate");
  if (!individual_rate) return tl::unexpected(individual_rate.error());
  auto credit_rate = resolve(store, "account_credit_rate", month, query.rate_jurisdiction, std::nullopt, "");
  if (!credit_rate) return tl::unexpected(credit_rate.error());

  EmployeeContributionResult result;
  const Decimal average = query.local_average_monthly_wage.to_decimal();
  auto floor = to_money(round2(floor_ratio->value * average), "base_floor");
  if (!floor) return tl::unexpected(floor.error());
  auto ceiling = to_money(round2(ceiling_ratio->value * average), "base_ceiling");
  if (!ceiling) return tl::unexpected(ceiling.error());
  result.base_floor = *floor;
  result.base_ceiling = *ceiling;
  result.contribution_base = std::clamp(query.monthly_wage, result.base_floor, result.base_ceiling);
  if (trace) {
    auto& step = trace
                     ->step("contribution_base", rule_of(*floor_ratio, "CN-EMP-BASE-1997"),
                            "clamp(wage, round2(floor ratio × average), round2(ceiling ratio × average))")
                     .in("monthly_wage", query.monthly_wage.to_string())
                     .in("local_average_monthly_wage", query.local_average_monthly_wage.to_string())
                     .in("base_floor", result.base_floor.to_string())
                     .in("base_ceiling", result.base_ceiling.to_string());
    cite(step, *floor_ratio);
    cite(step, *ceiling_ratio);
    step.out(result.contribution_base.to_string());
  }

  result.employer_pension_rate = employer_rate->value;
  result.individual_pension_rate = individual_rate->value;
  result.account_credit_rate = credit_rate->value;
  result.relief_factor = Decimal::from_int(1);
  const ParamEntry* relief = relief_entry(query, store);
  if (relief != nullptr) result.relief_factor = relief->number;
  result.covid_relief = relief_of(result.relief_factor);
  if (trace && relief != nullptr) {
    trace
        ->step("covid_relief", relief->rule_id,
               "the province's all_units entry in force, else the SME entry (micro, small, medium, individual "
               "business) or the large-enterprise entry in force; public institutions have none")
        .in("contribution_month", month.to_string())
        .in("unit_type", std::string(to_string(query.unit_type)))
        .in("employer_size", query.employer_size ? std::string(to_string(*query.employer_size)) : "-")
        .in("province", query.province)
        .param(*relief)
        .out(std::string(to_string(result.covid_relief)) + " (factor " + result.relief_factor.to_string() + ")");
  } else if (trace && query.unit_type == UnitType::public_institution && relief_period(query, store)) {
    trace->step("covid_relief", "CN-COVID-SME-2020", "government bodies and public institutions get no relief")
        .in("contribution_month", month.to_string())
        .in("unit_type", std::string(to_string(query.unit_type)))
        .out("none (factor 1)");
  }

  if (auto ok = employee_amounts(result); !ok) return tl::unexpected(ok.error());
  if (trace) {
    auto& employer_step = trace
                              ->step("employer_pension", rule_of(*employer_rate, "CN-EMP-RATE-2019"),
                                     "round2(base × employer rate × relief factor)")
                              .in("contribution_base", result.contribution_base.to_string())
                              .in("relief_factor", result.relief_factor.to_string());
    cite(employer_step, *employer_rate);
    employer_step.out(result.employer_pension.to_string());
    auto& individual_step = trace
                                ->step("individual_pension", rule_of(*individual_rate, "CN-EMP-RATE-2006"),
                                       "round2(base × individual rate)")
                                .in("contribution_base", result.contribution_base.to_string());
    cite(individual_step, *individual_rate);
    individual_step.out(result.individual_pension.to_string());
    auto& credit_step = trace
                            ->step("account_credit", rule_of(*credit_rate, "CN-EMP-ACCT-CREDIT-2006"),
                                   "round2(base × account credit rate)")
                            .in("contribution_base", result.contribution_base.to_string());
    cite(credit_step, *credit_rate);
    credit_step.out(result.account_credit.to_string());
  }
  return result;
}

// round2(average × ratio) where the average is amount / divisor, exact before the one rounding.
Decimal base_from_ratio(const Decimal& amount, const Decimal& divisor, const Decimal& ratio) {
  return divide(amount * ratio, divisor, 2, RoundingMode::half_up);
}

Result<FlexibleContributionResult> flexible_contribution(const FlexibleContributionQuery& query,
                                                         const ParameterStore& store, Trace* trace) {
  if (query.local_average_wage.fen() <= 0) {
    return invalid("local_average_wage", "the average wage must be greater than 0");
  }
  if (query.base_ratio.has_value() == query.chosen_monthly_base.has_value()) {
    return invalid("base_ratio", "give exactly one of base_ratio and chosen_monthly_base");
  }
  if (auto ok = require_non_negative(query.base_ratio, "base_ratio"); !ok) return tl::unexpected(ok.error());
  if (query.chosen_monthly_base) {
    if (auto ok = require_non_negative(*query.chosen_monthly_base, "chosen_monthly_base"); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  if (query.months < 1) return invalid("months", "at least one month");
  for (const auto& [value, name] : {std::pair{&query.min_base_ratio, "parameters.min_base_ratio"},
                                    std::pair{&query.max_base_ratio, "parameters.max_base_ratio"},
                                    std::pair{&query.total_rate, "parameters.total_rate"},
                                    std::pair{&query.account_rate, "parameters.account_rate"}}) {
    if (auto ok = require_non_negative(*value, name); !ok) return tl::unexpected(ok.error());
  }

  const YearMonth month = query.contribution_month;
  auto rate_series = series_with_fallback(store, "flexible_total_rate", query.jurisdiction);
  if (rate_series.empty()) return fail(ErrorCode::rule_missing, "flexible_total_rate", "no flexible_total_rate series");
  if (Date::first_of(month) < rate_series.front().from) {
    return out_of_range("contribution_month", "flexible-worker contributions are modelled from " +
                                                  rate_series.front().from.year_month().to_string() + "; " +
                                                  month.to_string() + " is earlier");
  }
  auto min_ratio = resolve(store, "flexible_min_base_ratio", month, query.jurisdiction, query.min_base_ratio,
                           "parameters.min_base_ratio");
  if (!min_ratio) return tl::unexpected(min_ratio.error());
  auto max_ratio = resolve(store, "flexible_max_base_ratio", month, query.jurisdiction, query.max_base_ratio,
                           "parameters.max_base_ratio");
  if (!max_ratio) return tl::unexpected(max_ratio.error());
  auto total_rate =
      resolve(store, "flexible_total_rate", month, query.jurisdiction, query.total_rate, "parameters.total_rate");
  if (!total_rate) return tl::unexpected(total_rate.error());
  auto account_rate =
      resolve(store, "flexible_account_rate", month, query.jurisdiction, query.account_rate, "parameters.account_rate");
  if (!account_rate) return tl::unexpected(account_rate.error());
  if (min_ratio->value > max_ratio->value) {
    return invalid("parameters.min_base_ratio", "the minimum base ratio " + min_ratio->value.to_string() +
                                                    " is above the maximum " + max_ratio->value.to_string());
  }
  if (account_rate->value > total_rate->value) {
    return invalid("parameters.account_rate", "the account rate " + account_rate->value.to_string() +
                                                  " is above the total rate " + total_rate->value.to_string());
  }

  const Decimal amount = query.local_average_wage.to_decimal();
  const Decimal divisor = Decimal::from_int(query.average_period == AverageWagePeriod::annual ? 12 : 1);
  FlexibleContributionResult result;
  result.total_rate = total_rate->value;
  result.account_rate = account_rate->value;
  auto lowest = to_money(base_from_ratio(amount, divisor, min_ratio->value), "lowest_base");
  if (!lowest) return tl::unexpected(lowest.error());
  auto highest = to_money(base_from_ratio(amount, divisor, max_ratio->value), "highest_base");
  if (!highest) return tl::unexpected(highest.error());
  result.lowest_base = *lowest;
  result.highest_base = *highest;
  if (query.base_ratio) {
    if (*query.base_ratio < min_ratio->value || *query.base_ratio > max_ratio->value) {
      return out_of_range("base_ratio", "base ratio " + query.base_ratio->to_string() + " is outside [" +
                                            min_ratio->value.to_string() + ", " + max_ratio->value.to_string() + "]");
    }
    auto base = to_money(base_from_ratio(amount, divisor, *query.base_ratio), "contribution_base");
    if (!base) return tl::unexpected(base.error());
    result.contribution_base = *base;
  } else {
    if (*query.chosen_monthly_base < result.lowest_base || *query.chosen_monthly_base > result.highest_base) {
      return out_of_range("chosen_monthly_base", "chosen base " + query.chosen_monthly_base->to_string() +
                                                     " is outside [" + result.lowest_base.to_string() + ", " +
                                                     result.highest_base.to_string() + "]");
    }
    result.contribution_base = *query.chosen_monthly_base;
  }
  const std::string average_text = query.average_period == AverageWagePeriod::annual
                                       ? query.local_average_wage.to_string() + " / 12"
                                       : query.local_average_wage.to_string();
  if (trace) {
    auto& step = trace
                     ->step("contribution_base", rule_of(*min_ratio, "CN-FLEX-BASE-2019"),
                            query.base_ratio ? "round2(average × ratio), ratio within [min, max]"
                                             : "chosen base within [round2(min × average), round2(max × average)]")
                     .in("average_monthly_wage", average_text)
                     .in(query.base_ratio ? "base_ratio" : "chosen_monthly_base",
                         query.base_ratio ? query.base_ratio->to_string() : query.chosen_monthly_base->to_string())
                     .in("lowest_base", result.lowest_base.to_string())
                     .in("highest_base", result.highest_base.to_string());
    cite(step, *min_ratio);
    cite(step, *max_ratio);
    step.out(result.contribution_base.to_string());
  }

  const Decimal base = result.contribution_base.to_decimal();
  const Decimal months = Decimal::from_int(query.months);
  auto total = to_money(round2(base * result.total_rate * months), "total_contribution");
  if (!total) return tl::unexpected(total.error());
  auto credit = to_money(round2(base * result.account_rate * months), "account_credit");
  if (!credit) return tl::unexpected(credit.error());
  result.total_contribution = *total;
  result.account_credit = *credit;
  result.pooled_fund_part = result.total_contribution - result.account_credit;
  if (trace) {
    auto& total_step = trace
                           ->step("total_contribution", rule_of(*total_rate, "CN-FLEX-RATE-2006"),
                                  "round2(base × total rate × months)")
                           .in("contribution_base", result.contribution_base.to_string())
                           .in("months", std::to_string(query.months));
    cite(total_step, *total_rate);
    total_step.out(result.total_contribution.to_string());
    auto& credit_step = trace
                            ->step("account_credit", rule_of(*account_rate, "CN-FLEX-RATE-2006"),
                                   "round2(base × account rate × months)")
                            .in("contribution_base", result.contribution_base.to_string())
                            .in("months", std::to_string(query.months));
    cite(credit_step, *account_rate);
    credit_step.out(result.account_credit.to_string());
    trace->step("pooled_fund_part", "CN-FLEX-RATE-2006", "total − account")
        .in("total_contribution", result.total_contribution.to_string())
        .in("account_credit", result.account_credit.to_string())
        .out(result.pooled_fund_part.to_string());
  }
  return result;
}

Result<LateFeeResult> late_fee(const LateFeeQuery& query, const ParameterStore& store, Trace* trace) {
  if (auto ok = require_non_negative(query.principal, "principal"); !ok) return tl::unexpected(ok.error());
  if (query.overdue_days < 0) return invalid("overdue_days", "must not be negative");
  if (auto ok = require_non_negative(query.old_daily_rate, "parameters.old_daily_rate"); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = require_non_negative(query.new_daily_rate, "parameters.new_daily_rate"); !ok) {
    return tl::unexpected(ok.error());
  }

  // The current rate entry gives the new rate and the change date; the entry before it the old rate.
  auto rates = series_with_fallback(store, "late_fee_daily_rate", query.jurisdiction);
  if (rates.empty() && !(query.new_daily_rate && query.rate_change_date)) {
    return fail(ErrorCode::rule_missing, "late_fee_daily_rate", "no late_fee_daily_rate series");
  }
  const ParamEntry* current = rates.empty() ? nullptr : &rates.back();
  const ParamEntry* previous = rates.size() >= 2 ? &rates[rates.size() - 2] : nullptr;

  LateFeeResult result;
  result.rate_change_date = query.rate_change_date ? *query.rate_change_date : current->from;
  const std::int64_t days_before_change = result.rate_change_date.days_since(query.first_overdue_date);
  result.days_at_old_rate = std::clamp<std::int64_t>(days_before_change, 0, query.overdue_days);
  result.days_at_new_rate = query.overdue_days - result.days_at_old_rate;

  const Resolved new_rate = from_entry_or_override(current, query.new_daily_rate, "parameters.new_daily_rate");
  const Resolved old_rate = from_entry_or_override(previous, query.old_daily_rate, "parameters.old_daily_rate");
  if (!old_rate.overridden && previous == nullptr && result.days_at_old_rate > 0) {
    return fail(ErrorCode::rule_missing, "late_fee_daily_rate",
                "no late-fee rate before " + result.rate_change_date.to_string());
  }
  result.new_daily_rate = new_rate.value;
  result.old_daily_rate = old_rate.value;

  const ParamEntry* cap_entry = nullptr;
  if (query.cap_at_principal) {
    result.cap_at_principal = *query.cap_at_principal;
  } else {
    auto cap = store.current("late_fee_cap_at_principal", query.jurisdiction);
    if (!cap && query.jurisdiction != "CN") cap = store.current("late_fee_cap_at_principal", "CN");
    if (!cap) return tl::unexpected(cap.error());
    cap_entry = *cap;
    result.cap_at_principal = cap_entry->flag;
  }

  const Decimal principal = query.principal.to_decimal();
  const Decimal rate_days = result.old_daily_rate * Decimal::from_int(result.days_at_old_rate) +
                            result.new_daily_rate * Decimal::from_int(result.days_at_new_rate);
  auto uncapped = to_money(round2(principal * rate_days), "late_fee");
  if (!uncapped) return tl::unexpected(uncapped.error());
  result.uncapped_fee = *uncapped;
  result.late_fee = result.cap_at_principal ? std::min(result.uncapped_fee, query.principal) : result.uncapped_fee;

  if (trace) {
    auto& days = trace
                     ->step("overdue_days_split", current ? current->rule_id : "CN-LATE-2011",
                            "days before the change date at the old rate, from it at the new rate")
                     .in("first_overdue_date", query.first_overdue_date.to_string())
                     .in("overdue_days", std::to_string(query.overdue_days));
    if (query.rate_change_date) {
      days.override_param("late_fee_rate_change_date", query.rate_change_date->to_string(),
                          "case input (parameters.late_fee_rate_change_date)");
    } else {
      days.param(*current);
    }
    days.out(std::to_string(result.days_at_old_rate) + " old, " + std::to_string(result.days_at_new_rate) + " new");
    auto& fee = trace
                    ->step("late_fee", rule_of(new_rate, "CN-LATE-2011"),
                           "round2(principal × (old rate × old days + new rate × new days))")
                    .in("principal", query.principal.to_string())
                    .in("days_at_old_rate", std::to_string(result.days_at_old_rate))
                    .in("days_at_new_rate", std::to_string(result.days_at_new_rate));
    cite(fee, old_rate);
    cite(fee, new_rate);
    fee.out(result.uncapped_fee.to_string());
    auto& cap = trace
                    ->step("late_fee_cap", cap_entry ? cap_entry->rule_id : "CN-LATE-CAP",
                           "min(fee, principal) when capped at the principal")
                    .in("fee", result.uncapped_fee.to_string())
                    .in("principal", query.principal.to_string());
    if (cap_entry) {
      cap.param(*cap_entry);
    } else {
      cap.override_param("late_fee_cap_at_principal", result.cap_at_principal ? "true" : "false",
                         "case input (parameters.late_fee_cap_at_principal)");
    }
    cap.out(result.late_fee.to_string());
  }
  return result;
}

template <typename F>
auto guard_overflow(F&& compute) -> decltype(compute()) {
  try {
    return compute();
  } catch (const DecimalOverflow&) {
    return out_of_range("", "a value is too large to compute exactly");
  }
}

}  // namespace

Result<EmployeeContributionResult> compute_employee_contribution(const EmployeeContributionQuery& query,
                                                                 const ParameterStore& store, Trace* trace) {
  return guard_overflow([&] { return employee_contribution(query, store, trace); });
}

Result<EmployeeContributionResult> with_monthly_wage(const EmployeeContributionResult& computed, Money monthly_wage) {
  return guard_overflow([&]() -> Result<EmployeeContributionResult> {
    if (auto ok = require_non_negative(monthly_wage, "monthly_wage"); !ok) return tl::unexpected(ok.error());
    EmployeeContributionResult result = computed;
    result.contribution_base = std::clamp(monthly_wage, result.base_floor, result.base_ceiling);
    if (auto ok = employee_amounts(result); !ok) return tl::unexpected(ok.error());
    return result;
  });
}

Result<FlexibleContributionResult> compute_flexible_contribution(const FlexibleContributionQuery& query,
                                                                 const ParameterStore& store, Trace* trace) {
  return guard_overflow([&] { return flexible_contribution(query, store, trace); });
}

Result<LateFeeResult> compute_late_fee(const LateFeeQuery& query, const ParameterStore& store, Trace* trace) {
  return guard_overflow([&] { return late_fee(query, store, trace); });
}

// ---------------------------------------------------------------------------
// Case kinds.

namespace {

// Prefixes the field of an error from a typed calculator with the input path.
Error in_input(Error error) {
  if (!error.field.empty() && !error.field.starts_with("input")) error.field = "input." + error.field;
  return error;
}

template <typename T>
Result<T> with_input_path(Result<T> result) {
  if (!result) return tl::unexpected(in_input(result.error()));
  return result;
}

Result<json::object> run_employee_contribution_case(const json::object& input, const ParameterStore& store,
                                                    Trace* trace) {
  InputReader reader(input, "input");
  auto month = reader.month("contribution_month", Presence::required);
  if (!month) return tl::unexpected(month.error());
  auto wage = reader.money("monthly_wage", Presence::required);
  if (!wage) return tl::unexpected(wage.error());
  auto average = reader.money("local_average_monthly_wage", Presence::required);
  if (!average) return tl::unexpected(average.error());
  auto size = reader.category("employer_size", {"micro", "small", "medium", "large"});
  if (!size) return tl::unexpected(size.error());
  auto unit = reader.category("unit_type", {"enterprise", "individual_business", "public_institution"});
  if (!unit) return tl::unexpected(unit.error());
  auto province = reader.text("province");
  if (!province) return tl::unexpected(province.error());
  auto employer_rate = reader.decimal("employer_pension_rate");
  if (!employer_rate) return tl::unexpected(employer_rate.error());
  auto individual_rate = reader.decimal("individual_pension_rate");
  if (!individual_rate) return tl::unexpected(individual_rate.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  EmployeeContributionQuery query;
  if (*parameters) {
    InputReader overrides(**parameters, "input.parameters");
    auto floor = overrides.decimal("base_floor_ratio");
    if (!floor) return tl::unexpected(floor.error());
    auto ceiling = overrides.decimal("base_ceiling_ratio");
    if (!ceiling) return tl::unexpected(ceiling.error());
    if (auto done = overrides.finish(); !done) return tl::unexpected(done.error());
    query.base_floor_ratio = *floor;
    query.base_ceiling_ratio = *ceiling;
  }
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());

  query.contribution_month = **month;
  query.monthly_wage = **wage;
  query.local_average_monthly_wage = **average;
  if (*size) {
    query.employer_size = **size == "micro"    ? EmployerSize::micro
                          : **size == "small"  ? EmployerSize::small
                          : **size == "medium" ? EmployerSize::medium
                                               : EmployerSize::large;
  }
  if (*unit) {
    query.unit_type = **unit == "individual_business"  ? UnitType::individual_business
                      : **unit == "public_institution" ? UnitType::public_institution
                                                       : UnitType::enterprise;
  }
  if (*province) query.province = **province;
  query.employer_pension_rate = *employer_rate;
  query.individual_pension_rate = *individual_rate;

  auto result = with_input_path(compute_employee_contribution(query, store, trace));
  if (!result) return tl::unexpected(result.error());
  json::object out;
  out["contribution_base"] = result->contribution_base.to_string();
  out["base_floor"] = result->base_floor.to_string();
  out["base_ceiling"] = result->base_ceiling.to_string();
  out["employer_pension_rate"] = result->employer_pension_rate.to_string();
  out["individual_pension_rate"] = result->individual_pension_rate.to_string();
  out["account_credit_rate"] = result->account_credit_rate.to_string();
  out["covid_relief"] = std::string(to_string(result->covid_relief));
  out["relief_factor"] = result->relief_factor.to_string();
  out["employer_pension"] = result->employer_pension.to_string();
  out["individual_pension"] = result->individual_pension.to_string();
  out["account_credit"] = result->account_credit.to_string();
  return out;
}

Result<json::object> run_flexible_contribution_case(const json::object& input, const ParameterStore& store,
                                                    Trace* trace) {
  InputReader reader(input, "input");
  auto month = reader.month("contribution_month", Presence::required);
  if (!month) return tl::unexpected(month.error());
  auto monthly_average = reader.money("local_average_monthly_wage");
  if (!monthly_average) return tl::unexpected(monthly_average.error());
  auto annual_average = reader.money("local_average_annual_wage");
  if (!annual_average) return tl::unexpected(annual_average.error());
  auto ratio = reader.decimal("base_ratio");
  if (!ratio) return tl::unexpected(ratio.error());
  auto chosen = reader.money("chosen_monthly_base");
  if (!chosen) return tl::unexpected(chosen.error());
  auto months = reader.integer("months");
  if (!months) return tl::unexpected(months.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  FlexibleContributionQuery query;
  if (*parameters) {
    InputReader overrides(**parameters, "input.parameters");
    auto min_ratio = overrides.decimal("min_base_ratio");
    if (!min_ratio) return tl::unexpected(min_ratio.error());
    auto max_ratio = overrides.decimal("max_base_ratio");
    if (!max_ratio) return tl::unexpected(max_ratio.error());
    auto total_rate = overrides.decimal("total_rate");
    if (!total_rate) return tl::unexpected(total_rate.error());
    auto account_rate = overrides.decimal("account_rate");
    if (!account_rate) return tl::unexpected(account_rate.error());
    if (auto done = overrides.finish(); !done) return tl::unexpected(done.error());
    query.min_base_ratio = *min_ratio;
    query.max_base_ratio = *max_ratio;
    query.total_rate = *total_rate;
    query.account_rate = *account_rate;
  }
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());

  if (monthly_average->has_value() == annual_average->has_value()) {
    return invalid("input.local_average_monthly_wage",
                   "give exactly one of local_average_monthly_wage and local_average_annual_wage");
  }
  if (ratio->has_value() == chosen->has_value()) {
    return invalid("input.base_ratio", "give exactly one of base_ratio and chosen_monthly_base");
  }
  query.contribution_month = **month;
  if (*monthly_average) {
    query.local_average_wage = **monthly_average;
    query.average_period = AverageWagePeriod::monthly;
  } else {
    query.local_average_wage = **annual_average;
    query.average_period = AverageWagePeriod::annual;
  }
  query.base_ratio = *ratio;
  query.chosen_monthly_base = *chosen;
  if (*months) query.months = **months;

  auto result = compute_flexible_contribution(query, store, trace);
  if (!result) {
    Error error = result.error();
    if (error.field == "local_average_wage") {
      error.field = *monthly_average ? "local_average_monthly_wage" : "local_average_annual_wage";
    }
    return tl::unexpected(in_input(std::move(error)));
  }
  json::object out;
  out["contribution_base"] = result->contribution_base.to_string();
  out["lowest_base"] = result->lowest_base.to_string();
  out["highest_base"] = result->highest_base.to_string();
  out["total_rate"] = result->total_rate.to_string();
  out["account_rate"] = result->account_rate.to_string();
  out["total_contribution"] = result->total_contribution.to_string();
  out["account_credit"] = result->account_credit.to_string();
  out["pooled_fund_part"] = result->pooled_fund_part.to_string();
  return out;
}

Result<json::object> run_late_fee_case(const json::object& input, const ParameterStore& store, Trace* trace) {
  InputReader reader(input, "input");
  auto principal = reader.money("principal", Presence::required);
  if (!principal) return tl::unexpected(principal.error());
  auto first_day = reader.date("first_overdue_date", Presence::required);
  if (!first_day) return tl::unexpected(first_day.error());
  auto days = reader.integer("overdue_days", Presence::required);
  if (!days) return tl::unexpected(days.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  LateFeeQuery query;
  if (*parameters) {
    InputReader overrides(**parameters, "input.parameters");
    auto cap = overrides.boolean("late_fee_cap_at_principal");
    if (!cap) return tl::unexpected(cap.error());
    auto change = overrides.date("late_fee_rate_change_date");
    if (!change) return tl::unexpected(change.error());
    auto old_rate = overrides.decimal("old_daily_rate");
    if (!old_rate) return tl::unexpected(old_rate.error());
    auto new_rate = overrides.decimal("new_daily_rate");
    if (!new_rate) return tl::unexpected(new_rate.error());
    if (auto done = overrides.finish(); !done) return tl::unexpected(done.error());
    query.cap_at_principal = *cap;
    query.rate_change_date = *change;
    query.old_daily_rate = *old_rate;
    query.new_daily_rate = *new_rate;
  }
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());

  query.principal = **principal;
  query.first_overdue_date = **first_day;
  query.overdue_days = **days;
  auto result = with_input_path(compute_late_fee(query, store, trace));
  if (!result) return tl::unexpected(result.error());
  json::object out;
  out["late_fee"] = result->late_fee.to_string();
  out["days_at_old_rate"] = result->days_at_old_rate;
  out["days_at_new_rate"] = result->days_at_new_rate;
  out["uncapped_late_fee"] = result->uncapped_fee.to_string();
  out["rate_change_date"] = result->rate_change_date.to_string();
  out["old_daily_rate"] = result->old_daily_rate.to_string();
  out["new_daily_rate"] = result->new_daily_rate.to_string();
  out["late_fee_cap_at_principal"] = result->cap_at_principal;
  return out;
}

const KindRegistration register_employee_contribution("contribution.employee", run_employee_contribution_case);
const KindRegistration register_flexible_contribution("contribution.flexible", run_flexible_contribution_case);
const KindRegistration register_late_fee("late_fee", run_late_fee_case);

}  // namespace
}  // namespace shebao::rules
