// verify's readers of packed journal entries on SQLite (storage/sqlite/entry_packs.h).
#include "storage/sqlite/entry_packs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include "storage/packed_lines.h"
#include "storage/sqlite/declaration_packs.h"

namespace shebao::storage::sqlite_packs {
namespace {

ledger::PackedEntry contribution(std::int64_t employer) {
  ledger::PackedEntry entry;
  entry.kind = ledger::EntryKind::contribution;
  entry.person_id = -employer;
  entry.employer_id = employer;
  entry.province = 11;
  entry.month = YearMonth::of(2026, 10);
  entry.source_id = 5;
  entry.lines = {{7, -1000, 800, 200, 0}, {9, -3000000000000LL, 1000000000000LL, 2000000000000LL, 0}};
  return entry;
}

std::string text_of(const ledger::PackedEntry& entry) {
  std::string text;
  append_packed_lines(text, entry);
  return text;
}

ledger::SettlementLine payment(std::int64_t employer, int month, const char* paid_on) {
  ledger::SettlementLine line;
  line.kind = ledger::EntryKind::payment;
  line.employer_id = employer;
  line.province = 11;
  line.month = YearMonth::from_serial(month);
  line.amount_fen = 5000;
  line.paid_on = *Date::parse(paid_on);
  line.paid_before_fen = 100;
  return line;
}

ledger::SettlementLine late_fee(std::int64_t employer, int month) {
  ledger::SettlementLine line;
  line.kind = ledger::EntryKind::late_fee;
  line.employer_id = employer;
  line.province = 11;
  line.month = YearMonth::from_serial(month);
  line.amount_fen = 25;
  return line;
}

const int kRun = YearMonth::of(2026, 10).serial();

std::string settlement_text(std::vector<ledger::SettlementLine> lines) {
  const ledger::SettlementEntry entry = ledger::packed_settlement_entry(YearMonth::from_serial(kRun), std::move(lines));
  std::string text;
  append_settlement_lines(text, entry);
  return text;
}

TEST(EntryPacks, WhatTheWriterWritesIsReadBack) {
  ledger::PackedEntry entry = contribution(2049);
  entry.lines[0].base_fen = 450000;  // a flexible line's fifth number
  std::int64_t employer = 0;
  std::int64_t province = 0;
  std::vector<EntryLineNumbers> lines;
  ASSERT_EQ(read_entry_lines(text_of(entry), employer, province, lines), "");
  EXPECT_EQ(employer, 2049);
  EXPECT_EQ(province, 11);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].count, 5);
  EXPECT_EQ(lines[0].values[4], 450000);
  EXPECT_EQ(lines[1].count, 4);
  EXPECT_EQ(lines[1].values[1], -3000000000000LL);
  // Whitespace between tokens, members in another order, no lines at all.
  ASSERT_EQ(read_entry_lines(" { \"lines\" : [ [ 1 , -2 , 2 , 0 ] ] ,\n\"province\":3, \"employer\" : -0 } ", employer,
                             province, lines),
            "");
  EXPECT_EQ(province, 3);
  EXPECT_EQ(lines.size(), 1U);
  ASSERT_EQ(read_entry_lines("{\"employer\":1,\"province\":2,\"lines\":[]}", employer, province, lines), "");
  EXPECT_TRUE(lines.empty());
}

TEST(EntryPacks, TextNotOfTheFormIsNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {"{\"employer\":1,\"province\":2,\"lines\":[]", "a member is not followed by ',' or '}'"},
      {"{\"employer\":1,\"province\":2,\"lines\":[]} x", "text follows the object"},
      {"{\"employer\":1,\"province\":2,\"lines\":[],\"other\":0}", "unknown member \"other\""},
      {"{\"employer\":1,\"employer\":1,\"province\":2,\"lines\":[]}", "member \"employer\" appears twice"},
      {"{\"employer\":1,\"province\":2,\"lines\":[],\"lines\":[]}", "member \"lines\" appears twice"},
      {"{\"employer\":\"1\",\"province\":2,\"lines\":[]}", "\"employer\" is not an integer"},
      {"{\"employer\":1.5,\"province\":2,\"lines\":[]}", "\"employer\" is not an integer"},
      {"{\"employer\":1e3,\"province\":2,\"lines\":[]}", "\"employer\" is not an integer"},
      {"{\"employer\":01,\"province\":2,\"lines\":[]}", "\"employer\" is not an integer"},
      {"{\"employer\":99999999999999999999,\"province\":2,\"lines\":[]}", "\"employer\" is not an integer"},
      {"{\"employer\":1,\"lines\":[]}", "no member \"province\""},
      {"{\"province\":2,\"lines\":[]}", "no member \"employer\""},
      {"{\"employer\":1,\"province\":2}", "no member \"lines\""},
      {"{\"employer\":1,\"province\":2,\"lines\":{}}", "\"lines\" is not an array"},
      {"{\"employer\":1,\"province\":2,\"lines\":[[1,2,3,4],5]}", "line 2 is not an array"},
      {"{\"employer\":1,\"province\":2,\"lines\":[[1,2,3,4,5,6]]}", "line 1 has more than five numbers"},
      {"{\"employer\":1,\"province\":2,\"lines\":[[1,null,3,4]]}", "line 1 holds something other than an integer"},
      {"{\"employer\":1,\"province\":2,\"lines\":[[1,2 3,4]]}", "line 1 is malformed"},
      {"{\"employer\":1,\"province\":2,\"lines\":[[1,2,3,4] [1,2,3,4]]}", "line 1 is not followed by ',' or ']'"},
      {"{\"employer\":1,\"province\":2,\"lines\":[[1,2,3,4]", "line 1 is not followed by ',' or ']'"},
      {"{\"emp\nloyer\":1}", "a member is malformed"},
  };
  for (const auto& [text, message] : cases) {
    std::int64_t employer = 0;
    std::int64_t province = 0;
    std::vector<EntryLineNumbers> lines;
    EXPECT_EQ(read_entry_lines(text, employer, province, lines), message) << text;
  }
}

TEST(EntryPacks, AnEntryOfItsKindHasItsEmployerLinesAndPersonsOnce) {
  const ledger::PackedEntry good = contribution(2049);
  EXPECT_EQ(packed_entry_problem(1, -2049, 5, false, text_of(good)), "");
  EXPECT_EQ(packed_entry_problem(8, -2049, 5, true, text_of(good)), "");  // a reversal's form is the same
  EXPECT_EQ(packed_entry_problem(1, -2050, 5, false, text_of(good)), "names employer 2049, not 2050");
  EXPECT_EQ(packed_entry_problem(1, -2049, 5, false, "{\"employer\":2049}"),
            "malformed packed form: no member \"lines\"");
  ledger::PackedEntry with_base = good;
  with_base.lines[1].base_fen = 1;
  EXPECT_EQ(packed_entry_problem(1, -2049, 5, false, text_of(with_base)), "line 2 has 5 numbers");
  EXPECT_EQ(packed_entry_problem(1, -2049, 5, false, "{\"employer\":2049,\"province\":1,\"lines\":[[7,1,-1]]}"),
            "line 1 has 3 numbers");
  ledger::PackedEntry twice = good;
  twice.lines[1].person_id = 7;
  EXPECT_EQ(packed_entry_problem(1, -2049, 5, false, text_of(twice)), "names person 7 twice");
  // Out of order and twice: found all the same.
  twice.lines = {{9, 0, 0, 0, 0}, {3, 0, 0, 0, 0}, {9, 0, 0, 0, 0}};
  EXPECT_EQ(packed_entry_problem(1, -2049, 5, false, text_of(twice)), "names person 9 twice");
}

TEST(EntryPacks, FlexiblePaymentsAreOfTheirFirstPersonsBlock) {
  ledger::PackedEntry flexible;
  flexible.kind = ledger::EntryKind::flexible_contribution;
  flexible.person_id = 4097;
  flexible.employer_id = 0;
  flexible.province = 11;
  flexible.lines = {{4097, -900, 500, 400, 300000}, {8191, -900, 500, 400, 0}};
  EXPECT_EQ(packed_entry_problem(2, 4097, 0, false, text_of(flexible)), "");
  EXPECT_EQ(packed_entry_problem(2, 4098, 0, false, text_of(flexible)), "its first line is not person 4098's");
  EXPECT_EQ(packed_entry_problem(2, 4097, 3, false, text_of(flexible)), "flexible payments with a source or a correction");
  EXPECT_EQ(packed_entry_problem(2, 4097, 0, true, text_of(flexible)), "flexible payments with a source or a correction");
  ledger::PackedEntry outside = flexible;
  outside.lines[1].person_id = 8192;  // the next block
  EXPECT_EQ(packed_entry_problem(2, 4097, 0, false, text_of(outside)),
            "person 8192 lies outside the entry's block of persons");
  outside.lines = {{4097, 0, 0, 0, 0}, {4096, 0, 0, 0, 0}};  // in the block, before the first person
  EXPECT_EQ(packed_entry_problem(2, 4097, 0, false, text_of(outside)),
            "person 4096 lies outside the entry's block of persons");
  ledger::PackedEntry employer = flexible;
  employer.employer_id = 5;
  EXPECT_EQ(packed_entry_problem(2, 4097, 0, false, text_of(employer)), "names employer 5, not 0");
  ledger::PackedEntry none = flexible;
  none.lines.clear();
  EXPECT_EQ(packed_entry_problem(2, 4097, 0, false, text_of(none)), "its first line is not person 4097's");
}

TEST(EntryPacks, SettlementsAreReadAndTheirFormChecked) {
  const int october = kRun;
  const int august = kRun - 2;
  const std::string good = settlement_text({payment(1025, october, "2026-10-20"), late_fee(1030, august)});
  std::vector<SettlementItems> lines;
  ASSERT_EQ(read_settlement_lines(good, lines), "");
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].count, 7);
  EXPECT_EQ(lines[0].items[5].text, "2026-10-20");
  EXPECT_FALSE(lines[0].items[5].is_integer);
  EXPECT_EQ(lines[1].count, 5);
  EXPECT_EQ(settlement_entry_problem(-1025, kRun, good), "");
  EXPECT_EQ(settlement_entry_problem(-1026, kRun, good), "its first employer is not 1026");
  EXPECT_EQ(settlement_entry_problem(-1025, kRun - 1, good), "line 1: a payment of a month after the run month");

  const auto problem = [&](const std::string& lines_json) {
    return settlement_entry_problem(-1025, kRun, "{\"settlements\":[" + lines_json + "]}");
  };
  const std::string m = std::to_string(august);
  EXPECT_EQ(problem(""), "has no settlement line");
  EXPECT_EQ(problem("[3,1025,11," + m + ",5000,\"2026-02-30\",0]"), "line 1: the payment's date is not a date");
  EXPECT_EQ(problem("[3,1025,11," + m + ",5000,\"2026-9-01\",0]"), "line 1: the payment's date is not a date");
  EXPECT_EQ(problem("[3,1025,11," + m + ",5000,7,0]"),
            "line 1: a payment is [3,employer,province,month,amount,\"paid on\",paid before]");
  EXPECT_EQ(problem("[3,1025,11," + m + ",5000,\"2026-09-01\"]"),
            "line 1: a payment is [3,employer,province,month,amount,\"paid on\",paid before]");
  EXPECT_EQ(problem("[4,1025,11," + m + ",25,0]"), "line 1: a late fee is [4,employer,province,month,amount]");
  EXPECT_EQ(problem("[5,1025,11," + m + ",25]"), "line 1: kind 5 is neither a payment (3) nor a late fee (4)");
  EXPECT_EQ(problem("[4,1025,\"11\"," + m + ",25]"), "line 1: item 3 is not an integer");
  EXPECT_EQ(problem("[4,1025,11," + m + ",0]"), "line 1: an employer or amount not above zero");
  EXPECT_EQ(problem("[4,1025,11,11,25]"), "line 1: month 11 out of range");
  EXPECT_EQ(problem("[4,1025,11,120000,25]"), "line 1: month 120000 out of range");
  EXPECT_EQ(problem("[4,1025,11," + m + ",25],[4,2048,11," + m + ",25]"),
            "line 2: employer 2048 lies outside the entry's block of employers");
  EXPECT_EQ(problem("[4,1025,11," + m + ",25],[4,1030,11," + m + ",25],[4,1027,11," + m + ",25]"),
            "line 3: employer 1027 is out of order");
  EXPECT_EQ(problem("[4,1025,11," + m + ",25],[4,1025,11," + m + ",30]"), "");  // the same employer twice: in order
  EXPECT_EQ(problem("[4,1025,11," + m + ",25,1,2,3]"), "malformed packed form: line 1 has more than seven items");
  EXPECT_EQ(settlement_entry_problem(-1025, kRun, "{\"lines\":[]}"),
            "malformed packed form: unknown member \"lines\"");
  EXPECT_EQ(settlement_entry_problem(-1025, kRun, "{\"settlements\":[[4,1025,11,24300,25,null]]}"),
            "malformed packed form: line 1 holds something other than an integer or a string");
}

// The functions as SQL sees them.
class EntryPackFunctions : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    ASSERT_EQ(register_entry_pack_functions(db_), SQLITE_OK);
  }
  void TearDown() override { sqlite3_close(db_); }
  // The first column of `sql`'s only row as text ("NULL" for NULL), or "error: ...".
  std::string value(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      return std::string("error: ") + sqlite3_errmsg(db_);
    }
    std::string result;
    const int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
      result = text == nullptr ? "NULL" : text;
    } else {
      result = std::string("error: ") + sqlite3_errmsg(db_);
    }
    sqlite3_finalize(statement);
    return result;
  }
  sqlite3* db_ = nullptr;
};

TEST_F(EntryPackFunctions, AmountsPostingsAndUnbalancedLinesOfAnEntry) {
  const std::string entry = "'" + text_of(contribution(2049)) + "'";
  EXPECT_EQ(value("SELECT packed_unbalanced_line(" + entry + ")"), "NULL");
  EXPECT_EQ(value("SELECT packed_posting_count(" + entry + ")"), "6");
  EXPECT_EQ(value("SELECT packed_line_count(" + entry + ")"), "2");
  EXPECT_EQ(value("SELECT packed_amount_sum(" + entry + ", 1)"), "-3000000001000");
  EXPECT_EQ(value("SELECT packed_amount_sum(" + entry + ", 3)"), "2000000000200");
  EXPECT_EQ(value("SELECT packed_amount_sum(" + entry + ", 4)"), "error: packed_amount_sum: the amount is 1, 2 or 3");
  const std::string unbalanced =
      "'{\"employer\":1,\"province\":2,\"lines\":[[7,-5,5,0],[8,-5,4,0],[9,0,0,1],[10,0,0,0]]}'";
  EXPECT_EQ(value("SELECT packed_unbalanced_line(" + unbalanced + ")"),
            "the postings of person 8 sum to -1 (and 1 more lines)");
  EXPECT_EQ(value("SELECT packed_posting_count(" + unbalanced + ")"), "5");
  const std::string overflow =
      "'{\"employer\":1,\"province\":2,\"lines\":[[7,9223372036854775807,1,0]]}'";
  EXPECT_EQ(value("SELECT packed_unbalanced_line(" + overflow + ")"),
            "the postings of person 7 sum to more than 64 bits hold");
  EXPECT_EQ(value("SELECT packed_amount_sum('{\"employer\":1,\"province\":2,\"lines\":"
                  "[[7,9223372036854775807,0,0],[8,1,0,0]]}', 1)"),
            "error: packed_amount_sum: the sum exceeds 64 bits");
  // Text not of the form: NULL (the form check names it), never an SQL error.
  for (const char* function : {"packed_unbalanced_line", "packed_posting_count", "packed_line_count"}) {
    EXPECT_EQ(value(std::string("SELECT ") + function + "('{\"lines\":[')"), "NULL") << function;
    EXPECT_EQ(value(std::string("SELECT ") + function + "(NULL)"), "NULL") << function;
  }
  EXPECT_EQ(value("SELECT packed_amount_sum('[', 1)"), "NULL");
}

TEST_F(EntryPackFunctions, ProblemsOfEntriesAndSettlements) {
  const std::string entry = "'" + text_of(contribution(2049)) + "'";
  EXPECT_EQ(value("SELECT packed_entry_problem(1, -2049, 5, NULL, " + entry + ")"), "NULL");
  EXPECT_EQ(value("SELECT packed_entry_problem(1, -2049, 5, 3, " + entry + ")"), "NULL");  // a reversal's correction
  EXPECT_EQ(value("SELECT packed_entry_problem(1, -7, 5, NULL, " + entry + ")"), "names employer 2049, not 7");
  EXPECT_EQ(value("SELECT packed_entry_problem(1, -2049, 5, NULL, NULL)"), "has no lines");
  EXPECT_EQ(value("SELECT packed_entry_problem(NULL, -2049, 5, NULL, " + entry + ")"), "has no kind, person or source");
  const std::string settlements = "'" + settlement_text({late_fee(1025, kRun - 2)}) + "'";
  EXPECT_EQ(value("SELECT settlement_entry_problem(-1025, " + std::to_string(kRun) + ", " + settlements + ")"), "NULL");
  EXPECT_EQ(value("SELECT settlement_entry_problem(-1025, " + std::to_string(kRun) + ", '{}')"),
            "malformed packed form: no member \"settlements\"");
  EXPECT_EQ(value("SELECT settlement_entry_problem(-1025, NULL, " + settlements + ")"), "has no person, month or lines");
}

TEST_F(EntryPackFunctions, SettlementAmountsAreSummedByKind) {
  const std::string lines = "'" +
                            settlement_text({payment(1025, kRun - 1, "2026-10-02"), late_fee(1025, kRun - 2),
                                             payment(1030, kRun, "2026-10-30"), late_fee(1031, kRun - 3)}) +
                            "'";
  EXPECT_EQ(value("SELECT settlement_amount_sum(" + lines + ", 3)"), "10000");  // two payments of 5000
  EXPECT_EQ(value("SELECT settlement_amount_sum(" + lines + ", 4)"), "50");     // two late fees of 25
  EXPECT_EQ(value("SELECT settlement_amount_sum(" + lines + ", 5)"), "0");
  EXPECT_EQ(value("SELECT settlement_amount_sum('{\"settlements\":[', 3)"), "NULL");
  EXPECT_EQ(value("SELECT settlement_amount_sum(NULL, 3)"), "NULL");
  EXPECT_EQ(value("SELECT settlement_amount_sum('{\"settlements\":[[4,1,1,24300,9223372036854775807],"
                  "[4,1,1,24300,1]]}', 4)"),
            "error: settlement_amount_sum: the sum exceeds 64 bits");
}

TEST_F(EntryPackFunctions, RepeatedPersonsAndKeysAreFoundAcrossEntries) {
  ASSERT_EQ(sqlite3_exec(db_,
                         "CREATE TABLE e (grp INTEGER, month INTEGER, lines TEXT, key TEXT);"
                         "INSERT INTO e VALUES (1, 24321, '{\"employer\":0,\"province\":1,\"lines\":[[5,0,0,0],[9,0,0,0]]}', '');"
                         "INSERT INTO e VALUES (1, 24321, '{\"employer\":0,\"province\":1,\"lines\":[[6,0,0,0],[9,0,0,0]]}', '');"
                         "INSERT INTO e VALUES (2, 24321, '{\"employer\":0,\"province\":1,\"lines\":[[5,0,0,0]]}', '');"
                         "INSERT INTO e VALUES (2, 24321, 'not JSON', '');"
                         "INSERT INTO e VALUES (2, 24321, NULL, '');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  // Person 9 in two entries of group 1; group 2's person 5 once (the text that
  // is not JSON and the NULL count nothing).
  EXPECT_EQ(value("SELECT repeated_line_person(lines) FROM e WHERE grp = 1"), "person 9 is in 2 lines");
  EXPECT_EQ(value("SELECT repeated_line_person(lines) FROM e WHERE grp = 2"), "NULL");
  EXPECT_EQ(value("SELECT repeated_line_person(lines) FROM e WHERE grp = 3"), "NULL");  // no row at all
  EXPECT_EQ(value("SELECT repeated_line_person(lines) FROM e"), "person 5 is in 2 lines (and 1 more persons twice or more)");

  const std::string october = std::to_string(kRun);
  const std::string lines = settlement_text({payment(1025, kRun - 1, "2026-10-02"), late_fee(1025, kRun - 2)});
  ASSERT_EQ(sqlite3_exec(db_,
                         ("CREATE TABLE s (month INTEGER, lines TEXT, key TEXT);"
                          "INSERT INTO s VALUES (" + october + ", '" + lines + "', 'payment/1025/2026-09/2026-10-02/100');"
                          "INSERT INTO s VALUES (" + october + ", NULL, 'late_fee/7/2026-01/2026-03');")
                             .c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(value("SELECT repeated_settlement_key(month, lines, key) FROM s"), "NULL");
  // The same payment as a row of its own (kind 3, before migration 11); then
  // the same late fee booked again by the same run month's next entry.
  ASSERT_EQ(sqlite3_exec(db_, "INSERT INTO s VALUES (24300, NULL, 'payment/1025/2026-09/2026-10-02/100')", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(value("SELECT repeated_settlement_key(month, lines, key) FROM s"),
            "payment/1025/2026-09/2026-10-02/100 is booked 2 times");
  ASSERT_EQ(sqlite3_exec(db_, ("INSERT INTO s VALUES (" + october + ", '" + lines + "', 'x')").c_str(), nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(value("SELECT repeated_settlement_key(month, lines, key) FROM s"),
            "late_fee/1025/2026-08/2026-10 is booked 2 times (and 1 more keys twice or more)");
  // A late fee's key names the run month it accrued in: the next run's is another.
  ASSERT_EQ(sqlite3_exec(db_, "DELETE FROM s WHERE key = 'x'", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db_,
                         ("INSERT INTO s VALUES (" + std::to_string(kRun + 1) + ", '" +
                          settlement_text({late_fee(1025, kRun - 2)}) + "', 'y')")
                             .c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(value("SELECT repeated_settlement_key(month, lines, key) FROM s"),
            "payment/1025/2026-09/2026-10-02/100 is booked 2 times");
}

TEST_F(EntryPackFunctions, PersonsOfAnEntryOrPackMissingElsewhere) {
  std::string pack;
  const std::vector<DeclarationLine> declared = {{7, 100, 31, "", std::nullopt}, {9, 100, 31, "", std::nullopt},
                                                 {12, 100, 31, "", std::nullopt}};
  append_declaration_pack(pack, declared);
  pack = "'" + pack + "'";
  EXPECT_EQ(value("SELECT declaration_pack_size(" + pack + ")"), "3");
  EXPECT_EQ(value("SELECT declaration_pack_size('[[1,2]]')"), "NULL");
  EXPECT_EQ(value("SELECT declaration_pack_size(NULL)"), "NULL");
  // Every person of the entry has a line in the pack; then two have not.
  const std::string entry = "'" + text_of(contribution(2049)) + "'";  // persons 7 and 9
  EXPECT_EQ(value("SELECT entry_persons_without(" + entry + ", " + pack + ")"), "NULL");
  const std::string others = "'{\"employer\":1,\"province\":2,\"lines\":[[7,0,0,0],[8,0,0,0],[13,0,0,0]]}'";
  EXPECT_EQ(value("SELECT entry_persons_without(" + others + ", " + pack + ")"), "8 and 1 more");
  EXPECT_EQ(value("SELECT entry_persons_without(" + entry + ", NULL)"), "7 and 1 more");
  EXPECT_EQ(value("SELECT entry_persons_without('{', " + pack + ")"), "NULL");
  // The pack's persons against a list (any order, repeats, as group_concat gives them).
  EXPECT_EQ(value("SELECT pack_persons_without(" + pack + ", '12,7,9,7')"), "NULL");
  EXPECT_EQ(value("SELECT pack_persons_without(" + pack + ", '9')"), "7 and 1 more");
  EXPECT_EQ(value("SELECT pack_persons_without(" + pack + ", NULL)"), "7 and 2 more");
  EXPECT_EQ(value("SELECT pack_persons_without(" + pack + ", '7,x')"),
            "error: pack_persons_without: the persons are not integers joined by commas");
  EXPECT_EQ(value("SELECT pack_persons_without('[[1]]', '1')"), "NULL");
  EXPECT_EQ(value("SELECT pack_persons_without(NULL, '1')"), "NULL");
}

}  // namespace
}  // namespace shebao::storage::sqlite_packs
