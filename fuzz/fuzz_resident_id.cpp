// libFuzzer target: ResidentId::parse on arbitrary bytes. Whatever it accepts
// must be a canonical 18-character number that parses back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.h"
#include "core/region.h"

namespace {

void require(bool invariant) {
  if (!invariant) __builtin_trap();
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = shebao::ResidentId::parse(input);
  if (!parsed) {
    require(!parsed.error().message.empty());
    require(parsed.error().field == "resident_id");
    return 0;
  }
  const shebao::ResidentId& id = *parsed;
  const std::string_view text = id.text();

  require(input.size() == 18 || input.size() == 15);
  require(text.size() == 18);
  for (std::size_t i = 0; i < 17; ++i) require(is_digit(text[i]));
  require(shebao::resident_id_check_character(text.substr(0, 17)) == text[17]);

  // Canonical: the text re-parses to an equal value.
  const auto reparsed = shebao::ResidentId::parse(text);
  require(reparsed.has_value() && *reparsed == id && reparsed->text() == text);

  // Parts agree with the text.
  require(id.region().text() == text.substr(0, 6));
  require(shebao::find_province(id.region().province()) != nullptr);
  require(id.birth_date().year() >= 1900);
  require(id.birth_date().to_string().size() == 10);
  const std::string date = id.birth_date().to_string();  // "YYYY-MM-DD"
  require(text.substr(6, 4) == std::string_view(date).substr(0, 4));
  require(text.substr(10, 2) == std::string_view(date).substr(5, 2));
  require(text.substr(12, 2) == std::string_view(date).substr(8, 2));
  require(id.birth_month() == id.birth_date().year_month());
  require(id.sequence() >= 0 && id.sequence() <= 999);
  require(id.is_male() == (((text[16] - '0') % 2) == 1));

  // An 18-character input keeps its digits; only 'x' becomes 'X'.
  if (input.size() == 18) {
    require(input.substr(0, 17) == text.substr(0, 17));
    require(input[17] == text[17] || (input[17] == 'x' && text[17] == 'X'));
  } else {
    require(text.substr(6, 2) == "19");
  }
  return 0;
}
