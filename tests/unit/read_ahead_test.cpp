// Whether a month run's reads started ahead may still be used (storage/read_ahead.h).
#include "storage/read_ahead.h"

#include <gtest/gtest.h>

namespace shebao::storage {
namespace {

const YearMonth kOctober = YearMonth::of(2026, 10);

TEST(ReadAhead, EachPartIsTakenOnceAndOnlyForItsMonth) {
  ReadAhead marks;
  EXPECT_FALSE(marks.take_flexible(kOctober));  // nothing started
  marks.started(kOctober, true, true);
  EXPECT_FALSE(marks.take_flexible(YearMonth::of(2026, 11)));
  EXPECT_TRUE(marks.settle_before_pending(kOctober));
  EXPECT_TRUE(marks.take_flexible(kOctober));
  EXPECT_FALSE(marks.take_flexible(kOctober));
  EXPECT_TRUE(marks.take_settle_before(kOctober));
  EXPECT_FALSE(marks.settle_before_pending(kOctober));
  EXPECT_TRUE(marks.take_payments_within(kOctober));
  EXPECT_FALSE(marks.take_payments_within(kOctober));
  marks.started(kOctober, false, true);
  EXPECT_FALSE(marks.take_flexible(kOctober));
  marks.stopped();
  EXPECT_FALSE(marks.take_settle_before(kOctober));
}

// Writes since the start end the parts they could change: persons and
// flexible payments the flexible workers; payments, employers and a total of
// a month before the run's the months to settle (a payment the month's
// payments too); a total of the run's month or later changes nothing.
TEST(ReadAhead, WritesSinceTheStartEndThePartsTheyChange) {
  ReadAhead marks;
  marks.started(kOctober, true, true);
  marks.employer_month_written(false, kOctober.serial());
  EXPECT_TRUE(marks.settle_before_pending(kOctober));
  marks.employer_month_written(false, kOctober.serial() - 1);
  EXPECT_FALSE(marks.take_settle_before(kOctober));
  EXPECT_TRUE(marks.take_payments_within(kOctober));
  EXPECT_TRUE(marks.take_flexible(kOctober));

  marks.started(kOctober, true, true);
  marks.settle_written(false, false);  // an employer
  EXPECT_FALSE(marks.take_settle_before(kOctober));
  EXPECT_TRUE(marks.take_payments_within(kOctober));
  marks.started(kOctober, true, true);
  marks.settle_written(false, true);  // a payment
  EXPECT_FALSE(marks.take_payments_within(kOctober));
  marks.flexible_written(false);
  EXPECT_FALSE(marks.take_flexible(kOctober));
}

// Of the entries booked, only flexible payments change the flexible workers to book.
TEST(ReadAhead, OnlyFlexiblePaymentsChangeTheFlexibleWorkersToBook) {
  EXPECT_TRUE(ReadAhead::changes_flexible(ledger::EntryKind::flexible_contribution));
  for (const auto kind : {ledger::EntryKind::contribution, ledger::EntryKind::reversal, ledger::EntryKind::settlement,
                          ledger::EntryKind::interest}) {
    EXPECT_FALSE(ReadAhead::changes_flexible(kind)) << static_cast<int>(kind);
  }
}

// What the open transaction wrote keeps a read from covering it (another
// connection would not see it) until the transaction ends.
TEST(ReadAhead, TheOpenTransactionsWritesKeepThePartsFromStarting) {
  ReadAhead marks;
  EXPECT_TRUE(marks.may_read_flexible());
  EXPECT_TRUE(marks.may_read_settle(kOctober));
  marks.employer_month_written(true, kOctober.serial());
  EXPECT_TRUE(marks.may_read_settle(kOctober));  // the run's own month: not read ahead
  marks.employer_month_written(true, kOctober.serial() - 1);
  EXPECT_FALSE(marks.may_read_settle(kOctober));
  EXPECT_TRUE(marks.may_read_settle(YearMonth::of(2026, 9)));
  marks.flexible_written(true);
  EXPECT_FALSE(marks.may_read_flexible());
  marks.transaction_ended();
  EXPECT_TRUE(marks.may_read_flexible());
  EXPECT_TRUE(marks.may_read_settle(kOctober));
  marks.settle_written(true, false);
  EXPECT_FALSE(marks.may_read_settle(kOctober));
  marks.flexible_written(false);  // outside a transaction: committed, visible to another connection
  EXPECT_TRUE(marks.may_read_flexible());
}

}  // namespace
}  // namespace shebao::storage
