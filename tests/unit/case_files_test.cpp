// Runs every case file under tests/cases/rules through the engine, to the fen.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "ingest/rules_files.h"
#include "rules/case_runner.h"

namespace {

namespace json = boost::json;
using namespace shebao;

const rules::ParameterStore& store() {
  static const rules::ParameterStore loaded = [] {
    auto result = ingest::load_rules_directory(SHEBAO_RULES_DIR);
    if (!result) {
      ADD_FAILURE() << result.error().to_string();
      std::abort();
    }
    return std::move(*result);
  }();
  return loaded;
}

std::vector<std::string> case_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SHEBAO_TEST_DATA_DIR) + "/cases/rules")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class CaseFile : public ::testing::TestWithParam<std::string> {};

TEST_P(CaseFile, MatchesExpectation) {
  std::ifstream in(GetParam());
  std::stringstream text;
  text << in.rdbuf();
  const json::value document = json::parse(text.str());
  for (bool with_trace : {false, true}) {
    auto run = rules::run_case(document, store(), with_trace);
    ASSERT_TRUE(run.has_value()) << run.error().to_string();
    std::string detail;
    for (const auto& line : run->mismatches) detail += line + "\n";
    EXPECT_EQ(run->verdict, rules::CaseVerdict::passed) << run->id << "\n" << detail;
    if (with_trace && run->result) {
      EXPECT_FALSE(run->trace.steps().empty()) << run->id << " has no trace";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllCases, CaseFile, ::testing::ValuesIn(case_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = std::filesystem::path(info.param).stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// Further cases derived from the rules reference (tests/cases/extra), run in one test.
TEST(CaseFiles, DerivedExtraCasesPass) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SHEBAO_TEST_DATA_DIR) + "/cases/extra")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  ASSERT_GT(files.size(), 100u);
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto run = rules::run_case(json::parse(text.str()), store(), false);
    ASSERT_TRUE(run.has_value()) << file << ": " << run.error().to_string();
    std::string detail;
    for (const auto& line : run->mismatches) detail += line + "\n";
    EXPECT_EQ(run->verdict, rules::CaseVerdict::passed) << run->id << "\n" << detail;
  }
}

TEST(CaseFiles, AllElevenKindsAreCovered) {
  std::set<std::string> kinds;
  for (const auto& file : case_files()) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    kinds.insert(std::string(json::parse(text.str()).as_object().at("kind").as_string()));
  }
  EXPECT_EQ(kinds.size(), 11u);
}

}  // namespace
