// shebao matching: normalisation of the values that identify a person.
//
// fold_text        lower case, full-width ASCII to ASCII, ideographic space to
//                  space, punctuation to blanks, runs of blanks to one, trimmed.
// ChineseText      Chinese characters to simplified form (ICU
//                  "Traditional-Simplified") and to pinyin with tone marks
//                  ("Han-Latin") and without ("Latin-ASCII"). One conversion per
//                  distinct code point, cached, so a registry of millions of
//                  names costs a few thousand ICU calls.
// name_key         the canonical comparison form of a person's name, in any
//                  script: hanzi become "surname given" in toneless pinyin
//                  (the given name's syllables joined), Latin text is folded;
//                  the tokens are then sorted, so "Wang Xiaoming",
//                  "XIAOMING wang" and 王小明 / 王曉明 share one key.
// name_tokens      the name's tokens in written order: hanzi give the surname
//                  (compound surnames as one) and the given name in toneless
//                  pinyin; Latin text gives its folded words.
// name_search_keys the prefix-search keys of a person's name (at most
//                  kMaxNameSearchKeys): the simplified Han characters ("王伟"
//                  for 王偉), and the pinyin or Latin letters run together in
//                  written order and with the given name first ("wangwei",
//                  "weiwang"), of the name and of its recorded pinyin; 'v'
//                  reads as 'u' (lü typed "lv").
// name_search_query the key a search text is compared with as a prefix: the
//                  simplified Han characters of a text with hanzi, otherwise
//                  its letters without tones, blanks, tone digits or case.
// normalize_id     resident ID: blanks removed, 'x' upper-cased, the legacy
//                  15-digit form converted to 18 characters ("19" inserted,
//                  MOD 11-2 check character appended). Other identifiers:
//                  digits and letters only, upper-cased.
// normalize_date   YYYYMMDD from YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or
//                  YYYYMMDD; other text is returned folded (kept comparable).
// phonetic         a short sound key of a Latin token (Soundex-like; Chinese
//                  pinyin tokens are returned unchanged, they are phonetic).
//
// Pure: no I/O, no clock. ChineseText holds ICU transliterators (each made on
// first use: text without Han characters or accents never pays for one) and a cache:
// one object per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shebao::matching {

std::string fold_text(std::string_view text);

// True when the UTF-8 text contains a CJK unified ideograph.
bool has_han(std::string_view text);

class ChineseText {
 public:
  ChineseText();
  ~ChineseText();
  ChineseText(const ChineseText&) = delete;
  ChineseText& operator=(const ChineseText&) = delete;

  // Every Han character in simplified form; other characters unchanged.
  std::string simplified(std::string_view text);
  // Syllables separated by one blank; non-Han characters folded and kept.
  // With tones: "wáng xiǎo míng"; without: "wang xiao ming".
  std::string pinyin(std::string_view text, bool tones);
  // Latin letters without diacritics ("Wáng Wěi" -> "wang wei"), folded.
  std::string latin_ascii(std::string_view text);

 private:
  struct Entry {
    std::string simplified;
    std::string pinyin_tone;
    std::string pinyin_plain;
  };
  const Entry& lookup(char32_t code_point);
  struct Icu;
  std::unique_ptr<Icu> icu_;
  std::unordered_map<char32_t, Entry> cache_;
};

// Canonical name form (see above). `chinese` may be shared by many calls.
std::string name_key(std::string_view text, ChineseText& chinese);
std::vector<std::string> name_tokens(std::string_view text, ChineseText& chinese);

inline constexpr std::size_t kMaxNameSearchKeys = 8;
std::vector<std::string> name_search_keys(std::string_view name, std::string_view name_pinyin, ChineseText& chinese);
std::string name_search_query(std::string_view text, ChineseText& chinese);

std::string normalize_id(std::string_view text);
std::string normalize_date(std::string_view text);
std::string phonetic(std::string_view token);

// Split on blanks.
std::vector<std::string_view> split_tokens(std::string_view text);

// Decode one UTF-8 code point at `pos` (advancing it); invalid bytes read as U+FFFD.
char32_t next_code_point(std::string_view text, std::size_t& pos);
void append_utf8(std::string& out, char32_t code_point);

}  // namespace shebao::matching
