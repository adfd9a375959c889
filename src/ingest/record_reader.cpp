#include "ingest/record_reader.h"

#include <boost/json.hpp>

namespace shebao::ingest {

std::optional<std::string_view> Record::get(std::string_view column) const {
  for (const auto& [name, value] : fields_) {
    if (name == column) {
      if (value.empty()) return std::nullopt;
      return std::string_view(value);
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
  std::error_code ec;
  reader->size_bytes_ = std::filesystem::file_size(path, ec);
  if (!reader->json_) {
    std::string header;
    if (!reader->read_line(header)) return fail(ErrorCode::missing_column, path.string() + ":1", "empty file: no header line");
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
      for (const auto& [name, value] : first.fields_) reader->columns_.push_back(name);
      reader->pending_ = std::move(first);
      break;
    }
  }
  return reader;
}

bool RecordReader::read_line(std::string& line) {
  line.clear();
  int c;
  bool any = false;
  while ((c = getc_unlocked(file_)) != EOF) {
    any = true;
    ++bytes_read_;
    if (c == '\n') break;
    line.push_back(static_cast<char>(c));
  }
  if (!any) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  ++line_number_;
  return true;
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
  std::string line;
  do {
    if (!read_line(line)) return false;
  } while (line.empty());
  out.line_ = line_number_;
  out.fields_.clear();
  std::vector<std::string> values;
  std::string field;
  bool quoted = false;
  std::size_t i = 0;
  while (true) {
    if (i == line.size()) {
      if (quoted) {
        // A quoted field spans lines.
        std::string more;
        if (!read_line(more)) {
          return fail(ErrorCode::invalid_input, path_ + ":" + std::to_string(out.line_), "unterminated quoted field");
        }
        field.push_back('\n');
        line = std::move(more);
        i = 0;
        continue;
      }
      values.push_back(std::move(field));
      break;
    }
    const char c = line[i++];
    if (quoted) {
      if (c == '"') {
        if (i < line.size() && line[i] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      values.push_back(std::move(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  if (values.size() != columns_.size()) {
    return fail(ErrorCode::invalid_input, path_ + ":" + std::to_string(out.line_),
                "line has " + std::to_string(values.size()) + " fields, the header " + std::to_string(columns_.size()));
  }
  out.fields_.reserve(values.size());
  for (std::size_t k = 0; k < values.size(); ++k) out.fields_.emplace_back(columns_[k], std::move(values[k]));
  return true;
}

Result<bool> RecordReader::next_json(Record& out) {
  std::string line;
  do {
    if (!read_line(line)) return false;
  } while (line.find_first_not_of(" \t") == std::string::npos);
  out.line_ = line_number_;
  out.fields_.clear();
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(line, ec);
  const std::string where = path_ + ":" + std::to_string(out.line_);
  if (ec) return fail(ErrorCode::invalid_input, where, "not valid JSON: " + ec.message());
  if (!value.is_object()) return fail(ErrorCode::invalid_input, where, "each line must be a JSON object");
  for (const auto& [key, field] : value.get_object()) {
    std::string text;
    if (field.is_string()) {
      text = field.get_string();
    } else if (field.is_int64()) {
      text = std::to_string(field.get_int64());
    } else if (field.is_null()) {
      text.clear();
    } else {
      return fail(ErrorCode::invalid_input, where + " " + std::string(key),
                  "values are strings (amounts as \"8079.50\") or integers");
    }
    out.fields_.emplace_back(std::string(key), std::move(text));
  }
  return true;
}

}  // namespace shebao::ingest
