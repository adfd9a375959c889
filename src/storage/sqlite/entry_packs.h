// shebao storage (SQLite): packed journal entries read by `verify` and `stats`.
//
// The packed forms (storage/packed_lines.h) are JSON so that the database's own
// functions can read them; SQLite's, though, parse a value again at every call,
// and verify's checks of eight million lines made about forty calls a line (a
// minute at a million persons). These readers parse an entry once, in C++, and
// are registered as SQL functions (entry_packs.cpp) that the checks call once
// an entry: each check stays one SQL query, and its failures name what is wrong.
//
// They read what the writers write and are strict about it: an object with the
// members "employer", "province" and "lines" (or "settlements"), each once and
// no other; integers without fraction or exponent that fit 64 bits; whitespace
// between tokens is allowed.
//
// Pure (no I/O), but for the registration with SQLite (entry_packs.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace shebao::storage::sqlite_packs {

// One line of a packed contribution, reversal or flexible entry: its numbers
// (person, the three amounts, and a flexible line's base), how many.
struct EntryLineNumbers {
  static constexpr int kMax = 5;
  std::int64_t values[kMax] = {};
  int count = 0;
};

// Reads a contribution's, reversal's or flexible payments' packed form
// ({"employer":E,"province":P,"lines":[[...],...]}, each line an array of one
// to five integers). Returns what is wrong, or empty when it is of the form.
std::string read_entry_lines(std::string_view text, std::int64_t& employer, std::int64_t& province,
                             std::vector<EntryLineNumbers>& lines);

// What is wrong with a packed entry of `kind` (1 contribution, 2 flexible
// payments, 8 reversal) of `person_id`, beyond its row: its form; its employer
// (0 for kind 2, else -person_id); lines of four numbers (a flexible line may
// have a fifth, its base); for kind 2, its first line the person's, every line
// in that person's block (ledger::kFlexibleBlock) and not before it, no source
// and no correction; each person once. Empty when nothing is.
std::string packed_entry_problem(int kind, std::int64_t person_id, std::int64_t source_id, bool corrects,
                                 std::string_view text);

// One line of a packed settlement entry (kind 9): up to seven items, each an
// integer or a string.
struct SettlementItems {
  static constexpr int kMax = 7;
  struct Item {
    bool is_integer = false;
    std::int64_t number = 0;
    std::string_view text;  // a string's contents as written
  };
  Item items[kMax];
  int count = 0;
};

// Reads a settlement entry's packed form ({"settlements":[[...],...]}).
// Returns what is wrong, or empty.
std::string read_settlement_lines(std::string_view text, std::vector<SettlementItems>& lines);

// What is wrong with the lines of a packed settlement entry of run month
// `month` (a serial) whose person_id is `person_id` (its first employer,
// negated), or empty: at least one line; each a payment
// [3,employer,province,month,amount,"YYYY-MM-DD",paid_before] of a month up to
// the run month, or a late fee [4,employer,province,month,amount]; employers
// positive, ascending, in the first one's block (ledger::kEmployerBlock);
// amounts positive; months between year 1 and 9999.
std::string settlement_entry_problem(std::int64_t person_id, int month, std::string_view text);

// Registers on `db` the functions verify and stats call (each NULL where its
// text is not of the form, which verify's check of the form reports):
//   packed_entry_problem(kind, person_id, source_id, corrects_entry_id, lines)
//       packed_entry_problem, or NULL when there is none;
//   settlement_entry_problem(person_id, month, lines)   likewise;
//   packed_unbalanced_line(lines)   "the postings of person P sum to S" of the
//       first line whose three amounts do not sum to zero, or NULL;
//   packed_posting_count(lines)     the nonzero amounts (postings) of the entry;
//   packed_line_count(lines)        the entry's number of lines;
//   packed_amount_sum(lines, i)     the sum of amount i (1..3) of every line;
//   settlement_amount_sum(lines, k) the sum of the amounts of a settlement
//       entry's lines of kind k (3 payments, 4 late fees);
//   entry_persons_without(lines, pack)   the first person of the entry's lines
//       without a line in the declaration pack `pack` (declaration_packs.h),
//       "P" or "P and K more", or NULL;
//   declaration_pack_size(pack)     a declaration pack's number of lines;
//   pack_persons_without(pack, persons)   the first person of the pack not in
//       `persons` (integers joined by commas, as group_concat gives them), "P"
//       or "P and K more", or NULL;
// and the aggregates
//   repeated_line_person(lines)     over packed entries: "person P is in K
//       lines" of the first person in more than one of their lines, or NULL;
//   repeated_settlement_key(month, lines, key)   over journal entries: each
//       line's key of a packed settlement entry of run month `month` (lines
//       set; ledger::settlement_key's form), or the row's `key` (lines NULL);
//       "KEY is booked K times" of the first key met more than once, or NULL;
// returns SQLite's result code.
int register_entry_pack_functions(sqlite3* db);

}  // namespace shebao::storage::sqlite_packs
