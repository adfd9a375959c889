// The registration-time duplicate check (server/review.h): how long the
// server takes to build its CandidateIndex over a registry of N persons
// (reference model, then one add() per stored person), and the cost of one
// lookup — add() of the arriving record and candidates() — as a registration
// pays it. Records come from matching/record_generator.h reduced to the
// registry's columns (matching/registry_person.h). CPU time and wall time are
// both reported; the CPU figures are the ones to compare on a shared machine.
// Usage: candidate_index_bench [PERSONS] [LOOKUPS]   (default 100000 10000)
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "matching/candidate_index.h"
#include "matching/record_generator.h"
#include "matching/registry_person.h"

namespace {

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}
double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Rows in the registry's columns, and each row's true person ("p" + number).
std::vector<std::vector<std::string>> people(std::uint64_t records, std::uint64_t seed,
                                             std::vector<std::string>* entity = nullptr) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(records);
  shebao::matching::generate_people({records, 0.3, seed}, [&](const shebao::matching::GeneratedRecord& r) {
    rows.emplace_back(r.values.begin() + 2, r.values.begin() + 2 + shebao::matching::kRegistryColumns.size());
    if (entity) entity->push_back(r.values[1]);
  });
  return rows;
}

std::vector<std::string_view> views(const std::vector<std::string>& row) { return {row.begin(), row.end()}; }

}  // namespace

int main(int argc, char** argv) {
  using namespace shebao::matching;
  const std::uint64_t persons = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const std::uint64_t lookups = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000;
  // One generated set (different seeds repeat persons): the first PERSONS
  // records are the registry, the last LOOKUPS arrive one by one.
  std::vector<std::string> entity;
  auto registry = people(persons + lookups, 11, &entity);
  const std::vector<std::vector<std::string>> arriving(registry.begin() + static_cast<std::ptrdiff_t>(persons),
                                                       registry.end());
  registry.resize(persons);

  double c0 = cpu_now(), w0 = wall_now();
  Model model = reference_model();
  const double model_cpu = cpu_now() - c0, model_wall = wall_now() - w0;

  c0 = cpu_now();
  w0 = wall_now();
  CandidateIndex index(registry_columns(), model);
  for (const auto& row : registry) index.add(views(row));
  const double add_cpu = cpu_now() - c0, add_wall = wall_now() - w0;

  std::uint64_t found = 0, candidates = 0, true_candidates = 0;
  c0 = cpu_now();
  w0 = wall_now();
  for (const auto& row : arriving) {
    const auto record = index.add(views(row));
    const auto list = index.candidates(record, 5, 0.5);
    candidates += list.size();
    found += list.empty() ? 0 : 1;
    for (const auto& c : list) {
      if (entity[c.record] == entity[record]) ++true_candidates;
    }
  }
  const double lookup_cpu = cpu_now() - c0, lookup_wall = wall_now() - w0;

  std::printf("candidate index over %llu records (generated, 30%% of persons with more than one record)\n",
              static_cast<unsigned long long>(persons));
  std::printf("  reference model (EM on 5,000 generated records): %.3f s CPU, %.3f s wall\n", model_cpu, model_wall);
  std::printf("  build (add every stored person): %.3f s CPU, %.3f s wall; %.2f us CPU per person\n", add_cpu, add_wall,
              add_cpu / static_cast<double>(persons) * 1e6);
  std::printf("  %llu registrations (add + candidates, limit 5, probability >= 0.5): %.4f ms CPU per lookup, "
              "%.4f ms wall per lookup\n",
              static_cast<unsigned long long>(lookups), lookup_cpu / static_cast<double>(lookups) * 1e3,
              lookup_wall / static_cast<double>(lookups) * 1e3);
  std::printf("  %llu of the arriving records had candidates: %llu candidates in all, %llu of them true "
              "(another record of the same person)\n",
              static_cast<unsigned long long>(found), static_cast<unsigned long long>(candidates),
              static_cast<unsigned long long>(true_candidates));
  return 0;
}
