// shebao rules: running a case file (cases-format.md) and checking its expectation.
//
// run_case() validates the case's envelope (id, kind, input, expect or
// expect_error, tolerance), runs its kind, and compares the result with
// `expect` (decimal strings numerically within `tolerance`, everything else
// exactly, lists element by element, only the fields present in `expect`) or
// the error code with `expect_error`.
//
// The printed form is {"id":..,"result":{..},"trace":[..]} for a computed
// case and {"id":..,"error":{"code":..,"field":..,"message":..}} for rejected
// input (case_output()).
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/error.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::rules {

enum class CaseVerdict {
  no_expectation,  // nothing to check
  passed,
  failed,
};

struct CaseRun {
  std::string id;
  std::string kind;
  std::optional<boost::json::object> result;  // set when the input was accepted
  std::optional<Error> error;                 // set when the input was rejected
  Trace trace;
  CaseVerdict verdict = CaseVerdict::no_expectation;
  std::vector<std::string> mismatches;  // one line per difference, when failed
};

// The envelope itself is unusable (not an object, no kind, unknown kind, no input)
// → invalid_input error; otherwise a CaseRun, whatever the verdict.
Result<CaseRun> run_case(const boost::json::value& document, const ParameterStore& store, bool with_trace);

// {"id":..,"result":..,"trace":..} or {"id":..,"error":..}
boost::json::object case_output(const CaseRun& run, bool with_trace);
boost::json::array trace_to_json(const Trace& trace);
boost::json::object error_to_json(const Error& error);

// Compares `actual` with `expected` as cases-format.md §3 says; appends
// differences to `mismatches` with their path.
void compare_expectation(const boost::json::value& expected, const boost::json::value& actual,
                         const Decimal& tolerance, const std::string& path, std::vector<std::string>& mismatches);

}  // namespace shebao::rules
