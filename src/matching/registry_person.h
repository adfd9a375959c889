// shebao matching: the registry's person records as the engine sees them.
//
// One layout for every caller that matches stored persons (`shebao dedup
// --db`, the server's CandidateIndex at registration): the columns
// kRegistryColumns (name, gender, date_of_birth, resident_id, phone — their
// names select the comparison kinds of engine.h), the row of one person, a
// reference model, and the field-by-field evidence of a pair that an officer
// reads in the review queue.
//
// reference_model() estimates m and u (engine.h) on `records` generated
// records (record_generator.h, fixed seed) reduced to these columns: a model
// that does not depend on the size of the registry (a registry of a few
// persons gives EM nothing to learn from). Value frequencies for the
// term-frequency adjustment still come from the records the index holds.
//
// evidence(): per field "exact" (equal after normalisation, normalize.h),
// "similar" (names: Jaro-Winkler of the name keys >= 0.85; dates: day and
// month swapped or one edit; IDs: at most two edits — a typo, a transposition;
// phone: one edit), "different", or "missing" (either value empty).
//
// Pure: no I/O, no clock. ChineseText as in normalize.h: one per thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "matching/engine.h"
#include "matching/normalize.h"

namespace shebao::matching {

inline constexpr std::array<const char*, 5> kRegistryColumns = {"name", "gender", "date_of_birth", "resident_id",
                                                                "phone"};

struct RegistryPerson {
  std::string_view name;
  std::string_view sex;         // any consistent labels ("male"/"female")
  std::string_view birth_date;  // YYYY-MM-DD
  std::string_view resident_id;
  std::string_view phone;
};

std::vector<std::string> registry_columns();
std::vector<std::string_view> registry_row(const RegistryPerson& person);

Model reference_model(std::uint64_t records = 5000);

// (field, agreement) in kRegistryColumns order, field names as the API shows
// them: name, sex, birth_date, resident_id, phone.
std::vector<std::pair<std::string, std::string>> evidence(const RegistryPerson& a, const RegistryPerson& b,
                                                          ChineseText& chinese);

}  // namespace shebao::matching
