// Rules-engine throughput on one core: retirement dates, contributions and
// pension awards per second, with and without trace.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

#include "ingest/rules_files.h"
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

}  // namespace

BENCHMARK_MAIN();
