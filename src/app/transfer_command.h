// `shebao transfer`: a person's move between provinces, one restartable step at a time.
//
//   shebao transfer request RESIDENT_ID --from CN-nn --to CN-nn
//   shebao transfer compute ID      requested → computed (or refused, with the reason)
//   shebao transfer send ID         computed  → sent      (books the sending province's entry)
//   shebao transfer credit ID       sent      → credited  (books the receiving province's entry)
//   shebao transfer status ID|RESIDENT_ID
//
// Each step runs in one transaction and is idempotent: a transfer already past
// a step is shown, not changed. Separate steps let each province run its own
// deployment later, exchanging the computed transfer between them.
#pragma once

#include <string>

#include "app/data_commands.h"

namespace shebao::app {

struct TransferArguments {
  std::string action;  // request, compute, send, credit, status
  std::string target;  // resident ID (request, status) or transfer id
  std::string from;
  std::string to;
};

int transfer_command(const DataOptions& options, const TransferArguments& arguments);

}  // namespace shebao::app
