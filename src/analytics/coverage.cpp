#include "analytics/coverage.h"

#include <algorithm>
#include <climits>
#include <map>
#include <tuple>

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

namespace {

// The 17 digits and the check character (0-9 or X) of a resident ID as one integer.
std::optional<std::uint64_t> id_key(std::string_view id) {
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

}  // namespace

ResidentIdIndex::ResidentIdIndex(const std::vector<RegisteredPerson>& registry) : registry_(registry) {
  by_key_.reserve(registry.size());
  for (std::size_t i = 0; i < registry.size(); ++i) {
    if (auto key = id_key(registry[i].resident_id)) by_key_.emplace(*key, static_cast<std::uint32_t>(i));
  }
}

std::optional<std::size_t> ResidentIdIndex::find(std::string_view resident_id) const {
  const auto key = id_key(resident_id);
  if (!key) return std::nullopt;
  const auto it = by_key_.find(*key);
  if (it == by_key_.end() || registry_[it->second].resident_id != resident_id) return std::nullopt;
  return it->second;
}

Result<CoverageReport> coverage_report(const std::vector<PopulationRecord>& population,
                                       const std::vector<RegisteredPerson>& registry, const CoverageOptions& options) {
  if (options.window_months < 1 || options.window_months > 64) {
    return fail(ErrorCode::out_of_range, "--window", "the coverage window is 1 to 64 months");
  }
  if (options.trend_months < 1 || options.trend_months > 64) {
    return fail(ErrorCode::out_of_range, "--trend", "the trend covers 1 to 64 months");
  }
  const ResidentIdIndex by_id(registry);
  auto find_by_id = [&](std::string_view id) -> const RegisteredPerson* {
    const auto found = by_id.find(id);
    return found ? &registry[*found] : nullptr;
  };
  // By name and birth date, built only when a record is not found by its ID: a hash of
  // both, confirmed on a hit; two registered persons with the same pair make it ambiguous.
  constexpr std::uint32_t kAmbiguous = UINT32_MAX;
  auto name_key = [](std::string_view name, Date birth) {
    std::uint64_t h = 1469598103934665603ULL;
    for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return h ^ (static_cast<std::uint64_t>(static_cast<std::uint32_t>(birth.days_since(Date::first_of(YearMonth::of(1900, 1))))) * 0x9E3779B97F4A7C15ULL);
  };
  std::unordered_map<std::uint64_t, std::uint32_t> by_name;
  bool by_name_built = false;
  auto find_by_name = [&](const PopulationRecord& record) -> const RegisteredPerson* {
    if (!by_name_built) {
      by_name.reserve(registry.size());
      for (std::size_t i = 0; i < registry.size(); ++i) {
        auto [it, inserted] =
            by_name.emplace(name_key(registry[i].name, registry[i].birth_date), static_cast<std::uint32_t>(i));
        if (!inserted) it->second = kAmbiguous;
      }
      by_name_built = true;
    }
    auto it = by_name.find(name_key(record.name, record.birth_date));
    if (it == by_name.end() || it->second == kAmbiguous) return nullptr;
    const RegisteredPerson& candidate = registry[it->second];
    if (candidate.name != record.name || candidate.birth_date != record.birth_date) return nullptr;
    return &candidate;
  };

  CoverageReport report;
  report.month = options.month;
  report.window_months = options.window_months;
  const std::uint64_t window_mask =
      options.window_months >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << options.window_months) - 1;
  std::array<GroupTotal, kGroups.size()> groups{};
  for (std::size_t g = 0; g < kGroups.size(); ++g) groups[g].group = kGroups[g];
  std::map<std::tuple<int, std::string_view, int>, CoverageCell> cells;
  std::vector<std::int64_t> trend_counts(static_cast<std::size_t>(options.trend_months), 0);
  std::int64_t working = 0;

  for (const PopulationRecord& record : population) {
    const Group group = group_of(record);
    const RegisteredPerson* person = find_by_id(record.resident_id);
    if (person == nullptr) {
      person = find_by_name(record);
      if (person != nullptr) ++report.matched_by_name;
    }
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
