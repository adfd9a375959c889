#include "matching/compare.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

namespace shebao::matching {

double jaro_winkler(std::string_view a, std::string_view b) {
  if (a.size() > 64) a = a.substr(0, 64);
  if (b.size() > 64) b = b.substr(0, 64);
  const int la = static_cast<int>(a.size());
  const int lb = static_cast<int>(b.size());
  if (la == 0 || lb == 0) return la == lb ? 1.0 : 0.0;
  if (a == b) return 1.0;
  const int window = std::max(0, std::max(la, lb) / 2 - 1);
  // Bit-parallel matching: positions[c] holds the positions of byte c in b.
  // Each byte of a pairs with the first unused equal byte of b within the
  // window, which is the lowest set bit of (positions & unused & window).
  // The table is all zero between calls: only b's bytes are set, then cleared.
  thread_local std::uint64_t positions[256] = {};
  for (int j = 0; j < lb; ++j) positions[static_cast<unsigned char>(b[j])] |= std::uint64_t{1} << j;
  const std::uint64_t all_b = ~std::uint64_t{0} >> (64 - lb);
  std::uint64_t used_b = 0;
  std::uint64_t matched_a = 0;
  for (int i = 0; i < la; ++i) {
    const int lo = std::max(0, i - window);
    const int hi = std::min(lb - 1, i + window);
    if (lo > hi) break;  // past b's end: no later byte of a has a window either
    const std::uint64_t in_window = (all_b >> (lb - 1 - hi)) & (~std::uint64_t{0} << lo);
    const std::uint64_t free = positions[static_cast<unsigned char>(a[i])] & in_window & ~used_b;
    if (free != 0) {
      used_b |= free & (~free + 1);  // lowest set bit
      matched_a |= std::uint64_t{1} << i;
    }
  }
  for (int j = 0; j < lb; ++j) positions[static_cast<unsigned char>(b[j])] = 0;
  if (matched_a == 0) return 0.0;
  const int matches = __builtin_popcountll(matched_a);
  // Transpositions: the matched bytes of a and of b, each in order, compared.
  int transpositions = 0;
  for (std::uint64_t ma = matched_a, mb = used_b; ma != 0; ma &= ma - 1, mb &= mb - 1)
    if (a[__builtin_ctzll(ma)] != b[__builtin_ctzll(mb)]) ++transpositions;
  const double m = matches;
  const double jaro = (m / la + m / lb + (m - transpositions / 2) / m) / 3.0;
  int prefix = 0;
  while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1.0 - jaro);
}

int damerau_levenshtein(std::string_view a, std::string_view b, int limit) {
  const int la = static_cast<int>(a.size());
  const int lb = static_cast<int>(b.size());
  if (std::abs(la - lb) > limit) return limit + 1;
  if (la > 62 || lb > 62) return a == b ? 0 : limit + 1;
  int rows[3][64];
  int* prev2 = rows[0];
  int* prev = rows[1];
  int* cur = rows[2];
  for (int j = 0; j <= lb; ++j) prev[j] = j;
  for (int i = 1; i <= la; ++i) {
    cur[0] = i;
    int best = cur[0];
    for (int j = 1; j <= lb; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, prev2[j - 2] + 1);
      cur[j] = v;
      best = std::min(best, v);
    }
    if (best > limit) return limit + 1;
    int* t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return std::min(prev[lb], limit + 1);
}

bool date_swapped(std::string_view a, std::string_view b) {
  if (a.size() != 8 || b.size() != 8) return false;
  return a.substr(0, 4) == b.substr(0, 4) && a.substr(4, 2) == b.substr(6, 2) && a.substr(6, 2) == b.substr(4, 2) &&
         a != b;
}

}  // namespace shebao::matching
