// shebao matching: string and value comparators.
//
// jaro_winkler        Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, up to
//                     4 characters), on bytes; strings longer than 64 bytes are
//                     compared on their first 64.
// damerau_levenshtein optimal string alignment distance (insertions, deletions,
//                     substitutions, adjacent transpositions), stopping early:
//                     returns limit + 1 as soon as the distance exceeds `limit`.
// date_swapped        the two YYYYMMDD dates are equal with day and month swapped.
//
// Pure: no I/O, no clock, no allocation. Thread safe.
#pragma once

#include <string_view>

namespace shebao::matching {

double jaro_winkler(std::string_view a, std::string_view b);
int damerau_levenshtein(std::string_view a, std::string_view b, int limit);
bool date_swapped(std::string_view a, std::string_view b);

}  // namespace shebao::matching
