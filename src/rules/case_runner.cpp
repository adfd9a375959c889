#include "rules/case_runner.h"

#include "rules/case_input.h"
#include "rules/case_kinds.h"

namespace shebao::rules {
namespace json = boost::json;

namespace {

std::string show(const json::value& value) { return json::serialize(value); }

bool is_decimal_string(const json::value& value) {
  return value.is_string() && Decimal::parse(std::string_view(value.get_string())).has_value();
}

}  // namespace

void compare_expectation(const json::value& expected, const json::value& actual, const Decimal& tolerance,
                         const std::string& path, std::vector<std::string>& mismatches) {
  if (expected.is_object()) {
    if (!actual.is_object()) {
      mismatches.push_back(path + ": expected an object, got " + show(actual));
      return;
    }
    for (const auto& [key, value] : expected.get_object()) {
      const std::string child = path.empty() ? std::string(key) : path + "." + std::string(key);
      const json::value* found = actual.get_object().if_contains(key);
      if (found == nullptr) {
        mismatches.push_back(child + ": missing from the result (expected " + show(value) + ")");
        continue;
      }
      compare_expectation(value, *found, tolerance, child, mismatches);
    }
    return;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.get_array().size() != expected.get_array().size()) {
      mismatches.push_back(path + ": expected " + show(expected) + ", got " + show(actual));
      return;
    }
    for (std::size_t i = 0; i < expected.get_array().size(); ++i) {
      compare_expectation(expected.get_array()[i], actual.get_array()[i], tolerance,
                          path + "[" + std::to_string(i) + "]", mismatches);
    }
    return;
  }
  if (is_decimal_string(expected) && is_decimal_string(actual)) {
    const Decimal want = *Decimal::parse(std::string_view(expected.get_string()));
    const Decimal got = *Decimal::parse(std::string_view(actual.get_string()));
    Decimal difference = want - got;
    if (difference.sign() < 0) difference = -difference;
    if (difference > tolerance) {
      mismatches.push_back(path + ": expected " + want.to_string() + ", got " + got.to_string());
    }
    return;
  }
  // Integers, booleans, null and other strings compare exactly.
  bool equal = false;
  if (expected.is_number() && actual.is_number()) {
    equal = expected.is_int64() && actual.is_int64() ? expected.get_int64() == actual.get_int64()
                                                     : json::serialize(expected) == json::serialize(actual);
  } else {
    equal = expected == actual;
  }
  if (!equal) mismatches.push_back(path + ": expected " + show(expected) + ", got " + show(actual));
}

Result<CaseRun> run_case(const json::value& document, const ParameterStore& store, bool with_trace) {
  if (!document.is_object()) return invalid("", "a case file must hold one JSON object");
  const json::object& envelope = document.get_object();
  CaseRun run;
  if (const json::value* id = envelope.if_contains("id"); id && id->is_string()) run.id = id->get_string();
  if (run.id.empty()) return invalid("id", "a case needs a non-empty string id");
  const json::value* kind = envelope.if_contains("kind");
  if (kind == nullptr || !kind->is_string()) return invalid("kind", "a case needs a kind");
  run.kind = kind->get_string();
  const CaseKind* runner = find_case_kind(run.kind);
  if (runner == nullptr) {
    return fail(ErrorCode::unknown_category, "kind", "unknown kind \"" + run.kind + "\"");
  }
  const json::value* input = envelope.if_contains("input");
  if (input == nullptr || !input->is_object()) return invalid("input", "a case needs an input object");
  const json::value* expect = envelope.if_contains("expect");
  const json::value* expect_error = envelope.if_contains("expect_error");
  if (expect && expect_error) return invalid("expect", "a case has expect or expect_error, not both");
  if (expect && !expect->is_object()) return invalid("expect", "expect must be an object");
  if (expect_error && !expect_error->is_string()) return invalid("expect_error", "expect_error must be a string");
  Decimal tolerance;
  if (const json::value* t = envelope.if_contains("tolerance"); t != nullptr) {
    auto parsed = t->is_string() ? Decimal::parse(std::string_view(t->get_string()))
                                 : Result<Decimal>(invalid("tolerance", "tolerance must be a decimal string"));
    if (!parsed || parsed->sign() < 0) return invalid("tolerance", "tolerance must be a decimal string ≥ 0");
    tolerance = *parsed;
  }

  Result<json::object> outcome = json::object();
  try {
    outcome = runner->run(input->get_object(), store, with_trace ? &run.trace : nullptr);
  } catch (const DecimalOverflow&) {
    outcome = out_of_range("input", "an amount is too large to compute exactly");
  }
  if (outcome) {
    run.result = std::move(*outcome);
  } else {
    Error error = outcome.error();
    // A rule that has no value for the date asked means the date is outside the modelled rules.
    if (error.code == ErrorCode::rule_missing) error.code = ErrorCode::out_of_range;
    run.error = std::move(error);
  }

  if (expect) {
    if (run.error) {
      run.verdict = CaseVerdict::failed;
      run.mismatches.push_back("expected a result, got error " + run.error->to_string());
    } else {
      compare_expectation(*expect, *run.result, tolerance, "", run.mismatches);
      run.verdict = run.mismatches.empty() ? CaseVerdict::passed : CaseVerdict::failed;
    }
  } else if (expect_error) {
    const std::string wanted(expect_error->get_string());
    if (!run.error) {
      run.verdict = CaseVerdict::failed;
      run.mismatches.push_back("expected error " + wanted + ", got a result " + show(*run.result));
    } else if (to_string(run.error->code) != wanted) {
      run.verdict = CaseVerdict::failed;
      run.mismatches.push_back("expected error " + wanted + ", got " + run.error->to_string());
    } else {
      run.verdict = CaseVerdict::passed;
    }
  }
  return run;
}

json::array trace_to_json(const Trace& trace) {
  json::array steps;
  for (const TraceStep& step : trace.steps()) {
    json::object item;
    item["step"] = step.name;
    item["rule"] = step.rule_id;
    item["formula"] = step.formula;
    json::object inputs;
    for (const auto& [name, value] : step.inputs) inputs[name] = value;
    item["inputs"] = std::move(inputs);
    json::array parameters;
    for (const TraceParameter& p : step.parameters) {
      json::object param;
      param["key"] = p.key;
      param["value"] = p.value;
      if (!p.jurisdiction.empty()) param["jurisdiction"] = p.jurisdiction;
      if (!p.period.empty()) param["period"] = p.period;
      if (!p.rule_id.empty()) param["rule"] = p.rule_id;
      param["status"] = p.status;
      param["source"] = p.source;
      parameters.push_back(std::move(param));
    }
    item["parameters"] = std::move(parameters);
    item["output"] = step.output;
    steps.push_back(std::move(item));
  }
  return steps;
}

json::object error_to_json(const Error& error) {
  json::object out;
  out["code"] = to_string(error.code);
  out["field"] = error.field;
  out["message"] = error.message;
  return out;
}

json::object case_output(const CaseRun& run, bool with_trace) {
  json::object out;
  out["id"] = run.id;
  if (run.error) {
    out["error"] = error_to_json(*run.error);
  } else {
    out["result"] = *run.result;
    if (with_trace) out["trace"] = trace_to_json(run.trace);
  }
  return out;
}

}  // namespace shebao::rules
