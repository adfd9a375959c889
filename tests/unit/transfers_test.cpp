// Transfers between provinces: amounts, refusals and entries (pure part).
#include <gtest/gtest.h>

#include "ingest/rules_files.h"
#include "portability/transfers.h"

namespace {

using namespace shebao;
using portability::Transfer;

const rules::ParameterStore& rules_store() {
  static const rules::ParameterStore loaded = *ingest::load_rules_directory(SHEBAO_RULES_DIR);
  return loaded;
}

registry::Person person(registry::Sex sex, Date birth, std::string hukou) {
  registry::Person p;
  p.person_id = 7;
  p.sex = sex;
  p.birth_date = birth;
  p.hukou_region = std::move(hukou);
  return p;
}

collection::DeclaredPersonMonth month(int year, int m, std::int64_t wage_fen, std::string region = "440300") {
  collection::DeclaredPersonMonth d;
  d.person_id = 7;
  d.employer_id = 3;
  d.employer_region = std::move(region);
  d.employer_size = registry::EmployerSize::large;
  d.month = YearMonth::of(year, m);
  d.declared_wage = Money::from_fen(wage_fen);
  return d;
}

Transfer request(Date on, int from = 44, int to = 51) {
  Transfer t;
  t.transfer_id = 12;
  t.person_id = 7;
  t.from_province = from;
  t.to_province = to;
  t.requested_on = on;
  return t;
}

TEST(Transfers, PooledPartIsTwelvePercentOfTheActualBases) {
  // 2025: 12 months at 8000 (inside the band 6034.80 .. 30174.00); 2026: 3 months at 40000 → ceiling 30174.00.
  std::vector<collection::DeclaredPersonMonth> months;
  for (int m = 1; m <= 12; ++m) months.push_back(month(2025, m, 800000));
  for (int m = 1; m <= 3; ++m) months.push_back(month(2026, m, 4000000));
  auto computed = portability::compute_transfer(person(registry::Sex::male, Date::of(1990, 3, 3), "510100"),
                                                request(Date::of(2026, 5, 1)), months, 1234567, rules_store(), nullptr);
  ASSERT_TRUE(computed) << computed.error().to_string();
  EXPECT_FALSE(computed->refused);
  EXPECT_EQ(computed->counted_months, 15);
  // 0.12 × (12 × 8000 + 3 × 30174) = 0.12 × 186522 = 22382.64
  EXPECT_EQ(computed->pooled_fen, 2238264);
  EXPECT_EQ(computed->account_fen, 1234567);
}

TEST(Transfers, TwoEmployersInOneMonthMakeOneMonth) {
  std::vector<collection::DeclaredPersonMonth> months = {month(2025, 6, 800000), month(2025, 6, 700000)};
  auto computed = portability::compute_transfer(person(registry::Sex::female, Date::of(1990, 3, 3), "510100"),
                                                request(Date::of(2026, 5, 1)), months, 0, rules_store(), nullptr);
  ASSERT_TRUE(computed) << computed.error().to_string();
  EXPECT_EQ(computed->counted_months, 1);
  EXPECT_EQ(computed->pooled_fen, 180000);  // 0.12 × (8000 + 7000)
}

TEST(Transfers, TemporaryAccountAgeRefusesTheMoveAwayFromHukou) {
  const std::vector<collection::DeclaredPersonMonth> months = {month(2025, 6, 800000)};
  // A man of exactly 50 years (600 months) at the move, to a province that is not his hukou one: refused.
  auto at_threshold = portability::compute_transfer(person(registry::Sex::male, Date::of(1976, 5, 9), "110105"),
                                                    request(Date::of(2026, 5, 1)), months, 0, rules_store(), nullptr);
  ASSERT_TRUE(at_threshold);
  EXPECT_TRUE(at_threshold->refused);
  EXPECT_NE(at_threshold->reason.find("temporary account"), std::string::npos);
  // One month younger: transferred.
  auto younger = portability::compute_transfer(person(registry::Sex::male, Date::of(1976, 6, 9), "110105"),
                                               request(Date::of(2026, 5, 1)), months, 0, rules_store(), nullptr);
  ASSERT_TRUE(younger);
  EXPECT_FALSE(younger->refused);
  // A woman of 40 moving back to her hukou province: no temporary account.
  auto home = portability::compute_transfer(person(registry::Sex::female, Date::of(1980, 1, 1), "510100"),
                                            request(Date::of(2026, 5, 1)), months, 0, rules_store(), nullptr);
  ASSERT_TRUE(home);
  EXPECT_FALSE(home->refused);
}

TEST(Transfers, NoContributionsInTheSendingProvinceIsRefused) {
  auto computed = portability::compute_transfer(person(registry::Sex::male, Date::of(1990, 3, 3), "510100"),
                                                request(Date::of(2026, 5, 1)), {}, 0, rules_store(), nullptr);
  ASSERT_TRUE(computed);
  EXPECT_TRUE(computed->refused);
}

TEST(Transfers, EntriesBalanceAndClearingReturnsToZero) {
  Transfer t = request(Date::of(2026, 5, 1));
  t.account_fen = 1234567;
  t.pooled_fen = 2238264;
  const auto out = portability::transfer_out_entry(t);
  const auto in = portability::transfer_in_entry(t);
  EXPECT_TRUE(ledger::check_entry(out));
  EXPECT_TRUE(ledger::check_entry(in));
  EXPECT_EQ(out.idempotency_key, "transfer_out/12");
  EXPECT_EQ(in.idempotency_key, "transfer_in/12");
  std::int64_t clearing = 0;
  std::int64_t bank_from = 0;
  std::int64_t bank_to = 0;
  for (const auto* entry : {&out, &in}) {
    for (const auto& p : entry->postings) {
      if (p.account.kind == ledger::AccountKind::transfer_clearing) clearing += p.amount_fen;
      if (p.account.kind == ledger::AccountKind::collection_bank && p.account.owner == 44) bank_from += p.amount_fen;
      if (p.account.kind == ledger::AccountKind::collection_bank && p.account.owner == 51) bank_to += p.amount_fen;
    }
  }
  EXPECT_EQ(clearing, 0);
  EXPECT_EQ(bank_from, -(1234567 + 2238264));
  EXPECT_EQ(bank_to, 1234567 + 2238264);
}

TEST(Transfers, StatusNames) {
  EXPECT_EQ(*portability::parse_transfer_status("sent"), portability::TransferStatus::sent);
  EXPECT_FALSE(portability::parse_transfer_status("lost"));
}

}  // namespace
