#include "matching/score.h"

#include <unordered_map>

namespace shebao::matching {

namespace {
std::uint64_t pairs(std::uint64_t n) { return n * (n - 1) / 2; }
double ratio(double num, double den) { return den > 0 ? num / den : 1.0; }
double harmonic(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }
struct PairHash {
  std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& p) const {
    return std::hash<std::uint64_t>()(p.first * 0x9E3779B97F4A7C15ULL ^ p.second);
  }
};
}  // namespace

Scores score_clusters(const std::vector<std::uint64_t>& cluster, const std::vector<std::uint64_t>& entity) {
  std::unordered_map<std::uint64_t, std::uint64_t> cluster_size, entity_size;
  std::unordered_map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t, PairHash> cell;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    ++cluster_size[cluster[i]];
    ++entity_size[entity[i]];
    ++cell[{cluster[i], entity[i]}];
  }
  Scores s;
  s.records = cluster.size();
  for (const auto& [c, k] : cluster_size) s.predicted_pairs += pairs(k);
  for (const auto& [e, k] : entity_size) s.true_pairs += pairs(k);
  double b3p = 0, b3r = 0;
  for (const auto& [ce, k] : cell) {
    s.correct_pairs += pairs(k);
    b3p += static_cast<double>(k) * k / cluster_size[ce.first];
    b3r += static_cast<double>(k) * k / entity_size[ce.second];
  }
  s.precision = ratio(s.correct_pairs, s.predicted_pairs);
  s.recall = ratio(s.correct_pairs, s.true_pairs);
  s.f1 = harmonic(s.precision, s.recall);
  if (s.records > 0) {
    s.b3_precision = b3p / s.records;
    s.b3_recall = b3r / s.records;
  }
  s.b3_f1 = harmonic(s.b3_precision, s.b3_recall);
  return s;
}

}  // namespace shebao::matching
