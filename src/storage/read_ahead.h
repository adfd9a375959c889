// shebao storage: whether a month run's reads started ahead on another
// connection may still be used (both backends).
//
// With a month's declarations (Database::declarations_to_book) a backend may
// start reading, on a connection of its own, what the run asks for later: the
// flexible workers to book (flexible_months_to_book), the employer-months to
// settle before the month and the month's payments (employer_dues_to_settle).
// Another connection sees only what is committed, so a part is started only
// when the open transaction has not written what it reads, and it is used
// (taken, once) only while this connection has not written what it reads
// since: flexible payments and persons end the flexible workers; payments,
// employers and an employer-month total before the month end the months to
// settle; payments end the month's payments.
//
// Pure bookkeeping: no I/O, no database.
#pragma once

#include <algorithm>
#include <limits>

#include "core/calendar.h"
#include "ledger/ledger.h"

namespace shebao::storage {

class ReadAhead {
 public:
  // Which parts a read started now may cover.
  bool may_read_flexible() const { return !tx_flexible_written_; }
  bool may_read_settle(YearMonth month) const {
    return !tx_settle_written_ && tx_first_employer_month_ >= month.serial();
  }
  // A read of `month`'s run was started with these parts (the settle part
  // covers the months before and the month's payments); any earlier one is over.
  void started(YearMonth month, bool flexible, bool settle) {
    month_ = month.serial();
    flexible_ = flexible;
    settle_before_ = settle;
    payments_within_ = settle;
  }
  void stopped() {
    month_ = kNone;
    flexible_ = settle_before_ = payments_within_ = false;
  }

  // True once, for a part of `month`'s read still good; the caller then takes it.
  bool take_flexible(YearMonth month) { return take(month, flexible_); }
  bool take_settle_before(YearMonth month) { return take(month, settle_before_); }
  bool take_payments_within(YearMonth month) { return take(month, payments_within_); }
  // Whether the months before `month` are still to be taken from the read.
  bool settle_before_pending(YearMonth month) const { return month_ == month.serial() && settle_before_; }

  // Whether booking an entry of `kind` can change the flexible workers still
  // to book: only flexible payments can (a contribution, a reversal or a
  // settlement cannot).
  static bool changes_flexible(ledger::EntryKind kind) { return kind == ledger::EntryKind::flexible_contribution; }

  // This connection's writes, inside a transaction or not.
  void flexible_written(bool in_transaction) {
    if (in_transaction) tx_flexible_written_ = true;
    flexible_ = false;
  }
  void settle_written(bool in_transaction, bool payments) {
    if (in_transaction) tx_settle_written_ = true;
    settle_before_ = false;
    if (payments) payments_within_ = false;
  }
  void employer_month_written(bool in_transaction, int month_serial) {
    if (in_transaction) tx_first_employer_month_ = std::min(tx_first_employer_month_, month_serial);
    if (month_serial < month_) settle_before_ = false;
  }
  void transaction_ended() {
    tx_flexible_written_ = false;
    tx_settle_written_ = false;
    tx_first_employer_month_ = std::numeric_limits<int>::max();
  }

 private:
  static constexpr int kNone = std::numeric_limits<int>::min();
  bool take(YearMonth month, bool& part) {
    if (month_ != month.serial() || !part) return false;
    part = false;
    return true;
  }
  int month_ = kNone;
  bool flexible_ = false;
  bool settle_before_ = false;
  bool payments_within_ = false;
  // What the open transaction wrote that another connection does not see.
  bool tx_flexible_written_ = false;                                // flexible payments or persons
  bool tx_settle_written_ = false;                                  // payments or employers
  int tx_first_employer_month_ = std::numeric_limits<int>::max();  // earliest employer-month total changed
};

}  // namespace shebao::storage
