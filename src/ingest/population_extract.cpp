#include "ingest/population_extract.h"

#include <algorithm>
#include <climits>
#include <unordered_map>
#include <unordered_set>

#include "core/ids.h"
#include "core/region.h"
#include "ingest/record_reader.h"

namespace shebao::ingest {

// ---------------------------------------------------------------------------
// Reading

namespace {

Error line_error(const std::filesystem::path& path, int line, const Error& error, std::string_view column) {
  return Error{error.code, path.string() + ":" + std::to_string(line),
               std::string(column) + ": " + error.message};
}

Error missing(const std::filesystem::path& path, int line, std::string_view column) {
  return Error{ErrorCode::invalid_input, path.string() + ":" + std::to_string(line),
               std::string(column) + ": a value is required"};
}

}  // namespace

Result<void> read_population(const std::filesystem::path& path,
                             const std::function<void(analytics::PopulationRecord&)>& each) {
  auto reader = RecordReader::open(path);
  if (!reader) return tl::unexpected(reader.error());
  Record record;
  analytics::PopulationRecord out;  // reused: its strings keep their buffers
  for (;;) {
    auto more = (*reader)->next(record);
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    const int line = record.line();
    out.line = line;
    out.employer_credit_code.clear();
    out.monthly_income = Money();
    auto value = [&](std::string_view column) { return record.get(column); };

    const auto id_text = value("resident_id");
    if (!id_text) return tl::unexpected(missing(path, line, "resident_id"));
    auto id = ResidentId::parse(*id_text);
    out.id_valid = id.has_value();
    if (id) {
      out.resident_id = id->text();
    } else if (id.error().code == ErrorCode::bad_check_character || id.error().code == ErrorCode::bad_birth_date ||
               id.error().code == ErrorCode::unknown_region) {
      // The right shape with a wrong check character, date or region: a mistyped ID,
      // kept as given; the person is looked for by the matching engine.
      out.resident_id = *id_text;
    } else {
      return tl::unexpected(line_error(path, line, id.error(), "resident_id"));
    }

    const auto name = value("name");
    if (!name) return tl::unexpected(missing(path, line, "name"));
    out.name = *name;

    const auto birth = value("birth_date");
    if (!birth) return tl::unexpected(missing(path, line, "birth_date"));
    auto birth_date = Date::parse(*birth);
    if (!birth_date) return tl::unexpected(line_error(path, line, birth_date.error(), "birth_date"));
    out.birth_date = *birth_date;

    for (const auto& [column, target] : {std::pair{"region", &out.region}, std::pair{"hukou_region", &out.hukou_region}}) {
      const auto text = value(column);
      if (!text) return tl::unexpected(missing(path, line, column));
      auto region = RegionCode::parse(*text);
      if (!region) return tl::unexpected(line_error(path, line, region.error(), column));
      *target = *text;
    }

    const auto status_text = value("employment_status");
    if (!status_text) return tl::unexpected(missing(path, line, "employment_status"));
    auto status = analytics::parse_employment_status(*status_text);
    if (!status) return tl::unexpected(line_error(path, line, status.error(), "employment_status"));
    out.status = *status;
    if (const auto self = value("self_employed")) {
      if (*self != "0" && *self != "1") {
        return tl::unexpected(Error{ErrorCode::invalid_input, path.string() + ":" + std::to_string(line),
                                    "self_employed: \"" + std::string(*self) + "\" is not 0 or 1"});
      }
      if (*self == "1") {
        if (out.status == analytics::EmploymentStatus::employed || out.status == analytics::EmploymentStatus::seasonal) {
          return tl::unexpected(Error{ErrorCode::invalid_input, path.string() + ":" + std::to_string(line),
                                      "self_employed: 1 contradicts employment_status " + std::string(*status_text)});
        }
        out.status = analytics::EmploymentStatus::self_employed;
      }
    }

    if (const auto employer = value("employer_credit_code")) {
      auto code = CreditCode::parse(*employer);
      if (!code) return tl::unexpected(line_error(path, line, code.error(), "employer_credit_code"));
      out.employer_credit_code = code->text();
    }
    if ((out.status == analytics::EmploymentStatus::employed || out.status == analytics::EmploymentStatus::seasonal) &&
        out.employer_credit_code.empty()) {
      return tl::unexpected(missing(path, line, "employer_credit_code"));
    }

    if (const auto income = value("monthly_income")) {
      auto money = Money::parse(*income);
      if (!money) return tl::unexpected(line_error(path, line, money.error(), "monthly_income"));
      if (money->fen() < 0) {
        return tl::unexpected(Error{ErrorCode::invalid_input, path.string() + ":" + std::to_string(line),
                                    "monthly_income: must not be negative"});
      }
      out.monthly_income = *money;
    }
    each(out);
  }
  return {};
}

std::size_t population_rows_estimate(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<std::size_t>(size / 64 + 1);
}

Result<std::vector<analytics::PopulationRecord>> read_population(const std::filesystem::path& path) {
  std::vector<analytics::PopulationRecord> records;
  // Reserving saves the copies of a growing vector (unused capacity is never touched).
  records.reserve(population_rows_estimate(path));
  auto read = read_population(path, [&](analytics::PopulationRecord& record) { records.push_back(std::move(record)); });
  if (!read) return tl::unexpected(read.error());
  return records;
}

// ---------------------------------------------------------------------------
// Generating

namespace {

// A uniform number in [0, 1) from a seed, a salt and a key.
double unit(std::uint64_t seed, std::uint64_t salt, std::uint64_t key) { return hash_unit(seed, salt, key); }

std::uint64_t key_of(std::string_view id) {  // the first 17 digits
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < 17 && i < id.size(); ++i) key = key * 10 + static_cast<std::uint64_t>(id[i] - '0');
  return key;
}

std::uint64_t hash_text(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

int province_of(std::string_view region) { return (region[0] - '0') * 10 + (region[1] - '0'); }

constexpr std::uint32_t kNone = UINT32_MAX;

struct PersonState {
  std::array<char, 18> id;
  std::string name;
  std::array<char, 6> hukou;
  std::array<char, 6> scheme_region;
  char scheme;  // 'e' employee, 'f' flexible, 'r' resident
  bool seasonal;
  int retirement_age;
  int last_line = INT_MIN;  // month serial of the latest declared line
  std::uint32_t last_employer = kNone;
  std::int64_t last_wage_fen = 0;
};

struct EmployerState {
  std::array<char, 18> code;
  std::array<char, 6> region;
  bool underdeclares;
};

// Income times a factor, rounded to the fen.
Money scaled(Money money, double factor) {
  return Money::from_fen(static_cast<std::int64_t>(static_cast<double>(money.fen()) * factor + 0.5));
}

}  // namespace

struct PopulationExtractSink::State {
  ExtractOptions options;
  std::vector<PersonState> persons;
  std::unordered_map<std::uint64_t, std::uint32_t> person_by_key;
  std::vector<EmployerState> employers;
  std::unordered_map<std::string, std::uint32_t> employer_by_code;
  std::vector<std::vector<std::uint32_t>> employers_by_province = std::vector<std::vector<std::uint32_t>>(100);
};

PopulationExtractSink::PopulationExtractSink(PopulationSink& inner, const ExtractOptions& options)
    : inner_(inner), state_(std::make_unique<State>()) {
  state_->options = options;
}

PopulationExtractSink::~PopulationExtractSink() = default;

void PopulationExtractSink::on_phase(std::string_view name, std::uint64_t total) { inner_.on_phase(name, total); }
void PopulationExtractSink::on_month_begin(YearMonth month) { inner_.on_month_begin(month); }
void PopulationExtractSink::on_payment(const PaymentRow& row) { inner_.on_payment(row); }
void PopulationExtractSink::on_month_end(YearMonth month) { inner_.on_month_end(month); }

void PopulationExtractSink::on_person(const PersonRow& row) {
  inner_.on_person(row);
  PersonState p{};
  std::copy_n(row.resident_id.data(), 18, p.id.begin());
  p.name = std::string(row.name);
  std::copy_n(row.hukou_region.data(), 6, p.hukou.begin());
  if (row.scheme_region.size() == 6) std::copy_n(row.scheme_region.data(), 6, p.scheme_region.begin());
  p.scheme = row.scheme.empty() ? 'e' : row.scheme[0];
  p.seasonal = row.career == "seasonal";
  p.retirement_age = row.retirement_category == "male" ? 60 : row.retirement_category == "female_55" ? 55 : 50;
  state_->person_by_key.emplace(key_of(row.resident_id), static_cast<std::uint32_t>(state_->persons.size()));
  state_->persons.push_back(std::move(p));
}

void PopulationExtractSink::on_employer(const EmployerRow& row) {
  inner_.on_employer(row);
  EmployerState e{};
  std::copy_n(row.credit_code.data(), 18, e.code.begin());
  std::copy_n(row.region.data(), 6, e.region.begin());
  e.underdeclares = unit(state_->options.seed, 0xC0DE, hash_text(row.credit_code)) < 0.05;
  const auto index = static_cast<std::uint32_t>(state_->employers.size());
  state_->employer_by_code.emplace(std::string(row.credit_code), index);
  state_->employers_by_province[static_cast<std::size_t>(province_of(row.region))].push_back(index);
  state_->employers.push_back(e);
}

void PopulationExtractSink::on_declaration_line(const DeclarationLine& line) {
  inner_.on_declaration_line(line);
  auto person = state_->person_by_key.find(key_of(line.resident_id));
  auto employer = state_->employer_by_code.find(std::string(line.credit_code));
  if (person == state_->person_by_key.end() || employer == state_->employer_by_code.end()) return;
  PersonState& p = state_->persons[person->second];
  if (line.month.serial() >= p.last_line) {
    p.last_line = line.month.serial();
    p.last_employer = employer->second;
    p.last_wage_fen = line.wage.fen();
  }
}

ExtractTruth PopulationExtractSink::finish(
    const std::function<void(const analytics::PopulationRecord&, std::string_view)>& emit) {
  State& s = *state_;
  const std::uint64_t seed = s.options.seed;
  const YearMonth month = s.options.end_month;
  const int m = month.serial();
  const int window = s.options.window_months;
  ExtractTruth truth;
  std::array<std::int64_t, analytics::kGroups.size()> registered{};
  int line = 1;  // the header

  auto record_of = [&](std::string_view id, std::string_view name, std::string_view region, std::string_view hukou,
                       analytics::EmploymentStatus status, const EmployerState* employer, Money income) {
    analytics::PopulationRecord r;
    r.line = ++line;
    r.resident_id = std::string(id);
    r.name = std::string(name);
    r.birth_date = ResidentId::parse(id)->birth_date();
    r.region = std::string(region);
    r.hukou_region = std::string(hukou);
    r.status = status;
    if (employer != nullptr) r.employer_credit_code = std::string(employer->code.data(), 18);
    r.monthly_income = income;
    return r;
  };
  auto count = [&](const analytics::PopulationRecord& r, bool covered, analytics::Reason reason) {
    const auto g = static_cast<std::size_t>(analytics::group_of(r));
    ++truth.population[g];
    if (!covered) ++truth.uncovered[g];
    if (!covered && analytics::group_of(r) != analytics::Group::other) ++truth.reasons[static_cast<std::size_t>(reason)];
  };
  auto average = [&](std::string_view region) { return synthetic_average_wage(province_of(region), month.year() - 1); };
  auto random_employer_outside = [&](int province, std::uint64_t key) -> const EmployerState* {
    // Deterministic walk over provinces from a hashed start.
    const std::size_t start = static_cast<std::size_t>(unit(seed, 0xA11, key) * 100);
    for (std::size_t step = 0; step < 100; ++step) {
      const std::size_t p = (start + step) % 100;
      if (static_cast<int>(p) == province || s.employers_by_province[p].empty()) continue;
      const auto& list = s.employers_by_province[p];
      return &s.employers[list[static_cast<std::size_t>(unit(seed, 0xA12, key) * static_cast<double>(list.size()))]];
    }
    return nullptr;
  };

  for (const PersonState& p : s.persons) {
    const std::string_view id(p.id.data(), 18);
    const std::string_view hukou(p.hukou.data(), 6);
    const std::uint64_t key = key_of(id);
    const Date birth = ResidentId::parse(id)->birth_date();
    std::string written(id);
    const auto ymd = birth.ymd();
    if (static_cast<int>(ymd.year()) < 2000 && unit(seed, 0x15, key) < 0.01) {
      written = std::string(id.substr(0, 6)) + std::string(id.substr(8, 9));
      ++truth.legacy_ids;
    }
    analytics::PopulationRecord record;
    bool covered = true;
    analytics::Reason reason = analytics::Reason::none;
    if (p.scheme == 'f') {
      const std::string_view region(p.scheme_region.data(), 6);
      record = record_of(id, p.name, region, hukou, analytics::EmploymentStatus::self_employed, nullptr,
                         scaled(average(region), 0.30 + 2.20 * unit(seed, 0x1F, key)));
    } else if (p.scheme == 'r' || p.last_employer == kNone) {
      record = record_of(id, p.name, hukou, hukou, analytics::EmploymentStatus::not_working, nullptr, Money());
      covered = p.scheme == 'r' || p.last_line >= m - window + 1;
      if (!covered) reason = analytics::Reason::no_contributions;
    } else {
      const EmployerState* employer = &s.employers[p.last_employer];
      const Money wage = Money::from_fen(p.last_wage_fen);
      const Money income = employer->underdeclares ? scaled(wage, 1.25 + 0.35 * unit(seed, 0x1E, key)) : wage;
      covered = p.last_line >= m - window + 1;
      const int age = month.months_since(birth.year_month()) / 12;
      auto status = p.seasonal ? analytics::EmploymentStatus::seasonal : analytics::EmploymentStatus::employed;
      const EmployerState* works_at = employer;
      if (!p.seasonal && p.last_line != m) {
        const double h = unit(seed, 0x1A, key);
        if (age >= p.retirement_age || h >= 0.7) {
          status = analytics::EmploymentStatus::not_working;
          works_at = nullptr;
        } else if (h >= 0.4) {
          works_at = random_employer_outside(province_of(std::string_view(employer->region.data(), 6)), key);
          if (works_at == nullptr) {
            status = analytics::EmploymentStatus::not_working;
          }
        }
      }
      const std::string_view region =
          works_at != nullptr ? std::string_view(works_at->region.data(), 6) : hukou;
      record = record_of(id, p.name, region, hukou, status, works_at,
                         status == analytics::EmploymentStatus::not_working ? Money() : income);
      if (!covered) {
        reason = province_of(region) != province_of(std::string_view(employer->region.data(), 6))
                     ? analytics::Reason::moved_without_transfer
                     : analytics::Reason::lapsed;
      }
    }
    ++registered[static_cast<std::size_t>(analytics::group_of(record))];
    count(record, covered, reason);
    emit(record, written);
  }

  // People who never registered.
  std::unordered_set<std::uint64_t> used;
  used.reserve(s.persons.size());
  for (const auto& [key, index] : s.person_by_key) used.insert(key);
  const std::array<std::pair<analytics::Group, double>, 4> shares{
      std::pair{analytics::Group::employee, 0.04}, std::pair{analytics::Group::self_employed, 0.25},
      std::pair{analytics::Group::seasonal, 0.15}, std::pair{analytics::Group::migrant, 0.12}};
  std::uint64_t serial = 0;
  for (const auto& [group, share] : shares) {
    const auto wanted = static_cast<std::int64_t>(static_cast<double>(registered[static_cast<std::size_t>(group)]) * share + 0.5);
    for (std::int64_t made = 0; made < wanted && !s.employers.empty() && !s.persons.empty(); ++serial) {
      if (serial > static_cast<std::uint64_t>(wanted) * 64 + 1000) break;  // no room (e.g. one province and migrants)
      const std::uint64_t k = serial * 4 + static_cast<std::uint64_t>(group);
      const EmployerState& employer =
          s.employers[static_cast<std::size_t>(unit(seed, 0xE1, k) * static_cast<double>(s.employers.size()))];
      const std::string_view employer_region(employer.region.data(), 6);
      const PersonState& namesake =
          s.persons[static_cast<std::size_t>(unit(seed, 0xE2, k) * static_cast<double>(s.persons.size()))];
      std::string hukou(employer_region);
      if (group == analytics::Group::migrant) {
        const PersonState& other =
            s.persons[static_cast<std::size_t>(unit(seed, 0xE3, k) * static_cast<double>(s.persons.size()))];
        if (province_of(std::string_view(other.hukou.data(), 6)) == province_of(employer_region)) continue;
        hukou = std::string(other.hukou.data(), 6);
      }
      // A fresh resident ID: the hukou region, a birth date 1966..2004, a sequence.
      const int days = static_cast<int>(unit(seed, 0xE4, k) * 14600);
      const Date birth = Date::from_days(std::chrono::sys_days(std::chrono::year(1966) / 1 / 1) + std::chrono::days(days));
      const auto ymd = birth.ymd();
      char first17[40];
      std::snprintf(first17, sizeof first17, "%.6s%04d%02u%02u%03d", hukou.c_str(), static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(unit(seed, 0xE5, k) * 1000));
      const std::string body(first17, 17);
      if (!used.insert(key_of(body)).second) continue;
      const std::string id = body + resident_id_check_character(body);
      analytics::EmploymentStatus status = analytics::EmploymentStatus::employed;
      const EmployerState* works_at = &employer;
      Money income = scaled(average(employer_region), 0.5 + unit(seed, 0xE6, k));
      if (group == analytics::Group::self_employed) {
        status = analytics::EmploymentStatus::self_employed;
        works_at = nullptr;
      } else if (group == analytics::Group::seasonal) {
        status = analytics::EmploymentStatus::seasonal;
      }
      const analytics::PopulationRecord record =
          record_of(id, namesake.name, employer_region, hukou, status, works_at, income);
      if (analytics::group_of(record) != group) continue;
      count(record, false, analytics::Reason::never_registered);
      ++truth.never_registered;
      emit(record, id);
      ++made;
    }
  }
  return truth;
}

}  // namespace shebao::ingest
