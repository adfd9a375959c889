#include "rules/case_kinds.h"

#include <algorithm>

namespace shebao::rules {
namespace {

std::vector<CaseKind>& registry() {
  static std::vector<CaseKind> kinds;
  return kinds;
}

}  // namespace

KindRegistration::KindRegistration(std::string_view name, KindFunction run) {
  registry().push_back(CaseKind{name, run});
  std::sort(registry().begin(), registry().end(),
            [](const CaseKind& a, const CaseKind& b) { return a.name < b.name; });
}

std::vector<CaseKind> case_kinds() { return registry(); }

const CaseKind* find_case_kind(std::string_view name) {
  for (const CaseKind& kind : registry()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

}  // namespace shebao::rules
