// The synthetic population generator (`shebao gen`): determinism, valid
// identifiers, plausible shares, and the cases it exists to exercise.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/ids.h"
#include "ingest/synthetic_population.h"

namespace {

using namespace shebao;
using namespace shebao::ingest;

struct Person {
  std::string resident_id, name, name_pinyin, hukou_region, phone, retirement_category, scheme, scheme_region, ratio;
};
struct Employer {
  std::string credit_code, name, region, size, unit_type;
};
struct Line {
  std::string credit_code;
  YearMonth month;
  std::string resident_id;
  Money wage;
  int days_worked;
  DeclarationEvent event;
  Date event_date;
};
struct Payment {
  std::string credit_code;
  YearMonth month;
  Date paid_on;
};

// Keeps every row, and the whole output as text for byte comparisons.
class RecordingSink : public PopulationSink {
 public:
  std::vector<Person> persons;
  std::vector<Employer> employers;
  std::vector<Line> lines;
  std::vector<Payment> payments;
  std::vector<std::string> phases;
  std::vector<YearMonth> months_begun;
  std::vector<YearMonth> months_ended;
  std::string text;
  std::uint64_t declared_total = 0;

  void on_phase(std::string_view name, std::uint64_t total) override {
    phases.emplace_back(name);
    if (name == "declaration lines") declared_total = total;
  }
  void on_person(const PersonRow& r) override {
    persons.push_back({std::string(r.resident_id), std::string(r.name), std::string(r.name_pinyin),
                       std::string(r.hukou_region), std::string(r.phone), std::string(r.retirement_category),
                       std::string(r.scheme), std::string(r.scheme_region), std::string(r.flexible_base_ratio)});
    const Person& p = persons.back();
    text += p.resident_id + "," + p.name + "," + p.name_pinyin + "," + p.hukou_region + "," + p.phone + "," +
            p.retirement_category + "," + p.scheme + "," + p.scheme_region + "," + p.ratio + "\n";
  }
  void on_employer(const EmployerRow& r) override {
    employers.push_back({std::string(r.credit_code), std::string(r.name), std::string(r.region), std::string(r.size),
                         std::string(r.unit_type)});
    const Employer& e = employers.back();
    text += e.credit_code + "," + e.name + "," + e.region + "," + e.size + "," + e.unit_type + "\n";
  }
  void on_month_begin(YearMonth month) override { months_begun.push_back(month); }
  void on_declaration_line(const DeclarationLine& l) override {
    lines.push_back({std::string(l.credit_code), l.month, std::string(l.resident_id), l.wage, l.days_worked, l.event,
                     l.event_date});
    text += lines.back().credit_code + "," + l.month.to_string() + "," + lines.back().resident_id + "," +
            l.wage.to_string() + "," + std::to_string(l.days_worked) + "," + std::string(to_string(l.event)) + "," +
            (l.event == DeclarationEvent::none ? std::string() : l.event_date.to_string()) + "\n";
  }
  void on_payment(const PaymentRow& r) override {
    payments.push_back({std::string(r.credit_code), r.month, r.paid_on});
    text += payments.back().credit_code + "," + r.month.to_string() + "," + r.paid_on.to_string() + "\n";
  }
  void on_month_end(YearMonth month) override { months_ended.push_back(month); }
};

PopulationOptions options(std::int64_t persons, int regions, int years, std::uint64_t seed) {
  PopulationOptions o;
  o.persons = persons;
  o.regions = regions;
  o.years = years;
  o.seed = seed;
  return o;
}

// One generated population shared by the tests that only read it.
struct Generated {
  RecordingSink sink;
  PopulationSummary summary;
};

const Generated& population() {
  static const Generated* generated = [] {
    auto* g = new Generated;
    auto summary = generate_population(options(20000, 4, 2, 20261031), g->sink);
    if (!summary) {
      ADD_FAILURE() << summary.error().to_string();
      std::abort();
    }
    g->summary = *summary;
    return g;
  }();
  return *generated;
}

int days_in(YearMonth month) { return Date::last_of(month).days_since(Date::first_of(month)) + 1; }

TEST(SyntheticPopulation, SameSeedSameOutputOtherSeedOtherOutput) {
  RecordingSink a, b, c;
  ASSERT_TRUE(generate_population(options(3000, 3, 2, 7), a));
  ASSERT_TRUE(generate_population(options(3000, 3, 2, 7), b));
  ASSERT_TRUE(generate_population(options(3000, 3, 2, 8), c));
  EXPECT_FALSE(a.text.empty());
  EXPECT_EQ(a.text, b.text);
  EXPECT_NE(a.text, c.text);
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

TEST(SyntheticPopulation, KnownSeedGivesKnownOutput) {
  // Guards the platform independence of the generator (mt19937_64 and our own
  // distributions only; no libm, no std::*_distribution). If the model is
  // changed on purpose, update the fingerprint and the first row.
  RecordingSink sink;
  ASSERT_TRUE(generate_population(options(2000, 3, 1, 42), sink));
  ASSERT_FALSE(sink.persons.empty());
  const Person& p = sink.persons[0];
  EXPECT_EQ(p.resident_id + "," + p.name + "," + p.name_pinyin + "," + p.hukou_region + "," + p.phone + "," +
                p.retirement_category + "," + p.scheme,
            "420104199802053279,李凯,Li Kai,420100,19579831383,male,employee");
  EXPECT_EQ(fnv1a(sink.text), 0xf6a25ee3da0d39a2ULL) << std::hex << fnv1a(sink.text);
}

TEST(SyntheticPopulation, CallbacksInFileOrder) {
  const Generated& g = population();
  const std::vector<std::string> expected{"persons", "employers", "declaration lines"};
  EXPECT_EQ(g.sink.phases, expected);
  ASSERT_EQ(g.sink.months_begun.size(), 24u);
  EXPECT_EQ(g.sink.months_begun.front(), YearMonth::of(2024, 11));
  EXPECT_EQ(g.sink.months_begun.back(), YearMonth::of(2026, 10));
  EXPECT_EQ(g.sink.months_begun, g.sink.months_ended);
  EXPECT_EQ(g.sink.declared_total, g.sink.lines.size());
  EXPECT_EQ(static_cast<std::size_t>(g.summary.declaration_lines), g.sink.lines.size());
  EXPECT_EQ(static_cast<std::size_t>(g.summary.payments), g.sink.payments.size());
  EXPECT_EQ(static_cast<std::size_t>(g.summary.persons), g.sink.persons.size());
  EXPECT_EQ(static_cast<std::size_t>(g.summary.employers), g.sink.employers.size());
}

TEST(SyntheticPopulation, PersonsHaveValidIdsAndFields) {
  const Generated& g = population();
  const Date first_day = Date::first_of(g.summary.first_month);
  std::set<std::string> ids;
  for (const Person& p : g.sink.persons) {
    SCOPED_TRACE(p.resident_id);
    auto id = ResidentId::parse(p.resident_id);
    ASSERT_TRUE(id) << id.error().to_string();
    EXPECT_EQ(id->text(), p.resident_id);
    EXPECT_TRUE(ids.insert(p.resident_id).second) << "duplicate resident ID";
    EXPECT_EQ(id->is_male(), p.retirement_category == "male");
    EXPECT_TRUE(p.retirement_category == "male" || p.retirement_category == "female_50" ||
                p.retirement_category == "female_55");
    // Age 18..64 on the first day.
    const auto birth = id->birth_date().ymd();
    const auto start = first_day.ymd();
    int age = static_cast<int>(start.year()) - static_cast<int>(birth.year());
    if (std::chrono::month_day(start.month(), start.day()) < std::chrono::month_day(birth.month(), birth.day())) --age;
    EXPECT_GE(age, 18);
    EXPECT_LE(age, 64);

    auto hukou = RegionCode::parse(p.hukou_region);
    ASSERT_TRUE(hukou);
    EXPECT_EQ(hukou->province(), id->region().province());
    EXPECT_FALSE(p.name.empty());
    EXPECT_FALSE(p.name_pinyin.empty());
    EXPECT_NE(p.name_pinyin.find(' '), std::string::npos);
    EXPECT_EQ(p.phone.size(), 11u);
    EXPECT_EQ(p.phone[0], '1');
    for (const std::string* field : {&p.name, &p.name_pinyin}) {
      EXPECT_EQ(field->find_first_of(",\"\n\r"), std::string::npos);
    }
    if (p.scheme == "employee") {
      EXPECT_TRUE(p.scheme_region.empty());
      EXPECT_TRUE(p.ratio.empty());
    } else if (p.scheme == "flexible") {
      EXPECT_TRUE(RegionCode::parse(p.scheme_region));
      EXPECT_TRUE(p.ratio == "0.60" || p.ratio == "0.80" || p.ratio == "1.00" || p.ratio == "1.50" ||
                  p.ratio == "3.00")
          << p.ratio;
    } else {
      EXPECT_EQ(p.scheme, "resident");
      EXPECT_EQ(p.scheme_region, p.hukou_region);
      EXPECT_TRUE(p.ratio.empty());
    }
  }
}

TEST(SyntheticPopulation, SchemeMixAndProvinces) {
  const Generated& g = population();
  std::map<std::string, int> schemes;
  std::set<int> provinces;
  int flexible_elsewhere = 0;
  for (const Person& p : g.sink.persons) {
    ++schemes[p.scheme];
    provinces.insert(std::stoi(p.hukou_region.substr(0, 2)));
    if (p.scheme == "flexible" && p.scheme_region.substr(0, 2) != p.hukou_region.substr(0, 2)) ++flexible_elsewhere;
  }
  const double n = static_cast<double>(g.sink.persons.size());
  EXPECT_NEAR(schemes["employee"] / n, 0.75, 0.03);
  EXPECT_NEAR(schemes["flexible"] / n, 0.15, 0.02);
  EXPECT_NEAR(schemes["resident"] / n, 0.10, 0.02);
  EXPECT_EQ(provinces.size(), 4u);
  for (int province : provinces) EXPECT_LE(province, 65);
  EXPECT_GT(flexible_elsewhere, 0);
  EXPECT_EQ(g.summary.employees, schemes["employee"]);
}

TEST(SyntheticPopulation, EmployersHaveValidCodesAndSizes) {
  const Generated& g = population();
  std::set<std::string> codes;
  std::map<std::string, int> sizes;
  std::map<std::string, int> unit_types;
  for (const Employer& e : g.sink.employers) {
    SCOPED_TRACE(e.credit_code);
    auto code = CreditCode::parse(e.credit_code);
    ASSERT_TRUE(code) << code.error().to_string();
    EXPECT_EQ(code->text(), e.credit_code);
    EXPECT_TRUE(codes.insert(e.credit_code).second) << "duplicate credit code";
    EXPECT_EQ(code->region().text(), e.region);
    auto region = RegionCode::parse(e.region);
    ASSERT_TRUE(region);
    EXPECT_EQ(region->county(), 0);
    EXPECT_GE(region->prefecture(), 1);
    const std::string prefix = e.unit_type == "enterprise"            ? "91"
                               : e.unit_type == "individual_business" ? "92"
                                                                      : "12";
    EXPECT_EQ(e.credit_code.substr(0, 2), prefix) << e.unit_type;
    EXPECT_EQ(e.name.find_first_of(",\"\n\r"), std::string::npos);
    ++sizes[e.size];
    ++unit_types[e.unit_type];
  }
  const double employers = static_cast<double>(g.sink.employers.size());
  const double employees = static_cast<double>(g.summary.employees);
  EXPECT_GT(employees / employers, 9.0);
  EXPECT_LT(employees / employers, 25.0);
  EXPECT_GT(sizes["micro"], sizes["small"]);
  EXPECT_GT(sizes["small"], sizes["medium"]);
  EXPECT_GT(sizes["medium"], 0);
  EXPECT_GE(sizes["large"], 0);
  EXPECT_EQ(sizes.size() - (sizes.count("large") ? 1 : 0), 3u);
  EXPECT_GT(unit_types["enterprise"], unit_types["individual_business"]);
  EXPECT_GT(unit_types["individual_business"], unit_types["public_institution"]);
  EXPECT_GT(unit_types["public_institution"], 0);
}

TEST(SyntheticPopulation, DeclarationsAreConsistentSpells) {
  const Generated& g = population();
  std::map<std::string, std::string> scheme_of;
  for (const Person& p : g.sink.persons) scheme_of[p.resident_id] = p.scheme;
  std::set<std::string> employer_codes;
  for (const Employer& e : g.sink.employers) employer_codes.insert(e.credit_code);

  // Per person: the employer of the open spell ("" = none) and the month of its last line.
  std::map<std::string, std::string> open_at;
  std::map<std::string, YearMonth> last_month;
  YearMonth current;
  std::set<std::string> finished_employers;  // within the current month
  std::set<std::string> seen_this_month;     // persons
  std::string current_employer;
  for (const Line& l : g.sink.lines) {
    SCOPED_TRACE(l.credit_code + " " + l.month.to_string() + " " + l.resident_id);
    if (l.month != current) {
      ASSERT_TRUE(current == YearMonth() || l.month == current.plus_months(1));
      current = l.month;
      finished_employers.clear();
      seen_this_month.clear();
      current_employer.clear();
    }
    if (l.credit_code != current_employer) {
      // The lines of one employer are contiguous within a month file.
      ASSERT_TRUE(finished_employers.insert(current_employer).second || current_employer.empty());
      ASSERT_EQ(finished_employers.count(l.credit_code), 0u) << "employer's lines split";
      current_employer = l.credit_code;
    }
    ASSERT_TRUE(employer_codes.count(l.credit_code));
    ASSERT_EQ(scheme_of[l.resident_id], "employee");
    ASSERT_TRUE(seen_this_month.insert(l.resident_id).second) << "person twice in a month";
    const int dim = days_in(l.month);
    ASSERT_GE(l.days_worked, 1);
    ASSERT_LE(l.days_worked, dim);
    ASSERT_GE(l.wage.fen(), 0);
    if (l.event != DeclarationEvent::none) {
      ASSERT_EQ(l.event_date.year_month(), l.month);
    }

    std::string& open = open_at[l.resident_id];
    if (l.event == DeclarationEvent::hire) {
      // A hire starts a spell; none is open then.
      ASSERT_EQ(open, "");
      open = l.credit_code;
      const int day = static_cast<int>(static_cast<unsigned>(l.event_date.ymd().day()));
      ASSERT_EQ(l.days_worked, dim - day + 1);
    } else {
      // Any other line continues the open spell at the same employer, the month after its last line.
      ASSERT_EQ(open, l.credit_code) << "line without a hire";
      ASSERT_EQ(last_month[l.resident_id].plus_months(1), l.month) << "gap inside a spell";
      if (l.event == DeclarationEvent::leave) {
        const int day = static_cast<int>(static_cast<unsigned>(l.event_date.ymd().day()));
        ASSERT_EQ(l.days_worked, day);
        open.clear();
      }
    }
    last_month[l.resident_id] = l.month;
  }
  // Spells still open at the period end have their last line in the last month.
  for (const auto& [id, employer] : open_at) {
    if (!employer.empty()) {
      EXPECT_EQ(last_month[id], g.summary.last_month) << id;
    }
  }
}

TEST(SyntheticPopulation, MigrantsSeasonalWorkersAndJobChangesExist) {
  const Generated& g = population();
  std::map<std::string, std::set<std::string>> provinces_of;  // person -> province of each employer
  std::map<std::string, std::set<std::string>> employers_of;
  std::map<std::string, std::map<std::string, int>> hires;  // person -> employer -> hires
  int leaves = 0;
  int mid_month_hires = 0;
  for (const Line& l : g.sink.lines) {
    provinces_of[l.resident_id].insert(l.credit_code.substr(2, 2));
    employers_of[l.resident_id].insert(l.credit_code);
    if (l.event == DeclarationEvent::hire) {
      ++hires[l.resident_id][l.credit_code];
      if (l.event_date != Date::first_of(l.month)) ++mid_month_hires;
    }
    if (l.event == DeclarationEvent::leave) ++leaves;
  }
  const double employees = static_cast<double>(g.summary.employees);
  int migrants = 0;
  int changers = 0;
  for (const auto& [id, provinces] : provinces_of) migrants += provinces.size() > 1;
  for (const auto& [id, employers] : employers_of) changers += employers.size() > 1;
  int seasonal = 0;
  for (const auto& [id, by_employer] : hires) {
    for (const auto& [employer, count] : by_employer) seasonal += count >= 2;
  }
  EXPECT_GT(migrants / employees, 0.05);
  EXPECT_LT(migrants / employees, 0.15);
  EXPECT_NEAR(static_cast<double>(g.summary.migrants) / employees, 0.10, 0.03);
  EXPECT_GT(changers, migrants);
  EXPECT_GT(seasonal / employees, 0.02);
  EXPECT_NEAR(static_cast<double>(g.summary.seasonal) / employees, 0.05, 0.015);
  EXPECT_GT(leaves, 0);
  EXPECT_GT(mid_month_hires, 0);
}

TEST(SyntheticPopulation, WagesAroundTheProvinceAverageWithClampingCases) {
  const Generated& g = population();
  std::int64_t below = 0, above = 0, total = 0;
  for (const Line& l : g.sink.lines) {
    const int province = std::stoi(l.credit_code.substr(2, 2));
    const Money average = synthetic_average_wage(province, l.month.year() - 1);
    ASSERT_GE(average.fen(), 500000);
    ASSERT_LE(average.fen(), 1500000);
    if (l.wage.fen() * 10 < average.fen() * 6) ++below;
    if (l.wage.fen() > average.fen() * 3) ++above;
    ++total;
  }
  EXPECT_GT(below, total / 20);
  EXPECT_LT(below, total * 2 / 5);
  EXPECT_GT(above, 0);
  EXPECT_LT(above, total / 50);
  EXPECT_EQ(g.summary.wages_below_floor, below);
  EXPECT_EQ(g.summary.wages_above_ceiling, above);
  // The average grows about 5 % a year.
  const double growth = static_cast<double>(synthetic_average_wage(44, 2026).fen()) /
                        static_cast<double>(synthetic_average_wage(44, 2025).fen());
  EXPECT_NEAR(growth, 1.05, 0.0005);
}

TEST(SyntheticPopulation, PaymentsOnePerDeclaredEmployerMonthMostlyOnTime) {
  const Generated& g = population();
  std::set<std::pair<std::string, int>> declared;
  for (const Line& l : g.sink.lines) declared.insert({l.credit_code, l.month.serial()});
  std::set<std::pair<std::string, int>> paid;
  std::int64_t late = 0;
  std::set<std::string> late_employers;
  YearMonth previous;
  for (const Payment& p : g.sink.payments) {
    SCOPED_TRACE(p.credit_code + " " + p.month.to_string());
    ASSERT_TRUE(declared.count({p.credit_code, p.month.serial()})) << "payment for a month not declared";
    ASSERT_TRUE(paid.insert({p.credit_code, p.month.serial()}).second) << "two payments";
    ASSERT_GE(p.month, previous);  // by month
    previous = p.month;
    const Date due = Date::of(p.month.plus_months(1).year(), p.month.plus_months(1).month(), 15);
    ASSERT_GE(p.paid_on, Date::first_of(p.month.plus_months(1)));
    if (p.paid_on > due) {
      ++late;
      late_employers.insert(p.credit_code);
    }
    ASSERT_LE(p.paid_on, Date::of(2026, 11, 15));
  }
  const double payments = static_cast<double>(g.sink.payments.size());
  EXPECT_GT(late / payments, 0.01);
  EXPECT_LT(late / payments, 0.10);
  EXPECT_EQ(g.summary.late_payments, late);
  // Late payers and defaulters: some employer-months are never paid.
  const auto unpaid = static_cast<std::int64_t>(declared.size() - paid.size());
  EXPECT_GT(unpaid, 0);
  EXPECT_EQ(g.summary.unpaid_months, unpaid);
  EXPECT_LT(static_cast<double>(unpaid) / static_cast<double>(declared.size()), 0.05);
  EXPECT_GT(static_cast<double>(late_employers.size()) / static_cast<double>(g.sink.employers.size()), 0.02);
}

TEST(SyntheticPopulation, SmallAndEdgeOptionsWork) {
  for (std::int64_t persons : {1, 2, 7, 50}) {
    RecordingSink sink;
    auto summary = generate_population(options(persons, 1, 1, 99), sink);
    ASSERT_TRUE(summary);
    EXPECT_EQ(sink.persons.size(), static_cast<std::size_t>(persons));
    EXPECT_EQ(sink.months_begun.size(), 12u);
  }
  RecordingSink all;
  auto summary = generate_population(options(3000, 31, 1, 5), all);
  ASSERT_TRUE(summary);
  PopulationOptions early = options(500, 2, 20, 3);
  early.end_month = YearMonth::of(1990, 1);
  RecordingSink old_sink;
  ASSERT_TRUE(generate_population(early, old_sink));
  for (const Person& p : old_sink.persons) ASSERT_TRUE(ResidentId::parse(p.resident_id)) << p.resident_id;
  EXPECT_EQ(old_sink.months_begun.front(), YearMonth::of(1970, 2));
}

TEST(SyntheticPopulation, InvalidOptionsAreRejectedNamingTheFlag) {
  struct Bad {
    PopulationOptions options;
    std::string field;
  };
  PopulationOptions early = options(10, 1, 40, 1);
  early.end_month = YearMonth::of(2000, 1);
  PopulationOptions too_early = options(10, 1, 1, 1);
  too_early.end_month = YearMonth::of(1989, 12);
  PopulationOptions too_late = options(10, 1, 1, 1);
  too_late.end_month = YearMonth::of(2200, 1);
  const std::vector<Bad> bad{
      {options(0, 1, 1, 1), "--persons"},
      {options(-5, 1, 1, 1), "--persons"},
      {options(PopulationOptions::kMaxPersons + 1, 1, 1, 1), "--persons"},
      {options(10, 0, 1, 1), "--regions"},
      {options(10, 32, 1, 1), "--regions"},
      {options(10, 1, 0, 1), "--years"},
      {options(10, 1, 41, 1), "--years"},
      {early, "--years"},
      {too_early, "--end-month"},
      {too_late, "--end-month"},
  };
  for (const Bad& b : bad) {
    auto problem = validate_population_options(b.options);
    ASSERT_TRUE(problem) << b.field;
    EXPECT_EQ(problem->code, ErrorCode::invalid_input);
    EXPECT_EQ(problem->field, b.field);
    RecordingSink sink;
    auto result = generate_population(b.options, sink);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().field, b.field);
    EXPECT_TRUE(sink.text.empty());
  }
  EXPECT_FALSE(validate_population_options(options(1, 31, 40, 0)));
}

}  // namespace
