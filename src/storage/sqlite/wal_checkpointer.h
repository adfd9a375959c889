// shebao storage/sqlite: WAL checkpoints on a thread of their own.
//
// In WAL mode every page a transaction writes goes to the WAL file first and is
// copied back into the database file by a checkpoint. SQLite runs that copy in
// the committing thread, once the WAL has grown past wal_autocheckpoint pages,
// and again when the last connection closes: at a million persons about a
// tenth of a declaration import's time and of a month run's. The bulk jobs
// (imports, month runs) use one core of the two this software is measured on.
//
// WalCheckpointer takes the checkpoints off the writing thread: it replaces the
// connection's automatic checkpoint (sqlite3_wal_hook) with a hook that, after
// a commit has left at least `pages` pages in the WAL, wakes a thread with its
// own connection to the same file, which runs a PASSIVE checkpoint (copies
// what no reader still needs, never waits for a lock, never blocks the
// writer). While the writer keeps committing, the WAL cannot start over (the
// thread is always a commit behind), so once it reaches four times `pages` the
// committing thread waits for the thread's checkpoint under way, if any, and
// checkpoints the rest itself, as SQLite would have: the next transaction then
// writes the WAL from its start, which bounds it. Checkpoints are
// SQLite's own, with the same durability at any point (the WAL is synced
// before the database file is written); a process killed mid-checkpoint leaves
// the work to the next one.
//
// Destroy the WalCheckpointer before closing the writer's connection: it stops
// the thread and closes its connection, so that the writer's close is the last
// and checkpoints what is left.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace shebao::storage {

class WalCheckpointer {
 public:
  // Starts the thread for `writer`, a connection to `path` in WAL mode. Null
  // when the thread's connection cannot be opened (the writer then keeps
  // SQLite's automatic checkpoints).
  static std::unique_ptr<WalCheckpointer> start(sqlite3* writer, const std::string& path, int pages);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints run by the thread, and by the committing thread because the
  // thread was behind (for tests and diagnostics).
  struct Counts {
    long background = 0;
    long inline_fallback = 0;
  };
  Counts counts();

 private:
  WalCheckpointer(sqlite3* writer, sqlite3* own, int pages);
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages_in_wal);
  void loop();

  sqlite3* writer_;
  sqlite3* own_;
  int pages_;
  std::mutex mutex_;
  std::condition_variable wake_;  // the thread: a checkpoint is wanted, or stop
  std::condition_variable idle_;  // the writer: the thread's checkpoint is done
  bool pending_ = false;
  bool running_ = false;  // a checkpoint is under way (the thread's or the writer's)
  bool stopping_ = false;
  Counts counts_;
  std::thread thread_;
};

}  // namespace shebao::storage
