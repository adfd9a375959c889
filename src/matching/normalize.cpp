#include "matching/normalize.h"

#include <algorithm>
#include <array>

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include "core/ids.h"

namespace shebao::matching {

char32_t next_code_point(std::string_view text, std::size_t& pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  int extra = 0;
  char32_t cp = 0;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    ++pos;
    return 0xFFFD;
  }
  if (pos + extra >= text.size()) {
    pos = text.size();
    return 0xFFFD;
  }
  for (int i = 1; i <= extra; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) {
      pos += i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  pos += extra + 1;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

bool is_han(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2EBEF) ||
         (cp >= 0xF900 && cp <= 0xFAFF);
}

// Full-width forms to ASCII, ideographic space to blank.
char32_t narrow(char32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) return cp - 0xFEE0;
  if (cp == 0x3000) return U' ';
  return cp;
}

}  // namespace

bool has_han(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (is_han(next_code_point(text, pos))) return true;
  }
  return false;
}

std::string fold_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool blank = true;  // suppress leading blanks
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = narrow(next_code_point(text, pos));
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!keep) {
        if (!blank) out.push_back(' ');
        blank = true;
        continue;
      }
      out.push_back(c);
      blank = false;
    } else if (cp == 0x00B7 || cp == 0x30FB || cp == 0x3001 || cp == 0x3002 || cp == 0xFFFD) {
      // middle dots of transcribed names, ideographic comma and full stop
      if (!blank) out.push_back(' ');
      blank = true;
    } else {
      append_utf8(out, cp);
      blank = false;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<std::string_view> split_tokens(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) tokens.push_back(text.substr(i, j - i));
    i = j;
  }
  return tokens;
}

// The transliterators are made on first use: making them parses ICU's rule
// sets (tens of milliseconds for Han-Latin), which text without Han
// characters or accents never needs. One that ICU cannot make stays null and
// its step is skipped.
struct ChineseText::Icu {
  struct Lazy {
    explicit Lazy(const char* transliterator_id) : id(transliterator_id) {}
    const char* id;
    bool made = false;
    std::unique_ptr<icu::Transliterator> transliterator;
    icu::Transliterator* get() {
      if (!made) {
        made = true;
        UErrorCode status = U_ZERO_ERROR;
        transliterator.reset(icu::Transliterator::createInstance(id, UTRANS_FORWARD, status));
        if (U_FAILURE(status)) transliterator.reset();
      }
      return transliterator.get();
    }
  };
  Lazy to_simplified = Lazy("Traditional-Simplified");
  Lazy to_pinyin = Lazy("Han-Latin");
  Lazy to_ascii = Lazy("Latin-ASCII; Lower");
};

ChineseText::ChineseText() : icu_(std::make_unique<Icu>()) {}

ChineseText::~ChineseText() = default;

const ChineseText::Entry& ChineseText::lookup(char32_t cp) {
  auto found = cache_.find(cp);
  if (found != cache_.end()) return found->second;
  Entry entry;
  icu::UnicodeString text(static_cast<UChar32>(cp));
  if (auto* t = icu_->to_simplified.get()) t->transliterate(text);
  text.toUTF8String(entry.simplified);
  icu::UnicodeString latin = text;
  if (auto* t = icu_->to_pinyin.get()) t->transliterate(latin);
  std::string tone;
  latin.toUTF8String(tone);
  icu::UnicodeString plain = latin;
  if (auto* t = icu_->to_ascii.get()) t->transliterate(plain);
  std::string ascii;
  plain.toUTF8String(ascii);
  // Lower-case the toned form too (ICU gives lower case for Han already).
  entry.pinyin_tone = tone;
  entry.pinyin_plain = fold_text(ascii);
  return cache_.emplace(cp, std::move(entry)).first->second;
}

std::string ChineseText::simplified(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = next_code_point(text, pos);
    if (is_han(cp)) {
      out += lookup(cp).simplified;
    } else {
      append_utf8(out, cp);
    }
  }
  return out;
}

std::string ChineseText::pinyin(std::string_view text, bool tones) {
  std::string out;
  std::string latin;  // a run of non-Han characters, folded when it ends
  auto flush = [&] {
    if (latin.empty()) return;
    const std::string folded = fold_text(latin);
    if (!folded.empty()) {
      if (!out.empty()) out.push_back(' ');
      out += folded;
    }
    latin.clear();
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = next_code_point(text, pos);
    if (is_han(cp)) {
      flush();
      const Entry& entry = lookup(cp);
      const std::string& syllable = tones ? entry.pinyin_tone : entry.pinyin_plain;
      if (syllable.empty()) continue;
      if (!out.empty()) out.push_back(' ');
      out += syllable;
    } else {
      append_utf8(latin, cp);
    }
  }
  flush();
  return out;
}

std::string ChineseText::latin_ascii(std::string_view text) {
  const bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  icu::Transliterator* to_ascii = ascii ? nullptr : icu_->to_ascii.get();
  if (to_ascii == nullptr) return fold_text(text);
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  to_ascii->transliterate(u);
  std::string out;
  u.toUTF8String(out);
  return fold_text(out);
}

namespace {

// Two-character surnames (simplified): their two syllables form one token.
constexpr std::array<std::string_view, 20> kCompoundSurnames = {
    "欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "夏侯", "慕容", "长孙",
    "令狐", "尉迟", "公孙", "宇文", "轩辕", "端木", "西门", "南宫", "独孤", "万俟"};

}  // namespace

namespace {

// The Han characters of the text in simplified form, nothing else.
std::string simplified_han(std::string_view text, ChineseText& chinese) {
  const std::string simple = chinese.simplified(fold_text(text));
  std::string han;
  std::size_t pos = 0;
  while (pos < simple.size()) {
    const char32_t cp = next_code_point(simple, pos);
    if (is_han(cp)) append_utf8(han, cp);
  }
  return han;
}

std::string joined(const std::vector<std::string>& tokens, std::string_view separator) {
  std::string out;
  for (const std::string& token : tokens) {
    if (!out.empty()) out += separator;
    out += token;
  }
  return out;
}

// Lower-case ASCII letters only; 'v' (the typed form of ü) reads as 'u'.
std::string letters_only(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 'a' && c <= 'z') out.push_back(c == 'v' ? 'u' : c);
  }
  return out;
}

}  // namespace

std::vector<std::string> name_tokens(std::string_view text, ChineseText& chinese) {
  std::vector<std::string> tokens;
  if (has_han(text)) {
    // Keep the Han characters only (a stray Latin initial is noise here).
    const std::string han = simplified_han(text, chinese);
    std::size_t surname_bytes = 3;  // one character
    for (std::string_view compound : kCompoundSurnames) {
      if (han.compare(0, compound.size(), compound) == 0 && han.size() > compound.size()) {
        surname_bytes = compound.size();
        break;
      }
    }
    surname_bytes = std::min(surname_bytes, han.size());
    auto syllables_of = [&](std::string_view part) {
      std::string syllables = chinese.pinyin(part, false);
      syllables.erase(std::remove(syllables.begin(), syllables.end(), ' '), syllables.end());
      return syllables;
    };
    std::string surname = syllables_of(std::string_view(han).substr(0, surname_bytes));
    std::string given = syllables_of(std::string_view(han).substr(surname_bytes));
    if (!surname.empty()) tokens.push_back(std::move(surname));
    if (!given.empty()) tokens.push_back(std::move(given));
  } else {
    const std::string folded = chinese.latin_ascii(text);
    for (std::string_view token : split_tokens(folded)) tokens.emplace_back(token);
  }
  return tokens;
}

std::string name_key(std::string_view text, ChineseText& chinese) {
  std::vector<std::string> tokens = name_tokens(text, chinese);
  std::sort(tokens.begin(), tokens.end());
  return joined(tokens, " ");
}

std::vector<std::string> name_search_keys(std::string_view name, std::string_view name_pinyin,
                                          ChineseText& chinese) {
  std::vector<std::string> keys;
  auto add = [&](std::string key) {
    if (!key.empty() && std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  };
  if (has_han(name)) add(simplified_han(name, chinese));
  for (std::string_view text : {name, name_pinyin}) {
    std::vector<std::string> tokens = name_tokens(text, chinese);
    add(letters_only(joined(tokens, "")));
    if (tokens.size() > 1) {
      std::rotate(tokens.begin(), tokens.begin() + 1, tokens.end());  // given name(s) first
      add(letters_only(joined(tokens, "")));
      std::rotate(tokens.begin(), tokens.end() - 2, tokens.end());  // the last token first
      add(letters_only(joined(tokens, "")));
    }
  }
  if (keys.size() > kMaxNameSearchKeys) keys.resize(kMaxNameSearchKeys);
  return keys;
}

std::string name_search_query(std::string_view text, ChineseText& chinese) {
  if (has_han(text)) return simplified_han(text, chinese);
  return letters_only(chinese.latin_ascii(text));
}

std::string normalize_id(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      out.push_back(c);
    } else if (c >= 'a' && c <= 'z') {
      out.push_back(static_cast<char>(c - 'a' + 'A'));
    } else if (c >= 'A' && c <= 'Z') {
      out.push_back(c);
    }
  }
  const bool all_digits = std::all_of(out.begin(), out.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (out.size() == 15 && all_digits) {
    std::string first17 = out.substr(0, 6) + "19" + out.substr(6, 9);
    first17.push_back(resident_id_check_character(first17));
    return first17;
  }
  return out;
}

std::string normalize_date(std::string_view text) {
  std::string digits;
  std::string folded = fold_text(text);
  for (char c : folded) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  const auto tokens = split_tokens(folded);
  if (tokens.size() == 3 && tokens[0].size() == 4) {
    // YYYY MM DD with one- or two-digit parts
    auto pad = [](std::string_view part) { return part.size() == 1 ? "0" + std::string(part) : std::string(part); };
    return std::string(tokens[0]) + pad(tokens[1]) + pad(tokens[2]);
  }
  if (!digits.empty() && digits.size() == folded.size()) return digits;
  return folded;
}

std::string phonetic(std::string_view token) {
  // Soundex: first letter, then up to three digit codes of following consonants.
  auto code = [](char c) -> char {
    switch (c) {
      case 'b': case 'f': case 'p': case 'v': return '1';
      case 'c': case 'g': case 'j': case 'k': case 'q': case 's': case 'x': case 'z': return '2';
      case 'd': case 't': return '3';
      case 'l': return '4';
      case 'm': case 'n': return '5';
      case 'r': return '6';
      default: return '0';
    }
  };
  std::string out;
  char last = 0;
  for (char c : token) {
    if (c < 'a' || c > 'z') {
      if (out.empty() && c >= '0' && c <= '9') out.push_back(c);
      continue;
    }
    const char k = code(c);
    if (out.empty()) {
      out.push_back(c);
      last = k;
      continue;
    }
    if (k != '0' && k != last) out.push_back(k);
    if (c != 'h' && c != 'w') last = k;
    if (out.size() == 4) break;
  }
  return out;
}

}  // namespace shebao::matching
