#include "server/review.h"

#include <algorithm>
#include <unordered_map>

#include "matching/candidate_index.h"
#include "matching/merge_log.h"
#include "matching/registry_person.h"
#include "server/decode.h"

namespace shebao::server {
namespace json = boost::json;
using auth::Action;
using auth::Decision;

namespace {

matching::RegistryPerson fields_of(const storage::MatchPerson& p) {
  return {p.name, p.sex, p.birth_date, p.resident_id, p.phone};
}

storage::MatchPerson match_person(const registry::Person& p) {
  return {p.person_id, p.resident_id, p.name, std::string(registry::to_string(p.sex)), p.birth_date.to_string(),
          p.phone};
}

// The SQL LIKE pattern of the regions an officer's own region covers (auth::region_covers).
std::string region_like(std::string_view own) {
  if (own.ends_with("0000")) return std::string(own.substr(0, 2)) + "%";
  if (own.ends_with("00")) return std::string(own.substr(0, 4)) + "%";
  return std::string(own);
}

Result<std::int64_t> whole_number(std::string_view text, std::string_view field, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  bool ok = !text.empty() && text.size() <= 18;
  for (char c : text) {
    if (c < '0' || c > '9') ok = false;
    value = value * 10 + (c - '0');
  }
  if (!ok || value < min || value > max) {
    return fail(ErrorCode::invalid_input, std::string(field),
                "expected a whole number " + std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

json::object pair_json(const storage::ReviewPair& p) {
  json::object o;
  o["pair_id"] = p.pair_id;
  o["person_a"] = p.person_a;
  o["person_b"] = p.person_b;
  o["probability"] = p.probability;
  o["weight"] = p.weight;
  json::value evidence = json::parse(p.evidence.empty() ? "{}" : p.evidence);
  o["evidence"] = evidence.is_object() ? evidence : json::object();
  o["source"] = p.source;
  o["found_at"] = p.found_at;
  o["status"] = p.status;
  o["decided_by"] = p.decided_by.empty() ? json::value(nullptr) : json::value(p.decided_by);
  o["decided_at"] = p.decided_at.empty() ? json::value(nullptr) : json::value(p.decided_at);
  o["reason"] = p.reason.empty() ? json::value(nullptr) : json::value(p.reason);
  o["merge_sequence"] = p.merge_sequence == 0 ? json::value(nullptr) : json::value(p.merge_sequence);
  return o;
}

// A pair with the persons it names, and the owner facts that decide access.
struct LoadedPair {
  storage::ReviewPair pair;
  std::optional<registry::Person> a, b;
  auth::Owner owner;
};

Result<std::optional<LoadedPair>> load_pair(ReviewCall& call, std::string_view id_text) {
  auto id = whole_number(id_text, "pair_id", 1, 1'000'000'000'000'000);
  if (!id) return tl::unexpected(id.error());
  auto pair = call.store.find_review_pair(*id);
  if (!pair) return tl::unexpected(pair.error());
  if (!*pair) return std::optional<LoadedPair>();
  LoadedPair out;
  out.pair = std::move(**pair);
  for (auto [resident, slot] : {std::pair{&out.pair.person_a, &out.a}, std::pair{&out.pair.person_b, &out.b}}) {
    auto person = call.db.find_person(*resident);
    if (!person) return tl::unexpected(person.error());
    *slot = std::move(*person);
    if (*slot) {
      out.owner.regions.push_back((*slot)->hukou_region);
      if (!(*slot)->scheme_region.empty()) out.owner.regions.push_back((*slot)->scheme_region);
    }
  }
  return std::optional<LoadedPair>(std::move(out));
}

// The pair of the path if it exists and `action` on it is allowed; otherwise
// the one answer for both (not_visible), or a problem for a malformed id.
std::variant<LoadedPair, HttpResponse> pair_for(ReviewCall& call, std::string_view id, Action action) {
  auto loaded = load_pair(call, id);
  if (!loaded) return problem(loaded.error());
  if (!*loaded || auth::decide(call.subject, action, (*loaded)->owner) != Decision::allow) return not_visible();
  return std::move(**loaded);
}

json::value person_side(storage::ApiStore& store, const std::string& resident_id,
                        const std::optional<registry::Person>& p) {
  json::object o;
  o["resident_id"] = resident_id;
  if (!p) {
    o["registered"] = false;
    return o;
  }
  o["registered"] = true;
  o["name"] = p->name;
  o["name_pinyin"] = p->name_pinyin;
  o["sex"] = std::string(registry::to_string(p->sex));
  o["birth_date"] = p->birth_date.to_string();
  o["phone"] = p->phone;
  o["hukou_region"] = p->hukou_region;
  o["scheme"] = std::string(registry::to_string(p->scheme));
  o["scheme_region"] = p->scheme_region;
  if (auto state = Review::merge_state(store, resident_id)) {
    o["merged_into"] = state->merged_into ? json::value(*state->merged_into) : json::value(nullptr);
    json::array absorbed;
    for (const auto& r : state->absorbed) absorbed.emplace_back(r);
    o["absorbed"] = std::move(absorbed);
  }
  return o;
}

json::object pair_detail(ReviewCall& call, const LoadedPair& loaded) {
  json::object o = pair_json(loaded.pair);
  o["a"] = person_side(call.store, loaded.pair.person_a, loaded.a);
  o["b"] = person_side(call.store, loaded.pair.person_b, loaded.b);
  return o;
}

// The decision's body: only `keys`, and a reason of 1..500 characters.
Result<std::string> reason_of(const Result<json::object>& body, std::initializer_list<std::string_view> keys) {
  if (!body) return tl::unexpected(body.error());
  if (auto ok = only_keys(*body, keys); !ok) return tl::unexpected(ok.error());
  auto reason = required_string(*body, "reason", 500);
  if (!reason) return tl::unexpected(reason.error());
  if (reason->empty()) return fail(ErrorCode::invalid_input, "reason", "required: say why");
  return *reason;
}

Result<matching::MergeLog> replay(storage::ApiStore& store) {
  auto stored = store.merge_log();
  if (!stored) return tl::unexpected(stored.error());
  std::vector<matching::MergeEntry> entries;
  entries.reserve(stored->size());
  for (const auto& r : *stored) {
    matching::MergeEntry e;
    e.sequence = static_cast<std::uint64_t>(r.sequence);
    e.kind = r.kind == "undo" ? matching::MergeEntry::Kind::undo : matching::MergeEntry::Kind::merge;
    e.survivor = r.survivor;
    e.merged = r.merged;
    e.undoes = static_cast<std::uint64_t>(r.undoes);
    e.actor = r.actor;
    e.reason = r.reason;
    entries.push_back(std::move(e));
  }
  return matching::MergeLog::replay(entries);
}

// After a decision is stored: an audit entry for each person, and the pair as it is now.
HttpResponse decided(ReviewCall& call, const LoadedPair& loaded, Action action) {
  const std::string resource = "/v1/review/pairs/" + std::to_string(loaded.pair.pair_id);
  call.audit(action, loaded.pair.person_a, resource);
  call.audit(action, loaded.pair.person_b, resource);
  return json_response(200, pair_detail(call, loaded));
}

// A decision that storage did not apply because the pair's status had changed.
HttpResponse changed_meanwhile() {
  return problem(Error{ErrorCode::conflict, "status", "the pair was decided or changed meanwhile; reload it"});
}

HttpResponse already_decided(const storage::ReviewPair& p) {
  return problem(Error{ErrorCode::conflict, "status",
                       "the pair is already " + p.status + (p.decided_by.empty() ? "" : " (by " + p.decided_by + ")") +
                           "; undo that decision first"});
}

}  // namespace

struct Review::Index {
  matching::CandidateIndex index;
  std::vector<storage::MatchPerson> persons;  // by index record number
  std::unordered_map<std::string, std::uint32_t> record_of;  // resident ID -> record number
  // Where the reads of storage stand (the highest person_id read, and the ids
  // below it that transactions still open may yet commit); the next read asks
  // for the persons stored since. A person added from a registration (add(),
  // not read) leaves it as it is, so that persons stored below that one are
  // still read.
  storage::MatchWatermark read_mark;
  Index() : index(matching::registry_columns(), matching::reference_model()) {}
  std::uint32_t add(const storage::MatchPerson& p) {
    const std::uint32_t record = index.add(matching::registry_row(fields_of(p)));
    persons.push_back(p);
    record_of.emplace(p.resident_id, record);
    return record;
  }
  // Adds the persons stored since the last read (by this process or any
  // other) that the index does not hold yet, and replaces the values of the
  // persons held whose matching fields changed since: range reads of the
  // person_id key and of the change mark, empty when nothing is new.
  Result<void> catch_up(storage::ApiStore& store) {
    auto stored = store.persons_for_matching_since(read_mark);
    if (!stored) return tl::unexpected(stored.error());
    if (persons.empty()) persons.reserve(stored->size());  // the first read: the whole registry
    for (const auto& p : *stored) {
      const auto held = record_of.find(p.resident_id);
      if (held == record_of.end()) {
        add(p);
        continue;
      }
      storage::MatchPerson& kept = persons[held->second];
      if (kept.name == p.name && kept.sex == p.sex && kept.birth_date == p.birth_date && kept.phone == p.phone) {
        continue;
      }
      if (auto replaced = index.replace(held->second, matching::registry_row(fields_of(p))); !replaced) {
        return tl::unexpected(replaced.error());
      }
      kept = p;
    }
    return {};
  }
};

Review::Review() = default;
Review::~Review() = default;

std::string evidence_json(const storage::MatchPerson& a, const storage::MatchPerson& b) {
  thread_local matching::ChineseText chinese;
  json::object o;
  for (const auto& [field, agreement] : matching::evidence(fields_of(a), fields_of(b), chinese)) o[field] = agreement;
  return json::serialize(o);
}

Result<IndexBuild> Review::build_index(storage::ApiStore& store) {
  std::lock_guard lock(index_mutex_);
  return current_index(store);
}

Result<IndexBuild> Review::current_index(storage::ApiStore& store) {
  IndexBuild out;
  if (index_) {
    if (auto caught_up = index_->catch_up(store); !caught_up) return tl::unexpected(caught_up.error());
    out.persons = index_->persons.size();
    return out;
  }
  const auto started = std::chrono::steady_clock::now();
  auto index = std::make_unique<Index>();
  const auto modelled = std::chrono::steady_clock::now();
  if (auto read = index->catch_up(store); !read) return tl::unexpected(read.error());
  const auto done = std::chrono::steady_clock::now();
  out.persons = index->persons.size();
  out.model_seconds = std::chrono::duration<double>(modelled - started).count();
  out.add_seconds = std::chrono::duration<double>(done - modelled).count();
  index_ = std::move(index);
  return out;
}

Result<json::array> Review::registered(ReviewCall& call, const registry::Person& person) {
  const storage::MatchPerson arriving = match_person(person);
  std::vector<std::pair<storage::MatchPerson, matching::Candidate>> found;
  {
    std::lock_guard lock(index_mutex_);
    // First the persons stored since the last lookup, by this server or any
    // other process; the arriving person is among them (it is committed
    // before this call) and is added from `person` only if it is not.
    if (auto current = current_index(call.store); !current) return tl::unexpected(current.error());
    std::uint32_t record = 0;
    if (auto it = index_->record_of.find(person.resident_id); it != index_->record_of.end()) {
      record = it->second;
    } else {
      record = index_->add(arriving);
    }
    for (const auto& c : index_->index.candidates(record, kRegistrationCandidates, kRegistrationMinProbability)) {
      found.emplace_back(index_->persons[c.record], c);
    }
  }
  json::array out;
  for (const auto& [other, candidate] : found) {
    storage::ReviewPair pair;
    const bool first = arriving.resident_id < other.resident_id;
    pair.person_a = first ? arriving.resident_id : other.resident_id;
    pair.person_b = first ? other.resident_id : arriving.resident_id;
    pair.probability = candidate.probability;
    pair.weight = candidate.weight;
    pair.evidence = evidence_json(arriving, other);
    pair.source = "registration";
    pair.found_at = call.now;
    auto queued = call.store.queue_review_pair(pair);
    if (!queued) return tl::unexpected(queued.error());
    json::object o;
    o["pair_id"] = queued->first;
    o["resident_id"] = other.resident_id;
    o["name"] = other.name;
    o["birth_date"] = other.birth_date;
    o["probability"] = candidate.probability;
    o["weight"] = candidate.weight;
    o["evidence"] = json::parse(pair.evidence);
    out.push_back(std::move(o));
  }
  return out;
}

HttpResponse Review::list(ReviewCall& call) {
  std::string like = "%";
  if (call.subject.role == auth::Role::officer) {
    if (call.subject.region.size() != 6) return problem(403, "forbidden", "", "no region is attached to your account");
    like = region_like(call.subject.region);
  } else if (auth::decide(call.subject, Action::review_read, auth::Owner{}) != Decision::allow) {
    return problem(403, "forbidden", "", "only officers, auditors and administrators read the review queue");
  }
  std::string status = query_value(call.query, "status").value_or("open");
  if (status != "open" && status != "merged" && status != "dismissed" && status != "all") {
    return problem(Error{ErrorCode::invalid_input, "query.status", "expected open, merged, dismissed or all"});
  }
  std::int64_t after = 0, limit = 50;
  if (auto text = query_value(call.query, "after")) {
    auto n = whole_number(*text, "query.after", 0, 1'000'000'000'000'000);
    if (!n) return problem(n.error());
    after = *n;
  }
  if (auto text = query_value(call.query, "limit")) {
    auto n = whole_number(*text, "query.limit", 1, 200);
    if (!n) return problem(n.error());
    limit = *n;
  }
  auto pairs = call.store.review_pairs(status == "all" ? "" : status, like, after, limit);
  if (!pairs) return problem(pairs.error());
  json::array list;
  for (const auto& p : *pairs) {
    json::object o = pair_json(p);
    for (auto [key, resident] : {std::pair{"a", &p.person_a}, std::pair{"b", &p.person_b}}) {
      auto person = call.db.find_person(*resident);
      if (!person) return problem(person.error());
      json::object side;
      side["resident_id"] = *resident;
      side["name"] = *person ? json::value((*person)->name) : json::value(nullptr);
      o[key] = std::move(side);
    }
    list.push_back(std::move(o));
  }
  json::object out;
  out["status"] = status;
  out["next_after"] = static_cast<std::int64_t>(pairs->size()) == limit ? json::value(pairs->back().pair_id)
                                                                         : json::value(nullptr);
  out["pairs"] = std::move(list);
  call.audit(Action::review_read, "", call.request.target);
  return json_response(200, out);
}

HttpResponse Review::show(ReviewCall& call, std::string_view id) {
  auto v = pair_for(call, id, Action::review_read);
  if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
  const auto& loaded = std::get<LoadedPair>(v);
  call.audit(Action::review_read, loaded.pair.person_a, call.request.target);
  call.audit(Action::review_read, loaded.pair.person_b, call.request.target);
  return json_response(200, pair_detail(call, loaded));
}

HttpResponse Review::merge(ReviewCall& call, std::string_view id) {
  const auto body = parse_json_object(call.request);
  auto reason = reason_of(body, {"survivor", "reason"});
  if (!reason) return problem(reason.error());
  auto survivor = required_string(*body, "survivor", 32);
  if (!survivor) return problem(survivor.error());
  auto v = pair_for(call, id, Action::review_merge);
  if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
  auto& loaded = std::get<LoadedPair>(v);
  storage::ReviewPair& pair = loaded.pair;
  if (pair.status != "open") return already_decided(pair);
  if (*survivor != pair.person_a && *survivor != pair.person_b) {
    return problem(Error{ErrorCode::invalid_input, "survivor", "expected one of the pair: " + pair.person_a + " or " +
                                                                   pair.person_b});
  }
  const std::string merged = *survivor == pair.person_a ? pair.person_b : pair.person_a;
  {
    std::lock_guard lock(merge_mutex_);
    auto log = replay(call.store);
    if (!log) return problem(log.error());
    auto sequence = log->merge(*survivor, merged, call.login, *reason);
    if (!sequence) return problem(Error{ErrorCode::conflict, sequence.error().field, sequence.error().message});
    pair.status = "merged";
    pair.decided_by = call.login;
    pair.decided_at = call.now;
    pair.reason = *reason;
    pair.merge_sequence = static_cast<std::int64_t>(*sequence);
    storage::MergeRecord entry{pair.merge_sequence, "merge", *survivor, merged, 0, call.login, *reason, call.now,
                               pair.pair_id};
    auto done = call.store.decide_review_pair(pair, "open", entry);
    if (!done) return problem(done.error());
    if (!*done) return changed_meanwhile();
  }
  return decided(call, loaded, Action::review_merge);
}

HttpResponse Review::dismiss(ReviewCall& call, std::string_view id) {
  auto reason = reason_of(parse_json_object(call.request), {"reason"});
  if (!reason) return problem(reason.error());
  auto v = pair_for(call, id, Action::review_dismiss);
  if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
  auto& loaded = std::get<LoadedPair>(v);
  storage::ReviewPair& pair = loaded.pair;
  if (pair.status != "open") return already_decided(pair);
  pair.status = "dismissed";
  pair.decided_by = call.login;
  pair.decided_at = call.now;
  pair.reason = *reason;
  auto done = call.store.decide_review_pair(pair, "open", std::nullopt);
  if (!done) return problem(done.error());
  if (!*done) return changed_meanwhile();
  return decided(call, loaded, Action::review_dismiss);
}

HttpResponse Review::undo(ReviewCall& call, std::string_view id) {
  auto reason = reason_of(parse_json_object(call.request), {"reason"});
  if (!reason) return problem(reason.error());
  auto v = pair_for(call, id, Action::review_undo);
  if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
  auto& loaded = std::get<LoadedPair>(v);
  storage::ReviewPair& pair = loaded.pair;
  if (pair.status == "open") {
    return problem(Error{ErrorCode::conflict, "status", "nothing to undo: the pair is open (neither merged nor dismissed)"});
  }
  const std::string from = pair.status;
  const std::int64_t merge_sequence = pair.merge_sequence;
  pair.status = "open";
  pair.decided_by.clear();
  pair.decided_at.clear();
  pair.reason.clear();
  pair.merge_sequence = 0;
  {
    std::lock_guard lock(merge_mutex_);
    std::optional<storage::MergeRecord> entry;
    if (from == "merged") {
      auto log = replay(call.store);
      if (!log) return problem(log.error());
      auto sequence = log->undo(static_cast<std::uint64_t>(merge_sequence), call.login, *reason);
      if (!sequence) return problem(Error{ErrorCode::conflict, sequence.error().field, sequence.error().message});
      const auto& undone = log->entries()[static_cast<std::size_t>(merge_sequence) - 1];
      entry = storage::MergeRecord{static_cast<std::int64_t>(*sequence), "undo", undone.survivor, undone.merged,
                                   merge_sequence, call.login, *reason, call.now, pair.pair_id};
    }
    auto done = call.store.decide_review_pair(pair, from, entry);
    if (!done) return problem(done.error());
    if (!*done) return changed_meanwhile();
  }
  return decided(call, loaded, Action::review_undo);
}

Result<MergeState> Review::merge_state(storage::ApiStore& store, std::string_view resident_id) {
  auto merges = store.standing_merges_of(resident_id);
  if (!merges) return tl::unexpected(merges.error());
  MergeState out;
  for (const auto& m : *merges) {
    if (m.merged == resident_id) {
      out.merged_into = m.survivor;
    } else {
      out.absorbed.push_back(m.merged);
    }
  }
  return out;
}

}  // namespace shebao::server
