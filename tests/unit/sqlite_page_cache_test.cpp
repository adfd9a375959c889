// The page cache layer of storage/sqlite (sqlite_page_cache.h): its bitmap of
// the pages a cache may hold, and SQLite working through it (rollbacks that
// shrink the database again, B-tree splits renumbering pages, reopening).
#include "storage/sqlite/sqlite_page_cache.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include "storage/sqlite/sqlite_database.h"

namespace shebao::storage {
namespace {

TEST(PageKeys, EmptyHoldsNothing) {
  PageKeys keys;
  EXPECT_FALSE(keys.may_hold_from(0));
  EXPECT_FALSE(keys.may_hold_from(1));
  EXPECT_FALSE(keys.may_hold_from(PageKeys::kLimit));
}

TEST(PageKeys, AMarkedPageCountsFromItsOwnNumberDown) {
  for (const std::uint32_t key : {1u, 63u, 64u, 65u, 127u, 128u, 131073u}) {
    PageKeys keys;
    keys.mark(key);
    EXPECT_TRUE(keys.may_hold_from(0)) << key;
    EXPECT_TRUE(keys.may_hold_from(key)) << key;
    EXPECT_FALSE(keys.may_hold_from(key + 1)) << key;
    EXPECT_FALSE(keys.may_hold_from(key + 64)) << key;
  }
}

TEST(PageKeys, ARenumberedPageIsNoLongerUnderItsOldNumber) {
  // What a B-tree split does: a page goes to the lock-byte page for a moment.
  PageKeys keys;
  for (std::uint32_t key = 1; key <= 300; ++key) keys.mark(key);
  keys.forget(200);
  keys.mark(131073);
  keys.forget(131073);
  keys.mark(200);
  EXPECT_FALSE(keys.may_hold_from(301));
  EXPECT_TRUE(keys.may_hold_from(300));
  keys.forget(300);
  EXPECT_FALSE(keys.may_hold_from(300));
  EXPECT_TRUE(keys.may_hold_from(299));
  keys.forget(5000);  // never marked, past the bitmap: nothing happens
  EXPECT_TRUE(keys.may_hold_from(299));
}

TEST(PageKeys, TruncationForgetsEveryPageFromItsLimitOn) {
  PageKeys keys;
  for (const std::uint32_t key : {3u, 63u, 64u, 100u, 128u, 4000u, 131073u}) keys.mark(key);
  keys.forget_from(101);
  EXPECT_FALSE(keys.may_hold_from(101));
  EXPECT_TRUE(keys.may_hold_from(100));
  keys.forget_from(64);  // a limit on a word's first bit
  EXPECT_FALSE(keys.may_hold_from(64));
  EXPECT_TRUE(keys.may_hold_from(63));
  keys.forget_from(63);  // a limit on a word's last bit
  EXPECT_FALSE(keys.may_hold_from(63));
  EXPECT_TRUE(keys.may_hold_from(3));
  EXPECT_FALSE(keys.may_hold_from(4));
  keys.mark(4000);  // the bitmap grows again after shrinking
  EXPECT_TRUE(keys.may_hold_from(4000));
  keys.forget_from(0);
  EXPECT_FALSE(keys.may_hold_from(0));
}

TEST(PageKeys, PagesPastTheBitmapsLimitAreKeptUnderABound) {
  PageKeys keys;
  keys.mark(PageKeys::kLimit + 10);
  EXPECT_TRUE(keys.may_hold_from(PageKeys::kLimit + 10));
  EXPECT_FALSE(keys.may_hold_from(PageKeys::kLimit + 11));
  EXPECT_TRUE(keys.may_hold_from(5));
  keys.forget(PageKeys::kLimit + 10);  // not kept one by one: the bound stays
  EXPECT_TRUE(keys.may_hold_from(PageKeys::kLimit + 10));
  // A truncation below the bound lowers it to just under its limit, which
  // stays "may hold" for limits below (pages between are not known).
  keys.forget_from(PageKeys::kLimit + 5);
  EXPECT_FALSE(keys.may_hold_from(PageKeys::kLimit + 5));
  EXPECT_TRUE(keys.may_hold_from(PageKeys::kLimit + 4));
  keys.forget_from(7);
  EXPECT_FALSE(keys.may_hold_from(7));
  EXPECT_TRUE(keys.may_hold_from(6));
  keys.forget_from(1);
  EXPECT_FALSE(keys.may_hold_from(0));
}

// SQLite through the layer: random keys under an index (splits that renumber
// pages through the lock-byte page), transactions that grow the file and roll
// back, a cache smaller than the data (pages recycled), reopening.
class SqlitePageCache : public ::testing::Test {
 protected:
  void SetUp() override {
    // SQLite takes the layer only before it initialises (no connection is
    // open between tests).
    ASSERT_EQ(sqlite3_shutdown(), SQLITE_OK);
    ASSERT_TRUE(install_page_cache());
    dir_ = std::filesystem::temp_directory_path() /
           ("shebao-page-cache-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "cache.db").string();
  }
  void TearDown() override {
    if (db_) sqlite3_close(db_);
    std::filesystem::remove_all(dir_);
  }
  void open() {
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
    for (const char* pragma : {"PRAGMA page_size = 8192", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                               "PRAGMA cache_size = 40"}) {
      exec(pragma);
    }
  }
  void exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    const std::string text = message ? message : "";
    sqlite3_free(message);
    ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << text;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
    std::string value;
    if (statement && sqlite3_step(statement) == SQLITE_ROW) {
      const unsigned char* column = sqlite3_column_text(statement, 0);
      value = column ? reinterpret_cast<const char*>(column) : "";
    }
    sqlite3_finalize(statement);
    return value;
  }
  // Inserts `rows` rows with keys from `random`, `tag` in their payload.
  void insert(std::mt19937_64& random, int rows, int tag) {
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, "INSERT OR IGNORE INTO t (k, tag, payload) VALUES (?1, ?2, randomblob(120))", -1,
                                 &statement, nullptr),
              SQLITE_OK);
    for (int i = 0; i < rows; ++i) {
      sqlite3_bind_int64(statement, 1, static_cast<std::int64_t>(random() >> 2));
      sqlite3_bind_int(statement, 2, tag);
      ASSERT_EQ(sqlite3_step(statement), SQLITE_DONE);
      sqlite3_reset(statement);
    }
    sqlite3_finalize(statement);
  }

  std::filesystem::path dir_;
  std::string path_;
  sqlite3* db_ = nullptr;
};

TEST_F(SqlitePageCache, RollbacksThatShrinkTheFileLeaveNoPageBehind) {
  open();
  exec("CREATE TABLE t (k INTEGER NOT NULL, tag INTEGER NOT NULL, payload BLOB NOT NULL)");
  exec("CREATE UNIQUE INDEX t_k ON t (k)");
  std::mt19937_64 random(7);
  int kept = 0;
  for (int round = 0; round < 6; ++round) {
    // Committed growth: the splits renumber pages through the lock-byte page,
    // yet nothing lies past the end at the commit, and the cache is not walked.
    const PageCacheTruncations before_commit = page_cache_truncations();
    exec("BEGIN");
    insert(random, 3000, round);
    exec("COMMIT");
    kept += 3000;
    const PageCacheTruncations after_commit = page_cache_truncations();
    EXPECT_GT(after_commit.asked, before_commit.asked) << round;
    EXPECT_EQ(after_commit.passed, before_commit.passed) << round;
    const std::string pages = text("PRAGMA page_count");
    // A transaction that grows the database well past its end, then rolls
    // back: its pages past the old end must leave the cache.
    exec("BEGIN");
    insert(random, 5000, 100 + round);
    exec("ROLLBACK");
    EXPECT_GT(page_cache_truncations().passed, after_commit.passed) << round;
    EXPECT_EQ(text("PRAGMA page_count"), pages) << round;
    EXPECT_EQ(text("SELECT COUNT(*) FROM t WHERE tag >= 100"), "0") << round;
  }
  EXPECT_EQ(text("SELECT COUNT(*) FROM t"), std::to_string(kept));
  EXPECT_EQ(text("PRAGMA integrity_check"), "ok");
  exec("PRAGMA wal_checkpoint(TRUNCATE)");
  open();
  EXPECT_EQ(text("SELECT COUNT(*) FROM t"), std::to_string(kept));
  EXPECT_EQ(text("SELECT COUNT(DISTINCT tag) FROM t"), "6");
  EXPECT_EQ(text("PRAGMA integrity_check"), "ok");
}

TEST_F(SqlitePageCache, DeletingShrinksAndRegrowsTheFileCorrectly) {
  // auto_vacuum: a commit moves pages down and cuts the file's end (past a
  // pointer-map page: 8 KiB pages have one every 1,639), and the next
  // transactions grow it again over the same page numbers.
  open();
  exec("PRAGMA auto_vacuum = FULL");  // takes effect on the empty file
  exec("VACUUM");
  exec("CREATE TABLE t (k INTEGER NOT NULL, tag INTEGER NOT NULL, payload BLOB NOT NULL)");
  exec("CREATE UNIQUE INDEX t_k ON t (k)");
  std::mt19937_64 random(11);
  for (int round = 1; round <= 3; ++round) {
    exec("BEGIN");
    insert(random, 90000, round);
    exec("COMMIT");
    const int full = std::stoi(text("PRAGMA page_count"));
    EXPECT_GT(full, 1700) << round;
    exec("DELETE FROM t WHERE k % 8 <> 0");
    EXPECT_LT(std::stoi(text("PRAGMA page_count")), 1000) << round;
    EXPECT_EQ(text("PRAGMA integrity_check"), "ok") << round;
  }
  const std::string left = text("SELECT COUNT(*) FROM t");
  EXPECT_EQ(text("SELECT COUNT(*) FROM t WHERE k % 8 <> 0"), "0");
  exec("PRAGMA wal_checkpoint(TRUNCATE)");
  open();
  EXPECT_EQ(text("SELECT COUNT(*) FROM t"), left);
  EXPECT_EQ(text("PRAGMA integrity_check"), "ok");
}

// The HTTP API store's connection goes through the layer too, also in a
// process that opens no Database first (ctest runs each test in its own
// process; a child process creates and migrates the file).
TEST(SqliteApiStorePageCache, InstallsTheLayerWhenItOpensFirst) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("shebao-api-page-cache-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "api.db").string();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto database = open_sqlite(path);
    const bool migrated = database && (*database)->migrate();
    ::_exit(migrated ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const PageCacheTruncations before = page_cache_truncations();
  {
    auto store = open_sqlite_api_store(path);
    ASSERT_TRUE(store) << store.error().message;
    User user;
    user.login = "officer-1";
    user.role = "officer";
    user.region = "110101";
    user.password_hash = "hash";
    auto id = (*store)->insert_user(user);
    ASSERT_TRUE(id) << id.error().message;
    auto found = (*store)->find_user("officer-1");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->user_id, *id);
  }
  // Every write transaction's end asks the cache to truncate: through the layer, counted.
  EXPECT_GT(page_cache_truncations().asked, before.asked);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shebao::storage
