// The direct forms of `shebao calc` (retirement, pension, flexible ...): each
// maps command-line flags to the input of one case kind, so a direct question
// goes through exactly the validation and calculation a case file does.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "rules/parameter_store.h"

namespace shebao::app {

enum class FlagType { decimal, integer, text, boolean, age };

struct CalcFlag {
  std::string_view name;  // without "--"
  std::string_view key;   // input key of the kind
  FlagType type;
  bool required;
  std::string_view help;
};

struct CalcForm {
  std::string_view name;  // subcommand
  std::string_view kind;  // case kind
  std::string_view summary;
  std::vector<CalcFlag> flags;
};

struct CalcFormInvocation {
  const CalcForm* form;
  std::vector<std::string> values;  // one per flag, empty = not given
  bool json;
};

std::vector<CalcForm> calc_forms();

// Builds the input, runs the kind, prints text (or JSON with --json) to out and
// errors to err; returns the exit status (0, or 2 for invalid input).
int run_calc_form(const CalcFormInvocation& invocation, const rules::ParameterStore& store, std::ostream& out,
                  std::ostream& err);

}  // namespace shebao::app
