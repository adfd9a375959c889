#include "app/calc_forms.h"

#include <boost/json.hpp>

#include "rules/case_kinds.h"
#include "rules/case_runner.h"

namespace shebao::app {
namespace json = boost::json;

std::vector<CalcForm> calc_forms() {
  using enum FlagType;
  return {
      {"retirement", "retirement.date", "statutory, earliest or latest retirement month under the 2025 reform",
       {{"birth", "birth_month", text, true, "birth month YYYY-MM"},
        {"category", "category", text, true, "male | female_55 | female_50 (original statutory category)"},
        {"option", "option", text, false, "statutory (default) | earliest | latest"},
        {"as-of", "as_of_date", text, false, "reference date YYYY-MM-DD"}}},
      {"minimum-months", "contribution.minimum_months", "minimum contribution months for a retirement year",
       {{"year", "retirement_year", integer, true, "calendar year of retirement"}}},
      {"pension", "pension.employee", "employee pension award: basic + account (+ given transitional and local parts)",
       {{"average-wage", "average_wage", decimal, false, "pension base W of the retirement year, yuan"},
        {"index", "average_contribution_index", decimal, false, "average contribution index Z"},
        {"indexed-wage", "indexed_monthly_wage", decimal, false, "indexed monthly wage W×Z as published, yuan"},
        {"months", "contribution_months", integer, false, "contribution months incl. deemed"},
        {"years", "contribution_years", decimal, false, "contribution years as published"},
        {"balance", "account_balance", decimal, false, "personal account at retirement, yuan"},
        {"age", "retirement_age", age, false, "age at retirement, e.g. 60y1m"},
        {"divisor", "divisor", decimal, false, "explicit divisor instead of the table"},
        {"retirement-month", "retirement_month", text, false, "month the pension starts YYYY-MM"},
        {"transitional", "transitional_pension", decimal, false, "given transitional pension, yuan"},
        {"supplement", "local_supplement", decimal, false, "given local supplement, yuan"}}},
      {"resident-pension", "pension.resident", "urban-rural residents' pension",
       {{"basic", "basic_pension", decimal, false, "monthly basic pension as given, yuan"},
        {"payment-month", "payment_month", text, false, "month paid, for the national minimum YYYY-MM"},
        {"top-up", "local_top_up", decimal, false, "local top-up of the basic pension, yuan"},
        {"balance", "account_balance", decimal, false, "account balance, yuan"},
        {"annual-contribution", "annual_contribution", decimal, false, "yearly contribution, yuan"},
        {"annual-subsidy", "annual_subsidy", decimal, false, "yearly subsidy, yuan"},
        {"years", "contribution_years", integer, false, "whole contribution years"},
        {"interest", "accrued_interest", decimal, false, "accrued interest, yuan"}}},
      {"contribution", "contribution.employee", "monthly employee pension contribution (base, employer, individual, account)",
       {{"month", "contribution_month", text, true, "contribution month YYYY-MM"},
        {"wage", "monthly_wage", decimal, true, "own previous-year average monthly wage, yuan"},
        {"average-wage", "local_average_monthly_wage", decimal, true, "local average monthly wage, yuan"},
        {"size", "employer_size", text, false, "micro | small | medium | large"},
        {"unit-type", "unit_type", text, false, "enterprise | individual_business | public_institution"},
        {"province", "province", text, false, "CN or CN-nn"}}},
      {"flexible", "contribution.flexible", "flexible worker's contribution for a chosen base",
       {{"month", "contribution_month", text, true, "contribution month YYYY-MM"},
        {"average-wage", "local_average_monthly_wage", decimal, false, "local average monthly wage, yuan"},
        {"annual-average-wage", "local_average_annual_wage", decimal, false, "local average annual wage, yuan"},
        {"ratio", "base_ratio", decimal, false, "base as a ratio of the average (0.60-3.00)"},
        {"base", "chosen_monthly_base", decimal, false, "chosen monthly base, yuan"},
        {"months", "months", integer, false, "months paid at once (default 1)"}}},
      {"late-fee", "late_fee", "late fee on arrears",
       {{"principal", "principal", decimal, true, "arrears, yuan"},
        {"from", "first_overdue_date", text, true, "first day charged YYYY-MM-DD"},
        {"days", "overdue_days", integer, true, "number of overdue days"}}},
      {"convert-period", "eu.period_conversion", "EU period conversion (987/2009 art. 13)",
       {{"value", "value", decimal, true, "amount of periods"},
        {"from-unit", "from_unit", text, true, "hour | day | week | month | quarter | year"},
        {"to-unit", "to_unit", text, true, "hour | day | week | month | quarter | year"},
        {"scheme", "scheme", text, true, "5_day | 6_day | 7_day | non_day"}}},
  };
}

namespace {

std::string flag_for_field(const CalcForm& form, const std::string& field) {
  for (const CalcFlag& flag : form.flags) {
    const std::string path = "input." + std::string(flag.key);
    if (field == path || field.starts_with(path + ".")) return "--" + std::string(flag.name);
  }
  return field;
}

Result<json::value> flag_value(const CalcFlag& flag, const std::string& text) {
  const std::string where = "--" + std::string(flag.name);
  switch (flag.type) {
    case FlagType::decimal:
    case FlagType::text: return json::value(text);
    case FlagType::boolean:
      if (text == "true") return json::value(true);
      if (text == "false") return json::value(false);
      return fail(ErrorCode::invalid_input, where, "expected true or false, got \"" + text + "\"");
    case FlagType::integer: {
      auto number = Decimal::parse(text);
      if (!number || !number->to_int64_exact()) {
        return fail(ErrorCode::invalid_input, where, "expected a whole number, got \"" + text + "\"");
      }
      return json::value(*number->to_int64_exact());
    }
    case FlagType::age: {
      // 60y1m, 60y, 60
      std::size_t y = text.find('y');
      std::string years = text.substr(0, y);
      std::string months = "0";
      if (y != std::string::npos) {
        months = text.substr(y + 1);
        if (!months.empty() && months.back() == 'm') months.pop_back();
        if (months.empty()) months = "0";
      }
      auto years_number = Decimal::parse(years);
      auto months_number = Decimal::parse(months);
      if (!years_number || !months_number || !years_number->to_int64_exact() || !months_number->to_int64_exact()) {
        return fail(ErrorCode::invalid_input, where, "expected an age such as 60y1m, got \"" + text + "\"");
      }
      json::object age;
      age["years"] = *years_number->to_int64_exact();
      age["months"] = *months_number->to_int64_exact();
      return json::value(std::move(age));
    }
  }
  return json::value(text);
}

void print_text(const CalcForm& form, const json::object& result, const rules::Trace& trace, std::ostream& out) {
  out << form.summary << "\n";
  std::size_t width = 0;
  for (const auto& [key, value] : result) width = std::max(width, key.size());
  for (const auto& [key, value] : result) {
    out << "  " << std::string(key) << std::string(width - key.size() + 2, ' ')
        << (value.is_string() ? std::string(value.get_string()) : json::serialize(value)) << "\n";
  }
  out << "\nWhy:\n";
  int number = 1;
  for (const rules::TraceStep& step : trace.steps()) {
    out << "  " << number++ << ". " << step.name << "  [" << step.rule_id << "]\n";
    if (!step.formula.empty()) out << "     " << step.formula << "\n";
    if (!step.inputs.empty()) {
      out << "     with ";
      bool first = true;
      for (const auto& [name, value] : step.inputs) {
        out << (first ? "" : ", ") << name << " = " << value;
        first = false;
      }
      out << "\n";
    }
    for (const rules::TraceParameter& p : step.parameters) {
      out << "     uses " << p.key << " = " << p.value;
      if (!p.period.empty()) out << " (" << p.jurisdiction << ", " << p.period << ", " << p.status << ")";
      out << "\n          " << p.source << "\n";
    }
    out << "     → " << step.output << "\n";
  }
}

}  // namespace

int run_calc_form(const CalcFormInvocation& invocation, const rules::ParameterStore& store, std::ostream& out,
                  std::ostream& err) {
  const CalcForm& form = *invocation.form;
  json::object input;
  for (std::size_t i = 0; i < form.flags.size(); ++i) {
    if (invocation.values[i].empty()) continue;
    auto value = flag_value(form.flags[i], invocation.values[i]);
    if (!value) {
      err << "shebao: " << value.error().to_string() << "\n";
      return exit_status(value.error().code);
    }
    input[form.flags[i].key] = std::move(*value);
  }
  const rules::CaseKind* kind = rules::find_case_kind(form.kind);
  if (kind == nullptr) {
    err << "shebao: internal: kind " << form.kind << " is not available\n";
    return 70;
  }
  rules::Trace trace;
  Result<json::object> result = json::object();
  try {
    result = kind->run(input, store, &trace);
  } catch (const DecimalOverflow&) {
    result = fail(ErrorCode::out_of_range, "", "an amount is too large to compute exactly");
  }
  if (!result) {
    Error error = result.error();
    if (error.code == ErrorCode::rule_missing) error.code = ErrorCode::out_of_range;
    error.field = flag_for_field(form, error.field);
    if (invocation.json) {
      json::object doc;
      doc["error"] = rules::error_to_json(error);
      out << json::serialize(doc) << "\n";
    } else {
      err << "shebao: " << error.to_string() << "\n";
    }
    return exit_status(error.code);
  }
  if (invocation.json) {
    json::object doc;
    doc["result"] = *result;
    doc["trace"] = rules::trace_to_json(trace);
    out << json::serialize(doc) << "\n";
  } else {
    print_text(form, *result, trace, out);
  }
  return 0;
}

}  // namespace shebao::app
