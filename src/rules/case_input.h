// shebao rules: strict reading of a case's JSON input (cases-format.md §3-§5).
//
// An InputReader wraps one JSON object. Each accessor reads one key, marks it
// as known and applies the format's conventions: decimals are strings of the
// strict form (a JSON number is invalid_input), money has at most two
// decimals, counts are JSON integers, null counts as absent, a required field
// that is absent or null is invalid_input, a field with a fixed set of values
// is unknown_category for any other non-null value. finish() rejects keys no
// accessor asked for (invalid_input), so a misspelt optional field never falls
// back to its default.
//
// Errors name the field by its path ("input.countries[1].periods_months").
// Thread safety: one reader per object, used by one thread.
#pragma once

#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/calendar.h"
#include "core/decimal.h"
#include "core/error.h"

namespace shebao::rules {

enum class Presence { optional, required };

class InputReader {
 public:
  InputReader(const boost::json::object& object, std::string path);

  // Decimal string (rates, ratios, indices, divisors, period values).
  Result<std::optional<Decimal>> decimal(std::string_view key, Presence presence = Presence::optional);
  // Decimal string with at most two decimals.
  Result<std::optional<Money>> money(std::string_view key, Presence presence = Presence::optional);
  // JSON integer (no fraction, not a string).
  Result<std::optional<std::int64_t>> integer(std::string_view key, Presence presence = Presence::optional);
  Result<std::optional<bool>> boolean(std::string_view key, Presence presence = Presence::optional);
  Result<std::optional<YearMonth>> month(std::string_view key, Presence presence = Presence::optional);
  Result<std::optional<Date>> date(std::string_view key, Presence presence = Presence::optional);
  // Free text (labels such as a country name).
  Result<std::optional<std::string>> text(std::string_view key, Presence presence = Presence::optional);
  // One of a fixed set of values.
  Result<std::optional<std::string>> category(std::string_view key, std::initializer_list<std::string_view> allowed,
                                              Presence presence = Presence::optional);
  Result<const boost::json::object*> object(std::string_view key, Presence presence = Presence::optional);
  Result<const boost::json::array*> array(std::string_view key, Presence presence = Presence::optional);

  // invalid_input for the first key that no accessor read.
  Result<void> finish() const;

  // "input.key"
  std::string field(std::string_view key) const;
  const std::string& path() const { return path_; }

 private:
  // The value of key, nullptr when absent or null; marks the key as known.
  Result<const boost::json::value*> lookup(std::string_view key, Presence presence);

  const boost::json::object& object_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

// invalid_input at `field` with `message`.
tl::unexpected<Error> invalid(std::string field, std::string message);
// out_of_range at `field` with `message`.
tl::unexpected<Error> out_of_range(std::string field, std::string message);

}  // namespace shebao::rules
