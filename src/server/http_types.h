// shebao server: the request and response the API handlers see.
//
// Independent of the network library, so that handlers, the router and the
// decoders are tested without sockets (tests/server/) and fuzzed.
//
// Thread safety: values only.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace shebao::server {

struct HttpRequest {
  std::string method;         // "GET", "POST" ...
  std::string target;         // path and query as received
  std::string authorization;  // header values; empty when absent
  std::string content_type;
  std::string idempotency_key;
  std::string purpose;        // X-Purpose
  std::string accept_encoding;  // for the portal's precompressed files
  std::string client;         // peer address
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace shebao::server
