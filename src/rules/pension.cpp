#include "rules/pension.h"

#include <algorithm>
#include <limits>
#include <string>

#include "rules/case_input.h"
#include "rules/case_kinds.h"

namespace shebao::rules {
namespace json = boost::json;

namespace {

// The divisor-table age whose value is disputed (207 vs 208, rules §2.5); the
// override parameter `divisor_age_47` is named after it.
constexpr int kDisputedDivisorAge = 47;
constexpr int kMonthsPerYear = 12;

std::string age_text(AgeAtRetirement age) {
  return std::to_string(age.years) + "y" + std::to_string(age.months) + "m";
}

std::string month_text(std::optional<YearMonth> month) {
  return month ? month->to_string() : std::string("absent (rules currently in force)");
}

// An amount the caller has already rounded to the fen, as Money; out_of_range
// when it does not fit the fen counter.
Result<Money> to_money(const Decimal& yuan, std::string_view field) {
  const Decimal fen = round(yuan, 2, RoundingMode::half_up);
  const Decimal::Int mantissa = fen.mantissa();
  if (mantissa > std::numeric_limits<std::int64_t>::max() || mantissa < std::numeric_limits<std::int64_t>::min()) {
    return out_of_range(std::string(field), "amount too large: " + fen.to_string());
  }
  return Money::from_fen(static_cast<std::int64_t>(mantissa));
}

// The entry of `key` in force at `month`, or the one currently in force when no
// month is given. A month no entry covers is outside the rule: out_of_range.
Result<const ParamEntry*> entry_in_force(const ParameterStore& store, std::string_view key,
                                         std::optional<YearMonth> month, std::string_view field,
                                         std::string_view what) {
  if (!month) return store.current(key);
  auto entry = store.find(key, *month);
  if (entry) return entry;
  if (entry.error().code != ErrorCode::rule_missing) return entry;
  const auto series = store.series(key);
  const std::string covered =
      series.empty() ? std::string("no ") + std::string(key) + " in the rules data"
                     : std::string(key) + " starts " + series.front().from.year_month().to_string();
  return out_of_range(std::string(field),
                      std::string(what) + " is not defined for " + month->to_string() + " (" + covered + ")");
}

Result<void> require_non_negative(const Money& amount, std::string_view field) {
  if (amount.fen() < 0) return invalid(std::string(field), "must not be negative");
  return {};
}

// The override of D[47] must lie between its neighbours D[48] and D[46] of the table in force.
Result<void> check_divisor_override(const ParamEntry& table, std::int64_t divisor_age_47) {
  const auto upper = table.table_value(kDisputedDivisorAge - 1);
  const auto lower = table.table_value(kDisputedDivisorAge + 1);
  if (!upper || !lower) {
    return fail(ErrorCode::rule_missing, "parameters.divisor_age_47",
                "the divisor table " + table.location() + " has no values around age 47");
  }
  const Decimal value = Decimal::from_int(divisor_age_47);
  if (value < *lower || value > *upper) {
    return invalid("parameters.divisor_age_47", "must be an integer from " + lower->to_string() + " to " +
                                                    upper->to_string() + " (between the table values at 48 and 46)");
  }
  return {};
}

// Throws DecimalOverflow for amounts beyond exact arithmetic; the public entry maps it.
Result<EmployeePensionResult> compute_employee_pension_or_throw(const EmployeePensionQuery& query,
                                                                 const ParameterStore& store, Trace* trace) {
  if (!query.basic && !query.account) {
    return invalid("average_wage", "give the basic-pension inputs (average_wage ...), the account inputs "
                                   "(account_balance ...) or both");
  }
  if (auto ok = require_non_negative(query.transitional_pension, "transitional_pension"); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = require_non_negative(query.local_supplement, "local_supplement"); !ok) {
    return tl::unexpected(ok.error());
  }

  // Input consistency first, so that a malformed query is invalid_input whatever its month.
  if (query.basic) {
    const BasicPensionInputs& basic = *query.basic;
    if (basic.average_wage.fen() <= 0) return invalid("average_wage", "must be greater than 0");
    if (basic.average_contribution_index.has_value() == basic.indexed_monthly_wage.has_value()) {
      return invalid("average_contribution_index",
                     "give exactly one of average_contribution_index and indexed_monthly_wage");
    }
    if (basic.average_contribution_index && basic.average_contribution_index->sign() <= 0) {
      return invalid("average_contribution_index", "must be greater than 0");
    }
    if (basic.indexed_monthly_wage && basic.indexed_monthly_wage->fen() <= 0) {
      return invalid("indexed_monthly_wage", "must be greater than 0");
    }
    if (basic.contribution_months.has_value() == basic.contribution_years.has_value()) {
      return invalid("contribution_months", "give exactly one of contribution_months and contribution_years");
    }
    if (basic.contribution_months && *basic.contribution_months < 0) {
      return invalid("contribution_months", "must not be negative");
    }
    if (basic.contribution_years && basic.contribution_years->sign() < 0) {
      return invalid("contribution_years", "must not be negative");
    }
  }
  if (query.account) {
    const AccountPensionInputs& account = *query.account;
    if (auto ok = require_non_negative(account.account_balance, "account_balance"); !ok) {
      return tl::unexpected(ok.error());
    }
    if (account.retirement_age.has_value() == account.divisor.has_value()) {
      return invalid("retirement_age", "give exactly one of retirement_age and divisor");
    }
    if (account.retirement_age) {
      if (account.retirement_age->years < 0) return invalid("retirement_age.years", "must not be negative");
      if (account.retirement_age->months < 0 || account.retirement_age->months >= kMonthsPerYear) {
        return invalid("retirement_age.months", "must be 0 to 11");
      }
    }
    if (account.divisor && account.divisor->sign() <= 0) return invalid("divisor", "must be greater than 0");
  }

  // P1: only pensions under the 2006 formula are computed. Its accrual rate
  // marks the months the formula covers, whichever groups are present.
  auto accrual_rate = entry_in_force(store, "basic_pension_accrual_rate", query.retirement_month,
                                     "retirement_month", "the employee pension formula");
  if (!accrual_rate) return tl::unexpected(accrual_rate.error());
  if (query.accrual_rate && (query.accrual_rate->sign() <= 0 || *query.accrual_rate > Decimal::parse("0.05").value())) {
    return invalid("accrual_rate", "must be greater than 0 and at most 0.05, got " + query.accrual_rate->to_string());
  }

  if (query.divisor_age_47) {
    auto table = entry_in_force(store, "pension_divisor", query.retirement_month, "retirement_month",
                                "the divisor table");
    if (!table) return tl::unexpected(table.error());
    if (auto ok = check_divisor_override(**table, *query.divisor_age_47); !ok) return tl::unexpected(ok.error());
  }

  EmployeePensionResult result;
  if (query.basic) {
    const BasicPensionInputs& basic = *query.basic;
    const Decimal average_wage = basic.average_wage.to_decimal();

    Money indexed_wage;
    if (basic.average_contribution_index) {
      auto derived = to_money(round2(average_wage * *basic.average_contribution_index), "indexed_monthly_wage");
      if (!derived) return tl::unexpected(derived.error());
      indexed_wage = *derived;
      result.indexed_monthly_wage = indexed_wage;
      if (trace) {
        trace->step("indexed_monthly_wage", "CN-EMP-BEN-BASIC-2006", "round2(W × Z)")
            .in("average_wage", basic.average_wage.to_string())
            .in("average_contribution_index", basic.average_contribution_index->to_string())
            .out(indexed_wage.to_string());
      }
    } else {
      indexed_wage = *basic.indexed_monthly_wage;  // P5: as published
    }

    Decimal years;
    if (basic.contribution_months) {
      years = divide(Decimal::from_int(*basic.contribution_months), Decimal::from_int(kMonthsPerYear), 2,
                     RoundingMode::half_up);
      result.contribution_years = years;
      if (trace) {
        trace->step("contribution_years", "CN-EMP-BEN-BASIC-2006", "round2(contribution_months / 12)")
            .in("contribution_months", std::to_string(*basic.contribution_months))
            .out(years.to_fixed(2));
      }
    } else {
      years = *basic.contribution_years;  // P5: as published
    }

    // P6: the average (W + indexed) / 2 is not rounded; the halving is folded
    // into the one final rounding so the quotient stays exact.
    const Decimal rate = query.accrual_rate ? *query.accrual_rate : (*accrual_rate)->number;
    const Decimal unhalved = (average_wage + indexed_wage.to_decimal()) * years * rate;
    auto basic_pension = to_money(divide(unhalved, Decimal::from_int(2), 2, RoundingMode::half_up), "basic_pension");
    if (!basic_pension) return tl::unexpected(basic_pension.error());
    result.basic_pension = *basic_pension;
    if (trace) {
      TraceStep& step =
          trace->step("basic_pension", (*accrual_rate)->rule_id, "round2((W + indexed) / 2 × N × accrual rate)")
          .in("average_wage", basic.average_wage.to_string())
          .in("indexed_monthly_wage", indexed_wage.to_string())
          .in("contribution_years", years.to_string())
          .in("retirement_month", month_text(query.retirement_month))
          .param(**accrual_rate)
          .out(basic_pension->to_string());
      if (query.accrual_rate) {
        step.override_param("basic_pension_accrual_rate", query.accrual_rate->to_string(), "policy simulation");
      }
    }
  }

  if (query.account) {
    const AccountPensionInputs& account = *query.account;
    Decimal divisor;
    if (account.retirement_age) {
      auto from_table = employee_pension_divisor(*account.retirement_age, query.retirement_month,
                                                 query.divisor_age_47, store, trace);
      if (!from_table) return tl::unexpected(from_table.error());
      divisor = *from_table;
    } else {
      divisor = *account.divisor;
      if (trace) {
        trace->step("divisor", "CN-EMP-BEN-ACCT-2006", "divisor as given")
            .in("divisor", divisor.to_string())
            .out(divisor.to_string());
      }
    }
    result.divisor = divisor;
    auto account_pension = to_money(divide(account.account_balance.to_decimal(), divisor, 2, RoundingMode::half_up),
                                    "account_pension");
    if (!account_pension) return tl::unexpected(account_pension.error());
    result.account_pension = *account_pension;
    if (trace) {
      trace->step("account_pension", "CN-EMP-BEN-ACCT-2006", "round2(account_balance / divisor)")
          .in("account_balance", account.account_balance.to_string())
          .in("divisor", divisor.to_string())
          .out(account_pension->to_string());
    }
  }

  // P4: the given amounts enter only a total, which needs both groups.
  if (result.basic_pension && result.account_pension) {
    const Decimal total = result.basic_pension->to_decimal() + result.account_pension->to_decimal() +
                          query.transitional_pension.to_decimal() + query.local_supplement.to_decimal();
    auto total_pension = to_money(total, "total_pension");
    if (!total_pension) return tl::unexpected(total_pension.error());
    result.total_pension = *total_pension;
    if (trace) {
      trace->step("total_pension", "CN-EMP-BEN-TOTAL-2006",
                  "basic + account + transitional + local supplement (rounded components)")
          .in("basic_pension", result.basic_pension->to_string())
          .in("account_pension", result.account_pension->to_string())
          .in("transitional_pension", query.transitional_pension.to_string())
          .in("local_supplement", query.local_supplement.to_string())
          .out(total_pension->to_string());
    }
  }
  return result;
}

// The national minimum basic pension of a payment month. Q1: the last row
// stays in force for every later month, even if the data closes it.
Result<const ParamEntry*> resident_minimum_in_force(const ParameterStore& store, YearMonth payment_month) {
  constexpr std::string_view key = "resident_min_basic_pension";
  auto entry = store.find(key, payment_month);
  if (entry || entry.error().code != ErrorCode::rule_missing) return entry;
  const auto series = store.series(key);
  if (!series.empty() && series.back().from <= Date::first_of(payment_month)) return &series.back();
  return out_of_range("payment_month", "no national minimum basic pension is defined for " +
                                           payment_month.to_string() +
                                           (series.empty() ? std::string()
                                                           : " (first month " + series.front().from.to_string() + ")"));
}

// Throws DecimalOverflow for amounts beyond exact arithmetic; the public entry maps it.
Result<ResidentPensionResult> compute_resident_pension_or_throw(const ResidentPensionQuery& query,
                                                                 const ParameterStore& store, Trace* trace) {
  if (query.basic_pension.has_value() == query.payment_month.has_value()) {
    return invalid("basic_pension", "give exactly one of basic_pension and payment_month");
  }
  if (query.local_top_up && !query.payment_month) {
    return invalid("local_top_up", "a local top-up goes only with payment_month; a given basic_pension "
                                   "already includes it");
  }
  if (query.account_balance.has_value() == query.account_parts.has_value()) {
    return invalid("account_balance", "give exactly one of account_balance and its parts (annual_contribution, "
                                      "annual_subsidy, contribution_years, accrued_interest)");
  }
  if (query.basic_pension) {
    if (auto ok = require_non_negative(*query.basic_pension, "basic_pension"); !ok) return tl::unexpected(ok.error());
  }
  if (query.local_top_up) {
    if (auto ok = require_non_negative(*query.local_top_up, "local_top_up"); !ok) return tl::unexpected(ok.error());
  }
  if (query.account_balance) {
    if (auto ok = require_non_negative(*query.account_balance, "account_balance"); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  if (query.account_parts) {
    const ResidentAccountParts& parts = *query.account_parts;
    if (auto ok = require_non_negative(parts.annual_contribution, "annual_contribution"); !ok) {
      return tl::unexpected(ok.error());
    }
    if (auto ok = require_non_negative(parts.annual_subsidy, "annual_subsidy"); !ok) {
      return tl::unexpected(ok.error());
    }
    if (auto ok = require_non_negative(parts.accrued_interest, "accrued_interest"); !ok) {
      return tl::unexpected(ok.error());
    }
    if (parts.contribution_years < 0) return invalid("contribution_years", "must not be negative");
  }
  if (query.resident_divisor && query.resident_divisor->sign() <= 0) {
    return invalid("parameters.resident_divisor", "must be greater than 0");
  }

  ResidentPensionResult result;
  if (query.payment_month) {
    auto minimum = resident_minimum_in_force(store, *query.payment_month);
    if (!minimum) return tl::unexpected(minimum.error());
    const Money top_up = query.local_top_up.value_or(Money());
    auto basic = to_money((*minimum)->number + top_up.to_decimal(), "basic_pension");
    if (!basic) return tl::unexpected(basic.error());
    result.basic_pension = *basic;
    if (trace) {
      trace->step("basic_pension", (*minimum)->rule_id, "national minimum of the payment month + local top-up")
          .in("payment_month", query.payment_month->to_string())
          .in("local_top_up", top_up.to_string())
          .param(**minimum)
          .out(basic->to_string());
    }
  } else {
    result.basic_pension = *query.basic_pension;
    if (trace) {
      trace->step("basic_pension", "CN-RES-BASIC", "basic pension as given")
          .in("basic_pension", query.basic_pension->to_string())
          .out(query.basic_pension->to_string());
    }
  }

  if (query.account_parts) {
    // Q3: every part is in whole fen, so the balance is exact.
    const ResidentAccountParts& parts = *query.account_parts;
    const Decimal balance =
        (parts.annual_contribution.to_decimal() + parts.annual_subsidy.to_decimal()) *
            Decimal::from_int(parts.contribution_years) +
        parts.accrued_interest.to_decimal();
    auto balance_money = to_money(balance, "account_balance");
    if (!balance_money) return tl::unexpected(balance_money.error());
    result.account_balance = *balance_money;
    if (trace) {
      trace->step("account_balance", "CN-RES-ACCT-139",
                  "(annual_contribution + annual_subsidy) × contribution_years + accrued_interest")
          .in("annual_contribution", parts.annual_contribution.to_string())
          .in("annual_subsidy", parts.annual_subsidy.to_string())
          .in("contribution_years", std::to_string(parts.contribution_years))
          .in("accrued_interest", parts.accrued_interest.to_string())
          .out(balance_money->to_string());
    }
  } else {
    result.account_balance = *query.account_balance;
  }

  // The step is taken before any other is added, so the pointer stays valid until it is complete.
  TraceStep* divisor_step =
      trace ? &trace->step("divisor", "CN-RES-ACCT-139", "residents' account divisor, whatever the age") : nullptr;
  if (query.resident_divisor) {
    result.divisor = *query.resident_divisor;
    if (divisor_step) {
      divisor_step->override_param("resident_divisor", result.divisor.to_string(),
                                   "case input (parameters.resident_divisor)");
    }
  } else {
    auto divisor = entry_in_force(store, "resident_account_divisor", query.payment_month, "payment_month",
                                  "the residents' account divisor");
    if (!divisor) return tl::unexpected(divisor.error());
    result.divisor = (*divisor)->number;
    if (divisor_step) divisor_step->param(**divisor);
  }
  if (divisor_step) divisor_step->in("payment_month", month_text(query.payment_month)).out(result.divisor.to_string());

  auto account_pension =
      to_money(divide(result.account_balance.to_decimal(), result.divisor, 2, RoundingMode::half_up),
               "account_pension");
  if (!account_pension) return tl::unexpected(account_pension.error());
  result.account_pension = *account_pension;
  auto total = to_money(result.basic_pension.to_decimal() + result.account_pension.to_decimal(), "total_pension");
  if (!total) return tl::unexpected(total.error());
  result.total_pension = *total;
  if (trace) {
    trace->step("account_pension", "CN-RES-ACCT-139", "round2(account_balance / divisor)")
        .in("account_balance", result.account_balance.to_string())
        .in("divisor", result.divisor.to_string())
        .out(result.account_pension.to_string());
    trace->step("total_pension", "CN-RES-BASIC", "basic_pension + account_pension")
        .in("basic_pension", result.basic_pension.to_string())
        .in("account_pension", result.account_pension.to_string())
        .out(result.total_pension.to_string());
  }
  return result;
}

}  // namespace

Result<Decimal> employee_pension_divisor(AgeAtRetirement age, std::optional<YearMonth> retirement_month,
                                         std::optional<std::int64_t> divisor_age_47, const ParameterStore& store,
                                         Trace* trace) {
  if (age.years < 0) return invalid("retirement_age.years", "must not be negative");
  if (age.months < 0 || age.months >= kMonthsPerYear) return invalid("retirement_age.months", "must be 0 to 11");
  auto table = entry_in_force(store, "pension_divisor", retirement_month, "retirement_month", "the divisor table");
  if (!table) return tl::unexpected(table.error());
  auto month_rule = entry_in_force(store, "divisor_month_rule", retirement_month, "retirement_month",
                                   "the divisor month rule");
  if (!month_rule) return tl::unexpected(month_rule.error());
  if (divisor_age_47) {
    if (auto ok = check_divisor_override(**table, *divisor_age_47); !ok) return tl::unexpected(ok.error());
  }
  if ((*table)->table.empty()) {
    return fail(ErrorCode::rule_missing, "retirement_age", "the divisor table " + (*table)->location() + " is empty");
  }

  // The table value at a whole age, with the override in place of the disputed age.
  auto table_at = [&](int years) -> std::optional<Decimal> {
    if (divisor_age_47 && years == kDisputedDivisorAge) return Decimal::from_int(*divisor_age_47);
    return (*table)->table_value(years);
  };
  const int youngest = (*table)->table.front().first;
  const int oldest = (*table)->table.back().first;
  const std::string& rule = (*month_rule)->text;
  auto outside = [&](const std::string& why) {
    return out_of_range("retirement_age", "no divisor for " + age_text(age) + ": " + why);
  };
  if (age.years < youngest) return outside("the table starts at " + std::to_string(youngest) + "y0m");
  if (age.years > oldest) return outside("the table ends at " + std::to_string(oldest) + " years");

  Decimal divisor;
  std::string formula;
  const auto at_years = table_at(age.years);
  if (!at_years) return outside("the table has no value at " + std::to_string(age.years));
  if (rule == "completed_years" || age.months == 0) {
    // Before the month-level rule (P2) a remainder of months is ignored, 70y1m..70y11m included.
    divisor = *at_years;
    formula = "D[completed years]";
  } else if (rule == "linear_1dp") {
    const auto at_next = table_at(age.years + 1);
    if (!at_next) return outside("months beyond the last whole age of the table have no month-level value");
    // round1(D[y] − (D[y] − D[y+1]) × m / 12), the quotient taken exactly before the one rounding.
    const Decimal twelve_times =
        *at_years * Decimal::from_int(kMonthsPerYear) - (*at_years - *at_next) * Decimal::from_int(age.months);
    divisor = divide(twelve_times, Decimal::from_int(kMonthsPerYear), 1, RoundingMode::half_up);
    formula = "round1 HALF_UP (D[y] − (D[y] − D[y+1]) × m / 12)";
  } else {
    return fail(ErrorCode::internal, "divisor_month_rule", "unknown divisor month rule \"" + rule + "\" at " +
                                                               (*month_rule)->location());
  }
  if (trace) {
    auto& step = trace->step("divisor", (*month_rule)->rule_id, formula)
                     .in("retirement_age", age_text(age))
                     .in("retirement_month", month_text(retirement_month))
                     .in("D[" + std::to_string(age.years) + "]", at_years->to_string());
    if (rule == "linear_1dp" && age.months != 0) {
      step.in("D[" + std::to_string(age.years + 1) + "]", table_at(age.years + 1)->to_string());
    }
    step.param(**table).param(**month_rule);
    if (divisor_age_47) {
      step.override_param("divisor_age_47", std::to_string(*divisor_age_47),
                          "case input (parameters.divisor_age_47)");
    }
    step.out(divisor.to_string());
  }
  return divisor;
}

Result<EmployeePensionResult> compute_employee_pension(const EmployeePensionQuery& query,
                                                       const ParameterStore& store, Trace* trace) {
  try {
    return compute_employee_pension_or_throw(query, store, trace);
  } catch (const DecimalOverflow&) {
    return out_of_range("input", "an amount is too large to compute exactly");
  }
}

Result<ResidentPensionResult> compute_resident_pension(const ResidentPensionQuery& query,
                                                       const ParameterStore& store, Trace* trace) {
  try {
    return compute_resident_pension_or_throw(query, store, trace);
  } catch (const DecimalOverflow&) {
    return out_of_range("input", "an amount is too large to compute exactly");
  }
}

namespace {

// The calculators name fields relative to the case input; the case output names them from "input".
Error in_case_input(Error error) {
  if (error.field.empty()) {
    error.field = "input";
  } else if (error.field != "input" && !error.field.starts_with("input.")) {
    error.field = "input." + error.field;
  }
  return error;
}

// An age component read as a JSON integer, narrowed to int. Values beyond any
// table stay beyond it, so the calculator still rejects them by their sign or size.
int narrow_age_part(std::int64_t value) {
  constexpr std::int64_t kLimit = 1'000'000;
  return static_cast<int>(std::clamp<std::int64_t>(value, -kLimit, kLimit));
}

Result<json::object> run_employee_pension_case(const json::object& input, const ParameterStore& store,
                                               Trace* trace) {
  InputReader reader(input, "input");
  auto retirement_month = reader.month("retirement_month");
  if (!retirement_month) return tl::unexpected(retirement_month.error());
  auto average_wage = reader.money("average_wage");
  if (!average_wage) return tl::unexpected(average_wage.error());
  auto index = reader.decimal("average_contribution_index");
  if (!index) return tl::unexpected(index.error());
  auto indexed_wage = reader.money("indexed_monthly_wage");
  if (!indexed_wage) return tl::unexpected(indexed_wage.error());
  auto contribution_months = reader.integer("contribution_months");
  if (!contribution_months) return tl::unexpected(contribution_months.error());
  auto contribution_years = reader.decimal("contribution_years");
  if (!contribution_years) return tl::unexpected(contribution_years.error());
  auto account_balance = reader.money("account_balance");
  if (!account_balance) return tl::unexpected(account_balance.error());
  auto age_object = reader.object("retirement_age");
  if (!age_object) return tl::unexpected(age_object.error());
  auto divisor = reader.decimal("divisor");
  if (!divisor) return tl::unexpected(divisor.error());
  auto transitional = reader.money("transitional_pension");
  if (!transitional) return tl::unexpected(transitional.error());
  auto supplement = reader.money("local_supplement");
  if (!supplement) return tl::unexpected(supplement.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  std::optional<std::int64_t> divisor_age_47;
  if (*parameters) {
    InputReader parameter_reader(**parameters, "input.parameters");
    auto value = parameter_reader.integer("divisor_age_47");
    if (!value) return tl::unexpected(value.error());
    divisor_age_47 = *value;
    if (auto done = parameter_reader.finish(); !done) return tl::unexpected(done.error());
  }
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());

  std::optional<AgeAtRetirement> age;
  if (*age_object) {
    InputReader age_reader(**age_object, "input.retirement_age");
    auto years = age_reader.integer("years", Presence::required);
    if (!years) return tl::unexpected(years.error());
    auto months = age_reader.integer("months", Presence::required);
    if (!months) return tl::unexpected(months.error());
    if (auto done = age_reader.finish(); !done) return tl::unexpected(done.error());
    age = AgeAtRetirement{narrow_age_part(**years), narrow_age_part(**months)};
  }

  EmployeePensionQuery query;
  query.retirement_month = *retirement_month;
  const bool any_basic_input = *average_wage || *index || *indexed_wage || *contribution_months ||
                               *contribution_years;
  if (any_basic_input) {
    if (!*average_wage) return invalid("input.average_wage", "required when any basic-pension input is given");
    query.basic = BasicPensionInputs{**average_wage, *index, *indexed_wage, *contribution_months,
                                     *contribution_years};
  }
  const bool any_account_input = *account_balance || age || *divisor;
  if (any_account_input) {
    if (!*account_balance) {
      return invalid("input.account_balance", "required when retirement_age or divisor is given");
    }
    query.account = AccountPensionInputs{**account_balance, age, *divisor};
  }
  query.transitional_pension = transitional->value_or(Money());
  query.local_supplement = supplement->value_or(Money());
  query.divisor_age_47 = divisor_age_47;

  auto result = compute_employee_pension(query, store, trace);
  if (!result) return tl::unexpected(in_case_input(result.error()));
  json::object out;
  if (result->indexed_monthly_wage) out["indexed_monthly_wage"] = result->indexed_monthly_wage->to_string();
  if (result->contribution_years) out["contribution_years"] = result->contribution_years->to_fixed(2);
  if (result->basic_pension) out["basic_pension"] = result->basic_pension->to_string();
  if (result->divisor) out["divisor"] = result->divisor->to_string();
  if (result->account_pension) out["account_pension"] = result->account_pension->to_string();
  if (result->total_pension) out["total_pension"] = result->total_pension->to_string();
  return out;
}

Result<json::object> run_resident_pension_case(const json::object& input, const ParameterStore& store,
                                               Trace* trace) {
  InputReader reader(input, "input");
  auto basic_pension = reader.money("basic_pension");
  if (!basic_pension) return tl::unexpected(basic_pension.error());
  auto payment_month = reader.month("payment_month");
  if (!payment_month) return tl::unexpected(payment_month.error());
  auto local_top_up = reader.money("local_top_up");
  if (!local_top_up) return tl::unexpected(local_top_up.error());
  auto account_balance = reader.money("account_balance");
  if (!account_balance) return tl::unexpected(account_balance.error());
  auto annual_contribution = reader.money("annual_contribution");
  if (!annual_contribution) return tl::unexpected(annual_contribution.error());
  auto annual_subsidy = reader.money("annual_subsidy");
  if (!annual_subsidy) return tl::unexpected(annual_subsidy.error());
  auto contribution_years = reader.integer("contribution_years");
  if (!contribution_years) return tl::unexpected(contribution_years.error());
  auto accrued_interest = reader.money("accrued_interest");
  if (!accrued_interest) return tl::unexpected(accrued_interest.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  std::optional<Decimal> resident_divisor;
  if (*parameters) {
    InputReader parameter_reader(**parameters, "input.parameters");
    auto value = parameter_reader.decimal("resident_divisor");
    if (!value) return tl::unexpected(value.error());
    resident_divisor = *value;
    if (auto done = parameter_reader.finish(); !done) return tl::unexpected(done.error());
  }
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());

  ResidentPensionQuery query;
  query.basic_pension = *basic_pension;
  query.payment_month = *payment_month;
  query.local_top_up = *local_top_up;
  query.account_balance = *account_balance;
  query.resident_divisor = resident_divisor;
  const bool any_part = *annual_contribution || *annual_subsidy || *contribution_years || *accrued_interest;
  if (any_part && *account_balance) {
    return invalid("input.account_balance", "give either account_balance or its parts, not both");
  }
  if (any_part) {
    if (!*annual_contribution) {
      return invalid("input.annual_contribution", "required when the balance is given as its parts");
    }
    if (!*contribution_years) {
      return invalid("input.contribution_years", "required when the balance is given as its parts");
    }
    query.account_parts = ResidentAccountParts{**annual_contribution, annual_subsidy->value_or(Money()),
                                               **contribution_years, accrued_interest->value_or(Money())};
  }

  auto result = compute_resident_pension(query, store, trace);
  if (!result) return tl::unexpected(in_case_input(result.error()));
  json::object out;
  out["basic_pension"] = result->basic_pension.to_string();
  out["account_balance"] = result->account_balance.to_string();
  out["divisor"] = result->divisor.to_string();
  out["account_pension"] = result->account_pension.to_string();
  out["total_pension"] = result->total_pension.to_string();
  return out;
}

const KindRegistration register_employee_pension("pension.employee", run_employee_pension_case);
const KindRegistration register_resident_pension("pension.resident", run_resident_pension_case);

}  // namespace
}  // namespace shebao::rules
