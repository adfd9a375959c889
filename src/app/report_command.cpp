#include "app/report_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <thread>

#include <boost/json.hpp>

#include "analytics/compliance.h"
#include "analytics/coverage.h"
#include "ingest/population_extract.h"
#include "ingest/rules_files.h"
#include "storage/database.h"

namespace shebao::app {
namespace {

namespace json = boost::json;

int report_error(const Error& error) {
  std::cerr << "shebao: " << error.to_string() << "\n";
  return exit_status(error.code);
}

std::string yuan(std::int64_t fen) { return Money::from_fen(fen).to_string(); }

std::string percent(double share) {
  char text[16];
  std::snprintf(text, sizeof text, "%5.1f %%", share * 100.0);
  return text;
}

double share_of(std::int64_t part, std::int64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

// A horizontal bar of `width` cells for a share in [0, 1].
std::string bar(double share, int width = 30) {
  const int full = static_cast<int>(std::clamp(share, 0.0, 1.0) * width + 0.5);
  std::string text;
  for (int i = 0; i < full; ++i) text += "█";
  for (int i = full; i < width; ++i) text += "·";
  return text;
}

std::string pad(std::string text, std::size_t width) {
  // Width in characters (UTF-8 continuation bytes do not count).
  std::size_t shown = 0;
  for (const char c : text) shown += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (shown < width) text.append(width - shown, ' ');
  return text;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

struct Loaded {
  std::unique_ptr<storage::Database> db;
  std::vector<analytics::CoverageFacts> registry;
  analytics::CoverageExtract population;
  YearMonth month;
};

struct Opened {
  std::unique_ptr<storage::Database> db;
  YearMonth month;
};

// Opens the database and settles the reference month (--month, else the latest
// month with contributions).
Result<Opened> open_at_month(const DataOptions& options, const ReportArguments& arguments) {
  if (options.db_url.starts_with("sqlite:") && !std::filesystem::exists(options.db_url.substr(7))) {
    return fail(ErrorCode::not_found, "--db",
                "no database at " + options.db_url.substr(7) + "; import a registry first (shebao import registry)");
  }
  auto db = storage::open_database(options.db_url);
  if (!db) return tl::unexpected(db.error());
  Opened opened{std::move(*db), YearMonth()};
  if (!arguments.month.empty()) {
    auto parsed = YearMonth::parse(arguments.month);
    if (!parsed) return fail(ErrorCode::invalid_input, "--month", parsed.error().message);
    opened.month = *parsed;
    return opened;
  }
  auto latest = opened.db->latest_contribution_month();
  if (!latest) return tl::unexpected(latest.error());
  if (!*latest) {
    return fail(ErrorCode::not_found, "--month", "no contributions are booked yet; run `shebao run-month` first");
  }
  opened.month = **latest;
  return opened;
}

// Opens the database, reads the registry's coverage facts and (when given) the
// extract, and settles the reference month.
Result<Loaded> load(const DataOptions& options, const ReportArguments& arguments, bool population_required) {
  Loaded loaded;
  if (population_required && arguments.population.empty()) {
    return fail(ErrorCode::invalid_input, "--population", "give the population extract (CSV), e.g. DIR/population.csv");
  }
  // The extract is read on a second thread while the database is read on this one,
  // kept as the coverage report reads it (no allocation per record).
  std::future<Result<analytics::CoverageExtract>> population;
  if (!arguments.population.empty()) {
    population = std::async(std::launch::async, [path = arguments.population]() -> Result<analytics::CoverageExtract> {
      analytics::CoverageExtract extract;
      extract.reserve(ingest::population_rows_estimate(path));
      auto read = ingest::read_population(path, [&](analytics::PopulationRecord& record) { extract.add(record); });
      if (!read) return tl::unexpected(read.error());
      return extract;
    });
  }
  auto take_population = [&]() -> Result<void> {
    if (!population.valid()) return {};
    auto read = population.get();
    if (!read) return tl::unexpected(read.error());
    loaded.population = std::move(*read);
    return {};
  };
  auto opened = open_at_month(options, arguments);
  if (!opened) return tl::unexpected(opened.error());
  loaded.db = std::move(opened->db);
  loaded.month = opened->month;
  auto registry = loaded.db->coverage_facts(loaded.month);
  if (!registry) return tl::unexpected(registry.error());
  loaded.registry = std::move(*registry);
  if (auto taken = take_population(); !taken) return tl::unexpected(taken.error());
  return loaded;
}

}  // namespace

// ---------------------------------------------------------------------------

int coverage_command(const DataOptions& options, const ReportArguments& arguments) {
  auto loaded = load(options, arguments, true);
  if (!loaded) return report_error(loaded.error());
  analytics::CoverageOptions coverage_options;
  coverage_options.month = loaded->month;
  coverage_options.window_months = arguments.window_months;
  auto report = analytics::coverage_report(loaded->population, loaded->registry,
                                          [&] { return loaded->db->registered_persons(); }, coverage_options);
  if (!report) return report_error(report.error());

  if (!arguments.csv.empty()) {
    std::ofstream out(arguments.csv);
    out << "province,age_band,group,population,covered,coverage\n";
    for (const auto& cell : report->cells) {
      char share[16];
      std::snprintf(share, sizeof share, "%.4f", share_of(cell.covered, cell.population));
      out << cell.province << "," << cell.age_band << "," << analytics::to_string(cell.group) << ","
          << cell.population << "," << cell.covered << "," << share << "\n";
    }
    if (!out) return report_error(Error{ErrorCode::io_error, arguments.csv, "cannot write the file"});
  }
  if (!arguments.uncovered.empty()) {
    std::ofstream out(arguments.uncovered);
    out << "line,resident_id,name,region,group,reason,months_since_last_contribution\n";
    for (const auto& person : report->uncovered) {
      out << person.line << "," << person.resident_id << "," << csv_field(person.name) << "," << person.region << ","
          << analytics::to_string(person.group) << "," << analytics::to_string(person.reason) << ","
          << person.months_since_last << "\n";
    }
    if (!out) return report_error(Error{ErrorCode::io_error, arguments.uncovered, "cannot write the file"});
  }

  if (arguments.json) {
    json::object root;
    root["month"] = report->month.to_string();
    root["window_months"] = report->window_months;
    root["population"] = report->population;
    root["matched"] = report->matched;
    root["matched_by_id"] = report->matched_by_id;
    root["matched_by_engine"] = report->matched_by_engine;
    root["covered"] = report->covered;
    json::object groups;
    for (const auto& group : report->groups) {
      groups[analytics::to_string(group.group)] = {
          {"population", group.population},
          {"covered", group.covered},
          {"uncovered", group.population - group.covered},
          {"uncovered_share", share_of(group.population - group.covered, group.population)}};
    }
    root["groups"] = std::move(groups);
    json::object reasons;
    for (const auto reason : {analytics::Reason::never_registered, analytics::Reason::no_contributions,
                              analytics::Reason::moved_without_transfer, analytics::Reason::lapsed}) {
      reasons[analytics::to_string(reason)] = report->reasons[static_cast<std::size_t>(reason)];
    }
    root["reasons"] = std::move(reasons);
    json::array trend;
    for (const auto& [month, share] : report->trend) trend.push_back({{"month", month.to_string()}, {"coverage", share}});
    root["trend"] = std::move(trend);
    json::array cells;
    for (const auto& cell : report->cells) {
      cells.push_back({{"province", cell.province},
                       {"age_band", cell.age_band},
                       {"group", analytics::to_string(cell.group)},
                       {"population", cell.population},
                       {"covered", cell.covered}});
    }
    root["cells"] = std::move(cells);
    std::cout << json::serialize(root) << "\n";
    return 0;
  }

  std::cout << "Coverage in " << report->month.to_string() << " (a contribution in the last " << report->window_months
            << " months)\n";
  std::cout << "extract: " << report->population << " persons, " << report->matched << " found in the registry ("
            << report->matched_by_id << " by resident ID, " << report->matched_by_engine
            << " by the matching engine)\n\n";
  std::cout << pad("group", 15) << pad("population", 12) << pad("covered", 10) << pad("coverage", 10) << "\n";
  for (const auto& group : report->groups) {
    if (group.population == 0) continue;
    const double share = share_of(group.covered, group.population);
    std::cout << pad(std::string(analytics::to_string(group.group)), 15) << pad(std::to_string(group.population), 12)
              << pad(std::to_string(group.covered), 10) << pad(percent(share), 10) << bar(share) << "\n";
  }
  std::cout << "\nUncovered working people by reason:\n";
  for (const auto reason : {analytics::Reason::never_registered, analytics::Reason::no_contributions,
                            analytics::Reason::moved_without_transfer, analytics::Reason::lapsed}) {
    std::cout << "  " << pad(std::string(analytics::to_string(reason)), 24)
              << report->reasons[static_cast<std::size_t>(reason)] << "\n";
  }
  std::map<int, std::pair<std::int64_t, std::int64_t>> by_province;
  for (const auto& cell : report->cells) {
    if (cell.group == analytics::Group::other) continue;
    by_province[cell.province].first += cell.population;
    by_province[cell.province].second += cell.covered;
  }
  std::cout << "\nCoverage of working people by province:\n";
  for (const auto& [province, counts] : by_province) {
    const double share = share_of(counts.second, counts.first);
    std::cout << "  " << pad(std::to_string(province), 4) << pad(std::to_string(counts.first), 10) << pad(percent(share), 10)
              << bar(share) << "\n";
  }
  std::cout << "\nShare of working people with a contribution, by month:\n";
  for (const auto& [month, share] : report->trend) {
    std::cout << "  " << month.to_string() << "  " << pad(percent(share), 10) << bar(share) << "\n";
  }
  if (arguments.uncovered.empty()) {
    std::cout << "\n" << report->uncovered.size() << " uncovered working people; --uncovered FILE writes the list\n";
  } else {
    std::cout << "\n" << report->uncovered.size() << " uncovered working people written to " << arguments.uncovered << "\n";
  }
  return 0;
}

// ---------------------------------------------------------------------------

int compliance_command(const DataOptions& options, const ReportArguments& arguments) {
  if (arguments.population.empty()) {
    return report_error(
        Error{ErrorCode::invalid_input, "--population", "give the population extract (CSV), e.g. DIR/population.csv"});
  }
  // The extract is read on a second thread while the database is read on this
  // one, keeping only the records compliance reads (workers naming an employer).
  auto population = std::async(std::launch::async,
                               [path = arguments.population]() -> Result<std::vector<analytics::PopulationRecord>> {
                                 std::vector<analytics::PopulationRecord> workers;
                                 workers.reserve(ingest::population_rows_estimate(path));
                                 auto read = ingest::read_population(path, [&](analytics::PopulationRecord& record) {
                                   if (analytics::compliance_reads(record)) workers.push_back(std::move(record));
                                 });
                                 if (!read) return tl::unexpected(read.error());
                                 return workers;
                               });
  auto opened = open_at_month(options, arguments);
  if (!opened) return report_error(opened.error());
  auto store = ingest::load_rules_directory(options.rules_dir);
  if (!store) return report_error(store.error());
  auto persons = opened->db->simulation_persons();
  if (!persons) return report_error(persons.error());
  auto employers = opened->db->employer_facts(opened->month);
  if (!employers) return report_error(employers.error());
  auto lines = opened->db->declared_lines(opened->month);
  if (!lines) return report_error(lines.error());
  auto records = population.get();
  if (!records) return report_error(records.error());
  analytics::ComplianceOptions compliance_options;
  compliance_options.month = opened->month;
  auto report = analytics::compliance_report(*records, *persons, *employers, *lines, *store, compliance_options);
  if (!report) return report_error(report.error());

  if (!arguments.csv.empty()) {
    std::ofstream out(arguments.csv);
    out << "credit_code,name,region,extract_workers,declared_workers,undeclared_workers,short_wages,"
           "extract_income,declared_wages,missing_contributions\n";
    for (const auto& row : report->employers) {
      out << row.credit_code << "," << csv_field(row.name) << "," << row.region << "," << row.extract_workers << ","
          << row.declared_workers << "," << row.undeclared_workers << "," << row.short_wages << ","
          << yuan(row.extract_income_fen) << "," << yuan(row.declared_wages_fen) << ","
          << yuan(row.missing_contributions_fen) << "\n";
    }
    if (!out) return report_error(Error{ErrorCode::io_error, arguments.csv, "cannot write the file"});
  }
  if (arguments.json) {
    json::object root;
    root["month"] = report->month.to_string();
    root["missing_contributions"] = yuan(report->missing_contributions_fen);
    root["extract_workers_unknown_employer"] = report->extract_workers_unknown_employer;
    json::array employers_json;
    for (const auto& row : report->employers) {
      employers_json.push_back({{"credit_code", row.credit_code},
                                {"name", row.name},
                                {"region", row.region},
                                {"extract_workers", row.extract_workers},
                                {"declared_workers", row.declared_workers},
                                {"undeclared_workers", row.undeclared_workers},
                                {"short_wages", row.short_wages},
                                {"extract_income", yuan(row.extract_income_fen)},
                                {"declared_wages", yuan(row.declared_wages_fen)},
                                {"missing_contributions", yuan(row.missing_contributions_fen)}});
    }
    root["employers"] = std::move(employers_json);
    json::array late;
    for (const auto& payer : report->late_payers) {
      late.push_back({{"credit_code", payer.credit_code},
                      {"name", payer.name},
                      {"unpaid_months", payer.unpaid_months},
                      {"arrears", yuan(payer.arrears_fen)},
                      {"late_fees", yuan(payer.late_fees_fen)}});
    }
    root["late_payers"] = std::move(late);
    std::cout << json::serialize(root) << "\n";
    return 0;
  }
  std::cout << "Compliance in " << report->month.to_string() << ": " << report->employers.size()
            << " employers declare fewer workers or lower wages than the extract; estimated missing contributions "
            << yuan(report->missing_contributions_fen) << " yuan a month\n\n";
  std::cout << pad("credit code", 20) << pad("workers", 9) << pad("declared", 10) << pad("undeclared", 12)
            << pad("short", 7) << "missing/month\n";
  const std::size_t shown = std::min<std::size_t>(report->employers.size(), 20);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& row = report->employers[i];
    std::cout << pad(row.credit_code, 20) << pad(std::to_string(row.extract_workers), 9)
              << pad(std::to_string(row.declared_workers), 10) << pad(std::to_string(row.undeclared_workers), 12)
              << pad(std::to_string(row.short_wages), 7) << yuan(row.missing_contributions_fen) << "  " << row.name
              << "\n";
  }
  if (report->employers.size() > shown) {
    std::cout << "... " << report->employers.size() - shown << " more (--csv FILE or --json for all)\n";
  }
  std::cout << "\nLate payers: " << report->late_payers.size() << "\n";
  std::cout << pad("credit code", 20) << pad("months", 8) << pad("arrears", 14) << "late fees\n";
  const std::size_t late_shown = std::min<std::size_t>(report->late_payers.size(), 10);
  for (std::size_t i = 0; i < late_shown; ++i) {
    const auto& payer = report->late_payers[i];
    std::cout << pad(payer.credit_code, 20) << pad(std::to_string(payer.unpaid_months), 8)
              << pad(yuan(payer.arrears_fen), 14) << yuan(payer.late_fees_fen) << "\n";
  }
  return 0;
}

// ---------------------------------------------------------------------------

int simulate_command(const DataOptions& options, const ReportArguments& arguments) {
  std::vector<analytics::ParameterChange> changes;
  for (const std::string& text : arguments.sets) {
    auto change = analytics::parse_parameter_change(text);
    if (!change) return report_error(change.error());
    changes.push_back(std::move(*change));
  }
  if (changes.empty()) {
    return report_error(Error{ErrorCode::invalid_input, "--set", "give at least one KEY=VALUE to change"});
  }
  auto burden = Decimal::parse(arguments.burden);
  if (!burden || burden->sign() <= 0) {
    return report_error(Error{ErrorCode::invalid_input, "--burden", "a share of income > 0, e.g. 0.20"});
  }
  // The extract is read on a second thread, kept only as (ID key, group, income).
  std::future<Result<std::vector<analytics::ExtractFact>>> extract;
  if (!arguments.population.empty()) {
    extract = std::async(std::launch::async, [path = arguments.population]() -> Result<std::vector<analytics::ExtractFact>> {
      std::vector<analytics::ExtractFact> facts;
      auto read = ingest::read_population(path, [&](analytics::PopulationRecord& record) {
        if (!record.id_valid) return;
        facts.push_back(analytics::ExtractFact{analytics::resident_id_key(record.resident_id).value_or(0),
                                               analytics::group_of(record), record.monthly_income.fen()});
      });
      if (!read) return tl::unexpected(read.error());
      return facts;
    });
  }
  auto opened = open_at_month(options, arguments);
  if (!opened) return report_error(opened.error());
  auto store = ingest::load_rules_directory(options.rules_dir);
  if (!store) return report_error(store.error());
  analytics::SimulationInput input;
  input.month = opened->month;
  input.burden_threshold = *burden;
  input.threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1U, 8U));
  auto persons = opened->db->simulation_persons();
  if (!persons) return report_error(persons.error());
  input.persons = std::move(*persons);
  auto employers = opened->db->simulation_employers();
  if (!employers) return report_error(employers.error());
  input.employers = std::move(*employers);
  auto lines = opened->db->declared_lines(opened->month);
  if (!lines) return report_error(lines.error());
  input.lines = std::move(*lines);
  const std::vector<std::int64_t> retiring = analytics::retiring_persons(input.persons, opened->month, *store);
  if (extract.valid()) {
    auto facts = extract.get();
    if (!facts) return report_error(facts.error());
    input.extract = std::move(*facts);
  }
  // The contributions are computed on other threads while this one reads the
  // pension facts (one query per retiring person); then the pensions.
  input.pensions = false;
  auto computed = std::async(std::launch::async, [&] { return analytics::simulate(input, changes, *store); });
  auto pension = opened->db->pension_facts(retiring, opened->month);
  auto report = computed.get();
  if (!report) return report_error(report.error());
  if (!pension) return report_error(pension.error());
  input.pension = std::move(*pension);
  input.contributions = false;
  input.pensions = true;
  auto awards = analytics::simulate(input, changes, *store);
  if (!awards) return report_error(awards.error());
  report->pension_groups = std::move(awards->pension_groups);
  report->pension_persons = awards->pension_persons;
  report->pension_baseline_fen = awards->pension_baseline_fen;
  report->pension_simulated_fen = awards->pension_simulated_fen;
  report->pension_errors = awards->pension_errors;
  report->first_pension_error = std::move(awards->first_pension_error);

  const std::int64_t delta = report->simulated_fen - report->baseline_fen;
  if (arguments.json) {
    json::object root;
    root["month"] = report->month.to_string();
    json::object set;
    for (const auto& change : report->changes) set[change.key] = change.value.to_string();
    root["changes"] = std::move(set);
    root["baseline"] = yuan(report->baseline_fen);
    root["simulated"] = yuan(report->simulated_fen);
    root["change"] = yuan(delta);
    root["change_share"] = share_of(delta, report->baseline_fen);
    json::object groups;
    for (const auto& group : report->groups) {
      groups[analytics::to_string(group.group)] = {{"person_months", group.person_months},
                                                   {"baseline", yuan(group.baseline_fen)},
                                                   {"simulated", yuan(group.simulated_fen)},
                                                   {"change", yuan(group.simulated_fen - group.baseline_fen)}};
    }
    root["groups"] = std::move(groups);
    root["burden_threshold"] = report->changes.empty() ? arguments.burden : arguments.burden;
    root["flexible_with_income"] = report->flexible_with_income;
    root["burdened_baseline"] = report->burdened_baseline;
    root["burdened_simulated"] = report->burdened_simulated;
    root["errors"] = report->errors;
    if (report->errors > 0) root["first_error"] = report->first_error;
    json::object pension_groups;
    for (const auto& group : report->pension_groups) {
      pension_groups[analytics::to_string(group.group)] = {{"persons", group.persons},
                                                           {"baseline", yuan(group.baseline_fen)},
                                                           {"simulated", yuan(group.simulated_fen)},
                                                           {"change", yuan(group.simulated_fen - group.baseline_fen)}};
    }
    root["pension"] = {{"year", report->month.year()},
                       {"persons", report->pension_persons},
                       {"baseline", yuan(report->pension_baseline_fen)},
                       {"simulated", yuan(report->pension_simulated_fen)},
                       {"change", yuan(report->pension_simulated_fen - report->pension_baseline_fen)},
                       {"groups", std::move(pension_groups)},
                       {"errors", report->pension_errors}};
    if (report->pension_errors > 0) root["pension"].as_object()["first_error"] = report->first_pension_error;
    std::cout << json::serialize(root) << "\n";
    return 0;
  }
  std::cout << "Simulation of " << report->month.to_string() << " with";
  for (const auto& change : report->changes) std::cout << " " << change.key << "=" << change.value.to_string();
  std::cout << "\n\n"
            << pad("group", 15) << pad("person-months", 15) << pad("baseline", 18) << pad("simulated", 18) << "change\n";
  for (const auto& group : report->groups) {
    std::cout << pad(std::string(analytics::to_string(group.group)), 15) << pad(std::to_string(group.person_months), 15)
              << pad(yuan(group.baseline_fen), 18) << pad(yuan(group.simulated_fen), 18)
              << yuan(group.simulated_fen - group.baseline_fen) << "\n";
  }
  std::cout << pad("total", 30) << pad(yuan(report->baseline_fen), 18) << pad(yuan(report->simulated_fen), 18)
            << yuan(delta) << " (" << percent(share_of(delta, report->baseline_fen)) << ")\n";
  if (report->flexible_with_income > 0) {
    std::cout << "\nFlexible workers whose minimum contribution exceeds " << arguments.burden << " of their income: "
              << percent(share_of(report->burdened_baseline, report->flexible_with_income)) << " now, "
              << percent(share_of(report->burdened_simulated, report->flexible_with_income)) << " with the change ("
              << report->flexible_with_income << " with an income in the extract)\n";
  } else {
    std::cout << "\nGive --population FILE for the burden of the minimum contribution on flexible workers' income\n";
  }
  if (report->errors > 0) {
    std::cout << report->errors << " person-months could not be computed; first: " << report->first_error << "\n";
  }
  std::cout << "\nPension awards of the " << report->pension_persons << " persons reaching retirement in "
            << report->month.year() << " (total monthly amount)\n"
            << pad("group", 15) << pad("persons", 15) << pad("baseline", 18) << pad("simulated", 18) << "change\n";
  for (const auto& group : report->pension_groups) {
    std::cout << pad(std::string(analytics::to_string(group.group)), 15) << pad(std::to_string(group.persons), 15)
              << pad(yuan(group.baseline_fen), 18) << pad(yuan(group.simulated_fen), 18)
              << yuan(group.simulated_fen - group.baseline_fen) << "\n";
  }
  const std::int64_t pension_delta = report->pension_simulated_fen - report->pension_baseline_fen;
  std::cout << pad("total", 30) << pad(yuan(report->pension_baseline_fen), 18) << pad(yuan(report->pension_simulated_fen), 18)
            << yuan(pension_delta) << " (" << percent(share_of(pension_delta, report->pension_baseline_fen)) << ")\n";
  if (report->pension_errors > 0) {
    std::cout << report->pension_errors << " pensions could not be computed; first: " << report->first_pension_error
              << "\n";
  }
  return 0;
}

}  // namespace shebao::app
