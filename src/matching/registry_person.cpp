#include "matching/registry_person.h"

#include "matching/compare.h"
#include "matching/record_generator.h"

namespace shebao::matching {

std::vector<std::string> registry_columns() { return {kRegistryColumns.begin(), kRegistryColumns.end()}; }

std::vector<std::string_view> registry_row(const RegistryPerson& p) {
  return {p.name, p.sex, p.birth_date, p.resident_id, p.phone};
}

Model reference_model(std::uint64_t records) {
  // Generated columns: record_id, entity_id, name, gender, date_of_birth, resident_id, phone, address.
  Table table(registry_columns());
  std::vector<std::string_view> row(kRegistryColumns.size());
  generate_people({records, 0.3, 20261129}, [&](const GeneratedRecord& r) {
    for (std::size_t c = 0; c < row.size(); ++c) row[c] = r.values[c + 2];
    table.add_row(row);
  });
  Settings settings;
  Deduplicator engine(table, settings);
  engine.prepare();
  engine.block();
  engine.estimate();
  return engine.model();
}

namespace {

std::string digits(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c >= '0' && c <= '9') out.push_back(c);
  return out;
}

const char* agreement(bool exact, bool similar) { return exact ? "exact" : similar ? "similar" : "different"; }

}  // namespace

std::vector<std::pair<std::string, std::string>> evidence(const RegistryPerson& a, const RegistryPerson& b,
                                                          ChineseText& chinese) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto add = [&](const char* field, std::string_view x, std::string_view y, auto judge) {
    if (x.empty() || y.empty()) {
      out.emplace_back(field, "missing");
    } else {
      out.emplace_back(field, judge(x, y));
    }
  };
  add("name", a.name, b.name, [&](std::string_view x, std::string_view y) {
    const std::string kx = name_key(x, chinese), ky = name_key(y, chinese);
    return agreement(kx == ky, jaro_winkler(kx, ky) >= 0.85);
  });
  add("sex", a.sex, b.sex, [](std::string_view x, std::string_view y) { return agreement(x == y, false); });
  add("birth_date", a.birth_date, b.birth_date, [](std::string_view x, std::string_view y) {
    const std::string dx = normalize_date(x), dy = normalize_date(y);
    return agreement(dx == dy, date_swapped(dx, dy) || damerau_levenshtein(dx, dy, 1) <= 1);
  });
  add("resident_id", a.resident_id, b.resident_id, [](std::string_view x, std::string_view y) {
    const std::string ix = normalize_id(x), iy = normalize_id(y);
    return agreement(ix == iy, damerau_levenshtein(ix, iy, 2) <= 2);
  });
  add("phone", a.phone, b.phone, [](std::string_view x, std::string_view y) {
    const std::string px = digits(x), py = digits(y);
    return agreement(px == py, damerau_levenshtein(px, py, 1) <= 1);
  });
  return out;
}

}  // namespace shebao::matching
