// shebao analytics: compliance (employers who declare fewer workers or lower
// wages than the population extract shows, late payers) and policy simulation
// (the contribution rules re-run over a month of the whole population with
// changed parameters).
//
// Estimated missing contributions of one worker in month M: the employer and
// individual pension contributions the rules give for the extract's monthly
// income, less those for the declared wage (all of them when the employer
// declared no line for the worker). A declared wage counts as short when it is
// below the income by more than `wage_tolerance`.
//
// Simulation: every declared person-month of M (employee contributions) and
// every flexible worker (flexible contributions at their chosen base ratio)
// under the rules as published ("baseline") and with the changed parameters.
// Flexible workers at the lowest base ratio stay at the lowest ratio when it
// changes; others keep their ratio, clamped to the new band. The burden of a
// flexible worker is the contribution at the lowest allowed base divided by
// the monthly income of the extract (only for workers the extract names).
//
// Pure: no I/O, no clock. Thread safety: values only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analytics/coverage.h"
#include "collection/month_entries.h"
#include "core/decimal.h"
#include "rules/parameter_store.h"

namespace shebao::analytics {

struct EmployerFacts {
  registry::Employer employer;
  std::int64_t arrears_fen = 0;   // dues booked and not paid, months up to M
  int unpaid_months = 0;
  std::int64_t late_fees_fen = 0;  // late fees booked
};

// One line of a current declaration of month M.
struct DeclaredLineFact {
  std::int64_t person_id = 0;
  std::int64_t employer_id = 0;
  std::int64_t wage_fen = 0;
};

struct ComplianceOptions {
  YearMonth month;
  Decimal wage_tolerance = Decimal::parse("0.05").value();
};

struct ComplianceRow {
  std::string credit_code;
  std::string name;
  std::string region;
  std::int64_t extract_workers = 0;     // extract persons working for the employer
  std::int64_t declared_workers = 0;    // lines declared for M
  std::int64_t undeclared_workers = 0;  // extract workers with no declared line
  std::int64_t short_wages = 0;         // declared below the extract's income
  std::int64_t extract_income_fen = 0;  // monthly income of the extract's workers
  std::int64_t declared_wages_fen = 0;  // declared wages for M
  std::int64_t missing_contributions_fen = 0;  // estimated, per month
};

struct LatePayer {
  std::string credit_code;
  std::string name;
  int unpaid_months = 0;
  std::int64_t arrears_fen = 0;
  std::int64_t late_fees_fen = 0;
};

struct ComplianceReport {
  YearMonth month;
  std::vector<ComplianceRow> employers;  // with anything missing, by missing contributions (largest first)
  std::vector<LatePayer> late_payers;    // arrears or late fees, by arrears (largest first)
  std::int64_t missing_contributions_fen = 0;
  std::int64_t extract_workers_unknown_employer = 0;  // extract names an employer the registry does not have
};

// `registry` gives each resident ID its person_id.
Result<ComplianceReport> compliance_report(const std::vector<PopulationRecord>& population,
                                           const std::vector<RegisteredPerson>& registry,
                                           const std::vector<EmployerFacts>& employers,
                                           const std::vector<DeclaredLineFact>& lines,
                                           const rules::ParameterStore& store, const ComplianceOptions& options);

// --- policy simulation ---

// The parameters a simulation may change (the rules' keys), each a decimal ≥ 0.
inline constexpr std::array<std::string_view, 8> kSimulationKeys{
    "employer_pension_rate",          "individual_pension_rate", "contribution_base_floor_ratio",
    "contribution_base_ceiling_ratio", "flexible_total_rate",     "flexible_account_rate",
    "flexible_min_base_ratio",        "flexible_max_base_ratio"};

struct ParameterChange {
  std::string key;
  Decimal value;
};

// Parses "KEY=VALUE"; invalid_input (field "--set") for an unknown key or a bad value.
Result<ParameterChange> parse_parameter_change(std::string_view text);

struct SimulationInput {
  YearMonth month;
  std::vector<collection::DeclaredPersonMonth> employee_months;  // current declarations of the month
  std::vector<collection::FlexibleMonth> flexible_months;       // every flexible worker, month = M
  // Optional: group and monthly income of persons the extract names (by person_id).
  std::unordered_map<std::int64_t, std::pair<Group, Money>> extract;
  Decimal burden_threshold = Decimal::parse("0.20").value();  // share of income
};

struct SimulationGroup {
  Group group = Group::other;
  std::int64_t person_months = 0;
  std::int64_t baseline_fen = 0;   // employer + individual pension, or flexible total
  std::int64_t simulated_fen = 0;
};

struct SimulationReport {
  YearMonth month;
  std::vector<ParameterChange> changes;
  std::vector<SimulationGroup> groups;  // in kGroups order, groups with person-months only
  std::int64_t baseline_fen = 0;
  std::int64_t simulated_fen = 0;
  std::int64_t flexible_with_income = 0;       // flexible workers the extract gives an income for
  std::int64_t burdened_baseline = 0;          // of those, minimum contribution > threshold × income
  std::int64_t burdened_simulated = 0;
  std::int64_t errors = 0;                     // person-months the rules could not compute (rule_missing ...)
  std::string first_error;
};

Result<SimulationReport> simulate(const SimulationInput& input, const std::vector<ParameterChange>& changes,
                                  const rules::ParameterStore& store);

}  // namespace shebao::analytics
