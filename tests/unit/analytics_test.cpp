// Coverage, compliance and simulation rules on small hand-made populations.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "analytics/compliance.h"
#include "analytics/coverage.h"
#include "ingest/population_extract.h"
#include "ingest/rules_files.h"

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
  // Found by name and birth date although the ID differs (a typo in the extract).
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
  EXPECT_EQ(report->matched_by_name, 1);
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
  std::vector<RegisteredPerson> registry{registered(1, "110105198503040011", 1, 44),
                                         registered(2, "110105198503040022", 1, 44)};
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

TEST_F(RulesTest, SimulationChangesOnlyWhatIsSet) {
  SimulationInput input;
  input.month = kMonth;
  collection::DeclaredPersonMonth line;
  line.person_id = 1;
  line.employer_region = "440300";
  line.employer_size = registry::EmployerSize::large;
  line.month = kMonth;
  line.declared_wage = *Money::parse("10000.00");
  input.employee_months.push_back(line);
  auto same = simulate(input, {}, *store_);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->baseline_fen, 240000);
  EXPECT_EQ(same->simulated_fen, same->baseline_fen);
  auto lower = simulate(input, {*parse_parameter_change("employer_pension_rate=0.14")}, *store_);
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->simulated_fen, 220000);
  EXPECT_EQ(lower->errors, 0);

  EXPECT_FALSE(parse_parameter_change("employer_pension_rate"));
  EXPECT_FALSE(parse_parameter_change("employer_pension_rate=-0.1"));
  EXPECT_FALSE(parse_parameter_change("employer_pension_rate=x"));
  EXPECT_FALSE(parse_parameter_change("pension_divisor=139"));
}

}  // namespace
}  // namespace shebao::analytics
