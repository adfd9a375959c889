#include "server/decode.h"

namespace shebao::server {
namespace json = boost::json;
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view text, bool plus_is_space, const char* field) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return fail(ErrorCode::invalid_input, field, "a percent escape is cut short");
      }
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return fail(ErrorCode::invalid_input, field, "a percent escape is not two hex digits");
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return fail(ErrorCode::invalid_input, field, "a NUL byte is not allowed");
      out += decoded;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '\0') {
      return fail(ErrorCode::invalid_input, field, "a NUL byte is not allowed");
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

std::size_t depth_of(const json::value& v, std::size_t limit, std::size_t depth = 1) {
  if (depth > limit) return depth;
  std::size_t deepest = depth;
  if (v.is_object()) {
    for (const auto& [k, child] : v.get_object()) deepest = std::max(deepest, depth_of(child, limit, depth + 1));
  } else if (v.is_array()) {
    for (const auto& child : v.get_array()) deepest = std::max(deepest, depth_of(child, limit, depth + 1));
  }
  return deepest;
}

}  // namespace

Result<std::vector<std::string>> split_path(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.size() > 2048) return fail(ErrorCode::invalid_input, "path", "the path is longer than 2048 bytes");
  if (path.empty() || path[0] != '/') return fail(ErrorCode::invalid_input, "path", "the path must start with /");
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (end > start) {
      auto segment = percent_decode(path.substr(start, end - start), false, "path");
      if (!segment) return tl::unexpected(segment.error());
      segments.push_back(std::move(*segment));
    }
    start = end + 1;
  }
  return segments;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    auto name = percent_decode(part.substr(0, eq), true, "query");
    if (!name) return tl::unexpected(name.error());
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true,
                                "query");
    if (!value) return tl::unexpected(Error{value.error().code, "query." + *name, value.error().message});
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::optional<std::string> query_value(const std::vector<std::pair<std::string, std::string>>& query,
                                       std::string_view name) {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Result<json::object> parse_json_object(const HttpRequest& request, std::size_t max_depth) {
  const std::string_view type = std::string_view(request.content_type).substr(0, request.content_type.find(';'));
  if (!type.empty() && type != "application/json") {
    return fail(ErrorCode::invalid_input, "Content-Type",
                "expected application/json, got \"" + std::string(type) + "\"");
  }
  if (request.body.empty()) return fail(ErrorCode::invalid_input, "body", "expected a JSON object, got no body");
  json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  json::value value = json::parse(request.body, ec, {}, options);
  if (ec) return fail(ErrorCode::invalid_input, "body", "not valid JSON: " + ec.message());
  if (!value.is_object()) {
    return fail(ErrorCode::invalid_input, "body", "expected a JSON object, got " + std::string(type_name(value)));
  }
  if (depth_of(value, max_depth) > max_depth) {
    return fail(ErrorCode::invalid_input, "body", "the JSON is nested too deeply");
  }
  return std::move(value.get_object());
}

Result<std::optional<std::string>> optional_string(const json::object& object, std::string_view key,
                                                   std::size_t max_size) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) {
    return fail(ErrorCode::invalid_input, std::string(key), "expected a string, got " + std::string(type_name(*v)));
  }
  if (v->get_string().size() > max_size) {
    return fail(ErrorCode::invalid_input, std::string(key), "longer than " + std::to_string(max_size) + " bytes");
  }
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::string> required_string(const json::object& object, std::string_view key, std::size_t max_size) {
  auto value = optional_string(object, key, max_size);
  if (!value) return tl::unexpected(value.error());
  if (!*value) return fail(ErrorCode::invalid_input, std::string(key), "required");
  return std::move(**value);
}

Result<void> only_keys(const json::object& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return fail(ErrorCode::invalid_input, std::string(key), "unknown field");
  }
  return {};
}

HttpResponse problem(int status, std::string_view code, std::string_view field, std::string_view detail) {
  json::object doc;
  doc["type"] = "https://shebao.dev/problems/" + std::string(code);
  doc["title"] = std::string(code);
  doc["status"] = status;
  doc["code"] = std::string(code);
  if (!field.empty()) doc["field"] = std::string(field);
  doc["detail"] = std::string(detail);
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  response.body = json::serialize(doc);
  return response;
}

HttpResponse problem(const Error& error) {
  return problem(http_status(error.code), to_string(error.code), error.field, error.message);
}

HttpResponse not_visible() {
  return problem(http_status(ErrorCode::not_found), to_string(ErrorCode::not_found), "",
                 "no such record, or not visible to you");
}

HttpResponse json_response(int status, const json::value& value) {
  HttpResponse response;
  response.status = status;
  response.body = json::serialize(value);
  return response;
}

}  // namespace shebao::server
