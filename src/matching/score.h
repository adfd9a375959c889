// shebao matching: scoring of predicted clusters against true entities, as
// the reference scorer of the linkage data sets (tests/data/linkage/score.py):
// pairwise precision, recall and F1 counted from cluster sizes (never by
// enumerating pairs), and B-cubed precision, recall and F1. A ratio with an
// empty denominator is 1.0; an F1 whose precision and recall are 0 is 0.
//
// Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shebao::matching {

struct Scores {
  double precision = 0, recall = 0, f1 = 0;
  double b3_precision = 0, b3_recall = 0, b3_f1 = 0;
  std::uint64_t records = 0, true_pairs = 0, predicted_pairs = 0, correct_pairs = 0;
};

// cluster[i] and entity[i] label record i (any integer labels).
Scores score_clusters(const std::vector<std::uint64_t>& cluster, const std::vector<std::uint64_t>& entity);

}  // namespace shebao::matching
