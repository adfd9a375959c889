#include <gtest/gtest.h>

#include <unordered_map>

#include "matching/candidate_index.h"
#include "matching/engine.h"
#include "matching/record_generator.h"

namespace shebao::matching {
namespace {

struct People {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // without record_id and entity_id
  std::vector<std::string> entity;
};

People people(std::uint64_t records, std::uint64_t seed) {
  People p;
  p.columns.assign(kGeneratedColumns.begin() + 2, kGeneratedColumns.end());
  generate_people({records, 0.3, seed}, [&](const GeneratedRecord& r) {
    p.rows.emplace_back(r.values.begin() + 2, r.values.end());
    p.entity.push_back(r.values[1]);
  });
  return p;
}

std::vector<std::string_view> views(const std::vector<std::string>& row) {
  return std::vector<std::string_view>(row.begin(), row.end());
}

TEST(CandidateIndex, FindsTheOtherRecordsOfAPersonAsTheyArrive) {
  // The model comes from a batch run over an earlier extract of the registry.
  const People history = people(3000, 21);
  Table table(history.columns);
  for (const auto& row : history.rows) table.add_row(views(row));
  Deduplicator batch(table, Settings{});
  batch.prepare();
  batch.block();
  batch.estimate();

  // Records arrive one by one; each is checked against everything before it.
  const People arriving = people(2000, 22);
  CandidateIndex index(arriving.columns, batch.model());
  std::unordered_map<std::string, int> seen_before;
  int with_earlier_record = 0, found = 0, false_top = 0;
  for (std::size_t i = 0; i < arriving.rows.size(); ++i) {
    const std::uint32_t id = index.add(views(arriving.rows[i]));
    ASSERT_EQ(id, i);
    const auto candidates = index.candidates(id, 3, 0.5);
    const bool earlier = seen_before[arriving.entity[i]]++ > 0;
    if (earlier) {
      ++with_earlier_record;
      for (const auto& c : candidates) {
        ASSERT_LT(c.record, i + 1);
        if (arriving.entity[c.record] == arriving.entity[i]) {
          ++found;
          break;
        }
      }
    }
    if (!candidates.empty() && arriving.entity[candidates[0].record] != arriving.entity[i]) ++false_top;
  }
  EXPECT_EQ(index.size(), 2000u);
  ASSERT_GT(with_earlier_record, 100);
  EXPECT_GE(found, with_earlier_record * 95 / 100);
  EXPECT_LE(false_top, 10);
}

TEST(CandidateIndex, ProbabilitiesAreOrderedAndBounded) {
  const People p = people(500, 4);
  Table table(p.columns);
  for (const auto& row : p.rows) table.add_row(views(row));
  Deduplicator batch(table, Settings{});
  batch.prepare();
  batch.block();
  batch.estimate();
  CandidateIndex index(p.columns, batch.model());
  for (const auto& row : p.rows) index.add(views(row));
  for (std::uint32_t r = 0; r < 500; ++r) {
    const auto c = index.candidates(r, 5, 0.2);
    EXPECT_LE(c.size(), 5u);
    for (std::size_t k = 0; k < c.size(); ++k) {
      EXPECT_NE(c[k].record, r);
      EXPECT_GE(c[k].probability, 0.2);
      if (k > 0) {
        EXPECT_GE(c[k - 1].weight, c[k].weight);
      }
    }
  }
  EXPECT_TRUE(index.candidates(9999, 5).empty());
}

}  // namespace
}  // namespace shebao::matching
