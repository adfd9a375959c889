// Unit tests of the typed contribution, late-fee and account-interest calculators
// (rules-cn-eu.md §1, §5, §8, §9, §16.5-§16.7) against the rules data in rules/.
#include "rules/contribution.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>

#include "collection/month_entries.h"
#include "ingest/rules_files.h"
#include "rules/interest.h"

namespace {

using namespace shebao;
using rules::CovidRelief;
using rules::EmployerSize;
using rules::UnitType;

const rules::ParameterStore& store() {
  static const rules::ParameterStore loaded = [] {
    auto result = ingest::load_rules_directory(SHEBAO_RULES_DIR);
    if (!result) {
      ADD_FAILURE() << result.error().to_string();
      std::abort();
    }
    return std::move(*result);
  }();
  return loaded;
}

Money yuan(const char* text) { return *Money::parse(text); }
Decimal dec(const char* text) { return *Decimal::parse(text); }
YearMonth month(int year, int m) { return YearMonth::of(year, m); }

bool has_override(const rules::Trace& trace, const std::string& key) {
  for (const auto& step : trace.steps()) {
    for (const auto& parameter : step.parameters) {
      if (parameter.key == key && parameter.status == "override") return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Employee contributions

rules::EmployeeContributionQuery employee(YearMonth contribution_month, const char* wage, const char* average,
                                          std::optional<EmployerSize> size = EmployerSize::large) {
  rules::EmployeeContributionQuery query;
  query.contribution_month = contribution_month;
  query.monthly_wage = yuan(wage);
  query.local_average_monthly_wage = yuan(average);
  query.employer_size = size;
  return query;
}

Money base_of(const char* wage, const char* average = "8000") {
  auto result = rules::compute_employee_contribution(employee(month(2021, 3), wage, average), store(), nullptr);
  EXPECT_TRUE(result.has_value()) << result.error().to_string();
  return result ? result->contribution_base : Money();
}

TEST(EmployeeContribution, BaseIsClampedToSixtyAndThreeHundredPercent) {
  EXPECT_EQ(base_of("3000"), yuan("4800"));
  EXPECT_EQ(base_of("4799.99"), yuan("4800"));
  EXPECT_EQ(base_of("4800"), yuan("4800"));
  EXPECT_EQ(base_of("4800.01"), yuan("4800.01"));
  EXPECT_EQ(base_of("8000"), yuan("8000"));
  EXPECT_EQ(base_of("23999.99"), yuan("23999.99"));
  EXPECT_EQ(base_of("24000.01"), yuan("24000"));
  EXPECT_EQ(base_of("30000"), yuan("24000"));
  EXPECT_EQ(base_of("0"), yuan("4800"));
}

TEST(EmployeeContribution, FloorAndCeilingAreRoundedToTheFen) {
  // 0.6 × 3333.33 = 1999.998 → 2000.00; 3 × 3333.33 = 9999.99.
  auto low = rules::compute_employee_contribution(employee(month(2021, 3), "1000", "3333.33"), store(), nullptr);
  ASSERT_TRUE(low.has_value()) << low.error().to_string();
  EXPECT_EQ(low->base_floor, yuan("2000"));
  EXPECT_EQ(low->base_ceiling, yuan("9999.99"));
  EXPECT_EQ(low->contribution_base, yuan("2000"));
}

TEST(EmployeeContribution, AccountCreditIsElevenPercentTo2005AndEightPercentFrom2006) {
  auto december = rules::compute_employee_contribution(employee(month(2005, 12), "3000", "2000"), store(), nullptr);
  ASSERT_TRUE(december.has_value()) << december.error().to_string();
  EXPECT_EQ(december->account_credit_rate, dec("0.11"));
  EXPECT_EQ(december->account_credit, yuan("330"));
  EXPECT_EQ(december->individual_pension, yuan("240"));
  EXPECT_EQ(december->employer_pension, yuan("600"));

  auto january = rules::compute_employee_contribution(employee(month(2006, 1), "3000", "2000"), store(), nullptr);
  ASSERT_TRUE(january.has_value()) << january.error().to_string();
  EXPECT_EQ(january->account_credit_rate, dec("0.08"));
  EXPECT_EQ(january->account_credit, yuan("240"));
}

TEST(EmployeeContribution, EmployerRateFallsFrom20To16PercentIn2019May) {
  auto april = rules::compute_employee_contribution(employee(month(2019, 4), "6000", "5000"), store(), nullptr);
  ASSERT_TRUE(april.has_value()) << april.error().to_string();
  EXPECT_EQ(april->employer_pension_rate, dec("0.20"));
  EXPECT_EQ(april->employer_pension, yuan("1200"));
  EXPECT_EQ(april->individual_pension, yuan("480"));

  auto may = rules::compute_employee_contribution(employee(month(2019, 5), "6000", "5000"), store(), nullptr);
  ASSERT_TRUE(may.has_value()) << may.error().to_string();
  EXPECT_EQ(may->employer_pension_rate, dec("0.16"));
  EXPECT_EQ(may->employer_pension, yuan("960"));
}

TEST(EmployeeContribution, IndividualRateFollowsThe1997Ramp) {
  auto first = rules::compute_employee_contribution(employee(month(1998, 1), "1000", "1000"), store(), nullptr);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_EQ(first->individual_pension_rate, dec("0.05"));
  EXPECT_EQ(first->individual_pension, yuan("50"));
  EXPECT_EQ(first->account_credit, yuan("110"));

  auto later = rules::compute_employee_contribution(employee(month(2004, 1), "1000", "1000"), store(), nullptr);
  ASSERT_TRUE(later.has_value()) << later.error().to_string();
  EXPECT_EQ(later->individual_pension_rate, dec("0.08"));
}

TEST(EmployeeContribution, ProvinceDoesNotSelectRates) {
  // Hunan has its own 19% series for 2016-05..2019-04; the contract uses national rates (E1).
  auto query = employee(month(2017, 6), "10000", "8000");
  query.province = "CN-43";
  auto result = rules::compute_employee_contribution(query, store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->employer_pension_rate, dec("0.20"));
  query.rate_jurisdiction = "CN-43";
  auto hunan = rules::compute_employee_contribution(query, store(), nullptr);
  ASSERT_TRUE(hunan.has_value()) << hunan.error().to_string();
  EXPECT_EQ(hunan->employer_pension_rate, dec("0.19"));
}

struct ReliefExample {
  YearMonth contribution_month;
  std::optional<EmployerSize> size;
  UnitType unit_type;
  const char* province;
  CovidRelief relief;
  const char* employer_pension;
};

TEST(EmployeeContribution, CovidReliefOfTheEmployerShare) {
  const ReliefExample examples[] = {
      {month(2020, 5), EmployerSize::small, UnitType::enterprise, "CN-37", CovidRelief::exempt, "0"},
      {month(2020, 5), EmployerSize::large, UnitType::enterprise, "CN-37", CovidRelief::half, "800"},
      {month(2020, 7), EmployerSize::large, UnitType::enterprise, "CN-37", CovidRelief::none, "1600"},
      {month(2020, 3), EmployerSize::large, UnitType::enterprise, "CN-42", CovidRelief::exempt, "0"},
      {month(2020, 6), EmployerSize::large, UnitType::enterprise, "CN-42", CovidRelief::exempt, "0"},
      {month(2020, 7), EmployerSize::large, UnitType::enterprise, "CN-42", CovidRelief::none, "1600"},
      {month(2020, 9), EmployerSize::small, UnitType::enterprise, "CN-42", CovidRelief::exempt, "0"},
      {month(2020, 1), EmployerSize::small, UnitType::enterprise, "CN-37", CovidRelief::none, "1600"},
      {month(2020, 2), EmployerSize::micro, UnitType::enterprise, "CN", CovidRelief::exempt, "0"},
      {month(2020, 12), EmployerSize::medium, UnitType::enterprise, "CN", CovidRelief::exempt, "0"},
      {month(2021, 1), EmployerSize::medium, UnitType::enterprise, "CN", CovidRelief::none, "1600"},
      {month(2020, 10), std::nullopt, UnitType::individual_business, "CN-37", CovidRelief::exempt, "0"},
      {month(2020, 3), std::nullopt, UnitType::public_institution, "CN-42", CovidRelief::none, "1600"},
  };
  for (const auto& example : examples) {
    auto query = employee(example.contribution_month, "10000", "8000", example.size);
    query.unit_type = example.unit_type;
    query.province = example.province;
    rules::Trace trace;
    auto result = rules::compute_employee_contribution(query, store(), &trace);
    ASSERT_TRUE(result.has_value()) << example.contribution_month.to_string() << " " << result.error().to_string();
    SCOPED_TRACE(example.contribution_month.to_string() + " " + example.province);
    EXPECT_EQ(result->covid_relief, example.relief);
    EXPECT_EQ(result->employer_pension_rate, dec("0.16"));
    EXPECT_EQ(result->employer_pension, yuan(example.employer_pension));
    EXPECT_EQ(result->individual_pension, yuan("800"));  // never reduced
    EXPECT_EQ(result->account_credit, yuan("800"));
    EXPECT_FALSE(trace.steps().empty());
  }
}

// with_monthly_wage gives what a full computation with that wage gives, for
// wages below the floor, inside, at and above the ceiling, in a relief month
// (half relief: the employer share's rounding) and outside one.
TEST(EmployeeContribution, AnotherWageOfTheSameQueryEqualsAFullComputation) {
  for (const YearMonth contribution_month : {month(2020, 5), month(2021, 3)}) {
    const auto first = rules::compute_employee_contribution(employee(contribution_month, "10000", "8000.01"), store(),
                                                            nullptr);
    ASSERT_TRUE(first.has_value()) << first.error().to_string();
    for (const char* wage : {"0", "0.01", "3000", "4800.01", "7777.77", "12345.67", "24000.03", "24000.05", "99999"}) {
      SCOPED_TRACE(contribution_month.to_string() + " " + wage);
      const auto full = rules::compute_employee_contribution(employee(contribution_month, wage, "8000.01"), store(),
                                                             nullptr);
      const auto reused = rules::with_monthly_wage(*first, yuan(wage));
      ASSERT_TRUE(full.has_value() && reused.has_value());
      EXPECT_EQ(reused->base_floor, full->base_floor);
      EXPECT_EQ(reused->base_ceiling, full->base_ceiling);
      EXPECT_EQ(reused->contribution_base, full->contribution_base);
      EXPECT_EQ(reused->covid_relief, full->covid_relief);
      EXPECT_EQ(reused->relief_factor, full->relief_factor);
      EXPECT_EQ(reused->employer_pension, full->employer_pension);
      EXPECT_EQ(reused->individual_pension, full->individual_pension);
      EXPECT_EQ(reused->account_credit, full->account_credit);
    }
  }
  const auto first = rules::compute_employee_contribution(employee(month(2021, 3), "5000", "8000"), store(), nullptr);
  ASSERT_TRUE(first.has_value());
  const auto negative = rules::with_monthly_wage(*first, Money::from_fen(-1));
  ASSERT_FALSE(negative.has_value());
  EXPECT_EQ(negative.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(negative.error().field, "monthly_wage");
}

TEST(EmployeeContribution, EmployerSizeIsRequiredForEnterprisesInReliefMonths) {
  auto outside =
      rules::compute_employee_contribution(employee(month(2020, 5), "5000", "8000", std::nullopt), store(), nullptr);
  ASSERT_FALSE(outside.has_value());
  EXPECT_EQ(outside.error().code, ErrorCode::invalid_input);

  auto hubei = employee(month(2020, 3), "5000", "8000", std::nullopt);
  hubei.province = "CN-42";
  auto in_hubei = rules::compute_employee_contribution(hubei, store(), nullptr);
  ASSERT_FALSE(in_hubei.has_value());
  EXPECT_EQ(in_hubei.error().code, ErrorCode::invalid_input);

  auto late_2020 =
      rules::compute_employee_contribution(employee(month(2020, 12), "5000", "8000", std::nullopt), store(), nullptr);
  ASSERT_FALSE(late_2020.has_value());
  EXPECT_EQ(late_2020.error().code, ErrorCode::invalid_input);

  EXPECT_TRUE(
      rules::compute_employee_contribution(employee(month(2020, 1), "5000", "8000", std::nullopt), store(), nullptr));
  EXPECT_TRUE(
      rules::compute_employee_contribution(employee(month(2021, 1), "5000", "8000", std::nullopt), store(), nullptr));
}

TEST(EmployeeContribution, MonthsBeforeTheRulesAreOutOfRange) {
  auto before = rules::compute_employee_contribution(employee(month(1997, 12), "500", "400"), store(), nullptr);
  ASSERT_FALSE(before.has_value());
  EXPECT_EQ(before.error().code, ErrorCode::out_of_range);
  EXPECT_TRUE(rules::compute_employee_contribution(employee(month(1998, 1), "500", "400"), store(), nullptr));

  auto institution = employee(month(2014, 9), "6000", "5000", std::nullopt);
  institution.unit_type = UnitType::public_institution;
  auto early = rules::compute_employee_contribution(institution, store(), nullptr);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code, ErrorCode::out_of_range);

  institution.contribution_month = month(2014, 10);
  auto first = rules::compute_employee_contribution(institution, store(), nullptr);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_EQ(first->employer_pension, yuan("1200"));
  EXPECT_EQ(first->account_credit, yuan("480"));
}

TEST(EmployeeContribution, InvalidValuesAreRejected) {
  auto expect_invalid = [](const rules::EmployeeContributionQuery& query) {
    auto result = rules::compute_employee_contribution(query, store(), nullptr);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::invalid_input) << result.error().to_string();
  };
  expect_invalid(employee(month(2021, 3), "-100", "8000"));
  expect_invalid(employee(month(2021, 3), "5000", "0"));
  auto negative_rate = employee(month(2021, 3), "5000", "8000");
  negative_rate.employer_pension_rate = dec("-0.01");
  expect_invalid(negative_rate);
  auto inverted = employee(month(2021, 3), "5000", "8000");
  inverted.base_floor_ratio = dec("3.5");
  expect_invalid(inverted);
  auto negative_ratio = employee(month(2021, 3), "5000", "8000");
  negative_ratio.base_ceiling_ratio = dec("-1");
  expect_invalid(negative_ratio);
  auto province = employee(month(2021, 3), "5000", "8000");
  province.province = "CN-99";
  expect_invalid(province);
}

TEST(EmployeeContribution, OverridesReplaceTheStoreAndAreTraced) {
  auto query = employee(month(2021, 3), "3000", "8000");
  query.base_floor_ratio = dec("0.40");
  query.individual_pension_rate = dec("0.10");
  rules::Trace trace;
  auto result = rules::compute_employee_contribution(query, store(), &trace);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->contribution_base, yuan("3200"));
  EXPECT_EQ(result->individual_pension, yuan("320"));
  EXPECT_EQ(result->employer_pension, yuan("512"));
  EXPECT_TRUE(has_override(trace, "base_floor_ratio"));
  EXPECT_TRUE(has_override(trace, "individual_pension_rate"));
  EXPECT_FALSE(has_override(trace, "base_ceiling_ratio"));
}

// ---------------------------------------------------------------------------
// Flexible workers

rules::FlexibleContributionQuery flexible(YearMonth contribution_month, const char* average) {
  rules::FlexibleContributionQuery query;
  query.contribution_month = contribution_month;
  query.local_average_wage = yuan(average);
  return query;
}

Result<rules::FlexibleContributionResult> flexible_ratio(const char* ratio) {
  auto query = flexible(month(2021, 6), "8000");
  query.base_ratio = dec(ratio);
  return rules::compute_flexible_contribution(query, store(), nullptr);
}

Result<rules::FlexibleContributionResult> flexible_chosen(const char* base) {
  auto query = flexible(month(2021, 6), "8000");
  query.chosen_monthly_base = yuan(base);
  return rules::compute_flexible_contribution(query, store(), nullptr);
}

// collection::FlexibleEntries keeps one computation per month, scheme province and
// base ratio: each line equals flexible_line's for the same worker, and a month
// the rules cannot compute fails for every worker of it with the same error.
TEST(FlexibleContribution, EntriesOfManyWorkersEqualEachWorkersOwn) {
  const auto member = [](std::int64_t person_id, const char* region, const char* ratio, YearMonth m) {
    collection::FlexibleMonth one;
    one.person_id = person_id;
    one.scheme_region = region;
    one.base_ratio = dec(ratio);
    one.month = m;
    return one;
  };
  const collection::FlexibleMonth members[] = {
      member(11, "440300", "0.60", month(2026, 10)), member(12, "440305", "0.60", month(2026, 10)),
      member(13, "510100", "0.60", month(2026, 10)), member(14, "440300", "1.5", month(2026, 10)),
      member(15, "440300", "0.60", month(2025, 1)),  member(16, "440300", "0.60", month(2023, 6)),
      member(17, "440300", "0.60", month(2023, 6)),  member(18, "440300", "0.60", month(2026, 10))};
  collection::FlexibleEntries entries(store());
  int computed = 0;
  for (const auto& one : members) {
    SCOPED_TRACE(std::to_string(one.person_id));
    const auto own = collection::flexible_line(one, store(), nullptr);
    const auto shared = entries.line(one);
    ASSERT_EQ(own.has_value(), shared.has_value());
    if (!own) {
      EXPECT_EQ(own.error().code, shared.error().code);
      EXPECT_EQ(own.error().message, shared.error().message);
      continue;
    }
    ++computed;
    EXPECT_EQ(*shared, *own);
    EXPECT_EQ(shared->person_id, one.person_id);
    // collection bank + total, personal − credit, pooled − the rest: sums to zero
    EXPECT_GT(shared->receivable_fen, 0);
    EXPECT_LT(shared->personal_fen, 0);
    EXPECT_EQ(shared->receivable_fen + shared->personal_fen + shared->pooled_fen, 0);
  }
  EXPECT_EQ(computed, 6);  // 2023-06 precedes the average wage series: both workers fail
}

// collection::DeclaredMonths keeps the rules resolved per month, employer
// region, size and unit type: every declaration's entry is the one computed
// without it. The shipped rules plus a province average that changes in 2026
// (CN-44) and a province rate (CN-51), so that each part of the key changes
// the amounts: months, regions, sizes and unit types (2020's relief by size,
// not for public institutions), wages under the floor, inside the band and
// over the ceiling. A declaration the rules cannot compute fails with the same
// error each time.
TEST(EmployeeContribution, DeclarationEntriesWithKeptRulesEqualThoseWithout) {
  auto files = ingest::read_rules_files(SHEBAO_RULES_DIR);
  ASSERT_TRUE(files) << files.error().to_string();
  files->push_back(rules::RulesFile{"test/provinces.toml", R"(
[[average_wage_for_base]]
jurisdiction = "CN-44"
from = 2020-01-01
to = 2025-12-31
value = "9000"
rule = "TEST-AVG-44"
status = "unconfirmed"
source = "test"

[[average_wage_for_base]]
jurisdiction = "CN-44"
from = 2026-01-01
value = "12000"
rule = "TEST-AVG-44"
status = "unconfirmed"
source = "test"

[[employer_pension_rate]]
jurisdiction = "CN-51"
from = 2019-05-01
value = "0.14"
rule = "TEST-RATE-51"
status = "unconfirmed"
source = "test"
)"});
  auto loaded = rules::ParameterStore::load(*files);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  const rules::ParameterStore& rules = *loaded;
  const auto line = [](std::int64_t declaration, std::int64_t person, const char* region, registry::EmployerSize size,
                       registry::UnitType type, YearMonth m, const char* wage) {
    collection::DeclaredPersonMonth one;
    one.declaration_id = declaration;
    one.person_id = person;
    one.employer_id = declaration * 10;
    one.employer_region = region;
    one.employer_size = size;
    one.unit_type = type;
    one.month = m;
    one.declared_wage = yuan(wage);
    return one;
  };
  using registry::EmployerSize;
  using registry::UnitType;
  const auto enterprise = UnitType::enterprise;
  const std::vector<std::vector<collection::DeclaredPersonMonth>> declarations = {
      {line(1, 1, "440300", EmployerSize::small, enterprise, month(2026, 10), "1000"),
       line(1, 2, "440300", EmployerSize::small, enterprise, month(2026, 10), "9000"),
       line(1, 3, "440300", EmployerSize::small, enterprise, month(2026, 10), "90000")},
      {line(2, 4, "440300", EmployerSize::small, enterprise, month(2025, 10), "90000")},   // another average
      {line(3, 5, "440300", EmployerSize::small, enterprise, month(2026, 10), "12345.67")},
      {line(4, 6, "510100", EmployerSize::small, enterprise, month(2026, 10), "12345.67")},  // another rate
      {line(5, 7, "440300", EmployerSize::large, enterprise, month(2020, 3), "8000")},
      {line(6, 8, "440300", EmployerSize::small, enterprise, month(2020, 3), "8000"),      // another relief
       line(6, 9, "440300", EmployerSize::small, enterprise, month(2020, 3), "100")},
      {line(7, 10, "440300", EmployerSize::small, UnitType::public_institution, month(2020, 3), "8000")},
      {line(8, 11, "440300", EmployerSize::large, enterprise, month(2020, 3), "60000")},
      {line(9, 12, "440300", EmployerSize::small, enterprise, month(2019, 6), "8000")},
      {line(10, 13, "440300", EmployerSize::small, enterprise, month(2019, 6), "7000")},
      {line(11, 14, "510100", EmployerSize::small, enterprise, month(2026, 10), "3000")},
  };
  collection::DeclaredMonths months(rules);
  int failed = 0;
  std::set<std::int64_t> amounts;  // of 8,000 yuan-ish declared by the first line: the key's parts differ
  for (const auto& lines : declarations) {
    SCOPED_TRACE(std::to_string(lines.front().declaration_id));
    const auto own = collection::declaration_entry(lines, rules);
    const auto kept = collection::declaration_entry(lines, rules, &months);
    ASSERT_EQ(own.has_value(), kept.has_value());
    if (!own) {
      ++failed;
      EXPECT_EQ(own.error().code, kept.error().code);
      EXPECT_EQ(own.error().message, kept.error().message);
      continue;
    }
    ASSERT_EQ(kept->lines.size(), own->lines.size());
    for (std::size_t i = 0; i < own->lines.size(); ++i) EXPECT_EQ(kept->lines[i], own->lines[i]) << i;
    EXPECT_EQ(kept->receivable_total(), own->receivable_total());
    amounts.insert(own->lines.front().receivable_fen);
  }
  EXPECT_EQ(failed, 2);  // 2019-06 precedes every average wage series: both declarations fail
  EXPECT_GE(amounts.size(), 7u);
}

TEST(FlexibleContribution, BandEdgesAreIncluded) {
  auto lowest = flexible_ratio("0.60");
  ASSERT_TRUE(lowest.has_value()) << lowest.error().to_string();
  EXPECT_EQ(lowest->contribution_base, yuan("4800"));
  EXPECT_EQ(lowest->total_contribution, yuan("960"));
  EXPECT_EQ(lowest->account_credit, yuan("384"));
  EXPECT_EQ(lowest->pooled_fund_part, yuan("576"));
  auto highest = flexible_ratio("3.00");
  ASSERT_TRUE(highest.has_value()) << highest.error().to_string();
  EXPECT_EQ(highest->contribution_base, yuan("24000"));

  EXPECT_TRUE(flexible_chosen("4800").has_value());
  EXPECT_TRUE(flexible_chosen("24000").has_value());
  for (auto result :
       {flexible_ratio("0.59"), flexible_ratio("3.01"), flexible_chosen("4799.99"), flexible_chosen("24000.01")}) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::out_of_range);
  }
}

TEST(FlexibleContribution, AnnualAverageIsDividedByTwelveUnrounded) {
  auto query = flexible(month(2016, 7), "62480");
  query.average_period = rules::AverageWagePeriod::annual;
  query.base_ratio = dec("0.80");
  query.months = 12;
  auto result = rules::compute_flexible_contribution(query, store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->contribution_base, yuan("4165.33"));
  EXPECT_EQ(result->total_contribution, yuan("9996.79"));
  EXPECT_EQ(result->account_credit, yuan("3998.72"));
  EXPECT_EQ(result->pooled_fund_part, yuan("5998.07"));
}

TEST(FlexibleContribution, ChosenBaseForSeveralMonths) {
  auto query = flexible(month(2022, 3), "8000");
  query.chosen_monthly_base = yuan("6000");
  query.months = 3;
  auto result = rules::compute_flexible_contribution(query, store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->contribution_base, yuan("6000"));
  EXPECT_EQ(result->total_contribution, yuan("3600"));
  EXPECT_EQ(result->account_credit, yuan("1440"));
  EXPECT_EQ(result->pooled_fund_part, yuan("2160"));
}

TEST(FlexibleContribution, StartsIn2006January) {
  auto before = flexible(month(2005, 12), "5000");
  before.base_ratio = dec("1");
  auto rejected = rules::compute_flexible_contribution(before, store(), nullptr);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().code, ErrorCode::out_of_range);
  before.contribution_month = month(2006, 1);
  EXPECT_TRUE(rules::compute_flexible_contribution(before, store(), nullptr).has_value());
}

TEST(FlexibleContribution, OverridesAndTheirDomains) {
  auto query = flexible(month(2016, 7), "5000");
  query.base_ratio = dec("0.40");
  auto outside = rules::compute_flexible_contribution(query, store(), nullptr);
  ASSERT_FALSE(outside.has_value());
  EXPECT_EQ(outside.error().code, ErrorCode::out_of_range);

  query.min_base_ratio = dec("0.40");
  query.total_rate = dec("0.16");
  query.account_rate = dec("0.06");
  rules::Trace trace;
  auto local = rules::compute_flexible_contribution(query, store(), &trace);
  ASSERT_TRUE(local.has_value()) << local.error().to_string();
  EXPECT_EQ(local->contribution_base, yuan("2000"));
  EXPECT_EQ(local->total_contribution, yuan("320"));
  EXPECT_EQ(local->account_credit, yuan("120"));
  EXPECT_TRUE(has_override(trace, "min_base_ratio"));
  EXPECT_TRUE(has_override(trace, "total_rate"));

  auto expect_invalid = [](const rules::FlexibleContributionQuery& bad) {
    auto result = rules::compute_flexible_contribution(bad, store(), nullptr);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::invalid_input) << result.error().to_string();
  };
  auto inverted = query;
  inverted.max_base_ratio = dec("0.30");
  expect_invalid(inverted);
  auto account_above_total = query;
  account_above_total.account_rate = dec("0.17");
  expect_invalid(account_above_total);
  auto no_months = query;
  no_months.months = 0;
  expect_invalid(no_months);
  auto both = query;
  both.chosen_monthly_base = yuan("2000");
  expect_invalid(both);
  auto neither = query;
  neither.base_ratio.reset();
  expect_invalid(neither);
  auto zero_average = query;
  zero_average.local_average_wage = yuan("0");
  expect_invalid(zero_average);
}

// ---------------------------------------------------------------------------
// Late fee

rules::LateFeeQuery late(const char* principal, Date first_day, std::int64_t days) {
  rules::LateFeeQuery query;
  query.principal = yuan(principal);
  query.first_overdue_date = first_day;
  query.overdue_days = days;
  return query;
}

TEST(LateFee, ThirtyDaysAtFiveTenThousandths) {
  auto result = rules::compute_late_fee(late("100000", Date::of(2023, 3, 16), 30), store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->late_fee, yuan("1500"));
  EXPECT_EQ(result->days_at_old_rate, 0);
  EXPECT_EQ(result->days_at_new_rate, 30);
}

TEST(LateFee, DaysAreSplitAt2011July1) {
  auto last_old = rules::compute_late_fee(late("10000", Date::of(2011, 6, 30), 1), store(), nullptr);
  ASSERT_TRUE(last_old.has_value());
  EXPECT_EQ(last_old->late_fee, yuan("20"));
  EXPECT_EQ(last_old->days_at_old_rate, 1);

  auto first_new = rules::compute_late_fee(late("10000", Date::of(2011, 7, 1), 1), store(), nullptr);
  ASSERT_TRUE(first_new.has_value());
  EXPECT_EQ(first_new->late_fee, yuan("5"));
  EXPECT_EQ(first_new->days_at_new_rate, 1);

  auto spanning = rules::compute_late_fee(late("10000", Date::of(2011, 6, 29), 4), store(), nullptr);
  ASSERT_TRUE(spanning.has_value());
  EXPECT_EQ(spanning->days_at_old_rate, 2);
  EXPECT_EQ(spanning->days_at_new_rate, 2);
  EXPECT_EQ(spanning->late_fee, yuan("50"));
  EXPECT_EQ(spanning->rate_change_date, Date::of(2011, 7, 1));
  EXPECT_EQ(spanning->old_daily_rate, dec("0.002"));
  EXPECT_EQ(spanning->new_daily_rate, dec("0.0005"));
}

TEST(LateFee, ExactSumIsRoundedOnce) {
  // 10.00 × 0.0005 × 3 = 0.015 → 0.02; rounding each day (0.01 × 3) would give 0.03.
  auto result = rules::compute_late_fee(late("10", Date::of(2023, 1, 1), 3), store(), nullptr);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->late_fee, yuan("0.02"));
  auto none = rules::compute_late_fee(late("10", Date::of(2023, 1, 1), 0), store(), nullptr);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->late_fee, yuan("0"));
}

TEST(LateFee, CapAndOverrides) {
  auto uncapped = rules::compute_late_fee(late("1000", Date::of(2009, 1, 1), 600), store(), nullptr);
  ASSERT_TRUE(uncapped.has_value());
  EXPECT_EQ(uncapped->late_fee, yuan("1200"));

  auto capped_query = late("1000", Date::of(2009, 1, 1), 600);
  capped_query.cap_at_principal = true;
  rules::Trace trace;
  auto capped = rules::compute_late_fee(capped_query, store(), &trace);
  ASSERT_TRUE(capped.has_value());
  EXPECT_EQ(capped->late_fee, yuan("1000"));
  EXPECT_EQ(capped->uncapped_fee, yuan("1200"));
  EXPECT_TRUE(has_override(trace, "late_fee_cap_at_principal"));

  auto moved = late("10000", Date::of(2013, 5, 30), 5);
  moved.rate_change_date = Date::of(2013, 6, 1);
  auto moved_result = rules::compute_late_fee(moved, store(), nullptr);
  ASSERT_TRUE(moved_result.has_value());
  EXPECT_EQ(moved_result->days_at_old_rate, 2);
  EXPECT_EQ(moved_result->late_fee, yuan("55"));

  auto rates = late("2000", Date::of(2011, 6, 21), 20);
  rates.old_daily_rate = dec("0.003");
  rates.new_daily_rate = dec("0.001");
  auto rates_result = rules::compute_late_fee(rates, store(), nullptr);
  ASSERT_TRUE(rates_result.has_value());
  EXPECT_EQ(rates_result->late_fee, yuan("80"));
}

TEST(LateFee, InvalidValuesAreRejected) {
  for (auto query : {late("1000", Date::of(2020, 1, 1), -5), late("-1", Date::of(2020, 1, 1), 5)}) {
    auto result = rules::compute_late_fee(query, store(), nullptr);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::invalid_input);
  }
  auto negative_rate = late("1000", Date::of(2020, 1, 1), 5);
  negative_rate.new_daily_rate = dec("-0.0005");
  auto result = rules::compute_late_fee(negative_rate, store(), nullptr);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::invalid_input);
}

// ---------------------------------------------------------------------------
// Personal account interest

TEST(AccountInterest, FullYearBalanceAndMonthlyCredits2024) {
  rules::AccountInterestQuery query;
  query.year = 2024;
  query.opening_balance = yuan("100000");
  query.credits = {{1, yuan("800")}, {12, yuan("800")}};
  rules::Trace trace;
  auto result = rules::compute_account_interest(query, store(), &trace);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  // 100000 × 2.62% = 2620; 800 × 2.62% × 12/12 = 20.96; 800 × 2.62% × 1/12 = 1.74666…
  EXPECT_EQ(result->rate, dec("0.0262"));
  EXPECT_EQ(result->interest, yuan("2642.71"));
  EXPECT_EQ(result->credits_total, yuan("1600"));
  EXPECT_EQ(result->closing_balance, yuan("104242.71"));
  EXPECT_FALSE(trace.steps().empty());
}

TEST(AccountInterest, OneRoundingHalfUp) {
  rules::AccountInterestQuery half;
  half.year = 2023;  // 3.97%
  half.opening_balance = yuan("50");
  auto result = rules::compute_account_interest(half, store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->interest, yuan("1.99"));  // 1.985 → 1.99

  // Four credits of 100 for December: exact 4 × 100 × 2.62% / 12 = 0.87333… → 0.87;
  // rounding each credit (0.22 × 4) would give 0.88.
  rules::AccountInterestQuery credits;
  credits.year = 2024;
  credits.credits = {{12, yuan("100")}, {12, yuan("100")}, {12, yuan("100")}, {12, yuan("100")}};
  auto summed = rules::compute_account_interest(credits, store(), nullptr);
  ASSERT_TRUE(summed.has_value()) << summed.error().to_string();
  EXPECT_EQ(summed->interest, yuan("0.87"));
  EXPECT_EQ(summed->closing_balance, yuan("400.87"));
}

TEST(AccountInterest, NoPublishedRateFor2025) {
  rules::AccountInterestQuery query;
  query.year = 2025;
  query.opening_balance = yuan("1000");
  auto result = rules::compute_account_interest(query, store(), nullptr);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::rule_missing);
  EXPECT_NE(result.error().message.find("2025"), std::string::npos);
}

TEST(AccountInterest, InvalidCreditsAreRejected) {
  rules::AccountInterestQuery query;
  query.year = 2024;
  query.credits = {{13, yuan("100")}};
  auto bad_month = rules::compute_account_interest(query, store(), nullptr);
  ASSERT_FALSE(bad_month.has_value());
  EXPECT_EQ(bad_month.error().code, ErrorCode::invalid_input);
  query.credits = {{3, yuan("-1")}};
  auto negative = rules::compute_account_interest(query, store(), nullptr);
  ASSERT_FALSE(negative.has_value());
  EXPECT_EQ(negative.error().code, ErrorCode::invalid_input);
}

}  // namespace
