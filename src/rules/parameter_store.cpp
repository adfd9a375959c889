#include "rules/parameter_store.h"

#include <algorithm>
#include <set>

#include <toml++/toml.h>

#include "core/region.h"

namespace shebao::rules {
namespace {

const std::set<std::string_view> kEntryFields = {"jurisdiction", "variant", "from", "to",   "value",
                                                 "values",       "rule",    "status", "source", "note"};
const std::set<std::string_view> kStatuses = {"confirmed", "secondary", "unconfirmed", "conflict"};

std::string where(const std::string& file, const toml::source_region& region) {
  return file + ":" + std::to_string(region.begin.line);
}

tl::unexpected<Error> rules_error(std::string location, std::string message) {
  return fail(ErrorCode::rules_invalid, std::move(location), std::move(message));
}

Result<Date> read_date(const toml::node& node, const std::string& location, std::string_view field) {
  if (const auto* d = node.as_date()) {
    const toml::date value = d->get();
    const std::chrono::year_month_day ymd{std::chrono::year(value.year), std::chrono::month(value.month),
                                          std::chrono::day(value.day)};
    if (!ymd.ok()) return rules_error(location, std::string(field) + " is not a valid date");
    return Date::from_days(std::chrono::sys_days(ymd));
  }
  return rules_error(location, std::string(field) + " must be a TOML date (YYYY-MM-DD without quotes)");
}

Result<Decimal> read_number(const toml::node& node, const ParamSchema& schema, const std::string& location,
                            std::string_view what) {
  Decimal number;
  if (const auto* s = node.as_string()) {
    auto parsed = Decimal::parse(s->get());
    if (!parsed) return rules_error(location, std::string(what) + ": " + parsed.error().message);
    number = *parsed;
  } else if (const auto* i = node.as_integer()) {
    number = Decimal::from_int(i->get());
  } else if (node.is_floating_point()) {
    return rules_error(location, std::string(what) + ": write decimals as strings (\"0.16\"), not TOML floats");
  } else {
    return rules_error(location, std::string(what) + ": expected a number");
  }
  if (schema.type == ValueType::integer && !number.to_int64_exact()) {
    return rules_error(location, std::string(what) + ": expected a whole number, got " + number.to_string());
  }
  if (schema.money && number.fraction_digits() > 2) {
    return rules_error(location, std::string(what) + ": money has at most two decimals");
  }
  if (!schema.min.empty() && number < *Decimal::parse(schema.min)) {
    return rules_error(location, std::string(what) + " " + number.to_string() + " is below the minimum " +
                                     std::string(schema.min) + " of " + std::string(schema.key));
  }
  if (!schema.max.empty() && number > *Decimal::parse(schema.max)) {
    return rules_error(location, std::string(what) + " " + number.to_string() + " is above the maximum " +
                                     std::string(schema.max) + " of " + std::string(schema.key));
  }
  return number;
}

Result<std::string> read_text(const toml::table& table, std::string_view field, const std::string& location,
                              bool required) {
  const toml::node* node = table.get(field);
  if (node == nullptr) {
    if (required) return rules_error(location, "missing field '" + std::string(field) + "'");
    return std::string();
  }
  const auto* s = node->as_string();
  if (s == nullptr) return rules_error(location, "field '" + std::string(field) + "' must be a string");
  if (required && s->get().empty()) return rules_error(location, "field '" + std::string(field) + "' is empty");
  return s->get();
}

bool is_first_of_month(Date d) { return static_cast<unsigned>(d.ymd().day()) == 1; }
bool is_last_of_month(Date d) { return d == Date::last_of(d.year_month()); }

Result<ParamEntry> read_entry(const ParamSchema& schema, const toml::table& table, const std::string& file) {
  const std::string location = where(file, table.source());
  for (auto&& [field, node] : table) {
    if (!kEntryFields.contains(field.str())) {
      return rules_error(where(file, field.source()), "unknown field '" + std::string(field.str()) + "' in " +
                                                          std::string(schema.key));
    }
  }
  ParamEntry entry;
  entry.key = std::string(schema.key);
  entry.type = schema.type;
  entry.file = file;
  entry.line = static_cast<int>(table.source().begin.line);

  auto jurisdiction = read_text(table, "jurisdiction", location, false);
  if (!jurisdiction) return tl::unexpected(jurisdiction.error());
  entry.jurisdiction = jurisdiction->empty() ? "CN" : *jurisdiction;
  if (entry.jurisdiction != "CN" && entry.jurisdiction != "EU") {
    auto province = parse_province_jurisdiction(entry.jurisdiction);
    if (!province) return rules_error(location, "jurisdiction '" + entry.jurisdiction + "' is not CN, EU or CN-nn");
    if (!schema.per_province) {
      return rules_error(location, std::string(schema.key) + " is national; it takes no province jurisdiction");
    }
  }

  auto variant = read_text(table, "variant", location, false);
  if (!variant) return tl::unexpected(variant.error());
  entry.variant = *variant;
  if (schema.variants.empty() && !entry.variant.empty()) {
    return rules_error(location, std::string(schema.key) + " takes no variant");
  }
  if (!schema.variants.empty() &&
      std::find(schema.variants.begin(), schema.variants.end(), entry.variant) == schema.variants.end()) {
    std::string allowed;
    for (auto v : schema.variants) allowed += (allowed.empty() ? "" : ", ") + std::string(v);
    return rules_error(location, "variant '" + entry.variant + "' of " + std::string(schema.key) +
                                     " is not one of: " + allowed);
  }

  const toml::node* from = table.get("from");
  if (from == nullptr) return rules_error(location, "missing field 'from'");
  auto from_date = read_date(*from, location, "from");
  if (!from_date) return tl::unexpected(from_date.error());
  entry.from = *from_date;
  if (const toml::node* to = table.get("to")) {
    auto to_date = read_date(*to, location, "to");
    if (!to_date) return tl::unexpected(to_date.error());
    if (*to_date < entry.from) return rules_error(location, "'to' is before 'from'");
    entry.to = *to_date;
  }
  if (schema.granularity != Granularity::by_day) {
    if (!is_first_of_month(entry.from)) return rules_error(location, "'from' must be the first day of a month");
    if (entry.to && !is_last_of_month(*entry.to)) return rules_error(location, "'to' must be the last day of a month");
  }
  if (schema.granularity == Granularity::by_year) {
    if (entry.from.year_month().month() != 1) return rules_error(location, "'from' must be 1 January");
    if (entry.to && entry.to->year_month().month() != 12) return rules_error(location, "'to' must be 31 December");
  }

  const toml::node* value = table.get("value");
  const toml::node* values = table.get("values");
  if (schema.type == ValueType::table) {
    if (value != nullptr) return rules_error(location, std::string(schema.key) + " is a table: use 'values'");
    if (values == nullptr || !values->is_table()) {
      return rules_error(location, "missing 'values' table of " + std::string(schema.key));
    }
    for (auto&& [table_key, table_value] : *values->as_table()) {
      const std::string key_text(table_key.str());
      const std::string key_location = where(file, table_key.source());
      auto parsed_key = Decimal::parse(key_text);
      if (!parsed_key || !parsed_key->to_int64_exact()) {
        return rules_error(key_location, "table key '" + key_text + "' is not a whole number");
      }
      auto number = read_number(table_value, schema, key_location, "value of " + key_text);
      if (!number) return tl::unexpected(number.error());
      entry.table.emplace_back(static_cast<int>(*parsed_key->to_int64_exact()), *number);
    }
    std::sort(entry.table.begin(), entry.table.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (entry.table.empty()) return rules_error(location, "empty 'values' table");
  } else {
    if (values != nullptr) return rules_error(location, std::string(schema.key) + " takes 'value', not 'values'");
    if (value == nullptr) return rules_error(location, "missing field 'value'");
    switch (schema.type) {
      case ValueType::decimal:
      case ValueType::integer: {
        auto number = read_number(*value, schema, location, "value");
        if (!number) return tl::unexpected(number.error());
        entry.number = *number;
        break;
      }
      case ValueType::boolean: {
        const auto* b = value->as_boolean();
        if (b == nullptr) return rules_error(location, "value must be true or false");
        entry.flag = b->get();
        break;
      }
      case ValueType::month: {
        const auto* s = value->as_string();
        auto month = s ? YearMonth::parse(s->get()) : Result<YearMonth>(fail(ErrorCode::invalid_input, "", ""));
        if (!month) return rules_error(location, "value must be a month \"YYYY-MM\"");
        entry.month = *month;
        break;
      }
      case ValueType::text: {
        const auto* s = value->as_string();
        if (s == nullptr || std::find(schema.text_values.begin(), schema.text_values.end(), s->get()) ==
                                schema.text_values.end()) {
          std::string allowed;
          for (auto v : schema.text_values) allowed += (allowed.empty() ? "" : ", ") + std::string(v);
          return rules_error(location, "value must be one of: " + allowed);
        }
        entry.text = s->get();
        break;
      }
      case ValueType::table: break;
    }
  }

  auto rule = read_text(table, "rule", location, true);
  if (!rule) return tl::unexpected(rule.error());
  entry.rule_id = *rule;
  auto status = read_text(table, "status", location, true);
  if (!status) return tl::unexpected(status.error());
  if (!kStatuses.contains(*status)) {
    return rules_error(location, "status '" + *status + "' is not confirmed, secondary, unconfirmed or conflict");
  }
  entry.status = *status;
  auto source = read_text(table, "source", location, true);
  if (!source) return tl::unexpected(source.error());
  entry.source = *source;
  auto note = read_text(table, "note", location, false);
  if (!note) return tl::unexpected(note.error());
  entry.note = *note;
  return entry;
}

}  // namespace

std::string ParamEntry::period() const { return from.to_string() + ".." + (to ? to->to_string() : "open"); }

std::string ParamEntry::location() const { return file + ":" + std::to_string(line); }

std::string ParamEntry::value_text() const {
  switch (type) {
    case ValueType::decimal:
    case ValueType::integer: return number.to_string();
    case ValueType::boolean: return flag ? "true" : "false";
    case ValueType::month: return month.to_string();
    case ValueType::text: return text;
    case ValueType::table: return "table(" + std::to_string(table.size()) + " rows)";
  }
  return "";
}

std::optional<Decimal> ParamEntry::table_value(int table_key) const {
  auto it = std::lower_bound(table.begin(), table.end(), table_key,
                             [](const auto& row, int k) { return row.first < k; });
  if (it == table.end() || it->first != table_key) return std::nullopt;
  return it->second;
}

Result<ParameterStore> ParameterStore::load(const std::vector<RulesFile>& files) {
  ParameterStore store;
  for (const RulesFile& file : files) {
    toml::table document;
    try {
      document = toml::parse(file.content, file.name);
    } catch (const toml::parse_error& error) {
      return rules_error(file.name + ":" + std::to_string(error.source().begin.line),
                         "TOML syntax: " + std::string(error.description()));
    }
    for (auto&& [key, node] : document) {
      const std::string location = where(file.name, key.source());
      const ParamSchema* schema = find_schema(key.str());
      if (schema == nullptr) return rules_error(location, "unknown parameter '" + std::string(key.str()) + "'");
      const toml::array* entries = node.as_array();
      if (entries == nullptr || !entries->is_array_of_tables() || entries->empty()) {
        return rules_error(location, "write " + std::string(key.str()) + " as [[" + std::string(key.str()) +
                                         "]] entries");
      }
      for (const toml::node& item : *entries) {
        auto entry = read_entry(*schema, *item.as_table(), file.name);
        if (!entry) return tl::unexpected(entry.error());
        SeriesKey series_key{entry->key, entry->jurisdiction, entry->variant};
        store.series_[series_key].push_back(std::move(*entry));
      }
    }
  }
  // Periods: no overlap within a series; no gap where the schema asks for continuity.
  for (auto& [series_key, entries] : store.series_) {
    std::sort(entries.begin(), entries.end(), [](const ParamEntry& a, const ParamEntry& b) { return a.from < b.from; });
    const ParamSchema* schema = find_schema(series_key.key);
    for (std::size_t i = 1; i < entries.size(); ++i) {
      const ParamEntry& previous = entries[i - 1];
      const ParamEntry& current = entries[i];
      const std::string name = series_key.key + " (" + series_key.jurisdiction +
                               (series_key.variant.empty() ? "" : ", " + series_key.variant) + ")";
      if (!previous.to || *previous.to >= current.from) {
        return rules_error(current.location(), "period " + current.period() + " of " + name + " overlaps " +
                                                   previous.period() + " at " + previous.location());
      }
      if (schema->continuous && previous.to->plus_days(1) != current.from) {
        return rules_error(current.location(), "gap before " + current.period() + " of " + name + ": the previous " +
                                                   "period ends " + previous.to->to_string() + " at " +
                                                   previous.location());
      }
    }
  }
  return store;
}

const ParamEntry* ParameterStore::find_exact(std::string_view key, Date day, std::string_view jurisdiction,
                                             std::string_view variant) const {
  auto it = series_.find(SeriesKeyView{key, jurisdiction, variant});
  if (it == series_.end()) return nullptr;
  const auto& entries = it->second;
  // Entries are sorted and disjoint: the candidate is the last one starting on or before the day.
  auto after = std::upper_bound(entries.begin(), entries.end(), day,
                                [](Date d, const ParamEntry& e) { return d < e.from; });
  if (after == entries.begin()) return nullptr;
  const ParamEntry& candidate = *(after - 1);
  return candidate.covers(day) ? &candidate : nullptr;
}

Result<const ParamEntry*> ParameterStore::find(std::string_view key, Date day, std::string_view jurisdiction,
                                               std::string_view variant) const {
  if (const ParamEntry* entry = find_exact(key, day, jurisdiction, variant)) return entry;
  if (jurisdiction.starts_with("CN-") && series_.find(SeriesKeyView{key, jurisdiction, variant}) == series_.end()) {
    if (const ParamEntry* entry = find_exact(key, day, "CN", variant)) return entry;
  }
  return fail(ErrorCode::rule_missing, std::string(key),
              "no value of " + std::string(key) + (variant.empty() ? "" : " (" + std::string(variant) + ")") +
                  " for " + std::string(jurisdiction) + " on " + day.to_string());
}

Result<const ParamEntry*> ParameterStore::current(std::string_view key, std::string_view jurisdiction,
                                                  std::string_view variant) const {
  auto entries = series(key, jurisdiction, variant);
  if (entries.empty()) {
    return fail(ErrorCode::rule_missing, std::string(key), "no value of " + std::string(key) + " for " +
                                                               std::string(jurisdiction));
  }
  return &entries.back();
}

std::span<const ParamEntry> ParameterStore::series(std::string_view key, std::string_view jurisdiction,
                                                   std::string_view variant) const {
  auto it = series_.find(SeriesKeyView{key, jurisdiction, variant});
  if (it == series_.end()) return {};
  return it->second;
}

std::size_t ParameterStore::entry_count() const {
  std::size_t count = 0;
  for (const auto& [key, entries] : series_) count += entries.size();
  return count;
}

}  // namespace shebao::rules
