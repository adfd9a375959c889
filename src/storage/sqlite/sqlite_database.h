// shebao storage/sqlite: the embedded default backend (one file, WAL).
//
// One SQLite file holds a county's or a demo's data. The connection runs in
// WAL mode with synchronous=NORMAL (a committed transaction survives a process
// crash; the last transactions may be lost on power failure, never half of
// one) and foreign keys off (the schema is written for a distributed
// PostgreSQL, which cannot hold them; `verify` checks the references instead).
// Statements are prepared once and reused.
//
// Thread safety: one SqliteDatabase per thread.
#pragma once

#include <memory>
#include <string>

#include "storage/api_store.h"
#include "storage/database.h"

namespace shebao::storage {

// Opens (creating if needed) the file at `path`; does not migrate.
Result<std::unique_ptr<Database>> open_sqlite(const std::string& path, Workload workload = Workload::bulk);

// The HTTP API's store over the file at `path` (storage/sqlite/sqlite_api_store.cpp);
// expects migration 5 applied.
Result<std::unique_ptr<ApiStore>> open_sqlite_api_store(const std::string& path);

}  // namespace shebao::storage
