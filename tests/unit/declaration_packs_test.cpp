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

// The binary search finds every person of packs of every size (events on some
// lines, persons far apart and near), exactly the line's text, and nobody
// else: not those between, before or after.
TEST(DeclarationPacks, EachPersonsLineIsFoundByBinarySearchAndNoOneElse) {
  std::uint64_t seed = 42;
  const auto next = [&]() {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return seed >> 33;
  };
  for (const std::size_t size : {0, 1, 2, 3, 7, 12, 100, 1000, 5000}) {
    std::vector<DeclarationLine> lines;
    std::int64_t person = 1 + static_cast<std::int64_t>(next() % 5);
    for (std::size_t i = 0; i < size; ++i) {
      DeclarationLine line{person, static_cast<std::int64_t>(next() % 5000000), static_cast<int>(next() % 32), "",
                           std::nullopt};
      if (next() % 7 == 0) {
        line.event = next() % 2 ? "hire" : "leave";
        if (next() % 3) line.event_date = Date::of(2026, 10, 1 + static_cast<int>(next() % 28));
      }
      lines.push_back(line);
      person += 2 + static_cast<std::int64_t>(next() % (next() % 2 ? 3 : 100000));
    }
    std::string text;
    append_declaration_pack(text, lines);
    for (const DeclarationLine& line : lines) {
      std::string alone;
      append_declaration_pack(alone, std::span(&line, 1));
      const std::string_view expected = std::string_view(alone).substr(1, alone.size() - 2);
      EXPECT_EQ(find_declaration_line(text, line.person_id), expected) << size << " " << line.person_id;
      EXPECT_EQ(find_declaration_line(text, line.person_id + 1), "") << size;  // persons are 2 or more apart
      EXPECT_EQ(find_declaration_line(text, line.person_id - 1), "") << size;
    }
    EXPECT_EQ(find_declaration_line(text, 0), "");
    EXPECT_EQ(find_declaration_line(text, person + 1000), "");
  }
}

// Text that is not a pack, or whose line is not of the form, gives no line.
// (The search reads only the lines it probes: the form of the whole pack is
// verify's check.)
TEST(DeclarationPacks, ALineIsNotFoundInTextNotOfTheForm) {
  for (const char* text : {"", "[", "]", "[[5,1,2],", "{\"a\":[[5,1,2]]}", "[[5,1]]", "[[5,x,2]]", "[[5,1,2,3]]"}) {
    EXPECT_EQ(find_declaration_line(text, 5), "") << text;
  }
  EXPECT_EQ(find_declaration_line("[[5,1,2]]", 5), "[5,1,2]");
}

// What verify reports of a pack (declaration_pack_problem).
TEST(DeclarationPacks, APacksProblemIsNamedWithItsLine) {
  std::string good;
  const std::vector<DeclarationLine> lines = {{3, 1, 2, "", std::nullopt}, {9, 4, 5, "hire", Date::of(2026, 1, 2)}};
  append_declaration_pack(good, lines);
  EXPECT_EQ(declaration_pack_problem(good), "");
  EXPECT_EQ(declaration_pack_problem("[]"), "");
  EXPECT_EQ(declaration_pack_problem(""), "its lines are not a JSON array");
  EXPECT_EQ(declaration_pack_problem("[[3,1,2],"), "its lines are not a JSON array");
  EXPECT_EQ(declaration_pack_problem("[[3,1,2],[3,1,2]]"), "line 2: person 3 is not after 3");
  EXPECT_EQ(declaration_pack_problem("[[9,1,2],[3,1,2]]"), "line 2: person 3 is not after 9");
  EXPECT_EQ(declaration_pack_problem("[[3,1,2],[9,\"x\",2]]"), "line 2 is malformed");
  EXPECT_EQ(declaration_pack_problem("[[3,1]]"), "line 1 is malformed");
  EXPECT_EQ(declaration_pack_problem("[[3,1,2]x]"), "line 2 is malformed");
}

}  // namespace
}  // namespace shebao::storage::sqlite_packs
