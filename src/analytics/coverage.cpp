#include "analytics/coverage.h"

#include <algorithm>
#include <climits>
#include <map>
#include <tuple>

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

std::string_view age_band(Date birth_date, YearMonth month) {
  const YearMonth born = birth_date.year_month();
  const int age = (month.months_since(born)) / 12;
  if (age < 16) return "<16";
  if (age < 25) return "16-24";
  if (age < 35) return "25-34";
  if (age < 45) return "35-44";
  if (age < 55) return "45-54";
  if (age < 65) return "55-64";
  return "65+";
}

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

ResidentIdIndex::ResidentIdIndex(const std::vector<RegisteredPerson>& registry) : registry_(registry) {
  by_key_.reserve(registry.size());
  for (std::size_t i = 0; i < registry.size(); ++i) {
    if (auto key = resident_id_key(registry[i].resident_id)) by_key_.emplace(*key, static_cast<std::uint32_t>(i));
  }
}

std::optional<std::size_t> ResidentIdIndex::find(std::string_view resident_id) const {
  const auto key = resident_id_key(resident_id);
  if (!key) return std::nullopt;
  const auto it = by_key_.find(*key);
  if (it == by_key_.end() || registry_[it->second].resident_id != resident_id) return std::nullopt;
  return it->second;
}

namespace {

// The two digits of a province, as text for the engine ("44"); empty when unknown.
std::string province_text(int province) {
  if (province <= 0 || province > 99) return {};
  return {static_cast<char>('0' + province / 10), static_cast<char>('0' + province % 10)};
}

// Where the registry places a person: the scheme region's province, else that of the latest contribution.
int registry_province(const RegisteredPerson& person) {
  if (!person.scheme_region.empty()) return province_of(person.scheme_region);
  return person.last_province;
}

}  // namespace

std::vector<std::optional<std::uint32_t>> match_population(const std::vector<PopulationRecord>& population,
                                                           const std::vector<RegisteredPerson>& registry,
                                                           const MatchOptions& options, MatchStats* stats) {
  std::vector<std::optional<std::uint32_t>> matches(population.size());
  MatchStats counts;
  const ResidentIdIndex by_id(registry);
  std::vector<bool> claimed(registry.size(), false);
  std::vector<std::uint32_t> unmatched;  // extract records
  for (std::size_t i = 0; i < population.size(); ++i) {
    const auto found = population[i].id_valid ? by_id.find(population[i].resident_id) : std::nullopt;
    if (found) {
      matches[i] = static_cast<std::uint32_t>(*found);
      claimed[*found] = true;
      ++counts.by_id;
    } else {
      unmatched.push_back(static_cast<std::uint32_t>(i));
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

  // One table: a sample of the pairs matched by ID (registry and extract as two
  // records, so that the estimation sees true matches), then the unclaimed
  // registered persons, then the unmatched extract records.
  matching::Table table({"name", "dob", "resident_id", "state"});
  std::string dob;
  auto add = [&](std::string_view name, Date birth, std::string_view id, const std::string& province) {
    dob = birth.to_string();
    table.add_row({name, dob, id, province});
  };
  const std::size_t matched_count = counts.by_id;
  const std::size_t step = std::max<std::size_t>(1, matched_count / std::max<std::size_t>(options.training_pairs, 1));
  std::size_t seen = 0;
  std::size_t training_rows = 0;
  for (std::size_t i = 0; i < population.size() && training_rows / 2 < options.training_pairs; ++i) {
    if (!matches[i] || seen++ % step != 0) continue;
    const RegisteredPerson& person = registry[*matches[i]];
    add(person.name, person.birth_date, person.resident_id, province_text(registry_province(person)));
    add(population[i].name, population[i].birth_date, population[i].resident_id,
        province_text(province_of(population[i].region)));
    training_rows += 2;
  }
  const std::size_t first_candidate = training_rows;
  for (const std::uint32_t r : unclaimed) {
    const RegisteredPerson& person = registry[r];
    add(person.name, person.birth_date, person.resident_id, province_text(registry_province(person)));
  }
  const std::size_t first_record = first_candidate + unclaimed.size();
  for (const std::uint32_t i : unmatched) {
    add(population[i].name, population[i].birth_date, population[i].resident_id,
        province_text(province_of(population[i].region)));
  }

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

Result<CoverageReport> coverage_report(const std::vector<PopulationRecord>& population,
                                       const std::vector<RegisteredPerson>& registry, const CoverageOptions& options) {
  if (options.window_months < 1 || options.window_months > 64) {
    return fail(ErrorCode::out_of_range, "--window", "the coverage window is 1 to 64 months");
  }
  if (options.trend_months < 1 || options.trend_months > 64) {
    return fail(ErrorCode::out_of_range, "--trend", "the trend covers 1 to 64 months");
  }
  MatchStats match_stats;
  const auto matches = match_population(population, registry, options.matching, &match_stats);

  CoverageReport report;
  report.month = options.month;
  report.window_months = options.window_months;
  report.matched_by_id = match_stats.by_id;
  report.matched_by_engine = match_stats.by_engine;
  const std::uint64_t window_mask =
      options.window_months >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << options.window_months) - 1;
  std::array<GroupTotal, kGroups.size()> groups{};
  for (std::size_t g = 0; g < kGroups.size(); ++g) groups[g].group = kGroups[g];
  std::map<std::tuple<int, std::string_view, int>, CoverageCell> cells;
  std::vector<std::int64_t> trend_counts(static_cast<std::size_t>(options.trend_months), 0);
  std::int64_t working = 0;

  for (std::size_t i = 0; i < population.size(); ++i) {
    const PopulationRecord& record = population[i];
    const Group group = group_of(record);
    const RegisteredPerson* person = matches[i] ? &registry[*matches[i]] : nullptr;
    bool covered = false;
    Reason reason = Reason::never_registered;
    int months_since = 0;
    if (person != nullptr) {
      ++report.matched;
      covered = person->scheme == registry::Scheme::resident || (person->recent_months & window_mask) != 0;
      if (!covered) {
        if (!person->last_month) {
          reason = Reason::no_contributions;
        } else {
          months_since = options.month.months_since(*person->last_month);
          reason = person->last_province != province_of(record.region) && !person->transfer_requested
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
    const std::string_view band = age_band(record.birth_date, options.month);
    auto& cell = cells[{province_of(record.region), band, static_cast<int>(group)}];
    if (cell.population == 0) {
      cell.province = province_of(record.region);
      cell.age_band = std::string(band);
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
      report.uncovered.push_back(
          UncoveredPerson{record.line, record.resident_id, record.name, record.region, group, reason, months_since});
    }
  }
  report.groups.assign(groups.begin(), groups.end());
  for (auto& [key, cell] : cells) report.cells.push_back(std::move(cell));
  for (int k = options.trend_months - 1; k >= 0; --k) {
    const double share =
        working == 0 ? 0.0 : static_cast<double>(trend_counts[static_cast<std::size_t>(k)]) / static_cast<double>(working);
    report.trend.emplace_back(options.month.plus_months(-k), share);
  }
  return report;
}

}  // namespace shebao::analytics
