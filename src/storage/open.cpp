#include <algorithm>
#include <iterator>

#include "storage/api_store.h"
#include "storage/database.h"
#include "storage/postgres/postgres_database.h"
#include "storage/sqlite/sqlite_database.h"

namespace shebao::storage {

Result<std::unique_ptr<Database>> open_database(std::string_view url, Workload workload) {
  std::unique_ptr<Database> database;
  if (url.starts_with("sqlite:")) {
    const std::string path(url.substr(7));
    if (path.empty()) return fail(ErrorCode::invalid_input, "--db", "sqlite: needs a path, e.g. sqlite:data/shebao.db");
    auto opened = open_sqlite(path, workload);
    if (!opened) return tl::unexpected(opened.error());
    database = std::move(*opened);
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    auto opened = open_postgres(std::string(url));
    if (!opened) return tl::unexpected(opened.error());
    database = std::move(*opened);
  } else {
    return fail(ErrorCode::invalid_input, "--db",
                "unknown database URL \"" + std::string(url) + "\"; use sqlite:PATH or postgresql://...");
  }
  auto version = database->migrate();
  if (!version) return tl::unexpected(version.error());
  return database;
}

Result<std::unique_ptr<ApiStore>> open_api_store(std::string_view url) {
  if (url.starts_with("sqlite:")) {
    const std::string path(url.substr(7));
    if (path.empty()) return fail(ErrorCode::invalid_input, "--db", "sqlite: needs a path, e.g. sqlite:data/shebao.db");
    return open_sqlite_api_store(path);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return open_postgres_api_store(std::string(url));
  return fail(ErrorCode::invalid_input, "--db",
              "unknown database URL \"" + std::string(url) + "\"; use sqlite:PATH or postgresql://...");
}

Result<std::vector<MatchPerson>> ApiStore::persons_for_matching_since(MatchWatermark& mark) {
  auto read = read_persons_for_matching(mark.after, mark.gaps, mark.changed_after);
  if (!read) return tl::unexpected(read.error());
  // A gap is read for the last time in a snapshot where every transaction
  // that was open when it was found has ended.
  std::erase_if(mark.gaps, [&](const MatchGap& g) { return read->oldest_open >= g.open_below; });
  // New gaps: the ids above the old watermark and below the highest one read
  // that this read did not return (persons are in person_id order).
  std::int64_t expected = mark.after + 1;
  for (const MatchPerson& p : read->persons) {
    if (p.person_id < expected) continue;  // in an older gap
    if (p.person_id > expected) mark.gaps.push_back({expected, p.person_id - 1, read->next});
    expected = p.person_id + 1;
  }
  mark.after = expected - 1;
  mark.changed_after = read->changes_seen;
  std::vector<MatchPerson> out = std::move(read->persons);
  out.insert(out.end(), std::make_move_iterator(read->changed.begin()), std::make_move_iterator(read->changed.end()));
  return out;
}

}  // namespace shebao::storage
