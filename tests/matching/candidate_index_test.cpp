#include <gtest/gtest.h>

#include <optional>
#include <unordered_map>

#include "matching/candidate_index.h"
#include "matching/engine.h"
#include "matching/record_generator.h"
#include "matching/registry_person.h"

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

// Every record compared with `probe`, whatever its weight: the members of the probe's blocks.
bool compared(const CandidateIndex& index, std::uint32_t probe, std::uint32_t record) {
  for (const auto& c : index.candidates(probe, 1000, 1e-300))
    if (c.record == record) return true;
  return false;
}

std::optional<Candidate> candidate(const CandidateIndex& index, std::uint32_t probe, std::uint32_t record,
                                   double min_probability) {
  for (const auto& c : index.candidates(probe, 1000, min_probability))
    if (c.record == record) return c;
  return std::nullopt;
}

TEST(CandidateIndex, AReplacedPhoneIsFoundAndTheOldOneIsNot) {
  CandidateIndex index(registry_columns(), reference_model(2000));
  const auto wang = index.add(registry_row({"王小明", "male", "1980-01-02", "110101198001020016", "13800000001"}));
  index.add(registry_row({"李娜", "female", "1990-05-06", "440300199005060021", "13800000002"}));
  // Probes that share nothing with Wang but a phone: the old one, the new one.
  const auto old_probe = index.add(registry_row({"赵六", "female", "2001-03-04", "320100200103040045", "13800000001"}));
  const auto new_probe = index.add(registry_row({"钱七", "female", "2002-05-06", "320100200205060041", "13911112222"}));
  // A registration with the new phone and weaker evidence (the name and sex; another
  // birth date, no resident ID), and one with the old phone and the same evidence.
  const auto with_new = index.add(registry_row({"王小明", "male", "1983-09-10", "", "13911112222"}));
  const auto with_old = index.add(registry_row({"王小明", "male", "1983-09-10", "", "13800000001"}));
  ASSERT_TRUE(compared(index, old_probe, wang));
  ASSERT_FALSE(compared(index, new_probe, wang));
  ASSERT_FALSE(candidate(index, with_new, wang, 0.5));
  ASSERT_TRUE(candidate(index, with_old, wang, 0.5));

  // Wang's phone changes.
  ASSERT_TRUE(index.replace(wang, registry_row({"王小明", "male", "1980-01-02", "110101198001020016", "13911112222"})));
  EXPECT_EQ(index.size(), 6u);
  EXPECT_FALSE(compared(index, old_probe, wang));  // the old phone's block no longer holds him
  EXPECT_TRUE(compared(index, new_probe, wang));
  const auto found = candidate(index, with_new, wang, 0.5);
  ASSERT_TRUE(found);
  EXPECT_GE(found->probability, 0.5);
  EXPECT_FALSE(candidate(index, with_old, wang, 0.5));
  // Found from his side too, under his record number.
  EXPECT_TRUE(candidate(index, wang, with_new, 0.5));
  EXPECT_FALSE(candidate(index, wang, with_old, 0.5));
}

TEST(CandidateIndex, ReplacingWithTheSameValuesOrBackChangesNothing) {
  CandidateIndex index(registry_columns(), reference_model(2000));
  const RegistryPerson wang{"王小明", "male", "1980-01-02", "110101198001020016", "13800000001"};
  const auto record = index.add(registry_row(wang));
  index.add(registry_row({"王小明", "male", "1980-01-02", "110101198001020024", "13800000001"}));
  index.add(registry_row({"王晓明", "male", "1980-02-01", "", "13800000001"}));
  index.add(registry_row({"李娜", "female", "1990-05-06", "440300199005060021", "13800000002"}));
  auto weights = [&] {
    std::vector<std::pair<std::uint32_t, double>> out;
    for (std::uint32_t r = 0; r < index.size(); ++r)
      for (const auto& c : index.candidates(r, 10, 1e-300)) out.emplace_back(c.record, c.weight);
    return out;
  };
  const auto before = weights();
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(index.replace(record, registry_row(wang)));
  EXPECT_EQ(weights(), before);
  // Another name and phone, then back: the value frequencies are as they were
  // (the values replaced are no longer counted), so are the weights.
  ASSERT_TRUE(index.replace(record, registry_row({"欧阳震华", "male", "1980-01-02", "110101198001020016", "13700000009"})));
  EXPECT_NE(weights(), before);
  ASSERT_TRUE(index.replace(record, registry_row(wang)));
  EXPECT_EQ(weights(), before);
  EXPECT_EQ(index.size(), 4u);
}

TEST(CandidateIndex, ReplaceRefusesARecordNotHeldAndAWrongCountOfValues) {
  CandidateIndex index(registry_columns(), reference_model(2000));
  const RegistryPerson wang{"王小明", "male", "1980-01-02", "110101198001020016", "13800000001"};
  index.add(registry_row(wang));
  auto outside = index.replace(1, registry_row(wang));
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(outside.error().field, "record");
  EXPECT_NE(outside.error().message.find("no record 1"), std::string::npos) << outside.error().message;
  auto short_row = registry_row(wang);
  short_row.pop_back();
  auto wrong = index.replace(0, short_row);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().field, "record");
  EXPECT_EQ(index.size(), 1u);
}

}  // namespace
}  // namespace shebao::matching
