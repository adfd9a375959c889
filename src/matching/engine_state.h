// shebao matching: the engine's internal state, shared by the batch engine
// (engine.cpp) and the candidate index (candidate_index.cpp). Not a public
// interface: include engine.h or candidate_index.h instead.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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
    std::vector<Signature> signature;        // text fields: bigram signature per record
    std::uint64_t present = 0;
    double mean_frequency = 0;  // expected share of an agreeing value, for TF: sum p^3 / sum p^2
    double sum_c2 = 0, sum_c3 = 0;  // sums of count^2 and count^3 over values
    std::string_view get(std::uint32_t r) const {
      return std::string_view(arena).substr(begin[r], begin[r + 1] - begin[r]);
    }
  };
  static constexpr int kKeys = 10;

  const Table& table;
  Settings settings;
  std::unique_ptr<ChineseText> chinese = std::make_unique<ChineseText>();
  std::vector<std::unordered_map<std::string, std::uint32_t>> value_ids;  // by field
  int id_field = -1, phone_field = -1, email_field = -1, postcode_field = -1, full_field = -1;
  // Normalises row r of the table (r = records so far) and appends it.
  void append(std::uint32_t r);
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

  void levels_of(std::uint32_t a, std::uint32_t b, int* out) const;
  // The weight of a pair, stopping early (returning false) once the fields
  // left cannot lift it to min_weight. Cheap fields first, names last.
  void name_levels(std::uint32_t a, std::uint32_t b, int* out) const;
  int other_level(int fi, std::uint32_t a, std::uint32_t b, const int* out) const;
  bool weigh(std::uint32_t a, std::uint32_t b, double min_weight, double& weight_out, int* lv,
             const double* rest_max) const;
  double tf_adjust(std::size_t fi, std::uint32_t a) const;
  std::vector<int> order;          // fields, cheap ones first, names last
  std::vector<double> rest_max;    // by position in order: most weight the later fields can add
  std::vector<double> best_inexact;  // by field: the highest weight of a level other than exact
  std::vector<std::vector<float>> tf;  // by field and value id: term-frequency adjustment
  // Per record a row of `stride` words: the value id of each field, then the
  // date's 8 characters (2 words) and the ID's first 20 (5 words) when those
  // fields exist, so that most comparisons read one row per record.
  std::vector<std::uint32_t> vid;
  std::size_t stride = 0;
  int date_slot = -1, id_slot = -1;
  // bound[k]: the most weight fields order[k..] can add to a pair with record a.
  void bounds_for(std::uint32_t a, double* bound) const;
  std::size_t first_name_position = 0;
  int field_level(const Field& f, std::uint32_t a, std::uint32_t b) const;
  int field_level_values(FieldKind kind, std::string_view x, std::string_view y) const;
  double pair_weight(std::uint32_t a, std::uint32_t b, const int* lv) const;
  template <class Fn>
  void for_candidates(std::uint32_t i, std::vector<std::uint32_t>& stamp, Fn&& fn) const;
};

}  // namespace shebao::matching
