#include "server/http_server.h"

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "server/decode.h"

namespace shebao::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::mutex log_mutex;

void log_line(const boost::json::object& fields) {
  const std::string line = boost::json::serialize(fields) + "\n";
  std::lock_guard lock(log_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string now_text() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buffer;
}

}  // namespace

struct HttpServer::Impl {
  Api& api;
  ServerOptions options;
  // One io_context per thread (concurrency hint 1): a connection stays on the
  // context it was accepted into, so its handlers never cross threads and need
  // no strand. `ioc` (run by the thread that called run()) also holds the
  // listener, the signals and the grace timer.
  asio::io_context ioc{1};
  std::vector<std::unique_ptr<asio::io_context>> more;  // the other threads' contexts
  std::size_t next_context = 0;
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  asio::steady_timer grace_timer{ioc};
  std::atomic<bool> stopping{false};

  Impl(Api& a, ServerOptions o) : api(a), options(std::move(o)) {
    for (int i = 1; i < std::max(1, options.threads); ++i) more.push_back(std::make_unique<asio::io_context>(1));
  }

  // Connections are spread over the contexts in turn.
  asio::io_context& context_for_next_connection() {
    const std::size_t i = next_context++ % (more.size() + 1);
    return i == 0 ? ioc : *more[i - 1];
  }

  struct Session : std::enable_shared_from_this<Session> {
    Impl& server;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> response;
    std::string client;
    bool first = true;

    Session(Impl& s, tcp::socket socket) : server(s), stream(std::move(socket)) {
      boost::system::error_code ec;
      auto endpoint = stream.socket().remote_endpoint(ec);
      client = ec ? "unknown" : endpoint.address().to_string();
      ++server.api.open_connections;
    }
    ~Session() { --server.api.open_connections; }

    void start() { read(); }

    void read() {
      parser.emplace();
      parser->header_limit(8 * 1024);
      parser->body_limit(server.options.max_body);
      // The whole request (headers and body) within read_timeout; an idle
      // keep-alive connection within idle_timeout.
      stream.expires_after(first ? server.options.read_timeout : server.options.idle_timeout);
      // After the first byte of a further request the read timeout applies:
      // kept simple — an idle connection and a slow request both end at the limit.
      http::async_read(stream, buffer, *parser,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof) {
        return close();
      }
      if (ec) {
        HttpResponse r;
        if (ec == http::error::body_limit) {
          r = problem(413, "too_large", "body",
                      "the body is larger than " + std::to_string(server.options.max_body) + " bytes");
        } else if (ec == http::error::header_limit) {
          r = problem(431, "headers_too_large", "headers", "the request headers exceed 8 KiB");
        } else {
          r = problem(400, "bad_request", "request", "not a valid HTTP/1.1 request: " + ec.message());
        }
        return send(r, false, "", "");
      }
      first = false;
      auto& req = parser->get();
      HttpRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      request.authorization = std::string(req[http::field::authorization]);
      request.content_type = std::string(req[http::field::content_type]);
      request.idempotency_key = std::string(req["Idempotency-Key"]);
      request.purpose = std::string(req["X-Purpose"]).substr(0, 200);
      request.accept_encoding = std::string(req[http::field::accept_encoding]).substr(0, 200);
      request.client = client;
      request.body = std::move(req.body());
      const bool keep = req.keep_alive() && !server.stopping.load();
      const auto started = std::chrono::steady_clock::now();
      HttpResponse r;
      try {
        std::optional<HttpResponse> file;
        if (server.options.web != nullptr) file = server.options.web->serve(request);
        r = file ? std::move(*file) : server.api.handle(request);
      } catch (const std::exception& e) {
        r = problem(500, "internal", "", "internal error");
        log_line({{"level", "error"}, {"msg", "handler threw"}, {"error", e.what()}});
      }
      if (server.options.access_log) {
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        log_line({{"ts", now_text()},
                  {"level", "info"},
                  {"msg", "request"},
                  {"client", client},
                  {"method", request.method},
                  {"path", request.target.substr(0, request.target.find('?'))},
                  {"status", r.status},
                  {"ms", ms}});
      }
      send(r, keep, request.method, request.target);
    }

    void send(const HttpResponse& r, bool keep, const std::string&, const std::string&) {
      response = {};
      response.version(11);
      response.result(static_cast<http::status>(r.status));
      response.set(http::field::server, "shebao");
      if (!r.content_type.empty()) response.set(http::field::content_type, r.content_type);
      for (const auto& [k, v] : r.headers) response.set(k, v);
      response.body() = r.body;
      response.keep_alive(keep);
      response.prepare_payload();
      stream.expires_after(server.options.read_timeout);
      http::async_write(stream, response, [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
        if (ec || !keep) return self->close();
        self->read();
      });
    }

    void close() {
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream.close();
    }
  };

  void accept() {
    acceptor.async_accept(context_for_next_connection(), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (!acceptor.is_open()) return;
      } else {
        std::make_shared<Session>(*this, std::move(socket))->start();
      }
      accept();
    });
  }

  void begin_stop() {
    if (stopping.exchange(true)) return;
    asio::post(ioc, [this] {
      beast::error_code ec;
      acceptor.close(ec);
      signals.cancel(ec);
      log_line({{"ts", now_text()}, {"level", "info"}, {"msg", "stopping: no new connections"}});
      grace_timer.expires_after(options.grace);
      grace_timer.async_wait([this](beast::error_code) {
        for (auto& context : more) context->stop();
        ioc.stop();
      });
    });
  }
};

HttpServer::HttpServer(Api& api, ServerOptions options) : impl_(std::make_unique<Impl>(api, std::move(options))) {}
HttpServer::~HttpServer() = default;

Result<std::string> HttpServer::listen() {
  beast::error_code ec;
  const auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return fail(ErrorCode::invalid_input, "--address", "not an IP address: " + impl_->options.address);
  const tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(ErrorCode::io_error, "--port",
                "cannot listen on " + impl_->options.address + ":" + std::to_string(impl_->options.port) + ": " +
                    ec.message());
  }
  const auto bound = acceptor.local_endpoint();
  return "http://" + bound.address().to_string() + ":" + std::to_string(bound.port());
}

void HttpServer::run() {
  impl_->signals.async_wait([this](beast::error_code ec, int) {
    if (!ec) impl_->begin_stop();
  });
  impl_->accept();
  std::vector<std::thread> threads;
  for (auto& context : impl_->more) {
    threads.emplace_back([&context] {
      // Kept running while it has no connection, until the grace timer stops it.
      auto guard = asio::make_work_guard(*context);
      context->run();
    });
  }
  impl_->ioc.run();
  for (auto& context : impl_->more) context->stop();  // when run() ended another way
  for (auto& t : threads) t.join();
  log_line({{"ts", now_text()}, {"level", "info"}, {"msg", "stopped"}});
}

void HttpServer::stop() { impl_->begin_stop(); }

}  // namespace shebao::server
