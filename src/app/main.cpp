// The `shebao` command: parses the command line, calls the modules, prints.
//
// Exit status: 0 success (a checked case passed), 1 a checked case failed,
// 2 invalid input (bad flag, bad value, bad case), 3 unusable rules data,
// 4 a file that cannot be read, 70 internal error (see core/error.h).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/calc_forms.h"
#include "app/data_commands.h"
#include "app/dedup_command.h"
#include "app/gen_command.h"
#include "app/report_command.h"
#include "app/serve_command.h"
#include "app/transfer_command.h"
#include "ingest/rules_files.h"
#include "rules/case_kinds.h"
#include "rules/case_runner.h"

namespace {

namespace json = boost::json;
using namespace shebao;

std::string default_rules_dir() {
  if (const char* env = std::getenv("SHEBAO_RULES")) return env;
  return SHEBAO_RULES_DIR;
}

int report(const Error& error) {
  std::cerr << "shebao: " << error.to_string() << "\n";
  return exit_status(error.code);
}

Result<rules::ParameterStore> load_rules(const std::string& directory) {
  return ingest::load_rules_directory(directory);
}

Result<json::value> read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::io_error, path, "cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value value = json::parse(text.str(), ec);
  if (ec) return fail(ErrorCode::invalid_input, path, "not valid JSON: " + ec.message());
  return value;
}

// `shebao calc --case FILE`: prints the result line; 0 pass (or nothing to check),
// 1 fail, 2 rejected input (unless the case expected exactly that error).
int run_case_file(const std::string& path, const rules::ParameterStore& store, bool with_trace) {
  auto document = read_json_file(path);
  if (!document) {
    json::object out;
    out["id"] = nullptr;
    out["error"] = rules::error_to_json(document.error());
    std::cout << json::serialize(out) << "\n";
    return exit_status(document.error().code);
  }
  auto run = rules::run_case(*document, store, with_trace);
  if (!run) {
    json::object out;
    const json::value* id = document->is_object() ? document->get_object().if_contains("id") : nullptr;
    out["id"] = id ? *id : json::value(nullptr);
    out["error"] = rules::error_to_json(run.error());
    std::cout << json::serialize(out) << "\n";
    return exit_status(run.error().code);
  }
  std::cout << json::serialize(rules::case_output(*run, with_trace)) << "\n";
  for (const std::string& mismatch : run->mismatches) std::cerr << run->id << ": " << mismatch << "\n";
  switch (run->verdict) {
    case rules::CaseVerdict::passed: return 0;
    case rules::CaseVerdict::failed: return 1;
    case rules::CaseVerdict::no_expectation: return run->error ? exit_status(run->error->code) : 0;
  }
  return 0;
}

// `shebao calc --check DIR`: every *.json under DIR; ends with "N passed, N failed".
int check_directory(const std::string& directory, const rules::ParameterStore& store) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    return report(Error{ErrorCode::io_error, directory, "not a directory"});
  }
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(directory, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  int passed = 0;
  int failed = 0;
  for (const auto& file : files) {
    auto document = read_json_file(file.string());
    Result<rules::CaseRun> run = document ? rules::run_case(*document, store, false)
                                          : Result<rules::CaseRun>(tl::unexpected(document.error()));
    if (!run) {
      ++failed;
      std::cout << "FAIL " << file.filename().string() << ": " << run.error().to_string() << "\n";
      continue;
    }
    if (run->verdict == rules::CaseVerdict::passed) {
      ++passed;
    } else {
      ++failed;
      std::cout << "FAIL " << run->id << " (" << file.filename().string() << ")";
      if (run->verdict == rules::CaseVerdict::no_expectation) std::cout << ": no expect or expect_error";
      std::cout << "\n";
      for (const std::string& mismatch : run->mismatches) std::cout << "  " << mismatch << "\n";
    }
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

int rules_check(const std::string& directory) {
  auto files = ingest::read_rules_files(directory);
  if (!files) return report(files.error());
  auto store = rules::ParameterStore::load(*files);
  if (!store) return report(store.error());
  std::cout << "rules ok: " << files->size() << " files, " << store->series_count() << " series, "
            << store->entry_count() << " entries\n";
  return 0;
}

}  // namespace

#ifdef SHEBAO_JEMALLOC
// The command's memory comes from jemalloc (CMake option SHEBAO_JEMALLOC),
// which reads these options at its start: its memory is backed by transparent
// huge pages. A first touch of a 4 KiB page is a trap into the kernel, which
// on a virtual machine can cost tens of microseconds; a 2 MiB page takes one
// trap for 512 of them (month runs, imports and deduplication touch hundreds
// of MiB). MALLOC_CONF in the environment still overrides these.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's configuration symbol
const char* malloc_conf = "thp:always,metadata_thp:auto";
}
#endif

int main(int argc, char** argv) {
  CLI::App app{"shebao — core system for social insurance institutions"};
  app.require_subcommand(1);
  std::string rules_dir = default_rules_dir();
  app.add_option("--rules", rules_dir, "rules directory (default: $SHEBAO_RULES or the built-in path)");

  // calc
  auto* calc = app.add_subcommand("calc", "compute contributions and entitlements, with the reasons");
  std::string case_file;
  std::string check_dir;
  bool no_trace = false;
  calc->add_option("--case", case_file, "run one case file and check its expectation");
  calc->add_option("--check", check_dir, "run every case file under a directory");
  calc->add_flag("--no-trace", no_trace, "leave the trace out of --case output");
  std::vector<app::CalcForm> forms = app::calc_forms();
  std::vector<std::pair<CLI::App*, app::CalcFormInvocation>> form_commands;
  form_commands.reserve(forms.size());
  for (const app::CalcForm& form : forms) {
    form_commands.emplace_back(nullptr, app::CalcFormInvocation{&form, {}, false});
    auto& [command, invocation] = form_commands.back();
    command = calc->add_subcommand(std::string(form.name), std::string(form.summary));
    invocation.values.resize(form.flags.size());
    for (std::size_t i = 0; i < form.flags.size(); ++i) {
      const app::CalcFlag& flag = form.flags[i];
      auto* option = command->add_option("--" + std::string(flag.name), invocation.values[i], std::string(flag.help));
      if (flag.required) option->required();
    }
    command->add_flag("--json", invocation.json, "print JSON instead of text");
  }

  // Data commands: every one takes --db.
  app::DataOptions data;
  std::string today_text;
  auto add_db = [&](CLI::App* command) {
    command->add_option("--db", data.db_url, "database: sqlite:PATH (default sqlite:data/shebao.db)");
    command->add_option("--today", today_text, "treat this date (YYYY-MM-DD) as today");
  };
  auto* migrate = app.add_subcommand("migrate", "create or upgrade the database schema");
  add_db(migrate);
  auto* import = app.add_subcommand("import", "import registry, declaration or payment files (CSV or JSON Lines)");
  import->require_subcommand(1);
  std::vector<std::string> import_files;
  std::string feedback_path;
  std::vector<std::pair<std::string, CLI::App*>> import_kinds;
  for (const char* kind : {"registry", "declaration", "payment"}) {
    auto* command = import->add_subcommand(kind, std::string("import ") + kind + " files; feedback next to each file");
    command->add_option("FILE", import_files, "files to import")->required();
    command->add_option("--feedback", feedback_path, "write the feedback here (one file only)");
    add_db(command);
    import_kinds.emplace_back(kind, command);
  }
  std::string run_month_text;
  auto* run_month = app.add_subcommand("run-month", "book a month's contributions, payments and late fees");
  run_month->add_option("MONTH", run_month_text, "contribution month YYYY-MM")->required();
  add_db(run_month);
  std::string run_year_text;
  auto* run_year = app.add_subcommand("run-year", "credit a year's interest to every personal account");
  run_year->add_option("YEAR", run_year_text, "calendar year YYYY")->required();
  add_db(run_year);
  auto* verify = app.add_subcommand("verify", "recompute balances and check every ledger invariant");
  add_db(verify);
  bool stats_json = false;
  auto* stats = app.add_subcommand("stats", "counts and balances");
  stats->add_flag("--json", stats_json, "print JSON");
  add_db(stats);
  app::GenOptions gen_options;
  auto* gen = app::add_gen_subcommand(app, gen_options);
  app::DedupOptions dedup_options;
  auto* dedup = app::add_dedup_subcommand(app, dedup_options);
  app::GenPeopleOptions gen_people_options;
  auto* gen_people = app::add_gen_people_subcommand(app, gen_people_options);
  auto* transfer = app.add_subcommand("transfer", "move a person's pension relationship between provinces");
  transfer->require_subcommand(1);
  app::TransferArguments transfer_arguments;
  std::vector<CLI::App*> transfer_steps;
  {
    auto* request = transfer->add_subcommand("request", "open a transfer (status: requested)");
    request->add_option("RESIDENT_ID", transfer_arguments.target, "the person")->required();
    request->add_option("--from", transfer_arguments.from, "sending province CN-nn")->required();
    request->add_option("--to", transfer_arguments.to, "receiving province CN-nn")->required();
    add_db(request);
    transfer_steps.push_back(request);
    for (const char* step : {"compute", "send", "credit"}) {
      auto* command = transfer->add_subcommand(step, std::string("the ") + step + " step of a transfer");
      command->add_option("ID", transfer_arguments.target, "transfer id")->required();
      add_db(command);
      transfer_steps.push_back(command);
    }
    auto* status = transfer->add_subcommand("status", "show a transfer, or every transfer of a person");
    status->add_option("ID", transfer_arguments.target, "transfer id or resident ID")->required();
    add_db(status);
    transfer_steps.push_back(status);
  }

  // Analytics: coverage, compliance, policy simulation.
  app::ReportArguments report_arguments;
  auto* report_command = app.add_subcommand("report", "coverage and compliance reports over a population extract");
  report_command->require_subcommand(1);
  auto* coverage = report_command->add_subcommand("coverage", "who is covered, who is not and why");
  auto* compliance = report_command->add_subcommand("compliance", "employers who under-declare; late payers");
  for (CLI::App* command : {coverage, compliance}) {
    command->add_option("--population", report_arguments.population, "population extract (CSV)")->required();
    command->add_option("--month", report_arguments.month, "reference month YYYY-MM (default: latest with contributions)");
    command->add_flag("--json", report_arguments.json, "print JSON");
    command->add_option("--csv", report_arguments.csv, "write the detailed rows as CSV to this file");
    add_db(command);
  }
  coverage->add_option("--window", report_arguments.window_months, "months a contribution counts as coverage (default 3)");
  coverage->add_option("--uncovered", report_arguments.uncovered, "write the uncovered people (CSV) to this file");
  auto* simulate = app.add_subcommand("simulate", "re-run the contribution rules with changed parameters");
  simulate->add_option("--set", report_arguments.sets, "KEY=VALUE, e.g. employer_pension_rate=0.14")->required();
  simulate->add_option("--population", report_arguments.population, "population extract, for incomes and groups");
  simulate->add_option("--month", report_arguments.month, "month YYYY-MM (default: latest with contributions)");
  simulate->add_option("--burden", report_arguments.burden, "share of income for the burden count (default 0.20)");
  simulate->add_flag("--json", report_arguments.json, "print JSON");
  add_db(simulate);
  // HTTP API: serve, user accounts, audit log (app/serve_command.h).
  app::ServeArguments serve_arguments;
  serve_arguments.openapi_path = SHEBAO_OPENAPI_PATH;
  auto* serve = app.add_subcommand("serve", "serve the HTTP API (first line printed: the URL)");
  serve->add_option("--port", serve_arguments.port, "TCP port; 0 picks a free one (default 8080)");
  serve->add_option("--address", serve_arguments.address, "address to listen on (default 127.0.0.1)");
  serve->add_option("--threads", serve_arguments.threads, "worker threads (default: number of cores)");
  serve->add_option("--max-body", serve_arguments.max_body, "largest request body in bytes (default 1 MiB)");
  serve->add_option("--read-timeout-ms", serve_arguments.read_timeout_ms, "time to receive a request (default 10000)");
  serve->add_option("--rate", serve_arguments.rate, "requests per second per client; 0 = no limit (default 200)");
  serve->add_option("--burst", serve_arguments.burst, "burst per client (default 400)");
  serve->add_option("--session-minutes", serve_arguments.session_minutes, "session lifetime (default 480)");
  serve->add_option("--openapi", serve_arguments.openapi_path, "OpenAPI document served at /openapi.json");
  serve_arguments.web_dir = SHEBAO_WEB_DIR;
  serve->add_option("--web", serve_arguments.web_dir, "the built portal to serve (default web/dist when built)")
      ->each([&](const std::string&) { serve_arguments.web_dir_given = true; });
  serve->add_option("--population", serve_arguments.population,
                    "population extract (CSV) for the coverage report GET /v1/reports/coverage");
  serve->add_flag("--quiet", serve_arguments.quiet, "no access log lines");
  add_db(serve);
  auto* user = app.add_subcommand("user", "accounts of the HTTP API");
  user->require_subcommand(1);
  app::UserArguments user_arguments;
  auto* user_add = user->add_subcommand("add", "add an account; the password is read from standard input");
  user_add->add_option("--role", user_arguments.role, "person | employer_agent | officer | auditor | admin")->required();
  user_add->add_option("--login", user_arguments.login, "login name")->required();
  user_add->add_option("--person", user_arguments.person, "resident ID (role person)");
  user_add->add_option("--employer", user_arguments.employer, "credit code (role employer_agent)");
  user_add->add_option("--region", user_arguments.region, "six-digit region (role officer)");
  add_db(user_add);
  auto* audit = app.add_subcommand("audit", "the audit log of personal-data access");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand("verify", "check the hash chain; exit 0 only when intact");
  add_db(audit_verify);

  auto* rules_command = app.add_subcommand("rules", "inspect the rules data");
  auto* rules_check_command = rules_command->add_subcommand("check", "load and validate a rules directory");
  std::string check_rules_dir;
  rules_check_command->add_option("dir", check_rules_dir, "directory (default: --rules)");
  rules_command->require_subcommand(1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }

  if (rules_check_command->parsed()) return rules_check(check_rules_dir.empty() ? rules_dir : check_rules_dir);
  if (gen->parsed()) return app::run_gen_command(gen_options, std::cerr);
  if (dedup->parsed()) return app::run_dedup_command(dedup_options, std::cout, std::cerr);
  if (gen_people->parsed()) return app::run_gen_people_command(gen_people_options, std::cerr);

  data.rules_dir = rules_dir;
  if (!today_text.empty()) {
    auto today = Date::parse(today_text);
    if (!today) return report(Error{ErrorCode::invalid_input, "--today", today.error().message});
    data.today = *today;
  }
  if (migrate->parsed()) return app::migrate_command(data);
  for (const auto& [kind, command] : import_kinds) {
    if (command->parsed()) return app::import_command(data, kind, import_files, feedback_path);
  }
  if (run_month->parsed()) return app::run_month_command(data, run_month_text);
  if (run_year->parsed()) return app::run_year_command(data, run_year_text);
  if (verify->parsed()) return app::verify_command(data);
  for (CLI::App* step : transfer_steps) {
    if (step->parsed()) {
      transfer_arguments.action = step->get_name();
      return app::transfer_command(data, transfer_arguments);
    }
  }
  if (stats->parsed()) return app::stats_command(data, stats_json);
  if (coverage->parsed()) return app::coverage_command(data, report_arguments);
  if (compliance->parsed()) return app::compliance_command(data, report_arguments);
  if (simulate->parsed()) return app::simulate_command(data, report_arguments);
  if (serve->parsed()) return app::serve_command(data, serve_arguments);
  if (user_add->parsed()) return app::user_add_command(data, user_arguments);
  if (audit_verify->parsed()) return app::audit_verify_command(data);

  if (calc->parsed()) {
    auto store = load_rules(rules_dir);
    if (!store) return report(store.error());
    if (!case_file.empty() && !check_dir.empty()) {
      return report(Error{ErrorCode::invalid_input, "--case", "give --case or --check, not both"});
    }
    if (!case_file.empty()) return run_case_file(case_file, *store, !no_trace);
    if (!check_dir.empty()) return check_directory(check_dir, *store);
    for (auto& [command, invocation] : form_commands) {
      if (command->parsed()) return app::run_calc_form(invocation, *store, std::cout, std::cerr);
    }
    std::cerr << calc->help();
    return 2;
  }
  return 2;
}
