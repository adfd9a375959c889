// shebao storage/postgres: reading values of a libpq result (text format, and
// integers of a binary-format result), and writing integers in PostgreSQL's
// binary formats; shared by postgres_database.cpp and postgres_api_store.cpp.
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
// The unsigned value of `length` (at most 8) big-endian bytes: PostgreSQL's
// binary formats.
inline std::uint64_t big_endian(const char* data, int length) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  std::uint64_t value = 0;
  for (int i = 0; i < length; ++i) value = (value << 8) | bytes[i];
  return value;
}
// Writes `value`'s low `length` (at most 8) bytes to `to`, most significant
// first: big_endian's inverse.
inline void write_big_endian(char* to, std::uint64_t value, int length) {
  for (int i = 0; i < length; ++i) to[i] = static_cast<char>((value >> (8 * (length - 1 - i))) & 0xff);
}
// Appends them to `out`.
inline void put_big_endian(std::string& out, std::uint64_t value, int length) {
  char buffer[8];
  write_big_endian(buffer, value, length);
  out.append(buffer, static_cast<std::size_t>(length));
}
// An integer column (smallint, integer or bigint) of a binary-format result:
// big-endian two's complement of the column's width.
inline std::int64_t binary_int_of(const PGresult* r, int row, int column) {
  const char* data = PQgetvalue(r, row, column);
  const int length = PQgetlength(r, row, column);
  std::uint64_t value = big_endian(data, length);
  if (length > 0 && length < 8 && (static_cast<unsigned char>(data[0]) & 0x80) != 0) {
    value |= ~std::uint64_t{0} << (8 * length);
  }
  return static_cast<std::int64_t>(value);
}
inline bool null_at(const PGresult* r, int row, int column) { return PQgetisnull(r, row, column) != 0; }

}  // namespace shebao::storage::pg
