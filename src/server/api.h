// shebao server: the HTTP API as a function from request to response.
//
// Api::handle() routes a decoded request (server/http_types.h), authenticates
// the bearer token, asks the authorization policy (auth/policy.h) — the only
// place access is decided — calls storage and the rules, appends to the audit
// log every read or change of personal data, and answers JSON or RFC 9457
// problem details. It knows nothing of sockets: server/http_server.h feeds it.
//
// The coverage report (GET /v1/reports/coverage) is computed from the
// population extract given in ApiOptions::population and the registry's
// contribution facts, on first request per (month, window, region scope), and
// kept for kCoverageCacheSeconds. It is aggregate data: no audit entry.
//
// The person search (GET /v1/persons?q=) indexes the persons queued since
// (index_person_search, ICU through matching::name_search_keys), asks the store
// for the keys beginning with the query's key in the caller's region, then
// passes every person found through the policy (person_read) and audits each
// one answered. POST /v1/persons/{id}/flexible-enrolment is the person's own
// registration as a flexible worker (band from the rules).
//
// Also here: the route table (checked against api/openapi.json by a test),
// sessions (opaque tokens, server-side, expiring, revocable), login throttling,
// per-client rate limits, idempotency keys on POST, and the /metrics counters.
//
// Storage: each thread that calls handle() opens its own Database and ApiStore
// connection on first use. The clock is passed in (ApiOptions::now).
//
// Thread safety: handle() may be called from several threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analytics/coverage.h"
#include "audit/audit_log.h"
#include "core/calendar.h"
#include "rules/parameter_store.h"
#include "server/http_types.h"
#include "server/review.h"
#include "storage/api_store.h"

namespace shebao::server {

struct RouteInfo {
  std::string_view method;
  std::string_view pattern;  // OpenAPI style: /v1/persons/{resident_id}
  bool authenticated;
};
// Every route the API answers, in the router's order.
const std::vector<RouteInfo>& routes();

// The person search (GET /v1/persons): the longest query text, the most results.
inline constexpr std::size_t kMaxSearchText = 100;
inline constexpr std::int64_t kMaxSearchResults = 50;

// Computes the search keys of every person queued for the person search
// (storage/api_store.h, matching::name_search_keys); returns how many. The
// search does this before it reads; `shebao serve` at its start.
Result<std::size_t> index_person_search(storage::ApiStore& store);

// How long a computed coverage report is served before it is computed again.
inline constexpr std::int64_t kCoverageCacheSeconds = 10 * 60;

struct ApiOptions {
  std::string db_url;
  const rules::ParameterStore* rules = nullptr;
  audit::AuditLog* audit = nullptr;
  std::string openapi_document;  // served at /openapi.json
  // The population extract (`shebao serve --population FILE`); null: the
  // coverage report answers not_found.
  std::shared_ptr<const std::vector<analytics::PopulationRecord>> population;
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
  std::optional<Date> today;     // date of new transfers and imports; default: UTC date of now()
  std::int64_t session_seconds = 8 * 3600;
  double rate_per_second = 200;  // per client; 0 = no limit
  double rate_burst = 400;
  int login_failures_before_lock = 5;
  std::int64_t login_lock_seconds = 60;
};

class Api {
 public:
  explicit Api(ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  HttpResponse handle(const HttpRequest& request);
  // Builds the candidate index of the registration-time duplicate check from
  // the stored persons (server/review.h); otherwise built on first use.
  Result<IndexBuild> build_review_index();
  // Prometheus text of the counters (what /metrics answers).
  std::string metrics_text() const;
  // Connections currently open, kept by the network layer for /metrics.
  std::atomic<std::int64_t> open_connections{0};

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace shebao::server
