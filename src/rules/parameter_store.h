// shebao rules: effective-dated parameters, loaded from the TOML files under rules/.
//
// A parameter is a series of entries, each valid from `from` to `to`
// (inclusive; no `to` = still in force), with its value, the rule it belongs
// to, its status (confirmed, secondary, unconfirmed, conflict) and its legal
// source. A series is identified by (key, jurisdiction, variant):
// jurisdiction is "CN", "CN-nn" (a province, where the law sets the value per
// province) or "EU"; the variant distinguishes values of one parameter that
// differ by a fixed category (retirement category, employer size, day scheme).
//
// The set of keys, their types, domains, allowed variants and whether a series
// must be continuous (no gaps after its first entry) is the schema in
// parameter_schema.cpp. Loading rejects, naming file and line: unknown keys
// (parameter or field), missing fields, values of the wrong type or outside
// their domain, overlapping periods and gaps in a continuous series.
//
// A lookup for a province falls back to the national series ("CN") when the
// province has no series of its own for that key and variant.
//
// This module does no I/O: load() takes file contents; the files are read by
// ingest/rules_files.h. A loaded store is immutable and safe to share between
// threads.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/calendar.h"
#include "core/decimal.h"
#include "core/error.h"

namespace shebao::rules {

enum class ValueType { decimal, integer, boolean, month, text, table };
enum class Granularity { by_day, by_month, by_year };

struct ParamSchema {
  std::string_view key;
  ValueType type;
  Granularity granularity;
  std::string_view min;  // decimal text; empty = unbounded (decimal, integer, table values)
  std::string_view max;
  bool money = false;     // at most two decimals
  bool per_province = false;
  bool continuous = false;
  std::vector<std::string_view> variants;     // empty = no variant allowed
  std::vector<std::string_view> text_values;  // for ValueType::text
  std::string_view description;
};

// The schema of every known parameter key.
std::span<const ParamSchema> parameter_schema();
const ParamSchema* find_schema(std::string_view key);

struct ParamEntry {
  std::string key;
  std::string jurisdiction;  // "CN", "CN-42", "EU"
  std::string variant;       // "" when the key has none
  Date from;
  std::optional<Date> to;  // inclusive; nullopt = open

  ValueType type = ValueType::decimal;
  Decimal number;  // decimal and integer values
  bool flag = false;
  YearMonth month;
  std::string text;
  std::vector<std::pair<int, Decimal>> table;  // sorted by key

  std::string rule_id;
  std::string status;
  std::string source;
  std::string note;
  std::string file;
  int line = 0;

  bool covers(Date day) const { return from <= day && (!to || day <= *to); }
  std::string period() const;       // "2006-01-01..open"
  std::string value_text() const;   // the value as written ("0.16", "true", "2025-01", "table(31)")
  std::string location() const;     // "rules/cn/benefits.toml:12"
  std::optional<Decimal> table_value(int table_key) const;
};

struct RulesFile {
  std::string name;  // shown in errors, e.g. "rules/cn/contribution.toml"
  std::string content;
};

class ParameterStore {
 public:
  // Parses and validates every file; all-or-nothing. The error's field is
  // "file:line" and its code rules_invalid.
  static Result<ParameterStore> load(const std::vector<RulesFile>& files);

  // The entry of (key, jurisdiction, variant) in force on `day`. A province
  // without its own series falls back to "CN". rule_missing when none covers
  // the day (the caller maps that to out_of_range where the rule says so).
  Result<const ParamEntry*> find(std::string_view key, Date day, std::string_view jurisdiction = "CN",
                                 std::string_view variant = "") const;
  Result<const ParamEntry*> find(std::string_view key, YearMonth month, std::string_view jurisdiction = "CN",
                                 std::string_view variant = "") const {
    return find(key, Date::first_of(month), jurisdiction, variant);
  }
  // The same without fallback to the national series.
  const ParamEntry* find_exact(std::string_view key, Date day, std::string_view jurisdiction,
                               std::string_view variant = "") const;
  // The entry still in force (open-ended, or else the latest) of a series.
  Result<const ParamEntry*> current(std::string_view key, std::string_view jurisdiction = "CN",
                                    std::string_view variant = "") const;
  // All entries of one series, sorted by `from`.
  std::span<const ParamEntry> series(std::string_view key, std::string_view jurisdiction = "CN",
                                     std::string_view variant = "") const;

  std::size_t entry_count() const;
  std::size_t series_count() const { return series_.size(); }

 private:
  struct SeriesKey {
    std::string key, jurisdiction, variant;
  };
  struct SeriesKeyView {
    std::string_view key, jurisdiction, variant;
  };
  struct SeriesLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::tuple<std::string_view, std::string_view, std::string_view>(a.key, a.jurisdiction, a.variant) <
             std::tuple<std::string_view, std::string_view, std::string_view>(b.key, b.jurisdiction, b.variant);
    }
  };
  std::map<SeriesKey, std::vector<ParamEntry>, SeriesLess> series_;
};

}  // namespace shebao::rules
