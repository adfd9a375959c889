#include "storage/sqlite/entry_packs.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>
#include <new>
#include <utility>

#include "core/calendar.h"
#include "ledger/ledger.h"
#include "storage/sqlite/declaration_packs.h"

namespace shebao::storage::sqlite_packs {
namespace {

// The tokens of the packed forms, read in order.
class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // Takes `c` (after whitespace) when it is next.
  bool take(char c) {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  // A JSON integer: an optional minus, digits without a leading zero, no
  // fraction or exponent, within 64 bits.
  bool integer(std::int64_t& value) {
    skip_space();
    const char* start = p_;
    const char* digits = start != end_ && *start == '-' ? start + 1 : start;
    if (digits == end_ || *digits < '0' || *digits > '9') return false;
    if (*digits == '0' && digits + 1 != end_ && digits[1] >= '0' && digits[1] <= '9') return false;
    const auto [next, ec] = std::from_chars(start, end_, value);
    if (ec != std::errc()) return false;
    if (next != end_ && (*next == '.' || *next == 'e' || *next == 'E')) return false;
    p_ = next;
    return true;
  }
  // A string, its contents as written (escapes kept); no raw control character.
  bool string(std::string_view& contents) {
    skip_space();
    if (p_ == end_ || *p_ != '"') return false;
    const char* start = ++p_;
    for (; p_ != end_ && *p_ != '"'; ++p_) {
      if (static_cast<unsigned char>(*p_) < 0x20) return false;
      if (*p_ == '\\' && ++p_ == end_) return false;
    }
    if (p_ == end_) return false;
    contents = std::string_view(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return true;
  }
  bool at_end() {
    skip_space();
    return p_ == end_;
  }

 private:
  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  const char* p_;
  const char* end_;
};

// Reads the object `{... "name":[line,...] ...}` of a packed form: on_member(key)
// reads every other member's value, on_line(index) each line of the array
// member `lines_name` (from its '[' on); each returns what is wrong, or empty.
// Returns the first thing wrong, or empty.
template <typename OnMember, typename OnLine>
std::string read_object(JsonCursor& cursor, std::string_view lines_name, OnMember&& on_member, OnLine&& on_line) {
  if (!cursor.take('{')) return "not a JSON object";
  bool lines_seen = false;
  if (!cursor.take('}')) {
    for (;;) {
      std::string_view key;
      if (!cursor.string(key) || !cursor.take(':')) return "a member is malformed";
      if (key == lines_name) {
        if (lines_seen) return "member \"" + std::string(key) + "\" appears twice";
        lines_seen = true;
        if (!cursor.take('[')) return "\"" + std::string(key) + "\" is not an array";
        if (!cursor.take(']')) {
          for (std::size_t index = 0;; ++index) {
            if (std::string problem = on_line(index); !problem.empty()) return problem;
            if (cursor.take(',')) continue;
            if (cursor.take(']')) break;
            return "line " + std::to_string(index + 1) + " is not followed by ',' or ']'";
          }
        }
      } else if (std::string problem = on_member(key); !problem.empty()) {
        return problem;
      }
      if (cursor.take(',')) continue;
      if (cursor.take('}')) break;
      return "a member is not followed by ',' or '}'";
    }
  }
  if (!cursor.at_end()) return "text follows the object";
  if (!lines_seen) return "no member \"" + std::string(lines_name) + "\"";
  return {};
}

// Reads line `index` of a packed form: an array of at most `max` items, item i
// read by item(i) (false when it is not one the form allows); `count` counts
// them. Returns what is wrong, or empty.
template <typename ReadItem>
std::string read_line(JsonCursor& cursor, std::size_t index, int max, const char* too_many, const char* not_allowed,
                      int& count, ReadItem&& item) {
  const auto malformed = [&](const char* what) { return "line " + std::to_string(index + 1) + what; };
  if (!cursor.take('[')) return malformed(" is not an array");
  if (cursor.take(']')) return {};
  for (;;) {
    if (count == max) return malformed(too_many);
    if (!item(count++)) return malformed(not_allowed);
    if (cursor.take(',')) continue;
    if (cursor.take(']')) return {};
    return malformed(" is malformed");
  }
}

// The first of `persons` (ascending, each once, as the writers write them; in
// any order, sorted first) that appears twice, or 0.
std::int64_t repeated_person(std::vector<std::int64_t>& persons) {
  if (!std::is_sorted(persons.begin(), persons.end())) std::sort(persons.begin(), persons.end());
  const auto twice = std::adjacent_find(persons.begin(), persons.end());
  return twice == persons.end() ? 0 : *twice;
}

// "P" or "P and K more" of the persons missing, or empty when none is.
std::string missing_persons(std::int64_t first, std::int64_t count) {
  if (count == 0) return {};
  std::string text = std::to_string(first);
  if (count > 1) text += " and " + std::to_string(count - 1) + " more";
  return text;
}

// --- the SQL functions ---

std::string_view text_of(sqlite3_value* value) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  return std::string_view(text == nullptr ? "" : text, static_cast<std::size_t>(sqlite3_value_bytes(value)));
}

void result_text_or_null(sqlite3_context* context, const std::string& text) {
  if (text.empty()) {
    sqlite3_result_null(context);
  } else {
    sqlite3_result_text(context, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
}

bool any_null(int count, sqlite3_value** arguments) {
  for (int i = 0; i < count; ++i) {
    if (sqlite3_value_type(arguments[i]) == SQLITE_NULL) return true;
  }
  return false;
}

// The lines of a packed entry (argument 0) in `lines`; false (and the result
// NULL) when it is not of the form.
bool entry_lines_of(sqlite3_context* context, sqlite3_value* value, std::vector<EntryLineNumbers>& lines) {
  std::int64_t employer = 0;
  std::int64_t province = 0;
  if (sqlite3_value_type(value) == SQLITE_NULL || !read_entry_lines(text_of(value), employer, province, lines).empty()) {
    sqlite3_result_null(context);
    return false;
  }
  return true;
}

void packed_entry_problem_function(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (sqlite3_value_type(arguments[4]) == SQLITE_NULL) {
    sqlite3_result_text(context, "has no lines", -1, SQLITE_STATIC);
    return;
  }
  if (any_null(3, arguments)) {
    sqlite3_result_text(context, "has no kind, person or source", -1, SQLITE_STATIC);
    return;
  }
  result_text_or_null(context, packed_entry_problem(sqlite3_value_int(arguments[0]), sqlite3_value_int64(arguments[1]),
                                                    sqlite3_value_int64(arguments[2]),
                                                    sqlite3_value_type(arguments[3]) != SQLITE_NULL,
                                                    text_of(arguments[4])));
}

void settlement_entry_problem_function(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (any_null(3, arguments)) {
    sqlite3_result_text(context, "has no person, month or lines", -1, SQLITE_STATIC);
    return;
  }
  result_text_or_null(context, settlement_entry_problem(sqlite3_value_int64(arguments[0]),
                                                        sqlite3_value_int(arguments[1]), text_of(arguments[2])));
}

void packed_unbalanced_line(sqlite3_context* context, int, sqlite3_value** arguments) {
  std::vector<EntryLineNumbers> lines;
  if (!entry_lines_of(context, arguments[0], lines)) return;
  std::int64_t unbalanced = 0;
  std::string first;
  for (const EntryLineNumbers& line : lines) {
    if (line.count < 4) continue;  // not of the form: packed_entry_problem's
    std::int64_t sum = 0;
    const bool overflow = __builtin_add_overflow(line.values[1], line.values[2], &sum) ||
                          __builtin_add_overflow(sum, line.values[3], &sum);
    if (!overflow && sum == 0) continue;
    if (unbalanced++ == 0) {
      first = "the postings of person " + std::to_string(line.values[0]) + " sum to " +
              (overflow ? std::string("more than 64 bits hold") : std::to_string(sum));
    }
  }
  if (unbalanced > 1) first += " (and " + std::to_string(unbalanced - 1) + " more lines)";
  result_text_or_null(context, first);
}

void packed_posting_count(sqlite3_context* context, int, sqlite3_value** arguments) {
  std::vector<EntryLineNumbers> lines;
  if (!entry_lines_of(context, arguments[0], lines)) return;
  std::int64_t postings = 0;
  for (const EntryLineNumbers& line : lines) {
    for (int i = 1; i < 4 && i < line.count; ++i) postings += line.values[i] != 0;
  }
  sqlite3_result_int64(context, postings);
}

void packed_line_count(sqlite3_context* context, int, sqlite3_value** arguments) {
  std::vector<EntryLineNumbers> lines;
  if (!entry_lines_of(context, arguments[0], lines)) return;
  sqlite3_result_int64(context, static_cast<std::int64_t>(lines.size()));
}

void packed_amount_sum(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (sqlite3_value_type(arguments[1]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const int amount = sqlite3_value_int(arguments[1]);
  if (amount < 1 || amount > 3) {
    sqlite3_result_error(context, "packed_amount_sum: the amount is 1, 2 or 3", -1);
    return;
  }
  std::vector<EntryLineNumbers> lines;
  if (!entry_lines_of(context, arguments[0], lines)) return;
  std::int64_t sum = 0;
  for (const EntryLineNumbers& line : lines) {
    if (line.count > amount && __builtin_add_overflow(sum, line.values[amount], &sum)) {
      sqlite3_result_error(context, "packed_amount_sum: the sum exceeds 64 bits", -1);
      return;
    }
  }
  sqlite3_result_int64(context, sum);
}

void settlement_amount_sum(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (sqlite3_value_type(arguments[0]) == SQLITE_NULL || sqlite3_value_type(arguments[1]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const std::int64_t kind = sqlite3_value_int64(arguments[1]);
  std::vector<SettlementItems> lines;
  if (!read_settlement_lines(text_of(arguments[0]), lines).empty()) {
    sqlite3_result_null(context);
    return;
  }
  std::int64_t sum = 0;
  for (const SettlementItems& line : lines) {
    if (line.count < 5 || !line.items[0].is_integer || line.items[0].number != kind || !line.items[4].is_integer) {
      continue;
    }
    if (__builtin_add_overflow(sum, line.items[4].number, &sum)) {
      sqlite3_result_error(context, "settlement_amount_sum: the sum exceeds 64 bits", -1);
      return;
    }
  }
  sqlite3_result_int64(context, sum);
}

// The aggregates below collect values into a vector kept in SQLite's
// aggregate context (created at the first row, freed by the final call) and
// report the first value met more than once.

// One row of such an aggregate: add(values) with the vector; SQLite's "out of
// memory" when there is none.
template <typename T, typename Add>
void collect_step(sqlite3_context* context, Add&& add) {
  try {
    auto** state = static_cast<std::vector<T>**>(sqlite3_aggregate_context(context, sizeof(void*)));
    if (state == nullptr) {
      sqlite3_result_error_nomem(context);
      return;
    }
    if (*state == nullptr) *state = new std::vector<T>();
    add(**state);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(context);
  }
}

// The final call: describe(value, times) of the first value (in sorted order)
// met more than once, and "(and N more <others> twice or more)" when others
// are; NULL when none is (or no row came).
template <typename T, typename Describe>
void repeated_final(sqlite3_context* context, const char* others_name, Describe&& describe) {
  try {
    auto** state = static_cast<std::vector<T>**>(sqlite3_aggregate_context(context, 0));
    const std::unique_ptr<std::vector<T>> values(state == nullptr ? nullptr : std::exchange(*state, nullptr));
    if (!values) {
      sqlite3_result_null(context);
      return;
    }
    std::sort(values->begin(), values->end());
    std::string text;
    std::int64_t others = 0;
    for (std::size_t i = 0; i < values->size();) {
      std::size_t j = i + 1;
      while (j < values->size() && (*values)[j] == (*values)[i]) ++j;
      if (j - i > 1) {
        if (text.empty()) {
          text = describe((*values)[i], static_cast<std::int64_t>(j - i));
        } else {
          ++others;
        }
      }
      i = j;
    }
    if (others > 0) text += " (and " + std::to_string(others) + " more " + others_name + " twice or more)";
    result_text_or_null(context, text);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(context);
  }
}

// repeated_line_person(lines): aggregate over packed entries; the persons of
// all their lines, and the first named more than once.
void repeated_line_person_step(sqlite3_context* context, int, sqlite3_value** arguments) {
  collect_step<std::int64_t>(context, [&](std::vector<std::int64_t>& persons) {
    if (sqlite3_value_type(arguments[0]) == SQLITE_NULL) return;
    std::int64_t employer = 0;
    std::int64_t province = 0;
    std::vector<EntryLineNumbers> lines;
    if (!read_entry_lines(text_of(arguments[0]), employer, province, lines).empty()) return;  // the form check's
    for (const EntryLineNumbers& line : lines) {
      if (line.count > 0) persons.push_back(line.values[0]);
    }
  });
}

void repeated_line_person_final(sqlite3_context* context) {
  repeated_final<std::int64_t>(context, "persons", [](std::int64_t person, std::int64_t times) {
    return "person " + std::to_string(person) + " is in " + std::to_string(times) + " lines";
  });
}

// "YYYY-MM" of a month serial (year * 12 + month - 1), as SQL's
// printf('%04d-%02d', m / 12, m % 12 + 1) writes it.
void append_month(std::string& out, std::int64_t serial) {
  char text[32];
  std::snprintf(text, sizeof text, "%04lld-%02lld", static_cast<long long>(serial / 12),
                static_cast<long long>(serial % 12 + 1));
  out += text;
}

// repeated_settlement_key(month, lines, key): aggregate over journal entries;
// the key of every line of a packed settlement entry (kind 9: `lines` and its
// run month, keys as ledger::settlement_key and the SQL of verify write them)
// or the row's own key (`lines` NULL), and the first key met more than once.
void repeated_settlement_key_step(sqlite3_context* context, int, sqlite3_value** arguments) {
  collect_step<std::string>(context, [&](std::vector<std::string>& keys) {
    if (sqlite3_value_type(arguments[1]) == SQLITE_NULL) {
      if (sqlite3_value_type(arguments[2]) != SQLITE_NULL) keys.emplace_back(text_of(arguments[2]));
      return;
    }
    std::vector<SettlementItems> lines;
    if (!read_settlement_lines(text_of(arguments[1]), lines).empty()) return;  // the form check's
    const std::int64_t run_month = sqlite3_value_int64(arguments[0]);
    for (const SettlementItems& line : lines) {
      if (line.count < 5 || !line.items[0].is_integer || !line.items[1].is_integer || !line.items[3].is_integer) {
        continue;  // the form check's
      }
      const bool payment = line.items[0].number == 3;
      std::string key = payment ? "payment/" : "late_fee/";
      key += std::to_string(line.items[1].number);
      key += '/';
      append_month(key, line.items[3].number);
      key += '/';
      if (payment) {
        if (line.count < 7) continue;
        key += line.items[5].text;
        key += '/';
        key += line.items[6].is_integer ? std::to_string(line.items[6].number) : std::string(line.items[6].text);
      } else {
        append_month(key, run_month);
      }
      keys.push_back(std::move(key));
    }
  });
}

void repeated_settlement_key_final(sqlite3_context* context) {
  repeated_final<std::string>(context, "keys", [](const std::string& key, std::int64_t times) {
    return key + " is booked " + std::to_string(times) + " times";
  });
}

void entry_persons_without(sqlite3_context* context, int, sqlite3_value** arguments) {
  std::vector<EntryLineNumbers> lines;
  if (!entry_lines_of(context, arguments[0], lines)) return;
  const bool no_pack = sqlite3_value_type(arguments[1]) == SQLITE_NULL;
  const std::string_view pack = no_pack ? std::string_view() : text_of(arguments[1]);
  std::int64_t missing = 0;
  std::int64_t first = 0;
  for (const EntryLineNumbers& line : lines) {
    if (line.count < 1) continue;
    if (no_pack || find_declaration_line(pack, line.values[0]).empty()) {
      if (missing++ == 0) first = line.values[0];
    }
  }
  result_text_or_null(context, missing_persons(first, missing));
}

void declaration_pack_size(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (sqlite3_value_type(arguments[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const std::int64_t count = read_declaration_pack(text_of(arguments[0]), [](std::int64_t, std::int64_t) {});
  if (count < 0) {
    sqlite3_result_null(context);
  } else {
    sqlite3_result_int64(context, count);
  }
}

void pack_persons_without(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (sqlite3_value_type(arguments[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  std::vector<std::int64_t> persons;
  if (sqlite3_value_type(arguments[1]) != SQLITE_NULL) {
    const std::string_view list = text_of(arguments[1]);
    const char* p = list.data();
    const char* const end = list.data() + list.size();
    while (p != end) {
      std::int64_t person = 0;
      const auto [next, ec] = std::from_chars(p, end, person);
      if (ec != std::errc() || (next != end && *next != ',')) {
        sqlite3_result_error(context, "pack_persons_without: the persons are not integers joined by commas", -1);
        return;
      }
      persons.push_back(person);
      p = next == end ? end : next + 1;
    }
    if (!std::is_sorted(persons.begin(), persons.end())) std::sort(persons.begin(), persons.end());
  }
  std::int64_t missing = 0;
  std::int64_t first = 0;
  const std::int64_t count = read_declaration_pack(text_of(arguments[0]), [&](std::int64_t person_id, std::int64_t) {
    if (!std::binary_search(persons.begin(), persons.end(), person_id) && missing++ == 0) first = person_id;
  });
  if (count < 0) {
    sqlite3_result_null(context);
    return;
  }
  result_text_or_null(context, missing_persons(first, missing));
}

}  // namespace

std::string read_entry_lines(std::string_view text, std::int64_t& employer, std::int64_t& province,
                             std::vector<EntryLineNumbers>& lines) {
  lines.clear();
  JsonCursor cursor(text);
  bool employer_seen = false;
  bool province_seen = false;
  std::string problem = read_object(
      cursor, "lines",
      [&](std::string_view key) -> std::string {
        const bool is_employer = key == "employer";
        if (!is_employer && key != "province") return "unknown member \"" + std::string(key) + "\"";
        bool& seen = is_employer ? employer_seen : province_seen;
        if (seen) return "member \"" + std::string(key) + "\" appears twice";
        seen = true;
        if (!cursor.integer(is_employer ? employer : province)) return "\"" + std::string(key) + "\" is not an integer";
        return {};
      },
      [&](std::size_t index) -> std::string {
        EntryLineNumbers& line = lines.emplace_back();
        return read_line(cursor, index, EntryLineNumbers::kMax, " has more than five numbers",
                         " holds something other than an integer", line.count,
                         [&](int i) { return cursor.integer(line.values[i]); });
      });
  if (!problem.empty()) return problem;
  if (!employer_seen) return "no member \"employer\"";
  if (!province_seen) return "no member \"province\"";
  return {};
}

std::string packed_entry_problem(int kind, std::int64_t person_id, std::int64_t source_id, bool corrects,
                                 std::string_view text) {
  std::int64_t employer = 0;
  std::int64_t province = 0;
  std::vector<EntryLineNumbers> lines;
  if (std::string problem = read_entry_lines(text, employer, province, lines); !problem.empty()) {
    return "malformed packed form: " + problem;
  }
  const bool flexible = kind == 2;
  const std::int64_t expected_employer = flexible ? 0 : -person_id;
  if (employer != expected_employer) {
    return "names employer " + std::to_string(employer) + ", not " + std::to_string(expected_employer);
  }
  std::vector<std::int64_t> persons;
  persons.reserve(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const EntryLineNumbers& line = lines[i];
    if (line.count != 4 && !(flexible && line.count == 5)) {
      return "line " + std::to_string(i + 1) + " has " + std::to_string(line.count) + " numbers";
    }
    persons.push_back(line.values[0]);
  }
  if (flexible) {
    if (lines.empty() || lines[0].values[0] != person_id) return "its first line is not person " + std::to_string(person_id) + "'s";
    if (source_id != 0 || corrects) return "flexible payments with a source or a correction";
    const std::int64_t block = person_id / ledger::kFlexibleBlock;
    for (const std::int64_t person : persons) {
      if (person < person_id || person / ledger::kFlexibleBlock != block) {
        return "person " + std::to_string(person) + " lies outside the entry's block of persons";
      }
    }
  }
  if (const std::int64_t twice = repeated_person(persons); twice != 0) {
    return "names person " + std::to_string(twice) + " twice";
  }
  return {};
}

std::string read_settlement_lines(std::string_view text, std::vector<SettlementItems>& lines) {
  lines.clear();
  JsonCursor cursor(text);
  return read_object(
      cursor, "settlements",
      [&](std::string_view key) -> std::string { return "unknown member \"" + std::string(key) + "\""; },
      [&](std::size_t index) -> std::string {
        SettlementItems& line = lines.emplace_back();
        return read_line(cursor, index, SettlementItems::kMax, " has more than seven items",
                         " holds something other than an integer or a string", line.count, [&](int i) {
                           SettlementItems::Item& item = line.items[i];
                           item.is_integer = cursor.integer(item.number);
                           return item.is_integer || cursor.string(item.text);
                         });
      });
}

std::string settlement_entry_problem(std::int64_t person_id, int month, std::string_view text) {
  std::vector<SettlementItems> lines;
  if (std::string problem = read_settlement_lines(text, lines); !problem.empty()) {
    return "malformed packed form: " + problem;
  }
  if (lines.empty()) return "has no settlement line";
  const auto integer = [](const SettlementItems& line, int i) { return i < line.count && line.items[i].is_integer; };
  std::int64_t before = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const SettlementItems& line = lines[i];
    const std::string where = "line " + std::to_string(i + 1);
    for (int item = 0; item < 5; ++item) {
      if (!integer(line, item)) return where + ": item " + std::to_string(item + 1) + " is not an integer";
    }
    const std::int64_t kind = line.items[0].number;
    const std::int64_t employer = line.items[1].number;
    const std::int64_t settled = line.items[3].number;
    if (kind == 3) {
      if (line.count != 7 || line.items[5].is_integer || !integer(line, 6)) {
        return where + ": a payment is [3,employer,province,month,amount,\"paid on\",paid before]";
      }
      const std::string_view paid_on = line.items[5].text;
      auto date = Date::parse(paid_on);
      if (!date || date->to_string() != paid_on) return where + ": the payment's date is not a date";
      if (settled > month) return where + ": a payment of a month after the run month";
    } else if (kind == 4) {
      if (line.count != 5) return where + ": a late fee is [4,employer,province,month,amount]";
    } else {
      return where + ": kind " + std::to_string(kind) + " is neither a payment (3) nor a late fee (4)";
    }
    if (employer <= 0 || line.items[4].number <= 0) return where + ": an employer or amount not above zero";
    if (settled < 12 || settled >= 120000) return where + ": month " + std::to_string(settled) + " out of range";
    if (employer / ledger::kEmployerBlock != -person_id / ledger::kEmployerBlock) {
      return where + ": employer " + std::to_string(employer) + " lies outside the entry's block of employers";
    }
    if (i == 0 && employer != -person_id) return "its first employer is not " + std::to_string(-person_id);
    if (i > 0 && employer < before) return where + ": employer " + std::to_string(employer) + " is out of order";
    before = employer;
  }
  return {};
}

int register_entry_pack_functions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  struct Function {
    const char* name;
    int arguments;
    void (*call)(sqlite3_context*, int, sqlite3_value**);
  };
  const Function functions[] = {
      {"packed_entry_problem", 5, &packed_entry_problem_function},
      {"settlement_entry_problem", 3, &settlement_entry_problem_function},
      {"packed_unbalanced_line", 1, &packed_unbalanced_line},
      {"packed_posting_count", 1, &packed_posting_count},
      {"packed_line_count", 1, &packed_line_count},
      {"packed_amount_sum", 2, &packed_amount_sum},
      {"settlement_amount_sum", 2, &settlement_amount_sum},
      {"entry_persons_without", 2, &entry_persons_without},
      {"declaration_pack_size", 1, &declaration_pack_size},
      {"pack_persons_without", 2, &pack_persons_without},
  };
  for (const Function& function : functions) {
    const int rc = sqlite3_create_function_v2(db, function.name, function.arguments, kFlags, nullptr, function.call,
                                              nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  struct Aggregate {
    const char* name;
    int arguments;
    void (*step)(sqlite3_context*, int, sqlite3_value**);
    void (*final)(sqlite3_context*);
  };
  const Aggregate aggregates[] = {
      {"repeated_line_person", 1, &repeated_line_person_step, &repeated_line_person_final},
      {"repeated_settlement_key", 3, &repeated_settlement_key_step, &repeated_settlement_key_final},
  };
  for (const Aggregate& aggregate : aggregates) {
    const int rc = sqlite3_create_function_v2(db, aggregate.name, aggregate.arguments, kFlags, nullptr, nullptr,
                                              aggregate.step, aggregate.final, nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace shebao::storage::sqlite_packs
