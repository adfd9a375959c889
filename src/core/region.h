// shebao core: administrative region codes (GB/T 2260).
//
// Covers the 34 provincial-level units (two-digit codes 11..82) with their
// Chinese and English names, the six-digit region code that opens a resident
// identity number or a credit code, and the jurisdiction form "CN-nn".
//
// Only the province prefix is checked against a table. The prefecture- and
// county-level table of GB/T 2260 is not bundled (it changes every year), so
// "110199" parses although no such county exists: any two digits are accepted
// for the prefecture and for the county.
//
// Errors: wrong length -> bad_length, a character that is not an ASCII digit
// (or, in "CN-nn", a wrong prefix) -> bad_character, a prefix that is not one
// of the 34 provinces -> unknown_region.
//
// Thread safety: the table is immutable; all types are values.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "core/error.h"

namespace shebao {

struct Province {
  int code;                   // 11..82, the first two digits of GB/T 2260
  std::string_view name_zh;   // official name, UTF-8: "北京市"
  std::string_view name_en;   // common English name: "Beijing"
};

// The 34 provincial-level units in ascending code order.
std::span<const Province> all_provinces();

// The province with this two-digit code; nullptr if there is none.
const Province* find_province(int two_digit_code);

// A six-digit GB/T 2260 code whose first two digits name a known province.
// "110000" (province level) and "110100" (prefecture level) are valid.
class RegionCode {
 public:
  // Exactly six ASCII digits; no surrounding spaces. Error field "region_code".
  static Result<RegionCode> parse(std::string_view six_digits);

  int province() const;       // digits 1-2: 11..82
  int prefecture() const;     // digits 3-4: 0..99
  int county() const;         // digits 5-6: 0..99
  bool is_province_level() const { return prefecture() == 0 && county() == 0; }
  // Never null: parse() only admits known provinces.
  const Province& province_info() const;

  // The six digits; the view lives as long as this object.
  std::string_view text() const { return std::string_view(digits_.data(), digits_.size()); }

  friend bool operator==(const RegionCode&, const RegionCode&) = default;

 private:
  explicit RegionCode(std::string_view six_digits);
  std::array<char, 6> digits_{};
};

// Parses a province jurisdiction written "CN-nn" (upper-case "CN-", two digits)
// and returns nn. Error field "jurisdiction".
Result<int> parse_province_jurisdiction(std::string_view text);

}  // namespace shebao
