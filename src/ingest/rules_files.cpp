#include "ingest/rules_files.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace shebao::ingest {

Result<std::vector<rules::RulesFile>> read_rules_files(const std::filesystem::path& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    return fail(ErrorCode::io_error, directory.string(),
                "rules directory not found; pass --rules DIR pointing at shebao's rules/ folder");
  }
  std::vector<std::filesystem::path> paths;
  for (auto it = std::filesystem::recursive_directory_iterator(directory, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".toml") paths.push_back(it->path());
  }
  if (ec) return fail(ErrorCode::io_error, directory.string(), "cannot list: " + ec.message());
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) return fail(ErrorCode::io_error, directory.string(), "no .toml rules files in the directory");
  const std::filesystem::path base = std::filesystem::absolute(directory).lexically_normal().parent_path();
  std::vector<rules::RulesFile> files;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorCode::io_error, path.string(), "cannot read");
    std::ostringstream content;
    content << in.rdbuf();
    std::string name = std::filesystem::absolute(path).lexically_normal().lexically_relative(base).string();
    files.push_back(rules::RulesFile{std::move(name), content.str()});
  }
  return files;
}

Result<rules::ParameterStore> load_rules_directory(const std::filesystem::path& directory) {
  auto files = read_rules_files(directory);
  if (!files) return tl::unexpected(files.error());
  return rules::ParameterStore::load(*files);
}

}  // namespace shebao::ingest
