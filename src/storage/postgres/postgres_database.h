// shebao storage/postgres: the PostgreSQL 15 backend (a province; with Citus, the nation).
//
// Selected with `--db postgresql://...` (libpq connection URI). Same contract
// and same behaviour as storage/sqlite: versioned migrations applied at open
// (and by `shebao migrate`), idempotency keys, `verify` with the same checks,
// `stats` with the same figures.
//
// Bulk paths: journal entries and postings, declaration lines and registry
// persons are written with COPY (text format; packed entries in binary
// format, and inside a transaction as one COPY left open from one booking to
// the next until the connection is wanted for anything else), and so are many
// hires at once (through a temporary table); small writes (declaration heads, supersedes,
// hires, leaves, payment dates, employer-month totals) are kept in the open
// transaction's buffer and sent as one multi-statement round trip before the
// next read or at commit (an import's leaves as one statement). An import reads
// the month's employment spells and latest declarations once (not per
// employer), payment dates and employers once per connection. A month run
// ANALYZEs the tables it reads that have no planner statistics or outgrew them
// (a bulk load leaves them behind until autovacuum comes), runs without
// parallel plans or JIT, reads declaration lines without a join (their
// employers' attributes come with the month's declarations and are kept in
// memory; the lines are sorted here), sends employer-month totals as arrays,
// and asks whether its late fees are booked in one query (entries_exist).
// Values longer than about 2 kB (large packed entries) are compressed with lz4
// where the server has it. Identifiers are reserved in blocks
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
// Contributions are packed per declaration (migration 8, ledger::PackedEntry):
// one journal_entries row of kind 1 per declaration, its postings in the JSON
// column `lines` (storage/packed_lines.h); a correction's reversal is one
// kind-8 row of the same form. A month's flexible payments (kind 2,
// migration 9) and a month run's payments and late fees (kind 9, migration 11,
// {"settlements": [...]}) are packed too. Interest and transfers keep one
// `postings` row per posting.
//
// Thread safety: one PostgresDatabase per thread.
#pragma once

#include <memory>
#include <string>

#include "storage/api_store.h"
#include "storage/database.h"
#include "storage/packed_lines.h"

// A common table expression `person_lines` (entry_id, kind, month,
// declaration_id, corrects_entry_id, receivable_fen, personal_fen, pooled_fen):
// person $1's lines of packed entries, contributions and their reversals,
// found through the person's declaration lines (whose key leads with
// person_id), the declaration's packed entry (journal_contribution, on the
// employer's shard) and its reversal (journal_by_correction); and the person's
// lines of packed flexible payments (kind 2, migration 9; declaration_id 0):
// the kind-2 entries whose person_id lies between the start of the person's
// block of ledger::kFlexibleBlock ids and the person (journal_flexible_by_person).
#define SHEBAO_PG_PERSON_LINES                                                                                 \
  "WITH person_contributions AS (SELECT c.entry_id FROM declaration_lines l "                                  \
  "JOIN journal_entries c ON c.kind = 1 AND c.source_id = l.declaration_id AND c.person_id = -l.employer_id "  \
  "WHERE l.person_id = $1), "                                                                                  \
  "person_entries AS (SELECT entry_id FROM person_contributions UNION ALL "                                    \
  "SELECT r.entry_id FROM person_contributions c JOIN journal_entries r ON r.corrects_entry_id = c.entry_id " \
  "UNION ALL SELECT f.entry_id FROM journal_entries f WHERE f.kind = 2 "                                       \
  "AND f.person_id BETWEEN $1 - $1 % " SHEBAO_FLEXIBLE_BLOCK " AND $1), "                                      \
  "person_lines AS (SELECT e.entry_id, e.kind, e.month, e.source_id AS declaration_id, e.corrects_entry_id, "  \
  "(j.value ->> 1)::bigint AS receivable_fen, (j.value ->> 2)::bigint AS personal_fen, "                       \
  "(j.value ->> 3)::bigint AS pooled_fen, (j.value ->> 4)::bigint AS base_fen "                                \
  "FROM person_entries x JOIN journal_entries e ON e.entry_id = x.entry_id "                                   \
  "CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value) WHERE (j.value ->> 0)::bigint = $1) "

namespace shebao::storage {

// Connections a PostgresDatabase opens at most (its pool's maximum).
inline constexpr int kMaxConnections = 4;

// Connects to `url` (postgresql://...); does not migrate.
Result<std::unique_ptr<Database>> open_postgres(const std::string& url);

// The HTTP API's store on its own connection to `url`
// (storage/postgres/postgres_api_store.cpp); expects migration 5 applied.
Result<std::unique_ptr<ApiStore>> open_postgres_api_store(const std::string& url);

}  // namespace shebao::storage
