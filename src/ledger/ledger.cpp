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
    case EntryKind::settlement: return "settlement";
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

std::int64_t PackedEntry::receivable_total() const {
  std::int64_t sum = 0;
  for (const PackedLine& line : lines) sum += line.receivable_fen;
  return sum;
}

std::int64_t PackedEntry::posting_count() const {
  std::int64_t count = 0;
  for (const PackedLine& line : lines) {
    count += (line.receivable_fen != 0) + (line.personal_fen != 0) + (line.pooled_fen != 0);
  }
  return count;
}

std::string packed_contribution_key(std::int64_t declaration_id) {
  return "contribution/" + std::to_string(declaration_id);
}

std::string packed_flexible_key(std::int64_t person_id, YearMonth month) {
  return "flexible/" + std::to_string(person_id) + "/" + month.to_string();
}

PackedEntry packed_flexible_entry(YearMonth month, int province, std::vector<PackedLine> lines) {
  PackedEntry entry;
  entry.person_id = lines.empty() ? 0 : lines.front().person_id;
  entry.idempotency_key = packed_flexible_key(entry.person_id, month);
  entry.kind = EntryKind::flexible_contribution;
  entry.month = month;
  entry.province = province;
  entry.lines = std::move(lines);
  return entry;
}

namespace {

// The key, correction and distribution key of a packed flexible entry (kind flexible_contribution).
Result<void> check_flexible_head(const PackedEntry& entry) {
  if (entry.lines.empty()) return fail(ErrorCode::invalid_input, entry.idempotency_key, "a packed entry has no line");
  const std::int64_t first = entry.lines.front().person_id;
  if (entry.idempotency_key != packed_flexible_key(first, entry.month) || entry.person_id != first ||
      entry.employer_id != 0 || entry.source_id != 0 || entry.corrects_entry_id || first <= 0) {
    return fail(ErrorCode::invalid_input, entry.idempotency_key,
                "packed flexible payments are keyed flexible/<first person>/<month>, distributed by that "
                "person, with no employer, source or correction");
  }
  if (entry.lines.back().person_id / kFlexibleBlock != first / kFlexibleBlock) {
    return fail(ErrorCode::invalid_input, entry.idempotency_key,
                "the persons of packed flexible payments lie in one block of " + std::to_string(kFlexibleBlock) +
                    " person ids");
  }
  return {};
}

// The key, correction and distribution key of a declaration's packed entry or its reversal.
Result<void> check_contribution_head(const PackedEntry& entry) {
  const std::string key = packed_contribution_key(entry.source_id);
  if (entry.kind == EntryKind::contribution) {
    if (entry.idempotency_key != key || entry.corrects_entry_id) {
      return fail(ErrorCode::invalid_input, entry.idempotency_key,
                  "a packed contribution's key must be " + key + " and it corrects no entry");
    }
  } else if (entry.kind == EntryKind::reversal) {
    if (entry.idempotency_key != "reversal/" + key || !entry.corrects_entry_id) {
      return fail(ErrorCode::invalid_input, entry.idempotency_key,
                  "a packed reversal's key must be reversal/" + key + " and it names the entry it corrects");
    }
  } else {
    return fail(ErrorCode::invalid_input, entry.idempotency_key,
                "only contributions, their reversals and flexible payments are packed");
  }
  if (entry.person_id != -entry.employer_id || entry.employer_id <= 0) {
    return fail(ErrorCode::invalid_input, entry.idempotency_key,
                "a packed entry's distribution key is the negated employer id");
  }
  return {};
}

}  // namespace

Result<void> check_packed(const PackedEntry& entry) {
  auto head = entry.kind == EntryKind::flexible_contribution ? check_flexible_head(entry)
                                                             : check_contribution_head(entry);
  if (!head) return head;
  if (entry.lines.empty()) return fail(ErrorCode::invalid_input, entry.idempotency_key, "a packed entry has no line");
  for (std::size_t i = 0; i < entry.lines.size(); ++i) {
    const PackedLine& line = entry.lines[i];
    if (i > 0 && line.person_id <= entry.lines[i - 1].person_id) {
      return fail(ErrorCode::invalid_input, entry.idempotency_key,
                  "the lines of a packed entry must be in ascending person order, each person once");
    }
    std::int64_t sum = 0;
    if (__builtin_add_overflow(line.receivable_fen, line.personal_fen, &sum) ||
        __builtin_add_overflow(sum, line.pooled_fen, &sum) || sum != 0) {
      return fail(ErrorCode::invalid_input, entry.idempotency_key,
                  "the postings of person " + std::to_string(line.person_id) + " do not sum to zero");
    }
    if (line.base_fen < 0 || (line.base_fen != 0 && entry.kind != EntryKind::flexible_contribution)) {
      return fail(ErrorCode::invalid_input, entry.idempotency_key,
                  "only a flexible payment's line keeps a contribution base, never below zero (person " +
                      std::to_string(line.person_id) + ")");
    }
  }
  if (entry.posting_count() < 2) {
    return fail(ErrorCode::invalid_input, entry.idempotency_key, "an entry needs at least two postings");
  }
  return {};
}

PackedEntry reversal_of(const PackedEntry& original, std::int64_t original_id) {
  PackedEntry reversal = original;
  reversal.idempotency_key = "reversal/" + original.idempotency_key;
  reversal.kind = EntryKind::reversal;
  reversal.corrects_entry_id = original_id;
  for (PackedLine& line : reversal.lines) {
    line.receivable_fen = -line.receivable_fen;
    line.personal_fen = -line.personal_fen;
    line.pooled_fen = -line.pooled_fen;
  }
  return reversal;
}

std::string settlement_key(const SettlementLine& line, YearMonth run_month) {
  std::string key = line.kind == EntryKind::payment ? "payment/" : "late_fee/";
  key += std::to_string(line.employer_id);
  key += '/';
  key += line.month.to_string();
  key += '/';
  if (line.kind == EntryKind::payment) {
    key += line.paid_on ? line.paid_on->to_string() : std::string();
    key += '/';
    key += std::to_string(line.paid_before_fen);
  } else {
    key += run_month.to_string();
  }
  return key;
}

SettlementEntry packed_settlement_entry(YearMonth run_month, std::vector<SettlementLine> lines) {
  SettlementEntry entry;
  entry.idempotency_key = settlement_key(lines.front(), run_month);
  entry.person_id = -lines.front().employer_id;
  entry.month = run_month;
  entry.lines = std::move(lines);
  return entry;
}

Result<void> check_settlement(const SettlementEntry& entry) {
  if (entry.lines.empty()) return fail(ErrorCode::invalid_input, entry.idempotency_key, "a packed entry has no line");
  const SettlementLine& first = entry.lines.front();
  if (entry.idempotency_key != settlement_key(first, entry.month) || entry.person_id != -first.employer_id) {
    return fail(ErrorCode::invalid_input, entry.idempotency_key,
                "payments and late fees packed: the key and distribution key are the first line's");
  }
  for (std::size_t i = 0; i < entry.lines.size(); ++i) {
    const SettlementLine& line = entry.lines[i];
    const std::string where = entry.idempotency_key + " line " + std::to_string(i);
    if (line.kind != EntryKind::payment && line.kind != EntryKind::late_fee) {
      return fail(ErrorCode::invalid_input, where, "a packed settlement line is a payment or a late fee");
    }
    if (line.employer_id <= 0 || line.employer_id / kEmployerBlock != first.employer_id / kEmployerBlock ||
        (i > 0 && line.employer_id < entry.lines[i - 1].employer_id)) {
      return fail(ErrorCode::invalid_input, where,
                  "the lines of a packed settlement entry are in ascending employer order, in one block");
    }
    if (line.amount_fen <= 0) return fail(ErrorCode::invalid_input, where, "the amount must be positive");
    if (line.kind == EntryKind::payment ? !line.paid_on || line.month > entry.month
                                        : line.paid_on.has_value() || line.paid_before_fen != 0) {
      return fail(ErrorCode::invalid_input, where,
                  "a payment has its date and settles a month up to the run's; a late fee has neither date nor "
                  "earlier payment");
    }
  }
  return {};
}

std::int64_t displayed_balance(AccountKind kind, std::int64_t posting_sum_fen) {
  return is_credit_normal(kind) ? -posting_sum_fen : posting_sum_fen;
}

}  // namespace shebao::ledger
