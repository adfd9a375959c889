// shebao analytics: compliance (employers who declare fewer workers or lower
// wages than the population extract shows, late payers) and policy simulation
// (the contribution and pension rules re-run over a month of the whole
// population with changed parameters).
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
// Pension: the award (basic + account pension) of every person reaching the
// statutory retirement age in the year of M, under the rules as published and
// with the changed pension parameters (docs/architecture.md §9).
//
// Pure: no I/O, no clock. simulate() starts SimulationInput::threads threads
// and joins them before it returns. Thread safety: values only.
#pragma once

#include <array>
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

// What compliance and simulation read of one registered person: no strings
// (40 bytes), so that a million of them load and scan fast.
struct SimulationPerson {
  std::int64_t person_id = 0;
  std::uint64_t resident_key = 0;   // resident_id_key() of the ID; 0 when it has none
  Date birth_date;
  std::int32_t scheme_region = 0;   // six digits; 0 for employees (their employer's region applies)
  std::int32_t hukou_region = 0;    // six digits
  std::int32_t base_ratio_e4 = -1;  // flexible base ratio in 1/10,000; -1 when none
  registry::Scheme scheme = registry::Scheme::employee;
  std::uint8_t retirement_category = 0;  // rules::RetirementCategory
};

// A base ratio in ten-thousandths (rounded half up), as SimulationPerson keeps it; -1 when negative or too large.
std::int32_t base_ratio_e4(const Decimal& ratio);

// rules::RetirementCategory of the registry's text (male, female_55, female_50); 3 for anything else.
std::uint8_t retirement_category_code(std::string_view text);

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

// Whether compliance reads an extract record: a worker (employed or seasonal)
// naming an employer; compliance_report() passes over every other record.
bool compliance_reads(const PopulationRecord& record);

// `persons` gives each resident ID its person_id.
Result<ComplianceReport> compliance_report(const std::vector<PopulationRecord>& population,
                                           const std::vector<SimulationPerson>& persons,
                                           const std::vector<EmployerFacts>& employers,
                                           const std::vector<DeclaredLineFact>& lines,
                                           const rules::ParameterStore& store, const ComplianceOptions& options);

// --- policy simulation ---

// The parameters a simulation may change (the rules' keys), with what each allows:
//   employer_pension_rate, individual_pension_rate, flexible_total_rate,
//   flexible_account_rate            a share of the base, 0 to 1 (1 excluded)
//   contribution_base_floor_ratio, flexible_min_base_ratio
//                                    a multiple of the average wage, 0.1 to 3
//   contribution_base_ceiling_ratio, flexible_max_base_ratio
//                                    a multiple of the average wage, 1 to 10
//   basic_pension_accrual_rate       a share of W per year of contributions, > 0 and <= 0.05
//   pension_base_w                   the average wage W of the basic pension, yuan a month,
//                                    > 0 and <= 1,000,000 (every jurisdiction)
//   divisor_age_47                   the account divisor at age 47, a whole number between
//                                    the divisor table's values at 48 and 46
inline constexpr std::array<std::string_view, 11> kSimulationKeys{
    "employer_pension_rate",          "individual_pension_rate", "contribution_base_floor_ratio",
    "contribution_base_ceiling_ratio", "flexible_total_rate",     "flexible_account_rate",
    "flexible_min_base_ratio",        "flexible_max_base_ratio", "basic_pension_accrual_rate",
    "pension_base_w",                 "divisor_age_47"};

struct ParameterChange {
  std::string key;
  Decimal value;
};

// Parses "KEY=VALUE"; invalid_input (field "--set") naming the key and what it
// allows for an unknown key, a value that is not a decimal or one outside the
// key's range (above). Bounds that depend on the rules in force (the divisor
// at 47, a floor above the ceiling) are checked by simulate().
Result<ParameterChange> parse_parameter_change(std::string_view text);

struct SimulationEmployer {
  std::int64_t employer_id = 0;
  std::int32_t region = 0;  // six digits
  registry::EmployerSize size = registry::EmployerSize::small;
  registry::UnitType unit_type = registry::UnitType::enterprise;
};

// What the extract tells the simulation of one person.
struct ExtractFact {
  std::uint64_t resident_key = 0;
  Group group = Group::other;
  std::int64_t income_fen = 0;
};

// What the system of record holds for the pension award of one person.
struct PensionFacts {
  std::int64_t person_id = 0;
  std::int64_t contribution_months = 0;  // months with a contribution booked (not reversed)
  std::int64_t account_fen = 0;          // personal account balance
};

struct SimulationInput {
  YearMonth month;
  std::vector<SimulationEmployer> employers;
  std::vector<DeclaredLineFact> lines;     // current declarations of the month
  std::vector<SimulationPerson> persons;   // every registered person
  std::vector<ExtractFact> extract;        // optional: group and income of persons the extract names
  // Of the persons reaching their statutory retirement age in the year of
  // `month` (retiring_persons() gives them): what the ledger holds.
  std::vector<PensionFacts> pension;
  Decimal burden_threshold = Decimal::parse("0.20").value();  // share of income
  int threads = 1;  // the person-months are split between this many threads
  // The parts to compute (a caller may compute the contributions while it
  // still reads the pension facts, then the pensions).
  bool contributions = true;
  bool pensions = true;
};

// The persons of `persons` (employee or flexible scheme) whose statutory
// retirement month lies in the year of `month`, by person_id. Persons whose
// retirement the rules cannot compute are left out.
std::vector<std::int64_t> retiring_persons(const std::vector<SimulationPerson>& persons, YearMonth month,
                                           const rules::ParameterStore& store);

struct SimulationGroup {
  Group group = Group::other;
  std::int64_t person_months = 0;
  std::int64_t baseline_fen = 0;   // employer + individual pension, or flexible total
  std::int64_t simulated_fen = 0;
};

// Pension awards of one group: persons reaching retirement in the year.
struct PensionGroup {
  Group group = Group::other;
  std::int64_t persons = 0;
  std::int64_t baseline_fen = 0;   // total monthly pension (basic + account)
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
  // Pension awards in the year of the month (docs/architecture.md §9).
  std::vector<PensionGroup> pension_groups;  // in kGroups order, groups with retiring persons only
  std::int64_t pension_persons = 0;
  std::int64_t pension_baseline_fen = 0;
  std::int64_t pension_simulated_fen = 0;
  std::int64_t pension_errors = 0;
  std::string first_pension_error;
};

// invalid_input (field "--set") when a change cannot apply under the rules in
// force: a floor above the ceiling, a divisor at 47 outside its bounds.
Result<SimulationReport> simulate(const SimulationInput& input, const std::vector<ParameterChange>& changes,
                                  const rules::ParameterStore& store);

}  // namespace shebao::analytics
