// Portability rules: pooled-fund transfer, paying region and temporary accounts
// (rules-cn-eu.md §7), EU period conversion and pro-rata awards (§11), through
// their typed APIs and through the case kinds' input validation.
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/rules_files.h"
#include "rules/case_kinds.h"
#include "rules/eu_coordination.h"
#include "rules/transfer.h"

namespace {

namespace json = boost::json;
using namespace shebao;
using namespace shebao::rules;

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

Money money(const char* text) { return *Money::parse(text); }
YearMonth month(const char* text) { return *YearMonth::parse(text); }

Result<json::object> run_kind(std::string_view kind, const char* input_json, Trace* trace = nullptr) {
  const CaseKind* found = find_case_kind(kind);
  if (found == nullptr) {
    ADD_FAILURE() << "kind " << kind << " is not registered";
    std::abort();
  }
  return found->run(json::parse(input_json).as_object(), store(), trace);
}

ErrorCode error_of(std::string_view kind, const char* input_json) {
  auto result = run_kind(kind, input_json);
  EXPECT_FALSE(result.has_value()) << input_json;
  return result ? ErrorCode::internal : result.error().code;
}

bool has_override(const Trace& trace, std::string_view key) {
  for (const auto& step : trace.steps()) {
    for (const auto& p : step.parameters) {
      if (p.key == key && p.status == "override") return true;
    }
  }
  return false;
}

// ===========================================================================
// transfer.pooled

PooledTransferQuery pooled(std::vector<PooledPeriod> periods) {
  PooledTransferQuery query;
  query.periods = std::move(periods);
  return query;
}

TEST(TransferPooled, SixtyMonthsAt2000And120At5000Gives86400) {
  std::vector<PooledPeriod> periods;
  for (int year = 1998; year <= 2002; ++year) periods.push_back({year, money("2000"), 12});
  for (int year = 2003; year <= 2012; ++year) periods.push_back({year, money("5000"), 12});
  Trace trace;
  auto result = compute_pooled_transfer(pooled(periods), store(), &trace);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->counted_months, 180);
  EXPECT_EQ(result->counted_base_total.to_string(), "720000.00");
  EXPECT_EQ(result->pooled_rate, *Decimal::parse("0.12"));
  EXPECT_EQ(result->pooled_transfer.to_string(), "86400.00");
  EXPECT_FALSE(trace.steps().empty());
}

TEST(TransferPooled, YearsBefore1998AreSkipped) {
  auto result = compute_pooled_transfer(
      pooled({{1996, money("900"), 12}, {1997, money("1500"), 12}, {1998, money("1000"), 3}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->counted_months, 3);
  EXPECT_EQ(result->counted_base_total.to_string(), "3000.00");
  EXPECT_EQ(result->pooled_transfer.to_string(), "360.00");
}

TEST(TransferPooled, OnlyYearsBefore1998GiveZero) {
  auto result = compute_pooled_transfer(pooled({{1997, money("1500"), 12}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->counted_months, 0);
  EXPECT_EQ(result->pooled_transfer.to_string(), "0.00");
}

TEST(TransferPooled, SeveralEntriesOfOneYearUpToTwelveMonths) {
  auto result = compute_pooled_transfer(
      pooled({{2010, money("3000"), 6}, {2010, money("3600"), 6}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->counted_months, 12);
  EXPECT_EQ(result->counted_base_total.to_string(), "39600.00");
  EXPECT_EQ(result->pooled_transfer.to_string(), "4752.00");
}

TEST(TransferPooled, MonthsOfOneYearAboveTwelveAreInvalid) {
  auto result = compute_pooled_transfer(
      pooled({{2010, money("3000"), 6}, {2011, money("3000"), 12}, {2010, money("3600"), 7}}), store(), nullptr);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::invalid_input);
  // Also before 1998: the check does not depend on counting.
  auto early = compute_pooled_transfer(pooled({{1997, money("1"), 12}, {1997, money("1"), 1}}), store(), nullptr);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::invalid_input);
}

TEST(TransferPooled, EntryMonthsOutsideOneToTwelveAreInvalid) {
  for (int months : {0, 13, -1}) {
    auto result = compute_pooled_transfer(pooled({{2010, money("3000"), months}}), store(), nullptr);
    ASSERT_FALSE(result) << months;
    EXPECT_EQ(result.error().code, ErrorCode::invalid_input) << months;
  }
}

TEST(TransferPooled, EmptyListNegativeBaseAndNegativeRateAreInvalid) {
  EXPECT_EQ(compute_pooled_transfer(pooled({}), store(), nullptr).error().code, ErrorCode::invalid_input);
  EXPECT_EQ(compute_pooled_transfer(pooled({{2010, money("-1"), 1}}), store(), nullptr).error().code,
            ErrorCode::invalid_input);
  auto query = pooled({{2010, money("1000"), 1}});
  query.pooled_rate = *Decimal::parse("-0.01");
  EXPECT_EQ(compute_pooled_transfer(query, store(), nullptr).error().code, ErrorCode::invalid_input);
}

TEST(TransferPooled, RoundsHalfUpToTheFen) {
  // 0.12 × 1000.05 = 120.006
  auto result = compute_pooled_transfer(pooled({{2015, money("1000.05"), 1}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->pooled_transfer.to_string(), "120.01");
}

TEST(TransferPooled, RateOverrideReplacesTheStoreAndIsTraced) {
  auto query = pooled({{2015, money("5000"), 12}, {2016, money("5500"), 12}});
  query.pooled_rate = *Decimal::parse("0.16");
  Trace trace;
  auto result = compute_pooled_transfer(query, store(), &trace);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->pooled_transfer.to_string(), "20160.00");
  EXPECT_TRUE(has_override(trace, "pooled_rate"));
}

TEST(TransferPooled, TransferDateSelectsTheRule) {
  auto query = pooled({{2005, money("1000"), 12}});
  query.transfer_date = Date::of(2010, 1, 1);
  auto in_force = compute_pooled_transfer(query, store(), nullptr);
  ASSERT_TRUE(in_force);
  EXPECT_EQ(in_force->pooled_transfer.to_string(), "1440.00");
  query.transfer_date = Date::of(2009, 12, 31);
  auto before = compute_pooled_transfer(query, store(), nullptr);
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().code, ErrorCode::rule_missing);
}

TEST(TransferPooled, CaseInputValidation) {
  constexpr std::string_view kind = "transfer.pooled";
  auto ok = run_kind(kind, R"({"periods":[{"year":2015,"monthly_base":"4200","months":7}]})");
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->at("counted_months").as_int64(), 7);
  EXPECT_EQ(ok->at("counted_base_total").as_string(), "29400.00");
  EXPECT_EQ(ok->at("pooled_transfer").as_string(), "3528.00");

  auto overridden = run_kind(
      kind, R"({"periods":[{"year":2015,"monthly_base":"1000","months":12}],"parameters":{"pooled_rate":"0.16"}})");
  ASSERT_TRUE(overridden);
  EXPECT_EQ(overridden->at("pooled_transfer").as_string(), "1920.00");
  auto null_override = run_kind(
      kind, R"({"periods":[{"year":2015,"monthly_base":"1000","months":12}],"parameters":{"pooled_rate":null}})");
  ASSERT_TRUE(null_override);
  EXPECT_EQ(null_override->at("pooled_transfer").as_string(), "1440.00");

  const char* invalid_inputs[] = {
      R"({"periods":[]})",
      R"({})",
      R"({"periods":null})",
      R"({"periods":[{"year":2010,"monthly_base":"3000","months":13}]})",
      R"({"periods":[{"year":2010,"monthly_base":"3000","months":0}]})",
      R"({"periods":[{"year":2010,"monthly_base":"3000","months":6},{"year":2010,"monthly_base":"1","months":7}]})",
      R"({"periods":[{"year":2010,"monthly_base":3000,"months":12}]})",
      R"({"periods":[{"year":2010,"monthly_base":"3000.001","months":12}]})",
      R"({"periods":[{"year":2010,"monthly_base":"-3000","months":12}]})",
      R"({"periods":[{"year":2010,"monthly_base":"3000","months":"12"}]})",
      R"({"periods":[{"year":2010.5,"monthly_base":"3000","months":12}]})",
      R"({"periods":[{"year":-5,"monthly_base":"3000","months":12}]})",
      R"({"periods":[{"year":2010,"monthly_base":"3000","months":12,"extra":1}]})",
      R"({"periods":[{"year":2010,"monthly_base":"3000"}]})",
      R"({"periods":[2010]})",
      R"({"periods":[{"year":2010,"monthly_base":"3000","months":12}],"parameters":{"pooled_rate":"-0.1"}})",
      R"({"periods":[{"year":2010,"monthly_base":"3000","months":12}],"parameters":{"pooled_rate":0.1}})",
      R"({"periods":[{"year":2010,"monthly_base":"3000","months":12}],"parameters":{"rate":"0.1"}})",
      R"({"periods":[{"year":2010,"monthly_base":"3000","months":12}],"transfer_date":"2020-01-01"})",
  };
  for (const char* input : invalid_inputs) EXPECT_EQ(error_of(kind, input), ErrorCode::invalid_input) << input;
}

// ===========================================================================
// transfer.paying_region

PayingRegionQuery paying(int hukou, Sex sex, const char* birth, std::vector<Stint> history) {
  PayingRegionQuery query;
  query.hukou_region = hukou;
  query.sex = sex;
  query.birth_month = month(birth);
  query.history = std::move(history);
  return query;
}

TEST(TransferPayingRegion, Rule1RelationshipInTheHukouProvince) {
  auto result = compute_paying_region(
      paying(51, Sex::male, "1970-03", {{44, month("2000-01"), 96}, {51, month("2008-01"), 204}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->paying_region, 51);
  EXPECT_EQ(result->rule, PayingRule::hukou_region);
  EXPECT_EQ(result->relationship_region, 51);
  EXPECT_EQ(result->temporary_account, (std::vector<bool>{false, false}));
}

TEST(TransferPayingRegion, Rule2TenYearsInTheCurrentRegion) {
  auto result = compute_paying_region(
      paying(51, Sex::male, "1975-05", {{44, month("2000-01"), 144}, {33, month("2012-01"), 120}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->paying_region, 33);
  EXPECT_EQ(result->rule, PayingRule::current_region_10y);
}

TEST(TransferPayingRegion, Rule2CountsSeparateStintsOfOneRegion) {
  auto result = compute_paying_region(
      paying(51, Sex::male, "1975-01", {{44, month("2000-01"), 70}, {33, month("2006-01"), 10}, {44, month("2007-01"), 50}}),
      store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->paying_region, 44);
  EXPECT_EQ(result->rule, PayingRule::current_region_10y);
  EXPECT_EQ(result->counted_months_by_region.at(44), 120);
}

TEST(TransferPayingRegion, Rule3LatestEarlierTenYearRegion) {
  // CN-44 reaches 130 months, CN-33 125; CN-33's last stint ends later.
  auto result = compute_paying_region(paying(51, Sex::male, "1975-01",
                                             {{44, month("1995-01"), 130},
                                              {33, month("2006-01"), 125},
                                              {31, month("2017-01"), 24}}),
                                      store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->paying_region, 33);
  EXPECT_EQ(result->rule, PayingRule::previous_region_10y);
  EXPECT_EQ(result->relationship_region, 31);

  // A later stint in CN-44 makes its last stint end after CN-33's.
  auto returned = compute_paying_region(paying(51, Sex::male, "1975-01",
                                               {{44, month("1995-01"), 100},
                                                {33, month("2004-01"), 125},
                                                {44, month("2015-01"), 30},
                                                {31, month("2018-01"), 24}}),
                                        store(), nullptr);
  ASSERT_TRUE(returned);
  EXPECT_EQ(returned->paying_region, 44);
  EXPECT_EQ(returned->rule, PayingRule::previous_region_10y);
}

TEST(TransferPayingRegion, Rule3EvenWhenTheEarlierRegionIsTheHukouRegion) {
  auto result = compute_paying_region(
      paying(51, Sex::male, "1975-01", {{51, month("2000-01"), 150}, {44, month("2012-07"), 60}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->paying_region, 51);
  EXPECT_EQ(result->rule, PayingRule::previous_region_10y);
  EXPECT_EQ(result->relationship_region, 44);
}

TEST(TransferPayingRegion, Rule4HukouFallbackAt119Months) {
  auto result = compute_paying_region(
      paying(51, Sex::male, "1975-05", {{44, month("2000-01"), 119}, {33, month("2009-12"), 60}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->paying_region, 51);
  EXPECT_EQ(result->rule, PayingRule::hukou_fallback);
  EXPECT_EQ(result->relationship_region, 33);
}

TEST(TransferPayingRegion, ManTemporaryAccountExactlyAt600Months) {
  // Born 1965-02: 2015-02 is 600 months later, 2015-01 is 599.
  auto at = compute_paying_region(
      paying(51, Sex::male, "1965-02", {{44, month("2000-01"), 180}, {33, month("2015-02"), 60}}), store(), nullptr);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->temporary_account, (std::vector<bool>{false, true}));
  EXPECT_EQ(at->relationship_region, 44);
  EXPECT_EQ(at->paying_region, 44);
  EXPECT_EQ(at->rule, PayingRule::current_region_10y);

  auto before = compute_paying_region(
      paying(51, Sex::male, "1965-02", {{44, month("2000-01"), 180}, {33, month("2015-01"), 60}}), store(), nullptr);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->temporary_account, (std::vector<bool>{false, false}));
  EXPECT_EQ(before->relationship_region, 33);
  EXPECT_EQ(before->paying_region, 44);
  EXPECT_EQ(before->rule, PayingRule::previous_region_10y);
}

TEST(TransferPayingRegion, WomanTemporaryAccountExactlyAt480Months) {
  auto at = compute_paying_region(
      paying(51, Sex::female, "1975-06", {{44, month("2001-01"), 168}, {33, month("2015-06"), 60}}), store(), nullptr);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->temporary_account, (std::vector<bool>{false, true}));
  auto before = compute_paying_region(
      paying(51, Sex::female, "1975-06", {{44, month("2001-01"), 168}, {33, month("2015-05"), 60}}), store(), nullptr);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->temporary_account, (std::vector<bool>{false, false}));
  // The same move at 40y0m is not temporary for a man.
  auto man = compute_paying_region(
      paying(51, Sex::male, "1975-06", {{44, month("2001-01"), 168}, {33, month("2015-06"), 60}}), store(), nullptr);
  ASSERT_TRUE(man);
  EXPECT_EQ(man->temporary_account, (std::vector<bool>{false, false}));
}

TEST(TransferPayingRegion, ReturnToTheRelationshipRegionOpensNoTemporaryAccount) {
  auto result = compute_paying_region(paying(51, Sex::male, "1960-01",
                                             {{44, month("2000-01"), 100},
                                              {33, month("2012-01"), 24},
                                              {44, month("2014-01"), 24}}),
                                      store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->temporary_account, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(result->relationship_region, 44);
  EXPECT_EQ(result->counted_months_by_region.at(44), 124);
  EXPECT_FALSE(result->counted_months_by_region.contains(33));
  EXPECT_EQ(result->rule, PayingRule::current_region_10y);
}

TEST(TransferPayingRegion, MoveToTheHukouRegionAfterTheThresholdIsNotTemporary) {
  auto result = compute_paying_region(
      paying(51, Sex::male, "1960-01", {{44, month("2000-01"), 150}, {51, month("2013-01"), 24}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->temporary_account, (std::vector<bool>{false, false}));
  EXPECT_EQ(result->rule, PayingRule::hukou_region);
  EXPECT_EQ(result->paying_region, 51);
}

TEST(TransferPayingRegion, FirstEnrolmentOutsideTheHukouRegionAfterTheThreshold) {
  auto temporary =
      compute_paying_region(paying(51, Sex::female, "1968-03", {{31, month("2010-01"), 180}}), store(), nullptr);
  ASSERT_TRUE(temporary);
  EXPECT_EQ(temporary->temporary_account, (std::vector<bool>{true}));
  EXPECT_FALSE(temporary->relationship_region.has_value());
  EXPECT_EQ(temporary->paying_region, 51);
  EXPECT_EQ(temporary->rule, PayingRule::hukou_fallback);

  // With no relationship anywhere yet, a further stint outside the hukou region is temporary too.
  auto then_home = compute_paying_region(
      paying(51, Sex::female, "1968-03", {{31, month("2010-01"), 180}, {31, month("2025-01"), 12}}), store(), nullptr);
  ASSERT_TRUE(then_home);
  EXPECT_EQ(then_home->temporary_account, (std::vector<bool>{true, true}));

  auto approved = paying(51, Sex::female, "1968-03", {{31, month("2010-01"), 180}});
  approved.history[0].approved_transfer = true;
  auto exempt = compute_paying_region(approved, store(), nullptr);
  ASSERT_TRUE(exempt);
  EXPECT_EQ(exempt->temporary_account, (std::vector<bool>{false}));
  EXPECT_EQ(exempt->relationship_region, 31);
  EXPECT_EQ(exempt->rule, PayingRule::current_region_10y);
}

TEST(TransferPayingRegion, ApprovedTransferMovesTheRelationship) {
  auto query = paying(51, Sex::male, "1960-03", {{44, month("2000-01"), 180}, {33, month("2015-01"), 60}});
  query.history[1].approved_transfer = true;
  auto result = compute_paying_region(query, store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->temporary_account, (std::vector<bool>{false, false}));
  EXPECT_EQ(result->relationship_region, 33);
  EXPECT_EQ(result->paying_region, 44);
  EXPECT_EQ(result->rule, PayingRule::previous_region_10y);
}

TEST(TransferPayingRegion, TemporaryMonthsDoNotCountForTenYears) {
  // 150 months in CN-33 on a temporary account do not make it a 10-year region.
  auto result = compute_paying_region(
      paying(51, Sex::male, "1950-01", {{44, month("1995-01"), 60}, {33, month("2000-01"), 150}}), store(), nullptr);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->temporary_account, (std::vector<bool>{false, true}));
  EXPECT_EQ(result->relationship_region, 44);
  EXPECT_EQ(result->rule, PayingRule::hukou_fallback);
}

TEST(TransferPayingRegion, InvalidHistories) {
  const auto expect_invalid = [](const PayingRegionQuery& query, const char* what) {
    auto result = compute_paying_region(query, store(), nullptr);
    ASSERT_FALSE(result) << what;
    EXPECT_EQ(result.error().code, ErrorCode::invalid_input) << what;
  };
  expect_invalid(paying(51, Sex::male, "1970-01", {}), "empty history");
  expect_invalid(paying(51, Sex::male, "1990-05", {{44, month("1990-04"), 12}}), "stint before the birth month");
  expect_invalid(paying(51, Sex::male, "1970-01", {{44, month("2000-01"), 12}, {33, month("2000-12"), 12}}),
                 "overlap by one month");
  expect_invalid(paying(51, Sex::male, "1970-01", {{44, month("2005-01"), 12}, {33, month("2000-01"), 12}}),
                 "not chronological");
  expect_invalid(paying(51, Sex::male, "1970-01", {{44, month("2000-01"), 0}}), "zero months");
  expect_invalid(paying(99, Sex::male, "1970-01", {{44, month("2000-01"), 12}}), "unknown hukou province");
  expect_invalid(paying(51, Sex::male, "1970-01", {{10, month("2000-01"), 12}}), "unknown stint province");

  // Adjacent stints and a stint in the birth month are fine.
  auto adjacent = compute_paying_region(
      paying(51, Sex::male, "2000-01", {{44, month("2000-01"), 12}, {33, month("2001-01"), 12}}), store(), nullptr);
  EXPECT_TRUE(adjacent);
}

TEST(TransferPayingRegion, CaseInputValidation) {
  constexpr std::string_view kind = "transfer.paying_region";
  Trace trace;
  auto ok = run_kind(kind,
                     R"({"hukou_region":"CN-51","sex":"female","birth_month":"1968-03",
                         "history":[{"region":"CN-31","start_month":"2010-01","months":180,"approved_transfer":null}]})",
                     &trace);
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->at("paying_region").as_string(), "CN-51");
  EXPECT_EQ(ok->at("rule").as_string(), "hukou_fallback");
  EXPECT_TRUE(ok->at("relationship_region").is_null());
  EXPECT_EQ(ok->at("temporary_account").as_array().size(), 1u);
  EXPECT_TRUE(ok->at("temporary_account").as_array()[0].as_bool());
  EXPECT_FALSE(trace.steps().empty());

  const char* unknown_category[] = {
      R"({"hukou_region":"CN-51","sex":"x","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}]})",
      R"({"hukou_region":"CN-51","sex":1,"birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}]})",
      R"({"hukou_region":"CN-51","sex":"Male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}]})",
  };
  for (const char* input : unknown_category) EXPECT_EQ(error_of(kind, input), ErrorCode::unknown_category) << input;

  const char* invalid_inputs[] = {
      R"({"hukou_region":"CN-99","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}]})",
      R"({"hukou_region":"CN-5","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}]})",
      R"({"hukou_region":"51","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}]})",
      R"({"hukou_region":"cn-51","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}]})",
      R"({"hukou_region":51,"sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}]})",
      R"({"hukou_region":"CN-51","sex":"male","birth_month":"1970-01","history":[{"region":"CN-4A","start_month":"2000-01","months":12}]})",
      R"({"hukou_region":"CN-51","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-13","months":12}]})",
      R"({"hukou_region":"CN-51","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":0}]})",
      R"({"hukou_region":"CN-51","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12,"approved_transfer":"yes"}]})",
      R"({"hukou_region":"CN-51","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12,"approved":true}]})",
      R"({"hukou_region":"CN-51","sex":"male","birth_month":"1970-01","history":[]})",
      R"({"hukou_region":"CN-51","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}]})",
      R"({"hukou_region":"CN-51","sex":"male","birth_month":"1990-05","history":[{"region":"CN-44","start_month":"1990-01","months":12}]})",
      R"({"hukou_region":"CN-51","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12},{"region":"CN-33","start_month":"2000-06","months":12}]})",
      R"({"hukou_region":"CN-51","sex":"male","birth_month":"1970-01","history":[{"region":"CN-44","start_month":"2000-01","months":12}],"parameters":{"x":1}})",
  };
  for (const char* input : invalid_inputs) EXPECT_EQ(error_of(kind, input), ErrorCode::invalid_input) << input;
}

// ===========================================================================
// eu.period_conversion

std::int64_t convert(const char* value, PeriodUnit from, PeriodUnit to, DayScheme scheme) {
  PeriodConversionQuery query;
  query.value = *Decimal::parse(value);
  query.from_unit = from;
  query.to_unit = to;
  query.scheme = scheme;
  auto result = convert_period(query, store(), nullptr);
  EXPECT_TRUE(result) << value << " " << to_string(from) << " → " << to_string(to) << ": "
                      << (result ? "" : result.error().to_string());
  return result ? result->result : -1;
}

TEST(EuPeriodConversion, PublishedExamples) {
  using U = PeriodUnit;
  EXPECT_EQ(convert("130", U::day, U::month, DayScheme::six_day), 5);
  EXPECT_EQ(convert("67", U::day, U::month, DayScheme::five_day), 4);
  EXPECT_EQ(convert("66", U::day, U::quarter, DayScheme::five_day), 1);
  EXPECT_EQ(convert("10", U::week, U::month, DayScheme::non_day), 3);
  EXPECT_EQ(convert("40", U::hour, U::day, DayScheme::five_day), 5);
}

TEST(EuPeriodConversion, FractionsAreRaisedToTheNextWholeUnit) {
  using U = PeriodUnit;
  EXPECT_EQ(convert("66", U::day, U::month, DayScheme::five_day), 3);  // exactly 3
  EXPECT_EQ(convert("67", U::day, U::quarter, DayScheme::five_day), 2);
  EXPECT_EQ(convert("36", U::hour, U::day, DayScheme::five_day), 4);   // exactly 4
  EXPECT_EQ(convert("37", U::hour, U::day, DayScheme::five_day), 5);
  EXPECT_EQ(convert("2.5", U::year, U::month, DayScheme::non_day), 30);
  EXPECT_EQ(convert("0.01", U::year, U::month, DayScheme::non_day), 1);
  EXPECT_EQ(convert("0", U::week, U::month, DayScheme::non_day), 0);
  EXPECT_EQ(convert("4.2", U::month, U::month, DayScheme::non_day), 5);
}

TEST(EuPeriodConversion, CalendarUnitsUseArticle13_1cInEveryScheme) {
  using U = PeriodUnit;
  for (DayScheme scheme : {DayScheme::five_day, DayScheme::six_day, DayScheme::seven_day, DayScheme::non_day}) {
    EXPECT_EQ(convert("1", U::year, U::week, scheme), 52) << to_string(scheme);
    EXPECT_EQ(convert("1", U::year, U::quarter, scheme), 4) << to_string(scheme);
    EXPECT_EQ(convert("1", U::year, U::month, scheme), 12) << to_string(scheme);
    EXPECT_EQ(convert("13", U::week, U::quarter, scheme), 1) << to_string(scheme);
    EXPECT_EQ(convert("14", U::week, U::quarter, scheme), 2) << to_string(scheme);
    EXPECT_EQ(convert("3", U::month, U::quarter, scheme), 1) << to_string(scheme);
  }
}

TEST(EuPeriodConversion, DaysAndHoursUseTheSchemesOwnRowWithoutYearlyCap) {
  using U = PeriodUnit;
  EXPECT_EQ(convert("365", U::day, U::month, DayScheme::seven_day), 13);
  EXPECT_EQ(convert("1", U::quarter, U::day, DayScheme::seven_day), 90);
  EXPECT_EQ(convert("1", U::year, U::day, DayScheme::five_day), 264);
  EXPECT_EQ(convert("1", U::year, U::day, DayScheme::six_day), 312);
  EXPECT_EQ(convert("1", U::year, U::day, DayScheme::seven_day), 360);
  EXPECT_EQ(convert("311", U::day, U::month, DayScheme::six_day), 12);
  EXPECT_EQ(convert("1", U::week, U::hour, DayScheme::seven_day), 42);
  EXPECT_EQ(convert("1", U::day, U::hour, DayScheme::six_day), 8);
}

TEST(EuPeriodConversion, HourOrDayInANonDaySchemeIsOutOfRange) {
  using U = PeriodUnit;
  for (auto [from, to] : std::vector<std::pair<U, U>>{
           {U::hour, U::month}, {U::day, U::week}, {U::month, U::day}, {U::week, U::hour}, {U::day, U::day}}) {
    PeriodConversionQuery query;
    query.value = Decimal::from_int(10);
    query.from_unit = from;
    query.to_unit = to;
    query.scheme = DayScheme::non_day;
    auto result = convert_period(query, store(), nullptr);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::out_of_range);
  }
}

TEST(EuPeriodConversion, NegativeValueIsInvalid) {
  PeriodConversionQuery query;
  query.value = *Decimal::parse("-3");
  query.from_unit = PeriodUnit::week;
  query.to_unit = PeriodUnit::month;
  auto result = convert_period(query, store(), nullptr);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::invalid_input);
}

TEST(EuPeriodConversion, CaseInputValidation) {
  constexpr std::string_view kind = "eu.period_conversion";
  Trace trace;
  auto ok = run_kind(kind, R"({"value":"130","from_unit":"day","to_unit":"month","scheme":"6_day"})", &trace);
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->at("result").as_int64(), 5);
  EXPECT_FALSE(trace.steps().empty());

  EXPECT_EQ(error_of(kind, R"({"value":"10","from_unit":"hour","to_unit":"month","scheme":"non_day"})"),
            ErrorCode::out_of_range);
  const char* unknown_category[] = {
      R"({"value":"1","from_unit":"fortnight","to_unit":"month","scheme":"non_day"})",
      R"({"value":"1","from_unit":"week","to_unit":"months","scheme":"non_day"})",
      R"({"value":"1","from_unit":"week","to_unit":"month","scheme":"4_day"})",
      R"({"value":"1","from_unit":"week","to_unit":"month","scheme":6})",
  };
  for (const char* input : unknown_category) EXPECT_EQ(error_of(kind, input), ErrorCode::unknown_category) << input;
  const char* invalid_inputs[] = {
      R"({"value":"-3","from_unit":"week","to_unit":"month","scheme":"non_day"})",
      R"({"value":"1e2","from_unit":"day","to_unit":"week","scheme":"7_day"})",
      R"({"value":100,"from_unit":"day","to_unit":"week","scheme":"7_day"})",
      R"({"value":".5","from_unit":"day","to_unit":"week","scheme":"7_day"})",
      R"({"value":"5.","from_unit":"day","to_unit":"week","scheme":"7_day"})",
      R"({"value":"+5","from_unit":"day","to_unit":"week","scheme":"7_day"})",
      R"({"from_unit":"day","to_unit":"week","scheme":"7_day"})",
      R"({"value":"5","from_unit":"day","to_unit":"week"})",
      R"({"value":"5","from_unit":"day","to_unit":"week","scheme":"7_day","unit":"x"})",
      R"({"value":"5","from_unit":"day","to_unit":"week","scheme":"7_day","parameters":{"x":true}})",
  };
  for (const char* input : invalid_inputs) EXPECT_EQ(error_of(kind, input), ErrorCode::invalid_input) << input;
}

// ===========================================================================
// eu.prorata

ProRataCountry country(const char* label, std::int64_t months, std::optional<const char*> theoretical,
                       std::optional<const char*> independent = std::nullopt) {
  ProRataCountry c;
  c.country = label;
  c.periods_months = months;
  if (theoretical) c.theoretical_amount = money(*theoretical);
  if (independent) c.independent_amount = money(*independent);
  return c;
}

ProRataResult awards(std::vector<ProRataCountry> countries, std::optional<bool> keep_released = std::nullopt) {
  ProRataQuery query;
  query.countries = std::move(countries);
  query.art57_released_periods_in_denominator = keep_released;
  auto result = compute_prorata_awards(query, store(), nullptr);
  EXPECT_TRUE(result) << (result ? "" : result.error().to_string());
  return result ? *result : ProRataResult{};
}

ErrorCode award_error(std::vector<ProRataCountry> countries) {
  ProRataQuery query;
  query.countries = std::move(countries);
  auto result = compute_prorata_awards(query, store(), nullptr);
  EXPECT_FALSE(result);
  return result ? ErrorCode::internal : result.error().code;
}

void expect_award(const CountryAward& award, const char* country, std::optional<const char*> pro_rata,
                  const char* payment, AwardMethod method) {
  EXPECT_EQ(award.country, country);
  if (pro_rata) {
    ASSERT_TRUE(award.pro_rata_amount.has_value()) << country;
    EXPECT_EQ(award.pro_rata_amount->to_string(), *pro_rata) << country;
  } else {
    EXPECT_FALSE(award.pro_rata_amount.has_value()) << country;
  }
  EXPECT_EQ(award.payment.to_string(), payment) << country;
  EXPECT_EQ(award.method, method) << country << ": " << to_string(award.method);
}

TEST(EuProRata, Article56MaximumReplacesALargerTotal) {
  // A: full at 40 years, 18 years; B: maximum 50 years, 24 years (rules §11.3).
  auto a = country("A", 18 * 12, "800.00");
  a.maximum_period_months = 40 * 12;
  auto b = country("B", 24 * 12, "920.00");
  b.maximum_period_months = 50 * 12;
  auto result = awards({a, b});
  ASSERT_EQ(result.payments.size(), 2u);
  expect_award(result.payments[0], "A", "360.00", "360.00", AwardMethod::pro_rata);
  expect_award(result.payments[1], "B", "525.71", "525.71", AwardMethod::pro_rata);
  EXPECT_EQ(result.assessments[0].ratio_denominator, 480);
  EXPECT_EQ(result.assessments[1].ratio_denominator, 504);
}

TEST(EuProRata, Article56RatioIsCappedAtOne) {
  auto a = country("A", 500, "1000.00");
  a.maximum_period_months = 480;
  auto result = awards({a, country("B", 100, std::nullopt)});
  ASSERT_EQ(result.payments.size(), 1u);
  expect_award(result.payments[0], "A", "1000.00", "1000.00", AwardMethod::pro_rata);
}

TEST(EuProRata, RosaSpainPaysAThird) {
  auto result = awards({country("ES", 120, "1200.00"), country("FR", 240, std::nullopt)});
  ASSERT_EQ(result.payments.size(), 1u);
  expect_award(result.payments[0], "ES", "400.00", "400.00", AwardMethod::pro_rata);
  EXPECT_EQ(result.aggregated_months, 360);
}

TEST(EuProRata, ReleasedStateLeavesTheDenominatorByDefault) {
  // 10 months in X, 30 years in Y: X pays nothing, Y pays 925 × 360/360.
  auto result = awards({country("X", 10, "370.00"), country("Y", 360, "925.00", "900.00")});
  ASSERT_EQ(result.payments.size(), 2u);
  expect_award(result.payments[0], "X", std::nullopt, "0.00", AwardMethod::art57_no_payment);
  expect_award(result.payments[1], "Y", "925.00", "925.00", AwardMethod::pro_rata);
  EXPECT_TRUE(result.assessments[0].released);
  EXPECT_EQ(result.denominator_months, 360);
}

TEST(EuProRata, ReleasedPeriodsKeptInTheDenominatorWhenOverridden) {
  ProRataQuery query;
  query.countries = {country("X", 10, "370.00"), country("Y", 360, "925.00", "900.00")};
  query.art57_released_periods_in_denominator = true;
  Trace trace;
  auto result = compute_prorata_awards(query, store(), &trace);
  ASSERT_TRUE(result);
  // 925 × 360/370 = 900.00: a tie with the independent amount counts as pro_rata.
  expect_award(result->payments[1], "Y", "900.00", "900.00", AwardMethod::pro_rata);
  EXPECT_TRUE(has_override(trace, "art57_released_periods_in_denominator"));
}

TEST(EuProRata, OneYearBoundaryInMonths) {
  auto eleven = awards({country("X", 11, "371.00"), country("Y", 360, "927.50", "900.00")});
  expect_award(eleven.payments[0], "X", std::nullopt, "0.00", AwardMethod::art57_no_payment);
  expect_award(eleven.payments[1], "Y", "927.50", "927.50", AwardMethod::pro_rata);
  auto twelve = awards({country("X", 12, "372.00"), country("Y", 360, "930.00", "900.00")});
  expect_award(twelve.payments[0], "X", "12.00", "12.00", AwardMethod::pro_rata);
  expect_award(twelve.payments[1], "Y", "900.00", "900.00", AwardMethod::pro_rata);
}

TEST(EuProRata, OneYearTestInNativeUnits) {
  const auto released = [](std::int64_t value, PeriodUnit unit, std::optional<DayScheme> scheme) {
    auto x = country("X", 12, "360.00");
    x.native_periods = NativePeriods{value, unit, scheme};
    return awards({x, country("Y", 360, "930.00", "900.00")}).assessments.at(0).released;
  };
  EXPECT_TRUE(released(311, PeriodUnit::day, DayScheme::six_day));
  EXPECT_FALSE(released(312, PeriodUnit::day, DayScheme::six_day));
  EXPECT_TRUE(released(263, PeriodUnit::day, DayScheme::five_day));
  EXPECT_FALSE(released(264, PeriodUnit::day, DayScheme::five_day));
  EXPECT_TRUE(released(359, PeriodUnit::day, DayScheme::seven_day));
  EXPECT_FALSE(released(360, PeriodUnit::day, DayScheme::seven_day));
  EXPECT_TRUE(released(51, PeriodUnit::week, std::nullopt));
  EXPECT_FALSE(released(52, PeriodUnit::week, std::nullopt));
  EXPECT_TRUE(released(3, PeriodUnit::quarter, std::nullopt));
  EXPECT_FALSE(released(4, PeriodUnit::quarter, DayScheme::five_day));
  EXPECT_TRUE(released(11, PeriodUnit::month, std::nullopt));
  EXPECT_FALSE(released(12, PeriodUnit::month, std::nullopt));
}

TEST(EuProRata, EntitlementOnOwnPeriodsPreventsRelease) {
  auto result = awards({country("X", 8, "100.00", "50.00"), country("Y", 352, "900.00")});
  EXPECT_FALSE(result.assessments[0].released);
  // 100 × 8/360 = 2.22 < 50: the independent amount is higher.
  expect_award(result.payments[0], "X", "2.22", "50.00", AwardMethod::independent);
  expect_award(result.payments[1], "Y", "880.00", "880.00", AwardMethod::pro_rata);
}

TEST(EuProRata, IndependentHigherThanProRata) {
  auto result = awards({country("DE", 300, "1300.00", "1200.00"), country("FR", 120, std::nullopt)});
  expect_award(result.payments[0], "DE", "928.57", "1200.00", AwardMethod::independent);
}

TEST(EuProRata, PeriodsOnlyEntries) {
  // Released (8 months, no entitlement): leaves the denominator.
  auto released = awards({country("A", 300, "1000.00"), country("B", 8, std::nullopt)});
  ASSERT_EQ(released.payments.size(), 1u);
  expect_award(released.payments[0], "A", "1000.00", "1000.00", AwardMethod::pro_rata);
  // Entitled on its own periods: not released, stays in the denominator.
  auto b = country("B", 8, std::nullopt);
  b.entitled_on_own_periods = true;
  auto entitled = awards({country("A", 300, "1000.00"), b});
  expect_award(entitled.payments[0], "A", "974.03", "974.03", AwardMethod::pro_rata);
  // An independent amount on a periods-only entry states the entitlement by default.
  auto kept = awards({country("A", 300, "1000.00"), country("B", 8, std::nullopt, "10.00")});
  expect_award(kept.payments[0], "A", "974.03", "974.03", AwardMethod::pro_rata);
}

TEST(EuProRata, NoEntitlementEvenWithAggregation) {
  auto a = country("A", 60, "300.00");
  a.conditions_met_on_aggregation = false;
  auto result = awards({a, country("B", 300, "900.00", "800.00")});
  expect_award(result.payments[0], "A", std::nullopt, "0.00", AwardMethod::no_entitlement);
  // A's periods still count: 900 × 300/360 = 750 < 800.
  expect_award(result.payments[1], "B", "750.00", "800.00", AwardMethod::independent);
}

TEST(EuProRata, AnnexViiiPart1WaivesOnlyWithAnIndependentAmount) {
  auto with_independent = country("A", 200, "1000.00", "400.00");
  with_independent.annex_viii_part1 = true;
  auto waived = awards({with_independent, country("B", 200, std::nullopt)});
  expect_award(waived.payments[0], "A", std::nullopt, "400.00", AwardMethod::independent_annex_viii);

  auto without = country("A", 200, "1000.00");
  without.annex_viii_part1 = true;
  auto computed = awards({without, country("B", 200, std::nullopt)});
  expect_award(computed.payments[0], "A", "500.00", "500.00", AwardMethod::pro_rata);
}

TEST(EuProRata, Article57_3LastStateWhoseConditionsAreMetPays) {
  auto a = country("A", 8, "150.00");
  a.conditions_met_on_aggregation = false;
  auto b = country("B", 10, "45.00");
  auto result = awards({a, b});
  EXPECT_TRUE(result.every_state_released);
  expect_award(result.payments[0], "A", std::nullopt, "0.00", AwardMethod::art57_no_payment);
  expect_award(result.payments[1], "B", std::nullopt, "45.00", AwardMethod::art57_3_last_state);

  // The last state in order pays, not the one with more periods.
  auto both = awards({country("A", 11, "150.00"), country("B", 3, "45.00")});
  expect_award(both.payments[0], "A", std::nullopt, "0.00", AwardMethod::art57_no_payment);
  expect_award(both.payments[1], "B", std::nullopt, "45.00", AwardMethod::art57_3_last_state);

  // A released periods-only entry counts in the test; when it is the last state, nobody listed pays.
  auto periods_only_last = awards({country("A", 11, "150.00"), country("B", 3, std::nullopt)});
  ASSERT_EQ(periods_only_last.payments.size(), 1u);
  expect_award(periods_only_last.payments[0], "A", std::nullopt, "0.00", AwardMethod::art57_no_payment);

  // A periods-only entry that is not released prevents 57(3).
  auto c = country("C", 30, std::nullopt);
  auto not_all = awards({country("A", 11, "150.00"), country("B", 3, "45.00"), c});
  EXPECT_FALSE(not_all.every_state_released);
  expect_award(not_all.payments[1], "B", std::nullopt, "0.00", AwardMethod::art57_no_payment);
}

TEST(EuProRata, InvalidQueries) {
  EXPECT_EQ(award_error({country("A", 100, "100.00")}), ErrorCode::invalid_input);
  EXPECT_EQ(award_error({country("A", 100, "100.00"), country("A", 100, std::nullopt)}), ErrorCode::invalid_input);
  EXPECT_EQ(award_error({country("A", -3, "100.00"), country("B", 100, std::nullopt)}), ErrorCode::invalid_input);
  EXPECT_EQ(award_error({country("A", 100, "-1.00"), country("B", 100, std::nullopt)}), ErrorCode::invalid_input);
  EXPECT_EQ(award_error({country("A", 100, "100.00", "-1.00"), country("B", 100, std::nullopt)}),
            ErrorCode::invalid_input);

  auto contradicts = country("A", 100, "100.00");
  contradicts.entitled_on_own_periods = true;
  EXPECT_EQ(award_error({contradicts, country("B", 100, std::nullopt)}), ErrorCode::invalid_input);
  auto contradicts_too = country("A", 100, "100.00", "50.00");
  contradicts_too.entitled_on_own_periods = false;
  EXPECT_EQ(award_error({contradicts_too, country("B", 100, std::nullopt)}), ErrorCode::invalid_input);

  auto entitled_not_met = country("A", 100, "100.00", "50.00");
  entitled_not_met.conditions_met_on_aggregation = false;
  EXPECT_EQ(award_error({entitled_not_met, country("B", 100, std::nullopt)}), ErrorCode::invalid_input);

  auto days_without_scheme = country("A", 12, "100.00");
  days_without_scheme.native_periods = NativePeriods{300, PeriodUnit::day, std::nullopt};
  EXPECT_EQ(award_error({days_without_scheme, country("B", 100, std::nullopt)}), ErrorCode::invalid_input);

  auto zero_maximum = country("A", 100, "100.00");
  zero_maximum.maximum_period_months = 0;
  EXPECT_EQ(award_error({zero_maximum, country("B", 100, std::nullopt)}), ErrorCode::invalid_input);

  // Entitled on own periods with no periods anywhere: the denominator would be 0.
  EXPECT_EQ(award_error({country("A", 0, "100.00", "50.00"), country("B", 0, std::nullopt)}),
            ErrorCode::invalid_input);
}

TEST(EuProRata, CaseInputValidation) {
  constexpr std::string_view kind = "eu.prorata";
  auto ok = run_kind(kind, R"({"countries":[
      {"country":"X","periods_months":10,"theoretical_amount":"370.00","independent_amount":null},
      {"country":"Y","periods_months":360,"theoretical_amount":"925.00","independent_amount":"900.00"}]})");
  ASSERT_TRUE(ok) << ok.error().to_string();
  const auto& payments = ok->at("payments").as_array();
  ASSERT_EQ(payments.size(), 2u);
  EXPECT_TRUE(payments[0].as_object().at("pro_rata_amount").is_null());
  EXPECT_EQ(payments[0].as_object().at("payment").as_string(), "0.00");
  EXPECT_EQ(payments[0].as_object().at("method").as_string(), "art57_no_payment");
  EXPECT_EQ(payments[1].as_object().at("pro_rata_amount").as_string(), "925.00");

  auto native_ok = run_kind(kind, R"({"countries":[
      {"country":"X","periods_months":12,"native_periods":{"value":52,"unit":"week","scheme":null},"theoretical_amount":"10.00"},
      {"country":"Y","periods_months":360}],"parameters":{"art57_released_periods_in_denominator":null}})");
  ASSERT_TRUE(native_ok) << native_ok.error().to_string();
  EXPECT_EQ(native_ok->at("payments").as_array()[0].as_object().at("method").as_string(), "pro_rata");

  const char* unknown_category[] = {
      R"({"countries":[{"country":"X","periods_months":12,"native_periods":{"value":300,"unit":"day","scheme":"non_day"},"theoretical_amount":"10.00"},{"country":"Y","periods_months":360}]})",
      R"({"countries":[{"country":"X","periods_months":12,"native_periods":{"value":1,"unit":"year"},"theoretical_amount":"10.00"},{"country":"Y","periods_months":360}]})",
      R"({"countries":[{"country":"X","periods_months":12,"native_periods":{"value":60,"unit":"week","scheme":"4_day"},"theoretical_amount":"10.00"},{"country":"Y","periods_months":360}]})",
  };
  for (const char* input : unknown_category) EXPECT_EQ(error_of(kind, input), ErrorCode::unknown_category) << input;

  const char* invalid_inputs[] = {
      R"({"countries":[{"country":"A","periods_months":-3,"theoretical_amount":"100.00"},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":"100.00"}]})",
      R"({"countries":[]})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":"100.00"},{"country":"A","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":"100.001"},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":100},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":"100","theoretical_amount":"100.00"},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":"100.00","maximum_period_months":0},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":"100.00","entitled_on_own_periods":true},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":"100.00","independent_amount":"50.00","conditions_met_on_aggregation":false},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":12,"native_periods":{"value":300,"unit":"day"},"theoretical_amount":"100.00"},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":12,"native_periods":{"value":-1,"unit":"month"},"theoretical_amount":"100.00"},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":12,"native_periods":{"value":12,"unit":"month","days":3},"theoretical_amount":"100.00"},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":"100.00","annex_viii":true},{"country":"B","periods_months":100}]})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":"100.00"},{"country":"B","periods_months":100}],"parameters":{"art57_released_periods_in_denominator":"true"}})",
      R"({"countries":[{"country":"A","periods_months":100,"theoretical_amount":"100.00"},{"country":"B","periods_months":100}],"parameters":{"pooled_rate":"0.1"}})",
      R"({"countries":[{"country":"A","periods_months":0,"theoretical_amount":"100.00","independent_amount":"10.00"},{"country":"B","periods_months":0}]})",
      R"({"countries":[{"periods_months":100,"theoretical_amount":"100.00"},{"country":"B","periods_months":100}]})",
  };
  for (const char* input : invalid_inputs) EXPECT_EQ(error_of(kind, input), ErrorCode::invalid_input) << input;
}

}  // namespace
