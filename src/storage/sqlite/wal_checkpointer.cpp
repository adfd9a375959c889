#include "storage/sqlite/wal_checkpointer.h"

namespace shebao::storage {

std::unique_ptr<WalCheckpointer> WalCheckpointer::start(sqlite3* writer, const std::string& path, int pages) {
  sqlite3* own = nullptr;
  if (sqlite3_open_v2(path.c_str(), &own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(own);
    return nullptr;
  }
  // A checkpoint copies frames with file reads and writes, not through the
  // page cache: the thread's connection needs almost none.
  sqlite3_exec(own, "PRAGMA cache_size = 16", nullptr, nullptr, nullptr);
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(writer, own, pages));
}

WalCheckpointer::WalCheckpointer(sqlite3* writer, sqlite3* own, int pages)
    : writer_(writer), own_(own), pages_(pages), thread_([this] { loop(); }) {
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close_v2(own_);
}

WalCheckpointer::Counts WalCheckpointer::counts() {
  std::lock_guard lock(mutex_);
  return counts_;
}

// Called by SQLite in the committing thread, after the commit, with the write
// lock released.
int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int pages_in_wal) {
  auto& checkpointer = *static_cast<WalCheckpointer*>(self);
  if (pages_in_wal < checkpointer.pages_) return SQLITE_OK;
  if (pages_in_wal >= 4 * checkpointer.pages_) {
    // After the thread's checkpoint under way, if any (a checkpoint started
    // meanwhile would make this one a no-op), so that this one copies every
    // frame and the next transaction starts the WAL over.
    std::unique_lock lock(checkpointer.mutex_);
    checkpointer.idle_.wait(lock, [&] { return !checkpointer.running_; });
    checkpointer.running_ = true;
    lock.unlock();
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    checkpointer.running_ = false;
    checkpointer.pending_ = false;
    ++checkpointer.counts_.inline_fallback;
    return SQLITE_OK;
  }
  {
    std::lock_guard lock(checkpointer.mutex_);
    checkpointer.pending_ = true;
  }
  checkpointer.wake_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || (pending_ && !running_); });
    if (stopping_) return;
    pending_ = false;
    running_ = true;
    lock.unlock();
    // An I/O error leaves the frames in the WAL: the next checkpoint, or the
    // writer's close, copies them.
    sqlite3_wal_checkpoint_v2(own_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    running_ = false;
    ++counts_.background;
    idle_.notify_all();
  }
}

}  // namespace shebao::storage
