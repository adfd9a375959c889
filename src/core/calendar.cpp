#include "core/calendar.h"

#include <cassert>
#include <cstdio>

namespace shebao {
namespace {

bool all_digits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

int to_int(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

Result<YearMonth> YearMonth::parse(std::string_view text) {
  if (text.size() != 7 || text[4] != '-' || !all_digits(text.substr(0, 4)) || !all_digits(text.substr(5, 2))) {
    return fail(ErrorCode::invalid_input, "", "not a month YYYY-MM: \"" + std::string(text.substr(0, 20)) + "\"");
  }
  const int year = to_int(text.substr(0, 4));
  const int month = to_int(text.substr(5, 2));
  if (year < 1 || month < 1 || month > 12) {
    return fail(ErrorCode::invalid_input, "", "no such month: \"" + std::string(text) + "\"");
  }
  return YearMonth::of(year, month);
}

std::string YearMonth::to_string() const {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d", year(), month());
  return buffer;
}

Result<Date> Date::parse(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !all_digits(text.substr(0, 4)) ||
      !all_digits(text.substr(5, 2)) || !all_digits(text.substr(8, 2))) {
    return fail(ErrorCode::invalid_input, "", "not a date YYYY-MM-DD: \"" + std::string(text.substr(0, 20)) + "\"");
  }
  const int year = to_int(text.substr(0, 4));
  const int month = to_int(text.substr(5, 2));
  const int day = to_int(text.substr(8, 2));
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (year < 1 || !ymd.ok()) {
    return fail(ErrorCode::invalid_input, "", "no such date: \"" + std::string(text) + "\"");
  }
  return Date(std::chrono::sys_days(ymd));
}

Date Date::of(int year, int month, int day) {
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  assert(ymd.ok());
  return Date(std::chrono::sys_days(ymd));
}

YearMonth Date::year_month() const {
  const auto d = ymd();
  return YearMonth::of(static_cast<int>(d.year()), static_cast<int>(static_cast<unsigned>(d.month())));
}

int Date::year() const { return static_cast<int>(ymd().year()); }

Date Date::first_of(YearMonth month) { return Date::of(month.year(), month.month(), 1); }

Date Date::last_of(YearMonth month) { return Date::first_of(month.plus_months(1)).plus_days(-1); }

std::string Date::to_string() const {
  const auto d = ymd();
  const int year = static_cast<int>(d.year());
  if (year >= 0 && year <= 9999) {  // the common case without printf (hashes and files format many dates)
    const unsigned month = static_cast<unsigned>(d.month());
    const unsigned day = static_cast<unsigned>(d.day());
    const char text[10] = {static_cast<char>('0' + year / 1000), static_cast<char>('0' + year / 100 % 10),
                           static_cast<char>('0' + year / 10 % 10), static_cast<char>('0' + year % 10), '-',
                           static_cast<char>('0' + month / 10), static_cast<char>('0' + month % 10), '-',
                           static_cast<char>('0' + day / 10), static_cast<char>('0' + day % 10)};
    return std::string(text, sizeof text);
  }
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buffer;
}

}  // namespace shebao
