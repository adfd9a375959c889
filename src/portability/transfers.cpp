#include "portability/transfers.h"

#include <map>

#include "rules/transfer.h"

namespace shebao::portability {

std::string_view to_string(TransferStatus status) {
  switch (status) {
    case TransferStatus::requested: return "requested";
    case TransferStatus::computed: return "computed";
    case TransferStatus::sent: return "sent";
    case TransferStatus::credited: return "credited";
    case TransferStatus::refused: return "refused";
  }
  return "requested";
}

Result<TransferStatus> parse_transfer_status(std::string_view text) {
  for (TransferStatus status : {TransferStatus::requested, TransferStatus::computed, TransferStatus::sent,
                                TransferStatus::credited, TransferStatus::refused}) {
    if (to_string(status) == text) return status;
  }
  return fail(ErrorCode::unknown_category, "status", "unknown transfer status \"" + std::string(text) + "\"");
}

Result<TransferComputation> compute_transfer(const registry::Person& person, const Transfer& transfer,
                                             const std::vector<collection::DeclaredPersonMonth>& months_in_from,
                                             std::int64_t account_balance_fen, const rules::ParameterStore& rules,
                                             rules::Trace* trace) {
  TransferComputation result;
  const int hukou_province = collection::province_of(person.hukou_region);
  // Temporary account: at or above the age threshold, moving to a province other than the hukou one.
  auto threshold = rules.find("temporary_account_age_months", transfer.requested_on, "CN",
                              person.sex == registry::Sex::male ? "male" : "female");
  if (!threshold) return tl::unexpected(threshold.error());
  const int age_months = transfer.requested_on.year_month().months_since(person.birth_date.year_month());
  const bool temporary =
      transfer.to_province != hukou_province && age_months >= *(*threshold)->number.to_int64_exact();
  if (trace) {
    trace->step("temporary_account", (*threshold)->rule_id,
                "temporary when the age at the move reaches the threshold and the new province is not the hukou one")
        .in("age_months", std::to_string(age_months))
        .in("hukou_province", std::to_string(hukou_province))
        .in("to_province", std::to_string(transfer.to_province))
        .param(**threshold)
        .out(temporary ? "temporary account" : "transfer");
  }
  if (temporary) {
    result.refused = true;
    result.reason = "temporary account: at " + std::to_string(age_months / 12) +
                    " years the relationship stays in province " + std::to_string(transfer.from_province) +
                    "; province " + std::to_string(transfer.to_province) + " keeps a temporary account";
    return result;
  }
  if (months_in_from.empty()) {
    result.refused = true;
    result.reason = "no contributions recorded in province " + std::to_string(transfer.from_province);
    return result;
  }
  // Each month's actual base, from the rules in force for that month.
  // Two employers in one month make one contribution month with the bases added.
  std::map<YearMonth, std::int64_t> base_by_month;
  for (const auto& declared : months_in_from) {
    auto computed = collection::compute_declared_month(declared, rules, nullptr);
    if (!computed) return tl::unexpected(computed.error());
    base_by_month[declared.month] += computed->contribution_base.fen();
  }
  std::map<std::pair<int, std::int64_t>, int> months_by_year_and_base;
  for (const auto& [month, base_fen] : base_by_month) ++months_by_year_and_base[{month.year(), base_fen}];
  rules::PooledTransferQuery pooled_query;
  pooled_query.transfer_date = transfer.requested_on;
  for (const auto& [key, months] : months_by_year_and_base) {
    pooled_query.periods.push_back(rules::PooledPeriod{key.first, Money::from_fen(key.second), months});
  }
  auto pooled = rules::compute_pooled_transfer(pooled_query, rules, trace);
  if (!pooled) return tl::unexpected(pooled.error());
  result.pooled_fen = pooled->pooled_transfer.fen();
  result.counted_months = pooled->counted_months;
  result.account_fen = std::max<std::int64_t>(0, account_balance_fen);
  if (trace) {
    trace->step("account_balance", "CN-XFER-FUNDS-2010", "the whole personal account balance moves")
        .out(Money::from_fen(result.account_fen).to_string());
  }
  return result;
}

ledger::JournalEntry transfer_out_entry(const Transfer& transfer) {
  ledger::JournalEntry entry;
  entry.idempotency_key = "transfer_out/" + std::to_string(transfer.transfer_id);
  entry.person_id = transfer.person_id;
  entry.kind = ledger::EntryKind::transfer_out;
  entry.month = transfer.requested_on.year_month();
  entry.source_id = transfer.transfer_id;
  using ledger::AccountKind;
  if (transfer.pooled_fen != 0) entry.postings.push_back({{AccountKind::pooled_fund, transfer.from_province}, transfer.pooled_fen});
  entry.postings.push_back(
      {{AccountKind::collection_bank, transfer.from_province}, -(transfer.account_fen + transfer.pooled_fen)});
  if (transfer.account_fen != 0) {
    entry.postings.push_back({{AccountKind::transfer_clearing, transfer.to_province}, transfer.account_fen});
  }
  return entry;
}

ledger::JournalEntry transfer_in_entry(const Transfer& transfer) {
  ledger::JournalEntry entry;
  entry.idempotency_key = "transfer_in/" + std::to_string(transfer.transfer_id);
  entry.person_id = transfer.person_id;
  entry.kind = ledger::EntryKind::transfer_in;
  entry.month = transfer.requested_on.year_month();
  entry.source_id = transfer.transfer_id;
  using ledger::AccountKind;
  entry.postings.push_back(
      {{AccountKind::collection_bank, transfer.to_province}, transfer.account_fen + transfer.pooled_fen});
  if (transfer.pooled_fen != 0) entry.postings.push_back({{AccountKind::pooled_fund, transfer.to_province}, -transfer.pooled_fen});
  if (transfer.account_fen != 0) {
    entry.postings.push_back({{AccountKind::transfer_clearing, transfer.to_province}, -transfer.account_fen});
  }
  return entry;
}

}  // namespace shebao::portability
