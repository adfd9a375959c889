// shebao storage/postgres: reading values of a libpq result (text format),
// shared by postgres_database.cpp and postgres_api_store.cpp.
//
// Pure: no I/O.
#pragma once

#include <libpq-fe.h>

#include <charconv>
#include <cstdint>
#include <string>

namespace shebao::storage::pg {

inline std::string text_of(const PGresult* r, int row, int column) {
  return std::string(PQgetvalue(r, row, column), static_cast<std::size_t>(PQgetlength(r, row, column)));
}
inline std::int64_t int_of(const PGresult* r, int row, int column) {
  std::int64_t value = 0;
  const char* text = PQgetvalue(r, row, column);
  std::from_chars(text, text + PQgetlength(r, row, column), value);
  return value;
}
inline bool null_at(const PGresult* r, int row, int column) { return PQgetisnull(r, row, column) != 0; }

}  // namespace shebao::storage::pg
