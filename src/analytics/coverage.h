// shebao analytics: who is covered, who is not and why; employers who
// under-declare; what a rule change would do to revenue.
//
// Inputs are values: a population extract (as a civil registry or tax
// authority provides it, docs/formats.md "population.csv"), facts read from
// the system of record (each registered person's contribution months, each
// employer's declared lines and arrears) and the rules. Outputs are reports
// as values; app/ prints them as tables, CSV or JSON.
//
// Definitions (docs/architecture.md §9):
// - Group of an extract person (disjoint, in this order): `other` when not
//   working; `migrant` when the province of the region where they live or
//   work differs from their hukou province; `self_employed`; `seasonal`;
//   `employee`.
// - Covered in month M: registered and a contribution (employee or flexible)
//   booked for one of the `window_months` months ending at M, or registered in
//   the urban-rural residents' scheme.
// - Matching: by resident ID, then the matching engine (match_population).
// - Reason for an uncovered person: never_registered (no registry record
//   matches); no_contributions (registered, nothing ever booked);
//   moved_without_transfer (last contribution in another province than where
//   the extract places them, and no transfer requested); lapsed (N months
//   since the last contribution).
//
// Pure: no I/O, no clock (the reference month is a parameter).
// Thread safety: values only; the functions keep no state.
#pragma once

#include <array>
#include <climits>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/calendar.h"
#include "core/decimal.h"
#include "core/error.h"
#include "registry/model.h"

namespace shebao::analytics {

enum class EmploymentStatus { employed, seasonal, self_employed, not_working };
enum class Group { employee, self_employed, seasonal, migrant, other };
enum class Reason { none, never_registered, no_contributions, moved_without_transfer, lapsed };

inline constexpr std::array<Group, 5> kGroups{Group::employee, Group::self_employed, Group::seasonal, Group::migrant,
                                              Group::other};

std::string_view to_string(EmploymentStatus value);
std::string_view to_string(Group value);
std::string_view to_string(Reason value);
Result<EmploymentStatus> parse_employment_status(std::string_view text);  // unknown_category otherwise

// One line of the population extract.
struct PopulationRecord {
  int line = 0;                  // in the extract file
  std::string resident_id;       // 18 characters, normalised (a 15-digit ID is converted)
  bool id_valid = true;          // false: a mistyped ID (wrong check character or date), kept as given
  std::string name;
  Date birth_date;
  std::string region;            // six digits: where the person lives or works
  std::string hukou_region;      // six digits
  EmploymentStatus status = EmploymentStatus::not_working;
  std::string employer_credit_code;  // empty unless employed or seasonal
  Money monthly_income;          // as declared to the tax authority, ≥ 0
};

Group group_of(const PopulationRecord& record);

// The extract as the coverage report reads it: per record 40 bytes of numbers
// and its name, region (and a mistyped ID as given) in one text buffer, so that
// a million records load without a million allocations. The employer and the
// income are not kept (coverage does not read them).
class CoverageExtract {
 public:
  CoverageExtract() = default;
  explicit CoverageExtract(const std::vector<PopulationRecord>& records);
  void reserve(std::size_t records);
  void add(const PopulationRecord& record);

  std::size_t size() const { return rows_.size(); }
  int line(std::size_t i) const { return rows_[i].line; }
  bool id_valid(std::size_t i) const { return rows_[i].id_valid; }
  // resident_id_key() of a valid ID; 0 for a mistyped one.
  std::uint64_t resident_key(std::size_t i) const { return rows_[i].resident_key; }
  std::string resident_id(std::size_t i) const;  // as PopulationRecord::resident_id
  std::string_view name(std::size_t i) const { return text(i, 0, rows_[i].name_size); }
  std::string_view region(std::size_t i) const { return text(i, rows_[i].name_size, rows_[i].region_size); }
  int province(std::size_t i) const;  // of the region, 0 when it has no two leading digits
  Date birth_date(std::size_t i) const { return rows_[i].birth_date; }
  Group group(std::size_t i) const { return rows_[i].group; }

 private:
  struct Row {
    std::uint64_t resident_key = 0;
    std::uint64_t text = 0;  // offset in texts_ of the name, the region, then a mistyped ID
    std::int32_t line = 0;
    Date birth_date;
    std::uint32_t name_size = 0;
    std::uint16_t region_size = 0;
    std::uint16_t id_size = 0;  // mistyped IDs only
    Group group = Group::other;
    bool id_valid = true;
  };
  std::string_view text(std::size_t i, std::size_t from, std::size_t size) const {
    return std::string_view(texts_).substr(rows_[i].text + from, size);
  }
  std::vector<Row> rows_;
  std::string texts_;
};

// Age band of a birth date in month M: "16-24", "25-34", "35-44", "45-54", "55-64", "65+" ("<16" below).
std::string_view age_band(Date birth_date, YearMonth month);

// What the system of record knows of one registered person.
struct RegisteredPerson {
  std::int64_t person_id = 0;
  std::string resident_id;
  std::string name;
  Date birth_date;
  registry::Scheme scheme = registry::Scheme::employee;
  std::string scheme_region;                   // flexible and resident members
  std::optional<Decimal> flexible_base_ratio;  // flexible members
  // Bit i set: a contribution is booked for month (up_to - i), i < 64.
  std::uint64_t recent_months = 0;
  std::optional<YearMonth> last_month;  // latest month with a contribution, ≤ up_to
  int last_province = 0;                // province of that contribution (the employer's, or the scheme
                                        // province it was booked in)
  bool transfer_requested = false;
};

// What the coverage report reads of one registered person: no strings (40
// bytes), so that a million of them load and scan fast. The names, birth dates
// and IDs as text (RegisteredPerson) are read only when the matching engine runs.
struct CoverageFacts {
  static constexpr std::int32_t kNoMonth = INT32_MIN;
  std::int64_t person_id = 0;
  std::uint64_t resident_key = 0;   // resident_id_key() of the ID; 0 when it has none
  std::uint64_t recent_months = 0;  // as RegisteredPerson::recent_months
  std::int32_t last_month = kNoMonth;  // serial of RegisteredPerson::last_month
  std::int16_t last_province = 0;
  std::int16_t scheme_province = -1;  // province of the scheme region; -1 when the person has none
  registry::Scheme scheme = registry::Scheme::employee;
  bool transfer_requested = false;
};

// The province of a scheme region as CoverageFacts keeps it: -1 when empty, 0 when not two digits.
std::int16_t scheme_province(std::string_view scheme_region);
CoverageFacts coverage_facts_of(const RegisteredPerson& person);

// The registered persons with their names, birth dates and IDs as text (any
// order; joined to CoverageFacts by person_id). Called only when the matching
// engine runs (see match_population); a failure is the report's failure.
using RegistryDetails = std::function<Result<std::vector<RegisteredPerson>>()>;

// How extract records not found by resident ID are matched (match_population).
struct MatchOptions {
  std::size_t training_pairs = 5000;  // pairs matched by ID that the engine's estimation also sees
  int threads = 1;                    // for the engine's scoring
};

struct MatchStats {
  std::int64_t by_id = 0;
  std::int64_t by_engine = 0;
  std::int64_t engine_records = 0;     // extract records not found by ID
  std::int64_t engine_candidates = 0;  // registered persons no extract record names by ID
};

struct CoverageOptions {
  MatchOptions matching;
  YearMonth month;          // reference month M
  int window_months = 3;    // 1..64
  int trend_months = 12;    // coverage by month for M-trend+1 .. M, 1..64
};

struct CoverageCell {
  int province = 0;
  std::string age_band;
  Group group = Group::other;
  std::int64_t population = 0;
  std::int64_t covered = 0;
};

struct GroupTotal {
  Group group = Group::other;
  std::int64_t population = 0;
  std::int64_t covered = 0;
};

struct UncoveredPerson {
  int line = 0;  // in the extract
  std::string resident_id;
  std::string name;
  std::string region;
  Group group = Group::other;
  Reason reason = Reason::never_registered;
  int months_since_last = 0;  // lapsed / moved: months from the last contribution to M
};

struct CoverageReport {
  YearMonth month;
  int window_months = 0;
  std::int64_t population = 0;
  std::int64_t matched = 0;            // extract persons found in the registry
  std::int64_t matched_by_id = 0;      // of those, by resident ID
  std::int64_t matched_by_engine = 0;  // of those, by the matching engine (no ID match)
  std::int64_t covered = 0;
  std::vector<GroupTotal> groups;     // in kGroups order
  std::vector<CoverageCell> cells;    // sorted by province, age band, group
  std::vector<std::pair<YearMonth, double>> trend;  // share of the working population (groups other than `other`) with a contribution that month
  std::array<std::int64_t, 5> reasons{};  // by Reason
  std::vector<UncoveredPerson> uncovered;  // working groups only, by extract line
};

// The 17 digits and the check character (0-9 or X) of an 18-character resident
// ID as one integer (distinct IDs, distinct keys); nullopt for any other text.
std::optional<std::uint64_t> resident_id_key(std::string_view id);

// Registered persons by resident ID (an integer key of the 18 characters, a
// flat open-addressing table): the position in the vector it was built from.
// When two persons share a key, the first is found.
class ResidentIdIndex {
 public:
  explicit ResidentIdIndex(const std::vector<CoverageFacts>& registry);
  // Over resident_id_key() values (0: no ID).
  explicit ResidentIdIndex(const std::vector<std::uint64_t>& keys);
  std::optional<std::size_t> find(std::string_view resident_id) const;
  std::optional<std::size_t> find_key(std::uint64_t key) const;

 private:
  void reserve(std::size_t count);
  void insert(std::uint64_t key, std::uint32_t position);

  std::vector<std::uint64_t> keys_;       // 0: an empty slot (no valid ID has key 0)
  std::vector<std::uint32_t> positions_;
  int shift_ = 64;
};

// The registered person (position in `registry`) of each extract record:
// 1. by resident ID (a record with a mistyped ID, id_valid false, is not looked up);
// 2. the records left, against the registered persons that no record names by
//    ID, through the matching engine (matching/engine.h): normalised names in
//    any script (traditional or simplified characters, pinyin), birth date,
//    resident ID (one wrong character or a transposition still counts as
//    close) and province, blocked, weighed by Fellegi-Sunter m and u
//    estimated by EM on these records plus `training_pairs` pairs already
//    matched by ID (registry and extract as two records), and clustered. A
//    record and a registered person of the same cluster whose match
//    probability reaches the engine's link probability (0.5) are matched,
//    most probable pairs first, each side at most once.
// The engine runs only when both sides of step 2 are non-empty; only then is
// `details` called (registered persons it does not return take no part in step 2).
Result<std::vector<std::optional<std::uint32_t>>> match_population(const CoverageExtract& population,
                                                                   const std::vector<CoverageFacts>& registry,
                                                                   const RegistryDetails& details,
                                                                   const MatchOptions& options, MatchStats* stats = nullptr);
// The same over registered persons given with their details (positions in `registry`).
std::vector<std::optional<std::uint32_t>> match_population(const std::vector<PopulationRecord>& population,
                                                           const std::vector<RegisteredPerson>& registry,
                                                           const MatchOptions& options, MatchStats* stats = nullptr);

// Matches each record to the registry (match_population) and classifies it.
Result<CoverageReport> coverage_report(const CoverageExtract& population,
                                       const std::vector<CoverageFacts>& registry, const RegistryDetails& details,
                                       const CoverageOptions& options);
Result<CoverageReport> coverage_report(const std::vector<PopulationRecord>& population,
                                       const std::vector<RegisteredPerson>& registry, const CoverageOptions& options);

}  // namespace shebao::analytics
