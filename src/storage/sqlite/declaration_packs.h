// shebao storage (SQLite): the stored form of a declaration's lines (migration 14).
//
// A declaration's accepted lines are one row of declaration_line_packs, whose
// column `lines` holds a JSON array with one array per line, in ascending
// person order:
//   [[person_id,wage_fen,days_worked],[person_id,wage_fen,days_worked,"hire","YYYY-MM-DD"],...]
// the event and its date only on a line that has them. One row per declaration
// instead of one per line: the import writes a few hundred thousand rows a
// month instead of millions, and the month run reads one text per declaration.
// JSON so that SQLite's own json_each reads it: the view declaration_lines
// gives the old table's rows (declaration_id, person_id, wage_fen,
// days_worked, event, event_date) to `verify`, `stats`, the analytics and the
// per-person reads.
//
// Pure: no I/O.
#pragma once

#include <charconv>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/calendar.h"
#include "storage/database.h"
#include "storage/packed_lines.h"

namespace shebao::storage::sqlite_packs {

// Appends the JSON array of `lines` to `out`. Events are "", "hire" or
// "leave"; any other text is escaped as JSON requires.
inline void append_declaration_pack(std::string& out, std::span<const DeclarationLine> lines) {
  out.reserve(out.size() + 2 + lines.size() * 24);
  out += '[';
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const DeclarationLine& line = lines[i];
    out += i == 0 ? "[" : ",[";
    append_decimal(out, line.person_id);
    out += ',';
    append_decimal(out, line.wage_fen);
    out += ',';
    append_decimal(out, line.days_worked);
    if (!line.event.empty() || line.event_date) {
      out += ",\"";
      for (const char c : line.event) {
        if (c == '"' || c == '\\') {
          out += '\\';
          out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
      }
      out += '"';
      if (line.event_date) {
        out += ",\"";
        out += line.event_date->to_string();
        out += '"';
      } else {
        out += ",null";
      }
    }
    out += ']';
  }
  out += ']';
}

// Reads the person and wage of every line of a pack written by
// append_declaration_pack, calling on_line(person_id, wage_fen) for each in
// order. Returns the number of lines, or -1 at the first character that does
// not fit the form (the caller names the declaration in its error).
template <typename OnLine>
std::int64_t read_declaration_pack(std::string_view text, OnLine&& on_line) {
  const char* p = text.data();
  const char* const end = p + text.size();
  const auto number = [&](std::int64_t& value) {
    const auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc()) return false;
    p = next;
    return true;
  };
  const auto expect = [&](char c) {
    if (p == end || *p != c) return false;
    ++p;
    return true;
  };
  const auto string = [&]() {
    if (!expect('"')) return false;
    for (; p != end && *p != '"'; ++p) {
      if (*p == '\\' && ++p == end) return false;
    }
    return expect('"');
  };
  // The rest of a line after its third number: the closing bracket, or an
  // event and its date (a string or null) first.
  const auto rest_of_line = [&]() {
    if (expect(']')) return true;
    if (!expect(',') || !string() || !expect(',')) return false;
    if (end - p >= 4 && std::string_view(p, 4) == "null") {
      p += 4;
    } else if (!string()) {
      return false;
    }
    return expect(']');
  };
  if (!expect('[')) return -1;
  std::int64_t count = 0;
  if (p != end && *p == ']') return ++p == end ? 0 : -1;
  for (;;) {
    std::int64_t person_id = 0;
    std::int64_t wage_fen = 0;
    std::int64_t days = 0;
    if (!expect('[') || !number(person_id) || !expect(',') || !number(wage_fen) || !expect(',') || !number(days) ||
        !rest_of_line()) {
      return -1;
    }
    on_line(person_id, wage_fen);
    ++count;
    if (p != end && *p == ',') {
      ++p;
      continue;
    }
    if (!expect(']') || p != end) return -1;
    return count;
  }
}

}  // namespace shebao::storage::sqlite_packs
