#include "matching/merge_log.h"

namespace shebao::matching {

Result<std::uint64_t> MergeLog::merge(const std::string& survivor, const std::string& merged,
                                      const std::string& actor, const std::string& reason) {
  if (survivor.empty()) return fail(ErrorCode::invalid_input, "survivor", "empty record");
  if (merged.empty()) return fail(ErrorCode::invalid_input, "merged", "empty record");
  if (survivor == merged) return fail(ErrorCode::invalid_input, "merged", "a record cannot be merged into itself");
  if (merged_by_.count(survivor))
    return fail(ErrorCode::invalid_input, "survivor",
                "record " + survivor + " is merged into " + resolve(survivor) + "; merge into that record");
  if (merged_by_.count(merged))
    return fail(ErrorCode::invalid_input, "merged", "record " + merged + " is already merged");
  if (auto it = survivor_count_.find(merged); it != survivor_count_.end() && it->second > 0)
    return fail(ErrorCode::invalid_input, "merged",
                "other records are merged into " + merged + "; undo those merges first or merge into it");
  MergeEntry entry;
  entry.sequence = entries_.size() + 1;
  entry.kind = MergeEntry::Kind::merge;
  entry.survivor = survivor;
  entry.merged = merged;
  entry.actor = actor;
  entry.reason = reason;
  entries_.push_back(entry);
  merged_by_[merged] = entry.sequence;
  ++survivor_count_[survivor];
  return entry.sequence;
}

Result<std::uint64_t> MergeLog::undo(std::uint64_t sequence, const std::string& actor, const std::string& reason) {
  if (sequence == 0 || sequence > entries_.size())
    return fail(ErrorCode::not_found, "sequence", "no entry " + std::to_string(sequence));
  const MergeEntry& target = entries_[sequence - 1];
  if (target.kind != MergeEntry::Kind::merge)
    return fail(ErrorCode::invalid_input, "sequence", "entry " + std::to_string(sequence) + " is an undo, not a merge");
  if (!standing(sequence))
    return fail(ErrorCode::invalid_input, "sequence", "merge " + std::to_string(sequence) + " is already undone");
  MergeEntry entry;
  entry.sequence = entries_.size() + 1;
  entry.kind = MergeEntry::Kind::undo;
  entry.undoes = sequence;
  entry.survivor = target.survivor;
  entry.merged = target.merged;
  entry.actor = actor;
  entry.reason = reason;
  merged_by_.erase(target.merged);
  --survivor_count_[target.survivor];
  undone_[sequence] = true;
  entries_.push_back(entry);
  return entry.sequence;
}

bool MergeLog::standing(std::uint64_t sequence) const {
  if (sequence == 0 || sequence > entries_.size()) return false;
  if (entries_[sequence - 1].kind != MergeEntry::Kind::merge) return false;
  return undone_.find(sequence) == undone_.end();
}

const std::string& MergeLog::resolve(const std::string& record) const {
  // Survivors are never merged away while merges into them stand, so one step suffices.
  auto it = merged_by_.find(record);
  return it == merged_by_.end() ? record : entries_[it->second - 1].survivor;
}

Result<MergeLog> MergeLog::replay(const std::vector<MergeEntry>& entries) {
  MergeLog log;
  for (const MergeEntry& e : entries) {
    if (e.sequence != log.entries_.size() + 1)
      return fail(ErrorCode::invalid_input, "sequence",
                  "entry " + std::to_string(e.sequence) + " out of order (expected " +
                      std::to_string(log.entries_.size() + 1) + ")");
    auto appended = e.kind == MergeEntry::Kind::merge ? log.merge(e.survivor, e.merged, e.actor, e.reason)
                                                      : log.undo(e.undoes, e.actor, e.reason);
    if (!appended) return tl::unexpected(appended.error());
  }
  return log;
}

}  // namespace shebao::matching
