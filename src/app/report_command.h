// `shebao report coverage|compliance` and `shebao simulate`: analytics over the
// system of record and a population extract, printed as tables with bar
// charts, or as JSON (--json); --csv writes the detailed rows to a file.
#pragma once

#include <string>
#include <vector>

#include "app/data_commands.h"

namespace shebao::app {

struct ReportArguments {
  std::string population;     // --population FILE
  std::string month;          // --month YYYY-MM (default: the latest month with contributions)
  int window_months = 3;      // --window
  bool json = false;          // --json
  std::string csv;            // --csv FILE: cells (coverage) or employers (compliance)
  std::string uncovered;      // --uncovered FILE: the outreach list (coverage)
  std::vector<std::string> sets;  // --set KEY=VALUE (simulate)
  std::string burden = "0.20";    // --burden: share of income (simulate)
};

int coverage_command(const DataOptions& options, const ReportArguments& arguments);
int compliance_command(const DataOptions& options, const ReportArguments& arguments);
int simulate_command(const DataOptions& options, const ReportArguments& arguments);

}  // namespace shebao::app
