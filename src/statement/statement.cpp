// shebao statement: PDF layout with cairo, glyphs from a CJK font found by fontconfig.
#include "statement/statement.h"

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string_view>

namespace shebao::statement {
namespace {

// A4 in PostScript points.
constexpr double kPageWidth = 595.0;
constexpr double kPageHeight = 842.0;
constexpr double kMargin = 48.0;
constexpr double kRowHeight = 15.0;
constexpr double kBodySize = 9.0;
constexpr char32_t kProbeCharacter = U'\u4E2D';  // 中: the font must draw Chinese
constexpr const char* kFontPattern = "WenQuanYi Micro Hei:lang=zh-cn";

struct Labels {
  const char* title;
  const char* name;
  const char* resident_id;
  const char* as_of;
  std::array<const char*, 6> columns;
  const char* flexible;
  const char* totals;
  const char* months;
  const char* balance;
  const char* page;
  const char* no_rows;
  const char* note;
};

const Labels& labels_for(Language language) {
  static const Labels zh{"社会保险缴费对账单",
                         "姓名",
                         "公民身份号码",
                         "截至",
                         {"月份", "缴费单位", "参保地", "缴费基数", "个人缴费", "单位缴费"},
                         "灵活就业",
                         "合计",
                         "缴费月数",
                         "个人账户余额",
                         "第 %d 页",
                         "暂无缴费记录",
                         "金额单位：元。个人缴费记入个人账户，单位缴费记入统筹基金。"};
  static const Labels en{"Social insurance contribution statement",
                         "Name",
                         "Resident ID",
                         "As of",
                         {"Month", "Employer", "Region", "Base", "Employee", "Employer"},
                         "Flexible",
                         "Total",
                         "Months contributed",
                         "Personal account balance",
                         "Page %d",
                         "No contributions recorded",
                         "Amounts in yuan. The employee part goes to the personal account; the employer part to the "
                         "pooled fund."};
  return language == Language::zh ? zh : en;
}

// "1234567" fen -> "12,345.67"; negative amounts keep their sign.
std::string yuan(std::int64_t fen) {
  const bool negative = fen < 0;
  const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(fen) : static_cast<std::uint64_t>(fen);
  std::string units = std::to_string(magnitude / 100);
  std::string grouped;
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (i > 0 && (units.size() - i) % 3 == 0) grouped += ',';
    grouped += units[i];
  }
  char cents[4];
  std::snprintf(cents, sizeof cents, "%02u", static_cast<unsigned>(magnitude % 100));
  return (negative ? "-" : "") + grouped + "." + cents;
}

// Length in bytes of the UTF-8 sequence starting with `lead`.
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

struct FontconfigPattern {
  FcPattern* pattern = nullptr;
  ~FontconfigPattern() {
    if (pattern != nullptr) FcPatternDestroy(pattern);
  }
};

// The CJK font face, or an error naming the font looked for.
Result<cairo_font_face_t*> cjk_font_face() {
  if (FcInit() == FcFalse) return fail(ErrorCode::internal, "font", "fontconfig could not be initialised");
  FontconfigPattern wanted{FcNameParse(reinterpret_cast<const FcChar8*>(kFontPattern))};
  if (wanted.pattern == nullptr) return fail(ErrorCode::internal, "font", "bad font pattern");
  FcConfigSubstitute(nullptr, wanted.pattern, FcMatchPattern);
  FcDefaultSubstitute(wanted.pattern);
  FcResult result = FcResultNoMatch;
  FontconfigPattern found{FcFontMatch(nullptr, wanted.pattern, &result)};
  FcCharSet* charset = nullptr;
  if (found.pattern == nullptr || FcPatternGetCharSet(found.pattern, FC_CHARSET, 0, &charset) != FcResultMatch ||
      FcCharSetHasChar(charset, kProbeCharacter) == FcFalse) {
    return fail(ErrorCode::internal, "font", std::string("no installed font draws Chinese characters (looked for \"") +
                                         kFontPattern + "\"); install fonts-wqy-microhei");
  }
  cairo_font_face_t* face = cairo_ft_font_face_create_for_pattern(found.pattern);
  if (cairo_font_face_status(face) != CAIRO_STATUS_SUCCESS) {
    cairo_font_face_destroy(face);
    return fail(ErrorCode::internal, "font", "cairo could not load the CJK font");
  }
  return face;
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

class Page {
 public:
  explicit Page(cairo_t* cr) : cr_(cr) {}

  double width_of(const std::string& text) {
    cairo_text_extents_t extents;
    cairo_text_extents(cr_, text.c_str(), &extents);
    return extents.x_advance;
  }

  void text(double x, double y, const std::string& text) {
    cairo_move_to(cr_, x, y);
    cairo_show_text(cr_, text.c_str());
  }

  void right(double x_right, double y, const std::string& text) { this->text(x_right - width_of(text), y, text); }

  // The text cut (by whole characters, with an ellipsis) to fit `width`.
  std::string fit(const std::string& text, double width) {
    if (width_of(text) <= width) return text;
    std::string cut;
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t length = std::min(sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
      const std::string next = cut + text.substr(i, length);
      if (width_of(next + "…") > width) break;
      cut = next;
      i += length;
    }
    return cut + "…";
  }

  void size(double points) { cairo_set_font_size(cr_, points); }
  void rule(double y) {
    cairo_move_to(cr_, kMargin, y);
    cairo_line_to(cr_, kPageWidth - kMargin, y);
    cairo_set_line_width(cr_, 0.5);
    cairo_stroke(cr_);
  }

 private:
  cairo_t* cr_;
};

}  // namespace

void release_font_caches() {
  cairo_debug_reset_static_data();
  FcFini();
}

Result<std::string> render_pdf(const Statement& statement, Language language) {
  auto face = cjk_font_face();
  if (!face) return tl::unexpected(face.error());
  std::unique_ptr<cairo_font_face_t, decltype(&cairo_font_face_destroy)> face_owner(*face, cairo_font_face_destroy);

  std::string pdf;
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(append_to_string, &pdf, kPageWidth, kPageHeight);
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface_owner(surface, cairo_surface_destroy);
  const Labels& label = labels_for(language);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, label.title);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "shebao");
  cairo_t* cr = cairo_create(surface);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr_owner(cr, cairo_destroy);
  cairo_set_font_face(cr, *face);
  cairo_set_source_rgb(cr, 0, 0, 0);
  Page page(cr);

  // Column right edges (numbers) and left edges (text).
  const double month_x = kMargin;
  const double employer_x = kMargin + 52;
  const double region_x = kMargin + 250;
  const std::array<double, 3> number_right{kMargin + 365, kMargin + 432, kMargin + 499};

  int page_number = 0;
  double y = 0;
  auto footer = [&] {
    page.size(8);
    char text[64];
    std::snprintf(text, sizeof text, label.page, page_number);
    page.right(kPageWidth - kMargin, kPageHeight - kMargin / 2, text);
  };
  auto column_heads = [&] {
    page.size(kBodySize);
    page.text(month_x, y, label.columns[0]);
    page.text(employer_x, y, label.columns[1]);
    page.text(region_x, y, label.columns[2]);
    for (std::size_t i = 0; i < number_right.size(); ++i) page.right(number_right[i], y, label.columns[3 + i]);
    page.rule(y + 4);
    y += kRowHeight + 2;
  };
  auto new_page = [&](bool first) {
    if (!first) {
      footer();
      cairo_show_page(cr);
    }
    ++page_number;
    y = kMargin + 10;
    if (first) {
      page.size(16);
      page.text(kMargin, y, label.title);
      y += 28;
      page.size(10);
      page.text(kMargin, y, std::string(label.name) + ": " + statement.name + "  (" + statement.name_pinyin + ")");
      y += 15;
      page.text(kMargin, y, std::string(label.resident_id) + ": " + statement.resident_id);
      y += 15;
      page.text(kMargin, y, std::string(label.as_of) + ": " + statement.as_of.to_string());
      y += 24;
    }
    column_heads();
  };

  new_page(true);
  std::int64_t total_employee = 0;
  std::int64_t total_employer = 0;
  for (const Row& row : statement.rows) {
    if (y > kPageHeight - kMargin - 3 * kRowHeight) new_page(false);
    page.size(kBodySize);
    page.text(month_x, y, row.month.to_string());
    page.text(employer_x, y, page.fit(row.employer_name.empty() ? label.flexible : row.employer_name, 190));
    page.text(region_x, y, row.region);
    page.right(number_right[0], y, yuan(row.base_fen));
    page.right(number_right[1], y, yuan(row.employee_fen));
    page.right(number_right[2], y, yuan(row.employer_fen));
    total_employee += row.employee_fen;
    total_employer += row.employer_fen;
    y += kRowHeight;
  }
  if (statement.rows.empty()) {
    page.text(month_x, y, label.no_rows);
    y += kRowHeight;
  }
  if (y > kPageHeight - kMargin - 6 * kRowHeight) new_page(false);
  page.rule(y - kRowHeight + 4);
  page.size(kBodySize);
  page.text(month_x, y, label.totals);
  page.right(number_right[1], y, yuan(total_employee));
  page.right(number_right[2], y, yuan(total_employer));
  y += kRowHeight * 2;
  page.size(10);
  page.text(kMargin, y, std::string(label.months) + ": " + std::to_string(statement.rows.size()));
  y += 15;
  page.text(kMargin, y, std::string(label.balance) + ": " + yuan(statement.personal_balance_fen));
  y += 22;
  page.size(8);
  page.text(kMargin, y, label.note);
  footer();
  cairo_show_page(cr);

  cr_owner.reset();
  cairo_surface_finish(surface);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    return fail(ErrorCode::internal, "pdf",
                std::string("PDF output failed: ") + cairo_status_to_string(cairo_surface_status(surface)));
  }
  return pdf;
}

}  // namespace shebao::statement
