#include "server/api.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <shared_mutex>
#include <sstream>
#include <tuple>

#include <boost/json.hpp>

#include "analytics/compliance.h"
#include "analytics/coverage.h"
#include "auth/credentials.h"
#include "auth/policy.h"
#include "collection/month_entries.h"
#include "core/ids.h"
#include "core/region.h"
#include "ingest/importers.h"
#include "matching/normalize.h"
#include "portability/transfers.h"
#include "rules/case_kinds.h"
#include "rules/case_runner.h"
#include "server/decode.h"
#include "server/review.h"
#include "storage/api_store.h"
#include "statement/statement.h"
#include "storage/database.h"

namespace shebao::server {
namespace json = boost::json;
using auth::Action;
using auth::Decision;
using auth::Owner;
using auth::Role;
using Clock = std::chrono::system_clock;

namespace {

enum class RouteId {
  healthz,
  metrics,
  openapi,
  login,
  logout,
  me,
  person_register,
  person_read,
  person_contact,
  person_contributions,
  person_account,
  person_employment,
  person_access_log,
  person_retirement,
  person_statement,
  person_transfers,
  person_transfer_request,
  transfer_read,
  employer_read,
  declaration_upload,
  upload_read,
  employer_arrears,
  audit_read,
  coverage_report,
  calculation,
  review_list,
  review_show,
  review_merge,
  review_dismiss,
  review_undo,
  person_search,
  person_flexible_enrolment,
};

struct Route {
  RouteInfo info;
  RouteId id;
  std::vector<std::string_view> segments;  // "{x}" = parameter
};

std::vector<std::string_view> split_pattern(std::string_view pattern) {
  std::vector<std::string_view> out;
  std::size_t start = 1;
  while (start < pattern.size()) {
    const std::size_t end = std::min(pattern.find('/', start), pattern.size());
    out.push_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

const std::vector<Route>& route_table() {
  static const std::vector<Route> table = [] {
    const std::vector<std::pair<RouteInfo, RouteId>> rows = {
        {{"GET", "/healthz", false}, RouteId::healthz},
        {{"GET", "/metrics", false}, RouteId::metrics},
        {{"GET", "/openapi.json", false}, RouteId::openapi},
        {{"POST", "/v1/sessions", false}, RouteId::login},
        {{"DELETE", "/v1/sessions/current", true}, RouteId::logout},
        {{"GET", "/v1/me", true}, RouteId::me},
        {{"POST", "/v1/persons", true}, RouteId::person_register},
        {{"GET", "/v1/persons/{resident_id}", true}, RouteId::person_read},
        {{"PATCH", "/v1/persons/{resident_id}/contact", true}, RouteId::person_contact},
        {{"GET", "/v1/persons/{resident_id}/contributions", true}, RouteId::person_contributions},
        {{"GET", "/v1/persons/{resident_id}/account", true}, RouteId::person_account},
        {{"GET", "/v1/persons/{resident_id}/employment", true}, RouteId::person_employment},
        {{"GET", "/v1/persons/{resident_id}/access-log", true}, RouteId::person_access_log},
        {{"GET", "/v1/persons/{resident_id}/retirement", true}, RouteId::person_retirement},
        {{"GET", "/v1/persons/{resident_id}/statement", true}, RouteId::person_statement},
        {{"GET", "/v1/persons/{resident_id}/transfers", true}, RouteId::person_transfers},
        {{"POST", "/v1/persons/{resident_id}/transfers", true}, RouteId::person_transfer_request},
        {{"GET", "/v1/transfers/{transfer_id}", true}, RouteId::transfer_read},
        {{"GET", "/v1/employers/{credit_code}", true}, RouteId::employer_read},
        {{"POST", "/v1/employers/{credit_code}/declarations", true}, RouteId::declaration_upload},
        {{"GET", "/v1/employers/{credit_code}/uploads/{upload_id}", true}, RouteId::upload_read},
        {{"GET", "/v1/employers/{credit_code}/arrears", true}, RouteId::employer_arrears},
        {{"GET", "/v1/audit", true}, RouteId::audit_read},
        {{"GET", "/v1/reports/coverage", true}, RouteId::coverage_report},
        {{"POST", "/v1/calculations/{kind}", true}, RouteId::calculation},
        {{"GET", "/v1/review/pairs", true}, RouteId::review_list},
        {{"GET", "/v1/review/pairs/{pair_id}", true}, RouteId::review_show},
        {{"POST", "/v1/review/pairs/{pair_id}/merge", true}, RouteId::review_merge},
        {{"POST", "/v1/review/pairs/{pair_id}/dismiss", true}, RouteId::review_dismiss},
        {{"POST", "/v1/review/pairs/{pair_id}/undo", true}, RouteId::review_undo},
        {{"GET", "/v1/persons", true}, RouteId::person_search},
        {{"POST", "/v1/persons/{resident_id}/flexible-enrolment", true}, RouteId::person_flexible_enrolment},
    };
    std::vector<Route> out;
    for (const auto& [info, id] : rows) out.push_back(Route{info, id, split_pattern(info.pattern)});
    return out;
  }();
  return table;
}

// Calculation names of POST /v1/calculations/{kind} → case kinds (rules/case_kinds.h).
const std::map<std::string, std::string, std::less<>> kCalculations = {
    {"retirement", "retirement.date"},        {"minimum-months", "contribution.minimum_months"},
    {"pension", "pension.employee"},          {"resident-pension", "pension.resident"},
    {"contribution", "contribution.employee"}, {"flexible", "contribution.flexible"},
    {"late-fee", "late_fee"},
};

std::string utc_text(Clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buffer;
}

std::int64_t epoch_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string money(std::int64_t fen) { return Money::from_fen(fen).to_string(); }

// Status codes counted per route for /metrics.
constexpr std::array<int, 17> kStatuses = {200, 201, 204, 400, 401, 403, 404, 405, 409,
                                           413, 415, 422, 429, 431, 500, 503, 0};
std::size_t status_slot(int status) {
  for (std::size_t i = 0; i + 1 < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatuses.size() - 1;
}
constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0};

struct Worker {
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<storage::ApiStore> store;
};

struct Principal {
  storage::User user;
  auth::Subject subject;
  std::string token_hash;
};

struct CachedSession {
  storage::User user;
  std::int64_t expires_at = 0;
  std::int64_t checked_at = 0;
};

struct Bucket {
  double tokens = 0;
  std::int64_t last_ms = 0;
};

struct LoginState {
  int failures = 0;
  std::int64_t locked_until = 0;
};

struct Call {
  const HttpRequest& request;
  std::vector<std::string> params;
  std::vector<std::pair<std::string, std::string>> query;
  Worker& worker;
  Principal principal;
  Clock::time_point now;
};

// The person a handler works on, with the facts that tie it to owners.
struct PersonView {
  registry::Person person;
  std::vector<storage::SpellRecord> spells;
  Owner owner;
};

json::object person_json(const registry::Person& p) {
  json::object o;
  o["resident_id"] = p.resident_id;
  o["name"] = p.name;
  o["name_pinyin"] = p.name_pinyin;
  o["sex"] = std::string(registry::to_string(p.sex));
  o["birth_date"] = p.birth_date.to_string();
  o["hukou_region"] = p.hukou_region;
  o["phone"] = p.phone;
  o["retirement_category"] = p.retirement_category;
  o["scheme"] = std::string(registry::to_string(p.scheme));
  o["scheme_region"] = p.scheme_region;
  if (p.flexible_base_ratio) {
    o["flexible_base_ratio"] = p.flexible_base_ratio->to_string();
  } else {
    o["flexible_base_ratio"] = nullptr;
  }
  return o;
}

json::object transfer_json(const portability::Transfer& t, std::string_view resident_id) {
  json::object o;
  o["transfer_id"] = t.transfer_id;
  o["resident_id"] = std::string(resident_id);
  o["from"] = "CN-" + std::to_string(t.from_province);
  o["to"] = "CN-" + std::to_string(t.to_province);
  o["requested_on"] = t.requested_on.to_string();
  o["status"] = std::string(to_string(t.status));
  o["account_fen"] = t.account_fen;
  o["pooled_fen"] = t.pooled_fen;
  o["counted_months"] = t.counted_months;
  if (!t.reason.empty()) o["reason"] = t.reason;
  return o;
}

// What a person search answers of each person found (no contact details).
json::object person_summary_json(const registry::Person& p) {
  json::object o;
  o["resident_id"] = p.resident_id;
  o["name"] = p.name;
  o["name_pinyin"] = p.name_pinyin;
  o["sex"] = std::string(registry::to_string(p.sex));
  o["birth_date"] = p.birth_date.to_string();
  o["hukou_region"] = p.hukou_region;
  o["scheme"] = std::string(registry::to_string(p.scheme));
  o["scheme_region"] = p.scheme_region;
  return o;
}

Result<std::string> valid_resident_id(std::string_view text) {
  auto id = ResidentId::parse(text);
  if (!id) return fail(id.error().code, "resident_id", id.error().message);
  return std::string(id->text());
}

}  // namespace

namespace {
// ICU transliterators of this thread (built on first use: about a second).
matching::ChineseText& chinese_text() {
  thread_local matching::ChineseText chinese;
  return chinese;
}
}  // namespace

Result<std::size_t> index_person_search(storage::ApiStore& store) {
  const storage::SearchKeysOf keys_of = [](const storage::SearchIndexName& person) {
    return matching::name_search_keys(person.name, person.name_pinyin, chinese_text());
  };
  std::size_t total = 0;
  for (;;) {
    auto indexed = store.index_queued_persons(2000, keys_of);
    if (!indexed) return tl::unexpected(indexed.error());
    if (*indexed == 0) return total;
    total += *indexed;
  }
}

const std::vector<RouteInfo>& routes() {
  static const std::vector<RouteInfo> list = [] {
    std::vector<RouteInfo> out;
    for (const Route& r : route_table()) out.push_back(r.info);
    return out;
  }();
  return list;
}

struct Api::Impl {
  ApiOptions options;
  Api* api = nullptr;

  // sessions, throttles, rate limits
  mutable std::shared_mutex sessions_mutex;
  std::unordered_map<std::string, CachedSession> sessions;
  std::mutex login_mutex;
  std::unordered_map<std::string, LoginState> logins;
  std::mutex rate_mutex;
  std::unordered_map<std::string, Bucket> buckets;

  // metrics
  std::vector<std::array<std::atomic<std::int64_t>, kStatuses.size()>> counts;
  std::array<std::atomic<std::int64_t>, kBuckets.size() + 1> latency{};
  std::atomic<std::int64_t> latency_sum_us{0};
  std::atomic<std::int64_t> unrouted{0};
  std::atomic<std::int64_t> rate_limited{0};
  std::atomic<std::int64_t> login_failures{0};
  std::atomic<std::int64_t> audit_appended{0};

  // coverage reports: serialized body by (month, window, region scope)
  struct CachedReport {
    std::string body;
    std::int64_t computed_at = 0;
  };
  std::mutex coverage_mutex;  // held while a report is computed: one at a time
  std::map<std::tuple<int, int, std::string>, CachedReport> coverage_cache;

  // review queue, registration-time duplicate check, merges (server/review.h)
  Review review;
  ReviewCall review_call(Call& call) {
    return ReviewCall{*call.worker.db, *call.worker.store, call.principal.subject, call.principal.user.login,
                      utc_text(call.now), call.request, call.query,
                      [this, &call](Action action, std::string_view person, std::string_view resource) {
                        audit(call, action, person, resource);
                      }};
  }
  // The records a person's reads cover: the person's own first, then the
  // records merged into them (in the merge log's order). The contributions,
  // account and statement reads all gather through this.
  Result<std::vector<registry::Person>> merged_records(Call& call, const registry::Person& person) {
    auto state = Review::merge_state(*call.worker.store, person.resident_id);
    if (!state) return tl::unexpected(state.error());
    std::vector<registry::Person> out{person};
    for (const auto& id : state->absorbed) {
      auto found = call.worker.db->find_person(id);
      if (!found) return tl::unexpected(found.error());
      if (*found) out.push_back(std::move(**found));
    }
    return out;
  }
  // One booked month and the record (of merged_records' list) it was booked on.
  struct RecordMonth {
    const registry::Person* record;
    storage::ContributionRecord row;
  };
  // The booked months of all `records`, in month order; within a month the
  // records' order, and each record's own order (its entries').
  Result<std::vector<RecordMonth>> months_of(Call& call, const std::vector<registry::Person>& records) {
    std::vector<RecordMonth> out;
    for (const auto& record : records) {
      auto rows = call.worker.store->contributions_of(record.person_id);
      if (!rows) return tl::unexpected(rows.error());
      for (auto& r : *rows) out.push_back(RecordMonth{&record, std::move(r)});
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const RecordMonth& x, const RecordMonth& y) { return x.row.month < y.row.month; });
    return out;
  }
  // The personal-account balance summed over `records`.
  Result<std::int64_t> balance_of(Call& call, const std::vector<registry::Person>& records) {
    std::int64_t total = 0;
    for (const auto& record : records) {
      auto balance = call.worker.db->personal_balance(record.person_id);
      if (!balance) return tl::unexpected(balance.error());
      total += *balance;
    }
    return total;
  }

  explicit Impl(ApiOptions o) : options(std::move(o)), counts(route_table().size()) {}
  static inline std::atomic<std::uint64_t> instances{0};
  const std::uint64_t instance = ++instances;

  // --- per-thread storage ---
  Result<Worker*> worker() {
    // Keyed by a number never reused (an address could be, by a later Api).
    thread_local std::map<std::uint64_t, std::unique_ptr<Worker>> workers;
    auto& slot = workers[instance];
    if (slot) return slot.get();
    auto db = storage::open_database(options.db_url, storage::Workload::requests);
    if (!db) return tl::unexpected(db.error());
    auto store = storage::open_api_store(options.db_url);
    if (!store) return tl::unexpected(store.error());
    slot = std::make_unique<Worker>(Worker{std::move(*db), std::move(*store)});
    return slot.get();
  }

  Date today(Clock::time_point now) const {
    if (options.today) return *options.today;
    return Date::from_days(std::chrono::floor<std::chrono::days>(now));
  }

  // --- audit ---
  void audit(const Call& call, Action action, std::string_view person, std::string_view resource) {
    if (options.audit == nullptr) return;
    std::string purpose = call.request.purpose;
    if (purpose.empty()) purpose = call.principal.subject.person == person ? "self-service" : "not stated";
    options.audit->append(audit::Access{utc_text(call.now), call.principal.user.login,
                                        call.principal.user.role, std::string(auth::to_string(action)),
                                        std::string(person), std::string(resource), std::move(purpose)});
    ++audit_appended;
  }

  // --- rate limit: token bucket per client ---
  bool allow_client(const std::string& client, Clock::time_point now) {
    if (options.rate_per_second <= 0) return true;
    const std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::lock_guard lock(rate_mutex);
    if (buckets.size() > 100000) buckets.clear();  // bounded memory under address churn
    auto [it, fresh] = buckets.try_emplace(client, Bucket{options.rate_burst, ms});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min(options.rate_burst, b.tokens + (ms - b.last_ms) * options.rate_per_second / 1000.0);
      b.last_ms = ms;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  // --- authentication ---
  Result<std::optional<Principal>> authenticate(const HttpRequest& request, Worker& worker, Clock::time_point now) {
    const std::string_view header = request.authorization;
    if (!header.starts_with("Bearer ")) return std::optional<Principal>();
    const std::string token_hash = auth::sha256_hex(header.substr(7));
    const std::int64_t t = epoch_seconds(now);
    {
      std::shared_lock lock(sessions_mutex);
      auto it = sessions.find(token_hash);
      if (it != sessions.end() && it->second.expires_at > t && t - it->second.checked_at < 10) {
        return std::optional<Principal>(principal_of(it->second.user, token_hash));
      }
    }
    auto session = worker.store->find_session(token_hash);
    if (!session) return tl::unexpected(session.error());
    if (!*session || (*session)->revoked || (*session)->expires_at <= t) {
      std::unique_lock lock(sessions_mutex);
      sessions.erase(token_hash);
      return std::optional<Principal>();
    }
    auto user = worker.store->find_user_by_id((*session)->user_id);
    if (!user) return tl::unexpected(user.error());
    if (!*user || (*user)->disabled) return std::optional<Principal>();
    {
      std::unique_lock lock(sessions_mutex);
      if (sessions.size() > 200000) sessions.clear();
      sessions[token_hash] = CachedSession{**user, (*session)->expires_at, t};
    }
    return std::optional<Principal>(principal_of(**user, token_hash));
  }

  static Principal principal_of(const storage::User& user, const std::string& token_hash) {
    Principal p;
    p.user = user;
    p.subject.role = auth::parse_role(user.role).value_or(Role::person);
    p.subject.person = user.person;
    p.subject.employer = user.employer;
    p.subject.region = user.region;
    p.token_hash = token_hash;
    return p;
  }

  // --- loading records with their owners ---
  // nullopt: no such record (the caller answers not_visible()). Without
  // `with_spells` the owner lists only the person and the hukou and scheme
  // regions; add_spells() adds the employers and their regions.
  Result<std::optional<PersonView>> load_person(Call& call, std::string_view resident_id, bool with_spells = true) {
    auto person = call.worker.db->find_person(resident_id);
    if (!person) return tl::unexpected(person.error());
    if (!*person) return std::optional<PersonView>();
    return view_of(call, std::move(**person), with_spells);
  }

  Result<std::optional<PersonView>> view_of(Call& call, registry::Person person, bool with_spells) {
    PersonView view;
    view.person = std::move(person);
    view.owner.person = view.person.resident_id;
    view.owner.regions.push_back(view.person.hukou_region);
    if (!view.person.scheme_region.empty()) view.owner.regions.push_back(view.person.scheme_region);
    if (with_spells) {
      if (auto ok = add_spells(call, view); !ok) return tl::unexpected(ok.error());
    }
    return std::optional<PersonView>(std::move(view));
  }

  Result<void> add_spells(Call& call, PersonView& view) {
    auto spells = call.worker.store->spells_of(view.person.person_id);
    if (!spells) return tl::unexpected(spells.error());
    view.spells = std::move(*spells);
    for (const auto& s : view.spells) {
      view.owner.employers.push_back(s.employer_code);
      view.owner.regions.push_back(s.employer_region);
    }
    return {};
  }

  // The person of the path, if it exists and the action on it is allowed.
  // A response when not (the same for "no such person" and "not allowed").
  // The policy is monotone in the owner's facts (more facts never refuse what
  // fewer allowed), so the employment facts are only read when the person's
  // own facts do not already allow the action, or when the handler needs them.
  std::variant<PersonView, HttpResponse> person_for(Call& call, Action action, bool need_spells = false) {
    auto id = valid_resident_id(call.params[0]);
    if (!id) return problem(id.error());
    auto view = load_person(call, *id, need_spells);
    if (!view) return problem(view.error());
    if (!*view) return not_visible();
    auto allowed = allows(call, action, **view, need_spells);
    if (!allowed) return problem(allowed.error());
    if (!*allowed) return not_visible();
    return std::move(**view);
  }

  // Whether the action on the person is allowed; the employment facts are read
  // only when needed (see person_for).
  Result<bool> allows(Call& call, Action action, PersonView& view, bool has_spells) {
    Decision decision = auth::decide(call.principal.subject, action, view.owner);
    if (decision != Decision::allow && !has_spells) {
      if (auto ok = add_spells(call, view); !ok) return tl::unexpected(ok.error());
      decision = auth::decide(call.principal.subject, action, view.owner);
    }
    return decision == Decision::allow;
  }

  // --- handlers ---
  HttpResponse login(Call& call) {
    auto body = parse_json_object(call.request);
    if (!body) return problem(body.error());
    if (auto ok = only_keys(*body, {"login", "password"}); !ok) return problem(ok.error());
    auto login = required_string(*body, "login", 128);
    if (!login) return problem(login.error());
    auto password = required_string(*body, "password", 1024);
    if (!password) return problem(password.error());
    const std::int64_t t = epoch_seconds(call.now);
    {
      std::lock_guard lock(login_mutex);
      auto it = logins.find(*login);
      if (it != logins.end() && it->second.locked_until > t) {
        HttpResponse r = problem(429, "login_throttled", "login",
                                 "too many failed logins for this account; try again later");
        r.headers.emplace_back("Retry-After", std::to_string(it->second.locked_until - t));
        return r;
      }
    }
    auto user = call.worker.store->find_user(*login);
    if (!user) return problem(user.error());
    const bool ok = *user && !(*user)->disabled && auth::verify_password((*user)->password_hash, *password);
    if (!ok) {
      ++login_failures;
      std::lock_guard lock(login_mutex);
      if (logins.size() > 100000) logins.clear();
      LoginState& state = logins[*login];
      if (++state.failures >= options.login_failures_before_lock) {
        state.failures = 0;
        state.locked_until = t + options.login_lock_seconds;
      }
      return problem(401, "unauthenticated", "", "unknown login or wrong password");
    }
    {
      std::lock_guard lock(login_mutex);
      logins.erase(*login);
    }
    const std::string token = auth::new_token();
    storage::Session session{auth::sha256_hex(token), (*user)->user_id, t, t + options.session_seconds, false};
    if (auto stored = call.worker.store->insert_session(session); !stored) return problem(stored.error());
    json::object out;
    out["token"] = token;
    out["token_type"] = "Bearer";
    out["expires_at"] = utc_text(Clock::time_point(std::chrono::seconds(session.expires_at)));
    out["role"] = (*user)->role;
    return json_response(201, out);
  }

  HttpResponse logout(Call& call) {
    if (auto ok = call.worker.store->revoke_session(call.principal.token_hash); !ok) return problem(ok.error());
    {
      std::unique_lock lock(sessions_mutex);
      sessions.erase(call.principal.token_hash);
    }
    HttpResponse r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }

  HttpResponse me(Call& call) {
    json::object o;
    o["login"] = call.principal.user.login;
    o["role"] = call.principal.user.role;
    o["person"] = call.principal.user.person;
    o["employer"] = call.principal.user.employer;
    o["region"] = call.principal.user.region;
    return json_response(200, o);
  }

  HttpResponse person_register(Call& call) {
    auto body = parse_json_object(call.request);
    if (!body) return problem(body.error());
    if (auto ok = only_keys(*body, {"resident_id", "name", "name_pinyin", "hukou_region", "phone",
                                    "retirement_category", "scheme", "scheme_region", "flexible_base_ratio"});
        !ok) {
      return problem(ok.error());
    }
    registry::Person p;
    auto rid = required_string(*body, "resident_id", 32);
    if (!rid) return problem(rid.error());
    auto id = ResidentId::parse(*rid);
    if (!id) return problem(Error{id.error().code, "resident_id", id.error().message});
    p.resident_id = std::string(id->text());
    p.birth_date = id->birth_date();
    p.sex = id->is_male() ? registry::Sex::male : registry::Sex::female;
    if (p.birth_date.days() > today(call.now).days()) {
      return problem(Error{ErrorCode::bad_birth_date, "resident_id", "the birth date is in the future"});
    }
    auto name = required_string(*body, "name", 128);
    if (!name) return problem(name.error());
    if (name->empty()) return problem(Error{ErrorCode::invalid_input, "name", "required"});
    p.name = *name;
    auto pinyin = optional_string(*body, "name_pinyin", 128);
    if (!pinyin) return problem(pinyin.error());
    p.name_pinyin = pinyin->value_or("");
    auto hukou = required_string(*body, "hukou_region", 6);
    if (!hukou) return problem(hukou.error());
    if (auto r = RegionCode::parse(*hukou); !r) return problem(Error{r.error().code, "hukou_region", r.error().message});
    p.hukou_region = *hukou;
    auto phone = optional_string(*body, "phone", 32);
    if (!phone) return problem(phone.error());
    p.phone = phone->value_or("");
    auto category = required_string(*body, "retirement_category", 16);
    if (!category) return problem(category.error());
    if (*category != "male" && *category != "female_55" && *category != "female_50") {
      return problem(Error{ErrorCode::unknown_category, "retirement_category", "expected male, female_55 or female_50"});
    }
    p.retirement_category = *category;
    auto scheme_text = required_string(*body, "scheme", 16);
    if (!scheme_text) return problem(scheme_text.error());
    auto scheme = registry::parse_scheme(*scheme_text);
    if (!scheme) return problem(Error{scheme.error().code, "scheme", scheme.error().message});
    p.scheme = *scheme;
    auto scheme_region = optional_string(*body, "scheme_region", 6);
    if (!scheme_region) return problem(scheme_region.error());
    p.scheme_region = scheme_region->value_or("");
    if (!p.scheme_region.empty()) {
      if (auto r = RegionCode::parse(p.scheme_region); !r) {
        return problem(Error{r.error().code, "scheme_region", r.error().message});
      }
    }
    if (p.scheme != registry::Scheme::employee && p.scheme_region.empty()) {
      return problem(Error{ErrorCode::invalid_input, "scheme_region", "required for flexible and resident schemes"});
    }
    auto ratio = optional_string(*body, "flexible_base_ratio", 8);
    if (!ratio) return problem(ratio.error());
    if (p.scheme == registry::Scheme::flexible) {
      if (!*ratio) return problem(Error{ErrorCode::invalid_input, "flexible_base_ratio", "required for flexible workers"});
      auto number = Decimal::parse(**ratio);
      if (!number) return problem(Error{number.error().code, "flexible_base_ratio", number.error().message});
      if (auto ok = ingest::check_flexible_base_ratio(*options.rules, today(call.now), p.scheme_region, *number); !ok) {
        return problem(ok.error());
      }
      p.flexible_base_ratio = *number;
    }
    Owner owner;
    owner.person = p.resident_id;
    owner.regions = {p.hukou_region};
    if (!p.scheme_region.empty()) owner.regions.push_back(p.scheme_region);
    if (auth::decide(call.principal.subject, Action::person_register, owner) != Decision::allow) {
      return problem(403, "forbidden", "", "your role may not register persons in this region");
    }
    storage::Database& db = *call.worker.db;
    if (auto ok = db.begin(); !ok) return problem(ok.error());
    auto existing = db.find_person(p.resident_id);
    if (!existing) {
      db.rollback();
      return problem(existing.error());
    }
    if (*existing) {
      db.rollback();
      return problem(Error{ErrorCode::conflict, "resident_id", "a person with this resident ID is registered"});
    }
    auto stored = db.upsert_person(p);
    if (!stored) {
      db.rollback();
      return problem(stored.error());
    }
    if (auto ok = db.commit(); !ok) return problem(ok.error());
    p.person_id = *stored;
    audit(call, Action::person_register, p.resident_id, "/v1/persons/" + p.resident_id);
    json::object out = person_json(p);
    ReviewCall rc = review_call(call);
    // The person is stored: a failed duplicate check is reported, not an error.
    auto duplicates = review.registered(rc, p);
    if (duplicates) {
      out["possible_duplicates"] = std::move(*duplicates);
    } else {
      out["possible_duplicates"] = json::array();
      out["duplicate_check"] = "not done: " + duplicates.error().to_string();
    }
    return json_response(201, out);
  }

  // GET /v1/persons?q=&limit=: a resident ID (exact; the 15-digit form is
  // converted), a name in Chinese characters (simplified or traditional) or
  // pinyin (tones, blanks, case and name order do not matter), both names by
  // prefix. Officers search their own region only (the store filters by it,
  // and every person found must pass person_read before it is answered);
  // each person answered is an audit entry.
  HttpResponse person_search(Call& call) {
    const auth::Subject& subject = call.principal.subject;
    Owner scope;
    if (subject.role == Role::officer) scope.regions = {subject.region};
    if (auth::decide(subject, Action::person_search, scope) != Decision::allow) {
      return problem(403, "forbidden", "", "only officers, auditors and administrators search persons");
    }
    const std::optional<std::string> text = query_value(call.query, "q");
    if (!text || text->find_first_not_of(" \t") == std::string::npos) {
      return problem(Error{ErrorCode::invalid_input, "query.q", "required: a resident ID, a name or its pinyin"});
    }
    if (text->size() > kMaxSearchText) {
      return problem(Error{ErrorCode::invalid_input, "query.q",
                           "at most " + std::to_string(kMaxSearchText) + " bytes"});
    }
    auto limit = limit_param(call, 20, kMaxSearchResults);
    if (!limit) return problem(limit.error());
    std::string compact;
    for (char c : *text) {
      if (c != ' ' && c != '\t') compact.push_back(c);
    }
    const bool id_like = std::all_of(compact.begin(), compact.end(),
                                     [](char c) { return (c >= '0' && c <= '9') || c == 'x' || c == 'X'; });
    std::string match;
    std::vector<registry::Person> found;
    bool more = false;
    if (id_like) {
      match = "resident_id";
      auto id = ResidentId::parse(compact);
      if (!id) return problem(Error{id.error().code, "query.q", id.error().message});
      auto person = call.worker.db->find_person(id->text());
      if (!person) return problem(person.error());
      if (*person) found.push_back(std::move(**person));
    } else {
      const std::string key = matching::name_search_query(*text, chinese_text());
      if (key.empty()) {
        return problem(Error{ErrorCode::invalid_input, "query.q",
                             "expected a resident ID, a name in Chinese characters, or its pinyin"});
      }
      const bool han = matching::has_han(key);
      match = han ? "name" : "pinyin";
      if (!han && key.size() < 2) {
        return problem(Error{ErrorCode::invalid_input, "query.q", "pinyin needs at least 2 letters"});
      }
      if (auto indexed = index_person_search(*call.worker.store); !indexed) return problem(indexed.error());
      storage::PersonSearch search;
      search.key_prefix = key;
      search.region_prefix = subject.role == Role::officer ? std::string(auth::region_prefix(subject.region)) : "";
      search.limit = *limit + 1;
      auto ids = call.worker.store->search_persons(search);
      if (!ids) return problem(ids.error());
      more = static_cast<std::int64_t>(ids->size()) > *limit;
      for (std::size_t i = 0; i < ids->size() && static_cast<std::int64_t>(i) < *limit; ++i) {
        auto person = call.worker.db->find_person_by_id((*ids)[i]);
        if (!person) return problem(person.error());
        if (*person) found.push_back(std::move(**person));
      }
    }
    json::array persons;
    for (registry::Person& person : found) {
      auto view = view_of(call, std::move(person), false);
      if (!view) return problem(view.error());
      auto allowed = allows(call, Action::person_read, **view, false);
      if (!allowed) return problem(allowed.error());
      if (!*allowed) continue;  // outside the caller's reach: not revealed
      audit(call, Action::person_search, (*view)->person.resident_id, call.request.target);
      persons.push_back(person_summary_json((*view)->person));
    }
    json::object out;
    out["match"] = match;
    out["persons"] = std::move(persons);
    out["more"] = more;
    return json_response(200, out);
  }

  // POST /v1/persons/{resident_id}/flexible-enrolment: a registered person
  // joins the flexible-worker scheme in the region where they work (any
  // region: no hukou restriction) at a base ratio within the rules' band.
  // The person for their own record, an officer of the person's region (and
  // of the chosen region), an admin. Refused while an employment spell is open
  // and when already a flexible worker (conflict).
  HttpResponse person_flexible_enrolment(Call& call) {
    auto body = parse_json_object(call.request);
    if (!body) return problem(body.error());
    if (auto ok = only_keys(*body, {"scheme_region", "flexible_base_ratio"}); !ok) return problem(ok.error());
    auto region = required_string(*body, "scheme_region", 6);
    if (!region) return problem(region.error());
    if (auto r = RegionCode::parse(*region); !r) return problem(Error{r.error().code, "scheme_region", r.error().message});
    auto ratio_text = required_string(*body, "flexible_base_ratio", 8);
    if (!ratio_text) return problem(ratio_text.error());
    auto ratio = Decimal::parse(*ratio_text);
    if (!ratio) return problem(Error{ratio.error().code, "flexible_base_ratio", ratio.error().message});
    const Date day = today(call.now);
    if (auto ok = ingest::check_flexible_base_ratio(*options.rules, day, *region, *ratio); !ok) {
      return problem(ok.error());
    }
    auto v = person_for(call, Action::flexible_enrol, true);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    registry::Person& p = view.person;
    if (auth::decide(call.principal.subject, Action::flexible_enrol, Owner{p.resident_id, {}, {*region}}) !=
        Decision::allow) {
      return problem(403, "forbidden", "scheme_region", "your role may not enrol persons in this region");
    }
    if (p.scheme == registry::Scheme::flexible) {
      return problem(Error{ErrorCode::conflict, "scheme",
                           "already a flexible worker in " + p.scheme_region + " at base ratio " +
                               (p.flexible_base_ratio ? p.flexible_base_ratio->to_string() : std::string("?"))});
    }
    for (const storage::SpellRecord& spell : view.spells) {
      if (spell.hire_date.days() <= day.days() && (!spell.leave_date || spell.leave_date->days() >= day.days())) {
        return problem(Error{ErrorCode::conflict, "scheme",
                             "employed by " + spell.employer_name + " since " + spell.hire_date.to_string() +
                                 "; the flexible-worker scheme is for work without an employer"});
      }
    }
    p.scheme = registry::Scheme::flexible;
    p.scheme_region = *region;
    p.flexible_base_ratio = *ratio;
    storage::Database& db = *call.worker.db;
    if (auto ok = db.begin(); !ok) return problem(ok.error());
    if (auto stored = db.upsert_person(p); !stored) {
      db.rollback();
      return problem(stored.error());
    }
    if (auto ok = db.commit(); !ok) return problem(ok.error());
    audit(call, Action::flexible_enrol, p.resident_id, call.request.target);
    return json_response(200, person_json(p));
  }

  HttpResponse person_read(Call& call) {
    auto v = person_for(call, Action::person_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    auto state = Review::merge_state(*call.worker.store, view.person.resident_id);
    if (!state) return problem(state.error());
    json::object out = person_json(view.person);
    out["merged_into"] = state->merged_into ? json::value(*state->merged_into) : json::value(nullptr);
    json::array absorbed;
    for (const auto& id : state->absorbed) absorbed.emplace_back(id);
    out["absorbed"] = std::move(absorbed);
    audit(call, Action::person_read, view.person.resident_id, call.request.target);
    return json_response(200, out);
  }

  HttpResponse person_contact(Call& call) {
    auto body = parse_json_object(call.request);
    if (!body) return problem(body.error());
    if (auto ok = only_keys(*body, {"phone"}); !ok) return problem(ok.error());
    auto phone = required_string(*body, "phone", 32);
    if (!phone) return problem(phone.error());
    for (char c : *phone) {
      if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ')) {
        return problem(Error{ErrorCode::bad_character, "phone", "a phone number has digits, +, - and spaces only"});
      }
    }
    auto v = person_for(call, Action::person_update_contact);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    if (auto ok = call.worker.store->update_phone(view.person.person_id, *phone); !ok) return problem(ok.error());
    view.person.phone = *phone;
    audit(call, Action::person_update_contact, view.person.resident_id, call.request.target);
    return json_response(200, person_json(view.person));
  }

  // The contribution base of a booked month, recomputed with the rules exactly
  // as the month run computed it (the ledger keeps amounts, not bases).
  Result<std::int64_t> contribution_base(const storage::ContributionRecord& r, const registry::Person& person) {
    if (r.kind == "employee") {
      collection::DeclaredPersonMonth declared;
      declared.person_id = person.person_id;
      declared.employer_region = r.region;
      auto size = registry::parse_employer_size(r.employer_size);
      auto unit = registry::parse_unit_type(r.employer_unit_type);
      if (!size || !unit) return fail(ErrorCode::internal, "employer", "stored employer size or type unknown");
      declared.employer_size = *size;
      declared.unit_type = *unit;
      declared.month = r.month;
      declared.declared_wage = Money::from_fen(r.declared_wage_fen);
      auto computed = collection::compute_declared_month(declared, *options.rules, nullptr);
      if (!computed) return tl::unexpected(computed.error());
      return computed->contribution_base.fen();
    }
    if (r.base_fen > 0) return r.base_fen;  // kept with the booked line
    // A line booked without its base: recomputed with the current ratio.
    if (!person.flexible_base_ratio || r.region.size() != 6) return std::int64_t{0};
    const std::string jurisdiction = registry::province_jurisdiction(r.region);
    auto average = options.rules->find("average_wage_for_base", r.month, jurisdiction);
    if (!average) return tl::unexpected(average.error());
    rules::FlexibleContributionQuery query;
    query.contribution_month = r.month;
    query.local_average_wage = Money::from_decimal((*average)->number);
    query.base_ratio = *person.flexible_base_ratio;
    query.jurisdiction = jurisdiction;
    auto computed = rules::compute_flexible_contribution(query, *options.rules, nullptr);
    if (!computed) return tl::unexpected(computed.error());
    return computed->contribution_base.fen();
  }

  HttpResponse person_contributions(Call& call) {
    auto v = person_for(call, Action::contributions_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    // A merged survivor's record includes the months of the records merged into it.
    auto records = merged_records(call, view.person);
    if (!records) return problem(records.error());
    auto rows = months_of(call, *records);
    if (!rows) return problem(rows.error());
    json::array months;
    std::int64_t personal = 0, pooled = 0;
    std::map<std::string, std::int64_t> by_employer, by_region;
    for (const auto& [record, r] : *rows) {
      json::object o;
      o["record"] = record->resident_id;
      o["month"] = r.month.to_string();
      o["kind"] = r.kind;
      o["employer"] = r.employer_code;
      o["employer_name"] = r.employer_name;
      o["region"] = r.region;
      o["declared_wage_fen"] = r.declared_wage_fen;
      auto base = contribution_base(r, *record);
      if (!base) return problem(base.error());
      o["base_fen"] = *base;
      o["personal_fen"] = r.personal_fen;
      o["pooled_fen"] = r.pooled_fen;
      months.push_back(std::move(o));
      personal += r.personal_fen;
      pooled += r.pooled_fen;
      by_employer[r.employer_code.empty() ? "flexible" : r.employer_code] += 1;
      by_region[r.region] += 1;
    }
    json::object out;
    out["resident_id"] = view.person.resident_id;
    out["months"] = std::move(months);
    out["month_count"] = static_cast<std::int64_t>(rows->size());
    out["personal_fen"] = personal;
    out["pooled_fen"] = pooled;
    json::object employers, regions;
    for (const auto& [k, n] : by_employer) employers[k] = n;
    for (const auto& [k, n] : by_region) regions[k] = n;
    out["months_by_employer"] = std::move(employers);
    out["months_by_region"] = std::move(regions);
    audit(call, Action::contributions_read, view.person.resident_id, call.request.target);
    return json_response(200, out);
  }

  Result<std::int64_t> limit_param(const Call& call, std::int64_t fallback, std::int64_t maximum) {
    auto text = query_value(call.query, "limit");
    if (!text) return fallback;
    auto number = Decimal::parse(*text);
    if (!number || !number->to_int64_exact() || *number->to_int64_exact() < 1 ||
        *number->to_int64_exact() > maximum) {
      return fail(ErrorCode::invalid_input, "query.limit", "expected a whole number 1.." + std::to_string(maximum));
    }
    return *number->to_int64_exact();
  }

  HttpResponse person_account(Call& call) {
    auto limit = limit_param(call, 100, 1000);
    if (!limit) return problem(limit.error());
    auto v = person_for(call, Action::account_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    // A merged survivor's account includes the balances and postings of the records merged into it.
    auto records = merged_records(call, view.person);
    if (!records) return problem(records.error());
    auto balance = balance_of(call, *records);
    if (!balance) return problem(balance.error());
    std::vector<storage::PostingRecord> postings;
    for (const auto& record : *records) {
      auto more = call.worker.store->personal_postings(record.person_id, *limit);
      if (!more) return problem(more.error());
      postings.insert(postings.end(), more->begin(), more->end());
    }
    std::sort(postings.begin(), postings.end(),
              [](const storage::PostingRecord& x, const storage::PostingRecord& y) { return x.entry_id > y.entry_id; });
    if (static_cast<std::int64_t>(postings.size()) > *limit) postings.resize(static_cast<std::size_t>(*limit));
    json::array list;
    for (const auto& p : postings) {
      json::object o;
      o["entry_id"] = p.entry_id;
      o["kind"] = p.entry_kind;
      o["month"] = p.month.to_string();
      o["amount_fen"] = p.amount_fen;
      o["amount"] = money(p.amount_fen);
      list.push_back(std::move(o));
    }
    json::object out;
    out["resident_id"] = view.person.resident_id;
    out["balance_fen"] = *balance;
    out["balance"] = money(*balance);
    out["postings"] = std::move(list);
    audit(call, Action::account_read, view.person.resident_id, call.request.target);
    return json_response(200, out);
  }

  HttpResponse person_employment(Call& call) {
    auto v = person_for(call, Action::employment_read, true);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    json::array list;
    for (const auto& s : view.spells) {
      // An employer's agent sees only the spells at its employer.
      if (call.principal.subject.role == Role::employer_agent && s.employer_code != call.principal.subject.employer) {
        continue;
      }
      json::object o;
      o["employer"] = s.employer_code;
      o["employer_name"] = s.employer_name;
      o["region"] = s.employer_region;
      o["hire_date"] = s.hire_date.to_string();
      if (s.leave_date) {
        o["leave_date"] = s.leave_date->to_string();
      } else {
        o["leave_date"] = nullptr;
      }
      list.push_back(std::move(o));
    }
    json::object out;
    out["resident_id"] = view.person.resident_id;
    out["spells"] = std::move(list);
    audit(call, Action::employment_read, view.person.resident_id, call.request.target);
    return json_response(200, out);
  }

  HttpResponse person_access_log(Call& call) {
    auto limit = limit_param(call, 100, 1000);
    if (!limit) return problem(limit.error());
    auto v = person_for(call, Action::access_log_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    if (options.audit) options.audit->flush();
    auto entries = call.worker.store->audit_of_person(view.person.resident_id, *limit);
    if (!entries) return problem(entries.error());
    json::array list;
    for (const auto& e : *entries) {
      json::object o;
      o["at"] = e.at;
      o["who"] = e.actor;
      o["role"] = e.role;
      o["action"] = e.action;
      o["purpose"] = e.purpose;
      list.push_back(std::move(o));
    }
    json::object out;
    out["resident_id"] = view.person.resident_id;
    out["accesses"] = std::move(list);
    audit(call, Action::access_log_read, view.person.resident_id, call.request.target);
    return json_response(200, out);
  }

  Result<json::object> run_kind(std::string_view kind_name, const json::object& input) {
    const rules::CaseKind* kind = rules::find_case_kind(kind_name);
    if (kind == nullptr) return fail(ErrorCode::internal, "kind", "calculation not available");
    rules::Trace trace;
    Result<json::object> result = json::object();
    try {
      result = kind->run(input, *options.rules, &trace);
    } catch (const DecimalOverflow&) {
      result = fail(ErrorCode::out_of_range, "", "an amount is too large to compute exactly");
    }
    if (!result) {
      Error e = result.error();
      if (e.field.starts_with("input.")) e.field = e.field.substr(6);
      return tl::unexpected(e);
    }
    json::object out;
    out["result"] = std::move(*result);
    out["trace"] = rules::trace_to_json(trace);
    return out;
  }

  HttpResponse person_retirement(Call& call) {
    const std::string option = query_value(call.query, "option").value_or("statutory");
    if (option != "statutory" && option != "earliest" && option != "latest") {
      return problem(Error{ErrorCode::unknown_category, "query.option", "expected statutory, earliest or latest"});
    }
    auto v = person_for(call, Action::retirement_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    json::object input;
    input["birth_month"] = view.person.birth_date.year_month().to_string();
    input["category"] = view.person.retirement_category;
    input["option"] = option;
    auto out = run_kind("retirement.date", input);
    if (!out) return problem(out.error());
    (*out)["resident_id"] = view.person.resident_id;
    audit(call, Action::retirement_read, view.person.resident_id, call.request.target);
    return json_response(200, *out);
  }

  HttpResponse person_transfers(Call& call) {
    auto v = person_for(call, Action::transfer_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    // A merged survivor's transfers include those of the records merged into it.
    auto records = merged_records(call, view.person);
    if (!records) return problem(records.error());
    json::array out;
    for (const auto& record : *records) {
      auto list = call.worker.db->transfers_of(record.person_id);
      if (!list) return problem(list.error());
      for (const auto& t : *list) out.push_back(transfer_json(t, record.resident_id));
    }
    json::object doc;
    doc["resident_id"] = view.person.resident_id;
    doc["transfers"] = std::move(out);
    audit(call, Action::transfer_read, view.person.resident_id, call.request.target);
    return json_response(200, doc);
  }

  HttpResponse person_transfer_request(Call& call) {
    auto body = parse_json_object(call.request);
    if (!body) return problem(body.error());
    if (auto ok = only_keys(*body, {"from", "to"}); !ok) return problem(ok.error());
    auto from_text = required_string(*body, "from", 8);
    if (!from_text) return problem(from_text.error());
    auto to_text = required_string(*body, "to", 8);
    if (!to_text) return problem(to_text.error());
    auto from = parse_province_jurisdiction(*from_text);
    if (!from) return problem(Error{from.error().code, "from", from.error().message});
    auto to = parse_province_jurisdiction(*to_text);
    if (!to) return problem(Error{to.error().code, "to", to.error().message});
    if (*from == *to) return problem(Error{ErrorCode::invalid_input, "to", "the receiving province is the sending one"});
    auto v = person_for(call, Action::transfer_request);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    // A merged survivor's request moves the records merged into it too: one
    // transfer per record (each record's account and months are its own),
    // all requested in one transaction or none.
    auto records = merged_records(call, view.person);
    if (!records) return problem(records.error());
    storage::Database& db = *call.worker.db;
    if (auto ok = db.begin(); !ok) return problem(ok.error());
    for (const auto& record : *records) {
      auto existing = db.transfers_of(record.person_id);
      if (!existing) {
        db.rollback();
        return problem(existing.error());
      }
      for (const auto& t : *existing) {
        if (t.status != portability::TransferStatus::credited && t.status != portability::TransferStatus::refused) {
          db.rollback();
          return problem(Error{ErrorCode::conflict, "resident_id",
                               "transfer " + std::to_string(t.transfer_id) + " of " +
                                   (record.person_id == view.person.person_id
                                        ? std::string("this person")
                                        : "the record " + record.resident_id + " merged into this person") +
                                   " is still " + std::string(to_string(t.status))});
        }
      }
    }
    std::vector<portability::Transfer> requested;
    for (const auto& record : *records) {
      portability::Transfer& transfer = requested.emplace_back();
      transfer.person_id = record.person_id;
      transfer.from_province = *from;
      transfer.to_province = *to;
      transfer.requested_on = today(call.now);
      auto stored = db.insert_transfer(transfer);
      if (!stored) {
        db.rollback();
        return problem(stored.error());
      }
      transfer.transfer_id = *stored;
    }
    if (auto ok = db.commit(); !ok) return problem(ok.error());
    audit(call, Action::transfer_request, view.person.resident_id, call.request.target);
    json::object out = transfer_json(requested.front(), view.person.resident_id);
    if (requested.size() > 1) {
      json::array merged;
      for (std::size_t i = 1; i < requested.size(); ++i)
        merged.push_back(transfer_json(requested[i], (*records)[i].resident_id));
      out["merged_records"] = std::move(merged);
    }
    return json_response(201, out);
  }

  HttpResponse person_statement(Call& call) {
    const std::string lang = query_value(call.query, "lang").value_or("zh");
    if (lang != "zh" && lang != "en") {
      return problem(Error{ErrorCode::unknown_category, "query.lang", "expected zh or en"});
    }
    auto v = person_for(call, Action::statement_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& view = std::get<PersonView>(v);
    // A merged survivor's statement covers the months and balances of the records merged into it.
    auto records = merged_records(call, view.person);
    if (!records) return problem(records.error());
    auto rows = months_of(call, *records);
    if (!rows) return problem(rows.error());
    auto balance = balance_of(call, *records);
    if (!balance) return problem(balance.error());
    statement::Statement doc;
    doc.resident_id = view.person.resident_id;
    doc.name = view.person.name;
    doc.name_pinyin = view.person.name_pinyin;
    doc.as_of = today(call.now);
    doc.personal_balance_fen = *balance;
    for (const auto& [record, r] : *rows) {
      auto base = contribution_base(r, *record);
      if (!base) return problem(base.error());
      // The person's part is what the personal account was credited; the
      // employer's part went to the pooled fund (none for a flexible month).
      doc.rows.push_back(statement::Row{r.month, r.employer_name, r.region, *base, r.personal_fen,
                                        r.kind == "employee" ? r.pooled_fen : 0});
    }
#ifdef SHEBAO_HAVE_STATEMENT
    auto pdf = statement::render_pdf(doc, lang == "en" ? statement::Language::en : statement::Language::zh);
    if (!pdf) return problem(pdf.error());
    audit(call, Action::statement_read, view.person.resident_id, call.request.target);
    HttpResponse response;
    response.content_type = "application/pdf";
    response.body = std::move(*pdf);
    return response;
#else
    return problem(503, "not_available", "", "this build has no PDF statement renderer");
#endif
  }

  HttpResponse transfer_read(Call& call) {
    auto number = Decimal::parse(call.params[0]);
    if (!number || !number->to_int64_exact() || *number->to_int64_exact() <= 0) {
      return problem(Error{ErrorCode::invalid_input, "transfer_id", "a transfer id is a positive whole number"});
    }
    auto transfer = call.worker.db->find_transfer(*number->to_int64_exact());
    if (!transfer) return problem(transfer.error());
    if (!*transfer) return not_visible();
    auto person = call.worker.db->find_person_by_id((*transfer)->person_id);
    if (!person) return problem(person.error());
    if (!*person) return not_visible();
    auto view = load_person(call, (*person)->resident_id);
    if (!view) return problem(view.error());
    if (!*view || auth::decide(call.principal.subject, Action::transfer_read, (*view)->owner) != Decision::allow) {
      return not_visible();
    }
    audit(call, Action::transfer_read, (*view)->person.resident_id, call.request.target);
    return json_response(200, transfer_json(**transfer, (*view)->person.resident_id));
  }

  std::variant<registry::Employer, HttpResponse> employer_for(Call& call, std::string_view code, Action action) {
    auto parsed = CreditCode::parse(code);
    if (!parsed) return problem(Error{parsed.error().code, "credit_code", parsed.error().message});
    auto employer = call.worker.db->find_employer(parsed->text());
    if (!employer) return problem(employer.error());
    if (!*employer) return not_visible();
    Owner owner;
    owner.employers = {(*employer)->credit_code};
    owner.regions = {(*employer)->region};
    if (auth::decide(call.principal.subject, action, owner) != Decision::allow) return not_visible();
    return std::move(**employer);
  }

  HttpResponse employer_read(Call& call) {
    auto v = employer_for(call, call.params[0], Action::employer_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& e = std::get<registry::Employer>(v);
    json::object o;
    o["credit_code"] = e.credit_code;
    o["name"] = e.name;
    o["region"] = e.region;
    o["size"] = std::string(registry::to_string(e.size));
    o["unit_type"] = std::string(registry::to_string(e.unit_type));
    return json_response(200, o);
  }

  HttpResponse declaration_upload(Call& call) {
    const std::string_view type =
        std::string_view(call.request.content_type).substr(0, call.request.content_type.find(';'));
    if (type != "text/csv") {
      return problem(415, "unsupported_media_type", "Content-Type", "a declaration is uploaded as text/csv");
    }
    auto v = employer_for(call, call.params[0], Action::declaration_upload);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& employer = std::get<registry::Employer>(v);
    // Every line must be the employer's own.
    std::istringstream in(call.request.body);
    std::string line;
    if (!std::getline(in, line)) return problem(Error{ErrorCode::invalid_input, "body", "the file is empty"});
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> header;
    {
      std::stringstream cells(line);
      std::string cell;
      while (std::getline(cells, cell, ',')) header.push_back(cell);
    }
    const auto column = std::find(header.begin(), header.end(), "credit_code");
    if (column == header.end()) {
      return problem(Error{ErrorCode::missing_column, "credit_code", "the header has no credit_code column"});
    }
    const std::size_t index = static_cast<std::size_t>(column - header.begin());
    int number = 1;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      std::stringstream cells(line);
      std::string cell;
      for (std::size_t i = 0; i <= index && std::getline(cells, cell, ','); ++i) {
      }
      if (cell != employer.credit_code) {
        return problem(Error{ErrorCode::invalid_input, "line " + std::to_string(number) + ": credit_code",
                             "every line must declare the employer of the path"});
      }
    }
    char path_template[] = "/tmp/shebao-upload-XXXXXX.csv";
    const int fd = mkstemps(path_template, 4);
    if (fd < 0) return problem(Error{ErrorCode::io_error, "upload", "cannot create a temporary file"});
    const std::string path = path_template;
    const std::string feedback_path = path + ".feedback.csv";
    {
      FILE* f = fdopen(fd, "wb");
      std::fwrite(call.request.body.data(), 1, call.request.body.size(), f);
      std::fclose(f);
    }
    ingest::ImportOptions import_options;
    import_options.today = today(call.now);
    import_options.feedback_path = feedback_path;
    auto summary = ingest::import_declarations(path, *call.worker.db, import_options);
    std::string feedback;
    {
      std::ifstream f(feedback_path, std::ios::binary);
      std::stringstream text;
      text << f.rdbuf();
      feedback = text.str();
    }
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::filesystem::remove(feedback_path, ec);
    if (!summary) return problem(summary.error());
    json::object s;
    s["accepted"] = summary->accepted;
    s["rejected"] = summary->rejected;
    s["new_declarations"] = summary->new_declarations;
    s["corrected_declarations"] = summary->corrected_declarations;
    s["unchanged_declarations"] = summary->unchanged_declarations;
    storage::Upload upload{0, employer.credit_code, utc_text(call.now), json::serialize(s), feedback};
    auto id = call.worker.store->insert_upload(upload);
    if (!id) return problem(id.error());
    json::object out = s;
    out["upload_id"] = *id;
    out["employer"] = employer.credit_code;
    out["feedback"] = feedback;
    audit(call, Action::declaration_upload, "", call.request.target);
    return json_response(201, out);
  }

  HttpResponse upload_read(Call& call) {
    auto number = Decimal::parse(call.params[1]);
    if (!number || !number->to_int64_exact() || *number->to_int64_exact() <= 0) {
      return problem(Error{ErrorCode::invalid_input, "upload_id", "an upload id is a positive whole number"});
    }
    auto v = employer_for(call, call.params[0], Action::declaration_feedback_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& employer = std::get<registry::Employer>(v);
    auto upload = call.worker.store->find_upload(*number->to_int64_exact());
    if (!upload) return problem(upload.error());
    if (!*upload || (*upload)->employer != employer.credit_code) return not_visible();
    boost::system::error_code ec;
    json::value summary = json::parse((*upload)->summary, ec);
    json::object out = summary.is_object() ? summary.get_object() : json::object();
    out["upload_id"] = (*upload)->upload_id;
    out["employer"] = (*upload)->employer;
    out["created_at"] = (*upload)->created_at;
    out["feedback"] = (*upload)->feedback;
    return json_response(200, out);
  }

  // Unpaid employer-months (dues booked, up to the current month, not paid in
  // full) and the late fees booked. Employer data, not personal: no audit entry.
  HttpResponse employer_arrears(Call& call) {
    auto v = employer_for(call, call.params[0], Action::employer_read);
    if (auto* r = std::get_if<HttpResponse>(&v)) return std::move(*r);
    auto& e = std::get<registry::Employer>(v);
    const YearMonth up_to = today(call.now).year_month();
    auto dues = call.worker.db->employer_dues(up_to);
    if (!dues) return problem(dues.error());
    auto facts = call.worker.db->employer_facts(up_to);
    if (!facts) return problem(facts.error());
    std::vector<storage::EmployerMonthDues> unpaid;
    for (const auto& row : *dues) {
      if (row.employer_id == e.employer_id && row.dues_fen > row.paid_fen) unpaid.push_back(row);
    }
    std::sort(unpaid.begin(), unpaid.end(), [](const auto& a, const auto& b) { return a.month < b.month; });
    std::int64_t total_dues = 0, total_paid = 0, late_fees = 0;
    json::array months;
    for (const auto& row : unpaid) {
      total_dues += row.dues_fen;
      total_paid += row.paid_fen;
      months.push_back({{"month", row.month.to_string()},
                        {"dues", money(row.dues_fen)},
                        {"paid", money(row.paid_fen)},
                        {"arrears", money(row.dues_fen - row.paid_fen)}});
    }
    for (const auto& f : *facts) {
      if (f.employer.credit_code == e.credit_code) late_fees = f.late_fees_fen;
    }
    json::object o;
    o["credit_code"] = e.credit_code;
    o["name"] = e.name;
    o["up_to"] = up_to.to_string();
    o["months"] = std::move(months);
    o["unpaid_months"] = static_cast<std::int64_t>(unpaid.size());
    o["dues"] = money(total_dues);
    o["paid"] = money(total_paid);
    o["arrears"] = money(total_dues - total_paid);
    o["late_fees"] = money(late_fees);
    return json_response(200, o);
  }

  // The coverage report without the per-person list. Officers: the extract is
  // filtered to the persons placed in the officer's region before computing,
  // so every figure (totals, groups, reasons, trend, cells) is of that region.
  // Aggregate data: no audit entry.
  HttpResponse coverage_report(Call& call) {
    const auth::Subject& subject = call.principal.subject;
    const std::string scope = subject.role == Role::officer ? subject.region : "";
    Owner owner;
    if (subject.role == Role::officer) owner.regions = {scope};
    if (auth::decide(subject, Action::coverage_read, owner) != Decision::allow) {
      return problem(403, "forbidden", "", "only officers, auditors and administrators read the coverage report");
    }
    if (!options.population) {
      return problem(404, "not_found", "",
                     "the server was started without a population extract (shebao serve --population FILE)");
    }
    std::optional<YearMonth> month;
    if (auto text = query_value(call.query, "month")) {
      auto parsed = YearMonth::parse(*text);
      if (!parsed) return problem(Error{parsed.error().code, "query.month", parsed.error().message});
      month = *parsed;
    }
    int window = 3;
    if (auto text = query_value(call.query, "window")) {
      auto number = Decimal::parse(*text);
      if (!number || !number->to_int64_exact() || *number->to_int64_exact() < 1 || *number->to_int64_exact() > 64) {
        return problem(Error{ErrorCode::invalid_input, "query.window", "expected a whole number 1..64"});
      }
      window = static_cast<int>(*number->to_int64_exact());
    }
    if (!month) {
      auto latest = call.worker.db->latest_contribution_month();
      if (!latest) return problem(latest.error());
      if (!*latest) {
        return problem(Error{ErrorCode::not_found, "query.month", "no contributions are booked yet; give ?month=YYYY-MM"});
      }
      month = *latest;
    }
    const std::int64_t t = epoch_seconds(call.now);
    const auto key = std::make_tuple(month->serial(), window, scope);
    std::lock_guard lock(coverage_mutex);
    if (auto it = coverage_cache.find(key); it != coverage_cache.end() && t - it->second.computed_at < kCoverageCacheSeconds) {
      HttpResponse r;
      r.body = it->second.body;
      return r;
    }
    std::vector<analytics::PopulationRecord> scoped;
    const std::vector<analytics::PopulationRecord>* population = options.population.get();
    if (!scope.empty()) {
      for (const auto& record : *options.population) {
        if (auth::region_covers(scope, record.region)) scoped.push_back(record);
      }
      population = &scoped;
    }
    auto registry = call.worker.db->coverage_facts(*month);
    if (!registry) return problem(registry.error());
    analytics::CoverageOptions coverage_options;
    coverage_options.month = *month;
    coverage_options.window_months = window;
    auto report = analytics::coverage_report(analytics::CoverageExtract(*population), *registry,
                                             [&] { return call.worker.db->registered_persons(); }, coverage_options);
    if (!report) return problem(report.error());
    const auto share = [](std::int64_t part, std::int64_t whole) {
      return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
    };
    json::object root;
    root["month"] = report->month.to_string();
    root["window_months"] = report->window_months;
    root["region"] = scope.empty() ? json::value(nullptr) : json::value(scope);
    root["population"] = report->population;
    root["matched"] = report->matched;
    root["matched_by_id"] = report->matched_by_id;
    root["matched_by_engine"] = report->matched_by_engine;
    root["covered"] = report->covered;
    json::array groups;
    for (const auto& group : report->groups) {
      groups.push_back({{"group", analytics::to_string(group.group)},
                        {"population", group.population},
                        {"covered", group.covered},
                        {"coverage", share(group.covered, group.population)}});
    }
    root["groups"] = std::move(groups);
    json::object reasons;
    for (const auto reason : {analytics::Reason::never_registered, analytics::Reason::no_contributions,
                              analytics::Reason::moved_without_transfer, analytics::Reason::lapsed}) {
      reasons[analytics::to_string(reason)] = report->reasons[static_cast<std::size_t>(reason)];
    }
    root["reasons"] = std::move(reasons);
    json::array trend;
    for (const auto& [m, s] : report->trend) trend.push_back({{"month", m.to_string()}, {"coverage", s}});
    root["trend"] = std::move(trend);
    std::map<int, std::pair<std::int64_t, std::int64_t>> by_province;
    json::array cells;
    for (const auto& cell : report->cells) {
      cells.push_back({{"province", cell.province},
                       {"age_band", cell.age_band},
                       {"group", analytics::to_string(cell.group)},
                       {"population", cell.population},
                       {"covered", cell.covered}});
      if (cell.group == analytics::Group::other) continue;
      by_province[cell.province].first += cell.population;
      by_province[cell.province].second += cell.covered;
    }
    json::array provinces;
    for (const auto& [province, counts] : by_province) {
      provinces.push_back({{"province", province},
                           {"population", counts.first},
                           {"covered", counts.second},
                           {"coverage", share(counts.second, counts.first)}});
    }
    root["provinces"] = std::move(provinces);
    root["cells"] = std::move(cells);
    root["computed_at"] = utc_text(call.now);
    if (coverage_cache.size() >= 64) coverage_cache.clear();  // bounded memory
    std::string body = json::serialize(root);
    coverage_cache[key] = CachedReport{body, t};
    HttpResponse r;
    r.body = std::move(body);
    return r;
  }

  HttpResponse audit_read(Call& call) {
    if (auth::decide(call.principal.subject, Action::audit_read, Owner{}) != Decision::allow) {
      return problem(403, "forbidden", "", "only auditors and administrators read the audit log");
    }
    auto limit = limit_param(call, 100, 1000);
    if (!limit) return problem(limit.error());
    std::int64_t after = 0;
    if (auto text = query_value(call.query, "after")) {
      auto number = Decimal::parse(*text);
      if (!number || !number->to_int64_exact() || *number->to_int64_exact() < 0) {
        return problem(Error{ErrorCode::invalid_input, "query.after", "expected a whole number ≥ 0"});
      }
      after = *number->to_int64_exact();
    }
    if (options.audit) options.audit->flush();
    auto entries = call.worker.store->audit_entries(after, *limit);
    if (!entries) return problem(entries.error());
    json::array list;
    for (const auto& e : *entries) {
      json::object o;
      o["seq"] = e.seq;
      o["at"] = e.at;
      o["actor"] = e.actor;
      o["role"] = e.role;
      o["action"] = e.action;
      o["person"] = e.person;
      o["resource"] = e.resource;
      o["purpose"] = e.purpose;
      o["prev_hash"] = e.prev_hash;
      o["hash"] = e.hash;
      list.push_back(std::move(o));
    }
    json::object out;
    out["entries"] = std::move(list);
    audit(call, Action::audit_read, "", call.request.target);
    return json_response(200, out);
  }

  HttpResponse calculation(Call& call) {
    auto it = kCalculations.find(call.params[0]);
    if (it == kCalculations.end()) {
      return problem(Error{ErrorCode::not_found, "kind", "no calculation \"" + call.params[0] + "\""});
    }
    auto body = parse_json_object(call.request);
    if (!body) return problem(body.error());
    auto out = run_kind(it->second, *body);
    if (!out) {
      Error e = out.error();
      if (e.code == ErrorCode::rule_missing) e.code = ErrorCode::out_of_range;
      return problem(e);
    }
    return json_response(200, *out);
  }

  HttpResponse healthz(Call&) {
    json::object o;
    o["status"] = "ok";
    return json_response(200, o);
  }

  template <typename F>
  HttpResponse with_review(Call& call, F handler) {
    ReviewCall rc = review_call(call);
    return handler(rc);
  }

  HttpResponse dispatch(RouteId id, Call& call) {
    switch (id) {
      case RouteId::healthz: return healthz(call);
      case RouteId::metrics: {
        HttpResponse r;
        r.content_type = "text/plain; version=0.0.4";
        r.body = api->metrics_text();
        return r;
      }
      case RouteId::openapi: {
        HttpResponse r;
        r.body = options.openapi_document;
        return r;
      }
      case RouteId::login: return login(call);
      case RouteId::logout: return logout(call);
      case RouteId::me: return me(call);
      case RouteId::person_register: return person_register(call);
      case RouteId::person_read: return person_read(call);
      case RouteId::person_contact: return person_contact(call);
      case RouteId::person_contributions: return person_contributions(call);
      case RouteId::person_account: return person_account(call);
      case RouteId::person_employment: return person_employment(call);
      case RouteId::person_access_log: return person_access_log(call);
      case RouteId::person_retirement: return person_retirement(call);
      case RouteId::person_statement: return person_statement(call);
      case RouteId::person_transfers: return person_transfers(call);
      case RouteId::person_transfer_request: return person_transfer_request(call);
      case RouteId::transfer_read: return transfer_read(call);
      case RouteId::employer_read: return employer_read(call);
      case RouteId::declaration_upload: return declaration_upload(call);
      case RouteId::upload_read: return upload_read(call);
      case RouteId::employer_arrears: return employer_arrears(call);
      case RouteId::audit_read: return audit_read(call);
      case RouteId::coverage_report: return coverage_report(call);
      case RouteId::calculation: return calculation(call);
      case RouteId::review_list: return with_review(call, [&](ReviewCall& rc) { return review.list(rc); });
      case RouteId::review_show: return with_review(call, [&](ReviewCall& rc) { return review.show(rc, call.params[0]); });
      case RouteId::review_merge: return with_review(call, [&](ReviewCall& rc) { return review.merge(rc, call.params[0]); });
      case RouteId::review_dismiss:
        return with_review(call, [&](ReviewCall& rc) { return review.dismiss(rc, call.params[0]); });
      case RouteId::review_undo: return with_review(call, [&](ReviewCall& rc) { return review.undo(rc, call.params[0]); });
      case RouteId::person_search: return person_search(call);
      case RouteId::person_flexible_enrolment: return person_flexible_enrolment(call);
    }
    return problem(Error{ErrorCode::internal, "", "unhandled route"});
  }

  void count(std::optional<std::size_t> route, int status, double seconds) {
    if (route) {
      ++counts[*route][status_slot(status)];
    } else {
      ++unrouted;
    }
    std::size_t b = 0;
    while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
    ++latency[b];
    latency_sum_us += static_cast<std::int64_t>(seconds * 1e6);
  }

  HttpResponse handle(const HttpRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    std::optional<std::size_t> route_index;
    HttpResponse response = handle_routed(request, route_index);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    count(route_index, response.status, seconds);
    return response;
  }

  HttpResponse handle_routed(const HttpRequest& request, std::optional<std::size_t>& route_index) {
    const Clock::time_point now = options.now();
    auto segments = split_path(request.target);
    if (!segments) return problem(segments.error());
    auto query = parse_query(request.target);
    if (!query) return problem(query.error());
    // Route: the first pattern with matching segments; 405 when only the method differs.
    const Route* found = nullptr;
    std::vector<std::string> params;
    std::string allowed;
    const auto& table = route_table();
    for (std::size_t i = 0; i < table.size(); ++i) {
      const Route& r = table[i];
      if (r.segments.size() != segments->size()) continue;
      bool match = true;
      std::vector<std::string> captured;
      for (std::size_t s = 0; s < r.segments.size() && match; ++s) {
        if (r.segments[s].starts_with('{')) {
          captured.push_back((*segments)[s]);
        } else {
          match = r.segments[s] == (*segments)[s];
        }
      }
      if (!match) continue;
      if (r.info.method != request.method) {
        allowed += allowed.empty() ? "" : ", ";
        allowed += r.info.method;
        continue;
      }
      found = &r;
      route_index = i;
      params = std::move(captured);
      break;
    }
    if (found == nullptr) {
      if (!allowed.empty()) {
        HttpResponse r = problem(405, "method_not_allowed", "method",
                                 "this resource answers " + allowed + ", not " + request.method);
        r.headers.emplace_back("Allow", allowed);
        return r;
      }
      return problem(404, "not_found", "path", "no such route");
    }
    if (found->id != RouteId::healthz && found->id != RouteId::metrics && !allow_client(request.client, now)) {
      ++rate_limited;
      HttpResponse r = problem(429, "rate_limited", "", "too many requests from this client; slow down");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    Worker* worker = nullptr;
    if (found->id != RouteId::healthz && found->id != RouteId::metrics && found->id != RouteId::openapi) {
      auto w = this->worker();
      if (!w) return problem(w.error());
      worker = *w;
    }
    static Worker no_worker;
    Call call{request, std::move(params), std::move(*query), worker ? *worker : no_worker, {}, now};
    if (found->info.authenticated) {
      auto principal = authenticate(request, *worker, now);
      if (!principal) return problem(principal.error());
      if (!*principal) {
        HttpResponse r = problem(401, "unauthenticated", "Authorization",
                                 "a valid session token is required (POST /v1/sessions)");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
      }
      call.principal = std::move(**principal);
    }
    // Idempotency keys on POST: the same key and body answer the stored response.
    const bool idempotent = request.method == "POST" && !request.idempotency_key.empty() && found->info.authenticated;
    std::string request_hash;
    if (idempotent) {
      if (request.idempotency_key.size() > 128) {
        return problem(Error{ErrorCode::invalid_input, "Idempotency-Key", "longer than 128 characters"});
      }
      request_hash = auth::sha256_hex(request.method + " " + request.target + "\n" + request.content_type + "\n" +
                                      request.body);
      auto stored = worker->store->find_idempotent(call.principal.user.user_id, request.idempotency_key);
      if (!stored) return problem(stored.error());
      if (*stored) {
        if ((*stored)->request_hash != request_hash) {
          return problem(Error{ErrorCode::conflict, "Idempotency-Key",
                               "this key was used with another request; use a new key"});
        }
        HttpResponse r;
        r.status = (*stored)->status;
        r.content_type = (*stored)->content_type;
        r.body = (*stored)->body;
        r.headers.emplace_back("Idempotency-Replayed", "true");
        return r;
      }
    }
    HttpResponse response = dispatch(found->id, call);
    if (idempotent && response.status < 500) {
      storage::IdempotentResponse record{request_hash, response.status, response.content_type, response.body};
      if (auto ok = worker->store->store_idempotent(call.principal.user.user_id, request.idempotency_key, record);
          !ok) {
        return problem(ok.error());
      }
    }
    return response;
  }
};

Api::Api(ApiOptions options) : impl_(std::make_unique<Impl>(std::move(options))) { impl_->api = this; }
Api::~Api() = default;

HttpResponse Api::handle(const HttpRequest& request) { return impl_->handle(request); }

Result<IndexBuild> Api::build_review_index() {
  auto worker = impl_->worker();
  if (!worker) return tl::unexpected(worker.error());
  return impl_->review.build_index(*(*worker)->store);
}

std::string Api::metrics_text() const {
  std::ostringstream out;
  out << "# HELP shebao_http_requests_total HTTP requests answered, by route and status.\n"
      << "# TYPE shebao_http_requests_total counter\n";
  const auto& table = route_table();
  for (std::size_t i = 0; i < table.size(); ++i) {
    for (std::size_t s = 0; s < kStatuses.size(); ++s) {
      const std::int64_t n = impl_->counts[i][s].load();
      if (n == 0) continue;
      out << "shebao_http_requests_total{method=\"" << table[i].info.method << "\",route=\"" << table[i].info.pattern
          << "\",status=\"" << (kStatuses[s] ? std::to_string(kStatuses[s]) : std::string("other")) << "\"} " << n
          << "\n";
    }
  }
  out << "shebao_http_requests_total{method=\"\",route=\"unmatched\",status=\"\"} " << impl_->unrouted.load() << "\n";
  out << "# HELP shebao_http_request_duration_seconds Time to answer a request (handler only).\n"
      << "# TYPE shebao_http_request_duration_seconds histogram\n";
  std::int64_t cumulative = 0;
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    cumulative += impl_->latency[b].load();
    out << "shebao_http_request_duration_seconds_bucket{le=\"" << kBuckets[b] << "\"} " << cumulative << "\n";
  }
  cumulative += impl_->latency[kBuckets.size()].load();
  out << "shebao_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n";
  out << "shebao_http_request_duration_seconds_sum " << impl_->latency_sum_us.load() / 1e6 << "\n";
  out << "shebao_http_request_duration_seconds_count " << cumulative << "\n";
  out << "# TYPE shebao_http_open_connections gauge\nshebao_http_open_connections " << open_connections.load() << "\n";
  out << "# TYPE shebao_rate_limited_total counter\nshebao_rate_limited_total " << impl_->rate_limited.load() << "\n";
  out << "# TYPE shebao_login_failures_total counter\nshebao_login_failures_total " << impl_->login_failures.load()
      << "\n";
  out << "# TYPE shebao_audit_entries_total counter\nshebao_audit_entries_total " << impl_->audit_appended.load()
      << "\n";
  return out.str();
}

}  // namespace shebao::server
