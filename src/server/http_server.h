// shebao server: HTTP/1.1 over Boost.Beast in front of server::Api.
//
// Asynchronous sessions, one io_context per thread: a connection is accepted
// into one of them in turn and all its handlers run on that thread. Limits: header ≤ 8 KiB (431), body ≤
// max_body bytes (413), the whole request must arrive within read_timeout
// (a slow client's connection is closed), idle keep-alive connections are
// closed after idle_timeout. Stop() (or SIGINT/SIGTERM in run()) closes the
// listener, lets requests in flight finish for up to a grace period, then
// returns. With options.web, GET requests outside the API are answered from
// the portal's files (server/static_files.h). One JSON line per request on stderr (when access_log is on).
//
// Thread safety: run() once; stop() from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "server/api.h"
#include "server/static_files.h"

namespace shebao::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  // 0 = any free port
  int threads = 2;
  std::size_t max_body = 1 << 20;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds grace{2000};
  bool access_log = true;
  const StaticFiles* web = nullptr;  // the portal; GETs outside the API go there
};

class HttpServer {
 public:
  HttpServer(Api& api, ServerOptions options);
  ~HttpServer();
  // Binds and listens; returns the URL ("http://127.0.0.1:PORT").
  Result<std::string> listen();
  // Serves until SIGINT/SIGTERM or stop().
  void run();
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace shebao::server
