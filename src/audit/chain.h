// shebao audit: the hash chain of the audit log.
//
// Each entry's hash is SHA-256 over the previous entry's hash and the entry's
// own fields (seq, time, actor, role, action, person, resource, purpose), each
// length-prefixed so that no two field lists hash alike. The first entry's
// previous hash is 64 zeros. Changing, inserting or deleting an entry breaks
// the chain at that point; deleting entries at the end is caught by the head
// (count and last hash) stored alongside.
//
// Pure (no I/O) except verify_log(). Thread safety: values only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "storage/api_store.h"

namespace shebao::audit {

inline constexpr std::string_view kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

// The hash the entry must carry given its prev_hash and fields.
std::string entry_hash(const storage::AuditRecord& record);

struct ChainBreak {
  std::int64_t seq = 0;  // the first entry that does not fit (or the head's count)
  std::string reason;
};

// Checks entries that follow an entry with `prev_seq` and `prev_hash` (0 and the
// genesis hash at the start). nullopt when they continue the chain.
std::optional<ChainBreak> check_segment(std::span<const storage::AuditRecord> records, std::int64_t prev_seq,
                                        std::string_view prev_hash);

// Streaming verifier for `shebao audit verify`: feed every entry in seq order,
// then finish() with the stored head.
class ChainVerifier {
 public:
  std::optional<ChainBreak> feed(std::span<const storage::AuditRecord> records);
  std::optional<ChainBreak> finish(const storage::AuditHead& head) const;
  std::int64_t checked() const { return seq_; }

 private:
  std::int64_t seq_ = 0;
  std::string hash_{kGenesisHash};
};

// Reads the whole log and its head from `store` in seq order (batches of
// 10,000) and checks them: nullopt when intact, else the first broken entry.
// (Does I/O through the store; everything above is pure.)
Result<std::optional<ChainBreak>> verify_log(storage::ApiStore& store, std::int64_t* checked = nullptr);

}  // namespace shebao::audit
