// WAL checkpoints on a thread of their own (storage/sqlite/wal_checkpointer.h).
#include "storage/sqlite/wal_checkpointer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace shebao::storage {
namespace {

namespace fs = std::filesystem;

class WalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("shebao-wal-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "test.db").string();
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                              nullptr),
              SQLITE_OK);
    ASSERT_EQ(exec("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                   "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL);"),
              "");
  }
  void TearDown() override {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    fs::remove_all(dir_);
  }
  std::string exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    std::string error = rc == SQLITE_OK ? "" : (message ? message : "error");
    sqlite3_free(message);
    return error;
  }
  std::int64_t number(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    std::int64_t value = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }
  // One commit of `rows` rows of 2 KiB (about rows / 2 pages).
  void commit_rows(int rows) {
    ASSERT_EQ(exec("BEGIN IMMEDIATE; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                   std::to_string(rows) + ") INSERT INTO t (body) SELECT randomblob(2048) FROM n; COMMIT;"),
              "");
  }
  std::uintmax_t wal_bytes() {
    std::error_code error;
    const auto size = fs::file_size(path_ + "-wal", error);
    return error ? 0 : size;
  }

  fs::path dir_;
  std::string path_;
  sqlite3* db_ = nullptr;
};

// Commits past the threshold wake the thread, which copies the pages back:
// the WAL stays near the threshold instead of growing with every commit
// (SQLite's own checkpoints are off: the hook replaced them), and nothing is
// lost.
TEST_F(WalCheckpointerTest, TheThreadCheckpointsAndTheWalStaysBounded) {
  auto checkpointer = WalCheckpointer::start(db_, path_, 64);
  ASSERT_NE(checkpointer, nullptr);
  std::uintmax_t largest = 0;
  for (int i = 0; i < 200; ++i) {
    commit_rows(40);  // about 20 pages
    if (i % 10 == 9) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // room for the thread
    largest = std::max(largest, wal_bytes());
  }
  const auto counts = checkpointer->counts();
  EXPECT_GT(counts.background, 0);
  // 8,000 rows of 2 KiB are 16 MiB; at most four times the threshold (and the
  // commit that passed it) stay in the WAL.
  EXPECT_LT(largest, std::uintmax_t{6 * 64 + 40} * 4096 * 2) << largest;
  checkpointer.reset();
  EXPECT_EQ(number("SELECT COUNT(*) FROM t"), 8000);
  sqlite3_close_v2(db_);
  db_ = nullptr;
  EXPECT_EQ(wal_bytes(), 0U);  // the last close checkpointed the rest and removed the WAL
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  EXPECT_EQ(number("SELECT COUNT(*) FROM t"), 8000);
  sqlite3_stmt* check = nullptr;
  sqlite3_prepare_v2(db_, "PRAGMA integrity_check", -1, &check, nullptr);
  ASSERT_EQ(sqlite3_step(check), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check, 0)), "ok");
  sqlite3_finalize(check);
}

// When the thread cannot keep up (here: never woken in time, the commits come
// one after the other), the committing thread checkpoints itself at four
// times the threshold; below the threshold nothing is checkpointed.
TEST_F(WalCheckpointerTest, BelowTheThresholdNothingIsCopiedAndFarAboveTheWriterCopies) {
  auto checkpointer = WalCheckpointer::start(db_, path_, 1000);
  ASSERT_NE(checkpointer, nullptr);
  commit_rows(100);  // about 50 pages
  EXPECT_EQ(checkpointer->counts().background, 0);
  EXPECT_EQ(checkpointer->counts().inline_fallback, 0);
  commit_rows(9000);  // about 4,500 pages: past four times the threshold in one commit
  EXPECT_EQ(checkpointer->counts().inline_fallback, 1);
  checkpointer.reset();
  EXPECT_EQ(number("SELECT COUNT(*) FROM t"), 9100);
}

// Without a file (an in-memory database) or with a path the thread cannot
// open, there is no thread: the connection keeps SQLite's own checkpoints.
TEST_F(WalCheckpointerTest, NoThreadWithoutAFileToOpen) {
  EXPECT_EQ(WalCheckpointer::start(db_, (dir_ / "missing" / "x.db").string(), 64), nullptr);
  commit_rows(10);
  EXPECT_EQ(number("SELECT COUNT(*) FROM t"), 10);
}

}  // namespace
}  // namespace shebao::storage
