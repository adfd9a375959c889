// shebao ledger: append-only double-entry journal.
//
// A JournalEntry is a set of postings that sums to zero (debits positive,
// credits negative, integer fen). Every entry carries an idempotency key that
// names what it books ("payment/<employer>/<month>/..."); the same key is
// never booked twice, so a re-run after a crash or a resubmission books
// nothing new. Each posting's own idempotency key is its entry's key and its
// position ("<key>#<n>"). Nothing is updated in place: a correction is a
// reversal entry (every posting negated, linked to the entry it corrects) plus
// a new entry. Balances are sums of postings.
//
// Every entry has a distribution key `person_id`: the person it concerns, or
// for an employer-level entry (payments, late fees, a declaration's packed
// contributions) the negated employer id, so that a distributed deployment
// keeps each entry with its postings on one shard.
//
// A declaration's contributions are one PackedEntry: one line per declared
// person, each line three postings (the employer's receivable, the person's
// personal account, the province's pooled fund) that sum to zero. Posting n of
// line i has sequence number 3i + n (n = 0 receivable, 1 personal, 2 pooled);
// a zero amount is no posting. Its key names the declaration
// ("contribution/<declaration>"), so a posting is still identified by its
// entry and sequence number. A correction reverses the whole packed entry
// ("reversal/contribution/<declaration>", every amount negated).
//
// Flexible workers' payments of a month are packed too (migration 9): one entry
// of kind flexible_contribution per scheme province and block of
// kFlexibleBlock person ids (person_id / kFlexibleBlock), one line per worker
// in ascending person order, amount 0 of a line the collection bank of the
// province (not a receivable), employer 0. Its distribution key is the first
// line's person and its key "flexible/<first person>/<YYYY-MM>", the key the
// first worker's own entry had before migration 9; a worker booked later in a
// month whose block already has an entry starts an entry of their own. A
// person's flexible lines are in the entries whose distribution key lies
// between the start of the person's block and the person.
//
// Employers' payments and late fees of a month run are packed as well
// (migration 11): one entry of kind settlement per run month and block of
// kEmployerBlock employer ids, one SettlementLine per payment or late fee in
// ascending employer order. Line i is two postings: 2i and 2i + 1, for a
// payment the collection bank of the employer's province + amount and the
// employer's receivable − amount, for a late fee the receivable + amount and
// the province's pooled fund − amount. A line carries what its own entry
// carried before migration 11, and its key is that entry's key
// (settlement_key); the packed entry's key is its first line's, its
// distribution key −(first line's employer), its month the run month (a late
// fee's run month; a payment's month settled is at most that).
//
// Pure: no I/O. Thread safety: values only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/error.h"

namespace shebao::ledger {

enum class AccountKind : int {
  personal = 1,             // a person's individual account (owner: person_id); credit-normal
  pooled_fund = 2,          // a province's pooled fund (owner: province number); credit-normal
  employer_receivable = 3,  // what an employer owes (owner: employer_id); debit-normal
  collection_bank = 4,      // money collected, per province (owner: province number); debit-normal
  interest_expense = 5,     // interest credited to accounts, per province; debit-normal
  transfer_clearing = 6,    // funds between provinces in transit (owner: receiving province); credit-normal
};

std::string_view to_string(AccountKind kind);
// True for accounts whose balance is shown as the negated sum (credits increase it).
bool is_credit_normal(AccountKind kind);

enum class EntryKind : int {
  contribution = 1,           // an employee's person-month
  flexible_contribution = 2,  // a flexible worker's month, paid online
  payment = 3,                // an employer's payment of a month's dues
  late_fee = 4,               // late fee for overdue days of one run month
  interest = 5,               // yearly interest on a personal account
  transfer_out = 6,           // funds leaving a province
  transfer_in = 7,            // funds arriving in a province
  reversal = 8,               // negation of an earlier entry
  settlement = 9,             // a month run's payments and late fees, packed (SettlementEntry)
};

std::string_view to_string(EntryKind kind);

struct AccountRef {
  AccountKind kind = AccountKind::personal;
  std::int64_t owner = 0;
  friend bool operator==(const AccountRef&, const AccountRef&) = default;
};

struct Posting {
  AccountRef account;
  std::int64_t amount_fen = 0;  // debit > 0, credit < 0
};

struct JournalEntry {
  std::string idempotency_key;
  std::int64_t person_id = 0;       // distribution key (see above)
  EntryKind kind = EntryKind::contribution;
  YearMonth month;                  // period the entry belongs to
  std::int64_t source_id = 0;       // declaration id, payment's employer ... (0 = none)
  std::optional<std::int64_t> corrects_entry_id;
  std::vector<Posting> postings;
};

// invalid_input unless the entry has a key, at least two postings, no zero
// posting, and sums to zero.
Result<void> check_entry(const JournalEntry& entry);

// The reversal of `original` (stored as `original_id`): every posting negated,
// key "reversal/" + original key.
JournalEntry reversal_of(const JournalEntry& original, std::int64_t original_id);

// One declared person's postings in a packed entry (debit > 0, credit < 0).
struct PackedLine {
  std::int64_t person_id = 0;
  std::int64_t receivable_fen = 0;  // employer_receivable(employer_id), seq 3i
  std::int64_t personal_fen = 0;    // personal(person_id), seq 3i + 1
  std::int64_t pooled_fen = 0;      // pooled_fund(province), seq 3i + 2
  // Flexible payments: the contribution base the amounts were computed on
  // (kept with the line, not a posting: the person's base ratio may change
  // later). 0 in contribution lines.
  std::int64_t base_fen = 0;
  friend bool operator==(const PackedLine&, const PackedLine&) = default;
};

// Person ids per block of packed flexible payments (see above).
inline constexpr std::int64_t kFlexibleBlock = 4096;

// The contributions of one declaration (kind contribution) or their reversal
// (kind reversal), or flexible payments of one month, scheme province and
// block (kind flexible_contribution), booked as one entry.
struct PackedEntry {
  std::string idempotency_key;  // "contribution/<source_id>", "reversal/contribution/<source_id>",
                                // "flexible/<first person>/<YYYY-MM>"
  std::int64_t person_id = 0;   // distribution key: −employer_id; a flexible entry's first person
  EntryKind kind = EntryKind::contribution;
  YearMonth month;
  std::int64_t source_id = 0;   // declaration id
  std::optional<std::int64_t> corrects_entry_id;
  std::int64_t employer_id = 0;
  int province = 0;
  std::vector<PackedLine> lines;  // ascending person_id

  std::int64_t receivable_total() const;
  std::int64_t posting_count() const;  // non-zero amounts
};

// "contribution/<declaration_id>".
std::string packed_contribution_key(std::int64_t declaration_id);

// "flexible/<person_id>/<YYYY-MM>".
std::string packed_flexible_key(std::int64_t person_id, YearMonth month);

// The packed flexible payments of `month` in `province` for `lines` (ascending
// person_id, at least one, all in one block): key, kind, distribution key.
PackedEntry packed_flexible_entry(YearMonth month, int province, std::vector<PackedLine> lines);

// invalid_input unless the entry is a contribution with its key or the reversal
// of one (key "reversal/" + that, corrects_entry_id set), distribution key
// −employer_id, or flexible payments (key and distribution key of the first
// line's person, employer 0, no correction, every person in the first one's
// block); at least one line, persons ascending and distinct, every line
// summing to zero, a base (≥ 0) only in flexible lines, and at least two
// postings in all.
Result<void> check_packed(const PackedEntry& entry);

// The reversal of the packed entry `original` (stored as `original_id`): every amount negated.
PackedEntry reversal_of(const PackedEntry& original, std::int64_t original_id);

// Employer ids per block of packed payments and late fees (see above).
inline constexpr std::int64_t kEmployerBlock = 1024;

// One payment or late fee of a packed settlement entry.
struct SettlementLine {
  EntryKind kind = EntryKind::payment;  // payment or late_fee
  std::int64_t employer_id = 0;
  int province = 0;                     // the employer's province
  YearMonth month;                      // the month settled (a late fee's overdue dues month)
  std::int64_t amount_fen = 0;          // > 0
  std::optional<Date> paid_on;          // a payment's date; none for a late fee
  std::int64_t paid_before_fen = 0;     // a payment: what the month had been paid before it
  friend bool operator==(const SettlementLine&, const SettlementLine&) = default;
};

// A month run's payments and late fees of one block of employers, booked as one entry.
struct SettlementEntry {
  std::string idempotency_key;  // its first line's settlement_key
  std::int64_t person_id = 0;   // distribution key: −(first line's employer)
  YearMonth month;              // the run month
  std::vector<SettlementLine> lines;  // ascending employer_id
};

// The key the line's own entry had before migration 11:
// "payment/<employer>/<YYYY-MM month>/<YYYY-MM-DD paid_on>/<paid_before_fen>",
// "late_fee/<employer>/<YYYY-MM month>/<YYYY-MM run_month>".
std::string settlement_key(const SettlementLine& line, YearMonth run_month);

// The packed entry of `lines` (at least one, ascending employer, one block) booked by the run of `run_month`.
SettlementEntry packed_settlement_entry(YearMonth run_month, std::vector<SettlementLine> lines);

// invalid_input unless the entry has its first line's key and distribution
// key, at least one line, every line a payment (with its date, month settled
// up to the run month) or a late fee (no date, nothing paid before) of a
// positive amount, employers positive, ascending and in the first one's block.
Result<void> check_settlement(const SettlementEntry& entry);

// Balance as a person reads it: credit-normal accounts show the negated sum.
std::int64_t displayed_balance(AccountKind kind, std::int64_t posting_sum_fen);

}  // namespace shebao::ledger
