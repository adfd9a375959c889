// Rules-engine throughput on one core: retirement dates, contributions and
// pension awards per second, with and without trace.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

#include "ingest/rules_files.h"
#include "rules/contribution.h"
#include "rules/pension.h"
#include "rules/retirement.h"

namespace {

using namespace shebao;

const rules::ParameterStore& store() {
  static const rules::ParameterStore loaded = [] {
    auto result = ingest::load_rules_directory(SHEBAO_RULES_DIR);
    if (!result) {
      std::cerr << result.error().to_string() << "\n";
      std::exit(3);
    }
    return std::move(*result);
  }();
  return loaded;
}

void BM_RetirementDate(benchmark::State& state) {
  const bool with_trace = state.range(0) != 0;
  rules::Trace trace;
  int i = 0;
  for (auto _ : state) {
    rules::RetirementQuery query;
    query.birth_month = YearMonth::of(1960, 1).plus_months(i++ % 360);
    query.category = static_cast<rules::RetirementCategory>(i % 3);
    trace.clear();
    auto result = rules::compute_retirement(query, store(), with_trace ? &trace : nullptr);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RetirementDate)->Arg(0)->Arg(1)->ArgName("trace");

// One person-month of an employee contribution: base clamp, rates, account
// credit and the 2020 relief check, every parameter looked up by month.
void BM_EmployeeContribution(benchmark::State& state) {
  const bool with_trace = state.range(0) != 0;
  rules::Trace trace;
  std::int64_t i = 0;
  for (auto _ : state) {
    rules::EmployeeContributionQuery query;
    query.contribution_month = YearMonth::of(2018, 1).plus_months(static_cast<int>(i % 96));
    query.monthly_wage = Money::from_fen(300000 + (i % 3000000));
    query.local_average_monthly_wage = Money::from_fen(800000);
    query.employer_size = static_cast<rules::EmployerSize>(i % 4);
    trace.clear();
    auto result = rules::compute_employee_contribution(query, store(), with_trace ? &trace : nullptr);
    if (!result) state.SkipWithError(result.error().to_string().c_str());
    benchmark::DoNotOptimize(result);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EmployeeContribution)->Arg(0)->Arg(1)->ArgName("trace");

// A pension award as a month run computes it: W, Z, months, balance, age,
// retirement month; basic + account + total, rules looked up by date.
void BM_PensionAward(benchmark::State& state) {
  const bool with_trace = state.range(0) != 0;
  rules::Trace trace;
  std::int64_t i = 0;
  for (auto _ : state) {
    rules::EmployeePensionQuery query;
    query.retirement_month = YearMonth::of(2024, 1).plus_months(static_cast<int>(i % 36));
    query.basic = rules::BasicPensionInputs{Money::from_fen(807900 + (i % 1000)),
                                            Decimal::from_units(600 + (i % 2400), 3),
                                            std::nullopt, 180 + (i % 300), std::nullopt};
    query.account = rules::AccountPensionInputs{Money::from_fen(9114787 + i % 100000),
                                                rules::AgeAtRetirement{50 + static_cast<int>(i % 13),
                                                                       static_cast<int>(i % 12)},
                                                std::nullopt};
    trace.clear();
    auto result = rules::compute_employee_pension(query, store(), with_trace ? &trace : nullptr);
    if (!result) state.SkipWithError(result.error().to_string().c_str());
    benchmark::DoNotOptimize(result);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PensionAward)->Arg(0)->Arg(1)->ArgName("trace");

// Baseline in the same process: the same award formula on bare integers, with
// the parameters already in registers (no lookup, no validation, no rounding
// helper). The ratio to it is what the engine's generality costs.
void BM_PensionAwardBareFormula(benchmark::State& state) {
  std::int64_t i = 0;
  for (auto _ : state) {
    const __int128 w_fen = 807900 + (i % 1000);
    const __int128 z_milli = 600 + (i % 2400);
    const __int128 months = 180 + (i % 300);
    const __int128 balance_fen = 9114787 + i % 100000;
    const __int128 divisor = 139 + (i % 13);
    // indexed = round2(W × Z); years = round2(months / 12)
    const __int128 indexed_fen = (w_fen * z_milli + 500) / 1000;
    const __int128 years_centi = (months * 100 * 2 + 12) / 24;
    // basic = round2((W + indexed) / 2 × years × 1%)
    const __int128 basic_fen = ((w_fen + indexed_fen) * years_centi + 10000) / 20000;
    const __int128 account_fen = (balance_fen * 2 + divisor) / (divisor * 2);
    std::int64_t total = static_cast<std::int64_t>(basic_fen + account_fen);
    benchmark::DoNotOptimize(total);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PensionAwardBareFormula);

}  // namespace

BENCHMARK_MAIN();
