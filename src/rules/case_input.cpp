#include "rules/case_input.h"

namespace shebao::rules {

namespace json = boost::json;

tl::unexpected<Error> invalid(std::string field, std::string message) {
  return fail(ErrorCode::invalid_input, std::move(field), std::move(message));
}

tl::unexpected<Error> out_of_range(std::string field, std::string message) {
  return fail(ErrorCode::out_of_range, std::move(field), std::move(message));
}

InputReader::InputReader(const json::object& object, std::string path) : object_(object), path_(std::move(path)) {}

std::string InputReader::field(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Result<const json::value*> InputReader::lookup(std::string_view key, Presence presence) {
  known_.emplace(key);
  const json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) {
    if (presence == Presence::required) return invalid(field(key), "required field is missing");
    return nullptr;
  }
  return value;
}

Result<std::optional<Decimal>> InputReader::decimal(std::string_view key, Presence presence) {
  auto value = lookup(key, presence);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return std::optional<Decimal>();
  if (!(*value)->is_string()) {
    return invalid(field(key), "a decimal must be a JSON string such as \"8079\" or \"0.16\"");
  }
  auto parsed = Decimal::parse(std::string_view((*value)->get_string()));
  if (!parsed) return invalid(field(key), parsed.error().message);
  return std::optional<Decimal>(*parsed);
}

Result<std::optional<Money>> InputReader::money(std::string_view key, Presence presence) {
  auto number = decimal(key, presence);
  if (!number) return tl::unexpected(number.error());
  if (!*number) return std::optional<Money>();
  if ((*number)->fraction_digits() > 2) return invalid(field(key), "money has at most two decimals");
  auto money = Money::parse((*number)->to_string());
  if (!money) return invalid(field(key), money.error().message);
  return std::optional<Money>(*money);
}

Result<std::optional<std::int64_t>> InputReader::integer(std::string_view key, Presence presence) {
  auto value = lookup(key, presence);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return std::optional<std::int64_t>();
  if ((*value)->is_int64()) return std::optional<std::int64_t>((*value)->get_int64());
  if ((*value)->is_uint64()) return invalid(field(key), "integer too large");
  return invalid(field(key), "must be a JSON integer");
}

Result<std::optional<bool>> InputReader::boolean(std::string_view key, Presence presence) {
  auto value = lookup(key, presence);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return std::optional<bool>();
  if (!(*value)->is_bool()) return invalid(field(key), "must be true or false");
  return std::optional<bool>((*value)->get_bool());
}

Result<std::optional<YearMonth>> InputReader::month(std::string_view key, Presence presence) {
  auto value = lookup(key, presence);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return std::optional<YearMonth>();
  if (!(*value)->is_string()) return invalid(field(key), "a month must be a string \"YYYY-MM\"");
  auto parsed = YearMonth::parse(std::string_view((*value)->get_string()));
  if (!parsed) return invalid(field(key), parsed.error().message);
  return std::optional<YearMonth>(*parsed);
}

Result<std::optional<Date>> InputReader::date(std::string_view key, Presence presence) {
  auto value = lookup(key, presence);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return std::optional<Date>();
  if (!(*value)->is_string()) return invalid(field(key), "a date must be a string \"YYYY-MM-DD\"");
  auto parsed = Date::parse(std::string_view((*value)->get_string()));
  if (!parsed) return invalid(field(key), parsed.error().message);
  return std::optional<Date>(*parsed);
}

Result<std::optional<std::string>> InputReader::text(std::string_view key, Presence presence) {
  auto value = lookup(key, presence);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return std::optional<std::string>();
  if (!(*value)->is_string()) return invalid(field(key), "must be a string");
  return std::optional<std::string>(std::string((*value)->get_string()));
}

Result<std::optional<std::string>> InputReader::category(std::string_view key,
                                                         std::initializer_list<std::string_view> allowed,
                                                         Presence presence) {
  auto value = lookup(key, presence);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return std::optional<std::string>();
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  if ((*value)->is_string()) {
    const std::string_view text = (*value)->get_string();
    for (auto a : allowed) {
      if (a == text) return std::optional<std::string>(std::string(text));
    }
    return fail(ErrorCode::unknown_category, field(key), "\"" + std::string(text) + "\" is not one of: " + list);
  }
  return fail(ErrorCode::unknown_category, field(key), "must be one of: " + list);
}

Result<const json::object*> InputReader::object(std::string_view key, Presence presence) {
  auto value = lookup(key, presence);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return static_cast<const json::object*>(nullptr);
  if (!(*value)->is_object()) return invalid(field(key), "must be a JSON object");
  return &(*value)->get_object();
}

Result<const json::array*> InputReader::array(std::string_view key, Presence presence) {
  auto value = lookup(key, presence);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return static_cast<const json::array*>(nullptr);
  if (!(*value)->is_array()) return invalid(field(key), "must be a JSON array");
  return &(*value)->get_array();
}

Result<void> InputReader::finish() const {
  for (const auto& [key, value] : object_) {
    if (!known_.contains(std::string_view(key))) {
      return invalid(field(std::string_view(key)), "unknown key");
    }
  }
  return {};
}

}  // namespace shebao::rules
