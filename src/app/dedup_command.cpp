#include "app/dedup_command.h"

#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "app/progress.h"
#include "core/error.h"
#include "ingest/record_reader.h"
#include "matching/candidate_index.h"
#include "matching/engine.h"
#include "matching/record_generator.h"
#include "matching/registry_person.h"
#include "matching/score.h"
#include "server/review.h"
#include "storage/api_store.h"
#include "storage/database.h"

namespace shebao::app {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds used by the process so far (all threads): the per-core rate of
// a step is its work over its CPU time, which a busy shared machine does not distort.
double cpu_seconds() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

// Memory pages the process has faulted in so far: a first touch of a page
// costs a trap into the kernel (on some virtual machines tens of microseconds).
long page_faults() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt + usage.ru_majflt;
}

int report(std::ostream& err, const Error& error) {
  err << "shebao: " << error.to_string() << "\n";
  return exit_status(error.code);
}

// CSV field, quoted when needed (RFC 4180).
void write_field(std::string& out, std::string_view value) {
  const bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!value.empty() && (value.front() == ' ' || value.back() == ' '));
  if (!quote) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

struct Input {
  std::vector<std::string> record_ids;
  std::vector<std::string> entity_ids;  // only filled when asked for (eval)
  std::unique_ptr<matching::Table> table;
};

// Reads the file; entity_id is dropped unless `want_truth` (then it is kept
// apart from the table, which the engine sees).
Result<Input> read_input(const std::string& path, bool want_truth) {
  auto reader = ingest::RecordReader::open(path);
  if (!reader) return tl::unexpected(reader.error());
  const auto& columns = (*reader)->columns();
  int record_column = -1, entity_column = -1;
  std::vector<std::string> kept;
  std::vector<int> kept_index;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == "record_id") {
      record_column = static_cast<int>(c);
    } else if (columns[c] == "entity_id") {
      entity_column = static_cast<int>(c);
    } else {
      kept.push_back(columns[c]);
      kept_index.push_back(static_cast<int>(c));
    }
  }
  if (record_column < 0) return fail(ErrorCode::invalid_input, path + ":1", "field record_id: the header has no record_id column");
  if (want_truth && entity_column < 0)
    return fail(ErrorCode::invalid_input, path + ":1", "field entity_id: the header has no entity_id column (needed by --eval)");
  Input input;
  input.table = std::make_unique<matching::Table>(kept);
  std::unordered_set<std::string> seen;
  ingest::Record record;
  std::vector<std::string_view> values(kept.size());
  Progress progress("dedup: read " + path, (*reader)->size_bytes(), "bytes");
  while (true) {
    auto more = (*reader)->next(record);
    if (!more) {
      Error e = more.error();
      if (e.field.find(path) == std::string::npos) e.field = path + ":" + e.field;
      return tl::unexpected(e);
    }
    if (!*more) break;
    auto where = [&] { return path + ":" + std::to_string(record.line()); };  // only for an error
    if (record.size() != columns.size())
      return fail(ErrorCode::invalid_input, where(), "expected " + std::to_string(columns.size()) + " fields, found " +
                                                      std::to_string(record.size()));
    const std::string_view rid = record.value(record_column);
    if (rid.empty()) return fail(ErrorCode::invalid_input, where(), "field record_id: empty");
    if (!seen.emplace(rid).second)
      return fail(ErrorCode::invalid_input, where(), "field record_id: duplicate value '" + std::string(rid) + "'");
    if (want_truth) {
      const std::string_view eid = record.value(entity_column);
      if (eid.empty()) return fail(ErrorCode::invalid_input, where(), "field entity_id: empty");
      input.entity_ids.emplace_back(eid);
    }
    for (std::size_t k = 0; k < kept_index.size(); ++k) values[k] = record.value(kept_index[k]);
    input.record_ids.emplace_back(rid);
    input.table->add_row(values);
    progress.update((*reader)->bytes_read(), (*reader)->size_bytes());
  }
  progress.finish();
  if (input.record_ids.empty()) return fail(ErrorCode::invalid_input, path, "no records");
  return input;
}

Result<bool> write_text(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return fail(ErrorCode::io_error, path, "cannot create the file");
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  file.close();
  if (!file) return fail(ErrorCode::io_error, path, "cannot write the file");
  return true;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03dZ", buffer, static_cast<int>(ms % 1000));
  return out;
}

// Candidates per person in `shebao dedup --db`.
constexpr std::size_t kDbCandidates = 20;

// `shebao dedup --db URL`: the registry's persons to the review queue.
int run_dedup_db(const DedupOptions& o, const matching::Settings& settings, std::ostream& out, std::ostream& err) {
  const auto start = Clock::now();
  auto db = storage::open_database(o.db_url);  // applies pending migrations
  if (!db) return report(err, db.error());
  auto store = storage::open_api_store(o.db_url);
  if (!store) return report(err, store.error());
  auto persons = (*store)->persons_for_matching();
  if (!persons) return report(err, persons.error());
  const std::size_t n = persons->size();
  if (n < 2) {
    out << "dedup: " << n << " persons in the registry, nothing to compare\n";
    return 0;
  }
  // The registry holds few duplicates, too few for EM to learn m and u from:
  // the reference model (matching/registry_person.h), as at registration.
  matching::CandidateIndex index(matching::registry_columns(), matching::reference_model(), settings);
  {
    Progress progress("dedup: index", n, "persons");
    for (const auto& p : *persons) {
      index.add(matching::registry_row({p.name, p.sex, p.birth_date, p.resident_id, p.phone}));
      progress.advance();
    }
  }
  struct Found {
    std::uint32_t a, b;
    double weight, probability;
  };
  std::vector<Found> pairs;
  {
    Progress progress("dedup: compare", n, "persons");
    for (std::uint32_t r = 0; r < n; ++r) {
      for (const auto& c : index.candidates(r, kDbCandidates, server::kRegistrationMinProbability)) {
        if (c.record < r) pairs.push_back({c.record, r, c.weight, c.probability});
      }
      progress.advance();
    }
  }
  const std::string now = utc_now();
  std::uint64_t added = 0;
  {
    Progress progress("dedup: queue", pairs.size(), "pairs");
    for (const auto& scored : pairs) {
      const auto& x = (*persons)[scored.a];
      const auto& y = (*persons)[scored.b];
      storage::ReviewPair pair;
      pair.person_a = std::min(x.resident_id, y.resident_id);
      pair.person_b = std::max(x.resident_id, y.resident_id);
      pair.probability = scored.probability;
      pair.weight = scored.weight;
      pair.evidence = server::evidence_json(x, y);
      pair.source = "batch";
      pair.found_at = now;
      auto queued = (*store)->queue_review_pair(pair);
      if (!queued) return report(err, queued.error());
      added += queued->second ? 1 : 0;
      progress.advance();
    }
  }
  out << "dedup: " << n << " persons, " << pairs.size()
      << " pairs found, " << added << " added to the review queue (" << pairs.size() - added
      << " queued or decided before), " << fixed(seconds_since(start), 2) << " s\n";
  return 0;
}

}  // namespace

CLI::App* add_dedup_subcommand(CLI::App& parent, DedupOptions& o) {
  auto* c = parent.add_subcommand("dedup", "find records of the same person (entity resolution)");
  c->add_option("--input", o.input, "records CSV (record_id, [entity_id, source,] fields)");
  c->add_option("--output", o.output, "predictions CSV: record_id,cluster_id");
  c->add_option("--review", o.review, "uncertain pairs CSV for a person to review");
  c->add_option("--db", o.db_url, "the registry (sqlite:PATH or postgresql://...): its persons' pairs to the review queue");
  c->add_option("--eval", o.eval_dir, "score against DIR/records.csv (its entity_id is hidden from the engine)");
  c->add_option("--threads", o.threads, "threads (default: all cores)");
  c->add_flag("--json", o.json, "print the evaluation as one JSON line");
  c->add_option("--link-probability", o.link_probability, "match probability that makes a pair a link (default 0.5)");
  c->add_option("--cluster-support", o.cluster_support,
                "share of cross pairs that must be links to join two clusters (default 0.3)");
  c->add_option("--max-block", o.max_block, "largest block compared pairwise (default 100)");
  return c;
}

CLI::App* add_gen_people_subcommand(CLI::App& parent, GenPeopleOptions& o) {
  auto* c = parent.add_subcommand("gen-people", "synthetic Chinese person records with true labels (for dedup)");
  c->add_option("--records", o.records, "number of records")->required();
  c->add_option("--seed", o.seed, "random seed (default 1)");
  c->add_option("--duplicates", o.duplicates, "share of persons with several records (default 0.3)");
  c->add_option("--out", o.out, "output CSV")->required();
  return c;
}

int run_dedup_command(const DedupOptions& o, std::ostream& out, std::ostream& err) {
  const bool eval = !o.eval_dir.empty();
  const bool db = !o.db_url.empty();
  if ((eval ? 1 : 0) + (db ? 1 : 0) + (o.input.empty() ? 0 : 1) != 1)
    return report(err, Error{ErrorCode::invalid_input, "--input", "give one of --input FILE, --eval DIR or --db URL"});
  if (db && (!o.output.empty() || !o.review.empty()))
    return report(err, Error{ErrorCode::invalid_input, "--db", "--db writes to the review queue; drop --output and --review"});
  if (!eval && !db && o.output.empty())
    return report(err, Error{ErrorCode::invalid_input, "--output", "--input needs --output FILE"});
  if (!(o.link_probability > 0 && o.link_probability < 1))
    return report(err, Error{ErrorCode::invalid_input, "--link-probability", "must be between 0 and 1"});
  if (!(o.cluster_support >= 0 && o.cluster_support <= 1))
    return report(err, Error{ErrorCode::invalid_input, "--cluster-support", "must be between 0 and 1"});
  if (o.max_block < 2) return report(err, Error{ErrorCode::invalid_input, "--max-block", "must be at least 2"});
  if (o.threads < 0) return report(err, Error{ErrorCode::invalid_input, "--threads", "must be 0 or more"});
  matching::Settings settings;
  settings.link_probability = o.link_probability;
  settings.cluster_support = o.cluster_support;
  settings.max_block_size = o.max_block;
  settings.threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  if (db) return run_dedup_db(o, settings, out, err);
  const std::string path = eval ? o.eval_dir + "/records.csv" : o.input;
  const auto start = Clock::now();
  auto input = read_input(path, eval);
  if (!input) return report(err, input.error());
  const std::size_t n = input->record_ids.size();

  matching::Deduplicator engine(*input->table, settings);
  const double read_seconds = seconds_since(start);
  auto step = Clock::now();
  auto lap = [&step] {
    const double t = seconds_since(step);
    step = Clock::now();
    return t;
  };
  {
    Progress progress("dedup: normalise", n, "records");
    engine.prepare([&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); });
  }
  const double prepare_seconds = lap();
  engine.block();
  const double block_seconds = lap();
  engine.estimate();
  const double estimate_seconds = lap();
  const double cpu_before = cpu_seconds();
  const long faults_before = page_faults();
  {
    Progress progress("dedup: compare", 0, "blocks");
    engine.score([&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); });
  }
  const double score_cpu = cpu_seconds() - cpu_before;
  const long score_faults = page_faults() - faults_before;
  const double score_seconds = lap();
  engine.cluster();
  const double cluster_seconds = lap();
  const auto& clusters = engine.clusters();

  if (!o.output.empty()) {
    std::string text = "record_id,cluster_id\n";
    for (std::size_t r = 0; r < n; ++r) {
      write_field(text, input->record_ids[r]);
      text.push_back(',');
      write_field(text, input->record_ids[clusters[r]]);
      text.push_back('\n');
    }
    if (auto w = write_text(o.output, text); !w) return report(err, w.error());
  }
  if (!o.review.empty()) {
    std::string text = "record_id_a,record_id_b,probability,weight,reason\n";
    for (const auto& item : engine.review()) {
      write_field(text, input->record_ids[item.pair.a]);
      text.push_back(',');
      write_field(text, input->record_ids[item.pair.b]);
      text += "," + fixed(item.pair.probability, 4) + "," + fixed(item.pair.weight, 2) + "," +
              (item.linked_not_merged ? "refused_join" : "uncertain") + "\n";
    }
    if (auto w = write_text(o.review, text); !w) return report(err, w.error());
  }
  const double total_seconds = seconds_since(start);
  const auto& st = engine.stats();
  const double records_per_second = n / std::max(total_seconds, 1e-9);
  const double comparisons_per_second = st.comparisons / std::max(score_seconds, 1e-9);
  const double per_core = comparisons_per_second / settings.threads;
  const double per_cpu_second = st.comparisons / std::max(score_cpu, 1e-9);

  if (!eval) {
    out << "dedup: " << n << " records, " << st.clusters << " clusters, " << st.comparisons << " comparisons, "
        << engine.review().size() << " pairs to review, " << fixed(total_seconds, 2) << " s\n";
    return 0;
  }
  // Score: cluster and entity labels as integers.
  std::vector<std::uint64_t> cluster_labels(n), entity_labels(n);
  std::unordered_map<std::string, std::uint64_t> entity_index;
  for (std::size_t r = 0; r < n; ++r) {
    cluster_labels[r] = clusters[r];
    entity_labels[r] = entity_index.emplace(input->entity_ids[r], entity_index.size()).first->second;
  }
  const auto s = matching::score_clusters(cluster_labels, entity_labels);
  // Blocking recall (EVALUATION.md "What to report"): the share of true pairs
  // that are candidates, i.e. share a block and are compared. Counted pair by
  // pair within each entity, unless an entity is so large that its pairs would
  // take longer than the run (then not reported).
  constexpr std::uint64_t kMaxTruePairsCounted = 100'000'000;
  std::optional<std::uint64_t> true_candidates;
  if (s.true_pairs <= kMaxTruePairsCounted) {
    std::vector<std::vector<std::uint32_t>> records_of(entity_index.size());
    for (std::size_t r = 0; r < n; ++r) records_of[entity_labels[r]].push_back(static_cast<std::uint32_t>(r));
    std::uint64_t found = 0;
    for (const auto& records : records_of)
      for (std::size_t i = 0; i < records.size(); ++i)
        for (std::size_t j = i + 1; j < records.size(); ++j) found += engine.candidate(records[i], records[j]) ? 1 : 0;
    true_candidates = found;
  }
  const double blocking_recall =
      s.true_pairs == 0 ? 1.0 : static_cast<double>(true_candidates.value_or(0)) / static_cast<double>(s.true_pairs);
  if (o.json) {
    out << "{\"dataset\":\"" << o.eval_dir << "\",\"precision\":" << fixed(s.precision, 6)
        << ",\"recall\":" << fixed(s.recall, 6) << ",\"f1\":" << fixed(s.f1, 6)
        << ",\"b3_precision\":" << fixed(s.b3_precision, 6) << ",\"b3_recall\":" << fixed(s.b3_recall, 6)
        << ",\"b3_f1\":" << fixed(s.b3_f1, 6) << ",\"records\":" << n << ",\"true_pairs\":" << s.true_pairs
        << ",\"predicted_pairs\":" << s.predicted_pairs << ",\"correct_pairs\":" << s.correct_pairs
        << ",\"true_pairs_compared\":" << (true_candidates ? std::to_string(*true_candidates) : std::string("null"))
        << ",\"blocking_recall\":" << (true_candidates ? fixed(blocking_recall, 6) : std::string("null"))
        << ",\"comparisons\":" << st.comparisons << ",\"clusters\":" << st.clusters
        << ",\"oversized_blocks\":" << st.oversized_blocks << ",\"threads\":" << settings.threads
        << ",\"seconds\":" << fixed(total_seconds, 3) << ",\"compare_seconds\":" << fixed(score_seconds, 3)
        << ",\"compare_page_faults\":" << score_faults
        << ",\"records_per_second\":" << fixed(records_per_second, 0)
        << ",\"comparisons_per_second\":" << fixed(comparisons_per_second, 0)
        << ",\"comparisons_per_second_per_core\":" << fixed(per_core, 0)
        << ",\"comparisons_per_cpu_second\":" << fixed(per_cpu_second, 0) << ",\"read_seconds\":" << fixed(read_seconds, 3)
        << ",\"prepare_seconds\":" << fixed(prepare_seconds, 3) << ",\"block_seconds\":" << fixed(block_seconds, 3)
        << ",\"estimate_seconds\":" << fixed(estimate_seconds, 3) << ",\"cluster_seconds\":" << fixed(cluster_seconds, 3)
        << ",\"cpu_seconds\":" << fixed(cpu_seconds(), 3) << "}\n";
  } else {
    out << "dataset            " << o.eval_dir << " (" << n << " records, " << settings.threads << " threads)\n"
        << "pairwise           precision " << fixed(s.precision, 4) << "  recall " << fixed(s.recall, 4) << "  F1 "
        << fixed(s.f1, 4) << "\n"
        << "B-cubed            precision " << fixed(s.b3_precision, 4) << "  recall " << fixed(s.b3_recall, 4)
        << "  F1 " << fixed(s.b3_f1, 4) << "\n"
        << "pairs              true " << s.true_pairs << "  predicted " << s.predicted_pairs << "  correct "
        << s.correct_pairs << "\n"
        << "blocking           "
        << (true_candidates ? "recall " + fixed(blocking_recall, 4) + " (" + std::to_string(*true_candidates) +
                                  " true pairs among the " + std::to_string(st.comparisons) + " pairs compared)"
                            : std::string("recall not counted (more than 100,000,000 true pairs)"))
        << "\n"
        << "records/second     " << fixed(records_per_second, 0) << " (" << fixed(total_seconds, 3)
        << " s end to end)\n"
        << "comparisons/second " << fixed(comparisons_per_second, 0) << " (" << st.comparisons << " in "
        << fixed(score_seconds, 3) << " s; " << fixed(per_core, 0) << " per core; " << fixed(per_cpu_second, 0)
        << " per CPU second)\n"
        << "steps (s)          read " << fixed(read_seconds, 2) << "  normalise " << fixed(prepare_seconds, 2)
        << "  block " << fixed(block_seconds, 2) << "  estimate " << fixed(estimate_seconds, 2) << "  compare "
        << fixed(score_seconds, 2) << "  cluster " << fixed(cluster_seconds, 2) << "  (CPU " << fixed(cpu_seconds(), 2)
        << " s in all)\n";
    const auto& model = engine.model();
    out << "model              match share among candidates " << fixed(model.lambda, 4) << "\n";
    for (const auto& f : model.fields) {
      out << "  " << f.column << " (" << matching::to_string(f.kind) << ")";
      for (int l = 1; l < f.levels; ++l) out << "  L" << l << " m " << fixed(f.m[l], 3) << " u " << fixed(f.u[l], 3);
      out << "\n";
    }
  }
  return 0;
}

int run_gen_people_command(const GenPeopleOptions& o, std::ostream& err) {
  if (o.records == 0) return report(err, Error{ErrorCode::invalid_input, "--records", "must be at least 1"});
  if (o.duplicates < 0 || o.duplicates > 1)
    return report(err, Error{ErrorCode::invalid_input, "--duplicates", "must be between 0 and 1"});
  std::FILE* file = std::fopen(o.out.c_str(), "wb");
  if (file == nullptr) return report(err, Error{ErrorCode::io_error, o.out, "cannot create the file"});
  std::string buffer;
  for (std::size_t c = 0; c < matching::kGeneratedColumns.size(); ++c) {
    if (c > 0) buffer.push_back(',');
    buffer += matching::kGeneratedColumns[c];
  }
  buffer.push_back('\n');
  bool ok = true;
  Progress progress("gen-people", o.records, "records");
  matching::GeneratorOptions options{o.records, o.duplicates, o.seed};
  matching::generate_people(options, [&](const matching::GeneratedRecord& r) {
    for (std::size_t c = 0; c < r.values.size(); ++c) {
      if (c > 0) buffer.push_back(',');
      write_field(buffer, r.values[c]);
    }
    buffer.push_back('\n');
    if (buffer.size() > (1 << 20)) {
      ok = ok && std::fwrite(buffer.data(), 1, buffer.size(), file) == buffer.size();
      buffer.clear();
    }
    progress.advance();
  });
  ok = ok && std::fwrite(buffer.data(), 1, buffer.size(), file) == buffer.size();
  ok = (std::fclose(file) == 0) && ok;
  progress.finish();
  if (!ok) return report(err, Error{ErrorCode::io_error, o.out, "cannot write the file"});
  return 0;
}

}  // namespace shebao::app
