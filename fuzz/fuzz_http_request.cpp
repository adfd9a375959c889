// libFuzzer target: the request decoders of the HTTP API. The input is parsed
// as an HTTP/1.1 request by Beast with the server's limits; the target, body
// and headers then go through the path, query and JSON-body decoders and the
// typed field readers, and every error becomes a problem+json response.
// Nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "server/decode.h"

namespace {
namespace http = boost::beast::http;
using namespace shebao;

void decode(const server::HttpRequest& request) {
  if (auto path = server::split_path(request.target); !path) (void)server::problem(path.error());
  if (auto query = server::parse_query(request.target); query) {
    (void)server::query_value(*query, "limit");
  } else {
    (void)server::problem(query.error());
  }
  auto body = server::parse_json_object(request);
  if (!body) {
    (void)server::problem(body.error());
    return;
  }
  (void)server::only_keys(*body, {"phone", "login", "password"});
  for (const char* key : {"phone", "login", "password", "resident_id"}) {
    if (auto v = server::required_string(*body, key); !v) (void)server::problem(v.error());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The raw bytes as a body and as a target, without HTTP framing.
  server::HttpRequest raw;
  raw.method = "POST";
  raw.target = "/" + text.substr(0, 512);
  raw.content_type = "application/json";
  raw.body = text;
  decode(raw);
  // The bytes as an HTTP request, parsed as the server parses it.
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(text), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& message = parser.get();
  server::HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.content_type = std::string(message[http::field::content_type]);
  request.body = message.body();
  decode(request);
  return 0;
}
