#include "server/static_files.h"

#include <fstream>
#include <sstream>
#include <string_view>

namespace shebao::server {
namespace {

// The API's paths: /healthz, /metrics, /openapi.json and every /vN or /vN/...
// (this version and those to come), so that an unknown API route stays a 404
// problem document and never becomes the portal's index.html.
bool is_api_path(std::string_view path) {
  if (path == "/healthz" || path == "/metrics" || path == "/openapi.json") return true;
  if (path.size() < 3 || path[1] != 'v') return false;
  std::size_t i = 2;
  while (i < path.size() && path[i] >= '0' && path[i] <= '9') ++i;
  return i > 2 && (i == path.size() || path[i] == '/');
}

std::optional<std::string> read_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool accepts_gzip(std::string_view header) {
  // "gzip" listed and not refused with q=0 (enough for browsers and curl).
  const auto at = header.find("gzip");
  if (at == std::string_view::npos) return false;
  const auto end = header.find(',', at);
  const std::string_view item = header.substr(at, end == std::string_view::npos ? header.npos : end - at);
  return item.find("q=0") == std::string_view::npos || item.find("q=0.") != std::string_view::npos;
}

HttpResponse not_found() {
  HttpResponse r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "not found\n";
  return r;
}

}  // namespace

std::string content_type_of(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt" || ext == ".csv") return "text/plain; charset=utf-8";
  if (ext == ".webmanifest") return "application/manifest+json";
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::filesystem::path root) : root_(std::move(root)) {}

std::optional<HttpResponse> StaticFiles::serve(const HttpRequest& request) const {
  std::string_view path = request.target;
  path = path.substr(0, path.find_first_of("?#"));
  if (is_api_path(path)) return std::nullopt;
  if (request.method != "GET") return std::nullopt;  // the API answers 404/405
  if (path.empty() || path.front() != '/') return not_found();
  // Percent-encoding is not decoded: the portal's own files have plain names.
  if (path.find("..") != path.npos || path.find('\\') != path.npos || path.find('\0') != path.npos ||
      path.find('%') != path.npos) {
    return not_found();
  }
  std::string relative(path.substr(1));
  if (relative.empty() || relative.back() == '/') relative += "index.html";
  std::filesystem::path file = root_ / relative;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    // A client route (no extension in the last segment): the portal's index.html.
    const std::string_view last = path.substr(path.rfind('/') + 1);
    if (last.find('.') != std::string_view::npos) return not_found();
    file = root_ / "index.html";
    relative = "index.html";
  }
  HttpResponse r;
  std::optional<std::string> body;
  if (accepts_gzip(request.accept_encoding)) {
    body = read_file(file.string() + ".gz");
    if (body) r.headers.emplace_back("Content-Encoding", "gzip");
  }
  if (!body) body = read_file(file);
  if (!body) return not_found();
  r.status = 200;
  r.content_type = content_type_of(file);
  r.body = std::move(*body);
  r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (relative.starts_with("assets/")) {
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  } else {
    r.headers.emplace_back("Cache-Control", "no-cache");
  }
  if (r.content_type.starts_with("text/html")) {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  return r;
}

}  // namespace shebao::server
