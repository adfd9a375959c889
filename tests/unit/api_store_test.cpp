// storage::ApiStore on each backend: a real SQLite file, and a fresh database on
// the PostgreSQL server of ctest's `postgres` fixture (SHEBAO_TEST_PG_URL, or
// the file SHEBAO_TEST_PG_URL_FILE names). The same expectations on both: users
// and sessions, the audit log and its head, idempotency records, uploads, and
// the per-person read paths over a booked ledger. Without a server the
// PostgreSQL cases fail; they are never skipped.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>

#include "core/ids.h"
#include "ingest/importers.h"
#include "ingest/rules_files.h"
#include "jobs/runs.h"
#include "storage/api_store.h"
#include "storage/database.h"

namespace {

using namespace shebao;
namespace fs = std::filesystem;

const rules::ParameterStore& rules_store() {
  static const rules::ParameterStore loaded = *ingest::load_rules_directory(SHEBAO_RULES_DIR);
  return loaded;
}

std::string resident_id(const std::string& first17) { return first17 + resident_id_check_character(first17); }
std::string credit_code(const std::string& first17) { return first17 + credit_code_check_character(first17); }

const std::string kZhang = resident_id("44030019800101001");
const std::string kLi = resident_id("51010019900303003");
// Li as a registry import or registration would store him, under `name`.
registry::Person li_named(const std::string& name) {
  registry::Person p;
  p.resident_id = kLi;
  p.name = name;
  p.sex = registry::Sex::male;
  p.birth_date = Date::of(1990, 3, 3);
  p.hukou_region = "510100";
  return p;
}
const std::string kLiu = resident_id("11010519750707004");  // flexible worker
const std::string kShenzhen = credit_code("91440300MA5F00001");
const std::string kChengdu = credit_code("91510100MA6C00002");

std::string pg_exec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PQclear(PQexec(conn, "SET client_min_messages TO warning"));
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

// The fixture's server URL; empty (with a failure recorded) when none is named
// or the named file is missing.
std::string test_server_url() {
  if (const char* url = std::getenv("SHEBAO_TEST_PG_URL"); url != nullptr && *url != '\0') return url;
  const char* file = std::getenv("SHEBAO_TEST_PG_URL_FILE");
  if (file == nullptr || *file == '\0') {
    ADD_FAILURE() << "no PostgreSQL test server: run through ctest (the postgres fixture) or set SHEBAO_TEST_PG_URL";
    return "";
  }
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  if (url.empty()) ADD_FAILURE() << "the PostgreSQL test server did not start: " << file << " is missing";
  return url;
}

storage::AuditRecord record(std::int64_t seq, const std::string& person, const std::string& action = "person.read") {
  storage::AuditRecord r;
  r.seq = seq;
  r.at = "2026-11-29T06:00:0" + std::to_string(seq % 10) + ".000Z";
  r.actor = "officer1";
  r.role = "officer";
  r.action = action;
  r.person = person;
  r.resource = "/v1/persons/" + person;
  r.purpose = "case 'O''Brien' \\ 审核";
  r.prev_hash = std::string(64, seq == 1 ? '0' : static_cast<char>('a' + (seq - 1) % 6));
  r.hash = std::string(64, static_cast<char>('a' + seq % 6));
  return r;
}

class ApiStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool postgres() const { return GetParam() == "postgresql"; }

  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    dir_ = fs::temp_directory_path() / ("shebao-apistore-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (postgres()) {
      server_url_ = test_server_url();
      ASSERT_FALSE(server_url_.empty());
      pg_database_ = ("apistore_" + std::to_string(::getpid()) + "_" + name).substr(0, 60);
      pg_exec(server_url_, "DROP DATABASE IF EXISTS " + pg_database_);
      const std::string created = pg_exec(server_url_, "CREATE DATABASE " + pg_database_);
      ASSERT_EQ(created, "") << "cannot create the test database on " << server_url_;
      url_ = server_url_.substr(0, server_url_.rfind('/') + 1) + pg_database_;
    } else {
      url_ = "sqlite:" + (dir_ / "test.db").string();
    }
    auto opened = storage::open_database(url_);
    ASSERT_TRUE(opened) << opened.error().to_string();
    db_ = std::move(*opened);
    auto store = storage::open_api_store(url_);
    ASSERT_TRUE(store) << store.error().to_string();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    if (!pg_database_.empty()) pg_exec(server_url_, "DROP DATABASE IF EXISTS " + pg_database_ + " WITH (FORCE)");
    fs::remove_all(dir_);
  }

  void import(const std::string& file, const std::string& content, bool registry) {
    const fs::path path = dir_ / file;
    std::ofstream(path) << content;
    ingest::ImportOptions options;
    options.today = Date::of(2026, 11, 29);
    auto summary = registry ? ingest::import_registry(path, *db_, rules_store(), options)
                            : ingest::import_declarations(path, *db_, options);
    ASSERT_TRUE(summary) << summary.error().to_string();
    EXPECT_EQ(summary->rejected, 0) << file;
  }
  void run(YearMonth month) {
    auto summary = jobs::run_month(month, *db_, rules_store(), {});
    ASSERT_TRUE(summary) << summary.error().to_string();
  }
  // Zhang hired in Shenzhen in September, corrected to 9,000 (a reversal and a
  // new entry), leaves on 20 October; Li in Chengdu from 10 September; Liu a
  // flexible worker.
  void book_ledger() {
    import("employers.csv",
           "credit_code,name,region,size,unit_type\n" + kShenzhen + ",深圳示例,440300,small,enterprise\n" + kChengdu +
               ",成都示例,510100,large,\n",
           true);
    import("persons.csv",
           "resident_id,name,name_pinyin,hukou_region,phone,retirement_category,scheme,scheme_region,"
           "flexible_base_ratio\n" +
               kZhang + ",张伟,Zhang Wei,440300,138,male,employee,,\n" + kLi + ",李强,,510100,,male,employee,,\n" +
               kLiu + ",刘洋,,110105,,female_50,flexible,440300,0.60\n",
           true);
    const std::string header = "credit_code,month,resident_id,wage,days_worked,event,event_date\n";
    import("sep.csv",
           header + kShenzhen + ",2026-09," + kZhang + ",8000.00,30,hire,2026-09-01\n" + kChengdu + ",2026-09," + kLi +
               ",40000.00,20,hire,2026-09-10\n",
           false);
    run(YearMonth::of(2026, 9));
    import("sep_fix.csv", header + kShenzhen + ",2026-09," + kZhang + ",9000.00,30,hire,2026-09-01\n", false);
    run(YearMonth::of(2026, 9));
    import("oct.csv", header + kShenzhen + ",2026-10," + kZhang + ",9000.00,20,leave,2026-10-20\n", false);
    run(YearMonth::of(2026, 10));
  }
  std::int64_t person_id(const std::string& resident) {
    auto id = db_->find_person_id(resident);
    EXPECT_TRUE(id && *id) << resident;
    return id && *id ? **id : 0;
  }

  fs::path dir_;
  std::string url_;
  std::string server_url_;
  std::string pg_database_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::ApiStore> store_;
};

TEST_P(ApiStoreTest, UsersByLoginAndIdAndASecondLoginIsAConflict) {
  storage::User officer{0, "officer1", "officer", "", "", "440300", "$argon2id$v=19$x", false};
  auto first = store_->insert_user(officer);
  ASSERT_TRUE(first) << first.error().to_string();
  storage::User person{0, "zhang", "person", kZhang, "", "", "$argon2id$v=19$y", true};
  auto second = store_->insert_user(person);
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_GT(*first, 0);
  EXPECT_NE(*first, *second);

  auto again = store_->insert_user(officer);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  EXPECT_EQ(again.error().field, "login");

  auto found = store_->find_user("zhang");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->user_id, *second);
  EXPECT_EQ((*found)->login, "zhang");
  EXPECT_EQ((*found)->role, "person");
  EXPECT_EQ((*found)->person, kZhang);
  EXPECT_EQ((*found)->employer, "");
  EXPECT_EQ((*found)->password_hash, "$argon2id$v=19$y");
  EXPECT_TRUE((*found)->disabled);
  auto by_id = store_->find_user_by_id(*first);
  ASSERT_TRUE(by_id && *by_id);
  EXPECT_EQ((*by_id)->login, "officer1");
  EXPECT_EQ((*by_id)->region, "440300");
  EXPECT_FALSE((*by_id)->disabled);
  EXPECT_FALSE(*store_->find_user("nobody"));
  EXPECT_FALSE(*store_->find_user_by_id(*first + *second + 100));
}

TEST_P(ApiStoreTest, SessionsAreFoundAndRevoked) {
  ASSERT_TRUE(store_->insert_session({"ab12", 7, 1700000000, 1700003600, false}));
  auto found = store_->find_session("ab12");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->token_hash, "ab12");
  EXPECT_EQ((*found)->user_id, 7);
  EXPECT_EQ((*found)->created_at, 1700000000);
  EXPECT_EQ((*found)->expires_at, 1700003600);
  EXPECT_FALSE((*found)->revoked);
  ASSERT_TRUE(store_->revoke_session("ab12"));
  EXPECT_TRUE((*store_->find_session("ab12"))->revoked);
  EXPECT_TRUE(store_->revoke_session("missing"));
  EXPECT_FALSE(*store_->find_session("missing"));
}

TEST_P(ApiStoreTest, AuditEntriesAndHeadMoveTogether) {
  auto empty = store_->audit_head();
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->count, 0);
  EXPECT_EQ(empty->hash, "");
  EXPECT_TRUE(store_->append_audit({}));
  EXPECT_EQ(store_->audit_head()->count, 0);

  const std::vector<storage::AuditRecord> first = {record(1, kZhang), record(2, ""), record(3, kLi)};
  ASSERT_TRUE(store_->append_audit(first));
  const std::vector<storage::AuditRecord> second = {record(4, kZhang, "person.write")};
  ASSERT_TRUE(store_->append_audit(second));
  auto head = store_->audit_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->count, 4);
  EXPECT_EQ(head->hash, record(4, kZhang).hash);

  // A batch that cannot be stored (seq 5 twice) leaves neither entries nor head.
  const std::vector<storage::AuditRecord> bad = {record(5, kLi), record(5, kLi)};
  EXPECT_FALSE(store_->append_audit(bad));
  EXPECT_EQ(store_->audit_head()->count, 4);
  EXPECT_EQ(store_->audit_entries(0, 100)->size(), 4u);
  // The store is usable after the failed batch.
  const std::vector<storage::AuditRecord> fifth = {record(5, kLi)};
  ASSERT_TRUE(store_->append_audit(fifth));

  auto all = store_->audit_entries(0, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 5u);
  for (std::size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].seq, static_cast<std::int64_t>(i + 1));
  const auto& third = (*all)[2];
  const auto expected = record(3, kLi);
  EXPECT_EQ(third.at, expected.at);
  EXPECT_EQ(third.actor, expected.actor);
  EXPECT_EQ(third.role, expected.role);
  EXPECT_EQ(third.action, expected.action);
  EXPECT_EQ(third.person, expected.person);
  EXPECT_EQ(third.resource, expected.resource);
  EXPECT_EQ(third.purpose, expected.purpose);
  EXPECT_EQ(third.prev_hash, expected.prev_hash);
  EXPECT_EQ(third.hash, expected.hash);

  auto page = store_->audit_entries(1, 2);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 2);
  EXPECT_EQ((*page)[1].seq, 3);
  EXPECT_TRUE(store_->audit_entries(5, 10)->empty());

  auto zhang = store_->audit_of_person(kZhang, 10);
  ASSERT_TRUE(zhang);
  ASSERT_EQ(zhang->size(), 2u);
  EXPECT_EQ((*zhang)[0].seq, 4);  // newest first
  EXPECT_EQ((*zhang)[0].action, "person.write");
  EXPECT_EQ((*zhang)[1].seq, 1);
  EXPECT_EQ(store_->audit_of_person(kZhang, 1)->size(), 1u);
  EXPECT_TRUE(store_->audit_of_person("", 10)->empty());
  EXPECT_EQ(store_->audit_of_person(kLi, 10)->size(), 2u);
}

TEST_P(ApiStoreTest, IdempotencyKeepsTheFirstResponse) {
  EXPECT_FALSE(*store_->find_idempotent(1, "k1"));
  const std::string body = std::string("{\"ok\":true}\0\xff\x01 二进制", 20);
  ASSERT_TRUE(store_->store_idempotent(1, "k1", {"h1", 201, "application/json", body}));
  ASSERT_TRUE(store_->store_idempotent(1, "k1", {"h2", 500, "text/plain", "later"}));  // ignored
  ASSERT_TRUE(store_->store_idempotent(2, "k1", {"h3", 200, "text/plain", ""}));
  auto found = store_->find_idempotent(1, "k1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->request_hash, "h1");
  EXPECT_EQ((*found)->status, 201);
  EXPECT_EQ((*found)->content_type, "application/json");
  EXPECT_EQ((*found)->body, body);
  auto other = store_->find_idempotent(2, "k1");
  ASSERT_TRUE(other && *other);
  EXPECT_EQ((*other)->request_hash, "h3");
  EXPECT_EQ((*other)->body, "");
  EXPECT_FALSE(*store_->find_idempotent(1, "k2"));
}

TEST_P(ApiStoreTest, UploadsGetAscendingIds) {
  auto first = store_->insert_upload({0, kShenzhen, "2026-11-29T06:00:00.000Z", "{\"accepted\":2}", "line,status\n"});
  auto second = store_->insert_upload({0, kChengdu, "2026-11-29T06:00:01.000Z", "{}", ""});
  ASSERT_TRUE(first && second);
  EXPECT_GT(*second, *first);
  auto found = store_->find_upload(*first);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->upload_id, *first);
  EXPECT_EQ((*found)->employer, kShenzhen);
  EXPECT_EQ((*found)->created_at, "2026-11-29T06:00:00.000Z");
  EXPECT_EQ((*found)->summary, "{\"accepted\":2}");
  EXPECT_EQ((*found)->feedback, "line,status\n");
  EXPECT_FALSE(*store_->find_upload(*second + 1));
}

TEST_P(ApiStoreTest, ContributionsOfAPersonLeaveOutReversedMonths) {
  book_ledger();
  auto zhang = store_->contributions_of(person_id(kZhang));
  ASSERT_TRUE(zhang) << zhang.error().to_string();
  ASSERT_EQ(zhang->size(), 2u);
  for (const auto& c : *zhang) {
    EXPECT_EQ(c.kind, "employee");
    EXPECT_EQ(c.employer_code, kShenzhen);
    EXPECT_EQ(c.employer_name, "深圳示例");
    EXPECT_EQ(c.region, "440300");
    EXPECT_EQ(c.employer_size, "small");
    EXPECT_EQ(c.employer_unit_type, "enterprise");
    EXPECT_EQ(c.declared_wage_fen, 900000);
    EXPECT_EQ(c.personal_fen, 72000);  // 8 % of 9,000.00
    EXPECT_EQ(c.pooled_fen, 144000);  // employer's 16 %
  }
  EXPECT_EQ((*zhang)[0].month, YearMonth::of(2026, 9));
  EXPECT_EQ((*zhang)[1].month, YearMonth::of(2026, 10));

  auto li = store_->contributions_of(person_id(kLi));
  ASSERT_TRUE(li);
  ASSERT_EQ(li->size(), 1u);
  EXPECT_EQ((*li)[0].employer_code, kChengdu);
  EXPECT_EQ((*li)[0].region, "510100");
  EXPECT_EQ((*li)[0].employer_unit_type, "enterprise");  // the registry's default for an empty unit type
  EXPECT_EQ((*li)[0].pooled_fen, 482784);
  EXPECT_EQ((*li)[0].declared_wage_fen, 4000000);
  EXPECT_EQ((*li)[0].personal_fen, 241392);  // ceiling 30,174.00 × 8 %

  auto liu = store_->contributions_of(person_id(kLiu));
  ASSERT_TRUE(liu);
  ASSERT_EQ(liu->size(), 2u);  // September and October
  EXPECT_EQ((*liu)[0].kind, "flexible");
  EXPECT_EQ((*liu)[0].employer_code, "");
  EXPECT_EQ((*liu)[0].employer_size, "");
  EXPECT_EQ((*liu)[0].region, "440300");
  EXPECT_EQ((*liu)[0].declared_wage_fen, 0);
  EXPECT_EQ((*liu)[0].personal_fen, 48278);
  EXPECT_EQ((*liu)[0].pooled_fen, 72418);  // 20 % less the account's 8 %
  EXPECT_EQ((*liu)[0].month, YearMonth::of(2026, 9));
  EXPECT_EQ((*liu)[1].month, YearMonth::of(2026, 10));
  EXPECT_TRUE(store_->contributions_of(0)->empty());
}

// A flexible month's region is the scheme region when that lies in the province
// the month was booked in, else that province's code. All four start in
// Guangdong (one packed entry a month); after October Liu moves the scheme to
// Chengdu (another province), Zhao from Shenzhen to Guangzhou (the same
// province), Wang never moves, and Qian (flexible in Sep and Oct) becomes an
// employee, who has no scheme region.
TEST_P(ApiStoreTest, FlexibleMonthsKeepTheProvinceTheyWereBookedIn) {
  const std::string wang = resident_id("44010019820202005");
  const std::string zhao = resident_id("44030019850505007");
  const std::string qian = resident_id("44030019880808009");
  const auto persons = [&](const std::string& liu_region, const std::string& zhao_region, bool qian_flexible) {
    return "resident_id,name,name_pinyin,hukou_region,phone,retirement_category,scheme,scheme_region,"
           "flexible_base_ratio\n" +
           kLiu + ",刘洋,,110105,,female_50,flexible," + liu_region + ",0.60\n" + wang +
           ",王军,,440100,,male,flexible,440100,0.60\n" + zhao + ",赵刚,,440300,,male,flexible," + zhao_region +
           ",0.60\n" + qian + ",钱明,,440300,,male," + (qian_flexible ? "flexible,440300,0.60\n" : "employee,,\n");
  };
  import("persons.csv", persons("440300", "440300", true), true);
  run(YearMonth::of(2026, 9));
  run(YearMonth::of(2026, 10));
  const auto before = store_->contributions_of(person_id(kLiu));
  ASSERT_TRUE(before) << before.error().to_string();
  ASSERT_EQ(before->size(), 2u);
  for (const auto& c : *before) EXPECT_EQ(c.region, "440300") << c.month.to_string();

  import("moved.csv", persons("510100", "440100", false), true);
  run(YearMonth::of(2026, 11));
  const std::vector<YearMonth> months = {YearMonth::of(2026, 9), YearMonth::of(2026, 10), YearMonth::of(2026, 11)};
  const auto regions_of = [&](const std::string& resident) {
    std::vector<std::string> regions;
    auto history = store_->contributions_of(person_id(resident));
    EXPECT_TRUE(history) << history.error().to_string();
    if (!history) return regions;
    EXPECT_EQ(history->size(), months.size()) << resident;
    for (std::size_t i = 0; i < history->size(); ++i) {
      const auto& c = (*history)[i];
      EXPECT_EQ(c.kind, "flexible");
      if (i < months.size()) {
        EXPECT_EQ(c.month, months[i]) << resident;
      }
      EXPECT_EQ(c.personal_fen, 48278) << resident;  // the same base in both provinces (national average)
      EXPECT_EQ(c.base_fen, 603480) << resident;      // kept with the line: 8 % of it is the personal credit
      regions.push_back(c.region);
    }
    return regions;
  };
  EXPECT_EQ(regions_of(kLiu), (std::vector<std::string>{"440000", "440000", "510100"}));
  EXPECT_EQ(regions_of(zhao), (std::vector<std::string>{"440100", "440100", "440100"}));
  EXPECT_EQ(regions_of(wang), (std::vector<std::string>{"440100", "440100", "440100"}));
  const auto employee = store_->contributions_of(person_id(qian));
  ASSERT_TRUE(employee) << employee.error().to_string();
  ASSERT_EQ(employee->size(), 2u);  // nothing booked in November
  for (const auto& c : *employee) {
    EXPECT_EQ(c.kind, "flexible");
    EXPECT_EQ(c.region, "440000") << c.month.to_string();
  }
}

TEST_P(ApiStoreTest, PersonalPostingsNewestFirstWithReversals) {
  book_ledger();
  auto postings = store_->personal_postings(person_id(kZhang), 10);
  ASSERT_TRUE(postings) << postings.error().to_string();
  // September 640.00, its reversal, September again at 720.00, October 720.00.
  ASSERT_EQ(postings->size(), 4u);
  for (std::size_t i = 1; i < postings->size(); ++i) EXPECT_GT((*postings)[i - 1].entry_id, (*postings)[i].entry_id);
  std::vector<std::int64_t> amounts;
  std::vector<std::string> kinds;
  for (const auto& p : *postings) {
    amounts.push_back(p.amount_fen);
    kinds.push_back(p.entry_kind);
  }
  std::multiset<std::int64_t> amount_set(amounts.begin(), amounts.end());
  EXPECT_EQ(amount_set, (std::multiset<std::int64_t>{64000, -64000, 72000, 72000}));
  EXPECT_EQ((*postings)[0].month, YearMonth::of(2026, 10));
  EXPECT_EQ((*postings)[0].entry_kind, "contribution");
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "reversal"), 1);
  auto limited = store_->personal_postings(person_id(kZhang), 2);
  ASSERT_TRUE(limited);
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[0].entry_id, (*postings)[0].entry_id);
  EXPECT_EQ((*limited)[1].entry_id, (*postings)[1].entry_id);
}

TEST_P(ApiStoreTest, SpellsInHireOrderAndPhoneUpdates) {
  book_ledger();
  auto zhang = store_->spells_of(person_id(kZhang));
  ASSERT_TRUE(zhang) << zhang.error().to_string();
  ASSERT_EQ(zhang->size(), 1u);
  EXPECT_EQ((*zhang)[0].employer_code, kShenzhen);
  EXPECT_EQ((*zhang)[0].employer_name, "深圳示例");
  EXPECT_EQ((*zhang)[0].employer_region, "440300");
  EXPECT_EQ((*zhang)[0].hire_date, Date::of(2026, 9, 1));
  ASSERT_TRUE((*zhang)[0].leave_date);
  EXPECT_EQ(*(*zhang)[0].leave_date, Date::of(2026, 10, 20));
  auto li = store_->spells_of(person_id(kLi));
  ASSERT_TRUE(li);
  ASSERT_EQ(li->size(), 1u);
  EXPECT_EQ((*li)[0].hire_date, Date::of(2026, 9, 10));
  EXPECT_FALSE((*li)[0].leave_date);
  EXPECT_TRUE(store_->spells_of(person_id(kLiu))->empty());

  ASSERT_TRUE(store_->update_phone(person_id(kZhang), "13800000000"));
  auto person = db_->find_person(kZhang);
  ASSERT_TRUE(person && *person);
  EXPECT_EQ((*person)->phone, "13800000000");
}

// The review queue (migration 7): a pair of the same two persons is queued
// once whatever its status; the list filters by status and by the persons'
// regions; a decision applies only from the expected status and appends its
// merge-log entry in the same transaction.
TEST_P(ApiStoreTest, ReviewPairsQueueOnceFilterByRegionAndDecideOnce) {
  book_ledger();
  // The fields entity resolution compares, every stored person in person_id order.
  auto persons = store_->persons_for_matching();
  ASSERT_TRUE(persons) << persons.error().to_string();
  ASSERT_EQ(persons->size(), 3u);
  EXPECT_EQ((*persons)[0].resident_id, kZhang);
  EXPECT_EQ((*persons)[0].person_id, person_id(kZhang));
  EXPECT_EQ((*persons)[0].name, "张伟");
  EXPECT_EQ((*persons)[0].sex, "male");
  EXPECT_EQ((*persons)[0].birth_date, "1980-01-01");
  EXPECT_EQ((*persons)[0].phone, "138");
  EXPECT_EQ((*persons)[2].resident_id, kLiu);
  EXPECT_EQ((*persons)[2].sex, "female");
  const std::string a = std::min(kZhang, kLi), b = std::max(kZhang, kLi);
  storage::ReviewPair pair;
  pair.person_a = a;
  pair.person_b = b;
  pair.probability = 0.75;
  pair.weight = 3.5;
  pair.evidence = R"({"name":"similar"})";
  pair.source = "batch";
  pair.found_at = "2026-11-29T06:00:00.000Z";
  auto first = store_->queue_review_pair(pair);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_TRUE(first->second);
  auto again = store_->queue_review_pair(pair);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->second);
  EXPECT_EQ(again->first, first->first);
  storage::ReviewPair reversed = pair;
  std::swap(reversed.person_a, reversed.person_b);
  auto refused = store_->queue_review_pair(reversed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_input);
  storage::ReviewPair other = pair;
  other.person_a = std::min(kLi, kLiu);
  other.person_b = std::max(kLi, kLiu);
  auto second = store_->queue_review_pair(other);
  ASSERT_TRUE(second && second->second);

  auto all = store_->review_pairs("open", "%", 0, 100);
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].pair_id, first->first);
  EXPECT_DOUBLE_EQ((*all)[0].probability, 0.75);
  EXPECT_DOUBLE_EQ((*all)[0].weight, 3.5);
  EXPECT_EQ((*all)[0].evidence, pair.evidence);
  EXPECT_EQ((*all)[0].status, "open");
  // Zhang's hukou is 440300 and Liu's scheme region too; Li is in 510100.
  auto shenzhen = store_->review_pairs("", "4403%", 0, 100);
  ASSERT_TRUE(shenzhen);
  EXPECT_EQ(shenzhen->size(), 2u);
  auto beijing = store_->review_pairs("", "1101%", 0, 100);
  ASSERT_TRUE(beijing);
  ASSERT_EQ(beijing->size(), 1u);  // Liu's hukou
  EXPECT_EQ((*beijing)[0].pair_id, second->first);
  auto nowhere = store_->review_pairs("", "3501%", 0, 100);
  ASSERT_TRUE(nowhere);
  EXPECT_TRUE(nowhere->empty());
  auto paged = store_->review_pairs("", "%", first->first, 1);
  ASSERT_TRUE(paged);
  ASSERT_EQ(paged->size(), 1u);
  EXPECT_EQ((*paged)[0].pair_id, second->first);

  storage::ReviewPair merged = (*all)[0];
  merged.status = "merged";
  merged.decided_by = "officer1";
  merged.decided_at = "2026-11-29T07:00:00.000Z";
  merged.reason = "same person";
  merged.merge_sequence = 1;
  storage::MergeRecord entry{1, "merge", a, b, 0, "officer1", "same person", merged.decided_at, merged.pair_id};
  auto decided = store_->decide_review_pair(merged, "open", entry);
  ASSERT_TRUE(decided) << decided.error().to_string();
  EXPECT_TRUE(*decided);
  // A second decision from "open" changes nothing and appends nothing.
  auto late = store_->decide_review_pair(merged, "open", storage::MergeRecord{2, "merge", a, b, 0, "x", "", "", 1});
  ASSERT_TRUE(late);
  EXPECT_FALSE(*late);
  auto found = store_->find_review_pair(merged.pair_id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->status, "merged");
  EXPECT_EQ((*found)->decided_by, "officer1");
  EXPECT_EQ((*found)->merge_sequence, 1);
  auto missing = store_->find_review_pair(999999);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto open = store_->review_pairs("open", "%", 0, 100);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->size(), 1u);
  // A decided pair is not re-opened by queueing it again.
  auto requeued = store_->queue_review_pair(pair);
  ASSERT_TRUE(requeued);
  EXPECT_FALSE(requeued->second);
  found = store_->find_review_pair(merged.pair_id);
  EXPECT_EQ((*found)->status, "merged");

  auto standing = store_->standing_merges_of(b);
  ASSERT_TRUE(standing);
  ASSERT_EQ(standing->size(), 1u);
  EXPECT_EQ((*standing)[0].survivor, a);
  // A merge-log entry whose sequence exists is a conflict, and the pair's
  // status change of that transaction is rolled back.
  storage::ReviewPair reopened = merged;
  reopened.status = "open";
  auto clash = store_->decide_review_pair(reopened, "merged", entry);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, ErrorCode::conflict);
  found = store_->find_review_pair(merged.pair_id);
  EXPECT_EQ((*found)->status, "merged");
  // Undo: the pair is open again, the merge no longer stands.
  storage::MergeRecord undo{2, "undo", "", "", 1, "officer1", "wrong", "2026-11-29T08:00:00.000Z", merged.pair_id};
  reopened.decided_by = reopened.decided_at = reopened.reason = "";
  reopened.merge_sequence = 0;
  auto undone = store_->decide_review_pair(reopened, "merged", undo);
  ASSERT_TRUE(undone && *undone);
  standing = store_->standing_merges_of(b);
  ASSERT_TRUE(standing);
  EXPECT_TRUE(standing->empty());
  auto log = store_->merge_log();
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[1].kind, "undo");
  EXPECT_EQ((*log)[1].undoes, 1);
  EXPECT_EQ((*log)[0].reason, "same person");
}

registry::Person person_named(const std::string& first17, const std::string& name, const std::string& hukou) {
  registry::Person p;
  p.resident_id = resident_id(first17);
  auto id = ResidentId::parse(p.resident_id);
  p.birth_date = id->birth_date();
  p.sex = id->is_male() ? registry::Sex::male : registry::Sex::female;
  p.name = name;
  p.hukou_region = hukou;
  p.retirement_category = id->is_male() ? "male" : "female_55";
  return p;
}

// Keys as the API computes them are matching::name_search_keys (tested with
// matching); here the name itself, the name with a mark (a second key with the
// same prefix) and the pinyin run together in lower case, to see the store's part.
std::vector<std::string> test_keys(const storage::SearchIndexName& p) {
  std::vector<std::string> keys{p.name, p.name + "·"};
  std::string pinyin;
  for (char c : p.name_pinyin) {
    if (c != ' ') pinyin += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!pinyin.empty()) keys.push_back(pinyin);
  return keys;
}

TEST_P(ApiStoreTest, PersonsForMatchingAfterAnIdAreTheLaterOnesInIdOrder) {
  const std::string header =
      "resident_id,name,name_pinyin,hukou_region,phone,retirement_category,scheme,scheme_region,"
      "flexible_base_ratio\n";
  import("first.csv",
         header + kZhang + ",张伟,Zhang Wei,440300,138,male,employee,,\n" + kLi + ",李强,,510100,,male,employee,,\n",
         true);
  const std::int64_t zhang = person_id(kZhang), li = person_id(kLi);
  ASSERT_LT(zhang, li);
  auto none_yet = store_->persons_for_matching_after(li);
  ASSERT_TRUE(none_yet) << none_yet.error().to_string();
  EXPECT_TRUE(none_yet->empty()) << "nothing is stored above the highest person_id";
  // A later import: a new person, and Zhang again with another phone (kept at its person_id).
  import("second.csv",
         header + kLiu + ",刘洋,,110105,,female_50,flexible,440300,0.60\n" + kZhang +
             ",张伟,Zhang Wei,440300,139,male,employee,,\n",
         true);
  const std::int64_t liu = person_id(kLiu);
  ASSERT_GT(liu, li);
  auto all = store_->persons_for_matching_after(0);
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].person_id, zhang);
  EXPECT_EQ((*all)[0].resident_id, kZhang);
  EXPECT_EQ((*all)[0].phone, "139");
  EXPECT_EQ((*all)[1].person_id, li);
  EXPECT_EQ((*all)[2].person_id, liu);
  auto every = store_->persons_for_matching();  // the same as after 0
  ASSERT_TRUE(every) << every.error().to_string();
  ASSERT_EQ(every->size(), 3u);
  for (std::size_t i = 0; i < every->size(); ++i) EXPECT_EQ((*every)[i].person_id, (*all)[i].person_id);
  auto after_zhang = store_->persons_for_matching_after(zhang);
  ASSERT_TRUE(after_zhang) << after_zhang.error().to_string();
  ASSERT_EQ(after_zhang->size(), 2u);
  EXPECT_EQ((*after_zhang)[0].resident_id, kLi);
  EXPECT_EQ((*after_zhang)[0].person_id, li);
  EXPECT_EQ((*after_zhang)[1].resident_id, kLiu);
  EXPECT_EQ((*after_zhang)[1].person_id, liu);
  EXPECT_EQ((*after_zhang)[1].name, "刘洋");
  EXPECT_EQ((*after_zhang)[1].sex, "female");
  EXPECT_EQ((*after_zhang)[1].birth_date, "1975-07-07");
  auto after_li = store_->persons_for_matching_after(li);
  ASSERT_TRUE(after_li) << after_li.error().to_string();
  ASSERT_EQ(after_li->size(), 1u) << "only the person stored since, not Zhang's update";
  EXPECT_EQ((*after_li)[0].resident_id, kLiu);
  auto after_last = store_->persons_for_matching_after(liu);
  ASSERT_TRUE(after_last) << after_last.error().to_string();
  EXPECT_TRUE(after_last->empty());
  auto beyond = store_->persons_for_matching_after(liu + 1000);
  ASSERT_TRUE(beyond) << beyond.error().to_string();
  EXPECT_TRUE(beyond->empty());
}

// A reader's watermark: every person once, then only those stored since; on
// PostgreSQL also a person whose transaction took a lower person_id and
// committed after a higher one was read (an import running while the server
// registers), which a plain "above the highest id read" would miss.
TEST_P(ApiStoreTest, PersonsForMatchingSinceAWatermarkIncludeThoseCommittedOutOfIdOrder) {
  const std::string header =
      "resident_id,name,name_pinyin,hukou_region,phone,retirement_category,scheme,scheme_region,"
      "flexible_base_ratio\n";
  import("first.csv", header + kZhang + ",张伟,Zhang Wei,440300,138,male,employee,,\n", true);
  const std::int64_t zhang = person_id(kZhang);
  storage::MatchWatermark mark;
  auto first = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].resident_id, kZhang);
  EXPECT_EQ(mark.after, zhang);
  EXPECT_TRUE(mark.gaps.empty());
  auto nothing = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(nothing) << nothing.error().to_string();
  EXPECT_TRUE(nothing->empty());

  auto resident_ids = [](const std::vector<storage::MatchPerson>& persons) {
    std::vector<std::string> out;
    for (const auto& p : persons) out.push_back(p.resident_id);
    return out;
  };
  std::int64_t li = 0;
  if (postgres()) {
    // Li's transaction takes its person_id and stays open while Liu is stored and read.
    auto other = storage::open_database(url_);
    ASSERT_TRUE(other) << other.error().to_string();
    ASSERT_TRUE((*other)->begin());
    auto taken = (*other)->upsert_person(li_named("李强"));
    ASSERT_TRUE(taken) << taken.error().to_string();
    li = *taken;
    import("second.csv", header + kLiu + ",刘洋,,110105,,female_50,flexible,440300,0.60\n", true);
    ASSERT_GT(person_id(kLiu), li);
    auto only_liu = store_->persons_for_matching_since(mark);
    ASSERT_TRUE(only_liu) << only_liu.error().to_string();
    EXPECT_EQ(resident_ids(*only_liu), std::vector<std::string>{kLiu});
    EXPECT_EQ(mark.after, person_id(kLiu));
    ASSERT_FALSE(mark.gaps.empty());
    EXPECT_TRUE(std::any_of(mark.gaps.begin(), mark.gaps.end(),
                            [&](const storage::MatchGap& g) { return g.first <= li && li <= g.last; }))
        << "Li's id is a gap to read again";
    ASSERT_TRUE((*other)->commit());
    auto with_li = store_->persons_for_matching_since(mark);
    ASSERT_TRUE(with_li) << with_li.error().to_string();
    EXPECT_EQ(resident_ids(*with_li), std::vector<std::string>{kLi}) << "Li is read once committed, Liu not again";
  } else {
    import("second.csv",
           header + kLi + ",李强,,510100,,male,employee,,\n" + kLiu + ",刘洋,,110105,,female_50,flexible,440300,0.60\n",
           true);
    li = person_id(kLi);
    auto both = store_->persons_for_matching_since(mark);
    ASSERT_TRUE(both) << both.error().to_string();
    EXPECT_EQ(resident_ids(*both), (std::vector<std::string>{kLi, kLiu}));
    EXPECT_TRUE(mark.gaps.empty()) << "SQLite commits ids in order: no gap";
  }
  // A gap whose transactions have all ended (below any snapshot's oldest open
  // transaction) is read once more and dropped.
  mark.gaps = {storage::MatchGap{li, li, 1}};
  auto last_time = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(last_time) << last_time.error().to_string();
  EXPECT_EQ(resident_ids(*last_time), std::vector<std::string>{kLi});
  EXPECT_TRUE(mark.gaps.empty());
  auto after_all = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(after_all) << after_all.error().to_string();
  EXPECT_TRUE(after_all->empty());
}

// A change of a person's matching fields by another store instance (another
// process: the API's PATCH of a contact, an import of a person already
// registered) is read at the reader's next call, with the new values; an
// update that changes none of them is not. On PostgreSQL also a change whose
// transaction was open at a read and committed after a later change was read.
TEST_P(ApiStoreTest, PersonsForMatchingSinceAWatermarkIncludeChangesByAnotherInstance) {
  const std::string header =
      "resident_id,name,name_pinyin,hukou_region,phone,retirement_category,scheme,scheme_region,"
      "flexible_base_ratio\n";
  const std::string zhang_row = std::string(kZhang) + ",张伟,Zhang Wei,440300,13800000001,male,employee,,\n";
  import("first.csv", header + zhang_row + kLi + ",李强,,510100,,male,employee,,\n", true);
  const std::int64_t zhang = person_id(kZhang);
  storage::MatchWatermark mark;
  auto first = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_EQ(first->size(), 2u);
  auto nothing = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(nothing) << nothing.error().to_string();
  EXPECT_TRUE(nothing->empty());
  // The last values read of each person (PostgreSQL may read a change again).
  const auto latest = [](const std::vector<storage::MatchPerson>& persons) {
    std::map<std::string, storage::MatchPerson> out;
    for (const auto& p : persons) out[p.resident_id] = p;
    return out;
  };

  auto other = storage::open_api_store(url_);
  ASSERT_TRUE(other) << other.error().to_string();
  ASSERT_TRUE((*other)->update_phone(zhang, "13912345678"));
  auto changed = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(changed) << changed.error().to_string();
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].resident_id, kZhang);
  EXPECT_EQ((*changed)[0].person_id, zhang);
  EXPECT_EQ((*changed)[0].phone, "13912345678");
  EXPECT_EQ((*changed)[0].name, "张伟");
  EXPECT_EQ(mark.after, person_id(kLi)) << "no person stored since";

  // A registry import of Li with a new name (the same resident ID) is a change;
  // one of Zhang with the values he has, and a phone set to the one he has, are not.
  import("second.csv",
         header + kZhang + ",张伟,Zhang Wei,440300,13912345678,male,employee,,\n" + kLi +
             ",李刚,,510100,,male,employee,,\n",
         true);
  ASSERT_TRUE((*other)->update_phone(zhang, "13912345678"));
  auto renamed = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(renamed) << renamed.error().to_string();
  auto now = latest(*renamed);
  ASSERT_TRUE(now.contains(kLi));
  EXPECT_EQ(now[kLi].name, "李刚");
  if (!postgres()) {
    EXPECT_EQ(renamed->size(), 1u) << "Zhang did not change";
    auto quiet = store_->persons_for_matching_since(mark);
    ASSERT_TRUE(quiet) << quiet.error().to_string();
    EXPECT_TRUE(quiet->empty());
    return;
  }
  if (now.contains(kZhang)) {
    EXPECT_EQ(now[kZhang].phone, "13912345678");  // read again, never older values
  }

  // PostgreSQL: Li's change is made in a transaction still open while Zhang's
  // (a later transaction id) commits and is read; Li's is read once committed.
  auto slow = storage::open_database(url_);
  ASSERT_TRUE(slow) << slow.error().to_string();
  ASSERT_TRUE((*slow)->begin());
  auto upserted = (*slow)->upsert_person(li_named("李明"));
  ASSERT_TRUE(upserted) << upserted.error().to_string();
  ASSERT_TRUE((*other)->update_phone(zhang, "13700000007"));
  auto only_zhang = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(only_zhang) << only_zhang.error().to_string();
  now = latest(*only_zhang);
  ASSERT_TRUE(now.contains(kZhang));
  EXPECT_EQ(now[kZhang].phone, "13700000007");
  if (now.contains(kLi)) {
    EXPECT_EQ(now[kLi].name, "李刚") << "Li's open change is not visible yet";
  }
  ASSERT_TRUE((*slow)->commit());
  auto with_li = store_->persons_for_matching_since(mark);
  ASSERT_TRUE(with_li) << with_li.error().to_string();
  now = latest(*with_li);
  ASSERT_TRUE(now.contains(kLi)) << "Li's change, committed after a later one was read, is read";
  EXPECT_EQ(now[kLi].name, "李明");
}

TEST_P(ApiStoreTest, PersonSearchIndexesEveryInsertAndRenameAndFindsByPrefixInTheRegion) {
  book_ledger();  // imported: Zhang (hukou 440300), Li (hukou 510100), Liu (hukou 110105, flexible in 440300)
  std::vector<std::int64_t> indexed_ids;
  const storage::SearchKeysOf keys_of = [&](const storage::SearchIndexName& p) {
    indexed_ids.push_back(p.person_id);
    return test_keys(p);
  };
  const auto search = [&](const std::string& prefix, const std::string& region, std::int64_t limit = 10) {
    auto found = store_->search_persons(storage::PersonSearch{prefix, region, limit});
    EXPECT_TRUE(found) << found.error().to_string();
    return found ? *found : std::vector<std::int64_t>{};
  };
  // Queued by the import, not searchable before they are indexed.
  EXPECT_TRUE(search("张", "").empty());
  auto first = store_->index_queued_persons(2, keys_of);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(*first, 2u);
  EXPECT_EQ(*store_->index_queued_persons(100, keys_of), 1u);
  EXPECT_EQ(*store_->index_queued_persons(100, keys_of), 0u);
  const std::int64_t zhang = person_id(kZhang), li = person_id(kLi), liu = person_id(kLiu);
  std::vector<std::int64_t> expected_ids{zhang, li, liu};
  std::sort(expected_ids.begin(), expected_ids.end());
  EXPECT_EQ(indexed_ids, expected_ids);  // oldest first

  EXPECT_EQ(search("张", ""), std::vector<std::int64_t>{zhang});
  EXPECT_EQ(search("张伟", ""), std::vector<std::int64_t>{zhang});  // the whole key
  EXPECT_TRUE(search("张伟明", "").empty());
  EXPECT_EQ(search("zhang", ""), std::vector<std::int64_t>{zhang});
  EXPECT_TRUE(search("Zhang", "").empty());  // byte order: keys are normalised by the caller
  EXPECT_TRUE(search("zhangwei·", "").empty());
  // Regions: hukou, scheme region, and an employer's region.
  EXPECT_EQ(search("刘", "11"), std::vector<std::int64_t>{liu});
  EXPECT_EQ(search("刘", "4403"), std::vector<std::int64_t>{liu});
  EXPECT_TRUE(search("刘", "51").empty());
  EXPECT_EQ(search("李", "510100"), std::vector<std::int64_t>{li});
  EXPECT_TRUE(search("李", "44").empty());

  // One person at a time (upsert_person) and several at once (upsert_persons:
  // COPY on PostgreSQL) are queued alike; an employment adds its employer's region.
  ASSERT_TRUE(db_->begin());
  auto wang = db_->upsert_person(person_named("35010019850505005", "王伟", "350100"));
  ASSERT_TRUE(wang) << wang.error().to_string();
  const std::vector<registry::Person> batch = {person_named("35010019860606006", "王二", "350100"),
                                               person_named("35010019870707007", "王一", "350100"),
                                               person_named("35010019880808008", "王三", "350100")};
  ASSERT_TRUE(db_->upsert_persons(batch));
  auto chengdu = db_->find_employer(kChengdu);
  ASSERT_TRUE(chengdu && *chengdu);
  ASSERT_TRUE(db_->record_hire(*wang, (*chengdu)->employer_id, Date::of(2026, 11, 1)));
  ASSERT_TRUE(db_->commit());
  EXPECT_EQ(*store_->index_queued_persons(100, keys_of), 4u);
  EXPECT_EQ(search("王伟", "51"), std::vector<std::int64_t>{*wang});
  EXPECT_EQ(search("王伟", "35"), std::vector<std::int64_t>{*wang});
  EXPECT_TRUE(search("王伟", "44").empty());
  // Ordered by key (byte order of UTF-8: 一 U+4E00 < 三 U+4E09 < 二 U+4E8C < 伟 U+4F1F),
  // each person once although two of its keys match, at most `limit`.
  const auto ordered = search("王", "");
  ASSERT_EQ(ordered.size(), 4u);
  EXPECT_EQ(ordered.back(), *wang);
  EXPECT_EQ(search("王", "", 2), std::vector<std::int64_t>(ordered.begin(), ordered.begin() + 2));
  EXPECT_EQ(db_->find_person_by_id(ordered[0]).value()->name, "王一");
  EXPECT_EQ(db_->find_person_by_id(ordered[1]).value()->name, "王三");
  EXPECT_EQ(db_->find_person_by_id(ordered[2]).value()->name, "王二");

  // A rename queues the person again and replaces its keys; a change of anything
  // else (the phone) does not queue it.
  ASSERT_TRUE(store_->update_phone(*wang, "13900000000"));
  EXPECT_EQ(*store_->index_queued_persons(100, keys_of), 0u);
  registry::Person renamed = person_named("35010019850505005", "王薇", "350100");
  renamed.name_pinyin = "Wang Wei";
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->upsert_person(renamed));
  ASSERT_TRUE(db_->commit());
  EXPECT_TRUE(search("王薇", "").empty());
  EXPECT_EQ(*store_->index_queued_persons(100, keys_of), 1u);
  EXPECT_TRUE(search("王伟", "").empty());
  EXPECT_EQ(search("王薇", ""), std::vector<std::int64_t>{*wang});
  EXPECT_EQ(search("wangwei", ""), std::vector<std::int64_t>{*wang});
}

TEST_P(ApiStoreTest, UnknownUrlIsRefused) {
  auto store = storage::open_api_store("mysql://x");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::invalid_input);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
