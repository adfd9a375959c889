// shebao matching: entity resolution of person records ("one person, one record").
//
// Input is a Table of text columns (any layout: the column names decide how a
// column is compared, see kind_for_column). The engine never sees a truth
// column: callers drop `entity_id` (and the record key) before building the
// Table. Steps, each a method of Deduplicator so that callers can time them:
//
//   prepare()   normalise every value (matching/normalize.h): names to a
//               canonical pinyin/Latin key, traditional to simplified, IDs
//               15 -> 18 digits, dates to YYYYMMDD; count value frequencies
//               for term-frequency adjustment; compute blocking keys. Rows
//               are normalised in parallel ranges, value ids then given in
//               row order, so they do not depend on the threads.
//   block()     several keys unioned (ID, date of birth with day and month
//               order-free, name sounds, surname sound + birth year, given
//               sound + birth year, surname sound + given initial, postcode +
//               given initial, phone, e-mail). A block larger than
//               Settings::max_block_size (kMaxBlockSize) is skipped and
//               counted, so comparisons grow close to linearly.
//   estimate()  Fellegi-Sunter m and u per comparison level, and the share of
//               matches among candidate pairs, by EM on the comparison
//               vectors of a sample of candidate pairs (no labels); u is
//               started from random record pairs.
//   score()     every candidate pair once, block by block (a pair sharing
//               several blocks is compared in the block of its first shared
//               key), cheap fields first; a pair is dropped as soon as the
//               fields left cannot lift it to review_low: comparison levels,
//               weight log2(m/u) summed over fields; an exact agreement on a value
//               is weighted by that value's frequency (two "Wang Wei" agree
//               less than two "Ouyang Zhen"); pairs with a match probability
//               of at least Settings::review_low are kept.
//   cluster()   pairs in decreasing weight; two records join on one link, but
//               two clusters of sizes a and b join only if at least
//               Settings::cluster_support * a * b of their cross pairs are
//               links, so chains of single links do not glue clusters.
//
// Comparison levels per kind: names exact / Jaro-Winkler >= 0.94 / >= 0.85 /
// >= 0.70 (token containment counts for multi-word names) / else, given name
// and surname also tried swapped; dates exact / day-month swapped or one edit
// / same year or two edits / else; IDs exact / one substitution or
// transposition / same birth-date part / else; codes exact / one edit / else;
// text exact / bigram Dice >= 0.8 / >= 0.6 / else. Missing values carry no
// weight.
//
// Pure: no I/O, no clock. prepare(), estimate() and score() use
// Settings::threads threads. Results do not depend on the order of the rows
// except through record indices used as tie-breaks, nor on the number of
// threads.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace shebao::matching {

// Blocks larger than this are not compared pairwise (their records meet in
// other blocks). 100 records = 4,950 pairs at most per block.
inline constexpr std::size_t kMaxBlockSize = 100;
inline constexpr int kMaxFields = 16;
inline constexpr int kMaxLevels = 6;  // level 0 = a value is missing

enum class FieldKind { ignored, given_name, surname, full_name, date, id, code, gender, phone, text };
std::string_view to_string(FieldKind kind);
// From the column name (lower case): given_name/first_name -> given_name,
// surname/last_name -> surname, name/full_name/first_and_surname -> full_name,
// dob/date_of_birth -> date, soc_sec_id/resident_id/id_number/ssn -> id,
// postcode/street_number/state -> code, gender/sex -> gender, phone* -> phone,
// record_id/entity_id/cluster_id/source/blocking_number/age -> ignored (the
// last two are artefacts derived from other columns), anything else -> text.
FieldKind kind_for_column(std::string_view column);
int level_count(FieldKind kind);

// Rows of text values, stored in one buffer.
class Table {
 public:
  explicit Table(std::vector<std::string> columns);
  const std::vector<std::string>& columns() const { return columns_; }
  std::size_t rows() const { return columns_.empty() ? 0 : ends_.size() / columns_.size(); }
  // `values` has one entry per column.
  void add_row(const std::vector<std::string_view>& values);
  std::string_view value(std::size_t row, std::size_t column) const;

 private:
  std::vector<std::string> columns_;
  std::string text_;
  std::vector<std::uint64_t> ends_;
};

struct Settings {
  int threads = 1;
  std::size_t max_block_size = kMaxBlockSize;
  double link_probability = 0.5;  // a pair is a link at or above this match probability
  double review_low = 0.05;       // pairs below this probability are dropped after comparison
  double review_high = 0.95;      // "uncertain" (review list): review_low <= p < review_high
  double cluster_support = 0.3;   // share of cross pairs that must be links to join two clusters
  int em_iterations = 60;
  std::size_t em_sample_pairs = 500'000;  // about this many candidate pairs feed EM
  // Speed only, the results are the same: when the records' rows take more
  // bytes than this, score() copies the rows of each larger block next to
  // each other before comparing its pairs (rows that stay in the processor's
  // caches are read in place).
  std::size_t copy_rows_above = std::size_t{4} << 20;
};

struct FieldModel {
  std::string column;
  FieldKind kind = FieldKind::ignored;
  int levels = 0;
  std::array<double, kMaxLevels> m{};
  std::array<double, kMaxLevels> u{};
  bool term_frequency = false;
};

struct Model {
  std::vector<FieldModel> fields;
  double lambda = 0.0;  // share of matches among candidate pairs
};

struct ScoredPair {
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  float weight = 0;       // log2 Bayes factor, without the prior
  float probability = 0;  // match probability among candidate pairs
};

struct ReviewPair {
  ScoredPair pair;
  bool linked_not_merged = false;  // a link the anti-chaining rule kept apart
};

struct Stats {
  std::uint64_t records = 0;
  std::uint64_t blocks = 0;
  std::uint64_t oversized_blocks = 0;
  std::uint64_t em_pairs = 0;      // comparisons made to estimate the model
  std::uint64_t comparisons = 0;   // candidate pairs compared in score()
  std::uint64_t kept_pairs = 0;    // pairs with probability >= review_low
  std::uint64_t links = 0;
  std::uint64_t refused_joins = 0;  // links whose clusters stayed apart
  std::uint64_t clusters = 0;
};

using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

class CandidateIndex;

class Deduplicator {
 public:
  Deduplicator(const Table& table, Settings settings);
  ~Deduplicator();
  Deduplicator(const Deduplicator&) = delete;
  Deduplicator& operator=(const Deduplicator&) = delete;

  void prepare(const ProgressFn& progress = {});  // progress in records
  void block();
  void estimate();
  void score(const ProgressFn& progress = {});  // progress in blocks
  void cluster();

  // After cluster(): cluster of each record, the smallest record index in it.
  const std::vector<std::uint32_t>& clusters() const;
  // Uncertain pairs and refused joins, most probable first.
  const std::vector<ReviewPair>& review() const;
  const Model& model() const;
  const Stats& stats() const;
  // The comparison levels and weight of one pair (after estimate()).
  ScoredPair compare(std::uint32_t a, std::uint32_t b) const;
  std::vector<int> levels(std::uint32_t a, std::uint32_t b) const;
  // Whether score() compares records a and b (after block()): they share a
  // block that is not oversized. The share of true pairs that are candidates
  // is the blocking recall, the most recall the comparisons can give.
  bool candidate(std::uint32_t a, std::uint32_t b) const;

  struct State;

 private:
  friend class CandidateIndex;
  std::unique_ptr<State> state_;
};

// Convenience: all five steps.
struct DedupResult {
  std::vector<std::uint32_t> clusters;
  std::vector<ReviewPair> review;
  Model model;
  Stats stats;
};
DedupResult deduplicate(const Table& table, const Settings& settings);

}  // namespace shebao::matching
