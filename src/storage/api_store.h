// shebao storage: what the HTTP API needs beyond the Database interface.
//
// A separate interface (not methods of Database) so that the API's tables —
// accounts and sessions, the audit log, idempotency records, uploads — and the
// per-person read paths (contribution record, postings, employment spells)
// live in one place a backend implements as a group; also the person search
// (migration 6) and the review queue (migration 7). Two implementations with
// the same behaviour, each over the tables of its backend's migrations 5 to 7
// (same versions, same descriptions, same tables): storage/sqlite/sqlite_api_store.cpp
// (migration 5 in storage/sqlite/sqlite_database.cpp) and
// storage/postgres/postgres_api_store.cpp (migration 5 in
// storage/postgres/postgres_database.cpp). tests/unit/api_store_test.cpp runs
// the same expectations on both.
//
// Contract:
// - open_api_store() expects the schema to be migrated already (open_database()
//   does that) and opens its own connection (on PostgreSQL one libpq
//   connection, not one of the Database's pool).
// - insert_user() of an existing login is a conflict (field "login");
//   store_idempotent() of an existing (user, key) keeps the first response.
// - append_audit() stores the entries (already chained by the caller) and moves
//   the head (count, last hash) in one transaction.
// - Person search (migration 6): every insert of a person, and every change of
//   a name or its pinyin, queues the person_id by a trigger (so imports, COPY on
//   PostgreSQL and the API's registration all do); index_queued_persons() takes
//   queued persons, asks the caller for their keys (the caller computes them:
//   matching::name_search_keys, with ICU, which storage does not link) and
//   replaces their keys, in one transaction. search_persons() reads the keys;
//   a person queued and not indexed yet is not found, so a caller indexes the
//   queue first. Migration 6 queues every person already registered.
// - The review queue and merge log (migration 7) refer to persons by resident
//   ID; a merge never deletes or rewrites a person row.
// - Persons for matching: read by person_id, and since migration 13 by the
//   change mark of their matching fields (MatchRead, MatchWatermark).
// - Times are UTC text "YYYY-MM-DDTHH:MM:SS.mmmZ" or seconds since the epoch, as
//   named; the caller passes them (storage reads no clock).
//
// Thread safety: one ApiStore per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/error.h"

namespace shebao::storage {

struct User {
  std::int64_t user_id = 0;
  std::string login;
  std::string role;           // person | employer_agent | officer | auditor | admin
  std::string person;         // resident ID, for role person
  std::string employer;       // credit code, for role employer_agent
  std::string region;         // six digits, for role officer
  std::string password_hash;  // Argon2id string (libsodium crypto_pwhash_str)
  bool disabled = false;
};

struct Session {
  std::string token_hash;  // hex SHA-256 of the opaque token; the token itself is never stored
  std::int64_t user_id = 0;
  std::int64_t created_at = 0;  // seconds since the epoch
  std::int64_t expires_at = 0;
  bool revoked = false;
};

struct AuditRecord {
  std::int64_t seq = 0;     // 1, 2, 3 ... without gaps
  std::string at;           // UTC time
  std::string actor;        // login
  std::string role;
  std::string action;       // e.g. "person.read"
  std::string person;       // resident ID whose data was read or changed ("" = none)
  std::string resource;     // path or id of what was read or changed
  std::string purpose;
  std::string prev_hash;    // hex; 64 zeros for the first entry
  std::string hash;         // hex SHA-256 over prev_hash and the fields (audit/chain.h)
};

struct AuditHead {
  std::int64_t count = 0;
  std::string hash;  // hash of the last entry; empty when none
};

// One booked contribution month of a person (an entry not reversed).
struct ContributionRecord {
  YearMonth month;
  std::string kind;             // "employee" | "flexible"
  std::string employer_code;    // "" for flexible
  std::string employer_name;
  std::string region;           // employer's region; flexible: the scheme region if in the month's
                                // scheme province, else that province's code ("440000")
  std::string employer_size;    // registry::EmployerSize name ("" for flexible)
  std::string employer_unit_type;
  std::int64_t declared_wage_fen = 0;  // employee months: the declared wage; 0 for flexible
  std::int64_t personal_fen = 0;       // credited to the personal account
  std::int64_t pooled_fen = 0;         // credited to the pooled fund
  std::int64_t base_fen = 0;  // flexible months: the contribution base booked; 0 when not kept (booked before)
};

struct PostingRecord {
  std::int64_t entry_id = 0;
  std::string entry_kind;   // ledger::EntryKind name
  YearMonth month;
  std::int64_t amount_fen = 0;  // as the person reads it: credits to the account positive
};

struct SpellRecord {
  std::string employer_code;
  std::string employer_name;
  std::string employer_region;
  Date hire_date;
  std::optional<Date> leave_date;
};

// A suspected duplicate: two person records the matching engine
// (matching/engine.h, matching/candidate_index.h) found likely to be one person,
// waiting for an officer's decision (migration 7).
struct ReviewPair {
  std::int64_t pair_id = 0;
  std::string person_a;  // resident IDs, person_a < person_b
  std::string person_b;
  double probability = 0;  // match probability
  double weight = 0;       // log2 Bayes factor
  std::string evidence;    // JSON object: field -> "exact" | "similar" | "different" | "missing"
  std::string source;      // "batch" (shebao dedup --db) | "registration" (POST /v1/persons)
  std::string found_at;
  std::string status = "open";  // open | merged | dismissed
  std::string decided_by;       // login ("" while open)
  std::string decided_at;
  std::string reason;
  std::int64_t merge_sequence = 0;  // the standing merge while merged, else 0
};

// One entry of the merge log (matching/merge_log.h semantics), with its time
// and the review pair it decided.
struct MergeRecord {
  std::int64_t sequence = 0;  // 1, 2, 3 ...
  std::string kind;           // "merge" | "undo"
  std::string survivor;       // merge: resident ID that stays
  std::string merged;         // merge: resident ID now shown as merged into survivor
  std::int64_t undoes = 0;    // undo: sequence of the merge reversed
  std::string actor;
  std::string reason;
  std::string at;
  std::int64_t pair_id = 0;
};

// The fields of a stored person that entity resolution compares.
struct MatchPerson {
  std::int64_t person_id = 0;  // 0 for a person not (yet) read from storage
  std::string resident_id;
  std::string name;
  std::string sex;         // "male" | "female"
  std::string birth_date;  // YYYY-MM-DD
  std::string phone;
};

// person_ids [first, last] below a reader's watermark that it has not read:
// taken by transactions that were still open (or that rolled back), to read
// again until every transaction with an id below `open_below` has ended.
struct MatchGap {
  std::int64_t first = 0, last = 0;
  std::int64_t open_below = 0;
};

// One read of persons for matching and the snapshot it saw: no transaction
// with an id below `oldest_open` was still open, none from `next` on had
// started. Both the largest int64 where person_ids commit in id order (SQLite:
// one writer at a time, so a reader never sees a higher id before a lower
// one, and nothing still open can fill a gap).
//
// `changed`: the persons whose matching fields (name, sex, birth date, resident
// ID, phone) changed with a change mark above the `changed_after` asked for
// (migration 13: persons.match_changed, set by a trigger on every update that
// changes one of them, whoever runs it: the API's PATCH of a contact, an
// import of a person already registered, another process). `changes_seen`:
// the mark to ask above next time, so that every change committed after this
// read is read then. SQLite: the highest mark committed (marks are one more
// than the highest, given in commit order by its one writer). PostgreSQL: the
// mark is the changing transaction's id, and transactions commit in any order;
// `changes_seen` is the snapshot's oldest open transaction less one: a change
// not visible in this read was made by a transaction still open in it, whose
// id is at least that oldest one, so a later read finds it; a change by a
// transaction that ended before this snapshot is visible in it (read now, or
// by an earlier read, by the same argument). The cost: changes made since the
// oldest open transaction began (a long import) are read again at each read.
struct MatchRead {
  std::vector<MatchPerson> persons;
  std::int64_t oldest_open = 0, next = 0;
  std::vector<MatchPerson> changed;  // in person_id order
  std::int64_t changes_seen = 0;
};

// Where a reader of persons_for_matching_since() stands: the highest person_id
// read and the gaps below it. On PostgreSQL person_ids come from a sequence,
// and a transaction (an import) may commit ids lower than one that another
// transaction committed and a reader read before. Such a transaction took its
// transaction id before its person_ids (it copies the persons into a
// temporary table first), so it was open in the snapshot that saw the gap:
// the gap is read again until a snapshot's oldest open transaction lies past
// that snapshot's `next`, and once more then.
//
// `changed_after`: the change mark (MatchRead::changes_seen) of the last
// read; -1 before the first, which reads every person and no change.
struct MatchWatermark {
  std::int64_t after = 0;
  std::vector<MatchGap> gaps;
  std::int64_t changed_after = -1;
};

struct IdempotentResponse {
  std::string request_hash;
  int status = 0;
  std::string content_type;
  std::string body;
};

struct Upload {
  std::int64_t upload_id = 0;
  std::string employer;   // credit code
  std::string created_at;
  std::string summary;    // JSON
  std::string feedback;   // feedback CSV (docs/formats.md)
};

// A queued person's names, for its search keys.
struct SearchIndexName {
  std::int64_t person_id = 0;
  std::string name;
  std::string name_pinyin;
};
using SearchKeysOf = std::function<std::vector<std::string>(const SearchIndexName&)>;

// At most this many keys of one person are kept (the search reads ahead by it).
inline constexpr std::size_t kMaxSearchKeysPerPerson = 8;

// U+10FFFF in UTF-8: appended to a prefix, it sorts after every key that begins
// with the prefix (keys are valid UTF-8 without U+10FFFF), so a prefix is the
// range [prefix, prefix + kAfterEveryCharacter) in byte order.
inline constexpr std::string_view kAfterEveryCharacter = "\xF4\x8F\xBF\xBF";

struct PersonSearch {
  std::string key_prefix;     // a key begins with it (byte-wise); not empty
  std::string region_prefix;  // "" = every person; else the leading digits of a region the person belongs to
                              // (hukou, scheme, or an employer of an employment spell)
  std::int64_t limit = 20;    // distinct persons answered at most
};

class ApiStore {
 public:
  virtual ~ApiStore() = default;

  // --- accounts and sessions ---
  virtual Result<std::int64_t> insert_user(const User& user) = 0;  // conflict when the login exists
  virtual Result<std::optional<User>> find_user(std::string_view login) = 0;
  virtual Result<std::optional<User>> find_user_by_id(std::int64_t user_id) = 0;
  virtual Result<void> insert_session(const Session& session) = 0;
  virtual Result<std::optional<Session>> find_session(std::string_view token_hash) = 0;
  virtual Result<void> revoke_session(std::string_view token_hash) = 0;

  // --- audit log ---
  virtual Result<AuditHead> audit_head() = 0;
  virtual Result<void> append_audit(std::span<const AuditRecord> records) = 0;
  // Entries in seq order, from `after_seq` + 1, at most `limit`.
  virtual Result<std::vector<AuditRecord>> audit_entries(std::int64_t after_seq, std::int64_t limit) = 0;
  // Entries about one person, newest first, at most `limit`.
  virtual Result<std::vector<AuditRecord>> audit_of_person(std::string_view resident_id, std::int64_t limit) = 0;

  // --- idempotency of POST requests (per user and key) ---
  virtual Result<std::optional<IdempotentResponse>> find_idempotent(std::int64_t user_id, std::string_view key) = 0;
  virtual Result<void> store_idempotent(std::int64_t user_id, std::string_view key,
                                        const IdempotentResponse& response) = 0;

  // --- declaration uploads through the API ---
  virtual Result<std::int64_t> insert_upload(const Upload& upload) = 0;
  virtual Result<std::optional<Upload>> find_upload(std::int64_t upload_id) = 0;

  // --- per-person read paths ---
  virtual Result<std::vector<ContributionRecord>> contributions_of(std::int64_t person_id) = 0;
  virtual Result<std::vector<PostingRecord>> personal_postings(std::int64_t person_id, std::int64_t limit) = 0;
  virtual Result<std::vector<SpellRecord>> spells_of(std::int64_t person_id) = 0;
  virtual Result<void> update_phone(std::int64_t person_id, std::string_view phone) = 0;

  // --- person search (migration 6) ---
  // Indexes up to `batch` queued persons (oldest person_id first) with the keys
  // `keys_of` gives (at most kMaxSearchKeysPerPerson kept); returns how many
  // were taken from the queue, 0 when it is empty. Safe to run on several
  // connections at once.
  virtual Result<std::size_t> index_queued_persons(std::size_t batch, const SearchKeysOf& keys_of) = 0;
  // The person_ids with a key beginning with the prefix, in the region, ordered
  // by their first matching key then person_id, at most `limit` distinct.
  virtual Result<std::vector<std::int64_t>> search_persons(const PersonSearch& search) = 0;

  // --- review queue of suspected duplicates and the merge log (migration 7) ---
  // Adds the pair unless one of the same two persons exists, whatever its
  // status (so a batch run again duplicates nothing and re-opens no decided
  // pair). Returns the pair's id and whether it was added.
  virtual Result<std::pair<std::int64_t, bool>> queue_review_pair(const ReviewPair& pair) = 0;
  // Pairs with `status` ("" = any) where one of the two persons has a hukou or
  // scheme region matching the SQL LIKE pattern `region_like` ("%" = all),
  // ascending pair_id after `after_id`, at most `limit`.
  virtual Result<std::vector<ReviewPair>> review_pairs(std::string_view status, std::string_view region_like,
                                                       std::int64_t after_id, std::int64_t limit) = 0;
  virtual Result<std::optional<ReviewPair>> find_review_pair(std::int64_t pair_id) = 0;
  // In one transaction: sets the pair's status, decided_by, decided_at, reason
  // and merge_sequence from `decided` if its stored status is still `from`,
  // and appends `entry` to the merge log when given. false (and nothing
  // changed) when the status was no longer `from`; a conflict when the entry's
  // sequence exists.
  virtual Result<bool> decide_review_pair(const ReviewPair& decided, std::string_view from,
                                          const std::optional<MergeRecord>& entry) = 0;
  // The whole merge log in sequence order (replayed by matching::MergeLog).
  virtual Result<std::vector<MergeRecord>> merge_log() = 0;
  // The matching fields of the persons stored with a person_id above `after`
  // or inside one of `gaps`, in person_id order (range reads of the primary
  // key), with the reading snapshot's transaction bounds; and the persons
  // whose matching fields changed with a mark above `changed_after` (a range
  // read of persons_match_changed; none when `changed_after` < 0, the mark
  // only), in the same snapshot on PostgreSQL.
  virtual Result<MatchRead> read_persons_for_matching(std::int64_t after, const std::vector<MatchGap>& gaps,
                                                      std::int64_t changed_after) = 0;
  // The persons stored above `after_person_id`, in person_id order.
  Result<std::vector<MatchPerson>> persons_for_matching_after(std::int64_t after_person_id) {
    auto read = read_persons_for_matching(after_person_id, {}, -1);
    if (!read) return tl::unexpected(read.error());
    return std::move(read->persons);
  }
  // Every stored person's matching fields, in person_id order (ids start at 1).
  Result<std::vector<MatchPerson>> persons_for_matching() { return persons_for_matching_after(0); }
  // What was stored since the reader's last call with `mark` (every person the
  // first time), and moves `mark` on. A person whose transaction took its
  // person_id before a higher one was read and committed after that read is
  // read too (gaps), at a later call. Then, from the second call on, the
  // persons whose matching fields changed since the last call (a person may
  // be in both parts, or read again as changed at later calls on PostgreSQL:
  // the caller keeps the last values read).
  Result<std::vector<MatchPerson>> persons_for_matching_since(MatchWatermark& mark);
  // Standing merges (not undone) where the person is survivor or merged.
  virtual Result<std::vector<MergeRecord>> standing_merges_of(std::string_view resident_id) = 0;
};

// "sqlite:PATH" or "postgresql://..." ("postgres://" too), as open_database().
Result<std::unique_ptr<ApiStore>> open_api_store(std::string_view url);

}  // namespace shebao::storage
