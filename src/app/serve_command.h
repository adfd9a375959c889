// `shebao serve`, `shebao user add`, `shebao audit verify`: the HTTP API, its
// accounts and the check of its audit log.
#pragma once

#include <string>

#include "app/data_commands.h"

namespace shebao::app {

struct ServeArguments {
  int port = 8080;
  std::string address = "127.0.0.1";
  int threads = 0;  // 0 = number of cores
  std::size_t max_body = 1 << 20;
  int read_timeout_ms = 10000;
  double rate = 200;
  double burst = 400;
  int session_minutes = 480;
  bool quiet = false;  // no access log lines
  std::string openapi_path;
  std::string web_dir;        // the built portal; empty = none
  bool web_dir_given = false;  // --web given: a missing directory is an error
  std::string population;  // population extract for GET /v1/reports/coverage; empty = none
};

// With `population`, reads the extract before listening (a bad extract is an
// error: nothing is served) and answers the coverage report from it.
// Serves the portal's files from web_dir when that directory holds an
// index.html (server/static_files.h).
// Prints the URL it listens on as the first line of stdout; serves until SIGINT/SIGTERM.
int serve_command(const DataOptions& options, const ServeArguments& arguments);

struct UserArguments {
  std::string role;
  std::string login;
  std::string person;
  std::string employer;
  std::string region;
};
// Password from standard input (first line).
int user_add_command(const DataOptions& options, const UserArguments& arguments);

// Exit 0 when the chain is intact; otherwise names the first broken entry and exits 1.
int audit_verify_command(const DataOptions& options);

}  // namespace shebao::app
