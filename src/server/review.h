// shebao server: the review queue of suspected duplicate persons, the
// registration-time duplicate check, and merges — the entity-resolution
// engine (matching/) wired to storage and the HTTP API.
//
// Review keeps one matching::CandidateIndex over every stored person (built
// from storage on first use or by build_index() at server start, with the
// reference model of matching/registry_person.h). It remembers the highest
// person_id it has read; before each lookup it reads the persons stored above
// it (ApiStore::persons_for_matching_since, a range read of the person_id
// key) and adds those it does not hold, so persons stored by this server's
// POST /v1/persons, by `shebao import` or by another server process on the
// same database are all candidates at the next registration. A new record is
// compared with the registry as it arrives: the cost of a lookup is the size
// of the record's blocks and of what was stored since the last one, not of the
// registry. On PostgreSQL, person_ids come from a sequence and a transaction
// may commit after one holding a higher id was read (an import still running
// while the server registers): the ids skipped are read again until every
// transaction open at that read has ended (storage::MatchWatermark). SQLite
// commits one writer at a time, in id order. Changes are read the same way:
// every update of a person's matching fields (name, sex, birth date, resident
// ID, phone), by this server's PATCH /v1/persons/{id}/contact, a registry
// import of a person already stored or another process, sets a change mark on
// the person (migration 13), and each lookup also reads the persons whose mark
// is above the one its last read saw (a range read of that mark; on
// PostgreSQL, from the oldest transaction open at the last read, so that a
// change committed out of order is not missed: storage::MatchRead). A held
// person read with other values is replaced in the index
// (matching::CandidateIndex::replace): its old name or phone finds it no more.
//
// Endpoints (docs/api.md, "Review queue"): list, show a pair side by side,
// merge, dismiss, undo. A pair is owned by the hukou and scheme regions of
// both its persons (auth/policy.h, review_* actions). Merges follow
// matching::MergeLog's rules; the log is stored (ApiStore::merge_log) and
// replayed before each merge or undo, so its sequence numbers and rules hold
// across processes (the storage key on the sequence refuses a second writer).
// A merge never deletes: reads show the absorbed record as merged into the
// survivor, and the survivor's contributions and account include the absorbed
// record's months and postings (merge_state()).
//
// Thread safety: every method may be called from several threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "auth/policy.h"
#include "registry/model.h"
#include "server/http_types.h"
#include "storage/api_store.h"
#include "storage/database.h"

namespace shebao::server {

// Candidates at registration: at most this many, with at least this match probability.
inline constexpr std::size_t kRegistrationCandidates = 5;
inline constexpr double kRegistrationMinProbability = 0.5;

struct ReviewCall {
  storage::Database& db;
  storage::ApiStore& store;
  const auth::Subject& subject;
  std::string login;
  std::string now;  // UTC text
  const HttpRequest& request;
  const std::vector<std::pair<std::string, std::string>>& query;
  // Appends an audit entry (action, person, resource).
  std::function<void(auth::Action, std::string_view, std::string_view)> audit;
};

struct IndexBuild {
  std::size_t persons = 0;
  double model_seconds = 0;  // reference model (EM on generated records)
  double add_seconds = 0;    // adding the stored persons
};

// Where a person stands in the merge log.
struct MergeState {
  std::optional<std::string> merged_into;  // the survivor, when this record is merged away
  std::vector<std::string> absorbed;       // records merged into this one
};

class Review {
 public:
  Review();
  ~Review();
  Review(const Review&) = delete;
  Review& operator=(const Review&) = delete;

  // Builds the index from the stored persons; later calls add the persons
  // stored since and replace those changed since (persons: the size of the index).
  Result<IndexBuild> build_index(storage::ApiStore& store);

  // After `person` is stored: brings the index up to date with storage (the
  // person included), queues the likely duplicates (source "registration")
  // and returns them for the response.
  Result<boost::json::array> registered(ReviewCall& call, const registry::Person& person);

  HttpResponse list(ReviewCall& call);
  HttpResponse show(ReviewCall& call, std::string_view pair_id);
  HttpResponse merge(ReviewCall& call, std::string_view pair_id);
  HttpResponse dismiss(ReviewCall& call, std::string_view pair_id);
  HttpResponse undo(ReviewCall& call, std::string_view pair_id);

  static Result<MergeState> merge_state(storage::ApiStore& store, std::string_view resident_id);

 private:
  struct Index;
  // Builds the index, or brings it up to date with the persons stored or changed since; index_mutex_ held.
  Result<IndexBuild> current_index(storage::ApiStore& store);
  std::mutex index_mutex_;
  std::unique_ptr<Index> index_;
  std::mutex merge_mutex_;
};

// The evidence of two stored persons as the JSON text the queue keeps.
std::string evidence_json(const storage::MatchPerson& a, const storage::MatchPerson& b);

}  // namespace shebao::server
