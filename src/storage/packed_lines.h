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
// Pure: no I/O.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

#include "ledger/ledger.h"

namespace shebao::storage {

inline void append_decimal(std::string& out, std::int64_t value) {
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
    out += ']';
  }
  out += "]}";
}

}  // namespace shebao::storage
