#include "rules/trace.h"

#include "rules/parameter_store.h"

namespace shebao::rules {

TraceStep& TraceStep::param(const ParamEntry& entry) {
  parameters.push_back(TraceParameter{entry.key + (entry.variant.empty() ? "" : "." + entry.variant),
                                      entry.value_text(), entry.jurisdiction, entry.period(), entry.rule_id,
                                      entry.status, entry.source});
  return *this;
}

TraceStep& TraceStep::override_param(std::string key, std::string value, std::string origin) {
  parameters.push_back(TraceParameter{std::move(key), std::move(value), "", "", "", "override", std::move(origin)});
  return *this;
}

}  // namespace shebao::rules
