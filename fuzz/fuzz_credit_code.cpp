// libFuzzer target: CreditCode::parse on arbitrary bytes. Whatever it accepts
// must be a canonical upper-case 18-character code that parses back to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/ids.h"
#include "core/region.h"

namespace {

void require(bool invariant) {
  if (!invariant) __builtin_trap();
}

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

char to_upper_ascii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = shebao::CreditCode::parse(input);
  if (!parsed) {
    require(!parsed.error().message.empty());
    require(parsed.error().field == "credit_code");
    return 0;
  }
  const shebao::CreditCode& code = *parsed;
  const std::string_view text = code.text();

  require(input.size() == 18);
  require(text.size() == 18);
  for (std::size_t i = 0; i < text.size(); ++i) {
    require(kAlphabet.find(text[i]) != std::string_view::npos);
    require(to_upper_ascii(input[i]) == text[i]);
  }
  require(shebao::credit_code_check_character(text.substr(0, 17)) == text[17]);

  // Canonical: the text re-parses to an equal value.
  const auto reparsed = shebao::CreditCode::parse(text);
  require(reparsed.has_value() && *reparsed == code && reparsed->text() == text);

  // Parts agree with the text.
  require(code.registration_department() == text[0]);
  require(code.organisation_type() == text[1]);
  require(code.region().text() == text.substr(2, 6));
  require(shebao::find_province(code.region().province()) != nullptr);
  require(code.organisation_code() == text.substr(8, 9));
  return 0;
}
