#include "storage/sqlite/declaration_packs.h"

#include <sqlite3.h>

namespace shebao::storage::sqlite_packs {
namespace {

// declaration_line(lines, person_id): the person's line of the pack, or NULL.
void declaration_line(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (sqlite3_value_type(arguments[0]) == SQLITE_NULL || sqlite3_value_type(arguments[1]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(arguments[0]));
  const auto size = static_cast<std::size_t>(sqlite3_value_bytes(arguments[0]));
  const std::int64_t person_id = sqlite3_value_int64(arguments[1]);
  const std::string_view line = find_declaration_line(std::string_view(text == nullptr ? "" : text, size), person_id);
  if (line.empty()) {
    sqlite3_result_null(context);
    return;
  }
  sqlite3_result_text(context, line.data(), static_cast<int>(line.size()), SQLITE_TRANSIENT);
}

// declaration_pack_problem(lines): what is wrong with the pack, or NULL.
void pack_problem(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (sqlite3_value_type(arguments[0]) == SQLITE_NULL) {
    sqlite3_result_text(context, "no lines", -1, SQLITE_STATIC);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(arguments[0]));
  const auto size = static_cast<std::size_t>(sqlite3_value_bytes(arguments[0]));
  const std::string problem = declaration_pack_problem(std::string_view(text == nullptr ? "" : text, size));
  if (problem.empty()) {
    sqlite3_result_null(context);
    return;
  }
  sqlite3_result_text(context, problem.data(), static_cast<int>(problem.size()), SQLITE_TRANSIENT);
}

}  // namespace

int register_declaration_pack_functions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  const int rc =
      sqlite3_create_function_v2(db, "declaration_line", 2, kFlags, nullptr, &declaration_line, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_create_function_v2(db, "declaration_pack_problem", 1, kFlags, nullptr, &pack_problem, nullptr, nullptr,
                                    nullptr);
}

}  // namespace shebao::storage::sqlite_packs
