// shebao ingest: the population extract (population.csv), as a civil registry
// or tax authority would provide it: read it (read_population) and, for
// `shebao gen`, write one consistent with a generated registry
// (PopulationExtractSink).
//
// Columns (docs/formats.md): resident_id, name, birth_date, region,
// hukou_region, employment_status (employed | seasonal | self_employed |
// not_working), self_employed (0/1), employer_credit_code, monthly_income.
//
// The generated extract (deterministic for a seed) holds every registered
// person as the authority sees them at the last generated month M, plus
// people who never registered:
//   employees  declared in M: employed at that employer. Seasonal careers:
//              seasonal at their employer (covered only in season). Employees
//              no longer declared and under their retirement age: 40 % still
//              work at their last employer undeclared (lapsed), 30 % work for
//              an employer of another province (moved without transfer), the
//              rest not working.
//   income     the declared wage, times 1.25..1.60 at the 5 % of employers
//              that declare less than they pay (compliance finds them).
//   flexible   self-employed where their scheme region is, income 0.30..2.50
//              times the province's average wage.
//   residents  not working.
//   never registered: 4 % of the employees' count, 25 % of the self-employed,
//              15 % of the seasonal, 12 % of the migrants, with fresh IDs and
//              names shared with registered people.
//   IDs        1 % of the people born before 2000 appear with their 15-digit ID.
// The truth (ExtractTruth) counts population and uncovered people per group
// with analytics' definitions, for a coverage window of `window_months`
// months ending at M, assuming the month runs of the window have been done.
//
// Thread safety: one sink per generation; read_population has no state.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analytics/coverage.h"
#include "ingest/synthetic_population.h"

namespace shebao::ingest {

// Reads and validates an extract (CSV with a header line). Any bad line makes
// the whole file unusable: invalid_input (or the field's own code) with
// "FILE:LINE" and the column in the message; io_error when it cannot be read.
// An ID with the right shape but a wrong check character or birth date (a
// mistyped ID) is kept as given with id_valid false: it matches no registered
// ID, and the coverage report looks for the person with the matching engine.
Result<std::vector<analytics::PopulationRecord>> read_population(const std::filesystem::path& path);
// The same, one record at a time (the record is reused between calls; `each`
// may move its strings out), so that a caller keeps only what it needs of a
// large extract.
// At most how many records the extract at `path` holds, from its size (a row
// takes at least about 64 bytes), to reserve for; 0 when the size is unknown.
std::size_t population_rows_estimate(const std::filesystem::path& path);
Result<void> read_population(const std::filesystem::path& path,
                             const std::function<void(analytics::PopulationRecord&)>& each);

struct ExtractTruth {
  std::array<std::int64_t, analytics::kGroups.size()> population{};
  std::array<std::int64_t, analytics::kGroups.size()> uncovered{};
  std::array<std::int64_t, 5> reasons{};  // by analytics::Reason, working groups only
  std::int64_t never_registered = 0;
  std::int64_t legacy_ids = 0;
};

struct ExtractOptions {
  std::uint64_t seed = 0;
  YearMonth end_month;
  int window_months = 3;
};

// Forwards every row to `inner` unchanged and remembers what the extract needs.
class PopulationExtractSink final : public PopulationSink {
 public:
  PopulationExtractSink(PopulationSink& inner, const ExtractOptions& options);
  ~PopulationExtractSink() override;

  void on_phase(std::string_view name, std::uint64_t total) override;
  void on_person(const PersonRow& row) override;
  void on_employer(const EmployerRow& row) override;
  void on_month_begin(YearMonth month) override;
  void on_declaration_line(const DeclarationLine& line) override;
  void on_payment(const PaymentRow& row) override;
  void on_month_end(YearMonth month) override;

  // After generate_population(): the extract's records in file order, then the truth.
  ExtractTruth finish(const std::function<void(const analytics::PopulationRecord&, std::string_view id_as_written)>& emit);

 private:
  struct State;
  PopulationSink& inner_;
  std::unique_ptr<State> state_;
};

}  // namespace shebao::ingest
