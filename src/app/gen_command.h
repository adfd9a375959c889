// `shebao gen`: writes a synthetic population (ingest/synthetic_population.h)
// as the files of docs/formats.md:
//
//   DIR/persons.csv, DIR/employers.csv, DIR/declarations/YYYY-MM.csv (one
//   file per month of the period), DIR/payments.csv
//
// creating DIR and DIR/declarations if needed and replacing those files (other
// files under DIR are left alone). Output is streamed through 1 MiB buffers.
// On a terminal, a progress line per phase on stderr; otherwise nothing is
// printed except an error.
//
// Exit status: 0 done; 2 invalid options (one line naming the flag); 4 a
// directory or file that cannot be created or written; 70 internal error.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace shebao::app {

struct GenOptions {
  std::int64_t persons = 0;   // --persons N
  int regions = 0;            // --regions K
  int years = 0;              // --years Y
  std::uint64_t seed = 0;     // --seed S
  std::string out;            // --out DIR
  std::string end_month;      // --end-month YYYY-MM; empty = 2026-10
  bool progress = true;       // show progress when stderr is a terminal
};

// Adds the `gen` subcommand with its flags bound to `options`.
CLI::App* add_gen_subcommand(CLI::App& parent, GenOptions& options);

// Generates and writes; errors go to `err` as "shebao: CODE: FIELD: MESSAGE".
int run_gen_command(const GenOptions& options, std::ostream& err);

}  // namespace shebao::app
