#include "rules/eu_coordination.h"

#include <algorithm>
#include <limits>
#include <set>

#include "rules/case_input.h"
#include "rules/case_kinds.h"

namespace shebao::rules {
namespace json = boost::json;

std::string_view to_string(PeriodUnit unit) {
  switch (unit) {
    case PeriodUnit::hour: return "hour";
    case PeriodUnit::day: return "day";
    case PeriodUnit::week: return "week";
    case PeriodUnit::month: return "month";
    case PeriodUnit::quarter: return "quarter";
    case PeriodUnit::year: return "year";
  }
  return "day";
}

std::string_view to_string(DayScheme scheme) {
  switch (scheme) {
    case DayScheme::five_day: return "5_day";
    case DayScheme::six_day: return "6_day";
    case DayScheme::seven_day: return "7_day";
    case DayScheme::non_day: return "non_day";
  }
  return "non_day";
}

std::string_view to_string(AwardMethod method) {
  switch (method) {
    case AwardMethod::pro_rata: return "pro_rata";
    case AwardMethod::independent: return "independent";
    case AwardMethod::art57_no_payment: return "art57_no_payment";
    case AwardMethod::art57_3_last_state: return "art57_3_last_state";
    case AwardMethod::independent_annex_viii: return "independent_annex_viii";
    case AwardMethod::no_entitlement: return "no_entitlement";
  }
  return "pro_rata";
}

namespace {

constexpr std::string_view kEu = "EU";
// art. 13(1)(c) (1 year = 4 quarters = 12 months = 52 weeks, 1 quarter = 13
// weeks, weeks and months through 6 days and 26 days) is exactly this row of
// art. 13(1)(b) (rules §16 V1).
constexpr DayScheme kCalendarEquivalenceRow = DayScheme::six_day;

Result<const ParamEntry*> eu_rule(const ParameterStore& store, std::string_view key,
                                  const std::optional<Date>& claim_date, std::string_view variant) {
  if (claim_date) return store.find(key, *claim_date, kEu, variant);
  return store.current(key, kEu, variant);
}

std::string rule_selection(const std::optional<Date>& claim_date) {
  return claim_date ? "in force on the claim date " + claim_date->to_string()
                    : "no claim date given: the entries in force now";
}

Result<std::int64_t> positive_integer(const ParamEntry& entry) {
  auto value = entry.number.to_int64_exact();
  if (!value || *value < 1) {
    return fail(ErrorCode::rules_invalid, entry.location(), entry.key + " is not a positive whole number");
  }
  return *value;
}

bool is_day_or_hour(PeriodUnit unit) { return unit == PeriodUnit::day || unit == PeriodUnit::hour; }

// A unit's size in days as the exact fraction days / per (an hour is 1 / hours per day).
struct UnitSize {
  std::int64_t days = 1;
  std::int64_t per = 1;
  const ParamEntry* entry = nullptr;  // nullptr for a day
};

Result<UnitSize> unit_size(PeriodUnit unit, DayScheme row, const ParameterStore& store,
                           const std::optional<Date>& claim_date) {
  std::string_view key;
  switch (unit) {
    case PeriodUnit::day: return UnitSize{};
    case PeriodUnit::hour: key = "eu_hours_per_day"; break;
    case PeriodUnit::week: key = "eu_days_per_week"; break;
    case PeriodUnit::month: key = "eu_days_per_month"; break;
    case PeriodUnit::quarter: key = "eu_days_per_quarter"; break;
    case PeriodUnit::year: key = "eu_days_per_year"; break;
  }
  auto entry = eu_rule(store, key, claim_date, to_string(row));
  if (!entry) return tl::unexpected(entry.error());
  auto value = positive_integer(**entry);
  if (!value) return tl::unexpected(value.error());
  if (unit == PeriodUnit::hour) return UnitSize{1, *value, *entry};
  return UnitSize{*value, 1, *entry};
}

std::string size_text(const UnitSize& size) {
  return size.per == 1 ? std::to_string(size.days) + " d" : "1/" + std::to_string(size.per) + " d";
}

}  // namespace

// ---------------------------------------------------------------------------

Result<PeriodConversionResult> convert_period(const PeriodConversionQuery& query, const ParameterStore& store,
                                              Trace* trace) {
  if (query.value.sign() < 0) return invalid("value", "a period cannot be negative");
  const bool own_row = is_day_or_hour(query.from_unit) || is_day_or_hour(query.to_unit);
  if (query.scheme == DayScheme::non_day && own_row) {
    const bool from_is = is_day_or_hour(query.from_unit);
    return out_of_range(from_is ? "from_unit" : "to_unit",
                        std::string(to_string(from_is ? query.from_unit : query.to_unit)) +
                            " is not a unit of a scheme not based on days");
  }
  PeriodConversionResult result;
  result.size_row = own_row ? query.scheme : kCalendarEquivalenceRow;
  auto from = unit_size(query.from_unit, result.size_row, store, query.claim_date);
  if (!from) return tl::unexpected(from.error());
  auto to = unit_size(query.to_unit, result.size_row, store, query.claim_date);
  if (!to) return tl::unexpected(to.error());

  // value × (from.days / from.per) / (to.days / to.per), exactly, raised to the next integer.
  const Decimal numerator = query.value * Decimal::from_int(from->days) * Decimal::from_int(to->per);
  const Decimal denominator = Decimal::from_int(from->per) * Decimal::from_int(to->days);
  const Decimal quotient = divide(numerator, denominator, 0, RoundingMode::ceiling);
  const auto whole = quotient.to_int64_exact();
  if (!whole) return invalid("value", "the converted period is too large");
  result.result = *whole;

  if (trace) {
    auto& step = trace
                     ->step("period_conversion", "EU-CONV",
                            "ceil(value × size(from_unit) / size(to_unit)); sizes in days from the scheme's own row "
                            "when day or hour is involved, otherwise the 6-day row (art. 13(1)(c))")
                     .in("rule_selection", rule_selection(query.claim_date))
                     .in("value", query.value.to_string())
                     .in("from_unit", std::string(to_string(query.from_unit)))
                     .in("to_unit", std::string(to_string(query.to_unit)))
                     .in("scheme", std::string(to_string(query.scheme)))
                     .in("size_row", std::string(to_string(result.size_row)))
                     .in("size(from_unit)", size_text(*from))
                     .in("size(to_unit)", size_text(*to))
                     .in("exact_quotient", numerator.to_string() + " / " + denominator.to_string());
    if (from->entry != nullptr) step.param(*from->entry);
    if (to->entry != nullptr && to->entry != from->entry) step.param(*to->entry);
    step.out(std::to_string(result.result));
  }
  return result;
}

// ---------------------------------------------------------------------------

Result<ProRataResult> compute_prorata_awards(const ProRataQuery& query, const ParameterStore& store, Trace* trace) {
  const auto& countries = query.countries;
  if (countries.size() < 2) return invalid("countries", "coordination needs at least two countries");

  // Validation and entitlement on own periods (U6).
  std::set<std::string, std::less<>> labels;
  std::vector<bool> entitled(countries.size(), false);
  for (std::size_t i = 0; i < countries.size(); ++i) {
    const ProRataCountry& c = countries[i];
    const std::string where = "countries[" + std::to_string(i) + "]";
    if (!labels.insert(c.country).second) {
      return invalid(where + ".country", "country \"" + c.country + "\" appears more than once");
    }
    if (c.periods_months < 0) return invalid(where + ".periods_months", "periods cannot be negative");
    if (c.theoretical_amount && *c.theoretical_amount < Money()) {
      return invalid(where + ".theoretical_amount", "an amount cannot be negative");
    }
    if (c.independent_amount && *c.independent_amount < Money()) {
      return invalid(where + ".independent_amount", "an amount cannot be negative");
    }
    if (c.maximum_period_months && *c.maximum_period_months < 1) {
      return invalid(where + ".maximum_period_months", "the maximum period is at least one month");
    }
    if (c.native_periods) {
      const NativePeriods& native = *c.native_periods;
      if (native.value < 0) return invalid(where + ".native_periods.value", "periods cannot be negative");
      if (native.unit == PeriodUnit::hour || native.unit == PeriodUnit::year) {
        return invalid(where + ".native_periods.unit", "native periods are stated in days, weeks, months or quarters");
      }
      if (native.scheme == DayScheme::non_day) {
        return invalid(where + ".native_periods.scheme", "the day scheme of native periods is 5-, 6- or 7-day");
      }
      if (native.unit == PeriodUnit::day && !native.scheme) {
        return invalid(where + ".native_periods.scheme", "periods in days need their day scheme");
      }
    }
    const bool has_independent = c.independent_amount.has_value();
    if (c.theoretical_amount) {
      if (c.entitled_on_own_periods && *c.entitled_on_own_periods != has_independent) {
        return invalid(where + ".entitled_on_own_periods",
                       has_independent ? "an independent amount is given, so the state is entitled on its own periods"
                                       : "no independent amount is given, so the state is not entitled on its own "
                                         "periods");
      }
      entitled[i] = has_independent;
    } else {
      entitled[i] = c.entitled_on_own_periods.value_or(has_independent);
    }
    if (entitled[i] && !c.conditions_met_on_aggregation) {
      return invalid(where + ".conditions_met_on_aggregation",
                     "a state entitled on its own periods meets its conditions with aggregation too");
    }
  }

  ProRataResult result;
  // art. 57(1): under one year in the state's own units and no entitlement on own periods.
  Decimal::Int aggregated = 0;
  Decimal::Int released_months = 0;
  for (std::size_t i = 0; i < countries.size(); ++i) {
    const ProRataCountry& c = countries[i];
    std::int64_t stated = c.periods_months;
    std::string unit = "month";
    const ParamEntry* one_year_entry = nullptr;
    if (c.native_periods) {
      stated = c.native_periods->value;
      unit = std::string(to_string(c.native_periods->unit));
      auto entry = c.native_periods->unit == PeriodUnit::day
                       ? eu_rule(store, "eu_days_per_year", query.claim_date, to_string(*c.native_periods->scheme))
                       : eu_rule(store, "eu_art57_one_year", query.claim_date, unit);
      if (!entry) return tl::unexpected(entry.error());
      one_year_entry = *entry;
    } else {
      auto entry = eu_rule(store, "eu_art57_one_year", query.claim_date, "month");
      if (!entry) return tl::unexpected(entry.error());
      one_year_entry = *entry;
    }
    auto one_year = positive_integer(*one_year_entry);
    if (!one_year) return tl::unexpected(one_year.error());

    CountryAssessment assessment;
    assessment.country = c.country;
    assessment.entitled_on_own_periods = entitled[i];
    assessment.under_one_year = stated < *one_year;
    assessment.released = assessment.under_one_year && !entitled[i];
    aggregated += c.periods_months;
    if (assessment.released) released_months += c.periods_months;
    if (trace) {
      trace
          ->step("art57_one_year_test", "EU-MINPERIOD",
                 "released = periods in own units < one year ∧ not entitled on own periods")
          .in("rule_selection", rule_selection(query.claim_date))
          .in("country", c.country)
          .in("periods", std::to_string(stated) + " (" + unit + ")" +
                             (c.native_periods && c.native_periods->scheme
                                  ? " (" + std::string(to_string(*c.native_periods->scheme)) + ")"
                                  : ""))
          .in("entitled_on_own_periods", entitled[i] ? "true" : "false")
          .param(*one_year_entry)
          .out(assessment.released ? "released (art. 57(1))" : "not released");
    }
    result.assessments.push_back(std::move(assessment));
  }
  constexpr Decimal::Int kMaxMonths = std::numeric_limits<std::int64_t>::max();
  if (aggregated > kMaxMonths) return invalid("countries", "too many periods");
  result.aggregated_months = static_cast<std::int64_t>(aggregated);

  result.every_state_released =
      std::all_of(result.assessments.begin(), result.assessments.end(), [](const auto& a) { return a.released; });
  if (result.every_state_released) {
    // art. 57(3): only the last state whose conditions are met pays, as if all periods were its own.
    std::optional<std::size_t> last;
    for (std::size_t i = 0; i < countries.size(); ++i) {
      if (countries[i].conditions_met_on_aggregation) last = i;
    }
    for (std::size_t i = 0; i < countries.size(); ++i) {
      const ProRataCountry& c = countries[i];
      if (!c.theoretical_amount) continue;
      CountryAward award{c.country, std::nullopt, Money(), AwardMethod::art57_no_payment};
      if (last && *last == i) {
        award.payment = *c.theoretical_amount;
        award.method = AwardMethod::art57_3_last_state;
      }
      result.payments.push_back(std::move(award));
    }
    if (trace) {
      trace
          ->step("art57_3_last_state", "EU-MINPERIOD",
                 "every state is released: the last state (in the order the periods were completed) whose conditions "
                 "are met pays its theoretical amount")
          .in("countries", std::to_string(countries.size()))
          .out(last ? countries[*last].country + " pays" +
                          (countries[*last].theoretical_amount
                               ? " " + countries[*last].theoretical_amount->to_string()
                               : " (periods-only entry: no amount given)")
                    : "no state meets its conditions: nothing is paid");
    }
    return result;
  }

  // art. 57(2): released periods leave the other states' denominators unless kept.
  // The reading is configurable data (rules/eu/coordination.toml); a case may override it.
  const ParamEntry* keep_entry = nullptr;
  if (!query.art57_released_periods_in_denominator) {
    auto found = query.claim_date ? store.find("eu_art57_released_periods_in_denominator", *query.claim_date, "EU")
                                  : store.current("eu_art57_released_periods_in_denominator", "EU");
    if (!found) return tl::unexpected(found.error());
    keep_entry = *found;
  }
  const bool keep_released =
      query.art57_released_periods_in_denominator ? *query.art57_released_periods_in_denominator : keep_entry->flag;
  const Decimal::Int denominator = keep_released ? aggregated : aggregated - released_months;
  result.denominator_months = static_cast<std::int64_t>(denominator);
  if (trace) {
    auto& step = trace
                     ->step("prorata_denominator", "EU-MINPERIOD",
                            "Σ periods of every state, less those of released states unless they are kept (art. 57(2))")
                     .in("aggregated_months", std::to_string(result.aggregated_months))
                     .in("released_months", std::to_string(static_cast<std::int64_t>(released_months)));
    if (keep_entry == nullptr) {
      step.override_param("art57_released_periods_in_denominator", keep_released ? "true" : "false",
                          "case input (parameters.art57_released_periods_in_denominator)");
    } else {
      step.param(*keep_entry);
    }
    step.out(std::to_string(result.denominator_months));
  }

  for (std::size_t i = 0; i < countries.size(); ++i) {
    const ProRataCountry& c = countries[i];
    if (!c.theoretical_amount || result.assessments[i].released) continue;
    if (result.denominator_months == 0) {
      return invalid("countries[" + std::to_string(i) + "].periods_months",
                     "the pro-rata denominator of " + c.country + " would be 0 months");
    }
  }

  for (std::size_t i = 0; i < countries.size(); ++i) {
    const ProRataCountry& c = countries[i];
    if (!c.theoretical_amount) continue;
    CountryAssessment& assessment = result.assessments[i];
    CountryAward award{c.country, std::nullopt, Money(), AwardMethod::art57_no_payment};
    std::string rule = "EU-MINPERIOD";
    std::string formula = "released under art. 57(1): no payment";
    TraceStep* step = nullptr;
    if (assessment.released) {
      // nothing to compute
    } else if (!c.conditions_met_on_aggregation) {
      award.method = AwardMethod::no_entitlement;
      rule = "EU-PRORATA";
      formula = "conditions not met even with aggregation: no payment";
    } else if (c.annex_viii_part1 && c.independent_amount) {
      award.method = AwardMethod::independent_annex_viii;
      award.payment = *c.independent_amount;
      rule = "EU-ANNEX-VIII";
      formula = "Annex VIII part 1: pro-rata calculation waived, the independent amount is paid";
    } else {
      std::int64_t d = result.denominator_months;
      const bool maximum_applies = c.maximum_period_months && d > *c.maximum_period_months;
      if (maximum_applies) d = *c.maximum_period_months;
      const std::int64_t own = std::min<std::int64_t>(c.periods_months, d);
      assessment.ratio_numerator = own;
      assessment.ratio_denominator = d;
      const Decimal pro_rata = divide(c.theoretical_amount->to_decimal() * Decimal::from_int(own),
                                      Decimal::from_int(d), 2, RoundingMode::half_up);
      award.pro_rata_amount = Money::from_decimal(pro_rata);
      if (c.independent_amount && *c.independent_amount > *award.pro_rata_amount) {
        award.method = AwardMethod::independent;
        award.payment = *c.independent_amount;
      } else {
        award.method = AwardMethod::pro_rata;
        award.payment = *award.pro_rata_amount;
      }
      rule = c.independent_amount ? "EU-HIGHER" : "EU-PRORATA";
      formula = "pro_rata = round2(theoretical × min(own, d) / d), d = denominator months or the art. 56 maximum "
                "when the denominator exceeds it; payment = the higher of independent and pro_rata (tie: pro_rata)";
      if (trace) {
        step = &trace->step("award_" + c.country, maximum_applies ? "EU-MAXPER" : rule, formula);
        step->in("own_months", std::to_string(c.periods_months)).in("d", std::to_string(d));
        if (c.maximum_period_months) step->in("maximum_period_months", std::to_string(*c.maximum_period_months));
      }
    }
    if (trace) {
      if (step == nullptr) step = &trace->step("award_" + c.country, rule, formula);
      step->in("country", c.country).in("theoretical_amount", c.theoretical_amount->to_string());
      step->in("independent_amount", c.independent_amount ? c.independent_amount->to_string() : "none");
      if (award.pro_rata_amount) step->in("pro_rata_amount", award.pro_rata_amount->to_string());
      step->out(award.payment.to_string() + " (" + std::string(to_string(award.method)) + ")");
    }
    result.payments.push_back(std::move(award));
  }
  return result;
}

// ---------------------------------------------------------------------------
// Case kinds.

namespace {

PeriodUnit parse_unit(std::string_view text) {
  if (text == "hour") return PeriodUnit::hour;
  if (text == "day") return PeriodUnit::day;
  if (text == "week") return PeriodUnit::week;
  if (text == "quarter") return PeriodUnit::quarter;
  if (text == "year") return PeriodUnit::year;
  return PeriodUnit::month;
}

DayScheme parse_scheme(std::string_view text) {
  if (text == "5_day") return DayScheme::five_day;
  if (text == "6_day") return DayScheme::six_day;
  if (text == "7_day") return DayScheme::seven_day;
  return DayScheme::non_day;
}

// An error of a typed calculator, with its field placed under "input.".
tl::unexpected<Error> under_input(Error error) {
  error.field = error.field.empty() ? "input" : "input." + error.field;
  return tl::unexpected(std::move(error));
}

Result<void> no_parameters(InputReader& reader) {
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  if (*parameters) {
    InputReader none(**parameters, "input.parameters");
    if (auto done = none.finish(); !done) return tl::unexpected(done.error());
  }
  return {};
}

Result<json::object> run_period_conversion_case(const json::object& input, const ParameterStore& store,
                                                Trace* trace) {
  InputReader reader(input, "input");
  auto value = reader.decimal("value", Presence::required);
  if (!value) return tl::unexpected(value.error());
  auto from_unit = reader.category("from_unit", {"hour", "day", "week", "month", "quarter", "year"}, Presence::required);
  if (!from_unit) return tl::unexpected(from_unit.error());
  auto to_unit = reader.category("to_unit", {"hour", "day", "week", "month", "quarter", "year"}, Presence::required);
  if (!to_unit) return tl::unexpected(to_unit.error());
  auto scheme = reader.category("scheme", {"5_day", "6_day", "7_day", "non_day"}, Presence::required);
  if (!scheme) return tl::unexpected(scheme.error());
  if (auto done = no_parameters(reader); !done) return tl::unexpected(done.error());
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());
  if ((*value)->sign() < 0) return invalid("input.value", "a period cannot be negative");

  PeriodConversionQuery query;
  query.value = **value;
  query.from_unit = parse_unit(**from_unit);
  query.to_unit = parse_unit(**to_unit);
  query.scheme = parse_scheme(**scheme);
  auto result = convert_period(query, store, trace);
  if (!result) return under_input(result.error());
  json::object out;
  out["result"] = result->result;
  return out;
}

Result<std::optional<NativePeriods>> read_native_periods(InputReader& reader) {
  auto object = reader.object("native_periods");
  if (!object) return tl::unexpected(object.error());
  if (!*object) return std::optional<NativePeriods>();
  InputReader native(**object, reader.field("native_periods"));
  auto value = native.integer("value", Presence::required);
  if (!value) return tl::unexpected(value.error());
  auto unit = native.category("unit", {"day", "week", "month", "quarter"}, Presence::required);
  if (!unit) return tl::unexpected(unit.error());
  auto scheme = native.category("scheme", {"5_day", "6_day", "7_day"});
  if (!scheme) return tl::unexpected(scheme.error());
  if (auto done = native.finish(); !done) return tl::unexpected(done.error());
  if (**value < 0) return invalid(native.field("value"), "periods cannot be negative");
  NativePeriods periods;
  periods.value = **value;
  periods.unit = parse_unit(**unit);
  if (*scheme) periods.scheme = parse_scheme(**scheme);
  if (periods.unit == PeriodUnit::day && !periods.scheme) {
    return invalid(native.field("scheme"), "periods in days need their day scheme");
  }
  return std::optional<NativePeriods>(periods);
}

Result<json::object> run_prorata_case(const json::object& input, const ParameterStore& store, Trace* trace) {
  InputReader reader(input, "input");
  auto countries = reader.array("countries", Presence::required);
  if (!countries) return tl::unexpected(countries.error());
  auto parameters = reader.object("parameters");
  if (!parameters) return tl::unexpected(parameters.error());
  if (auto done = reader.finish(); !done) return tl::unexpected(done.error());

  ProRataQuery query;
  if (*parameters) {
    InputReader overrides(**parameters, "input.parameters");
    auto keep = overrides.boolean("art57_released_periods_in_denominator");
    if (!keep) return tl::unexpected(keep.error());
    if (auto done = overrides.finish(); !done) return tl::unexpected(done.error());
    query.art57_released_periods_in_denominator = *keep;
  }
  for (std::size_t i = 0; i < (*countries)->size(); ++i) {
    const std::string path = "input.countries[" + std::to_string(i) + "]";
    const json::value& item = (**countries)[i];
    if (!item.is_object()) return invalid(path, "a country entry is an object");
    InputReader entry(item.get_object(), path);
    ProRataCountry country;
    auto label = entry.text("country", Presence::required);
    if (!label) return tl::unexpected(label.error());
    auto periods = entry.integer("periods_months", Presence::required);
    if (!periods) return tl::unexpected(periods.error());
    auto theoretical = entry.money("theoretical_amount");
    if (!theoretical) return tl::unexpected(theoretical.error());
    auto independent = entry.money("independent_amount");
    if (!independent) return tl::unexpected(independent.error());
    auto maximum = entry.integer("maximum_period_months");
    if (!maximum) return tl::unexpected(maximum.error());
    auto native = read_native_periods(entry);
    if (!native) return tl::unexpected(native.error());
    auto entitled = entry.boolean("entitled_on_own_periods");
    if (!entitled) return tl::unexpected(entitled.error());
    auto conditions = entry.boolean("conditions_met_on_aggregation");
    if (!conditions) return tl::unexpected(conditions.error());
    auto annex = entry.boolean("annex_viii_part1");
    if (!annex) return tl::unexpected(annex.error());
    if (auto done = entry.finish(); !done) return tl::unexpected(done.error());
    if (**periods < 0) return invalid(entry.field("periods_months"), "periods cannot be negative");
    if (*maximum && **maximum < 1) return invalid(entry.field("maximum_period_months"), "the maximum is at least 1");
    country.country = **label;
    country.periods_months = **periods;
    country.theoretical_amount = *theoretical;
    country.independent_amount = *independent;
    country.maximum_period_months = *maximum;
    country.native_periods = *native;
    country.entitled_on_own_periods = *entitled;
    country.conditions_met_on_aggregation = conditions->value_or(true);
    country.annex_viii_part1 = annex->value_or(false);
    query.countries.push_back(std::move(country));
  }

  auto result = compute_prorata_awards(query, store, trace);
  if (!result) return under_input(result.error());
  json::array payments;
  for (const CountryAward& award : result->payments) {
    json::object row;
    row["country"] = award.country;
    if (award.pro_rata_amount) {
      row["pro_rata_amount"] = award.pro_rata_amount->to_string();
    } else {
      row["pro_rata_amount"] = nullptr;
    }
    row["payment"] = award.payment.to_string();
    row["method"] = to_string(award.method);
    payments.push_back(std::move(row));
  }
  json::object out;
  out["payments"] = std::move(payments);
  return out;
}

const KindRegistration register_period_conversion("eu.period_conversion", run_period_conversion_case);
const KindRegistration register_prorata("eu.prorata", run_prorata_case);

}  // namespace
}  // namespace shebao::rules
