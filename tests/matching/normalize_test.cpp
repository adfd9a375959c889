#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "matching/compare.h"
#include "matching/normalize.h"

namespace shebao::matching {
namespace {

TEST(Normalize, FoldsCaseWidthAndPunctuation) {
  EXPECT_EQ(fold_text("  O'Brien-SMITH  "), "o brien smith");
  EXPECT_EQ(fold_text("ＷＡＮＧ\u3000Ｗｅｉ"), "wang wei");
}

TEST(Normalize, ChineseSimplifiedAndPinyin) {
  ChineseText chinese;
  EXPECT_EQ(chinese.simplified("陳偉華"), "陈伟华");
  EXPECT_EQ(chinese.pinyin("王伟", false), "wang wei");
  EXPECT_EQ(chinese.pinyin("王伟", true), "wáng wěi");
  EXPECT_EQ(chinese.latin_ascii("Wáng Wěi"), "wang wei");
}

TEST(Normalize, NameKeyIgnoresScriptOrderAndTones) {
  ChineseText chinese;
  const std::string key = name_key("王小明", chinese);
  EXPECT_EQ(key, "wang xiaoming");
  EXPECT_EQ(name_key("王曉明", chinese), key);
  EXPECT_EQ(name_key("Xiaoming WANG", chinese), key);
  EXPECT_EQ(name_key("Wáng Xiǎomíng", chinese), key);
  EXPECT_EQ(name_key("欧阳震华", chinese), "ouyang zhenhua");
  EXPECT_NE(name_key("王晓敏", chinese), name_key("汪晓明", chinese) + "x");
}

TEST(Normalize, NameSearchKeysInBothOrdersAndScripts) {
  ChineseText chinese;
  const auto keys = name_search_keys("王偉", "", chinese);
  EXPECT_EQ(keys, (std::vector<std::string>{"王伟", "wangwei", "weiwang"}));
  // The recorded pinyin adds its own forms (a polyphonic surname read as registered).
  const auto shan = name_search_keys("单明", "Shan Ming", chinese);
  EXPECT_NE(std::find(shan.begin(), shan.end(), "shanming"), shan.end());
  EXPECT_NE(std::find(shan.begin(), shan.end(), "mingshan"), shan.end());
  EXPECT_EQ(name_search_keys("欧阳震华", "", chinese),
            (std::vector<std::string>{"欧阳震华", "ouyangzhenhua", "zhenhuaouyang"}));
  // Latin names: letters only, every rotation that puts a name part first.
  EXPECT_EQ(name_search_keys("Maria del Carmen", "", chinese),
            (std::vector<std::string>{"mariadelcarmen", "delcarmenmaria", "carmenmariadel"}));
  // 'v' stands for ü; no key for an empty name.
  EXPECT_EQ(name_search_keys("吕", "", chinese), (std::vector<std::string>{"吕", "lu"}));
  EXPECT_TRUE(name_search_keys("", "", chinese).empty());
  EXPECT_LE(name_search_keys("a b c d e f", "g h i j k", chinese).size(), kMaxNameSearchKeys);
}

TEST(Normalize, NameSearchQueryForms) {
  ChineseText chinese;
  for (const char* text : {"wang wei", "Wáng Wěi", "wangwei", "WANG WEI", "wang2 wei3", " Wang-Wei "}) {
    EXPECT_EQ(name_search_query(text, chinese), "wangwei") << text;
  }
  EXPECT_EQ(name_search_query("Wei Wang", chinese), "weiwang");
  EXPECT_EQ(name_search_query("lv", chinese), "lu");
  EXPECT_EQ(name_search_query("王 偉", chinese), "王伟");
  EXPECT_EQ(name_search_query("張", chinese), "张");
  EXPECT_EQ(name_search_query("123 !?", chinese), "");
}

TEST(Normalize, ResidentIdFifteenToEighteen) {
  // 15-digit form of 11010519491231002X: region 110105, 491231, sequence 002.
  EXPECT_EQ(normalize_id("110105491231002"), "11010519491231002X");
  EXPECT_EQ(normalize_id("11010519491231002x"), "11010519491231002X");
  EXPECT_EQ(normalize_id(" 4403 0019 8001 010011 "), "440300198001010011");
}

TEST(Normalize, Dates) {
  EXPECT_EQ(normalize_date("1971-06-24"), "19710624");
  EXPECT_EQ(normalize_date("19710624"), "19710624");
  EXPECT_EQ(normalize_date("1971/6/4"), "19710604");
}

TEST(Normalize, Phonetic) {
  EXPECT_EQ(phonetic("robert"), phonetic("rupert"));
  EXPECT_EQ(phonetic("smith"), phonetic("smyth"));
  EXPECT_NE(phonetic("smith"), phonetic("jones"));
}

TEST(Compare, JaroWinkler) {
  EXPECT_DOUBLE_EQ(jaro_winkler("abc", "abc"), 1.0);
  EXPECT_NEAR(jaro_winkler("martha", "marhta"), 0.9611, 1e-4);
  EXPECT_NEAR(jaro_winkler("dixon", "dicksonx"), 0.8133, 1e-4);
  EXPECT_DOUBLE_EQ(jaro_winkler("abc", "xyz"), 0.0);
}

// The textbook Jaro-Winkler: each byte of a pairs with the first unused equal
// byte of b within the window; transpositions are half the matched bytes out of order.
static double reference_jaro_winkler(std::string_view a, std::string_view b) {
  if (a.size() > 64) a = a.substr(0, 64);
  if (b.size() > 64) b = b.substr(0, 64);
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  if (la == 0 || lb == 0) return la == lb ? 1.0 : 0.0;
  if (a == b) return 1.0;
  const int window = std::max(0, std::max(la, lb) / 2 - 1);
  std::vector<bool> used_b(lb), matched_a(la);
  int matches = 0;
  for (int i = 0; i < la; ++i)
    for (int j = std::max(0, i - window); j <= std::min(lb - 1, i + window); ++j)
      if (!used_b[j] && a[i] == b[j]) {
        used_b[j] = matched_a[i] = true;
        ++matches;
        break;
      }
  if (matches == 0) return 0.0;
  int transpositions = 0;
  for (int i = 0, j = 0; i < la; ++i) {
    if (!matched_a[i]) continue;
    while (!used_b[j]) ++j;
    transpositions += a[i] != b[j++];
  }
  const double m = matches;
  const double jaro = (m / la + m / lb + (m - transpositions / 2) / m) / 3.0;
  int prefix = 0;
  while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1.0 - jaro);
}

TEST(Compare, JaroWinklerEqualsTheTextbookDefinition) {
  // Random strings over small alphabets (many repeated bytes, so the choice
  // of which equal byte pairs matters), lengths 0 to 70 (past the 64-byte cut),
  // including bytes above 127.
  std::uint64_t x = 88172645463325252ULL;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const std::string alphabets[] = {"ab", "abcd", "aeiounrst", "\xe7\x8e\x8b\xe4\xbc\x9f"};
  for (int t = 0; t < 20000; ++t) {
    const std::string& alphabet = alphabets[t % 4];
    auto random_string = [&] {
      std::string s(next() % (t % 10 == 0 ? 71 : 12), ' ');
      for (char& c : s) c = alphabet[next() % alphabet.size()];
      return s;
    };
    const std::string a = random_string(), b = t % 7 == 0 ? a.substr(0, a.size() / 2) + "x" : random_string();
    ASSERT_DOUBLE_EQ(jaro_winkler(a, b), reference_jaro_winkler(a, b)) << "a=" << a << " b=" << b;
    ASSERT_DOUBLE_EQ(jaro_winkler(b, a), reference_jaro_winkler(b, a)) << "a=" << b << " b=" << a;
  }
}

TEST(Compare, DamerauLevenshteinWithLimit) {
  EXPECT_EQ(damerau_levenshtein("1234", "1243", 2), 1);  // transposition
  EXPECT_EQ(damerau_levenshtein("1234", "1235", 2), 1);
  EXPECT_EQ(damerau_levenshtein("kitten", "sitting", 5), 3);
  EXPECT_EQ(damerau_levenshtein("kitten", "sitting", 1), 2);  // stops at limit + 1
}

TEST(Compare, DateSwapped) {
  EXPECT_TRUE(date_swapped("19800305", "19800503"));
  EXPECT_FALSE(date_swapped("19800305", "19800305"));
  EXPECT_FALSE(date_swapped("19800305", "19810503"));
}

}  // namespace
}  // namespace shebao::matching
