// shebao matching: candidates for one new record against a registry, at
// registration time.
//
//   CandidateIndex index(columns, model);        // model: Deduplicator::model() of a batch run
//   auto id = index.add(values);                  // each record as it arrives
//   auto candidates = index.candidates(id, 10);   // earlier or later records, most probable first
//   index.replace(id, changed_values);            // a held record changed (a new phone)
//
// The index keeps, for every blocking key of the batch engine (engine.h), the
// records that carry it, and value frequencies for term-frequency adjustment;
// both are updated by add() and replace(), so the index is current as records
// arrive and change. A
// query compares the record with the members of its blocks (blocks larger
// than Settings::max_block_size are skipped, as in batch) using the batch
// model's weights: the cost is the size of the record's blocks, not of the
// registry. Same comparison levels and weights as the batch engine.
//
// replace() keeps the record's number: the record's values become the new
// ones and its old blocking keys and value counts are dropped (its old row is
// kept, unreachable, so a record replaced often costs one row per change).
//
// Used by the server (server/review.h): built at start-up from the stored
// persons (add() per person) with the reference model of
// matching/registry_person.h, fed by each registration and by the persons
// whose matching fields changed since (replace()); not persisted.
//
// Pure: no I/O, no clock. Not thread safe: one writer, or external locking.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "matching/engine.h"

namespace shebao::matching {

struct Candidate {
  std::uint32_t record = 0;
  double weight = 0;
  double probability = 0;
};

class CandidateIndex {
 public:
  // `model` must describe the same columns (names and kinds) as `columns`.
  CandidateIndex(std::vector<std::string> columns, Model model, Settings settings = {});
  ~CandidateIndex();
  CandidateIndex(const CandidateIndex&) = delete;
  CandidateIndex& operator=(const CandidateIndex&) = delete;

  // Adds one record (one value per column); returns its number (0, 1, 2 ...).
  std::uint32_t add(const std::vector<std::string_view>& values);
  // Replaces the values of a held record (one value per column): from then on
  // its blocks and the value frequencies are those of `values` only. Values
  // equal to the held ones change nothing. invalid_input (field "record") for
  // a record number not held, or a count of values other than the columns'.
  Result<void> replace(std::uint32_t record, const std::vector<std::string_view>& values);
  // Records that may be the same person as `record`, with a match probability
  // of at least `min_probability`, most probable first, at most `limit`.
  std::vector<Candidate> candidates(std::uint32_t record, std::size_t limit, double min_probability = 0.05) const;
  std::size_t size() const;

 private:
  // Appends `values` as a new row of the table and puts it in its blocks.
  std::uint32_t append_row(const std::vector<std::string_view>& values);
  Table table_;
  std::unique_ptr<Deduplicator> engine_;
  // Blocking key -> the rows that carry it (rows of records, not replaced ones).
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> members_;
  // Record number -> its current row of table_, and row -> record number
  // (rows replaced since map to the record too but are in no block).
  std::vector<std::uint32_t> row_of_;
  std::vector<std::uint32_t> record_of_;
};

}  // namespace shebao::matching
