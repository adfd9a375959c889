// shebao registry: who is insured, by whom, where.
//
// Plain values: a Person (one record per resident ID), an Employer (one per
// unified social credit code), a SchemeMembership (employee, flexible worker
// or urban-rural resident, in a region) and an EmploymentSpell (hire and
// leave dates at one employer). Identifiers are validated by the core parsers
// before a value is built; storage assigns the surrogate person_id and
// employer_id. Thread safety: values only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/calendar.h"
#include "core/decimal.h"
#include "core/error.h"

namespace shebao::registry {

enum class Sex { male, female };
enum class Scheme { employee, flexible, resident };
enum class EmployerSize { micro, small, medium, large };
enum class UnitType { enterprise, individual_business, public_institution };

std::string_view to_string(Sex value);
std::string_view to_string(Scheme value);
std::string_view to_string(EmployerSize value);
std::string_view to_string(UnitType value);
// unknown_category for any other text.
Result<Scheme> parse_scheme(std::string_view text);
Result<EmployerSize> parse_employer_size(std::string_view text);
Result<UnitType> parse_unit_type(std::string_view text);

struct Person {
  std::int64_t person_id = 0;     // assigned by storage; 0 before
  std::string resident_id;        // 18 characters, validated
  std::string name;
  std::string name_pinyin;
  Sex sex = Sex::male;            // from the resident ID
  Date birth_date;                // from the resident ID
  std::string hukou_region;       // six digits
  std::string phone;
  std::string retirement_category;  // male | female_55 | female_50
  Scheme scheme = Scheme::employee;
  std::string scheme_region;        // six digits; empty for employees (their employer's region applies)
  std::optional<Decimal> flexible_base_ratio;  // flexible workers only
};

struct Employer {
  std::int64_t employer_id = 0;  // assigned by storage
  std::string credit_code;       // 18 characters, validated
  std::string name;
  std::string region;            // six digits
  EmployerSize size = EmployerSize::small;
  UnitType unit_type = UnitType::enterprise;
};

struct EmploymentSpell {
  std::int64_t person_id = 0;
  std::int64_t employer_id = 0;
  Date hire_date;
  std::optional<Date> leave_date;
};

// "CN-nn" jurisdiction of a six-digit region code (the rules are per province).
std::string province_jurisdiction(std::string_view region_code);

}  // namespace shebao::registry
