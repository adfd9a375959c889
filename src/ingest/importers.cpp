#include "ingest/importers.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <set>
#include <span>
#include <thread>
#include <unordered_set>

#include "core/ids.h"
#include "core/region.h"
#include "ingest/record_reader.h"
#include "storage/transaction_batch.h"

namespace shebao::ingest {
namespace {

// ---------------------------------------------------------------------------
// Feedback file: line,status,field,code,message

// Buffered: rows go to a large buffer written with fwrite.
class Feedback {
 public:
  ~Feedback() {
    if (file_ != nullptr) {
      write();  // what was reported before a failure stays readable
      std::fclose(file_);
    }
  }
  Result<void> open(const std::filesystem::path& path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) return fail(ErrorCode::io_error, path.string(), "cannot write the feedback file");
    path_ = path;
    buffer_.reserve(kBufferBytes + 1024);
    buffer_ = "line,status,field,code,message\n";
    return {};
  }
  void accepted(int line) {
    append_number(line);
    buffer_.append(",accepted,,,\n");
    maybe_write();
  }
  void rejected(int line, const Error& error) {
    append_number(line);
    buffer_.append(",rejected,");
    append_field(error.field);
    buffer_.push_back(',');
    buffer_.append(to_string(error.code));
    buffer_.push_back(',');
    append_field(error.message);
    buffer_.push_back('\n');
    maybe_write();
  }
  Result<void> close() {
    write();
    const bool ok = !failed_ && std::fflush(file_) == 0 && std::ferror(file_) == 0;
    std::fclose(file_);
    file_ = nullptr;
    if (!ok) return fail(ErrorCode::io_error, path_.string(), "cannot write the feedback file");
    return {};
  }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 18;
  void append_number(int value) {
    char text[16];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    buffer_.append(text, end);
  }
  void append_field(std::string_view text) {
    if (text.find_first_of(",\"\n\r") == std::string_view::npos) {
      buffer_.append(text);
      return;
    }
    buffer_.push_back('"');
    for (char c : text) {
      if (c == '"') buffer_.push_back('"');
      buffer_.push_back(c);
    }
    buffer_.push_back('"');
  }
  void maybe_write() {
    if (buffer_.size() >= kBufferBytes) write();
  }
  void write() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) failed_ = true;
    buffer_.clear();
  }

  std::FILE* file_ = nullptr;
  std::filesystem::path path_;
  std::string buffer_;
  bool failed_ = false;
};

std::filesystem::path feedback_path_for(const std::filesystem::path& file, const ImportOptions& options) {
  if (!options.feedback_path.empty()) return options.feedback_path;
  return std::filesystem::path(file.string() + ".feedback.csv");
}

Error with_field(Error error, std::string_view field) {
  error.field = std::string(field);
  return error;
}

tl::unexpected<Error> line_error(ErrorCode code, std::string_view field, std::string message) {
  return fail(code, std::string(field), std::move(message));
}

using Columns = std::span<const std::string_view>;

// Checks the header: every required column present, no unknown column.
Result<void> check_columns(const RecordReader& reader, const std::filesystem::path& file,
                           Columns required, Columns optional) {
  for (std::string_view column : required) {
    if (std::find(reader.columns().begin(), reader.columns().end(), column) == reader.columns().end()) {
      return fail(ErrorCode::missing_column, file.string() + ":1",
                  "required column \"" + std::string(column) + "\" is missing");
    }
  }
  for (const std::string& column : reader.columns()) {
    const bool known = std::find(required.begin(), required.end(), column) != required.end() ||
                       std::find(optional.begin(), optional.end(), column) != optional.end();
    if (!known) {
      return fail(ErrorCode::invalid_input, file.string() + ":1",
                  "unknown column \"" + column + "\" (see docs/formats.md)");
    }
  }
  return {};
}

// A record's keys must be known columns (JSON Lines records may differ from the first).
Result<void> check_record_keys(const Record& record, Columns required, Columns optional) {
  for (std::size_t i = 0; i < record.size(); ++i) {
    const std::string_view name = record.name(i);
    if (std::find(required.begin(), required.end(), name) == required.end() &&
        std::find(optional.begin(), optional.end(), name) == optional.end()) {
      return line_error(ErrorCode::invalid_input, name, "unknown key");
    }
  }
  return {};
}

Result<std::string_view> required_value(std::optional<std::string_view> value, std::string_view column) {
  if (!value) return line_error(ErrorCode::invalid_input, column, "required value is missing");
  return *value;
}

Result<std::string_view> required_value(const Record& record, std::string_view column) {
  return required_value(record.get(column), column);
}

Result<Money> parse_money(std::string_view text, std::string_view field) {
  auto money = Money::parse(text);
  if (!money) return tl::unexpected(with_field(money.error(), field));
  return *money;
}

Result<std::string> parse_region(std::string_view text, std::string_view field) {
  auto region = RegionCode::parse(text);
  if (!region) return tl::unexpected(with_field(region.error(), field));
  return std::string(region->text());
}

void report_progress(const RecordReader& reader, const ImportOptions& options, std::int64_t lines) {
  if (options.on_progress && lines % 4096 == 0) options.on_progress(reader.bytes_read(), reader.size_bytes());
}

// ---------------------------------------------------------------------------
// Registry

constexpr std::string_view kPersonRequired[] = {"resident_id", "name", "hukou_region",
                                                                     "retirement_category", "scheme"};
constexpr std::string_view kPersonOptional[] = {"name_pinyin", "phone", "scheme_region",
                                                                     "flexible_base_ratio"};
constexpr std::string_view kEmployerRequired[] = {"credit_code", "name", "region", "size"};
constexpr std::string_view kEmployerOptional[] = {"unit_type"};

}  // namespace

Result<void> check_flexible_base_ratio(const rules::ParameterStore& rules, Date day, std::string_view scheme_region,
                                       const Decimal& ratio) {
  const std::string jurisdiction = registry::province_jurisdiction(scheme_region);
  auto low = rules.find("flexible_min_base_ratio", day, jurisdiction);
  auto high = rules.find("flexible_max_base_ratio", day, jurisdiction);
  if (low && high && (ratio < (*low)->number || ratio > (*high)->number)) {
    return fail(ErrorCode::out_of_range, "flexible_base_ratio",
                ratio.to_string() + " is outside the band " + (*low)->number.to_string() + " .. " +
                    (*high)->number.to_string());
  }
  return {};
}

namespace {

Result<registry::Person> person_from(const Record& record, const rules::ParameterStore& rules, Date today) {
  if (auto ok = check_record_keys(record, kPersonRequired, kPersonOptional); !ok) return tl::unexpected(ok.error());
  auto id_text = required_value(record, "resident_id");
  if (!id_text) return tl::unexpected(id_text.error());
  auto id = ResidentId::parse(*id_text);
  if (!id) return tl::unexpected(with_field(id.error(), "resident_id"));
  if (id->birth_date() > today) {
    return line_error(ErrorCode::bad_birth_date, "resident_id", "birth date " + id->birth_date().to_string() +
                                                                    " is in the future");
  }
  registry::Person person;
  person.resident_id = std::string(id->text());
  person.sex = id->is_male() ? registry::Sex::male : registry::Sex::female;
  person.birth_date = id->birth_date();
  auto name = required_value(record, "name");
  if (!name) return tl::unexpected(name.error());
  person.name = std::string(*name);
  person.name_pinyin = std::string(record.get("name_pinyin").value_or(""));
  person.phone = std::string(record.get("phone").value_or(""));
  auto hukou = required_value(record, "hukou_region");
  if (!hukou) return tl::unexpected(hukou.error());
  auto hukou_region = parse_region(*hukou, "hukou_region");
  if (!hukou_region) return tl::unexpected(hukou_region.error());
  person.hukou_region = *hukou_region;
  auto category = required_value(record, "retirement_category");
  if (!category) return tl::unexpected(category.error());
  if (*category != "male" && *category != "female_55" && *category != "female_50") {
    return line_error(ErrorCode::unknown_category, "retirement_category",
                      "\"" + std::string(*category) + "\" is not male, female_55 or female_50");
  }
  if ((*category == "male") != id->is_male()) {
    return line_error(ErrorCode::invalid_input, "retirement_category",
                      "category " + std::string(*category) + " does not match the sex in the resident ID");
  }
  person.retirement_category = std::string(*category);
  auto scheme_text = required_value(record, "scheme");
  if (!scheme_text) return tl::unexpected(scheme_text.error());
  auto scheme = registry::parse_scheme(*scheme_text);
  if (!scheme) return tl::unexpected(scheme.error());
  person.scheme = *scheme;
  const auto scheme_region = record.get("scheme_region");
  const auto ratio = record.get("flexible_base_ratio");
  if (person.scheme == registry::Scheme::employee) {
    if (scheme_region) return line_error(ErrorCode::invalid_input, "scheme_region", "employees take their employer's region");
    if (ratio) return line_error(ErrorCode::invalid_input, "flexible_base_ratio", "only for flexible workers");
  } else {
    if (!scheme_region) return line_error(ErrorCode::invalid_input, "scheme_region", "required for this scheme");
    auto region = parse_region(*scheme_region, "scheme_region");
    if (!region) return tl::unexpected(region.error());
    person.scheme_region = *region;
    if (person.scheme == registry::Scheme::resident && ratio) {
      return line_error(ErrorCode::invalid_input, "flexible_base_ratio", "only for flexible workers");
    }
  }
  if (person.scheme == registry::Scheme::flexible) {
    if (!ratio) return line_error(ErrorCode::invalid_input, "flexible_base_ratio", "required for flexible workers");
    auto value = Decimal::parse(*ratio);
    if (!value) return tl::unexpected(with_field(value.error(), "flexible_base_ratio"));
    if (auto ok = check_flexible_base_ratio(rules, today, person.scheme_region, *value); !ok) {
      return line_error(ok.error().code, "flexible_base_ratio", ok.error().message);
    }
    person.flexible_base_ratio = *value;
  }
  return person;
}

Result<registry::Employer> employer_from(const Record& record) {
  if (auto ok = check_record_keys(record, kEmployerRequired, kEmployerOptional); !ok) {
    return tl::unexpected(ok.error());
  }
  auto code_text = required_value(record, "credit_code");
  if (!code_text) return tl::unexpected(code_text.error());
  auto code = CreditCode::parse(*code_text);
  if (!code) return tl::unexpected(with_field(code.error(), "credit_code"));
  registry::Employer employer;
  employer.credit_code = std::string(code->text());
  auto name = required_value(record, "name");
  if (!name) return tl::unexpected(name.error());
  employer.name = std::string(*name);
  auto region_text = required_value(record, "region");
  if (!region_text) return tl::unexpected(region_text.error());
  auto region = parse_region(*region_text, "region");
  if (!region) return tl::unexpected(region.error());
  employer.region = *region;
  auto size_text = required_value(record, "size");
  if (!size_text) return tl::unexpected(size_text.error());
  auto size = registry::parse_employer_size(*size_text);
  if (!size) return tl::unexpected(size.error());
  employer.size = *size;
  auto unit_type = registry::parse_unit_type(record.get("unit_type").value_or(""));
  if (!unit_type) return tl::unexpected(unit_type.error());
  employer.unit_type = *unit_type;
  return employer;
}

using Batch = storage::TransactionBatch;

// Reads every record of `reader`: a malformed line is rejected in the feedback
// and skipped; each well-formed record goes to `on_record` (which may stop the
// import with an error). Reports progress.
template <typename OnRecord>
Result<void> for_each_record(RecordReader& reader, const ImportOptions& options, Feedback& feedback,
                             ImportSummary& summary, OnRecord&& on_record) {
  Record record;
  std::int64_t lines = 0;
  while (true) {
    auto got = reader.next(record);
    if (!got) {
      Error error = got.error();
      const int line = std::stoi(error.field.substr(error.field.rfind(':') + 1));
      error.field = "";
      feedback.rejected(line, error);
      ++summary.rejected;
      continue;
    }
    if (!*got) return {};
    report_progress(reader, options, ++lines);
    if (auto ok = on_record(record); !ok) return ok;
  }
}

// Persons go to storage in groups of this many (one bulk write each).
constexpr std::size_t kPersonsPerWrite = 2048;

}  // namespace

Result<ImportSummary> import_registry(const std::filesystem::path& file, storage::Database& database,
                                      const rules::ParameterStore& rules, const ImportOptions& options) {
  auto reader = RecordReader::open(file);
  if (!reader) return tl::unexpected(reader.error());
  const auto& columns = (*reader)->columns();
  const auto has = [&](std::string_view c) { return std::find(columns.begin(), columns.end(), c) != columns.end(); };
  const bool persons = has("resident_id");
  const bool employers = has("credit_code");
  if (persons == employers) {
    return fail(ErrorCode::missing_column, file.string() + ":1",
                "not a registry file: a persons file has resident_id, an employers file credit_code");
  }
  if (!(*reader)->is_json()) {
    auto ok = persons ? check_columns(**reader, file, kPersonRequired, kPersonOptional)
                      : check_columns(**reader, file, kEmployerRequired, kEmployerOptional);
    if (!ok) return tl::unexpected(ok.error());
  }
  ImportSummary summary;
  summary.feedback_path = feedback_path_for(file, options);
  Feedback feedback;
  if (auto ok = feedback.open(summary.feedback_path); !ok) return tl::unexpected(ok.error());
  Batch batch(database, options.batch_lines);
  std::vector<registry::Person> pending_persons;
  const auto write_persons = [&]() -> Result<void> {
    if (pending_persons.empty()) return {};
    auto ok = database.upsert_persons(pending_persons);
    pending_persons.clear();
    return ok;
  };
  batch.set_before_commit(write_persons);
  auto read = for_each_record(**reader, options, feedback, summary, [&](Record& record) -> Result<void> {
    if (persons) {
      auto person = person_from(record, rules, options.today);
      if (!person) {
        feedback.rejected(record.line(), person.error());
        ++summary.rejected;
        return {};
      }
      if (auto ok = batch.ensure_open(); !ok) return ok;
      pending_persons.push_back(std::move(*person));
      if (pending_persons.size() >= kPersonsPerWrite) {
        if (auto ok = write_persons(); !ok) return ok;
      }
    } else {
      auto employer = employer_from(record);
      if (!employer) {
        feedback.rejected(record.line(), employer.error());
        ++summary.rejected;
        return {};
      }
      if (auto ok = batch.ensure_open(); !ok) return ok;
      if (auto stored = database.upsert_employer(*employer); !stored) return tl::unexpected(stored.error());
    }
    feedback.accepted(record.line());
    ++summary.accepted;
    return batch.add(1);
  });
  if (!read) return tl::unexpected(read.error());
  if (auto ok = batch.commit(); !ok) return tl::unexpected(ok.error());
  if (auto ok = feedback.close(); !ok) return tl::unexpected(ok.error());
  return summary;
}

// ---------------------------------------------------------------------------
// Declarations

namespace {

constexpr std::string_view kDeclarationRequired[] = {"credit_code", "month", "resident_id",
                                                                          "wage", "days_worked"};
constexpr std::string_view kDeclarationOptional[] = {"event", "event_date"};

// A declaration line's fields: found by name in a JSON record, by the header's
// place in a CSV one (no name comparisons per line).
enum class DeclarationField { credit_code, month, resident_id, wage, days_worked, event, event_date };
constexpr std::string_view kDeclarationFieldNames[] = {"credit_code", "month",       "resident_id", "wage",
                                                       "days_worked", "event",       "event_date"};

class DeclarationFields {
 public:
  explicit DeclarationFields(const RecordReader& reader) : json_(reader.is_json()) {
    for (std::size_t i = 0; i < index_.size(); ++i) index_[i] = reader.column_index(kDeclarationFieldNames[i]);
  }
  std::optional<std::string_view> get(const Record& record, DeclarationField field) const {
    const auto i = static_cast<std::size_t>(field);
    return json_ ? record.get(kDeclarationFieldNames[i]) : record.get_at(index_[i]);
  }
  Result<std::string_view> required(const Record& record, DeclarationField field) const {
    return required_value(get(record, field), kDeclarationFieldNames[static_cast<std::size_t>(field)]);
  }

 private:
  bool json_;
  std::array<std::size_t, std::size(kDeclarationFieldNames)> index_{};
};

// Days worked, a whole number 0..31; nullopt otherwise. One or two digits are
// read directly; anything else as a decimal (so "7.0" or "031" stay accepted).
std::optional<int> parse_days_worked(std::string_view text) {
  if (!text.empty() && text.size() <= 2 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const int days = text.size() == 1 ? text[0] - '0' : (text[0] - '0') * 10 + (text[1] - '0');
    if (days <= 31) return days;
    return std::nullopt;
  }
  auto days = Decimal::parse(text);
  if (!days || !days->to_int64_exact() || *days->to_int64_exact() < 0 || *days->to_int64_exact() > 31) {
    return std::nullopt;
  }
  return static_cast<int>(*days->to_int64_exact());
}

struct PendingLine {
  int line = 0;
  std::array<char, 18> resident_id{};  // canonical
  storage::DeclarationLine stored;
};

// One (employer, month) unit as the reading thread hands it over, checked as
// far as it can be without the database; or one record rejected as read.
struct ReadUnit {
  // A record rejected as read (a wrong field count): its line and error; no unit.
  std::optional<std::pair<int, Error>> malformed;
  std::string credit_code;  // canonical, when the unit's own checks passed
  std::optional<YearMonth> month;
  std::optional<Error> unit_error;  // every line of the unit is rejected with it
  std::vector<int> record_lines;    // of every record, in file order
  std::vector<PendingLine> pending;  // the lines whose own fields passed, in file order
  std::vector<std::pair<int, Error>> rejected;  // the others, in file order
};

// Person ids seen in a unit: open addressing, emptied in O(1) by a generation count.
class PersonSet {
 public:
  void clear(std::size_t expected) {
    std::size_t capacity = 64;
    while (capacity < expected * 2) capacity *= 2;
    if (capacity > slots_.size()) {
      slots_.assign(capacity, Slot{});
      generation_ = 0;
    }
    ++generation_;
    mask_ = slots_.size() - 1;
  }
  bool contains(std::int64_t id) const {
    for (std::size_t i = hash(id) & mask_; slots_[i].generation == generation_; i = (i + 1) & mask_) {
      if (slots_[i].id == id) return true;
    }
    return false;
  }
  void insert(std::int64_t id) {
    std::size_t i = hash(id) & mask_;
    while (slots_[i].generation == generation_) {
      if (slots_[i].id == id) return;
      i = (i + 1) & mask_;
    }
    slots_[i] = Slot{id, generation_};
  }

 private:
  struct Slot {
    std::int64_t id = 0;
    std::uint64_t generation = 0;
  };
  static std::size_t hash(std::int64_t id) {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ULL) >> 20);
  }
  std::vector<Slot> slots_;
  std::uint64_t generation_ = 0;
  std::size_t mask_ = 0;
};

std::uint64_t fnv1a(std::uint64_t hash, std::string_view text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::uint64_t fnv1a_number(std::uint64_t hash, std::int64_t value) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return fnv1a(hash, std::string_view(text, static_cast<std::size_t>(end - text)));
}

// FNV-1a of "person|wage|days|event|event_date\n" for each line in person order
// (the stored declarations' hashes: the text must stay exactly this). `lines`
// are sorted by person.
std::string content_hash(const std::vector<storage::DeclarationLine>& lines) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const storage::DeclarationLine& line : lines) {
    hash = fnv1a_number(hash, line.person_id);
    hash = fnv1a(hash, "|");
    hash = fnv1a_number(hash, line.wage_fen);
    hash = fnv1a(hash, "|");
    hash = fnv1a_number(hash, line.days_worked);
    hash = fnv1a(hash, "|");
    hash = fnv1a(hash, line.event);
    hash = fnv1a(hash, "|");
    if (line.event_date) hash = fnv1a(hash, line.event_date->to_string());
    hash = fnv1a(hash, "\n");
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

// The reading side of a declaration import: groups records into units
// (employer, month) and checks each unit and line as far as it can without the
// database. Pure; runs on the reading thread.
class UnitParser {
 public:
  UnitParser(const ImportOptions& options, const RecordReader& reader)
      : options_(options), json_(reader.is_json()), fields_(reader) {}

  // Takes the record's contents (`record` gets a buffer to reuse in exchange);
  // a unit the record ends is handed to `done`.
  template <typename Done>
  void add(Record& record, Done&& done) {
    auto credit_code = fields_.get(record, DeclarationField::credit_code).value_or("");
    auto month = fields_.get(record, DeclarationField::month).value_or("");
    if (open_ && (credit_code_ != credit_code || month_text_ != month)) done(close());
    if (!open_) {
      open_ = true;
      credit_code_.assign(credit_code);
      month_text_.assign(month);
      count_ = 0;
      split_ = !seen_units_.insert(credit_code_ + "|" + month_text_).second;
    }
    if (count_ == records_.size()) records_.emplace_back();
    std::swap(records_[count_++], record);
  }
  // The unit still open, if any.
  std::optional<ReadUnit> finish() {
    if (!open_) return std::nullopt;
    return close();
  }

 private:
  ReadUnit close() {
    open_ = false;
    ReadUnit unit;
    unit.record_lines.reserve(count_);
    for (std::size_t i = 0; i < count_; ++i) unit.record_lines.push_back(records_[i].line());
    check_unit(unit);
    if (unit.unit_error) return unit;
    // Each line's own fields; the checks that need the database follow on the
    // storing side, in line order.
    unit.pending.reserve(count_);
    for (std::size_t i = 0; i < count_; ++i) {
      auto line = parse_line(unit, records_[i]);
      if (!line) {
        unit.rejected.emplace_back(records_[i].line(), std::move(line.error()));
        continue;
      }
      unit.pending.push_back(std::move(*line));
    }
    return unit;
  }

  void check_unit(ReadUnit& unit) {
    if (split_) {
      unit.unit_error = Error{ErrorCode::split_declaration, "credit_code",
                              "lines of this employer and month appeared earlier in the file, not contiguous"};
      return;
    }
    if (credit_code_.empty()) {
      unit.unit_error = Error{ErrorCode::invalid_input, "credit_code", "required value is missing"};
      return;
    }
    auto code = CreditCode::parse(credit_code_);
    if (!code) {
      unit.unit_error = with_field(code.error(), "credit_code");
      return;
    }
    if (month_text_.empty()) {
      unit.unit_error = Error{ErrorCode::invalid_input, "month", "required value is missing"};
      return;
    }
    auto month = YearMonth::parse(month_text_);
    if (!month) {
      unit.unit_error = with_field(month.error(), "month");
      return;
    }
    if (*month > options_.today.year_month()) {
      unit.unit_error = Error{ErrorCode::future_month, "month", month_text_ + " is in the future"};
      return;
    }
    unit.credit_code = std::string(code->text());
    unit.month = *month;
  }

  // Validates one line of a valid unit, as far as it can without the database.
  Result<PendingLine> parse_line(const ReadUnit& unit, const Record& record) {
    if (json_) {
      // A CSV record has the header's columns, checked once for the file.
      if (auto ok = check_record_keys(record, kDeclarationRequired, kDeclarationOptional); !ok) {
        return tl::unexpected(ok.error());
      }
    }
    auto id_text = fields_.required(record, DeclarationField::resident_id);
    if (!id_text) return tl::unexpected(id_text.error());
    auto id = ResidentId::parse(*id_text);
    if (!id) return tl::unexpected(with_field(id.error(), "resident_id"));
    auto wage_text = fields_.required(record, DeclarationField::wage);
    if (!wage_text) return tl::unexpected(wage_text.error());
    auto wage = parse_money(*wage_text, "wage");
    if (!wage) return tl::unexpected(wage.error());
    if (wage->fen() < 0) return line_error(ErrorCode::invalid_input, "wage", "a wage cannot be negative");
    auto days_text = fields_.required(record, DeclarationField::days_worked);
    if (!days_text) return tl::unexpected(days_text.error());
    const auto days = parse_days_worked(*days_text);
    if (!days) return line_error(ErrorCode::invalid_input, "days_worked", "days worked must be a whole number 0..31");
    PendingLine pending;
    pending.line = record.line();
    std::copy(id->text().begin(), id->text().end(), pending.resident_id.begin());
    pending.stored.wage_fen = wage->fen();
    pending.stored.days_worked = *days;
    const auto event = fields_.get(record, DeclarationField::event);
    const auto event_date_text = fields_.get(record, DeclarationField::event_date);
    if (event) {
      if (*event != "hire" && *event != "leave") {
        return line_error(ErrorCode::unknown_category, "event", "\"" + std::string(*event) + "\" is not hire or leave");
      }
      if (!event_date_text) return line_error(ErrorCode::invalid_input, "event_date", "required with an event");
      auto event_date = Date::parse(*event_date_text);
      if (!event_date) return tl::unexpected(with_field(event_date.error(), "event_date"));
      if (event_date->year_month() != *unit.month) {
        return line_error(ErrorCode::invalid_input, "event_date", "the event date must lie in the declared month");
      }
      pending.stored.event = std::string(*event);
      pending.stored.event_date = *event_date;
    } else if (event_date_text) {
      return line_error(ErrorCode::invalid_input, "event_date", "an event date needs an event");
    }
    return pending;
  }

  const ImportOptions& options_;
  bool json_;
  DeclarationFields fields_;
  bool open_ = false;
  bool split_ = false;
  std::string credit_code_;
  std::string month_text_;
  std::vector<Record> records_;  // a pool: the open unit's records are the first count_
  std::size_t count_ = 0;
  std::unordered_set<std::string> seen_units_;
};

// The reading thread's units on their way to the storing thread, in file
// order, handed over in groups of about kGroupLines lines (a lock and a wake-up
// per group, not per unit); bounded, so that a file larger than memory streams
// through.
class UnitQueue {
 public:
  // Adds a unit to the group being filled, handed over when full. False when
  // the storing side has stopped (the reader then stops too).
  bool push(ReadUnit unit) {
    filling_lines_ += unit.record_lines.size();
    filling_.push_back(std::move(unit));
    return filling_lines_ < kGroupLines || hand_over();
  }
  // The reader's end: the file read to its end, or an error that ends the import.
  void close(std::optional<Error> error) {
    if (!error) hand_over();
    std::lock_guard lock(mutex_);
    closed_ = true;
    error_ = std::move(error);
    ready_.notify_one();
  }
  // The next group; empty at the end (then error() says whether reading failed).
  std::vector<ReadUnit> pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !groups_.empty() || closed_; });
    if (groups_.empty()) return {};
    std::vector<ReadUnit> group = std::move(groups_.front());
    groups_.pop_front();
    room_.notify_one();
    return group;
  }
  std::optional<Error> error() {
    std::lock_guard lock(mutex_);
    return error_;
  }
  // The storing side stops early (an error): the reader stops at its next group.
  void stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    room_.notify_one();
  }

 private:
  static constexpr std::size_t kGroupLines = 4096;
  static constexpr std::size_t kMaxGroups = 16;
  bool hand_over() {
    if (filling_.empty()) return true;
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return stopped_ || groups_.size() < kMaxGroups; });
    if (stopped_) return false;
    groups_.push_back(std::move(filling_));
    filling_.clear();
    filling_lines_ = 0;
    ready_.notify_one();
    return true;
  }

  std::vector<ReadUnit> filling_;  // the reader's own
  std::size_t filling_lines_ = 0;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;
  std::deque<std::vector<ReadUnit>> groups_;
  bool closed_ = false;
  bool stopped_ = false;
  std::optional<Error> error_;
};

// The storing side of a declaration import: the checks that need the database
// and the writes, one unit at a time in file order, with the feedback.
class DeclarationImport {
 public:
  DeclarationImport(storage::Database& database, const ImportOptions& options, Feedback& feedback,
                    ImportSummary& summary, std::string source)
      : database_(database), feedback_(feedback), summary_(summary), batch_(database, options.batch_lines),
        source_(std::move(source)) {}

  Result<void> store(ReadUnit& unit) {
    if (unit.malformed) {
      feedback_.rejected(unit.malformed->first, unit.malformed->second);
      ++summary_.rejected;
      return {};
    }
    std::optional<std::int64_t> employer_id;
    if (!unit.unit_error) {
      auto found = database_.find_employer_id(unit.credit_code);
      if (!found) return tl::unexpected(found.error());
      if (!*found) {
        unit.unit_error = Error{ErrorCode::unknown_employer, "credit_code", "no registered employer with this code"};
      }
      employer_id = *found;
    }
    if (unit.unit_error) {
      for (const int line : unit.record_lines) {
        feedback_.rejected(line, *unit.unit_error);
        ++summary_.rejected;
      }
      return {};
    }
    return store_lines(unit, *employer_id);
  }

  Result<void> finish() { return batch_.commit(); }

 private:
  // The rest of a line's checks, with its person's id (looked up for the
  // unit's lines at once), in line order.
  Result<void> check_person(const ReadUnit& unit, std::int64_t employer_id, PendingLine& pending,
                            std::optional<std::int64_t> person_id) {
    if (!person_id) return line_error(ErrorCode::unknown_person, "resident_id", "no registered person with this ID");
    pending.stored.person_id = *person_id;
    if (persons_in_unit_.contains(*person_id)) {
      return line_error(ErrorCode::duplicate_line, "resident_id",
                        "this person is already declared in this employer's month");
    }
    if (pending.stored.event != "hire") {
      bool employed_here;
      if (employees_known_) {
        employed_here = employees_.contains(*person_id);
      } else {
        auto employed = database_.employed_in(*person_id, employer_id, *unit.month);
        if (!employed) return tl::unexpected(employed.error());
        employed_here = *employed;
      }
      if (!employed_here) {
        return line_error(ErrorCode::not_employed, "resident_id",
                          "not an employee of this employer in " + unit.month->to_string() + " and no hire event");
      }
    }
    persons_in_unit_.insert(*person_id);
    return {};
  }

  Result<void> store_lines(ReadUnit& unit, std::int64_t employer_id) {
    const std::size_t count = unit.record_lines.size();
    if (auto ok = batch_.ensure_open(); !ok) return ok;
    // Hire and leave events are registry facts: they are applied with the lines
    // in the same transaction, so a rejected line changes nothing.
    accepted_lines_.clear();
    lines_.clear();
    std::vector<std::pair<int, Error>>& rejected = unit.rejected;
    persons_in_unit_.clear(count);
    // The employer's employees in the month, in one query when they are not many
    // more than the lines (a line's own hire or leave changes only its person,
    // who cannot appear again in the unit, so the set stays right for the others).
    auto employees = database_.employees_in(employer_id, *unit.month, count * 8 + 256);
    if (!employees) return tl::unexpected(employees.error());
    employees_known_ = employees->has_value();
    if (employees_known_) {
      employees_.clear((*employees)->size());
      for (const std::int64_t id : **employees) employees_.insert(id);
    }
    // The persons of the lines whose own fields passed (looked up at once),
    // then the checks that need them, in line order: a line's first error is
    // the one it would meet checked alone.
    resident_ids_.clear();
    for (const PendingLine& pending : unit.pending) {
      resident_ids_.emplace_back(pending.resident_id.data(), pending.resident_id.size());
    }
    if (auto found = database_.find_person_ids(resident_ids_, person_ids_); !found) return found;
    const bool parse_rejections = !rejected.empty();
    for (std::size_t i = 0; i < unit.pending.size(); ++i) {
      PendingLine& pending = unit.pending[i];
      if (auto ok = check_person(unit, employer_id, pending, person_ids_[i]); !ok) {
        if (ok.error().code == ErrorCode::internal || ok.error().code == ErrorCode::io_error) {
          return tl::unexpected(ok.error());
        }
        rejected.emplace_back(pending.line, std::move(ok.error()));
        continue;
      }
      accepted_lines_.push_back(pending.line);
      lines_.push_back(std::move(pending.stored));
    }
    if (parse_rejections) {
      std::sort(rejected.begin(), rejected.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    // In person order: the content hash's order, and the order of the storage's
    // keys (declaration lines, employment spells), which then go in side by side.
    std::sort(lines_.begin(), lines_.end(), [](const auto& a, const auto& b) { return a.person_id < b.person_id; });
    // A line's hire or leave changes only its own person, who appears once in
    // the unit: applying them after every line is checked gives the same spells.
    for (const storage::DeclarationLine& line : lines_) {
      if (line.event == "hire") {
        if (auto ok = database_.record_hire(line.person_id, employer_id, *line.event_date); !ok) return ok;
      } else if (line.event == "leave") {
        if (auto ok = database_.record_leave(line.person_id, employer_id, *line.event_date); !ok) return ok;
      }
    }
    if (!lines_.empty()) {
      const std::string hash = content_hash(lines_);
      auto latest = database_.latest_declaration(employer_id, *unit.month);
      if (!latest) return tl::unexpected(latest.error());
      if (*latest && (*latest)->content_hash == hash) {
        ++summary_.unchanged_declarations;
      } else {
        const int version = *latest ? (*latest)->version + 1 : 1;
        auto stored = database_.insert_declaration(employer_id, *unit.month, version, hash, source_, lines_);
        if (!stored) return tl::unexpected(stored.error());
        if (*latest) {
          ++summary_.corrected_declarations;
        } else {
          ++summary_.new_declarations;
        }
      }
    }
    // Feedback in line order.
    std::size_t a = 0, r = 0;
    while (a < accepted_lines_.size() || r < rejected.size()) {
      if (r == rejected.size() || (a < accepted_lines_.size() && accepted_lines_[a] < rejected[r].first)) {
        feedback_.accepted(accepted_lines_[a++]);
        ++summary_.accepted;
      } else {
        feedback_.rejected(rejected[r].first, rejected[r].second);
        ++r;
        ++summary_.rejected;
      }
    }
    return batch_.add(count);
  }

  storage::Database& database_;
  Feedback& feedback_;
  ImportSummary& summary_;
  Batch batch_;
  std::string source_;
  // Per unit, kept to reuse their memory.
  PersonSet persons_in_unit_;
  PersonSet employees_;  // the unit's employer's employees in its month, when employees_known_
  bool employees_known_ = false;
  std::vector<std::string_view> resident_ids_;  // of the unit's pending lines
  std::vector<std::optional<std::int64_t>> person_ids_;
  std::vector<int> accepted_lines_;
  std::vector<storage::DeclarationLine> lines_;
};

}  // namespace

Result<ImportSummary> import_declarations(const std::filesystem::path& file, storage::Database& database,
                                          const ImportOptions& options) {
  auto reader = RecordReader::open(file);
  if (!reader) return tl::unexpected(reader.error());
  if (!(*reader)->is_json()) {
    if (auto ok = check_columns(**reader, file, kDeclarationRequired, kDeclarationOptional); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  ImportSummary summary;
  summary.feedback_path = feedback_path_for(file, options);
  Feedback feedback;
  if (auto ok = feedback.open(summary.feedback_path); !ok) return tl::unexpected(ok.error());
  // Two threads: this one reads the file and checks what it can without the
  // database (UnitParser); the storing one (DeclarationImport) takes the units
  // in file order. The storing thread is the database's only user.
  UnitQueue queue;
  DeclarationImport import(database, options, feedback, summary, file.filename().string());
  Result<void> stored;
  std::thread storing([&] {
    stored = [&]() -> Result<void> {
      try {
        for (auto group = queue.pop(); !group.empty(); group = queue.pop()) {
          for (ReadUnit& unit : group) {
            if (auto ok = import.store(unit); !ok) return ok;
          }
        }
        if (auto error = queue.error()) return tl::unexpected(*error);
        return import.finish();
      } catch (const std::exception& e) {
        return fail(ErrorCode::internal, file.string(), std::string("import stopped: ") + e.what());
      }
    }();
    if (!stored) queue.stop();
  });
  std::optional<Error> read_error;
  try {
    UnitParser parser(options, **reader);
    Record record;
    std::int64_t lines = 0;
    bool going = true;
    const auto hand_over = [&](ReadUnit unit) { going = going && queue.push(std::move(unit)); };
    while (going) {
      auto got = (*reader)->next(record);
      if (!got) {
        // A malformed record: rejected in its place in the feedback.
        Error error = got.error();
        const int line = std::stoi(error.field.substr(error.field.rfind(':') + 1));
        error.field = "";
        ReadUnit malformed;
        malformed.malformed.emplace(line, std::move(error));
        hand_over(std::move(malformed));
        continue;
      }
      if (!*got) break;
      report_progress(**reader, options, ++lines);
      parser.add(record, hand_over);
    }
    if (going) {
      if (auto last = parser.finish()) hand_over(std::move(*last));
    }
  } catch (const std::exception& e) {
    read_error = Error{ErrorCode::internal, file.string(), std::string("reading stopped: ") + e.what()};
  }
  queue.close(read_error);
  storing.join();
  if (!stored) return tl::unexpected(stored.error());
  if (auto ok = feedback.close(); !ok) return tl::unexpected(ok.error());
  return summary;
}

// ---------------------------------------------------------------------------
// Payments

Result<ImportSummary> import_payments(const std::filesystem::path& file, storage::Database& database,
                                      const ImportOptions& options) {
  constexpr std::string_view kRequired[] = {"credit_code", "month", "paid_on"};
  constexpr std::string_view kOptional[] = {""};
  auto reader = RecordReader::open(file);
  if (!reader) return tl::unexpected(reader.error());
  if (!(*reader)->is_json()) {
    if (auto ok = check_columns(**reader, file, kRequired, kOptional); !ok) return tl::unexpected(ok.error());
  }
  ImportSummary summary;
  summary.feedback_path = feedback_path_for(file, options);
  Feedback feedback;
  if (auto ok = feedback.open(summary.feedback_path); !ok) return tl::unexpected(ok.error());
  Batch batch(database, options.batch_lines);
  auto read = for_each_record(**reader, options, feedback, summary, [&](Record& record) -> Result<void> {
    auto checked = [&]() -> Result<std::pair<std::int64_t, std::pair<YearMonth, Date>>> {
      if (auto ok = check_record_keys(record, kRequired, kOptional); !ok) return tl::unexpected(ok.error());
      auto code_text = required_value(record, "credit_code");
      if (!code_text) return tl::unexpected(code_text.error());
      auto code = CreditCode::parse(*code_text);
      if (!code) return tl::unexpected(with_field(code.error(), "credit_code"));
      auto month_text = required_value(record, "month");
      if (!month_text) return tl::unexpected(month_text.error());
      auto month = YearMonth::parse(*month_text);
      if (!month) return tl::unexpected(with_field(month.error(), "month"));
      if (*month > options.today.year_month()) {
        return line_error(ErrorCode::future_month, "month", month->to_string() + " is in the future");
      }
      auto paid_text = required_value(record, "paid_on");
      if (!paid_text) return tl::unexpected(paid_text.error());
      auto paid_on = Date::parse(*paid_text);
      if (!paid_on) return tl::unexpected(with_field(paid_on.error(), "paid_on"));
      if (*paid_on > options.today) return line_error(ErrorCode::invalid_input, "paid_on", "the date is in the future");
      if (*paid_on < Date::first_of(*month)) {
        return line_error(ErrorCode::invalid_input, "paid_on", "paid before the month it pays");
      }
      auto employer_id = database.find_employer_id(code->text());
      if (!employer_id) return tl::unexpected(employer_id.error());
      if (!*employer_id) {
        return line_error(ErrorCode::unknown_employer, "credit_code", "no registered employer with this code");
      }
      return std::make_pair(**employer_id, std::make_pair(*month, *paid_on));
    }();
    if (!checked) {
      if (checked.error().code == ErrorCode::internal || checked.error().code == ErrorCode::io_error) {
        return tl::unexpected(checked.error());
      }
      feedback.rejected(record.line(), checked.error());
      ++summary.rejected;
      return {};
    }
    if (auto ok = batch.ensure_open(); !ok) return ok;
    auto recorded = database.record_payment(checked->first, checked->second.first, checked->second.second);
    if (!recorded) return tl::unexpected(recorded.error());
    feedback.accepted(record.line());
    ++summary.accepted;
    return batch.add(1);
  });
  if (!read) return tl::unexpected(read.error());
  if (auto ok = batch.commit(); !ok) return tl::unexpected(ok.error());
  if (auto ok = feedback.close(); !ok) return tl::unexpected(ok.error());
  return summary;
}

}  // namespace shebao::ingest
