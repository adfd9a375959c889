// shebao ingest: reading the rules directory into a ParameterStore.
//
// Reads every *.toml file under a directory (recursively, in path order, so
// the result does not depend on the file system's order) and hands the
// contents to ParameterStore::load. Errors name the file relative to the
// directory's parent ("rules/cn/benefits.toml:12").
#pragma once

#include <filesystem>

#include "core/error.h"
#include "rules/parameter_store.h"

namespace shebao::ingest {

Result<std::vector<rules::RulesFile>> read_rules_files(const std::filesystem::path& directory);
Result<rules::ParameterStore> load_rules_directory(const std::filesystem::path& directory);

}  // namespace shebao::ingest
