#include "collection/month_entries.h"

#include <algorithm>
#include <optional>


namespace shebao::collection {
namespace {

rules::EmployerSize to_rules(registry::EmployerSize size) {
  return static_cast<rules::EmployerSize>(static_cast<int>(size));
}
rules::UnitType to_rules(registry::UnitType type) { return static_cast<rules::UnitType>(static_cast<int>(type)); }

// A person-month's three postings: employer receivable + (employer + individual
// part), personal account − account credit, pooled fund − the rest.
ledger::PackedLine packed_line(std::int64_t person_id, const rules::EmployeeContributionResult& computed) {
  const std::int64_t due = computed.employer_pension.fen() + computed.individual_pension.fen();
  const std::int64_t credit = computed.account_credit.fen();
  return ledger::PackedLine{person_id, due, -credit, -(due - credit)};
}

}  // namespace

int province_of(std::string_view region_code) {
  return (region_code[0] - '0') * 10 + (region_code[1] - '0');
}

Result<rules::EmployeeContributionResult> compute_declared_month(const DeclaredPersonMonth& declared,
                                                                 const rules::ParameterStore& store,
                                                                 rules::Trace* trace) {
  const std::string jurisdiction = registry::province_jurisdiction(declared.employer_region);
  auto average = store.find("average_wage_for_base", declared.month, jurisdiction);
  if (!average) return tl::unexpected(average.error());
  rules::EmployeeContributionQuery query;
  query.contribution_month = declared.month;
  query.monthly_wage = declared.declared_wage;
  query.local_average_monthly_wage = Money::from_decimal((*average)->number);
  query.employer_size = to_rules(declared.employer_size);
  query.unit_type = to_rules(declared.unit_type);
  query.province = jurisdiction;
  query.rate_jurisdiction = jurisdiction;
  if (trace) {
    trace->step("local_average_wage", (*average)->rule_id, "average wage for the base of the employer's province")
        .in("province", jurisdiction)
        .param(**average)
        .out((*average)->number.to_string());
  }
  return rules::compute_employee_contribution(query, store, trace);
}

Result<ledger::PackedLine> contribution_line(const DeclaredPersonMonth& declared, const rules::ParameterStore& store,
                                             rules::Trace* trace) {
  auto computed = compute_declared_month(declared, store, trace);
  if (!computed) return tl::unexpected(computed.error());
  return packed_line(declared.person_id, *computed);
}

Result<rules::EmployeeContributionResult> DeclaredMonths::compute(const DeclaredPersonMonth& declared) {
  auto key = std::make_tuple(declared.month.serial(), declared.employer_region,
                             static_cast<int>(declared.employer_size), static_cast<int>(declared.unit_type));
  if (const auto found = computed_.find(key); found != computed_.end()) {
    return rules::with_monthly_wage(found->second, declared.declared_wage);
  }
  auto computed = compute_declared_month(declared, store_, nullptr);
  if (!computed) return computed;
  if (computed_.size() >= kMostKept) computed_.clear();
  computed_.emplace(std::move(key), *computed);
  return computed;
}

Result<ledger::PackedEntry> declaration_entry(std::span<const DeclaredPersonMonth> declared,
                                              const rules::ParameterStore& store, DeclaredMonths* months) {
  const DeclaredPersonMonth& head = declared.front();
  ledger::PackedEntry entry;
  entry.idempotency_key = ledger::packed_contribution_key(head.declaration_id);
  entry.person_id = -head.employer_id;
  entry.kind = ledger::EntryKind::contribution;
  entry.month = head.month;
  entry.source_id = head.declaration_id;
  entry.employer_id = head.employer_id;
  entry.province = province_of(head.employer_region);
  entry.lines.reserve(declared.size());
  // The lines of a declaration share month, employer region, size and unit type,
  // so the rules are resolved for the first line of each such run only; the
  // others take its result with their own wage (rules::with_monthly_wage).
  std::optional<rules::EmployeeContributionResult> shared;
  const DeclaredPersonMonth* shared_by = nullptr;
  for (const DeclaredPersonMonth& one : declared) {
    const bool same = shared_by != nullptr && one.month == shared_by->month &&
                      one.employer_region == shared_by->employer_region &&
                      one.employer_size == shared_by->employer_size && one.unit_type == shared_by->unit_type;
    auto computed = same     ? rules::with_monthly_wage(*shared, one.declared_wage)
                    : months ? months->compute(one)
                             : compute_declared_month(one, store, nullptr);
    if (!computed) return tl::unexpected(computed.error());
    if (!same) {
      shared = *computed;
      shared_by = &one;
    }
    entry.lines.push_back(packed_line(one.person_id, *computed));
  }
  return entry;
}

namespace {

Result<rules::FlexibleContributionResult> flexible_computation(const FlexibleMonth& member,
                                                               const rules::ParameterStore& store,
                                                               rules::Trace* trace) {
  const std::string jurisdiction = registry::province_jurisdiction(member.scheme_region);
  auto average = store.find("average_wage_for_base", member.month, jurisdiction);
  if (!average) return tl::unexpected(average.error());
  rules::FlexibleContributionQuery query;
  query.contribution_month = member.month;
  query.local_average_wage = Money::from_decimal((*average)->number);
  query.base_ratio = member.base_ratio;
  query.jurisdiction = jurisdiction;
  return rules::compute_flexible_contribution(query, store, trace);
}

ledger::PackedLine flexible_line_of(const FlexibleMonth& member, const rules::FlexibleContributionResult& computed) {
  return ledger::PackedLine{member.person_id, computed.total_contribution.fen(), -computed.account_credit.fen(),
                            -computed.pooled_fund_part.fen(), computed.contribution_base.fen()};
}

}  // namespace

Result<ledger::PackedLine> flexible_line(const FlexibleMonth& member, const rules::ParameterStore& store,
                                         rules::Trace* trace) {
  auto computed = flexible_computation(member, store, trace);
  if (!computed) return tl::unexpected(computed.error());
  return flexible_line_of(member, *computed);
}

Result<ledger::PackedLine> FlexibleEntries::line(const FlexibleMonth& member) {
  auto key = std::make_tuple(member.month.serial(), province_of(member.scheme_region), member.base_ratio);
  auto found = computed_.find(key);
  if (found == computed_.end()) {
    found = computed_.emplace(std::move(key), flexible_computation(member, store_, nullptr)).first;
  }
  if (!found->second) return tl::unexpected(found->second.error());
  return flexible_line_of(member, *found->second);
}

ledger::SettlementLine payment_line(std::int64_t employer_id, std::string_view employer_region, YearMonth month,
                                    std::int64_t outstanding_fen, Date paid_on, std::int64_t paid_before_fen) {
  ledger::SettlementLine line;
  line.kind = ledger::EntryKind::payment;
  line.employer_id = employer_id;
  line.province = province_of(employer_region);
  line.month = month;
  line.amount_fen = outstanding_fen;
  line.paid_on = paid_on;
  line.paid_before_fen = paid_before_fen;
  return line;
}

Date due_date(YearMonth month) {
  const YearMonth next = month.plus_months(1);
  return Date::of(next.year(), next.month(), 15);
}

Result<std::optional<ledger::SettlementLine>> late_fee_line(std::int64_t employer_id,
                                                            std::string_view employer_region, YearMonth owed_month,
                                                            std::int64_t dues_fen, std::optional<Date> paid_on,
                                                            YearMonth run_month, const rules::ParameterStore& store) {
  // Overdue days: from the day after the due date up to the day before payment.
  const Date first_overdue = due_date(owed_month).plus_days(1);
  const Date month_start = Date::first_of(run_month);
  const Date month_end = Date::last_of(run_month);
  const Date from = std::max(first_overdue, month_start);
  Date to = month_end;
  if (paid_on) to = std::min(to, paid_on->plus_days(-1));
  if (to < from || dues_fen <= 0) return std::optional<ledger::SettlementLine>();
  rules::LateFeeQuery query;
  query.principal = Money::from_fen(dues_fen);
  query.first_overdue_date = from;
  query.overdue_days = to.days_since(from) + 1;
  auto fee = rules::compute_late_fee(query, store, nullptr);
  if (!fee) return tl::unexpected(fee.error());
  if (fee->late_fee.fen() == 0) return std::optional<ledger::SettlementLine>();
  ledger::SettlementLine line;
  line.kind = ledger::EntryKind::late_fee;
  line.employer_id = employer_id;
  line.province = province_of(employer_region);
  line.month = owed_month;
  line.amount_fen = fee->late_fee.fen();
  return std::optional<ledger::SettlementLine>(std::move(line));
}

}  // namespace shebao::collection
