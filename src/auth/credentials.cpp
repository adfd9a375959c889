#include "auth/credentials.h"

#include <sodium.h>

namespace shebao::auth {
namespace {

std::string hex(const unsigned char* bytes, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

Result<void> init_crypto() {
  if (sodium_init() < 0) return fail(ErrorCode::internal, "libsodium", "cannot initialise libsodium");
  return {};
}

Result<std::string> hash_password(std::string_view password) {
  if (password.size() < 8) return fail(ErrorCode::invalid_input, "password", "a password has at least 8 characters");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return fail(ErrorCode::internal, "password", "out of memory while hashing the password");
  }
  return std::string(out);
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  const std::string stored(stored_hash);
  return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
}

std::string new_token() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return hex(bytes, sizeof bytes);
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return hex(digest, sizeof digest);
}

}  // namespace shebao::auth
