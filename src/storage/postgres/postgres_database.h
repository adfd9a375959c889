// shebao storage/postgres: the PostgreSQL 15 backend (a province; with Citus, the nation).
//
// Selected with `--db postgresql://...` (libpq connection URI). Same contract
// and same behaviour as storage/sqlite: versioned migrations applied at open
// (and by `shebao migrate`), idempotency keys, `verify` with the same checks,
// `stats` with the same figures.
//
// Bulk paths: journal entries and postings, declaration lines and registry
// persons are written with COPY (text format); small writes (declaration
// heads, supersedes, hires, leaves, payment dates, employer-month totals) are
// kept in the open transaction's buffer and sent as one multi-statement round
// trip before the next read or at commit. An import reads the month's
// employment spells and latest declarations once (not per employer), payment
// dates and employers once per connection. Identifiers are reserved in blocks
// from sequences (no round trip per row). A connection pool with a named
// maximum (kMaxConnections) serves the primary connection and `verify`, whose
// checks run in parallel on pooled connections.
//
// The schema is written for distribution by person_id on Citus (see
// docs/architecture.md §6): person-keyed tables carry person_id in every
// primary key and unique index; there are no foreign keys.
//
// Errors: a lost connection or a server restart is reported as io_error naming
// the operation and saying what to do (run the same command again: the open
// transaction was rolled back by the server, committed batches stay).
//
// Thread safety: one PostgresDatabase per thread.
#pragma once

#include <memory>
#include <string>

#include "storage/api_store.h"
#include "storage/database.h"

namespace shebao::storage {

// Connections a PostgresDatabase opens at most (its pool's maximum).
inline constexpr int kMaxConnections = 4;

// Connects to `url` (postgresql://...); does not migrate.
Result<std::unique_ptr<Database>> open_postgres(const std::string& url);

// The HTTP API's store on its own connection to `url`
// (storage/postgres/postgres_api_store.cpp); expects migration 5 applied.
Result<std::unique_ptr<ApiStore>> open_postgres_api_store(const std::string& url);

}  // namespace shebao::storage
