#include "app/serve_command.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <iostream>
#include <sstream>
#include <thread>

#include "audit/audit_log.h"
#include "audit/chain.h"
#include "auth/credentials.h"
#include "auth/policy.h"
#include "core/ids.h"
#include "core/region.h"
#include "ingest/population_extract.h"
#include "ingest/rules_files.h"
#include "server/api.h"
#include "server/http_server.h"
#include "statement/statement.h"
#include "server/static_files.h"
#include "storage/api_store.h"
#include "storage/database.h"

namespace shebao::app {
namespace {

int report(const Error& error) {
  std::cerr << "shebao: " << error.to_string() << "\n";
  return exit_status(error.code);
}

}  // namespace

int serve_command(const DataOptions& options, const ServeArguments& arguments) {
  if (auto ok = auth::init_crypto(); !ok) return report(ok.error());
  if (arguments.port < 0 || arguments.port > 65535) {
    return report(Error{ErrorCode::out_of_range, "--port", "a port is 0..65535"});
  }
  auto database = storage::open_database(options.db_url);  // creates and migrates
  if (!database) return report(database.error());
  auto rules = ingest::load_rules_directory(options.rules_dir);
  if (!rules) return report(rules.error());
  std::string openapi;
  {
    std::ifstream in(arguments.openapi_path, std::ios::binary);
    if (!in) return report(Error{ErrorCode::io_error, arguments.openapi_path, "cannot read the OpenAPI document"});
    std::stringstream text;
    text << in.rdbuf();
    openapi = text.str();
  }
  // The population extract of the coverage report: read once; a bad file stops the start.
  std::shared_ptr<const std::vector<analytics::PopulationRecord>> population;
  if (!arguments.population.empty()) {
    auto records = ingest::read_population(arguments.population);
    if (!records) {
      Error error = records.error();
      error.message = "population extract (--population): " + error.message;
      return report(error);
    }
    population = std::make_shared<const std::vector<analytics::PopulationRecord>>(std::move(*records));
  }
  auto audit_store = storage::open_api_store(options.db_url);
  if (!audit_store) return report(audit_store.error());
  auto audit_log = audit::AuditLog::open(std::move(*audit_store));
  if (!audit_log) return report(audit_log.error());

  // Persons registered or imported since the last start get their search keys
  // now, so that the first search does not wait for them.
  {
    auto search_store = storage::open_api_store(options.db_url);
    if (!search_store) return report(search_store.error());
    if (auto indexed = server::index_person_search(**search_store); !indexed) return report(indexed.error());
  }

  server::ApiOptions api_options;
  api_options.db_url = options.db_url;
  api_options.rules = &*rules;
  api_options.audit = audit_log->get();
  api_options.openapi_document = std::move(openapi);
  api_options.today = options.today;
  api_options.population = std::move(population);
  api_options.session_seconds = static_cast<std::int64_t>(arguments.session_minutes) * 60;
  api_options.rate_per_second = arguments.rate;
  api_options.rate_burst = std::max(arguments.burst, 1.0);
  server::Api api(std::move(api_options));
  // The candidate index of the registration-time duplicate check, from the stored persons.
  auto index = api.build_review_index();
  if (!index) return report(index.error());
  std::cerr << "{\"level\":\"info\",\"msg\":\"candidate index built\",\"persons\":" << index->persons
            << ",\"model_seconds\":" << index->model_seconds << ",\"add_seconds\":" << index->add_seconds << "}"
            << std::endl;

  server::ServerOptions server_options;
  server_options.address = arguments.address;
  server_options.port = static_cast<unsigned short>(arguments.port);
  server_options.threads =
      arguments.threads > 0 ? arguments.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  server_options.max_body = arguments.max_body;
  server_options.read_timeout = std::chrono::milliseconds(arguments.read_timeout_ms);
  server_options.idle_timeout = std::chrono::milliseconds(std::max(arguments.read_timeout_ms, 30000));
  server_options.access_log = !arguments.quiet;
  std::optional<server::StaticFiles> web;
  if (!arguments.web_dir.empty()) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(std::filesystem::path(arguments.web_dir) / "index.html", ec)) {
      web.emplace(arguments.web_dir);
      server_options.web = &*web;
    } else if (arguments.web_dir_given) {
      return report(Error{ErrorCode::io_error, "--web", arguments.web_dir + " has no index.html (cd web && npm run build)"});
    }
  }
  server::HttpServer server(api, server_options);
  auto url = server.listen();
  if (!url) return report(url.error());
  std::cout << *url << std::endl;  // first line of stdout; tests read it
  std::cerr << "{\"level\":\"info\",\"msg\":\"listening\",\"url\":\"" << *url << "\",\"db\":\"" << options.db_url
            << "\",\"web\":\"" << (web ? web->root().string() : std::string()) << "\"}" << std::endl;
  server.run();  // returns once every worker thread has stopped
  (*audit_log)->flush();
  statement::release_font_caches();
  return 0;
}

int user_add_command(const DataOptions& options, const UserArguments& arguments) {
  if (auto ok = auth::init_crypto(); !ok) return report(ok.error());
  auto role = auth::parse_role(arguments.role);
  if (!role) {
    return report(Error{ErrorCode::unknown_category, "--role",
                        "expected person, employer_agent, officer, auditor or admin, got \"" + arguments.role + "\""});
  }
  if (arguments.login.empty() || arguments.login.size() > 128) {
    return report(Error{ErrorCode::invalid_input, "--login", "a login has 1..128 characters"});
  }
  storage::User user;
  user.login = arguments.login;
  user.role = arguments.role;
  auto database = storage::open_database(options.db_url);
  if (!database) return report(database.error());
  switch (*role) {
    case auth::Role::person: {
      if (arguments.person.empty()) return report(Error{ErrorCode::invalid_input, "--person", "required for role person"});
      auto id = ResidentId::parse(arguments.person);
      if (!id) return report(Error{id.error().code, "--person", id.error().message});
      auto found = (*database)->find_person(id->text());
      if (!found) return report(found.error());
      if (!*found) return report(Error{ErrorCode::unknown_person, "--person", "no registered person with this ID"});
      user.person = std::string(id->text());
      break;
    }
    case auth::Role::employer_agent: {
      if (arguments.employer.empty()) {
        return report(Error{ErrorCode::invalid_input, "--employer", "required for role employer_agent"});
      }
      auto code = CreditCode::parse(arguments.employer);
      if (!code) return report(Error{code.error().code, "--employer", code.error().message});
      auto found = (*database)->find_employer(code->text());
      if (!found) return report(found.error());
      if (!*found) return report(Error{ErrorCode::unknown_employer, "--employer", "no registered employer with this code"});
      user.employer = std::string(code->text());
      break;
    }
    case auth::Role::officer: {
      auto region = RegionCode::parse(arguments.region);
      if (!region) return report(Error{region.error().code, "--region", region.error().message});
      user.region = arguments.region;
      break;
    }
    case auth::Role::auditor:
    case auth::Role::admin: break;
  }
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  auto hash = auth::hash_password(password);
  if (!hash) return report(Error{hash.error().code, "stdin", hash.error().message});
  user.password_hash = *hash;
  auto store = storage::open_api_store(options.db_url);
  if (!store) return report(store.error());
  auto id = (*store)->insert_user(user);
  if (!id) return report(id.error());
  std::cout << "user " << user.login << " (" << user.role << ") added, id " << *id << "\n";
  return 0;
}

int audit_verify_command(const DataOptions& options) {
  if (auto ok = auth::init_crypto(); !ok) return report(ok.error());
  auto database = storage::open_database(options.db_url);  // migrates
  if (!database) return report(database.error());
  auto store = storage::open_api_store(options.db_url);
  if (!store) return report(store.error());
  std::int64_t checked = 0;
  auto broken = audit::verify_log(**store, &checked);
  if (!broken) return report(broken.error());
  if (*broken) {
    std::cout << "audit log BROKEN at entry " << (*broken)->seq << ": " << (*broken)->reason << "\n";
    return 1;
  }
  std::cout << "audit log intact: " << checked << " entries\n";
  return 0;
}

}  // namespace shebao::app
