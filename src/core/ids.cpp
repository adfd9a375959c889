#include "core/ids.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <string>

namespace shebao {
namespace {

constexpr const char* kResidentIdField = "resident_id";
constexpr const char* kCreditCodeField = "credit_code";

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

int to_int(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

std::string position(std::size_t zero_based) { return std::to_string(zero_based + 1); }

// The region parser reports under its own field; an identifier reports
// under the identifier's field, with the same code and message.
Error under_field(Error error, const char* field) {
  error.field = field;
  return error;
}

// --- resident identity number (GB 11643-1999) ---

constexpr std::array<int, 17> kResidentIdWeights{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr std::string_view kResidentIdCheckCharacters = "10X98765432";  // indexed by sum % 11

// --- unified social credit code (GB 32100-2015) ---

constexpr std::string_view kCreditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr std::array<int, 17> kCreditCodeWeights{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
static_assert(kCreditCodeAlphabet.size() == 31);

// Position of c in the credit code alphabet, or -1.
int credit_code_value(char c) {
  const auto found = kCreditCodeAlphabet.find(c);
  return found == std::string_view::npos ? -1 : static_cast<int>(found);
}

char to_upper_ascii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

constexpr std::size_t kCreditCodeRegionBegin = 2;
constexpr std::size_t kCreditCodeRegionEnd = 8;

}  // namespace

char resident_id_check_character(std::string_view first17) {
  assert(first17.size() == kResidentIdWeights.size());
  int sum = 0;
  for (std::size_t i = 0; i < kResidentIdWeights.size(); ++i) {
    assert(is_digit(first17[i]));
    sum += (first17[i] - '0') * kResidentIdWeights[i];
  }
  return kResidentIdCheckCharacters[static_cast<std::size_t>(sum % 11)];
}

Result<ResidentId> ResidentId::parse(std::string_view text) {
  std::array<char, 18> normalised{};
  bool check_given = true;
  if (text.size() == 18) {
    for (std::size_t i = 0; i < 17; ++i) {
      if (!is_digit(text[i])) {
        return fail(ErrorCode::bad_character, kResidentIdField, "character " + position(i) + " is not a digit");
      }
    }
    const char check = text[17] == 'x' ? 'X' : text[17];
    if (!is_digit(check) && check != 'X') {
      return fail(ErrorCode::bad_character, kResidentIdField, "character 18 is neither a digit nor X");
    }
    std::copy(text.begin(), text.end() - 1, normalised.begin());
    normalised[17] = check;
  } else if (text.size() == 15) {
    // Legacy form: the year is two digits of the 1900s and there is no check character.
    for (std::size_t i = 0; i < 15; ++i) {
      if (!is_digit(text[i])) {
        return fail(ErrorCode::bad_character, kResidentIdField, "character " + position(i) + " is not a digit");
      }
    }
    auto out = std::copy(text.begin(), text.begin() + 6, normalised.begin());
    *out++ = '1';
    *out++ = '9';
    std::copy(text.begin() + 6, text.end(), out);
    check_given = false;
  } else {
    return fail(ErrorCode::bad_length, kResidentIdField,
                "a resident identity number has 18 characters (or 15 digits in the legacy form), got " +
                    std::to_string(text.size()));
  }
  const std::string_view body(normalised.data(), 17);

  auto region = RegionCode::parse(body.substr(0, 6));
  if (!region) return tl::unexpected(under_field(std::move(region).error(), kResidentIdField));

  const int year = to_int(body.substr(6, 4));
  const int month = to_int(body.substr(10, 2));
  const int day = to_int(body.substr(12, 2));
  if (year < 1900) {
    return fail(ErrorCode::bad_birth_date, kResidentIdField, "the birth year (characters 7-10) is before 1900");
  }
  const std::chrono::year_month_day birth{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                          std::chrono::day(static_cast<unsigned>(day))};
  if (!birth.ok()) {
    return fail(ErrorCode::bad_birth_date, kResidentIdField, "the birth date (characters 7-14) is not a real date");
  }

  const char expected = resident_id_check_character(body);
  if (!check_given) {
    normalised[17] = expected;
  } else if (normalised[17] != expected) {
    return fail(ErrorCode::bad_check_character, kResidentIdField,
                std::string("check character (18) is ") + normalised[17] + ", expected " + expected);
  }
  return ResidentId(normalised, *region, Date::of(year, month, day));
}

int ResidentId::sequence() const { return to_int(text().substr(14, 3)); }

char credit_code_check_character(std::string_view first17) {
  assert(first17.size() == kCreditCodeWeights.size());
  int sum = 0;
  for (std::size_t i = 0; i < kCreditCodeWeights.size(); ++i) {
    const int value = credit_code_value(first17[i]);
    assert(value >= 0);
    sum += value * kCreditCodeWeights[i];
  }
  return kCreditCodeAlphabet[static_cast<std::size_t>((31 - sum % 31) % 31)];
}

Result<CreditCode> CreditCode::parse(std::string_view text) {
  if (text.size() != 18) {
    return fail(ErrorCode::bad_length, kCreditCodeField,
                "a unified social credit code has 18 characters, got " + std::to_string(text.size()));
  }
  std::array<char, 18> normalised{};
  std::transform(text.begin(), text.end(), normalised.begin(), to_upper_ascii);
  for (std::size_t i = 0; i < normalised.size(); ++i) {
    const bool in_region = i >= kCreditCodeRegionBegin && i < kCreditCodeRegionEnd;
    if (in_region && !is_digit(normalised[i])) {
      return fail(ErrorCode::bad_character, kCreditCodeField,
                  "character " + position(i) + " is not a digit (characters 3-8 are a region code)");
    }
    if (credit_code_value(normalised[i]) < 0) {
      return fail(ErrorCode::bad_character, kCreditCodeField,
                  "character " + position(i) + " is not in 0-9 or A-Y without I, O, S, V");
    }
  }
  const std::string_view code(normalised.data(), normalised.size());

  auto region = RegionCode::parse(code.substr(kCreditCodeRegionBegin, kCreditCodeRegionEnd - kCreditCodeRegionBegin));
  if (!region) return tl::unexpected(under_field(std::move(region).error(), kCreditCodeField));

  const char expected = credit_code_check_character(code.substr(0, 17));
  if (normalised[17] != expected) {
    return fail(ErrorCode::bad_check_character, kCreditCodeField,
                std::string("check character (18) is ") + normalised[17] + ", expected " + expected);
  }
  return CreditCode(normalised, *region);
}

}  // namespace shebao
