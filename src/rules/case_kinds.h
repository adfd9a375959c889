// shebao rules: the case kinds of cases-format.md §6 and how to run one.
//
// Each kind is a function from a case's `input` object to its result object
// (the fields of cases-format.md's "Expect" tables, decimals as strings). The
// function validates the input with InputReader, computes with the typed
// calculator of its module (retirement.h, pension.h ...) and fills the trace
// when one is given. Kinds register themselves with a KindRegistration at
// namespace scope in their .cpp file; the rules library is an object library,
// so every registration is linked.
//
// Thread safety: the registry is filled before main() and read-only after.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "core/error.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::rules {

using KindFunction = Result<boost::json::object> (*)(const boost::json::object& input, const ParameterStore& store,
                                                     Trace* trace);

struct CaseKind {
  std::string_view name;  // "pension.employee"
  KindFunction run;
};

// All registered kinds, sorted by name.
std::vector<CaseKind> case_kinds();
const CaseKind* find_case_kind(std::string_view name);

struct KindRegistration {
  KindRegistration(std::string_view name, KindFunction run);
};

}  // namespace shebao::rules
