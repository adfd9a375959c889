#include "ingest/record_reader.h"

#include <cstring>

#include <boost/json.hpp>

namespace shebao::ingest {
namespace {

constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

}  // namespace

std::optional<std::string_view> Record::get(std::string_view column) const {
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    if (name(i) == column) {
      const std::string_view text = value(i);
      if (text.empty()) return std::nullopt;
      return text;
    }
  }
  return std::nullopt;
}

RecordReader::~RecordReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Result<std::unique_ptr<RecordReader>> RecordReader::open(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  if (extension != ".csv" && extension != ".json" && extension != ".jsonl") {
    return fail(ErrorCode::invalid_input, path.string(), "unknown file type: use .csv, .json or .jsonl");
  }
  std::unique_ptr<RecordReader> reader(new RecordReader());
  reader->path_ = path.string();
  reader->json_ = extension != ".csv";
  reader->file_ = std::fopen(path.c_str(), "rb");
  if (reader->file_ == nullptr) return fail(ErrorCode::io_error, path.string(), "cannot read the file");
  std::setvbuf(reader->file_, nullptr, _IONBF, 0);  // the reader buffers itself
  std::error_code ec;
  reader->size_bytes_ = std::filesystem::file_size(path, ec);
  reader->buffer_.resize(kBlockBytes);
  if (!reader->json_) {
    std::string_view header_line;
    if (!reader->read_line(header_line)) {
      return fail(ErrorCode::missing_column, path.string() + ":1", "empty file: no header line");
    }
    std::string header(header_line);
    if (header.size() >= 3 && static_cast<unsigned char>(header[0]) == 0xEF) header.erase(0, 3);  // UTF-8 BOM
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i <= header.size(); ++i) {
      const char c = i < header.size() ? header[i] : ',';
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        while (!field.empty() && field.back() == ' ') field.pop_back();
        while (!field.empty() && field.front() == ' ') field.erase(0, 1);
        if (field.empty()) return fail(ErrorCode::missing_column, path.string() + ":1", "empty column name in the header");
        for (const auto& existing : reader->columns_) {
          if (existing == field) {
            return fail(ErrorCode::invalid_input, path.string() + ":1", "column \"" + field + "\" appears twice");
          }
        }
        reader->columns_.push_back(field);
        field.clear();
      } else {
        field.push_back(c);
      }
    }
  } else {
    Record first;
    // Read ahead until the first well-formed record to learn the columns.
    while (true) {
      auto got = reader->next_json(first);
      if (!got) return tl::unexpected(got.error());
      if (!*got) break;
      for (std::size_t i = 0; i < first.size(); ++i) reader->columns_.emplace_back(first.name(i));
      reader->pending_ = std::move(first);
      break;
    }
  }
  return reader;
}

bool RecordReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);  // a line longer than the buffer
  const std::size_t got = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

bool RecordReader::read_line(std::string_view& line) {
  std::size_t scanned = 0;  // bytes of the pending line already searched for '\n'
  while (true) {
    const char* start = buffer_.data() + begin_;
    const std::size_t available = end_ - begin_;
    const void* newline = available > scanned ? std::memchr(start + scanned, '\n', available - scanned) : nullptr;
    std::size_t length;
    std::size_t consumed;
    if (newline != nullptr) {
      length = static_cast<std::size_t>(static_cast<const char*>(newline) - start);
      consumed = length + 1;
    } else {
      scanned = available;
      if (fill()) continue;
      if (available == 0) return false;  // at the end, nothing pending
      start = buffer_.data() + begin_;
      length = available;
      consumed = available;
    }
    begin_ += consumed;
    bytes_read_ += consumed;
    if (length > 0 && start[length - 1] == '\r') --length;
    line = std::string_view(start, length);
    ++line_number_;
    return true;
  }
}

Result<bool> RecordReader::next(Record& out) {
  if (pending_) {
    out = std::move(*pending_);
    pending_.reset();
    return true;
  }
  return json_ ? next_json(out) : next_csv(out);
}

Result<bool> RecordReader::next_csv(Record& out) {
  std::string_view line;
  do {
    if (!read_line(line)) return false;
  } while (line.empty());
  out.clear(line_number_, &columns_);
  std::string& text = out.text_;
  if (std::memchr(line.data(), '"', line.size()) == nullptr) {
    // No quotes (the usual line): the fields are the pieces between commas.
    const char* begin = line.data();
    const char* const end = begin + line.size();
    while (true) {
      const void* comma = std::memchr(begin, ',', static_cast<std::size_t>(end - begin));
      const char* stop = comma != nullptr ? static_cast<const char*>(comma) : end;
      text.append(begin, stop);
      out.end_field();
      if (stop == end) break;
      begin = stop + 1;
    }
    return check_field_count(out);
  }
  std::size_t field_begin = 0;  // where the current field's value starts in text
  bool quoted = false;
  std::size_t i = 0;
  while (true) {
    if (i == line.size()) {
      if (quoted) {
        // A quoted field spans lines.
        if (!read_line(line)) {
          return fail(ErrorCode::invalid_input, path_ + ":" + std::to_string(out.line_), "unterminated quoted field");
        }
        text.push_back('\n');
        i = 0;
        continue;
      }
      out.end_field();
      break;
    }
    if (quoted) {
      // Up to the next quote in one piece.
      const void* quote = std::memchr(line.data() + i, '"', line.size() - i);
      const std::size_t stop = quote ? static_cast<std::size_t>(static_cast<const char*>(quote) - line.data()) : line.size();
      text.append(line.data() + i, stop - i);
      i = stop;
      if (i == line.size()) continue;
      ++i;  // the quote
      if (i < line.size() && line[i] == '"') {
        text.push_back('"');
        ++i;
      } else {
        quoted = false;
      }
      continue;
    }
    const char c = line[i];
    if (c == '"') {
      ++i;
      if (text.size() == field_begin) {
        quoted = true;
      } else {
        text.push_back('"');
      }
    } else if (c == ',') {
      ++i;
      out.end_field();
      field_begin = text.size();
    } else {
      // Plain characters up to the next comma or quote in one piece.
      std::size_t stop = i + 1;
      while (stop < line.size() && line[stop] != ',' && line[stop] != '"') ++stop;
      text.append(line.data() + i, stop - i);
      i = stop;
    }
  }
  return check_field_count(out);
}

Result<bool> RecordReader::check_field_count(const Record& out) const {
  if (out.size() != columns_.size()) {
    return fail(ErrorCode::invalid_input, path_ + ":" + std::to_string(out.line_),
                "line has " + std::to_string(out.size()) + " fields, the header " + std::to_string(columns_.size()));
  }
  return true;
}

Result<bool> RecordReader::next_json(Record& out) {
  std::string_view line;
  do {
    if (!read_line(line)) return false;
  } while (line.find_first_not_of(" \t") == std::string_view::npos);
  out.clear(line_number_, nullptr);
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(line, ec);
  const std::string where = path_ + ":" + std::to_string(out.line_);
  if (ec) return fail(ErrorCode::invalid_input, where, "not valid JSON: " + ec.message());
  if (!value.is_object()) return fail(ErrorCode::invalid_input, where, "each line must be a JSON object");
  for (const auto& [key, field] : value.get_object()) {
    if (field.is_string()) {
      out.text_.append(field.get_string().data(), field.get_string().size());
    } else if (field.is_int64()) {
      out.text_ += std::to_string(field.get_int64());
    } else if (field.is_null()) {
      // empty
    } else {
      return fail(ErrorCode::invalid_input, where + " " + std::string(key),
                  "values are strings (amounts as \"8079.50\") or integers");
    }
    out.names_.emplace_back(key);
    out.end_field();
  }
  return true;
}

}  // namespace shebao::ingest
