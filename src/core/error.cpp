#include "core/error.h"

namespace shebao {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::unknown_category: return "unknown_category";
    case ErrorCode::out_of_range: return "out_of_range";
    case ErrorCode::bad_length: return "bad_length";
    case ErrorCode::bad_character: return "bad_character";
    case ErrorCode::bad_check_character: return "bad_check_character";
    case ErrorCode::bad_birth_date: return "bad_birth_date";
    case ErrorCode::unknown_region: return "unknown_region";
    case ErrorCode::rules_invalid: return "rules_invalid";
    case ErrorCode::rule_missing: return "rule_missing";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::unknown_person: return "unknown_person";
    case ErrorCode::unknown_employer: return "unknown_employer";
    case ErrorCode::not_employed: return "not_employed";
    case ErrorCode::duplicate_line: return "duplicate_line";
    case ErrorCode::future_month: return "future_month";
    case ErrorCode::split_declaration: return "split_declaration";
    case ErrorCode::missing_column: return "missing_column";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

int exit_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input:
    case ErrorCode::unknown_category:
    case ErrorCode::out_of_range:
    case ErrorCode::bad_length:
    case ErrorCode::bad_character:
    case ErrorCode::bad_check_character:
    case ErrorCode::bad_birth_date:
    case ErrorCode::unknown_region:
    case ErrorCode::not_found:
    case ErrorCode::rule_missing:
    case ErrorCode::unknown_person:
    case ErrorCode::unknown_employer:
    case ErrorCode::not_employed:
    case ErrorCode::duplicate_line:
    case ErrorCode::future_month:
    case ErrorCode::split_declaration:
    case ErrorCode::missing_column:
    case ErrorCode::conflict:
      return 2;
    case ErrorCode::rules_invalid: return 3;
    case ErrorCode::io_error: return 4;
    case ErrorCode::internal: return 70;
  }
  return 70;
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input:
    case ErrorCode::unknown_category:
    case ErrorCode::bad_length:
    case ErrorCode::bad_character:
    case ErrorCode::bad_check_character:
    case ErrorCode::bad_birth_date:
    case ErrorCode::unknown_region:
      return 400;
    case ErrorCode::out_of_range:
    case ErrorCode::rule_missing:
      return 422;
    case ErrorCode::not_found:
    case ErrorCode::unknown_person:
    case ErrorCode::unknown_employer:
      return 404;
    case ErrorCode::not_employed:
    case ErrorCode::duplicate_line:
    case ErrorCode::future_month:
    case ErrorCode::split_declaration:
    case ErrorCode::missing_column:
      return 422;
    case ErrorCode::conflict: return 409;
    case ErrorCode::rules_invalid:
    case ErrorCode::io_error:
    case ErrorCode::internal:
      return 500;
  }
  return 500;
}

std::string Error::to_string() const {
  std::string out(shebao::to_string(code));
  if (!field.empty()) {
    out += ": ";
    out += field;
  }
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

}  // namespace shebao
