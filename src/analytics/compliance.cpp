#include "analytics/compliance.h"

#include <algorithm>
#include <map>

#include "rules/contribution.h"

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

Result<ComplianceReport> compliance_report(const std::vector<PopulationRecord>& population,
                                           const std::vector<RegisteredPerson>& registry,
                                           const std::vector<EmployerFacts>& employers,
                                           const std::vector<DeclaredLineFact>& lines,
                                           const rules::ParameterStore& store, const ComplianceOptions& options) {
  const ResidentIdIndex person_index(registry);
  std::unordered_map<std::string_view, std::size_t> employer_by_code;
  std::unordered_map<std::int64_t, std::size_t> employer_by_id;
  for (std::size_t i = 0; i < employers.size(); ++i) {
    employer_by_code.emplace(employers[i].employer.credit_code, i);
    employer_by_id.emplace(employers[i].employer.employer_id, i);
  }
  std::vector<ComplianceRow> rows(employers.size());
  // (employer_id, person_id) -> declared wage
  std::unordered_map<std::int64_t, std::unordered_map<std::int64_t, std::int64_t>> declared;
  for (const DeclaredLineFact& line : lines) {
    auto it = employer_by_id.find(line.employer_id);
    if (it == employer_by_id.end()) continue;
    ComplianceRow& row = rows[it->second];
    ++row.declared_workers;
    row.declared_wages_fen += line.wage_fen;
    declared[line.employer_id][line.person_id] = line.wage_fen;
  }

  ComplianceReport report;
  report.month = options.month;
  AverageWages averages(store, options.month);
  const Decimal keep = Decimal::from_int(1) - options.wage_tolerance;
  for (const PopulationRecord& record : population) {
    if (record.status != EmploymentStatus::employed && record.status != EmploymentStatus::seasonal) continue;
    if (record.employer_credit_code.empty()) continue;
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
    if (const auto person = person_index.find(record.resident_id)) {
      if (auto of_employer = declared.find(employer.employer_id); of_employer != declared.end()) {
        if (auto wage = of_employer->second.find(registry[*person].person_id); wage != of_employer->second.end()) {
          declared_wage = wage->second;
        }
      }
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

Result<ParameterChange> parse_parameter_change(std::string_view text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string_view::npos) {
    return fail(ErrorCode::invalid_input, "--set", "\"" + std::string(text) + "\" is not KEY=VALUE");
  }
  const std::string_view key = text.substr(0, equals);
  if (std::find(kSimulationKeys.begin(), kSimulationKeys.end(), key) == kSimulationKeys.end()) {
    std::string known;
    for (const auto name : kSimulationKeys) known += (known.empty() ? "" : ", ") + std::string(name);
    return fail(ErrorCode::invalid_input, "--set",
                "\"" + std::string(key) + "\" cannot be simulated; the parameters are: " + known);
  }
  auto value = Decimal::parse(text.substr(equals + 1));
  if (!value || value->sign() < 0) {
    return fail(ErrorCode::invalid_input, "--set",
                std::string(key) + ": \"" + std::string(text.substr(equals + 1)) + "\" is not a decimal ≥ 0");
  }
  return ParameterChange{std::string(key), *value};
}

Result<SimulationReport> simulate(const SimulationInput& input, const std::vector<ParameterChange>& changes,
                                  const rules::ParameterStore& store) {
  EmployeeOverrides employee;
  std::optional<Decimal> flexible_total, flexible_account, flexible_min, flexible_max;
  for (const ParameterChange& change : changes) {
    if (change.key == "employer_pension_rate") employee.employer_rate = change.value;
    else if (change.key == "individual_pension_rate") employee.individual_rate = change.value;
    else if (change.key == "contribution_base_floor_ratio") employee.floor_ratio = change.value;
    else if (change.key == "contribution_base_ceiling_ratio") employee.ceiling_ratio = change.value;
    else if (change.key == "flexible_total_rate") flexible_total = change.value;
    else if (change.key == "flexible_account_rate") flexible_account = change.value;
    else if (change.key == "flexible_min_base_ratio") flexible_min = change.value;
    else if (change.key == "flexible_max_base_ratio") flexible_max = change.value;
    else return fail(ErrorCode::invalid_input, "--set", change.key + " cannot be simulated");
  }

  SimulationReport report;
  report.month = input.month;
  report.changes = changes;
  std::array<SimulationGroup, kGroups.size()> groups{};
  for (std::size_t g = 0; g < kGroups.size(); ++g) groups[g].group = kGroups[g];
  auto note_error = [&](const Error& error, std::int64_t person_id) {
    if (report.errors++ == 0) report.first_error = "person " + std::to_string(person_id) + ": " + error.to_string();
  };
  auto group_of_person = [&](std::int64_t person_id, Group fallback) {
    auto it = input.extract.find(person_id);
    return it == input.extract.end() ? fallback : it->second.first;
  };

  AverageWages averages(store, input.month);
  for (const collection::DeclaredPersonMonth& line : input.employee_months) {
    registry::Employer employer;
    employer.region = line.employer_region;
    employer.size = line.employer_size;
    employer.unit_type = line.unit_type;
    auto baseline = employee_total(employer, line.declared_wage, line.month, store, averages);
    auto simulated = employee_total(employer, line.declared_wage, line.month, store, averages, employee);
    if (!baseline || !simulated) {
      note_error(baseline ? simulated.error() : baseline.error(), line.person_id);
      continue;
    }
    SimulationGroup& group = groups[static_cast<std::size_t>(group_of_person(line.person_id, Group::employee))];
    ++group.person_months;
    group.baseline_fen += *baseline;
    group.simulated_fen += *simulated;
  }

  for (const collection::FlexibleMonth& member : input.flexible_months) {
    const std::string jurisdiction = registry::province_jurisdiction(member.scheme_region);
    auto average = averages.of(jurisdiction);
    if (!average) {
      note_error(average.error(), member.person_id);
      continue;
    }
    rules::FlexibleContributionQuery query;
    query.contribution_month = member.month;
    query.local_average_wage = *average;
    query.base_ratio = member.base_ratio;
    query.jurisdiction = jurisdiction;
    auto baseline = rules::compute_flexible_contribution(query, store, nullptr);
    if (!baseline) {
      note_error(baseline.error(), member.person_id);
      continue;
    }
    // The band in force, then the simulated one; a worker at the floor follows the floor.
    const Decimal old_min = divide(baseline->lowest_base.to_decimal(), average->to_decimal(), 2, RoundingMode::half_up);
    rules::FlexibleContributionQuery changed = query;
    changed.total_rate = flexible_total;
    changed.account_rate = flexible_account;
    changed.min_base_ratio = flexible_min;
    changed.max_base_ratio = flexible_max;
    Decimal ratio = member.base_ratio;
    if (flexible_min && member.base_ratio <= old_min) ratio = *flexible_min;
    if (flexible_min && ratio < *flexible_min) ratio = *flexible_min;
    if (flexible_max && ratio > *flexible_max) ratio = *flexible_max;
    changed.base_ratio = ratio;
    auto simulated = rules::compute_flexible_contribution(changed, store, nullptr);
    if (!simulated) {
      note_error(simulated.error(), member.person_id);
      continue;
    }
    SimulationGroup& group = groups[static_cast<std::size_t>(group_of_person(member.person_id, Group::self_employed))];
    ++group.person_months;
    group.baseline_fen += baseline->total_contribution.fen();
    group.simulated_fen += simulated->total_contribution.fen();

    auto extract = input.extract.find(member.person_id);
    if (extract == input.extract.end() || extract->second.second.fen() <= 0) continue;
    ++report.flexible_with_income;
    const Decimal limit = extract->second.second.to_decimal() * input.burden_threshold;
    // The minimum contribution: the lowest base times the total rate.
    const Decimal baseline_minimum = baseline->lowest_base.to_decimal() * baseline->total_rate;
    const Decimal simulated_minimum = simulated->lowest_base.to_decimal() * simulated->total_rate;
    if (baseline_minimum > limit) ++report.burdened_baseline;
    if (simulated_minimum > limit) ++report.burdened_simulated;
  }
  for (const SimulationGroup& group : groups) {
    if (group.person_months == 0) continue;
    report.groups.push_back(group);
    report.baseline_fen += group.baseline_fen;
    report.simulated_fen += group.simulated_fen;
  }
  return report;
}

}  // namespace shebao::analytics
