// shebao portability: moving a person's pension relationship between provinces
// (国办发〔2009〕66号, rules CN-XFER-*).
//
// A transfer goes through separate, restartable steps, each recorded with a
// status a person can follow:
//   requested → computed → sent → credited,   or   → refused (with a reason).
// compute_transfer() decides the amounts from the person's contribution
// history in the sending province, with the rules: the personal account
// balance moves whole, the pooled fund sends 12 % of each year's contribution
// base since 1998 (transfer_pooled_rate, transfer_counting_start). A person at
// or above the temporary-account age (temporary_account_age_months) moving to
// a province other than the hukou province is refused: the relationship stays
// and the new province keeps a temporary account (CN-XFER-TEMP-2010).
//
// The ledger entries: `send` books, in the sending province,
//   pooled_fund(from) + pooled, collection_bank(from) − (account + pooled), transfer_clearing(to) + account
// and `credit` books, in the receiving province,
//   collection_bank(to) + (account + pooled), pooled_fund(to) − pooled, transfer_clearing(to) − account.
// The personal account itself is the person's, whichever province keeps it;
// the clearing account holds the account money in transit and is zero once
// every sent transfer is credited.
//
// Pure: no I/O, no clock. Thread safety: values only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collection/month_entries.h"
#include "core/calendar.h"
#include "core/error.h"
#include "ledger/ledger.h"
#include "registry/model.h"
#include "rules/parameter_store.h"
#include "rules/trace.h"

namespace shebao::portability {

enum class TransferStatus { requested, computed, sent, credited, refused };
std::string_view to_string(TransferStatus status);
Result<TransferStatus> parse_transfer_status(std::string_view text);

struct Transfer {
  std::int64_t transfer_id = 0;
  std::int64_t person_id = 0;
  int from_province = 0;
  int to_province = 0;
  Date requested_on;
  TransferStatus status = TransferStatus::requested;
  std::int64_t account_fen = 0;
  std::int64_t pooled_fen = 0;
  std::int64_t counted_months = 0;
  std::string reason;  // why it was refused
};

struct TransferComputation {
  bool refused = false;
  std::string reason;
  std::int64_t account_fen = 0;
  std::int64_t pooled_fen = 0;
  std::int64_t counted_months = 0;
};

// `months_in_from`: the person's current declared person-months with employers
// of the sending province; `account_balance_fen`: the personal account balance.
Result<TransferComputation> compute_transfer(const registry::Person& person, const Transfer& transfer,
                                             const std::vector<collection::DeclaredPersonMonth>& months_in_from,
                                             std::int64_t account_balance_fen, const rules::ParameterStore& rules,
                                             rules::Trace* trace);

ledger::JournalEntry transfer_out_entry(const Transfer& transfer);
ledger::JournalEntry transfer_in_entry(const Transfer& transfer);

}  // namespace shebao::portability
