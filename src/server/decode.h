// shebao server: decoding requests — path, query, JSON bodies — and RFC 9457
// problem details for what goes wrong.
//
// Every decoder returns an Error naming the offending field ("phone",
// "query.lang", "body"); problem() turns any Error into a problem+json
// response with the status of http_status(code) (core/error.h) and the code's
// stable name. not_visible() is the one answer for a record that does not
// exist or may not be seen: the same status and body either way.
//
// Pure. Thread safety: values only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "core/error.h"
#include "server/http_types.h"

namespace shebao::server {

// Path without the query, split on '/'; empty segments dropped. invalid_input for
// percent-escapes that do not decode, NUL bytes or a path over 2048 bytes.
Result<std::vector<std::string>> split_path(std::string_view target);
// Query parameters as (name, value) in order, percent-decoded ('+' is a space).
Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view target);
std::optional<std::string> query_value(const std::vector<std::pair<std::string, std::string>>& query,
                                       std::string_view name);

// A JSON object body: content type must be application/json (or absent), at
// most `max_depth` levels deep; the field is "body".
Result<boost::json::object> parse_json_object(const HttpRequest& request, std::size_t max_depth = 16);

// Typed fields of a decoded object; the field of an error is the key.
Result<std::string> required_string(const boost::json::object& object, std::string_view key,
                                    std::size_t max_size = 256);
Result<std::optional<std::string>> optional_string(const boost::json::object& object, std::string_view key,
                                                   std::size_t max_size = 256);
// Rejects keys not in `allowed` (invalid_input naming the first unknown key).
Result<void> only_keys(const boost::json::object& object, std::initializer_list<std::string_view> allowed);

HttpResponse problem(const Error& error);
HttpResponse problem(int status, std::string_view code, std::string_view field, std::string_view detail);
HttpResponse not_visible();
HttpResponse json_response(int status, const boost::json::value& value);

}  // namespace shebao::server
