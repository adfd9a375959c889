// Registry, declarations, month runs and the ledger, on each backend: a real
// SQLite file, and a fresh database on the PostgreSQL server named by
// SHEBAO_TEST_PG_URL (ctest starts one and always sets it; without it, as when
// the test binary runs alone, the PostgreSQL cases are skipped).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>

#include "core/ids.h"
#include "ingest/importers.h"
#include "ingest/rules_files.h"
#include "jobs/runs.h"
#include "ledger/ledger.h"
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

const std::string kZhang = resident_id("44030019800101001");  // man
const std::string kWang = resident_id("44030019850505002");   // woman
const std::string kLi = resident_id("51010019900303003");     // man
const std::string kLiu = resident_id("11010519750707004");    // woman, flexible worker
const std::string kUnregistered = resident_id("44030019700101005");
const std::string kShenzhen = credit_code("91440300MA5F00001");
const std::string kChengdu = credit_code("91510100MA6C00002");

// Runs SQL on the PostgreSQL server at `url`; returns the error text, empty when it worked.
// `value`, when given, gets the first column of the last statement's first row ("" without one).
std::string pg_exec(const std::string& url, const std::string& sql, std::string* value = nullptr) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PQclear(PQexec(conn, "SET client_min_messages TO warning"));
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    if (value != nullptr) *value = PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

// The URL of the test server with another database name.
std::string pg_url_of(const std::string& server_url, const std::string& database) {
  return server_url.substr(0, server_url.rfind('/') + 1) + database;
}

// The test server's URL: SHEBAO_TEST_PG_URL, or the file SHEBAO_TEST_PG_URL_FILE
// names (ctest's postgres fixture writes it). Empty only when neither is set;
// a named file that cannot be read is a failure, not a skip.
std::string test_server_url() {
  if (const char* url = std::getenv("SHEBAO_TEST_PG_URL"); url != nullptr && *url != '\0') return url;
  const char* file = std::getenv("SHEBAO_TEST_PG_URL_FILE");
  if (file == nullptr || *file == '\0') return "";
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  if (url.empty()) {
    ADD_FAILURE() << "the PostgreSQL test server did not start: " << file << " is missing";
    return "postgresql://unavailable@127.0.0.1:1/none";
  }
  return url;
}

class LedgerFlow : public ::testing::TestWithParam<std::string> {
 protected:
  bool postgres() const { return GetParam() == "postgresql"; }

  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    dir_ = fs::temp_directory_path() / ("shebao-flow-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (postgres()) {
      server_url_ = test_server_url();
      if (server_url_.empty()) GTEST_SKIP() << "no PostgreSQL test server (ctest starts one and names it)";
      pg_database_ = ("flow_" + std::to_string(::getpid()) + "_" + name).substr(0, 60);
      pg_exec(server_url_, "DROP DATABASE IF EXISTS " + pg_database_);
      const std::string created = pg_exec(server_url_, "CREATE DATABASE " + pg_database_);
      ASSERT_EQ(created, "") << "cannot create the test database on " << server_url_;
      url_ = pg_url_of(server_url_, pg_database_);
    } else {
      url_ = "sqlite:" + (dir_ / "test.db").string();
    }
    auto opened = storage::open_database(url_);
    ASSERT_TRUE(opened) << opened.error().to_string();
    db_ = std::move(*opened);
    options_.today = Date::of(2026, 11, 29);
    write("employers.csv", "credit_code,name,region,size,unit_type\n" + kShenzhen + ",深圳示例,440300,small,enterprise\n" +
                               kChengdu + ",成都示例,510100,large,\n");
    write("persons.csv",
          "resident_id,name,name_pinyin,hukou_region,phone,retirement_category,scheme,scheme_region,flexible_base_ratio\n" +
              kZhang + ",张伟,Zhang Wei,440300,138,male,employee,,\n" + kWang + ",王芳,,440300,,female_55,employee,,\n" +
              kLi + ",李强,,510100,,male,employee,,\n" + kLiu + ",刘洋,,110105,,female_50,flexible,440300,0.60\n");
    ASSERT_EQ(import_registry("employers.csv").accepted, 2);
    ASSERT_EQ(import_registry("persons.csv").accepted, 4);
  }
  void TearDown() override {
    db_.reset();
    if (!pg_database_.empty()) pg_exec(server_url_, "DROP DATABASE IF EXISTS " + pg_database_ + " WITH (FORCE)");
    fs::remove_all(dir_);
  }

  fs::path write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << content;
    return path;
  }
  std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  ingest::ImportSummary import_registry(const std::string& name) {
    auto summary = ingest::import_registry(dir_ / name, *db_, rules_store(), options_);
    EXPECT_TRUE(summary) << summary.error().to_string();
    return summary ? *summary : ingest::ImportSummary{};
  }
  ingest::ImportSummary import_declarations(const std::string& name) {
    auto summary = ingest::import_declarations(dir_ / name, *db_, options_);
    EXPECT_TRUE(summary) << summary.error().to_string();
    return summary ? *summary : ingest::ImportSummary{};
  }
  jobs::MonthRunSummary run(YearMonth month) {
    auto summary = jobs::run_month(month, *db_, rules_store(), {});
    EXPECT_TRUE(summary) << summary.error().to_string();
    return summary ? *summary : jobs::MonthRunSummary{};
  }
  void expect_verified() {
    auto checks = db_->verify();
    ASSERT_TRUE(checks) << checks.error().to_string();
    for (const auto& check : *checks) EXPECT_EQ(check.failures, 0) << check.name << ": " << check.first_failure;
  }
  storage::Stats stats() { return *db_->stats(); }
  // Runs SQL on the test database past the storage layer (the database must be
  // closed on SQLite); returns the error text, empty when it worked. `value` as
  // pg_exec's.
  std::string exec_raw(const std::string& sql, std::string* value = nullptr) {
    if (postgres()) return pg_exec(url_, sql, value);
    sqlite3* raw = nullptr;
    if (sqlite3_open((dir_ / "test.db").c_str(), &raw) != SQLITE_OK) return "cannot open " + (dir_ / "test.db").string();
    if (value != nullptr) value->clear();
    const auto first_value = [](void* out, int columns, char** values, char**) {
      auto* text = static_cast<std::string*>(out);
      if (text != nullptr && text->empty() && columns > 0 && values[0] != nullptr) *text = values[0];
      return 0;
    };
    char* message = nullptr;
    const int rc = sqlite3_exec(raw, sql.c_str(), first_value, value, &message);
    std::string error = rc == SQLITE_OK ? "" : (message ? message : "error " + std::to_string(rc));
    sqlite3_free(message);
    sqlite3_close(raw);
    return error;
  }

  // SQL that turns the packed payments and late fees (kind 9, migration 11)
  // into the rows of earlier versions: every line its own entry (ids far above
  // the packed ones) with its key, its two postings as rows.
  std::string unpack_settlements() {
    const std::string lines_table =
        postgres()
            ? "CREATE TEMP TABLE s AS SELECT e.entry_id, j.n - 1 AS k, (j.v ->> 0)::int AS kind, "
              "(j.v ->> 1)::bigint AS employer, (j.v ->> 2)::bigint AS province, (j.v ->> 3)::int AS month, "
              "(j.v ->> 4)::bigint AS amount, e.month AS run_month, (j.v ->> 5) || '/' || (j.v ->> 6) AS paid, "
              "lpad(((j.v ->> 3)::int / 12)::text, 4, '0') || '-' || lpad(((j.v ->> 3)::int % 12 + 1)::text, 2, '0') "
              "AS month_text, lpad((e.month / 12)::text, 4, '0') || '-' || lpad((e.month % 12 + 1)::text, 2, '0') "
              "AS run_text FROM journal_entries e "
              "CROSS JOIN LATERAL json_array_elements(e.lines -> 'settlements') WITH ORDINALITY j(v, n) "
              "WHERE e.kind = 9;"
            : "CREATE TEMP TABLE s AS SELECT e.entry_id, j.key AS k, j.value ->> 0 AS kind, j.value ->> 1 AS employer, "
              "j.value ->> 2 AS province, j.value ->> 3 AS month, j.value ->> 4 AS amount, e.month AS run_month, "
              "(j.value ->> 5) || '/' || (j.value ->> 6) AS paid, "
              "printf('%04d-%02d', (j.value ->> 3) / 12, (j.value ->> 3) % 12 + 1) AS month_text, "
              "printf('%04d-%02d', e.month / 12, e.month % 12 + 1) AS run_text FROM journal_entries e "
              "CROSS JOIN json_each(e.lines, '$.settlements') j WHERE e.kind = 9;";
    return lines_table + R"SQL(
DELETE FROM journal_entries WHERE kind = 9;
INSERT INTO journal_entries (entry_id, idempotency_key, person_id, kind, month, source_id, corrects_entry_id)
SELECT 100000 + entry_id * 100 + k,
         CASE kind WHEN 3 THEN 'payment/' || employer || '/' || month_text || '/' || paid
                   ELSE 'late_fee/' || employer || '/' || month_text || '/' || run_text END,
         -employer, kind, CASE kind WHEN 3 THEN month ELSE run_month END, employer, NULL
FROM s;
INSERT INTO postings (entry_id, seq, person_id, account_kind, account_owner, amount_fen)
SELECT 100000 + entry_id * 100 + k, 0, -employer, CASE kind WHEN 3 THEN 4 ELSE 3 END,
         CASE kind WHEN 3 THEN province ELSE employer END, amount FROM s UNION ALL
SELECT 100000 + entry_id * 100 + k, 1, -employer, CASE kind WHEN 3 THEN 3 ELSE 2 END,
         CASE kind WHEN 3 THEN employer ELSE province END, -amount FROM s;
DROP INDEX journal_settlement;
)SQL";
  }

  // SQL that turns SQLite's packed declaration lines (migration 14) back into
  // the table of earlier versions, a row per line; nothing on PostgreSQL.
  std::string unpack_declaration_lines() {
    if (postgres()) return "";
    return R"SQL(
CREATE TABLE declaration_lines_v13 (
  declaration_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  wage_fen INTEGER NOT NULL,
  days_worked INTEGER NOT NULL,
  event TEXT NOT NULL DEFAULT '',
  event_date TEXT,
  PRIMARY KEY (declaration_id, person_id)
) WITHOUT ROWID;
INSERT INTO declaration_lines_v13 SELECT * FROM declaration_lines;
DROP VIEW declaration_lines;
DROP TABLE declaration_line_packs;
ALTER TABLE declaration_lines_v13 RENAME TO declaration_lines;
)SQL";
  }

  std::string september() {
    return "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2026-09," + kZhang +
           ",8000.00,30,hire,2026-09-01\n" + kShenzhen + ",2026-09," + kWang + ",3000.00,30,hire,2026-09-01\n" +
           kChengdu + ",2026-09," + kLi + ",40000.00,20,hire,2026-09-10\n";
  }

  // September and October declared; Shenzhen pays September on time and
  // October on 28 November, Chengdu pays September on 20 November and October never.
  void declare_september_october_with_payments() {
    write("sep.csv", september());
    import_declarations("sep.csv");
    write("oct.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2026-10," +
                         kZhang + ",8000.00,31,,\n" + kChengdu + ",2026-10," + kLi + ",40000.00,31,,\n");
    import_declarations("oct.csv");
    write("pay.csv", "credit_code,month,paid_on\n" + kShenzhen + ",2026-09,2026-10-10\n" + kChengdu +
                         ",2026-09,2026-11-20\n" + kShenzhen + ",2026-10,2026-11-28\n");
    ASSERT_EQ(ingest::import_payments(dir_ / "pay.csv", *db_, options_)->accepted, 3);
  }

  fs::path dir_;
  std::string url_;
  std::string server_url_;
  std::string pg_database_;
  std::unique_ptr<storage::Database> db_;
  ingest::ImportOptions options_;
};

TEST_P(LedgerFlow, EveryKindOfBadLineGetsItsFeedbackAndNothingReachesTheLedger) {
  const std::string bad_check = kZhang.substr(0, 17) + (kZhang[17] == '0' ? "1" : "0");
  const std::string header = "credit_code,month,resident_id,wage,days_worked,event,event_date\n";
  const std::string file = header +
      kShenzhen + ",2026-10," + kZhang + ",8000.00,31,hire,2026-10-01\n" +         // 2 accepted
      kShenzhen + ",2026-10," + bad_check + ",8000.00,31,,\n" +                    // 3 bad check character
      kShenzhen + ",2026-10,4403001980010100,8000.00,31,,\n" +                     // 4 bad length
      kShenzhen + ",2026-10," + kUnregistered + ",8000.00,31,,\n" +                // 5 unknown person
      kShenzhen + ",2026-10," + kLi + ",8000.00,31,,\n" +                          // 6 not employed here
      kShenzhen + ",2026-10," + kWang + ",-1.00,31,hire,2026-10-01\n" +           // 7 negative wage
      kShenzhen + ",2026-10," + kWang + ",3000.005,31,hire,2026-10-01\n" +        // 8 three decimals
      kShenzhen + ",2026-10," + kWang + ",3000.00,32,hire,2026-10-01\n" +         // 9 days out of range
      kShenzhen + ",2026-10," + kWang + ",3000.00,31,promote,2026-10-01\n" +      // 10 unknown event
      kShenzhen + ",2026-10," + kWang + ",3000.00,31,hire,2026-11-01\n" +         // 11 event outside month
      kShenzhen + ",2026-10," + kZhang + ",9000.00,31,,\n" +                       // 12 duplicate line
      kShenzhen + ",2026-10," + kWang + ",3000.00,31,hire,\n" +                   // 13 event without date
      kShenzhen + ",2026-10," + kWang + ",3000.00,31,hire,2026-10-01,extra\n" +  // 14 wrong field count
      kShenzhen + ",2027-01," + kWang + ",3000.00,31,hire,2027-01-01\n" +         // 15 future month
      credit_code("91440300MA5F00009") + ",2026-10," + kWang + ",3000.00,31,hire,2026-10-01\n" +  // 16 unknown employer
      kShenzhen + ",2026-13," + kWang + ",3000.00,31,hire,2026-10-01\n" +         // 17 bad month
      kShenzhen + ",2026-10," + kWang + ",3000.00,31,hire,2026-10-02\n";          // 18 split declaration
  write("bad.csv", file);
  const auto summary = import_declarations("bad.csv");
  EXPECT_EQ(summary.accepted, 1);
  EXPECT_EQ(summary.rejected, 16);
  const std::string feedback = read(dir_ / "bad.csv.feedback.csv");
  const char* expected[] = {
      "line,status,field,code,message",
      "2,accepted,,,",
      "3,rejected,resident_id,bad_check_character,",
      "4,rejected,resident_id,bad_length,",
      "5,rejected,resident_id,unknown_person,",
      "6,rejected,resident_id,not_employed,",
      "7,rejected,wage,invalid_input,",
      "8,rejected,wage,invalid_input,",
      "9,rejected,days_worked,invalid_input,",
      "10,rejected,event,unknown_category,",
      "11,rejected,event_date,invalid_input,",
      "12,rejected,resident_id,duplicate_line,",
      "13,rejected,event_date,invalid_input,",
      "14,rejected,,invalid_input,",
      "15,rejected,month,future_month,",
      "16,rejected,credit_code,unknown_employer,",
      "17,rejected,month,invalid_input,",
      "18,rejected,credit_code,split_declaration,",
  };
  std::istringstream lines(feedback);
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  // A unit's lines are reported in line order, whichever check rejected them
  // (their own fields, or their person). Line 14 (wrong field count) is
  // reported when read, before the unit it sits in is flushed.
  std::vector<int> in_file_order;
  for (std::size_t i = 1; i < got.size(); ++i) {
    if (std::stoi(got[i]) != 14) in_file_order.push_back(std::stoi(got[i]));
  }
  EXPECT_TRUE(std::is_sorted(in_file_order.begin(), in_file_order.end())) << feedback;
  std::sort(got.begin() + 1, got.end(), [](const std::string& a, const std::string& b) {
    return std::stoi(a) < std::stoi(b);
  });
  ASSERT_EQ(got.size(), std::size(expected)) << feedback;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].substr(0, std::string(expected[i]).size()), expected[i]) << "feedback line " << i;
  }
  // Only the accepted line is stored and booked; Wang was never hired (every hire line was rejected).
  EXPECT_EQ(stats().declaration_lines, 1);
  auto employed = db_->employed_in(db_->find_person(kWang).value()->person_id,
                                   db_->find_employer(kShenzhen).value()->employer_id, YearMonth::of(2026, 10));
  EXPECT_FALSE(*employed);
  EXPECT_EQ(run(YearMonth::of(2026, 10)).person_months, 1);
  expect_verified();
}

TEST_P(LedgerFlow, DeclarationColumnsInAnyOrderQuotedFieldsAndDaysWrittenAsDecimals) {
  // Columns are found by the header, whatever their order; quoted and plain
  // fields read the same; days worked is any way of writing a whole number 0..31.
  const std::string file = "event_date,resident_id,days_worked,event,wage,credit_code,month\n"
      "2026-10-01," + kZhang + ",7.0,hire,\"8000.00\"," + kShenzhen + ",2026-10\n" +         // 2 accepted, 7 days
      "\"2026-10-01\",\"" + kWang + "\",031,\"hire\",3000.00,\"" + kShenzhen + "\",2026-10\n" +  // 3 accepted, 31
      "2026-10-01," + kLi + ",0,hire,5000.00," + kShenzhen + ",2026-10\n" +                  // 4 accepted, 0 days
      "2026-10-01," + kLiu + ",3.5,hire,5000.00," + kShenzhen + ",2026-10\n" +               // 5 not whole
      "2026-10-01," + kLiu + ",-1,hire,5000.00," + kShenzhen + ",2026-10\n" +                // 6 negative
      "2026-10-01," + kLiu + ",32.0,hire,5000.00," + kShenzhen + ",2026-10\n" +              // 7 above 31
      "2026-10-01," + kLiu + ",,hire,5000.00," + kShenzhen + ",2026-10\n" +                  // 8 missing
      "2026-10-01," + kLiu + ",1x,hire,5000.00," + kShenzhen + ",2026-10\n";                 // 9 not a number
  write("reordered.csv", file);
  const auto summary = import_declarations("reordered.csv");
  EXPECT_EQ(summary.accepted, 3);
  EXPECT_EQ(summary.rejected, 5);
  EXPECT_EQ(summary.new_declarations, 1);
  EXPECT_EQ(read(dir_ / "reordered.csv.feedback.csv"),
            "line,status,field,code,message\n2,accepted,,,\n3,accepted,,,\n4,accepted,,,\n"
            "5,rejected,days_worked,invalid_input,days worked must be a whole number 0..31\n"
            "6,rejected,days_worked,invalid_input,days worked must be a whole number 0..31\n"
            "7,rejected,days_worked,invalid_input,days worked must be a whole number 0..31\n"
            "8,rejected,days_worked,invalid_input,required value is missing\n"
            "9,rejected,days_worked,invalid_input,days worked must be a whole number 0..31\n");
  EXPECT_EQ(stats().declaration_lines, 3);
  // The same lines in the canonical column order are the same declaration: unchanged.
  write("canonical.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2026-10," +
                             kWang + ",3000.00,31,hire,2026-10-01\n" + kShenzhen + ",2026-10," + kLi +
                             ",5000.00,0,hire,2026-10-01\n" + kShenzhen + ",2026-10," + kZhang +
                             ",8000.00,7,hire,2026-10-01\n");
  const auto again = import_declarations("canonical.csv");
  EXPECT_EQ(again.accepted, 3);
  EXPECT_EQ(again.unchanged_declarations, 1);
  EXPECT_EQ(stats().declarations, 1);
}

TEST_P(LedgerFlow, AFileThatCannotBeUsedIsRefusedWhole) {
  write("no_wage.csv", "credit_code,month,resident_id,days_worked\n" + kShenzhen + ",2026-10," + kZhang + ",31\n");
  auto missing = ingest::import_declarations(dir_ / "no_wage.csv", *db_, options_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::missing_column);
  write("extra.csv", "credit_code,month,resident_id,wage,days_worked,bonus\n");
  auto extra = ingest::import_declarations(dir_ / "extra.csv", *db_, options_);
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error().code, ErrorCode::invalid_input);
  auto unreadable = ingest::import_declarations(dir_ / "none.csv", *db_, options_);
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code, ErrorCode::io_error);
  auto wrong_type = ingest::import_declarations(write("d.txt", "x"), *db_, options_);
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(stats().declarations, 0);
}

TEST_P(LedgerFlow, RegistryLinesAreValidatedOneByOne) {
  write("people.csv",
        "resident_id,name,hukou_region,retirement_category,scheme,scheme_region,flexible_base_ratio\n" +
            resident_id("44030019910101007") + ",甲,440300,male,employee,,\n" +       // 2 accepted
            resident_id("44030019910101007").substr(0, 17) + "Y,乙,440300,male,employee,,\n" +  // 3 bad character
            resident_id("44030019910101017") + ",,440300,male,employee,,\n" +         // 4 no name
            resident_id("44030019910101027") + ",丙,990000,male,employee,,\n" +       // 5 unknown region
            resident_id("44030019910101037") + ",丁,440300,female_50,employee,,\n" +  // 6 category vs sex
            resident_id("44030019910101047") + ",戊,440300,male,freelance,,\n" +      // 7 unknown scheme
            resident_id("44030019910101057") + ",己,440300,male,flexible,440300,\n" + // 8 flexible without ratio
            resident_id("44030019910101067") + ",庚,440300,male,flexible,440300,3.5\n" +  // 9 ratio outside band
            resident_id("44030020300101077") + ",辛,440300,male,employee,,\n");        // 10 born in the future
  const auto summary = import_registry("people.csv");
  EXPECT_EQ(summary.accepted, 1);
  EXPECT_EQ(summary.rejected, 8);
  const std::string feedback = read(dir_ / "people.csv.feedback.csv");
  for (const char* row : {"3,rejected,resident_id,bad_character", "4,rejected,name,invalid_input",
                          "5,rejected,hukou_region,unknown_region", "6,rejected,retirement_category,invalid_input",
                          "7,rejected,scheme,unknown_category", "8,rejected,flexible_base_ratio,invalid_input",
                          "9,rejected,flexible_base_ratio,out_of_range", "10,rejected,resident_id,bad_birth_date"}) {
    EXPECT_NE(feedback.find(row), std::string::npos) << row << "\n" << feedback;
  }
  EXPECT_EQ(stats().persons, 5);
  // Importing again changes nothing.
  EXPECT_EQ(import_registry("people.csv").accepted, 1);
  EXPECT_EQ(stats().persons, 5);
}

TEST_P(LedgerFlow, MonthRunBooksBalancedEntriesOnce) {
  write("sep.csv", september());
  ASSERT_EQ(import_declarations("sep.csv").new_declarations, 2);
  const auto first = run(YearMonth::of(2026, 9));
  EXPECT_EQ(first.person_months, 3);
  EXPECT_EQ(first.flexible_months, 1);
  const auto after_first = stats();
  // The same declaration again: unchanged; the same month again: nothing booked.
  EXPECT_EQ(import_declarations("sep.csv").unchanged_declarations, 2);
  const auto second = run(YearMonth::of(2026, 9));
  EXPECT_EQ(second.person_months, 0);
  EXPECT_EQ(second.flexible_months, 0);
  EXPECT_EQ(stats().journal_entries, after_first.journal_entries);
  EXPECT_EQ(stats().postings, after_first.postings);
  // Account credits at 8 % of the clamped base (local average 10058: floor 6034.80, ceiling 30174.00).
  // Zhang 8000 → 640.00; Wang 3000 → floor 6034.80 → 482.78; Li 40000 → ceiling 30174 → 2413.92;
  // Liu (flexible, 60 %) 6034.80 → 482.78.
  EXPECT_EQ(after_first.personal_account_balance_fen, 64000 + 48278 + 241392 + 48278);
  expect_verified();
}

TEST_P(LedgerFlow, DeclaredLinesComeByDeclarationAndPersonWithTheirEmployerAsRegistered) {
  // Wang before Zhang in the file; the Chengdu declaration first.
  write("sep.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kChengdu + ",2026-09," + kLi +
                       ",40000.00,20,hire,2026-09-10\n" + kShenzhen + ",2026-09," + kWang +
                       ",3000.00,30,hire,2026-09-01\n" + kShenzhen + ",2026-09," + kZhang + ",8000.00,30,hire,2026-09-01\n");
  ASSERT_EQ(import_declarations("sep.csv").new_declarations, 2);
  const auto check = [](const std::vector<collection::DeclaredPersonMonth>& rows, const std::string& shenzhen_region) {
    ASSERT_EQ(rows.size(), 3U);
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const bool ordered = rows[i - 1].declaration_id < rows[i].declaration_id ||
                           (rows[i - 1].declaration_id == rows[i].declaration_id && rows[i - 1].person_id < rows[i].person_id);
      EXPECT_TRUE(ordered) << "row " << i;
    }
    for (const auto& row : rows) {
      EXPECT_EQ(row.month, YearMonth::of(2026, 9));
      if (row.employer_region == "510100") {
        EXPECT_EQ(row.employer_size, registry::EmployerSize::large);
        EXPECT_EQ(row.unit_type, registry::UnitType::enterprise);
        EXPECT_EQ(row.declared_wage, Money::from_fen(4000000));
      } else {
        EXPECT_EQ(row.employer_region, shenzhen_region);
        EXPECT_EQ(row.employer_size, registry::EmployerSize::small);
      }
    }
  };
  auto ids = db_->declarations_to_book(YearMonth::of(2026, 9));
  ASSERT_TRUE(ids) << ids.error().to_string();
  ASSERT_EQ(ids->size(), 2U);
  auto rows = db_->declared_person_months_of(*ids);
  ASSERT_TRUE(rows) << rows.error().to_string();
  check(*rows, "440300");
  // A declaration's lines read without the month's declarations first (a new
  // connection), and after its employer moved (the registry's new region).
  auto reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  auto alone = db_->declared_person_months_of(std::span(ids->data(), 1));
  ASSERT_TRUE(alone) << alone.error().to_string();
  EXPECT_FALSE(alone->empty());
  ASSERT_TRUE(db_->declarations_to_book(YearMonth::of(2026, 9)));
  write("moved.csv", "credit_code,name,region,size,unit_type\n" + kShenzhen + ",深圳示例,440304,small,enterprise\n");
  ASSERT_EQ(import_registry("moved.csv").accepted, 1);
  rows = db_->declared_person_months_of(*ids);
  ASSERT_TRUE(rows) << rows.error().to_string();
  check(*rows, "440304");
}

// Many declarations read in groups of any size (PostgreSQL reads them ahead on
// a second connection, 256 at a time): every line once, in order; a group out
// of turn, or a declaration written by the open transaction, is read as well.
TEST_P(LedgerFlow, DeclaredLinesOfManyDeclarationsInGroupsOfAnySize) {
  const YearMonth month = YearMonth::of(2026, 9);
  const auto zhang = db_->find_person(kZhang).value()->person_id;
  const auto wang = db_->find_person(kWang).value()->person_id;
  ASSERT_TRUE(db_->begin());
  std::vector<std::int64_t> employers;
  for (int i = 0; i < 600; ++i) {
    registry::Employer employer;
    char code[19];
    std::snprintf(code, sizeof code, "91440300MA%08d", i);
    employer.credit_code = code;
    employer.name = "e" + std::to_string(i);
    employer.region = i % 2 == 0 ? "440300" : "510100";
    auto id = db_->upsert_employer(employer);
    ASSERT_TRUE(id) << id.error().to_string();
    employers.push_back(*id);
    std::vector<storage::DeclarationLine> lines{{wang, 300000 + i, 30, "", std::nullopt}};
    if (i % 3 != 0) lines.push_back({zhang, 800000 + i, 30, "", std::nullopt});
    auto declared = db_->insert_declaration(*id, month, 1, "h" + std::to_string(i), "test", lines);
    ASSERT_TRUE(declared) << declared.error().to_string();
  }
  ASSERT_TRUE(db_->commit());
  auto ids = db_->declarations_to_book(month);
  ASSERT_TRUE(ids) << ids.error().to_string();
  ASSERT_EQ(ids->size(), 600U);
  std::vector<collection::DeclaredPersonMonth> all;
  for (std::size_t from = 0, size = 1; from < ids->size(); from += size, size = size * 3 % 251 + 1) {
    size = std::min(size, ids->size() - from);
    auto rows = db_->declared_person_months_of(std::span(ids->data() + from, size));
    ASSERT_TRUE(rows) << rows.error().to_string();
    all.insert(all.end(), rows->begin(), rows->end());
  }
  ASSERT_EQ(all.size(), 600U + 400U);
  std::size_t line = 0;
  for (std::size_t i = 0; i < ids->size(); ++i) {
    ASSERT_EQ(all[line].declaration_id, (*ids)[i]) << "declaration " << i;
    const bool two = all[line].person_id == std::min(zhang, wang) && line + 1 < all.size() &&
                     all[line + 1].declaration_id == (*ids)[i];
    const std::int64_t number = all[line].declared_wage.fen() % 100000;  // i, as declared
    EXPECT_EQ(all[line].employer_region, number % 2 == 0 ? "440300" : "510100");
    EXPECT_EQ(two, number % 3 != 0) << "declaration " << i;
    line += two ? 2 : 1;
  }
  EXPECT_EQ(line, all.size());
  // Out of turn: the last declaration, then the first again.
  auto last = db_->declared_person_months_of(std::span(ids->data() + ids->size() - 1, 1));
  ASSERT_TRUE(last) << last.error().to_string();
  EXPECT_FALSE(last->empty());
  auto first = db_->declared_person_months_of(std::span(ids->data(), 1));
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_FALSE(first->empty());
  EXPECT_EQ(first->front().declaration_id, ids->front());
  // A declaration of the open transaction is among the month's, with its lines.
  ASSERT_TRUE(db_->begin());
  auto added = db_->insert_declaration(employers.front(), YearMonth::of(2026, 10), 1, "new", "test",
                                       {{zhang, 123400, 30, "", std::nullopt}});
  ASSERT_TRUE(added) << added.error().to_string();
  auto october = db_->declarations_to_book(YearMonth::of(2026, 10));
  ASSERT_TRUE(october) << october.error().to_string();
  ASSERT_EQ(october->size(), 1U);
  auto rows = db_->declared_person_months_of(*october);
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->front().declared_wage, Money::from_fen(123400));
  db_->rollback();
}

TEST_P(LedgerFlow, ACorrectionReversesAndRebooksNeverUpdatesInPlace) {
  write("sep.csv", september());
  import_declarations("sep.csv");
  run(YearMonth::of(2026, 9));
  const auto before = stats();
  // Shenzhen corrects September: Zhang's wage changes, Wang is dropped.
  write("sep_fix.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2026-09," +
                           kZhang + ",9000.00,30,,\n");
  const auto corrected = import_declarations("sep_fix.csv");
  EXPECT_EQ(corrected.corrected_declarations, 1);
  const auto zhang = db_->find_person(kZhang).value()->person_id;
  const auto wang = db_->find_person(kWang).value()->person_id;
  EXPECT_EQ(*db_->personal_balance(zhang), 64000);
  EXPECT_EQ(*db_->personal_balance(wang), 48278);
  const auto rerun = run(YearMonth::of(2026, 9));
  EXPECT_EQ(rerun.person_months, 1);
  const auto after = stats();
  // One packed entry per declaration: its reversal (both persons) and the new one.
  EXPECT_EQ(rerun.reversals, 1);
  EXPECT_EQ(after.journal_entries, before.journal_entries + 2);
  // Three postings each for the two reversed person-months and the new one.
  EXPECT_EQ(after.postings, before.postings + 9);
  // Zhang now 720.00 instead of 640.00; Wang's 482.78 is reversed.
  EXPECT_EQ(after.personal_account_balance_fen, before.personal_account_balance_fen + 8000 - 48278);
  EXPECT_EQ(*db_->personal_balance(zhang), 72000);
  EXPECT_EQ(*db_->personal_balance(wang), 0);
  // What a pension simulation reads: Zhang's September stands, Wang's was reversed.
  auto facts = db_->pension_facts({zhang, wang}, YearMonth::of(2026, 12));
  ASSERT_TRUE(facts) << facts.error().to_string();
  ASSERT_EQ(facts->size(), 2u);
  EXPECT_EQ((*facts)[0].person_id, zhang);
  EXPECT_EQ((*facts)[0].contribution_months, 1);
  EXPECT_EQ((*facts)[0].account_fen, 72000);
  EXPECT_EQ((*facts)[1].contribution_months, 0);
  EXPECT_EQ((*facts)[1].account_fen, 0);
  // Months after `up_to` are not counted.
  EXPECT_EQ(db_->pension_facts({zhang}, YearMonth::of(2026, 8))->front().contribution_months, 0);
  expect_verified();
  // Nothing more on a third run.
  EXPECT_EQ(run(YearMonth::of(2026, 9)).reversals, 0);
}

TEST_P(LedgerFlow, PaymentsAndLateFees) {
  write("sep.csv", september());
  import_declarations("sep.csv");
  write("pay.csv", "credit_code,month,paid_on\n" + kShenzhen + ",2026-09,2026-10-10\n" + kChengdu +
                       ",2026-09,2026-11-20\n" + kChengdu + ",2026-09,2026-12-01\n");
  auto payments = ingest::import_payments(dir_ / "pay.csv", *db_, options_);
  ASSERT_TRUE(payments);
  EXPECT_EQ(payments->accepted, 2);  // a date in the future is refused
  EXPECT_EQ(payments->rejected, 1);
  run(YearMonth::of(2026, 9));
  const auto october = run(YearMonth::of(2026, 10));
  EXPECT_EQ(october.payments, 1);   // Shenzhen paid on time
  EXPECT_EQ(october.late_fees, 1);  // Chengdu: 16..31 October overdue
  const auto november = run(YearMonth::of(2026, 11));
  EXPECT_EQ(november.payments, 1);  // Chengdu paid on 20 November
  EXPECT_EQ(november.late_fees, 1); // 1..19 November
  EXPECT_EQ(run(YearMonth::of(2026, 11)).late_fees, 0);
  // Chengdu's dues: base 30174 × (16 % + 8 %) = 7241.76; fees 7241.76 × 0.05 % × (16 + 19) days = 126.73.
  EXPECT_EQ(stats().receivable_balance_fen, 12673);
  expect_verified();

  // The month run asks which late fees are booked at once: every kind of key,
  // in the order asked, booked or not.
  const std::int64_t chengdu = (*db_->find_employer(kChengdu))->employer_id;
  const std::int64_t liu = *(*db_->find_person_id(kLiu));
  const auto declaration = *db_->latest_declaration(chengdu, YearMonth::of(2026, 9));
  ASSERT_TRUE(declaration);
  const std::string fee = "late_fee/" + std::to_string(chengdu) + "/2026-09/2026-11";
  const std::vector<std::string> keys = {fee,
                                         "late_fee/" + std::to_string(chengdu) + "/2026-09/2026-12",
                                         "contribution/" + std::to_string(declaration->declaration_id),
                                         "contribution/" + std::to_string(declaration->declaration_id + 99999),
                                         "flexible/" + std::to_string(liu) + "/2026-10",
                                         "flexible/" + std::to_string(liu) + "/2027-01",
                                         "a \"quoted\", {braced} \\ key",
                                         fee};
  auto booked = db_->entries_exist(keys);
  ASSERT_TRUE(booked) << booked.error().to_string();
  EXPECT_EQ(*booked, (std::vector<bool>{true, false, true, false, true, false, false, true}));
  EXPECT_EQ(db_->entries_exist({})->size(), 0u);
}

// A month run after a later one (runs out of order): the month paid in full
// since, late, still gets its late fee for the days it was overdue in the month.
TEST_P(LedgerFlow, ARunOfAnEarlierMonthAfterALaterOneStillBooksItsLateFee) {
  write("sep.csv", september());
  import_declarations("sep.csv");
  write("pay.csv", "credit_code,month,paid_on\n" + kShenzhen + ",2026-09,2026-10-10\n" + kChengdu +
                       ",2026-09,2026-11-20\n");
  ASSERT_EQ(ingest::import_payments(dir_ / "pay.csv", *db_, options_)->accepted, 2);
  run(YearMonth::of(2026, 9));
  const auto november = run(YearMonth::of(2026, 11));
  EXPECT_EQ(november.payments, 2);   // both paid by the end of November
  EXPECT_EQ(november.late_fees, 1);  // Chengdu: 1..19 November
  const auto october = run(YearMonth::of(2026, 10));
  EXPECT_EQ(october.payments, 0);    // booked already
  EXPECT_EQ(october.late_fees, 1);   // Chengdu, paid in full since: 16..31 October
  // As when the months run in order: 7241.76 × 0.05 % × (16 + 19) days = 126.73.
  EXPECT_EQ(stats().receivable_balance_fen, 12673);
  expect_verified();
}

TEST_P(LedgerFlow, APaymentDatedWithinItsMonthIsBookedInThatMonthsRun) {
  write("sep.csv", september());
  import_declarations("sep.csv");
  write("pay.csv", "credit_code,month,paid_on\n" + kShenzhen + ",2026-09,2026-09-28\n");
  ASSERT_EQ(ingest::import_payments(dir_ / "pay.csv", *db_, options_)->accepted, 1);
  const auto september_run = run(YearMonth::of(2026, 9));
  EXPECT_EQ(september_run.payments, 1);  // Shenzhen's September, paid before its run
  EXPECT_EQ(september_run.late_fees, 0);
  EXPECT_EQ(stats().receivable_balance_fen, 724176);  // Chengdu's 7241.76 only
  const auto october_run = run(YearMonth::of(2026, 10));
  EXPECT_EQ(october_run.payments, 0);
  EXPECT_EQ(october_run.late_fees, 1);  // Chengdu only
  expect_verified();
}

// A month run's reads of the flexible workers and of the employer-months to
// settle see what the same transaction wrote after the month's declarations
// were read (on PostgreSQL those reads start on a side connection then, which
// does not see the open transaction's writes).
TEST_P(LedgerFlow, MonthRunReadsSeeTheTransactionsOwnEarlierWrites) {
  write("sep.csv", september());
  import_declarations("sep.csv");
  const YearMonth september_month = YearMonth::of(2026, 9);
  const std::int64_t shenzhen = (*db_->find_employer(kShenzhen))->employer_id;
  const std::int64_t chengdu = (*db_->find_employer(kChengdu))->employer_id;
  ASSERT_TRUE(db_->begin());
  auto ids = db_->declarations_to_book(september_month);
  ASSERT_TRUE(ids) << ids.error().to_string();
  EXPECT_EQ(ids->size(), 2u);
  // Zhang becomes a flexible worker; Shenzhen owes for August, and for
  // September, paid after it; Chengdu owes for September and pays within it.
  registry::Person zhang = **db_->find_person(kZhang);
  zhang.scheme = registry::Scheme::flexible;
  zhang.scheme_region = "440300";
  zhang.flexible_base_ratio = *Decimal::parse("0.60");
  ASSERT_TRUE(db_->upsert_persons(std::span(&zhang, 1)));
  ASSERT_TRUE(db_->add_employer_month(shenzhen, YearMonth::of(2026, 8), 50000, 0));
  ASSERT_TRUE(db_->add_employer_month(chengdu, september_month, 70000, 0));
  ASSERT_TRUE(db_->record_payment(chengdu, september_month, Date::of(2026, 9, 30)));
  ASSERT_TRUE(db_->add_employer_month(shenzhen, september_month, 30000, 0));
  ASSERT_TRUE(db_->record_payment(shenzhen, september_month, Date::of(2026, 10, 1)));

  auto flexible = db_->flexible_months_to_book(september_month);
  ASSERT_TRUE(flexible) << flexible.error().to_string();
  std::vector<std::int64_t> flexible_persons;
  for (const auto& member : *flexible) flexible_persons.push_back(member.person_id);
  EXPECT_EQ(flexible_persons, (std::vector<std::int64_t>{*(*db_->find_person_id(kZhang)),
                                                         *(*db_->find_person_id(kLiu))}));
  using Part = storage::Database::SettlePart;
  auto before = db_->employer_dues_to_settle(september_month, Part::before);
  ASSERT_TRUE(before) << before.error().to_string();
  ASSERT_EQ(before->size(), 1u);
  EXPECT_EQ((*before)[0].employer_id, shenzhen);
  EXPECT_EQ((*before)[0].month, YearMonth::of(2026, 8));
  EXPECT_EQ((*before)[0].dues_fen, 50000);
  EXPECT_FALSE((*before)[0].paid_on);
  auto within = db_->employer_dues_to_settle(september_month, Part::within);
  ASSERT_TRUE(within) << within.error().to_string();
  ASSERT_EQ(within->size(), 1u);
  EXPECT_EQ((*within)[0].employer_id, chengdu);
  EXPECT_EQ((*within)[0].month, september_month);
  EXPECT_EQ((*within)[0].dues_fen, 70000);
  EXPECT_EQ((*within)[0].paid_on, Date::of(2026, 9, 30));
  // The two parts are rows of the whole, in order; the within part leaves out
  // Shenzhen's September, which no payment dated by 30 September settles.
  auto whole = db_->employer_dues_to_settle(september_month);
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->size(), 3u);
  EXPECT_EQ((*whole)[0].employer_id, shenzhen);
  EXPECT_EQ((*whole)[0].month, YearMonth::of(2026, 8));
  EXPECT_EQ((*whole)[1].employer_id, shenzhen);
  EXPECT_EQ((*whole)[1].month, september_month);
  EXPECT_EQ((*whole)[1].paid_on, Date::of(2026, 10, 1));
  EXPECT_EQ((*whole)[2].employer_id, chengdu);
  db_->rollback();

  // Without such writes, the same reads (taken from the side connection on
  // PostgreSQL) give the committed rows.
  ASSERT_TRUE(db_->declarations_to_book(september_month));
  EXPECT_EQ(db_->flexible_months_to_book(september_month)->size(), 1u);  // Liu
  EXPECT_TRUE(db_->employer_dues_to_settle(september_month, Part::before)->empty());
  EXPECT_TRUE(db_->employer_dues_to_settle(september_month, Part::within)->empty());
}

TEST_P(LedgerFlow, MonthsOutsideTheRulesAreReportedNotBooked) {
  write("old.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2023-05," +
                       kZhang + ",8000.00,31,hire,2023-05-01\n");
  import_declarations("old.csv");
  const auto summary = run(YearMonth::of(2023, 5));
  EXPECT_EQ(summary.person_months, 0);
  ASSERT_EQ(summary.problems.size(), 2u);  // the declaration and the flexible worker
  EXPECT_NE(summary.problems[0].find("average_wage_for_base"), std::string::npos) << summary.problems[0];
  expect_verified();
}

TEST_P(LedgerFlow, YearlyInterestNeedsThePublishedRate) {
  write("dec.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2024-03," +
                       kZhang + ",8000.00,31,hire,2024-03-01\n");
  import_declarations("dec.csv");
  run(YearMonth::of(2024, 3));
  auto missing = jobs::run_year(2025, *db_, rules_store(), {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::rule_missing);
  auto credited = jobs::run_year(2024, *db_, rules_store(), {});
  ASSERT_TRUE(credited) << credited.error().to_string();
  // Zhang: 640.00 credited for March at 2.62 % × 10/12 = 13.97; Liu: 482.78 for March at the same → 10.54.
  EXPECT_EQ(credited->accounts, 2);
  EXPECT_EQ(credited->interest_fen, 1397 + 1054);
  EXPECT_EQ(jobs::run_year(2024, *db_, rules_store(), {})->accounts, 0);
  expect_verified();
}

// The year's activity is read from the packed entries too: one whose lines are
// not of the form stops the interest run, naming the entry, with nothing credited.
TEST_P(LedgerFlow, YearlyInterestStopsAtAPackedEntryNotOfTheForm) {
  if (postgres()) GTEST_SKIP() << "SQLite's reader of the packed form";
  write("dec.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2024-03," +
                       kZhang + ",8000.00,31,hire,2024-03-01\n");
  import_declarations("dec.csv");
  run(YearMonth::of(2024, 3));
  std::string entry;
  db_.reset();
  ASSERT_EQ(exec_raw("SELECT MIN(entry_id) FROM journal_entries WHERE kind = 1", &entry), "");
  ASSERT_EQ(exec_raw("UPDATE journal_entries SET lines = json_set(lines, '$.lines[0][2]', 'x') WHERE entry_id = " +
                     entry),
            "");
  db_ = std::move(*storage::open_database(url_));
  const auto before = stats();
  auto refused = jobs::run_year(2024, *db_, rules_store(), {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().to_string().find("journal entry " + entry), std::string::npos) << refused.error().to_string();
  EXPECT_NE(refused.error().to_string().find("line 1 holds something other than an integer"), std::string::npos)
      << refused.error().to_string();
  EXPECT_EQ(stats().journal_entries, before.journal_entries);
}

// verify tells its caller as each check ends (the command's progress line):
// once per check, counting up to all of them, with the same results.
TEST_P(LedgerFlow, VerifyReportsEachCheckAsItEnds) {
  write("sep.csv", september());
  import_declarations("sep.csv");
  run(YearMonth::of(2026, 9));
  std::vector<std::pair<std::size_t, std::size_t>> reported;
  auto checks = db_->verify([&](std::size_t done, std::size_t total) { reported.emplace_back(done, total); });
  ASSERT_TRUE(checks) << checks.error().to_string();
  ASSERT_GT(checks->size(), 10u);
  ASSERT_EQ(reported.size(), checks->size());
  for (std::size_t i = 0; i < reported.size(); ++i) {
    EXPECT_EQ(reported[i].first, i + 1);
    EXPECT_EQ(reported[i].second, checks->size());
  }
  auto quiet = db_->verify();
  ASSERT_TRUE(quiet);
  ASSERT_EQ(quiet->size(), checks->size());
  for (std::size_t i = 0; i < checks->size(); ++i) {
    EXPECT_EQ((*quiet)[i].name, (*checks)[i].name);
    EXPECT_EQ((*quiet)[i].checked, (*checks)[i].checked);
    EXPECT_EQ((*quiet)[i].failures, 0) << (*quiet)[i].name << ": " << (*quiet)[i].first_failure;
  }
}

TEST_P(LedgerFlow, VerifyFindsTamperedPostings) {
  write("sep.csv", september());
  import_declarations("sep.csv");
  run(YearMonth::of(2026, 9));
  expect_verified();
  db_.reset();
  // One posting (the first person's personal one) of the first entry, a packed
  // contribution entry, changes by a fen.
  const char* tamper =
      postgres() ? "UPDATE journal_entries SET lines = jsonb_set(lines::jsonb, '{lines,0,2}', "
                   "to_jsonb((lines -> 'lines' -> 0 ->> 2)::bigint + 1))::json "
                   "WHERE entry_id = (SELECT MIN(entry_id) FROM journal_entries)"
                 : "UPDATE journal_entries SET lines = json_replace(lines, '$.lines[0][2]', "
                   "(lines ->> '$.lines[0][2]') + 1) WHERE entry_id = (SELECT MIN(entry_id) FROM journal_entries)";
  if (postgres()) {
    ASSERT_EQ(pg_exec(url_, tamper), "");
  } else {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "test.db").c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, tamper, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  db_ = std::move(*storage::open_database(url_));
  auto checks = db_->verify();
  ASSERT_TRUE(checks);
  std::int64_t failures = 0;
  for (const auto& check : *checks) {
    failures += check.failures;
    if (check.name == "journal entries sum to zero") {
      EXPECT_EQ(check.failures, 1) << check.first_failure;
    }
  }
  EXPECT_GT(failures, 0);
}

TEST_P(LedgerFlow, MigrationsAreVersionedAndIdempotent) {
  auto again = db_->migrate();
  ASSERT_TRUE(again) << again.error().to_string();
  // Both backends: 1-4, 5 for the HTTP API, 6 for the person search, 7 for the
  // review queue, 8 contributions packed, 9 flexible payments packed, 10
  // employer-keyed index entries off the month run's path, 11 payments and
  // late fees packed, 12 employer-month totals updated in place (PostgreSQL's;
  // nothing to change on SQLite), 13 the change mark of persons' matching
  // fields, 14 declaration lines packed per declaration (SQLite's; nothing to
  // change on PostgreSQL). The runner applies every missing one.
  const int latest = 14;
  EXPECT_EQ(*again, latest);
  db_.reset();
  auto reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  EXPECT_EQ(*(*reopened)->migrate(), latest);
  EXPECT_EQ((*reopened)->stats()->persons, 4);
}

// A database written before migrations 8 and 9 (one entry per person-month, a
// correction's reversals one per person-month, a flexible worker's month one
// entry with three posting rows) is converted: the same figures,
// verify passes, and the month runs find nothing left to book.
TEST_P(LedgerFlow, MigrationsEightAndNinePackEntriesBookedOnePerPersonMonth) {
  write("sep.csv", september());
  import_declarations("sep.csv");
  run(YearMonth::of(2026, 9));
  write("sep_fix.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2026-09," +
                           kZhang + ",9000.00,30,,\n");
  import_declarations("sep_fix.csv");
  run(YearMonth::of(2026, 9));
  write("oct.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2026-10," +
                       kZhang + ",9000.00,31,,\n" + kShenzhen + ",2026-10," + kWang + ",5000.00,31,hire,2026-10-01\n");
  import_declarations("oct.csv");
  run(YearMonth::of(2026, 10));
  const auto packed_stats = stats();
  const auto zhang = db_->find_person(kZhang).value()->person_id;
  const std::int64_t zhang_balance = *db_->personal_balance(zhang);
  const auto liu = db_->find_person(kLiu).value()->person_id;
  const std::int64_t liu_balance = *db_->personal_balance(liu);
  ASSERT_EQ(liu_balance, 2 * 48278);  // 2026-09 and 2026-10 (flexible)
  const auto liu_facts = db_->pension_facts({liu}, YearMonth::of(2026, 10)).value();
  db_.reset();
  // The layout of migrations 1-5: every packed line becomes its own entry
  // (ids far above the packed ones), a packed reversal one reversal per line,
  // a flexible line an entry of the worker (collection bank, personal, pooled),
  // a late fee an entry of the employer.
  const std::string lines_table =
      postgres()
          ? "CREATE TEMP TABLE lines AS SELECT e.entry_id, e.kind, e.month, e.source_id, e.corrects_entry_id, "
            "(e.lines ->> 'employer')::bigint AS employer, (e.lines ->> 'province')::int AS province, j.n - 1 AS k, "
            "(j.v ->> 0)::bigint AS person, (j.v ->> 1)::bigint AS receivable, (j.v ->> 2)::bigint AS personal, "
            "(j.v ->> 3)::bigint AS pooled FROM journal_entries e "
            "CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') WITH ORDINALITY j(v, n) "
            "WHERE e.lines IS NOT NULL;"
          : "CREATE TEMP TABLE lines AS SELECT e.entry_id, e.kind, e.month, e.source_id, e.corrects_entry_id, "
            "e.lines ->> '$.employer' AS employer, e.lines ->> '$.province' AS province, j.key AS k, "
            "j.value ->> 0 AS person, j.value ->> 1 AS receivable, j.value ->> 2 AS personal, "
            "j.value ->> 3 AS pooled FROM journal_entries e CROSS JOIN json_each(e.lines, '$.lines') j "
            "WHERE e.lines IS NOT NULL;";
  const std::string unpack = lines_table + R"SQL(
DELETE FROM journal_entries WHERE lines IS NOT NULL;
ALTER TABLE journal_entries DROP COLUMN lines;
INSERT INTO journal_entries (entry_id, idempotency_key, person_id, kind, month, source_id, corrects_entry_id)
SELECT 100000 + entry_id * 100 + k,
       CASE WHEN kind IN (1, 2) THEN '' ELSE 'reversal/contribution/' || source_id || '/' || person END, person,
       kind, month, source_id, CASE WHEN kind IN (1, 2) THEN NULL ELSE 100000 + corrects_entry_id * 100 + k END
FROM lines;
INSERT INTO postings (entry_id, seq, person_id, account_kind, account_owner, amount_fen)
SELECT 100000 + entry_id * 100 + k, 0, person, CASE kind WHEN 2 THEN 4 ELSE 3 END,
       CASE kind WHEN 2 THEN province ELSE employer END, receivable FROM lines WHERE receivable <> 0 UNION ALL
SELECT 100000 + entry_id * 100 + k, 1, person, 1, person, personal FROM lines WHERE personal <> 0 UNION ALL
SELECT 100000 + entry_id * 100 + k, 2, person, 2, province, pooled FROM lines WHERE pooled <> 0;
DROP INDEX journal_flexible_by_person;
DELETE FROM schema_migrations WHERE version IN (8, 9, 11);
)SQL";
  ASSERT_EQ(exec_raw(unpack_settlements() + unpack), "");
  auto reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  const auto converted = stats();
  EXPECT_EQ(converted.journal_entries, packed_stats.journal_entries);
  EXPECT_EQ(converted.postings, packed_stats.postings);
  EXPECT_EQ(converted.personal_account_balance_fen, packed_stats.personal_account_balance_fen);
  EXPECT_EQ(converted.pooled_fund_balance_fen, packed_stats.pooled_fund_balance_fen);
  EXPECT_EQ(converted.receivable_balance_fen, packed_stats.receivable_balance_fen);
  EXPECT_EQ(*db_->personal_balance(zhang), zhang_balance);
  EXPECT_EQ(*db_->personal_balance(liu), liu_balance);
  const auto liu_converted = db_->pension_facts({liu}, YearMonth::of(2026, 10)).value();
  ASSERT_EQ(liu_converted.size(), 1u);
  EXPECT_EQ(liu_converted[0].contribution_months, liu_facts[0].contribution_months);
  EXPECT_EQ(liu_converted[0].account_fen, liu_facts[0].account_fen);
  EXPECT_EQ(liu_converted[0].contribution_months, 2);
  expect_verified();
  for (const YearMonth month : {YearMonth::of(2026, 9), YearMonth::of(2026, 10)}) {
    const auto again = run(month);
    EXPECT_EQ(again.reversals, 0);
    EXPECT_EQ(again.person_months, 0);
    EXPECT_EQ(again.flexible_months, 0);
  }
  EXPECT_EQ(stats().journal_entries, packed_stats.journal_entries);
  EXPECT_EQ(stats().postings, packed_stats.postings);
}

// A database written at migration 9 (journal_by_person over every entry; on
// SQLite employer_months in employer order, without the indexes of the unsettled
// months and of payment dates; payments and late fees one entry each) migrates
// to 10 (and 11): the same employer-months, the same
// rows to settle (unpaid dues, and a month paid in full after its run month
// began), the same figures; verify passes, a re-run books nothing, and the next
// month books its payment and late fee.
TEST_P(LedgerFlow, MigrationTenKeepsEmployerMonthsAndTheArrearsToSettle) {
  declare_september_october_with_payments();
  if (HasFatalFailure()) return;
  run(YearMonth::of(2026, 9));
  run(YearMonth::of(2026, 10));
  const auto november = run(YearMonth::of(2026, 11));
  EXPECT_EQ(november.payments, 2);  // Chengdu's September, Shenzhen's October
  const auto text_of = [](const std::vector<storage::EmployerMonthDues>& rows) {
    std::string text;
    for (const auto& row : rows) {
      text += std::to_string(row.employer_id) + " " + row.employer_region + " " + row.month.to_string() + " " +
              std::to_string(row.dues_fen) + " " + std::to_string(row.paid_fen) + " " +
              (row.paid_on ? row.paid_on->to_string() : "-") + "\n";
    }
    return text;
  };
  const std::string dues = text_of(*db_->employer_dues(YearMonth::of(2026, 12)));
  const std::string to_settle_november = text_of(*db_->employer_dues_to_settle(YearMonth::of(2026, 11)));
  const std::string to_settle_december = text_of(*db_->employer_dues_to_settle(YearMonth::of(2026, 12)));
  const std::int64_t chengdu = (*db_->find_employer(kChengdu))->employer_id;
  // Chengdu's September, paid in full on 20 November, is read again in November
  // (paid after the month began), not in December.
  EXPECT_NE(to_settle_november.find(std::to_string(chengdu) + " 510100 2026-09"), std::string::npos)
      << to_settle_november;
  EXPECT_EQ(to_settle_december.find(std::to_string(chengdu) + " 510100 2026-09"), std::string::npos)
      << to_settle_december;
  const auto before = stats();
  const auto zhang = db_->find_person(kZhang).value()->person_id;
  const std::int64_t zhang_balance = *db_->personal_balance(zhang);
  db_.reset();
  const std::string migration_nine =
      unpack_settlements() +
      std::string(postgres() ? "CREATE INDEX employer_months_unsettled ON employer_months (month) "
                               "WHERE dues_fen <> paid_fen;"
                               "ALTER TABLE employer_months RESET (fillfactor);"
                             : "CREATE TABLE employer_months_v9 (employer_id INTEGER NOT NULL, month INTEGER NOT NULL, "
                               "dues_fen INTEGER NOT NULL, paid_fen INTEGER NOT NULL, PRIMARY KEY (employer_id, month)) "
                               "WITHOUT ROWID;"
                               "INSERT INTO employer_months_v9 SELECT employer_id, month, dues_fen, paid_fen "
                               "FROM employer_months;"
                               "DROP TABLE employer_months;"
                               "ALTER TABLE employer_months_v9 RENAME TO employer_months;"
                               "DROP INDEX payments_by_date;") +
      "DROP INDEX journal_by_person;"
      "CREATE INDEX journal_by_person ON journal_entries (person_id, month);"
      "DROP INDEX postings_by_account;"
      "CREATE INDEX postings_by_account ON postings (account_kind, account_owner);" +
      std::string(postgres() ? "DROP TRIGGER persons_match_changed ON persons;"
                               "DROP FUNCTION persons_match_changed();"
                             : "DROP TRIGGER persons_match_changed;"
                               "DROP INDEX persons_match_changed;") +
      "ALTER TABLE persons DROP COLUMN match_changed;" +
      unpack_declaration_lines() + "DELETE FROM schema_migrations WHERE version IN (10, 11, 12, 13, 14);";
  ASSERT_EQ(exec_raw(migration_nine), "");
  std::string version;
  ASSERT_EQ(exec_raw("SELECT MAX(version) FROM schema_migrations", &version), "");
  ASSERT_EQ(version, "9");
  auto reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  EXPECT_EQ(text_of(*db_->employer_dues(YearMonth::of(2026, 12))), dues);
  EXPECT_EQ(text_of(*db_->employer_dues_to_settle(YearMonth::of(2026, 11))), to_settle_november);
  EXPECT_EQ(text_of(*db_->employer_dues_to_settle(YearMonth::of(2026, 12))), to_settle_december);
  const auto after = stats();
  // Payments and late fees packed again (migration 11) per entry month: a
  // payment's is the month it settles, so September's payments, booked by the
  // October and November runs, are one more entry.
  EXPECT_EQ(after.journal_entries, before.journal_entries + 1);
  EXPECT_EQ(after.postings, before.postings);
  EXPECT_EQ(after.receivable_balance_fen, before.receivable_balance_fen);
  EXPECT_EQ(after.pooled_fund_balance_fen, before.pooled_fund_balance_fen);
  EXPECT_EQ(after.personal_account_balance_fen, before.personal_account_balance_fen);
  EXPECT_EQ(*db_->personal_balance(zhang), zhang_balance);
  expect_verified();
  db_.reset();
  // The migrated layout: employers' entries out of journal_by_person, their
  // receivables out of postings_by_account, the arrears query's indexes
  // present (PostgreSQL has had them since migration 4; its migration 12 drops
  // employer_months_unsettled, which its arrears query does not read, and
  // leaves half of each new page of employer_months for the updates).
  const auto index_definition = [&](const std::string& name) {
    std::string definition;
    EXPECT_EQ(exec_raw(postgres() ? "SELECT indexdef FROM pg_indexes WHERE indexname = '" + name + "'"
                                  : "SELECT sql FROM sqlite_master WHERE name = '" + name + "'",
                       &definition),
              "");
    return definition;
  };
  std::string definition = index_definition("journal_by_person");
  EXPECT_NE(definition.find(postgres() ? "WHERE (person_id > 0)" : "WHERE person_id > 0"), std::string::npos)
      << definition;
  definition = index_definition("postings_by_account");
  EXPECT_NE(definition.find(postgres() ? "WHERE (account_kind = 1)" : "WHERE account_kind = 1"), std::string::npos)
      << definition;
  std::string indexes;
  ASSERT_EQ(exec_raw(postgres() ? "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN "
                                  "('employer_months_unsettled', 'payments_by_date')"
                                : "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                                  "('employer_months_unsettled', 'payments_by_date')",
                     &indexes),
            "");
  EXPECT_EQ(indexes, postgres() ? "1" : "2");
  if (postgres()) {
    // No index of employer_months names dues_fen or paid_fen (each update of
    // the totals can stay on its page), and its pages keep room for them.
    ASSERT_EQ(exec_raw("SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes "
                       "WHERE tablename = 'employer_months'",
                       &definition),
              "");
    EXPECT_EQ(definition.find("dues_fen"), std::string::npos) << definition;
    EXPECT_EQ(definition.find("paid_fen"), std::string::npos) << definition;
    std::string options;
    ASSERT_EQ(exec_raw("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'employer_months'",
                       &options),
              "");
    EXPECT_EQ(options, "fillfactor=50");
  } else {
    ASSERT_EQ(exec_raw("SELECT sql FROM sqlite_master WHERE name = 'employer_months'", &definition), "");
    EXPECT_NE(definition.find("PRIMARY KEY (month, employer_id)"), std::string::npos) << definition;
  }
  reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  const auto again = run(YearMonth::of(2026, 11));
  EXPECT_EQ(again.payments, 0);
  EXPECT_EQ(again.late_fees, 0);
  EXPECT_EQ(stats().journal_entries, after.journal_entries);
  // December: Chengdu's October is still unpaid (a late fee), nothing is paid.
  const auto december = run(YearMonth::of(2026, 12));
  EXPECT_EQ(december.payments, 0);
  EXPECT_EQ(december.late_fees, 1);
  expect_verified();
}

// A database written at migration 10 (every payment and late fee its own
// entry with two posting rows and a text key) migrates to 11: the rows become
// packed lines with the same keys, and the figures, the late fees the
// compliance report reads, the keys found booked and verify are the same; a
// re-run books nothing, and the next month books its late fee.
TEST_P(LedgerFlow, MigrationElevenPacksPaymentsAndLateFeesBookedOnePerRow) {
  declare_september_october_with_payments();
  if (HasFatalFailure()) return;
  run(YearMonth::of(2026, 9));
  const auto october = run(YearMonth::of(2026, 10));
  EXPECT_EQ(october.payments, 1);
  EXPECT_EQ(october.late_fees, 1);
  const auto november = run(YearMonth::of(2026, 11));
  EXPECT_EQ(november.payments, 2);
  // Chengdu's September (1..19 November) and October (from 16 November),
  // Shenzhen's October (16..27 November).
  EXPECT_EQ(november.late_fees, 3);
  const std::int64_t shenzhen = (*db_->find_employer(kShenzhen))->employer_id;
  const std::int64_t chengdu = (*db_->find_employer(kChengdu))->employer_id;
  const std::string c = std::to_string(chengdu);
  const std::vector<std::string> keys = {
      "payment/" + std::to_string(shenzhen) + "/2026-09/2026-10-10/0",
      "payment/" + c + "/2026-09/2026-11-20/0",
      "payment/" + std::to_string(shenzhen) + "/2026-10/2026-11-28/0",
      "late_fee/" + c + "/2026-09/2026-10",
      "late_fee/" + c + "/2026-09/2026-11",
      "late_fee/" + c + "/2026-10/2026-11",
      "late_fee/" + std::to_string(shenzhen) + "/2026-10/2026-11",
      "late_fee/" + c + "/2026-10/2026-12",     // not yet
      "payment/" + c + "/2026-09/2026-11-20/1",  // another amount paid before
      "payment/" + c + "/2026-09/2026-11-21/0",  // another date
      "late_fee/" + c + "/2026-09"};            // not a key of the form
  const std::vector<bool> booked = {true, true, true, true, true, true, true, false, false, false, false};
  ASSERT_EQ(*db_->entries_exist(keys), booked);
  EXPECT_TRUE(*db_->entry_exists(keys[1]));
  EXPECT_FALSE(*db_->entry_exists(keys[8]));
  const auto fees_of = [&]() {
    std::string text;
    auto all = db_->employer_facts(YearMonth::of(2026, 12));
    EXPECT_TRUE(all) << all.error().to_string();
    if (!all) return text;
    for (const auto& facts : *all) {
      text += std::to_string(facts.employer.employer_id) + " " + std::to_string(facts.arrears_fen) + " " +
              std::to_string(facts.unpaid_months) + " " + std::to_string(facts.late_fees_fen) + "\n";
    }
    return text;
  };
  const std::string fees = fees_of();
  EXPECT_NE(fees.find(c + " "), std::string::npos) << fees;
  const auto packed = stats();
  expect_verified();
  std::string count;
  ASSERT_EQ(exec_raw("SELECT COUNT(*) FROM journal_entries WHERE kind = 9", &count), "");
  EXPECT_EQ(count, "2");  // one per run month: all employers lie in one block
  db_.reset();
  // The layout of migration 10: every line its own entry (ids far above the
  // packed ones) with its key, its two postings as rows.
  ASSERT_EQ(exec_raw(unpack_settlements() + "DELETE FROM schema_migrations WHERE version = 11;"), "");
  ASSERT_EQ(exec_raw("SELECT COUNT(*) FROM journal_entries WHERE kind IN (3, 4)", &count), "");
  ASSERT_EQ(count, "7");
  auto reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  const auto converted = stats();
  // Grouped by entry month (a payment's is the month it settles): September's
  // payments, October's and November's late fees and October's payment.
  EXPECT_EQ(converted.journal_entries, packed.journal_entries + 1);
  EXPECT_EQ(converted.postings, packed.postings);
  EXPECT_EQ(converted.personal_account_balance_fen, packed.personal_account_balance_fen);
  EXPECT_EQ(converted.pooled_fund_balance_fen, packed.pooled_fund_balance_fen);
  EXPECT_EQ(converted.receivable_balance_fen, packed.receivable_balance_fen);
  EXPECT_EQ(fees_of(), fees);
  EXPECT_EQ(*db_->entries_exist(keys), booked);
  expect_verified();
  ASSERT_EQ(exec_raw("SELECT COUNT(*) FROM journal_entries WHERE kind IN (3, 4)", &count), "");
  EXPECT_EQ(count, "0");
  ASSERT_EQ(exec_raw("SELECT COUNT(*) FROM postings", &count), "");
  EXPECT_EQ(count, "0");
  const auto again = run(YearMonth::of(2026, 11));
  EXPECT_EQ(again.payments, 0);
  EXPECT_EQ(again.late_fees, 0);
  EXPECT_EQ(stats().journal_entries, converted.journal_entries);
  // December: Chengdu's October is still unpaid (a late fee), nothing is paid.
  const auto december = run(YearMonth::of(2026, 12));
  EXPECT_EQ(december.payments, 0);
  EXPECT_EQ(december.late_fees, 1);
  EXPECT_TRUE(*db_->entry_exists("late_fee/" + c + "/2026-10/2026-12"));
  expect_verified();
}

// A declaration import reads the file on one thread and stores on another. A
// storage failure in the middle of a large file stops both: the import fails
// with the storage's error (no hang while the reader waits to hand over more),
// the open transaction is rolled back whole, and the lines before the failing
// unit got their feedback.
TEST_P(LedgerFlow, AStorageFailureMidFileStopsTheReaderAndKeepsNothingHalfDone) {
  if (postgres()) GTEST_SKIP() << "the failure is made with a SQLite trigger";
  db_.reset();
  ASSERT_EQ(exec_raw("CREATE TRIGGER refuse_chengdu BEFORE INSERT ON declarations "
                     "WHEN NEW.employer_id = (SELECT employer_id FROM employers WHERE credit_code = '" + kChengdu +
                     "') BEGIN SELECT RAISE(ABORT, 'declarations of this employer are refused'); END;"),
            "");
  auto reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  std::string file = "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2026-09," +
                     kZhang + ",8000.00,30,hire,2026-09-01\n" + kChengdu + ",2026-09," + kLi +
                     ",40000.00,20,hire,2026-09-10\n";
  // Far more lines after it than the threads hand over at once.
  for (int i = 0; i < 150000; ++i) file += kShenzhen + ",2026-08," + kWang + ",3000.00,31,,\n";
  write("big.csv", file);
  auto failed = ingest::import_declarations(dir_ / "big.csv", *db_, options_);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().to_string().find("declarations of this employer are refused"), std::string::npos)
      << failed.error().to_string();
  const auto after = stats();
  EXPECT_EQ(after.declarations, 0);
  EXPECT_EQ(after.declaration_lines, 0);
  auto spells = db_->employees_in((*db_->find_employer(kShenzhen))->employer_id, YearMonth::of(2026, 9), 10);
  ASSERT_TRUE(spells && *spells);
  EXPECT_TRUE((*spells)->empty());  // Zhang's hire went with the transaction
  const std::string feedback = read(dir_ / "big.csv.feedback.csv");
  EXPECT_NE(feedback.find("\n2,accepted,,,\n"), std::string::npos) << feedback.substr(0, 200);
  EXPECT_EQ(feedback.find("\n3,"), std::string::npos) << feedback.substr(0, 200);
  // Without the trigger the same file imports: the two declarations, and the
  // 150,000 lines of a person not employed there rejected.
  db_.reset();
  ASSERT_EQ(exec_raw("DROP TRIGGER refuse_chengdu"), "");
  reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  const auto summary = import_declarations("big.csv");
  EXPECT_EQ(summary.accepted, 2);
  EXPECT_EQ(summary.rejected, 150000);
  EXPECT_EQ(stats().declarations, 2);
}

// A month run's reads that a backend starts ahead with the month's
// declarations (the flexible workers to book, the employer-months to settle
// before the month) are the same as reading them when asked, and a write
// between that changes them is seen: the read ahead is not used then.
TEST_P(LedgerFlow, ReadsStartedAheadOfAMonthRunSeeTheWritesMadeSince) {
  declare_september_october_with_payments();
  if (HasFatalFailure()) return;
  run(YearMonth::of(2026, 9));
  const YearMonth october = YearMonth::of(2026, 10);
  const auto dues_text = [&](YearMonth month) {
    std::string text;
    auto rows = db_->employer_dues_to_settle(month, storage::Database::SettlePart::before);
    EXPECT_TRUE(rows) << rows.error().to_string();
    if (!rows) return text;
    for (const auto& row : *rows) {
      text += std::to_string(row.employer_id) + " " + row.month.to_string() + " " + std::to_string(row.dues_fen) +
              " " + std::to_string(row.paid_fen) + " " + (row.paid_on ? row.paid_on->to_string() : "-") + "\n";
    }
    return text;
  };
  const auto flexible_text = [&](YearMonth month) {
    std::string text;
    auto rows = db_->flexible_months_to_book(month);
    EXPECT_TRUE(rows) << rows.error().to_string();
    if (!rows) return text;
    for (const auto& row : *rows) text += std::to_string(row.person_id) + " " + row.scheme_region + "\n";
    return text;
  };
  // Read when asked, with nothing started ahead.
  const std::string dues = dues_text(october);
  const std::string flexible = flexible_text(october);
  EXPECT_NE(dues, "");
  EXPECT_NE(flexible, "");
  // Started ahead, nothing written since: the same rows, whether ready yet or not.
  ASSERT_FALSE(db_->declarations_to_book(october)->empty());
  EXPECT_EQ(flexible_text(october), flexible);
  EXPECT_EQ(dues_text(october), dues);
  EXPECT_TRUE(db_->employer_dues_ready(october, storage::Database::SettlePart::before));  // taken: nothing to wait for
  // Started ahead and read (waited for), then an employer-month before October
  // paid in part and a flexible worker registered: both are in what is asked.
  ASSERT_FALSE(db_->declarations_to_book(october)->empty());
  for (int i = 0; i < 10000 && !db_->employer_dues_ready(october, storage::Database::SettlePart::before); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::int64_t chengdu = (*db_->find_employer(kChengdu))->employer_id;
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->add_employer_month(chengdu, YearMonth::of(2026, 9), 0, 12345));
  registry::Person added = *db_->find_person(kLiu).value();
  added.person_id = 0;
  added.resident_id = resident_id("44030019900707008");
  added.name = "新灵活";
  ASSERT_TRUE(db_->upsert_person(added));
  ASSERT_TRUE(db_->commit());
  const std::string dues_after = dues_text(october);
  EXPECT_NE(dues_after, dues);
  EXPECT_NE(dues_after.find(" 12345 "), std::string::npos) << dues_after;
  const std::string flexible_after = flexible_text(october);
  EXPECT_EQ(std::count(flexible_after.begin(), flexible_after.end(), '\n'),
            std::count(flexible.begin(), flexible.end(), '\n') + 1)
      << flexible_after;
  // Inside a transaction that wrote an employer-month before October, the
  // reads are not started ahead (another connection would not see the write).
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->add_employer_month(chengdu, YearMonth::of(2026, 9), 0, 1));
  ASSERT_FALSE(db_->declarations_to_book(october)->empty());
  EXPECT_TRUE(db_->employer_dues_ready(october, storage::Database::SettlePart::before));
  const std::string dues_in_transaction = dues_text(october);
  EXPECT_NE(dues_in_transaction.find(" 12346 "), std::string::npos) << dues_in_transaction;
  db_->rollback();
  EXPECT_EQ(dues_text(october), dues_after);
}

// An employer's id by its credit code (what the imports look up for every
// declaration and payment): the registered ones, none for an unknown code, and
// none for an employer whose registration was rolled back, though it was found
// inside that transaction.
TEST_P(LedgerFlow, EmployerIdsAreFoundByCreditCodeAndNotKeptFromARolledBackTransaction) {
  const std::int64_t shenzhen = (*db_->find_employer(kShenzhen))->employer_id;
  auto found = db_->find_employer_id(kShenzhen);
  ASSERT_TRUE(found) << found.error().to_string();
  EXPECT_EQ(*found, std::optional<std::int64_t>(shenzhen));
  EXPECT_EQ(*db_->find_employer_id(kShenzhen), std::optional<std::int64_t>(shenzhen));  // again, kept or not
  EXPECT_EQ(*db_->find_employer_id(kChengdu), std::optional<std::int64_t>((*db_->find_employer(kChengdu))->employer_id));
  const std::string unknown = credit_code("91440300MA5F00009");
  EXPECT_EQ(*db_->find_employer_id(unknown), std::nullopt);
  registry::Employer added;
  added.credit_code = unknown;
  added.name = "回滚示例";
  added.region = "440300";
  ASSERT_TRUE(db_->begin());
  auto id = db_->upsert_employer(added);
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_EQ(*db_->find_employer_id(unknown), std::optional<std::int64_t>(*id));
  db_->rollback();
  EXPECT_EQ(*db_->find_employer_id(unknown), std::nullopt);
  EXPECT_EQ(*db_->find_employer_id(kShenzhen), std::optional<std::int64_t>(shenzhen));
  // A declaration for the employer not registered is refused as unknown.
  write("dec.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + unknown + ",2026-10," +
                       kZhang + ",8000.00,31,hire,2026-10-01\n");
  const auto summary = import_declarations("dec.csv");
  EXPECT_EQ(summary.accepted, 0);
  EXPECT_EQ(summary.rejected, 1);
  EXPECT_NE(read(dir_ / "dec.csv.feedback.csv").find("2,rejected,credit_code,unknown_employer"), std::string::npos);
}

// SQLite keeps a declaration's lines as one pack (migration 14): a database
// written at migration 13 (a row per line) migrates to packs byte for byte
// equal to those the import writes (events and their dates kept), with the
// same figures, the same person-months and balances; the view gives the old
// rows; verify passes; a re-run books nothing and the next month books.
TEST_P(LedgerFlow, MigrationFourteenPacksTheDeclarationLinesOfEachDeclaration) {
  if (postgres()) GTEST_SKIP() << "PostgreSQL keeps a row per declaration line (its migration 14 changes nothing)";
  declare_september_october_with_payments();
  if (HasFatalFailure()) return;
  // A correction of Shenzhen's October: Wang hired, Zhang paid more and leaving.
  write("oct2.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2026-10," +
                        kZhang + ",9000.00,31,leave,2026-10-31\n" + kShenzhen + ",2026-10," + kWang +
                        ",3000.00,31,hire,2026-10-01\n");
  EXPECT_EQ(import_declarations("oct2.csv").accepted, 2);
  run(YearMonth::of(2026, 9));
  run(YearMonth::of(2026, 10));
  const auto packs_text = [&]() {
    std::string text;
    EXPECT_EQ(exec_raw("SELECT group_concat(declaration_id || ':' || lines, ' | ') FROM "
                       "(SELECT * FROM declaration_line_packs ORDER BY declaration_id)",
                       &text),
              "");
    return text;
  };
  const auto months_text = [&](std::int64_t person, int province) {
    std::string text;
    auto months = db_->person_months_in_province(person, province);
    EXPECT_TRUE(months) << months.error().to_string();
    if (!months) return text;
    for (const auto& m : *months) {
      text += std::to_string(m.declaration_id) + " " + m.month.to_string() + " " +
              std::to_string(m.declared_wage.fen()) + "\n";
    }
    return text;
  };
  const auto zhang = db_->find_person(kZhang).value()->person_id;
  const auto wang = db_->find_person(kWang).value()->person_id;
  const std::string zhang_months = months_text(zhang, 44);
  EXPECT_EQ(std::count(zhang_months.begin(), zhang_months.end(), '\n'), 2) << zhang_months;  // September, October v2
  EXPECT_NE(zhang_months.find("2026-10 900000"), std::string::npos) << zhang_months;
  const std::string wang_months = months_text(wang, 44);
  EXPECT_EQ(months_text(zhang, 51), "");
  const auto before = stats();
  EXPECT_EQ(before.declaration_lines, 3 + 2 + 2);  // September 3, October 2, the correction 2
  const std::int64_t zhang_balance = *db_->personal_balance(zhang);
  expect_verified();
  db_.reset();
  const std::string packed = packs_text();
  // Four declarations (Shenzhen's September, Chengdu's September, October's two)
  // and the correction; events and dates where a line has them.
  EXPECT_NE(packed.find(",\"hire\",\"2026-09-01\"]"), std::string::npos) << packed;
  EXPECT_NE(packed.find(",\"leave\",\"2026-10-31\"]"), std::string::npos) << packed;
  std::string count;
  ASSERT_EQ(exec_raw("SELECT COUNT(*) FROM declaration_line_packs", &count), "");
  EXPECT_EQ(count, "5");
  ASSERT_EQ(exec_raw(unpack_declaration_lines() + "DELETE FROM schema_migrations WHERE version = 14;"), "");
  ASSERT_EQ(exec_raw("SELECT type FROM sqlite_master WHERE name = 'declaration_lines'", &count), "");
  ASSERT_EQ(count, "table");
  auto reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  const auto after = stats();
  EXPECT_EQ(after.declarations, before.declarations);
  EXPECT_EQ(after.declaration_lines, before.declaration_lines);
  EXPECT_EQ(after.journal_entries, before.journal_entries);
  EXPECT_EQ(after.postings, before.postings);
  EXPECT_EQ(after.personal_account_balance_fen, before.personal_account_balance_fen);
  EXPECT_EQ(*db_->personal_balance(zhang), zhang_balance);
  EXPECT_EQ(months_text(zhang, 44), zhang_months);
  EXPECT_EQ(months_text(wang, 44), wang_months);
  expect_verified();
  EXPECT_EQ(run(YearMonth::of(2026, 10)).person_months, 0);
  const auto again = stats();
  EXPECT_EQ(again.journal_entries, before.journal_entries);
  db_.reset();
  EXPECT_EQ(packs_text(), packed);
  ASSERT_EQ(exec_raw("SELECT type FROM sqlite_master WHERE name = 'declaration_lines'", &count), "");
  EXPECT_EQ(count, "view");
  reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  write("nov.csv", "credit_code,month,resident_id,wage,days_worked,event,event_date\n" + kShenzhen + ",2026-11," +
                       kWang + ",3100.00,30,,\n");
  EXPECT_EQ(import_declarations("nov.csv").accepted, 1);
  EXPECT_EQ(run(YearMonth::of(2026, 11)).person_months, 1);
  expect_verified();
}

// A pack that is not of the form (SQLite, migration 14) is named by verify and
// by the month run that reads it; nothing is booked from it. A declaration
// naming a person twice is refused whole.
TEST_P(LedgerFlow, MalformedDeclarationPacksAreFoundAndNotBooked) {
  if (postgres()) GTEST_SKIP() << "packs are SQLite's";
  write("sep.csv", september());
  import_declarations("sep.csv");
  std::string id;
  const auto pack_failures = [&]() {
    auto checks = db_->verify();
    EXPECT_TRUE(checks) << checks.error().to_string();
    std::string found;
    for (const auto& check : *checks) {
      if (check.name == "declaration lines are packed whole, each person once in order" && check.failures > 0) {
        found = check.first_failure;
      }
    }
    return found;
  };
  EXPECT_EQ(pack_failures(), "");
  db_.reset();
  ASSERT_EQ(exec_raw("SELECT declaration_id FROM declaration_line_packs WHERE json_array_length(lines) = 2", &id), "");
  ASSERT_FALSE(id.empty());
  std::string original;
  ASSERT_EQ(exec_raw("SELECT lines FROM declaration_line_packs WHERE declaration_id = " + id, &original), "");
  const auto tamper = [&](const std::string& lines) {
    db_.reset();
    EXPECT_EQ(exec_raw("UPDATE declaration_line_packs SET lines = '" + lines + "' WHERE declaration_id = " + id), "");
    auto reopened = storage::open_database(url_);
    EXPECT_TRUE(reopened);
    db_ = std::move(*reopened);
  };
  // Persons out of order; the same person twice; a line of two numbers; a
  // string for a wage; one line fewer than the declaration counts.
  std::string first;
  std::string second;
  ASSERT_EQ(exec_raw("SELECT json_extract('" + original + "', '$[0]')", &first), "");
  ASSERT_EQ(exec_raw("SELECT json_extract('" + original + "', '$[1]')", &second), "");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[" + second + "," + first + "]", "is not after"},
      {"[" + first + "," + first + "]", "is not after"},
      {"[[1,2]," + second + "]", "line 1 is malformed"},
      {"[" + first + ",[9999,\"x\",30]]", "line 2 is malformed"},
      {"[" + first + "]", "counts 2 lines, its pack 1"},
  };
  for (const auto& [lines, message] : cases) {
    tamper(lines);
    EXPECT_NE(pack_failures().find(message), std::string::npos) << lines << ": " << pack_failures();
  }
  // Not JSON at all: verify names it, and the month run stops at it, naming
  // the declaration, with nothing booked.
  tamper("[[1,2,3],");
  EXPECT_NE(pack_failures().find(": its lines are not a JSON array"), std::string::npos) << pack_failures();
  auto refused = jobs::run_month(YearMonth::of(2026, 9), *db_, rules_store(), {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().to_string().find("declaration " + id), std::string::npos) << refused.error().to_string();
  EXPECT_EQ(stats().journal_entries, 0);
  tamper(original);
  EXPECT_EQ(pack_failures(), "");
  EXPECT_EQ(run(YearMonth::of(2026, 9)).person_months, 3);
  // Straight to storage, a declaration naming one person twice is refused
  // whole: no declaration, no lines.
  const auto before = stats();
  const std::int64_t shenzhen = (*db_->find_employer(kShenzhen))->employer_id;
  const auto zhang = db_->find_person(kZhang).value()->person_id;
  ASSERT_TRUE(db_->begin());
  auto twice = db_->insert_declaration(shenzhen, YearMonth::of(2026, 10), 1, "h", "twice.csv",
                                       {{zhang, 100, 31, "", std::nullopt}, {zhang, 200, 31, "", std::nullopt}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::conflict);
  EXPECT_NE(twice.error().message.find("declared twice"), std::string::npos) << twice.error().message;
  // An event other than a hire or a leave (the import's check) is refused too:
  // a pack's lines are found by the brackets between them.
  ASSERT_TRUE(db_->begin());
  auto promoted = db_->insert_declaration(shenzhen, YearMonth::of(2026, 10), 1, "h", "promote.csv",
                                          {{zhang, 100, 31, "],[1", Date::of(2026, 10, 1)}});
  ASSERT_FALSE(promoted);
  EXPECT_EQ(promoted.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(stats().declarations, before.declarations);
  EXPECT_EQ(stats().declaration_lines, before.declaration_lines);
}

// verify reads packed entries with its own readers (storage/sqlite/entry_packs.h):
// each kind of damage is named by its check, in words that say what is wrong,
// and text that is not JSON at all is a failure, not an error of verify.
TEST_P(LedgerFlow, VerifyNamesWhatIsWrongWithPackedEntries) {
  if (postgres()) GTEST_SKIP() << "SQLite's readers of the packed forms";
  declare_september_october_with_payments();
  if (HasFatalFailure()) return;
  run(YearMonth::of(2026, 9));
  run(YearMonth::of(2026, 10));
  run(YearMonth::of(2026, 11));
  expect_verified();
  db_.reset();
  std::string contribution;  // the entry of Shenzhen's September: Zhang and Wang
  ASSERT_EQ(exec_raw("SELECT entry_id FROM journal_entries WHERE kind = 1 AND json_array_length(lines, '$.lines') = 2 "
                     "ORDER BY entry_id LIMIT 1",
                     &contribution),
            "");
  std::string settlement;  // a payments' and late fees' entry
  ASSERT_EQ(exec_raw("SELECT MIN(entry_id) FROM journal_entries WHERE kind = 9", &settlement), "");
  ASSERT_FALSE(contribution.empty());
  ASSERT_FALSE(settlement.empty());
  // Applies `change` (SQL), returns the first failure of check `name` (empty
  // when it passes), then puts the database back as it was.
  const auto failure_after = [&](const std::string& change, const std::string& name) {
    EXPECT_EQ(exec_raw("BEGIN; CREATE TABLE saved_entries AS SELECT * FROM journal_entries; "
                       "CREATE TABLE saved_spells AS SELECT * FROM employment_spells; COMMIT;"),
              "");
    EXPECT_EQ(exec_raw(change), "") << change;
    std::string found;
    if (auto reopened = storage::open_database(url_); !reopened) {
      found = "cannot reopen: " + reopened.error().to_string();
    } else {
      db_ = std::move(*reopened);
      auto checks = db_->verify();
      EXPECT_TRUE(checks) << change << ": " << checks.error().to_string();
      if (checks) {
        for (const auto& check : *checks) {
          if (check.name == name) found = check.first_failure;
        }
      }
      db_.reset();
    }
    EXPECT_EQ(exec_raw("BEGIN; DELETE FROM journal_entries; INSERT INTO journal_entries SELECT * FROM saved_entries; "
                       "DELETE FROM employment_spells; INSERT INTO employment_spells SELECT * FROM saved_spells; "
                       "DROP TABLE saved_entries; DROP TABLE saved_spells; COMMIT;"),
              "");
    return found;
  };
  const std::string entry = "UPDATE journal_entries SET lines = ";
  const std::string of_contribution = " WHERE entry_id = " + contribution;
  const std::string of_settlement = " WHERE entry_id = " + settlement;
  const std::string form = "packed entries are well-formed";
  std::string first_person;
  ASSERT_EQ(exec_raw("SELECT lines ->> '$.lines[0][0]' FROM journal_entries" + of_contribution, &first_person), "");
  EXPECT_EQ(failure_after(entry + "json_insert(lines, '$.lines[#]', json_extract(lines, '$.lines[0]'))" + of_contribution,
                          form),
            "entry " + contribution + " of kind 1 names person " + first_person + " twice");
  EXPECT_EQ(failure_after(entry + "json_remove(lines, '$.lines[0][3]')" + of_contribution, form),
            "entry " + contribution + " of kind 1 line 1 has 3 numbers");
  EXPECT_EQ(failure_after(entry + "'{\"employer\":'" + of_contribution, form),
            "entry " + contribution + " of kind 1 malformed packed form: \"employer\" is not an integer");
  EXPECT_EQ(failure_after(entry + "NULL" + of_contribution, form), "entry " + contribution + " of kind 1 has no packed lines");
  EXPECT_EQ(failure_after(entry + "json_set(lines, '$.settlements[0][4]', 0)" + of_settlement, form),
            "entry " + settlement + " of kind 9 line 1: an employer or amount not above zero");
  EXPECT_EQ(failure_after("UPDATE journal_entries SET idempotency_key = 'payment/x'" + of_settlement, form),
            "entry " + settlement + " of kind 9 has a key not its first line's");
  EXPECT_EQ(failure_after("UPDATE journal_entries SET source_id = 4" + of_settlement, form),
            "entry " + settlement + " of kind 9 has a source or a correction");
  // A payment's or late fee's line booked twice; a flexible worker's month twice.
  std::string first_key;
  ASSERT_EQ(exec_raw("SELECT idempotency_key FROM journal_entries" + of_settlement, &first_key), "");
  EXPECT_EQ(failure_after(entry + "json_insert(lines, '$.settlements[#]', json_extract(lines, '$.settlements[0]'))" +
                              of_settlement,
                          "a payment or late fee is booked once"),
            first_key + " is booked 2 times");
  std::string flexible;
  ASSERT_EQ(exec_raw("SELECT MIN(entry_id) FROM journal_entries WHERE kind = 2 AND month = " +
                         std::to_string(YearMonth::of(2026, 9).serial()),
                     &flexible),
            "");
  ASSERT_FALSE(flexible.empty());
  std::string flexible_person;
  ASSERT_EQ(exec_raw("SELECT person_id FROM journal_entries WHERE entry_id = " + flexible, &flexible_person), "");
  EXPECT_EQ(failure_after(entry + "json_insert(lines, '$.lines[#]', json_extract(lines, '$.lines[0]'))" +
                              " WHERE entry_id = " + flexible,
                          "a flexible worker's month is booked once"),
            "person " + flexible_person + " is in 2 lines of month 2026-09");
  // A person booked whom the declaration does not name; a declared person
  // without a spell at the employer.
  std::string declaration;
  ASSERT_EQ(exec_raw("SELECT source_id FROM journal_entries WHERE entry_id = " + contribution, &declaration), "");
  EXPECT_EQ(failure_after(entry + "json_set(lines, '$.lines[1][0]', 99999999)" + of_contribution,
                          "no contribution entry without its declaration line"),
            "contribution/" + declaration + " person 99999999");
  std::string zhang;
  ASSERT_EQ(exec_raw("SELECT person_id FROM persons WHERE resident_id = '" + kZhang + "'", &zhang), "");
  ASSERT_FALSE(zhang.empty());
  EXPECT_EQ(failure_after("DELETE FROM employment_spells WHERE person_id = " + zhang,
                          "every declared person has an employment spell at the employer"),
            "declaration " + declaration + " person " + zhang);
  // A receivable changed by a fen: the line does not balance, and the
  // employer's month no longer matches what it owes.
  EXPECT_NE(failure_after(entry + "json_set(lines, '$.lines[0][1]', (lines ->> '$.lines[0][1]') - 1)" + of_contribution,
                          "employer-month dues equal the booked receivables")
                .find("employer "),
            std::string::npos);
  // Each failure above was the damage's own: the database as it was verifies.
  auto reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened);
  db_ = std::move(*reopened);
  expect_verified();
}

// A month run's payments and late fees are booked packed only: as plain entries
// they are refused, and so is a packed entry not of the form (check_settlement);
// a packed entry booked twice is a conflict.
TEST_P(LedgerFlow, PaymentsAndLateFeesAreBookedPackedOnly) {
  ledger::JournalEntry plain;
  plain.idempotency_key = "payment/1/2026-09/2026-10-10/0";
  plain.person_id = -1;
  plain.kind = ledger::EntryKind::payment;
  plain.month = YearMonth::of(2026, 9);
  plain.source_id = 1;
  plain.postings = {{{ledger::AccountKind::collection_bank, 44}, 100},
                    {{ledger::AccountKind::employer_receivable, 1}, -100}};
  for (const auto kind : {ledger::EntryKind::payment, ledger::EntryKind::late_fee, ledger::EntryKind::settlement}) {
    plain.kind = kind;
    auto refused = db_->book(plain);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_input);
    EXPECT_NE(refused.error().message.find("book_settlements"), std::string::npos) << refused.error().message;
  }
  ledger::SettlementLine payment;
  payment.kind = ledger::EntryKind::payment;
  payment.employer_id = 1;
  payment.province = 44;
  payment.month = YearMonth::of(2026, 9);
  payment.amount_fen = 100;
  payment.paid_on = Date::of(2026, 10, 10);
  ledger::SettlementLine fee = payment;
  fee.kind = ledger::EntryKind::late_fee;
  fee.employer_id = 2;
  fee.paid_on.reset();
  fee.amount_fen = 7;
  const auto entry = ledger::packed_settlement_entry(YearMonth::of(2026, 10), {payment, fee});
  EXPECT_EQ(entry.idempotency_key, "payment/1/2026-09/2026-10-10/0");
  EXPECT_EQ(ledger::settlement_key(fee, YearMonth::of(2026, 10)), "late_fee/2/2026-09/2026-10");
  const auto refused = [&](ledger::SettlementEntry bad) {
    auto booked = db_->book_settlements(std::span(&bad, 1));
    return !booked && booked.error().code == ErrorCode::invalid_input;
  };
  auto bad = entry;
  bad.lines[1].amount_fen = 0;
  EXPECT_TRUE(refused(bad));
  bad = entry;
  bad.lines[1].employer_id = ledger::kEmployerBlock;  // another block
  EXPECT_TRUE(refused(bad));
  bad = entry;
  std::swap(bad.lines[0], bad.lines[1]);  // employers descending, key of another line
  EXPECT_TRUE(refused(bad));
  bad = entry;
  bad.lines[0].paid_on.reset();  // a payment without its date
  EXPECT_TRUE(refused(bad));
  bad = entry;
  bad.lines[0].month = YearMonth::of(2026, 11);  // settles a month after the run's
  bad.idempotency_key = ledger::settlement_key(bad.lines[0], bad.month);
  EXPECT_TRUE(refused(bad));
  bad = entry;
  bad.lines.clear();
  EXPECT_TRUE(refused(bad));
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->book_settlements(std::span(&entry, 1)));
  auto twice = db_->book_settlements(std::span(&entry, 1));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::conflict);
  ASSERT_TRUE(db_->commit());
  EXPECT_EQ(*db_->entries_exist(std::vector<std::string>{"payment/1/2026-09/2026-10-10/0",
                                                         "late_fee/2/2026-09/2026-10", "late_fee/2/2026-09/2026-11"}),
            (std::vector<bool>{true, true, false}));
  const auto figures = stats();
  EXPECT_EQ(figures.postings, 4);
  EXPECT_EQ(figures.receivable_balance_fen, -100 + 7);
  EXPECT_EQ(figures.pooled_fund_balance_fen, 7);
}

// Flexible payments are packed per month, scheme province and block of person
// ids: one entry for each, keyed by its first worker; a re-run books nothing; a
// worker enrolled after the run gets an entry of their own; each worker's
// months and credits are read back per person (balance, contribution record,
// pension facts, coverage) and by `stats`; a flexible payment as a plain entry
// and a malformed packed one are refused.
TEST_P(LedgerFlow, FlexiblePaymentsArePackedAndReadPerPerson) {
  write("more.csv", "resident_id,name,hukou_region,retirement_category,scheme,scheme_region,flexible_base_ratio\n" +
                        resident_id("51010019900101001") + ",赵,510100,male,flexible,510100,0.60\n" +
                        resident_id("44030019900101005") + ",钱,440300,male,flexible,440300,1.00\n");
  ASSERT_EQ(import_registry("more.csv").accepted, 2);
  const auto liu = db_->find_person(kLiu).value()->person_id;
  const auto zhao = db_->find_person(resident_id("51010019900101001")).value()->person_id;
  const auto qian = db_->find_person(resident_id("44030019900101005")).value()->person_id;
  ASSERT_LT(liu, qian);
  const YearMonth sep = YearMonth::of(2026, 9);
  const auto first = run(sep);
  EXPECT_EQ(first.flexible_months, 3);
  // Two entries: Guangdong (Liu, Qian; keyed by Liu) and Sichuan (Zhao).
  EXPECT_EQ(stats().journal_entries, 2);
  EXPECT_TRUE(*db_->entry_exists("flexible/" + std::to_string(liu) + "/2026-09"));
  EXPECT_TRUE(*db_->entry_exists("flexible/" + std::to_string(zhao) + "/2026-09"));
  EXPECT_FALSE(*db_->entry_exists("flexible/" + std::to_string(qian) + "/2026-09"));
  const auto booked = stats();
  EXPECT_EQ(booked.postings, 9);
  EXPECT_EQ(booked.receivable_balance_fen, 0);  // amount 0 is the collection bank
  EXPECT_EQ(booked.personal_account_balance_fen, *db_->personal_balance(liu) + *db_->personal_balance(zhao) +
                                                     *db_->personal_balance(qian));
  EXPECT_EQ(*db_->personal_balance(liu), 48278);
  EXPECT_GT(*db_->personal_balance(qian), 48278);  // base ratio 1.00
  expect_verified();
  // Again: nothing booked twice.
  const auto again = run(sep);
  EXPECT_EQ(again.flexible_months, 0);
  EXPECT_EQ(stats().journal_entries, booked.journal_entries);
  EXPECT_EQ(stats().postings, booked.postings);
  // A worker enrolled after the run: an entry of their own (Guangdong's is booked).
  write("late.csv", "resident_id,name,hukou_region,retirement_category,scheme,scheme_region,flexible_base_ratio\n" +
                        resident_id("44030019900101007") + ",孙,440300,male,flexible,440300,0.60\n");
  ASSERT_EQ(import_registry("late.csv").accepted, 1);
  const auto sun = db_->find_person(resident_id("44030019900101007")).value()->person_id;
  EXPECT_EQ(run(sep).flexible_months, 1);
  EXPECT_TRUE(*db_->entry_exists("flexible/" + std::to_string(sun) + "/2026-09"));
  EXPECT_EQ(stats().journal_entries, 3);
  EXPECT_EQ(run(sep).flexible_months, 0);
  EXPECT_EQ(*db_->personal_balance(sun), 48278);
  expect_verified();
  // October: each worker's second month.
  EXPECT_EQ(run(YearMonth::of(2026, 10)).flexible_months, 4);
  EXPECT_EQ(*db_->personal_balance(liu), 2 * 48278);
  const auto facts = db_->pension_facts({liu, sun}, YearMonth::of(2026, 9)).value();
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0].contribution_months, 1);  // months up to 2026-09
  EXPECT_EQ(facts[1].contribution_months, 1);
  const auto coverage = db_->coverage_facts(YearMonth::of(2026, 10)).value();
  int covered = 0;
  for (const auto& person : coverage) {
    if (person.person_id != liu && person.person_id != zhao && person.person_id != sun) continue;
    ++covered;
    EXPECT_EQ(person.last_month, YearMonth::of(2026, 10).serial()) << person.person_id;
    EXPECT_EQ(person.last_province, person.person_id == zhao ? 51 : 44);
  }
  EXPECT_EQ(covered, 3);
  {
    // Zhao moves the scheme to Guangdong: the months booked stay Sichuan's.
    write("moved.csv", "resident_id,name,hukou_region,retirement_category,scheme,scheme_region,flexible_base_ratio\n" +
                           resident_id("51010019900101001") + ",赵,510100,male,flexible,440300,0.60\n");
    ASSERT_EQ(import_registry("moved.csv").accepted, 1);
    int moved = 0;
    const auto after_move = db_->coverage_facts(YearMonth::of(2026, 10)).value();
    for (const auto& person : after_move) {
      if (person.person_id != zhao) continue;
      ++moved;
      EXPECT_EQ(person.last_province, 51);
    }
    EXPECT_EQ(moved, 1);
  }
  auto api = storage::open_api_store(url_);
  ASSERT_TRUE(api) << api.error().to_string();
  const auto record = (*api)->contributions_of(liu).value();
  ASSERT_EQ(record.size(), 2u);
  for (const auto& month : record) {
    EXPECT_EQ(month.kind, "flexible");
    EXPECT_EQ(month.region, "440300");
    EXPECT_EQ(month.personal_fen, 48278);
    EXPECT_GT(month.pooled_fen, 0);
  }
  EXPECT_EQ(record[0].month, sep);
  const auto postings = (*api)->personal_postings(liu, 10).value();
  EXPECT_EQ(postings.size(), 2u);
  api->reset();
  expect_verified();

  // Booked only packed, well-formed.
  ASSERT_TRUE(db_->begin());
  ledger::JournalEntry plain;
  plain.idempotency_key = "flexible/" + std::to_string(liu) + "/2026-11";
  plain.person_id = liu;
  plain.kind = ledger::EntryKind::flexible_contribution;
  plain.month = YearMonth::of(2026, 11);
  plain.postings = {{{ledger::AccountKind::collection_bank, 44}, 100}, {{ledger::AccountKind::personal, liu}, -100}};
  auto refused = db_->book(plain);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_input);
  ledger::PackedEntry bad = ledger::packed_flexible_entry(YearMonth::of(2026, 11), 44, {{liu, 100, -60, -40}});
  bad.person_id = qian;  // not its first person
  EXPECT_EQ(db_->book_packed(std::span(&bad, 1)).error().code, ErrorCode::invalid_input);
  // A line already booked for the month: the key of its first person is a conflict.
  const auto twice = ledger::packed_flexible_entry(sep, 44, {{liu, 100, -60, -40}});
  EXPECT_EQ(db_->book_packed(std::span(&twice, 1)).error().code, ErrorCode::conflict);
  ASSERT_TRUE(db_->commit());
  expect_verified();
}

TEST(Ledger, PackedFlexiblePaymentsNameTheirFirstPersonAndBlock) {
  const YearMonth month = YearMonth::of(2026, 9);
  const auto entry = ledger::packed_flexible_entry(month, 44, {{4100, 100, -60, -40}, {8191, 100, -60, -40}});
  EXPECT_EQ(entry.idempotency_key, "flexible/4100/2026-09");
  EXPECT_EQ(entry.person_id, 4100);
  EXPECT_EQ(entry.kind, ledger::EntryKind::flexible_contribution);
  EXPECT_EQ(entry.employer_id, 0);
  EXPECT_TRUE(ledger::check_packed(entry));
  auto bad = entry;
  bad.lines.push_back({8192, 100, -60, -40});  // the next block
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.employer_id = 7;
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.source_id = 3;
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.corrects_entry_id = 1;
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.idempotency_key = "flexible/8191/2026-09";
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.lines[1].pooled_fen = -41;  // does not sum to zero
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  std::swap(bad.lines[0], bad.lines[1]);  // not ascending
  EXPECT_FALSE(ledger::check_packed(bad));
  EXPECT_FALSE(ledger::check_packed(ledger::packed_flexible_entry(month, 44, {})));
  // A flexible line may keep the contribution base it was computed on, never a negative one.
  auto based = entry;
  based.lines[0].base_fen = 500;
  EXPECT_TRUE(ledger::check_packed(based));
  based.lines[0].base_fen = -500;
  EXPECT_FALSE(ledger::check_packed(based));
  // A contribution's lines keep no base (its base follows from the declared wage).
  ledger::PackedEntry contribution;
  contribution.kind = ledger::EntryKind::contribution;
  contribution.source_id = 41;
  contribution.idempotency_key = ledger::packed_contribution_key(41);
  contribution.employer_id = 7;
  contribution.person_id = -7;
  contribution.province = 44;
  contribution.month = month;
  contribution.lines = {{1, 100, -40, -60}};
  EXPECT_TRUE(ledger::check_packed(contribution));
  contribution.lines[0].base_fen = 500;
  const auto refused = ledger::check_packed(contribution);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("only a flexible payment's line keeps a contribution base"), std::string::npos);
}

TEST_P(LedgerFlow, BookingAKeyTwiceIsAConflictAndLeavesTheBatchOut) {
  ledger::JournalEntry entry;
  entry.idempotency_key = "test/once";
  entry.person_id = 1;
  entry.kind = ledger::EntryKind::interest;
  entry.month = YearMonth::of(2026, 1);
  entry.postings = {{{ledger::AccountKind::interest_expense, 44}, 100}, {{ledger::AccountKind::personal, 1}, -100}};
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->book(entry));
  auto twice = db_->book(entry);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::conflict);
  // A batch with the key again and a new one: none of it is stored, the transaction goes on.
  ledger::JournalEntry other = entry;
  other.idempotency_key = "test/other";
  const std::vector<ledger::JournalEntry> batch = {other, entry};
  auto many = db_->book_many(batch);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().code, ErrorCode::conflict);
  ASSERT_TRUE(db_->commit());
  EXPECT_TRUE(*db_->entry_exists("test/once"));
  EXPECT_FALSE(*db_->entry_exists("test/other"));
  EXPECT_EQ(stats().journal_entries, 1);
  EXPECT_EQ(stats().postings, 2);
}

// book_packed_ahead books as book_packed; a failure may come from a later
// call (on PostgreSQL the COPY's result is read by the connection's next use,
// commit at the latest) and leaves the whole transaction out, the database
// usable after it.
TEST_P(LedgerFlow, PackedEntriesBookedAheadReportAConflictByCommitAtTheLatest) {
  const std::int64_t shenzhen = (*db_->find_employer(kShenzhen))->employer_id;
  ledger::PackedEntry entry;
  entry.kind = ledger::EntryKind::contribution;
  entry.idempotency_key = ledger::packed_contribution_key(41);
  entry.source_id = 41;
  entry.employer_id = shenzhen;
  entry.person_id = -shenzhen;
  entry.province = 44;
  entry.month = YearMonth::of(2026, 9);
  entry.lines = {{1, 100, -40, -60}, {2, 50, -20, -30}};
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->book_packed_ahead(std::span(&entry, 1)));
  ASSERT_TRUE(db_->add_employer_month(shenzhen, entry.month, 150, 0));
  ASSERT_TRUE(db_->commit());
  EXPECT_TRUE(*db_->entry_exists("contribution/41"));

  ledger::PackedEntry other = entry;
  other.idempotency_key = ledger::packed_contribution_key(42);
  other.source_id = 42;
  const std::vector<ledger::PackedEntry> batch = {other, entry};
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->add_employer_month(shenzhen, YearMonth::of(2026, 10), 99, 0));
  auto ahead = db_->book_packed_ahead(batch);
  Result<void> committed = ahead ? db_->commit() : Result<void>(tl::unexpected(ahead.error()));
  if (!ahead) db_->rollback();
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, ErrorCode::conflict) << committed.error().to_string();
  EXPECT_FALSE(*db_->entry_exists("contribution/42"));
  EXPECT_EQ(stats().journal_entries, 1);
  const auto dues = db_->employer_dues(YearMonth::of(2026, 12));
  ASSERT_TRUE(dues);
  ASSERT_EQ(dues->size(), 1u);  // September's; October's 99 went with the transaction
  EXPECT_EQ((*dues)[0].month, entry.month);
  EXPECT_EQ((*dues)[0].dues_fen, 150);

  // The database goes on: the other entry books alone.
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->book_packed_ahead(std::span(&other, 1)));
  ASSERT_TRUE(db_->add_employer_month(shenzhen, entry.month, 150, 0));
  ASSERT_TRUE(db_->commit());
  EXPECT_TRUE(*db_->entry_exists("contribution/42"));
  EXPECT_EQ(stats().journal_entries, 2);
  EXPECT_EQ(stats().receivable_balance_fen, 300);
  EXPECT_EQ((*db_->employer_dues(YearMonth::of(2026, 12)))[0].dues_fen, 300);
}

// Several calls' entries booked ahead go to the server as one stream (on
// PostgreSQL one COPY left open between calls): a read in between sees them,
// a rollback takes all of them back, a commit keeps all of them, and an entry
// booked already in a later call fails the whole transaction.
TEST_P(LedgerFlow, EntriesBookedAheadInSeveralCallsAreAllBookedOrNone) {
  const std::int64_t shenzhen = (*db_->find_employer(kShenzhen))->employer_id;
  const auto contribution = [&](std::int64_t declaration_id) {
    ledger::PackedEntry entry;
    entry.kind = ledger::EntryKind::contribution;
    entry.idempotency_key = ledger::packed_contribution_key(declaration_id);
    entry.source_id = declaration_id;
    entry.employer_id = shenzhen;
    entry.person_id = -shenzhen;
    entry.province = 44;
    entry.month = YearMonth::of(2026, 9);
    entry.lines = {{1, 100, -40, -60}};
    return entry;
  };
  const std::vector<ledger::PackedEntry> first = {contribution(51), contribution(52)};
  const std::vector<ledger::PackedEntry> second = {contribution(53)};

  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->book_packed_ahead(first));
  EXPECT_TRUE(*db_->entry_exists("contribution/52"));  // the transaction's own rows, read mid-stream
  ASSERT_TRUE(db_->book_packed_ahead(second));
  db_->rollback();
  for (const char* key : {"contribution/51", "contribution/52", "contribution/53"}) {
    EXPECT_FALSE(*db_->entry_exists(key)) << key;
  }
  EXPECT_EQ(stats().journal_entries, 0);

  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->book_packed_ahead(first));
  ASSERT_TRUE(db_->book_packed_ahead(second));
  ASSERT_TRUE(db_->add_employer_month(shenzhen, YearMonth::of(2026, 9), 300, 0));
  ASSERT_TRUE(db_->commit());
  EXPECT_EQ(stats().journal_entries, 3);
  EXPECT_EQ(stats().receivable_balance_fen, 300);

  const std::vector<ledger::PackedEntry> fresh = {contribution(54)};
  ASSERT_TRUE(db_->begin());
  auto ahead = db_->book_packed_ahead(fresh);
  if (ahead) ahead = db_->book_packed_ahead(second);  // 53 is booked already
  Result<void> committed = ahead ? db_->commit() : Result<void>(tl::unexpected(ahead.error()));
  if (!ahead) db_->rollback();
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, ErrorCode::conflict) << committed.error().to_string();
  EXPECT_FALSE(*db_->entry_exists("contribution/54"));
  EXPECT_EQ(stats().journal_entries, 3);

  // The connection goes on.
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->book_packed_ahead(fresh));
  ASSERT_TRUE(db_->commit());
  EXPECT_EQ(stats().journal_entries, 4);
}

// Contributions go in packed, one entry per declaration: a contribution as a
// plain entry is refused, a malformed packed one too, and a declaration booked
// twice is a conflict that leaves the whole batch out.
TEST_P(LedgerFlow, ContributionsAreBookedPackedOncePerDeclaration) {
  ledger::JournalEntry plain;
  plain.idempotency_key = "contribution/1/2";
  plain.person_id = 2;
  plain.kind = ledger::EntryKind::contribution;
  plain.month = YearMonth::of(2026, 9);
  plain.source_id = 1;
  plain.postings = {{{ledger::AccountKind::employer_receivable, 1}, 100}, {{ledger::AccountKind::personal, 2}, -100}};
  ASSERT_TRUE(db_->begin());
  auto refused = db_->book(plain);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_input);
  ledger::PackedEntry entry;
  entry.idempotency_key = ledger::packed_contribution_key(41);
  entry.source_id = 41;
  entry.employer_id = 7;
  entry.person_id = -7;
  entry.province = 44;
  entry.month = YearMonth::of(2026, 9);
  entry.lines = {{1, 100, -40, -60}, {2, 50, -20, -30}};
  ledger::PackedEntry unbalanced = entry;
  unbalanced.lines[0].pooled_fen = -61;
  auto bad = db_->book_packed(std::span(&unbalanced, 1));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_input);
  ASSERT_TRUE(db_->book_packed(std::span(&entry, 1)));
  ledger::PackedEntry other = entry;
  other.idempotency_key = ledger::packed_contribution_key(42);
  other.source_id = 42;
  const std::vector<ledger::PackedEntry> batch = {other, entry};
  auto twice = db_->book_packed(batch);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::conflict);
  ASSERT_TRUE(db_->commit());
  EXPECT_TRUE(*db_->entry_exists("contribution/41"));
  EXPECT_FALSE(*db_->entry_exists("contribution/42"));
  EXPECT_EQ(stats().journal_entries, 1);
  EXPECT_EQ(stats().postings, 6);
  EXPECT_EQ(stats().personal_account_balance_fen, 60);
  EXPECT_EQ(stats().pooled_fund_balance_fen, 90);
  EXPECT_EQ(stats().receivable_balance_fen, 150);
}

TEST_P(LedgerFlow, ALostConnectionDuringAnImportIsAClearErrorAndARerunCompletes) {
  if (!postgres()) GTEST_SKIP() << "a server connection exists only on PostgreSQL";
  std::string big = "credit_code,month,resident_id,wage,days_worked,event,event_date\n";
  big += kShenzhen + ",2026-09," + kZhang + ",8000.00,30,hire,2026-09-01\n";
  write("sep.csv", big);
  // The server ends every other session of this database (as a restart would).
  ASSERT_EQ(pg_exec(server_url_, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                                     pg_database_ + "' AND pid <> pg_backend_pid()"),
            "");
  auto failed = ingest::import_declarations(dir_ / "sep.csv", *db_, options_);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::io_error);
  EXPECT_NE(failed.error().message.find("connection to PostgreSQL was lost"), std::string::npos) << failed.error().to_string();
  EXPECT_NE(failed.error().message.find("run the same command again"), std::string::npos) << failed.error().to_string();
  auto reopened = storage::open_database(url_);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  db_ = std::move(*reopened);
  EXPECT_EQ(import_declarations("sep.csv").new_declarations, 1);
  EXPECT_EQ(import_declarations("sep.csv").unchanged_declarations, 1);
  EXPECT_EQ(run(YearMonth::of(2026, 9)).person_months, 1);
  EXPECT_EQ(stats().declaration_lines, 1);
  expect_verified();
}

// A leave closes the person's spell at the employer hired latest on or before
// the leave date, and nothing else: not an earlier spell of the person, not a
// spell of the person next in the table's order, nothing when no spell of the
// person was hired by then.
TEST_P(LedgerFlow, ALeaveClosesOnlyThePersonsLatestSpellHiredByThen) {
  std::vector<std::int64_t> ids;
  for (const std::string& resident : {kZhang, kWang, kLi}) ids.push_back(db_->find_person(resident).value()->person_id);
  std::sort(ids.begin(), ids.end());
  const std::int64_t low = ids[0], middle = ids[1], high = ids[2];
  const std::int64_t shenzhen = db_->find_employer(kShenzhen).value()->employer_id;
  const std::int64_t chengdu = db_->find_employer(kChengdu).value()->employer_id;
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->record_hire(low, shenzhen, Date::of(2026, 1, 5)));
  ASSERT_TRUE(db_->record_leave(low, shenzhen, Date::of(2026, 3, 10)));
  ASSERT_TRUE(db_->record_hire(low, shenzhen, Date::of(2026, 6, 1)));
  ASSERT_TRUE(db_->record_leave(low, shenzhen, Date::of(2026, 7, 15)));
  ASSERT_TRUE(db_->record_leave(low, shenzhen, Date::of(2026, 7, 15)));  // applied again: the same
  ASSERT_TRUE(db_->record_hire(middle, shenzhen, Date::of(2026, 2, 1)));
  ASSERT_TRUE(db_->commit());
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->record_leave(high, shenzhen, Date::of(2026, 5, 10)));    // no spell of its own there
  ASSERT_TRUE(db_->record_leave(middle, shenzhen, Date::of(2026, 1, 20)));  // before the person's hire
  ASSERT_TRUE(db_->record_leave(low, chengdu, Date::of(2026, 8, 1)));       // never employed there
  ASSERT_TRUE(db_->commit());
  // A leave dated before the person's only spell, whose hire date a person
  // with a lower id also has at that employer: nothing closes.
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->record_hire(middle, chengdu, Date::of(2026, 4, 1)));
  ASSERT_TRUE(db_->record_hire(high, chengdu, Date::of(2026, 4, 1)));
  ASSERT_TRUE(db_->commit());
  ASSERT_TRUE(db_->begin());
  ASSERT_TRUE(db_->record_leave(high, chengdu, Date::of(2026, 3, 15)));
  ASSERT_TRUE(db_->commit());
  const auto employed = [&](std::int64_t person, std::int64_t employer, int month) {
    auto answer = db_->employed_in(person, employer, YearMonth::of(2026, month));
    EXPECT_TRUE(answer) << answer.error().to_string();
    return answer && *answer;
  };
  // The first spell ended on 10 March, the second runs from 1 June to 15 July.
  EXPECT_TRUE(employed(low, shenzhen, 3));
  EXPECT_FALSE(employed(low, shenzhen, 4));
  EXPECT_FALSE(employed(low, shenzhen, 5));
  EXPECT_TRUE(employed(low, shenzhen, 6));
  EXPECT_TRUE(employed(low, shenzhen, 7));
  EXPECT_FALSE(employed(low, shenzhen, 8));
  EXPECT_FALSE(employed(low, chengdu, 8));
  // The middle person's spell stays open; the highest never had one.
  EXPECT_TRUE(employed(middle, shenzhen, 2));
  EXPECT_TRUE(employed(middle, shenzhen, 11));
  EXPECT_FALSE(employed(high, shenzhen, 5));
  EXPECT_FALSE(employed(high, shenzhen, 11));
  EXPECT_TRUE(employed(high, chengdu, 4));
  EXPECT_TRUE(employed(high, chengdu, 11)) << "a leave before the hire closed the spell";
  EXPECT_TRUE(employed(middle, chengdu, 11));
}

TEST(Storage, PostgresUnreachableIsAClearError) {
  auto opened = storage::open_database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::io_error);
  EXPECT_NE(opened.error().message.find("cannot connect to PostgreSQL"), std::string::npos) << opened.error().message;
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerFlow, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(Ledger, EntriesMustBalance) {
  ledger::JournalEntry entry;
  entry.idempotency_key = "k";
  entry.postings = {{{ledger::AccountKind::personal, 1}, -100}, {{ledger::AccountKind::pooled_fund, 44}, 99}};
  EXPECT_FALSE(ledger::check_entry(entry));
  entry.postings[1].amount_fen = 100;
  EXPECT_TRUE(ledger::check_entry(entry));
  entry.postings.pop_back();
  EXPECT_FALSE(ledger::check_entry(entry));
  entry.postings = {{{ledger::AccountKind::personal, 1}, 0}, {{ledger::AccountKind::pooled_fund, 44}, 0}};
  EXPECT_FALSE(ledger::check_entry(entry));
  entry.idempotency_key.clear();
  EXPECT_FALSE(ledger::check_entry(entry));
  ledger::JournalEntry original;
  original.idempotency_key = "contribution/1/2";
  original.postings = {{{ledger::AccountKind::personal, 2}, -5}, {{ledger::AccountKind::pooled_fund, 44}, 5}};
  const auto reversal = ledger::reversal_of(original, 7);
  EXPECT_EQ(reversal.idempotency_key, "reversal/contribution/1/2");
  EXPECT_EQ(*reversal.corrects_entry_id, 7);
  EXPECT_EQ(reversal.postings[0].amount_fen, 5);
  EXPECT_TRUE(ledger::check_entry(reversal));
}

TEST(Ledger, PackedEntriesBalanceLineByLineAndNameTheirDeclaration) {
  ledger::PackedEntry entry;
  entry.idempotency_key = "contribution/9";
  entry.source_id = 9;
  entry.employer_id = 3;
  entry.person_id = -3;
  entry.province = 44;
  entry.month = YearMonth::of(2026, 9);
  entry.lines = {{1, 100, -40, -60}, {2, 50, -20, -30}};
  ASSERT_TRUE(ledger::check_packed(entry));
  EXPECT_EQ(entry.receivable_total(), 150);
  EXPECT_EQ(entry.posting_count(), 6);
  entry.lines[1].personal_fen = 0;  // a zero amount is no posting
  entry.lines[1].pooled_fen = -50;
  ASSERT_TRUE(ledger::check_packed(entry));
  EXPECT_EQ(entry.posting_count(), 5);
  const auto reversal = ledger::reversal_of(entry, 17);
  EXPECT_EQ(reversal.idempotency_key, "reversal/contribution/9");
  EXPECT_EQ(reversal.kind, ledger::EntryKind::reversal);
  EXPECT_EQ(*reversal.corrects_entry_id, 17);
  EXPECT_EQ(reversal.lines[0], (ledger::PackedLine{1, -100, 40, 60}));
  EXPECT_TRUE(ledger::check_packed(reversal));
  // Each refusal.
  auto bad = entry;
  bad.lines[1].pooled_fen = -29;  // a line that does not sum to zero
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  std::swap(bad.lines[0], bad.lines[1]);  // persons out of order
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.lines[1].person_id = 1;  // a person twice
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.lines.clear();
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.lines = {{1, 0, 0, 0}};  // no posting
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.idempotency_key = "contribution/9/1";
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.person_id = 3;  // the distribution key is the negated employer
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = entry;
  bad.kind = ledger::EntryKind::interest;
  EXPECT_FALSE(ledger::check_packed(bad));
  bad = reversal;
  bad.corrects_entry_id.reset();
  EXPECT_FALSE(ledger::check_packed(bad));
}

TEST(Storage, RefusesUnknownUrls) {
  EXPECT_EQ(storage::open_database("mysql://x").error().code, ErrorCode::invalid_input);
  EXPECT_EQ(storage::open_database("sqlite:").error().code, ErrorCode::invalid_input);
  EXPECT_EQ(storage::open_database("sqlite:/nonexistent-dir/x/y.db").error().code, ErrorCode::io_error);
}

}  // namespace
