// Coverage, compliance and simulation rules on small hand-made populations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "analytics/compliance.h"
#include "analytics/coverage.h"
#include "ingest/population_extract.h"
#include "core/ids.h"
#include "ingest/rules_files.h"
#include "rules/retirement.h"

namespace shebao::analytics {
namespace {

const YearMonth kMonth = YearMonth::of(2026, 10);

PopulationRecord worker(std::string id, std::string region, std::string hukou,
                        EmploymentStatus status = EmploymentStatus::employed) {
  PopulationRecord r;
  r.resident_id = std::move(id);
  r.name = "王伟";
  r.birth_date = *Date::parse("1985-03-04");
  r.region = std::move(region);
  r.hukou_region = std::move(hukou);
  r.status = status;
  return r;
}

RegisteredPerson registered(std::int64_t person_id, std::string id, std::uint64_t months, int province) {
  RegisteredPerson p;
  p.person_id = person_id;
  p.resident_id = std::move(id);
  p.name = "王伟";
  p.birth_date = *Date::parse("1985-03-04");
  p.recent_months = months;
  for (int k = 0; k < 64; ++k) {
    if ((months >> k) & 1U) {
      p.last_month = kMonth.plus_months(-k);
      break;
    }
  }
  p.last_province = province;
  return p;
}

TEST(Coverage, GroupsAreDisjointInTheirOrder) {
  EXPECT_EQ(group_of(worker("1", "440300", "440100")), Group::employee);
  EXPECT_EQ(group_of(worker("1", "440300", "510100")), Group::migrant);
  EXPECT_EQ(group_of(worker("1", "440300", "510100", EmploymentStatus::self_employed)), Group::migrant);
  EXPECT_EQ(group_of(worker("1", "440300", "440300", EmploymentStatus::self_employed)), Group::self_employed);
  EXPECT_EQ(group_of(worker("1", "440300", "440300", EmploymentStatus::seasonal)), Group::seasonal);
  EXPECT_EQ(group_of(worker("1", "440300", "510100", EmploymentStatus::not_working)), Group::other);
}

TEST(Coverage, AgeBandsAtTheirEdges) {
  EXPECT_EQ(age_band(*Date::parse("2010-11-01"), kMonth), "<16");
  EXPECT_EQ(age_band(*Date::parse("2010-10-01"), kMonth), "16-24");
  EXPECT_EQ(age_band(*Date::parse("2001-11-01"), kMonth), "16-24");
  EXPECT_EQ(age_band(*Date::parse("2001-10-01"), kMonth), "25-34");
  EXPECT_EQ(age_band(*Date::parse("1961-10-01"), kMonth), "65+");
}

TEST(Coverage, WindowReasonsAndMatching) {
  std::vector<RegisteredPerson> registry{
      registered(1, "110105198503040001", 0b100, 44),         // contribution in M-2: covered with a window of 3
      registered(2, "110105198503040002", 0b1000, 44),        // last in M-3: lapsed 3 months
      registered(3, "110105198503040003", 0b1000, 51),        // last in M-3 in Sichuan, now in Guangdong: moved
      registered(4, "110105198503040004", 0b1000, 51),        // the same with a transfer requested: lapsed
      registered(5, "110105198503040005", 0, 0),              // registered, nothing booked
      registered(6, "110105198503040006", 0, 0),              // resident scheme: covered without contributions
  };
  registry[3].transfer_requested = true;
  registry[5].scheme = registry::Scheme::resident;
  registry[4].name = "李娜";
  registry[4].birth_date = *Date::parse("1990-01-02");
  std::vector<PopulationRecord> population{worker("110105198503040001", "440300", "440300"), worker("110105198503040002", "440300", "440300"),
                                           worker("110105198503040003", "440300", "440300"), worker("110105198503040004", "440300", "440300"),
                                           worker("110105198503040007", "440300", "440300"), worker("110105198503040006", "440300", "440300")};
  // Found by the matching engine although the ID differs (a typo in the extract).
  PopulationRecord by_name = worker("110105198503040008", "440300", "440300");
  by_name.name = "李娜";
  by_name.birth_date = *Date::parse("1990-01-02");
  population.push_back(by_name);
  for (std::size_t i = 0; i < population.size(); ++i) population[i].line = static_cast<int>(i) + 2;

  CoverageOptions options;
  options.month = kMonth;
  auto report = coverage_report(population, registry, options);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->population, 7);
  // "X" and the six registered... "X" has the common name 王伟 shared by several registered people: no match.
  EXPECT_EQ(report->matched, 6);
  EXPECT_EQ(report->matched_by_id, 5);
  EXPECT_EQ(report->matched_by_engine, 1);
  EXPECT_EQ(report->covered, 2);  // A and F
  ASSERT_EQ(report->uncovered.size(), 5u);
  EXPECT_EQ(report->uncovered[0].resident_id, "110105198503040002");
  EXPECT_EQ(report->uncovered[0].reason, Reason::lapsed);
  EXPECT_EQ(report->uncovered[0].months_since_last, 3);
  EXPECT_EQ(report->uncovered[1].reason, Reason::moved_without_transfer);
  EXPECT_EQ(report->uncovered[2].reason, Reason::lapsed);
  EXPECT_EQ(report->uncovered[3].reason, Reason::never_registered);
  EXPECT_EQ(report->uncovered[3].line, 6);
  EXPECT_EQ(report->uncovered[4].reason, Reason::no_contributions);

  options.window_months = 4;  // M-3 now counts
  auto wider = coverage_report(population, registry, options);
  ASSERT_TRUE(wider);
  EXPECT_EQ(wider->covered, 5);
  options.window_months = 0;
  EXPECT_EQ(coverage_report(population, registry, options).error().code, ErrorCode::out_of_range);
}

TEST(Coverage, TrendCountsEachMonthOfTheWorkingPopulation) {
  std::vector<RegisteredPerson> registry{registered(1, "110105198503040001", 0b011, 44), registered(2, "110105198503040002", 0b001, 44)};
  std::vector<PopulationRecord> population{worker("110105198503040001", "440300", "440300"), worker("110105198503040002", "440300", "440300"),
                                           worker("110105198503040009", "440300", "440300", EmploymentStatus::not_working)};
  population[2].name = "other";
  CoverageOptions options;
  options.month = kMonth;
  options.trend_months = 3;
  auto report = coverage_report(population, registry, options);
  ASSERT_TRUE(report);
  ASSERT_EQ(report->trend.size(), 3u);
  EXPECT_EQ(report->trend[0].first, kMonth.plus_months(-2));
  EXPECT_DOUBLE_EQ(report->trend[0].second, 0.0);
  EXPECT_DOUBLE_EQ(report->trend[1].second, 0.5);
  EXPECT_DOUBLE_EQ(report->trend[2].second, 1.0);
  EXPECT_EQ(report->uncovered.size(), 0u);  // the not-working person is not listed
}

// --- matching extract records that carry no usable ID: the engine ---

// A valid 18-character ID for a region, birth date and sequence.
std::string make_id(const std::string& region, Date birth, int sequence) {
  std::string date = birth.to_string();  // YYYY-MM-DD
  date.erase(std::remove(date.begin(), date.end(), '-'), date.end());
  char sequence_text[8];
  std::snprintf(sequence_text, sizeof sequence_text, "%03d", sequence % 1000);
  const std::string body = region + date + sequence_text;
  return body + resident_id_check_character(body);
}

// A registry of `count` persons with varied names, birth dates and regions, and
// an extract naming each of them correctly (what the engine's estimation learns from).
struct Population {
  std::vector<RegisteredPerson> registry;
  std::vector<PopulationRecord> extract;
};

Population varied_population(int count) {
  static const char* const kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                          "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"};
  static const char* const kGiven[] = {"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军",
                                       "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
                                       "平", "刚", "桂英", "建华", "文", "华", "金凤", "志强", "晓东", "海燕"};
  static const char* const kRegions[] = {"440300", "510104", "110105", "320102", "330106"};
  Population p;
  for (int i = 0; i < count; ++i) {
    const Date birth = Date::of(1960 + i % 40, 1 + (i / 40) % 12, 1 + (i / 480) % 28);
    const std::string region = kRegions[i % 5];
    RegisteredPerson person;
    person.person_id = i + 1;
    person.name = std::string(kSurnames[(i * 7) % 20]) + kGiven[(i * 13 / 5) % 30] + (i % 3 == 0 ? kGiven[i % 30] : "");
    person.birth_date = birth;
    person.resident_id = make_id(region, birth, 100 + i % 900);
    person.last_province = (region[0] - '0') * 10 + (region[1] - '0');
    person.recent_months = 1;
    person.last_month = kMonth;
    PopulationRecord record;
    record.line = i + 2;
    record.resident_id = person.resident_id;
    record.name = person.name;
    record.birth_date = birth;
    record.region = record.hukou_region = region;
    record.status = EmploymentStatus::employed;
    p.registry.push_back(person);
    p.extract.push_back(record);
  }
  return p;
}

// The ID with one digit of its sequence changed: the check character no longer fits.
std::string mistyped(std::string id) {
  id[15] = id[15] == '9' ? '1' : static_cast<char>(id[15] + 1);
  return id;
}

TEST(Matching, VariantsOfRegisteredPeopleAreFoundAndLookalikesAreNot) {
  Population p = varied_population(2000);
  // Four registered people appear only in a varied form.
  RegisteredPerson& typo = p.registry[10];
  RegisteredPerson& legacy = p.registry[11];
  RegisteredPerson& traditional = p.registry[12];
  RegisteredPerson& pinyin = p.registry[13];
  legacy.birth_date = Date::of(1968, 5, 21);
  legacy.resident_id = make_id("440300", legacy.birth_date, 123);
  traditional.name = "陈国华";
  pinyin.name = "张丽";
  // A registered 王伟 nobody names by ID, and a different 王伟 of the same year and region in the extract.
  RegisteredPerson lookalike;
  lookalike.person_id = 9001;
  lookalike.name = "王伟";
  lookalike.birth_date = Date::of(1985, 3, 4);
  lookalike.resident_id = make_id("440300", lookalike.birth_date, 511);
  lookalike.last_province = 44;
  p.registry.push_back(lookalike);

  auto& extract = p.extract;
  extract[10].resident_id = mistyped(typo.resident_id);
  extract[10].id_valid = false;
  // The legacy 15-digit form, as an extract that was not converted would carry it.
  extract[11].resident_id = legacy.resident_id.substr(0, 6) + legacy.resident_id.substr(8, 9);
  extract[11].id_valid = false;
  extract[11].birth_date = legacy.birth_date;
  extract[11].name = legacy.name;
  extract[12].resident_id = mistyped(traditional.resident_id);
  extract[12].id_valid = false;
  extract[12].name = "陳國華";
  extract[13].resident_id = mistyped(pinyin.resident_id);
  extract[13].id_valid = false;
  extract[13].name = "Zhang Li";
  PopulationRecord other = extract[0];
  other.line = 5000;
  other.name = "王伟";
  other.birth_date = Date::of(1985, 9, 17);
  other.resident_id = make_id("440300", other.birth_date, 733);
  other.region = other.hukou_region = "440300";
  extract.push_back(other);

  MatchStats stats;
  const auto matches = match_population(extract, p.registry, MatchOptions{}, &stats);
  ASSERT_EQ(matches.size(), extract.size());
  EXPECT_EQ(stats.by_id, 2000 - 4);
  EXPECT_EQ(stats.engine_records, 5);
  EXPECT_EQ(stats.engine_candidates, 5);
  for (const int i : {10, 11, 12, 13}) {
    ASSERT_TRUE(matches[static_cast<std::size_t>(i)]) << "extract row " << i << " " << extract[static_cast<std::size_t>(i)].name;
    EXPECT_EQ(*matches[static_cast<std::size_t>(i)], static_cast<std::uint32_t>(i));
  }
  EXPECT_FALSE(matches.back()) << "a different 王伟 of the same year was matched to registered person "
                               << p.registry[*matches.back()].name << " " << p.registry[*matches.back()].birth_date.to_string();
  EXPECT_EQ(stats.by_engine, 4);
  // The same with the engine on two threads.
  MatchOptions two;
  two.threads = 2;
  EXPECT_EQ(match_population(extract, p.registry, two), matches);
}

TEST(Matching, NothingToMatchLeavesTheEngineOut) {
  Population p = varied_population(50);
  p.extract[3].resident_id = mistyped(p.extract[3].resident_id);
  p.extract[3].id_valid = false;
  p.registry.erase(p.registry.begin() + 3);  // the person was never registered
  MatchStats stats;
  const auto matches = match_population(p.extract, p.registry, MatchOptions{}, &stats);
  EXPECT_EQ(stats.by_id, 49);
  EXPECT_EQ(stats.engine_records, 1);
  EXPECT_EQ(stats.engine_candidates, 0);
  EXPECT_FALSE(matches[3]);
}

TEST(Matching, CompactFactsReadDetailsOnlyForTheEngineAndInAnyOrder) {
  Population p = varied_population(300);
  std::vector<CoverageFacts> facts;
  for (const RegisteredPerson& person : p.registry) facts.push_back(coverage_facts_of(person));
  // Every record found by ID: the details are never read.
  int calls = 0;
  const RegistryDetails counted = [&]() -> Result<std::vector<RegisteredPerson>> {
    ++calls;
    return p.registry;
  };
  auto all_by_id = match_population(CoverageExtract(p.extract), facts, counted, MatchOptions{});
  ASSERT_TRUE(all_by_id);
  EXPECT_EQ(calls, 0);
  for (std::size_t i = 0; i < p.extract.size(); ++i) EXPECT_EQ((*all_by_id)[i], std::optional<std::uint32_t>(i));

  // A mistyped ID and an unclaimed person: the engine runs on the details,
  // given here in reverse order (joined by person_id), and finds the same match.
  p.extract[7].resident_id = mistyped(p.extract[7].resident_id);
  p.extract[7].id_valid = false;
  const auto expected = match_population(p.extract, p.registry, MatchOptions{});
  ASSERT_TRUE(expected[7]);
  EXPECT_EQ(*expected[7], 7u);
  const RegistryDetails reversed = [&]() -> Result<std::vector<RegisteredPerson>> {
    ++calls;
    return std::vector<RegisteredPerson>(p.registry.rbegin(), p.registry.rend());
  };
  MatchStats stats;
  auto engine = match_population(CoverageExtract(p.extract), facts, reversed, MatchOptions{}, &stats);
  ASSERT_TRUE(engine);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(*engine, expected);
  EXPECT_EQ(stats.by_engine, 1);

  // Details that cannot be read fail the match and the report with their error.
  const RegistryDetails failing = []() -> Result<std::vector<RegisteredPerson>> {
    return fail(ErrorCode::io_error, "persons", "the store is gone");
  };
  auto failed = match_population(CoverageExtract(p.extract), facts, failing, MatchOptions{});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::io_error);
  CoverageOptions options;
  options.month = kMonth;
  auto report = coverage_report(CoverageExtract(p.extract), facts, failing, options);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().field, "persons");
  // Persons the details leave out take no part in the engine's step: the record stays unmatched.
  const RegistryDetails partial = [&]() -> Result<std::vector<RegisteredPerson>> {
    std::vector<RegisteredPerson> some = p.registry;
    some.erase(some.begin() + 7);
    return some;
  };
  auto without = match_population(CoverageExtract(p.extract), facts, partial, MatchOptions{});
  ASSERT_TRUE(without);
  EXPECT_FALSE((*without)[7]);
}

TEST(Coverage, CompactExtractGivesBackWhatTheReportReads) {
  std::vector<PopulationRecord> records{worker("11010519491231002X", "440300", "510100"),
                                        worker(mistyped("110105198503040011"), "110105", "110105"),
                                        worker("110105198503040011", "", "440300", EmploymentStatus::not_working)};
  records[0].line = 2;
  records[0].name = "欧阳娜娜";
  records[1].id_valid = false;
  records[1].line = 3;
  records[2].name.clear();
  records[2].line = 40;
  const CoverageExtract extract(records);
  ASSERT_EQ(extract.size(), 3u);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(extract.resident_id(i), records[i].resident_id) << i;
    EXPECT_EQ(extract.name(i), records[i].name) << i;
    EXPECT_EQ(extract.region(i), records[i].region) << i;
    EXPECT_EQ(extract.line(i), records[i].line) << i;
    EXPECT_EQ(extract.id_valid(i), records[i].id_valid) << i;
    EXPECT_EQ(extract.group(i), group_of(records[i])) << i;
    EXPECT_EQ(extract.birth_date(i), records[i].birth_date) << i;
  }
  EXPECT_EQ(extract.resident_key(0), *resident_id_key("11010519491231002X"));
  EXPECT_EQ(extract.resident_key(1), 0u);  // a mistyped ID is not looked up
  EXPECT_EQ(extract.province(0), 44);
  EXPECT_EQ(extract.province(2), 0);  // no region
}

TEST(Coverage, ResidentIdIndexFindsTheFirstPersonOfAKeyAndNothingElse) {
  const std::string id = make_id("440300", Date::of(1985, 3, 4), 123);
  const std::uint64_t key = *resident_id_key(id);
  std::vector<std::uint64_t> keys{0, key + 11, key, key, 0};
  for (int i = 0; i < 100; ++i) keys.push_back(key + 22 + static_cast<std::uint64_t>(i) * 11);
  const ResidentIdIndex index(keys);
  EXPECT_EQ(index.find(id), std::optional<std::size_t>(2));
  EXPECT_EQ(index.find_key(key + 11), std::optional<std::size_t>(1));
  EXPECT_EQ(index.find_key(key + 22 + 99 * 11), std::optional<std::size_t>(104));
  EXPECT_FALSE(index.find_key(0));  // no ID
  EXPECT_FALSE(index.find_key(key + 1));
  EXPECT_FALSE(index.find(id.substr(0, 17)));  // not 18 characters
  EXPECT_FALSE(index.find(id.substr(0, 17) + "x"));
}

TEST(PopulationFile, ReadsNormalisesAndRefusesWithLineAndColumn) {
  const auto dir = std::filesystem::temp_directory_path() / ("shebao-extract-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string header =
      "resident_id,name,birth_date,region,hukou_region,employment_status,self_employed,employer_credit_code,"
      "monthly_income\n";
  auto write = [&](const std::string& name, const std::string& body) {
    std::ofstream(dir / name) << header << body;
    return dir / name;
  };
  // A 15-digit ID is converted to 18 characters; self_employed=1 sets the status.
  auto good = ingest::read_population(
      write("good.csv", "110105491231002,张三,1949-12-31,110105,110105,not_working,1,,1000.00\n"));
  ASSERT_TRUE(good) << good.error().to_string();
  ASSERT_EQ(good->size(), 1u);
  EXPECT_TRUE((*good)[0].id_valid);
  EXPECT_EQ((*good)[0].resident_id.size(), 18u);
  EXPECT_EQ((*good)[0].status, EmploymentStatus::self_employed);
  EXPECT_EQ((*good)[0].monthly_income.fen(), 100000);
  EXPECT_EQ((*good)[0].line, 2);

  struct Bad {
    std::string body, where, column;
  };
  for (const Bad& bad : {Bad{"11010519491231002Y,a,1949-12-31,110105,110105,not_working,0,,0\n", ":2", "resident_id"},
                         Bad{"11010519491231002X,a,1949-13-31,110105,110105,not_working,0,,0\n", ":2", "birth_date"},
                         Bad{"11010519491231002X,a,1949-12-31,990105,110105,not_working,0,,0\n", ":2", "region"},
                         Bad{"11010519491231002X,a,1949-12-31,110105,110105,retired,0,,0\n", ":2", "employment_status"},
                         Bad{"11010519491231002X,a,1949-12-31,110105,110105,employed,0,,0\n", ":2",
                             "employer_credit_code"},
                         Bad{"11010519491231002X,a,1949-12-31,110105,110105,employed,1,,0\n", ":2", "self_employed"},
                         Bad{"11010519491231002X,a,1949-12-31,110105,110105,not_working,0,,-1\n", ":2",
                             "monthly_income"},
                         Bad{"11010519491231002X,,1949-12-31,110105,110105,not_working,0,,0\n", ":2", "name"}}) {
    auto read = ingest::read_population(write("bad.csv", bad.body));
    ASSERT_FALSE(read) << bad.body;
    EXPECT_NE(read.error().field.find("bad.csv" + bad.where), std::string::npos) << read.error().to_string();
    EXPECT_NE(read.error().message.find(bad.column), std::string::npos) << read.error().to_string();
  }
  EXPECT_FALSE(ingest::read_population(dir / "missing.csv"));
  // A mistyped ID (wrong check character, impossible date or unknown region) is kept as given, unchecked.
  auto typos = ingest::read_population(write("typos.csv",
                                             "110105194912310021,a,1949-12-31,110105,110105,not_working,0,,0\n"
                                             "110105194913310020,b,1949-12-31,110105,110105,not_working,0,,0\n"
                                             "990105194912310020,c,1949-12-31,110105,110105,not_working,0,,0\n"));
  ASSERT_TRUE(typos) << typos.error().to_string();
  ASSERT_EQ(typos->size(), 3u);
  for (const auto& record : *typos) EXPECT_FALSE(record.id_valid) << record.resident_id;
  EXPECT_EQ((*typos)[0].resident_id, "110105194912310021");
  std::filesystem::remove_all(dir);
}

class RulesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = ingest::load_rules_directory(SHEBAO_RULES_DIR);
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    store_ = new rules::ParameterStore(std::move(*loaded));
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
  }
  static rules::ParameterStore* store_;
};
rules::ParameterStore* RulesTest::store_ = nullptr;

TEST_F(RulesTest, ComplianceEstimatesWhatUndeclaredAndShortWagesMiss) {
  EmployerFacts employer;
  employer.employer.employer_id = 7;
  employer.employer.credit_code = "91440300MA5FXXXXXX";
  employer.employer.region = "440300";
  employer.employer.size = registry::EmployerSize::large;
  EmployerFacts payer;
  payer.employer.employer_id = 8;
  payer.employer.credit_code = "B";
  payer.employer.region = "440300";
  payer.arrears_fen = 500;
  payer.unpaid_months = 1;
  std::vector<PopulationRecord> population{
      worker("110105198503040011", "440300", "440300"), worker("110105198503040022", "440300", "440300"),
      worker("110105198503040033", "440300", "440300"), worker("110105198503040044", "440300", "440300")};
  for (auto& record : population) {
    record.employer_credit_code = employer.employer.credit_code;
    record.monthly_income = *Money::parse("10000.00");
  }
  population[3].employer_credit_code = "UNKNOWN";
  std::vector<SimulationPerson> registry(2);
  registry[0].person_id = 1;
  registry[0].resident_key = *resident_id_key("110105198503040011");
  registry[1].person_id = 2;
  registry[1].resident_key = *resident_id_key("110105198503040022");
  // P1 declared in full, P2 at 7,000 (short), P3 not declared at all.
  const std::vector<DeclaredLineFact> lines{{1, 7, 1000000}, {2, 7, 700000}};
  ComplianceOptions options;
  options.month = kMonth;
  auto report = compliance_report(population, registry, {employer, payer}, lines, *store_, options);
  ASSERT_TRUE(report) << report.error().to_string();
  ASSERT_EQ(report->employers.size(), 1u);
  const ComplianceRow& row = report->employers[0];
  EXPECT_EQ(row.extract_workers, 3);
  EXPECT_EQ(row.declared_workers, 2);
  EXPECT_EQ(row.undeclared_workers, 1);
  EXPECT_EQ(row.short_wages, 1);
  EXPECT_EQ(report->extract_workers_unknown_employer, 1);
  // 16 % + 8 % of the base: all of 10,000 for P3, 10,000 - 7,000 for P2, if both bases lie inside the band.
  EXPECT_EQ(row.missing_contributions_fen, 240000 + 72000);
  ASSERT_EQ(report->late_payers.size(), 1u);
  EXPECT_EQ(report->late_payers[0].arrears_fen, 500);
}

SimulationInput one_line_input() {
  SimulationInput input;
  input.month = kMonth;
  input.employers.push_back(SimulationEmployer{7, 440300, registry::EmployerSize::large, registry::UnitType::enterprise});
  input.lines.push_back(DeclaredLineFact{1, 7, 1000000});
  SimulationPerson person;
  person.person_id = 1;
  person.birth_date = Date::of(1985, 3, 4);
  input.persons.push_back(person);
  return input;
}

TEST_F(RulesTest, SimulationChangesOnlyWhatIsSet) {
  const SimulationInput input = one_line_input();
  auto same = simulate(input, {}, *store_);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->baseline_fen, 240000);
  EXPECT_EQ(same->simulated_fen, same->baseline_fen);
  auto lower = simulate(input, {*parse_parameter_change("employer_pension_rate=0.14")}, *store_);
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->simulated_fen, 220000);
  EXPECT_EQ(lower->errors, 0);
  ASSERT_EQ(lower->groups.size(), 1u);
  EXPECT_EQ(lower->groups[0].group, Group::employee);
}

TEST(Simulation, EachKeySaysWhatItAllows) {
  EXPECT_FALSE(parse_parameter_change("employer_pension_rate"));
  EXPECT_FALSE(parse_parameter_change("employer_pension_rate=-0.1"));
  EXPECT_FALSE(parse_parameter_change("employer_pension_rate=x"));
  EXPECT_FALSE(parse_parameter_change("pension_divisor=139"));
  struct Bad {
    const char* text;
    const char* allowed;
  };
  for (const Bad& bad : {Bad{"employer_pension_rate=1", "a share of the base, from 0 to below 1"},
                         Bad{"flexible_min_base_ratio=0.05", "a multiple of the average wage, from 0.1 to 3"},
                         Bad{"contribution_base_ceiling_ratio=0.9", "from 1 to 10"},
                         Bad{"basic_pension_accrual_rate=0", "greater than 0 to 0.05"},
                         Bad{"basic_pension_accrual_rate=0.051", "greater than 0 to 0.05"},
                         Bad{"pension_base_w=0", "yuan a month, greater than 0"},
                         Bad{"divisor_age_47=207.5", "a whole number"},
                         Bad{"divisor_age_47=", "a whole number"}}) {
    auto change = parse_parameter_change(bad.text);
    ASSERT_FALSE(change) << bad.text;
    EXPECT_EQ(change.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(change.error().field, "--set");
    const std::string key(std::string_view(bad.text).substr(0, std::string_view(bad.text).find('=')));
    EXPECT_NE(change.error().message.find(key), std::string::npos) << change.error().message;
    EXPECT_NE(change.error().message.find(bad.allowed), std::string::npos) << change.error().message;
  }
  for (const char* good : {"employer_pension_rate=0", "basic_pension_accrual_rate=0.05", "pension_base_w=12049.50",
                           "divisor_age_47=208", "flexible_max_base_ratio=3"}) {
    EXPECT_TRUE(parse_parameter_change(good)) << good;
  }
}

TEST_F(RulesTest, SimulationRefusesChangesTheRulesInForceDoNotAllow) {
  const SimulationInput input = one_line_input();
  auto crossed = simulate(input,
                          {*parse_parameter_change("contribution_base_floor_ratio=2"),
                           *parse_parameter_change("contribution_base_ceiling_ratio=1.5")},
                          *store_);
  ASSERT_FALSE(crossed);
  EXPECT_EQ(crossed.error().field, "--set");
  EXPECT_NE(crossed.error().message.find("contribution_base_floor_ratio"), std::string::npos);
  EXPECT_NE(crossed.error().message.find("contribution_base_ceiling_ratio"), std::string::npos);
  auto divisor = simulate(input, {*parse_parameter_change("divisor_age_47=300")}, *store_);
  ASSERT_FALSE(divisor);
  EXPECT_EQ(divisor.error().field, "--set");
  EXPECT_NE(divisor.error().message.find("divisor_age_47"), std::string::npos) << divisor.error().message;
  EXPECT_TRUE(simulate(input, {*parse_parameter_change("divisor_age_47=208")}, *store_));
}

TEST_F(RulesTest, PensionAwardsOfThoseReachingRetirementInTheYear) {
  SimulationInput input = one_line_input();
  input.persons[0].birth_date = Date::of(1966, 3, 10);  // a man reaching his statutory age in 2026
  input.persons[0].retirement_category = static_cast<std::uint8_t>(rules::RetirementCategory::male);
  SimulationPerson young;
  young.person_id = 2;
  young.birth_date = Date::of(1990, 1, 1);
  SimulationPerson resident = input.persons[0];
  resident.person_id = 3;
  resident.scheme = registry::Scheme::resident;  // the residents' scheme is not the employee pension
  input.persons.push_back(young);
  input.persons.push_back(resident);
  EXPECT_EQ(retiring_persons(input.persons, kMonth, *store_), std::vector<std::int64_t>{1});

  input.pension.push_back(PensionFacts{1, 180, 0});  // 15 years booked, an empty account: the basic pension only
  auto same = simulate(input, {*parse_parameter_change("basic_pension_accrual_rate=0.01")}, *store_);
  ASSERT_TRUE(same) << same.error().to_string();
  EXPECT_EQ(same->pension_errors, 0) << same->first_pension_error;
  EXPECT_EQ(same->pension_persons, 1);
  EXPECT_GT(same->pension_baseline_fen, 0);
  EXPECT_EQ(same->pension_simulated_fen, same->pension_baseline_fen);
  // Twice the accrual rate: twice the basic pension (to a fen of rounding).
  auto doubled = simulate(input, {*parse_parameter_change("basic_pension_accrual_rate=0.02")}, *store_);
  ASSERT_TRUE(doubled);
  EXPECT_LE(std::abs(doubled->pension_simulated_fen - 2 * doubled->pension_baseline_fen), 1);
  ASSERT_EQ(doubled->pension_groups.size(), 1u);
  EXPECT_EQ(doubled->pension_groups[0].group, Group::employee);
  EXPECT_EQ(doubled->pension_groups[0].persons, 1);
  // Each part alone gives what the two together give.
  input.contributions = false;
  auto pensions_only = simulate(input, {*parse_parameter_change("basic_pension_accrual_rate=0.02")}, *store_);
  input.contributions = true;
  input.pensions = false;
  auto contributions_only = simulate(input, {*parse_parameter_change("basic_pension_accrual_rate=0.02")}, *store_);
  input.pensions = true;
  ASSERT_TRUE(pensions_only && contributions_only);
  EXPECT_TRUE(pensions_only->groups.empty());
  EXPECT_EQ(pensions_only->pension_simulated_fen, doubled->pension_simulated_fen);
  EXPECT_EQ(contributions_only->pension_persons, 0);
  EXPECT_EQ(contributions_only->baseline_fen, doubled->baseline_fen);
  // A higher W raises the award; the contributions do not change.
  auto higher_w = simulate(input, {*parse_parameter_change("pension_base_w=20000")}, *store_);
  ASSERT_TRUE(higher_w);
  EXPECT_GT(higher_w->pension_simulated_fen, higher_w->pension_baseline_fen);
  EXPECT_EQ(higher_w->simulated_fen, higher_w->baseline_fen);
  // An account balance gives an account pension; the divisor at 47 does not touch a man of 60.
  input.pension[0].account_fen = 13900000;
  auto account = simulate(input, {*parse_parameter_change("divisor_age_47=208")}, *store_);
  ASSERT_TRUE(account);
  EXPECT_GT(account->pension_baseline_fen, same->pension_baseline_fen);
  EXPECT_EQ(account->pension_simulated_fen, account->pension_baseline_fen);
}

TEST_F(RulesTest, SimulationGivesTheSameResultOnTwoThreads) {
  SimulationInput input;
  input.month = kMonth;
  input.employers.push_back(SimulationEmployer{7, 440300, registry::EmployerSize::large, registry::UnitType::enterprise});
  input.employers.push_back(SimulationEmployer{8, 510104, registry::EmployerSize::small, registry::UnitType::enterprise});
  for (int i = 1; i <= 20000; ++i) {
    SimulationPerson person;
    person.person_id = i;
    person.resident_key = static_cast<std::uint64_t>(i) * 11;
    person.birth_date = Date::of(1970 + i % 30, 1, 1);
    if (i % 5 == 0) {
      person.scheme = registry::Scheme::flexible;
      person.scheme_region = 440300;
      person.base_ratio_e4 = 6000 + (i % 7) * 1000;
    } else {
      input.lines.push_back(DeclaredLineFact{i, 7 + i % 2, 300000 + i * 37});
    }
    input.persons.push_back(person);
    if (i % 3 == 0) input.extract.push_back(ExtractFact{static_cast<std::uint64_t>(i) * 11, Group::migrant, 500000});
  }
  const std::vector<ParameterChange> changes{*parse_parameter_change("employer_pension_rate=0.14"),
                                             *parse_parameter_change("flexible_min_base_ratio=0.4")};
  auto one = simulate(input, changes, *store_);
  input.threads = 2;
  auto two = simulate(input, changes, *store_);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->errors, 0) << one->first_error;
  EXPECT_EQ(one->baseline_fen, two->baseline_fen);
  EXPECT_EQ(one->simulated_fen, two->simulated_fen);
  EXPECT_LT(one->simulated_fen, one->baseline_fen);
  EXPECT_GT(one->flexible_with_income, 0);
  EXPECT_EQ(one->flexible_with_income, two->flexible_with_income);
  EXPECT_EQ(one->burdened_simulated, two->burdened_simulated);
  ASSERT_EQ(one->groups.size(), two->groups.size());
  for (std::size_t g = 0; g < one->groups.size(); ++g) {
    EXPECT_EQ(one->groups[g].person_months, two->groups[g].person_months);
    EXPECT_EQ(one->groups[g].simulated_fen, two->groups[g].simulated_fen);
  }
}

}  // namespace
}  // namespace shebao::analytics
