#include "app/data_commands.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <boost/json.hpp>

#include "app/progress.h"
#include "ingest/importers.h"
#include "ingest/rules_files.h"
#include "jobs/runs.h"
#include "storage/database.h"

namespace shebao::app {
namespace {

int report(const Error& error) {
  std::cerr << "shebao: " << error.to_string() << "\n";
  return exit_status(error.code);
}

Result<std::unique_ptr<storage::Database>> open(const DataOptions& options,
                                                storage::Workload workload = storage::Workload::bulk) {
  if (options.db_url.starts_with("sqlite:")) {
    const std::filesystem::path path(options.db_url.substr(7));
    if (path.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
    }
  }
  return storage::open_database(options.db_url, workload);
}

// Progress for a job that learns its total on the first report.
class LazyProgress {
 public:
  explicit LazyProgress(std::string label) : label_(std::move(label)) {}
  void update(std::uint64_t done, std::uint64_t total) {
    if (!progress_) progress_.emplace(label_, total);
    if (done > progress_->done()) progress_->advance(done - progress_->done());
  }
  void finish() {
    if (progress_) progress_->finish();
  }

 private:
  std::string label_;
  std::optional<Progress> progress_;
};

Date today_of(const DataOptions& options) { return options.today ? *options.today : today_from_clock(); }

std::string fen_text(std::int64_t fen) { return Money::from_fen(fen).to_string(); }

}  // namespace

Date today_from_clock() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return Date::of(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
}

int migrate_command(const DataOptions& options) {
  auto database = open(options);
  if (!database) return report(database.error());
  auto version = (*database)->migrate();
  if (!version) return report(version.error());
  std::cout << "schema version " << *version << " (" << options.db_url << ")\n";
  return 0;
}

int import_command(const DataOptions& options, const std::string& kind, const std::vector<std::string>& files,
                   const std::string& feedback_path) {
  if (files.empty()) return report(Error{ErrorCode::invalid_input, "FILE", "name at least one file to import"});
  if (!feedback_path.empty() && files.size() > 1) {
    return report(Error{ErrorCode::invalid_input, "--feedback", "--feedback takes one file to import, not several"});
  }
  auto database = open(options);
  if (!database) return report(database.error());
  std::optional<rules::ParameterStore> rules;
  if (kind == "registry") {
    auto loaded = ingest::load_rules_directory(options.rules_dir);
    if (!loaded) return report(loaded.error());
    rules = std::move(*loaded);
  }
  int status = 0;
  for (const std::string& file : files) {
    if (file.ends_with(".feedback.csv")) {
      // A glob such as declarations/*.csv also matches the feedback of an earlier import.
      std::cerr << "shebao: skipped " << file << ": a feedback file, not input\n";
      continue;
    }
    ingest::ImportOptions import_options;
    import_options.today = today_of(options);
    import_options.feedback_path = feedback_path;
    LazyProgress progress("import " + std::filesystem::path(file).filename().string() + " (bytes)");
    import_options.on_progress = [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); };
    Result<ingest::ImportSummary> summary = fail(ErrorCode::internal, "", "");
    if (kind == "registry") {
      summary = ingest::import_registry(file, **database, *rules, import_options);
    } else if (kind == "declaration") {
      summary = ingest::import_declarations(file, **database, import_options);
    } else {
      summary = ingest::import_payments(file, **database, import_options);
    }
    progress.finish();
    if (!summary) {
      status = std::max(status, report(summary.error()));
      continue;
    }
    std::cout << file << ": " << summary->accepted << " accepted, " << summary->rejected << " rejected";
    if (kind == "declaration") {
      std::cout << " (declarations: " << summary->new_declarations << " new, " << summary->corrected_declarations
                << " corrected, " << summary->unchanged_declarations << " unchanged)";
    }
    std::cout << "; feedback in " << summary->feedback_path.string() << "\n";
  }
  return status;
}

int run_month_command(const DataOptions& options, const std::string& month_text) {
  auto month = YearMonth::parse(month_text);
  if (!month) return report(Error{ErrorCode::invalid_input, "MONTH", month.error().message});
  if (*month > today_of(options).year_month()) {
    return report(Error{ErrorCode::future_month, "MONTH", month_text + " is in the future"});
  }
  auto rules = ingest::load_rules_directory(options.rules_dir);
  if (!rules) return report(rules.error());
  auto database = open(options, storage::Workload::month_run);
  if (!database) return report(database.error());
  jobs::RunOptions run_options;
  LazyProgress progress("run-month " + month_text + ": declarations");
  run_options.on_progress = [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); };
  auto summary = jobs::run_month(*month, **database, *rules, run_options);
  progress.finish();
  if (!summary) return report(summary.error());
  std::cout << "run-month " << month_text << ": " << summary->person_months << " person-months in "
            << summary->declarations << " declarations, " << summary->reversals << " reversals, "
            << summary->flexible_months << " flexible payments, " << summary->payments << " employer payments, "
            << summary->late_fees << " late fees\n";
  for (const std::string& problem : summary->problems) std::cerr << "shebao: not booked: " << problem << "\n";
  return summary->problems.empty() ? 0 : 2;
}

int run_year_command(const DataOptions& options, const std::string& year_text) {
  auto year = Decimal::parse(year_text);
  if (!year || !year->to_int64_exact() || *year->to_int64_exact() < 1 || *year->to_int64_exact() > 9999 ||
      year_text.size() != 4) {
    return report(Error{ErrorCode::invalid_input, "YEAR", "expected a year YYYY, got \"" + year_text + "\""});
  }
  const int year_value = static_cast<int>(*year->to_int64_exact());
  if (year_value >= today_of(options).year()) {
    return report(Error{ErrorCode::out_of_range, "YEAR", "interest of " + year_text + " is credited after the year ends"});
  }
  auto rules = ingest::load_rules_directory(options.rules_dir);
  if (!rules) return report(rules.error());
  auto database = open(options);
  if (!database) return report(database.error());
  jobs::RunOptions run_options;
  LazyProgress progress("run-year " + year_text + ": accounts");
  run_options.on_progress = [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); };
  auto summary = jobs::run_year(year_value, **database, *rules, run_options);
  progress.finish();
  if (!summary) return report(summary.error());
  std::cout << "run-year " << year_text << ": interest credited to " << summary->accounts << " accounts, "
            << fen_text(summary->interest_fen) << " yuan\n";
  for (const std::string& problem : summary->problems) std::cerr << "shebao: not credited: " << problem << "\n";
  return summary->problems.empty() ? 0 : 2;
}

int verify_command(const DataOptions& options) {
  auto database = open(options);
  if (!database) return report(database.error());
  // A progress line on a terminal: at a national scale the checks take a while.
  Progress progress("verify: checks", 0);
  auto checks = (*database)->verify([&](std::size_t done, std::size_t total) { progress.update(done, total); });
  progress.finish();
  if (!checks) return report(checks.error());
  bool all = true;
  for (const storage::VerifyCheck& check : *checks) {
    const bool ok = check.failures == 0;
    all = all && ok;
    std::cout << (ok ? "ok    " : "FAIL  ") << check.name << " (" << check.checked << " checked";
    if (!ok) std::cout << ", " << check.failures << " failing, first: " << check.first_failure;
    std::cout << ")\n";
  }
  std::cout << (all ? "verify: all invariants hold\n" : "verify: invariants violated\n");
  return all ? 0 : 1;
}

int stats_command(const DataOptions& options, bool json) {
  auto database = open(options);
  if (!database) return report(database.error());
  auto stats = (*database)->stats();
  if (!stats) return report(stats.error());
  if (json) {
    boost::json::object out;
    out["persons"] = stats->persons;
    out["employers"] = stats->employers;
    out["declarations"] = stats->declarations;
    out["declaration_lines"] = stats->declaration_lines;
    out["journal_entries"] = stats->journal_entries;
    out["postings"] = stats->postings;
    out["account_balance_fen"] = stats->personal_account_balance_fen;
    out["pooled_fund_balance_fen"] = stats->pooled_fund_balance_fen;
    out["receivable_balance_fen"] = stats->receivable_balance_fen;
    std::cout << boost::json::serialize(out) << "\n";
  } else {
    std::cout << "persons            " << stats->persons << "\n"
              << "employers          " << stats->employers << "\n"
              << "declarations       " << stats->declarations << " (" << stats->declaration_lines << " lines)\n"
              << "journal entries    " << stats->journal_entries << "\n"
              << "postings           " << stats->postings << "\n"
              << "personal accounts  " << fen_text(stats->personal_account_balance_fen) << " yuan\n"
              << "pooled funds       " << fen_text(stats->pooled_fund_balance_fen) << " yuan\n"
              << "owed by employers  " << fen_text(stats->receivable_balance_fen) << " yuan\n";
  }
  return 0;
}

}  // namespace shebao::app
