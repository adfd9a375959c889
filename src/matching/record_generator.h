// shebao matching: synthetic Chinese person records with true labels, for
// testing and benchmarking entity resolution.
//
// Each person gets a surname drawn by real-world frequency (王, 李, 张 ... and a
// few compound surnames), a one- or two-character given name from common name
// characters (so distinct people share names such as 王伟), sex, a birth date
// 1950-2005, an 18-digit resident ID with a correct MOD 11-2 check character,
// a mobile number and an address. A share of persons get further records,
// each with one to three realistic errors:
//   homophone character (伟 -> 玮), traditional form (陈伟华 -> 陳偉華), the name
//   in pinyin with or without tones and in either order ("Wei Wang",
//   "WÁNG Wěi"), an ID typo (one wrong digit or two adjacent digits swapped),
//   the old 15-digit ID, day and month of birth swapped, a moved address with
//   a new phone, a missing phone or address.
// Rows are shuffled; record_id ("r" + number) carries no truth; entity_id is
// the person ("p" + number).
//
// Pure and deterministic: the same options give the same rows.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

namespace shebao::matching {

struct GeneratorOptions {
  std::uint64_t records = 10'000;
  double duplicate_share = 0.3;  // share of persons with more than one record
  std::uint64_t seed = 1;
};

// Columns of every row, in order.
inline constexpr std::array<const char*, 8> kGeneratedColumns = {
    "record_id", "entity_id", "name", "gender", "date_of_birth", "resident_id", "phone", "address"};

struct GeneratedRecord {
  std::array<std::string, 8> values;  // in kGeneratedColumns order
};

// Calls `out` once per record (exactly options.records times).
void generate_people(const GeneratorOptions& options, const std::function<void(const GeneratedRecord&)>& out);

}  // namespace shebao::matching
