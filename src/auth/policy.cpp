#include "auth/policy.h"

#include <algorithm>

namespace shebao::auth {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::person: return "person";
    case Role::employer_agent: return "employer_agent";
    case Role::officer: return "officer";
    case Role::auditor: return "auditor";
    case Role::admin: return "admin";
  }
  return "person";
}

std::optional<Role> parse_role(std::string_view text) {
  for (Role role : {Role::person, Role::employer_agent, Role::officer, Role::auditor, Role::admin}) {
    if (to_string(role) == text) return role;
  }
  return std::nullopt;
}

std::string_view to_string(Action action) {
  switch (action) {
    case Action::person_register: return "person.register";
    case Action::person_read: return "person.read";
    case Action::person_update_contact: return "person.update_contact";
    case Action::contributions_read: return "contributions.read";
    case Action::account_read: return "account.read";
    case Action::access_log_read: return "access_log.read";
    case Action::employment_read: return "employment.read";
    case Action::transfer_request: return "transfer.request";
    case Action::transfer_read: return "transfer.read";
    case Action::statement_read: return "statement.read";
    case Action::retirement_read: return "retirement.read";
    case Action::employer_read: return "employer.read";
    case Action::declaration_upload: return "declaration.upload";
    case Action::declaration_feedback_read: return "declaration.feedback_read";
    case Action::audit_read: return "audit.read";
    case Action::coverage_read: return "coverage.read";
    case Action::calculate: return "calculate";
    case Action::review_read: return "review.read";
    case Action::review_merge: return "review.merge";
    case Action::review_dismiss: return "review.dismiss";
    case Action::review_undo: return "review.undo";
    case Action::person_search: return "person.search";
    case Action::flexible_enrol: return "person.enrol_flexible";
  }
  return "unknown";
}

bool is_read(Action action) {
  switch (action) {
    case Action::person_register:
    case Action::person_update_contact:
    case Action::transfer_request:
    case Action::declaration_upload:
    case Action::review_merge:
    case Action::review_dismiss:
    case Action::review_undo: return false;
    case Action::flexible_enrol: return false;
    default: return true;
  }
}

std::string_view region_prefix(std::string_view own) {
  if (own.size() != 6) return {};
  if (own.ends_with("0000")) return own.substr(0, 2);
  if (own.ends_with("00")) return own.substr(0, 4);
  return own;
}

bool region_covers(std::string_view own, std::string_view region) {
  if (own.size() != 6 || region.size() != 6) return false;
  return region.starts_with(region_prefix(own));
}

Decision decide(const Subject& subject, Action action, const Owner& owner) {
  const auto allow_if = [](bool condition) { return condition ? Decision::allow : Decision::deny; };
  if (action == Action::calculate) return Decision::allow;
  switch (subject.role) {
    case Role::admin: return Decision::allow;
    case Role::auditor: return allow_if(is_read(action));
    case Role::officer: {
      if (action == Action::audit_read || subject.region.empty()) return Decision::deny;
      return allow_if(std::any_of(owner.regions.begin(), owner.regions.end(),
                                  [&](const std::string& r) { return region_covers(subject.region, r); }));
    }
    case Role::person: {
      switch (action) {
        case Action::person_read:
        case Action::person_update_contact:
        case Action::contributions_read:
        case Action::account_read:
        case Action::access_log_read:
        case Action::employment_read:
        case Action::transfer_request:
        case Action::transfer_read:
        case Action::statement_read:
        case Action::retirement_read:
        case Action::flexible_enrol:
          return allow_if(!subject.person.empty() && owner.person == subject.person);
        default: return Decision::deny;
      }
    }
    case Role::employer_agent: {
      switch (action) {
        case Action::employer_read:
        case Action::declaration_upload:
        case Action::declaration_feedback_read:
          return allow_if(!subject.employer.empty() && owner.person.empty() &&
                          std::find(owner.employers.begin(), owner.employers.end(), subject.employer) !=
                              owner.employers.end());
        case Action::employment_read:
          return allow_if(!subject.employer.empty() && std::find(owner.employers.begin(), owner.employers.end(),
                                                                 subject.employer) != owner.employers.end());
        default: return Decision::deny;
      }
    }
  }
  return Decision::deny;
}

}  // namespace shebao::auth
