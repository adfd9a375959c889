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
// Performance: the file is read in large blocks; a record keeps its values in
// one buffer (names of CSV records are the header's, not copied), and next()
// reuses the buffers of the record it is given, so reading allocates nothing
// per line once the buffers have grown.
//
// Thread safety: one reader per thread.
#pragma once

#include <algorithm>
#include <cstdint>
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
  // The value of field `i` in file order, nullopt when it is empty or `i` is
  // out of range (a CSV column absent from the header: RecordReader::column_index).
  std::optional<std::string_view> get_at(std::size_t i) const {
    if (i >= ends_.size()) return std::nullopt;
    const std::string_view text = value(i);
    if (text.empty()) return std::nullopt;
    return text;
  }
  // Fields in file order: name and value (empty when the file gives none).
  std::size_t size() const { return ends_.size(); }
  std::string_view name(std::size_t i) const { return columns_ != nullptr ? (*columns_)[i] : names_[i]; }
  std::string_view value(std::size_t i) const {
    const std::uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(text_.data() + begin, ends_[i] - begin);
  }

 private:
  friend class RecordReader;
  void clear(int line, const std::vector<std::string>* columns) {
    line_ = line;
    columns_ = columns;
    names_.clear();
    text_.clear();
    ends_.clear();
  }
  void end_field() { ends_.push_back(static_cast<std::uint32_t>(text_.size())); }

  int line_ = 0;
  const std::vector<std::string>* columns_ = nullptr;  // CSV: the reader's header (outlives the record's use)
  std::vector<std::string> names_;                     // JSON: the record's own keys
  std::string text_;                                   // the values, one after the other
  std::vector<std::uint32_t> ends_;                    // end of each value in text_
};

class RecordReader {
 public:
  ~RecordReader();
  // Format from the extension: .csv, or .json / .jsonl (JSON Lines).
  static Result<std::unique_ptr<RecordReader>> open(const std::filesystem::path& path);

  // Column names: the CSV header, or for JSON Lines the keys of the first record (read ahead).
  const std::vector<std::string>& columns() const { return columns_; }
  // A column's place in each CSV record (for Record::get_at); npos when the header lacks it.
  std::size_t column_index(std::string_view column) const {
    const auto found = std::find(columns_.begin(), columns_.end(), column);
    return found == columns_.end() ? std::string_view::npos : static_cast<std::size_t>(found - columns_.begin());
  }
  bool is_json() const { return json_; }

  // The next record into `out` (its buffers are reused); false at the end of
  // the file. A malformed line is an error naming the line (the reader stays
  // usable: the next call goes on).
  Result<bool> next(Record& out);
  // Bytes read so far (for progress).
  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t size_bytes() const { return size_bytes_; }

 private:
  RecordReader() = default;
  // The next line without its line end, valid until the next call; false at the end.
  bool read_line(std::string_view& line);
  bool fill();  // more bytes into the buffer; false when none
  Result<bool> next_csv(Record& out);
  Result<bool> check_field_count(const Record& out) const;  // true, or the error naming the line
  Result<bool> next_json(Record& out);

  std::FILE* file_ = nullptr;
  std::string path_;
  bool json_ = false;
  bool eof_ = false;
  int line_number_ = 0;
  std::vector<std::string> columns_;
  std::optional<Record> pending_;  // JSON: the first record, read ahead for columns()
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // unread bytes are buffer_[begin_, end_)
  std::size_t end_ = 0;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t size_bytes_ = 0;
};

}  // namespace shebao::ingest
