#include <gtest/gtest.h>

#include <map>

#include "matching/candidate_index.h"
#include "matching/registry_person.h"

namespace shebao::matching {
namespace {

std::map<std::string, std::string> judged(const RegistryPerson& a, const RegistryPerson& b) {
  ChineseText chinese;
  std::map<std::string, std::string> out;
  for (const auto& [field, agreement] : evidence(a, b, chinese)) out[field] = agreement;
  return out;
}

TEST(RegistryPerson, EvidenceFieldByField) {
  const RegistryPerson a{"王小明", "male", "1980-01-02", "110101198001020016", "13800000001"};
  // Traditional characters, one digit of the ID, day and month swapped, phone missing.
  const RegistryPerson b{"王曉明", "male", "1980-02-01", "110101198001020024", ""};
  auto e = judged(a, b);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e["name"], "exact");  // the same name key after simplification and pinyin
  EXPECT_EQ(e["sex"], "exact");
  EXPECT_EQ(e["birth_date"], "similar");
  EXPECT_EQ(e["resident_id"], "similar");
  EXPECT_EQ(e["phone"], "missing");
  const RegistryPerson c{"欧阳震华", "female", "1999-12-31", "440300199912310048", "13900000002"};
  e = judged(a, c);
  EXPECT_EQ(e["name"], "different");
  EXPECT_EQ(e["sex"], "different");
  EXPECT_EQ(e["birth_date"], "different");
  EXPECT_EQ(e["resident_id"], "different");
  EXPECT_EQ(e["phone"], "different");
  // The legacy 15-digit ID is the same ID.
  const RegistryPerson old{"Wang Xiaoming", "male", "19800102", "110101800102001", "138-0000-0001"};
  e = judged(a, old);
  EXPECT_EQ(e["resident_id"], "exact");
  EXPECT_EQ(e["birth_date"], "exact");
  EXPECT_EQ(e["phone"], "exact");
}

TEST(RegistryPerson, ReferenceModelFindsANearDuplicateAndNotAStranger) {
  CandidateIndex index(registry_columns(), reference_model(2000));
  const std::vector<RegistryPerson> registry = {
      {"王小明", "male", "1980-01-02", "110101198001020016", "13800000001"},
      {"李娜", "female", "1990-05-06", "440300199005060021", "13800000002"},
      {"张伟", "male", "1975-07-08", "510100197507080033", ""},
  };
  for (const auto& p : registry) index.add(registry_row(p));
  const auto twin = index.add(registry_row({"王小明", "male", "1980-01-02", "110101198001020024", ""}));
  const auto found = index.candidates(twin, 5, 0.5);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].record, 0u);
  EXPECT_GE(found[0].probability, 0.5);
  const auto stranger = index.add(registry_row({"赵六", "female", "2001-03-04", "320100200103040045", ""}));
  EXPECT_TRUE(index.candidates(stranger, 5, 0.5).empty());
  EXPECT_EQ(registry_columns().size(), kRegistryColumns.size());
}

}  // namespace
}  // namespace shebao::matching
