// Loading the rules data: what is accepted, and every way it is refused.
#include <gtest/gtest.h>

#include "ingest/rules_files.h"
#include "rules/parameter_store.h"

namespace {
using namespace shebao;
using rules::ParameterStore;
using rules::RulesFile;

Result<ParameterStore> load(std::string content) {
  return ParameterStore::load({RulesFile{"rules/test.toml", std::move(content)}});
}

const char* kRate1 = R"(
[[employer_pension_rate]]
from = 1998-01-01
to = 2019-04-30
value = "0.20"
rule = "R1"
status = "unconfirmed"
source = "s1"
)";

const char* kRate2 = R"(
[[employer_pension_rate]]
from = 2019-05-01
value = "0.16"
rule = "R2"
status = "confirmed"
source = "s2"
)";

void expect_refused(const std::string& content, std::string_view location, std::string_view words) {
  auto store = load(content);
  ASSERT_FALSE(store) << content;
  EXPECT_EQ(store.error().code, ErrorCode::rules_invalid);
  EXPECT_EQ(store.error().field, location) << store.error().to_string();
  EXPECT_NE(store.error().message.find(words), std::string::npos) << store.error().to_string();
}

TEST(ParameterStore, FindsTheEntryInForce) {
  auto store = load(std::string(kRate1) + kRate2);
  ASSERT_TRUE(store) << store.error().to_string();
  auto before = store->find("employer_pension_rate", YearMonth::of(2019, 4));
  auto after = store->find("employer_pension_rate", YearMonth::of(2019, 5));
  ASSERT_TRUE(before && after);
  EXPECT_EQ((*before)->number.to_string(), "0.2");
  EXPECT_EQ((*after)->number.to_string(), "0.16");
  EXPECT_EQ((*after)->period(), "2019-05-01..open");
  EXPECT_EQ((*after)->location(), "rules/test.toml:10");
  auto missing = store->find("employer_pension_rate", YearMonth::of(1997, 12));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::rule_missing);
}

TEST(ParameterStore, ProvincesFallBackToTheNationalSeries) {
  auto store = load(std::string(kRate1) + kRate2 + R"(
[[employer_pension_rate]]
jurisdiction = "CN-43"
from = 2016-05-01
to = 2019-04-30
value = "0.19"
rule = "R3"
status = "confirmed"
source = "s3"
)");
  ASSERT_TRUE(store) << store.error().to_string();
  EXPECT_EQ((*store->find("employer_pension_rate", YearMonth::of(2017, 1), "CN-43"))->number.to_string(), "0.19");
  EXPECT_EQ((*store->find("employer_pension_rate", YearMonth::of(2017, 1), "CN-44"))->number.to_string(), "0.2");
  // A province with its own series does not borrow the national value for months it does not cover.
  EXPECT_FALSE(store->find("employer_pension_rate", YearMonth::of(2020, 1), "CN-43"));
}

TEST(ParameterStore, RefusesOverlappingPeriods) {
  expect_refused(std::string(kRate1) + R"(
[[employer_pension_rate]]
from = 2019-04-01
value = "0.16"
rule = "R2"
status = "confirmed"
source = "s2"
)",
                 "rules/test.toml:10", "overlaps");
}

TEST(ParameterStore, RefusesGapsInContinuousSeries) {
  expect_refused(std::string(kRate1) + R"(
[[employer_pension_rate]]
from = 2019-06-01
value = "0.16"
rule = "R2"
status = "confirmed"
source = "s2"
)",
                 "rules/test.toml:10", "gap");
}

TEST(ParameterStore, AllowsGapsWhereTheSchemaDoes) {
  auto store = load(R"(
[[covid_employer_relief_factor]]
variant = "large"
from = 2020-02-01
to = 2020-06-30
value = "0.5"
rule = "R"
status = "confirmed"
source = "s"

[[covid_employer_relief_factor]]
variant = "large"
from = 2022-01-01
to = 2022-02-28
value = "0.5"
rule = "R"
status = "confirmed"
source = "s"
)");
  EXPECT_TRUE(store) << store.error().to_string();
}

TEST(ParameterStore, RefusesUnknownParametersAndFields) {
  expect_refused("[[employer_pension_rat]]\nfrom = 2019-05-01\n", "rules/test.toml:1", "unknown parameter");
  expect_refused(R"(
[[employer_pension_rate]]
from = 2019-05-01
value = "0.16"
rule = "R"
status = "confirmed"
source = "s"
sorce = "typo"
)",
                 "rules/test.toml:8", "unknown field 'sorce'");
}

TEST(ParameterStore, RefusesValuesOutsideTheDomain) {
  expect_refused(R"(
[[employer_pension_rate]]
from = 2019-05-01
value = "1.6"
rule = "R"
status = "confirmed"
source = "s"
)",
                 "rules/test.toml:2", "above the maximum");
  expect_refused(R"(
[[employer_pension_rate]]
from = 2019-05-01
value = 0.16
rule = "R"
status = "confirmed"
source = "s"
)",
                 "rules/test.toml:2", "as strings");
  expect_refused(R"(
[[minimum_contribution_months]]
from = 2030-01-01
value = "186.5"
rule = "R"
status = "confirmed"
source = "s"
)",
                 "rules/test.toml:2", "whole number");
  expect_refused(R"(
[[resident_min_basic_pension]]
from = 2025-01-01
value = "143.001"
rule = "R"
status = "confirmed"
source = "s"
)",
                 "rules/test.toml:2", "two decimals");
}

TEST(ParameterStore, RefusesMissingSourcesAndBadStatus) {
  expect_refused("[[employer_pension_rate]]\nfrom = 2019-05-01\nvalue = \"0.16\"\nrule = \"R\"\nstatus = \"confirmed\"\n",
                 "rules/test.toml:1", "missing field 'source'");
  expect_refused(
      "[[employer_pension_rate]]\nfrom = 2019-05-01\nvalue = \"0.16\"\nrule = \"R\"\nstatus = \"maybe\"\nsource = \"s\"\n",
      "rules/test.toml:1", "status");
}

TEST(ParameterStore, RefusesBadDatesVariantsAndJurisdictions) {
  const std::string tail = "value = \"0.16\"\nrule = \"R\"\nstatus = \"confirmed\"\nsource = \"s\"\n";
  expect_refused("[[employer_pension_rate]]\nfrom = 2019-05-02\n" + tail, "rules/test.toml:1", "first day of a month");
  expect_refused("[[employer_pension_rate]]\nfrom = \"2019-05-01\"\n" + tail, "rules/test.toml:1", "TOML date");
  expect_refused("[[employer_pension_rate]]\nfrom = 2019-05-01\nto = 2019-04-30\n" + tail, "rules/test.toml:1",
                 "before 'from'");
  expect_refused("[[employer_pension_rate]]\nvariant = \"male\"\nfrom = 2019-05-01\n" + tail, "rules/test.toml:1",
                 "no variant");
  expect_refused("[[employer_pension_rate]]\njurisdiction = \"CN-99\"\nfrom = 2019-05-01\n" + tail,
                 "rules/test.toml:1", "jurisdiction");
  expect_refused("[[account_credit_rate]]\njurisdiction = \"CN-11\"\nfrom = 2019-05-01\n" + tail, "rules/test.toml:1",
                 "national");
  expect_refused("[[employer_pension_rate]]\nfrom = 2019-05-01\n" + tail + "[broken", "rules/test.toml:7",
                 "TOML syntax");
}

TEST(ParameterStore, TheShippedRulesLoad) {
  auto store = ingest::load_rules_directory(SHEBAO_RULES_DIR);
  ASSERT_TRUE(store) << store.error().to_string();
  EXPECT_GT(store->entry_count(), 50u);
  // Every entry names its rule, status and source.
  for (const auto& schema : rules::parameter_schema()) {
    for (std::string_view jurisdiction : {"CN", "EU"}) {
      for (const auto& entry : store->series(schema.key, jurisdiction)) {
        EXPECT_FALSE(entry.source.empty()) << entry.location();
        EXPECT_FALSE(entry.rule_id.empty()) << entry.location();
      }
    }
  }
  auto divisor = store->find("pension_divisor", YearMonth::of(2024, 4));
  ASSERT_TRUE(divisor);
  EXPECT_EQ((*divisor)->table_value(60)->to_string(), "139");
  EXPECT_EQ((*divisor)->table_value(47)->to_string(), "207");
  EXPECT_FALSE((*divisor)->table_value(71));
  // Interest for 2025 is not published: no value.
  EXPECT_FALSE(store->find("account_interest_rate", YearMonth::of(2025, 6)));
}

TEST(RulesFiles, MissingDirectoryIsAnIoError) {
  auto store = ingest::load_rules_directory("/nonexistent/rules");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::io_error);
}

}  // namespace
