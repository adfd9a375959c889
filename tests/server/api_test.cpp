// The API without sockets: every endpoint × role × ownership, the audit chain
// under tampering, the OpenAPI document against the router, and the edges
// (malformed input, unknown routes, idempotency, rate and login limits).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "audit/audit_log.h"
#include "audit/chain.h"
#include "auth/credentials.h"
#include "ingest/rules_files.h"
#include "jobs/runs.h"
#include "server/api.h"
#include "statement/statement.h"
#include "storage/api_store.h"
#include "storage/database.h"

namespace shebao::server {
namespace {
namespace json = boost::json;

// The statement endpoint renders PDFs: the test process releases the font
// caches at its end so that LeakSanitizer sees only real leaks.
class ReleaseFontCaches : public ::testing::Environment {
 public:
  void TearDown() override { statement::release_font_caches(); }
};
const auto* const kReleaseFontCaches = ::testing::AddGlobalTestEnvironment(new ReleaseFontCaches);

// An 18-character resident ID with its check character.
std::string resident_id(const std::string& first17) {
  static const int weights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * weights[i];
  return first17 + "10X98765432"[sum % 11];
}

const std::string kPersonA = resident_id("35010219800101001");   // region 350100, works at employer A
const std::string kPersonB = resident_id("45010219850202002");   // region 450100, works at employer B
const std::string kPersonC = resident_id("35010319900303003");   // hukou 350100, works at employer B (450100)
const std::string kPersonMissing = resident_id("35010419700101001");
const std::string kEmployerA = "91350100605194055E";  // region 350100
const std::string kEmployerB = "913502007753384291";  // stored with region 450100
const std::string kEmployerMissing = "91350100MABG3LGM70";

struct World {
  std::filesystem::path dir;
  std::string url;
  rules::ParameterStore rules;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<Api> api;
  std::map<std::string, std::string> tokens;  // login → token
  std::int64_t transfer_a = 0, transfer_b = 0;
};

registry::Person person(const std::string& id, const std::string& hukou, registry::Sex sex) {
  registry::Person p;
  p.resident_id = id;
  p.name = "测试";
  p.name_pinyin = "Ce Shi";
  p.sex = sex;
  p.birth_date = *Date::parse(id.substr(6, 4) + "-" + id.substr(10, 2) + "-" + id.substr(12, 2));
  p.hukou_region = hukou;
  p.retirement_category = sex == registry::Sex::male ? "male" : "female_55";
  return p;
}

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(auth::init_crypto());
    world_ = new World;
    World& w = *world_;
    w.dir = std::filesystem::temp_directory_path() / ("shebao-api-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(w.dir);
    std::filesystem::create_directories(w.dir);
    w.url = "sqlite:" + (w.dir / "db.sqlite").string();
    auto rules = ingest::load_rules_directory(SHEBAO_RULES_DIR);
    ASSERT_TRUE(rules) << rules.error().to_string();
    w.rules = std::move(*rules);
    {
      auto db = storage::open_database(w.url);
      ASSERT_TRUE(db) << db.error().to_string();
      storage::Database& d = **db;
      ASSERT_TRUE(d.begin());
      registry::Employer ea{0, kEmployerA, "甲公司", "350100", registry::EmployerSize::small,
                            registry::UnitType::enterprise};
      registry::Employer eb{0, kEmployerB, "乙公司", "450100", registry::EmployerSize::small,
                            registry::UnitType::enterprise};
      const auto ida = *d.upsert_employer(ea);
      const auto idb = *d.upsert_employer(eb);
      const auto pa = *d.upsert_person(person(kPersonA, "350100", registry::Sex::male));
      const auto pb = *d.upsert_person(person(kPersonB, "450100", registry::Sex::female));
      const auto pc = *d.upsert_person(person(kPersonC, "350100", registry::Sex::male));
      ASSERT_TRUE(d.record_hire(pa, ida, *Date::parse("2020-01-01")));
      ASSERT_TRUE(d.record_hire(pb, idb, *Date::parse("2020-01-01")));
      ASSERT_TRUE(d.record_hire(pc, idb, *Date::parse("2021-01-01")));
      portability::Transfer t;
      t.person_id = pa;
      t.from_province = 35;
      t.to_province = 45;
      t.requested_on = *Date::parse("2026-11-01");
      w.transfer_a = *d.insert_transfer(t);
      t.person_id = pb;
      t.from_province = 45;
      t.to_province = 35;
      w.transfer_b = *d.insert_transfer(t);
      ASSERT_TRUE(d.commit());
    }
    auto store = storage::open_api_store(w.url);
    ASSERT_TRUE(store);
    const std::string hash = *auth::hash_password("password-1");
    const std::vector<storage::User> users = {
        {0, "person_a", "person", kPersonA, "", "", hash, false},
        {0, "agent_a", "employer_agent", "", kEmployerA, "", hash, false},
        {0, "officer_a", "officer", "", "", "350100", hash, false},
        {0, "auditor", "auditor", "", "", "", hash, false},
        {0, "admin", "admin", "", "", "", hash, false},
    };
    for (const auto& u : users) {
      auto id = (*store)->insert_user(u);
      ASSERT_TRUE(id);
      const std::string token = auth::new_token();
      ASSERT_TRUE((*store)->insert_session(storage::Session{auth::sha256_hex(token), *id, 0, 4102444800, false}));
      w.tokens[u.login] = token;
    }
    auto log_store = storage::open_api_store(w.url);
    ASSERT_TRUE(log_store);
    auto log = audit::AuditLog::open(std::move(*log_store));
    ASSERT_TRUE(log);
    w.audit = std::move(*log);
    w.api = make_api(w, 0);
  }

  static std::unique_ptr<Api> make_api(World& w, double rate) {
    ApiOptions o;
    o.db_url = w.url;
    o.rules = &w.rules;
    o.audit = w.audit.get();
    o.openapi_document = "{}";
    o.today = *Date::parse("2026-11-29");
    o.rate_per_second = rate;
    o.rate_burst = rate;
    return std::make_unique<Api>(std::move(o));
  }

  static void TearDownTestSuite() {
    if (world_) {
      world_->api.reset();
      world_->audit.reset();
      std::filesystem::remove_all(world_->dir);
      delete world_;
      world_ = nullptr;
    }
  }

  static HttpResponse call(const std::string& login, const std::string& method, const std::string& target,
                           const std::string& body = "", const std::string& type = "application/json",
                           const std::string& key = "", Api* api = nullptr) {
    HttpRequest r;
    r.method = method;
    r.target = target;
    if (!login.empty()) r.authorization = "Bearer " + world_->tokens.at(login);
    r.content_type = body.empty() ? "" : type;
    r.body = body;
    r.idempotency_key = key;
    r.client = "127.0.0.1";
    return (api ? *api : *world_->api).handle(r);
  }

  static World* world_;
};
World* ApiTest::world_ = nullptr;

// --- the authorization matrix ---------------------------------------------

enum class Target { a, b, c, missing };
enum class Kind { person_read, employment, person_write, employer_read, employer_write };

struct Endpoint {
  std::string name;
  std::string method;
  std::string path;  // {P} person, {E} employer, {T} transfer, {U} upload
  Kind kind;
  bool on_employer;  // targets are employers A, B (C is not used)
  std::string body;
  std::string type = "application/json";
};

// Independent statement of the rules of docs/api.md (not a call of decide()).
bool expected_allow(const std::string& role, Kind kind, Target t) {
  if (t == Target::missing) return false;
  if (role == "admin") return true;
  const bool write = kind == Kind::person_write || kind == Kind::employer_write;
  if (role == "auditor") return !write;
  if (role == "person_a") {
    return (kind == Kind::person_read || kind == Kind::employment || kind == Kind::person_write) && t == Target::a;
  }
  if (role == "agent_a") {
    if (kind == Kind::employment) return t == Target::a;  // person A is employed by employer A
    return (kind == Kind::employer_read || kind == Kind::employer_write) && t == Target::a;
  }
  if (role == "officer_a") {
    if (kind == Kind::employer_read || kind == Kind::employer_write) return t == Target::a;
    return t == Target::a || t == Target::c;  // C's hukou is in 350100
  }
  return false;
}

std::string csv_for(const std::string& employer, const std::string& person) {
  return "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + employer + ",2026-10," + person +
         ",8000.00,31,,\n";
}

TEST_F(ApiTest, AuthorizationMatrixEveryEndpointRoleAndOwnership) {
  const std::vector<Endpoint> endpoints = {
      {"person read", "GET", "/v1/persons/{P}", Kind::person_read, false, ""},
      {"contributions", "GET", "/v1/persons/{P}/contributions", Kind::person_read, false, ""},
      {"account", "GET", "/v1/persons/{P}/account", Kind::person_read, false, ""},
      {"access log", "GET", "/v1/persons/{P}/access-log", Kind::person_read, false, ""},
      {"retirement", "GET", "/v1/persons/{P}/retirement", Kind::person_read, false, ""},
      {"statement", "GET", "/v1/persons/{P}/statement?lang=en", Kind::person_read, false, ""},
      {"transfers", "GET", "/v1/persons/{P}/transfers", Kind::person_read, false, ""},
      {"transfer", "GET", "/v1/transfers/{T}", Kind::person_read, false, ""},
      {"employment", "GET", "/v1/persons/{P}/employment", Kind::employment, false, ""},
      {"contact", "PATCH", "/v1/persons/{P}/contact", Kind::person_write, false, R"({"phone":"13800000000"})"},
      {"transfer request", "POST", "/v1/persons/{P}/transfers", Kind::person_write, false,
       R"({"from":"CN-35","to":"CN-44"})"},
      // Every person of the world is employed: an allowed enrolment is a conflict (409), never a change.
      {"flexible enrolment", "POST", "/v1/persons/{P}/flexible-enrolment", Kind::person_write, false,
       R"({"scheme_region":"350100","flexible_base_ratio":"0.80"})"},
      {"employer", "GET", "/v1/employers/{E}", Kind::employer_read, true, ""},
      {"upload feedback", "GET", "/v1/employers/{E}/uploads/{U}", Kind::employer_read, true, ""},
      {"arrears", "GET", "/v1/employers/{E}/arrears", Kind::employer_read, true, ""},
      {"declaration upload", "POST", "/v1/employers/{E}/declarations", Kind::employer_write, true, "{CSV}",
       "text/csv"},
  };
  // Uploads of employers A and B, by the administrator.
  std::map<Target, std::string> uploads;
  for (auto [t, e, p] : {std::tuple{Target::a, kEmployerA, kPersonA}, std::tuple{Target::b, kEmployerB, kPersonB}}) {
    HttpResponse r = call("admin", "POST", "/v1/employers/" + e + "/declarations", csv_for(e, p), "text/csv");
    ASSERT_EQ(r.status, 201) << r.body;
    uploads[t] = std::to_string(json::parse(r.body).at("upload_id").as_int64());
  }
  uploads[Target::missing] = "999999";
  const std::map<Target, std::string> persons = {
      {Target::a, kPersonA}, {Target::b, kPersonB}, {Target::c, kPersonC}, {Target::missing, kPersonMissing}};
  const std::map<Target, std::string> employers = {
      {Target::a, kEmployerA}, {Target::b, kEmployerB}, {Target::missing, kEmployerMissing}};
  const std::map<Target, std::string> transfers = {{Target::a, std::to_string(world_->transfer_a)},
                                                   {Target::b, std::to_string(world_->transfer_b)},
                                                   {Target::missing, "999999"}};
  const auto fill = [&](const Endpoint& e, Target t) {
    std::string path = e.path;
    const auto put = [&](const std::string& key, const std::string& value) {
      const auto at = path.find(key);
      if (at != std::string::npos) path.replace(at, key.size(), value);
    };
    if (e.on_employer) {
      put("{E}", employers.at(t));
      put("{U}", uploads.at(t == Target::missing ? Target::missing : t));
    } else {
      put("{P}", persons.at(t));
      put("{T}", transfers.count(t) ? transfers.at(t) : "999998");
    }
    return path;
  };
  int cells = 0, refused = 0;
  for (const std::string role : {"person_a", "agent_a", "officer_a", "auditor", "admin"}) {
    for (const Endpoint& e : endpoints) {
      std::vector<Target> targets = e.on_employer ? std::vector<Target>{Target::a, Target::b, Target::missing}
                                                  : std::vector<Target>{Target::a, Target::b, Target::c, Target::missing};
      if (e.path.find("{T}") != std::string::npos) targets = {Target::a, Target::b, Target::missing};
      const auto body_for = [&](Target t) {
        if (e.body != "{CSV}") return e.body;
        return csv_for(t == Target::missing ? kEmployerMissing : employers.at(t), kPersonA);
      };
      const HttpResponse missing = call(role, e.method, fill(e, Target::missing), body_for(Target::missing), e.type);
      ASSERT_EQ(missing.status, 404) << role << " " << e.name << " missing: " << missing.body;
      for (Target t : targets) {
        ++cells;
        const HttpResponse r = call(role, e.method, fill(e, t), body_for(t), e.type);
        const bool allow = expected_allow(role, e.kind, t);
        SCOPED_TRACE(role + " " + e.name + " target " + std::to_string(static_cast<int>(t)) + ": " +
                     std::to_string(r.status) + " " + r.body);
        if (allow) {
#ifdef SHEBAO_HAVE_STATEMENT
          EXPECT_TRUE(r.status < 300 || r.status == 409) << "allowed cell refused";
#else
          EXPECT_TRUE(r.status < 300 || r.status == 409 || (r.status == 503 && e.name == "statement"))
              << "allowed cell refused";
#endif
        } else {
          ++refused;
          EXPECT_EQ(r.status, missing.status) << "forbidden cell differs from a missing record";
          EXPECT_EQ(r.body, missing.body) << "forbidden cell differs from a missing record";
          EXPECT_EQ(r.content_type, missing.content_type);
        }
      }
    }
  }
  EXPECT_GT(cells, 180);
  EXPECT_GT(refused, 80);
}

// --- the review queue (server/review.h) --------------------------------------

const std::string kPersonD = resident_id("45010219860404004");  // hukou 450100, like B
const std::string kPersonE = resident_id("35010219800101011");  // hukou 350100, like A and C

// Queues a pair of two persons (stored first when missing); returns its id.
std::int64_t queue_pair(World& w, const std::string& x, const std::string& y) {
  auto db = storage::open_database(w.url);
  EXPECT_TRUE(db);
  for (const auto& [id, hukou] : {std::pair{kPersonD, "450100"}, std::pair{kPersonE, "350100"}}) {
    if (x != id && y != id) continue;
    auto found = (*db)->find_person(id);
    if (found && !*found) {
      EXPECT_TRUE((*db)->upsert_person(person(id, hukou, registry::Sex::male)));
    }
  }
  auto store = storage::open_api_store(w.url);
  EXPECT_TRUE(store);
  storage::ReviewPair pair;
  pair.person_a = std::min(x, y);
  pair.person_b = std::max(x, y);
  pair.probability = 0.8;
  pair.weight = 4;
  pair.evidence = R"({"name":"exact","birth_date":"different"})";
  pair.source = "batch";
  pair.found_at = "2026-11-29T06:00:00.000Z";
  auto queued = (*store)->queue_review_pair(pair);
  EXPECT_TRUE(queued);
  return queued ? queued->first : 0;
}

// Independent statement of docs/api.md for the review endpoints: a pair is
// owned by the regions of both persons.
bool review_allowed(const std::string& role, bool write, bool inside) {
  if (role == "admin") return true;
  if (role == "auditor") return !write;
  if (role == "officer_a") return inside;
  return false;
}

TEST_F(ApiTest, ReviewQueueMatrixEveryEndpointRoleAndRegion) {
  const std::int64_t inside = queue_pair(*world_, kPersonA, kPersonC);   // both in 350100
  const std::int64_t outside = queue_pair(*world_, kPersonB, kPersonD);  // both in 450100
  struct ReviewEndpoint {
    std::string name, method, suffix;
    bool write;
  };
  const std::vector<ReviewEndpoint> endpoints = {
      {"show", "GET", "", false},
      {"merge", "POST", "/merge", true},
      {"dismiss", "POST", "/dismiss", true},
      {"undo", "POST", "/undo", true},
  };
  const auto body_for = [](const ReviewEndpoint& e, const std::string& survivor) -> std::string {
    if (e.name == "show") return "";
    if (e.name == "merge") return R"({"survivor":")" + survivor + R"(","reason":"same person"})";
    return R"({"reason":"checked"})";
  };
  int cells = 0;
  for (const std::string role : {"person_a", "agent_a", "officer_a", "auditor", "admin"}) {
    for (const auto& e : endpoints) {
      const HttpResponse missing =
          call(role, e.method, "/v1/review/pairs/999999" + e.suffix, body_for(e, kPersonA));
      ASSERT_EQ(missing.status, 404) << role << " " << e.name << ": " << missing.body;
      for (const auto& [id, in] : {std::pair{inside, true}, std::pair{outside, false}}) {
        ++cells;
        const std::string path = "/v1/review/pairs/" + std::to_string(id);
        const std::string survivor = in ? std::min(kPersonA, kPersonC) : std::min(kPersonB, kPersonD);
        const HttpResponse r = call(role, e.method, path + e.suffix, body_for(e, survivor));
        SCOPED_TRACE(role + " " + e.name + (in ? " inside: " : " outside: ") + std::to_string(r.status) + " " + r.body);
        if (review_allowed(role, e.write, in)) {
          // Undo of an open pair: allowed, and a conflict (nothing to undo).
          EXPECT_EQ(r.status, e.name == "undo" ? 409 : 200);
          if (r.status == 200 && e.write) {
            const HttpResponse back = call("admin", "POST", path + "/undo", R"({"reason":"matrix"})");
            EXPECT_EQ(back.status, 200) << back.body;
          }
        } else {
          EXPECT_EQ(r.status, missing.status) << "forbidden cell differs from a missing pair";
          EXPECT_EQ(r.body, missing.body) << "forbidden cell differs from a missing pair";
        }
      }
    }
    // The list: refused by role, or filtered by region.
    const HttpResponse list = call(role, "GET", "/v1/review/pairs?status=all");
    if (role == "person_a" || role == "agent_a") {
      EXPECT_EQ(list.status, 403) << role;
      continue;
    }
    ASSERT_EQ(list.status, 200) << role << list.body;
    std::set<std::int64_t> ids;
    const json::value listed = json::parse(list.body);
    for (const auto& p : listed.at("pairs").as_array()) ids.insert(p.at("pair_id").as_int64());
    EXPECT_TRUE(ids.count(inside)) << role;
    EXPECT_EQ(ids.count(outside) == 1, role != "officer_a") << role;
  }
  EXPECT_EQ(cells, 40);
}

// A merged survivor's transfers include those of the record merged into it,
// each under its own record's resident ID; after the undo, its own again.
TEST_F(ApiTest, MergedSurvivorListsTheAbsorbedRecordsTransfers) {
  // Two records of their own (the suite's persons stay as other tests expect them).
  const std::string kept_id = resident_id("45010219750505015"), absorbed_id = resident_id("35010219750505017");
  std::int64_t of_kept = 0, of_absorbed = 0;
  {
    auto db = storage::open_database(world_->url);
    ASSERT_TRUE(db) << db.error().to_string();
    ASSERT_TRUE((*db)->begin());
    const auto kept = (*db)->upsert_person(person(kept_id, "450100", registry::Sex::male));
    const auto absorbed = (*db)->upsert_person(person(absorbed_id, "350100", registry::Sex::male));
    ASSERT_TRUE(kept && absorbed);
    portability::Transfer t;
    t.from_province = 45;
    t.to_province = 35;
    t.requested_on = *Date::parse("2026-11-02");
    t.person_id = *kept;
    of_kept = *(*db)->insert_transfer(t);
    t.person_id = *absorbed;
    t.from_province = 35;
    t.to_province = 44;
    of_absorbed = *(*db)->insert_transfer(t);
    ASSERT_TRUE((*db)->commit());
  }
  const std::int64_t pair = queue_pair(*world_, kept_id, absorbed_id);
  auto transfers_of = [&](const std::string& resident) {
    std::set<std::pair<std::int64_t, std::string>> out;
    const HttpResponse r = call("admin", "GET", "/v1/persons/" + resident + "/transfers");
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return out;
    const json::value doc = json::parse(r.body);
    for (const auto& t : doc.at("transfers").as_array())
      out.emplace(t.at("transfer_id").as_int64(), std::string(t.at("resident_id").as_string()));
    return out;
  };
  using Listed = std::set<std::pair<std::int64_t, std::string>>;
  EXPECT_EQ(transfers_of(kept_id), (Listed{{of_kept, kept_id}}));
  const std::string path = "/v1/review/pairs/" + std::to_string(pair);
  const HttpResponse merged =
      call("admin", "POST", path + "/merge", R"({"survivor":")" + kept_id + R"(","reason":"same person"})");
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(transfers_of(kept_id), (Listed{{of_kept, kept_id}, {of_absorbed, absorbed_id}}));
  ASSERT_EQ(call("admin", "POST", path + "/undo", R"({"reason":"two persons"})").status, 200);
  EXPECT_EQ(transfers_of(kept_id), (Listed{{of_kept, kept_id}}));
  EXPECT_EQ(transfers_of(absorbed_id), (Listed{{of_absorbed, absorbed_id}}));
}

// A merged survivor's transfer request moves the record merged into it too:
// one transfer per record, all or none (an open transfer of either record
// refuses the request and requests nothing).
TEST_F(ApiTest, MergedSurvivorsTransferRequestMovesEveryRecord) {
  const std::string kept_id = resident_id("45010219760606013"), absorbed_id = resident_id("35010219760606019");
  portability::Transfer open_one;
  {
    auto db = storage::open_database(world_->url);
    ASSERT_TRUE(db) << db.error().to_string();
    ASSERT_TRUE((*db)->begin());
    const auto kept = (*db)->upsert_person(person(kept_id, "450100", registry::Sex::female));
    const auto absorbed = (*db)->upsert_person(person(absorbed_id, "350100", registry::Sex::female));
    ASSERT_TRUE(kept && absorbed);
    open_one.person_id = *absorbed;
    open_one.from_province = 35;
    open_one.to_province = 44;
    open_one.requested_on = *Date::parse("2026-11-02");
    open_one.transfer_id = *(*db)->insert_transfer(open_one);
    ASSERT_TRUE((*db)->commit());
  }
  const std::int64_t pair = queue_pair(*world_, kept_id, absorbed_id);
  const std::string path = "/v1/review/pairs/" + std::to_string(pair);
  ASSERT_EQ(call("admin", "POST", path + "/merge", R"({"survivor":")" + kept_id + R"(","reason":"same person"})").status,
            200);
  auto listed = [&] {
    std::multiset<std::string> out;  // "resident status"
    const HttpResponse r = call("admin", "GET", "/v1/persons/" + kept_id + "/transfers");
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return out;
    const json::value doc = json::parse(r.body);
    for (const auto& t : doc.at("transfers").as_array())
      out.insert(std::string(t.at("resident_id").as_string()) + " " + std::string(t.at("status").as_string()));
    return out;
  };
  const std::string request = R"({"from":"CN-45","to":"CN-35"})";
  // The absorbed record's transfer is still open: refused, nothing requested.
  const HttpResponse refused = call("admin", "POST", "/v1/persons/" + kept_id + "/transfers", request);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("of the record " + absorbed_id + " merged into this person is still requested"),
            std::string::npos)
      << refused.body;
  EXPECT_EQ(listed(), (std::multiset<std::string>{absorbed_id + " requested"}));
  {
    auto db = storage::open_database(world_->url);
    ASSERT_TRUE(db) << db.error().to_string();
    open_one.status = portability::TransferStatus::refused;
    open_one.reason = "closed for the test";
    ASSERT_TRUE((*db)->update_transfer(open_one));
  }
  // Now one transfer per record, the survivor's first.
  const HttpResponse made = call("admin", "POST", "/v1/persons/" + kept_id + "/transfers", request);
  ASSERT_EQ(made.status, 201) << made.body;
  const json::value doc = json::parse(made.body);
  EXPECT_EQ(doc.at("resident_id").as_string(), kept_id);
  EXPECT_EQ(doc.at("status").as_string(), "requested");
  ASSERT_EQ(doc.at("merged_records").as_array().size(), 1u) << made.body;
  const json::value& other = doc.at("merged_records").as_array()[0];
  EXPECT_EQ(other.at("resident_id").as_string(), absorbed_id);
  EXPECT_EQ(other.at("from").as_string(), "CN-45");
  EXPECT_EQ(other.at("to").as_string(), "CN-35");
  EXPECT_NE(other.at("transfer_id").as_int64(), doc.at("transfer_id").as_int64());
  EXPECT_EQ(listed(), (std::multiset<std::string>{kept_id + " requested", absorbed_id + " requested",
                                                   absorbed_id + " refused"}));
  // Both open now: a second request is refused on the survivor's own.
  const HttpResponse again = call("admin", "POST", "/v1/persons/" + kept_id + "/transfers", request);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("of this person is still requested"), std::string::npos) << again.body;
  // A person without merged records gets one transfer and no merged_records.
  ASSERT_EQ(call("admin", "POST", path + "/undo", R"({"reason":"two persons"})").status, 200);
  const HttpResponse alone = call("admin", "GET", "/v1/persons/" + absorbed_id + "/transfers");
  ASSERT_EQ(alone.status, 200) << alone.body;
  EXPECT_EQ(json::parse(alone.body).at("transfers").as_array().size(), 2u) << alone.body;
}

TEST_F(ApiTest, ReviewDecisionsAndEveryErrorPath) {
  const std::int64_t pair = queue_pair(*world_, kPersonA, kPersonE);
  const std::string path = "/v1/review/pairs/" + std::to_string(pair);
  const std::string survivor = kPersonA, merged = kPersonE;
  const std::string merge_body = R"({"survivor":")" + survivor + R"(","reason":"same person"})";
  EXPECT_EQ(call("officer_a", "GET", "/v1/review/pairs/abc").status, 400);
  EXPECT_EQ(call("officer_a", "GET", "/v1/review/pairs/0").status, 400);
  EXPECT_EQ(call("officer_a", "GET", "/v1/review/pairs?status=maybe").status, 400);
  EXPECT_EQ(call("officer_a", "GET", "/v1/review/pairs?limit=0").status, 400);
  EXPECT_EQ(call("officer_a", "POST", path + "/merge", R"({"survivor":")" + kPersonB + R"(","reason":"x"})").status,
            400);
  EXPECT_EQ(call("officer_a", "POST", path + "/merge", R"({"survivor":")" + survivor + R"("})").status, 400);
  EXPECT_EQ(call("officer_a", "POST", path + "/merge", R"({"survivor":")" + survivor + R"(","reason":""})").status,
            400);
  EXPECT_EQ(call("officer_a", "POST", path + "/dismiss", R"({"reason":"x","extra":1})").status, 400);
  HttpResponse nothing = call("officer_a", "POST", path + "/undo", R"({"reason":"x"})");
  EXPECT_EQ(nothing.status, 409);
  EXPECT_NE(nothing.body.find("nothing to undo"), std::string::npos) << nothing.body;

  // Merge, with an idempotency key: the replay answers the same, once.
  HttpResponse first = call("officer_a", "POST", path + "/merge", merge_body, "application/json", "merge-1");
  ASSERT_EQ(first.status, 200) << first.body;
  const json::value done = json::parse(first.body);
  EXPECT_EQ(done.at("status").as_string(), "merged");
  EXPECT_EQ(done.at("decided_by").as_string(), "officer_a");
  EXPECT_EQ(done.at("b").at("merged_into").as_string() == survivor ||
                done.at("a").at("merged_into").as_string() == survivor,
            true);
  HttpResponse replay = call("officer_a", "POST", path + "/merge", merge_body, "application/json", "merge-1");
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.body, first.body);
  EXPECT_EQ(call("officer_a", "POST", path + "/merge", merge_body).status, 409);  // already decided
  EXPECT_EQ(call("officer_a", "POST", path + "/dismiss", R"({"reason":"x"})").status, 409);
  // Reads: the absorbed record points to the survivor, the survivor lists it.
  const json::value absorbed = json::parse(call("officer_a", "GET", "/v1/persons/" + merged).body);
  EXPECT_EQ(absorbed.at("merged_into").as_string(), survivor);
  const json::value kept = json::parse(call("officer_a", "GET", "/v1/persons/" + survivor).body);
  ASSERT_EQ(kept.at("absorbed").as_array().size(), 1u);
  EXPECT_EQ(kept.at("absorbed").as_array()[0].as_string(), merged);
  // The merge log's rules: a record merged away cannot be a survivor.
  const std::int64_t chained = queue_pair(*world_, kPersonC, kPersonE);
  HttpResponse refused = call("officer_a", "POST", "/v1/review/pairs/" + std::to_string(chained) + "/merge",
                              R"({"survivor":")" + kPersonE + R"(","reason":"same"})");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("merged into"), std::string::npos) << refused.body;

  // Undo: open again, the records stand apart; a second undo has nothing to undo.
  HttpResponse undone = call("officer_a", "POST", path + "/undo", R"({"reason":"wrong person"})");
  ASSERT_EQ(undone.status, 200) << undone.body;
  EXPECT_EQ(json::parse(undone.body).at("status").as_string(), "open");
  EXPECT_TRUE(json::parse(call("officer_a", "GET", "/v1/persons/" + merged).body).at("merged_into").is_null());
  EXPECT_EQ(call("officer_a", "POST", path + "/undo", R"({"reason":"x"})").status, 409);
  // Dismiss and undo the dismissal.
  EXPECT_EQ(call("officer_a", "POST", path + "/dismiss", R"({"reason":"twins"})").status, 200);
  EXPECT_EQ(call("officer_a", "POST", path + "/merge", merge_body).status, 409);
  EXPECT_EQ(call("officer_a", "POST", path + "/undo", R"({"reason":"look again"})").status, 200);
  // Every decision is in the audit log of both persons.
  world_->audit->flush();
  auto store = storage::open_api_store(world_->url);
  ASSERT_TRUE(store);
  auto entries = (*store)->audit_of_person(merged, 100);
  ASSERT_TRUE(entries);
  std::multiset<std::string> actions;
  for (const auto& e : *entries) actions.insert(e.action);
  EXPECT_EQ(actions.count("review.merge"), 1u);
  EXPECT_EQ(actions.count("review.dismiss"), 1u);
  EXPECT_EQ(actions.count("review.undo"), 2u);
  // The merge log holds the merge and its undo, with who and why.
  auto log = (*store)->merge_log();
  ASSERT_TRUE(log);
  ASSERT_GE(log->size(), 2u);
  EXPECT_EQ(log->back().kind, "undo");
  EXPECT_EQ(log->back().actor, "officer_a");
  EXPECT_EQ(log->back().reason, "wrong person");
}

TEST_F(ApiTest, RegistrationAnswersAndQueuesLikelyDuplicates) {
  // The same name and birth date as person A, another sequence number: a typo in the ID.
  const std::string near = resident_id("35010219800101021");
  const std::string body = R"({"resident_id":")" + near +
                           R"(","name":"测试","hukou_region":"350100","retirement_category":"male","scheme":"employee"})";
  HttpResponse r = call("officer_a", "POST", "/v1/persons", body);
  ASSERT_EQ(r.status, 201) << r.body;
  const json::value doc = json::parse(r.body);
  bool found = false;
  for (const auto& d : doc.at("possible_duplicates").as_array()) {
    if (d.at("resident_id").as_string() != kPersonA) continue;
    found = true;
    EXPECT_GE(d.at("probability").as_double(), kRegistrationMinProbability);
    EXPECT_EQ(d.at("evidence").at("birth_date").as_string(), "exact");
    EXPECT_EQ(d.at("evidence").at("resident_id").as_string(), "similar");
    const HttpResponse pair = call("officer_a", "GET", "/v1/review/pairs/" + std::to_string(d.at("pair_id").as_int64()));
    ASSERT_EQ(pair.status, 200) << pair.body;
    EXPECT_EQ(json::parse(pair.body).at("source").as_string(), "registration");
  }
  EXPECT_TRUE(found) << r.body;
  // A person unlike any other has none.
  const std::string other = R"({"resident_id":")" + resident_id("35010219990909091") +
                            R"(","name":"欧阳震华","hukou_region":"350100","retirement_category":"male","scheme":"employee"})";
  HttpResponse alone = call("officer_a", "POST", "/v1/persons", other);
  ASSERT_EQ(alone.status, 201) << alone.body;
  EXPECT_TRUE(json::parse(alone.body).at("possible_duplicates").as_array().empty()) << alone.body;
}

// The persons of the database, counted by storage.
std::size_t stored_persons(const std::string& url) {
  auto store = storage::open_api_store(url);
  if (!store) return 0;
  auto persons = (*store)->persons_for_matching();
  return persons ? persons->size() : 0;
}

// The candidates answered for a registration, by resident ID (a count of each).
std::map<std::string, int> duplicates_of(const HttpResponse& r) {
  std::map<std::string, int> out;
  const json::value doc = json::parse(r.body);
  for (const auto& d : doc.at("possible_duplicates").as_array()) {
    ++out[std::string(d.at("resident_id").as_string())];
  }
  return out;
}

TEST_F(ApiTest, RegistrationFindsPersonsStoredByOthersAfterTheIndexWasBuilt) {
  // A server of its own whose index is built now, before the import below.
  const std::unique_ptr<Api> api = make_api(*world_, 0);
  auto built = api->build_review_index();
  ASSERT_TRUE(built) << built.error().to_string();
  ASSERT_EQ(built->persons, stored_persons(world_->url));
  // Another process stores a person, as `shebao import registry` does.
  const std::string imported = resident_id("35010219770707051");
  {
    auto db = storage::open_database(world_->url);
    ASSERT_TRUE(db) << db.error().to_string();
    registry::Person p = person(imported, "350100", registry::Sex::male);
    p.name = "司马相如";
    p.name_pinyin = "Sima Xiangru";
    ASSERT_TRUE((*db)->upsert_person(p));
  }
  // The same person registered again: another spelling of the name, a typo in the ID.
  const auto registration = [&](const std::string& id, const std::string& name) {
    return call("officer_a", "POST", "/v1/persons",
                R"({"resident_id":")" + id + R"(","name":")" + name +
                    R"(","hukou_region":"350100","retirement_category":"male","scheme":"employee"})",
                "application/json", "", api.get());
  };
  const std::string again = resident_id("35010219770707071");
  const HttpResponse r = registration(again, "司马湘如");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(json::parse(r.body).as_object().contains("duplicate_check")) << r.body;
  const auto found = duplicates_of(r);
  EXPECT_EQ(found.count(imported) ? found.at(imported) : 0, 1) << r.body;
  EXPECT_EQ(found.count(again), 0u) << "a person is not its own duplicate: " << r.body;
  // The registered person, read back from storage, is held once: the index
  // holds each stored person once.
  auto current = api->build_review_index();
  ASSERT_TRUE(current) << current.error().to_string();
  EXPECT_EQ(current->persons, stored_persons(world_->url));
  // A third registration finds both earlier records, each once.
  const std::string third = resident_id("35010219770707091");
  const HttpResponse r3 = registration(third, "司马相如");
  ASSERT_EQ(r3.status, 201) << r3.body;
  const auto found3 = duplicates_of(r3);
  EXPECT_EQ(found3.count(imported) ? found3.at(imported) : 0, 1) << r3.body;
  EXPECT_EQ(found3.count(again) ? found3.at(again) : 0, 1) << r3.body;
  EXPECT_EQ(found3.count(third), 0u) << r3.body;
  auto last = api->build_review_index();
  ASSERT_TRUE(last) << last.error().to_string();
  EXPECT_EQ(last->persons, stored_persons(world_->url));
}

// After a person's phone changes (PATCH of the contact on this server, or an
// update by another process on the same database), a registration that shares
// the new phone and weaker evidence (the name and sex, a birth date a day
// later, the ID of another region) finds the person; one with the old phone and
// the same evidence no longer does.
TEST_F(ApiTest, RegistrationReadsAPhoneChangedSinceTheIndexWasBuilt) {
  const std::string moved = resident_id("35010219660606031");
  {
    auto db = storage::open_database(world_->url);
    ASSERT_TRUE(db) << db.error().to_string();
    registry::Person p = person(moved, "350100", registry::Sex::male);
    p.name = "诸葛孔明";
    p.name_pinyin = "Zhuge Kongming";
    p.phone = "13800000066";
    ASSERT_TRUE((*db)->upsert_person(p));
  }
  // A server of its own whose index holds the person with the old phone.
  const std::unique_ptr<Api> api = make_api(*world_, 0);
  auto built = api->build_review_index();
  ASSERT_TRUE(built) << built.error().to_string();
  const auto registration = [&](const std::string& id, const std::string& phone) {
    return call("officer_a", "POST", "/v1/persons",
                R"({"resident_id":")" + id + R"(","name":"诸葛孔明","phone":")" + phone +
                    R"(","hukou_region":"350100","retirement_category":"male","scheme":"employee"})",
                "application/json", "", api.get());
  };
  const auto finds_moved = [&](const HttpResponse& r) {
    EXPECT_EQ(r.status, 201) << r.body;
    return duplicates_of(r).count(moved) == 1;
  };

  const HttpResponse patched = call("officer_a", "PATCH", "/v1/persons/" + moved + "/contact",
                                    R"({"phone":"13955556666"})", "application/json", "", api.get());
  ASSERT_EQ(patched.status, 200) << patched.body;
  const HttpResponse with_new = registration(resident_id("35020319660607011"), "13955556666");
  EXPECT_TRUE(finds_moved(with_new)) << "the new phone: " << with_new.body;
  const json::value with_new_doc = json::parse(with_new.body);
  for (const auto& d : with_new_doc.at("possible_duplicates").as_array()) {
    if (d.at("resident_id").as_string() != moved) continue;
    EXPECT_EQ(d.at("evidence").at("phone").as_string(), "exact");
    EXPECT_EQ(d.at("evidence").at("resident_id").as_string(), "different");
  }
  const HttpResponse with_old = registration(resident_id("35020319660607031"), "13800000066");
  EXPECT_FALSE(finds_moved(with_old)) << "the old phone: " << with_old.body;

  // Another process changes the phone again.
  {
    auto store = storage::open_api_store(world_->url);
    ASSERT_TRUE(store) << store.error().to_string();
    auto db = storage::open_database(world_->url);
    ASSERT_TRUE(db) << db.error().to_string();
    auto stored = (*db)->find_person(moved);
    ASSERT_TRUE(stored && *stored);
    ASSERT_TRUE((*store)->update_phone((**stored).person_id, "13711112222"));
  }
  const HttpResponse with_third = registration(resident_id("35020319660607051"), "13711112222");
  EXPECT_TRUE(finds_moved(with_third)) << "the phone another process set: " << with_third.body;
  const HttpResponse with_second = registration(resident_id("35020319660607071"), "13955556666");
  EXPECT_FALSE(finds_moved(with_second)) << "the phone before it: " << with_second.body;
  // The index holds each stored person once.
  auto current = api->build_review_index();
  ASSERT_TRUE(current) << current.error().to_string();
  EXPECT_EQ(current->persons, stored_persons(world_->url));
}

TEST_F(ApiTest, RoleLevelRefusals) {
  const std::string body = R"({"resident_id":")" + resident_id("35010519900101001") +
                           R"(","name":"新人","hukou_region":"350100","retirement_category":"male","scheme":"employee"})";
  EXPECT_EQ(call("person_a", "POST", "/v1/persons", body).status, 403);
  EXPECT_EQ(call("agent_a", "POST", "/v1/persons", body).status, 403);
  EXPECT_EQ(call("auditor", "POST", "/v1/persons", body).status, 403);
  const std::string other_region = R"({"resident_id":")" + resident_id("45010519900101001") +
                                   R"(","name":"新人","hukou_region":"450100","retirement_category":"male","scheme":"employee"})";
  EXPECT_EQ(call("officer_a", "POST", "/v1/persons", other_region).status, 403);
  EXPECT_EQ(call("officer_a", "POST", "/v1/persons", body).status, 201);
  EXPECT_EQ(call("admin", "POST", "/v1/persons", body).status, 409);  // registered already
  for (const std::string role : {"person_a", "agent_a", "officer_a"}) {
    EXPECT_EQ(call(role, "GET", "/v1/audit").status, 403) << role;
  }
  EXPECT_EQ(call("auditor", "GET", "/v1/audit").status, 200);
  EXPECT_EQ(call("admin", "GET", "/v1/audit?limit=5").status, 200);
  EXPECT_EQ(call("", "GET", "/v1/persons/" + kPersonA).status, 401);
  EXPECT_EQ(call("", "GET", "/v1/audit").status, 401);
  // The coverage report: persons and employer agents are refused by role; the
  // others learn that this server has no population extract.
  for (const std::string role : {"person_a", "agent_a"}) {
    const HttpResponse r = call(role, "GET", "/v1/reports/coverage");
    EXPECT_EQ(r.status, 403) << role;
    EXPECT_NE(r.body.find("\"code\":\"forbidden\""), std::string::npos) << r.body;
  }
  for (const std::string role : {"officer_a", "auditor", "admin"}) {
    const HttpResponse r = call(role, "GET", "/v1/reports/coverage");
    EXPECT_EQ(r.status, 404) << role;
    EXPECT_NE(r.body.find("\"code\":\"not_found\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("without a population extract"), std::string::npos) << r.body;
  }
  EXPECT_EQ(call("", "GET", "/v1/reports/coverage").status, 401);
  // The person search: by role, whatever the query.
  for (const std::string role : {"person_a", "agent_a"}) {
    for (const std::string& q : {"/v1/persons?q=" + kPersonA, std::string("/v1/persons?q=ceshi")}) {
      const HttpResponse r = call(role, "GET", q);
      EXPECT_EQ(r.status, 403) << role << " " << q;
      EXPECT_NE(r.body.find("\"code\":\"forbidden\""), std::string::npos) << r.body;
    }
  }
  EXPECT_EQ(call("", "GET", "/v1/persons?q=ceshi").status, 401);
}

TEST_F(ApiTest, ArrearsFigures) {
  {
    auto db = storage::open_database(world_->url);
    ASSERT_TRUE(db);
    auto employer = (*db)->find_employer(kEmployerA);
    ASSERT_TRUE(employer && *employer);
    const std::int64_t id = (**employer).employer_id;
    ASSERT_TRUE((*db)->begin());
    ASSERT_TRUE((*db)->add_employer_month(id, YearMonth::of(2025, 8), 20000, 0));        // 200.00 unpaid
    ASSERT_TRUE((*db)->add_employer_month(id, YearMonth::of(2025, 9), 100000, 40000));   // 1000.00, 400.00 paid
    ASSERT_TRUE((*db)->add_employer_month(id, YearMonth::of(2025, 10), 50000, 50000));   // paid in full
    ASSERT_TRUE((*db)->commit());
  }
  const HttpResponse r = call("agent_a", "GET", "/v1/employers/" + kEmployerA + "/arrears");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value doc = json::parse(r.body);
  EXPECT_EQ(doc.at("credit_code").as_string(), kEmployerA);
  EXPECT_EQ(doc.at("up_to").as_string(), "2026-11");
  const auto& months = doc.at("months").as_array();
  ASSERT_GE(months.size(), 2u);
  EXPECT_EQ(months[0].at("month").as_string(), "2025-08");
  EXPECT_EQ(months[0].at("dues").as_string(), "200.00");
  EXPECT_EQ(months[0].at("paid").as_string(), "0.00");
  EXPECT_EQ(months[0].at("arrears").as_string(), "200.00");
  EXPECT_EQ(months[1].at("month").as_string(), "2025-09");
  EXPECT_EQ(months[1].at("dues").as_string(), "1000.00");
  EXPECT_EQ(months[1].at("paid").as_string(), "400.00");
  EXPECT_EQ(months[1].at("arrears").as_string(), "600.00");
  for (const auto& m : months) EXPECT_NE(m.at("month").as_string(), "2025-10") << "a month paid in full is listed";
  if (months.size() == 2) {
    EXPECT_EQ(doc.at("unpaid_months").as_int64(), 2);
    EXPECT_EQ(doc.at("dues").as_string(), "1200.00");
    EXPECT_EQ(doc.at("paid").as_string(), "400.00");
    EXPECT_EQ(doc.at("arrears").as_string(), "800.00");
  }
  EXPECT_EQ(doc.at("late_fees").as_string(), "0.00");
  // The same for the officer of the region; employer B has none.
  EXPECT_EQ(call("officer_a", "GET", "/v1/employers/" + kEmployerA + "/arrears").body, r.body);
  const HttpResponse b = call("admin", "GET", "/v1/employers/" + kEmployerB + "/arrears");
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(json::parse(b.body).at("arrears").as_string(), "0.00");
}

analytics::PopulationRecord extract_record(const std::string& id, const std::string& region, const std::string& hukou,
                                           analytics::EmploymentStatus status, const std::string& employer) {
  analytics::PopulationRecord r;
  r.resident_id = id;
  r.name = "测试";
  r.birth_date = *Date::parse(id.substr(6, 4) + "-" + id.substr(10, 2) + "-" + id.substr(12, 2));
  r.region = region;
  r.hukou_region = hukou;
  r.status = status;
  r.employer_credit_code = employer;
  return r;
}

TEST_F(ApiTest, CoverageReportFiguresAndScope) {
  using analytics::EmploymentStatus;
  auto population = std::make_shared<std::vector<analytics::PopulationRecord>>();
  population->push_back(extract_record(kPersonA, "350100", "350100", EmploymentStatus::employed, kEmployerA));
  population->push_back(extract_record(kPersonB, "450100", "450100", EmploymentStatus::employed, kEmployerB));
  population->push_back(extract_record(kPersonC, "450100", "350100", EmploymentStatus::employed, kEmployerB));  // migrant
  population->push_back(  // never registered, self-employed in 350100
      extract_record(resident_id("35010219920505005"), "350102", "350100", EmploymentStatus::self_employed, ""));
  population->push_back(  // never registered, not working, in 450100
      extract_record(resident_id("45010219600606006"), "450100", "450100", EmploymentStatus::not_working, ""));
  ApiOptions o;
  o.db_url = world_->url;
  o.rules = &world_->rules;
  o.audit = world_->audit.get();
  o.openapi_document = "{}";
  o.today = *Date::parse("2026-11-29");
  o.rate_per_second = 0;
  o.population = population;
  Api api(std::move(o));
  const auto group_of = [](const json::value& doc, std::string_view name) {
    for (const auto& g : doc.at("groups").as_array()) {
      if (g.at("group").as_string() == name) return g.at("population").as_int64();
    }
    return std::int64_t{-1};
  };
  if (world_->audit) world_->audit->flush();
  auto store = storage::open_api_store(world_->url);
  ASSERT_TRUE(store);
  const auto audit_before = (*store)->audit_entries(0, 100000);
  ASSERT_TRUE(audit_before);

  HttpResponse r = call("admin", "GET", "/v1/reports/coverage?month=2026-10&window=3", "", "", "", &api);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value doc = json::parse(r.body);
  EXPECT_EQ(doc.at("month").as_string(), "2026-10");
  EXPECT_EQ(doc.at("window_months").as_int64(), 3);
  EXPECT_TRUE(doc.at("region").is_null());
  EXPECT_EQ(doc.at("population").as_int64(), 5);
  EXPECT_EQ(doc.at("matched").as_int64(), 3);
  EXPECT_EQ(group_of(doc, "employee"), 2);
  EXPECT_EQ(group_of(doc, "migrant"), 1);
  EXPECT_EQ(group_of(doc, "self_employed"), 1);
  EXPECT_EQ(group_of(doc, "other"), 1);
  EXPECT_EQ(doc.at("reasons").at("never_registered").as_int64(), 1);  // the working one only
  EXPECT_EQ(doc.at("trend").as_array().size(), 12u);
  EXPECT_FALSE(doc.as_object().contains("uncovered"));
  std::set<std::int64_t> provinces;
  std::int64_t cell_population = 0;
  for (const auto& c : doc.at("cells").as_array()) {
    provinces.insert(c.at("province").as_int64());
    cell_population += c.at("population").as_int64();
  }
  EXPECT_EQ(provinces, (std::set<std::int64_t>{35, 45}));
  EXPECT_EQ(cell_population, 5);
  EXPECT_EQ(doc.at("provinces").as_array().size(), 2u);
  // Cached: the same body (computed_at included) on the next call.
  EXPECT_EQ(call("auditor", "GET", "/v1/reports/coverage?month=2026-10&window=3", "", "", "", &api).body, r.body);

  // The officer of 350100: only the extract persons placed in that region.
  r = call("officer_a", "GET", "/v1/reports/coverage?month=2026-10", "", "", "", &api);
  ASSERT_EQ(r.status, 200) << r.body;
  doc = json::parse(r.body);
  EXPECT_EQ(doc.at("region").as_string(), "350100");
  EXPECT_EQ(doc.at("population").as_int64(), 2);
  EXPECT_EQ(group_of(doc, "employee"), 1);
  EXPECT_EQ(group_of(doc, "self_employed"), 1);
  EXPECT_EQ(group_of(doc, "migrant"), 0);
  EXPECT_EQ(doc.at("reasons").at("never_registered").as_int64(), 1);
  for (const auto& c : doc.at("cells").as_array()) EXPECT_EQ(c.at("province").as_int64(), 35);
  ASSERT_EQ(doc.at("provinces").as_array().size(), 1u);

  for (const std::string role : {"person_a", "agent_a"}) {
    EXPECT_EQ(call(role, "GET", "/v1/reports/coverage?month=2026-10", "", "", "", &api).status, 403) << role;
  }
  r = call("admin", "GET", "/v1/reports/coverage?month=2026-13", "", "", "", &api);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("query.month"), std::string::npos) << r.body;
  r = call("admin", "GET", "/v1/reports/coverage?month=2026-10&window=0", "", "", "", &api);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("query.window"), std::string::npos) << r.body;

  // Aggregate data: no audit entry.
  if (world_->audit) world_->audit->flush();
  const auto audit_after = (*store)->audit_entries(0, 100000);
  ASSERT_TRUE(audit_after);
  EXPECT_EQ(audit_after->size(), audit_before->size());
}

TEST_F(ApiTest, AgentSeesOnlyItsOwnSpells) {
  ASSERT_TRUE(storage::open_database(world_->url));
  HttpResponse r = call("admin", "GET", "/v1/persons/" + kPersonA + "/employment");
  ASSERT_EQ(r.status, 200);
  r = call("agent_a", "GET", "/v1/persons/" + kPersonA + "/employment");
  ASSERT_EQ(r.status, 200);
  const json::value doc = json::parse(r.body);
  for (const auto& s : doc.at("spells").as_array()) {
    EXPECT_EQ(s.at("employer").as_string(), kEmployerA);
  }
}

TEST_F(ApiTest, AccessLogShowsWhoWhenAndWhy) {
  HttpRequest r;
  r.method = "GET";
  r.target = "/v1/persons/" + kPersonA;
  r.authorization = "Bearer " + world_->tokens.at("officer_a");
  r.purpose = "pension claim 2026-17";
  r.client = "127.0.0.1";
  ASSERT_EQ(world_->api->handle(r).status, 200);
  HttpResponse log = call("person_a", "GET", "/v1/persons/" + kPersonA + "/access-log");
  ASSERT_EQ(log.status, 200);
  bool found = false;
  const json::value doc = json::parse(log.body);
  for (const auto& a : doc.at("accesses").as_array()) {
    if (a.at("who").as_string() == "officer_a" && a.at("purpose").as_string() == "pension claim 2026-17") {
      found = true;
      EXPECT_EQ(a.at("action").as_string(), "person.read");
      EXPECT_FALSE(a.at("at").as_string().empty());
    }
  }
  EXPECT_TRUE(found) << log.body;
}

TEST_F(ApiTest, BadInputGetsClearProblems) {
  const std::string contact = "/v1/persons/" + kPersonA + "/contact";
  struct Case {
    std::string body, type;
    int status;
    std::string code, field;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"phone":)", "application/json", 400, "invalid_input", "body"},
           {R"([1])", "application/json", 400, "invalid_input", "body"},
           {R"({"phone":12345})", "application/json", 400, "invalid_input", "phone"},
           {R"({"phone":"12a"})", "application/json", 400, "bad_character", "phone"},
           {R"({"phone":"1","extra":1})", "application/json", 400, "invalid_input", "extra"},
           {R"({})", "application/json", 400, "invalid_input", "phone"},
           {R"({"phone":"1"})", "text/plain", 400, "invalid_input", "Content-Type"},
       }) {
    HttpResponse r = call("person_a", "PATCH", contact, c.body, c.type);
    ASSERT_EQ(r.status, c.status) << c.body << " " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
    json::object doc = json::parse(r.body).as_object();
    EXPECT_EQ(doc.at("code").as_string(), c.code) << c.body;
    EXPECT_EQ(doc.at("field").as_string(), c.field) << c.body;
  }
  HttpResponse unknown = call("person_a", "GET", "/v1/nothing/here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body).at("field").as_string(), "path");
  HttpResponse method = call("person_a", "DELETE", "/v1/persons/" + kPersonA);
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(call("person_a", "GET", "/v1/persons/12345").status, 400);
  EXPECT_EQ(call("person_a", "GET", "/v1/persons/%zz").status, 400);
  EXPECT_EQ(call("person_a", "GET", "/v1/persons/" + kPersonA + "/account?limit=0").status, 400);
  HttpResponse calc = call("person_a", "POST", "/v1/calculations/flexible", R"({"contribution_month":"2026-13"})");
  EXPECT_EQ(calc.status, 400) << calc.body;
  EXPECT_EQ(json::parse(calc.body).at("field").as_string(), "contribution_month");
  EXPECT_EQ(call("person_a", "POST", "/v1/calculations/astrology", "{}").status, 404);
  HttpResponse upload = call("agent_a", "POST", "/v1/employers/" + kEmployerA + "/declarations",
                             csv_for(kEmployerB, kPersonA), "text/csv");
  EXPECT_EQ(upload.status, 400);
  EXPECT_EQ(call("agent_a", "POST", "/v1/employers/" + kEmployerA + "/declarations", "{}").status, 415);
}

TEST_F(ApiTest, CalculationsWithTrace) {
  HttpResponse r = call("person_a", "POST", "/v1/calculations/pension",
                        R"({"retirement_month":"2025-12","average_wage":"8462","average_contribution_index":"0.7",
                            "contribution_months":420,"account_balance":"98000","retirement_age":{"years":60,"months":1}})");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object doc = json::parse(r.body).as_object();
  EXPECT_EQ(doc.at("result").at("total_pension").as_string(), "3225.54");
  EXPECT_FALSE(doc.at("trace").as_array().empty());
  HttpResponse retirement = call("person_a", "GET", "/v1/persons/" + kPersonA + "/retirement");
  ASSERT_EQ(retirement.status, 200);
  EXPECT_EQ(json::parse(retirement.body).at("result").at("retirement_month").as_string(), "2043-01");  // male born 1980-01: 63
}

TEST_F(ApiTest, IdempotencyKeys) {
  const std::string target = "/v1/persons/" + kPersonC + "/transfers";
  // C may have an open transfer from the matrix; use registration instead.
  const std::string id = resident_id("35010619920202002");
  const std::string body = R"({"resident_id":")" + id +
                           R"(","name":"幂等","hukou_region":"350100","retirement_category":"female_55","scheme":"employee"})";
  HttpResponse first = call("admin", "POST", "/v1/persons", body, "application/json", "key-1");
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResponse again = call("admin", "POST", "/v1/persons", body, "application/json", "key-1");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  bool replayed = false;
  for (const auto& [k, v] : again.headers) replayed = replayed || (k == "Idempotency-Replayed" && v == "true");
  EXPECT_TRUE(replayed);
  HttpResponse other = call("admin", "POST", "/v1/persons", body + " ", "application/json", "key-1");
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(json::parse(other.body).at("field").as_string(), "Idempotency-Key");
  // Without the key the second registration conflicts: only one person was made.
  EXPECT_EQ(call("admin", "POST", "/v1/persons", body).status, 409);
  // Keys are per account.
  EXPECT_EQ(call("officer_a", "POST", "/v1/persons", body, "application/json", "key-1").status, 409);
}

// A signed-in account of a new role-person user, for tests that change a person.
std::string add_person_user(const std::string& url, const std::string& login, const std::string& resident) {
  auto store = storage::open_api_store(url);
  EXPECT_TRUE(store);
  auto id = (*store)->insert_user({0, login, "person", resident, "", "", *auth::hash_password("password-1"), false});
  EXPECT_TRUE(id);
  const std::string token = auth::new_token();
  EXPECT_TRUE((*store)->insert_session(storage::Session{auth::sha256_hex(token), *id, 0, 4102444800, false}));
  return token;
}

json::array found_persons(const HttpResponse& r) { return json::parse(r.body).at("persons").as_array(); }

std::vector<std::string> found_ids(const HttpResponse& r) {
  std::vector<std::string> out;
  const json::value doc = json::parse(r.body);
  for (const auto& p : doc.at("persons").as_array()) out.emplace_back(p.at("resident_id").as_string());
  return out;
}

TEST_F(ApiTest, PersonSearchByIdCharactersAndPinyinWithinTheRegion) {
  // 王伟 in the officer's prefecture and in another province, 汪伟 (the same
  // pinyin), 王小明, registered through the API (the search indexes them).
  const std::string wang_here = resident_id("35010219800101061");
  const std::string wang_there = resident_id("45010219800101021");
  const std::string wang_other = resident_id("35010019810101031");
  const std::string xiaoming = resident_id("35010019820101041");
  for (const auto& [id, name, hukou] : {std::tuple{wang_here, "王伟", "350102"}, std::tuple{wang_there, "王伟", "450100"},
                                        std::tuple{wang_other, "汪伟", "350100"},
                                        std::tuple{xiaoming, "王小明", "350100"}}) {
    const std::string body = std::string(R"({"resident_id":")") + id + R"(","name":")" + name +
                             R"(","hukou_region":")" + hukou + R"(","retirement_category":"male","scheme":"employee"})";
    ASSERT_EQ(call("admin", "POST", "/v1/persons", body).status, 201) << id;
  }
  const auto search = [](const std::string& login, const std::string& query) {
    return call(login, "GET", "/v1/persons?q=" + query);
  };
  // Characters, simplified or traditional (%E5%81%89 is 偉), by prefix; the
  // officer does not learn of 王伟 in 450100.
  HttpResponse chars = search("officer_a", "%E7%8E%8B%E4%BC%9F");  // 王伟
  ASSERT_EQ(chars.status, 200) << chars.body;
  EXPECT_EQ(found_ids(chars), std::vector<std::string>{wang_here});
  EXPECT_EQ(json::parse(chars.body).at("match").as_string(), "name");
  EXPECT_FALSE(json::parse(chars.body).at("more").as_bool());
  const json::array chars_found = found_persons(chars);
  ASSERT_EQ(chars_found.size(), 1u);
  const json::object& first = chars_found[0].as_object();
  EXPECT_EQ(first.at("name").as_string(), "王伟");
  EXPECT_EQ(first.at("hukou_region").as_string(), "350102");
  EXPECT_EQ(first.at("birth_date").as_string(), "1980-01-01");
  EXPECT_FALSE(first.contains("phone"));
  EXPECT_EQ(found_ids(search("officer_a", "%E7%8E%8B%E5%81%89")), std::vector<std::string>{wang_here});  // 王偉
  EXPECT_EQ(found_ids(search("admin", "%E7%8E%8B%E4%BC%9F")).size(), 2u);
  EXPECT_EQ(found_ids(search("auditor", "%E7%8E%8B%E4%BC%9F")).size(), 2u);
  // 王 finds 王伟 and 王小明 (ordered by key: 伟 U+4F1F < 小 U+5C0F), not 汪伟.
  EXPECT_EQ(found_ids(search("officer_a", "%E7%8E%8B")), (std::vector<std::string>{wang_here, xiaoming}));
  // Pinyin: tones, blanks, case, digits for tones and the name order do not matter.
  for (const std::string q : {"wang%20wei", "W%C3%A1ng%20W%C4%9Bi", "wangwei", "WANGWEI", "Wei+Wang", "wang2wei2",
                              "wang"}) {
    const HttpResponse r = search("officer_a", q);
    ASSERT_EQ(r.status, 200) << q << " " << r.body;
    EXPECT_EQ(json::parse(r.body).at("match").as_string(), "pinyin");
    const auto ids = found_ids(r);
    EXPECT_NE(std::find(ids.begin(), ids.end(), wang_here), ids.end()) << q;
    EXPECT_NE(std::find(ids.begin(), ids.end(), wang_other), ids.end()) << q;
    EXPECT_EQ(std::find(ids.begin(), ids.end(), wang_there), ids.end()) << q << ": outside the region";
  }
  EXPECT_EQ(found_ids(search("officer_a", "xiaoming%20wang")), std::vector<std::string>{xiaoming});
  EXPECT_TRUE(found_ids(search("officer_a", "zhangsan")).empty());
  // Resident ID: exact, the 15-digit form converted; outside the region: none.
  EXPECT_EQ(found_ids(search("officer_a", wang_here)), std::vector<std::string>{wang_here});
  EXPECT_EQ(json::parse(search("officer_a", wang_here).body).at("match").as_string(), "resident_id");
  EXPECT_EQ(found_ids(search("officer_a", "350102800101061")), std::vector<std::string>{wang_here});
  EXPECT_TRUE(found_ids(search("officer_a", wang_there)).empty());
  EXPECT_EQ(found_ids(search("admin", wang_there)), std::vector<std::string>{wang_there});
  EXPECT_TRUE(found_ids(search("officer_a", kPersonMissing)).empty());
  // Limits: at most `limit`, "more" when there are more.
  HttpResponse one = call("officer_a", "GET", "/v1/persons?q=wang&limit=1");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(found_ids(one).size(), 1u);
  EXPECT_TRUE(json::parse(one.body).at("more").as_bool());
  // Bad queries: problem details naming the parameter.
  struct Bad {
    std::string target, code, field;
  };
  for (const Bad& b : std::vector<Bad>{
           {"/v1/persons", "invalid_input", "query.q"},
           {"/v1/persons?q=", "invalid_input", "query.q"},
           {"/v1/persons?q=%20%20", "invalid_input", "query.q"},
           {"/v1/persons?q=w", "invalid_input", "query.q"},
           {"/v1/persons?q=!!%3F", "invalid_input", "query.q"},
           {"/v1/persons?q=" + std::string(101, 'a'), "invalid_input", "query.q"},
           {"/v1/persons?q=12345", "bad_length", "query.q"},
           {"/v1/persons?q=" + wang_here.substr(0, 17) + (wang_here[17] == '1' ? "2" : "1"), "bad_check_character",
            "query.q"},
           {"/v1/persons?q=wang&limit=0", "invalid_input", "query.limit"},
           {"/v1/persons?q=wang&limit=51", "invalid_input", "query.limit"},
       }) {
    const HttpResponse r = call("officer_a", "GET", b.target);
    ASSERT_EQ(r.status, 400) << b.target << " " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
    const json::value doc = json::parse(r.body);
    EXPECT_EQ(doc.at("code").as_string(), b.code) << b.target;
    EXPECT_EQ(doc.at("field").as_string(), b.field) << b.target;
  }
  // Each person answered is a read of personal data with its purpose.
  HttpRequest r;
  r.method = "GET";
  r.target = "/v1/persons?q=xiaoming";
  r.authorization = "Bearer " + world_->tokens.at("officer_a");
  r.purpose = "counter enquiry 42";
  r.client = "127.0.0.1";
  ASSERT_EQ(world_->api->handle(r).status, 200);
  world_->audit->flush();
  const HttpResponse log = call("admin", "GET", "/v1/persons/" + xiaoming + "/access-log");
  ASSERT_EQ(log.status, 200);
  bool found = false;
  const json::value log_doc = json::parse(log.body);
  for (const auto& a : log_doc.at("accesses").as_array()) {
    found = found || (a.at("who").as_string() == "officer_a" && a.at("action").as_string() == "person.search" &&
                      a.at("purpose").as_string() == "counter enquiry 42");
  }
  EXPECT_TRUE(found) << log.body;
  // The person outside the region was not searched as far as the log knows.
  const HttpResponse there = call("admin", "GET", "/v1/persons/" + wang_there + "/access-log");
  const json::value there_doc = json::parse(there.body);
  for (const auto& a : there_doc.at("accesses").as_array()) {
    EXPECT_NE(a.at("who").as_string(), "officer_a") << there.body;
  }
}

TEST_F(ApiTest, FlexibleSelfEnrolment) {
  // Two persons without an employer: D enrols themselves, E through the officer.
  const std::string d = resident_id("35010519880808008");
  const std::string e = resident_id("35010519890909009");
  for (const std::string& id : {d, e}) {
    const std::string body = R"({"resident_id":")" + id +
                             R"(","name":"林芳","hukou_region":"350100","retirement_category":"female_55","scheme":"employee"})";
    ASSERT_EQ(call("admin", "POST", "/v1/persons", body).status, 201);
  }
  world_->tokens["person_d"] = add_person_user(world_->url, "person_d", d);
  const std::string own = "/v1/persons/" + d + "/flexible-enrolment";
  struct Bad {
    std::string body;
    int status;
    std::string code, field;
  };
  for (const Bad& b : std::vector<Bad>{
           {R"({"scheme_region":"440300"})", 400, "invalid_input", "flexible_base_ratio"},
           {R"({"flexible_base_ratio":"0.80"})", 400, "invalid_input", "scheme_region"},
           {R"({"scheme_region":"4403","flexible_base_ratio":"0.80"})", 400, "", "scheme_region"},
           {R"({"scheme_region":"990100","flexible_base_ratio":"0.80"})", 0, "", "scheme_region"},
           {R"({"scheme_region":"440300","flexible_base_ratio":"abc"})", 400, "", "flexible_base_ratio"},
           {R"({"scheme_region":"440300","flexible_base_ratio":"0.59"})", 422, "out_of_range", "flexible_base_ratio"},
           {R"({"scheme_region":"440300","flexible_base_ratio":"3.01"})", 422, "out_of_range", "flexible_base_ratio"},
           {R"({"scheme_region":"440300","flexible_base_ratio":"0.80","scheme":"x"})", 400, "invalid_input", "scheme"},
       }) {
    const HttpResponse r = call("person_d", "POST", own, b.body);
    if (b.status != 0) {
      EXPECT_EQ(r.status, b.status) << b.body << " " << r.body;
    }
    EXPECT_GE(r.status, 400) << b.body;
    EXPECT_LT(r.status, 500) << b.body;
    const json::value doc = json::parse(r.body);
    if (!b.code.empty()) {
      EXPECT_EQ(doc.at("code").as_string(), b.code) << b.body;
    }
    EXPECT_EQ(doc.at("field").as_string(), b.field) << b.body;
  }
  const std::string good = R"({"scheme_region":"440300","flexible_base_ratio":"0.80"})";
  // Another person's record, existing or not: the same 404.
  const HttpResponse other = call("person_d", "POST", "/v1/persons/" + e + "/flexible-enrolment", good);
  const HttpResponse missing = call("person_d", "POST", "/v1/persons/" + kPersonMissing + "/flexible-enrolment", good);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.body, missing.body);
  // The person's own record, in a region other than the hukou's, with a key.
  const HttpResponse done = call("person_d", "POST", own, good, "application/json", "enrol-d-1");
  ASSERT_EQ(done.status, 200) << done.body;
  const json::value enrolled = json::parse(done.body);
  EXPECT_EQ(enrolled.at("scheme").as_string(), "flexible");
  EXPECT_EQ(enrolled.at("scheme_region").as_string(), "440300");
  EXPECT_EQ(Decimal::parse(enrolled.at("flexible_base_ratio").as_string()).value(), Decimal::parse("0.80").value());
  EXPECT_EQ(enrolled.at("hukou_region").as_string(), "350100");
  // The retry with the key answers the same; without it, a conflict.
  const HttpResponse again = call("person_d", "POST", own, good, "application/json", "enrol-d-1");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, done.body);
  const HttpResponse twice = call("person_d", "POST", own, good);
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(json::parse(twice.body).at("field").as_string(), "scheme");
  const HttpResponse read = call("person_d", "GET", "/v1/persons/" + d);
  EXPECT_EQ(json::parse(read.body).at("scheme").as_string(), "flexible");
  // Audited as the person's own act.
  world_->audit->flush();
  const HttpResponse log = call("person_d", "GET", "/v1/persons/" + d + "/access-log");
  bool audited = false;
  const json::value log_doc = json::parse(log.body);
  for (const auto& a : log_doc.at("accesses").as_array()) {
    audited = audited || (a.at("action").as_string() == "person.enrol_flexible" &&
                          a.at("purpose").as_string() == "self-service");
  }
  EXPECT_TRUE(audited) << log.body;
  // An officer acts for E, but only into the officer's own region.
  const std::string for_e = "/v1/persons/" + e + "/flexible-enrolment";
  const HttpResponse elsewhere = call("officer_a", "POST", for_e, good);
  EXPECT_EQ(elsewhere.status, 403) << elsewhere.body;
  EXPECT_EQ(json::parse(elsewhere.body).at("field").as_string(), "scheme_region");
  EXPECT_EQ(call("officer_a", "POST", for_e, R"({"scheme_region":"350102","flexible_base_ratio":"1.5"})").status,
            200);
  // An officer's registration of a flexible worker reads the same band.
  const std::string low = R"({"resident_id":")" + resident_id("35010519870707007") +
                          R"(","name":"林","hukou_region":"350100","retirement_category":"male","scheme":"flexible",)"
                          R"("scheme_region":"350100","flexible_base_ratio":"0.59"})";
  const HttpResponse refused = call("officer_a", "POST", "/v1/persons", low);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("outside the band 0.6 .. 3"), std::string::npos) << refused.body;
  // A person with an open employment spell is refused, saying why.
  const HttpResponse employed = call("person_a", "POST", "/v1/persons/" + kPersonA + "/flexible-enrolment", good);
  EXPECT_EQ(employed.status, 409);
  EXPECT_NE(employed.body.find("employed by"), std::string::npos) << employed.body;
}

// A flexible month's contribution base is the one it was booked on: after the
// person's base ratio goes from 0.60 to 1.00, September still shows the base
// of 0.60 (the amounts booked), October the base of 1.00.
TEST_F(ApiTest, FlexibleMonthsShowTheBaseTheyWereBookedOn) {
  const std::string f = resident_id("35010519791111002");
  auto book = [&](const char* ratio, YearMonth month) {
    auto db = storage::open_database(world_->url);
    ASSERT_TRUE(db) << db.error().to_string();
    registry::Person p = person(f, "350100", registry::Sex::male);
    p.scheme = registry::Scheme::flexible;
    p.scheme_region = "350100";
    p.flexible_base_ratio = *Decimal::parse(ratio);
    ASSERT_TRUE((*db)->begin());
    auto stored = (*db)->upsert_person(p);
    ASSERT_TRUE(stored) << stored.error().to_string();
    ASSERT_TRUE((*db)->commit());
    auto run = jobs::run_month(month, **db, world_->rules, {});
    ASSERT_TRUE(run) << run.error().to_string();
  };
  book("0.60", YearMonth::of(2026, 9));
  book("1.00", YearMonth::of(2026, 10));
  const HttpResponse r = call("admin", "GET", "/v1/persons/" + f + "/contributions");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::array months = json::parse(r.body).at("months").as_array();
  ASSERT_EQ(months.size(), 2u) << r.body;
  EXPECT_EQ(months[0].at("month").as_string(), "2026-09");
  EXPECT_EQ(months[1].at("month").as_string(), "2026-10");
  const std::int64_t september = months[0].at("base_fen").as_int64();
  const std::int64_t october = months[1].at("base_fen").as_int64();
  // The same average wage both months (one year's figure): 0.60 of October's base, to the fen.
  EXPECT_NEAR(static_cast<double>(september), static_cast<double>(october) * 0.6, 1.0) << r.body;
  EXPECT_GT(october, september);
  // Each base explains its amounts: 8 % of it to the personal account.
  EXPECT_EQ(months[0].at("personal_fen").as_int64(), (september * 8 + 50) / 100) << r.body;
  EXPECT_EQ(months[1].at("personal_fen").as_int64(), (october * 8 + 50) / 100) << r.body;
}

TEST_F(ApiTest, RateLimitPerClient) {
  auto limited = make_api(*world_, 3);
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    HttpResponse r = call("person_a", "GET", "/v1/me", "", "", "", limited.get());
    if (r.status == 429) {
      ++refused;
      EXPECT_EQ(json::parse(r.body).at("code").as_string(), "rate_limited");
    }
  }
  EXPECT_GE(refused, 6);
  // Health checks are not limited.
  EXPECT_EQ(call("", "GET", "/healthz", "", "", "", limited.get()).status, 200);
}

TEST_F(ApiTest, LoginLogoutAndThrottling) {
  HttpResponse ok = call("", "POST", "/v1/sessions", R"({"login":"auditor","password":"password-1"})");
  ASSERT_EQ(ok.status, 201) << ok.body;
  const std::string token = std::string(json::parse(ok.body).at("token").as_string());
  HttpRequest me;
  me.method = "GET";
  me.target = "/v1/me";
  me.authorization = "Bearer " + token;
  EXPECT_EQ(world_->api->handle(me).status, 200);
  HttpRequest logout = me;
  logout.method = "DELETE";
  logout.target = "/v1/sessions/current";
  EXPECT_EQ(world_->api->handle(logout).status, 204);
  EXPECT_EQ(world_->api->handle(me).status, 401);  // revoked
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call("", "POST", "/v1/sessions", R"({"login":"admin","password":"wrong-one"})").status, 401);
  }
  // Locked now, even with the right password.
  HttpResponse locked = call("", "POST", "/v1/sessions", R"({"login":"admin","password":"password-1"})");
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(call("", "POST", "/v1/sessions", R"({"login":"nobody","password":"password-1"})").status, 401);
  EXPECT_EQ(call("", "POST", "/v1/sessions", R"({"login":"admin"})").status, 400);
}

TEST_F(ApiTest, MetricsCountRequests) {
  call("person_a", "GET", "/v1/persons/" + kPersonA);
  HttpResponse m = call("", "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("shebao_http_requests_total{method=\"GET\",route=\"/v1/persons/{resident_id}\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("shebao_http_request_duration_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
}

// --- the audit chain --------------------------------------------------------

TEST_F(ApiTest, AuditChainIsIntactAfterTraffic) {
  for (int i = 0; i < 20; ++i) call(i % 2 ? "person_a" : "officer_a", "GET", "/v1/persons/" + kPersonA);
  world_->audit->flush();
  auto store = storage::open_api_store(world_->url);
  ASSERT_TRUE(store);
  std::int64_t checked = 0;
  auto broken = audit::verify_log(**store, &checked);
  ASSERT_TRUE(broken);
  EXPECT_FALSE(*broken) << (*broken)->reason;
  EXPECT_GT(checked, 10);
}

// A separate log file, tampered with directly in SQLite.
class AuditTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(auth::init_crypto());
    dir_ = std::filesystem::temp_directory_path() / ("shebao-audit-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "db.sqlite").string();
    ASSERT_TRUE(storage::open_database("sqlite:" + path_));
    auto store = storage::open_api_store("sqlite:" + path_);
    ASSERT_TRUE(store);
    auto log = audit::AuditLog::open(std::move(*store));
    ASSERT_TRUE(log);
    for (int i = 1; i <= 10; ++i) {
      (*log)->append(audit::Access{"2026-11-29T00:00:0" + std::to_string(i % 10) + ".000Z", "officer",
                                   "officer", "person.read", "P" + std::to_string(i), "/v1/persons/P",
                                   "claim"});
    }
    (*log)->flush();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  std::optional<audit::ChainBreak> verify() {
    auto store = storage::open_api_store("sqlite:" + path_);
    EXPECT_TRUE(store);
    auto result = audit::verify_log(**store);
    EXPECT_TRUE(result);
    return *result;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(AuditTamper, IntactChainVerifies) { EXPECT_FALSE(verify()); }

TEST_F(AuditTamper, AlteredEntryIsNamed) {
  sql("UPDATE audit_log SET purpose = 'curiosity' WHERE seq = 4");
  auto broken = verify();
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 4);
  EXPECT_NE(broken->reason.find("altered"), std::string::npos);
}

TEST_F(AuditTamper, AlteredEntryWithRecomputedHashBreaksTheNext) {
  sql("UPDATE audit_log SET actor = 'someone', hash = 'ff' WHERE seq = 6");
  auto broken = verify();
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 6);
}

TEST_F(AuditTamper, DeletedEntryIsNamed) {
  sql("DELETE FROM audit_log WHERE seq = 5");
  auto broken = verify();
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 6);
}

TEST_F(AuditTamper, DeletedLastEntriesAreCaughtByTheHead) {
  sql("DELETE FROM audit_log WHERE seq >= 9");
  auto broken = verify();
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 9);
}

TEST_F(AuditTamper, InsertedEntryIsNamed) {
  // Make room by shifting later entries, then insert a forged entry 5.
  sql("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 5; UPDATE audit_log SET seq = seq - 99 WHERE seq >= 105;"
      "INSERT INTO audit_log (seq, at, actor, role, action, person, resource, purpose, prev_hash, hash) "
      "SELECT 5, at, 'intruder', role, action, person, resource, purpose, hash, hash FROM audit_log WHERE seq = 4");
  auto broken = verify();
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 5);
}

TEST(AuditChain, HashCoversEveryField) {
  storage::AuditRecord r{1, "t", "a", "r", "x", "p", "res", "why", std::string(audit::kGenesisHash), ""};
  const std::string base = audit::entry_hash(r);
  for (int field = 0; field < 8; ++field) {
    storage::AuditRecord changed = r;
    std::string* fields[] = {&changed.at,     &changed.actor,   &changed.role,     &changed.action,
                             &changed.person, &changed.resource, &changed.purpose, &changed.prev_hash};
    *fields[field] += "!";
    EXPECT_NE(audit::entry_hash(changed), base) << field;
  }
  storage::AuditRecord moved = r;
  moved.seq = 2;
  EXPECT_NE(audit::entry_hash(moved), base);
  // Field boundaries count: ("ab","c") differs from ("a","bc").
  storage::AuditRecord x = r, y = r;
  x.actor = "ab";
  x.role = "c";
  y.actor = "a";
  y.role = "bc";
  EXPECT_NE(audit::entry_hash(x), audit::entry_hash(y));
}

// --- the OpenAPI document against the router -------------------------------

TEST(OpenApi, EveryRouteDocumentedAndEveryDocumentedRouteExists) {
  std::ifstream in(SHEBAO_OPENAPI_PATH);
  ASSERT_TRUE(in) << SHEBAO_OPENAPI_PATH;
  std::stringstream text;
  text << in.rdbuf();
  json::value doc = json::parse(text.str());
  EXPECT_TRUE(std::string_view(doc.at("openapi").as_string()).starts_with("3."));
  std::set<std::string> documented;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      std::string m(method);
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(m + " " + std::string(path));
      // Each documented operation declares a success response.
      bool success = false;
      for (const auto& [status, r] : op.at("responses").as_object()) success = success || status.starts_with("2");
      EXPECT_TRUE(success) << m << " " << path;
    }
  }
  std::set<std::string> routed;
  for (const RouteInfo& r : routes()) routed.insert(std::string(r.method) + " " + std::string(r.pattern));
  for (const auto& r : routed) EXPECT_TRUE(documented.count(r)) << "route not documented: " << r;
  for (const auto& d : documented) EXPECT_TRUE(routed.count(d)) << "documented route does not exist: " << d;
}

}  // namespace
}  // namespace shebao::server
