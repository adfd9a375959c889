#include <gtest/gtest.h>

#include "core/calendar.h"
#include "core/decimal.h"

namespace {
using namespace shebao;

Decimal d(std::string_view text) { return *Decimal::parse(text); }

TEST(Decimal, ParsesTheStrictForm) {
  EXPECT_EQ(d("8079").to_string(), "8079");
  EXPECT_EQ(d("0.872").to_string(), "0.872");
  EXPECT_EQ(d("-0.05").to_string(), "-0.05");
  EXPECT_EQ(d("195.0").to_string(), "195");
  EXPECT_EQ(d("195.0"), d("195"));
  for (std::string_view bad : {"", "+5", "8E3", ".5", "5.", " 5", "5 ", "1.2.3", "-", "--1", "1,5", "0x10", "NaN"}) {
    auto parsed = Decimal::parse(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input) << bad;
  }
  EXPECT_FALSE(Decimal::parse("12345678901234567890123456789012345"));  // 35 significant digits
  EXPECT_EQ(d("5.000000000000000000000000000000000000000000").to_string(), "5");  // trailing zeros are free
  EXPECT_EQ(d("0.62499999999999999999999999").to_string(), "0.62499999999999999999999999");
  EXPECT_EQ(d("0.000123").to_string(), "0.000123");
  EXPECT_EQ(d("100.0").to_string(), "100");
}

TEST(Decimal, RoundsHalfUpExactlyWhereBinaryFloatingPointFails) {
  // rules §0.3: (8079 + 6309.70) / 2 × 30 × 1% = 2158.305 exactly.
  const Decimal basic = (d("8079") + d("6309.70")) * d("0.5") * d("30") * d("0.01");
  EXPECT_EQ(basic.to_string(), "2158.305");
  EXPECT_EQ(round2(basic).to_fixed(2), "2158.31");
  EXPECT_EQ(round(basic, 2, RoundingMode::half_even).to_fixed(2), "2158.30");
  EXPECT_EQ(round2(d("1886.025")).to_fixed(2), "1886.03");
}

TEST(Decimal, EveryRoundingMode) {
  struct Row {
    const char* value;
    RoundingMode mode;
    const char* expected;
  };
  const Row rows[] = {
      {"2.345", RoundingMode::half_up, "2.35"},   {"-2.345", RoundingMode::half_up, "-2.35"},
      {"2.345", RoundingMode::half_even, "2.34"}, {"2.355", RoundingMode::half_even, "2.36"},
      {"2.349", RoundingMode::down, "2.34"},      {"-2.349", RoundingMode::down, "-2.34"},
      {"2.341", RoundingMode::up, "2.35"},        {"-2.341", RoundingMode::up, "-2.35"},
      {"-2.341", RoundingMode::floor, "-2.35"},   {"2.349", RoundingMode::floor, "2.34"},
      {"2.341", RoundingMode::ceiling, "2.35"},   {"-2.349", RoundingMode::ceiling, "-2.34"},
      {"2.344", RoundingMode::half_up, "2.34"},   {"2.3", RoundingMode::half_up, "2.30"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(round(d(row.value), 2, row.mode).to_fixed(2), row.expected) << row.value;
  }
}

TEST(Decimal, DividesWithAStatedRounding) {
  EXPECT_EQ(divide(d("100000"), d("139"), 2, RoundingMode::half_up).to_fixed(2), "719.42");
  EXPECT_EQ(divide(d("200000"), d("139"), 2, RoundingMode::half_up).to_fixed(2), "1438.85");
  EXPECT_EQ(divide(d("1"), d("3"), 3, RoundingMode::down).to_fixed(3), "0.333");
  EXPECT_EQ(divide(d("-1"), d("3"), 0, RoundingMode::floor).to_string(), "-1");
  EXPECT_EQ(divide(d("67"), d("22"), 0, RoundingMode::ceiling).to_string(), "4");
  EXPECT_EQ(divide(d("1.5"), d("0.5"), 0, RoundingMode::half_up).to_string(), "3");
}

TEST(Decimal, ComparesAcrossScales) {
  EXPECT_LT(d("0.6"), d("0.61"));
  EXPECT_GT(d("10"), d("9.999"));
  EXPECT_EQ(d("-0"), d("0"));
  EXPECT_EQ(d("0.10").fraction_digits(), 1);
  EXPECT_EQ(d("12.00").to_int64_exact(), 12);
  EXPECT_FALSE(d("12.5").to_int64_exact());
}

TEST(Decimal, OverflowIsReportedNotWrapped) {
  const Decimal big = d("999999999999999999999999");
  EXPECT_THROW(big * big * big * big, DecimalOverflow);
}

TEST(Money, ParsesAtMostTwoDecimals) {
  EXPECT_EQ(Money::parse("91147.87")->fen(), 9114787);
  EXPECT_EQ(Money::parse("8079")->fen(), 807900);
  EXPECT_EQ(Money::parse("-0.05")->fen(), -5);
  EXPECT_EQ(Money::parse("1.500")->fen(), 150);  // 1.500 has one significant decimal
  auto three = Money::parse("1.555");
  ASSERT_FALSE(three);
  EXPECT_EQ(three.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(Money::from_fen(187311).to_string(), "1873.11");
  EXPECT_EQ(Money::from_fen(-5).to_string(), "-0.05");
  EXPECT_EQ(Money::from_fen(19500).to_string(), "195.00");
}

TEST(YearMonth, ParsesAndDoesMonthArithmetic) {
  EXPECT_EQ(YearMonth::parse("1965-11")->plus_months(723).to_string(), "2026-02");
  EXPECT_EQ(YearMonth::parse("2025-01")->months_since(*YearMonth::parse("2024-12")), 1);
  EXPECT_EQ(YearMonth::of(2024, 12).plus_months(1), YearMonth::of(2025, 1));
  for (std::string_view bad : {"2024-13", "2024-00", "2024-1", "24-01", "2024/01", "2024-01-01", "", "0000-01"}) {
    auto parsed = YearMonth::parse(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input) << bad;
  }
}

TEST(Date, ParsesRealDatesOnly) {
  EXPECT_EQ(Date::parse("2024-02-29")->to_string(), "2024-02-29");
  EXPECT_FALSE(Date::parse("2023-02-29"));
  EXPECT_FALSE(Date::parse("2024-04-31"));
  EXPECT_FALSE(Date::parse("2024-4-01"));
  EXPECT_EQ(Date::parse("2011-07-01")->days_since(*Date::parse("2011-06-01")), 30);
  EXPECT_EQ(Date::last_of(YearMonth::of(2024, 2)).to_string(), "2024-02-29");
  EXPECT_EQ(Date::first_of(YearMonth::of(2025, 1)).plus_days(-1).to_string(), "2024-12-31");
}

TEST(Error, CodesMapToExitAndHttpStatusInOnePlace) {
  EXPECT_EQ(exit_status(ErrorCode::invalid_input), 2);
  EXPECT_EQ(exit_status(ErrorCode::unknown_category), 2);
  EXPECT_EQ(exit_status(ErrorCode::out_of_range), 2);
  EXPECT_EQ(exit_status(ErrorCode::rules_invalid), 3);
  EXPECT_EQ(exit_status(ErrorCode::io_error), 4);
  EXPECT_EQ(http_status(ErrorCode::invalid_input), 400);
  EXPECT_EQ(http_status(ErrorCode::out_of_range), 422);
  EXPECT_EQ(http_status(ErrorCode::not_found), 404);
  EXPECT_EQ(to_string(ErrorCode::bad_check_character), "bad_check_character");
  EXPECT_EQ((Error{ErrorCode::invalid_input, "input.x", "bad"}).to_string(), "invalid_input: input.x: bad");
}

}  // namespace
