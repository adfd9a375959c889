// shebao auth: who may do what — the one place authorization is decided.
//
// decide(subject, action, owner) is a pure function of the caller's role and
// attachments (own person, own employer, own region), the action, and the
// facts that tie the resource to owners (its person, its employers, its
// regions). Every HTTP handler asks it and nothing else.
//
// Roles:
// - person: own record only (read, contact, contributions, account, access
//   log, transfers, statement, retirement date, joining the flexible-worker
//   scheme); not the person search;
// - employer_agent: own employer's record (with its arrears) and declarations, and the
//   employment facts of its employees (only the spells at that employer);
// - officer: everything about persons and employers of the own region
//   (a code ending in 0000 covers its province, 00 its prefecture);
//   and the coverage report of the own region (the handler passes that
//   region as the report's owner and computes the report for it alone);
//   the person search likewise (the handler passes the own region as the
//   search's owner, searches that region alone, and asks person_read of
//   every person found before answering it);
// - auditor: every read, plus the audit log; no change;
// - admin: everything.
// The review queue (review_*): a pair of person records is owned by the
// regions of both persons; officers of either region, auditors (read) and
// admins; persons and employer agents never.
// Calculations on given figures (no personal data) are open to every role.
//
// Pure. Thread safety: values only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shebao::auth {

enum class Role { person, employer_agent, officer, auditor, admin };
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

enum class Action {
  person_register,
  person_read,
  person_update_contact,
  contributions_read,
  account_read,
  access_log_read,
  employment_read,
  transfer_request,
  transfer_read,
  statement_read,
  retirement_read,
  employer_read,
  declaration_upload,
  declaration_feedback_read,
  audit_read,
  coverage_read,  // the coverage report (aggregate figures of a region or of all)
  calculate,
  review_read,     // the review queue of suspected duplicate persons
  review_merge,    // merge two person records (never a delete)
  review_dismiss,  // decide that two records are different persons
  review_undo,     // undo a merge or a dismissal
  person_search,  // finding persons by resident ID, name or pinyin (owner: the region searched)
  flexible_enrol,  // a registered person joins the flexible-worker scheme (owner: the person, then the chosen region)
};
std::string_view to_string(Action action);
inline constexpr Action kAllActions[] = {
    Action::person_register,   Action::person_read,       Action::person_update_contact, Action::contributions_read,
    Action::account_read,      Action::access_log_read,   Action::employment_read,       Action::transfer_request,
    Action::transfer_read,     Action::statement_read,    Action::retirement_read,       Action::employer_read,
    Action::declaration_upload, Action::declaration_feedback_read, Action::audit_read,   Action::coverage_read,
    Action::calculate,         Action::review_read,       Action::review_merge,          Action::review_dismiss,
    Action::review_undo,       Action::person_search,     Action::flexible_enrol};

// Whether the action only reads.
bool is_read(Action action);

struct Subject {
  Role role = Role::person;
  std::string person;    // resident ID (role person)
  std::string employer;  // credit code (role employer_agent)
  std::string region;    // six digits (role officer)
};

// What ties the resource to owners. Empty lists: the resource has none.
struct Owner {
  std::string person;                  // resident ID of the person the data is about
  std::vector<std::string> employers;  // credit codes: the employer itself, or the person's employers
  std::vector<std::string> regions;    // six-digit regions the resource belongs to
};

enum class Decision { allow, deny };

// Whether `region` lies within the officer's `own` region.
bool region_covers(std::string_view own, std::string_view region);
// The leading digits shared by every region `own` covers ("35" for 350000,
// "3501" for 350100, all six otherwise); "" when `own` is not six characters.
std::string_view region_prefix(std::string_view own);

Decision decide(const Subject& subject, Action action, const Owner& owner);

}  // namespace shebao::auth
