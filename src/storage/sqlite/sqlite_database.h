// shebao storage/sqlite: the embedded default backend (one file, WAL).
//
// One SQLite file holds a county's or a demo's data. The connection runs in
// WAL mode with synchronous=NORMAL (a committed transaction survives a process
// crash; the last transactions may be lost on power failure, never half of
// one) and foreign keys off (the schema is written for a distributed
// PostgreSQL, which cannot hold them; `verify` checks the references instead).
// Statements are prepared once and reused. SQLite's page cache goes through
// a layer that spares every commit a walk of the whole cache
// (sqlite_page_cache.h; installed by the first open_sqlite or
// open_sqlite_api_store of the process).
//
// Contributions are packed per declaration (migration 8, ledger::PackedEntry):
// one journal_entries row of kind 1 per declaration holds its postings in the
// JSON column `lines`, {"employer": E, "province": P, "lines": [[person_id,
// receivable_fen, personal_fen, pooled_fen], ...]}; a correction's reversal is
// one kind-8 row of the same form, amounts negated. A month's flexible payments (kind 2,
// migration 9) and a month run's payments and late fees (kind 9, migration 11,
// {"settlements": [...]}) are packed too. Interest and transfers keep one
// `postings` row per posting.
//
// Thread safety: one SqliteDatabase per thread.
#pragma once

#include <memory>
#include <string>

#include "storage/api_store.h"
#include "storage/database.h"
#include "storage/packed_lines.h"

// A common table expression `person_lines` (entry_id, kind, month,
// declaration_id, corrects_entry_id, receivable_fen, personal_fen, pooled_fen):
// person ?1's lines of packed entries: contributions and their reversals, and
// flexible payments (kind 2, migration 9; declaration_id 0). Contributions: the
// path goes through the person's employers (employment_by_person), their
// declarations, the person's line in each (declaration_line(), a binary search
// of the declaration's pack, migration 14) and the
// declaration's packed entry (journal_contribution) and its reversal
// (journal_by_correction): every declared person has a spell at the employer
// (the import's check; verify checks it too). Flexible payments: the kind-2
// entries whose person_id (their first line's person) lies between the start of
// the person's block of ledger::kFlexibleBlock ids and the person
// (journal_flexible_by_person).
#define SHEBAO_SQLITE_PERSON_LINES                                                                              \
  "WITH person_contributions AS (SELECT c.entry_id "                                                            \
  "FROM (SELECT DISTINCT employer_id FROM employment_spells WHERE person_id = ?1) s "                           \
  "JOIN declarations d ON d.employer_id = s.employer_id "                                                       \
  "JOIN journal_entries c ON c.kind = 1 AND c.source_id = d.declaration_id "                                    \
  "WHERE EXISTS (SELECT 1 FROM declaration_line_packs l WHERE l.declaration_id = d.declaration_id "              \
  "AND declaration_line(l.lines, ?1) IS NOT NULL)), "                                                           \
  "person_entries AS (SELECT entry_id FROM person_contributions UNION ALL "                                     \
  "SELECT r.entry_id FROM person_contributions c JOIN journal_entries r ON r.corrects_entry_id = c.entry_id " \
  "UNION ALL SELECT f.entry_id FROM journal_entries f INDEXED BY journal_flexible_by_person "                  \
  "WHERE f.kind = 2 AND f.person_id BETWEEN ?1 - ?1 % " SHEBAO_FLEXIBLE_BLOCK " AND ?1), "                      \
  "person_lines AS (SELECT e.entry_id, e.kind, e.month, e.source_id AS declaration_id, e.corrects_entry_id, "   \
  "j.value ->> 1 AS receivable_fen, j.value ->> 2 AS personal_fen, j.value ->> 3 AS pooled_fen, "              \
  "j.value ->> 4 AS base_fen "                                                                                  \
  "FROM person_entries x JOIN journal_entries e ON e.entry_id = x.entry_id "                                    \
  "JOIN json_each(e.lines, '$.lines') j ON j.value ->> 0 = ?1) "

namespace shebao::storage {

// Opens (creating if needed) the file at `path`; does not migrate.
Result<std::unique_ptr<Database>> open_sqlite(const std::string& path, Workload workload = Workload::bulk);

// The HTTP API's store over the file at `path` (storage/sqlite/sqlite_api_store.cpp);
// expects migration 5 applied.
Result<std::unique_ptr<ApiStore>> open_sqlite_api_store(const std::string& path);

}  // namespace shebao::storage
