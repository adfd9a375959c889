#include "matching/candidate_index.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "matching/engine_state.h"

namespace shebao::matching {

CandidateIndex::CandidateIndex(std::vector<std::string> columns, Model model, Settings settings)
    : table_(std::move(columns)), engine_(std::make_unique<Deduplicator>(table_, settings)) {
  auto& s = *engine_->state_;
  s.model = std::move(model);
  s.model.fields.resize(s.fields.size());
  s.apply_model();
}

CandidateIndex::~CandidateIndex() = default;

std::size_t CandidateIndex::size() const { return row_of_.size(); }

std::uint32_t CandidateIndex::append_row(const std::vector<std::string_view>& values) {
  auto& s = *engine_->state_;
  const auto r = static_cast<std::uint32_t>(table_.rows());
  table_.add_row(values);
  s.append(r);
  s.n = r + 1;
  for (std::uint64_t key : s.keys[r])
    if (key != 0) members_[key].push_back(r);
  return r;
}

std::uint32_t CandidateIndex::add(const std::vector<std::string_view>& values) {
  const auto record = static_cast<std::uint32_t>(row_of_.size());
  row_of_.push_back(append_row(values));
  record_of_.push_back(record);
  return record;
}

Result<void> CandidateIndex::replace(std::uint32_t record, const std::vector<std::string_view>& values) {
  if (record >= row_of_.size()) {
    return fail(ErrorCode::invalid_input, "record",
                "no record " + std::to_string(record) + " (the index holds " + std::to_string(row_of_.size()) + ")");
  }
  if (values.size() != table_.columns().size()) {
    return fail(ErrorCode::invalid_input, "record",
                std::to_string(values.size()) + " values for " + std::to_string(table_.columns().size()) + " columns");
  }
  const std::uint32_t old = row_of_[record];
  bool same = true;
  for (std::size_t c = 0; c < values.size() && same; ++c) same = table_.value(old, c) == values[c];
  if (same) return {};
  auto& s = *engine_->state_;
  // The old row leaves its blocks...
  for (std::uint64_t key : s.keys[old]) {
    if (key == 0) continue;
    const auto found = members_.find(key);
    if (found == members_.end()) continue;
    std::erase(found->second, old);
    if (found->second.empty()) members_.erase(found);
  }
  // ... and the value counts.
  const std::uint32_t* row = s.rows.data() + static_cast<std::size_t>(old) * s.stride;
  for (std::size_t fi = 0; fi < s.fields.size(); ++fi)
    if (row[fi] != 0) s.fields[fi].uncount(row[fi]);  // 0: missing
  row_of_[record] = append_row(values);
  record_of_.push_back(record);
  return {};
}

std::vector<Candidate> CandidateIndex::candidates(std::uint32_t record, std::size_t limit,
                                                  double min_probability) const {
  const auto& s = *engine_->state_;
  std::vector<Candidate> out;
  if (record >= row_of_.size()) return out;
  const std::uint32_t row = row_of_[record];
  const double min_weight = std::log2(min_probability / (1 - min_probability)) - s.prior;
  std::unordered_set<std::uint32_t> seen;
  double bound[kMaxFields + 1];
  int lv[kMaxFields];
  s.bounds_for(row, bound);
  for (std::uint64_t key : s.keys[row]) {
    if (key == 0) continue;
    const auto found = members_.find(key);
    if (found == members_.end() || found->second.size() > s.settings.max_block_size) continue;
    for (std::uint32_t other : found->second) {
      if (other == row || !seen.insert(other).second) continue;
      double w = 0;
      if (!s.weigh(row, other, min_weight, w, lv, bound)) continue;
      out.push_back({record_of_[other], w, 1.0 / (1.0 + std::exp2(-(w + s.prior)))});
    }
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return a.weight != b.weight ? a.weight > b.weight : a.record < b.record;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace shebao::matching
