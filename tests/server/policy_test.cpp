// The authorization policy alone: roles, ownership, regions.
#include <gtest/gtest.h>

#include "auth/policy.h"

namespace shebao::auth {
namespace {

Owner person_owner(std::string person, std::vector<std::string> employers, std::vector<std::string> regions) {
  return Owner{std::move(person), std::move(employers), std::move(regions)};
}

TEST(Policy, RegionCoverage) {
  EXPECT_TRUE(region_covers("350100", "350100"));
  EXPECT_FALSE(region_covers("350100", "350200"));
  EXPECT_TRUE(region_covers("350000", "350200"));   // province officer
  EXPECT_TRUE(region_covers("350100", "350102"));  // a prefecture covers its counties
  EXPECT_TRUE(region_covers("350100", "350100"));
  EXPECT_FALSE(region_covers("350000", "450100"));
  EXPECT_FALSE(region_covers("", "350100"));
  EXPECT_FALSE(region_covers("3501", "350100"));
  EXPECT_TRUE(region_covers("350300", "350300"));
  EXPECT_FALSE(region_covers("350300", "350000"));  // a city officer does not cover the province
  EXPECT_EQ(region_prefix("350000"), "35");
  EXPECT_EQ(region_prefix("350100"), "3501");
  EXPECT_EQ(region_prefix("350102"), "350102");
  EXPECT_EQ(region_prefix(""), "");
  EXPECT_EQ(region_prefix("3501"), "");
}

TEST(Policy, PersonSeesOnlyOwnRecord) {
  const Subject me{Role::person, "A", "", ""};
  const Owner own = person_owner("A", {"E1"}, {"350100"});
  const Owner other = person_owner("B", {"E1"}, {"350100"});
  for (Action a : {Action::person_read, Action::person_update_contact, Action::contributions_read,
                   Action::account_read, Action::access_log_read, Action::transfer_request, Action::transfer_read,
                   Action::statement_read, Action::retirement_read, Action::flexible_enrol}) {
    EXPECT_EQ(decide(me, a, own), Decision::allow) << to_string(a);
    EXPECT_EQ(decide(me, a, other), Decision::deny) << to_string(a);
  }
  EXPECT_EQ(decide(me, Action::audit_read, own), Decision::deny);
  EXPECT_EQ(decide(me, Action::person_register, own), Decision::deny);
  EXPECT_EQ(decide(me, Action::employer_read, Owner{"", {"E1"}, {"350100"}}), Decision::deny);
  // A person account without a person attached sees nothing.
  EXPECT_EQ(decide(Subject{Role::person, "", "", ""}, Action::person_read, person_owner("", {}, {})),
            Decision::deny);
}

TEST(Policy, EmployerAgentOwnEmployerAndItsEmployeesEmploymentOnly) {
  const Subject agent{Role::employer_agent, "", "E1", ""};
  const Owner employer1{"", {"E1"}, {"350100"}};
  const Owner employer2{"", {"E2"}, {"350100"}};
  EXPECT_EQ(decide(agent, Action::employer_read, employer1), Decision::allow);
  EXPECT_EQ(decide(agent, Action::declaration_upload, employer1), Decision::allow);
  EXPECT_EQ(decide(agent, Action::declaration_feedback_read, employer1), Decision::allow);
  EXPECT_EQ(decide(agent, Action::employer_read, employer2), Decision::deny);
  EXPECT_EQ(decide(agent, Action::declaration_upload, employer2), Decision::deny);
  const Owner employee = person_owner("A", {"E1"}, {"350100"});
  const Owner stranger = person_owner("B", {"E2"}, {"350100"});
  EXPECT_EQ(decide(agent, Action::employment_read, employee), Decision::allow);
  EXPECT_EQ(decide(agent, Action::employment_read, stranger), Decision::deny);
  // Not the rest of an employee's record.
  for (Action a : {Action::person_read, Action::contributions_read, Action::account_read, Action::statement_read,
                   Action::person_update_contact, Action::access_log_read, Action::audit_read}) {
    EXPECT_EQ(decide(agent, a, employee), Decision::deny) << to_string(a);
  }
  // An employer action on a person-owned resource is refused even when the employer matches.
  EXPECT_EQ(decide(agent, Action::declaration_upload, employee), Decision::deny);
}

TEST(Policy, OfficerOwnRegionOnly) {
  const Subject officer{Role::officer, "", "", "350100"};
  const Owner inside = person_owner("A", {}, {"450100", "350100"});
  const Owner outside = person_owner("B", {}, {"450100"});
  for (Action a : kAllActions) {
    if (a == Action::calculate) continue;
    const Decision want = a == Action::audit_read ? Decision::deny : Decision::allow;
    EXPECT_EQ(decide(officer, a, inside), want) << to_string(a);
    EXPECT_EQ(decide(officer, a, outside), Decision::deny) << to_string(a);
  }
  EXPECT_EQ(decide(Subject{Role::officer, "", "", ""}, Action::person_read, inside), Decision::deny);
}

TEST(Policy, AuditorReadsEverythingChangesNothing) {
  const Subject auditor{Role::auditor, "", "", ""};
  const Owner any = person_owner("B", {"E2"}, {"450100"});
  for (Action a : kAllActions) {
    EXPECT_EQ(decide(auditor, a, any), is_read(a) ? Decision::allow : Decision::deny) << to_string(a);
  }
  EXPECT_EQ(decide(auditor, Action::audit_read, Owner{}), Decision::allow);
}

TEST(Policy, AdminAndCalculations) {
  for (Action a : kAllActions) EXPECT_EQ(decide(Subject{Role::admin, "", "", ""}, a, Owner{}), Decision::allow);
  for (Role r : {Role::person, Role::employer_agent, Role::officer, Role::auditor}) {
    EXPECT_EQ(decide(Subject{r, "", "", ""}, Action::calculate, Owner{}), Decision::allow);
  }
}

// The API reads a person's employment facts only when the person's own facts do
// not already allow an action: sound only if more facts never refuse more.
TEST(Policy, MoreOwnerFactsNeverRefuseMore) {
  const std::vector<Subject> subjects = {{Role::person, "A", "", ""},       {Role::employer_agent, "", "E1", ""},
                                         {Role::officer, "", "", "350100"}, {Role::officer, "", "", "350000"},
                                         {Role::auditor, "", "", ""},       {Role::admin, "", "", ""}};
  const Owner base = person_owner("A", {}, {"350100"});
  const Owner more = person_owner("A", {"E1", "E2"}, {"350100", "450100", "350200"});
  const Owner other_base = person_owner("B", {}, {"450100"});
  const Owner other_more = person_owner("B", {"E1"}, {"450100", "350100"});
  for (const Subject& s : subjects) {
    for (Action a : kAllActions) {
      if (decide(s, a, base) == Decision::allow) {
        EXPECT_EQ(decide(s, a, more), Decision::allow) << to_string(a);
      }
      if (decide(s, a, other_base) == Decision::allow) {
        EXPECT_EQ(decide(s, a, other_more), Decision::allow) << to_string(a);
      }
    }
  }
}

TEST(Policy, CoverageReportByRole) {
  // The API passes the officer's own region as the report's owner (it computes
  // the report for that region alone) and no owner for a report of all.
  EXPECT_EQ(decide(Subject{Role::officer, "", "", "350000"}, Action::coverage_read, Owner{"", {}, {"350000"}}),
            Decision::allow);
  EXPECT_EQ(decide(Subject{Role::officer, "", "", "350000"}, Action::coverage_read, Owner{}), Decision::deny);
  EXPECT_EQ(decide(Subject{Role::officer, "", "", ""}, Action::coverage_read, Owner{"", {}, {""}}), Decision::deny);
  EXPECT_EQ(decide(Subject{Role::auditor, "", "", ""}, Action::coverage_read, Owner{}), Decision::allow);
  EXPECT_EQ(decide(Subject{Role::admin, "", "", ""}, Action::coverage_read, Owner{}), Decision::allow);
  EXPECT_EQ(decide(Subject{Role::person, "A", "", ""}, Action::coverage_read, Owner{"A", {}, {}}), Decision::deny);
  EXPECT_EQ(decide(Subject{Role::employer_agent, "", "E1", ""}, Action::coverage_read, Owner{"", {"E1"}, {}}),
            Decision::deny);
}

TEST(Policy, PersonSearchByRole) {
  // As the coverage report: the API passes the region it searches as the owner
  // (the officer's own region; none for auditors and admins, who search all).
  EXPECT_EQ(decide(Subject{Role::officer, "", "", "350100"}, Action::person_search, Owner{"", {}, {"350100"}}),
            Decision::allow);
  EXPECT_EQ(decide(Subject{Role::officer, "", "", "350100"}, Action::person_search, Owner{}), Decision::deny);
  EXPECT_EQ(decide(Subject{Role::officer, "", "", "350100"}, Action::person_search, Owner{"", {}, {"350000"}}),
            Decision::deny);
  EXPECT_EQ(decide(Subject{Role::officer, "", "", ""}, Action::person_search, Owner{"", {}, {""}}), Decision::deny);
  EXPECT_EQ(decide(Subject{Role::auditor, "", "", ""}, Action::person_search, Owner{}), Decision::allow);
  EXPECT_EQ(decide(Subject{Role::admin, "", "", ""}, Action::person_search, Owner{}), Decision::allow);
  // Persons and employer agents may not search, whatever the owner says.
  for (const Owner& owner : {Owner{}, Owner{"A", {"E1"}, {"350100"}}}) {
    EXPECT_EQ(decide(Subject{Role::person, "A", "", ""}, Action::person_search, owner), Decision::deny);
    EXPECT_EQ(decide(Subject{Role::employer_agent, "", "E1", ""}, Action::person_search, owner), Decision::deny);
  }
}

TEST(Policy, FlexibleEnrolmentByRoleAndOwnership) {
  const Owner own = person_owner("A", {}, {"350100"});
  const Owner other = person_owner("B", {}, {"350100"});
  const Owner elsewhere = person_owner("B", {}, {"450100"});
  const auto decide_for = [](Subject s, const Owner& o) { return decide(s, Action::flexible_enrol, o); };
  EXPECT_EQ(decide_for({Role::person, "A", "", ""}, own), Decision::allow);
  EXPECT_EQ(decide_for({Role::person, "A", "", ""}, other), Decision::deny);
  EXPECT_EQ(decide_for({Role::person, "", "", ""}, person_owner("", {}, {})), Decision::deny);
  EXPECT_EQ(decide_for({Role::employer_agent, "", "E1", ""}, person_owner("A", {"E1"}, {"350100"})),
            Decision::deny);
  EXPECT_EQ(decide_for({Role::officer, "", "", "350100"}, other), Decision::allow);
  EXPECT_EQ(decide_for({Role::officer, "", "", "350100"}, elsewhere), Decision::deny);
  EXPECT_EQ(decide_for({Role::auditor, "", "", ""}, own), Decision::deny);  // a change
  EXPECT_EQ(decide_for({Role::admin, "", "", ""}, elsewhere), Decision::allow);
  EXPECT_FALSE(is_read(Action::flexible_enrol));
  EXPECT_TRUE(is_read(Action::person_search));
}

TEST(Policy, RoleNames) {
  for (Role r : {Role::person, Role::employer_agent, Role::officer, Role::auditor, Role::admin}) {
    EXPECT_EQ(parse_role(to_string(r)), r);
  }
  EXPECT_FALSE(parse_role("root").has_value());
}


// The review queue: a pair is owned by the regions of both its persons.
TEST(Policy, ReviewQueueByRoleAndRegion) {
  const Owner pair = Owner{"", {}, {"350100", "350100", "450100"}};
  const Owner elsewhere = Owner{"", {}, {"450100", "460100"}};
  const Action reads[] = {Action::review_read};
  const Action writes[] = {Action::review_merge, Action::review_dismiss, Action::review_undo};
  const Subject officer{Role::officer, "", "", "350000"};
  for (Action a : reads) {
    EXPECT_TRUE(is_read(a));
    EXPECT_EQ(decide(officer, a, pair), Decision::allow);
    EXPECT_EQ(decide(officer, a, elsewhere), Decision::deny);
    EXPECT_EQ(decide(Subject{Role::auditor, "", "", ""}, a, elsewhere), Decision::allow);
  }
  for (Action a : writes) {
    EXPECT_FALSE(is_read(a));
    EXPECT_EQ(decide(officer, a, pair), Decision::allow);
    EXPECT_EQ(decide(officer, a, elsewhere), Decision::deny);
    EXPECT_EQ(decide(Subject{Role::auditor, "", "", ""}, a, pair), Decision::deny);
    EXPECT_EQ(decide(Subject{Role::admin, "", "", ""}, a, elsewhere), Decision::allow);
  }
  for (Action a : {Action::review_read, Action::review_merge, Action::review_dismiss, Action::review_undo}) {
    // A person is refused even when the pair is about their own record.
    EXPECT_EQ(decide(Subject{Role::person, "A", "", ""}, a, Owner{"A", {}, {"350100"}}), Decision::deny);
    EXPECT_EQ(decide(Subject{Role::employer_agent, "", "E1", ""}, a, Owner{"", {"E1"}, {"350100"}}), Decision::deny);
  }
  EXPECT_EQ(to_string(Action::review_merge), "review.merge");
}

}  // namespace
}  // namespace shebao::auth
