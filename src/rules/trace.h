// shebao rules: the trace that says why an amount is what it is.
//
// Every calculator takes a `Trace*`; nullptr means "no trace" and costs
// nothing (the calculators build steps only when a trace is present). A step
// names the rule it applies, the formula, its inputs, every parameter used
// (with its effective period, source and status) and its output.
//
// Thread safety: a Trace is used by one computation at a time.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace shebao::rules {

struct ParamEntry;

struct TraceParameter {
  std::string key;
  std::string value;
  std::string jurisdiction;
  std::string period;  // "2006-01-01..open"
  std::string rule_id;
  std::string status;
  std::string source;  // legal source; "case input (parameters.x)" for an override
};

struct TraceStep {
  std::string name;     // "basic_pension"
  std::string rule_id;  // "CN-EMP-BEN-BASIC-2006"
  std::string formula;  // "round2((W + indexed) / 2 × N × 1%)"
  std::vector<std::pair<std::string, std::string>> inputs;
  std::vector<TraceParameter> parameters;
  std::string output;

  TraceStep& in(std::string name_, std::string value) {
    inputs.emplace_back(std::move(name_), std::move(value));
    return *this;
  }
  TraceStep& param(const ParamEntry& entry);
  // A value that overrides a default for one computation.
  TraceStep& override_param(std::string key, std::string value, std::string origin);
  TraceStep& out(std::string value) {
    output = std::move(value);
    return *this;
  }
};

class Trace {
 public:
  TraceStep& step(std::string name, std::string rule_id, std::string formula) {
    steps_.push_back(TraceStep{std::move(name), std::move(rule_id), std::move(formula), {}, {}, {}});
    return steps_.back();
  }
  const std::vector<TraceStep>& steps() const { return steps_; }
  void clear() { steps_.clear(); }

 private:
  std::vector<TraceStep> steps_;
};

}  // namespace shebao::rules
