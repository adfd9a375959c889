// libFuzzer target: arbitrary bytes as a rules file. Loading must accept or
// refuse with rules_invalid and a file:line location, never crash; an accepted
// store must answer lookups for every key it holds.
#include <cstdint>
#include <string>

#include "rules/parameter_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shebao;
  const std::string content(reinterpret_cast<const char*>(data), size);
  auto store = rules::ParameterStore::load({rules::RulesFile{"fuzz.toml", content}});
  if (!store) {
    if (store.error().code != ErrorCode::rules_invalid) __builtin_trap();
    if (store.error().field.rfind("fuzz.toml:", 0) != 0) __builtin_trap();
    return 0;
  }
  for (const auto& schema : rules::parameter_schema()) {
    for (const auto& entry : store->series(schema.key)) {
      auto found = store->find(schema.key, entry.from, entry.jurisdiction, entry.variant);
      if (!found || *found != &entry) __builtin_trap();
    }
  }
  return 0;
}
