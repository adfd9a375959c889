#include "analytics/coverage.h"

#include <algorithm>
#include <climits>
#include <unordered_map>

#include "matching/engine.h"

namespace shebao::analytics {

std::string_view to_string(EmploymentStatus value) {
  switch (value) {
    case EmploymentStatus::employed: return "employed";
    case EmploymentStatus::seasonal: return "seasonal";
    case EmploymentStatus::self_employed: return "self_employed";
    case EmploymentStatus::not_working: return "not_working";
  }
  return "not_working";
}

std::string_view to_string(Group value) {
  switch (value) {
    case Group::employee: return "employee";
    case Group::self_employed: return "self_employed";
    case Group::seasonal: return "seasonal";
    case Group::migrant: return "migrant";
    case Group::other: return "other";
  }
  return "other";
}

std::string_view to_string(Reason value) {
  switch (value) {
    case Reason::none: return "";
    case Reason::never_registered: return "never_registered";
    case Reason::no_contributions: return "no_contributions";
    case Reason::moved_without_transfer: return "moved_without_transfer";
    case Reason::lapsed: return "lapsed";
  }
  return "";
}

Result<EmploymentStatus> parse_employment_status(std::string_view text) {
  for (const EmploymentStatus value : {EmploymentStatus::employed, EmploymentStatus::seasonal,
                                       EmploymentStatus::self_employed, EmploymentStatus::not_working}) {
    if (text == to_string(value)) return value;
  }
  return fail(ErrorCode::unknown_category, "employment_status",
              "\"" + std::string(text) + "\" is not one of employed, seasonal, self_employed, not_working");
}

namespace {

int province_of(std::string_view region) {
  if (region.size() < 2 || region[0] < '0' || region[0] > '9' || region[1] < '0' || region[1] > '9') return 0;
  return (region[0] - '0') * 10 + (region[1] - '0');
}

}  // namespace

Group group_of(const PopulationRecord& record) {
  if (record.status == EmploymentStatus::not_working) return Group::other;
  if (province_of(record.region) != province_of(record.hukou_region)) return Group::migrant;
  if (record.status == EmploymentStatus::self_employed) return Group::self_employed;
  if (record.status == EmploymentStatus::seasonal) return Group::seasonal;
  return Group::employee;
}

CoverageExtract::CoverageExtract(const std::vector<PopulationRecord>& records) {
  reserve(records.size());
  for (const PopulationRecord& record : records) add(record);
}

void CoverageExtract::reserve(std::size_t records) {
  rows_.reserve(records);
  texts_.reserve(records * 16);
}

void CoverageExtract::add(const PopulationRecord& record) {
  Row row;
  row.id_valid = record.id_valid;
  row.resident_key = record.id_valid ? resident_id_key(record.resident_id).value_or(0) : 0;
  row.text = texts_.size();
  row.line = record.line;
  row.birth_date = record.birth_date;
  row.name_size = static_cast<std::uint32_t>(record.name.size());
  row.region_size = static_cast<std::uint16_t>(std::min<std::size_t>(record.region.size(), UINT16_MAX));
  row.group = group_of(record);
  texts_.append(record.name);
  texts_.append(record.region, 0, row.region_size);
  // A valid ID is its key (18 characters from 17 digits and the check); any other is kept as given.
  if (row.resident_key == 0) {
    row.id_size = static_cast<std::uint16_t>(std::min<std::size_t>(record.resident_id.size(), UINT16_MAX));
    texts_.append(record.resident_id, 0, row.id_size);
  }
  rows_.push_back(row);
}

std::string CoverageExtract::resident_id(std::size_t i) const {
  const Row& row = rows_[i];
  if (row.resident_key == 0) return std::string(text(i, row.name_size + row.region_size, row.id_size));
  std::string id(18, '0');
  std::uint64_t digits = row.resident_key / 11;
  const std::uint64_t check = row.resident_key % 11;
  id[17] = check == 10 ? 'X' : static_cast<char>('0' + check);
  for (int k = 16; k >= 0; --k, digits /= 10) id[static_cast<std::size_t>(k)] = static_cast<char>('0' + digits % 10);
  return id;
}

int CoverageExtract::province(std::size_t i) const { return province_of(region(i)); }

namespace {

constexpr std::array<std::string_view, 7> kAgeBands{"<16", "16-24", "25-34", "35-44", "45-54", "55-64", "65+"};

std::size_t age_band_index(Date birth_date, YearMonth month) {
  const YearMonth born = birth_date.year_month();
  const int age = (month.months_since(born)) / 12;
  if (age < 16) return 0;
  if (age < 25) return 1;
  if (age < 35) return 2;
  if (age < 45) return 3;
  if (age < 55) return 4;
  if (age < 65) return 5;
  return 6;
}

}  // namespace

std::string_view age_band(Date birth_date, YearMonth month) { return kAgeBands[age_band_index(birth_date, month)]; }

std::optional<std::uint64_t> resident_id_key(std::string_view id) {
  if (id.size() != 18) return std::nullopt;
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
    key = key * 10 + static_cast<std::uint64_t>(id[i] - '0');
  }
  const char check = id[17];
  if (check == 'X') return key * 11 + 10;
  if (check < '0' || check > '9') return std::nullopt;
  return key * 11 + static_cast<std::uint64_t>(check - '0');
}

std::int16_t scheme_province(std::string_view scheme_region) {
  return scheme_region.empty() ? std::int16_t{-1} : static_cast<std::int16_t>(province_of(scheme_region));
}

CoverageFacts coverage_facts_of(const RegisteredPerson& person) {
  CoverageFacts facts;
  facts.person_id = person.person_id;
  facts.resident_key = resident_id_key(person.resident_id).value_or(0);
  facts.recent_months = person.recent_months;
  if (person.last_month) facts.last_month = person.last_month->serial();
  facts.last_province = static_cast<std::int16_t>(person.last_province);
  facts.scheme_province = scheme_province(person.scheme_region);
  facts.scheme = person.scheme;
  facts.transfer_requested = person.transfer_requested;
  return facts;
}

namespace {

std::vector<CoverageFacts> facts_of(const std::vector<RegisteredPerson>& registry) {
  std::vector<CoverageFacts> facts;
  facts.reserve(registry.size());
  for (const RegisteredPerson& person : registry) facts.push_back(coverage_facts_of(person));
  return facts;
}

std::size_t slot_of(std::uint64_t key, int shift) {
  return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift);
}

}  // namespace

ResidentIdIndex::ResidentIdIndex(const std::vector<CoverageFacts>& registry) {
  reserve(registry.size());
  for (std::size_t i = 0; i < registry.size(); ++i) insert(registry[i].resident_key, static_cast<std::uint32_t>(i));
}

ResidentIdIndex::ResidentIdIndex(const std::vector<std::uint64_t>& keys) {
  reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) insert(keys[i], static_cast<std::uint32_t>(i));
}

void ResidentIdIndex::reserve(std::size_t count) {
  std::size_t capacity = 16;
  shift_ = 60;
  while (capacity < count * 2) {
    capacity *= 2;
    --shift_;
  }
  keys_.assign(capacity, 0);
  positions_.assign(capacity, 0);
}

void ResidentIdIndex::insert(std::uint64_t key, std::uint32_t position) {
  if (key == 0) return;
  for (std::size_t slot = slot_of(key, shift_);; slot = (slot + 1) & (keys_.size() - 1)) {
    if (keys_[slot] == key) return;  // the first position with the key stays
    if (keys_[slot] == 0) {
      keys_[slot] = key;
      positions_[slot] = position;
      return;
    }
  }
}

std::optional<std::size_t> ResidentIdIndex::find_key(std::uint64_t key) const {
  if (key == 0) return std::nullopt;
  for (std::size_t slot = slot_of(key, shift_);; slot = (slot + 1) & (keys_.size() - 1)) {
    if (keys_[slot] == key) return positions_[slot];
    if (keys_[slot] == 0) return std::nullopt;
  }
}

std::optional<std::size_t> ResidentIdIndex::find(std::string_view resident_id) const {
  const auto key = resident_id_key(resident_id);
  return key ? find_key(*key) : std::nullopt;
}

namespace {

// The two digits of a province, as text for the engine ("44"); empty when unknown.
std::string province_text(int province) {
  if (province <= 0 || province > 99) return {};
  return {static_cast<char>('0' + province / 10), static_cast<char>('0' + province % 10)};
}

// Where the registry places a person: the scheme region's province, else that of the latest contribution.
int registry_province(const CoverageFacts& person) {
  return person.scheme_province >= 0 ? person.scheme_province : person.last_province;
}

}  // namespace

Result<std::vector<std::optional<std::uint32_t>>> match_population(const CoverageExtract& population,
                                                                   const std::vector<CoverageFacts>& registry,
                                                                   const RegistryDetails& details,
                                                                   const MatchOptions& options, MatchStats* stats) {
  std::vector<std::optional<std::uint32_t>> matches(population.size());
  MatchStats counts;
  std::vector<bool> claimed(registry.size(), false);
  std::vector<std::uint32_t> unmatched;  // extract records
  {
    const ResidentIdIndex by_id(registry);
    for (std::size_t i = 0; i < population.size(); ++i) {
      const auto found = population.id_valid(i) ? by_id.find_key(population.resident_key(i)) : std::nullopt;
      if (found) {
        matches[i] = static_cast<std::uint32_t>(*found);
        claimed[*found] = true;
        ++counts.by_id;
      } else {
        unmatched.push_back(static_cast<std::uint32_t>(i));
      }
    }
  }
  std::vector<std::uint32_t> unclaimed;  // registered persons no extract record names by ID
  for (std::size_t r = 0; r < registry.size(); ++r) {
    if (!claimed[r]) unclaimed.push_back(static_cast<std::uint32_t>(r));
  }
  counts.engine_records = unmatched.size();
  counts.engine_candidates = unclaimed.size();
  if (unmatched.empty() || unclaimed.empty()) {
    if (stats) *stats = counts;
    return matches;
  }

  // The names, birth dates and IDs of the registered persons, by position in `registry`.
  auto read = details();
  if (!read) return tl::unexpected(read.error());
  const std::vector<RegisteredPerson> persons = std::move(*read);
  std::vector<const RegisteredPerson*> person_at(registry.size(), nullptr);
  bool aligned = persons.size() == registry.size();  // the same persons in the same order
  for (std::size_t r = 0; aligned && r < registry.size(); ++r) aligned = persons[r].person_id == registry[r].person_id;
  if (aligned) {
    for (std::size_t r = 0; r < registry.size(); ++r) person_at[r] = &persons[r];
  } else {
    std::unordered_map<std::int64_t, std::uint32_t> position;
    position.reserve(registry.size());
    for (std::size_t r = 0; r < registry.size(); ++r) position.emplace(registry[r].person_id, static_cast<std::uint32_t>(r));
    for (const RegisteredPerson& person : persons) {
      if (const auto it = position.find(person.person_id); it != position.end()) person_at[it->second] = &person;
    }
  }
  std::erase_if(unclaimed, [&](std::uint32_t r) { return person_at[r] == nullptr; });
  if (unclaimed.empty()) {
    if (stats) *stats = counts;
    return matches;
  }

  // One table: a sample of the pairs matched by ID (registry and extract as two
  // records, so that the estimation sees true matches), then the unclaimed
  // registered persons, then the unmatched extract records.
  matching::Table table({"name", "dob", "resident_id", "state"});
  std::string dob;
  auto add = [&](std::string_view name, Date birth, std::string_view id, const std::string& province) {
    dob = birth.to_string();
    table.add_row({name, dob, id, province});
  };
  auto add_record = [&](std::size_t i) {
    add(population.name(i), population.birth_date(i), population.resident_id(i), province_text(population.province(i)));
  };
  auto add_registered = [&](std::uint32_t r) {
    const RegisteredPerson& person = *person_at[r];
    add(person.name, person.birth_date, person.resident_id, province_text(registry_province(registry[r])));
  };
  const std::size_t matched_count = counts.by_id;
  const std::size_t step = std::max<std::size_t>(1, matched_count / std::max<std::size_t>(options.training_pairs, 1));
  std::size_t seen = 0;
  std::size_t training_rows = 0;
  for (std::size_t i = 0; i < population.size() && training_rows / 2 < options.training_pairs; ++i) {
    if (!matches[i] || seen++ % step != 0 || person_at[*matches[i]] == nullptr) continue;
    add_registered(*matches[i]);
    add_record(i);
    training_rows += 2;
  }
  const std::size_t first_candidate = training_rows;
  for (const std::uint32_t r : unclaimed) add_registered(r);
  const std::size_t first_record = first_candidate + unclaimed.size();
  for (const std::uint32_t i : unmatched) add_record(i);

  matching::Settings settings;
  settings.threads = std::max(options.threads, 1);
  matching::Deduplicator engine(table, settings);
  engine.prepare();
  engine.block();
  engine.estimate();
  engine.score();
  engine.cluster();
  const auto& clusters = engine.clusters();
  // The unclaimed registered persons of each cluster.
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> candidates_of_cluster;
  for (std::size_t row = first_candidate; row < first_record; ++row) {
    candidates_of_cluster[clusters[row]].push_back(static_cast<std::uint32_t>(row));
  }
  // Linked (record, registered person) pairs in the same cluster, most probable
  // first; each side is taken once.
  struct Link {
    float probability;
    std::uint32_t record_row;
    std::uint32_t candidate_row;
  };
  std::vector<Link> links;
  for (std::size_t row = first_record; row < table.rows(); ++row) {
    const auto members = candidates_of_cluster.find(clusters[row]);
    if (members == candidates_of_cluster.end()) continue;
    for (const std::uint32_t candidate : members->second) {
      const matching::ScoredPair pair = engine.compare(static_cast<std::uint32_t>(row), candidate);
      if (pair.probability >= settings.link_probability) {
        links.push_back(Link{pair.probability, static_cast<std::uint32_t>(row), candidate});
      }
    }
  }
  std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) {
    return a.probability != b.probability ? a.probability > b.probability
                                          : std::pair(a.record_row, a.candidate_row) < std::pair(b.record_row, b.candidate_row);
  });
  std::vector<bool> record_taken(unmatched.size(), false);
  std::vector<bool> candidate_taken(unclaimed.size(), false);
  for (const Link& link : links) {
    const std::size_t record = link.record_row - first_record;
    const std::size_t candidate = link.candidate_row - first_candidate;
    if (record_taken[record] || candidate_taken[candidate]) continue;
    record_taken[record] = candidate_taken[candidate] = true;
    matches[unmatched[record]] = unclaimed[candidate];
    ++counts.by_engine;
  }
  if (stats) *stats = counts;
  return matches;
}

std::vector<std::optional<std::uint32_t>> match_population(const std::vector<PopulationRecord>& population,
                                                           const std::vector<RegisteredPerson>& registry,
                                                           const MatchOptions& options, MatchStats* stats) {
  const std::vector<CoverageFacts> facts = facts_of(registry);
  // The details are the vector given: reading them cannot fail.
  return *match_population(CoverageExtract(population), facts, [&]() -> Result<std::vector<RegisteredPerson>> { return registry; },
                           options, stats);
}

Result<CoverageReport> coverage_report(const CoverageExtract& population,
                                       const std::vector<CoverageFacts>& registry, const RegistryDetails& details,
                                       const CoverageOptions& options) {
  if (options.window_months < 1 || options.window_months > 64) {
    return fail(ErrorCode::out_of_range, "--window", "the coverage window is 1 to 64 months");
  }
  if (options.trend_months < 1 || options.trend_months > 64) {
    return fail(ErrorCode::out_of_range, "--trend", "the trend covers 1 to 64 months");
  }
  MatchStats match_stats;
  auto matched = match_population(population, registry, details, options.matching, &match_stats);
  if (!matched) return tl::unexpected(matched.error());
  const std::vector<std::optional<std::uint32_t>> matches = std::move(*matched);

  CoverageReport report;
  report.month = options.month;
  report.window_months = options.window_months;
  report.matched_by_id = match_stats.by_id;
  report.matched_by_engine = match_stats.by_engine;
  const std::uint64_t window_mask =
      options.window_months >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << options.window_months) - 1;
  std::array<GroupTotal, kGroups.size()> groups{};
  for (std::size_t g = 0; g < kGroups.size(); ++g) groups[g].group = kGroups[g];
  // Cells by province (0..99) x age band x group, listed at the end by province, age band (as text) and group.
  constexpr std::size_t kProvinces = 100;
  std::vector<CoverageCell> cells(kProvinces * kAgeBands.size() * kGroups.size());
  std::vector<std::int64_t> trend_counts(static_cast<std::size_t>(options.trend_months), 0);
  std::int64_t working = 0;

  for (std::size_t i = 0; i < population.size(); ++i) {
    const Group group = population.group(i);
    const int province = population.province(i);
    const CoverageFacts* person = matches[i] ? &registry[*matches[i]] : nullptr;
    bool covered = false;
    Reason reason = Reason::never_registered;
    int months_since = 0;
    if (person != nullptr) {
      ++report.matched;
      covered = person->scheme == registry::Scheme::resident || (person->recent_months & window_mask) != 0;
      if (!covered) {
        if (person->last_month == CoverageFacts::kNoMonth) {
          reason = Reason::no_contributions;
        } else {
          months_since = options.month.months_since(YearMonth::from_serial(person->last_month));
          reason = person->last_province != province && !person->transfer_requested
                       ? Reason::moved_without_transfer
                       : Reason::lapsed;
        }
      }
    }
    ++report.population;
    if (covered) ++report.covered;
    auto& total = groups[static_cast<std::size_t>(group)];
    ++total.population;
    if (covered) ++total.covered;
    const std::size_t band = age_band_index(population.birth_date(i), options.month);
    auto& cell = cells[(static_cast<std::size_t>(province) * kAgeBands.size() + band) * kGroups.size() +
                       static_cast<std::size_t>(group)];
    if (cell.population == 0) {
      cell.province = province;
      cell.age_band = std::string(kAgeBands[band]);
      cell.group = group;
    }
    ++cell.population;
    if (covered) ++cell.covered;
    if (group == Group::other) continue;
    ++working;
    if (person != nullptr) {
      for (int k = 0; k < options.trend_months; ++k) {
        if ((person->recent_months >> k) & 1U) ++trend_counts[static_cast<std::size_t>(k)];
      }
    }
    if (!covered) {
      ++report.reasons[static_cast<std::size_t>(reason)];
      report.uncovered.push_back(UncoveredPerson{population.line(i), population.resident_id(i),
                                                 std::string(population.name(i)), std::string(population.region(i)),
                                                 group, reason, months_since});
    }
  }
  report.groups.assign(groups.begin(), groups.end());
  std::array<std::size_t, kAgeBands.size()> band_order{};
  for (std::size_t b = 0; b < band_order.size(); ++b) band_order[b] = b;
  std::sort(band_order.begin(), band_order.end(), [](std::size_t a, std::size_t b) { return kAgeBands[a] < kAgeBands[b]; });
  for (std::size_t p = 0; p < kProvinces; ++p) {
    for (const std::size_t band : band_order) {
      for (std::size_t g = 0; g < kGroups.size(); ++g) {
        CoverageCell& cell = cells[(p * kAgeBands.size() + band) * kGroups.size() + g];
        if (cell.population > 0) report.cells.push_back(std::move(cell));
      }
    }
  }
  for (int k = options.trend_months - 1; k >= 0; --k) {
    const double share =
        working == 0 ? 0.0 : static_cast<double>(trend_counts[static_cast<std::size_t>(k)]) / static_cast<double>(working);
    report.trend.emplace_back(options.month.plus_months(-k), share);
  }
  return report;
}

Result<CoverageReport> coverage_report(const std::vector<PopulationRecord>& population,
                                       const std::vector<RegisteredPerson>& registry, const CoverageOptions& options) {
  return coverage_report(CoverageExtract(population), facts_of(registry),
                         [&]() -> Result<std::vector<RegisteredPerson>> { return registry; }, options);
}

}  // namespace shebao::analytics
