// shebao audit: the appender of the hash-chained audit log.
//
// append() chains an entry onto the last one in memory (under a mutex, so the
// order of seq is the order of the chain) and hands it to one writer thread,
// which stores queued entries in one transaction every few milliseconds
// (group commit) through its own ApiStore. flush() waits until every entry
// appended so far is committed; the destructor flushes. A crash can lose the
// entries of the last few milliseconds; what is stored is always an unbroken
// prefix of the chain.
//
// Thread safety: append() and flush() from any thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/api_store.h"

namespace shebao::audit {

struct Access {
  std::string at;  // UTC time, passed in by the caller
  std::string actor;
  std::string role;
  std::string action;
  std::string person;
  std::string resource;
  std::string purpose;
};

class AuditLog {
 public:
  // Reads the head from `store`, which the writer thread then owns.
  static Result<std::unique_ptr<AuditLog>> open(std::unique_ptr<storage::ApiStore> store);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void append(Access access);
  void flush();
  std::int64_t appended() const;
  // Writes that failed (counted, logged by the writer to stderr).
  std::int64_t failures() const;

 private:
  explicit AuditLog(std::unique_ptr<storage::ApiStore> store, storage::AuditHead head);
  void run();

  std::unique_ptr<storage::ApiStore> store_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<storage::AuditRecord> queue_;
  std::int64_t seq_ = 0;
  std::string hash_;
  std::int64_t committed_ = 0;
  std::int64_t failures_ = 0;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace shebao::audit
