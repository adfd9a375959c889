#include "app/transfer_command.h"

#include <iostream>

#include "core/ids.h"
#include "core/region.h"
#include "ingest/rules_files.h"
#include "portability/transfers.h"
#include "storage/database.h"

namespace shebao::app {
namespace {

int report(const Error& error) {
  std::cerr << "shebao: " << error.to_string() << "\n";
  return exit_status(error.code);
}

void print(const portability::Transfer& t) {
  std::cout << "transfer " << t.transfer_id << ": " << to_string(t.status) << "  person " << t.person_id << "  CN-"
            << t.from_province << " → CN-" << t.to_province << "  requested " << t.requested_on.to_string();
  if (t.status == portability::TransferStatus::refused) {
    std::cout << "\n  refused: " << t.reason;
  } else if (t.status != portability::TransferStatus::requested) {
    std::cout << "\n  personal account " << Money::from_fen(t.account_fen).to_string() << " yuan, pooled part "
              << Money::from_fen(t.pooled_fen).to_string() << " yuan (" << t.counted_months << " months counted)";
  }
  std::cout << "\n";
}

Result<std::int64_t> parse_id(const std::string& text) {
  auto number = Decimal::parse(text);
  if (!number || !number->to_int64_exact() || *number->to_int64_exact() <= 0) {
    return fail(ErrorCode::invalid_input, "ID", "a transfer id is a positive whole number, got \"" + text + "\"");
  }
  return *number->to_int64_exact();
}

Result<portability::Transfer> load(storage::Database& database, const std::string& id_text) {
  auto id = parse_id(id_text);
  if (!id) return tl::unexpected(id.error());
  auto transfer = database.find_transfer(*id);
  if (!transfer) return tl::unexpected(transfer.error());
  if (!*transfer) return fail(ErrorCode::not_found, "ID", "no transfer " + id_text);
  return **transfer;
}

// Runs `work` in a transaction; rolls back on failure.
Result<void> in_transaction(storage::Database& database, const std::function<Result<void>()>& work) {
  if (auto ok = database.begin(); !ok) return ok;
  auto done = work();
  if (!done) {
    database.rollback();
    return done;
  }
  return database.commit();
}

}  // namespace

int transfer_command(const DataOptions& options, const TransferArguments& arguments) {
  auto opened = storage::open_database(options.db_url);
  if (!opened) return report(opened.error());
  storage::Database& database = **opened;
  using portability::TransferStatus;

  if (arguments.action == "request") {
    auto id = ResidentId::parse(arguments.target);
    if (!id) return report(Error{id.error().code, "RESIDENT_ID", id.error().message});
    auto from = parse_province_jurisdiction(arguments.from);
    if (!from) return report(Error{from.error().code, "--from", from.error().message});
    auto to = parse_province_jurisdiction(arguments.to);
    if (!to) return report(Error{to.error().code, "--to", to.error().message});
    if (*from == *to) return report(Error{ErrorCode::invalid_input, "--to", "the receiving province is the sending one"});
    auto person = database.find_person(id->text());
    if (!person) return report(person.error());
    if (!*person) return report(Error{ErrorCode::unknown_person, "RESIDENT_ID", "no registered person with this ID"});
    auto existing = database.transfers_of((*person)->person_id);
    if (!existing) return report(existing.error());
    for (const auto& t : *existing) {
      if (t.status != TransferStatus::credited && t.status != TransferStatus::refused) {
        return report(Error{ErrorCode::conflict, "RESIDENT_ID",
                            "transfer " + std::to_string(t.transfer_id) + " of this person is still " +
                                std::string(to_string(t.status)) + "; finish it first"});
      }
    }
    portability::Transfer transfer;
    transfer.person_id = (*person)->person_id;
    transfer.from_province = *from;
    transfer.to_province = *to;
    transfer.requested_on = options.today ? *options.today : today_from_clock();
    auto stored = database.insert_transfer(transfer);
    if (!stored) return report(stored.error());
    transfer.transfer_id = *stored;
    print(transfer);
    return 0;
  }

  if (arguments.action == "status") {
    if (arguments.target.size() == 18 || arguments.target.size() == 15) {
      auto id = ResidentId::parse(arguments.target);
      if (!id) return report(Error{id.error().code, "ID", id.error().message});
      auto person = database.find_person(id->text());
      if (!person) return report(person.error());
      if (!*person) return report(Error{ErrorCode::unknown_person, "ID", "no registered person with this ID"});
      auto transfers = database.transfers_of((*person)->person_id);
      if (!transfers) return report(transfers.error());
      if (transfers->empty()) std::cout << "no transfers\n";
      for (const auto& t : *transfers) print(t);
      return 0;
    }
    auto transfer = load(database, arguments.target);
    if (!transfer) return report(transfer.error());
    print(*transfer);
    return 0;
  }

  auto transfer = load(database, arguments.target);
  if (!transfer) return report(transfer.error());
  const auto step_done = [&](TransferStatus needed) {
    // Idempotent steps: a transfer already past this step is shown, not redone.
    std::cout << "nothing to do (" << to_string(transfer->status) << "; this step needs "
              << to_string(needed) << ")\n";
    print(*transfer);
    return transfer->status == TransferStatus::refused ? 0 : 0;
  };

  if (arguments.action == "compute") {
    if (transfer->status != TransferStatus::requested) return step_done(TransferStatus::requested);
    auto rules = ingest::load_rules_directory(options.rules_dir);
    if (!rules) return report(rules.error());
    auto person = database.find_person_by_id(transfer->person_id);
    if (!person) return report(person.error());
    if (!*person) return report(Error{ErrorCode::not_found, "person", "the transfer's person is gone"});
    auto months = database.person_months_in_province(transfer->person_id, transfer->from_province);
    if (!months) return report(months.error());
    auto balance = database.personal_balance(transfer->person_id);
    if (!balance) return report(balance.error());
    auto computed = portability::compute_transfer(**person, *transfer, *months, *balance, *rules, nullptr);
    if (!computed) return report(computed.error());
    if (computed->refused) {
      transfer->status = TransferStatus::refused;
      transfer->reason = computed->reason;
    } else {
      transfer->status = TransferStatus::computed;
      transfer->account_fen = computed->account_fen;
      transfer->pooled_fen = computed->pooled_fen;
      transfer->counted_months = computed->counted_months;
    }
    if (auto ok = in_transaction(database, [&] { return database.update_transfer(*transfer); }); !ok) {
      return report(ok.error());
    }
    print(*transfer);
    return 0;
  }

  if (arguments.action == "send" || arguments.action == "credit") {
    const bool send = arguments.action == "send";
    const TransferStatus needed = send ? TransferStatus::computed : TransferStatus::sent;
    if (transfer->status != needed) return step_done(needed);
    const ledger::JournalEntry entry =
        send ? portability::transfer_out_entry(*transfer) : portability::transfer_in_entry(*transfer);
    transfer->status = send ? TransferStatus::sent : TransferStatus::credited;
    auto ok = in_transaction(database, [&]() -> Result<void> {
      if (auto booked = database.book(entry); !booked) return tl::unexpected(booked.error());
      return database.update_transfer(*transfer);
    });
    if (!ok) return report(ok.error());
    print(*transfer);
    return 0;
  }
  return report(Error{ErrorCode::invalid_input, "ACTION", "unknown transfer action " + arguments.action});
}

}  // namespace shebao::app
