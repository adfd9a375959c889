// shebao matching: the engine's internal state, shared by the batch engine
// (engine.cpp) and the candidate index (candidate_index.cpp). Not a public
// interface: include engine.h or candidate_index.h instead.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "matching/engine.h"
#include "matching/normalize.h"

namespace shebao::matching {

// Bigram signature of a text (blanks ignored), 128 bits: the Dice overlap of
// two signatures approximates the Dice coefficient of their bigram sets.
struct Signature {
  std::uint64_t bits[2] = {0, 0};
};
struct Deduplicator::State {
  struct Field {
    int column = 0;
    FieldKind kind = FieldKind::ignored;
    std::string arena;
    std::vector<std::uint32_t> begin;
    std::vector<std::uint32_t> value_count;  // by value id
    // Words of the record row (see `rows`) holding this field's value inline:
    // text fields their bigram signature and its bit count (5 words); dates, IDs, codes, phones
    // and names a length word then the bytes (`inline_words` words); -1: none.
    int inline_slot = -1;
    int inline_words = 0;
    // Names: two words of the row holding letters_of(value), for the bound
    // of name_level_floor; -1: none.
    int letters_slot = -1;
    std::uint64_t present = 0;
    double mean_frequency = 0;  // expected share of an agreeing value, for TF: sum p^3 / sum p^2
    double sum_c2 = 0, sum_c3 = 0;  // sums of count^2 and count^3 over values
    std::string_view get(std::uint32_t r) const {
      return std::string_view(arena).substr(begin[r], begin[r + 1] - begin[r]);
    }
    // One more (count) or one fewer (uncount) record with value `id`, and the
    // sums and mean frequency that follow.
    void count(std::uint32_t id) {
      const double c = value_count[id]++;
      sum_c2 += 2 * c + 1;              // (c+1)^2 - c^2
      sum_c3 += 3 * c * c + 3 * c + 1;  // (c+1)^3 - c^3
      ++present;
      mean_frequency = sum_c3 / (sum_c2 * static_cast<double>(present));
    }
    void uncount(std::uint32_t id) {
      const double c = value_count[id]--;
      sum_c2 -= 2 * c - 1;              // c^2 - (c-1)^2
      sum_c3 -= 3 * c * c - 3 * c + 1;  // c^3 - (c-1)^3
      --present;
      mean_frequency = present > 0 && sum_c2 > 0 ? sum_c3 / (sum_c2 * static_cast<double>(present)) : 0;
    }
  };
  static constexpr int kKeys = 10;
  static constexpr std::uint32_t kLongValue = 0xFFFFFFFFu;  // inline length word: read the arena

  const Table& table;
  Settings settings;
  std::unique_ptr<ChineseText> chinese = std::make_unique<ChineseText>();
  // The value ids of one field's distinct values: open addressing over
  // (32 bits of the value's hash << 32 | value id), 0 = empty; the text of
  // value id v is the field's value in record first_record[v], read from the
  // field's arena (no copy of the value is kept).
  struct ValueIds {
    std::vector<std::uint64_t> slots;
    std::vector<std::uint32_t> first_record{0};  // by value id (0: missing)
  };
  std::vector<ValueIds> value_ids;  // by field
  // The id of `value` (held in the arena for record r) in field fi, a new one if unseen.
  std::uint32_t value_id(int fi, std::string_view value, std::uint32_t r);
  int id_field = -1, phone_field = -1, email_field = -1, postcode_field = -1, full_field = -1;
  // Normalises row r of the table (r = records so far) and appends it.
  void append(std::uint32_t r);
  // The steps of append(), also run by prepare() on many rows at once.
  std::string normalize_value(int fi, std::string_view raw, ChineseText& text) const;
  void set_inline(int fi, std::string_view value, std::uint32_t* row) const;
  void intern(int fi, std::string_view value, std::uint32_t* row);  // arena, value id, counts
  std::array<std::uint64_t, 10> compute_keys(std::uint32_t r) const;
  // Weights, prior and bounds from `model`.
  void apply_model();
  std::vector<Field> fields;
  int given = -1, surname = -1, date = -1;
  std::uint32_t n = 0;
  std::vector<std::array<std::uint64_t, kKeys>> keys;
  // blocks: members sorted by record; per record its blocks
  std::vector<std::uint32_t> block_start, block_members;
  std::vector<std::uint32_t> record_block_start, record_blocks;
  Model model;
  std::vector<std::array<std::array<float, kMaxLevels>, kMaxFields>> weights_holder;
  std::array<std::array<float, kMaxLevels>, kMaxFields> weight{};
  float prior = 0;
  std::vector<ScoredPair> kept;
  std::vector<std::uint32_t> cluster_of;
  std::vector<ReviewPair> review;
  Stats stats;

  State(const Table& t, Settings s) : table(t), settings(s) {}
  // Distinct for every State made by the process: tags the entries of the
  // per-thread cache of name-pair levels (see field_level).
  const std::uint32_t generation = next_generation();
  static std::uint32_t next_generation();

  // One record as the comparison reads it: its row (in `rows`, or a copy of
  // it in a block-local buffer) and its index.
  struct Rec {
    const std::uint32_t* row;
    std::uint32_t index;
  };
  Rec rec(std::uint32_t r) const { return {rows.data() + static_cast<std::size_t>(r) * stride, r}; }
  // Ask the processor to load what the block walk reads of record r (its
  // blocks), or what comparing it reads (its row), so that the load overlaps
  // the work before.
  void prefetch_blocks(std::uint32_t r) const { __builtin_prefetch(&slot_blocks[r]); }
  void prefetch_row(std::uint32_t r) const {
    const char* row = reinterpret_cast<const char*>(rows.data() + static_cast<std::size_t>(r) * stride);
    for (std::size_t at = 0; at < stride * 4; at += 64) __builtin_prefetch(row + at);
    __builtin_prefetch(row + stride * 4 - 1);
  }
  // The key slots (bit k for slot k) in which records r0 and r1 are members
  // of the same block. Without a branch per slot: whether two records share
  // a key is not predictable.
  unsigned same_blocks(std::uint32_t r0, std::uint32_t r1) const {
    const std::uint32_t* x = slot_blocks[r0].of;
    const std::uint32_t* y = slot_blocks[r1].of;
#if defined(__SSE2__)
    unsigned same = 0;
    for (int i = 0; i < kKeys; i += 4) {
      const __m128i eq = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(x + i)),
                                         _mm_load_si128(reinterpret_cast<const __m128i*>(y + i)));
      same |= static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(eq))) << i;
    }
    return same & ((1u << kKeys) - 1);
#else
    unsigned same = 0;
    for (int k = 0; k < kKeys; ++k) same |= static_cast<unsigned>(x[k] == y[k]) << k;
    return same;
#endif
  }
  // The normalised value of field fi, from the row when it is held inline.
  std::string_view value(int fi, const Rec& r) const {
    const Field& f = fields[fi];
    if (f.inline_slot >= 0 && f.kind != FieldKind::text && r.row[f.inline_slot] != kLongValue)
      return {reinterpret_cast<const char*>(r.row + f.inline_slot + 1), r.row[f.inline_slot]};
    return f.get(r.index);
  }

  void levels_of(std::uint32_t a, std::uint32_t b, int* out) const { levels_of(rec(a), rec(b), out); }
  void levels_of(const Rec& a, const Rec& b, int* out) const;
  // The weight of a pair, stopping early (returning false) once the fields
  // left cannot lift it to min_weight. Cheap fields first, names last.
  void name_levels(const Rec& a, const Rec& b, int* out) const;
  int other_level(int fi, const Rec& a, const Rec& b, const int* out) const;
  bool weigh(std::uint32_t a, std::uint32_t b, double min_weight, double& weight_out, int* lv,
             const double* rest_max) const {
    return weigh(rec(a), rec(b), min_weight, weight_out, lv, rest_max);
  }
  bool weigh(const Rec& a, const Rec& b, double min_weight, double& weight_out, int* lv,
             const double* rest_max) const;
  // Term-frequency adjustment of an exact agreement on a's value of field fi.
  double tf_adjust(std::size_t fi, const Rec& a) const;
  // The same, read from a's row (once estimate() has filled tf_in_rows).
  double tf_of_row(std::size_t fi, const Rec& a) const {
    float t;
    std::memcpy(&t, a.row + tf_slot + fi, sizeof t);
    return t;
  }
  std::vector<int> order;          // fields, cheap ones first, names last
  std::vector<double> rest_max;    // by position in order: most weight the later fields can add
  std::vector<double> best_inexact;  // by field: the highest weight of a level other than exact
  // Per record a row of `stride` words: the value id of each field, then the
  // term-frequency adjustment of each field's value (a float, filled by
  // estimate(); `tf_in_rows`), then the inline values of the fields (see
  // Field::inline_slot). A comparison reads the two rows and nothing else
  // unless a value is too long to be held inline.
  std::vector<std::uint32_t> rows;
  std::size_t stride = 0;
  int tf_slot = 0;
  bool tf_in_rows = false;
  // Per record, the block (its index in block_start) of each key slot, or
  // kNoBlock | record when that slot's key forms no block that is compared,
  // and for the slots past kKeys: two records never agree on such a slot. A
  // pair is compared in the block of the first slot the two share. One cache
  // line per record: the block walk reads it for every member.
  static constexpr std::uint32_t kNoBlock = 0x80000000u;
  struct alignas(64) SlotBlocks {
    std::uint32_t of[16];
  };
  static_assert(kKeys <= 12, "same_blocks() reads three groups of four slots");
  std::vector<SlotBlocks> slot_blocks;
  std::vector<std::uint8_t> block_slot;  // by block: the key slot it comes from
  // bound[k]: the most weight fields order[k..] can add to a pair with record a.
  void bounds_for(std::uint32_t a, double* bound) const { bounds_for(rec(a), bound); }
  void bounds_for(const Rec& a, double* bound) const;
  std::size_t first_name_position = 0;
  int field_level(int fi, const Rec& a, const Rec& b) const;
  // field_level of two different values that are not names, texts or genders.
  int code_level(int fi, const Rec& a, const Rec& b) const;
  // Level of a's name field fa against b's name field fb (fa = fb, or given
  // name against surname), cached under `tag` (the field, or kMaxFields + k).
  int name_level(int tag, int fa, int fb, const Rec& a, const Rec& b) const;
  // The lowest level name_level(tag, fa, fb, a, b) can give, from the names'
  // lengths, first bytes and letter sets only (no Jaro-Winkler).
  int name_level_floor(int fa, int fb, const Rec& a, const Rec& b) const;
  int field_level_values(FieldKind kind, std::string_view x, std::string_view y) const;
  double pair_weight(std::uint32_t a, std::uint32_t b, const int* lv) const;
  template <class Fn>
  void for_candidates(std::uint32_t i, std::vector<std::uint32_t>& stamp, Fn&& fn) const;
};

}  // namespace shebao::matching
