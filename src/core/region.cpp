#include "core/region.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace shebao {
namespace {

constexpr std::array<Province, 34> kProvinces{{
    {11, "北京市", "Beijing"},
    {12, "天津市", "Tianjin"},
    {13, "河北省", "Hebei"},
    {14, "山西省", "Shanxi"},
    {15, "内蒙古自治区", "Inner Mongolia"},
    {21, "辽宁省", "Liaoning"},
    {22, "吉林省", "Jilin"},
    {23, "黑龙江省", "Heilongjiang"},
    {31, "上海市", "Shanghai"},
    {32, "江苏省", "Jiangsu"},
    {33, "浙江省", "Zhejiang"},
    {34, "安徽省", "Anhui"},
    {35, "福建省", "Fujian"},
    {36, "江西省", "Jiangxi"},
    {37, "山东省", "Shandong"},
    {41, "河南省", "Henan"},
    {42, "湖北省", "Hubei"},
    {43, "湖南省", "Hunan"},
    {44, "广东省", "Guangdong"},
    {45, "广西壮族自治区", "Guangxi"},
    {46, "海南省", "Hainan"},
    {50, "重庆市", "Chongqing"},
    {51, "四川省", "Sichuan"},
    {52, "贵州省", "Guizhou"},
    {53, "云南省", "Yunnan"},
    {54, "西藏自治区", "Tibet"},
    {61, "陕西省", "Shaanxi"},
    {62, "甘肃省", "Gansu"},
    {63, "青海省", "Qinghai"},
    {64, "宁夏回族自治区", "Ningxia"},
    {65, "新疆维吾尔自治区", "Xinjiang"},
    {71, "台湾省", "Taiwan"},
    {81, "香港特别行政区", "Hong Kong"},
    {82, "澳门特别行政区", "Macao"},
}};

constexpr bool is_sorted_by_code() {
  for (std::size_t i = 1; i < kProvinces.size(); ++i) {
    if (kProvinces[i - 1].code >= kProvinces[i].code) return false;
  }
  return true;
}
static_assert(is_sorted_by_code(), "find_province() relies on ascending codes");

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

int two_digits(char tens, char ones) { return (tens - '0') * 10 + (ones - '0'); }

}  // namespace

std::span<const Province> all_provinces() { return kProvinces; }

const Province* find_province(int two_digit_code) {
  const auto found = std::lower_bound(kProvinces.begin(), kProvinces.end(), two_digit_code,
                                      [](const Province& p, int code) { return p.code < code; });
  if (found == kProvinces.end() || found->code != two_digit_code) return nullptr;
  return &*found;
}

RegionCode::RegionCode(std::string_view six_digits) {
  assert(six_digits.size() == digits_.size());
  std::copy(six_digits.begin(), six_digits.end(), digits_.begin());
}

Result<RegionCode> RegionCode::parse(std::string_view six_digits) {
  constexpr const char* kField = "region_code";
  if (six_digits.size() != 6) {
    return fail(ErrorCode::bad_length, kField,
                "a region code has 6 digits, got " + std::to_string(six_digits.size()) + " characters");
  }
  for (std::size_t i = 0; i < six_digits.size(); ++i) {
    if (!is_digit(six_digits[i])) {
      return fail(ErrorCode::bad_character, kField, "character " + std::to_string(i + 1) + " is not a digit");
    }
  }
  const int province = two_digits(six_digits[0], six_digits[1]);
  if (find_province(province) == nullptr) {
    return fail(ErrorCode::unknown_region, kField,
                "no province has the code " + std::string(six_digits.substr(0, 2)));
  }
  return RegionCode(six_digits);
}

int RegionCode::province() const { return two_digits(digits_[0], digits_[1]); }

int RegionCode::prefecture() const { return two_digits(digits_[2], digits_[3]); }

int RegionCode::county() const { return two_digits(digits_[4], digits_[5]); }

const Province& RegionCode::province_info() const {
  const Province* found = find_province(province());
  assert(found != nullptr);
  return *found;
}

Result<int> parse_province_jurisdiction(std::string_view text) {
  constexpr const char* kField = "jurisdiction";
  constexpr std::string_view kPrefix = "CN-";
  if (text.size() != kPrefix.size() + 2) {
    return fail(ErrorCode::bad_length, kField,
                "a province jurisdiction is written CN-nn (5 characters), got " + std::to_string(text.size()));
  }
  if (!text.starts_with(kPrefix)) {
    return fail(ErrorCode::bad_character, kField, "a province jurisdiction starts with \"CN-\"");
  }
  if (!is_digit(text[3]) || !is_digit(text[4])) {
    return fail(ErrorCode::bad_character, kField, "a province jurisdiction ends with two digits");
  }
  const int province = two_digits(text[3], text[4]);
  if (find_province(province) == nullptr) {
    return fail(ErrorCode::unknown_region, kField, "no province has the code " + std::string(text.substr(3)));
  }
  return province;
}

}  // namespace shebao
