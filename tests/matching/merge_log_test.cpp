#include <gtest/gtest.h>

#include "matching/merge_log.h"

namespace shebao::matching {
namespace {

TEST(MergeLog, MergeResolvesAndUndoRestores) {
  MergeLog log;
  auto m = log.merge("A", "B", "officer 7", "same ID, 15-digit form");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, 1u);
  EXPECT_EQ(log.resolve("B"), "A");
  EXPECT_EQ(log.resolve("A"), "A");
  EXPECT_TRUE(log.standing(1));
  auto u = log.undo(1, "officer 9", "different persons: twins");
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, 2u);
  EXPECT_EQ(log.resolve("B"), "B");
  EXPECT_FALSE(log.standing(1));
  // Nothing was deleted: both entries are in the log.
  ASSERT_EQ(log.entries().size(), 2u);
  EXPECT_EQ(log.entries()[1].kind, MergeEntry::Kind::undo);
  EXPECT_EQ(log.entries()[1].undoes, 1u);
  EXPECT_EQ(log.entries()[0].actor, "officer 7");
  // After the undo, B can be merged again.
  EXPECT_TRUE(log.merge("A", "B", "officer 7", "confirmed"));
}

TEST(MergeLog, RefusesInconsistentMerges) {
  MergeLog log;
  ASSERT_TRUE(log.merge("A", "B", "x", ""));
  auto self = log.merge("C", "C", "x", "");
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().field, "merged");
  auto twice = log.merge("C", "B", "x", "");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::invalid_input);
  auto into_merged = log.merge("B", "C", "x", "");
  ASSERT_FALSE(into_merged);
  EXPECT_EQ(into_merged.error().field, "survivor");
  auto survivor_away = log.merge("C", "A", "x", "");
  ASSERT_FALSE(survivor_away);
  EXPECT_EQ(survivor_away.error().field, "merged");
}

TEST(MergeLog, UndoErrors) {
  MergeLog log;
  ASSERT_TRUE(log.merge("A", "B", "x", ""));
  ASSERT_TRUE(log.undo(1, "x", ""));
  auto again = log.undo(1, "x", "");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::invalid_input);
  auto undo_of_undo = log.undo(2, "x", "");
  ASSERT_FALSE(undo_of_undo);
  auto unknown = log.undo(9, "x", "");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
}

TEST(MergeLog, ReplayRebuildsStateAndChecksOrder) {
  MergeLog log;
  ASSERT_TRUE(log.merge("A", "B", "x", ""));
  ASSERT_TRUE(log.merge("A", "C", "x", ""));
  ASSERT_TRUE(log.undo(1, "y", ""));
  auto copy = MergeLog::replay(log.entries());
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->resolve("B"), "B");
  EXPECT_EQ(copy->resolve("C"), "A");
  auto entries = log.entries();
  std::swap(entries[0], entries[1]);
  EXPECT_FALSE(MergeLog::replay(entries));
}

}  // namespace
}  // namespace shebao::matching
