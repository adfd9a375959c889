#include "audit/audit_log.h"

#include <chrono>
#include <iostream>

#include "audit/chain.h"

namespace shebao::audit {

Result<std::unique_ptr<AuditLog>> AuditLog::open(std::unique_ptr<storage::ApiStore> store) {
  auto head = store->audit_head();
  if (!head) return tl::unexpected(head.error());
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(store), *head));
}

AuditLog::AuditLog(std::unique_ptr<storage::ApiStore> store, storage::AuditHead head)
    : store_(std::move(store)), seq_(head.count), hash_(head.count ? head.hash : std::string(kGenesisHash)),
      committed_(head.count) {
  writer_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void AuditLog::append(Access a) {
  std::lock_guard lock(mutex_);
  storage::AuditRecord r{++seq_,        std::move(a.at),      std::move(a.actor),   std::move(a.role),
                         std::move(a.action), std::move(a.person), std::move(a.resource), std::move(a.purpose),
                         hash_,         ""};
  r.hash = entry_hash(r);
  hash_ = r.hash;
  queue_.push_back(std::move(r));
  if (queue_.size() == 1) wake_.notify_one();
}

void AuditLog::flush() {
  std::unique_lock lock(mutex_);
  const std::int64_t target = seq_;
  wake_.notify_one();
  done_.wait(lock, [&] { return committed_ >= target || stop_; });
}

std::int64_t AuditLog::appended() const {
  std::lock_guard lock(mutex_);
  return seq_;
}

std::int64_t AuditLog::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

void AuditLog::run() {
  std::vector<storage::AuditRecord> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) break;
    lock.unlock();
    // Let a group gather (a few milliseconds) unless stopping.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    lock.lock();
    batch.swap(queue_);
    lock.unlock();
    // A failed group is retried (kept in order at the front) so the stored
    // chain never has a gap.
    auto stored = store_->append_audit(batch);
    lock.lock();
    if (stored) {
      committed_ = batch.back().seq;
      batch.clear();
      done_.notify_all();
    } else {
      ++failures_;
      std::cerr << "{\"level\":\"error\",\"msg\":\"audit log write failed\",\"error\":\""
                << stored.error().message << "\"}\n";
      queue_.insert(queue_.begin(), batch.begin(), batch.end());
      batch.clear();
      if (stop_) break;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      lock.lock();
    }
  }
  done_.notify_all();
}

}  // namespace shebao::audit
