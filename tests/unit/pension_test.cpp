// Employee and residents' pensions (rules-cn-eu.md §2, §6, §16.3, §16.4).
// Expected values are worked out by hand from the rules text and the rules
// data (divisor table, month rule, minima), not from the code under test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "ingest/rules_files.h"
#include "rules/case_kinds.h"
#include "rules/pension.h"

namespace shebao::rules {
namespace {

namespace json = boost::json;

const ParameterStore& store() {
  static const ParameterStore loaded = [] {
    auto result = ingest::load_rules_directory(SHEBAO_RULES_DIR);
    if (!result) {
      ADD_FAILURE() << result.error().to_string();
      std::abort();
    }
    return std::move(*result);
  }();
  return loaded;
}

Decimal dec(std::string_view text) { return *Decimal::parse(text); }
Money yuan(std::string_view text) { return *Money::parse(text); }
YearMonth month(int year, int month_of_year) { return YearMonth::of(year, month_of_year); }

template <typename T>
ErrorCode error_code_of(const Result<T>& result) {
  EXPECT_FALSE(result.has_value());
  return result.has_value() ? ErrorCode::internal : result.error().code;
}

// The divisor for an age, with the rules of `retirement_month` (absent = current rules).
Result<Decimal> divisor(int years, int months, std::optional<YearMonth> retirement_month,
                        std::optional<std::int64_t> divisor_age_47 = std::nullopt) {
  return employee_pension_divisor(AgeAtRetirement{years, months}, retirement_month, divisor_age_47, store(),
                                  nullptr);
}

constexpr YearMonth kBefore2025 = YearMonth::of(2024, 12);
constexpr YearMonth kFrom2025 = YearMonth::of(2025, 1);

// --- divisor: table edges, before and from 2025-01 -----------------------------

TEST(EmployeePensionDivisor, BelowFortyIsOutOfRangeUnderBothRules) {
  EXPECT_EQ(error_code_of(divisor(39, 11, kBefore2025)), ErrorCode::out_of_range);
  EXPECT_EQ(error_code_of(divisor(39, 11, kFrom2025)), ErrorCode::out_of_range);
  EXPECT_EQ(error_code_of(divisor(39, 11, std::nullopt)), ErrorCode::out_of_range);
  EXPECT_EQ(error_code_of(divisor(0, 0, kFrom2025)), ErrorCode::out_of_range);
}

TEST(EmployeePensionDivisor, FortyIsTheFirstTableAge) {
  EXPECT_EQ(*divisor(40, 0, kBefore2025), dec("233"));
  EXPECT_EQ(*divisor(40, 0, kFrom2025), dec("233"));
}

TEST(EmployeePensionDivisor, SeventyIsTheLastTableAge) {
  EXPECT_EQ(*divisor(70, 0, kBefore2025), dec("56"));
  EXPECT_EQ(*divisor(70, 0, kFrom2025), dec("56"));
  EXPECT_EQ(*divisor(70, 0, std::nullopt), dec("56"));
}

TEST(EmployeePensionDivisor, SeventyAndMonthsUsesCompletedYearsBefore2025) {
  // P2: before 2025-01 a remainder of months is ignored, 70y1m..70y11m → D[70].
  EXPECT_EQ(*divisor(70, 1, kBefore2025), dec("56"));
  EXPECT_EQ(*divisor(70, 11, kBefore2025), dec("56"));
}

TEST(EmployeePensionDivisor, SeventyAndMonthsIsOutOfRangeFrom2025OrWithoutMonth) {
  EXPECT_EQ(error_code_of(divisor(70, 1, kFrom2025)), ErrorCode::out_of_range);
  EXPECT_EQ(error_code_of(divisor(70, 11, month(2030, 6))), ErrorCode::out_of_range);
  EXPECT_EQ(error_code_of(divisor(70, 1, std::nullopt)), ErrorCode::out_of_range);
}

TEST(EmployeePensionDivisor, SeventyOneIsOutOfRangeUnderBothRules) {
  EXPECT_EQ(error_code_of(divisor(71, 0, kBefore2025)), ErrorCode::out_of_range);
  EXPECT_EQ(error_code_of(divisor(71, 0, kFrom2025)), ErrorCode::out_of_range);
  EXPECT_EQ(error_code_of(divisor(100, 0, month(2010, 1))), ErrorCode::out_of_range);
}

TEST(EmployeePensionDivisor, RetirementBefore2006IsOutOfRange) {
  EXPECT_EQ(error_code_of(divisor(60, 0, month(2005, 12))), ErrorCode::out_of_range);
  EXPECT_EQ(*divisor(60, 0, month(2006, 1)), dec("139"));
}

TEST(EmployeePensionDivisor, CompletedYearsBefore2025) {
  // Sichuan notice 2024-04: a woman retiring at 50y3m uses 195.
  EXPECT_EQ(*divisor(50, 3, month(2024, 4)), dec("195"));
  EXPECT_EQ(*divisor(60, 1, kBefore2025), dec("139"));
  EXPECT_EQ(*divisor(55, 11, month(2006, 1)), dec("170"));
}

TEST(EmployeePensionDivisor, MonthLevelFrom2025) {
  EXPECT_EQ(*divisor(60, 1, kFrom2025), dec("138.4"));      // 139 − 7/12 = 138.416…
  EXPECT_EQ(*divisor(50, 1, month(2025, 6)), dec("194.6"));  // 195 − 5/12 = 194.583…
  EXPECT_EQ(*divisor(62, 6, month(2027, 1)), dec("121.0"));  // 125 − 8 × 6/12
  EXPECT_EQ(*divisor(55, 11, month(2026, 12)), dec("164.5"));  // 170 − 6 × 11/12
  EXPECT_EQ(*divisor(69, 11, month(2026, 12)), dec("56.8"));   // 65 − 9 × 11/12 = 56.75
  EXPECT_EQ(*divisor(40, 1, month(2026, 12)), dec("232.8"));   // 233 − 3/12 = 232.75
}

TEST(EmployeePensionDivisor, MonthLevelRoundsHalfUp) {
  // BD-55: 152 − 7 × 3/12 = 150.25 exactly → 150.3 (HALF_EVEN would give 150.2).
  EXPECT_EQ(*divisor(58, 3, month(2026, 6)), dec("150.3"));
}

TEST(EmployeePensionDivisor, AbsentMonthUsesTheCurrentRule) {
  EXPECT_EQ(*divisor(60, 1, std::nullopt), dec("138.4"));
  EXPECT_EQ(*divisor(60, 0, std::nullopt), dec("139"));
}

TEST(EmployeePensionDivisor, NegativeOrOverlongAgeIsInvalid) {
  EXPECT_EQ(error_code_of(divisor(-1, 0, kFrom2025)), ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of(divisor(60, -1, kFrom2025)), ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of(divisor(60, 12, kFrom2025)), ErrorCode::invalid_input);
}

// --- divisor_age_47 override ----------------------------------------------------

TEST(EmployeePensionDivisor, AgeFortySevenDefaultsToTheTable) {
  EXPECT_EQ(*divisor(47, 0, kFrom2025), dec("207"));
  EXPECT_EQ(*divisor(47, 6, kFrom2025), dec("205.5"));  // 207 − 3 × 6/12
  EXPECT_EQ(*divisor(46, 6, kFrom2025), dec("209.5"));  // 212 − 5 × 6/12
}

TEST(EmployeePensionDivisor, OverrideReplacesAgeFortySevenIncludingInterpolation) {
  EXPECT_EQ(*divisor(47, 0, month(2024, 3), 208), dec("208"));
  EXPECT_EQ(*divisor(47, 0, kFrom2025, 208), dec("208"));
  EXPECT_EQ(*divisor(47, 6, kFrom2025, 208), dec("206.0"));  // 208 − 4 × 6/12
  EXPECT_EQ(*divisor(46, 6, kFrom2025, 208), dec("210.0"));  // 212 − 4 × 6/12
  EXPECT_EQ(*divisor(48, 0, kFrom2025, 208), dec("204"));    // other ages untouched
}

TEST(EmployeePensionDivisor, OverrideDomainIsBetweenTheNeighbours) {
  EXPECT_EQ(*divisor(47, 0, kFrom2025, 204), dec("204"));
  EXPECT_EQ(*divisor(47, 0, kFrom2025, 212), dec("212"));
  EXPECT_EQ(error_code_of(divisor(47, 0, kFrom2025, 203)), ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of(divisor(47, 0, kFrom2025, 213)), ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of(divisor(60, 0, kFrom2025, -5)), ErrorCode::invalid_input);
}

TEST(EmployeePensionDivisor, TraceNamesTheRuleTableAndOverride) {
  Trace trace;
  auto value = employee_pension_divisor(AgeAtRetirement{47, 0}, kFrom2025, 208, store(), &trace);
  ASSERT_TRUE(value.has_value()) << value.error().to_string();
  ASSERT_EQ(trace.steps().size(), 1u);
  const TraceStep& step = trace.steps().front();
  EXPECT_EQ(step.name, "divisor");
  EXPECT_EQ(step.rule_id, "CN-EMP-DIVISOR-MONTHS-2025");
  EXPECT_EQ(step.output, "208");
  ASSERT_EQ(step.parameters.size(), 3u);
  EXPECT_EQ(step.parameters[0].key, "pension_divisor");
  EXPECT_EQ(step.parameters[1].key, "divisor_month_rule");
  EXPECT_EQ(step.parameters[1].value, "linear_1dp");
  EXPECT_EQ(step.parameters[2].key, "divisor_age_47");
  EXPECT_EQ(step.parameters[2].status, "override");
}

// --- basic pension --------------------------------------------------------------

EmployeePensionQuery basic_query(std::string_view wage, std::string_view index, std::int64_t months) {
  EmployeePensionQuery query;
  query.basic = BasicPensionInputs{yuan(wage), dec(index), std::nullopt, months, std::nullopt};
  return query;
}

TEST(EmployeePensionBasic, AccrualRateOverrideReplacesTheRuleWithinItsDomain) {
  // (8079 + 6309.70)/2 × 30 × 1.2 % = 2589.966 → 2589.97; the trace names the override.
  EmployeePensionQuery query = basic_query("8079", "0.781", 360);
  query.accrual_rate = dec("0.012");
  Trace trace;
  auto result = compute_employee_pension(query, store(), &trace);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->basic_pension->to_string(), "2589.97");
  bool overridden = false;
  for (const auto& step : trace.steps()) {
    for (const auto& parameter : step.parameters) {
      overridden |= parameter.key == "basic_pension_accrual_rate" && parameter.status == "override";
    }
  }
  EXPECT_TRUE(overridden);
  for (const char* bad : {"0", "-0.01", "0.051"}) {
    query.accrual_rate = dec(bad);
    auto refused = compute_employee_pension(query, store(), nullptr);
    EXPECT_EQ(error_code_of(refused), ErrorCode::invalid_input) << bad;
    if (!refused) {
      EXPECT_NE(refused.error().to_string().find("accrual_rate"), std::string::npos);
    }
  }
}

TEST(EmployeePensionBasic, HalfFenRoundsUp) {
  // DR-46: indexed 6309.70, (8079 + 6309.70)/2 × 30 × 1% = 2158.305 → 2158.31.
  auto result = compute_employee_pension(basic_query("8079", "0.781", 360), store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->indexed_monthly_wage->to_string(), "6309.70");
  EXPECT_EQ(result->contribution_years->to_fixed(2), "30.00");
  EXPECT_EQ(result->basic_pension->to_string(), "2158.31");
  EXPECT_FALSE(result->divisor.has_value());
  EXPECT_FALSE(result->account_pension.has_value());
  EXPECT_FALSE(result->total_pension.has_value());
}

TEST(EmployeePensionBasic, AverageIsNotRounded) {
  // DR-47: indexed 4912.03, average 6495.515 unrounded → 1948.6545 → 1948.65 (1948.66 if rounded first).
  auto result = compute_employee_pension(basic_query("8079", "0.608", 360), store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->indexed_monthly_wage->to_string(), "4912.03");
  EXPECT_EQ(result->basic_pension->to_string(), "1948.65");
}

TEST(EmployeePensionBasic, ContributionYearsAreRoundedToTheFen) {
  // 208 months → 17.33; Sichuan 2024-04: (8079 + 6786.36)/2 × 17.33 × 1% = 1288.08.
  auto result = compute_employee_pension(basic_query("8079", "0.84", 208), store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->contribution_years->to_fixed(2), "17.33");
  EXPECT_EQ(result->indexed_monthly_wage->to_string(), "6786.36");
  EXPECT_EQ(result->basic_pension->to_string(), "1288.08");
}

TEST(EmployeePensionBasic, NoEligibilityCheck) {
  auto zero = compute_employee_pension(basic_query("8000", "1", 0), store(), nullptr);
  ASSERT_TRUE(zero.has_value()) << zero.error().to_string();
  EXPECT_EQ(zero->basic_pension->to_string(), "0.00");
  auto short_record = compute_employee_pension(basic_query("8000", "1.00", 100), store(), nullptr);
  ASSERT_TRUE(short_record.has_value());
  EXPECT_EQ(short_record->contribution_years->to_fixed(2), "8.33");
  EXPECT_EQ(short_record->basic_pension->to_string(), "666.40");
}

TEST(EmployeePensionBasic, GivenIndexedWageAndYearsAreUsedAsGiven) {
  // Shandong explainer: (7182.5 + 4460.33)/2 × 27.33 × 1% = 1590.9862… → 1590.99.
  EmployeePensionQuery query;
  query.basic = BasicPensionInputs{yuan("7182.5"), std::nullopt, yuan("4460.33"), std::nullopt, dec("27.33")};
  auto result = compute_employee_pension(query, store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->basic_pension->to_string(), "1590.99");
  EXPECT_FALSE(result->indexed_monthly_wage.has_value());
  EXPECT_FALSE(result->contribution_years.has_value());
}

TEST(EmployeePensionBasic, RetirementMonthFrom2006OnlyAndAbsentIsCurrent) {
  EmployeePensionQuery query = basic_query("4000", "1", 180);
  query.retirement_month = month(2005, 12);
  EXPECT_EQ(error_code_of(compute_employee_pension(query, store(), nullptr)), ErrorCode::out_of_range);
  query.retirement_month = month(2006, 1);
  EXPECT_EQ(compute_employee_pension(query, store(), nullptr)->basic_pension->to_string(), "600.00");
  query.retirement_month = std::nullopt;
  EXPECT_EQ(compute_employee_pension(query, store(), nullptr)->basic_pension->to_string(), "600.00");
}

TEST(EmployeePensionBasic, InvalidInputs) {
  auto code = [](auto mutate) {
    EmployeePensionQuery query = basic_query("8000", "1", 180);
    mutate(*query.basic);
    return error_code_of(compute_employee_pension(query, store(), nullptr));
  };
  EXPECT_EQ(code([](BasicPensionInputs& b) { b.average_wage = yuan("0"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](BasicPensionInputs& b) { b.average_wage = yuan("-1"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](BasicPensionInputs& b) { b.indexed_monthly_wage = yuan("8000"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](BasicPensionInputs& b) { b.average_contribution_index.reset(); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](BasicPensionInputs& b) { b.average_contribution_index = dec("0"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](BasicPensionInputs& b) {
              b.average_contribution_index.reset();
              b.indexed_monthly_wage = yuan("0");
            }),
            ErrorCode::invalid_input);
  EXPECT_EQ(code([](BasicPensionInputs& b) { b.contribution_years = dec("15"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](BasicPensionInputs& b) { b.contribution_months.reset(); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](BasicPensionInputs& b) { b.contribution_months = -1; }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](BasicPensionInputs& b) {
              b.contribution_months.reset();
              b.contribution_years = dec("-0.5");
            }),
            ErrorCode::invalid_input);
}

// --- account pension and total --------------------------------------------------

EmployeePensionQuery account_query(std::string_view balance, int years, int months, YearMonth retirement_month) {
  EmployeePensionQuery query;
  query.retirement_month = retirement_month;
  query.account = AccountPensionInputs{yuan(balance), AgeAtRetirement{years, months}, std::nullopt};
  return query;
}

TEST(EmployeePensionAccount, BalanceOverTableDivisor) {
  auto result = compute_employee_pension(account_query("200000", 60, 0, month(2024, 1)), store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(*result->divisor, dec("139"));
  EXPECT_EQ(result->account_pension->to_string(), "1438.85");  // 1438.848…
  EXPECT_FALSE(result->basic_pension.has_value());
  EXPECT_FALSE(result->total_pension.has_value());
}

TEST(EmployeePensionAccount, MonthLevelDivisorFeedsTheAccountPension) {
  auto result = compute_employee_pension(account_query("150300", 58, 3, month(2026, 6)), store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->divisor->to_string(), "150.3");
  EXPECT_EQ(result->account_pension->to_string(), "1000.00");
}

TEST(EmployeePensionAccount, ExplicitDivisorIsUsedAsGiven) {
  EmployeePensionQuery query;
  query.account = AccountPensionInputs{yuan("59314.95"), std::nullopt, dec("195")};
  auto result = compute_employee_pension(query, store(), nullptr);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->divisor->to_string(), "195");
  EXPECT_EQ(result->account_pension->to_string(), "304.18");  // 304.179…
}

TEST(EmployeePensionAccount, OutOfRangeAgesAndMonths) {
  EXPECT_EQ(error_code_of(compute_employee_pension(account_query("100000", 39, 0, month(2024, 1)), store(), nullptr)),
            ErrorCode::out_of_range);
  EXPECT_EQ(error_code_of(compute_employee_pension(account_query("30000", 60, 0, month(2005, 12)), store(), nullptr)),
            ErrorCode::out_of_range);
  EXPECT_EQ(error_code_of(compute_employee_pension(account_query("30000", 70, 1, month(2025, 1)), store(), nullptr)),
            ErrorCode::out_of_range);
  auto old_rule = compute_employee_pension(account_query("56000", 70, 1, month(2024, 12)), store(), nullptr);
  ASSERT_TRUE(old_rule.has_value());
  EXPECT_EQ(old_rule->account_pension->to_string(), "1000.00");
}

TEST(EmployeePensionAccount, ExplicitDivisorBefore2006IsStillOutOfRange) {
  EmployeePensionQuery query;
  query.retirement_month = month(2005, 12);
  query.account = AccountPensionInputs{yuan("30000"), std::nullopt, dec("120")};
  EXPECT_EQ(error_code_of(compute_employee_pension(query, store(), nullptr)), ErrorCode::out_of_range);
}

TEST(EmployeePensionAccount, InvalidInputs) {
  auto code = [](auto mutate) {
    EmployeePensionQuery query = account_query("100000", 60, 0, month(2024, 1));
    mutate(query);
    return error_code_of(compute_employee_pension(query, store(), nullptr));
  };
  EXPECT_EQ(code([](EmployeePensionQuery& q) { q.account->account_balance = yuan("-1"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](EmployeePensionQuery& q) { q.account->divisor = dec("139"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](EmployeePensionQuery& q) { q.account->retirement_age.reset(); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](EmployeePensionQuery& q) {
              q.account->retirement_age.reset();
              q.account->divisor = dec("0");
            }),
            ErrorCode::invalid_input);
  EXPECT_EQ(code([](EmployeePensionQuery& q) { q.account->retirement_age->months = 12; }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](EmployeePensionQuery& q) { q.account->retirement_age->years = -1; }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](EmployeePensionQuery& q) { q.transitional_pension = yuan("-0.01"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](EmployeePensionQuery& q) { q.local_supplement = yuan("-5"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](EmployeePensionQuery& q) { q.account.reset(); }), ErrorCode::invalid_input);  // no group
  EXPECT_EQ(code([](EmployeePensionQuery& q) { q.divisor_age_47 = 300; }), ErrorCode::invalid_input);
}

TEST(EmployeePensionTotal, SumsRoundedComponentsAndGivenAmounts) {
  // Sichuan notice 2024-04: 1288.08 + 467.42 + 0 + 117.61 = 1873.11.
  EmployeePensionQuery query = basic_query("8079", "0.84", 208);
  query.retirement_month = month(2024, 4);
  query.account = AccountPensionInputs{yuan("91147.87"), AgeAtRetirement{50, 3}, std::nullopt};
  query.local_supplement = yuan("117.61");
  Trace trace;
  auto result = compute_employee_pension(query, store(), &trace);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->divisor->to_string(), "195");
  EXPECT_EQ(result->account_pension->to_string(), "467.42");
  EXPECT_EQ(result->total_pension->to_string(), "1873.11");
  ASSERT_FALSE(trace.steps().empty());
  EXPECT_EQ(trace.steps().back().name, "total_pension");
  EXPECT_EQ(trace.steps().back().output, "1873.11");
  bool accrual_rate_traced = false;
  for (const auto& step : trace.steps()) {
    for (const auto& parameter : step.parameters) {
      if (parameter.key == "basic_pension_accrual_rate") accrual_rate_traced = true;
    }
  }
  EXPECT_TRUE(accrual_rate_traced);
}

TEST(EmployeePensionTotal, GivenAmountsHaveNoEffectWithOneGroup) {
  EmployeePensionQuery query = basic_query("4000", "1", 180);
  query.transitional_pension = yuan("100");
  query.local_supplement = yuan("50");
  auto result = compute_employee_pension(query, store(), nullptr);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->basic_pension->to_string(), "600.00");
  EXPECT_FALSE(result->total_pension.has_value());
}

TEST(EmployeePensionTotal, HugeValuesAreOutOfRangeNotWrong) {
  EmployeePensionQuery query;
  query.account = AccountPensionInputs{yuan("90000000000000000"), std::nullopt, dec("0.000000000000000000000001")};
  EXPECT_EQ(error_code_of(compute_employee_pension(query, store(), nullptr)), ErrorCode::out_of_range);
}

// --- residents' pension ---------------------------------------------------------

TEST(ResidentPension, BalanceFromPartsOver139) {
  // 55 + (1000 + 50) × 20 / 139 = 55 + 151.0791… = 206.08.
  ResidentPensionQuery query;
  query.basic_pension = yuan("55");
  query.account_parts = ResidentAccountParts{yuan("1000"), yuan("50"), 20, yuan("0")};
  Trace trace;
  auto result = compute_resident_pension(query, store(), &trace);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->account_balance.to_string(), "21000.00");
  EXPECT_EQ(result->divisor, dec("139"));
  EXPECT_EQ(result->account_pension.to_string(), "151.08");
  EXPECT_EQ(result->total_pension.to_string(), "206.08");
  EXPECT_FALSE(trace.steps().empty());
}

TEST(ResidentPension, SecondPublishedExample) {
  // 55 + 2502/139 = 55 + 18.00 = 73.00.
  ResidentPensionQuery query;
  query.basic_pension = yuan("55");
  query.account_balance = yuan("2502");
  auto result = compute_resident_pension(query, store(), nullptr);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->total_pension.to_string(), "73.00");
}

TEST(ResidentPension, MinimumOfThePaymentMonth) {
  auto basic_of = [](YearMonth payment_month) -> Result<std::string> {
    ResidentPensionQuery query;
    query.payment_month = payment_month;
    query.account_balance = yuan("0");
    auto result = compute_resident_pension(query, store(), nullptr);
    if (!result) return tl::unexpected(result.error());
    return result->basic_pension.to_string();
  };
  EXPECT_EQ(error_code_of(basic_of(month(2009, 8))), ErrorCode::out_of_range);
  EXPECT_EQ(*basic_of(month(2009, 9)), "55.00");
  EXPECT_EQ(*basic_of(month(2014, 6)), "55.00");
  EXPECT_EQ(*basic_of(month(2014, 7)), "70.00");
  EXPECT_EQ(*basic_of(month(2024, 12)), "123.00");
  EXPECT_EQ(*basic_of(month(2025, 1)), "143.00");
  EXPECT_EQ(*basic_of(month(2026, 3)), "143.00");  // Q1: the last row stays in force
}

TEST(ResidentPension, LocalTopUpAddsToTheMinimum) {
  ResidentPensionQuery query;
  query.payment_month = month(2024, 9);
  query.local_top_up = yuan("30.50");
  query.account_balance = yuan("30000");
  auto result = compute_resident_pension(query, store(), nullptr);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->basic_pension.to_string(), "153.50");
  EXPECT_EQ(result->account_pension.to_string(), "215.83");  // 215.827…
  EXPECT_EQ(result->total_pension.to_string(), "369.33");
}

TEST(ResidentPension, DivisorOverrideIsUsedAndTraced) {
  ResidentPensionQuery query;
  query.basic_pension = yuan("150");
  query.account_balance = yuan("24000");
  query.resident_divisor = dec("120");
  Trace trace;
  auto result = compute_resident_pension(query, store(), &trace);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->divisor.to_string(), "120");
  EXPECT_EQ(result->account_pension.to_string(), "200.00");
  EXPECT_EQ(result->total_pension.to_string(), "350.00");
  bool override_traced = false;
  for (const auto& step : trace.steps()) {
    for (const auto& parameter : step.parameters) {
      if (parameter.key == "resident_divisor" && parameter.status == "override") override_traced = true;
    }
  }
  EXPECT_TRUE(override_traced);
}

TEST(ResidentPension, InvalidInputs) {
  auto code = [](auto mutate) {
    ResidentPensionQuery query;
    query.basic_pension = yuan("123");
    query.account_balance = yuan("1000");
    mutate(query);
    return error_code_of(compute_resident_pension(query, store(), nullptr));
  };
  EXPECT_EQ(code([](ResidentPensionQuery& q) { q.account_balance = yuan("-5"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](ResidentPensionQuery& q) { q.basic_pension = yuan("-1"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](ResidentPensionQuery& q) { q.local_top_up = yuan("10"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](ResidentPensionQuery& q) { q.payment_month = month(2024, 1); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](ResidentPensionQuery& q) { q.basic_pension.reset(); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](ResidentPensionQuery& q) {
              q.account_parts = ResidentAccountParts{yuan("100"), yuan("0"), 15, yuan("0")};
            }),
            ErrorCode::invalid_input);
  EXPECT_EQ(code([](ResidentPensionQuery& q) { q.account_balance.reset(); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](ResidentPensionQuery& q) {
              q.account_balance.reset();
              q.account_parts = ResidentAccountParts{yuan("100"), yuan("0"), -1, yuan("0")};
            }),
            ErrorCode::invalid_input);
  EXPECT_EQ(code([](ResidentPensionQuery& q) { q.resident_divisor = dec("0"); }), ErrorCode::invalid_input);
  EXPECT_EQ(code([](ResidentPensionQuery& q) { q.resident_divisor = dec("-139"); }), ErrorCode::invalid_input);
}

// --- the case kinds: JSON input rules of cases-format.md §3-§6 ----------------

Result<json::object> run_kind(std::string_view kind, std::string_view input_json) {
  const CaseKind* found = find_case_kind(kind);
  EXPECT_NE(found, nullptr) << kind;
  if (found == nullptr) return fail(ErrorCode::internal, "", "kind not registered");
  Trace trace;
  return found->run(json::parse(input_json).as_object(), store(), &trace);
}

TEST(PensionCaseInput, EmployeeOutputFields) {
  auto out = run_kind("pension.employee", R"({"retirement_month": "2024-10", "average_wage": "11883",
      "average_contribution_index": "1.0", "contribution_months": 300, "account_balance": "80000",
      "retirement_age": {"years": 60, "months": 0}})");
  ASSERT_TRUE(out.has_value()) << out.error().to_string();
  EXPECT_EQ(out->at("indexed_monthly_wage").as_string(), "11883.00");
  EXPECT_EQ(out->at("contribution_years").as_string(), "25.00");
  EXPECT_EQ(out->at("basic_pension").as_string(), "2970.75");
  EXPECT_EQ(out->at("divisor").as_string(), "139");
  EXPECT_EQ(out->at("account_pension").as_string(), "575.54");
  EXPECT_EQ(out->at("total_pension").as_string(), "3546.29");
}

TEST(PensionCaseInput, EmployeeOmitsFieldsItDidNotDerive) {
  auto out = run_kind("pension.employee", R"({"average_wage": "7182.5", "indexed_monthly_wage": "4460.33",
      "contribution_years": "27.33"})");
  ASSERT_TRUE(out.has_value()) << out.error().to_string();
  EXPECT_FALSE(out->contains("indexed_monthly_wage"));
  EXPECT_FALSE(out->contains("contribution_years"));
  EXPECT_FALSE(out->contains("total_pension"));
  EXPECT_EQ(out->at("basic_pension").as_string(), "1590.99");
}

TEST(PensionCaseInput, EmployeeDivisorOverride) {
  auto out = run_kind("pension.employee", R"({"retirement_month": "2024-03", "account_balance": "104000",
      "retirement_age": {"years": 47, "months": 0}, "parameters": {"divisor_age_47": 208}})");
  ASSERT_TRUE(out.has_value()) << out.error().to_string();
  EXPECT_EQ(out->at("divisor").as_string(), "208");
  EXPECT_EQ(out->at("account_pension").as_string(), "500.00");
}

TEST(PensionCaseInput, EmployeeRejections) {
  struct Case {
    const char* input;
    ErrorCode code;
    const char* field;
  };
  const Case cases[] = {
      {R"({})", ErrorCode::invalid_input, "input.average_wage"},
      {R"({"account_balance": "1", "retirement_age": {"years": 60, "months": 0}, "extra": 1})",
       ErrorCode::invalid_input, "input.extra"},
      {R"({"account_balance": 1000, "divisor": "139"})", ErrorCode::invalid_input, "input.account_balance"},
      {R"({"account_balance": "1000.001", "divisor": "139"})", ErrorCode::invalid_input, "input.account_balance"},
      {R"({"account_balance": "8E3", "divisor": "139"})", ErrorCode::invalid_input, "input.account_balance"},
      {R"({"account_balance": "1000", "retirement_age": {"years": 60}})", ErrorCode::invalid_input,
       "input.retirement_age.months"},
      {R"({"account_balance": "1000", "retirement_age": {"years": 60, "months": 0, "days": 1}})",
       ErrorCode::invalid_input, "input.retirement_age.days"},
      {R"({"account_balance": "1000", "retirement_age": {"years": 60, "months": 12}})", ErrorCode::invalid_input,
       "input.retirement_age.months"},
      {R"({"account_balance": "1000", "retirement_age": {"years": -60, "months": 0}})", ErrorCode::invalid_input,
       "input.retirement_age.years"},
      {R"({"retirement_age": {"years": 60, "months": 0}})", ErrorCode::invalid_input, "input.account_balance"},
      {R"({"divisor": "139"})", ErrorCode::invalid_input, "input.account_balance"},
      {R"({"average_contribution_index": "1", "contribution_months": 180})", ErrorCode::invalid_input,
       "input.average_wage"},
      {R"({"average_wage": "8000", "average_contribution_index": "1", "indexed_monthly_wage": "8000",
           "contribution_months": 180})",
       ErrorCode::invalid_input, "input.average_contribution_index"},
      {R"({"average_wage": "8000", "average_contribution_index": "1", "contribution_months": 180.5})",
       ErrorCode::invalid_input, "input.contribution_months"},
      {R"({"average_wage": "8000", "average_contribution_index": "1", "contribution_months": "180"})",
       ErrorCode::invalid_input, "input.contribution_months"},
      {R"({"account_balance": "1000", "divisor": "139", "parameters": {"divisor_age_48": 204}})",
       ErrorCode::invalid_input, "input.parameters.divisor_age_48"},
      {R"({"account_balance": "1000", "divisor": "139", "parameters": {"divisor_age_47": "208"}})",
       ErrorCode::invalid_input, "input.parameters.divisor_age_47"},
      {R"({"account_balance": "1000", "divisor": "139", "parameters": {"divisor_age_47": 213}})",
       ErrorCode::invalid_input, "input.parameters.divisor_age_47"},
      {R"({"account_balance": "1000", "retirement_age": {"years": 60, "months": 0}, "retirement_month": "2024-13"})",
       ErrorCode::invalid_input, "input.retirement_month"},
      {R"({"account_balance": "30000", "retirement_age": {"years": 60, "months": 0}, "retirement_month": "2005-12"})",
       ErrorCode::out_of_range, "input.retirement_month"},
      {R"({"account_balance": "100000", "retirement_age": {"years": 39, "months": 0}})", ErrorCode::out_of_range,
       "input.retirement_age"},
      {R"({"account_balance": "100000", "retirement_age": {"years": 9000000000, "months": 0}})",
       ErrorCode::out_of_range, "input.retirement_age"},
  };
  for (const Case& c : cases) {
    auto out = run_kind("pension.employee", c.input);
    ASSERT_FALSE(out.has_value()) << c.input;
    EXPECT_EQ(out.error().code, c.code) << c.input << " → " << out.error().to_string();
    EXPECT_EQ(out.error().field, c.field) << c.input << " → " << out.error().to_string();
  }
}

TEST(PensionCaseInput, NullCountsAsAbsent) {
  auto out = run_kind("pension.employee", R"({"account_balance": "200000", "retirement_age": {"years": 60,
      "months": 0}, "divisor": null, "retirement_month": null, "parameters": null, "transitional_pension": null})");
  ASSERT_TRUE(out.has_value()) << out.error().to_string();
  EXPECT_EQ(out->at("account_pension").as_string(), "1438.85");
}

TEST(PensionCaseInput, ResidentOutputFields) {
  auto out = run_kind("pension.resident", R"({"basic_pension": "55", "annual_contribution": "1000",
      "annual_subsidy": "50", "contribution_years": 20, "accrued_interest": "0"})");
  ASSERT_TRUE(out.has_value()) << out.error().to_string();
  EXPECT_EQ(out->at("basic_pension").as_string(), "55.00");
  EXPECT_EQ(out->at("account_balance").as_string(), "21000.00");
  EXPECT_EQ(out->at("divisor").as_string(), "139");
  EXPECT_EQ(out->at("account_pension").as_string(), "151.08");
  EXPECT_EQ(out->at("total_pension").as_string(), "206.08");
}

TEST(PensionCaseInput, ResidentPartsDefaults) {
  auto out = run_kind("pension.resident", R"({"payment_month": "2026-03", "annual_contribution": "500",
      "contribution_years": 15})");
  ASSERT_TRUE(out.has_value()) << out.error().to_string();
  EXPECT_EQ(out->at("basic_pension").as_string(), "143.00");
  EXPECT_EQ(out->at("account_balance").as_string(), "7500.00");
  EXPECT_EQ(out->at("account_pension").as_string(), "53.96");  // 53.956…
  EXPECT_EQ(out->at("total_pension").as_string(), "196.96");
}

TEST(PensionCaseInput, ResidentRejections) {
  struct Case {
    const char* input;
    ErrorCode code;
    const char* field;
  };
  const Case cases[] = {
      {R"({"basic_pension": "123", "account_balance": "-5"})", ErrorCode::invalid_input, "input.account_balance"},
      {R"({"basic_pension": "123"})", ErrorCode::invalid_input, "input.account_balance"},
      {R"({"account_balance": "100"})", ErrorCode::invalid_input, "input.basic_pension"},
      {R"({"basic_pension": "123", "payment_month": "2024-01", "account_balance": "100"})", ErrorCode::invalid_input,
       "input.basic_pension"},
      {R"({"basic_pension": "123", "local_top_up": "5", "account_balance": "100"})", ErrorCode::invalid_input,
       "input.local_top_up"},
      {R"({"basic_pension": "123", "account_balance": "100", "annual_subsidy": "30"})", ErrorCode::invalid_input,
       "input.account_balance"},
      {R"({"basic_pension": "123", "annual_subsidy": "30", "contribution_years": 15})", ErrorCode::invalid_input,
       "input.annual_contribution"},
      {R"({"basic_pension": "123", "annual_contribution": "300"})", ErrorCode::invalid_input,
       "input.contribution_years"},
      {R"({"basic_pension": "123", "annual_contribution": "300", "contribution_years": "15"})",
       ErrorCode::invalid_input, "input.contribution_years"},
      {R"({"basic_pension": "123", "account_balance": "100", "parameters": {"resident_divisor": "0"}})",
       ErrorCode::invalid_input, "input.parameters.resident_divisor"},
      {R"({"basic_pension": "123", "account_balance": "100", "parameters": {"resident_divisor": 139}})",
       ErrorCode::invalid_input, "input.parameters.resident_divisor"},
      {R"({"basic_pension": "123", "account_balance": "100", "parameters": {"divisor_age_47": 207}})",
       ErrorCode::invalid_input, "input.parameters.divisor_age_47"},
      {R"({"payment_month": "2009-08", "account_balance": "100"})", ErrorCode::out_of_range, "input.payment_month"},
  };
  for (const Case& c : cases) {
    auto out = run_kind("pension.resident", c.input);
    ASSERT_FALSE(out.has_value()) << c.input;
    EXPECT_EQ(out.error().code, c.code) << c.input << " → " << out.error().to_string();
    EXPECT_EQ(out.error().field, c.field) << c.input << " → " << out.error().to_string();
  }
}

}  // namespace
}  // namespace shebao::rules
