// shebao auth: passwords and session tokens (libsodium).
//
// Passwords are stored as Argon2id strings (crypto_pwhash_str, interactive
// limits by default); a session token is 32 random bytes shown once to the
// client as 64 hex characters, and only its SHA-256 is stored.
//
// Thread safety: all functions may be called from any thread after
// init_crypto() has returned once.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace shebao::auth {

// Initialises libsodium; internal error when it cannot.
Result<void> init_crypto();

// Argon2id hash of a password. invalid_input for a password shorter than 8 bytes.
Result<std::string> hash_password(std::string_view password);
bool verify_password(std::string_view stored_hash, std::string_view password);

// 64 hex characters from the system's random source.
std::string new_token();
// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);

}  // namespace shebao::auth
