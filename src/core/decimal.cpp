#include "core/decimal.h"

#include <algorithm>
#include <cassert>

namespace shebao {
namespace {

using Int = Decimal::Int;

Int pow10(int exponent) {
  assert(exponent >= 0 && exponent <= 38);
  Int result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

Int checked_mul(Int a, Int b) {
  Int out;
  if (__builtin_mul_overflow(a, b, &out)) throw DecimalOverflow();
  return out;
}

Int checked_add(Int a, Int b) {
  Int out;
  if (__builtin_add_overflow(a, b, &out)) throw DecimalOverflow();
  return out;
}

// Brings both mantissas to the larger scale.
void align(Int& a, int& scale_a, Int& b, int& scale_b) {
  if (scale_a < scale_b) {
    a = checked_mul(a, pow10(scale_b - scale_a));
    scale_a = scale_b;
  } else if (scale_b < scale_a) {
    b = checked_mul(b, pow10(scale_a - scale_b));
    scale_b = scale_a;
  }
}

// quotient of a / b rounded by mode, b != 0.
Int divide_rounded(Int a, Int b, RoundingMode mode) {
  assert(b != 0);
  Int quotient = a / b;
  Int remainder = a % b;
  if (remainder == 0) return quotient;
  const bool negative = (a < 0) != (b < 0);
  const Int abs_rem = remainder < 0 ? -remainder : remainder;
  const Int abs_den = b < 0 ? -b : b;
  bool away = false;  // move one unit away from zero
  switch (mode) {
    case RoundingMode::down: away = false; break;
    case RoundingMode::up: away = true; break;
    case RoundingMode::floor: away = negative; break;
    case RoundingMode::ceiling: away = !negative; break;
    case RoundingMode::half_up: away = abs_rem * 2 >= abs_den; break;
    case RoundingMode::half_even: {
      const Int twice = abs_rem * 2;
      if (twice > abs_den) away = true;
      else if (twice < abs_den) away = false;
      else away = (quotient % 2) != 0;
      break;
    }
  }
  if (away) quotient += negative ? -1 : 1;
  return quotient;
}

std::string int_to_string(Int value) {
  if (value == 0) return "0";
  const bool negative = value < 0;
  std::string digits;
  while (value != 0) {
    int digit = static_cast<int>(value % 10);
    if (digit < 0) digit = -digit;
    digits.push_back(static_cast<char>('0' + digit));
    value /= 10;
  }
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace

Decimal Decimal::from_units(Int mantissa, int scale) {
  assert(scale >= 0 && scale <= kMaxScale);
  return Decimal(mantissa, scale);
}

Result<Decimal> Decimal::parse(std::string_view text) {
  auto bad = [&](const char* why) {
    return fail(ErrorCode::invalid_input, "", std::string("not a decimal string (") + why + "): \"" +
                                                  std::string(text.substr(0, 40)) + "\"");
  };
  if (text.empty()) return bad("empty");
  std::size_t pos = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    pos = 1;
  }
  Int mantissa = 0;
  int digits = 0;          // significant digits held in the mantissa
  int scale = 0;
  int pending_zeros = 0;   // fraction zeros not yet applied (trailing zeros never are)
  bool seen_point = false;
  bool digit_before_point = false;
  bool digit_after_point = false;
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c >= '0' && c <= '9') {
      if (seen_point) {
        digit_after_point = true;
        if (c == '0') {
          ++pending_zeros;
          continue;
        }
        const int shift = pending_zeros + 1;
        scale += shift;
        if (mantissa != 0) digits += shift;
        else digits = 1;
        pending_zeros = 0;
        if (digits > kMaxParseDigits || scale > kMaxScale) return bad("too many digits");
        for (int i = 0; i < shift; ++i) mantissa *= 10;
        mantissa += c - '0';
      } else {
        digit_before_point = true;
        if (mantissa != 0 || c != '0') ++digits;
        if (digits > kMaxParseDigits) return bad("too many digits");
        mantissa = mantissa * 10 + (c - '0');
      }
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      return bad("only digits, one point and a leading minus are allowed");
    }
  }
  if (!digit_before_point) return bad("no digit before the point");
  if (seen_point && !digit_after_point) return bad("no digit after the point");
  return Decimal(negative ? -mantissa : mantissa, scale);
}

int Decimal::fraction_digits() const {
  Decimal n = normalized();
  return n.scale_;
}

std::optional<std::int64_t> Decimal::to_int64_exact() const {
  Decimal n = normalized();
  if (n.scale_ != 0) return std::nullopt;
  if (n.mantissa_ > INT64_MAX || n.mantissa_ < INT64_MIN) return std::nullopt;
  return static_cast<std::int64_t>(n.mantissa_);
}

Decimal Decimal::normalized() const {
  Int m = mantissa_;
  int s = scale_;
  while (s > 0 && m % 10 == 0) {
    m /= 10;
    --s;
  }
  return Decimal(m, s);
}

Decimal Decimal::operator+(const Decimal& other) const {
  Int a = mantissa_, b = other.mantissa_;
  int sa = scale_, sb = other.scale_;
  align(a, sa, b, sb);
  return Decimal(checked_add(a, b), sa);
}

Decimal Decimal::operator-(const Decimal& other) const { return *this + (-other); }

Decimal Decimal::operator-() const { return Decimal(-mantissa_, scale_); }

Decimal Decimal::operator*(const Decimal& other) const {
  Decimal a = normalized();
  Decimal b = other.normalized();
  Decimal product(checked_mul(a.mantissa_, b.mantissa_), a.scale_ + b.scale_);
  if (product.scale_ > kMaxScale) {
    // Keep the value exact when possible; otherwise the scale is beyond any rule's need.
    product = product.normalized();
    if (product.scale_ > kMaxScale) throw DecimalOverflow();
  }
  return product;
}

std::strong_ordering Decimal::operator<=>(const Decimal& other) const {
  Int a = mantissa_, b = other.mantissa_;
  int sa = scale_, sb = other.scale_;
  align(a, sa, b, sb);
  return a <=> b;
}

std::string Decimal::to_string() const {
  Decimal n = normalized();
  return n.to_fixed(n.scale_);
}

std::string Decimal::to_fixed(int digits) const {
  assert(digits >= 0);
  Int m = mantissa_;
  if (digits >= scale_) {
    m = checked_mul(m, pow10(digits - scale_));
  } else {
    const Int factor = pow10(scale_ - digits);
    assert(m % factor == 0 && "to_fixed would have to round");
    m /= factor;
  }
  const bool negative = m < 0;
  const std::string digits_text = int_to_string(negative ? -m : m);
  const std::size_t width = static_cast<std::size_t>(digits);
  // Left-pad so there is at least one digit before the point.
  const std::string padded =
      digits_text.size() <= width ? std::string(width + 1 - digits_text.size(), '0') + digits_text : digits_text;
  std::string text;
  text.reserve(padded.size() + 2);
  if (negative) text.push_back('-');
  text.append(padded, 0, padded.size() - width);
  if (width > 0) {
    text.push_back('.');
    text.append(padded, padded.size() - width, width);
  }
  return text;
}

Decimal round(const Decimal& value, int scale, RoundingMode mode) {
  assert(scale >= 0 && scale <= Decimal::kMaxScale);
  if (scale >= value.scale_) {
    return Decimal(checked_mul(value.mantissa_, pow10(scale - value.scale_)), scale);
  }
  return Decimal(divide_rounded(value.mantissa_, pow10(value.scale_ - scale), mode), scale);
}

Decimal divide(const Decimal& numerator, const Decimal& denominator, int scale, RoundingMode mode) {
  assert(!denominator.is_zero());
  Decimal a = numerator.normalized();
  Decimal b = denominator.normalized();
  // a/b * 10^scale = a.m * 10^(scale + b.s - a.s) / b.m
  Int top = a.mantissa_;
  Int bottom = b.mantissa_;
  const int exponent = scale + b.scale_ - a.scale_;
  if (exponent >= 0) {
    top = checked_mul(top, pow10(exponent));
  } else {
    bottom = checked_mul(bottom, pow10(-exponent));
  }
  return Decimal(divide_rounded(top, bottom, mode), scale);
}

Money Money::from_decimal(const Decimal& yuan) {
  assert(yuan.fraction_digits() <= 2);
  const Decimal fen = round(yuan, 2, RoundingMode::down);
  return Money(static_cast<std::int64_t>(fen.mantissa()));
}

Result<Money> Money::parse(std::string_view text) {
  auto value = Decimal::parse(text);
  if (!value) return tl::unexpected(value.error());
  if (value->fraction_digits() > 2) {
    return fail(ErrorCode::invalid_input, "", "money has more than two decimals: \"" + std::string(text) + "\"");
  }
  const Decimal fen = round(*value, 2, RoundingMode::down);
  if (fen.mantissa() > INT64_MAX || fen.mantissa() < INT64_MIN) {
    return fail(ErrorCode::invalid_input, "", "amount too large: \"" + std::string(text) + "\"");
  }
  return Money(static_cast<std::int64_t>(fen.mantissa()));
}

std::string Money::to_string() const { return to_decimal().to_fixed(2); }

}  // namespace shebao
