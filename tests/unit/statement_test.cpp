// The contribution statement PDF: the figures a person reads can be extracted
// from the document as text, in Chinese and in English.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "statement/statement.h"

namespace shebao::statement {
namespace {

// cairo and fontconfig keep font caches for the life of the process; the test
// process releases them at its end so that LeakSanitizer sees only real leaks.
class ReleaseFontCaches : public ::testing::Environment {
 public:
  void TearDown() override { release_font_caches(); }
};
const auto* const kReleaseFontCaches = ::testing::AddGlobalTestEnvironment(new ReleaseFontCaches);

Statement sample(int months) {
  Statement s;
  s.resident_id = "11010519491231002X";
  s.name = "张伟";
  s.name_pinyin = "Zhang Wei";
  s.as_of = *Date::parse("2026-11-29");
  for (int i = 0; i < months; ++i) {
    Row row;
    row.month = YearMonth::of(2024 + i / 12, 1 + i % 12);
    row.employer_name = i % 5 == 4 ? "" : "深圳市南山区某某科技有限公司第一分公司研发中心";
    row.region = "440305";
    row.base_fen = 1234567 + i;
    row.employee_fen = 98765 + i;
    row.employer_fen = 197530 + i;
    s.rows.push_back(row);
  }
  s.personal_balance_fen = 123456789;
  return s;
}

// pdftotext (poppler-utils) output of a PDF's bytes.
std::string extract_text(const std::string& pdf) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto file = dir / ("shebao-statement-" + std::to_string(::getpid()) + ".pdf");
  {
    std::ofstream out(file, std::ios::binary);
    out << pdf;
  }
  const std::string command = "pdftotext -layout -enc UTF-8 '" + file.string() + "' - 2>&1";
  std::string text;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
    EXPECT_EQ(::pclose(pipe), 0) << text;
  }
  std::filesystem::remove(file);
  return text;
}

TEST(Statement, ChineseStatementCarriesNameFiguresAndTotals) {
  const Statement s = sample(3);
  auto pdf = render_pdf(s, Language::zh);
  ASSERT_TRUE(pdf) << pdf.error().to_string();
  EXPECT_EQ(pdf->rfind("%PDF-", 0), 0u);
  const std::string text = extract_text(*pdf);
  EXPECT_NE(text.find("社会保险缴费对账单"), std::string::npos) << text;
  EXPECT_NE(text.find("张伟"), std::string::npos) << text;
  EXPECT_NE(text.find("11010519491231002X"), std::string::npos);
  EXPECT_NE(text.find("2026-11-29"), std::string::npos);
  EXPECT_NE(text.find("2024-01"), std::string::npos);
  EXPECT_NE(text.find("12,345.67"), std::string::npos) << text;  // first base
  EXPECT_NE(text.find("987.66"), std::string::npos);             // second employee part
  EXPECT_NE(text.find("2,962.98"), std::string::npos);           // employee total 98765+98766+98767
  EXPECT_NE(text.find("5,925.93"), std::string::npos);           // employer total
  EXPECT_NE(text.find("1,234,567.89"), std::string::npos);       // balance
  EXPECT_NE(text.find("缴费月数: 3"), std::string::npos) << text;
  EXPECT_NE(text.find("…"), std::string::npos);  // the long employer name is cut to its column
  EXPECT_EQ(text.find("Resident ID"), std::string::npos);
}

TEST(Statement, EnglishStatementUsesEnglishLabelsAndKeepsChineseName) {
  const Statement s = sample(5);
  auto pdf = render_pdf(s, Language::en);
  ASSERT_TRUE(pdf) << pdf.error().to_string();
  const std::string text = extract_text(*pdf);
  EXPECT_NE(text.find("Social insurance contribution statement"), std::string::npos) << text;
  EXPECT_NE(text.find("Resident ID: 11010519491231002X"), std::string::npos);
  EXPECT_NE(text.find("张伟"), std::string::npos);
  EXPECT_NE(text.find("Flexible"), std::string::npos);  // the fifth month has no employer
  EXPECT_NE(text.find("Months contributed: 5"), std::string::npos);
  EXPECT_EQ(text.find("个人账户余额"), std::string::npos);
}

TEST(Statement, LongHistoryRunsOverSeveralPagesWithEveryMonth) {
  const Statement s = sample(120);
  auto pdf = render_pdf(s, Language::en);
  ASSERT_TRUE(pdf) << pdf.error().to_string();
  const std::string text = extract_text(*pdf);
  EXPECT_NE(text.find("Page 3"), std::string::npos) << text;
  for (const Row& row : s.rows) EXPECT_NE(text.find(row.month.to_string()), std::string::npos) << row.month.to_string();
  // 120 employee parts: 98765*120 + (0+...+119) = 11851800 + 7140 fen.
  EXPECT_NE(text.find("118,589.40"), std::string::npos) << text;
}

TEST(Statement, EmptyHistoryAndNegativeAmountsAreShownAsSuch) {
  Statement s = sample(0);
  s.personal_balance_fen = -5;
  auto pdf = render_pdf(s, Language::zh);
  ASSERT_TRUE(pdf);
  const std::string text = extract_text(*pdf);
  EXPECT_NE(text.find("暂无缴费记录"), std::string::npos) << text;
  EXPECT_NE(text.find("-0.05"), std::string::npos);
}

}  // namespace
}  // namespace shebao::statement
