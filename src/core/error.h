// shebao core: the one error taxonomy.
//
// Expected failures (bad input, a missing rule, a value outside a rule's domain)
// are returned as `Result<T>` holding an `Error`; programmer errors assert.
// Every code maps to one process exit status and one HTTP status, here and
// nowhere else (see exit_status() and http_status()).
//
// Thread safety: all types are values; functions are pure.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace shebao {

enum class ErrorCode {
  // Input that is malformed or inconsistent (cases-format.md §4).
  invalid_input,
  // A value outside a fixed set (category, option, size, unit ...).
  unknown_category,
  // A well-formed value outside the domain of the rule.
  out_of_range,
  // Identifier parsers: each failure has its own code.
  bad_length,
  bad_character,
  bad_check_character,
  bad_birth_date,
  unknown_region,
  // The rules data under rules/ is unusable (overlap, gap, unknown key ...).
  rules_invalid,
  // A rule needed for the computation has no value for the date asked.
  rule_missing,
  // A file could not be read or written.
  io_error,
  // A record asked for does not exist.
  not_found,
  // Registry and declaration checks (feedback codes of docs/formats.md).
  unknown_person,
  unknown_employer,
  not_employed,
  duplicate_line,
  future_month,
  split_declaration,
  missing_column,
  // A record conflicts with what is stored (e.g. the same ID with other facts).
  conflict,
  // Any other failure that is a bug, not a user's mistake.
  internal,
};

// Stable snake_case name of a code, as printed in JSON errors.
std::string_view to_string(ErrorCode code);

// Process exit status for a command that failed with this code:
// 2 for bad input of any kind, 3 for unusable rules data, 4 for I/O, 70 for internal.
int exit_status(ErrorCode code);

// HTTP status for the same code (400, 422, 404, 500 ...).
int http_status(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string field;    // offending field, path or "file:line"; may be empty
  std::string message;  // one line for a person, says what is wrong

  // "code: field: message" in one line.
  std::string to_string() const;
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string field, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(field), std::move(message)});
}

}  // namespace shebao
