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
// Pure (no I/O), but for the registration of declaration_line() with SQLite
// (declaration_packs.cpp).
#pragma once

#include <charconv>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/calendar.h"
#include "storage/database.h"
#include "storage/packed_lines.h"

struct sqlite3;

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

namespace detail {
// Parses the line that starts at text[at] ('['): "[person,wage,days]" or
// "[person,wage,days,"event","date"|null]"; sets `end` past its ']'. False when
// it is not of that form.
inline bool parse_pack_line(std::string_view text, std::size_t at, std::int64_t& person_id, std::int64_t& wage_fen,
                            std::size_t& end) {
  const char* p = text.data() + at;
  const char* const last = text.data() + text.size();
  const auto number = [&](std::int64_t& value) {
    const auto [next, ec] = std::from_chars(p, last, value);
    if (ec != std::errc()) return false;
    p = next;
    return true;
  };
  const auto expect = [&](char c) {
    if (p == last || *p != c) return false;
    ++p;
    return true;
  };
  const auto string = [&]() {
    if (!expect('"')) return false;
    for (; p != last && *p != '"'; ++p) {
      if (*p == '\\' && ++p == last) return false;
    }
    return expect('"');
  };
  std::int64_t days = 0;
  if (!expect('[') || !number(person_id) || !expect(',') || !number(wage_fen) || !expect(',') || !number(days)) {
    return false;
  }
  if (!expect(']')) {
    if (!expect(',') || !string() || !expect(',')) return false;
    if (last - p >= 4 && std::string_view(p, 4) == "null") {
      p += 4;
    } else if (!string()) {
      return false;
    }
    if (!expect(']')) return false;
  }
  end = static_cast<std::size_t>(p - text.data());
  return true;
}
}  // namespace detail

// Reads the person and wage of every line of a pack written by
// append_declaration_pack, calling on_line(person_id, wage_fen) for each in
// order. Returns the number of lines, or -1 at the first character that does
// not fit the form (the caller names the declaration in its error).
template <typename OnLine>
std::int64_t read_declaration_pack(std::string_view text, OnLine&& on_line) {
  if (text.size() < 2 || text.front() != '[') return -1;
  if (text == "[]") return 0;
  std::int64_t count = 0;
  for (std::size_t at = 1;;) {
    std::int64_t person_id = 0;
    std::int64_t wage_fen = 0;
    std::size_t end = 0;
    if (!detail::parse_pack_line(text, at, person_id, wage_fen, end)) return -1;
    on_line(person_id, wage_fen);
    ++count;
    if (end < text.size() && text[end] == ',') {
      at = end + 1;
      continue;
    }
    return end + 1 == text.size() && text[end] == ']' ? count : -1;
  }
}

// The line of `person_id` in a pack written by append_declaration_pack (persons
// ascending, each once), as its JSON text ("[person,wage,days...]"); empty
// when the person has no line, or when a line it reads is not of the form (it
// reads only the lines it probes: the form of the whole pack is verify's
// check). A binary search
// over the text's bytes: a line starts at a '[' after "],", which no event
// text contains (events are "", "hire" or "leave"; store_declaration refuses
// others); each line a probe lands on is parsed whole.
inline std::string_view find_declaration_line(std::string_view text, std::int64_t person_id) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return {};
  // The start of the first line at or after `from` (within [from, limit)), or npos.
  const auto line_start_from = [&](std::size_t from, std::size_t limit) -> std::size_t {
    if (from <= 1) return text.size() > 2 && text[1] == '[' ? 1 : std::string_view::npos;
    for (std::size_t i = from; i + 1 < limit; ++i) {
      if (text[i] == '[' && text[i - 1] == ',' && text[i - 2] == ']') return i;
    }
    return std::string_view::npos;
  };
  std::size_t lo = 1;                // a line start (or the end): every line before it has a smaller person
  std::size_t hi = text.size() - 1;  // every line at or after it has a larger person
  while (hi - lo > 128) {
    const std::size_t mid = lo + (hi - lo) / 2;
    const std::size_t start = line_start_from(mid, hi);
    if (start == std::string_view::npos) {
      hi = mid;
      continue;
    }
    std::int64_t person = 0;
    std::int64_t wage = 0;
    std::size_t end = 0;
    if (!detail::parse_pack_line(text, start, person, wage, end)) return {};
    if (person == person_id) return text.substr(start, end - start);
    if (person < person_id) {
      if (end >= text.size() || text[end] != ',') return {};  // the last line: every person before the one asked
      lo = end + 1;
    } else {
      hi = start;
    }
  }
  for (std::size_t start = line_start_from(lo, text.size()); start != std::string_view::npos && start < hi;) {
    std::int64_t person = 0;
    std::int64_t wage = 0;
    std::size_t end = 0;
    if (!detail::parse_pack_line(text, start, person, wage, end)) return {};
    if (person == person_id) return text.substr(start, end - start);
    if (person > person_id) return {};
    start = end + 1 < text.size() && text[end] == ',' ? end + 1 : std::string_view::npos;
  }
  return {};
}

// What is wrong with a pack, or empty when nothing is: a line not of the form,
// or a person not after the line before's (each person once, ascending).
// Lines are counted from 1.
inline std::string declaration_pack_problem(std::string_view text) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return "its lines are not a JSON array";
  std::int64_t line = 0;
  std::int64_t before = 0;
  std::string order;  // the first person not after the line before's
  const std::int64_t count = read_declaration_pack(text, [&](std::int64_t person_id, std::int64_t) {
    if (++line > 1 && person_id <= before && order.empty()) {
      order = "line " + std::to_string(line) + ": person " + std::to_string(person_id) + " is not after " +
              std::to_string(before);
    }
    before = person_id;
  });
  if (!order.empty()) return order;
  if (count < 0) return "line " + std::to_string(line + 1) + " is malformed";
  return {};
}

// Registers on `db`, for the readers that look one person up in a pack (the
// per-person reads, verify):
//   declaration_line(lines, person_id)  find_declaration_line: the line's JSON text, or NULL;
//   declaration_pack_problem(lines)     declaration_pack_problem, or NULL when none;
// returns SQLite's result code.
int register_declaration_pack_functions(sqlite3* db);

}  // namespace shebao::storage::sqlite_packs
