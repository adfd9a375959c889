// shebao storage: the stored form of a packed entry's postings (migration 8 on
// both backends), shared by storage/sqlite and storage/postgres.
//
// A packed journal entry (ledger::PackedEntry: a declaration's contributions,
// or their reversal) is one journal_entries row whose column `lines` holds
//   {"employer":E,"province":P,"lines":[[person_id,receivable_fen,personal_fen,pooled_fen],...]}
// one array per declared person in ascending person order. Posting 3i + n of
// the entry is amount n (0 receivable of employer E, 1 personal of the person,
// 2 pooled fund of province P) of line i; a zero amount is no posting. JSON so
// that the database's own functions (SQLite json_each, PostgreSQL
// json_array_elements) read it in `verify`, `stats` and the per-person reads.
//
// A packed entry of flexible payments (kind 2, migration 9) has the same form
// with employer 0: amount 0 of a line is the collection bank of province P (not
// a receivable); amounts 1 and 2 are the personal account and the pooled fund,
// as in a contribution. A fifth number, when present, is the contribution base
// the month was computed on (ledger::PackedLine::base_fen; not a posting).
//
// A packed entry of a month run's payments and late fees (kind 9, migration 11,
// ledger::SettlementEntry) holds
//   {"settlements":[[3,employer,province,month,amount_fen,"YYYY-MM-DD paid_on",paid_before_fen],
//                   [4,employer,province,month,amount_fen],...]}
// one array per payment (3) or late fee (4) in ascending employer order, month
// the serial (year * 12 + month - 1) of the month settled. Its postings 2i and
// 2i + 1 are line i's (ledger/ledger.h). The readers of "$.lines" do not see
// them.
//
// Pure: no I/O.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/ledger.h"

// ledger::kFlexibleBlock as SQL text: a person's packed flexible lines are in
// the kind-2 entries whose person_id lies between the person's block start
// (person_id - person_id % block) and the person.
#define SHEBAO_FLEXIBLE_BLOCK "4096"
static_assert(shebao::ledger::kFlexibleBlock == 4096, "SHEBAO_FLEXIBLE_BLOCK spells ledger::kFlexibleBlock");
// ledger::kEmployerBlock as SQL text (packed payments and late fees, migration 11).
#define SHEBAO_EMPLOYER_BLOCK "1024"
static_assert(shebao::ledger::kEmployerBlock == 1024, "SHEBAO_EMPLOYER_BLOCK spells ledger::kEmployerBlock");

namespace shebao::storage {

// Inlined where it is called: the month run writes a few million of them.
[[gnu::always_inline]] inline void append_decimal(std::string& out, std::int64_t value) {
  char digits[24];
  const auto written = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, written.ptr);
}

// Appends the JSON of `entry`'s postings to `out` (no character that COPY's
// text format would need escaped).
inline void append_packed_lines(std::string& out, const ledger::PackedEntry& entry) {
  out.reserve(out.size() + 48 + entry.lines.size() * 36);
  out += "{\"employer\":";
  append_decimal(out, entry.employer_id);
  out += ",\"province\":";
  append_decimal(out, entry.province);
  out += ",\"lines\":[";
  for (std::size_t i = 0; i < entry.lines.size(); ++i) {
    const ledger::PackedLine& line = entry.lines[i];
    out += i == 0 ? "[" : ",[";
    append_decimal(out, line.person_id);
    out += ',';
    append_decimal(out, line.receivable_fen);
    out += ',';
    append_decimal(out, line.personal_fen);
    out += ',';
    append_decimal(out, line.pooled_fen);
    if (line.base_fen != 0) {
      out += ',';
      append_decimal(out, line.base_fen);
    }
    out += ']';
  }
  out += "]}";
}

// Appends the JSON of a packed settlement entry's lines to `out` (no
// character that COPY's text format would need escaped).
inline void append_settlement_lines(std::string& out, const ledger::SettlementEntry& entry) {
  out.reserve(out.size() + 20 + entry.lines.size() * 48);
  out += "{\"settlements\":[";
  for (std::size_t i = 0; i < entry.lines.size(); ++i) {
    const ledger::SettlementLine& line = entry.lines[i];
    out += i == 0 ? "[" : ",[";
    append_decimal(out, static_cast<int>(line.kind));
    out += ',';
    append_decimal(out, line.employer_id);
    out += ',';
    append_decimal(out, line.province);
    out += ',';
    append_decimal(out, line.month.serial());
    out += ',';
    append_decimal(out, line.amount_fen);
    if (line.kind == ledger::EntryKind::payment) {
      out += ",\"";
      out += line.paid_on ? line.paid_on->to_string() : std::string();
      out += "\",";
      append_decimal(out, line.paid_before_fen);
    }
    out += ']';
  }
  out += "]}";
}

// Why book() refuses an entry of `kind` (such entries are booked packed), or nullptr.
inline const char* packed_only(ledger::EntryKind kind) {
  switch (kind) {
    case ledger::EntryKind::contribution:
      return "contributions are booked packed, one entry per declaration (book_packed)";
    case ledger::EntryKind::flexible_contribution:
      return "flexible payments are booked packed, per month, province and block of persons (book_packed)";
    case ledger::EntryKind::payment:
    case ledger::EntryKind::late_fee:
    case ledger::EntryKind::settlement:
      return "payments and late fees are booked packed, per run month and block of employers (book_settlements)";
    default:
      return nullptr;
  }
}

// True when `key` may be a packed payment's or late fee's line key
// (ledger::settlement_key); its line is then in an entry of a run month from
// `first` to `last` (serials): a late fee's is its run month, a payment's the
// month it settles or later.
inline bool settlement_key_run_months(std::string_view key, int& first, int& last) {
  const bool payment = key.starts_with("payment/");
  if (!payment && !key.starts_with("late_fee/")) return false;
  key.remove_prefix(payment ? 8 : 9);
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return false;
  key.remove_prefix(slash + 1);
  auto month = YearMonth::parse(key.substr(0, 7));
  if (!month || key.size() < 8 || key[7] != '/') return false;
  if (payment) {
    first = month->serial();
    last = YearMonth::of(9999, 12).serial();
    return true;
  }
  auto run = YearMonth::parse(key.substr(8));
  if (!run) return false;
  first = last = run->serial();
  return true;
}

// Calls f(person_id, receivable_fen, personal_fen, pooled_fen) for each line of
// `text`, a `lines` column as append_packed_lines() writes it (the bulk readers
// parse it here instead of through the database's JSON functions; a flexible
// line's fifth number, its contribution base, is skipped); false when `text`
// is not in that form.
template <typename F>
bool for_each_packed_line(std::string_view text, F&& f) {
  constexpr std::string_view kKey = "\"lines\":[";
  const auto at = text.find(kKey);
  if (at == std::string_view::npos) return false;
  const char* p = text.data() + at + kKey.size();
  const char* const end = text.data() + text.size();
  if (p < end && *p == ']') return true;
  for (;;) {
    if (p >= end || *p != '[') return false;
    ++p;
    std::int64_t v[4];
    for (int i = 0; i < 4; ++i) {
      const auto read = std::from_chars(p, end, v[i]);
      if (read.ec != std::errc()) return false;
      p = read.ptr;
      if (i < 3) {
        if (p >= end || *p != ',') return false;
        ++p;
      }
    }
    if (p < end && *p == ',') {  // a flexible line's contribution base: not a posting
      std::int64_t base = 0;
      const auto read = std::from_chars(p + 1, end, base);
      if (read.ec != std::errc()) return false;
      p = read.ptr;
    }
    if (p >= end || *p != ']') return false;
    ++p;
    f(v[0], v[1], v[2], v[3]);
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    return p < end && *p == ']';
  }
}

}  // namespace shebao::storage
