#include "analytics/compliance.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <map>
#include <thread>

#include "rules/contribution.h"
#include "rules/pension.h"
#include "rules/retirement.h"

namespace shebao::analytics {
namespace {

rules::EmployerSize to_rules(registry::EmployerSize size) {
  switch (size) {
    case registry::EmployerSize::micro: return rules::EmployerSize::micro;
    case registry::EmployerSize::small: return rules::EmployerSize::small;
    case registry::EmployerSize::medium: return rules::EmployerSize::medium;
    case registry::EmployerSize::large: return rules::EmployerSize::large;
  }
  return rules::EmployerSize::small;
}

rules::UnitType to_rules(registry::UnitType type) {
  switch (type) {
    case registry::UnitType::enterprise: return rules::UnitType::enterprise;
    case registry::UnitType::individual_business: return rules::UnitType::individual_business;
    case registry::UnitType::public_institution: return rules::UnitType::public_institution;
  }
  return rules::UnitType::enterprise;
}

// The average wage for the base of a jurisdiction in a month, cached.
class AverageWages {
 public:
  AverageWages(const rules::ParameterStore& store, YearMonth month) : store_(store), month_(month) {}
  Result<Money> of(const std::string& jurisdiction) {
    if (auto it = cache_.find(jurisdiction); it != cache_.end()) return it->second;
    auto average = store_.find("average_wage_for_base", month_, jurisdiction);
    if (!average) return tl::unexpected(average.error());
    const Money value = Money::from_decimal(round2((*average)->number));
    cache_.emplace(jurisdiction, value);
    return value;
  }

 private:
  const rules::ParameterStore& store_;
  YearMonth month_;
  std::map<std::string, Money> cache_;
};

struct EmployeeOverrides {
  std::optional<Decimal> employer_rate, individual_rate, floor_ratio, ceiling_ratio;
};

// Employer + individual pension contribution of one person-month.
Result<std::int64_t> employee_total(const registry::Employer& employer, Money wage, YearMonth month,
                                    const rules::ParameterStore& store, AverageWages& averages,
                                    const EmployeeOverrides& overrides = {}) {
  const std::string jurisdiction = registry::province_jurisdiction(employer.region);
  auto average = averages.of(jurisdiction);
  if (!average) return tl::unexpected(average.error());
  rules::EmployeeContributionQuery query;
  query.contribution_month = month;
  query.monthly_wage = wage;
  query.local_average_monthly_wage = *average;
  query.employer_size = to_rules(employer.size);
  query.unit_type = to_rules(employer.unit_type);
  query.province = jurisdiction;
  query.rate_jurisdiction = jurisdiction;
  query.employer_pension_rate = overrides.employer_rate;
  query.individual_pension_rate = overrides.individual_rate;
  query.base_floor_ratio = overrides.floor_ratio;
  query.base_ceiling_ratio = overrides.ceiling_ratio;
  auto computed = rules::compute_employee_contribution(query, store, nullptr);
  if (!computed) return tl::unexpected(computed.error());
  return computed->employer_pension.fen() + computed->individual_pension.fen();
}

}  // namespace

namespace {

// Declared wage by (employer_id, person_id): a flat open-addressing table (a
// later line of the same pair replaces the earlier one).
class DeclaredWages {
 public:
  explicit DeclaredWages(std::size_t count) {
    std::size_t capacity = 16;
    while (capacity < count + count / 2) capacity *= 2;
    slots_.resize(capacity);
  }
  void set(std::int64_t employer_id, std::int64_t person_id, std::int64_t wage_fen) {
    slots_[find_slot(employer_id, person_id)] = Slot{employer_id, person_id, wage_fen};
  }
  std::optional<std::int64_t> find(std::int64_t employer_id, std::int64_t person_id) const {
    const Slot& slot = slots_[find_slot(employer_id, person_id)];
    return slot.person_id != kEmpty ? std::optional<std::int64_t>(slot.wage_fen) : std::nullopt;
  }

 private:
  static constexpr std::int64_t kEmpty = INT64_MIN;  // no person has this id
  struct Slot {
    std::int64_t employer_id = 0;
    std::int64_t person_id = kEmpty;
    std::int64_t wage_fen = 0;
  };
  std::size_t find_slot(std::int64_t employer_id, std::int64_t person_id) const {
    const std::uint64_t hash = (static_cast<std::uint64_t>(employer_id) * 0x9E3779B97F4A7C15ULL) ^
                               (static_cast<std::uint64_t>(person_id) * 0xC2B2AE3D27D4EB4FULL);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = (hash ^ (hash >> 29)) & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.person_id == kEmpty || (slot.employer_id == employer_id && slot.person_id == person_id)) return i;
    }
  }
  std::vector<Slot> slots_;
};

}  // namespace

bool compliance_reads(const PopulationRecord& record) {
  return (record.status == EmploymentStatus::employed || record.status == EmploymentStatus::seasonal) &&
         !record.employer_credit_code.empty();
}

Result<ComplianceReport> compliance_report(const std::vector<PopulationRecord>& population,
                                           const std::vector<SimulationPerson>& persons,
                                           const std::vector<EmployerFacts>& employers,
                                           const std::vector<DeclaredLineFact>& lines,
                                           const rules::ParameterStore& store, const ComplianceOptions& options) {
  std::vector<std::uint64_t> keys;
  keys.reserve(persons.size());
  for (const SimulationPerson& person : persons) keys.push_back(person.resident_key);
  const ResidentIdIndex person_of_key(keys);
  std::unordered_map<std::string_view, std::size_t> employer_by_code;
  std::unordered_map<std::int64_t, std::size_t> employer_by_id;
  for (std::size_t i = 0; i < employers.size(); ++i) {
    employer_by_code.emplace(employers[i].employer.credit_code, i);
    employer_by_id.emplace(employers[i].employer.employer_id, i);
  }
  std::vector<ComplianceRow> rows(employers.size());
  // (employer_id, person_id) -> declared wage
  DeclaredWages declared(lines.size());
  for (const DeclaredLineFact& line : lines) {
    auto it = employer_by_id.find(line.employer_id);
    if (it == employer_by_id.end()) continue;
    ComplianceRow& row = rows[it->second];
    ++row.declared_workers;
    row.declared_wages_fen += line.wage_fen;
    declared.set(line.employer_id, line.person_id, line.wage_fen);
  }

  ComplianceReport report;
  report.month = options.month;
  AverageWages averages(store, options.month);
  const Decimal keep = Decimal::from_int(1) - options.wage_tolerance;
  for (const PopulationRecord& record : population) {
    if (!compliance_reads(record)) continue;
    auto found = employer_by_code.find(record.employer_credit_code);
    if (found == employer_by_code.end()) {
      ++report.extract_workers_unknown_employer;
      continue;
    }
    const registry::Employer& employer = employers[found->second].employer;
    ComplianceRow& row = rows[found->second];
    ++row.extract_workers;
    row.extract_income_fen += record.monthly_income.fen();
    std::optional<std::int64_t> declared_wage;
    if (const auto person = record.id_valid ? person_of_key.find(record.resident_id) : std::nullopt) {
      declared_wage = declared.find(employer.employer_id, persons[*person].person_id);
    }
    const bool short_wage =
        declared_wage && Money::from_fen(*declared_wage).to_decimal() < record.monthly_income.to_decimal() * keep;
    if (declared_wage && !short_wage) continue;
    auto owed = employee_total(employer, record.monthly_income, options.month, store, averages);
    if (!owed) return tl::unexpected(Error{owed.error().code, "line " + std::to_string(record.line),
                                           owed.error().message});
    std::int64_t paid = 0;
    if (declared_wage) {
      auto computed = employee_total(employer, Money::from_fen(*declared_wage), options.month, store, averages);
      if (!computed) return tl::unexpected(computed.error());
      paid = *computed;
      ++row.short_wages;
    } else {
      ++row.undeclared_workers;
    }
    row.missing_contributions_fen += std::max<std::int64_t>(0, *owed - paid);
  }
  for (std::size_t i = 0; i < employers.size(); ++i) {
    ComplianceRow& row = rows[i];
    const EmployerFacts& facts = employers[i];
    if (row.missing_contributions_fen > 0 || row.undeclared_workers > 0 || row.short_wages > 0) {
      row.credit_code = facts.employer.credit_code;
      row.name = facts.employer.name;
      row.region = facts.employer.region;
      report.missing_contributions_fen += row.missing_contributions_fen;
      report.employers.push_back(std::move(row));
    }
    if (facts.arrears_fen > 0 || facts.late_fees_fen > 0) {
      report.late_payers.push_back(LatePayer{facts.employer.credit_code, facts.employer.name, facts.unpaid_months,
                                             facts.arrears_fen, facts.late_fees_fen});
    }
  }
  std::stable_sort(report.employers.begin(), report.employers.end(), [](const auto& a, const auto& b) {
    return a.missing_contributions_fen != b.missing_contributions_fen
               ? a.missing_contributions_fen > b.missing_contributions_fen
               : a.credit_code < b.credit_code;
  });
  std::stable_sort(report.late_payers.begin(), report.late_payers.end(), [](const auto& a, const auto& b) {
    return a.arrears_fen != b.arrears_fen ? a.arrears_fen > b.arrears_fen : a.credit_code < b.credit_code;
  });
  return report;
}

namespace {

struct KeyRange {
  std::string_view key;
  const char* low;    // inclusive unless low_open
  bool low_open;
  const char* high;   // inclusive unless high_open
  bool high_open;
  std::string_view meaning;
};

constexpr std::array<KeyRange, kSimulationKeys.size()> kRanges{{
    {"employer_pension_rate", "0", false, "1", true, "a share of the base"},
    {"individual_pension_rate", "0", false, "1", true, "a share of the base"},
    {"contribution_base_floor_ratio", "0.1", false, "3", false, "a multiple of the average wage"},
    {"contribution_base_ceiling_ratio", "1", false, "10", false, "a multiple of the average wage"},
    {"flexible_total_rate", "0", false, "1", true, "a share of the base"},
    {"flexible_account_rate", "0", false, "1", true, "a share of the base"},
    {"flexible_min_base_ratio", "0.1", false, "3", false, "a multiple of the average wage"},
    {"flexible_max_base_ratio", "1", false, "10", false, "a multiple of the average wage"},
    {"basic_pension_accrual_rate", "0", true, "0.05", false, "a share of W per year of contributions"},
    {"pension_base_w", "0", true, "1000000", false, "yuan a month"},
    {"divisor_age_47", "1", false, "1000", false, "months, a whole number"},
}};

std::string allowed_text(const KeyRange& range) {
  return std::string(range.meaning) + ", " + (range.low_open ? "greater than " : "from ") + range.low +
         (range.high_open ? " to below " : " to ") + range.high;
}

}  // namespace

Result<ParameterChange> parse_parameter_change(std::string_view text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string_view::npos) {
    return fail(ErrorCode::invalid_input, "--set", "\"" + std::string(text) + "\" is not KEY=VALUE");
  }
  const std::string_view key = text.substr(0, equals);
  const auto range = std::find_if(kRanges.begin(), kRanges.end(), [&](const KeyRange& r) { return r.key == key; });
  if (range == kRanges.end()) {
    std::string known;
    for (const auto name : kSimulationKeys) known += (known.empty() ? "" : ", ") + std::string(name);
    return fail(ErrorCode::invalid_input, "--set",
                "\"" + std::string(key) + "\" cannot be simulated; the parameters are: " + known);
  }
  const std::string_view value_text = text.substr(equals + 1);
  auto value = Decimal::parse(value_text);
  const Decimal low = Decimal::parse(range->low).value();
  const Decimal high = Decimal::parse(range->high).value();
  const bool inside = value && (range->low_open ? *value > low : *value >= low) &&
                      (range->high_open ? *value < high : *value <= high) &&
                      (key != "divisor_age_47" || *value == round(*value, 0, RoundingMode::half_up));
  if (!inside) {
    return fail(ErrorCode::invalid_input, "--set",
                std::string(key) + ": \"" + std::string(value_text) + "\" is not allowed; it takes " +
                    allowed_text(*range));
  }
  return ParameterChange{std::string(key), *value};
}

namespace {

std::string region_text(std::int32_t region) {
  char text[16];
  std::snprintf(text, sizeof text, "%06d", static_cast<int>(region));
  return text;
}

struct Overrides {
  EmployeeOverrides employee;
  std::optional<Decimal> flexible_total, flexible_account, flexible_min, flexible_max;
  std::optional<Decimal> accrual_rate, pension_base_w;
  std::optional<std::int64_t> divisor_age_47;
};

// An employer's parameters for the month, resolved once.
struct EmployerRules {
  registry::Employer employer;  // region, size and unit type only
  std::string jurisdiction;
  std::optional<Money> average;  // nullopt: error
  Error error;
};

// What one thread adds up over its share of the person-months.
struct Partial {
  std::array<SimulationGroup, kGroups.size()> groups{};
  std::int64_t flexible_with_income = 0;
  std::int64_t burdened_baseline = 0;
  std::int64_t burdened_simulated = 0;
  std::int64_t errors = 0;
  std::string first_error;
  std::array<PensionGroup, kGroups.size()> pension{};
  std::int64_t pension_errors = 0;
  std::string first_pension_error;
};

constexpr std::uint8_t kNoGroup = 0xFF;

// Runs `work(begin, end, partial)` over [0, count) split into `threads` parts;
// returns the parts in order (so that "first error" is the first in input order).
template <typename Work>
std::vector<Partial> split(std::size_t count, int threads, const Work& work) {
  const std::size_t parts = std::clamp<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), 1,
                                                    std::max<std::size_t>(count / 4096, 1));
  std::vector<Partial> partials(parts);
  std::vector<std::thread> pool;
  for (std::size_t p = 1; p < parts; ++p) {
    pool.emplace_back([&, p] { work(count * p / parts, count * (p + 1) / parts, partials[p]); });
  }
  work(0, count / parts, partials[0]);
  for (auto& thread : pool) thread.join();
  return partials;
}

void note(Partial& partial, const Error& error, std::int64_t person_id, bool pension) {
  std::int64_t& count = pension ? partial.pension_errors : partial.errors;
  std::string& first = pension ? partial.first_pension_error : partial.first_error;
  if (count++ == 0) first = "person " + std::to_string(person_id) + ": " + error.to_string();
}

}  // namespace

std::int32_t base_ratio_e4(const Decimal& ratio) {
  const auto scaled = round(ratio * Decimal::from_int(10000), 0, RoundingMode::half_up).to_int64_exact();
  return scaled && *scaled >= 0 && *scaled <= INT32_MAX ? static_cast<std::int32_t>(*scaled) : -1;
}

std::uint8_t retirement_category_code(std::string_view text) {
  for (const auto category :
       {rules::RetirementCategory::male, rules::RetirementCategory::female_55, rules::RetirementCategory::female_50}) {
    if (text == rules::to_string(category)) return static_cast<std::uint8_t>(category);
  }
  return 3;
}

std::vector<std::int64_t> retiring_persons(const std::vector<SimulationPerson>& persons, YearMonth month,
                                           const rules::ParameterStore& store) {
  std::vector<std::int64_t> retiring;
  const int year = month.year();
  for (const SimulationPerson& person : persons) {
    if (person.scheme == registry::Scheme::resident || person.retirement_category > 2) continue;
    // Persons far from retirement age are skipped without asking the rules (ages 45 to 70 in the year).
    const int age = year - person.birth_date.year_month().year();
    if (age < 45 || age > 70) continue;
    rules::RetirementQuery query;
    query.birth_month = person.birth_date.year_month();
    query.category = static_cast<rules::RetirementCategory>(person.retirement_category);
    auto retirement = rules::compute_retirement(query, store, nullptr);
    if (retirement && retirement->retirement_month.year() == year) retiring.push_back(person.person_id);
  }
  return retiring;
}

Result<SimulationReport> simulate(const SimulationInput& input, const std::vector<ParameterChange>& changes,
                                  const rules::ParameterStore& store) {
  Overrides o;
  for (const ParameterChange& change : changes) {
    if (change.key == "employer_pension_rate") o.employee.employer_rate = change.value;
    else if (change.key == "individual_pension_rate") o.employee.individual_rate = change.value;
    else if (change.key == "contribution_base_floor_ratio") o.employee.floor_ratio = change.value;
    else if (change.key == "contribution_base_ceiling_ratio") o.employee.ceiling_ratio = change.value;
    else if (change.key == "flexible_total_rate") o.flexible_total = change.value;
    else if (change.key == "flexible_account_rate") o.flexible_account = change.value;
    else if (change.key == "flexible_min_base_ratio") o.flexible_min = change.value;
    else if (change.key == "flexible_max_base_ratio") o.flexible_max = change.value;
    else if (change.key == "basic_pension_accrual_rate") o.accrual_rate = change.value;
    else if (change.key == "pension_base_w") o.pension_base_w = change.value;
    else if (change.key == "divisor_age_47") o.divisor_age_47 = change.value.to_int64_exact();
    else return fail(ErrorCode::invalid_input, "--set", change.key + " cannot be simulated");
  }
  // Bounds that depend on the rules in force.
  auto both = [&](const std::optional<Decimal>& low, const std::optional<Decimal>& high, const char* low_key,
                  const char* high_key) -> Result<void> {
    if (low && high && *low > *high) {
      return fail(ErrorCode::invalid_input, "--set",
                  std::string(low_key) + " (" + low->to_string() + ") must not exceed " + high_key + " (" +
                      high->to_string() + ")");
    }
    return {};
  };
  if (auto ok = both(o.employee.floor_ratio, o.employee.ceiling_ratio, "contribution_base_floor_ratio",
                     "contribution_base_ceiling_ratio");
      !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = both(o.flexible_min, o.flexible_max, "flexible_min_base_ratio", "flexible_max_base_ratio"); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = both(o.flexible_account, o.flexible_total, "flexible_account_rate", "flexible_total_rate"); !ok) {
    return tl::unexpected(ok.error());
  }
  if (o.divisor_age_47) {
    auto checked = rules::employee_pension_divisor(rules::AgeAtRetirement{47, 0}, input.month, o.divisor_age_47,
                                                   store, nullptr);
    if (!checked) {
      return fail(ErrorCode::invalid_input, "--set", "divisor_age_47: " + checked.error().message);
    }
  }

  SimulationReport report;
  report.month = input.month;
  report.changes = changes;

  // Persons by person_id (dense), with the extract's group and income.
  std::vector<std::uint32_t> slot;
  constexpr std::uint32_t kAbsent = UINT32_MAX;
  for (std::size_t i = 0; i < input.persons.size(); ++i) {
    const std::int64_t id = input.persons[i].person_id;
    if (id <= 0 || id > std::int64_t{1} << 32) continue;
    if (static_cast<std::size_t>(id) >= slot.size()) slot.resize(std::max<std::size_t>(id + 1, slot.size() * 2), kAbsent);
    slot[static_cast<std::size_t>(id)] = static_cast<std::uint32_t>(i);
  }
  auto index_of = [&](std::int64_t person_id) -> std::uint32_t {
    if (person_id <= 0 || static_cast<std::uint64_t>(person_id) >= slot.size()) return kAbsent;
    return slot[static_cast<std::size_t>(person_id)];
  };
  std::vector<std::uint8_t> extract_group(input.persons.size(), kNoGroup);
  std::vector<std::int64_t> extract_income(input.extract.empty() ? 0 : input.persons.size(), 0);
  if (!input.extract.empty()) {
    // Sorted keys on both sides, merged (the first extract line of a person counts).
    std::vector<std::pair<std::uint64_t, std::uint32_t>> by_key;
    by_key.reserve(input.persons.size());
    for (std::size_t i = 0; i < input.persons.size(); ++i) {
      if (input.persons[i].resident_key != 0) by_key.emplace_back(input.persons[i].resident_key, static_cast<std::uint32_t>(i));
    }
    std::sort(by_key.begin(), by_key.end());
    std::vector<std::uint32_t> order(input.extract.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return input.extract[a].resident_key < input.extract[b].resident_key;
    });
    std::size_t k = 0;
    for (const std::uint32_t e : order) {
      const ExtractFact& fact = input.extract[e];
      while (k < by_key.size() && by_key[k].first < fact.resident_key) ++k;
      if (k == by_key.size()) break;
      if (by_key[k].first != fact.resident_key) continue;
      const std::uint32_t person = by_key[k].second;
      if (extract_group[person] != kNoGroup) continue;
      extract_group[person] = static_cast<std::uint8_t>(fact.group);
      extract_income[person] = fact.income_fen;
    }
  }
  auto group_at = [&](std::uint32_t person, Group fallback) {
    return person == kAbsent || extract_group[person] == kNoGroup ? fallback : static_cast<Group>(extract_group[person]);
  };

  // Employers: rules resolved once each.
  AverageWages averages(store, input.month);
  std::vector<EmployerRules> employers(input.employers.size());
  std::unordered_map<std::int64_t, std::uint32_t> employer_index;
  employer_index.reserve(input.employers.size());
  for (std::size_t i = 0; i < input.employers.size(); ++i) {
    const SimulationEmployer& source = input.employers[i];
    EmployerRules& rules = employers[i];
    rules.employer.region = region_text(source.region);
    rules.employer.size = source.size;
    rules.employer.unit_type = source.unit_type;
    rules.jurisdiction = registry::province_jurisdiction(rules.employer.region);
    auto average = averages.of(rules.jurisdiction);
    if (average) rules.average = *average;
    else rules.error = average.error();
    employer_index.emplace(source.employer_id, static_cast<std::uint32_t>(i));
  }

  const std::vector<Partial> employee_parts = split(input.contributions ? input.lines.size() : 0, input.threads, [&](std::size_t begin, std::size_t end, Partial& part) {
    AverageWages local(store, input.month);
    for (std::size_t i = begin; i < end; ++i) {
      const DeclaredLineFact& line = input.lines[i];
      const auto found = employer_index.find(line.employer_id);
      if (found == employer_index.end()) continue;
      const EmployerRules& rules = employers[found->second];
      if (!rules.average) {
        note(part, rules.error, line.person_id, false);
        continue;
      }
      const Money wage = Money::from_fen(line.wage_fen);
      auto baseline = employee_total(rules.employer, wage, input.month, store, local);
      auto simulated = employee_total(rules.employer, wage, input.month, store, local, o.employee);
      if (!baseline || !simulated) {
        note(part, baseline ? simulated.error() : baseline.error(), line.person_id, false);
        continue;
      }
      SimulationGroup& group = part.groups[static_cast<std::size_t>(group_at(index_of(line.person_id), Group::employee))];
      ++group.person_months;
      group.baseline_fen += *baseline;
      group.simulated_fen += *simulated;
    }
  });

  const std::vector<Partial> flexible_parts = split(input.contributions ? input.persons.size() : 0, input.threads, [&](std::size_t begin, std::size_t end, Partial& part) {
    AverageWages local(store, input.month);
    for (std::size_t i = begin; i < end; ++i) {
      const SimulationPerson& member = input.persons[i];
      if (member.scheme != registry::Scheme::flexible || member.base_ratio_e4 < 0) continue;
      const std::string jurisdiction = registry::province_jurisdiction(region_text(member.scheme_region));
      auto average = local.of(jurisdiction);
      if (!average) {
        note(part, average.error(), member.person_id, false);
        continue;
      }
      const Decimal base_ratio =
          Decimal::from_units(member.base_ratio_e4, 4);
      rules::FlexibleContributionQuery query;
      query.contribution_month = input.month;
      query.local_average_wage = *average;
      query.base_ratio = base_ratio;
      query.jurisdiction = jurisdiction;
      auto baseline = rules::compute_flexible_contribution(query, store, nullptr);
      if (!baseline) {
        note(part, baseline.error(), member.person_id, false);
        continue;
      }
      // The band in force, then the simulated one; a worker at the floor follows the floor.
      const Decimal old_min = divide(baseline->lowest_base.to_decimal(), average->to_decimal(), 2, RoundingMode::half_up);
      rules::FlexibleContributionQuery changed = query;
      changed.total_rate = o.flexible_total;
      changed.account_rate = o.flexible_account;
      changed.min_base_ratio = o.flexible_min;
      changed.max_base_ratio = o.flexible_max;
      Decimal ratio = base_ratio;
      if (o.flexible_min && base_ratio <= old_min) ratio = *o.flexible_min;
      if (o.flexible_min && ratio < *o.flexible_min) ratio = *o.flexible_min;
      if (o.flexible_max && ratio > *o.flexible_max) ratio = *o.flexible_max;
      changed.base_ratio = ratio;
      auto simulated = rules::compute_flexible_contribution(changed, store, nullptr);
      if (!simulated) {
        note(part, simulated.error(), member.person_id, false);
        continue;
      }
      const auto person = static_cast<std::uint32_t>(i);
      SimulationGroup& group = part.groups[static_cast<std::size_t>(group_at(person, Group::self_employed))];
      ++group.person_months;
      group.baseline_fen += baseline->total_contribution.fen();
      group.simulated_fen += simulated->total_contribution.fen();

      if (extract_group[person] == kNoGroup || extract_income[person] <= 0) continue;
      ++part.flexible_with_income;
      const Decimal limit = Money::from_fen(extract_income[person]).to_decimal() * input.burden_threshold;
      // The minimum contribution: the lowest base times the total rate.
      if (baseline->lowest_base.to_decimal() * baseline->total_rate > limit) ++part.burdened_baseline;
      if (simulated->lowest_base.to_decimal() * simulated->total_rate > limit) ++part.burdened_simulated;
    }
  });

  // Pension awards of the persons retiring in the year.
  std::unordered_map<std::int64_t, std::uint32_t> line_of_person;  // their declared line of the month, if any
  if (input.pensions && !input.pension.empty()) {
    std::unordered_map<std::int64_t, bool> retiring;
    for (const PensionFacts& facts : input.pension) retiring.emplace(facts.person_id, true);
    for (std::size_t i = 0; i < input.lines.size(); ++i) {
      if (retiring.contains(input.lines[i].person_id)) line_of_person.emplace(input.lines[i].person_id, static_cast<std::uint32_t>(i));
    }
  }
  const std::vector<Partial> pension_parts = split(input.pensions ? input.pension.size() : 0, input.threads, [&](std::size_t begin, std::size_t end, Partial& part) {
    AverageWages local(store, input.month);
    for (std::size_t i = begin; i < end; ++i) {
      const PensionFacts& facts = input.pension[i];
      const std::uint32_t person = index_of(facts.person_id);
      if (person == kAbsent) continue;
      const SimulationPerson& who = input.persons[person];
      // Jurisdiction: the employer of the month's declared line, else the scheme region, else the hukou.
      std::string region;
      std::optional<Money> wage;
      if (auto line = line_of_person.find(facts.person_id); line != line_of_person.end()) {
        const auto employer = employer_index.find(input.lines[line->second].employer_id);
        if (employer != employer_index.end()) {
          region = employers[employer->second].employer.region;
          wage = Money::from_fen(input.lines[line->second].wage_fen);
        }
      }
      if (region.empty() && who.scheme_region > 0) region = region_text(who.scheme_region);
      if (region.empty() && who.hukou_region > 0) region = region_text(who.hukou_region);
      if (region.empty()) {
        note(part, Error{ErrorCode::not_found, "jurisdiction", "no declared line in the month, no scheme or hukou region"},
             facts.person_id, true);
        continue;
      }
      const std::string jurisdiction = registry::province_jurisdiction(region);
      auto average = local.of(jurisdiction);
      if (!average) {
        note(part, average.error(), facts.person_id, true);
        continue;
      }
      // W: the pension base of the jurisdiction, else the average wage of the contribution base.
      Money w = *average;
      if (auto published = store.find("pension_base_w", input.month, jurisdiction)) w = Money::from_decimal(round2((*published)->number));
      // Z: the wage of the month (or the flexible base ratio) over the average wage, inside the base band.
      Decimal index = Decimal::from_int(1);
      if (wage) index = divide(wage->to_decimal(), average->to_decimal(), 4, RoundingMode::half_up);
      else if (who.base_ratio_e4 >= 0) index = Decimal::from_units(who.base_ratio_e4, 4);
      if (auto floor = store.find("contribution_base_floor_ratio", input.month, jurisdiction); floor && index < (*floor)->number) index = (*floor)->number;
      if (auto ceiling = store.find("contribution_base_ceiling_ratio", input.month, jurisdiction); ceiling && index > (*ceiling)->number) index = (*ceiling)->number;

      rules::RetirementQuery when;
      when.birth_month = who.birth_date.year_month();
      when.category = static_cast<rules::RetirementCategory>(who.retirement_category);
      auto retirement = rules::compute_retirement(when, store, nullptr);
      if (!retirement) {
        note(part, retirement.error(), facts.person_id, true);
        continue;
      }
      rules::EmployeePensionQuery query;
      query.retirement_month = retirement->retirement_month;
      query.basic = rules::BasicPensionInputs{w, index, std::nullopt, facts.contribution_months, std::nullopt};
      query.account = rules::AccountPensionInputs{Money::from_fen(std::max<std::int64_t>(facts.account_fen, 0)),
                                                  rules::AgeAtRetirement{retirement->age_months / 12, retirement->age_months % 12},
                                                  std::nullopt};
      auto baseline = rules::compute_employee_pension(query, store, nullptr);
      rules::EmployeePensionQuery changed = query;
      if (o.pension_base_w) changed.basic->average_wage = Money::from_decimal(round2(*o.pension_base_w));
      changed.accrual_rate = o.accrual_rate;
      changed.divisor_age_47 = o.divisor_age_47;
      auto simulated = rules::compute_employee_pension(changed, store, nullptr);
      if (!baseline || !simulated) {
        note(part, baseline ? simulated.error() : baseline.error(), facts.person_id, true);
        continue;
      }
      const Group fallback = who.scheme == registry::Scheme::flexible ? Group::self_employed : Group::employee;
      PensionGroup& group = part.pension[static_cast<std::size_t>(group_at(person, fallback))];
      ++group.persons;
      group.baseline_fen += baseline->total_pension->fen();
      group.simulated_fen += simulated->total_pension->fen();
    }
  });

  std::array<SimulationGroup, kGroups.size()> groups{};
  std::array<PensionGroup, kGroups.size()> pension{};
  for (std::size_t g = 0; g < kGroups.size(); ++g) groups[g].group = pension[g].group = kGroups[g];
  for (const auto* parts : {&employee_parts, &flexible_parts, &pension_parts}) {
    for (const Partial& part : *parts) {
      for (std::size_t g = 0; g < kGroups.size(); ++g) {
        groups[g].person_months += part.groups[g].person_months;
        groups[g].baseline_fen += part.groups[g].baseline_fen;
        groups[g].simulated_fen += part.groups[g].simulated_fen;
        pension[g].persons += part.pension[g].persons;
        pension[g].baseline_fen += part.pension[g].baseline_fen;
        pension[g].simulated_fen += part.pension[g].simulated_fen;
      }
      report.flexible_with_income += part.flexible_with_income;
      report.burdened_baseline += part.burdened_baseline;
      report.burdened_simulated += part.burdened_simulated;
      if (report.errors == 0 && part.errors > 0) report.first_error = part.first_error;
      report.errors += part.errors;
      if (report.pension_errors == 0 && part.pension_errors > 0) report.first_pension_error = part.first_pension_error;
      report.pension_errors += part.pension_errors;
    }
  }
  for (const SimulationGroup& group : groups) {
    if (group.person_months == 0) continue;
    report.groups.push_back(group);
    report.baseline_fen += group.baseline_fen;
    report.simulated_fen += group.simulated_fen;
  }
  for (const PensionGroup& group : pension) {
    if (group.persons == 0) continue;
    report.pension_groups.push_back(group);
    report.pension_persons += group.persons;
    report.pension_baseline_fen += group.baseline_fen;
    report.pension_simulated_fen += group.simulated_fen;
  }
  return report;
}

}  // namespace shebao::analytics
