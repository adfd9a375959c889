// The data commands of `shebao`: migrate, import, run-month, run-year,
// verify, stats. Each opens the database named by --db, does its work through
// storage/ingest/jobs and returns the process exit status.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/calendar.h"

namespace shebao::app {

struct DataOptions {
  std::string db_url = "sqlite:data/shebao.db";
  std::string rules_dir;
  std::optional<Date> today;  // --today (tests); otherwise the system clock
};

int migrate_command(const DataOptions& options);
// kind: "registry", "declaration" or "payment".
int import_command(const DataOptions& options, const std::string& kind, const std::vector<std::string>& files,
                   const std::string& feedback_path);
int run_month_command(const DataOptions& options, const std::string& month);
int run_year_command(const DataOptions& options, const std::string& year);
int verify_command(const DataOptions& options);
int stats_command(const DataOptions& options, bool json);

// Today in the local calendar (the one place the command reads the clock).
Date today_from_clock();

}  // namespace shebao::app
