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

std::size_t CandidateIndex::size() const { return table_.rows(); }

std::uint32_t CandidateIndex::add(const std::vector<std::string_view>& values) {
  auto& s = *engine_->state_;
  const auto r = static_cast<std::uint32_t>(table_.rows());
  table_.add_row(values);
  s.append(r);
  s.n = r + 1;
  for (std::uint64_t key : s.keys[r])
    if (key != 0) members_[key].push_back(r);
  return r;
}

std::vector<Candidate> CandidateIndex::candidates(std::uint32_t record, std::size_t limit,
                                                  double min_probability) const {
  const auto& s = *engine_->state_;
  std::vector<Candidate> out;
  if (record >= s.n) return out;
  const double min_weight = std::log2(min_probability / (1 - min_probability)) - s.prior;
  std::unordered_set<std::uint32_t> seen;
  double bound[kMaxFields + 1];
  int lv[kMaxFields];
  s.bounds_for(record, bound);
  for (std::uint64_t key : s.keys[record]) {
    if (key == 0) continue;
    const auto found = members_.find(key);
    if (found == members_.end() || found->second.size() > s.settings.max_block_size) continue;
    for (std::uint32_t other : found->second) {
      if (other == record || !seen.insert(other).second) continue;
      double w = 0;
      if (!s.weigh(record, other, min_weight, w, lv, bound)) continue;
      out.push_back({other, w, 1.0 / (1.0 + std::exp2(-(w + s.prior)))});
    }
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return a.weight != b.weight ? a.weight > b.weight : a.record < b.record;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace shebao::matching
