#include "storage/sqlite/sqlite_page_cache.h"

#include <sqlite3.h>

#include <atomic>
#include <new>

namespace shebao::storage {

void PageKeys::mark(std::uint32_t key) noexcept {
  const std::size_t word = key / 64;
  if (key >= kLimit) {
    if (key > unrecorded_max_) unrecorded_max_ = key;
    return;
  }
  if (word >= words_.size()) {
    try {
      words_.resize(word + 1);
    } catch (const std::bad_alloc&) {
      if (key > unrecorded_max_) unrecorded_max_ = key;
      return;
    }
  }
  words_[word] |= std::uint64_t{1} << (key % 64);
}

void PageKeys::forget(std::uint32_t key) noexcept {
  const std::size_t word = key / 64;
  if (word < words_.size()) words_[word] &= ~(std::uint64_t{1} << (key % 64));
}

bool PageKeys::may_hold_from(std::uint32_t limit) const noexcept {
  if (unrecorded_max_ >= limit && unrecorded_max_ != 0) return true;
  std::size_t word = limit / 64;
  if (word >= words_.size()) return false;
  if ((words_[word] >> (limit % 64)) != 0) return true;
  for (++word; word < words_.size(); ++word) {
    if (words_[word] != 0) return true;
  }
  return false;
}

void PageKeys::forget_from(std::uint32_t limit) noexcept {
  if (unrecorded_max_ >= limit) unrecorded_max_ = limit == 0 ? 0 : limit - 1;
  const std::size_t word = limit / 64;
  if (word >= words_.size()) return;
  words_[word] &= (std::uint64_t{1} << (limit % 64)) - 1;
  // Drops the words past the end (the one renumbering to the lock-byte page
  // would otherwise make every later check read some 2,000 empty words).
  std::size_t size = word + 1;
  while (size > 0 && words_[size - 1] == 0) --size;
  words_.resize(size);
}

namespace {

// The default cache's methods, and one cache of it with its bitmap.
sqlite3_pcache_methods2 inner_methods;

struct Cache {
  sqlite3_pcache* inner;
  PageKeys keys;
};

std::atomic<std::uint64_t> truncations_asked{0};
std::atomic<std::uint64_t> truncations_passed{0};

Cache* of(sqlite3_pcache* cache) { return reinterpret_cast<Cache*>(cache); }

int cache_init(void*) { return inner_methods.xInit ? inner_methods.xInit(inner_methods.pArg) : SQLITE_OK; }
void cache_shutdown(void*) {
  if (inner_methods.xShutdown) inner_methods.xShutdown(inner_methods.pArg);
}
sqlite3_pcache* cache_create(int page_size, int extra_size, int purgeable) {
  sqlite3_pcache* inner = inner_methods.xCreate(page_size, extra_size, purgeable);
  if (!inner) return nullptr;
  auto* cache = new (std::nothrow) Cache{inner, {}};
  if (!cache) {
    inner_methods.xDestroy(inner);
    return nullptr;
  }
  return reinterpret_cast<sqlite3_pcache*>(cache);
}
void cache_size(sqlite3_pcache* cache, int pages) { inner_methods.xCachesize(of(cache)->inner, pages); }
int cache_page_count(sqlite3_pcache* cache) { return inner_methods.xPagecount(of(cache)->inner); }
sqlite3_pcache_page* cache_fetch(sqlite3_pcache* cache, unsigned key, int create) {
  sqlite3_pcache_page* page = inner_methods.xFetch(of(cache)->inner, key, create);
  if (page) of(cache)->keys.mark(key);
  return page;
}
void cache_unpin(sqlite3_pcache* cache, sqlite3_pcache_page* page, int discard) {
  inner_methods.xUnpin(of(cache)->inner, page, discard);  // a discarded page stays marked: harmless
}
void cache_rekey(sqlite3_pcache* cache, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  inner_methods.xRekey(of(cache)->inner, page, old_key, new_key);
  of(cache)->keys.forget(old_key);
  of(cache)->keys.mark(new_key);
}
void cache_truncate(sqlite3_pcache* cache, unsigned limit) {
  Cache& c = *of(cache);
  truncations_asked.fetch_add(1, std::memory_order_relaxed);
  if (!c.keys.may_hold_from(limit)) return;
  truncations_passed.fetch_add(1, std::memory_order_relaxed);
  inner_methods.xTruncate(c.inner, limit);
  c.keys.forget_from(limit);
}
void cache_destroy(sqlite3_pcache* cache) {
  inner_methods.xDestroy(of(cache)->inner);
  delete of(cache);
}
void cache_shrink(sqlite3_pcache* cache) {
  if (inner_methods.xShrink) inner_methods.xShrink(of(cache)->inner);
}

}  // namespace

PageCacheTruncations page_cache_truncations() {
  return {truncations_asked.load(std::memory_order_relaxed), truncations_passed.load(std::memory_order_relaxed)};
}

bool install_page_cache() {
  static const bool installed = [] {
    sqlite3_pcache_methods2 defaults{};
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &defaults) != SQLITE_OK || !defaults.xCreate) return false;
    inner_methods = defaults;
    // The same version as the default cache's (1 in SQLite 3.40, which has xShrink all the same).
    static const sqlite3_pcache_methods2 layer = {
        defaults.iVersion, nullptr,     cache_init,     cache_shutdown, cache_create, cache_size,  cache_page_count,
        cache_fetch,       cache_unpin, cache_rekey,    cache_truncate, cache_destroy, cache_shrink};
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &layer) == SQLITE_OK;
  }();
  return installed;
}

void configure_sqlite_process() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    install_page_cache();
    return true;
  }();
  (void)configured;
}

}  // namespace shebao::storage
