#include "matching/engine.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <cstring>
#include <numeric>
#include <thread>
#include <unordered_map>
#include <utility>

#include "matching/compare.h"
#include "matching/engine_state.h"
#include "matching/normalize.h"

namespace shebao::matching {

std::string_view to_string(FieldKind kind) {
  switch (kind) {
    case FieldKind::ignored: return "ignored";
    case FieldKind::given_name: return "given_name";
    case FieldKind::surname: return "surname";
    case FieldKind::full_name: return "full_name";
    case FieldKind::date: return "date";
    case FieldKind::id: return "id";
    case FieldKind::code: return "code";
    case FieldKind::gender: return "gender";
    case FieldKind::phone: return "phone";
    case FieldKind::text: return "text";
  }
  return "text";
}

FieldKind kind_for_column(std::string_view c) {
  auto any = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), c) != names.end();
  };
  if (any({"record_id", "entity_id", "cluster_id", "source", "blocking_number", "age", "unique_id"}))
    return FieldKind::ignored;
  if (any({"given_name", "first_name", "forename", "given", "firstname"})) return FieldKind::given_name;
  if (any({"surname", "last_name", "family_name", "lastname"})) return FieldKind::surname;
  if (any({"name", "full_name", "first_and_surname", "name_zh", "fullname", "person_name"}))
    return FieldKind::full_name;
  if (any({"dob", "date_of_birth", "birth_date", "birthdate"})) return FieldKind::date;
  if (any({"soc_sec_id", "resident_id", "id_number", "ssn", "national_id", "id_card", "person_id"}))
    return FieldKind::id;
  if (any({"postcode", "postcode_fake", "zip", "zipcode", "street_number", "state", "province", "region"}))
    return FieldKind::code;
  if (any({"gender", "sex"})) return FieldKind::gender;
  if (c.find("phone") != std::string_view::npos || c == "mobile") return FieldKind::phone;
  return FieldKind::text;
}

int level_count(FieldKind kind) {
  switch (kind) {
    case FieldKind::given_name:
    case FieldKind::surname:
    case FieldKind::full_name: return 6;
    case FieldKind::date:
    case FieldKind::id:
    case FieldKind::text: return 5;
    case FieldKind::code:
    case FieldKind::phone: return 4;
    case FieldKind::gender: return 3;
    case FieldKind::ignored: return 0;
  }
  return 0;
}

Table::Table(std::vector<std::string> columns) : columns_(std::move(columns)) {}

void Table::add_row(const std::vector<std::string_view>& values) {
  assert(values.size() == columns_.size());
  for (std::string_view v : values) {
    text_.append(v);
    ends_.push_back(text_.size());
  }
}

std::string_view Table::value(std::size_t row, std::size_t column) const {
  const std::size_t i = row * columns_.size() + column;
  const std::uint64_t begin = i == 0 ? 0 : ends_[i - 1];
  return std::string_view(text_).substr(begin, ends_[i] - begin);
}

namespace {

std::uint64_t hash_bytes(std::string_view text, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return h == 0 ? 1 : h;
}

// Calls fn(token) for each blank-separated token of `text`; stops when fn returns false.
template <class Fn>
bool each_token(std::string_view text, Fn&& fn) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i && !fn(text.substr(i, j - i))) return false;
    i = j;
  }
  return true;
}

std::size_t token_count(std::string_view text) {
  std::size_t n = 0;
  each_token(text, [&](std::string_view) {
    ++n;
    return true;
  });
  return n;
}

// Whether every token of the name with fewer tokens is found (equal, or
// JW >= 0.9 for tokens of 3 bytes and more) in the other. Names of one token
// each are not "contained" (the caller's JW already covers them).
bool tokens_contained(std::string_view a, std::string_view b) {
  std::size_t na = token_count(a), nb = token_count(b);
  if (na < 2 && nb < 2) return false;
  if (na > nb) std::swap(a, b);
  return each_token(a, [&](std::string_view s) {
    return !each_token(b, [&](std::string_view l) {
      return !(s == l || (s.size() > 2 && jaro_winkler(s, l) >= 0.9));
    });
  });
}

Signature signature(std::string_view text) {
  Signature s;
  unsigned char prev = 0;
  for (unsigned char c : text) {
    if (c == ' ') continue;
    const std::uint32_t h = (prev * 0x9E3779B1u) ^ (c * 0x85EBCA77u);
    const std::uint32_t bit = (h ^ (h >> 15)) * 0x2C1B3C6Du >> 25;  // 0..127
    s.bits[bit >> 6] |= std::uint64_t{1} << (bit & 63);
    prev = c;
  }
  return s;
}
// Set bits of x, without the library call the generic x86-64 target makes of
// __builtin_popcountll.
int popcount(std::uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
}
int bit_count(const Signature& s) { return popcount(s.bits[0]) + popcount(s.bits[1]); }
// Dice overlap of two signatures with bits_a and bits_b bits set.
double dice(const Signature& a, const Signature& b, int bits_a, int bits_b) {
  const int both = popcount(a.bits[0] & b.bits[0]) + popcount(a.bits[1] & b.bits[1]);
  const int total = bits_a + bits_b;
  return total == 0 ? 0.0 : 2.0 * both / total;
}
double dice(const Signature& a, const Signature& b) { return dice(a, b, bit_count(a), bit_count(b)); }

// The bytes of a name's first 64 (the part Jaro-Winkler reads), as a set
// of 63 bits (bit c mod 64, bits 62 and 63 merged: two bytes may share a
// bit), and bit 63 set when the name has a blank anywhere (several words).
std::uint64_t letters_of(std::string_view name) {
  std::uint64_t set = 0;
  for (unsigned char c : name.substr(0, 64)) set |= std::uint64_t{1} << std::min(c & 63, 62);
  if (name.find(' ') != std::string_view::npos) set |= std::uint64_t{1} << 63;
  return set;
}

// The high bit of each byte where x and y differ, and the number of such bytes.
std::uint64_t differing_bytes(std::uint64_t x, std::uint64_t y) {
  constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  const std::uint64_t d = x ^ y;
  return (d | ((d & kLow7) + kLow7)) & ~kLow7;
}
int byte_count(std::uint64_t high_bits) {
  return static_cast<int>(((high_bits >> 7) * 0x0101010101010101ULL) >> 56);  // one bit per byte: add them
}

// Positions where two equal-length strings differ, counted 8 bytes at a time
// (the count may pass limit + 1: the caller only compares it with limits);
// *adjacent_swap set when the only two differences are adjacent and crossed.
int hamming(std::string_view a, std::string_view b, int limit, bool* adjacent_swap) {
  int diff = 0, first = -1;
  *adjacent_swap = false;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x == y) continue;
    const std::uint64_t bytes = differing_bytes(x, y);
    if (first < 0) first = static_cast<int>(i) + __builtin_ctzll(bytes) / 8;
    diff += byte_count(bytes);
    if (diff > limit) return diff;
  }
  for (; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      if (++diff > limit) return diff;
      if (first < 0) first = static_cast<int>(i);
    }
  }
  if (diff == 2 && first + 1 < static_cast<int>(a.size()) && a[first] == b[first + 1] && a[first + 1] == b[first])
    *adjacent_swap = true;
  return diff;
}

std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// hamming() of two values of the same length held inline in record rows:
// the bytes after a value's end are zero in both rows, so whole words
// compare (no byte loop for the tail).
int inline_hamming(const char* a, const char* b, int length, bool* adjacent_swap) {
  int diff = 0, first = -1;
  for (int i = 0; i < length; i += 8) {
    const std::uint64_t x = load8(a + i), y = load8(b + i);
    if (x == y) continue;
    const std::uint64_t bytes = differing_bytes(x, y);
    if (first < 0) first = i + __builtin_ctzll(bytes) / 8;
    diff += byte_count(bytes);
  }
  *adjacent_swap = diff == 2 && first + 1 < length && a[first] == b[first + 1] && a[first + 1] == b[first];
  return diff;
}

// The level of two different dates YYYYMMDD given as 8 bytes each (loaded
// little-endian: byte i of the text is bits 8i..8i+7), as the general case
// of field_level_values gives it: one position different, two adjacent
// positions crossed, or day and month swapped: 2; two positions different
// or the same year: 3; else 4.
int date_level(std::uint64_t x, std::uint64_t y) {
  const std::uint64_t bytes = differing_bytes(x, y);
  const int diff = byte_count(bytes);
  if (diff <= 1) return 2;
  if (diff == 2) {
    const int first = __builtin_ctzll(bytes) / 8;
    auto byte = [](std::uint64_t v, int i) { return v >> (8 * i) & 0xFF; };
    if (first < 7 && byte(x, first) == byte(y, first + 1) &&
        byte(x, first + 1) == byte(y, first))
      return 2;  // two adjacent positions crossed
  }
  const bool same_year = ((x ^ y) & 0xFFFFFFFFu) == 0;
  if (same_year && (x >> 32 & 0xFFFF) == (y >> 48) && (x >> 48) == (y >> 32 & 0xFFFF)) return 2;  // MMDD <-> DDMM
  return diff <= 2 || same_year ? 3 : 4;
}

// Whether deleting one character of the longer string gives the shorter one
// (Damerau-Levenshtein distance 1 between strings of different lengths).
bool one_insertion_apart(std::string_view a, std::string_view b) {
  if (a.size() < b.size()) std::swap(a, b);
  if (a.size() != b.size() + 1) return false;
  std::size_t i = 0;
  while (i < b.size() && a[i] == b[i]) ++i;
  return a.substr(i + 1) == b.substr(i);
}

// Gathers the pairs of `parts` (emptied) into `out`, sorted by decreasing
// weight, then a, then b (`records` bounds a and b). When a and b fit in 16
// bits, the key (weight, a, b) fits in 64 and the pairs are sorted on it, by
// a radix sort of its bytes up to tens of thousands of pairs. Otherwise a
// least-significant-digit radix sort on the 96-bit key, one byte per pass,
// the counts of all passes taken in one read, passes whose byte is the same
// in every pair skipped, the first pass reading the parts. Few pairs: a
// comparison sort. The key is unique, so every way gives the same order.
void sort_pairs(std::vector<std::vector<ScoredPair>>& parts, std::vector<ScoredPair>& out, std::uint32_t records) {
  auto weight_key = [](float w) {
    std::uint32_t u;
    const float v = w == 0 ? 0.0f : w;  // -0 and +0 are equal weights
    std::memcpy(&u, &v, sizeof u);
    u = u >> 31 ? ~u : u | 0x80000000u;  // increasing with the weight
    return ~u;                           // decreasing
  };
  auto digit = [&](const ScoredPair& p, int pass) -> std::uint32_t {
    const std::uint32_t word = pass < 4 ? p.b : pass < 8 ? p.a : weight_key(p.weight);
    return word >> (8 * (pass & 3)) & 0xFF;
  };
  auto before = [&](const ScoredPair& x, const ScoredPair& y) {
    const std::uint32_t kx = weight_key(x.weight), ky = weight_key(y.weight);
    return kx != ky ? kx < ky : x.a != y.a ? x.a < y.a : x.b < y.b;
  };
  std::size_t n = 0;
  for (const auto& part : parts) n += part.size();
  std::vector<ScoredPair> from, to;
  auto concatenate = [&] {
    from.reserve(n);
    for (auto& part : parts) from.insert(from.end(), part.begin(), part.end());
    parts.clear();
  };
  if (records <= (1u << 16) && n < (std::size_t{1} << 15)) {
    // Record numbers of 16 bits: the whole order in one 64-bit key per pair
    // (at most eight byte passes instead of the twelve over three words
    // below; a comparison sort under 64 pairs).
    struct Keyed {
      std::uint64_t key;
      float weight, probability;
    };
    std::vector<Keyed> keyed;
    keyed.reserve(n);
    for (const auto& part : parts)
      for (const ScoredPair& p : part)
        keyed.push_back({std::uint64_t{weight_key(p.weight)} << 32 | std::uint64_t{p.a} << 16 | p.b, p.weight,
                         p.probability});
    parts.clear();
    if (n < 64) {
      std::sort(keyed.begin(), keyed.end(), [](const Keyed& x, const Keyed& y) { return x.key < y.key; });
    } else {
      // Least-significant byte first, the counts of all eight passes in one
      // read, passes whose byte is the same in every key skipped. Unlike a
      // comparison sort (whose comparisons of random weights the processor
      // mispredicts about every other time) no branch depends on the keys.
      std::array<std::array<std::uint32_t, 256>, 8> count{};
      for (const Keyed& k : keyed)
        for (int pass = 0; pass < 8; ++pass) ++count[pass][k.key >> (8 * pass) & 0xFF];
      std::vector<Keyed> sorted(n);
      for (int pass = 0; pass < 8; ++pass) {
        auto& at = count[pass];
        if (at[keyed[0].key >> (8 * pass) & 0xFF] == n) continue;
        std::uint32_t start = 0;
        for (auto& c : at) start += std::exchange(c, start);
        for (const Keyed& k : keyed) sorted[at[k.key >> (8 * pass) & 0xFF]++] = k;
        keyed.swap(sorted);
      }
    }
    out.clear();
    out.reserve(n);
    for (const Keyed& k : keyed)
      out.push_back({static_cast<std::uint32_t>(k.key >> 16 & 0xFFFF), static_cast<std::uint32_t>(k.key & 0xFFFF),
                     k.weight, k.probability});
    return;
  }
  if (n < 256) {  // few pairs: the passes over 256 counters would cost more than they save (measured:
                 // from a few hundred pairs on, the radix sort takes fewer instructions)
    concatenate();
    std::sort(from.begin(), from.end(), before);
    out.swap(from);
    return;
  }
  std::vector<std::array<std::size_t, 256>> count(12, std::array<std::size_t, 256>{});
  for (const auto& part : parts)
    for (const ScoredPair& p : part)
      for (int pass = 0; pass < 12; ++pass) ++count[pass][digit(p, pass)];
  bool in_parts = true;
  for (int pass = 0; pass < 12; ++pass) {
    if (std::any_of(count[pass].begin(), count[pass].end(), [&](std::size_t c) { return c == n; })) continue;
    std::array<std::size_t, 256> start{};
    for (int d = 1; d < 256; ++d) start[d] = start[d - 1] + count[pass][d - 1];
    to.resize(n);
    if (in_parts) {
      for (const auto& part : parts)
        for (const ScoredPair& p : part) to[start[digit(p, pass)]++] = p;
      parts.clear();
      in_parts = false;
    } else {
      for (const ScoredPair& p : from) to[start[digit(p, pass)]++] = p;
    }
    from.swap(to);
  }
  if (in_parts) concatenate();  // every pass skipped: one pair, or all alike
  out.swap(from);
}

}  // namespace

Deduplicator::Deduplicator(const Table& table, Settings settings)
    : state_(std::make_unique<State>(table, settings)) {
  State& s = *state_;
  const auto& columns = table.columns();
  bool has_given = false, has_surname = false;
  for (const auto& c : columns) {
    const FieldKind k = kind_for_column(c);
    has_given |= k == FieldKind::given_name;
    has_surname |= k == FieldKind::surname;
  }
  for (std::size_t c = 0; c < columns.size() && static_cast<int>(s.fields.size()) < kMaxFields; ++c) {
    FieldKind k = kind_for_column(columns[c]);
    if (k == FieldKind::ignored) continue;
    // A full name only repeats the given-name and surname columns when they
    // exist; comparing it too would count the same evidence twice (Fellegi-
    // Sunter assumes fields independent given match status).
    if (k == FieldKind::full_name && has_given && has_surname) continue;
    State::Field f;
    f.column = static_cast<int>(c);
    f.kind = k;
    if (k == FieldKind::given_name && s.given < 0) s.given = static_cast<int>(s.fields.size());
    if (k == FieldKind::surname && s.surname < 0) s.surname = static_cast<int>(s.fields.size());
    if (k == FieldKind::date && s.date < 0) s.date = static_cast<int>(s.fields.size());
    s.fields.push_back(std::move(f));
  }
  s.n = static_cast<std::uint32_t>(table.rows());
  s.stats.records = s.n;
  auto cost = [](FieldKind k) {
    switch (k) {
      case FieldKind::gender: return 0;
      case FieldKind::date: return 1;  // before id: the id level looks at the date level
      case FieldKind::id: return 2;
      case FieldKind::phone: return 3;
      case FieldKind::code: return 4;
      case FieldKind::text: return 5;
      default: return 6;  // names
    }
  };
  for (std::size_t fi = 0; fi < s.fields.size(); ++fi) {
    auto& f = s.fields[fi];
    const std::string& column = columns[f.column];
    if (f.kind == FieldKind::id && s.id_field < 0) s.id_field = static_cast<int>(fi);
    if (f.kind == FieldKind::phone && s.phone_field < 0) s.phone_field = static_cast<int>(fi);
    if (f.kind == FieldKind::full_name && s.full_field < 0) s.full_field = static_cast<int>(fi);
    if (column.find("email") != std::string::npos && s.email_field < 0) s.email_field = static_cast<int>(fi);
    if (column.find("postcode") != std::string::npos && s.postcode_field < 0) s.postcode_field = static_cast<int>(fi);
    f.begin.assign(1, 0);
    f.value_count.assign(1, 0);
  }
  s.value_ids.resize(s.fields.size());
  // Row layout: value ids, term-frequency adjustments, inline values.
  s.tf_slot = static_cast<int>(s.fields.size());
  s.stride = 2 * s.fields.size();
  for (auto& f : s.fields) {
    switch (f.kind) {
      case FieldKind::gender:
      case FieldKind::ignored: continue;
      case FieldKind::text: f.inline_words = 5; break;  // the 128-bit signature, its bit count
      case FieldKind::date: f.inline_words = 3; break;  // length + YYYYMMDD
      default: f.inline_words = 7; break;               // length + up to 24 bytes
    }
    f.inline_slot = static_cast<int>(s.stride);
    s.stride += f.inline_words;
    if (f.kind == FieldKind::given_name || f.kind == FieldKind::surname || f.kind == FieldKind::full_name) {
      f.letters_slot = static_cast<int>(s.stride);
      s.stride += 2;
    }
  }
  for (std::size_t fi = 0; fi < s.fields.size(); ++fi) s.order.push_back(static_cast<int>(fi));
  std::stable_sort(s.order.begin(), s.order.end(),
                   [&](int x, int y) { return cost(s.fields[x].kind) < cost(s.fields[y].kind); });
  s.first_name_position = s.order.size();
  for (std::size_t k = 0; k < s.order.size(); ++k) {
    if (cost(s.fields[s.order[k]].kind) == 6) {
      s.first_name_position = k;
      break;
    }
  }
}

Deduplicator::~Deduplicator() = default;

std::string Deduplicator::State::normalize_value(int fi, std::string_view raw, ChineseText& text) const {
  std::string value;
  switch (fields[fi].kind) {
    case FieldKind::given_name:
    case FieldKind::surname:
    case FieldKind::full_name: return name_key(raw, text);
    case FieldKind::date: return normalize_date(raw);
    case FieldKind::id: return normalize_id(raw);
    case FieldKind::phone:
      value.reserve(raw.size());
      for (char c : raw)
        if (c >= '0' && c <= '9') value.push_back(c);
      return value;
    default: return has_han(raw) ? fold_text(text.simplified(raw)) : fold_text(raw);
  }
}

void Deduplicator::State::set_inline(int fi, std::string_view value, std::uint32_t* row) const {
  const Field& f = fields[fi];
  if (f.kind == FieldKind::text) {
    const Signature sig = signature(value);
    std::memcpy(row + f.inline_slot, sig.bits, sizeof sig.bits);
    row[f.inline_slot + 4] = static_cast<std::uint32_t>(bit_count(sig));
  } else if (f.inline_slot >= 0) {
    // Length word, then the bytes; a value too long to fit is read from the arena.
    const std::size_t room = static_cast<std::size_t>(f.inline_words - 1) * 4;
    row[f.inline_slot] = value.size() <= room ? static_cast<std::uint32_t>(value.size()) : kLongValue;
    if (value.size() <= room) std::memcpy(row + f.inline_slot + 1, value.data(), value.size());
  }
  if (f.letters_slot >= 0) {
    const std::uint64_t letters = letters_of(value);
    std::memcpy(row + f.letters_slot, &letters, sizeof letters);
  }
}

std::uint32_t Deduplicator::State::value_id(int fi, std::string_view value, std::uint32_t r) {
  ValueIds& ids = value_ids[fi];
  Field& f = fields[fi];
  if (2 * ids.first_record.size() >= ids.slots.size()) {  // at most half full: grow
    std::vector<std::uint64_t> old(std::max<std::size_t>(1024, 2 * ids.slots.size()), 0);
    old.swap(ids.slots);
    const std::size_t mask = ids.slots.size() - 1;
    for (std::uint64_t e : old) {
      if (e == 0) continue;
      std::size_t at = (e >> 32) & mask;
      while (ids.slots[at] != 0) at = (at + 1) & mask;
      ids.slots[at] = e;
    }
  }
  const std::size_t mask = ids.slots.size() - 1;
  const std::uint64_t tag = std::hash<std::string_view>()(value) >> 32;
  for (std::size_t at = tag & mask;; at = (at + 1) & mask) {
    const std::uint64_t e = ids.slots[at];
    if (e == 0) {
      const auto id = static_cast<std::uint32_t>(f.value_count.size());
      ids.slots[at] = tag << 32 | id;
      ids.first_record.push_back(r);
      f.value_count.push_back(0);
      return id;
    }
    const auto id = static_cast<std::uint32_t>(e);
    if (e >> 32 == tag && f.get(ids.first_record[id]) == value) return id;
  }
}

void Deduplicator::State::intern(int fi, std::string_view value, std::uint32_t* row) {
  Field& f = fields[fi];
  f.arena += value;
  f.begin.push_back(static_cast<std::uint32_t>(f.arena.size()));
  if (value.empty()) return;  // value id 0: missing
  const std::uint32_t id = value_id(fi, value, static_cast<std::uint32_t>(f.begin.size() - 2));
  row[fi] = id;
  f.count(id);
}

void Deduplicator::State::append(std::uint32_t r) {
  const std::size_t row_begin = rows.size();
  rows.resize(row_begin + stride, 0);
  for (std::size_t fi = 0; fi < fields.size(); ++fi) {
    const std::string value = normalize_value(static_cast<int>(fi), table.value(r, fields[fi].column), *chinese);
    set_inline(static_cast<int>(fi), value, rows.data() + row_begin);
    intern(static_cast<int>(fi), value, rows.data() + row_begin);
  }
  keys.push_back(compute_keys(r));
}

namespace {
// Runs fn(t) for t in [0, threads), each on its own thread (0 on the calling one).
template <class Fn>
void run_threads(int threads, Fn&& fn) {
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(fn, t);
  fn(0);
  for (auto& th : pool) th.join();
}
}  // namespace

void Deduplicator::prepare(const ProgressFn& progress) {
  State& s = *state_;
  const int threads = std::max(1, std::min<int>(s.settings.threads, static_cast<int>(s.n / 1024) + 1));
  const std::size_t nf = s.fields.size();
  s.rows.assign(static_cast<std::size_t>(s.n) * s.stride, 0);
  // 1. Normalise, in parallel over ranges of rows (one ICU object per
  //    thread): the values go to a per-range arena, short ones inline.
  struct Range {
    std::vector<std::string> arena;                // by field
    std::vector<std::vector<std::uint32_t>> ends;  // by field
  };
  std::vector<Range> ranges(threads);
  std::atomic<std::uint64_t> done{0};
  auto range_begin = [&](int t) {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(s.n) * t / threads);
  };
  run_threads(threads, [&](int t) {
    std::unique_ptr<ChineseText> own = t == 0 ? nullptr : std::make_unique<ChineseText>();
    ChineseText& text = t == 0 ? *s.chinese : *own;
    Range& range = ranges[t];
    range.arena.resize(nf);
    range.ends.resize(nf);
    const std::uint32_t lo = range_begin(t), hi = range_begin(t + 1);
    for (std::uint32_t r = lo; r < hi; ++r) {
      std::uint32_t* row = s.rows.data() + static_cast<std::size_t>(r) * s.stride;
      for (std::size_t fi = 0; fi < nf; ++fi) {
        const int f = static_cast<int>(fi);
        const std::string value = s.normalize_value(f, s.table.value(r, s.fields[fi].column), text);
        s.set_inline(f, value, row);
        range.arena[fi] += value;
        range.ends[fi].push_back(static_cast<std::uint32_t>(range.arena[fi].size()));
      }
      if (((r - lo) & 0x3FFF) == 0x3FFF) {
        const std::uint64_t d = done.fetch_add(0x4000) + 0x4000;
        if (t == 0 && progress) progress(d, s.n);
      }
    }
  });
  // 2. Value ids and counts in row order (as append() gives them), one field per thread.
  std::atomic<std::size_t> next_field{0};
  run_threads(std::min<int>(threads, static_cast<int>(nf)), [&](int) {
    for (std::size_t fi; (fi = next_field.fetch_add(1)) < nf;) {
      std::size_t bytes = 0;
      for (const Range& range : ranges) bytes += range.arena[fi].size();
      s.fields[fi].arena.reserve(bytes);
      s.fields[fi].begin.reserve(s.n + 1);
      for (int t = 0; t < threads; ++t) {
        const std::string_view arena = ranges[t].arena[fi];
        std::uint32_t start = 0, r = range_begin(t);
        for (std::uint32_t end : ranges[t].ends[fi]) {
          s.intern(static_cast<int>(fi), arena.substr(start, end - start),
                   s.rows.data() + static_cast<std::size_t>(r++) * s.stride);
          start = end;
        }
      }
      s.value_ids[fi] = State::ValueIds();  // not needed after prepare()
    }
  });
  std::vector<Range>().swap(ranges);
  // 3. Blocking keys, in parallel.
  s.keys.resize(s.n);
  run_threads(threads, [&](int t) {
    for (std::uint32_t r = range_begin(t); r < range_begin(t + 1); ++r) s.keys[r] = s.compute_keys(r);
  });
  if (progress) progress(s.n, s.n);
}

std::array<std::uint64_t, 10> Deduplicator::State::compute_keys(std::uint32_t r) const {
  std::array<std::uint64_t, 10> k{};
  auto field_value = [&](int fi, std::uint32_t row) -> std::string_view {
    return fi < 0 ? std::string_view() : fields[fi].get(row);
  };
  // Name tokens: given and surname, or the tokens of the full name.
  std::string first, last;
  const bool han = full_field >= 0 && has_han(table.value(r, fields[full_field].column));
  auto sound = [&](std::string_view token) { return han ? std::string(token) : phonetic(token); };
  if (given >= 0 || surname >= 0) {
    const auto g = split_tokens(field_value(given, r));
    const auto sn = split_tokens(field_value(surname, r));
    if (!g.empty()) first = sound(g.front());
    if (!sn.empty()) last = sound(sn.back());
  } else if (full_field >= 0) {
    const auto t = split_tokens(field_value(full_field, r));
    if (!t.empty()) first = sound(t.front());
    if (t.size() > 1) last = sound(t.back());
  }
  std::string_view dob = field_value(date, r);
  std::string year = dob.size() >= 4 ? std::string(dob.substr(0, 4)) : std::string();
  std::string dob_key;
  if (dob.size() == 8) {
    std::string md = std::string(dob.substr(4, 2)), dm = std::string(dob.substr(6, 2));
    if (dm < md) std::swap(md, dm);
    dob_key = year + md + dm;
  } else {
    dob_key = std::string(dob);
  }
  auto set = [&](int slot, const std::string& text, bool ok) { k[slot] = ok ? hash_bytes(text, slot + 1) : 0; };
  set(0, std::string(field_value(id_field, r)), !field_value(id_field, r).empty());
  set(1, dob_key, !dob_key.empty());
  {
    std::string a = first, b = last;
    if (b < a) std::swap(a, b);
    set(2, a + "|" + b, !first.empty() && !last.empty());
  }
  set(3, last + "|" + year, !last.empty() && !year.empty());
  set(4, first + "|" + year, !first.empty() && !year.empty());
  set(5, last + "|" + first.substr(0, 1), !last.empty() && !first.empty());
  set(6, first + "|" + last.substr(0, 1), !last.empty() && !first.empty());
  {
    std::string_view pc = field_value(postcode_field, r);
    set(7, std::string(pc) + "|" + first.substr(0, 1), !pc.empty() && !first.empty());
  }
  set(8, std::string(field_value(phone_field, r)), field_value(phone_field, r).size() >= 6);
  set(9, std::string(field_value(email_field, r)), !field_value(email_field, r).empty());
  return k;
}

void Deduplicator::block() {
  State& s = *state_;
  // (key, record << 4 | key slot) for every key, sorted; runs of one key are
  // blocks, their members in record order.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;
  entries.reserve(static_cast<std::size_t>(s.n) * 4);
  for (std::uint32_t r = 0; r < s.n; ++r)
    for (int slot = 0; slot < State::kKeys; ++slot)
      if (s.keys[r][slot] != 0) entries.emplace_back(s.keys[r][slot], std::uint64_t{r} << 4 | slot);
  std::sort(entries.begin(), entries.end());
  s.block_start.clear();
  s.block_members.clear();
  s.block_slot.clear();
  s.slot_blocks.resize(s.n);
  for (std::uint32_t r = 0; r < s.n; ++r)
    std::fill(std::begin(s.slot_blocks[r].of), std::end(s.slot_blocks[r].of), State::kNoBlock | r);
  std::vector<std::uint32_t> per_record(s.n + 1, 0);
  auto record_of = [&](std::size_t x) { return static_cast<std::uint32_t>(entries[x].second >> 4); };
  auto slot_of = [&](std::size_t x) { return static_cast<int>(entries[x].second & 15); };
  std::size_t i = 0;
  while (i < entries.size()) {
    std::size_t j = i;
    while (j < entries.size() && entries[j].first == entries[i].first) ++j;
    // collapse a record listed twice under one key (two slots with equal text)
    std::size_t distinct = 0;
    for (std::size_t x = i; x < j; ++x)
      if (x == i || record_of(x) != record_of(x - 1)) ++distinct;
    if (distinct > s.settings.max_block_size) {
      ++s.stats.oversized_blocks;
    } else if (distinct >= 2) {
      s.block_start.push_back(static_cast<std::uint32_t>(s.block_members.size()));
      s.block_slot.push_back(static_cast<std::uint8_t>(slot_of(i)));
      for (std::size_t x = i; x < j; ++x) {
        s.slot_blocks[record_of(x)].of[slot_of(x)] = static_cast<std::uint32_t>(s.block_start.size() - 1);
        if (x > i && record_of(x) == record_of(x - 1)) continue;
        s.block_members.push_back(record_of(x));
        ++per_record[record_of(x) + 1];
      }
    }
    i = j;
  }
  s.block_start.push_back(static_cast<std::uint32_t>(s.block_members.size()));
  s.stats.blocks = s.block_start.size() - 1;
  std::vector<std::pair<std::uint64_t, std::uint64_t>>().swap(entries);
  for (std::uint32_t r = 0; r < s.n; ++r) per_record[r + 1] += per_record[r];
  s.record_block_start = per_record;
  s.record_blocks.assign(per_record[s.n], 0);
  std::vector<std::uint32_t> fill(per_record.begin(), per_record.end() - 1);
  for (std::size_t b = 0; b + 1 < s.block_start.size(); ++b)
    for (std::uint32_t x = s.block_start[b]; x < s.block_start[b + 1]; ++x)
      s.record_blocks[fill[s.block_members[x]]++] = static_cast<std::uint32_t>(b);
}

template <class Fn>
void Deduplicator::State::for_candidates(std::uint32_t i, std::vector<std::uint32_t>& stamp, Fn&& fn) const {
  for (std::uint32_t x = record_block_start[i]; x < record_block_start[i + 1]; ++x) {
    const std::uint32_t b = record_blocks[x];
    // members are sorted: start after i
    const std::uint32_t* first = block_members.data() + block_start[b];
    const std::uint32_t* last = block_members.data() + block_start[b + 1];
    const std::uint32_t* p = std::upper_bound(first, last, i);
    for (; p < last; ++p) {
      if (stamp[*p] == i + 1) continue;
      stamp[*p] = i + 1;
      fn(*p);
    }
  }
}

int Deduplicator::State::field_level_values(FieldKind kind, std::string_view x, std::string_view y) const {
  switch (kind) {
    case FieldKind::given_name:
    case FieldKind::surname:
    case FieldKind::full_name: {
      double jw = jaro_winkler(x, y);
      if (jw < 0.94 && (x.find(' ') != std::string_view::npos || y.find(' ') != std::string_view::npos)) {
        // multi-word names: tokens of the shorter contained in the longer
        if (tokens_contained(x, y)) jw = std::max(jw, 0.94);
      }
      if (jw >= 0.94) return 2;
      if (jw >= 0.85) return 3;
      if (jw >= 0.70) return 4;
      return 5;
    }
    case FieldKind::date: {
      if (x.size() == 8 && y.size() == 8) return date_level(load8(x.data()), load8(y.data()));
      if (x.size() == y.size()) {
        bool swap = false;
        const int d = hamming(x, y, 2, &swap);
        if (d <= 1 || swap || date_swapped(x, y)) return 2;
        if (d <= 2 || (x.size() >= 4 && x.substr(0, 4) == y.substr(0, 4))) return 3;
        return 4;
      }
      const int d = damerau_levenshtein(x, y, 2);
      if (d <= 1) return 2;
      if (d <= 2 || (x.size() >= 4 && y.size() >= 4 && x.substr(0, 4) == y.substr(0, 4))) return 3;
      return 4;
    }
    case FieldKind::id: {
      if (x.size() == y.size()) {
        bool swap = false;
        const int d = hamming(x, y, 2, &swap);
        if (d <= 1 || swap) return 2;
      }
      if (x.size() == 18 && y.size() == 18 && load8(x.data() + 6) == load8(y.data() + 6)) return 3;
      return 4;
    }
    case FieldKind::code:
    case FieldKind::phone: {
      if (x.size() < 3) return 3;
      if (x.size() == y.size()) {
        bool swap = false;
        const int d = hamming(x, y, 2, &swap);
        return d <= 1 || swap ? 2 : 3;
      }
      return one_insertion_apart(x, y) ? 2 : 3;  // lengths differ: only an insertion is one edit
    }
    case FieldKind::gender: return 2;
    case FieldKind::text: {
      const double d = dice(signature(x), signature(y));
      if (d >= 0.8) return 2;
      if (d >= 0.6) return 3;
      return 4;
    }
    case FieldKind::ignored: return 0;
  }
  return 0;
}

std::uint32_t Deduplicator::State::next_generation() {
  static std::atomic<std::uint32_t> last{0};
  return ++last;
}

int Deduplicator::State::name_level(int tag, int fa, int fb, const Rec& a, const Rec& b) const {
  // The level of two names depends on the two values only: Jaro-Winkler runs
  // once per pair of distinct values met recently (a per-thread cache of
  // value-id pairs; common names meet many times).
  struct Entry {
    std::uint32_t generation = 0;  // 0: empty (generations start at 1)
    std::uint16_t tag = 0, level = 0;
    std::uint32_t a = 0, b = 0;
  };
  constexpr std::uint32_t kBits = 14;
  thread_local std::vector<Entry> cache(std::size_t{1} << kBits);
  const std::uint32_t va = a.row[fa], vb = b.row[fb];
  const std::uint32_t h = (va * 0x9E3779B1u) ^ (vb * 0x85EBCA77u) ^ (static_cast<std::uint32_t>(tag) * 0xC2B2AE3Du);
  Entry& e = cache[h >> (32 - kBits)];
  if (e.generation == generation && e.tag == tag && e.a == va && e.b == vb) return e.level;
  // Two names whose letters alone rule out a Jaro-Winkler of 0.70 are level
  // 5 without computing it (most pairs of unrelated names: random pairs for
  // the u probabilities, a block's pairs that share a key but not a name).
  int level = name_level_floor(fa, fb, a, b);
  if (level != 5) {
    const std::string_view x = value(fa, a), y = value(fb, b);
    level = x == y ? 1 : field_level_values(FieldKind::given_name, x, y);
  }
  e = {generation, static_cast<std::uint16_t>(tag), static_cast<std::uint16_t>(level), va, vb};
  return level;
}

int Deduplicator::State::name_level_floor(int fa, int fb, const Rec& a, const Rec& b) const {
  const std::uint32_t* x = a.row + fields[fa].inline_slot;  // length word, then the bytes
  const std::uint32_t* y = b.row + fields[fb].inline_slot;
  const int lx = static_cast<int>(x[0]), ly = static_cast<int>(y[0]);
  if (x[0] == kLongValue || y[0] == kLongValue) return 1;  // held in the arena: no bound
  std::uint64_t sx, sy;
  std::memcpy(&sx, a.row + fields[fa].letters_slot, sizeof sx);
  std::memcpy(&sy, b.row + fields[fb].letters_slot, sizeof sy);
  if (lx == ly && sx == sy) return 1;  // perhaps equal
  if ((sx | sy) >> 63) return 2;       // several words: token containment may give level 2
  // The actual common prefix (the bytes after a name's end are zero in the row).
  const std::uint32_t differ = x[1] ^ y[1];  // first four bytes
  const int prefix = std::min({differ == 0 ? 4 : __builtin_ctz(differ) / 8, lx, ly});
  // The level if at most `matches` bytes are paired: Jaro with every pair in order.
  auto level_with = [&](int matches) {
    if (matches <= 0) return 5;
    const double jaro = (static_cast<double>(matches) / lx + static_cast<double>(matches) / ly + 1.0) / 3.0;
    const double jw = jaro + prefix * 0.1 * (1.0 - jaro) + 1e-9;  // at least Jaro-Winkler; margin for rounding
    return jw >= 0.94 ? 2 : jw >= 0.85 ? 3 : jw >= 0.70 ? 4 : 5;
  };
  // Jaro-Winkler pairs equal bytes of the two names: each letter of one that
  // the other lacks leaves at least one byte unpaired (one way first, the
  // other only when the first leaves room).
  constexpr std::uint64_t kLetters = ~(std::uint64_t{1} << 63);
  const int level = level_with(lx - popcount(sx & ~sy & kLetters));
  return level == 5 ? 5 : std::max(level, level_with(ly - popcount(sy & ~sx & kLetters)));
}

int Deduplicator::State::field_level(int fi, const Rec& a, const Rec& b) const {
  const std::uint32_t va = a.row[fi], vb = b.row[fi];
  if (va == 0 || vb == 0) return 0;
  if (va == vb) return 1;
  const Field& f = fields[fi];
  if (f.kind == FieldKind::gender) return 2;  // two different values: no need to read them
  if (f.kind == FieldKind::given_name || f.kind == FieldKind::surname || f.kind == FieldKind::full_name)
    return name_level(fi, fi, fi, a, b);
  if (f.kind == FieldKind::text) {
    Signature x, y;
    std::memcpy(x.bits, a.row + f.inline_slot, sizeof x.bits);
    std::memcpy(y.bits, b.row + f.inline_slot, sizeof y.bits);
    const int slot = f.inline_slot + 4;
    const double d = dice(x, y, static_cast<int>(a.row[slot]), static_cast<int>(b.row[slot]));
    return d >= 0.8 ? 2 : d >= 0.6 ? 3 : 4;
  }
  return code_level(fi, a, b);
}

int Deduplicator::State::code_level(int fi, const Rec& a, const Rec& b) const {
  const Field& f = fields[fi];
  const std::uint32_t length = a.row[f.inline_slot];
  if ((f.kind == FieldKind::id || f.kind == FieldKind::code || f.kind == FieldKind::phone) &&
      length == b.row[f.inline_slot] && length != kLongValue && length >= 3) {
    // Same length, both inline: the levels of field_level_values for equal
    // lengths, on the row words.
    const char* x = reinterpret_cast<const char*>(a.row + f.inline_slot + 1);
    const char* y = reinterpret_cast<const char*>(b.row + f.inline_slot + 1);
    bool swap = false;
    const int d = inline_hamming(x, y, static_cast<int>(length), &swap);
    if (d <= 1 || swap) return 2;
    if (f.kind != FieldKind::id) return 3;
    return length == 18 && load8(x + 6) == load8(y + 6) ? 3 : 4;
  }
  if (f.kind == FieldKind::date && length == 8 && b.row[f.inline_slot] == 8)  // two YYYYMMDD dates, inline
    return date_level(load8(reinterpret_cast<const char*>(a.row + f.inline_slot + 1)),
                      load8(reinterpret_cast<const char*>(b.row + f.inline_slot + 1)));
  return field_level_values(f.kind, value(fi, a), value(fi, b));
}

void Deduplicator::State::name_levels(const Rec& a, const Rec& b, int* out) const {
  for (std::size_t k = first_name_position; k < order.size(); ++k) out[order[k]] = field_level(order[k], a, b);
  if (given >= 0 && surname >= 0 && (out[given] > 1 || out[surname] > 1)) {
    // Given name and surname swapped in one record. Most pairs are ruled
    // out by a bound on the swapped levels before computing them
    // (name_level_floor; the second bound only when the first, with the
    // second level at 1, does not already rule the swap out).
    const int direct = out[given] + out[surname];
    int floor = 0;
    if (a.row[given] != 0 && a.row[surname] != 0 && b.row[given] != 0 && b.row[surname] != 0 &&
        (floor = name_level_floor(given, surname, a, b)) + 1 < direct &&
        floor + name_level_floor(surname, given, a, b) < direct) {
      const int l1 = name_level(kMaxFields, given, surname, a, b);
      const int l2 = name_level(kMaxFields + 1, surname, given, a, b);
      if (l1 + l2 < out[given] + out[surname]) {
        out[given] = l1;
        out[surname] = l2;
      }
    }
  }
}

int Deduplicator::State::other_level(int fi, const Rec& a, const Rec& b, const int* out) const {
  int l = field_level(fi, a, b);
  // The birth-date part of two IDs is the date of birth again: when both
  // records give a date, that agreement is counted there, not twice.
  if (l == 3 && fields[fi].kind == FieldKind::id && date >= 0 && out[date] != 0) l = 4;
  return l;
}

void Deduplicator::State::levels_of(const Rec& a, const Rec& b, int* out) const {
  for (std::size_t k = 0; k < first_name_position; ++k) out[order[k]] = other_level(order[k], a, b, out);
  name_levels(a, b, out);
}

double Deduplicator::State::tf_adjust(std::size_t fi, const Rec& a) const {
  if (tf_in_rows) return tf_of_row(fi, a);
  if (!model.fields[fi].term_frequency) return 0;
  const Field& f = fields[fi];
  const double p = static_cast<double>(f.value_count[a.row[fi]]) / std::max<std::uint64_t>(1, f.present);
  if (f.mean_frequency <= 0 || p <= 0) return 0;
  // log2(mean / p), bounded: a rare value counts more, a common one less.
  return std::clamp(std::log2(f.mean_frequency / p), -10.0, 10.0);
}

double Deduplicator::State::pair_weight(std::uint32_t a, std::uint32_t /*b*/, const int* lv) const {
  double w = 0;
  for (std::size_t fi = 0; fi < fields.size(); ++fi) {
    const int l = lv[fi];
    if (l == 0) continue;
    w += weight[fi][l];
    if (l == 1) w += tf_adjust(fi, rec(a));
  }
  return w;
}

void Deduplicator::State::bounds_for(const Rec& a, double* bound) const {
  bound[order.size()] = 0;
  for (std::size_t k = order.size(); k-- > 0;) {
    const int fi = order[k];
    bound[k] = bound[k + 1] + std::max(best_inexact[fi], weight[fi][1] + tf_adjust(fi, a));
  }
}

bool Deduplicator::State::weigh(const Rec& a, const Rec& b, double min_weight, double& w, int* lv,
                                const double* rest_max) const {
  w = 0;
  for (std::size_t k = 0; k < first_name_position; ++k) {
    const int fi = order[k];
    const int l = other_level(fi, a, b, lv);
    lv[fi] = l;
    if (l != 0) {
      w += weight[fi][l];
      if (l == 1) w += tf_in_rows ? tf_of_row(fi, a) : tf_adjust(fi, a);
    }
    if (w + rest_max[k + 1] < min_weight) return false;
  }
  if (first_name_position == order.size()) return w >= min_weight;
  name_levels(a, b, lv);
  for (std::size_t k = first_name_position; k < order.size(); ++k) {
    const int fi = order[k];
    const int l = lv[fi];
    if (l == 0) continue;
    w += weight[fi][l];
    if (l == 1) w += tf_in_rows ? tf_of_row(fi, a) : tf_adjust(fi, a);
  }
  return w >= min_weight;
}

void Deduplicator::estimate() {
  State& s = *state_;
  const std::size_t nf = s.fields.size();
  s.model.fields.assign(nf, {});
  for (std::size_t fi = 0; fi < nf; ++fi) {
    auto& fm = s.model.fields[fi];
    fm.column = s.table.columns()[s.fields[fi].column];
    fm.kind = s.fields[fi].kind;
    fm.levels = level_count(fm.kind);
    fm.term_frequency = fm.kind != FieldKind::gender && fm.kind != FieldKind::id && fm.kind != FieldKind::phone;
  }
  auto pack = [&](const int* lv) {
    std::uint64_t p = 0;
    for (std::size_t fi = 0; fi < nf; ++fi) p |= static_cast<std::uint64_t>(lv[fi]) << (4 * fi);
    return p;
  };
  const int threads = std::max(1, s.settings.threads);
  // u from random pairs (deterministic generator), compared in parallel; the
  // counts are summed, so the result does not depend on the threads.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> random_pairs;
  if (s.n >= 2) {
    std::uint64_t x = 0x2545F4914F6CDD1DULL;
    auto next = [&x] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    const std::uint64_t samples = std::min<std::uint64_t>(200'000, static_cast<std::uint64_t>(s.n) * (s.n - 1) / 2);
    random_pairs.reserve(samples);
    for (std::uint64_t t = 0; t < samples; ++t) {
      const std::uint32_t a = static_cast<std::uint32_t>(next() % s.n);
      const std::uint32_t b = static_cast<std::uint32_t>(next() % s.n);
      if (a != b) random_pairs.emplace_back(a, b);
    }
  }
  // Comparison vectors of sampled candidate pairs.
  std::uint64_t total_candidates_estimate = 0;
  for (std::size_t b = 0; b + 1 < s.block_start.size(); ++b) {
    const std::uint64_t m = s.block_start[b + 1] - s.block_start[b];
    total_candidates_estimate += m * (m - 1) / 2;
  }
  const std::uint64_t stride =
      std::max<std::uint64_t>(1, total_candidates_estimate / std::max<std::size_t>(1, s.settings.em_sample_pairs));
  struct Counts {
    std::vector<std::array<double, kMaxLevels>> u;
    std::unordered_map<std::uint64_t, std::uint64_t> patterns;
    std::uint64_t pairs = 0;
  };
  std::vector<Counts> counts(threads);
  std::atomic<std::size_t> next_pair{0};
  std::atomic<std::uint32_t> next_record{0};
  run_threads(threads, [&](int t) {
    Counts& c = counts[t];
    c.u.assign(nf, {});
    int lv[kMaxFields];
    constexpr std::size_t kPairChunk = 4096;
    for (std::size_t begin; (begin = next_pair.fetch_add(kPairChunk)) < random_pairs.size();) {
      for (std::size_t p = begin; p < std::min(random_pairs.size(), begin + kPairChunk); ++p) {
        s.levels_of(random_pairs[p].first, random_pairs[p].second, lv);
        for (std::size_t fi = 0; fi < nf; ++fi)
          if (lv[fi] != 0) c.u[fi][lv[fi]] += 1;
      }
    }
    std::vector<std::uint32_t> stamp(s.n, 0);
    constexpr std::uint32_t kRecordChunk = 1024;
    for (std::uint32_t begin; (begin = next_record.fetch_add(kRecordChunk)) < s.n;) {
      for (std::uint32_t i = begin; i < std::min(s.n, begin + kRecordChunk); ++i) {
        if (stride > 1 && (static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL >> 40) % stride != 0) continue;
        s.for_candidates(i, stamp, [&](std::uint32_t j) {
          s.levels_of(i, j, lv);
          ++c.patterns[pack(lv)];
          ++c.pairs;
        });
      }
    }
  });
  std::vector<std::array<double, kMaxLevels>> u_random(nf);
  for (auto& a : u_random) a.fill(1.0);  // Laplace
  std::unordered_map<std::uint64_t, std::uint64_t> patterns;
  for (const Counts& c : counts) {
    for (std::size_t fi = 0; fi < nf; ++fi)
      for (int l = 0; l < kMaxLevels; ++l) u_random[fi][l] += c.u[fi][l];
    for (const auto& [p, k] : c.patterns) patterns[p] += k;
    s.stats.em_pairs += c.pairs;
  }
  std::vector<Counts>().swap(counts);
  // EM.
  struct Pattern {
    std::array<std::uint8_t, kMaxFields> level;
    double count;
  };
  std::vector<Pattern> data;
  data.reserve(patterns.size());
  for (const auto& [p, c] : patterns) {
    Pattern d{};
    for (std::size_t fi = 0; fi < nf; ++fi) d.level[fi] = static_cast<std::uint8_t>(p >> (4 * fi) & 0xF);
    d.count = static_cast<double>(c);
    data.push_back(d);
  }
  std::sort(data.begin(), data.end(), [](const Pattern& a, const Pattern& b) { return a.level < b.level; });
  auto& fields = s.model.fields;
  for (std::size_t fi = 0; fi < nf; ++fi) {
    const int L = fields[fi].levels;
    double total = 0;
    for (int l = 1; l < L; ++l) total += u_random[fi][l];
    for (int l = 1; l < L; ++l) fields[fi].u[l] = u_random[fi][l] / total;
    // m: most mass on agreement
    double mass = 0.9;
    for (int l = 1; l < L; ++l) {
      fields[fi].m[l] = l == L - 1 ? 0 : mass * (l == 1 ? 1.0 : 0.5);
      if (l > 1) mass *= 0.5;
    }
    double sum = 0;
    for (int l = 1; l < L - 1; ++l) sum += fields[fi].m[l];
    fields[fi].m[L - 1] = std::max(0.02, 1.0 - sum);
    double norm = 0;
    for (int l = 1; l < L; ++l) norm += fields[fi].m[l];
    for (int l = 1; l < L; ++l) fields[fi].m[l] /= norm;
  }
  double lambda = 0.05;
  for (int iteration = 0; iteration < s.settings.em_iterations && !data.empty(); ++iteration) {
    std::vector<std::array<double, kMaxLevels>> m_acc(nf), u_acc(nf);
    for (auto& a : m_acc) a.fill(1e-3);
    for (auto& a : u_acc) a.fill(1e-3);
    double match_total = 0, all = 0;
    for (const Pattern& d : data) {
      double lm = std::log(lambda), lu = std::log(1 - lambda);
      for (std::size_t fi = 0; fi < nf; ++fi) {
        const int l = d.level[fi];
        if (l == 0) continue;
        lm += std::log(std::max(fields[fi].m[l], 1e-12));
        lu += std::log(std::max(fields[fi].u[l], 1e-12));
      }
      const double g = 1.0 / (1.0 + std::exp(lu - lm));
      match_total += g * d.count;
      all += d.count;
      for (std::size_t fi = 0; fi < nf; ++fi) {
        const int l = d.level[fi];
        if (l == 0) continue;
        m_acc[fi][l] += g * d.count;
        u_acc[fi][l] += (1 - g) * d.count;
      }
    }
    const double new_lambda = std::clamp(match_total / all, 1e-6, 0.999);
    double change = std::abs(new_lambda - lambda);
    lambda = new_lambda;
    for (std::size_t fi = 0; fi < nf; ++fi) {
      const int L = fields[fi].levels;
      double sm = 0, su = 0;
      for (int l = 1; l < L; ++l) {
        sm += m_acc[fi][l];
        su += u_acc[fi][l];
      }
      for (int l = 1; l < L; ++l) {
        const double m = m_acc[fi][l] / sm;
        change = std::max(change, std::abs(m - fields[fi].m[l]));
        fields[fi].m[l] = m;
        fields[fi].u[l] = u_acc[fi][l] / su;
      }
    }
    if (change < 1e-5) break;
  }
  s.model.lambda = lambda;
  s.apply_model();
  // Term-frequency adjustments by value, for score().
  std::vector<std::vector<float>> tf(nf);
  for (std::size_t fi = 0; fi < nf; ++fi) {
    const auto& f = s.fields[fi];
    tf[fi].assign(f.value_count.size(), 0.0f);
    if (!fields[fi].term_frequency || f.mean_frequency <= 0) continue;
    for (std::size_t v = 1; v < f.value_count.size(); ++v) {
      const double p = static_cast<double>(f.value_count[v]) / std::max<std::uint64_t>(1, f.present);
      tf[fi][v] = static_cast<float>(std::clamp(std::log2(f.mean_frequency / p), -10.0, 10.0));
    }
  }
  // Into every row, so that a comparison reads no table but the rows.
  for (std::size_t r = 0; r < s.n; ++r) {
    std::uint32_t* row = s.rows.data() + r * s.stride;
    for (std::size_t fi = 0; fi < nf; ++fi) std::memcpy(row + s.tf_slot + fi, &tf[fi][row[fi]], sizeof(float));
  }
  s.tf_in_rows = true;
}

void Deduplicator::State::apply_model() {
  const std::size_t nf = fields.size();
  const auto& mf = model.fields;
  prior = static_cast<float>(std::log2(model.lambda / (1 - model.lambda)));
  for (std::size_t fi = 0; fi < nf; ++fi) {
    for (int l = 1; l < mf[fi].levels; ++l) {
      double w = std::log2(std::max(mf[fi].m[l], 1e-9) / std::max(mf[fi].u[l], 1e-9));
      weight[fi][l] = static_cast<float>(std::clamp(w, -20.0, 20.0));
    }
    // Agreement levels never count against a match more than the level below them.
    for (int l = mf[fi].levels - 2; l >= 1; --l) weight[fi][l] = std::max(weight[fi][l], weight[fi][l + 1]);
  }
  best_inexact.assign(nf, 0.0);
  for (std::size_t fi = 0; fi < nf; ++fi)
    for (int l = 2; l < mf[fi].levels; ++l) best_inexact[fi] = std::max(best_inexact[fi], static_cast<double>(weight[fi][l]));
  // Upper bounds for early stopping (any record).
  rest_max.assign(order.size() + 1, 0.0);
  for (std::size_t k = order.size(); k-- > 0;) {
    const int fi = order[k];
    const auto& f = fields[fi];
    double tf_max = 0;
    if (mf[fi].term_frequency && f.mean_frequency > 0 && f.present > 0)
      tf_max = std::clamp(std::log2(f.mean_frequency * static_cast<double>(f.present)), -10.0, 10.0);
    rest_max[k] = rest_max[k + 1] + std::max(best_inexact[fi], weight[fi][1] + tf_max);
  }
}

ScoredPair Deduplicator::compare(std::uint32_t a, std::uint32_t b) const {
  const State& s = *state_;
  int lv[kMaxFields];
  s.levels_of(a, b, lv);
  const double w = s.pair_weight(a, b, lv);
  ScoredPair p;
  p.a = std::min(a, b);
  p.b = std::max(a, b);
  p.weight = static_cast<float>(w);
  p.probability = static_cast<float>(1.0 / (1.0 + std::exp2(-(w + s.prior))));
  return p;
}

bool Deduplicator::candidate(std::uint32_t a, std::uint32_t b) const {
  const State& s = *state_;
  if (a == b || a >= s.slot_blocks.size() || b >= s.slot_blocks.size()) return false;
  return s.same_blocks(a, b) != 0;
}

std::vector<int> Deduplicator::levels(std::uint32_t a, std::uint32_t b) const {
  int lv[kMaxFields];
  state_->levels_of(a, b, lv);
  return std::vector<int>(lv, lv + state_->fields.size());
}

void Deduplicator::score(const ProgressFn& progress) {
  State& s = *state_;
  const int threads = std::max(1, s.settings.threads);
  const double min_weight = std::log2(s.settings.review_low / (1 - s.settings.review_low)) - s.prior;
  // Kept pairs per thread in chunks: a growing vector would copy (and fault
  // in) its pairs again at every doubling. Chunks start small and grow four
  // times up to a fixed capacity, so that a small data set maps (and faults
  // in) little memory for them.
  constexpr std::size_t kFirstKeptChunk = std::size_t{1} << 8, kKeptChunk = std::size_t{1} << 16;
  std::vector<std::vector<std::vector<ScoredPair>>> kept(threads);
  std::vector<std::uint64_t> compared(threads, 0);
  std::atomic<std::uint32_t> next_chunk{0};
  std::atomic<std::uint64_t> done{0};
  // Block by block. A pair that shares several blocks is compared only in
  // the block of its first shared key slot (blocks of oversized keys do not
  // count), so each candidate pair is compared once, as the smaller record
  // against the larger. Most blocks hold one pair: a chunk of blocks first
  // lists those pairs that are compared here (without a branch on whether the
  // two share an earlier key, which no processor predicts), then compares
  // them; larger blocks are compared as they come, their members' rows first
  // copied next to each other when the registry is too large for the
  // processor's caches, so that the pairs of a block are compared in cache.
  const std::uint32_t blocks = static_cast<std::uint32_t>(s.block_start.size() - 1);
  constexpr std::uint32_t kChunk = 256;
  constexpr std::uint32_t kPrefetch = 32;   // members whose blocks are fetched ahead
  constexpr std::uint32_t kRowsAhead = 8;   // listed pairs whose rows are fetched ahead
  const std::size_t bound_size = s.order.size() + 1;
  // The members' rows of larger blocks are copied, and fetched ahead of use,
  // only when the rows are too many to stay in the processor's caches between
  // the blocks that read them; otherwise the copy (and those loads ahead) cost
  // more than they save. The rows of listed pairs are always fetched ahead.
  const bool copy_rows = s.rows.size() * sizeof(std::uint32_t) > s.settings.copy_rows_above;
  auto work = [&](int t) {
    std::vector<std::uint32_t> rows;          // members' rows
    std::vector<double> bounds;               // the weight bounds of a pair's first record
    std::vector<char> copied;                 // members' rows copied
    std::vector<std::array<std::uint32_t, 2>> pending(kChunk);  // pairs of two-member blocks to compare
    std::uint64_t pairs = 0;                  // compared by this thread (a shared array would bounce its cache line)
    int lv[kMaxFields];
    bounds.resize(bound_size);
    // Compares a and b and keeps the pair when its weight may reach the review band.
    auto compare = [&](const State::Rec& a, const State::Rec& b, const double* bound) {
      ++pairs;
      double w = 0;
      if (!s.weigh(a, b, min_weight, w, lv, bound)) return;
      if (kept[t].empty() || kept[t].back().size() == kept[t].back().capacity()) {
        const std::size_t capacity =
            kept[t].empty() ? kFirstKeptChunk : std::min(kKeptChunk, kept[t].back().capacity() * 4);
        kept[t].emplace_back().reserve(capacity);
      }
      kept[t].back().push_back({a.index, b.index, static_cast<float>(w),
                                static_cast<float>(1.0 / (1.0 + std::exp2(-(w + s.prior))))});
    };
    while (true) {
      const std::uint32_t begin = next_chunk.fetch_add(kChunk);
      if (begin >= blocks) break;
      const std::uint32_t end = std::min(blocks, begin + kChunk);
      // The members of a block are scattered over the registry: the blocks of
      // the members two at a time kPrefetch members ahead (two per block keeps
      // pace with the blocks of one pair), and those of a larger block's
      // members as it starts, are fetched from memory ahead of use.
      const std::uint32_t last_member = static_cast<std::uint32_t>(s.block_members.size() - 1);
      std::uint32_t listed = 0;  // pairs in `pending`
      for (std::uint32_t b = begin; b < end; ++b) {
        const std::uint32_t ahead = std::min(s.block_start[b] + kPrefetch, last_member - 1);
        s.prefetch_blocks(s.block_members[ahead]);
        s.prefetch_blocks(s.block_members[ahead + 1]);
        const std::uint32_t* members = s.block_members.data() + s.block_start[b];
        const std::uint32_t m = s.block_start[b + 1] - s.block_start[b];
        const int slot = s.block_slot[b];
        const unsigned earlier = (1u << slot) - 1;  // key slots before the block's
        if (m == 2) {  // most blocks: one pair, compared unless the two share an earlier key
          pending[listed] = {members[0], members[1]};
          listed += (s.same_blocks(members[0], members[1]) & earlier) == 0;
          continue;
        }
        for (std::uint32_t x = 0; x < m; ++x) {
          s.prefetch_blocks(members[x]);
          if (copy_rows) s.prefetch_row(members[x]);
        }
        // A member's row is copied when it first takes part in a pair
        // compared here; small blocks, and all blocks of a registry whose
        // rows stay in cache, read the rows in place.
        const bool copy = copy_rows && m > 4;
        if (copy) {
          rows.resize(static_cast<std::size_t>(m) * s.stride);
          copied.assign(m, 0);
        }
        // Whether members x and y share the block of an earlier slot: then
        // they are compared in that block.
        auto compared_earlier = [&](std::uint32_t x, std::uint32_t y) {
          return (s.same_blocks(members[x], members[y]) & earlier) != 0;
        };
        auto member = [&](std::uint32_t x) {
          const std::uint32_t r = members[x];
          if (!copy) return s.rec(r);
          std::uint32_t* row = rows.data() + x * s.stride;
          if (!copied[x]) {
            copied[x] = 1;
            std::memcpy(row, s.rows.data() + static_cast<std::size_t>(r) * s.stride, s.stride * 4);
          }
          return State::Rec{row, r};
        };
        // Members are sorted by record: x < y is the smaller record first.
        for (std::uint32_t x = 0; x + 1 < m; ++x) {
          // The weight bounds of member x's pairs: its own (from its values'
          // term frequencies) when it has several pairs to compare here, else
          // those of any record (the tighter bound would cost more than it saves).
          const double* bound = s.rest_max.data();
          bool bounded = m - x <= 4;
          for (std::uint32_t y = x + 1; y < m; ++y) {
            if (compared_earlier(x, y)) continue;
            const State::Rec a = member(x);
            if (!bounded) {
              s.bounds_for(a, bounds.data());
              bound = bounds.data();
              bounded = true;
            }
            compare(a, member(y), bound);
          }
        }
      }
      // The listed pairs, their rows fetched ahead.
      for (std::uint32_t i = 0; i < listed; ++i) {
        if (i + kRowsAhead < listed) {
          s.prefetch_row(pending[i + kRowsAhead][0]);
          s.prefetch_row(pending[i + kRowsAhead][1]);
        }
        compare(s.rec(pending[i][0]), s.rec(pending[i][1]), s.rest_max.data());
      }
      const std::uint64_t d = done.fetch_add(end - begin) + (end - begin);
      if (t == 0 && progress) progress(d, blocks);
    }
    compared[t] = pairs;
  };
  run_threads(threads, work);
  std::vector<std::vector<ScoredPair>> parts;
  for (int t = 0; t < threads; ++t) {
    s.stats.comparisons += compared[t];
    for (auto& chunk : kept[t]) parts.push_back(std::move(chunk));
  }
  sort_pairs(parts, s.kept, s.n);
  s.stats.kept_pairs = s.kept.size();
  if (progress) progress(blocks, blocks);
}

void Deduplicator::cluster() {
  State& s = *state_;
  const std::uint32_t n = s.n;
  // Links and their adjacency.
  std::vector<std::uint32_t> degree(n + 1, 0);
  std::size_t links = 0;
  for (const auto& p : s.kept) {
    if (p.probability < s.settings.link_probability) break;  // sorted by weight
    ++degree[p.a + 1];
    ++degree[p.b + 1];
    ++links;
  }
  s.stats.links = links;
  for (std::uint32_t r = 0; r < n; ++r) degree[r + 1] += degree[r];
  std::vector<std::uint32_t> adjacency(degree[n]);
  {
    std::vector<std::uint32_t> fill(degree.begin(), degree.end() - 1);
    for (std::size_t e = 0; e < links; ++e) {
      adjacency[fill[s.kept[e].a]++] = s.kept[e].b;
      adjacency[fill[s.kept[e].b]++] = s.kept[e].a;
    }
  }
  std::vector<std::uint32_t> parent(n), size(n, 1), next(n);
  std::iota(parent.begin(), parent.end(), 0);
  std::iota(next.begin(), next.end(), 0);  // circular member lists
  auto find = [&](std::uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  std::vector<char> refused(links, 0);
  for (std::size_t e = 0; e < links; ++e) {
    std::uint32_t ra = find(s.kept[e].a), rb = find(s.kept[e].b);
    if (ra == rb) continue;
    if (size[ra] > 1 || size[rb] > 1) {
      if (size[ra] > size[rb]) std::swap(ra, rb);
      // Count links between the two clusters, from the smaller one.
      std::uint64_t cross = 0;
      std::uint32_t x = ra;
      do {
        for (std::uint32_t k = degree[x]; k < degree[x + 1]; ++k)
          if (find(adjacency[k]) == rb) ++cross;
        x = next[x];
      } while (x != ra);
      const double needed = s.settings.cluster_support * static_cast<double>(size[ra]) * size[rb];
      if (static_cast<double>(cross) < needed) {
        refused[e] = 1;
        continue;
      }
    }
    if (size[ra] < size[rb]) std::swap(ra, rb);
    parent[rb] = ra;
    size[ra] += size[rb];
    std::swap(next[ra], next[rb]);  // splice the two circles
  }
  // Cluster id: smallest record index.
  std::vector<std::uint32_t> smallest(n, UINT32_MAX);
  for (std::uint32_t r = 0; r < n; ++r) {
    const std::uint32_t root = find(r);
    smallest[root] = std::min(smallest[root], r);
  }
  s.cluster_of.resize(n);
  s.stats.clusters = 0;
  for (std::uint32_t r = 0; r < n; ++r) {
    s.cluster_of[r] = smallest[find(r)];
    if (s.cluster_of[r] == r) ++s.stats.clusters;
  }
  // Review: uncertain pairs, and links whose clusters were kept apart.
  s.review.clear();
  for (std::size_t e = 0; e < s.kept.size(); ++e) {
    const auto& p = s.kept[e];
    const bool linked = e < links;
    if (linked && refused[e] && s.cluster_of[p.a] != s.cluster_of[p.b]) {
      s.review.push_back({p, true});
      ++s.stats.refused_joins;
    } else if (p.probability >= s.settings.review_low && p.probability < s.settings.review_high) {
      s.review.push_back({p, false});
    }
  }
}

const std::vector<std::uint32_t>& Deduplicator::clusters() const { return state_->cluster_of; }
const std::vector<ReviewPair>& Deduplicator::review() const { return state_->review; }
const Model& Deduplicator::model() const { return state_->model; }
const Stats& Deduplicator::stats() const { return state_->stats; }

DedupResult deduplicate(const Table& table, const Settings& settings) {
  Deduplicator d(table, settings);
  d.prepare();
  d.block();
  d.estimate();
  d.score();
  d.cluster();
  return {d.clusters(), d.review(), d.model(), d.stats()};
}

}  // namespace shebao::matching
