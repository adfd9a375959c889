#include "rules/retirement.h"

#include <algorithm>

#include "rules/case_input.h"
#include "rules/case_kinds.h"

namespace shebao::rules {
namespace json = boost::json;

std::string_view to_string(RetirementCategory category) {
  switch (category) {
    case RetirementCategory::male: return "male";
    case RetirementCategory::female_55: return "female_55";
    case RetirementCategory::female_50: return "female_50";
  }
  return "male";
}

std::string_view to_string(RetirementOption option) {
  switch (option) {
    case RetirementOption::statutory: return "statutory";
    case RetirementOption::earliest: return "earliest";
    case RetirementOption::latest: return "latest";
  }
  return "statutory";
}

namespace {

int as_int(const ParamEntry& entry) { return static_cast<int>(*entry.number.to_int64_exact()); }

std::string age_text(int months) {
  return std::to_string(months / 12) + "y" + std::to_string(months % 12) + "m";
}

}  // namespace

Result<RetirementResult> compute_retirement(const RetirementQuery& query, const ParameterStore& store,
                                            Trace* trace) {
  const std::string_view category = to_string(query.category);
  // The retirement-age series are selected by birth month.
  const Date birth_day = Date::first_of(query.birth_month);
  auto original = store.find("retirement_original_age_months", birth_day, "CN", category);
  if (!original) return tl::unexpected(original.error());
  const int original_age = as_int(**original);

  int delay = 0;
  const ParamEntry* step_entry = store.find_exact("retirement_delay_step_birth_months", birth_day, "CN", category);
  const ParamEntry* cap_entry = store.find_exact("retirement_delay_cap_months", birth_day, "CN", category);
  if (step_entry != nullptr && cap_entry != nullptr) {
    const YearMonth first_affected = step_entry->from.year_month();
    const int n = query.birth_month.months_since(first_affected) + 1;  // 1 for the first affected month
    const int step = as_int(*step_entry);
    delay = std::min(as_int(*cap_entry), (n + step - 1) / step);
  }
  RetirementResult result;
  result.statutory_delay_months = delay;
  result.statutory_age_months = original_age + delay;
  result.statutory_month = query.birth_month.plus_months(result.statutory_age_months);
  if (trace) {
    auto& step = trace->step("statutory_age", step_entry ? step_entry->rule_id : (*original)->rule_id,
                             "delay = min(cap, ceil(n / step)), n = birth month − first affected birth month + 1; "
                             "statutory age = original age + delay")
                     .in("birth_month", query.birth_month.to_string())
                     .in("category", std::string(category))
                     .param(**original);
    if (step_entry) step.param(*step_entry).param(*cap_entry);
    step.out(age_text(result.statutory_age_months) + " (delay " + std::to_string(delay) + " months), " +
             result.statutory_month.to_string());
  }

  result.age_months = result.statutory_age_months;
  if (query.option != RetirementOption::statutory) {
    const std::string_view window = query.option == RetirementOption::earliest ? "earliest" : "latest";
    const ParamEntry* window_entry =
        store.find_exact("flexible_retirement_window_months", Date::first_of(result.statutory_month), "CN", window);
    if (window_entry == nullptr) {
      return out_of_range("option", "the " + std::string(window) +
                                        " option exists only for statutory retirement months from the start of "
                                        "flexible retirement; this cohort's statutory month is " +
                                        result.statutory_month.to_string());
    }
    const int window_months = as_int(*window_entry);
    if (query.option == RetirementOption::earliest) {
      result.age_months = std::max(original_age, result.statutory_age_months - window_months);
    } else {
      result.age_months = result.statutory_age_months + window_months;
    }
    if (trace) {
      trace
          ->step("flexible_option", window_entry->rule_id,
                 query.option == RetirementOption::earliest ? "max(original age, statutory age − window)"
                                                            : "statutory age + window")
          .in("statutory_age", age_text(result.statutory_age_months))
          .in("original_age", age_text(original_age))
          .param(*window_entry)
          .out(age_text(result.age_months));
    }
  }
  result.retirement_month = query.birth_month.plus_months(result.age_months);
  if (trace) {
    trace->step("retirement_month", "CN-RET-AGE-2025", "birth month + age")
        .in("birth_month", query.birth_month.to_string())
        .in("age", age_text(result.age_months))
        .out(result.retirement_month.to_string());
  }
  return result;
}

Result<int> compute_minimum_months(int retirement_year, const ParameterStore& store, Trace* trace) {
  if (retirement_year < 1 || retirement_year > 9999) {
    return out_of_range("retirement_year", "year " + std::to_string(retirement_year) + " is not a calendar year");
  }
  auto entry = store.find("minimum_contribution_months", Date::of(retirement_year, 1, 1));
  if (!entry) {
    return out_of_range("retirement_year", "no minimum contribution period is modelled for retirement in " +
                                               std::to_string(retirement_year));
  }
  const int months = as_int(**entry);
  if (trace) {
    trace->step("minimum_months", (*entry)->rule_id, "minimum contribution months of the retirement year")
        .in("retirement_year", std::to_string(retirement_year))
        .param(**entry)
        .out(std::to_string(months));
  }
  return months;
}

namespace {

Result<json::object> run_retirement_case(const json::object& input, const ParameterStore& store, Trace* trace) {
  InputReader reader(input, "input");
  auto birth = reader.month("birth_month", Presence::required);
  if (!birth) return tl::unexpected(birth.error());
  auto category = reader.category("category", {"male", "female_55", "female_50"}, Presence::required);
  if (!category) return tl::unexpected(category.error());
  auto option = reader.category("option", {"statutory", "earliest", "latest"});
  if (!option) return tl::unexpected(option.error());
  auto as_of = reader.date("as_of_date");
  if (!as_of) return tl::unexpected(as_of.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  if (*parameters) {
    InputReader none(**parameters, "input.parameters");
    if (auto done = none.finish(); !done) return tl::unexpected(done.error());
  }
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());

  if (*as_of && **birth > (*as_of)->year_month()) {
    return invalid("input.birth_month", "birth month " + (*birth)->to_string() + " is after the month of as_of_date " +
                                            (*as_of)->to_string());
  }
  RetirementQuery query;
  query.birth_month = **birth;
  query.category = **category == "male"        ? RetirementCategory::male
                   : **category == "female_55" ? RetirementCategory::female_55
                                               : RetirementCategory::female_50;
  query.option = !*option || **option == "statutory" ? RetirementOption::statutory
                 : **option == "earliest"            ? RetirementOption::earliest
                                                     : RetirementOption::latest;
  auto result = compute_retirement(query, store, trace);
  if (!result) return tl::unexpected(result.error());
  json::object out;
  out["retirement_month"] = result->retirement_month.to_string();
  out["age_months"] = result->age_months;
  out["age_years"] = result->age_months / 12;
  out["age_remainder_months"] = result->age_months % 12;
  out["statutory_delay_months"] = result->statutory_delay_months;
  out["statutory_retirement_month"] = result->statutory_month.to_string();
  return out;
}

Result<json::object> run_minimum_months_case(const json::object& input, const ParameterStore& store, Trace* trace) {
  InputReader reader(input, "input");
  auto year = reader.integer("retirement_year", Presence::required);
  if (!year) return tl::unexpected(year.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  if (*parameters) {
    InputReader none(**parameters, "input.parameters");
    if (auto done = none.finish(); !done) return tl::unexpected(done.error());
  }
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());
  if (**year < 0) return invalid("input.retirement_year", "a year cannot be negative");
  auto months = compute_minimum_months(static_cast<int>(std::min<std::int64_t>(**year, 100000)), store, trace);
  if (!months) return tl::unexpected(months.error());
  json::object out;
  out["minimum_months"] = *months;
  return out;
}

const KindRegistration register_retirement("retirement.date", run_retirement_case);
const KindRegistration register_minimum_months("contribution.minimum_months", run_minimum_months_case);

}  // namespace
}  // namespace shebao::rules
