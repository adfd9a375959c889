// `shebao dedup`: entity resolution over a CSV in the layout of the linkage
// data sets (tests/data/linkage/EVALUATION.md): record_id, optionally
// entity_id and source, then the person's fields.
//
//   shebao dedup --input records.csv --output predictions.csv [--review review.csv]
//   shebao dedup --eval DIR [--output predictions.csv] [--json]
//   shebao dedup --db URL [--threads N]
//   shebao gen-people --records N [--seed S] [--duplicates 0.3] --out people.csv
//
// The engine (matching/engine.h) never receives entity_id: the column is
// dropped while reading, and only --eval reads it back afterwards, to score.
// The output has the header record_id,cluster_id and one row per input
// record; cluster_id is the record_id of the cluster's first record. The
// review file lists uncertain pairs (record_id_a, record_id_b, probability,
// weight, reason: "uncertain" or "refused_join").
// --eval DIR prints pairwise precision, recall, F1, B-cubed P/R/F1, records
// per second (end to end: read, match, write) and comparisons per second
// (the scoring step), with --json as one JSON line.
// --db URL compares every stored person of the registry (name, sex, birth
// date, resident ID, phone; matching/registry_person.h) with the others through
// a CandidateIndex with the reference model — the registry holds too few
// duplicates for EM to estimate m and u from it — and writes every pair with a
// match probability of at least 0.5 (server::kRegistrationMinProbability, the
// same as at registration) to the review queue (storage/api_store.h, migration
// 7) with the field-by-field evidence. Idempotent: a pair of two persons is
// queued once, whatever its status, so a second run adds nothing and re-opens
// no decided pair.
// On a terminal, progress lines with counts and ETA on stderr; otherwise
// nothing but the result.
//
// Exit status: 0 done; 2 invalid input (one line: file:line, field and what is
// wrong) or options; 4 a file that cannot be read or written.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace shebao::app {

struct DedupOptions {
  std::string input;
  std::string output;
  std::string review;
  std::string eval_dir;
  std::string db_url;  // --db: the registry's persons, pairs to the review queue
  int threads = 0;  // 0 = all cores
  bool json = false;
  double link_probability = 0.5;  // --link-probability
  double cluster_support = 0.3;   // --cluster-support
  std::size_t max_block = 100;    // --max-block
};

struct GenPeopleOptions {
  std::uint64_t records = 0;
  std::uint64_t seed = 1;
  double duplicates = 0.3;
  std::string out;
};

CLI::App* add_dedup_subcommand(CLI::App& parent, DedupOptions& options);
CLI::App* add_gen_people_subcommand(CLI::App& parent, GenPeopleOptions& options);
int run_dedup_command(const DedupOptions& options, std::ostream& out, std::ostream& err);
int run_gen_people_command(const GenPeopleOptions& options, std::ostream& err);

}  // namespace shebao::app
