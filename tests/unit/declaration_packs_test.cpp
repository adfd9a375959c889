// The stored form of a declaration's lines on SQLite (storage/sqlite/declaration_packs.h).
#include "storage/sqlite/declaration_packs.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace shebao::storage::sqlite_packs {
namespace {

std::vector<std::pair<std::int64_t, std::int64_t>> read_all(std::string_view text, std::int64_t& count) {
  std::vector<std::pair<std::int64_t, std::int64_t>> lines;
  count = read_declaration_pack(text, [&](std::int64_t person, std::int64_t wage) { lines.emplace_back(person, wage); });
  return lines;
}

TEST(DeclarationPacks, LinesAreWrittenAsOneJsonArrayAndReadBack) {
  std::vector<DeclarationLine> lines = {
      {7, 800000, 31, "", std::nullopt},
      {12, 0, 0, "hire", Date::of(2026, 10, 1)},
      {4000000000LL, 12345678901LL, 30, "leave", std::nullopt},
  };
  std::string text = "kept:";
  append_declaration_pack(text, lines);
  EXPECT_EQ(text,
            "kept:[[7,800000,31],[12,0,0,\"hire\",\"2026-10-01\"],[4000000000,12345678901,30,\"leave\",null]]");
  std::int64_t count = 0;
  const auto read = read_all(std::string_view(text).substr(5), count);
  EXPECT_EQ(count, 3);
  const std::vector<std::pair<std::int64_t, std::int64_t>> expected = {
      {7, 800000}, {12, 0}, {4000000000LL, 12345678901LL}};
  EXPECT_EQ(read, expected);
}

TEST(DeclarationPacks, NoLinesIsAnEmptyArray) {
  std::string text;
  append_declaration_pack(text, {});
  EXPECT_EQ(text, "[]");
  std::int64_t count = -2;
  EXPECT_TRUE(read_all(text, count).empty());
  EXPECT_EQ(count, 0);
}

// An event is JSON-escaped (the import only stores "hire" and "leave"), and the
// reader skips a string whatever it holds, brackets and escaped quotes too.
TEST(DeclarationPacks, EventTextIsEscapedAndSkippedWhole) {
  std::vector<DeclarationLine> lines = {{1, 2, 3, "a\"]b\\c\n", std::nullopt}, {5, 6, 7, "", std::nullopt}};
  std::string text;
  append_declaration_pack(text, lines);
  EXPECT_EQ(text, "[[1,2,3,\"a\\\"]b\\\\c\\u000a\",null],[5,6,7]]");
  std::int64_t count = 0;
  const auto read = read_all(text, count);
  EXPECT_EQ(count, 2);
  ASSERT_EQ(read.size(), 2U);
  EXPECT_EQ(read[1], std::make_pair(std::int64_t{5}, std::int64_t{6}));
}

TEST(DeclarationPacks, AnythingNotOfTheFormIsRefused) {
  for (const char* text : {"", "[", "]", "[[1,2,3]", "[[1,2,3]]x", "[[1,2]]", "[[1,2,3],]", "[[1,\"2\",3]]",
                           "[[1,2,3,\"hire]]", "{\"lines\":[]}", "[[1,2,3][4,5,6]]", "[[a,2,3]]", "[ [1,2,3]]",
                           "[[1,2,3\"x\"]]"}) {
    std::int64_t count = 0;
    read_all(text, count);
    EXPECT_EQ(count, -1) << text;
  }
}

}  // namespace
}  // namespace shebao::storage::sqlite_packs
