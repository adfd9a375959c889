// shebao statement: a person's contribution statement as a PDF document.
//
// The caller gathers the figures (from storage) into a Statement; this module
// only lays them out. Chinese or English, Chinese characters drawn with an
// installed CJK font found through fontconfig (WenQuanYi Micro Hei, Debian's
// fonts-wqy-microhei), subset and embedded in the PDF so that a reader needs
// no font of its own. A TrueType font: cairo 1.16 leaks a little memory with
// every PDF when it subsets a CFF (OpenType) font such as Noto Sans CJK. The text of the PDF can be extracted (pdftotext),
// so the figures in it are machine-checkable.
//
// No file I/O and no clock: the PDF is returned as bytes and the date printed
// on it is the as_of date the caller passes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/error.h"

namespace shebao::statement {

enum class Language { zh, en };

// One person-month as booked (net of reversals).
struct Row {
  YearMonth month;
  std::string employer_name;     // "" for a flexible (self-employed) month
  std::string region;            // six-digit region code where it was paid
  std::int64_t base_fen = 0;     // contribution base
  std::int64_t employee_fen = 0;  // the person's part (goes to the personal account)
  std::int64_t employer_fen = 0;  // the employer's part (pooled fund); 0 for flexible
};

struct Statement {
  std::string resident_id;
  std::string name;         // in characters
  std::string name_pinyin;  // as registered
  Date as_of;
  std::vector<Row> rows;    // in month order
  std::int64_t personal_balance_fen = 0;  // displayed balance of the personal account
};

// The statement as a PDF file's bytes. Errors: internal when no CJK font is
// installed or the PDF surface fails (the message names the font looked for).
Result<std::string> render_pdf(const Statement& statement, Language language);

// cairo and fontconfig keep font caches for the life of the process. A program
// that rendered statements may release them at its very end, after every
// render_pdf call has returned and no thread renders any more (so that a leak
// checker sees only real leaks); rendering afterwards is not allowed.
void release_font_caches();

}  // namespace shebao::statement
