// shebao core: validated identifiers of persons and organisations.
//
// ResidentId   18-character resident identity number (GB 11643-1999)
// CreditCode   18-character unified social credit code (GB 32100-2015)
//
// A value of either type exists only if parse() accepted it, so holding one
// means the text is well formed, its province prefix is known (see
// core/region.h: only the prefix is checked, not the county) and its check
// character is right. Parsers take the text exactly as given: no trimming, no
// spaces or dashes inside.
//
// Each parser checks in this order and reports the first failure:
//   bad_length           the text has the wrong number of characters (bytes)
//   bad_character        a character outside the allowed set for its position
//   unknown_region       the first two region digits are not a province
//   bad_birth_date       (ResidentId only) digits 7-14 are not a real date
//                        in 1900 or later
//   bad_check_character  the last character does not match the others; the
//                        message names the expected character
// Error fields are "resident_id" and "credit_code". Messages name positions
// (1-based) but never repeat the identifier, which is personal data.
//
// Thread safety: values only; functions are pure.
#pragma once

#include <array>
#include <string_view>

#include "core/calendar.h"
#include "core/error.h"
#include "core/region.h"

namespace shebao {

// Resident identity number: 6-digit region code, birth date YYYYMMDD,
// 3-digit sequence (odd for men, even for women), check character
// (ISO 7064 MOD 11-2: a digit or 'X').
class ResidentId {
 public:
  // Accepts 18 characters (a final 'x' is normalised to 'X') or the legacy
  // 15-digit form (region, YYMMDD of a 19YY year, sequence), which is
  // converted to 18 characters by inserting "19" and appending the check
  // character. A birth date after today is not rejected here; the caller
  // knows what today is.
  static Result<ResidentId> parse(std::string_view text);

  // The 18 characters; the view lives as long as this object.
  std::string_view text() const { return std::string_view(text_.data(), text_.size()); }
  const RegionCode& region() const { return region_; }
  Date birth_date() const { return birth_date_; }
  YearMonth birth_month() const { return birth_date_.year_month(); }
  int sequence() const;  // 0..999, digits 15-17
  bool is_male() const { return sequence() % 2 == 1; }

  friend bool operator==(const ResidentId&, const ResidentId&) = default;

 private:
  ResidentId(const std::array<char, 18>& text, RegionCode region, Date birth_date)
      : text_(text), region_(region), birth_date_(birth_date) {}
  std::array<char, 18> text_;
  RegionCode region_;
  Date birth_date_;
};

// Check character of a resident identity number ('0'..'9' or 'X').
// Precondition: first17 is exactly 17 ASCII digits (asserted).
char resident_id_check_character(std::string_view first17);

// Unified social credit code. Positions: 1 registration department,
// 2 organisation type, 3-8 region code (digits), 9-17 organisation code,
// 18 check character (GB 32100: a weighted sum modulo 31). Every character
// comes from "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, S, V, Z).
//
// Codes issued by national-level registration authorities carry the region
// code 100000, which is not a province; they are rejected with unknown_region.
class CreditCode {
 public:
  // Accepts 18 characters; lower-case letters are upper-cased first.
  static Result<CreditCode> parse(std::string_view text);

  // The 18 upper-case characters; the view lives as long as this object.
  std::string_view text() const { return std::string_view(text_.data(), text_.size()); }
  char registration_department() const { return text_[0]; }
  char organisation_type() const { return text_[1]; }
  const RegionCode& region() const { return region_; }
  // Positions 9-17 (the GB 11714 organisation code, with its own check character).
  std::string_view organisation_code() const { return text().substr(8, 9); }

  friend bool operator==(const CreditCode&, const CreditCode&) = default;

 private:
  CreditCode(const std::array<char, 18>& text, RegionCode region) : text_(text), region_(region) {}
  std::array<char, 18> text_;
  RegionCode region_;
};

// Check character of a unified social credit code.
// Precondition: first17 is exactly 17 characters of the upper-case credit
// code alphabet (asserted).
char credit_code_check_character(std::string_view first17);

}  // namespace shebao
