#include "rules/interest.h"

#include <cstdint>
#include <limits>

namespace shebao::rules {

namespace {

Result<Money> to_money(const Decimal& value, std::string_view field) {
  static const Decimal largest = Decimal::from_units(std::numeric_limits<std::int64_t>::max(), 2);
  if (value > largest)
    return fail(ErrorCode::out_of_range, std::string(field), "amount " + value.to_string() + " is too large");
  return Money::from_decimal(value);
}

Result<AccountInterestResult> account_interest(const AccountInterestQuery& query, const ParameterStore& store,
                                               Trace* trace) {
  if (query.year < 1 || query.year > 9999) {
    return fail(ErrorCode::invalid_input, "year", std::to_string(query.year) + " is not a calendar year");
  }
  if (query.opening_balance.fen() < 0) {
    return fail(ErrorCode::invalid_input, "opening_balance", "must not be negative");
  }
  for (std::size_t i = 0; i < query.credits.size(); ++i) {
    const MonthlyCredit& credit = query.credits[i];
    const std::string field = "credits[" + std::to_string(i) + "]";
    if (credit.month < 1 || credit.month > 12) {
      return fail(ErrorCode::invalid_input, field + ".month",
                  "month " + std::to_string(credit.month) + " is not in 1..12");
    }
    if (credit.amount.fen() < 0) return fail(ErrorCode::invalid_input, field + ".amount", "must not be negative");
  }

  auto entry = store.find("account_interest_rate", Date::of(query.year, 1, 1), query.jurisdiction);
  if (!entry) {
    return fail(ErrorCode::rule_missing, "account_interest_rate",
                "no account interest rate is published for " + std::to_string(query.year) + " (" + query.jurisdiction +
                    "); load the official rate before crediting interest for that year");
  }
  const Decimal rate = (*entry)->number;

  // Twelve times the exact interest, so that the one division by 12 is the one rounding.
  const Decimal twelve = Decimal::from_int(12);
  Decimal twelfths = query.opening_balance.to_decimal() * rate * twelve;
  Decimal credits_total;
  for (const MonthlyCredit& credit : query.credits) {
    const Decimal amount = credit.amount.to_decimal();
    credits_total = credits_total + amount;
    twelfths = twelfths + amount * rate * Decimal::from_int(13 - credit.month);
  }
  AccountInterestResult result;
  result.rate = rate;
  auto total = to_money(credits_total, "credits");
  if (!total) return tl::unexpected(total.error());
  auto interest = to_money(divide(twelfths, twelve, 2, RoundingMode::half_up), "interest");
  if (!interest) return tl::unexpected(interest.error());
  auto closing =
      to_money(query.opening_balance.to_decimal() + credits_total + interest->to_decimal(), "closing_balance");
  if (!closing) return tl::unexpected(closing.error());
  result.credits_total = *total;
  result.interest = *interest;
  result.closing_balance = *closing;

  if (trace) {
    std::string credits_text;
    for (const MonthlyCredit& credit : query.credits) {
      if (!credits_text.empty()) credits_text += ", ";
      credits_text += std::to_string(credit.month) + ": " + credit.amount.to_string();
    }
    trace
        ->step("account_interest", "CN-EMP-ACCT-INTRAYEAR",
               "round2(opening × r + Σ credit_m × r × (13 − m) / 12), exact before the one rounding")
        .in("year", std::to_string(query.year))
        .in("opening_balance", query.opening_balance.to_string())
        .in("credits", credits_text.empty() ? "-" : credits_text)
        .param(**entry)
        .out(result.interest.to_string());
    trace->step("closing_balance", "CN-EMP-ACCT-INTRAYEAR", "opening + Σ credits + interest")
        .in("opening_balance", query.opening_balance.to_string())
        .in("credits_total", result.credits_total.to_string())
        .in("interest", result.interest.to_string())
        .out(result.closing_balance.to_string());
  }
  return result;
}

}  // namespace

Result<AccountInterestResult> compute_account_interest(const AccountInterestQuery& query, const ParameterStore& store,
                                                       Trace* trace) {
  try {
    return account_interest(query, store, trace);
  } catch (const DecimalOverflow&) {
    return fail(ErrorCode::out_of_range, "", "a value is too large to compute exactly");
  }
}

}  // namespace shebao::rules
