// shebao ingest: registry, declaration and payment files → storage.
//
// Every importer streams its file (ingest/record_reader.h), validates each
// line, writes what is valid and reports every line in a feedback file
// (docs/formats.md): accepted, or rejected with line, field and error code.
// Nothing from a rejected line reaches storage.
//
// A file that cannot be used at all (unreadable, unknown type, a required
// column missing, an unknown column) is an error of the call, and nothing of
// it is written. Otherwise the call succeeds, whatever the number of rejected
// lines.
//
// Idempotent: importing the same file again changes nothing (persons and
// employers are upserted by ID; a declaration identical to the stored one is
// "unchanged"; a payment date already recorded is unchanged). Writes are
// committed in batches, and a declaration (employer, month) is always written
// in one transaction, so a crash loses at most the batch in flight and a
// re-run completes the file.
//
// The caller passes today's date (for "month not in the future"); nothing here
// reads the clock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include "core/calendar.h"
#include "core/error.h"
#include "rules/parameter_store.h"
#include "storage/database.h"

namespace shebao::ingest {

struct ImportOptions {
  Date today;
  std::filesystem::path feedback_path;  // empty = FILE.feedback.csv next to the file
  // Called now and then with (bytes read, file size).
  std::function<void(std::uint64_t, std::uint64_t)> on_progress;
  // Lines per transaction (a declaration is never split). Larger transactions
  // write a page touched by many of them once (employment spells and lines land
  // all over their indexes); a crash loses at most one, and a re-run completes it.
  std::size_t batch_lines = 100000;
};

struct ImportSummary {
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  // Declarations: (employer, month) units stored new, replaced (corrections) or found unchanged.
  std::int64_t new_declarations = 0;
  std::int64_t corrected_declarations = 0;
  std::int64_t unchanged_declarations = 0;
  std::filesystem::path feedback_path;
};

// A flexible worker's base ratio must lie within the band of the rules
// (flexible_min_base_ratio .. flexible_max_base_ratio of the scheme region's
// province on `day`): out_of_range naming flexible_base_ratio otherwise. Rules
// without the band accept any ratio. Used by the person importer and the API.
Result<void> check_flexible_base_ratio(const rules::ParameterStore& rules, Date day, std::string_view scheme_region,
                                       const Decimal& ratio);

// Persons or employers, recognised by the header (docs/formats.md).
Result<ImportSummary> import_registry(const std::filesystem::path& file, storage::Database& database,
                                      const rules::ParameterStore& rules, const ImportOptions& options);

Result<ImportSummary> import_declarations(const std::filesystem::path& file, storage::Database& database,
                                          const ImportOptions& options);

Result<ImportSummary> import_payments(const std::filesystem::path& file, storage::Database& database,
                                      const ImportOptions& options);

}  // namespace shebao::ingest
