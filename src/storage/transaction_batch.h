// shebao storage: a transaction committed in batches, for imports and runs.
//
// The caller opens it before a write (ensure_open), counts what it wrote
// (add) and the batch commits once `limit` items are in it; commit() ends
// the last one. A batch still open when it goes (an error path) is rolled
// back. `before_commit`, when set, runs inside the transaction just before
// each commit (to hand over rows the caller keeps in groups).
#pragma once

#include <cstddef>
#include <functional>

#include "storage/database.h"

namespace shebao::storage {

class TransactionBatch {
 public:
  TransactionBatch(Database& database, std::size_t limit) : database_(database), limit_(limit) {}
  TransactionBatch(const TransactionBatch&) = delete;
  TransactionBatch& operator=(const TransactionBatch&) = delete;
  ~TransactionBatch() {
    if (open_) database_.rollback();
  }

  void set_before_commit(std::function<Result<void>()> hook) { before_commit_ = std::move(hook); }

  Result<void> ensure_open() {
    if (open_) return {};
    if (auto ok = database_.begin(); !ok) return ok;
    open_ = true;
    return {};
  }
  // Counts `items` written; commits once the batch is full.
  Result<void> add(std::size_t items) {
    pending_ += items;
    if (pending_ >= limit_) return commit();
    return {};
  }
  Result<void> commit() {
    if (!open_) return {};
    if (before_commit_) {
      if (auto ok = before_commit_(); !ok) return ok;  // still open: rolled back by the destructor
    }
    open_ = false;
    pending_ = 0;
    return database_.commit();
  }

 private:
  Database& database_;
  std::size_t limit_;
  std::size_t pending_ = 0;
  bool open_ = false;
  std::function<Result<void>()> before_commit_;
};

}  // namespace shebao::storage
