// shebao ingest: streaming reader of CSV (with a header line) and JSON Lines files.
//
// Reads one record at a time, so a file of any size is read in bounded memory.
// CSV: comma-separated, fields optionally quoted with '"' (a doubled quote
// inside a quoted field is a quote; a quoted field may span lines), CRLF or LF.
// JSON Lines: one object per line; string values, or integers (read as their
// decimal text). Empty lines are skipped in both.
//
// Each record knows the line it starts on (the CSV header is line 1). Columns
// a record does not have read as absent. The reader refuses, as errors for the
// whole file: an unreadable file, a CSV header with an empty or repeated name,
// a CSV line with a different number of fields than the header is a record
// error (returned by next() with the line), a JSON line that is not an object.
//
// Thread safety: one reader per thread.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace shebao::ingest {

class Record {
 public:
  int line() const { return line_; }
  // The value of a column, nullopt when the record has none (or it is empty).
  std::optional<std::string_view> get(std::string_view column) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  friend class RecordReader;
  int line_ = 0;
  std::vector<std::pair<std::string, std::string>> fields_;
};

class RecordReader {
 public:
  ~RecordReader();
  // Format from the extension: .csv, or .json / .jsonl (JSON Lines).
  static Result<std::unique_ptr<RecordReader>> open(const std::filesystem::path& path);

  // Column names: the CSV header, or for JSON Lines the keys of the first record (read ahead).
  const std::vector<std::string>& columns() const { return columns_; }
  bool is_json() const { return json_; }

  // The next record into `out`; false at the end of the file. A malformed line
  // is an error naming the line (the reader stays usable: the next call goes on).
  Result<bool> next(Record& out);
  // Bytes read so far (for progress).
  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t size_bytes() const { return size_bytes_; }

 private:
  RecordReader() = default;
  bool read_line(std::string& line);  // false at end; strips the line end
  Result<bool> next_csv(Record& out);
  Result<bool> next_json(Record& out);

  std::FILE* file_ = nullptr;
  std::string path_;
  bool json_ = false;
  int line_number_ = 0;
  std::vector<std::string> columns_;
  std::optional<Record> pending_;  // JSON: the first record, read ahead for columns()
  std::uint64_t bytes_read_ = 0;
  std::uint64_t size_bytes_ = 0;
};

}  // namespace shebao::ingest
