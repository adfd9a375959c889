// libFuzzer target: arbitrary bytes as a case file. The engine must answer
// every input with a result or a clean error, never a crash, and a result it
// gives must survive a round trip through its own printed form.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/rules_files.h"
#include "rules/case_runner.h"

namespace {
const shebao::rules::ParameterStore& store() {
  static const shebao::rules::ParameterStore loaded = [] {
    auto result = shebao::ingest::load_rules_directory(SHEBAO_RULES_DIR);
    if (!result) std::abort();
    return std::move(*result);
  }();
  return loaded;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  const boost::json::value document =
      boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;
  for (bool with_trace : {false, true}) {
    auto run = shebao::rules::run_case(document, store(), with_trace);
    if (!run) continue;
    if (run->result.has_value() == run->error.has_value()) __builtin_trap();  // exactly one of the two
    const boost::json::object printed = shebao::rules::case_output(*run, with_trace);
    if (boost::json::parse(boost::json::serialize(printed)) != boost::json::value(printed)) __builtin_trap();
  }
  return 0;
}
