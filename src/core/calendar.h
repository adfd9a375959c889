// shebao core: calendar months and civil dates.
//
// YearMonth is a month of the proleptic Gregorian calendar stored as a month
// serial (year * 12 + month - 1), so month arithmetic is integer arithmetic
// (1965-11 + 723 months = 2026-02). Date wraps std::chrono::sys_days.
// Parsers accept exactly "YYYY-MM" and "YYYY-MM-DD" (years 0001-9999) and
// reject anything else with ErrorCode::invalid_input.
//
// Nothing here reads the clock: "today" is always passed in by the caller.
// Thread safety: values only.
#pragma once

#include <chrono>
#include <compare>
#include <string>
#include <string_view>

#include "core/error.h"

namespace shebao {

class YearMonth {
 public:
  constexpr YearMonth() = default;
  // month in 1..12; asserted by the caller's parsing.
  static constexpr YearMonth of(int year, int month) { return YearMonth(year * 12 + (month - 1)); }
  static constexpr YearMonth from_serial(int serial) { return YearMonth(serial); }
  static Result<YearMonth> parse(std::string_view text);

  constexpr int year() const { return floor_div(serial_, 12); }
  constexpr int month() const { return serial_ - floor_div(serial_, 12) * 12 + 1; }
  constexpr int serial() const { return serial_; }

  constexpr YearMonth plus_months(int months) const { return YearMonth(serial_ + months); }
  // Whole months from `from` to this month (negative when this is earlier).
  constexpr int months_since(YearMonth from) const { return serial_ - from.serial_; }

  constexpr auto operator<=>(const YearMonth&) const = default;
  std::string to_string() const;  // "2026-02"

 private:
  constexpr explicit YearMonth(int serial) : serial_(serial) {}
  static constexpr int floor_div(int a, int b) { return (a >= 0) ? a / b : -((-a + b - 1) / b); }
  int serial_ = 0;
};

class Date {
 public:
  constexpr Date() = default;
  static Result<Date> parse(std::string_view text);
  // Asserts a valid date.
  static Date of(int year, int month, int day);
  static constexpr Date from_days(std::chrono::sys_days days) { return Date(days); }

  std::chrono::year_month_day ymd() const { return std::chrono::year_month_day(days_); }
  constexpr std::chrono::sys_days days() const { return days_; }
  YearMonth year_month() const;
  int year() const;

  constexpr Date plus_days(int n) const { return Date(days_ + std::chrono::days(n)); }
  // Days from `from` to this date.
  constexpr int days_since(Date from) const { return static_cast<int>((days_ - from.days_).count()); }

  // First day of a month; last day of a month.
  static Date first_of(YearMonth month);
  static Date last_of(YearMonth month);

  constexpr auto operator<=>(const Date&) const = default;
  std::string to_string() const;  // "2011-07-01"

 private:
  constexpr explicit Date(std::chrono::sys_days days) : days_(days) {}
  std::chrono::sys_days days_{};
};

}  // namespace shebao
