#include "registry/model.h"

namespace shebao::registry {

std::string_view to_string(Sex value) { return value == Sex::male ? "male" : "female"; }

std::string_view to_string(Scheme value) {
  switch (value) {
    case Scheme::employee: return "employee";
    case Scheme::flexible: return "flexible";
    case Scheme::resident: return "resident";
  }
  return "employee";
}

std::string_view to_string(EmployerSize value) {
  switch (value) {
    case EmployerSize::micro: return "micro";
    case EmployerSize::small: return "small";
    case EmployerSize::medium: return "medium";
    case EmployerSize::large: return "large";
  }
  return "small";
}

std::string_view to_string(UnitType value) {
  switch (value) {
    case UnitType::enterprise: return "enterprise";
    case UnitType::individual_business: return "individual_business";
    case UnitType::public_institution: return "public_institution";
  }
  return "enterprise";
}

Result<Scheme> parse_scheme(std::string_view text) {
  if (text == "employee") return Scheme::employee;
  if (text == "flexible") return Scheme::flexible;
  if (text == "resident") return Scheme::resident;
  return fail(ErrorCode::unknown_category, "scheme", "\"" + std::string(text) + "\" is not employee, flexible or resident");
}

Result<EmployerSize> parse_employer_size(std::string_view text) {
  if (text == "micro") return EmployerSize::micro;
  if (text == "small") return EmployerSize::small;
  if (text == "medium") return EmployerSize::medium;
  if (text == "large") return EmployerSize::large;
  return fail(ErrorCode::unknown_category, "size", "\"" + std::string(text) + "\" is not micro, small, medium or large");
}

Result<UnitType> parse_unit_type(std::string_view text) {
  if (text.empty() || text == "enterprise") return UnitType::enterprise;
  if (text == "individual_business") return UnitType::individual_business;
  if (text == "public_institution") return UnitType::public_institution;
  return fail(ErrorCode::unknown_category, "unit_type",
              "\"" + std::string(text) + "\" is not enterprise, individual_business or public_institution");
}

std::string province_jurisdiction(std::string_view region_code) {
  return "CN-" + std::string(region_code.substr(0, 2));
}

}  // namespace shebao::registry
