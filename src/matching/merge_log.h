// shebao matching: merging two records of one person as an audited,
// reversible operation.
//
// A merge never deletes: it appends an entry "record M is merged into record
// S" (who, why), and an undo appends another entry that names the merge it
// reverses. The current state (which record a merged record now points to)
// is a function of the log alone, so the log is the audit trail and can be
// replayed from storage. Rules, checked when an entry is appended:
//   * a record cannot be merged into itself, nor into a record that is itself
//     merged away (merge into the survivor instead), nor twice;
//   * a record that others were merged into cannot be merged away while those
//     merges stand (undo them, or merge into it instead);
//   * only a standing merge can be undone, once; an undo is never undone
//     (merge again instead).
// Errors: invalid_input (field "survivor", "merged" or "sequence") or
// not_found (an unknown sequence number).
//
// Pure: no I/O, no clock (the caller passes who and why; time stamps belong
// to the storage that keeps the log). Not thread safe.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace shebao::matching {

struct MergeEntry {
  enum class Kind { merge, undo };
  std::uint64_t sequence = 0;  // 1, 2, 3 ... in order of appending
  Kind kind = Kind::merge;
  std::string survivor;        // merge: the record that stays
  std::string merged;          // merge: the record that now points to survivor
  std::uint64_t undoes = 0;    // undo: the sequence of the merge reversed
  std::string actor;
  std::string reason;
};

class MergeLog {
 public:
  // Appends a merge; returns its sequence number.
  Result<std::uint64_t> merge(const std::string& survivor, const std::string& merged, const std::string& actor,
                              const std::string& reason);
  // Appends the undo of merge `sequence`; returns the undo's sequence number.
  Result<std::uint64_t> undo(std::uint64_t sequence, const std::string& actor, const std::string& reason);

  // The record `record` stands for now: itself, or the survivor it was merged into.
  const std::string& resolve(const std::string& record) const;
  // Whether merge `sequence` stands (appended and not undone).
  bool standing(std::uint64_t sequence) const;
  const std::vector<MergeEntry>& entries() const { return entries_; }

  // Rebuilds a log from stored entries, checking every rule again.
  static Result<MergeLog> replay(const std::vector<MergeEntry>& entries);

 private:
  std::vector<MergeEntry> entries_;
  std::unordered_map<std::string, std::uint64_t> merged_by_;      // merged record -> standing merge
  std::unordered_map<std::string, std::uint64_t> survivor_count_;  // survivor -> standing merges into it
  std::unordered_map<std::uint64_t, bool> undone_;
};

}  // namespace shebao::matching
