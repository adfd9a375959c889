#include "app/gen_command.h"

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <vector>

#include "app/progress.h"
#include "core/error.h"
#include "ingest/population_extract.h"
#include "ingest/synthetic_population.h"

namespace shebao::app {
namespace {

struct IoFailure {
  Error error;
};

[[noreturn]] void throw_io(const std::string& path, const std::string& what) {
  throw IoFailure{Error{ErrorCode::io_error, path, what + ": " + std::strerror(errno)}};
}

// A file written through a large buffer with write(2); throws IoFailure.
class OutputFile {
 public:
  static constexpr std::size_t kBufferSize = 1 << 20;

  OutputFile() = default;
  ~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void open(const std::filesystem::path& path) {
    path_ = path.string();
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_io(path_, "cannot create the file");
    if (buffer_.empty()) buffer_.resize(kBufferSize);
    used_ = 0;
  }

  bool is_open() const { return fd_ >= 0; }

  // Room for at least n bytes at cursor(); n <= kBufferSize.
  char* reserve(std::size_t n) {
    if (used_ + n > buffer_.size()) flush();
    return buffer_.data() + used_;
  }
  void commit(char* end) { used_ = static_cast<std::size_t>(end - buffer_.data()); }

  void append(std::string_view text) {
    if (text.empty()) return;
    if (text.size() > buffer_.size()) {
      flush();
      write_all(text.data(), text.size());
      return;
    }
    char* out = reserve(text.size());
    std::memcpy(out, text.data(), text.size());
    used_ += text.size();
  }

  void flush() {
    write_all(buffer_.data(), used_);
    used_ = 0;
  }

  void close() {
    if (fd_ < 0) return;
    flush();
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw_io(path_, "cannot write the file");
  }

 private:
  void write_all(const char* data, std::size_t size) {
    while (size > 0) {
      const ssize_t written = ::write(fd_, data, size);
      if (written < 0) {
        if (errno == EINTR) continue;
        throw_io(path_, "cannot write the file");
      }
      data += written;
      size -= static_cast<std::size_t>(written);
    }
  }

  std::string path_;
  int fd_ = -1;
  std::vector<char> buffer_;
  std::size_t used_ = 0;
};

char* put(char* out, std::string_view text) {
  if (text.empty()) return out;  // an empty view may carry a null pointer, which memcpy must not get
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

void put2(char* out, unsigned value) {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
}

// "YYYY-MM" (years 1..9999).
char* put_month(char* out, YearMonth month) {
  const int year = month.year();
  out[0] = static_cast<char>('0' + year / 1000);
  out[1] = static_cast<char>('0' + year / 100 % 10);
  out[2] = static_cast<char>('0' + year / 10 % 10);
  out[3] = static_cast<char>('0' + year % 10);
  out[4] = '-';
  put2(out + 5, static_cast<unsigned>(month.month()));
  return out + 7;
}

char* put_date(char* out, Date date) {
  const auto ymd = date.ymd();
  out = put_month(out, YearMonth::of(static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month()))));
  *out++ = '-';
  put2(out, static_cast<unsigned>(ymd.day()));
  return out + 2;
}

// Yuan with exactly two decimals ("8079.50").
char* put_money(char* out, Money money) {
  std::int64_t fen = money.fen();
  if (fen < 0) {
    *out++ = '-';
    fen = -fen;
  }
  out = std::to_chars(out, out + 24, fen / 100).ptr;
  *out++ = '.';
  put2(out, static_cast<unsigned>(fen % 100));
  return out + 2;
}

char* put_int(char* out, int value) { return std::to_chars(out, out + 12, value).ptr; }

class FileSink final : public ingest::PopulationSink {
 public:
  FileSink(std::filesystem::path directory, bool progress) : directory_(std::move(directory)), show_progress_(progress) {
    persons_.open(directory_ / "persons.csv");
    persons_.append(
        "resident_id,name,name_pinyin,hukou_region,phone,retirement_category,scheme,scheme_region,"
        "flexible_base_ratio\n");
    employers_.open(directory_ / "employers.csv");
    employers_.append("credit_code,name,region,size,unit_type\n");
    payments_.open(directory_ / "payments.csv");
    payments_.append("credit_code,month,paid_on\n");
  }

  void on_phase(std::string_view name, std::uint64_t total) override {
    if (progress_) progress_->finish();
    progress_.reset();
    progress_.emplace("gen: " + std::string(name), total, stderr, show_progress_ && Progress::stderr_is_terminal());
  }

  void on_person(const ingest::PersonRow& row) override {
    const std::size_t size = row.resident_id.size() + row.name.size() + row.name_pinyin.size() +
                             row.hukou_region.size() + row.phone.size() + row.retirement_category.size() +
                             row.scheme.size() + row.scheme_region.size() + row.flexible_base_ratio.size() + 16;
    char* out = persons_.reserve(size);
    out = put(out, row.resident_id);
    *out++ = ',';
    out = put(out, row.name);
    *out++ = ',';
    out = put(out, row.name_pinyin);
    *out++ = ',';
    out = put(out, row.hukou_region);
    *out++ = ',';
    out = put(out, row.phone);
    *out++ = ',';
    out = put(out, row.retirement_category);
    *out++ = ',';
    out = put(out, row.scheme);
    *out++ = ',';
    out = put(out, row.scheme_region);
    *out++ = ',';
    out = put(out, row.flexible_base_ratio);
    *out++ = '\n';
    persons_.commit(out);
    advance();
  }

  void on_employer(const ingest::EmployerRow& row) override {
    const std::size_t size = row.credit_code.size() + row.name.size() + row.region.size() + row.size.size() +
                             row.unit_type.size() + 8;
    char* out = employers_.reserve(size);
    out = put(out, row.credit_code);
    *out++ = ',';
    out = put(out, row.name);
    *out++ = ',';
    out = put(out, row.region);
    *out++ = ',';
    out = put(out, row.size);
    *out++ = ',';
    out = put(out, row.unit_type);
    *out++ = '\n';
    employers_.commit(out);
    advance();
  }

  void on_month_begin(YearMonth month) override {
    char name[16];
    char* end = put_month(name, month);
    end = put(end, ".csv");
    const std::filesystem::path path = directory_ / "declarations" / std::string_view(name, static_cast<std::size_t>(end - name));
    declarations_.open(path);
    declarations_.append("credit_code,month,resident_id,wage,days_worked,event,event_date\n");
  }

  void on_declaration_line(const ingest::DeclarationLine& line) override {
    char* out = declarations_.reserve(line.credit_code.size() + line.resident_id.size() + 96);
    out = put(out, line.credit_code);
    *out++ = ',';
    out = put_month(out, line.month);
    *out++ = ',';
    out = put(out, line.resident_id);
    *out++ = ',';
    out = put_money(out, line.wage);
    *out++ = ',';
    out = put_int(out, line.days_worked);
    *out++ = ',';
    if (line.event != ingest::DeclarationEvent::none) {
      out = put(out, ingest::to_string(line.event));
      *out++ = ',';
      out = put_date(out, line.event_date);
    } else {
      *out++ = ',';
    }
    *out++ = '\n';
    declarations_.commit(out);
    advance();
  }

  void on_payment(const ingest::PaymentRow& row) override {
    char* out = payments_.reserve(row.credit_code.size() + 32);
    out = put(out, row.credit_code);
    *out++ = ',';
    out = put_month(out, row.month);
    *out++ = ',';
    out = put_date(out, row.paid_on);
    *out++ = '\n';
    payments_.commit(out);
  }

  void on_month_end(YearMonth /*month*/) override { declarations_.close(); }

  void close() {
    if (progress_) progress_->finish();
    persons_.close();
    employers_.close();
    payments_.close();
    declarations_.close();
  }

 private:
  void advance() {
    if (progress_) progress_->advance();
  }

  std::filesystem::path directory_;
  bool show_progress_;
  std::optional<Progress> progress_;
  OutputFile persons_;
  OutputFile employers_;
  OutputFile payments_;
  OutputFile declarations_;
};

// DIR/population.csv (the extract) and DIR/population_truth.json (what a
// coverage report over it must find). Throws IoFailure.
void write_extract(const std::filesystem::path& directory, ingest::PopulationExtractSink& extract,
                   const ingest::ExtractOptions& options) {
  OutputFile out;
  out.open(directory / "population.csv");
  out.append(
      "resident_id,name,birth_date,region,hukou_region,employment_status,self_employed,employer_credit_code,"
      "monthly_income\n");
  const ingest::ExtractTruth truth = extract.finish([&](const analytics::PopulationRecord& r, std::string_view id) {
    char* line = out.reserve(id.size() + r.name.size() + r.employer_credit_code.size() + 96);
    line = put(line, id);
    *line++ = ',';
    line = put(line, r.name);
    *line++ = ',';
    line = put_date(line, r.birth_date);
    *line++ = ',';
    line = put(line, r.region);
    *line++ = ',';
    line = put(line, r.hukou_region);
    *line++ = ',';
    line = put(line, analytics::to_string(r.status));
    *line++ = ',';
    *line++ = r.status == analytics::EmploymentStatus::self_employed ? '1' : '0';
    *line++ = ',';
    line = put(line, r.employer_credit_code);
    *line++ = ',';
    line = put_money(line, r.monthly_income);
    *line++ = '\n';
    out.commit(line);
  });
  out.close();

  std::string json = "{\n  \"month\": \"" + options.end_month.to_string() +
                     "\",\n  \"window_months\": " + std::to_string(options.window_months) + ",\n  \"groups\": {";
  for (std::size_t g = 0; g < analytics::kGroups.size(); ++g) {
    const double share = truth.population[g] == 0 ? 0.0
                                                   : static_cast<double>(truth.uncovered[g]) /
                                                         static_cast<double>(truth.population[g]);
    char shown[32];
    std::snprintf(shown, sizeof shown, "%.6f", share);
    json += std::string(g == 0 ? "" : ",") + "\n    \"" + std::string(analytics::to_string(analytics::kGroups[g])) +
            "\": {\"population\": " + std::to_string(truth.population[g]) +
            ", \"uncovered\": " + std::to_string(truth.uncovered[g]) + ", \"uncovered_share\": " + shown + "}";
  }
  json += "\n  },\n  \"reasons\": {";
  bool first = true;
  for (const auto reason : {analytics::Reason::never_registered, analytics::Reason::no_contributions,
                            analytics::Reason::moved_without_transfer, analytics::Reason::lapsed}) {
    json += std::string(first ? "" : ",") + "\n    \"" + std::string(analytics::to_string(reason)) +
            "\": " + std::to_string(truth.reasons[static_cast<std::size_t>(reason)]);
    first = false;
  }
  json += "\n  },\n  \"legacy_ids\": " + std::to_string(truth.legacy_ids) + "\n}\n";
  OutputFile truth_file;
  truth_file.open(directory / "population_truth.json");
  truth_file.append(json);
  truth_file.close();
}

int report(std::ostream& err, const Error& error) {
  err << "shebao: " << error.to_string() << "\n";
  return exit_status(error.code);
}

}  // namespace

CLI::App* add_gen_subcommand(CLI::App& parent, GenOptions& options) {
  auto* command = parent.add_subcommand("gen", "write a synthetic population (persons, employers, declarations, payments)");
  command->add_option("--persons", options.persons, "number of persons (1 .. 50,000,000)")->required();
  command->add_option("--regions", options.regions, "number of provinces (1 .. 31)")->required();
  command->add_option("--years", options.years, "number of years of declarations (1 .. 40)")->required();
  command->add_option("--seed", options.seed, "random seed (the same seed gives the same files)")->required();
  command->add_option("--out", options.out, "output directory")->required();
  command->add_option("--end-month", options.end_month, "last month generated, YYYY-MM (default 2026-10)");
  return command;
}

int run_gen_command(const GenOptions& options, std::ostream& err) {
  ingest::PopulationOptions population;
  population.persons = options.persons;
  population.regions = options.regions;
  population.years = options.years;
  population.seed = options.seed;
  if (!options.end_month.empty()) {
    auto month = YearMonth::parse(options.end_month);
    if (!month) {
      return report(err, Error{ErrorCode::invalid_input, "--end-month", month.error().message});
    }
    population.end_month = *month;
  }
  if (auto problem = ingest::validate_population_options(population)) return report(err, *problem);
  if (options.out.empty()) return report(err, Error{ErrorCode::invalid_input, "--out", "give an output directory"});

  const std::filesystem::path directory(options.out);
  std::error_code ec;
  std::filesystem::create_directories(directory / "declarations", ec);
  if (ec) return report(err, Error{ErrorCode::io_error, options.out, "cannot create the directory: " + ec.message()});

  try {
    FileSink sink(directory, options.progress);
    ingest::ExtractOptions extract_options;
    extract_options.seed = population.seed;
    extract_options.end_month = population.end_month;
    ingest::PopulationExtractSink extract(sink, extract_options);
    auto summary = ingest::generate_population(population, extract);
    if (!summary) return report(err, summary.error());
    sink.close();
    write_extract(directory, extract, extract_options);
  } catch (const IoFailure& failure) {
    return report(err, failure.error);
  } catch (const std::bad_alloc&) {
    return report(err, Error{ErrorCode::internal, "", "out of memory"});
  }
  return 0;
}

}  // namespace shebao::app
