// Resident identity numbers, unified social credit codes, region codes.
// Check characters in the vectors below were computed independently of the
// code under test; 11010519491231002X is the example of GB 11643-1999.
#include <gtest/gtest.h>

#include <string>

#include "core/ids.h"
#include "core/region.h"

namespace shebao {
namespace {

template <typename T>
ErrorCode error_code_of(const Result<T>& result) {
  EXPECT_FALSE(result.has_value());
  return result.has_value() ? ErrorCode::internal : result.error().code;
}

// --- ResidentId: valid ---

TEST(ResidentId, ParsesStandardExampleWithCheckX) {
  const auto id = ResidentId::parse("11010519491231002X");
  ASSERT_TRUE(id.has_value()) << id.error().to_string();
  EXPECT_EQ(id->text(), "11010519491231002X");
  EXPECT_EQ(id->region().text(), "110105");
  EXPECT_EQ(id->region().province(), 11);
  EXPECT_EQ(id->birth_date(), Date::of(1949, 12, 31));
  EXPECT_EQ(id->birth_month(), YearMonth::of(1949, 12));
  EXPECT_EQ(id->sequence(), 2);
  EXPECT_FALSE(id->is_male());
}

TEST(ResidentId, NormalisesLowerCaseX) {
  const auto id = ResidentId::parse("11010519491231002x");
  ASSERT_TRUE(id.has_value()) << id.error().to_string();
  EXPECT_EQ(id->text(), "11010519491231002X");
  EXPECT_EQ(*id, *ResidentId::parse("11010519491231002X"));
}

TEST(ResidentId, OddSequenceIsMale) {
  const auto id = ResidentId::parse("440306199001010014");
  ASSERT_TRUE(id.has_value()) << id.error().to_string();
  EXPECT_EQ(id->sequence(), 1);
  EXPECT_TRUE(id->is_male());
  EXPECT_EQ(id->region().province_info().name_en, "Guangdong");
  EXPECT_EQ(id->birth_date(), Date::of(1990, 1, 1));
}

TEST(ResidentId, EvenSequenceIsFemale) {
  const auto id = ResidentId::parse("440306199001010022");
  ASSERT_TRUE(id.has_value()) << id.error().to_string();
  EXPECT_EQ(id->sequence(), 2);
  EXPECT_FALSE(id->is_male());
}

TEST(ResidentId, ThreeDigitSequence) {
  const auto id = ResidentId::parse("440306199001011236");
  ASSERT_TRUE(id.has_value()) << id.error().to_string();
  EXPECT_EQ(id->sequence(), 123);
  EXPECT_TRUE(id->is_male());
}

TEST(ResidentId, LeapDays) {
  EXPECT_TRUE(ResidentId::parse("310115198002290021").has_value());  // 1980 is a leap year
  EXPECT_TRUE(ResidentId::parse("110105200002290048").has_value());  // 2000 is divisible by 400
}

TEST(ResidentId, CheckCharacterFunction) {
  EXPECT_EQ(resident_id_check_character("11010519491231002"), 'X');
  EXPECT_EQ(resident_id_check_character("44030619900101001"), '4');
  EXPECT_EQ(resident_id_check_character("11010519491231001"), '1');
}

// --- ResidentId: legacy 15-digit form ---

TEST(ResidentId, ConvertsLegacyFifteenDigits) {
  const auto id = ResidentId::parse("110105491231002");
  ASSERT_TRUE(id.has_value()) << id.error().to_string();
  EXPECT_EQ(id->text(), "11010519491231002X");
  EXPECT_EQ(id->birth_date(), Date::of(1949, 12, 31));
  EXPECT_EQ(*id, *ResidentId::parse("11010519491231002X"));
}

TEST(ResidentId, LegacyFormIsCheckedToo) {
  EXPECT_EQ(error_code_of(ResidentId::parse("11010549123100X")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(ResidentId::parse("110105490230001")), ErrorCode::bad_birth_date);
  EXPECT_EQ(error_code_of(ResidentId::parse("990105491231002")), ErrorCode::unknown_region);
}

// --- ResidentId: errors ---

TEST(ResidentId, WrongCheckCharacterNamesExpected) {
  const auto id = ResidentId::parse("110105194912310021");
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code, ErrorCode::bad_check_character);
  EXPECT_EQ(id.error().field, "resident_id");
  EXPECT_NE(id.error().message.find("expected X"), std::string::npos) << id.error().message;
}

TEST(ResidentId, WrongCheckDigitWhereXWasGiven) {
  EXPECT_EQ(error_code_of(ResidentId::parse("44030619900101001X")), ErrorCode::bad_check_character);
}

TEST(ResidentId, WrongLength) {
  EXPECT_EQ(error_code_of(ResidentId::parse("11010519491231002")), ErrorCode::bad_length);    // 17
  EXPECT_EQ(error_code_of(ResidentId::parse("11010519491231002X0")), ErrorCode::bad_length);  // 19
  EXPECT_EQ(error_code_of(ResidentId::parse("")), ErrorCode::bad_length);
  EXPECT_EQ(error_code_of(ResidentId::parse("1101051949123")), ErrorCode::bad_length);  // 13, wrong for both forms
  EXPECT_EQ(error_code_of(ResidentId::parse(" 11010519491231002X")), ErrorCode::bad_length);
}

TEST(ResidentId, NonDigitCharacters) {
  EXPECT_EQ(error_code_of(ResidentId::parse("1101051949123100XX")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(ResidentId::parse("11010519491231002Y")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(ResidentId::parse("A1010519491231002X")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(ResidentId::parse("110105-949123102X ")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(ResidentId::parse(std::string("1101051949\0" "231002X", 18))), ErrorCode::bad_character);
}

TEST(ResidentId, ImpossibleBirthDates) {
  // Each has a correct check character, so only the date is wrong.
  EXPECT_EQ(error_code_of(ResidentId::parse("110105200002300015")), ErrorCode::bad_birth_date);  // Feb 30
  EXPECT_EQ(error_code_of(ResidentId::parse("110105199002290018")), ErrorCode::bad_birth_date);  // 1990 not leap
  EXPECT_EQ(error_code_of(ResidentId::parse("110105199013010018")), ErrorCode::bad_birth_date);  // month 13
  EXPECT_EQ(error_code_of(ResidentId::parse("110105189912310023")), ErrorCode::bad_birth_date);  // 1899
}

TEST(ResidentId, UnknownRegionPrefix) {
  const auto id = ResidentId::parse("990105194912310023");  // check character is right
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code, ErrorCode::unknown_region);
  EXPECT_EQ(id.error().field, "resident_id");
  EXPECT_EQ(error_code_of(ResidentId::parse("100105194912310028")), ErrorCode::unknown_region);
}

// --- CreditCode ---

TEST(CreditCode, ParsesValidCodes) {
  const auto code = CreditCode::parse("91350100M000100Y43");
  ASSERT_TRUE(code.has_value()) << code.error().to_string();
  EXPECT_EQ(code->text(), "91350100M000100Y43");
  EXPECT_EQ(code->registration_department(), '9');
  EXPECT_EQ(code->organisation_type(), '1');
  EXPECT_EQ(code->region().text(), "350100");
  EXPECT_EQ(code->region().province_info().name_zh, "福建省");
  EXPECT_EQ(code->organisation_code(), "M000100Y4");

  EXPECT_TRUE(CreditCode::parse("914403001922038216").has_value());
  EXPECT_TRUE(CreditCode::parse("91330100716105852F").has_value());
  EXPECT_TRUE(CreditCode::parse("91440300MA5ABCDE1H").has_value());
}

TEST(CreditCode, UpperCasesLetters) {
  const auto code = CreditCode::parse("91350100m000100y43");
  ASSERT_TRUE(code.has_value()) << code.error().to_string();
  EXPECT_EQ(code->text(), "91350100M000100Y43");
  EXPECT_EQ(*code, *CreditCode::parse("91350100M000100Y43"));
  EXPECT_TRUE(CreditCode::parse("91330100716105852f").has_value());
}

TEST(CreditCode, CheckCharacterFunction) {
  EXPECT_EQ(credit_code_check_character("91350100M000100Y4"), '3');
  EXPECT_EQ(credit_code_check_character("91330100716105852"), 'F');
  EXPECT_EQ(credit_code_check_character("Y1350100M000100Y4"), 'D');
}

TEST(CreditCode, WrongCheckCharacter) {
  const auto code = CreditCode::parse("91350100M000100Y44");
  ASSERT_FALSE(code.has_value());
  EXPECT_EQ(code.error().code, ErrorCode::bad_check_character);
  EXPECT_EQ(code.error().field, "credit_code");
  EXPECT_NE(code.error().message.find("expected 3"), std::string::npos) << code.error().message;
}

TEST(CreditCode, WrongLength) {
  EXPECT_EQ(error_code_of(CreditCode::parse("91350100M000100Y4")), ErrorCode::bad_length);
  EXPECT_EQ(error_code_of(CreditCode::parse("91350100M000100Y433")), ErrorCode::bad_length);
  EXPECT_EQ(error_code_of(CreditCode::parse("")), ErrorCode::bad_length);
}

TEST(CreditCode, CharactersOutsideAlphabet) {
  EXPECT_EQ(error_code_of(CreditCode::parse("91350100I000100Y43")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(CreditCode::parse("91350100O000100Y43")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(CreditCode::parse("S1350100M000100Y43")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(CreditCode::parse("91350100M000100V43")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(CreditCode::parse("91350100M000100Y4Z")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(CreditCode::parse("91350100M000-00Y43")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(CreditCode::parse("913501 0M000100Y43")), ErrorCode::bad_character);
}

TEST(CreditCode, RegionMustBeDigits) {
  EXPECT_EQ(error_code_of(CreditCode::parse("9135A100M000100Y43")), ErrorCode::bad_character);
}

TEST(CreditCode, UnknownRegionPrefix) {
  const auto code = CreditCode::parse("91990100M000100Y4U");  // check character is right
  ASSERT_FALSE(code.has_value());
  EXPECT_EQ(code.error().code, ErrorCode::unknown_region);
  EXPECT_EQ(code.error().field, "credit_code");
}

// --- RegionCode and provinces ---

TEST(Province, TableHasThirtyFourUnits) {
  EXPECT_EQ(all_provinces().size(), 34u);
  for (int code : {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                   43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}) {
    const Province* province = find_province(code);
    ASSERT_NE(province, nullptr) << code;
    EXPECT_EQ(province->code, code);
    EXPECT_FALSE(province->name_zh.empty());
    EXPECT_FALSE(province->name_en.empty());
  }
  EXPECT_EQ(find_province(11)->name_zh, "北京市");
  EXPECT_EQ(find_province(82)->name_en, "Macao");
}

TEST(Province, UnknownCodes) {
  for (int code : {0, 1, 10, 16, 20, 24, 30, 38, 40, 47, 49, 55, 60, 66, 70, 72, 80, 83, 99, 100, -11}) {
    EXPECT_EQ(find_province(code), nullptr) << code;
  }
}

TEST(RegionCode, ParsesLevels) {
  const auto province = RegionCode::parse("110000");
  ASSERT_TRUE(province.has_value()) << province.error().to_string();
  EXPECT_TRUE(province->is_province_level());
  EXPECT_EQ(province->province(), 11);
  EXPECT_EQ(province->prefecture(), 0);
  EXPECT_EQ(province->county(), 0);

  const auto county = RegionCode::parse("440306");
  ASSERT_TRUE(county.has_value()) << county.error().to_string();
  EXPECT_FALSE(county->is_province_level());
  EXPECT_EQ(county->province(), 44);
  EXPECT_EQ(county->prefecture(), 3);
  EXPECT_EQ(county->county(), 6);
  EXPECT_EQ(county->text(), "440306");
}

TEST(RegionCode, Errors) {
  EXPECT_EQ(error_code_of(RegionCode::parse("11000")), ErrorCode::bad_length);
  EXPECT_EQ(error_code_of(RegionCode::parse("1100000")), ErrorCode::bad_length);
  EXPECT_EQ(error_code_of(RegionCode::parse("")), ErrorCode::bad_length);
  EXPECT_EQ(error_code_of(RegionCode::parse("11000A")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(RegionCode::parse("+11000")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(RegionCode::parse("990000")), ErrorCode::unknown_region);
  EXPECT_EQ(error_code_of(RegionCode::parse("000000")), ErrorCode::unknown_region);
  EXPECT_EQ(error_code_of(RegionCode::parse("100000")), ErrorCode::unknown_region);
  EXPECT_EQ(RegionCode::parse("990000").error().field, "region_code");
}

TEST(Jurisdiction, ParsesProvince) {
  EXPECT_EQ(parse_province_jurisdiction("CN-11"), 11);
  EXPECT_EQ(parse_province_jurisdiction("CN-44"), 44);
  EXPECT_EQ(parse_province_jurisdiction("CN-82"), 82);
}

TEST(Jurisdiction, Errors) {
  EXPECT_EQ(error_code_of(parse_province_jurisdiction("CN-99")), ErrorCode::unknown_region);
  EXPECT_EQ(error_code_of(parse_province_jurisdiction("CN-00")), ErrorCode::unknown_region);
  EXPECT_EQ(error_code_of(parse_province_jurisdiction("CN-1")), ErrorCode::bad_length);
  EXPECT_EQ(error_code_of(parse_province_jurisdiction("CN-110")), ErrorCode::bad_length);
  EXPECT_EQ(error_code_of(parse_province_jurisdiction("")), ErrorCode::bad_length);
  EXPECT_EQ(error_code_of(parse_province_jurisdiction("CN-BJ")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(parse_province_jurisdiction("cn-11")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(parse_province_jurisdiction("CN_11")), ErrorCode::bad_character);
  EXPECT_EQ(error_code_of(parse_province_jurisdiction("DE-11")), ErrorCode::bad_character);
  EXPECT_EQ(parse_province_jurisdiction("CN-99").error().field, "jurisdiction");
}

}  // namespace
}  // namespace shebao
