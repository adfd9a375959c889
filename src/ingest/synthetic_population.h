// shebao ingest: a synthetic but realistic insured population (`shebao gen`).
//
// generate_population() produces the rows of persons.csv, employers.csv,
// declarations/YYYY-MM.csv and payments.csv (docs/formats.md) and hands them,
// in file order, to a PopulationSink. It does no file I/O and reads no clock:
// the period is the `years` * 12 months ending at options.end_month.
//
// Determinism: the same options give the same rows, byte for byte, on every
// platform. All randomness comes from one std::mt19937_64 seeded with the seed
// (its output sequence is fixed by the standard), turned into numbers by the
// small distribution functions of the .cpp (uniform integer by rejection,
// uniform real from 53 bits, normal as the Irwin-Hall sum of 12 uniforms,
// log-normal with an exp() of our own made of + and * only), never by
// std::*_distribution or libm, whose results differ between implementations.
// A few per-(person, year) values come from a splitmix64 hash of the seed.
// No unordered container is iterated.
//
// The model (every share is a probability, so counts vary a little):
//   Regions    K of the 31 mainland provinces (codes <= 65), drawn without
//              replacement with weights ~ population; each has 1 (the four
//              municipalities) or 2..9 prefecture codes PP0100, PP0200 ... and
//              3..12 county codes per prefecture (PPcc01 ...); the average
//              monthly wage of a province is a fixed approximate table for 2024
//              (5,900 .. 12,400 yuan), growing 5 % a year from 2015 (12 % a
//              year 2005-2014, 14 % before), see synthetic_average_wage().
//   Persons    home province ~ population; sex 50/50; retirement_category
//              male, or female_50 (60 %) / female_55 (40 %); scheme employee
//              75 %, flexible 15 %, resident 10 %. Age at the first month: 18
//              up to the basic retirement age (60/55/50) less two months for
//              employee and flexible, 18..64 for resident; mostly 22-50.
//              Resident ID: a county of the home province, the birth date,
//              a sequence odd for men / even for women (unique IDs), check
//              character. Name: family name (weighted, incl. 欧阳) and a
//              1- or 2-character given name by sex, with pinyin ("Wang Xiuying",
//              "Zhang Jia'en"). hukou = the birth prefecture (10 % another
//              prefecture of the province). Mobile phone 1[35789]x.
//              Flexible: scheme_region a prefecture of the home province (70 %)
//              or of another one; flexible_base_ratio 0.60 (45 %), 0.80 (20 %),
//              1.00 (20 %), 1.50 (10 %), 3.00 (5 %). Resident: scheme_region =
//              hukou_region.
//   Employers  per province, created until their headcounts cover the
//              province's employees (about one employer per 15 employees):
//              target headcount micro 1-9 (85 %), small 10-99 (13 %), medium
//              100-999 (1.8 %), large 1000-8000 (0.2 %); `size` follows the
//              headcount actually given. unit_type: individual_business for
//              25 % of micro, public_institution for 8 % of the others,
//              enterprise otherwise. Credit code (GB 32100): registration
//              department and type 91 (enterprise), 92 (individual business),
//              12 (public institution), the prefecture code, a unique
//              organisation code (8 digits, or "MA" + 6 characters, each with
//              its GB 11714 check character), check character.
//              Payment habits: 5 % late payers (in 60 % of months they pay
//              1..150 days after the due date), 1 % defaulters (in 25 % of
//              months they never pay), 3 % occasionally late (10 % of months,
//              1..10 days); the others pay between the 1st and the 15th.
//   Employment employees work in their home province (80 %) or in another
//              chosen one; each gets a slot of an employer of that province.
//              5 % start in a later month (mid-period hire), 5 % are seasonal
//              (a spell each year from a month in Mar-Jun for 3..8 months,
//              same employer), 10 % are migrants (only when K >= 2): they
//              leave once, in a random month, and are hired 1..3 months later
//              by an employer of another province. Every month an employed
//              person leaves with probability 1 % (85 % are hired again 1..6
//              months later by another employer of the same province, weighted
//              by headcount). A spell ends with `leave` the day before the
//              person reaches the basic retirement age (the 2025 gradual
//              delay is not modelled). A spell lasts at least two months,
//              gaps between spells at least one, so a person has at most one
//              line per month and every hire/leave fits the one event column.
//   Lines      the first line of each spell carries `hire` (a spell open at
//              the first month: hire on the 1st; otherwise a random day), the
//              last line of a closed spell `leave` (random day, or the
//              retirement date). days_worked: the days of the month, the days
//              from the hire / to the leave date, and for 3 % of other lines
//              1..10 days fewer. wage (the declared base): the person's
//              log-normal factor (sigma 0.45, median 0.9, so ~20 % of lines are
//              below 60 % and ~0.5 % above 300 % of the average) times the
//              previous year's average of the employer's province, times a
//              per-person-and-year factor 0.97..1.03; the same in every month
//              of a calendar year at one employer.
//   Payments   one line per employer and month with declared lines (by month,
//              then employer), paid_on as above; a payment dated after the 15th
//              of the month following end_month has not happened yet and is
//              left out (that month is in arrears), like the defaulters' months.
//
// Order of the callbacks: on_phase("persons"), on_person * N,
// on_phase("employers"), on_employer * E, on_phase("declaration lines", total),
// then for each month: on_month_begin; for each employer in employers.csv
// order that declares the month, its on_declaration_line calls (contiguous,
// employees in persons.csv order) followed by its on_payment if it paid;
// on_month_end. So payments come by month, then employer.
// Memory: about 28 bytes per employee, 16 per employment spell and, while the
// persons are generated, 16 per person for the uniqueness of resident IDs
// (about 50 MB for 1,000,000 persons); the rows themselves are not kept.
//
// Thread safety: generate_population() has no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/calendar.h"
#include "core/decimal.h"
#include "core/error.h"

namespace shebao::ingest {

struct PopulationOptions {
  std::int64_t persons = 0;   // --persons: 1 .. kMaxPersons
  int regions = 0;            // --regions: provinces, 1 .. kMaxRegions
  int years = 0;              // --years: 1 .. kMaxYears
  std::uint64_t seed = 0;     // --seed
  YearMonth end_month = YearMonth::of(2026, 10);  // --end-month: last month generated

  static constexpr std::int64_t kMaxPersons = 50'000'000;
  static constexpr int kMaxRegions = 31;
  static constexpr int kMaxYears = 40;
};

// The options' problem, if any: invalid_input with the flag as field
// ("--persons", "--regions", "--years", "--end-month"); nullopt when valid.
std::optional<Error> validate_population_options(const PopulationOptions& options);

// Rows in the columns of docs/formats.md. Views are valid during the callback only.
struct PersonRow {
  std::string_view resident_id;
  std::string_view name;
  std::string_view name_pinyin;
  std::string_view hukou_region;
  std::string_view phone;
  std::string_view retirement_category;  // male | female_55 | female_50
  std::string_view scheme;               // employee | flexible | resident
  std::string_view scheme_region;        // empty for employee
  std::string_view flexible_base_ratio;  // "0.60" .. "3.00", empty unless flexible
  // Employees' planned career: regular | late_start | seasonal | migrant (empty
  // for other schemes). Not a column of persons.csv; the population extract uses it.
  std::string_view career;
};

struct EmployerRow {
  std::string_view credit_code;
  std::string_view name;
  std::string_view region;
  std::string_view size;       // micro | small | medium | large
  std::string_view unit_type;  // enterprise | individual_business | public_institution
};

enum class DeclarationEvent { none, hire, leave };

std::string_view to_string(DeclarationEvent event);  // "", "hire", "leave"

struct DeclarationLine {
  std::string_view credit_code;
  YearMonth month;
  std::string_view resident_id;
  Money wage;
  int days_worked = 0;
  DeclarationEvent event = DeclarationEvent::none;
  Date event_date;  // meaningful only when event != none
};

struct PaymentRow {
  std::string_view credit_code;
  YearMonth month;
  Date paid_on;
};

// Receives the rows in file order. A sink may throw to abort the generation
// (e.g. on a write error); the generator holds no resource but memory.
class PopulationSink {
 public:
  virtual ~PopulationSink() = default;
  // A new phase starts: "persons" (total N), "employers" (total E),
  // "declaration lines" (total lines of all months).
  virtual void on_phase(std::string_view /*name*/, std::uint64_t /*total*/) {}
  virtual void on_person(const PersonRow& row) = 0;
  virtual void on_employer(const EmployerRow& row) = 0;
  virtual void on_month_begin(YearMonth /*month*/) {}
  virtual void on_declaration_line(const DeclarationLine& line) = 0;
  virtual void on_payment(const PaymentRow& row) = 0;
  virtual void on_month_end(YearMonth /*month*/) {}
};

struct PopulationSummary {
  YearMonth first_month;
  YearMonth last_month;
  std::int64_t persons = 0;
  std::int64_t employees = 0;  // scheme employee
  std::int64_t flexible = 0;
  std::int64_t resident = 0;
  std::int64_t employers = 0;
  std::int64_t migrants = 0;          // employees planned to move to another province
  std::int64_t seasonal = 0;          // seasonal employees
  std::int64_t spells = 0;            // employment spells (hire .. leave or period end)
  std::int64_t declaration_lines = 0;
  std::int64_t payments = 0;
  std::int64_t late_payments = 0;     // payment lines after the due date
  std::int64_t unpaid_months = 0;     // (employer, month) declared without a payment line
  std::int64_t wages_below_floor = 0;    // lines with wage < 60 % of the province average
  std::int64_t wages_above_ceiling = 0;  // lines with wage > 300 % of the province average
};

// Generates the population into `sink`. Fails only on invalid options
// (validate_population_options); exceptions thrown by the sink propagate.
Result<PopulationSummary> generate_population(const PopulationOptions& options, PopulationSink& sink);

// splitmix64 mixing, and a uniform number in [0, 1) from a hash of (seed, a, b):
// values that do not depend on the order of generation.
std::uint64_t splitmix64(std::uint64_t z);
double hash_unit(std::uint64_t seed, std::uint64_t a, std::uint64_t b);

// The synthetic average monthly wage of a province (two-digit code of a
// mainland province, <= 65) in a year, in yuan with two decimals; the
// declared wage of year Y is based on the average of Y - 1.
Money synthetic_average_wage(int province, int year);

}  // namespace shebao::ingest
