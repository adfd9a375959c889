// shebao server: the built web portal (web/dist) served next to the API.
//
// StaticFiles::serve() answers GET requests for paths outside the
// API (/v1/ and any /vN/, /healthz, /metrics, /openapi.json) from one directory:
// - a file that exists is sent with its content type; under assets/ (names
//   carry a content hash) it may be cached for a year, everything else
//   (index.html, size.txt) must be revalidated (Cache-Control: no-cache);
// - a precompressed FILE.gz next to FILE is sent instead when the client
//   accepts gzip (Content-Encoding: gzip, Vary: Accept-Encoding);
// - a path without a file extension that names no file is a client route of
//   the single-page portal: index.html is sent;
// - anything else, and any path that tries to leave the directory ("..",
//   NUL, backslash), is 404.
// The files are read on each request (no cache in memory): the portal is a
// few small files and the kernel's page cache keeps them.
//
// Thread safety: serve() is const and may be called from several threads.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "server/http_types.h"

namespace shebao::server {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);
  // nullopt: not for the portal (an API path); the API answers it.
  std::optional<HttpResponse> serve(const HttpRequest& request) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// Content type by file extension ("application/octet-stream" when unknown).
std::string content_type_of(const std::filesystem::path& file);

}  // namespace shebao::server
