#include "rules/transfer.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/region.h"
#include "rules/case_input.h"
#include "rules/case_kinds.h"

namespace shebao::rules {
namespace json = boost::json;

std::string province_jurisdiction(int province_code) {
  std::string text = "CN-";
  if (province_code >= 0 && province_code < 10) text += '0';
  return text + std::to_string(province_code);
}

std::string_view to_string(Sex sex) { return sex == Sex::female ? "female" : "male"; }

std::string_view to_string(PayingRule rule) {
  switch (rule) {
    case PayingRule::hukou_region: return "hukou_region";
    case PayingRule::current_region_10y: return "current_region_10y";
    case PayingRule::previous_region_10y: return "previous_region_10y";
    case PayingRule::hukou_fallback: return "hukou_fallback";
  }
  return "hukou_fallback";
}

namespace {

constexpr std::string_view kNational = "CN";

// The entry of a national series that applies: the one in force on the
// transfer date, or the one in force now when no date is given.
Result<const ParamEntry*> transfer_rule(const ParameterStore& store, std::string_view key,
                                        const std::optional<Date>& transfer_date, std::string_view variant = "") {
  if (transfer_date) return store.find(key, *transfer_date, kNational, variant);
  return store.current(key, kNational, variant);
}

std::string rule_selection(const std::optional<Date>& transfer_date) {
  return transfer_date ? "in force on the transfer date " + transfer_date->to_string()
                       : "no transfer date given: the entries in force now";
}

Result<int> integer_value(const ParamEntry& entry) {
  auto value = entry.number.to_int64_exact();
  if (!value || *value < std::numeric_limits<int>::min() || *value > std::numeric_limits<int>::max()) {
    return fail(ErrorCode::rules_invalid, entry.location(), entry.key + " is not a whole number of months");
  }
  return static_cast<int>(*value);
}

// An amount with at most two decimals as Money; invalid_input when it does not fit.
Result<Money> to_money(const Decimal& amount, std::string field) {
  const Decimal::Int units = round(amount, 2, RoundingMode::half_up).mantissa();
  if (units > std::numeric_limits<std::int64_t>::max() || units < std::numeric_limits<std::int64_t>::min()) {
    return invalid(std::move(field), "amount too large");
  }
  return Money::from_fen(static_cast<std::int64_t>(units));
}

std::string age_text(int months) { return std::to_string(months / 12) + "y" + std::to_string(months % 12) + "m"; }

}  // namespace

// ---------------------------------------------------------------------------

namespace {

Result<PooledTransferResult> pooled_transfer(const PooledTransferQuery& query, const ParameterStore& store,
                                             Trace* trace) {
  if (query.periods.empty()) return invalid("periods", "at least one period is required");
  std::map<int, int> months_per_year;
  for (std::size_t i = 0; i < query.periods.size(); ++i) {
    const PooledPeriod& period = query.periods[i];
    const std::string where = "periods[" + std::to_string(i) + "]";
    if (period.year < 1 || period.year > 9999) return invalid(where + ".year", "not a calendar year");
    if (period.months < 1 || period.months > 12) {
      return invalid(where + ".months", "months of one entry are 1..12, got " + std::to_string(period.months));
    }
    if (period.monthly_base < Money()) return invalid(where + ".monthly_base", "a base cannot be negative");
    int& total = months_per_year[period.year];
    total += period.months;
    if (total > 12) {
      return invalid(where + ".months", "the entries for " + std::to_string(period.year) + " total " +
                                            std::to_string(total) + " months; a year has at most 12");
    }
  }
  if (query.pooled_rate && query.pooled_rate->sign() < 0) return invalid("pooled_rate", "a rate cannot be negative");

  auto start_entry = transfer_rule(store, "transfer_counting_start", query.transfer_date);
  if (!start_entry) return tl::unexpected(start_entry.error());
  const int first_year = (*start_entry)->month.year();

  PooledTransferResult result;
  Decimal total;
  for (const PooledPeriod& period : query.periods) {
    if (period.year < first_year) continue;
    result.counted_months += period.months;
    total = total + period.monthly_base.to_decimal() * Decimal::from_int(period.months);
  }
  auto counted_total = to_money(total, "periods");
  if (!counted_total) return tl::unexpected(counted_total.error());
  result.counted_base_total = *counted_total;
  if (trace) {
    trace
        ->step("counted_base_total", (*start_entry)->rule_id,
               "Σ monthly_base × months over the entries whose year is not before the counting start; "
               "earlier years are skipped")
        .in("rule_selection", rule_selection(query.transfer_date))
        .in("entries", std::to_string(query.periods.size()))
        .param(**start_entry)
        .out(std::to_string(result.counted_months) + " months, " + result.counted_base_total.to_string());
  }

  const ParamEntry* rate_entry = nullptr;
  if (query.pooled_rate) {
    result.pooled_rate = *query.pooled_rate;
  } else {
    auto entry = transfer_rule(store, "transfer_pooled_rate", query.transfer_date);
    if (!entry) return tl::unexpected(entry.error());
    rate_entry = *entry;
    result.pooled_rate = rate_entry->number;
  }
  auto pooled = to_money(round2(result.pooled_rate * result.counted_base_total.to_decimal()), "pooled_rate");
  if (!pooled) return tl::unexpected(pooled.error());
  result.pooled_transfer = *pooled;
  if (trace) {
    auto& step = trace->step("pooled_transfer", "CN-XFER-FUNDS-2010", "round2(pooled_rate × counted_base_total)")
                     .in("counted_base_total", result.counted_base_total.to_string());
    if (rate_entry != nullptr) {
      step.in("rule_selection", rule_selection(query.transfer_date)).param(*rate_entry);
    } else {
      step.override_param("pooled_rate", result.pooled_rate.to_string(), "case input (parameters.pooled_rate)");
    }
    step.out(result.pooled_transfer.to_string());
  }
  return result;
}

}  // namespace

Result<PooledTransferResult> compute_pooled_transfer(const PooledTransferQuery& query, const ParameterStore& store,
                                                     Trace* trace) {
  try {
    return pooled_transfer(query, store, trace);
  } catch (const DecimalOverflow&) {
    return invalid("periods", "the amounts are too large to compute exactly");
  }
}

// ---------------------------------------------------------------------------

Result<PayingRegionResult> compute_paying_region(const PayingRegionQuery& query, const ParameterStore& store,
                                                 Trace* trace) {
  if (find_province(query.hukou_region) == nullptr) {
    return invalid("hukou_region", "no province has the code " + std::to_string(query.hukou_region));
  }
  if (query.history.empty()) return invalid("history", "at least one stint is required");
  for (std::size_t i = 0; i < query.history.size(); ++i) {
    const Stint& stint = query.history[i];
    const std::string where = "history[" + std::to_string(i) + "]";
    if (find_province(stint.region) == nullptr) {
      return invalid(where + ".region", "no province has the code " + std::to_string(stint.region));
    }
    if (stint.months < 1) return invalid(where + ".months", "a stint has at least one month");
    if (stint.start_month < query.birth_month) {
      return invalid(where + ".start_month", "the stint starts " + stint.start_month.to_string() +
                                                 ", before the birth month " + query.birth_month.to_string());
    }
    if (i > 0) {
      const Stint& previous = query.history[i - 1];
      const YearMonth previous_end = previous.start_month.plus_months(previous.months - 1);
      if (stint.start_month <= previous_end) {
        return invalid(where + ".start_month", "stints must be chronological and must not overlap: this one starts " +
                                                   stint.start_month.to_string() + ", the previous one ends " +
                                                   previous_end.to_string());
      }
    }
  }

  auto threshold_entry = transfer_rule(store, "temporary_account_age_months", query.transfer_date, to_string(query.sex));
  if (!threshold_entry) return tl::unexpected(threshold_entry.error());
  auto threshold = integer_value(**threshold_entry);
  if (!threshold) return tl::unexpected(threshold.error());
  auto ten_years_entry = transfer_rule(store, "paying_region_min_months", query.transfer_date);
  if (!ten_years_entry) return tl::unexpected(ten_years_entry.error());
  auto ten_years = integer_value(**ten_years_entry);
  if (!ten_years) return tl::unexpected(ten_years.error());

  PayingRegionResult result;
  std::optional<int> relationship;
  std::map<int, YearMonth> last_end;  // end month of each region's last non-temporary stint
  for (std::size_t i = 0; i < query.history.size(); ++i) {
    const Stint& stint = query.history[i];
    const std::optional<int> relationship_before = relationship;
    const int age = stint.start_month.months_since(query.birth_month);
    const bool new_province = stint.region != query.hukou_region && (!relationship || stint.region != *relationship);
    const bool temporary = new_province && age >= *threshold && !stint.approved_transfer;
    result.temporary_account.push_back(temporary);
    if (!temporary) {
      relationship = stint.region;
      result.counted_months_by_region[stint.region] += stint.months;
      last_end[stint.region] = stint.start_month.plus_months(stint.months - 1);
    }
    if (trace) {
      std::string reason;
      if (!new_province) {
        reason = "not a move to a new province (hukou region or the region holding the relationship)";
      } else if (stint.approved_transfer) {
        reason = "approved transfer: exempt from the age rule";
      } else if (age < *threshold) {
        reason = "age below the threshold";
      } else {
        reason = "move to a new province at or above the age threshold";
      }
      trace
          ->step("stint_" + std::to_string(i), (*threshold_entry)->rule_id,
                 "temporary = region ∉ {hukou, relationship} ∧ age at start ≥ threshold ∧ ¬approved_transfer")
          .in("rule_selection", rule_selection(query.transfer_date))
          .in("region", province_jurisdiction(stint.region))
          .in("start_month", stint.start_month.to_string())
          .in("months", std::to_string(stint.months))
          .in("age_at_start", age_text(age))
          .in("approved_transfer", stint.approved_transfer ? "true" : "false")
          .in("relationship_before", relationship_before ? province_jurisdiction(*relationship_before) : "none")
          .param(**threshold_entry)
          .out(std::string(temporary ? "temporary account" : "relationship here") + " (" + reason + ")");
    }
  }
  result.relationship_region = relationship;

  auto months_in = [&](int region) {
    auto found = result.counted_months_by_region.find(region);
    return found == result.counted_months_by_region.end() ? 0 : found->second;
  };
  if (relationship && *relationship == query.hukou_region) {
    result.paying_region = query.hukou_region;
    result.rule = PayingRule::hukou_region;
  } else if (relationship && months_in(*relationship) >= *ten_years) {
    result.paying_region = *relationship;
    result.rule = PayingRule::current_region_10y;
  } else {
    std::optional<int> previous;
    for (const auto& [region, months] : result.counted_months_by_region) {
      if (months < *ten_years) continue;
      if (!previous || last_end.at(region) > last_end.at(*previous)) previous = region;
    }
    if (previous) {
      result.paying_region = *previous;
      result.rule = PayingRule::previous_region_10y;
    } else {
      result.paying_region = query.hukou_region;
      result.rule = PayingRule::hukou_fallback;
    }
  }

  if (trace) {
    std::string counted;
    for (const auto& [region, months] : result.counted_months_by_region) {
      counted += (counted.empty() ? "" : ", ") + province_jurisdiction(region) + " " + std::to_string(months) +
                 " (last ends " + last_end.at(region).to_string() + ")";
    }
    trace
        ->step("paying_region", (*ten_years_entry)->rule_id,
               "relationship = hukou → hukou_region; months_in(relationship) ≥ threshold → current_region_10y; "
               "region with months_in ≥ threshold whose last non-temporary stint ends latest → "
               "previous_region_10y; otherwise hukou_fallback")
        .in("rule_selection", rule_selection(query.transfer_date))
        .in("hukou_region", province_jurisdiction(query.hukou_region))
        .in("relationship_region", relationship ? province_jurisdiction(*relationship) : "none")
        .in("months_in", counted.empty() ? "none (every stint was a temporary account)" : counted)
        .param(**ten_years_entry)
        .out(province_jurisdiction(result.paying_region) + " (" + std::string(to_string(result.rule)) + ")");
  }
  return result;
}

// ---------------------------------------------------------------------------
// Case kinds.

namespace {

std::string indexed(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// An error of a typed calculator, with its field placed under "input.".
tl::unexpected<Error> under_input(Error error) {
  error.field = error.field.empty() ? "input" : "input." + error.field;
  return tl::unexpected(std::move(error));
}

// A required "CN-nn" province; malformed or unknown is invalid_input.
Result<int> read_province(InputReader& reader, std::string_view key) {
  auto text = reader.text(key, Presence::required);
  if (!text) return tl::unexpected(text.error());
  auto province = parse_province_jurisdiction(**text);
  if (!province) {
    return invalid(reader.field(key), "\"" + **text + "\" is not a province written CN-nn: " + province.error().message);
  }
  return *province;
}

Result<json::object> run_pooled_transfer_case(const json::object& input, const ParameterStore& store, Trace* trace) {
  InputReader reader(input, "input");
  auto periods = reader.array("periods", Presence::required);
  if (!periods) return tl::unexpected(periods.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());

  PooledTransferQuery query;
  if (*parameters) {
    InputReader overrides(**parameters, "input.parameters");
    auto rate = overrides.decimal("pooled_rate");
    if (!rate) return tl::unexpected(rate.error());
    if (auto done = overrides.finish(); !done) return tl::unexpected(done.error());
    if (*rate && (*rate)->sign() < 0) return invalid("input.parameters.pooled_rate", "the rate must be ≥ 0");
    query.pooled_rate = *rate;
  }
  if ((*periods)->empty()) return invalid("input.periods", "at least one period is required");
  for (std::size_t i = 0; i < (*periods)->size(); ++i) {
    const std::string path = indexed("input.periods", i);
    const json::value& item = (**periods)[i];
    if (!item.is_object()) return invalid(path, "a period is an object {year, monthly_base, months}");
    InputReader entry(item.get_object(), path);
    auto year = entry.integer("year", Presence::required);
    if (!year) return tl::unexpected(year.error());
    auto base = entry.money("monthly_base", Presence::required);
    if (!base) return tl::unexpected(base.error());
    auto months = entry.integer("months", Presence::required);
    if (!months) return tl::unexpected(months.error());
    if (auto done = entry.finish(); !done) return tl::unexpected(done.error());
    if (**year < 1 || **year > 9999) return invalid(entry.field("year"), "not a calendar year");
    if (**months < 1 || **months > 12) return invalid(entry.field("months"), "months are 1..12");
    if (**base < Money()) return invalid(entry.field("monthly_base"), "a base cannot be negative");
    query.periods.push_back(PooledPeriod{static_cast<int>(**year), **base, static_cast<int>(**months)});
  }

  auto result = compute_pooled_transfer(query, store, trace);
  if (!result) return under_input(result.error());
  json::object out;
  out["counted_months"] = result->counted_months;
  out["counted_base_total"] = result->counted_base_total.to_string();
  out["pooled_transfer"] = result->pooled_transfer.to_string();
  return out;
}

Result<json::object> run_paying_region_case(const json::object& input, const ParameterStore& store, Trace* trace) {
  InputReader reader(input, "input");
  auto hukou = read_province(reader, "hukou_region");
  if (!hukou) return tl::unexpected(hukou.error());
  auto sex = reader.category("sex", {"male", "female"}, Presence::required);
  if (!sex) return tl::unexpected(sex.error());
  auto birth = reader.month("birth_month", Presence::required);
  if (!birth) return tl::unexpected(birth.error());
  auto history = reader.array("history", Presence::required);
  if (!history) return tl::unexpected(history.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  if (*parameters) {
    InputReader none(**parameters, "input.parameters");
    if (auto done = none.finish(); !done) return tl::unexpected(done.error());
  }
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());

  PayingRegionQuery query;
  query.hukou_region = *hukou;
  query.sex = **sex == "female" ? Sex::female : Sex::male;
  query.birth_month = **birth;
  if ((*history)->empty()) return invalid("input.history", "at least one stint is required");
  for (std::size_t i = 0; i < (*history)->size(); ++i) {
    const std::string path = indexed("input.history", i);
    const json::value& item = (**history)[i];
    if (!item.is_object()) return invalid(path, "a stint is an object {region, start_month, months}");
    InputReader entry(item.get_object(), path);
    auto region = read_province(entry, "region");
    if (!region) return tl::unexpected(region.error());
    auto start = entry.month("start_month", Presence::required);
    if (!start) return tl::unexpected(start.error());
    auto months = entry.integer("months", Presence::required);
    if (!months) return tl::unexpected(months.error());
    auto approved = entry.boolean("approved_transfer");
    if (!approved) return tl::unexpected(approved.error());
    if (auto done = entry.finish(); !done) return tl::unexpected(done.error());
    // A stint longer than the calendar can hold is malformed; 12 × 9999 bounds every real history.
    if (**months < 1 || **months > 12 * 9999) return invalid(entry.field("months"), "months of a stint are ≥ 1");
    query.history.push_back(Stint{*region, **start, static_cast<int>(**months), approved->value_or(false)});
  }

  auto result = compute_paying_region(query, store, trace);
  if (!result) return under_input(result.error());
  json::object out;
  out["paying_region"] = province_jurisdiction(result->paying_region);
  out["rule"] = to_string(result->rule);
  if (result->relationship_region) {
    out["relationship_region"] = province_jurisdiction(*result->relationship_region);
  } else {
    out["relationship_region"] = nullptr;
  }
  json::array temporary;
  for (bool flag : result->temporary_account) temporary.push_back(flag);
  out["temporary_account"] = std::move(temporary);
  return out;
}

const KindRegistration register_pooled_transfer("transfer.pooled", run_pooled_transfer_case);
const KindRegistration register_paying_region("transfer.paying_region", run_paying_region_case);

}  // namespace
}  // namespace shebao::rules
