// shebao storage/sqlite: SQLite's own page cache, without a scan at every commit.
//
// At the end of every write transaction SQLite truncates its page cache to the
// database's size (pager_end_transaction -> sqlite3PcacheTruncate). The default
// cache (pcache1) remembers the largest page number it ever held and, when that
// lies more than its hash table's size past the end, walks the whole table and
// every page in it. A B-tree split that reorders its new pages (balance_nonroot)
// renumbers one page to the lock-byte page (1 GiB / page size + 1; 131073 with
// 8 KiB pages) for a moment, so after nearly every write transaction the cache
// believes it may hold a page far past the end: with the bulk connection's 256
// MiB cache each commit of an import walked some 30,000 scattered page headers
// (milliseconds each time) to remove nothing.
//
// install_page_cache() puts a thin layer over the default cache (SQLite's
// public SQLITE_CONFIG_PCACHE2 interface) that keeps, per cache, a bitmap of
// the page numbers that may be in it: set when a page is fetched or renumbered
// to, cleared when renumbered from or truncated. It passes a truncation on only
// when a page at or past the limit may be there; everything else goes straight
// to the default cache. The bitmap errs only towards "may be there" (pages the
// default cache drops on its own stay marked), so every page that must go still
// goes.
#pragma once

#include <cstdint>
#include <vector>

namespace shebao::storage {

// Installs the layer for every SQLite connection of the process opened after
// it; call before SQLite initialises (SQLite refuses the change afterwards,
// and then the default cache stays: slower, the same results). Idempotent;
// true when the layer is in place.
bool install_page_cache();

// The process-wide settings of every SQLite connection shebao opens (the
// Database's, open_sqlite, and the HTTP API store's, open_sqlite_api_store):
// no memory statistics (a mutex around every allocation otherwise) and the
// layer above. Applied by the first call of the process; like install_page_cache,
// only possible before SQLite initialises, harmlessly refused after.
void configure_sqlite_process();

// The truncations SQLite asked the layer for since the process started, and
// those it passed on to the default cache (for tests and diagnostics).
struct PageCacheTruncations {
  std::uint64_t asked = 0;
  std::uint64_t passed = 0;
};
PageCacheTruncations page_cache_truncations();

// The page numbers a cache may hold, as a bitmap (exposed for its tests).
// Numbers from kLimit on, and any the bitmap could not grow to take, are not
// kept one by one but under a bound: the largest of them, lowered by each
// truncation below it.
class PageKeys {
 public:
  static constexpr std::uint32_t kLimit = 1u << 26;  // 512 GiB of 8 KiB pages

  void mark(std::uint32_t key) noexcept;
  void forget(std::uint32_t key) noexcept;
  // Whether a page numbered `limit` or more may be in the cache.
  bool may_hold_from(std::uint32_t limit) const noexcept;
  // Every page numbered `limit` or more is gone.
  void forget_from(std::uint32_t limit) noexcept;

 private:
  std::vector<std::uint64_t> words_;
  std::uint32_t unrecorded_max_ = 0;  // no unrecorded page is numbered above it (pages count from 1)
};

}  // namespace shebao::storage
