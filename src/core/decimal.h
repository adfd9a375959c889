// shebao core: exact decimal numbers and the one rounding function.
//
// A Decimal is mantissa / 10^scale with a 128-bit mantissa. Addition,
// subtraction and multiplication are exact; division is only available as
// divide(), which rounds the exact quotient to a stated scale with a stated
// mode. Nothing here uses binary floating point: a half fen stays a half fen
// (1886.025 -> 1886.03 under half_up, always).
//
// Overflow (a result beyond 38 significant digits) throws DecimalOverflow;
// parse() limits inputs to 34 significant digits (trailing zeros of a fraction
// do not count); realistic products of a few inputs stay far from the limit. Callers at a boundary catch it and report
// out_of_range.
//
// Money is Money: an integer number of fen (or euro cents), int64.
//
// Thread safety: values only.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/error.h"

namespace shebao {

enum class RoundingMode {
  half_up,    // ties away from zero (the rule for every CN amount, rules §0.3)
  half_even,  // ties to the even digit (banker's rounding)
  down,       // toward zero (truncate)
  up,         // away from zero
  floor,      // toward negative infinity
  ceiling,    // toward positive infinity
};

struct DecimalOverflow : std::overflow_error {
  DecimalOverflow() : std::overflow_error("decimal overflow") {}
};

class Decimal {
 public:
  __extension__ typedef __int128 Int;  // GCC and Clang; `__extension__` keeps -Wpedantic quiet
  static constexpr int kMaxScale = 36;
  static constexpr int kMaxParseDigits = 34;

  constexpr Decimal() = default;
  static Decimal from_int(std::int64_t value) { return Decimal(value, 0); }
  // mantissa / 10^scale; scale in [0, kMaxScale].
  static Decimal from_units(Int mantissa, int scale);

  // Strict decimal text: digits or digits.digits, optionally preceded by '-'.
  // Rejects '+', exponents, leading/trailing points, spaces, empty text and
  // more than kMaxParseDigits digits, with ErrorCode::invalid_input.
  static Result<Decimal> parse(std::string_view text);

  Int mantissa() const { return mantissa_; }
  int scale() const { return scale_; }
  int sign() const { return mantissa_ > 0 ? 1 : (mantissa_ < 0 ? -1 : 0); }
  bool is_zero() const { return mantissa_ == 0; }
  // Digits after the point once trailing zeros are dropped ("1.50" -> 1).
  int fraction_digits() const;
  // The value as an integer when it has no fraction, otherwise nullopt.
  std::optional<std::int64_t> to_int64_exact() const;

  Decimal operator+(const Decimal& other) const;
  Decimal operator-(const Decimal& other) const;
  Decimal operator*(const Decimal& other) const;
  Decimal operator-() const;

  std::strong_ordering operator<=>(const Decimal& other) const;
  bool operator==(const Decimal& other) const { return (*this <=> other) == 0; }

  // Shortest exact text ("138.4", "195", "-0.05").
  std::string to_string() const;
  // Text with exactly `digits` decimals; the value must be representable
  // (pads zeros, never rounds; asserts otherwise).
  std::string to_fixed(int digits) const;

 private:
  constexpr Decimal(Int mantissa, int scale) : mantissa_(mantissa), scale_(scale) {}
  Decimal normalized() const;  // drops trailing zeros of the fraction
  friend Decimal round(const Decimal& value, int scale, RoundingMode mode);
  friend Decimal divide(const Decimal& numerator, const Decimal& denominator, int scale,
                        RoundingMode mode);

  Int mantissa_ = 0;
  int scale_ = 0;
};

// The one rounding function: `value` rounded to `scale` decimals with `mode`.
Decimal round(const Decimal& value, int scale, RoundingMode mode);

// numerator / denominator, rounded to `scale` decimals with `mode`.
// The denominator must not be zero (asserted; callers validate first).
Decimal divide(const Decimal& numerator, const Decimal& denominator, int scale,
               RoundingMode mode);

// round(value, 2, half_up): the component rounding of rules §0.3.
inline Decimal round2(const Decimal& value) { return round(value, 2, RoundingMode::half_up); }

// An amount of money in the smallest unit (fen for CN, cent for EU).
class Money {
 public:
  constexpr Money() = default;
  static constexpr Money from_fen(std::int64_t fen) { return Money(fen); }
  // The decimal must have at most two decimals (round first); asserts otherwise.
  static Money from_decimal(const Decimal& yuan);
  // Yuan text with at most two decimals ("8079", "91147.87"); more decimals,
  // or anything Decimal::parse rejects, is invalid_input.
  static Result<Money> parse(std::string_view text);

  constexpr std::int64_t fen() const { return fen_; }
  Decimal to_decimal() const { return Decimal::from_units(fen_, 2); }
  std::string to_string() const;  // "1873.11", "-0.05", "195.00"

  constexpr Money operator+(Money other) const { return Money(fen_ + other.fen_); }
  constexpr Money operator-(Money other) const { return Money(fen_ - other.fen_); }
  constexpr auto operator<=>(const Money&) const = default;

 private:
  constexpr explicit Money(std::int64_t fen) : fen_(fen) {}
  std::int64_t fen_ = 0;
};

}  // namespace shebao
