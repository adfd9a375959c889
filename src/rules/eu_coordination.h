// shebao rules: EU coordination of old-age pensions, Regulations (EC) 883/2004
// and 987/2009 (rules-cn-eu.md §11.2-§11.4, §16.10, §16.11; EU-CONV,
// EU-INDEP, EU-PRORATA, EU-HIGHER, EU-MAXPER, EU-MINPERIOD, EU-ANNEX-VIII).
//
// Two calculators:
//   convert_period          987/2009 art. 13: one amount of periods from one
//                           unit to another, a fraction raised to the next
//                           whole unit;
//   compute_prorata_awards  883/2004 arts. 52, 56 and 57: what each state pays
//                           from the periods completed in every state.
//
// Every number (hours per day, days per week/month/quarter/year of each day
// scheme, one year in a state's own units) comes from the ParameterStore
// (jurisdiction "EU"). The rules are selected by the date of the claim; a query
// without one uses the entries in force now (ParameterStore::current) and the
// trace says so.
//
// Errors (Result):
//   invalid_input  a negative value, amount or period; fewer than two
//                  countries; a repeated country label; an
//                  entitled_on_own_periods that contradicts the amounts; a
//                  state entitled on its own periods whose conditions are "not
//                  met"; a day-based native period without its day scheme; a
//                  maximum period below 1; a pro-rata denominator of 0; a
//                  converted result too large for an integer;
//   out_of_range   hour or day in a scheme not based on days (conversion only);
//   rule_missing   the store has no entry for a key needed.
//
// Pure functions of their arguments and the (immutable) store: thread safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/decimal.h"
#include "core/error.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::rules {

enum class PeriodUnit { hour, day, week, month, quarter, year };
// The day system an institution states its periods in (987/2009 art. 13(1)(b));
// non_day for schemes not based on days (art. 13(1)(c)).
enum class DayScheme { five_day, six_day, seven_day, non_day };

std::string_view to_string(PeriodUnit unit);
std::string_view to_string(DayScheme scheme);  // "5_day", "6_day", "7_day", "non_day"

// ---------------------------------------------------------------------------
// Conversion of periods (EU-CONV, 987/2009 art. 13).

struct PeriodConversionQuery {
  Decimal value;  // ≥ 0; may have a fraction (2.5 years)
  PeriodUnit from_unit = PeriodUnit::day;
  PeriodUnit to_unit = PeriodUnit::month;
  DayScheme scheme = DayScheme::non_day;
  std::optional<Date> claim_date;  // selects the rules; nullopt = the entries in force now
};

struct PeriodConversionResult {
  std::int64_t result = 0;  // ceil(value × size(from_unit) / size(to_unit))
  // The row of art. 13(1)(b) whose sizes were used: the query's scheme, or
  // six_day for the art. 13(1)(c) equivalences.
  DayScheme size_row = DayScheme::six_day;
};

// Sizes in days come from the scheme's own row when day or hour is one of the
// two units (a year then being the scheme's maximum days in a calendar year);
// otherwise, and in every non_day scheme, from the 6-day row, which is exactly
// art. 13(1)(c) (1 year = 4 quarters = 12 months = 52 weeks, 1 quarter = 13
// weeks) (V1). The quotient is exact and raised to the next integer (V3); the
// art. 13(2) yearly maximum is not applied (V2). out_of_range for hour or day
// in a non_day scheme.
Result<PeriodConversionResult> convert_period(const PeriodConversionQuery& query, const ParameterStore& store,
                                              Trace* trace);

// ---------------------------------------------------------------------------
// Award of old-age pensions (883/2004 arts. 52, 56, 57).

// Periods as the state's institution states them, for the art. 57(1) one-year
// test only (U7); not cross-checked against periods_months.
struct NativePeriods {
  std::int64_t value = 0;  // ≥ 0
  PeriodUnit unit = PeriodUnit::month;  // day, week, month or quarter
  std::optional<DayScheme> scheme;      // required for day (5/6/7-day); otherwise informative
};

struct ProRataCountry {
  std::string country;  // label, unique in the query
  std::int64_t periods_months = 0;  // ≥ 0, already converted (art. 13)
  // Benefit as if all aggregated periods had been completed here; nullopt =
  // periods-only entry (counted in totals, no payment computed, still subject
  // to art. 57, U2).
  std::optional<Money> theoretical_amount;
  // Benefit under national law on own periods alone; nullopt = no such entitlement.
  std::optional<Money> independent_amount;
  // art. 56(1)(a) maximum for a full benefit, ≥ 1.
  std::optional<std::int64_t> maximum_period_months;
  std::optional<NativePeriods> native_periods;
  // With a theoretical amount it must equal "independent_amount is given";
  // on a periods-only entry it states the entitlement (default: independent
  // amount given) (U6).
  std::optional<bool> entitled_on_own_periods;
  // false: no entitlement even with aggregation (U5); not allowed for a state
  // entitled on its own periods.
  bool conditions_met_on_aggregation = true;
  // Annex VIII part 1: the pro-rata calculation is waived when an independent
  // amount exists (U4).
  bool annex_viii_part1 = false;
};

struct ProRataQuery {
  std::vector<ProRataCountry> countries;  // ≥ 2, in the order the periods were completed
  // 57(2): whether periods of released states stay in the other states'
  // pro-rata denominators. nullopt = the rules' default reading (rules §11.4,
  // §14: they do not, the other states absorb them); a value given is traced
  // as an override.
  std::optional<bool> art57_released_periods_in_denominator;
  std::optional<Date> claim_date;  // selects the rules; nullopt = the entries in force now
};

enum class AwardMethod {
  pro_rata,                // 52(1)(b), also when it ties with the independent amount
  independent,             // 52(1)(a) higher than the pro-rata amount (52(3))
  art57_no_payment,        // released under 57(1)
  art57_3_last_state,      // every state released: the last one whose conditions are met pays in full
  independent_annex_viii,  // 52(4): pro-rata waived
  no_entitlement,          // not released, conditions not met even with aggregation (U5)
};
std::string_view to_string(AwardMethod method);

struct CountryAward {
  std::string country;
  std::optional<Money> pro_rata_amount;  // nullopt when not computed
  Money payment;
  AwardMethod method = AwardMethod::pro_rata;
};

struct CountryAssessment {
  std::string country;
  bool entitled_on_own_periods = false;
  bool under_one_year = false;
  bool released = false;  // art. 57(1)
  // The pro-rata fraction when it was computed: numerator / denominator in months.
  std::optional<std::int64_t> ratio_numerator;
  std::optional<std::int64_t> ratio_denominator;
};

struct ProRataResult {
  // One per country with a theoretical amount, in input order.
  std::vector<CountryAward> payments;
  // One per country of the query, in input order.
  std::vector<CountryAssessment> assessments;
  std::int64_t aggregated_months = 0;   // Σ periods_months of every state
  std::int64_t denominator_months = 0;  // the same less released periods unless kept (57(2)); 0 under 57(3)
  bool every_state_released = false;    // art. 57(3) applied
};

// Order per state (rules §11.3): art. 57 (released when under one year in its
// own units and not entitled on its own periods; if every state is released,
// only the last state whose conditions are met pays, its theoretical amount);
// then for a state that is not released: no_entitlement when its conditions are
// not met; the Annex VIII part 1 waiver when an independent amount exists;
// otherwise pro_rata = round2(theoretical × min(own, d) / d), d being the
// denominator months, replaced by the art. 56 maximum when it exceeds it; the
// higher of the independent and pro-rata amounts is paid, a tie counting as
// pro_rata.
Result<ProRataResult> compute_prorata_awards(const ProRataQuery& query, const ParameterStore& store, Trace* trace);

}  // namespace shebao::rules
