#include "ledger/ledger.h"

namespace shebao::ledger {

std::string_view to_string(AccountKind kind) {
  switch (kind) {
    case AccountKind::personal: return "personal";
    case AccountKind::pooled_fund: return "pooled_fund";
    case AccountKind::employer_receivable: return "employer_receivable";
    case AccountKind::collection_bank: return "collection_bank";
    case AccountKind::interest_expense: return "interest_expense";
    case AccountKind::transfer_clearing: return "transfer_clearing";
  }
  return "unknown";
}

bool is_credit_normal(AccountKind kind) {
  return kind == AccountKind::personal || kind == AccountKind::pooled_fund || kind == AccountKind::transfer_clearing;
}

std::string_view to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::contribution: return "contribution";
    case EntryKind::flexible_contribution: return "flexible_contribution";
    case EntryKind::payment: return "payment";
    case EntryKind::late_fee: return "late_fee";
    case EntryKind::interest: return "interest";
    case EntryKind::transfer_out: return "transfer_out";
    case EntryKind::transfer_in: return "transfer_in";
    case EntryKind::reversal: return "reversal";
  }
  return "unknown";
}

Result<void> check_entry(const JournalEntry& entry) {
  if (entry.idempotency_key.empty()) return fail(ErrorCode::invalid_input, "idempotency_key", "entry has no key");
  if (entry.postings.size() < 2) {
    return fail(ErrorCode::invalid_input, entry.idempotency_key, "an entry needs at least two postings");
  }
  __int128 sum = 0;
  for (const Posting& posting : entry.postings) {
    if (posting.amount_fen == 0) return fail(ErrorCode::invalid_input, entry.idempotency_key, "zero posting");
    sum += posting.amount_fen;
  }
  if (sum != 0) return fail(ErrorCode::invalid_input, entry.idempotency_key, "postings do not sum to zero");
  return {};
}

JournalEntry reversal_of(const JournalEntry& original, std::int64_t original_id) {
  JournalEntry reversal;
  reversal.idempotency_key = "reversal/" + original.idempotency_key;
  reversal.person_id = original.person_id;
  reversal.kind = EntryKind::reversal;
  reversal.month = original.month;
  reversal.source_id = original.source_id;
  reversal.corrects_entry_id = original_id;
  reversal.postings.reserve(original.postings.size());
  for (const Posting& posting : original.postings) {
    reversal.postings.push_back(Posting{posting.account, -posting.amount_fen});
  }
  return reversal;
}

std::int64_t displayed_balance(AccountKind kind, std::int64_t posting_sum_fen) {
  return is_credit_normal(kind) ? -posting_sum_fen : posting_sum_fen;
}

}  // namespace shebao::ledger
