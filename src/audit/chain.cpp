#include "audit/chain.h"

#include "auth/credentials.h"

namespace shebao::audit {
namespace {

void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ';';
}

}  // namespace

std::string entry_hash(const storage::AuditRecord& r) {
  std::string text;
  text.reserve(256);
  put(text, r.prev_hash);
  put(text, std::to_string(r.seq));
  put(text, r.at);
  put(text, r.actor);
  put(text, r.role);
  put(text, r.action);
  put(text, r.person);
  put(text, r.resource);
  put(text, r.purpose);
  return auth::sha256_hex(text);
}

std::optional<ChainBreak> check_segment(std::span<const storage::AuditRecord> records, std::int64_t prev_seq,
                                        std::string_view prev_hash) {
  std::string previous(prev_hash);
  std::int64_t seq = prev_seq;
  for (const storage::AuditRecord& r : records) {
    if (r.seq != seq + 1) {
      return ChainBreak{r.seq, "expected entry " + std::to_string(seq + 1) + " here, found entry " +
                                   std::to_string(r.seq) + " (an entry was deleted or inserted)"};
    }
    if (r.prev_hash != previous) {
      return ChainBreak{r.seq, "its previous-hash does not match the hash of entry " + std::to_string(seq) +
                                   " (an entry was deleted, inserted or altered)"};
    }
    if (entry_hash(r) != r.hash) {
      return ChainBreak{r.seq, "its hash does not match its contents (the entry was altered)"};
    }
    previous = r.hash;
    seq = r.seq;
  }
  return std::nullopt;
}

std::optional<ChainBreak> ChainVerifier::feed(std::span<const storage::AuditRecord> records) {
  if (auto broken = check_segment(records, seq_, hash_)) return broken;
  if (!records.empty()) {
    seq_ = records.back().seq;
    hash_ = records.back().hash;
  }
  return std::nullopt;
}

std::optional<ChainBreak> ChainVerifier::finish(const storage::AuditHead& head) const {
  if (head.count != seq_ || (seq_ > 0 && head.hash != hash_)) {
    return ChainBreak{seq_ + 1, "the log ends at entry " + std::to_string(seq_) + " but the head records " +
                                    std::to_string(head.count) +
                                    " entries (entries at the end were deleted, or the head was altered)"};
  }
  return std::nullopt;
}

Result<std::optional<ChainBreak>> verify_log(storage::ApiStore& store, std::int64_t* checked) {
  ChainVerifier verifier;
  std::int64_t after = 0;
  for (;;) {
    auto entries = store.audit_entries(after, 10000);
    if (!entries) return tl::unexpected(entries.error());
    if (entries->empty()) break;
    if (auto broken = verifier.feed(*entries)) return broken;
    after = entries->back().seq;
  }
  if (checked) *checked = verifier.checked();
  auto head = store.audit_head();
  if (!head) return tl::unexpected(head.error());
  return verifier.finish(*head);
}

}  // namespace shebao::audit
