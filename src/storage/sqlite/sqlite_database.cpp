#include "storage/sqlite/sqlite_database.h"

#include "storage/packed_lines.h"
#include "storage/read_ahead.h"
#include "storage/sqlite/declaration_packs.h"
#include "storage/sqlite/entry_packs.h"
#include "storage/sqlite/sqlite_page_cache.h"
#include "storage/sqlite/wal_checkpointer.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <future>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace shebao::storage {
namespace {

using registry::Person;
using registry::Employer;

// ---------------------------------------------------------------------------
// Migrations: append only. A released migration is never edited.
struct Migration {
  int version;
  const char* description;
  const char* sql;
};

const Migration kMigrations[] = {
    {1, "registry, declarations, payments, ledger",
     R"SQL(
CREATE TABLE persons (
  person_id INTEGER PRIMARY KEY,
  resident_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  name_pinyin TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL,
  birth_date TEXT NOT NULL,
  hukou_region TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  retirement_category TEXT NOT NULL,
  scheme TEXT NOT NULL,
  scheme_region TEXT NOT NULL DEFAULT '',
  flexible_base_ratio TEXT
);
CREATE TABLE employers (
  employer_id INTEGER PRIMARY KEY,
  credit_code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  region TEXT NOT NULL,
  size TEXT NOT NULL,
  unit_type TEXT NOT NULL
);
CREATE TABLE employment_spells (
  person_id INTEGER NOT NULL,
  employer_id INTEGER NOT NULL,
  hire_date TEXT NOT NULL,
  leave_date TEXT,
  PRIMARY KEY (person_id, employer_id, hire_date)
) WITHOUT ROWID;
CREATE TABLE declarations (
  declaration_id INTEGER PRIMARY KEY,
  employer_id INTEGER NOT NULL,
  month INTEGER NOT NULL,
  version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  source TEXT NOT NULL,
  line_count INTEGER NOT NULL,
  superseded INTEGER NOT NULL DEFAULT 0,
  UNIQUE (employer_id, month, version)
);
CREATE INDEX declarations_by_month ON declarations (month, superseded);
CREATE TABLE declaration_lines (
  declaration_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  wage_fen INTEGER NOT NULL,
  days_worked INTEGER NOT NULL,
  event TEXT NOT NULL DEFAULT '',
  event_date TEXT,
  PRIMARY KEY (declaration_id, person_id)
) WITHOUT ROWID;
CREATE TABLE payments (
  employer_id INTEGER NOT NULL,
  month INTEGER NOT NULL,
  paid_on TEXT NOT NULL,
  PRIMARY KEY (employer_id, month)
) WITHOUT ROWID;
CREATE TABLE employer_months (
  employer_id INTEGER NOT NULL,
  month INTEGER NOT NULL,
  dues_fen INTEGER NOT NULL,
  paid_fen INTEGER NOT NULL,
  PRIMARY KEY (employer_id, month)
) WITHOUT ROWID;
CREATE TABLE journal_entries (
  entry_id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  person_id INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  month INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  corrects_entry_id INTEGER
);
CREATE INDEX journal_by_source ON journal_entries (kind, source_id);
CREATE INDEX journal_by_correction ON journal_entries (corrects_entry_id) WHERE corrects_entry_id IS NOT NULL;
CREATE TABLE postings (
  entry_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  account_kind INTEGER NOT NULL,
  account_owner INTEGER NOT NULL,
  amount_fen INTEGER NOT NULL,
  PRIMARY KEY (entry_id, seq)
) WITHOUT ROWID;
)SQL"},
    // Access paths of the bulk jobs:
    // - the employees of an employer (a declaration's month checked in one query);
    // - the flexible workers (the month run reads them, not every person);
    // - a contribution's key is a function of (declaration, person) and a
    //   flexible payment's of (person, month): they are kept as those integers,
    //   unique per kind, instead of as text under a text index (the month run's
    //   hottest insert). Every other key stays text, unique among the others,
    //   and may not look like a computed one (see kEntryKey and verify()).
    {2, "access paths for imports and month runs; contribution and flexible keys as integers",
     R"SQL(
CREATE INDEX employment_by_employer ON employment_spells (employer_id, leave_date, hire_date);
CREATE INDEX persons_flexible ON persons (person_id, scheme_region, flexible_base_ratio) WHERE scheme = 'flexible';
CREATE TABLE journal_entries_v2 (
  entry_id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL,  -- '' when computed: kind 1 'contribution/<source_id>/<person_id>',
                                  -- kind 2 'flexible/<person_id>/<YYYY-MM of month>'
  person_id INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  month INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  corrects_entry_id INTEGER,
  CHECK ((kind IN (1, 2)) = (idempotency_key = ''))
);
INSERT INTO journal_entries_v2 (entry_id, idempotency_key, person_id, kind, month, source_id, corrects_entry_id)
SELECT entry_id,
       CASE WHEN kind = 1 AND idempotency_key = 'contribution/' || source_id || '/' || person_id THEN ''
            WHEN kind = 2 AND month >= 12 AND month < 120000 AND idempotency_key =
                 'flexible/' || person_id || '/' || printf('%04d-%02d', month / 12, month % 12 + 1) THEN ''
            ELSE idempotency_key END,
       person_id, kind, month, source_id, corrects_entry_id
FROM journal_entries ORDER BY entry_id;
DROP TABLE journal_entries;
ALTER TABLE journal_entries_v2 RENAME TO journal_entries;
CREATE UNIQUE INDEX journal_key ON journal_entries (idempotency_key) WHERE kind NOT IN (1, 2);
CREATE UNIQUE INDEX journal_contribution ON journal_entries (source_id, person_id) WHERE kind = 1;
CREATE UNIQUE INDEX journal_flexible ON journal_entries (month, person_id) WHERE kind = 2;
CREATE INDEX journal_by_correction ON journal_entries (corrects_entry_id) WHERE corrects_entry_id IS NOT NULL;
)SQL"},
    {3, "transfers between provinces",
     R"SQL(
CREATE TABLE transfers (
  transfer_id INTEGER PRIMARY KEY,
  person_id INTEGER NOT NULL,
  from_province INTEGER NOT NULL,
  to_province INTEGER NOT NULL,
  requested_on TEXT NOT NULL,
  status TEXT NOT NULL,
  account_fen INTEGER NOT NULL DEFAULT 0,
  pooled_fen INTEGER NOT NULL DEFAULT 0,
  counted_months INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX transfers_by_person ON transfers (person_id);
)SQL"},
    // More access paths of the bulk jobs:
    // - SQLite still reads `scheme` to test the partial index's condition: with the
    //   column in the index, the month run reads the flexible workers from it alone;
    // - employment spells clustered by employer: a declaration's hires go to one
    //   place of the table instead of one page per person (the import's hottest
    //   insert at a million persons); lookups name both person and employer.
    {4, "flexible workers' index covers the month run's query; employment spells by employer",
     R"SQL(
DROP INDEX persons_flexible;
CREATE INDEX persons_flexible ON persons (person_id, scheme, scheme_region, flexible_base_ratio) WHERE scheme = 'flexible';
CREATE TABLE employment_spells_v4 (
  person_id INTEGER NOT NULL,
  employer_id INTEGER NOT NULL,
  hire_date TEXT NOT NULL,
  leave_date TEXT,
  PRIMARY KEY (employer_id, person_id, hire_date)
) WITHOUT ROWID;
INSERT INTO employment_spells_v4 (person_id, employer_id, hire_date, leave_date)
SELECT person_id, employer_id, hire_date, leave_date FROM employment_spells ORDER BY employer_id, person_id, hire_date;
DROP TABLE employment_spells;
ALTER TABLE employment_spells_v4 RENAME TO employment_spells;
CREATE INDEX employment_by_employer ON employment_spells (employer_id, leave_date, hire_date);
)SQL"},
    // --- HTTP API (storage/api_store.h; implemented in sqlite_api_store.cpp) ---
    // Accounts, sessions (only a hash of each token), the hash-chained audit log
    // with its head, idempotency records of POST requests, declaration uploads;
    // and the per-person read paths of the API: a person's journal entries and
    // personal-account postings, a person's employment spells.
    {5, "HTTP API: users, sessions, audit log, idempotency, uploads; per-person read paths",
     R"SQL(
CREATE TABLE api_users (
  user_id INTEGER PRIMARY KEY,
  login TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  person TEXT NOT NULL DEFAULT '',
  employer TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE api_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  person TEXT NOT NULL,
  resource TEXT NOT NULL,
  purpose TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_by_person ON audit_log (person, seq) WHERE person <> '';
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  count INTEGER NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE api_idempotency (
  user_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE TABLE api_uploads (
  upload_id INTEGER PRIMARY KEY,
  employer TEXT NOT NULL,
  created_at TEXT NOT NULL,
  summary TEXT NOT NULL,
  feedback TEXT NOT NULL
);
CREATE INDEX journal_by_person ON journal_entries (person_id, month);
CREATE INDEX postings_by_account ON postings (account_kind, account_owner);
CREATE INDEX employment_by_person ON employment_spells (person_id);
)SQL"},
    // --- Person search (storage/api_store.h; read and indexed in sqlite_api_store.cpp) ---
    // Name keys searched by prefix (simplified hanzi, pinyin in both orders) and
    // the queue of persons whose keys are to be computed: the keys need ICU
    // (matching/normalize.h), so triggers queue every inserted person and every
    // change of a name or its pinyin, whatever path wrote it, and the API store
    // indexes the queue. Every person registered before this migration is queued.
    {6, "person search: name keys and the queue of persons to index",
     R"SQL(
CREATE TABLE person_search_keys (
  key TEXT NOT NULL,
  person_id INTEGER NOT NULL,
  PRIMARY KEY (key, person_id)
) WITHOUT ROWID;
CREATE INDEX person_search_keys_by_person ON person_search_keys (person_id);
CREATE TABLE person_search_queue (person_id INTEGER PRIMARY KEY);
INSERT INTO person_search_queue (person_id) SELECT person_id FROM persons;
CREATE TRIGGER person_search_on_insert AFTER INSERT ON persons BEGIN
  INSERT OR IGNORE INTO person_search_queue (person_id) VALUES (NEW.person_id);
END;
CREATE TRIGGER person_search_on_rename AFTER UPDATE OF name, name_pinyin ON persons
WHEN OLD.name IS NOT NEW.name OR OLD.name_pinyin IS NOT NEW.name_pinyin BEGIN
  INSERT OR IGNORE INTO person_search_queue (person_id) VALUES (NEW.person_id);
END;
)SQL"},
    // --- Review queue of suspected duplicate persons and the merge log
    // (storage/api_store.h; matching/merge_log.h semantics). Persons are named
    // by resident ID; a merge never deletes or rewrites a person row.
    {7, "review queue of suspected duplicate persons; merge log",
     R"SQL(
CREATE TABLE review_pairs (
  pair_id INTEGER PRIMARY KEY,
  person_a TEXT NOT NULL,
  person_b TEXT NOT NULL,
  probability REAL NOT NULL,
  weight REAL NOT NULL,
  evidence TEXT NOT NULL,
  source TEXT NOT NULL,
  found_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'merged', 'dismissed')),
  decided_by TEXT NOT NULL DEFAULT '',
  decided_at TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  merge_sequence INTEGER NOT NULL DEFAULT 0,
  UNIQUE (person_a, person_b),
  CHECK (person_a < person_b)
);
CREATE INDEX review_pairs_by_status ON review_pairs (status, pair_id);
CREATE TABLE person_merges (
  sequence INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('merge', 'undo')),
  survivor TEXT NOT NULL,
  merged TEXT NOT NULL,
  undoes INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL,
  pair_id INTEGER NOT NULL
);
CREATE INDEX person_merges_by_survivor ON person_merges (survivor);
CREATE INDEX person_merges_by_merged ON person_merges (merged);
CREATE INDEX person_merges_by_undoes ON person_merges (undoes) WHERE kind = 'undo';
)SQL"},
    // Contributions packed per declaration (ledger::PackedEntry): a declaration's
    // person-months become one journal entry of kind 1 (key 'contribution/<source_id>',
    // person_id the negated employer) whose postings are kept in `lines`, JSON
    // {"employer": E, "province": P, "lines": [[person_id, receivable, personal, pooled], ...]}
    // (posting 3i + n of the entry is amount n of line i; a zero amount is no posting);
    // a reversal of one is one kind-8 entry with every amount negated. The rows of
    // earlier versions are converted: each declaration's entries become one packed
    // entry with the smallest of their ids, and their reversals one packed reversal
    // (a declaration whose person-months were reversed only in part is reversed
    // whole, its employer-month dues adjusted as the month run would).
    {8, "contributions packed per declaration: one journal entry, postings in lines",
     R"SQL(
ALTER TABLE journal_entries ADD COLUMN lines TEXT;
CREATE TEMP TABLE m8_person_months AS
SELECT e.entry_id, e.source_id AS declaration_id, e.person_id, e.month,
       COALESCE(SUM(CASE p.account_kind WHEN 3 THEN p.amount_fen END), 0) AS receivable_fen,
       COALESCE(SUM(CASE p.account_kind WHEN 1 THEN p.amount_fen END), 0) AS personal_fen,
       COALESCE(SUM(CASE p.account_kind WHEN 2 THEN p.amount_fen END), 0) AS pooled_fen,
       MAX(CASE p.account_kind WHEN 3 THEN p.account_owner END) AS employer_id,
       MAX(CASE p.account_kind WHEN 2 THEN p.account_owner END) AS province,
       (SELECT MIN(r.entry_id) FROM journal_entries r WHERE r.corrects_entry_id = e.entry_id) AS reversal_id
FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.entry_id
WHERE e.kind = 1 GROUP BY e.entry_id;
CREATE TEMP TABLE m8_declarations AS
SELECT m.declaration_id, COALESCE(d.employer_id, MAX(m.employer_id)) AS employer_id, MIN(m.month) AS month,
       MIN(m.entry_id) AS entry_id, MIN(m.reversal_id) AS reversal_id,
       COALESCE(MAX(m.province), CAST(substr(r.region, 1, 2) AS INTEGER), 0) AS province
FROM m8_person_months m LEFT JOIN declarations d ON d.declaration_id = m.declaration_id
LEFT JOIN employers r ON r.employer_id = d.employer_id GROUP BY m.declaration_id;
INSERT INTO employer_months (employer_id, month, dues_fen, paid_fen)
SELECT x.employer_id, x.month, -SUM(m.receivable_fen), 0
FROM m8_person_months m JOIN m8_declarations x ON x.declaration_id = m.declaration_id
WHERE x.reversal_id IS NOT NULL AND m.reversal_id IS NULL GROUP BY x.employer_id, x.month
ON CONFLICT (employer_id, month) DO UPDATE SET dues_fen = dues_fen + excluded.dues_fen;
DELETE FROM postings WHERE entry_id IN (SELECT entry_id FROM m8_person_months UNION ALL
                                        SELECT reversal_id FROM m8_person_months WHERE reversal_id IS NOT NULL);
DELETE FROM journal_entries WHERE entry_id IN (SELECT entry_id FROM m8_person_months UNION ALL
                                               SELECT reversal_id FROM m8_person_months WHERE reversal_id IS NOT NULL);
INSERT INTO journal_entries (entry_id, idempotency_key, person_id, kind, month, source_id, corrects_entry_id, lines)
SELECT x.entry_id, '', -x.employer_id, 1, x.month, x.declaration_id, NULL,
       json_object('employer', x.employer_id, 'province', x.province, 'lines', json((
         SELECT json_group_array(json_array(m.person_id, m.receivable_fen, m.personal_fen, m.pooled_fen))
         FROM (SELECT * FROM m8_person_months WHERE declaration_id = x.declaration_id ORDER BY person_id) m)))
FROM m8_declarations x;
INSERT INTO journal_entries (entry_id, idempotency_key, person_id, kind, month, source_id, corrects_entry_id, lines)
SELECT x.reversal_id, 'reversal/contribution/' || x.declaration_id, -x.employer_id, 8, x.month, x.declaration_id,
       x.entry_id,
       json_object('employer', x.employer_id, 'province', x.province, 'lines', json((
         SELECT json_group_array(json_array(m.person_id, -m.receivable_fen, -m.personal_fen, -m.pooled_fen))
         FROM (SELECT * FROM m8_person_months WHERE declaration_id = x.declaration_id ORDER BY person_id) m)))
FROM m8_declarations x WHERE x.reversal_id IS NOT NULL;
DROP TABLE temp.m8_person_months;
DROP TABLE temp.m8_declarations;
)SQL"},
    // Flexible workers' payments packed (ledger::packed_flexible_entry): one
    // journal entry of kind 2 per month, scheme province and block of 4096
    // person ids (person_id / 4096, ledger::kFlexibleBlock), its postings in
    // `lines` as a contribution's with employer 0 (amount 0 of a line is the
    // collection bank of the province), person_id and key
    // ('flexible/<person_id>/<YYYY-MM>', computed) those of its first line's
    // person. journal_flexible_by_person finds a person's entries (those whose
    // person_id lies between the start of the person's block and the person).
    // The rows of earlier versions are converted: the entries of one month,
    // province and block become one packed entry with the smallest of their ids.
    {9, "flexible payments packed per month, scheme province and block of persons",
     R"SQL(
CREATE TEMP TABLE m9_person_months AS
SELECT e.entry_id, e.person_id, e.person_id / 4096 AS block, e.month,
       COALESCE(SUM(CASE p.account_kind WHEN 4 THEN p.amount_fen END), 0) AS bank_fen,
       COALESCE(SUM(CASE p.account_kind WHEN 1 THEN p.amount_fen END), 0) AS personal_fen,
       COALESCE(SUM(CASE p.account_kind WHEN 2 THEN p.amount_fen END), 0) AS pooled_fen,
       COALESCE(MAX(CASE p.account_kind WHEN 4 THEN p.account_owner END),
                MAX(CASE p.account_kind WHEN 2 THEN p.account_owner END), 0) AS province
FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.entry_id
WHERE e.kind = 2 AND e.lines IS NULL GROUP BY e.entry_id;
CREATE INDEX temp.m9_by_entry ON m9_person_months (month, province, block, person_id);
CREATE TEMP TABLE m9_entries AS
SELECT month, province, block, MIN(entry_id) AS entry_id, MIN(person_id) AS person_id
FROM m9_person_months GROUP BY month, province, block;
DELETE FROM postings WHERE entry_id IN (SELECT entry_id FROM m9_person_months);
DELETE FROM journal_entries WHERE entry_id IN (SELECT entry_id FROM m9_person_months);
INSERT INTO journal_entries (entry_id, idempotency_key, person_id, kind, month, source_id, corrects_entry_id, lines)
SELECT x.entry_id, '', x.person_id, 2, x.month, 0, NULL,
       json_object('employer', 0, 'province', x.province, 'lines', json((
         SELECT json_group_array(json_array(m.person_id, m.bank_fen, m.personal_fen, m.pooled_fen))
         FROM (SELECT * FROM m9_person_months WHERE month = x.month AND province = x.province AND block = x.block
               ORDER BY person_id) m)))
FROM m9_entries x ORDER BY x.entry_id;
DROP TABLE temp.m9_person_months;
DROP TABLE temp.m9_entries;
CREATE INDEX journal_flexible_by_person ON journal_entries (person_id) WHERE kind = 2;
)SQL"},
    // Employer-keyed writes off a month run's path. An employer's entries
    // (person_id = -employer_id: packed contributions, payments, late fees) are
    // not in journal_by_person: each month added one or two of them per
    // employer, on every leaf of the index (nothing reads an employer's
    // entries by person_id; the per-person read paths name a person, id > 0).
    // postings_by_account holds the personal accounts' postings only (every
    // read by account names account_kind = 1; the employers' receivables of
    // each month's payments and late fees reached most of its leaves; the
    // sums over the other kinds scan the table, which holds only the postings
    // of entries that are not packed).
    // employer_months is kept in (month, employer_id) order, so that a month's
    // dues and payments go to the months they settle instead of to every
    // employer's place in the table; the employer-months not paid in full
    // (employer_months_unsettled) and the payments by date (payments_by_date)
    // are what the arrears query reads, instead of every month booked.
    {10, "employer-keyed index entries off the month run's path",
     R"SQL(
DROP INDEX journal_by_person;
CREATE INDEX journal_by_person ON journal_entries (person_id, month) WHERE person_id > 0;
DROP INDEX postings_by_account;
CREATE INDEX postings_by_account ON postings (account_kind, account_owner) WHERE account_kind = 1;
CREATE TABLE employer_months_v10 (
  employer_id INTEGER NOT NULL,
  month INTEGER NOT NULL,
  dues_fen INTEGER NOT NULL,
  paid_fen INTEGER NOT NULL,
  PRIMARY KEY (month, employer_id)
) WITHOUT ROWID;
INSERT INTO employer_months_v10 (employer_id, month, dues_fen, paid_fen)
SELECT employer_id, month, dues_fen, paid_fen FROM employer_months ORDER BY month, employer_id;
DROP TABLE employer_months;
ALTER TABLE employer_months_v10 RENAME TO employer_months;
CREATE INDEX employer_months_unsettled ON employer_months (employer_id, month) WHERE dues_fen <> paid_fen;
CREATE INDEX payments_by_date ON payments (paid_on);
)SQL"},
    // A month run's employers' payments and late fees packed
    // (ledger::SettlementEntry): one journal entry of kind 9 per run month and
    // block of 1024 employer ids (employer_id / 1024, ledger::kEmployerBlock),
    // its postings in `lines` as '{"settlements":[...]}' (storage/packed_lines.h),
    // person_id the negated employer and key the key of its first line; a
    // line's own key is the one its entry had before (SHEBAO_SETTLEMENT_KEY).
    // journal_settlement finds the entries of a run month. The rows of earlier
    // versions in the form the month run wrote (kind 3: collection bank +,
    // receivable −; kind 4: receivable +, pooled fund −; the key of that form)
    // are converted: those of one entry month and block become one packed entry
    // with the smallest of their ids (a payment's entry month is the month it
    // settles, a late fee's its run month).
    {11, "payments and late fees packed per run month and block of employers",
     R"SQL(
CREATE INDEX journal_settlement ON journal_entries (month, person_id) WHERE kind = 9;
CREATE TEMP TABLE m11_rows AS
SELECT e.entry_id, e.kind, -e.person_id AS employer_id, e.month AS entry_month, e.idempotency_key AS key,
       CASE e.kind WHEN 3 THEN a.account_owner ELSE b.account_owner END AS province, a.amount_fen AS amount_fen,
       substr(e.idempotency_key, length(CASE e.kind WHEN 3 THEN 'payment/' ELSE 'late_fee/' END) +
                                 length(-e.person_id) + 2) AS rest
FROM journal_entries e JOIN postings a ON a.entry_id = e.entry_id AND a.seq = 0
JOIN postings b ON b.entry_id = e.entry_id AND b.seq = 1
WHERE e.kind IN (3, 4) AND e.lines IS NULL AND e.person_id < 0 AND e.source_id = -e.person_id
  AND e.corrects_entry_id IS NULL AND e.month >= 12 AND e.month < 120000 AND a.amount_fen > 0
  AND b.amount_fen = -a.amount_fen
  AND NOT EXISTS (SELECT 1 FROM postings c WHERE c.entry_id = e.entry_id AND c.seq NOT IN (0, 1))
  AND ((e.kind = 3 AND a.account_kind = 4 AND b.account_kind = 3 AND b.account_owner = -e.person_id)
    OR (e.kind = 4 AND a.account_kind = 3 AND a.account_owner = -e.person_id AND b.account_kind = 2));
CREATE TEMP TABLE m11_lines AS
SELECT r.*, CASE r.kind WHEN 3 THEN r.entry_month
            ELSE CAST(substr(r.rest, 1, 4) AS INTEGER) * 12 + CAST(substr(r.rest, 6, 2) AS INTEGER) - 1 END AS month,
       CASE r.kind WHEN 3 THEN substr(r.rest, 9, 10) END AS paid_on,
       CASE r.kind WHEN 3 THEN CAST(substr(r.rest, 20) AS INTEGER) END AS paid_before
FROM m11_rows r;
DELETE FROM m11_lines WHERE month < 12 OR month >= 120000 OR key IS NOT CASE kind
  WHEN 3 THEN 'payment/' || employer_id || '/' || printf('%04d-%02d', month / 12, month % 12 + 1) || '/' ||
              paid_on || '/' || paid_before
  ELSE 'late_fee/' || employer_id || '/' || printf('%04d-%02d', month / 12, month % 12 + 1) || '/' ||
       printf('%04d-%02d', entry_month / 12, entry_month % 12 + 1) END
  OR (kind = 3 AND date(paid_on) IS NOT paid_on) OR (kind = 4 AND month > entry_month);
CREATE INDEX temp.m11_by_entry ON m11_lines (entry_month, employer_id, entry_id);
CREATE TEMP TABLE m11_entries AS
SELECT entry_month, employer_id / 1024 AS block, MIN(entry_id) AS entry_id, MIN(employer_id) AS employer_id
FROM m11_lines GROUP BY entry_month, employer_id / 1024;
DELETE FROM postings WHERE entry_id IN (SELECT entry_id FROM m11_lines);
DELETE FROM journal_entries WHERE entry_id IN (SELECT entry_id FROM m11_lines);
INSERT INTO journal_entries (entry_id, idempotency_key, person_id, kind, month, source_id, corrects_entry_id, lines)
SELECT x.entry_id,
       (SELECT l.key FROM m11_lines l WHERE l.entry_month = x.entry_month AND l.employer_id = x.employer_id
        ORDER BY l.entry_id LIMIT 1),
       -x.employer_id, 9, x.entry_month, 0, NULL,
       json_object('settlements', json((
         SELECT json_group_array(CASE l.kind
                  WHEN 3 THEN json_array(3, l.employer_id, l.province, l.month, l.amount_fen, l.paid_on, l.paid_before)
                  ELSE json_array(4, l.employer_id, l.province, l.month, l.amount_fen) END)
         FROM (SELECT * FROM m11_lines WHERE entry_month = x.entry_month AND employer_id >= x.block * 1024
                 AND employer_id < x.block * 1024 + 1024
               ORDER BY employer_id, entry_id) l)))
FROM m11_entries x ORDER BY x.entry_id;
DROP TABLE temp.m11_rows;
DROP TABLE temp.m11_lines;
DROP TABLE temp.m11_entries;
)SQL"},
    // Migration 12 is PostgreSQL's (employer_months updated in place, without
    // an index of dues and payments); SQLite keeps employer_months_unsettled,
    // which its arrears query reads (kEmployerDuesToSettle), and records the
    // version so that both backends count the same migrations.
    {12, "employer-month totals updated in place", ""},
    // --- A change mark on the matching fields of persons (storage/api_store.h,
    // read_persons_for_matching): every update that changes one of them sets
    // match_changed to one more than the highest mark (one writer at a time,
    // so marks grow in commit order); 0 for a person never changed. Persons
    // are never deleted, so the highest mark never goes back. SQLite only:
    // migration 6's rename trigger queued with INSERT OR IGNORE, which the
    // upsert of a registry import overrides with its own conflict policy (a
    // rename of a person still queued failed on the queue's key); it now
    // queues a person not queued yet.
    {13, "persons: a change mark on the fields entity resolution compares",
     R"SQL(
DROP TRIGGER person_search_on_rename;
CREATE TRIGGER person_search_on_rename AFTER UPDATE OF name, name_pinyin ON persons
WHEN (OLD.name IS NOT NEW.name OR OLD.name_pinyin IS NOT NEW.name_pinyin)
  AND NOT EXISTS (SELECT 1 FROM person_search_queue WHERE person_id = NEW.person_id) BEGIN
  INSERT INTO person_search_queue (person_id) VALUES (NEW.person_id);
END;
ALTER TABLE persons ADD COLUMN match_changed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX persons_match_changed ON persons (match_changed) WHERE match_changed > 0;
CREATE TRIGGER persons_match_changed AFTER UPDATE OF resident_id, name, sex, birth_date, phone ON persons
WHEN OLD.resident_id IS NOT NEW.resident_id OR OLD.name IS NOT NEW.name OR OLD.sex IS NOT NEW.sex
  OR OLD.birth_date IS NOT NEW.birth_date OR OLD.phone IS NOT NEW.phone BEGIN
  UPDATE persons SET match_changed = COALESCE((SELECT match_changed FROM persons WHERE match_changed > 0
                                               ORDER BY match_changed DESC LIMIT 1), 0) + 1
  WHERE person_id = NEW.person_id;
END;
)SQL"},
    // --- A declaration's lines packed into one row (declaration_packs.h): the
    // import wrote a row per line, a few million a month at national scale,
    // each a descent of the table's key. The view declaration_lines gives the
    // readers that do not need speed (verify, stats, analytics, the per-person
    // reads) the old table's rows. The lines are grouped in the order of the
    // old table's key (declaration, person). SQLite only; PostgreSQL records
    // the version.
    {14, "declaration lines packed per declaration",
     R"SQL(
CREATE TABLE declaration_line_packs (
  declaration_id INTEGER PRIMARY KEY,
  lines TEXT NOT NULL
);
INSERT INTO declaration_line_packs (declaration_id, lines)
SELECT declaration_id,
       json_group_array(json(CASE WHEN event = '' AND event_date IS NULL
                                  THEN json_array(person_id, wage_fen, days_worked)
                                  ELSE json_array(person_id, wage_fen, days_worked, event, event_date) END))
FROM (SELECT * FROM declaration_lines ORDER BY declaration_id, person_id) GROUP BY declaration_id
ORDER BY declaration_id;
DROP TABLE declaration_lines;
CREATE VIEW declaration_lines (declaration_id, person_id, wage_fen, days_worked, event, event_date) AS
SELECT p.declaration_id, CASE WHEN j.type = 'array' THEN j.value ->> 0 END,
       CASE WHEN j.type = 'array' THEN j.value ->> 1 END, CASE WHEN j.type = 'array' THEN j.value ->> 2 END,
       CASE WHEN j.type = 'array' THEN COALESCE(j.value ->> 3, '') END, CASE WHEN j.type = 'array' THEN j.value ->> 4 END
FROM declaration_line_packs p CROSS JOIN json_each(CASE WHEN json_valid(p.lines) THEN p.lines ELSE '[]' END) j
WHERE j.type = 'array';
)SQL"},
};

// The number of lines of declaration `d`'s pack (migration 14): 0 without a
// pack or for a pack not of the form (verify names it).
#define SHEBAO_PACK_LINE_COUNT(d) \
  "COALESCE((SELECT declaration_pack_size(l.lines) FROM declaration_line_packs l WHERE l.declaration_id = " d "), 0)"

// The idempotency key of a journal entry row `e` (see migrations 2, 8 and 9).
#define SHEBAO_ENTRY_KEY(e)                                                                                  \
  "CASE " e ".kind WHEN 1 THEN 'contribution/' || " e ".source_id "                                            \
  "WHEN 2 THEN 'flexible/' || " e ".person_id || '/' || printf('%04d-%02d', " e ".month / 12, " e ".month % 12 + 1) " \
  "ELSE " e ".idempotency_key END"

// The key of line `j` (json_each of '$.settlements') of a packed settlement
// entry `e` (migration 11): its own entry's key before (ledger::settlement_key).
#define SHEBAO_SETTLEMENT_KEY(e, j)                                                                         \
  "CASE " j ".value ->> 0 WHEN 3 THEN 'payment/' ELSE 'late_fee/' END || (" j ".value ->> 1) || '/' || "       \
  "printf('%04d-%02d', (" j ".value ->> 3) / 12, (" j ".value ->> 3) % 12 + 1) || '/' || "                    \
  "CASE " j ".value ->> 0 WHEN 3 THEN (" j ".value ->> 5) || '/' || (" j ".value ->> 6) "                       \
  "ELSE printf('%04d-%02d', " e ".month / 12, " e ".month % 12 + 1) END"

// ---------------------------------------------------------------------------
// Statements, named.
// Analytics: whole-table reads for coverage, compliance and simulation.
constexpr const char* kAnalyticsPersons =
    "SELECT person_id, resident_id, name, birth_date, scheme, scheme_region, flexible_base_ratio FROM persons "
    "ORDER BY person_id";
constexpr const char* kAnalyticsCoveragePersons =
    "SELECT person_id, resident_id, scheme, scheme_region FROM persons ORDER BY person_id";
constexpr const char* kAnalyticsLastPersonId = "SELECT MAX(person_id) FROM persons";
constexpr const char* kAnalyticsDeclarationProvinces =
    "SELECT d.declaration_id, d.month, e.region FROM declarations d JOIN employers e ON e.employer_id = d.employer_id";
constexpr const char* kAnalyticsLatestEmployeeMonth =
    "SELECT d.month FROM declarations d WHERE EXISTS (SELECT 1 FROM journal_entries j WHERE j.kind = 1 "
    "AND j.source_id = d.declaration_id) ORDER BY d.month DESC LIMIT 1";
constexpr const char* kAnalyticsLatestFlexibleMonth = "SELECT MAX(month) FROM journal_entries WHERE kind = 2";
// The persons of a packed contribution entry are its declaration's lines (verify
// checks it): the declaration's pack, read by its own parser (declaration_packs.h).
constexpr const char* kAnalyticsEmployeeContributions =
    "SELECT e.entry_id, l.declaration_id, l.lines FROM journal_entries e INDEXED BY journal_contribution "
    "JOIN declaration_line_packs l ON l.declaration_id = e.source_id WHERE e.kind = 1";
// The persons of the packed flexible payments (migration 9), from their lines,
// and the scheme province the entry was booked in.
constexpr const char* kAnalyticsFlexibleContributions =
    "SELECT e.entry_id, e.month, j.value ->> 0, e.lines ->> '$.province' FROM journal_entries e "
    "INDEXED BY journal_flexible CROSS JOIN json_each(e.lines, '$.lines') j WHERE e.kind = 2 AND e.month <= ?1";
constexpr const char* kAnalyticsReversedEntries =
    "SELECT corrects_entry_id FROM journal_entries WHERE corrects_entry_id IS NOT NULL";
constexpr const char* kAnalyticsTransferPersons = "SELECT DISTINCT person_id FROM transfers";
constexpr const char* kAnalyticsEmployers =
    "SELECT employer_id, credit_code, name, region, size, unit_type FROM employers ORDER BY employer_id";
// Late fees booked as rows (kind 4) and packed (kind 9, migration 11).
constexpr const char* kAnalyticsLateFees =
    "SELECT employer_id, SUM(fee_fen) FROM (SELECT -j.person_id AS employer_id, p.amount_fen AS fee_fen "
    "FROM journal_entries j JOIN postings p ON p.entry_id = j.entry_id "
    "WHERE j.kind = 4 AND p.account_kind = 3 AND j.month <= ?1 UNION ALL "
    "SELECT l.value ->> 1, l.value ->> 4 FROM journal_entries e INDEXED BY journal_settlement "
    "CROSS JOIN json_each(e.lines, '$.settlements') l WHERE e.kind = 9 AND e.month <= ?1 AND (l.value ->> 0) = 4) "
    "GROUP BY employer_id";
constexpr const char* kAnalyticsDeclaredLines =
    "SELECT d.employer_id, l.lines FROM declarations d "
    "JOIN declaration_line_packs l ON l.declaration_id = d.declaration_id WHERE d.month = ?1 AND d.superseded = 0";

constexpr const char* kAnalyticsSimulationPersons =
    "SELECT person_id, resident_id, birth_date, scheme, scheme_region, flexible_base_ratio, retirement_category, "
    "hukou_region FROM persons";
constexpr const char* kAnalyticsSimulationEmployers = "SELECT employer_id, region, size, unit_type FROM employers";
// What pension_facts() reads: the packed entries that stand (not reversed), in
// one pass: the employee contributions (kind 1) up to ?1 and the flexible
// payments (kind 2) of every month (months up to ?1 count as contribution
// months, the personal credits of all of them in the balance); then per
// person the personal postings kept as rows.
constexpr const char* kAnalyticsStandingPacked =
    "SELECT e.kind, e.month, e.lines FROM journal_entries e WHERE ((e.kind = 1 AND e.month <= ?1) OR e.kind = 2) "
    "AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = e.entry_id)";
constexpr const char* kAnalyticsPersonalPostingRows =
    "SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE account_kind = 1 AND account_owner = ?1";

constexpr const char* kUpsertPerson = R"SQL(
INSERT INTO persons (resident_id, name, name_pinyin, sex, birth_date, hukou_region, phone, retirement_category,
                     scheme, scheme_region, flexible_base_ratio)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (resident_id) DO UPDATE SET name = excluded.name, name_pinyin = excluded.name_pinyin,
  hukou_region = excluded.hukou_region, phone = excluded.phone, retirement_category = excluded.retirement_category,
  scheme = excluded.scheme, scheme_region = excluded.scheme_region, flexible_base_ratio = excluded.flexible_base_ratio
RETURNING person_id)SQL";
constexpr const char* kUpsertEmployer = R"SQL(
INSERT INTO employers (credit_code, name, region, size, unit_type) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (credit_code) DO UPDATE SET name = excluded.name, region = excluded.region, size = excluded.size,
  unit_type = excluded.unit_type
RETURNING employer_id)SQL";
constexpr const char* kFindPerson = R"SQL(
SELECT person_id, resident_id, name, name_pinyin, sex, birth_date, hukou_region, phone, retirement_category, scheme,
       scheme_region, flexible_base_ratio FROM persons WHERE resident_id = ?1)SQL";
constexpr const char* kFindPersonId = "SELECT person_id FROM persons WHERE resident_id = ?1";
constexpr const char* kMaxPersonId = "SELECT COALESCE(MAX(person_id), 0) FROM persons";
constexpr const char* kAllPersonIds = "SELECT resident_id, person_id FROM persons";
constexpr const char* kFindEmployer =
    "SELECT employer_id, credit_code, name, region, size, unit_type FROM employers WHERE credit_code = ?1";
constexpr const char* kFindEmployerId = "SELECT employer_id FROM employers WHERE credit_code = ?1";
constexpr const char* kEmployedIn = R"SQL(
SELECT 1 FROM employment_spells WHERE person_id = ?1 AND employer_id = ?2 AND hire_date <= ?4
  AND (leave_date IS NULL OR leave_date >= ?3) LIMIT 1)SQL";
// Two ranges of employment_by_employer (open spells, spells ending in or after the month).
constexpr const char* kEmployeesIn = R"SQL(
SELECT person_id FROM employment_spells WHERE employer_id = ?1 AND leave_date IS NULL AND hire_date <= ?3
UNION ALL
SELECT person_id FROM employment_spells WHERE employer_id = ?1 AND leave_date >= ?2 AND hire_date <= ?3
LIMIT ?4)SQL";
constexpr const char* kRecordHire =
    "INSERT OR IGNORE INTO employment_spells (person_id, employer_id, hire_date) VALUES (?1, ?2, ?3)";
// The spell a leave closes: the person's latest hired on or before the leave
// date, found in the table's own key (employer, person, hire) as the largest key
// up to (employer, person, leave date). When that key is another person's, none
// of the person's spells was hired by then, and the update's own conditions
// (the person, a hire on or before the leave date) change nothing, also when
// the person has a later spell hired on that other key's date. The lookup and
// the update go down the same path of the table; a MAX(hire_date) over the
// person's spells is answered from employment_by_person instead (SQLite prefers
// the smaller covering index), one more random descent per leave.
constexpr const char* kRecordLeave = R"SQL(
UPDATE employment_spells SET leave_date = ?3 WHERE employer_id = ?2 AND person_id = ?1 AND hire_date <= ?3
  AND hire_date = (SELECT hire_date FROM employment_spells WHERE employer_id = ?2 AND (person_id, hire_date) <= (?1, ?3)
                   ORDER BY person_id DESC, hire_date DESC LIMIT 1))SQL";
constexpr const char* kLatestDeclaration = R"SQL(
SELECT declaration_id, version, content_hash FROM declarations WHERE employer_id = ?1 AND month = ?2
ORDER BY version DESC LIMIT 1)SQL";
constexpr const char* kSupersede = "UPDATE declarations SET superseded = 1 WHERE employer_id = ?1 AND month = ?2";
constexpr const char* kInsertDeclaration = R"SQL(
INSERT INTO declarations (employer_id, month, version, content_hash, source, line_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6))SQL";
constexpr const char* kInsertDeclarationPack =
    "INSERT INTO declaration_line_packs (declaration_id, lines) VALUES (?1, ?2)";
constexpr const char* kRecordPayment = R"SQL(
INSERT INTO payments (employer_id, month, paid_on) VALUES (?1, ?2, ?3)
ON CONFLICT (employer_id, month) DO UPDATE SET paid_on = excluded.paid_on WHERE paid_on <> excluded.paid_on)SQL";
constexpr const char* kDeclarationsToBook = R"SQL(
SELECT d.declaration_id FROM declarations d WHERE d.month = ?1 AND d.superseded = 0
  AND NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.kind = 1 AND e.source_id = d.declaration_id)
ORDER BY d.declaration_id)SQL";
constexpr const char* kDeclaredPersonMonths = R"SQL(
SELECT l.person_id, d.employer_id, e.region, e.size, e.unit_type, d.month, l.wage_fen
FROM declaration_lines l JOIN declarations d ON d.declaration_id = l.declaration_id
JOIN employers e ON e.employer_id = d.employer_id WHERE l.declaration_id = ?1)SQL";
// Several declarations at once: "IN (?1, ..., ?k)", unused places bound to NULL.
constexpr std::size_t kDeclarationsPerQuery = 128;
constexpr const char* kDeclarationHeadsIn = R"SQL(
SELECT d.declaration_id, d.employer_id, e.region, e.size, e.unit_type, d.month, d.line_count
FROM declarations d JOIN employers e ON e.employer_id = d.employer_id WHERE d.declaration_id IN (?)
ORDER BY d.declaration_id)SQL";
constexpr const char* kDeclarationPacksIn = R"SQL(
SELECT declaration_id, lines FROM declaration_line_packs WHERE declaration_id IN (?) ORDER BY declaration_id)SQL";
std::string with_placeholders(const char* sql, std::size_t count) {
  std::string text(sql);
  std::string list;
  for (std::size_t i = 1; i <= count; ++i) list += (i > 1 ? ", ?" : "?") + std::to_string(i);
  const std::size_t at = text.find("IN (?)");
  text.replace(at, 6, "IN (" + list + ")");
  return text;
}
constexpr const char* kPackedToReverse = R"SQL(
SELECT e.entry_id, e.month, e.source_id, -e.person_id, e.lines ->> '$.province',
       j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3
FROM declarations d CROSS JOIN journal_entries e ON e.kind = 1 AND e.source_id = d.declaration_id
CROSS JOIN json_each(e.lines, '$.lines') j
WHERE d.month = ?1 AND d.superseded = 1
  AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = e.entry_id)
ORDER BY e.entry_id, j.key)SQL";
// The flexible workers without a line in the month's packed flexible payments.
constexpr const char* kFlexibleToBook = R"SQL(
SELECT p.person_id, p.scheme_region, p.flexible_base_ratio FROM persons p
WHERE p.scheme = 'flexible' AND p.person_id NOT IN (
  SELECT j.value ->> 0 FROM journal_entries e INDEXED BY journal_flexible CROSS JOIN json_each(e.lines, '$.lines') j
  WHERE e.kind = 2 AND e.month = ?1)
ORDER BY p.person_id)SQL";
constexpr const char* kEmployerDues = R"SQL(
SELECT m.employer_id, e.region, m.month, m.dues_fen, m.paid_fen, p.paid_on
FROM employer_months m JOIN employers e ON e.employer_id = m.employer_id
LEFT JOIN payments p ON p.employer_id = m.employer_id AND p.month = m.month
WHERE m.month <= ?1 ORDER BY m.employer_id, m.month)SQL";
// As kEmployerDues, without the months settled before `month` began (dues paid in
// full on a date up to its first day): they get neither a payment nor a late fee.
// Two parts, each read from its own index (migration 10), not from all history:
// the employer-months whose dues are not paid in full (employer_months_unsettled,
// already in employer and month order), and the months paid in full whose payment
// date lies after the month's first day (payments_by_date; CROSS JOIN keeps that
// order). A month with dues and payments both zero and no payment date gets
// neither a payment nor a fee and is not read (as on PostgreSQL).
constexpr const char* kEmployerDuesToSettle = R"SQL(
SELECT m.employer_id, e.region, m.month, m.dues_fen, m.paid_fen, p.paid_on
FROM employer_months m INDEXED BY employer_months_unsettled JOIN employers e ON e.employer_id = m.employer_id
LEFT JOIN payments p ON p.employer_id = m.employer_id AND p.month = m.month
WHERE m.month BETWEEN ?3 AND ?1 AND m.dues_fen <> m.paid_fen
UNION ALL
SELECT m.employer_id, e.region, m.month, m.dues_fen, m.paid_fen, p.paid_on
FROM payments p INDEXED BY payments_by_date CROSS JOIN employer_months m
  ON m.employer_id = p.employer_id AND m.month = p.month
JOIN employers e ON e.employer_id = m.employer_id
WHERE p.paid_on > ?2 AND p.month BETWEEN ?3 AND ?1 AND m.dues_fen = m.paid_fen
ORDER BY 1, 3)SQL";
// The employer-months of month ?1 that a payment dated by its last day (?2)
// settles at least in part: all a month run settles of its own month (its dues
// fall due in the next), so neither the months without such a payment nor those
// paid in full are read (Database::SettlePart::within). The month's rows in key
// order, each with its payment.
constexpr const char* kEmployerDuesWithinMonth = R"SQL(
SELECT m.employer_id, e.region, m.month, m.dues_fen, m.paid_fen, p.paid_on
FROM employer_months m JOIN payments p ON p.employer_id = m.employer_id AND p.month = m.month
JOIN employers e ON e.employer_id = m.employer_id
WHERE m.month = ?1 AND m.dues_fen <> m.paid_fen AND p.paid_on <= ?2 ORDER BY m.employer_id)SQL";
constexpr const char* kAddEmployerMonth = R"SQL(
INSERT INTO employer_months (employer_id, month, dues_fen, paid_fen) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (employer_id, month) DO UPDATE SET dues_fen = dues_fen + excluded.dues_fen,
  paid_fen = paid_fen + excluded.paid_fen)SQL";
constexpr const char* kEntryExists =
    "SELECT 1 FROM journal_entries WHERE kind NOT IN (1, 2) AND idempotency_key = ?1";
constexpr const char* kContributionExists = "SELECT 1 FROM journal_entries WHERE kind = 1 AND source_id = ?1";
constexpr const char* kFlexibleExists =
    "SELECT 1 FROM journal_entries WHERE kind = 2 AND month = ?1 AND person_id = ?2";
constexpr const char* kInsertEntry = R"SQL(
INSERT INTO journal_entries (idempotency_key, person_id, kind, month, source_id, corrects_entry_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6))SQL";
constexpr const char* kInsertEntryWithId = R"SQL(
INSERT INTO journal_entries (entry_id, idempotency_key, person_id, kind, month, source_id, corrects_entry_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))SQL";
constexpr const char* kMaxEntryId = "SELECT COALESCE(MAX(entry_id), 0) FROM journal_entries";
constexpr const char* kInsertPacked = R"SQL(
INSERT INTO journal_entries (idempotency_key, person_id, kind, month, source_id, corrects_entry_id, lines)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))SQL";
// The keys of the packed payments' and late fees' lines (migration 11) of the
// run months ?1 to ?2.
constexpr const char* kSettlementKeys =
    "SELECT " SHEBAO_SETTLEMENT_KEY("e", "j") " FROM journal_entries e INDEXED BY journal_settlement "
    "CROSS JOIN json_each(e.lines, '$.settlements') j WHERE e.kind = 9 AND e.month BETWEEN ?1 AND ?2";
constexpr const char* kInsertPosting = R"SQL(
INSERT INTO postings (entry_id, seq, person_id, account_kind, account_owner, amount_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6))SQL";
// A year's personal-account activity (run-year), months ?1 to ?2 - 1 and the
// opening before them: the posting rows, without the year's own interest
// entries; and the packed entries (contributions, reversals, flexible payments:
// amount 2 of each line), whose lines personal_year_activity reads in C++
// (entry_packs.h), an entry at a time.
constexpr const char* kPersonalYearPostings = R"SQL(
SELECT p.account_owner, e.month, SUM(p.amount_fen) FROM postings p JOIN journal_entries e ON e.entry_id = p.entry_id
WHERE p.account_kind = 1 AND e.month < ?2 AND NOT (e.kind = 5 AND e.month >= ?1) GROUP BY p.account_owner, e.month)SQL";
constexpr const char* kPersonalYearPacked =
    "SELECT entry_id, month, lines FROM journal_entries WHERE lines IS NOT NULL AND kind <> 9 AND month < ?2";
constexpr const char* kPersonRegion =
    "SELECT person_id, CASE WHEN scheme_region <> '' THEN scheme_region ELSE hukou_region END FROM persons";

// ---------------------------------------------------------------------------

// "INSERT INTO ... VALUES (?1, ..., ?k)" as one statement inserting `rows` rows:
// (?1..?k), (?k+1..?2k), ... With OR FAIL, a failing row stops the statement
// without undoing the rows before it, which spares SQLite a statement journal:
// callers roll back a savepoint or the transaction on failure.
constexpr std::size_t kRowsPerInsert = 64;
std::string multi_row_insert(const char* single_row, std::size_t rows) {
  std::string sql(single_row);
  const std::size_t insert = sql.find("INSERT INTO");
  if (insert != std::string::npos) sql.replace(insert, 11, "INSERT OR FAIL INTO");
  const std::size_t values = sql.rfind("VALUES");
  const std::size_t columns = static_cast<std::size_t>(std::count(sql.begin() + static_cast<std::ptrdiff_t>(values),
                                                                  sql.end(), '?'));
  std::string out = sql.substr(0, values) + "VALUES ";
  for (std::size_t row = 0; row < rows; ++row) {
    out += row == 0 ? "(" : ", (";
    for (std::size_t column = 0; column < columns; ++column) {
      if (column > 0) out += ", ";
      out += "?" + std::to_string(row * columns + column + 1);
    }
    out += ")";
  }
  return out;
}

// --- idempotency keys (migration 2) ---
constexpr std::string_view kContributionPrefix = "contribution/";
constexpr std::string_view kFlexiblePrefix = "flexible/";

// Reads a decimal int64 written by std::to_string; advances `text`.
bool take_int(std::string_view& text, std::int64_t& value) {
  auto read = std::from_chars(text.data(), text.data() + text.size(), value);
  if (read.ec != std::errc()) return false;
  const std::size_t length = static_cast<std::size_t>(read.ptr - text.data());
  if (text.substr(0, length) != std::to_string(value)) return false;  // no "+1", "01", "-0"
  text.remove_prefix(length);
  return true;
}

// True when `key` is exactly "contribution/<source_id>" as
// ledger::packed_contribution_key writes it.
bool parse_contribution_key(std::string_view key, std::int64_t& source_id) {
  if (!key.starts_with(kContributionPrefix)) return false;
  key.remove_prefix(kContributionPrefix.size());
  return take_int(key, source_id) && key.empty();
}

// True when `key` is exactly "flexible/<person_id>/<YYYY-MM>" as
// ledger::packed_flexible_key writes it (years 1..9999).
bool parse_flexible_key(std::string_view key, std::int64_t& person_id, YearMonth& month) {
  if (!key.starts_with(kFlexiblePrefix)) return false;
  key.remove_prefix(kFlexiblePrefix.size());
  if (!take_int(key, person_id) || !key.starts_with('/')) return false;
  key.remove_prefix(1);
  auto parsed = YearMonth::parse(key);
  if (!parsed || parsed->year() < 1 || parsed->year() > 9999 || parsed->to_string() != key) return false;
  month = *parsed;
  return true;
}

// A contribution's or a flexible payment's key must be the one computed from
// the entry (it is not stored); no other entry's key may begin like those.
Result<void> check_key(const ledger::JournalEntry& entry) {
  if (const char* refused = packed_only(entry.kind)) {
    return fail(ErrorCode::invalid_input, entry.idempotency_key, refused);
  } else if (std::string_view key(entry.idempotency_key);
             key.starts_with(kContributionPrefix) || key.starts_with(kFlexiblePrefix)) {
    return fail(ErrorCode::invalid_input, entry.idempotency_key,
                "only a contribution's or a flexible payment's key begins like this");
  }
  return {};
}

// What the idempotency_key column holds for the entry.
std::string_view stored_key(const ledger::JournalEntry& entry) {
  const bool computed =
      entry.kind == ledger::EntryKind::contribution || entry.kind == ledger::EntryKind::flexible_contribution;
  // Never a null pointer: SQLite would bind NULL.
  return computed ? std::string_view("") : std::string_view(entry.idempotency_key);
}

// "YYYY-MM-DD" without going through printf (hot paths).
struct DateText {
  DateText() = default;
  explicit DateText(Date date) {
    const auto ymd = date.ymd();
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) {
      const std::string text = date.to_string();
      size = std::min(text.size(), sizeof chars);
      text.copy(chars, size);
      return;
    }
    const unsigned month = static_cast<unsigned>(ymd.month());
    const unsigned day = static_cast<unsigned>(ymd.day());
    chars[0] = static_cast<char>('0' + year / 1000);
    chars[1] = static_cast<char>('0' + year / 100 % 10);
    chars[2] = static_cast<char>('0' + year / 10 % 10);
    chars[3] = static_cast<char>('0' + year % 10);
    chars[4] = '-';
    chars[5] = static_cast<char>('0' + month / 10);
    chars[6] = static_cast<char>('0' + month % 10);
    chars[7] = '-';
    chars[8] = static_cast<char>('0' + day / 10);
    chars[9] = static_cast<char>('0' + day % 10);
    size = 10;
  }
  std::string_view view() const { return std::string_view(chars, size); }
  char chars[24];
  std::size_t size = 0;
};

// Transfers between provinces.
constexpr const char* kInsertTransfer = R"SQL(
INSERT INTO transfers (person_id, from_province, to_province, requested_on, status) VALUES (?1, ?2, ?3, ?4, ?5))SQL";
constexpr const char* kUpdateTransfer = R"SQL(
UPDATE transfers SET status = ?2, account_fen = ?3, pooled_fen = ?4, counted_months = ?5, reason = ?6
WHERE transfer_id = ?1)SQL";
constexpr const char* kFindTransfer = R"SQL(
SELECT transfer_id, person_id, from_province, to_province, requested_on, status, account_fen, pooled_fen,
       counted_months, reason FROM transfers WHERE transfer_id = ?1)SQL";
constexpr const char* kTransfersOfPerson = R"SQL(
SELECT transfer_id, person_id, from_province, to_province, requested_on, status, account_fen, pooled_fen,
       counted_months, reason FROM transfers WHERE person_id = ?1 ORDER BY transfer_id)SQL";
constexpr const char* kResidentIdOf = "SELECT resident_id FROM persons WHERE person_id = ?1";
// Through the person's employers (every declared person has a spell at the
// employer: the import's check, and verify's), their current declarations and
// the person's line in each pack (declaration_line(): a binary search).
constexpr const char* kPersonMonthsInProvince = R"SQL(
SELECT declaration_id, employer_id, region, size, unit_type, month, line ->> 1 FROM (
SELECT d.declaration_id, d.employer_id, e.region, e.size, e.unit_type, d.month, declaration_line(l.lines, ?1) AS line
FROM (SELECT DISTINCT employer_id FROM employment_spells WHERE person_id = ?1) s
JOIN employers e ON e.employer_id = s.employer_id
JOIN declarations d ON d.employer_id = s.employer_id
JOIN declaration_line_packs l ON l.declaration_id = d.declaration_id
WHERE d.superseded = 0 AND e.region LIKE ?2) WHERE line IS NOT NULL ORDER BY month, declaration_id)SQL";
constexpr const char* kPersonalBalance = SHEBAO_SQLITE_PERSON_LINES
    "SELECT (SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE account_kind = 1 AND account_owner = ?1) "
    "+ (SELECT COALESCE(SUM(personal_fen), 0) FROM person_lines)";

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Result<void> prepare(sqlite3* db, const char* sql) {
    if (stmt_ != nullptr) return {};
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      return fail(ErrorCode::internal, "sqlite", std::string("prepare failed: ") + sqlite3_errmsg(db));
    }
    return {};
  }
  sqlite3_stmt* get() { return stmt_; }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  // The text must stay unchanged until the statement is reset.
  void bind_static(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  }
  void bind_null(int index) { sqlite3_bind_null(stmt_, index); }
  std::int64_t int64(int column) { return sqlite3_column_int64(stmt_, column); }
  // A text column as it lies in SQLite's buffer (valid until the next step or reset).
  std::string_view text_view(int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return {text == nullptr ? "" : text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
  }
  std::string text(int column) {
    const unsigned char* value = sqlite3_column_text(stmt_, column);
    return value ? std::string(reinterpret_cast<const char*>(value)) : std::string();
  }
  bool is_null(int column) { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  // The text of a column, valid until the next step or reset; empty for NULL.
  std::string_view view(int column) {
    const auto* value = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return value ? std::string_view(value, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                 : std::string_view();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// resident ID → person_id of the persons in the database, for the lookups of a
// large import. A person's id never changes and persons are never deleted, so
// an entry stays true; an ID not found here is asked of the database. Only
// canonical IDs (17 digits and a check digit or 'X') are kept, packed in 64 bits.
class PersonIdCache {
 public:
  static bool key_of(std::string_view id, std::uint64_t& key) {
    if (id.size() != 18) return false;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 17; ++i) {
      const unsigned digit = static_cast<unsigned char>(id[i]) - '0';
      if (digit > 9) return false;
      value = value * 10 + digit;
    }
    const char last = id[17];
    unsigned check;
    if (last >= '0' && last <= '9') {
      check = static_cast<unsigned>(last - '0');
    } else if (last == 'X') {
      check = 10;
    } else {
      return false;
    }
    key = value * 11 + check + 1;  // 0 marks an empty slot
    return true;
  }

  bool loaded() const { return !slots_.empty(); }
  void clear() { slots_ = {}; }
  void reserve(std::size_t persons) {
    std::size_t capacity = 1024;
    while (capacity < persons + persons / 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
  }
  void insert(std::uint64_t key, std::int64_t value) {
    if (size_ * 4 >= slots_.size() * 3) grow();
    std::size_t slot = hash(key) & mask_;
    while (slots_[slot].key != 0 && slots_[slot].key != key) slot = (slot + 1) & mask_;
    if (slots_[slot].key == 0) ++size_;
    slots_[slot] = Slot{key, value};
  }
  // Asks the memory for the slot where `key` would be, ahead of its find.
  void prefetch(std::uint64_t key) const { __builtin_prefetch(&slots_[hash(key) & mask_]); }
  std::optional<std::int64_t> find(std::uint64_t key) const {
    std::size_t slot = hash(key) & mask_;
    while (slots_[slot].key != 0) {
      if (slots_[slot].key == key) return slots_[slot].value;
      slot = (slot + 1) & mask_;
    }
    return std::nullopt;
  }

 private:
  // A key and its value side by side: a lookup reads one cache line, not two.
  struct Slot {
    std::uint64_t key = 0;
    std::int64_t value = 0;
  };
  static std::size_t hash(std::uint64_t key) { return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> 17); }
  void grow() {
    std::vector<Slot> slots = std::move(slots_);
    reserve(slots.size());
    size_ = 0;
    for (const Slot& slot : slots) {
      if (slot.key != 0) insert(slot.key, slot.value);
    }
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

// The cache is loaded once a connection has looked up this share of the persons
// one by one (a lookup costs about as much as loading a few persons), and only
// up to this many persons (16 bytes each, 2/3 full at most).
constexpr std::int64_t kPersonCacheLookupsPerPerson = 8;  // load after persons / 8 lookups
constexpr std::int64_t kPersonCacheLimit = 8'000'000;

// The rows of kFlexibleToBook (bound), into `rows`; SQLite's last result code
// (SQLITE_DONE when every row was read).
int flexible_rows_of(Statement& q, YearMonth month, std::vector<collection::FlexibleMonth>& rows) {
  int rc;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
    collection::FlexibleMonth row;
    row.person_id = q.int64(0);
    row.scheme_region = q.text(1);
    row.base_ratio = q.is_null(2) ? Decimal() : *Decimal::parse(q.text(2));
    row.month = month;
    rows.push_back(std::move(row));
  }
  return rc;
}

// The rows of kEmployerDues or kEmployerDuesToSettle (bound), into `rows`;
// SQLite's last result code.
int dues_rows_of(Statement& q, std::vector<EmployerMonthDues>& rows) {
  int rc;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
    EmployerMonthDues row;
    row.employer_id = q.int64(0);
    row.employer_region = q.text(1);
    row.month = YearMonth::from_serial(static_cast<int>(q.int64(2)));
    row.dues_fen = q.int64(3);
    row.paid_fen = q.int64(4);
    if (!q.is_null(5)) row.paid_on = *Date::parse(q.text(5));
    rows.push_back(std::move(row));
  }
  return rc;
}

// What a month run reads on a connection of its own while it books its
// declarations (SqliteDatabase::start_side_reads): the flexible workers to
// book, and the employer-months to settle before the month. A part that could
// not be read is marked so, and the run reads it itself.
struct SideRows {
  bool flexible_read = false;
  std::vector<collection::FlexibleMonth> flexible;
  bool before_read = false;
  std::vector<EmployerMonthDues> before;
};

SideRows read_side_rows(const std::string& path, YearMonth month, bool flexible, bool before) {
  SideRows rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_exec(db, "PRAGMA cache_size = -16384", nullptr, nullptr, nullptr);
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK) {  // one snapshot for both
    if (flexible) {
      Statement q;
      if (q.prepare(db, kFlexibleToBook)) {
        q.bind(1, static_cast<std::int64_t>(month.serial()));
        rows.flexible_read = flexible_rows_of(q, month, rows.flexible) == SQLITE_DONE;
      }
    }
    if (before) {
      Statement q;
      if (q.prepare(db, kEmployerDuesToSettle)) {
        const DateText first(Date::first_of(month));
        q.bind(1, static_cast<std::int64_t>(month.serial() - 1));
        q.bind_static(2, first.view());
        q.bind(3, static_cast<std::int64_t>(std::numeric_limits<int>::min()));
        rows.before_read = dues_rows_of(q, rows.before) == SQLITE_DONE;
      }
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_close_v2(db);
  return rows;
}

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  ~SqliteDatabase() override {
    if (side_.reading.valid()) side_.reading.wait();  // its connection's read ends first
    checkpointer_.reset();  // its connection next: the close below is the last, and checkpoints what is left
    statements_.clear();
    sqlite3_close_v2(db_);
  }

  // Checkpoints on a thread of their own (wal_checkpointer.h), once a commit
  // leaves `pages` pages in the WAL. A file database in WAL mode only.
  void start_checkpointer(int pages) {
    const char* file = sqlite3_db_filename(db_, "main");
    if (file == nullptr || *file == '\0') return;
    checkpointer_ = WalCheckpointer::start(db_, file, pages);
  }

  std::string_view backend() const override { return "sqlite"; }

  Result<void> exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : "unknown error";
      sqlite3_free(message);
      return error("exec", text);
    }
    return {};
  }

  Result<int> migrate() override {
    if (auto made = exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                         "description TEXT NOT NULL)");
        !made) {
      return tl::unexpected(made.error());
    }
    // Every migration not recorded yet, in order: a version missing below the
    // highest applied (a migration added on another line of development) is
    // applied too, so the numbering may have gaps.
    std::set<int> applied_versions;
    {
      Statement query;
      if (auto ok = query.prepare(db_, "SELECT version FROM schema_migrations"); !ok) {
        return tl::unexpected(ok.error());
      }
      while (sqlite3_step(query.get()) == SQLITE_ROW) applied_versions.insert(static_cast<int>(query.int64(0)));
    }
    int current = applied_versions.empty() ? 0 : *applied_versions.rbegin();
    for (const Migration& migration : kMigrations) {
      if (applied_versions.count(migration.version) > 0) continue;
      if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return tl::unexpected(ok.error());
      auto applied = exec(migration.sql);
      if (applied) {
        Statement record;
        applied = record.prepare(db_, "INSERT INTO schema_migrations (version, description) VALUES (?1, ?2)");
        if (applied) {
          record.bind(1, static_cast<std::int64_t>(migration.version));
          record.bind(2, std::string_view(migration.description));
          if (sqlite3_step(record.get()) != SQLITE_DONE) applied = error("migrate", sqlite3_errmsg(db_));
        }
      }
      if (!applied) {
        exec("ROLLBACK");
        return tl::unexpected(applied.error());
      }
      if (auto ok = exec("COMMIT"); !ok) return tl::unexpected(ok.error());
      current = std::max(current, migration.version);
    }
    return current;
  }

  Result<void> begin() override { return exec("BEGIN IMMEDIATE"); }
  Result<void> commit() override {
    auto committed = exec("COMMIT");
    if (committed) transaction_ended();
    return committed;
  }
  void rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    transaction_ended();
    // The caches may have been filled inside the transaction undone.
    person_ids_.clear();
    employer_ids_.clear();
  }

  // --- registry ---
  Result<std::int64_t> upsert_person(const Person& person) override {
    flexible_written();
    auto s = statement(kUpsertPerson);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, person.resident_id);
    q.bind(2, person.name);
    q.bind(3, person.name_pinyin);
    q.bind(4, registry::to_string(person.sex));
    q.bind(5, person.birth_date.to_string());
    q.bind(6, person.hukou_region);
    q.bind(7, person.phone);
    q.bind(8, person.retirement_category);
    q.bind(9, registry::to_string(person.scheme));
    q.bind(10, person.scheme_region);
    if (person.flexible_base_ratio) q.bind(11, person.flexible_base_ratio->to_string());
    return single_int(q, "upsert person");
  }

  Result<std::int64_t> upsert_employer(const Employer& employer) override {
    settle_written();
    auto s = statement(kUpsertEmployer);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer.credit_code);
    q.bind(2, employer.name);
    q.bind(3, employer.region);
    q.bind(4, registry::to_string(employer.size));
    q.bind(5, registry::to_string(employer.unit_type));
    return single_int(q, "upsert employer");
  }

  Result<std::optional<Person>> find_person(std::string_view resident_id) override {
    auto s = statement(kFindPerson);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, resident_id);
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) {
      q.reset();
      return std::optional<Person>();
    }
    if (rc != SQLITE_ROW) return step_error(q, "find person");
    Person person;
    person.person_id = q.int64(0);
    person.resident_id = q.text(1);
    person.name = q.text(2);
    person.name_pinyin = q.text(3);
    person.sex = q.text(4) == "male" ? registry::Sex::male : registry::Sex::female;
    person.birth_date = *Date::parse(q.text(5));
    person.hukou_region = q.text(6);
    person.phone = q.text(7);
    person.retirement_category = q.text(8);
    person.scheme = *registry::parse_scheme(q.text(9));
    person.scheme_region = q.text(10);
    if (!q.is_null(11)) person.flexible_base_ratio = *Decimal::parse(q.text(11));
    q.reset();
    return std::optional<Person>(std::move(person));
  }

  Result<std::optional<Employer>> find_employer(std::string_view credit_code) override {
    auto s = statement(kFindEmployer);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, credit_code);
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) {
      q.reset();
      return std::optional<Employer>();
    }
    if (rc != SQLITE_ROW) return step_error(q, "find employer");
    Employer employer;
    employer.employer_id = q.int64(0);
    employer.credit_code = q.text(1);
    employer.name = q.text(2);
    employer.region = q.text(3);
    employer.size = *registry::parse_employer_size(q.text(4));
    employer.unit_type = *registry::parse_unit_type(q.text(5));
    q.reset();
    return std::optional<Employer>(std::move(employer));
  }

  // From the unique index of credit codes alone; an id found is kept for the
  // connection's life (until a rollback: it may have been found inside the
  // transaction undone). Each employer is looked up once per month's file.
  Result<std::optional<std::int64_t>> find_employer_id(std::string_view credit_code) override {
    if (const auto kept = employer_ids_.find(credit_code); kept != employer_ids_.end()) {
      return std::optional<std::int64_t>(kept->second);
    }
    auto found = id_of(kFindEmployerId, credit_code, "find employer id");
    if (found && *found) employer_ids_.emplace(std::string(credit_code), **found);
    return found;
  }

  // The id that `sql` (one text parameter, one integer column) finds for `key`, if any.
  Result<std::optional<std::int64_t>> id_of(const char* sql, std::string_view key, const char* what) {
    auto s = statement(sql);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, key);
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) {
      q.reset();
      return std::optional<std::int64_t>();
    }
    if (rc != SQLITE_ROW) return step_error(q, what);
    const std::int64_t id = q.int64(0);
    q.reset();
    return std::optional<std::int64_t>(id);
  }

  Result<std::optional<std::int64_t>> find_person_id(std::string_view resident_id) override {
    std::uint64_t key = 0;
    const bool cacheable = PersonIdCache::key_of(resident_id, key);
    if (cacheable) {
      if (!person_ids_.loaded() && person_lookups_ >= 0 && ++person_lookups_ >= next_cache_check_) {
        if (auto ok = load_person_ids(); !ok) return tl::unexpected(ok.error());
      }
      if (person_ids_.loaded()) {
        if (auto found = person_ids_.find(key)) return found;
      }
    }
    auto found = id_of(kFindPersonId, resident_id, "find person id");
    if (found && *found && cacheable && person_ids_.loaded()) person_ids_.insert(key, **found);
    return found;
  }

  // The cache's slots lie far apart in memory (one miss each): each is asked
  // for a few lookups ahead, so that the misses overlap.
  Result<void> find_person_ids(std::span<const std::string_view> resident_ids,
                               std::vector<std::optional<std::int64_t>>& ids) override {
    constexpr std::size_t kAhead = 32;
    const auto prefetch = [&](std::size_t i) {
      std::uint64_t key = 0;
      if (i < resident_ids.size() && person_ids_.loaded() && PersonIdCache::key_of(resident_ids[i], key)) {
        person_ids_.prefetch(key);
      }
    };
    ids.clear();
    for (std::size_t i = 0; i < kAhead; ++i) prefetch(i);
    for (std::size_t i = 0; i < resident_ids.size(); ++i) {
      prefetch(i + kAhead);
      auto found = find_person_id(resident_ids[i]);
      if (!found) return tl::unexpected(found.error());
      ids.push_back(*found);
    }
    return {};
  }

  Result<bool> employed_in(std::int64_t person_id, std::int64_t employer_id, YearMonth month) override {
    auto s = statement(kEmployedIn);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    const DateText first(Date::first_of(month));
    const DateText last(Date::last_of(month));
    q.bind(1, person_id);
    q.bind(2, employer_id);
    q.bind_static(3, first.view());
    q.bind_static(4, last.view());
    const int rc = sqlite3_step(q.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return step_error(q, "employment");
    q.reset();
    return rc == SQLITE_ROW;
  }

  Result<std::optional<std::vector<std::int64_t>>> employees_in(std::int64_t employer_id, YearMonth month,
                                                                std::size_t limit) override {
    auto s = statement(kEmployeesIn);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    const DateText first(Date::first_of(month));
    const DateText last(Date::last_of(month));
    q.bind(1, employer_id);
    q.bind_static(2, first.view());
    q.bind_static(3, last.view());
    q.bind(4, static_cast<std::int64_t>(limit) + 1);
    std::vector<std::int64_t> ids;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) ids.push_back(q.int64(0));
    if (rc != SQLITE_DONE) return step_error(q, "employees");
    q.reset();
    if (ids.size() > limit) return std::optional<std::vector<std::int64_t>>();
    return std::optional<std::vector<std::int64_t>>(std::move(ids));  // unsorted: the caller hashes them
  }

  Result<void> record_hire(std::int64_t person_id, std::int64_t employer_id, Date hire_date) override {
    auto s = statement(kRecordHire);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, person_id);
    q.bind(2, employer_id);
    const DateText hire(hire_date);
    q.bind_static(3, hire.view());
    return run(q, "record hire");
  }

  Result<void> record_leave(std::int64_t person_id, std::int64_t employer_id, Date leave_date) override {
    auto s = statement(kRecordLeave);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, person_id);
    q.bind(2, employer_id);
    q.bind(3, leave_date.to_string());
    return run(q, "record leave");
  }

  // --- declarations ---
  Result<std::optional<StoredDeclaration>> latest_declaration(std::int64_t employer_id, YearMonth month) override {
    auto s = statement(kLatestDeclaration);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer_id);
    q.bind(2, static_cast<std::int64_t>(month.serial()));
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) {
      q.reset();
      return std::optional<StoredDeclaration>();
    }
    if (rc != SQLITE_ROW) return step_error(q, "latest declaration");
    StoredDeclaration stored{q.int64(0), static_cast<int>(q.int64(1)), q.text(2)};
    q.reset();
    return std::optional<StoredDeclaration>(std::move(stored));
  }

  Result<std::int64_t> insert_declaration(std::int64_t employer_id, YearMonth month, int version,
                                          std::string_view content_hash, std::string_view source,
                                          const std::vector<DeclarationLine>& lines) override {
    // All of it or nothing, whatever the caller does after a failure: a failure
    // rolls the open transaction back (a savepoint around each declaration would
    // copy every page it touches to the statement journal first, about a tenth
    // of the import's work).
    auto stored = store_declaration(employer_id, month, version, content_hash, source, lines);
    if (!stored) rollback();
    return stored;
  }

  Result<std::int64_t> store_declaration(std::int64_t employer_id, YearMonth month, int version,
                                         std::string_view content_hash, std::string_view source,
                                         const std::vector<DeclarationLine>& lines) {
    if (version > 1) {  // a first version has nothing to supersede
      auto s = statement(kSupersede);
      if (!s) return tl::unexpected(s.error());
      (*s)->bind(1, employer_id);
      (*s)->bind(2, static_cast<std::int64_t>(month.serial()));
      if (auto ok = run(**s, "supersede declaration"); !ok) return tl::unexpected(ok.error());
    }
    auto s = statement(kInsertDeclaration);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer_id);
    q.bind(2, static_cast<std::int64_t>(month.serial()));
    q.bind(3, static_cast<std::int64_t>(version));
    q.bind(4, content_hash);
    q.bind(5, source);
    q.bind(6, static_cast<std::int64_t>(lines.size()));
    if (auto ok = run(q, "insert declaration"); !ok) return tl::unexpected(ok.error());
    const std::int64_t declaration_id = sqlite3_last_insert_rowid(db_);
    if (lines.empty()) return declaration_id;
    // One row for all the lines (migration 14), in person order: the import
    // hands them over in that order; a caller that does not is sorted here.
    std::span<const DeclarationLine> in_order(lines);
    std::vector<DeclarationLine> sorted;
    const auto by_person = [](const DeclarationLine& a, const DeclarationLine& b) { return a.person_id < b.person_id; };
    if (!std::is_sorted(lines.begin(), lines.end(), by_person)) {
      sorted = lines;
      std::sort(sorted.begin(), sorted.end(), by_person);
      in_order = sorted;
    }
    for (std::size_t i = 0; i < in_order.size(); ++i) {
      const std::string& event = in_order[i].event;
      if (!event.empty() && event != "hire" && event != "leave") {
        return fail(ErrorCode::invalid_input, "event", "\"" + event + "\" is not hire or leave");
      }
      if (i > 0 && in_order[i].person_id == in_order[i - 1].person_id) {
        return fail(ErrorCode::conflict, "declaration_lines",
                    "person " + std::to_string(in_order[i].person_id) + " is declared twice in one declaration");
      }
    }
    pack_text_.clear();
    sqlite_packs::append_declaration_pack(pack_text_, in_order);
    auto p = statement(kInsertDeclarationPack);
    if (!p) return tl::unexpected(p.error());
    Statement& pack = **p;
    pack.bind(1, declaration_id);
    pack.bind_static(2, pack_text_);
    if (auto ok = run(pack, "insert declaration lines"); !ok) return tl::unexpected(ok.error());
    return declaration_id;
  }

  Result<bool> record_payment(std::int64_t employer_id, YearMonth month, Date paid_on) override {
    settle_written();
    auto s = statement(kRecordPayment);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer_id);
    q.bind(2, static_cast<std::int64_t>(month.serial()));
    q.bind(3, paid_on.to_string());
    if (auto ok = run(q, "record payment"); !ok) return tl::unexpected(ok.error());
    return sqlite3_changes(db_) > 0;
  }

  // --- month run ---
  Result<std::vector<std::int64_t>> declarations_to_book(YearMonth month) override {
    auto s = statement(kDeclarationsToBook);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, static_cast<std::int64_t>(month.serial()));
    std::vector<std::int64_t> ids;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) ids.push_back(q.int64(0));
    if (rc != SQLITE_DONE) return step_error(q, "declarations to book");
    q.reset();
    if (!ids.empty()) start_side_reads(month);
    return ids;
  }

  Result<std::vector<collection::DeclaredPersonMonth>> declared_person_months(std::int64_t declaration_id) override {
    auto s = statement(kDeclaredPersonMonths);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, declaration_id);
    std::vector<collection::DeclaredPersonMonth> rows;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      collection::DeclaredPersonMonth row;
      row.declaration_id = declaration_id;
      row.person_id = q.int64(0);
      row.employer_id = q.int64(1);
      row.employer_region = q.text(2);
      row.employer_size = *registry::parse_employer_size(q.text(3));
      row.unit_type = *registry::parse_unit_type(q.text(4));
      row.month = YearMonth::from_serial(static_cast<int>(q.int64(5)));
      row.declared_wage = Money::from_fen(q.int64(6));
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return step_error(q, "declared person-months");
    q.reset();
    return rows;
  }

  Result<std::vector<collection::DeclaredPersonMonth>> declared_person_months_of(
      std::span<const std::int64_t> declaration_ids) override {
    static const std::string heads_sql = with_placeholders(kDeclarationHeadsIn, kDeclarationsPerQuery);
    static const std::string packs_sql = with_placeholders(kDeclarationPacksIn, kDeclarationsPerQuery);
    // The heads first (what every line of a declaration shares, and its line
    // count), so the rows are allocated once: growing them line by line copied
    // every row several times and touched fresh pages at each doubling.
    std::vector<std::vector<collection::DeclaredPersonMonth>> heads_of_query;
    std::size_t line_count = 0;
    const auto query_ids = [&](std::size_t from) {
      return declaration_ids.subspan(from, std::min(kDeclarationsPerQuery, declaration_ids.size() - from));
    };
    const auto bind_ids = [](Statement& q, std::span<const std::int64_t> ids) {
      for (std::size_t i = 0; i < kDeclarationsPerQuery; ++i) {
        if (i < ids.size()) {
          q.bind(static_cast<int>(i + 1), ids[i]);
        } else {
          q.bind_null(static_cast<int>(i + 1));
        }
      }
    };
    for (std::size_t from = 0; from < declaration_ids.size(); from += kDeclarationsPerQuery) {
      auto s = statement(heads_sql.c_str());
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      bind_ids(q, query_ids(from));
      std::vector<collection::DeclaredPersonMonth>& heads = heads_of_query.emplace_back();
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        collection::DeclaredPersonMonth head;
        head.declaration_id = q.int64(0);
        head.employer_id = q.int64(1);
        head.employer_region = q.text(2);
        head.employer_size = *registry::parse_employer_size(q.text(3));
        head.unit_type = *registry::parse_unit_type(q.text(4));
        head.month = YearMonth::from_serial(static_cast<int>(q.int64(5)));
        line_count += static_cast<std::size_t>(std::max<std::int64_t>(0, q.int64(6)));
        heads.push_back(std::move(head));
      }
      if (rc != SQLITE_DONE) return step_error(q, "declarations");
      q.reset();
    }
    std::vector<collection::DeclaredPersonMonth> rows;
    rows.reserve(line_count);
    for (std::size_t from = 0, query = 0; from < declaration_ids.size(); from += kDeclarationsPerQuery, ++query) {
      const std::vector<collection::DeclaredPersonMonth>& heads = heads_of_query[query];
      auto s = statement(packs_sql.c_str());
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      bind_ids(q, query_ids(from));
      std::size_t head = 0;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        const std::int64_t declaration_id = q.int64(0);
        while (head < heads.size() && heads[head].declaration_id < declaration_id) ++head;
        if (head == heads.size() || heads[head].declaration_id != declaration_id) continue;  // no employer row
        const collection::DeclaredPersonMonth& shared = heads[head];
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 1));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(q.get(), 1));
        const std::int64_t read = sqlite_packs::read_declaration_pack(
            std::string_view(text == nullptr ? "" : text, size), [&](std::int64_t person_id, std::int64_t wage_fen) {
              collection::DeclaredPersonMonth& row = rows.emplace_back(shared);
              row.person_id = person_id;
              row.declared_wage = Money::from_fen(wage_fen);
            });
        if (read < 0) {
          q.reset();
          return fail(ErrorCode::io_error, "declaration " + std::to_string(declaration_id),
                      "its stored lines are not in the form of declaration_line_packs; run shebao verify");
        }
      }
      if (rc != SQLITE_DONE) return step_error(q, "declared person-months");
      q.reset();
    }
    return rows;
  }

  Result<std::vector<StoredPackedEntry>> packed_entries_to_reverse(YearMonth month) override {
    auto s = statement(kPackedToReverse);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, static_cast<std::int64_t>(month.serial()));
    std::vector<StoredPackedEntry> entries;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      const std::int64_t entry_id = q.int64(0);
      if (entries.empty() || entries.back().entry_id != entry_id) {
        StoredPackedEntry stored;
        stored.entry_id = entry_id;
        ledger::PackedEntry& entry = stored.entry;
        entry.month = YearMonth::from_serial(static_cast<int>(q.int64(1)));
        entry.source_id = q.int64(2);
        entry.idempotency_key = ledger::packed_contribution_key(entry.source_id);
        entry.kind = ledger::EntryKind::contribution;
        entry.employer_id = q.int64(3);
        entry.person_id = -entry.employer_id;
        entry.province = static_cast<int>(q.int64(4));
        entries.push_back(std::move(stored));
      }
      entries.back().entry.lines.push_back(ledger::PackedLine{q.int64(5), q.int64(6), q.int64(7), q.int64(8)});
    }
    if (rc != SQLITE_DONE) return step_error(q, "entries to reverse");
    q.reset();
    return entries;
  }

  Result<std::vector<collection::FlexibleMonth>> flexible_months_to_book(YearMonth month) override {
    if (side_marks_.take_flexible(month)) {
      if (SideRows* rows = side_rows(); rows != nullptr && rows->flexible_read) return std::move(rows->flexible);
    }
    auto s = statement(kFlexibleToBook);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, static_cast<std::int64_t>(month.serial()));
    std::vector<collection::FlexibleMonth> rows;
    if (flexible_rows_of(q, month, rows) != SQLITE_DONE) return step_error(q, "flexible months");
    q.reset();
    return rows;
  }

  Result<std::vector<EmployerMonthDues>> employer_dues(YearMonth up_to) override {
    auto s = statement(kEmployerDues);
    if (!s) return tl::unexpected(s.error());
    (*s)->bind(1, static_cast<std::int64_t>(up_to.serial()));
    return dues_rows(**s);
  }

  Result<std::vector<EmployerMonthDues>> employer_dues_to_settle(YearMonth month) override {
    return dues_to_settle(month, std::numeric_limits<int>::min(), month.serial());
  }
  Result<std::vector<EmployerMonthDues>> employer_dues_to_settle(YearMonth month, SettlePart part) override {
    if (part == SettlePart::before) {
      if (side_marks_.take_settle_before(month)) {
        if (SideRows* rows = side_rows(); rows != nullptr && rows->before_read) return std::move(rows->before);
      }
      return dues_to_settle(month, std::numeric_limits<int>::min(), month.serial() - 1);
    }
    auto s = statement(kEmployerDuesWithinMonth);
    if (!s) return tl::unexpected(s.error());
    const DateText last(Date::last_of(month));
    (*s)->bind(1, static_cast<std::int64_t>(month.serial()));
    (*s)->bind_static(2, last.view());
    return dues_rows(**s);
  }
  // The months before `month` are read on a connection of their own: ready once read.
  bool employer_dues_ready(YearMonth month, SettlePart part) override {
    if (part != SettlePart::before || !side_marks_.settle_before_pending(month) || side_.rows || !side_.reading.valid()) {
      return true;
    }
    return side_.reading.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }
  // kEmployerDuesToSettle for `month`, of the months first..last only.
  Result<std::vector<EmployerMonthDues>> dues_to_settle(YearMonth month, int first_month, int last_month) {
    auto s = statement(kEmployerDuesToSettle);
    if (!s) return tl::unexpected(s.error());
    const DateText first(Date::first_of(month));
    (*s)->bind(1, static_cast<std::int64_t>(last_month));
    (*s)->bind_static(2, first.view());
    (*s)->bind(3, static_cast<std::int64_t>(first_month));
    return dues_rows(**s);
  }

  Result<std::vector<EmployerMonthDues>> dues_rows(Statement& q) {
    std::vector<EmployerMonthDues> rows;
    if (dues_rows_of(q, rows) != SQLITE_DONE) return step_error(q, "employer dues");
    q.reset();
    return rows;
  }

  Result<void> add_employer_month(std::int64_t employer_id, YearMonth month, std::int64_t dues_delta_fen,
                                  std::int64_t paid_delta_fen) override {
    employer_month_written(month.serial());
    auto s = statement(kAddEmployerMonth);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, employer_id);
    q.bind(2, static_cast<std::int64_t>(month.serial()));
    q.bind(3, dues_delta_fen);
    q.bind(4, paid_delta_fen);
    return run(q, "employer month");
  }

  // --- ledger ---
  Result<bool> entry_exists(std::string_view idempotency_key) override {
    int first = 0, last = 0;
    if (!settlement_key_run_months(idempotency_key, first, last)) return stored_entry_exists(idempotency_key);
    const std::string key(idempotency_key);
    auto booked = entries_exist(std::span(&key, 1));
    if (!booked) return tl::unexpected(booked.error());
    return booked->front();
  }

  // A row's key, a computed key, or the key of a packed payment's or late fee's
  // line (migration 11): those of the run months the keys can name are read at once.
  Result<std::vector<bool>> entries_exist(std::span<const std::string> keys) override {
    int first = std::numeric_limits<int>::max();
    int last = std::numeric_limits<int>::min();
    for (const std::string& key : keys) {
      int from = 0, to = 0;
      if (settlement_key_run_months(key, from, to)) {
        first = std::min(first, from);
        last = std::max(last, to);
      }
    }
    std::unordered_set<std::string> lines;
    if (first <= last) {
      auto s = statement(kSettlementKeys);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      q.bind(1, static_cast<std::int64_t>(first));
      q.bind(2, static_cast<std::int64_t>(last));
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) lines.insert(q.text(0));
      if (rc != SQLITE_DONE) return step_error(q, "settlement keys");
      q.reset();
    }
    std::vector<bool> booked;
    booked.reserve(keys.size());
    for (const std::string& key : keys) {
      if (lines.contains(key)) {
        booked.push_back(true);
        continue;
      }
      auto exists = stored_entry_exists(key);
      if (!exists) return tl::unexpected(exists.error());
      booked.push_back(*exists);
    }
    return booked;
  }

  Result<bool> stored_entry_exists(std::string_view idempotency_key) {
    std::int64_t source_id = 0;
    std::int64_t person_id = 0;
    YearMonth month;
    const char* sql = kEntryExists;
    if (parse_contribution_key(idempotency_key, source_id)) {
      sql = kContributionExists;
    } else if (parse_flexible_key(idempotency_key, person_id, month)) {
      sql = kFlexibleExists;
    }
    auto s = statement(sql);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    if (sql == kContributionExists) {
      q.bind(1, source_id);
    } else if (sql == kFlexibleExists) {
      q.bind(1, static_cast<std::int64_t>(month.serial()));
      q.bind(2, person_id);
    } else {
      q.bind(1, idempotency_key);
    }
    const int rc = sqlite3_step(q.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return step_error(q, "entry exists");
    q.reset();
    return rc == SQLITE_ROW;
  }

  Result<std::int64_t> book(const ledger::JournalEntry& entry) override {
    flexible_written();
    if (auto ok = ledger::check_entry(entry); !ok) return tl::unexpected(ok.error());
    if (auto ok = check_key(entry); !ok) return tl::unexpected(ok.error());
    if (auto ok = run_sql("SAVEPOINT book"); !ok) return tl::unexpected(ok.error());
    auto booked = insert_entry(entry);
    if (!booked) {
      run_sql("ROLLBACK TO book");
      run_sql("RELEASE book");
      return booked;
    }
    if (auto ok = run_sql("RELEASE book"); !ok) return tl::unexpected(ok.error());
    return booked;
  }

  Result<std::int64_t> insert_entry(const ledger::JournalEntry& entry) {
    auto s = statement(kInsertEntry);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind_static(1, stored_key(entry));
    q.bind(2, entry.person_id);
    q.bind(3, static_cast<std::int64_t>(entry.kind));
    q.bind(4, static_cast<std::int64_t>(entry.month.serial()));
    q.bind(5, entry.source_id);
    if (entry.corrects_entry_id) q.bind(6, *entry.corrects_entry_id);
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_CONSTRAINT) {
      q.reset();
      return fail(ErrorCode::conflict, entry.idempotency_key, "this entry is already booked");
    }
    if (rc != SQLITE_DONE) return step_error(q, "book entry");
    q.reset();
    const std::int64_t entry_id = sqlite3_last_insert_rowid(db_);
    auto p = statement(kInsertPosting);
    if (!p) return tl::unexpected(p.error());
    Statement& posting_statement = **p;
    std::int64_t seq = 0;
    for (const ledger::Posting& posting : entry.postings) {
      posting_statement.bind(1, entry_id);
      posting_statement.bind(2, seq++);
      posting_statement.bind(3, entry.person_id);
      posting_statement.bind(4, static_cast<std::int64_t>(posting.account.kind));
      posting_statement.bind(5, posting.account.owner);
      posting_statement.bind(6, posting.amount_fen);
      if (auto ok = run(posting_statement, "book posting"); !ok) return tl::unexpected(ok.error());
    }
    return entry_id;
  }

  // A savepoint's statements: open, roll back to, release (literals: the
  // statement cache is keyed by the text's address).
  struct Savepoint {
    const char* open;
    const char* rollback;
    const char* release;
  };
  static constexpr Savepoint kBookMany{"SAVEPOINT book_many", "ROLLBACK TO book_many", "RELEASE book_many"};
  static constexpr Savepoint kBookPacked{"SAVEPOINT book_packed", "ROLLBACK TO book_packed", "RELEASE book_packed"};
  static constexpr Savepoint kBookSettlements{"SAVEPOINT book_settlements", "ROLLBACK TO book_settlements",
                                              "RELEASE book_settlements"};
  // Runs `write` inside the savepoint: all of its rows or none (the enclosing
  // transaction stays open either way).
  template <typename Write>
  Result<void> in_savepoint(const Savepoint& savepoint, Write&& write) {
    if (auto ok = run_sql(savepoint.open); !ok) return ok;
    Result<void> written = write();
    if (!written) {
      run_sql(savepoint.rollback);
      run_sql(savepoint.release);
      return written;
    }
    return run_sql(savepoint.release);
  }

  Result<void> book_many(std::span<const ledger::JournalEntry> entries) override {
    flexible_written();
    if (entries.empty()) return {};
    for (const ledger::JournalEntry& entry : entries) {
      if (auto ok = ledger::check_entry(entry); !ok) return tl::unexpected(ok.error());
      if (auto ok = check_key(entry); !ok) return tl::unexpected(ok.error());
    }
    return in_savepoint(kBookMany, [&] { return insert_entries(entries); });
  }

  Result<void> book_packed(std::span<const ledger::PackedEntry> entries) override {
    for (const ledger::PackedEntry& entry : entries) {
      if (auto ok = ledger::check_packed(entry); !ok) return ok;
      if (ReadAhead::changes_flexible(entry.kind)) flexible_written();
    }
    return in_savepoint(kBookPacked, [&] { return insert_packed(entries); });
  }

  Result<void> book_settlements(std::span<const ledger::SettlementEntry> entries) override {
    for (const ledger::SettlementEntry& entry : entries) {
      if (auto ok = ledger::check_settlement(entry); !ok) return ok;
    }
    return in_savepoint(kBookSettlements, [&] { return insert_settlements(entries); });
  }

  Result<std::vector<PersonalYear>> personal_year_activity(int year) override {
    std::unordered_map<std::int64_t, std::string> regions;
    {
      auto s = statement(kPersonRegion);
      if (!s) return tl::unexpected(s.error());
      int rc;
      while ((rc = sqlite3_step((*s)->get())) == SQLITE_ROW) regions[(*s)->int64(0)] = (*s)->text(1);
      if (rc != SQLITE_DONE) return step_error(**s, "person regions");
      (*s)->reset();
    }
    const int first = YearMonth::of(year, 1).serial();
    // Per person: the sum of the months before the year (slot 0) and of each
    // of its months (1..12), in debits (personal accounts are credit-normal).
    std::unordered_map<std::int64_t, std::size_t> slot_of;
    std::vector<std::pair<std::int64_t, std::array<std::int64_t, 13>>> sums;
    const auto add = [&](std::int64_t owner, int month_serial, std::int64_t amount) {
      const auto [at, added] = slot_of.try_emplace(owner, sums.size());
      if (added) sums.emplace_back(owner, std::array<std::int64_t, 13>{});
      std::int64_t& sum = sums[at->second].second[month_serial < first ? 0 : month_serial - first + 1];
      return !__builtin_add_overflow(sum, amount, &sum);
    };
    const auto overflow = [&](std::int64_t owner) {
      return fail(ErrorCode::internal, "personal year",
                  "the amounts of person " + std::to_string(owner) + " exceed 64 bits");
    };
    for (const char* sql : {kPersonalYearPostings, kPersonalYearPacked}) {
      auto s = statement(sql);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      q.bind(1, static_cast<std::int64_t>(first));
      q.bind(2, static_cast<std::int64_t>(first + 12));
      const bool packed = sql == kPersonalYearPacked;
      std::vector<sqlite_packs::EntryLineNumbers> lines;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        if (!packed) {
          if (!add(q.int64(0), static_cast<int>(q.int64(1)), q.int64(2))) {
            const std::int64_t owner = q.int64(0);
            q.reset();
            return overflow(owner);
          }
          continue;
        }
        std::int64_t employer = 0;
        std::int64_t province = 0;
        if (std::string problem = sqlite_packs::read_entry_lines(q.text_view(2), employer, province, lines);
            !problem.empty()) {
          const std::int64_t entry_id = q.int64(0);
          q.reset();
          return fail(ErrorCode::internal, "journal entry " + std::to_string(entry_id),
                      "its packed lines are not of the form (" + problem + "); run `shebao verify`");
        }
        const int month_serial = static_cast<int>(q.int64(1));
        for (const sqlite_packs::EntryLineNumbers& line : lines) {
          if (line.count < 3) continue;  // not of the form: verify names it
          if (!add(line.values[0], month_serial, line.values[2])) {
            q.reset();
            return overflow(line.values[0]);
          }
        }
      }
      if (rc != SQLITE_DONE) return step_error(q, "personal year");
      q.reset();
    }
    std::sort(sums.begin(), sums.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<PersonalYear> rows;
    rows.reserve(sums.size());
    for (const auto& [owner, months] : sums) {
      PersonalYear row;
      row.person_id = owner;
      row.region = regions[owner];
      row.opening_fen = -months[0];
      for (int month = 1; month <= 12; ++month) {
        if (months[month] != 0) row.credits.emplace_back(month, -months[month]);
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  // --- transfers ---
  Result<std::int64_t> insert_transfer(const portability::Transfer& transfer) override {
    auto s = statement(kInsertTransfer);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, transfer.person_id);
    q.bind(2, static_cast<std::int64_t>(transfer.from_province));
    q.bind(3, static_cast<std::int64_t>(transfer.to_province));
    q.bind(4, transfer.requested_on.to_string());
    q.bind(5, portability::to_string(transfer.status));
    if (auto ok = run(q, "insert transfer"); !ok) return tl::unexpected(ok.error());
    return sqlite3_last_insert_rowid(db_);
  }

  Result<void> update_transfer(const portability::Transfer& transfer) override {
    auto s = statement(kUpdateTransfer);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, transfer.transfer_id);
    q.bind(2, portability::to_string(transfer.status));
    q.bind(3, transfer.account_fen);
    q.bind(4, transfer.pooled_fen);
    q.bind(5, transfer.counted_months);
    q.bind(6, transfer.reason);
    return run(q, "update transfer");
  }

  Result<std::optional<portability::Transfer>> find_transfer(std::int64_t transfer_id) override {
    auto rows = transfers_where(kFindTransfer, transfer_id);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<portability::Transfer>();
    return std::optional<portability::Transfer>(std::move(rows->front()));
  }

  Result<std::vector<portability::Transfer>> transfers_of(std::int64_t person_id) override {
    return transfers_where(kTransfersOfPerson, person_id);
  }

  Result<std::optional<registry::Person>> find_person_by_id(std::int64_t person_id) override {
    auto s = statement(kResidentIdOf);
    if (!s) return tl::unexpected(s.error());
    (*s)->bind(1, person_id);
    const int rc = sqlite3_step((*s)->get());
    if (rc == SQLITE_DONE) {
      (*s)->reset();
      return std::optional<registry::Person>();
    }
    if (rc != SQLITE_ROW) return step_error(**s, "person by id");
    const std::string resident_id = (*s)->text(0);
    (*s)->reset();
    return find_person(resident_id);
  }

  Result<std::vector<collection::DeclaredPersonMonth>> person_months_in_province(std::int64_t person_id,
                                                                                 int province) override {
    auto s = statement(kPersonMonthsInProvince);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, person_id);
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%02d%%", province % 100);
    q.bind(2, std::string_view(prefix));
    std::vector<collection::DeclaredPersonMonth> rows;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      collection::DeclaredPersonMonth row;
      row.declaration_id = q.int64(0);
      row.person_id = person_id;
      row.employer_id = q.int64(1);
      row.employer_region = q.text(2);
      row.employer_size = *registry::parse_employer_size(q.text(3));
      row.unit_type = *registry::parse_unit_type(q.text(4));
      row.month = YearMonth::from_serial(static_cast<int>(q.int64(5)));
      row.declared_wage = Money::from_fen(q.int64(6));
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return step_error(q, "person months in province");
    q.reset();
    return rows;
  }

  Result<std::int64_t> personal_balance(std::int64_t person_id) override {
    auto s = statement(kPersonalBalance);
    if (!s) return tl::unexpected(s.error());
    (*s)->bind(1, person_id);
    const int rc = sqlite3_step((*s)->get());
    if (rc != SQLITE_ROW) return step_error(**s, "personal balance");
    const std::int64_t balance = -(*s)->int64(0);
    (*s)->reset();
    return balance;
  }

  // --- checks ---
  using Database::verify;
  Result<std::vector<VerifyCheck>> verify(const VerifyProgress& progress) override;
  // --- analytics ---
  Result<std::optional<YearMonth>> latest_contribution_month() override {
    std::optional<YearMonth> latest;
    for (const char* sql : {kAnalyticsLatestEmployeeMonth, kAnalyticsLatestFlexibleMonth}) {
      auto s = statement(sql);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      const int rc = sqlite3_step(q.get());
      if (rc == SQLITE_ROW && !q.is_null(0)) {
        const YearMonth month = YearMonth::from_serial(static_cast<int>(q.int64(0)));
        if (!latest || *latest < month) latest = month;
      } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return step_error(q, "latest contribution month");
      }
      q.reset();
    }
    return latest;
  }

  Result<std::vector<analytics::RegisteredPerson>> registered_persons() override {
    std::vector<analytics::RegisteredPerson> persons;
    {
      auto s = statement(kAnalyticsPersons);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        analytics::RegisteredPerson p;
        p.person_id = q.int64(0);
        p.resident_id = q.text(1);
        p.name = q.text(2);
        if (auto birth = Date::parse(q.text(3))) p.birth_date = *birth;
        if (auto scheme = registry::parse_scheme(q.text(4))) p.scheme = *scheme;
        p.scheme_region = q.text(5);
        if (!q.is_null(6)) {
          if (auto ratio = Decimal::parse(q.text(6))) p.flexible_base_ratio = *ratio;
        }
        persons.push_back(std::move(p));
      }
      if (rc != SQLITE_DONE) return step_error(q, "persons");
      q.reset();
    }
    return persons;
  }

  // The largest person_id (0 when there are none), at most 2^24: the persons'
  // count when they are dense, to reserve for (beyond it, vectors grow).
  Result<std::int64_t> last_person_id() {
    auto s = statement(kAnalyticsLastPersonId);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    const int rc = sqlite3_step(q.get());
    const std::int64_t last = rc == SQLITE_ROW ? std::clamp<std::int64_t>(q.int64(0), 0, std::int64_t{1} << 24) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return step_error(q, "persons");
    q.reset();
    return last;
  }

  Result<std::vector<analytics::CoverageFacts>> coverage_facts(YearMonth up_to) override {
    std::vector<analytics::CoverageFacts> persons;
    auto last = last_person_id();
    if (!last) return tl::unexpected(last.error());
    persons.reserve(static_cast<std::size_t>(*last));
    {
      auto s = statement(kAnalyticsCoveragePersons);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        analytics::CoverageFacts& p = persons.emplace_back();
        p.person_id = q.int64(0);
        p.resident_key = analytics::resident_id_key(q.view(1)).value_or(0);
        if (auto scheme = registry::parse_scheme(q.view(2))) p.scheme = *scheme;
        p.scheme_province = analytics::scheme_province(q.view(3));
      }
      if (rc != SQLITE_DONE) return step_error(q, "persons");
      q.reset();
    }
    // person_id and declaration_id are dense integer keys: vectors indexed by them, not hash maps.
    constexpr std::uint32_t kAbsent = UINT32_MAX;
    std::vector<std::uint32_t> index;
    for (std::size_t i = 0; i < persons.size(); ++i) {
      if (persons[i].person_id <= 0) continue;
      const auto id = static_cast<std::size_t>(persons[i].person_id);
      if (id >= index.size()) index.resize(std::max(id + 1, index.size() * 2), kAbsent);
      index[id] = static_cast<std::uint32_t>(i);
    }
    auto slot = [&](std::int64_t person_id) -> analytics::CoverageFacts* {
      if (person_id <= 0 || static_cast<std::uint64_t>(person_id) >= index.size()) return nullptr;
      const std::uint32_t i = index[static_cast<std::size_t>(person_id)];
      return i == kAbsent ? nullptr : &persons[i];
    };
    // Declaration -> (month serial, province of the employer).
    std::vector<std::pair<std::int32_t, std::int8_t>> declarations;
    {
      auto s = statement(kAnalyticsDeclarationProvinces);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        const std::int64_t id = q.int64(0);
        if (id <= 0) continue;
        if (static_cast<std::uint64_t>(id) >= declarations.size()) {
          declarations.resize(std::max(static_cast<std::size_t>(id) + 1, declarations.size() * 2), {-1, 0});
        }
        declarations[static_cast<std::size_t>(id)] = {static_cast<std::int32_t>(q.int64(1)),
                                                      static_cast<std::int8_t>(collection::province_of(q.text(2)))};
      }
      if (rc != SQLITE_DONE) return step_error(q, "declarations");
      q.reset();
    }
    std::unordered_set<std::int64_t> reversed;
    {
      auto s = statement(kAnalyticsReversedEntries);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) reversed.insert(q.int64(0));
      if (rc != SQLITE_DONE) return step_error(q, "reversals");
      q.reset();
    }
    // Accumulated in a compact array (16 bytes a person), copied out at the end.
    struct Months {
      std::uint64_t mask = 0;
      std::int32_t last = INT32_MIN;
      std::int32_t province = 0;
    };
    // Indexed by person_id itself (dense), so that each entry touches one place.
    std::vector<Months> months(index.size());
    auto apply = [&](std::int64_t person_id, std::int32_t month, int province) {
      const int back = up_to.serial() - month;
      if (back < 0) return;
      Months& m = months[static_cast<std::size_t>(person_id)];
      if (back < 64) m.mask |= std::uint64_t{1} << back;
      if (month > m.last) {
        m.last = month;
        m.province = province;
      }
    };
    // The entries arrive in declaration order, so the persons they touch are
    // scattered over the array: they are noted in batches whose places are
    // fetched into the cache first, so that the misses overlap (in order: the
    // result is that of noting them one by one).
    struct Noted {
      std::int64_t person_id;
      std::int32_t month;
      std::int32_t province;
    };
    std::array<Noted, 64> batch;
    std::size_t batched = 0;
    auto flush = [&] {
      for (std::size_t i = 0; i < batched; ++i) __builtin_prefetch(&months[static_cast<std::size_t>(batch[i].person_id)], 1);
      for (std::size_t i = 0; i < batched; ++i) apply(batch[i].person_id, batch[i].month, batch[i].province);
      batched = 0;
    };
    auto note = [&](std::int64_t person_id, std::int32_t month, int province) {
      if (person_id <= 0 || static_cast<std::uint64_t>(person_id) >= months.size()) return;
      batch[batched++] = Noted{person_id, month, province};
      if (batched == batch.size()) flush();
    };
    {
      // Employee contributions: (entry, declaration, person) from the covering index of kind 1.
      auto s = statement(kAnalyticsEmployeeContributions);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        if (!reversed.empty() && reversed.contains(q.int64(0))) continue;
        const std::int64_t declaration = q.int64(1);
        if (declaration <= 0 || static_cast<std::uint64_t>(declaration) >= declarations.size()) continue;
        const auto [month, province] = declarations[static_cast<std::size_t>(declaration)];
        if (month < 0) continue;
        if (sqlite_packs::read_declaration_pack(q.text_view(2), [&](std::int64_t person_id, std::int64_t) {
              note(person_id, month, province);
            }) < 0) {
          q.reset();
          return fail(ErrorCode::io_error, "declaration " + std::to_string(declaration),
                      "its stored lines are not in the form of declaration_line_packs; run shebao verify");
        }
      }
      if (rc != SQLITE_DONE) return step_error(q, "contribution entries");
      q.reset();
    }
    {
      // Flexible contributions: (entry, month, person) from the covering index of kind 2.
      auto s = statement(kAnalyticsFlexibleContributions);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      q.bind(1, static_cast<std::int64_t>(up_to.serial()));
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        if (!reversed.empty() && reversed.contains(q.int64(0))) continue;
        // The province the entry was booked in (the person's scheme province
        // then; the scheme may have moved since).
        const std::int64_t person_id = q.int64(2);
        if (slot(person_id) != nullptr)
          note(person_id, static_cast<std::int32_t>(q.int64(1)), static_cast<std::int32_t>(q.int64(3)));
      }
      if (rc != SQLITE_DONE) return step_error(q, "flexible entries");
      q.reset();
    }
    flush();
    for (analytics::CoverageFacts& person : persons) {
      if (person.person_id <= 0) continue;
      const Months& m = months[static_cast<std::size_t>(person.person_id)];
      person.recent_months = m.mask;
      if (m.last != INT32_MIN) {
        person.last_month = m.last;
        person.last_province = static_cast<std::int16_t>(m.province);
      }
    }
    {
      auto s = statement(kAnalyticsTransferPersons);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        if (analytics::CoverageFacts* p = slot(q.int64(0))) p->transfer_requested = true;
      }
      if (rc != SQLITE_DONE) return step_error(q, "transfers");
      q.reset();
    }
    return persons;
  }

  Result<std::vector<analytics::EmployerFacts>> employer_facts(YearMonth up_to) override {
    std::vector<analytics::EmployerFacts> employers;
    std::unordered_map<std::int64_t, std::size_t> index;
    {
      auto s = statement(kAnalyticsEmployers);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        analytics::EmployerFacts facts;
        facts.employer.employer_id = q.int64(0);
        facts.employer.credit_code = q.text(1);
        facts.employer.name = q.text(2);
        facts.employer.region = q.text(3);
        if (auto size = registry::parse_employer_size(q.text(4))) facts.employer.size = *size;
        if (auto type = registry::parse_unit_type(q.text(5))) facts.employer.unit_type = *type;
        index.emplace(facts.employer.employer_id, employers.size());
        employers.push_back(std::move(facts));
      }
      if (rc != SQLITE_DONE) return step_error(q, "employers");
      q.reset();
    }
    auto dues = employer_dues(up_to);
    if (!dues) return tl::unexpected(dues.error());
    for (const EmployerMonthDues& month : *dues) {
      if (month.dues_fen <= month.paid_fen) continue;
      if (auto found = index.find(month.employer_id); found != index.end()) {
        employers[found->second].arrears_fen += month.dues_fen - month.paid_fen;
        ++employers[found->second].unpaid_months;
      }
    }
    auto s = statement(kAnalyticsLateFees);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, static_cast<std::int64_t>(up_to.serial()));
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      if (auto found = index.find(q.int64(0)); found != index.end()) employers[found->second].late_fees_fen = q.int64(1);
    }
    if (rc != SQLITE_DONE) return step_error(q, "late fees");
    q.reset();
    return employers;
  }

  Result<std::vector<analytics::DeclaredLineFact>> declared_lines(YearMonth month) override {
    auto s = statement(kAnalyticsDeclaredLines);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, static_cast<std::int64_t>(month.serial()));
    std::vector<analytics::DeclaredLineFact> lines;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      const std::int64_t employer_id = q.int64(0);
      if (sqlite_packs::read_declaration_pack(q.text_view(1), [&](std::int64_t person_id, std::int64_t wage_fen) {
            lines.push_back(analytics::DeclaredLineFact{person_id, employer_id, wage_fen});
          }) < 0) {
        q.reset();
        return fail(ErrorCode::io_error, "declarations of " + month.to_string(),
                    "stored lines not in the form of declaration_line_packs; run shebao verify");
      }
    }
    if (rc != SQLITE_DONE) return step_error(q, "declaration lines");
    q.reset();
    return lines;
  }

  Result<std::vector<analytics::SimulationPerson>> simulation_persons() override {
    auto s = statement(kAnalyticsSimulationPersons);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    std::vector<analytics::SimulationPerson> persons;
    auto last = last_person_id();
    if (!last) return tl::unexpected(last.error());
    persons.reserve(static_cast<std::size_t>(*last));
    auto view = [&](int column) { return q.view(column); };
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      analytics::SimulationPerson& p = persons.emplace_back();
      p.person_id = q.int64(0);
      p.resident_key = analytics::resident_id_key(view(1)).value_or(0);
      if (auto birth = Date::parse(view(2))) p.birth_date = *birth;
      if (auto scheme = registry::parse_scheme(view(3))) p.scheme = *scheme;
      const std::string_view region = view(4);
      std::from_chars(region.data(), region.data() + region.size(), p.scheme_region);
      if (!q.is_null(5)) {
        if (auto ratio = Decimal::parse(view(5))) p.base_ratio_e4 = analytics::base_ratio_e4(*ratio);
      }
      p.retirement_category = analytics::retirement_category_code(view(6));
      const std::string_view hukou = view(7);
      std::from_chars(hukou.data(), hukou.data() + hukou.size(), p.hukou_region);
    }
    if (rc != SQLITE_DONE) return step_error(q, "persons");
    q.reset();
    return persons;
  }

  Result<std::vector<analytics::SimulationEmployer>> simulation_employers() override {
    auto s = statement(kAnalyticsSimulationEmployers);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    std::vector<analytics::SimulationEmployer> employers;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      analytics::SimulationEmployer& e = employers.emplace_back();
      e.employer_id = q.int64(0);
      const std::string region = q.text(1);
      std::from_chars(region.data(), region.data() + region.size(), e.region);
      if (auto size = registry::parse_employer_size(q.text(2))) e.size = *size;
      if (auto type = registry::parse_unit_type(q.text(3))) e.unit_type = *type;
    }
    if (rc != SQLITE_DONE) return step_error(q, "employers");
    q.reset();
    return employers;
  }

  Result<std::vector<analytics::PensionFacts>> pension_facts(const std::vector<std::int64_t>& person_ids,
                                                             YearMonth up_to) override {
    std::vector<analytics::PensionFacts> facts;
    std::vector<std::vector<int>> months(person_ids.size());
    std::vector<std::int64_t> posting_sum(person_ids.size(), 0);  // posting sign: a credit is negative
    std::unordered_map<std::int64_t, std::size_t> at;
    for (const std::int64_t person_id : person_ids) {
      at.emplace(person_id, facts.size());
      facts.push_back(analytics::PensionFacts{person_id, 0, 0});
    }
    if (facts.empty()) return facts;
    {
      // Packed entries are read once for all the persons asked (a person's
      // own path goes through every declaration of their employers, and
      // through a block of 4,096 persons' lines per flexible month).
      auto s = statement(kAnalyticsStandingPacked);
      if (!s) return tl::unexpected(s.error());
      Statement& q = **s;
      q.bind(1, static_cast<std::int64_t>(up_to.serial()));
      int rc;
      while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        const int month = static_cast<int>(q.int64(1));
        const bool counted = month <= up_to.serial();  // a flexible credit after up_to counts in the balance only
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 2));
        const std::string_view lines(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(q.get(), 2)));
        const bool parsed = for_each_packed_line(lines, [&](std::int64_t person, std::int64_t, std::int64_t personal,
                                                            std::int64_t) {
          const auto it = at.find(person);
          if (it == at.end()) return;
          if (counted) months[it->second].push_back(month);
          posting_sum[it->second] += personal;
        });
        if (!parsed) {
          q.reset();
          return fail(ErrorCode::internal, "journal_entries.lines", "a packed entry is not in its stored form");
        }
      }
      if (rc != SQLITE_DONE) return step_error(q, "packed contributions");
      q.reset();
    }
    for (std::size_t i = 0; i < facts.size(); ++i) {
      auto b = statement(kAnalyticsPersonalPostingRows);
      if (!b) return tl::unexpected(b.error());
      (*b)->bind(1, facts[i].person_id);
      if (sqlite3_step((*b)->get()) != SQLITE_ROW) return step_error(**b, "personal postings");
      posting_sum[i] += (*b)->int64(0);
      (*b)->reset();
      std::sort(months[i].begin(), months[i].end());
      facts[i].contribution_months =
          static_cast<std::int64_t>(std::unique(months[i].begin(), months[i].end()) - months[i].begin());
      facts[i].account_fen = -posting_sum[i];
    }
    return facts;
  }

  Result<Stats> stats() override;

 private:
  Result<std::vector<portability::Transfer>> transfers_where(const char* sql, std::int64_t key) {
    auto s = statement(sql);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    q.bind(1, key);
    std::vector<portability::Transfer> rows;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      portability::Transfer t;
      t.transfer_id = q.int64(0);
      t.person_id = q.int64(1);
      t.from_province = static_cast<int>(q.int64(2));
      t.to_province = static_cast<int>(q.int64(3));
      t.requested_on = *Date::parse(q.text(4));
      t.status = *portability::parse_transfer_status(q.text(5));
      t.account_fen = q.int64(6);
      t.pooled_fen = q.int64(7);
      t.counted_months = q.int64(8);
      t.reason = q.text(9);
      rows.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return step_error(q, "transfers");
    q.reset();
    return rows;
  }

  Result<Statement*> statement(const char* sql) {
    auto& slot = statements_[sql];
    if (!slot) slot = std::make_unique<Statement>();
    if (auto ok = slot->prepare(db_, sql); !ok) return tl::unexpected(ok.error());
    slot->reset();
    return slot.get();
  }

  tl::unexpected<Error> error(const char* what, const std::string& message) {
    const int code = sqlite3_errcode(db_);
    const ErrorCode mapped = (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN ||
                              code == SQLITE_BUSY || code == SQLITE_READONLY)
                                 ? ErrorCode::io_error
                                 : ErrorCode::internal;
    return fail(mapped, std::string("sqlite: ") + what, message);
  }
  tl::unexpected<Error> step_error(Statement& q, const char* what) {
    auto e = error(what, sqlite3_errmsg(db_));
    q.reset();
    return e;
  }

  Result<void> run(Statement& q, const char* what) {
    const int rc = sqlite3_step(q.get());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return step_error(q, what);
    q.reset();
    return {};
  }

  // A statement without parameters or rows, prepared once.
  Result<void> run_sql(const char* sql) {
    auto s = statement(sql);
    if (!s) return tl::unexpected(s.error());
    return run(**s, sql);
  }

  Result<std::int64_t> single_int(Statement& q, const char* what) {
    const int rc = sqlite3_step(q.get());
    if (rc != SQLITE_ROW) return step_error(q, what);
    const std::int64_t value = q.int64(0);
    sqlite3_step(q.get());  // finish RETURNING
    q.reset();
    return value;
  }

  Result<std::int64_t> scalar(const char* sql) {
    auto s = statement(sql);
    if (!s) return tl::unexpected(s.error());
    const int rc = sqlite3_step((*s)->get());
    if (rc != SQLITE_ROW) return step_error(**s, "query");
    const std::int64_t value = (*s)->int64(0);
    (*s)->reset();
    return value;
  }

  // A check whose query returns (count of failures, one example).
  Result<VerifyCheck> check(std::string name, const char* count_sql, const char* failure_sql) {
    VerifyCheck result;
    result.name = std::move(name);
    auto checked = scalar(count_sql);
    if (!checked) return tl::unexpected(checked.error());
    result.checked = *checked;
    auto s = statement(failure_sql);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      if (result.failures == 0) result.first_failure = q.text(0);
      ++result.failures;
    }
    if (rc != SQLITE_DONE) return step_error(q, "verify");
    q.reset();
    return result;
  }

  // One row per packed entry, its postings as the JSON of migration 8 (storage/packed_lines.h).
  Result<void> insert_packed(std::span<const ledger::PackedEntry> entries) {
    auto s = statement(kInsertPacked);
    if (!s) return tl::unexpected(s.error());
    for (const ledger::PackedEntry& entry : entries) {
      packed_json_.clear();
      append_packed_lines(packed_json_, entry);
      const bool computed =  // migrations 8 and 9
          entry.kind == ledger::EntryKind::contribution || entry.kind == ledger::EntryKind::flexible_contribution;
      if (auto ok = insert_packed_row(**s, computed ? std::string_view("") : std::string_view(entry.idempotency_key),
                                      entry.idempotency_key, entry.person_id, entry.kind, entry.month,
                                      entry.source_id, entry.corrects_entry_id);
          !ok) {
        return ok;
      }
    }
    return {};
  }

  // One row per packed settlement entry (migration 11), its lines as storage/packed_lines.h writes them.
  Result<void> insert_settlements(std::span<const ledger::SettlementEntry> entries) {
    auto s = statement(kInsertPacked);
    if (!s) return tl::unexpected(s.error());
    for (const ledger::SettlementEntry& entry : entries) {
      packed_json_.clear();
      append_settlement_lines(packed_json_, entry);
      if (auto ok = insert_packed_row(**s, entry.idempotency_key, entry.idempotency_key, entry.person_id,
                                      ledger::EntryKind::settlement, entry.month, 0, std::nullopt);
          !ok) {
        return ok;
      }
    }
    return {};
  }

  // kInsertPacked of one row whose `lines` are packed_json_; a key booked
  // already is a conflict naming `key`.
  Result<void> insert_packed_row(Statement& q, std::string_view stored, const std::string& key,
                                 std::int64_t person_id, ledger::EntryKind kind, YearMonth month,
                                 std::int64_t source_id, const std::optional<std::int64_t>& corrects_entry_id) {
    q.bind_static(1, stored);
    q.bind(2, person_id);
    q.bind(3, static_cast<std::int64_t>(kind));
    q.bind(4, static_cast<std::int64_t>(month.serial()));
    q.bind(5, source_id);
    if (corrects_entry_id) {
      q.bind(6, *corrects_entry_id);
    } else {
      q.bind_null(6);
    }
    q.bind_static(7, packed_json_);
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_CONSTRAINT) {
      q.reset();
      return fail(ErrorCode::conflict, key, "this entry is already booked");
    }
    if (rc != SQLITE_DONE) return step_error(q, "book packed entry");
    q.reset();
    return {};
  }

  // The entries with ids after the largest in use (the caller holds the write
  // transaction), kRowsPerInsert rows per statement; then their postings.
  Result<void> insert_entries(std::span<const ledger::JournalEntry> entries) {
    auto first_id = scalar(kMaxEntryId);
    if (!first_id) return tl::unexpected(first_id.error());
    const std::int64_t base_id = *first_id + 1;
    static const std::string many_entries = multi_row_insert(kInsertEntryWithId, kRowsPerInsert);
    static const std::string many_postings = multi_row_insert(kInsertPosting, kRowsPerInsert);
    const auto bind_entry = [](Statement& q, int base, std::int64_t entry_id, const ledger::JournalEntry& entry) {
      q.bind(base + 1, entry_id);
      q.bind_static(base + 2, stored_key(entry));
      q.bind(base + 3, entry.person_id);
      q.bind(base + 4, static_cast<std::int64_t>(entry.kind));
      q.bind(base + 5, static_cast<std::int64_t>(entry.month.serial()));
      q.bind(base + 6, entry.source_id);
      if (entry.corrects_entry_id) {
        q.bind(base + 7, *entry.corrects_entry_id);
      } else {
        q.bind_null(base + 7);
      }
    };
    const auto conflict_or = [&](Statement& q, const char* what, std::string_view key) -> Result<void> {
      const int rc = sqlite3_step(q.get());
      if (rc == SQLITE_DONE) {
        q.reset();
        return {};
      }
      if (rc == SQLITE_CONSTRAINT) {
        q.reset();
        return fail(ErrorCode::conflict, std::string(key), "an entry of this batch is already booked");
      }
      return step_error(q, what);
    };
    std::size_t done = 0;
    if (entries.size() >= kRowsPerInsert) {
      auto s = statement(many_entries.c_str());
      if (!s) return tl::unexpected(s.error());
      for (; done + kRowsPerInsert <= entries.size(); done += kRowsPerInsert) {
        for (std::size_t k = 0; k < kRowsPerInsert; ++k) {
          bind_entry(**s, static_cast<int>(k * 7), base_id + static_cast<std::int64_t>(done + k), entries[done + k]);
        }
        if (auto ok = conflict_or(**s, "book entries", entries[done].idempotency_key); !ok) return ok;
      }
    }
    if (done < entries.size()) {
      auto s = statement(kInsertEntryWithId);
      if (!s) return tl::unexpected(s.error());
      for (; done < entries.size(); ++done) {
        bind_entry(**s, 0, base_id + static_cast<std::int64_t>(done), entries[done]);
        if (auto ok = conflict_or(**s, "book entry", entries[done].idempotency_key); !ok) return ok;
      }
    }
    // Postings: (entry, seq) in order, grouped across entries.
    struct Row {
      std::int64_t entry_id;
      std::int64_t seq;
      std::int64_t person_id;
      const ledger::Posting* posting;
    };
    std::vector<Row> rows;
    rows.reserve(entries.size() * 3);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::int64_t seq = 0;
      for (const ledger::Posting& posting : entries[i].postings) {
        rows.push_back(Row{base_id + static_cast<std::int64_t>(i), seq++, entries[i].person_id, &posting});
      }
    }
    const auto bind_posting = [](Statement& q, int base, const Row& row) {
      q.bind(base + 1, row.entry_id);
      q.bind(base + 2, row.seq);
      q.bind(base + 3, row.person_id);
      q.bind(base + 4, static_cast<std::int64_t>(row.posting->account.kind));
      q.bind(base + 5, row.posting->account.owner);
      q.bind(base + 6, row.posting->amount_fen);
    };
    done = 0;
    if (rows.size() >= kRowsPerInsert) {
      auto s = statement(many_postings.c_str());
      if (!s) return tl::unexpected(s.error());
      for (; done + kRowsPerInsert <= rows.size(); done += kRowsPerInsert) {
        for (std::size_t k = 0; k < kRowsPerInsert; ++k) bind_posting(**s, static_cast<int>(k * 6), rows[done + k]);
        if (auto ok = run(**s, "book postings"); !ok) return ok;
      }
    }
    if (done < rows.size()) {
      auto s = statement(kInsertPosting);
      if (!s) return tl::unexpected(s.error());
      for (; done < rows.size(); ++done) {
        bind_posting(**s, 0, rows[done]);
        if (auto ok = run(**s, "book posting"); !ok) return ok;
      }
    }
    return {};
  }

  // Decides, after enough single lookups, whether to load every person at once.
  Result<void> load_person_ids() {
    auto max_id = scalar(kMaxPersonId);
    if (!max_id) return tl::unexpected(max_id.error());
    const std::int64_t persons = *max_id;  // ids are rowids, never reused: an upper bound of the count
    if (persons > kPersonCacheLimit) {
      person_lookups_ = -1;  // too many to hold: one by one for good
      return {};
    }
    if (person_lookups_ < persons / kPersonCacheLookupsPerPerson) {
      next_cache_check_ = persons / kPersonCacheLookupsPerPerson;
      return {};
    }
    auto s = statement(kAllPersonIds);
    if (!s) return tl::unexpected(s.error());
    Statement& q = **s;
    person_ids_.reserve(static_cast<std::size_t>(persons));
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 0));
      const std::string_view id(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(q.get(), 0)));
      std::uint64_t key = 0;
      if (PersonIdCache::key_of(id, key)) person_ids_.insert(key, q.int64(1));
    }
    if (rc != SQLITE_DONE) {
      person_ids_.clear();
      return step_error(q, "load person ids");
    }
    q.reset();
    return {};
  }

  sqlite3* db_;
  std::map<const char*, std::unique_ptr<Statement>> statements_;
  std::string packed_json_;  // reused by insert_packed
  std::string pack_text_;    // reused by store_declaration
  PersonIdCache person_ids_;
  std::int64_t person_lookups_ = 0;   // single lookups so far; -1: never load the cache
  std::int64_t next_cache_check_ = 1024;
  std::unique_ptr<WalCheckpointer> checkpointer_;
  // A month run's reads on a connection of their own (read_side_rows), started
  // with the month's declarations; a part is taken once, and only while this
  // connection's writes since cannot have changed it (side_marks_,
  // storage/read_ahead.h). The month's payments are read by the run itself.
  struct SideReadState {
    std::future<SideRows> reading;
    std::optional<SideRows> rows;  // once read
  };
  SideReadState side_;
  ReadAhead side_marks_;

  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  void flexible_written() { side_marks_.flexible_written(in_transaction()); }
  void settle_written() { side_marks_.settle_written(in_transaction(), true); }
  void employer_month_written(int month) { side_marks_.employer_month_written(in_transaction(), month); }
  void transaction_ended() { side_marks_.transaction_ended(); }
  // Starts the side reads of `month`'s run (see SideReadState); a file
  // database only. The read of the previous run, if any, is waited for.
  void start_side_reads(YearMonth month) {
    side_ = SideReadState{};
    side_marks_.stopped();
    const char* file = sqlite3_db_filename(db_, "main");
    if (file == nullptr || *file == '\0') return;
    const bool flexible = side_marks_.may_read_flexible();
    const bool before = side_marks_.may_read_settle(month);
    if (!flexible && !before) return;
    side_.reading = std::async(std::launch::async, read_side_rows, std::string(file), month, flexible, before);
    side_marks_.started(month, flexible, before);
  }
  // The side reads' rows, waited for; null when none were started.
  SideRows* side_rows() {
    if (!side_.rows && side_.reading.valid()) side_.rows = side_.reading.get();
    return side_.rows ? &*side_.rows : nullptr;
  }
  // find_employer_id's: credit code -> employer_id (heterogeneous lookup by view).
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  std::unordered_map<std::string, std::int64_t, TextHash, std::equal_to<>> employer_ids_;
};

Result<std::vector<VerifyCheck>> SqliteDatabase::verify(const VerifyProgress& progress) {
  struct Definition {
    const char* name;
    const char* count_sql;
    const char* failure_sql;
  };
  const Definition definitions[] = {
      // Packed entries (migration 8): every line (three postings) sums to zero,
      // so the entry does.
      {"journal entries sum to zero", "SELECT COUNT(*) FROM journal_entries",
       "SELECT 'entry ' || entry_id || ' sums to ' || SUM(amount_fen) FROM postings GROUP BY entry_id "
       "HAVING SUM(amount_fen) <> 0 "
       // Each packed entry read once (entry_packs.h); one not of the form is the
       // form check's.
       "UNION ALL SELECT 'entry ' || e.entry_id || ': ' || packed_unbalanced_line(e.lines) FROM journal_entries e "
       "WHERE e.lines IS NOT NULL AND e.kind <> 9 AND packed_unbalanced_line(e.lines) IS NOT NULL"},
      {"journal entries have at least two postings", "SELECT COUNT(*) FROM journal_entries",
       "SELECT 'entry ' || e.entry_id || ' (' || " SHEBAO_ENTRY_KEY("e") " || ') has ' || COUNT(p.entry_id) || ' postings' "
       "FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.entry_id WHERE e.lines IS NULL "
       "GROUP BY e.entry_id HAVING COUNT(p.entry_id) < 2 "
       "UNION ALL SELECT 'entry ' || e.entry_id || ' (' || " SHEBAO_ENTRY_KEY("e") " || ') has ' || "
       "packed_posting_count(e.lines) || ' postings' FROM journal_entries e "
       "WHERE e.lines IS NOT NULL AND e.kind <> 9 AND packed_posting_count(e.lines) < 2"},
      {"packed entries are well-formed",
       "SELECT COUNT(*) FROM journal_entries WHERE lines IS NOT NULL OR kind IN (1, 2)",
       // Kind 1 or 2, or kind 8 reversing a packed entry, exactly when `lines`
       // is set; no posting row; the form of migration 8 (packed_entry_problem,
       // entry_packs.h: its employer the negated person_id, for kind 2 employer
       // 0, person_id its first line's person, every line's person in that
       // person's block and not before it, no source, no correction; each
       // person once).
       "SELECT 'entry ' || entry_id || ' of kind ' || kind || ' ' || problem FROM (SELECT e.entry_id, e.kind, CASE "
       "WHEN (e.lines IS NOT NULL) <> (e.kind IN (1, 2, 9) OR (e.kind = 8 AND EXISTS (SELECT 1 FROM journal_entries o "
       "WHERE o.entry_id = e.corrects_entry_id AND o.lines IS NOT NULL))) "
       "THEN CASE WHEN e.lines IS NULL THEN 'has no packed lines' ELSE 'has packed lines, which its kind has not' END "
       "WHEN e.lines IS NULL OR e.kind = 9 THEN NULL "
       "WHEN EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = e.entry_id) THEN 'has posting rows beside its lines' "
       "ELSE packed_entry_problem(e.kind, e.person_id, e.source_id, e.corrects_entry_id, e.lines) END AS problem "
       "FROM journal_entries e) WHERE problem IS NOT NULL "
       // Payments and late fees packed (kind 9, migration 11): the form of
       // storage/packed_lines.h (settlement_entry_problem: at least one line;
       // person_id the first line's employer, negated; employers positive,
       // ascending, in the first one's block; amounts positive; a payment's date
       // a date and its month up to the run month); no source, no correction, no
       // posting row; the key that of the first line.
       "UNION ALL SELECT 'entry ' || entry_id || ' of kind 9 ' || problem FROM (SELECT e.entry_id, CASE "
       "WHEN settlement_entry_problem(e.person_id, e.month, e.lines) IS NOT NULL "
       "THEN settlement_entry_problem(e.person_id, e.month, e.lines) "
       "WHEN e.source_id <> 0 OR e.corrects_entry_id IS NOT NULL THEN 'has a source or a correction' "
       "WHEN EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = e.entry_id) THEN 'has posting rows beside its lines' "
       "WHEN EXISTS (SELECT 1 FROM json_each(e.lines, '$.settlements') j WHERE j.key = 0 "
       "AND e.idempotency_key IS NOT " SHEBAO_SETTLEMENT_KEY("e", "j") ") THEN 'has a key not its first line''s' "
       "END AS problem FROM journal_entries e INDEXED BY journal_settlement WHERE e.kind = 9) WHERE problem IS NOT NULL"},
      // A payment's or late fee's key (its line's, migration 11, or its row's) is booked once.
      {"a payment or late fee is booked once",
       "SELECT (SELECT COUNT(*) FROM journal_entries WHERE kind IN (3, 4)) + (SELECT "
       "COALESCE(SUM(json_array_length(e.lines, '$.settlements')), 0) FROM journal_entries e WHERE e.kind = 9)",
       // Every key at once (repeated_settlement_key, entry_packs.h: the lines'
       // keys as SHEBAO_SETTLEMENT_KEY writes them, the rows' own).
       "SELECT repeated FROM (SELECT repeated_settlement_key(e.month, CASE WHEN e.kind = 9 THEN e.lines END, "
       "e.idempotency_key) AS repeated FROM journal_entries e WHERE e.kind IN (3, 4, 9)) WHERE repeated IS NOT NULL"},
      // A person's line is in one of the month's packed flexible payments at
      // most. An entry's lines lie in its first person's block (checked with its
      // form): the persons of each month and block at once (repeated_line_person).
      {"a flexible worker's month is booked once", "SELECT COUNT(*) FROM journal_entries WHERE kind = 2",
       "SELECT repeated || ' of month ' || printf('%04d-%02d', month / 12, month % 12 + 1) FROM (SELECT e.month, "
       "repeated_line_person(e.lines) AS repeated FROM journal_entries e INDEXED BY journal_flexible WHERE e.kind = 2 "
       "GROUP BY e.month, e.person_id / " SHEBAO_FLEXIBLE_BLOCK ") WHERE repeated IS NOT NULL"},
      {"no posting without its journal entry", "SELECT COUNT(*) FROM postings",
       "SELECT 'posting ' || p.entry_id || '#' || p.seq FROM postings p "
       "WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.entry_id = p.entry_id)"},
      {"no duplicate idempotency key", "SELECT COUNT(*) FROM journal_entries",
       // Unique among the text keys, among the contributions' declarations,
       // among the flexible payments' (month, person); no text key looks like a
       // computed one; every row has the form of its kind: together, no two
       // entries have the same key.
       "SELECT idempotency_key FROM journal_entries WHERE kind NOT IN (1, 2) GROUP BY idempotency_key "
       "HAVING COUNT(*) > 1 "
       "UNION ALL SELECT 'contribution/' || source_id FROM journal_entries WHERE kind = 1 "
       "GROUP BY source_id HAVING COUNT(*) > 1 "
       "UNION ALL SELECT 'flexible/' || person_id || '/' || printf('%04d-%02d', month / 12, month % 12 + 1) "
       "FROM journal_entries WHERE kind = 2 "
       "GROUP BY month, person_id HAVING COUNT(*) > 1 "
       "UNION ALL SELECT idempotency_key FROM journal_entries WHERE kind NOT IN (1, 2) "
       "AND ((idempotency_key >= 'contribution/' AND idempotency_key < 'contribution0') "
       "OR (idempotency_key >= 'flexible/' AND idempotency_key < 'flexible0')) "
       "UNION ALL SELECT 'entry ' || entry_id || ' of kind ' || kind || ' stores key \"' || idempotency_key || '\"' "
       "FROM journal_entries WHERE (kind IN (1, 2)) <> (idempotency_key = '') "
       "OR (kind = 2 AND (month < 12 OR month >= 120000))"},
      {"postings carry their entry's person_id", "SELECT COUNT(*) FROM postings",
       "SELECT 'posting ' || p.entry_id || '#' || p.seq FROM postings p JOIN journal_entries e "
       "ON e.entry_id = p.entry_id WHERE p.person_id <> e.person_id"},
      {"reversals negate the entry they correct, once",
       "SELECT COUNT(*) FROM journal_entries WHERE corrects_entry_id IS NOT NULL",
       "SELECT 'reversal ' || r.entry_id FROM journal_entries r LEFT JOIN journal_entries o "
       "ON o.entry_id = r.corrects_entry_id WHERE r.corrects_entry_id IS NOT NULL AND (o.entry_id IS NULL OR "
       "(SELECT COUNT(*) FROM journal_entries x WHERE x.corrects_entry_id = r.corrects_entry_id) > 1 OR EXISTS ("
       "SELECT 1 FROM postings a WHERE a.entry_id = r.entry_id AND NOT EXISTS (SELECT 1 FROM postings b "
       "WHERE b.entry_id = o.entry_id AND b.seq = a.seq AND b.account_kind = a.account_kind "
       "AND b.account_owner = a.account_owner AND b.amount_fen = -a.amount_fen)) "
       // A packed reversal: the same employer, province and persons in the same
       // order, every amount negated.
       "OR (r.lines IS NOT NULL AND (o.lines IS NULL OR (r.lines ->> '$.employer') IS NOT (o.lines ->> '$.employer') "
       "OR (r.lines ->> '$.province') IS NOT (o.lines ->> '$.province') "
       "OR json_array_length(r.lines, '$.lines') IS NOT json_array_length(o.lines, '$.lines') "
       "OR EXISTS (SELECT 1 FROM json_each(r.lines, '$.lines') a JOIN json_each(o.lines, '$.lines') b "
       "ON b.key = a.key WHERE (a.value ->> 0) IS NOT (b.value ->> 0) OR (a.value ->> 1) IS NOT -(b.value ->> 1) "
       "OR (a.value ->> 2) IS NOT -(b.value ->> 2) OR (a.value ->> 3) IS NOT -(b.value ->> 3)))))"},
      // A declaration's lines are one pack (migration 14, declaration_packs.h):
      // valid JSON, one array per line of three integers (person, wage, days)
      // and, on a line with an event, the event and its date; persons in
      // ascending order, each once; as many lines as the declaration counts; no
      // pack without its declaration.
      {"declaration lines are packed whole, each person once in order",
       "SELECT COUNT(*) FROM declarations",
       "SELECT 'declaration ' || p.declaration_id || ': ' || declaration_pack_problem(p.lines) "
       "FROM declaration_line_packs p WHERE declaration_pack_problem(p.lines) IS NOT NULL "
       "UNION ALL SELECT 'declaration ' || declaration_id || ' counts ' || line_count || ' lines, its pack ' || n "
       "FROM (SELECT d.declaration_id, d.line_count, CASE WHEN p.lines IS NULL THEN 0 "
       "WHEN declaration_pack_problem(p.lines) IS NULL THEN declaration_pack_size(p.lines) END AS n FROM declarations d "
       "LEFT JOIN declaration_line_packs p ON p.declaration_id = d.declaration_id) WHERE n <> line_count "
       "UNION ALL SELECT 'pack ' || p.declaration_id || ' has no declaration' FROM declaration_line_packs p "
       "WHERE NOT EXISTS (SELECT 1 FROM declarations d WHERE d.declaration_id = p.declaration_id)"},
      // A declaration has at most one contribution entry (journal_contribution);
      // its lines, each person once (checked above), are the declaration's
      // lines: as many, and each one of them.
      {"every line of a booked declaration has exactly one contribution entry",
       "SELECT COALESCE(SUM(declaration_pack_size(p.lines)), 0) FROM declaration_line_packs p "
       "WHERE EXISTS (SELECT 1 FROM journal_entries e WHERE e.kind = 1 AND e.source_id = p.declaration_id)",
       "SELECT 'declaration ' || e.source_id || ' has ' || " SHEBAO_PACK_LINE_COUNT("e.source_id") " || "
       "' lines, its entry ' || COALESCE(packed_line_count(e.lines), 'none') FROM journal_entries e "
       "WHERE e.kind = 1 AND " SHEBAO_PACK_LINE_COUNT("e.source_id") " IS NOT packed_line_count(e.lines)"},
      {"no contribution entry without its declaration line",
       "SELECT COUNT(*) FROM journal_entries WHERE kind = 1",
       // Each entry read once with its declaration's pack (entry_packs.h).
       "SELECT 'contribution/' || source_id || ' person ' || missing FROM (SELECT e.source_id, "
       "entry_persons_without(e.lines, (SELECT l.lines FROM declaration_line_packs l "
       "WHERE l.declaration_id = e.source_id)) AS missing FROM journal_entries e WHERE e.kind = 1) "
       "WHERE missing IS NOT NULL"},
      // The per-person reads reach a person's packed lines through the person's
      // employers (SHEBAO_SQLITE_PERSON_LINES).
      {"every declared person has an employment spell at the employer",
       "SELECT COALESCE(SUM(declaration_pack_size(lines)), 0) FROM declaration_line_packs",
       // A pack read once, with the persons of its employer's spells.
       "SELECT 'declaration ' || declaration_id || ' person ' || missing FROM (SELECT d.declaration_id, "
       "pack_persons_without(p.lines, (SELECT group_concat(s.person_id) FROM employment_spells s "
       "WHERE s.employer_id = d.employer_id)) AS missing FROM declarations d "
       "JOIN declaration_line_packs p ON p.declaration_id = d.declaration_id) WHERE missing IS NOT NULL"},
      {"employer-month dues equal the booked receivables",
       "SELECT COUNT(*) FROM employer_months",
       // Each (employer, month) of either side: the kept totals minus the booked
       // ones (a side without the row counts 0) must be zero. One pass of each
       // side and a grouping (a full outer join with the aggregate was quadratic).
       "WITH differences AS (SELECT employer_id, month, dues_fen AS dues, paid_fen AS paid FROM employer_months "
       "UNION ALL SELECT p.account_owner, e.month, "
       "-SUM(CASE WHEN e.kind IN (1, 8) THEN p.amount_fen ELSE 0 END), "
       "-SUM(CASE WHEN e.kind = 3 THEN -p.amount_fen ELSE 0 END) "
       "FROM postings p JOIN journal_entries e ON e.entry_id = p.entry_id WHERE p.account_kind = 3 "
       "GROUP BY p.account_owner, e.month "
       // A packed entry's employer is -person_id (checked with its form above);
       // packed flexible payments (kind 2) have none.
       "UNION ALL SELECT -e.person_id, e.month, -packed_amount_sum(e.lines, 1), 0 "
       "FROM journal_entries e WHERE e.lines IS NOT NULL AND e.kind NOT IN (2, 9) "
       // Packed payments (migration 11): each line names its employer and month.
       "UNION ALL SELECT j.value ->> 1, j.value ->> 3, 0, -SUM(j.value ->> 4) "
       "FROM journal_entries e INDEXED BY journal_settlement CROSS JOIN json_each(e.lines, '$.settlements') j "
       "WHERE e.kind = 9 AND (j.value ->> 0) = 3 GROUP BY j.value ->> 1, j.value ->> 3) "
       "SELECT 'employer ' || employer_id || ' month ' || month FROM differences GROUP BY employer_id, month "
       "HAVING SUM(dues) <> 0 OR SUM(paid) <> 0"},
      {"only the latest declaration of an employer-month is current", "SELECT COUNT(*) FROM declarations",
       "SELECT 'employer ' || employer_id || ' month ' || month FROM declarations WHERE superseded = 0 "
       "GROUP BY employer_id, month HAVING COUNT(*) > 1"},
  };
  std::vector<VerifyCheck> checks;
  for (const Definition& definition : definitions) {
    auto result = check(definition.name, definition.count_sql, definition.failure_sql);
    if (!result) return tl::unexpected(result.error());
    checks.push_back(std::move(*result));
    if (progress) progress(checks.size(), std::size(definitions));
  }
  return checks;
}

Result<Stats> SqliteDatabase::stats() {
  Stats stats;
  struct Field {
    std::int64_t* target;
    const char* sql;
  };
  const Field fields[] = {
      {&stats.persons, "SELECT COUNT(*) FROM persons"},
      {&stats.employers, "SELECT COUNT(*) FROM employers"},
      {&stats.declarations, "SELECT COUNT(*) FROM declarations"},
      // Packed lines and amounts read by entry_packs.h's functions, an entry
      // at a time; a pack or entry not of the form counts nothing (verify names it).
      {&stats.declaration_lines, "SELECT COALESCE(SUM(declaration_pack_size(lines)), 0) FROM declaration_line_packs"},
      {&stats.journal_entries, "SELECT COUNT(*) FROM journal_entries"},
      // Packed postings (migrations 8 and 9) counted one by one, as in `postings`.
      {&stats.postings,
       "SELECT (SELECT COUNT(*) FROM postings) + (SELECT COALESCE(SUM(packed_posting_count(lines)), 0) "
       "FROM journal_entries WHERE lines IS NOT NULL AND kind <> 9) + (SELECT "
       "2 * COALESCE(SUM(json_array_length(e.lines, '$.settlements')), 0) FROM journal_entries e WHERE e.kind = 9)"},
      {&stats.personal_account_balance_fen,
       "SELECT (SELECT COALESCE(-SUM(amount_fen), 0) FROM postings WHERE account_kind = 1) - (SELECT "
       "COALESCE(SUM(packed_amount_sum(lines, 2)), 0) FROM journal_entries WHERE lines IS NOT NULL AND kind <> 9)"},
      {&stats.pooled_fund_balance_fen,
       "SELECT (SELECT COALESCE(-SUM(amount_fen), 0) FROM postings WHERE account_kind = 2) - (SELECT "
       "COALESCE(SUM(packed_amount_sum(lines, 3)), 0) FROM journal_entries WHERE lines IS NOT NULL AND kind <> 9) + "
       "(SELECT COALESCE(SUM(settlement_amount_sum(lines, 4)), 0) FROM journal_entries WHERE kind = 9)"},
      // Amount 0 of a packed flexible payment (kind 2) is the collection bank;
      // a packed payment's line (kind 9) credits the receivable, a late fee's debits it.
      {&stats.receivable_balance_fen,
       "SELECT (SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE account_kind = 3) + (SELECT "
       "COALESCE(SUM(packed_amount_sum(lines, 1)), 0) FROM journal_entries WHERE lines IS NOT NULL "
       "AND kind NOT IN (2, 9)) + (SELECT COALESCE(SUM(settlement_amount_sum(lines, 4) - "
       "settlement_amount_sum(lines, 3)), 0) FROM journal_entries WHERE kind = 9)"},
  };
  for (const Field& field : fields) {
    auto value = scalar(field.sql);
    if (!value) return tl::unexpected(value.error());
    *field.target = *value;
  }
  return stats;
}

// The bulk jobs' checkpoints (wal_checkpointer.h): the thread copies back once
// a commit leaves 16 MiB in the WAL. Measured on a month run at a million
// persons (the twelfth, copies of one database, six alternating runs each):
// median wall time 0.77 s with SQLite's own checkpoints, 0.705 s with these.
constexpr int kBackgroundCheckpointPages = 2048;

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite(const std::string& path, Workload workload) {
  // No memory statistics, and the page cache without a scan at every commit
  // (sqlite_page_cache.h).
  configure_sqlite_process();
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close_v2(db);
    return fail(ErrorCode::io_error, path, "cannot open the database: " + message);
  }
  sqlite3_busy_timeout(db, 10000);
  if (sqlite_packs::register_declaration_pack_functions(db) != SQLITE_OK ||
      sqlite_packs::register_entry_pack_functions(db) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db);
    sqlite3_close_v2(db);
    return fail(ErrorCode::io_error, path, "cannot use the database: " + message);
  }
  auto database = std::make_unique<SqliteDatabase>(db);
  // page_size only takes effect on a new, empty file (8 KiB pages: shallower
  // B-trees, fewer page writes for the bulk jobs); it must precede the switch to WAL.
  // mmap_size (bulk work): reads come from the mapped file instead of copies into
  // the page cache (SQLite clamps it to its build's limit, 2 GiB by default).
  // Month runs and request work: see Workload (a month run at a million persons
  // without the mapping: about the same CPU time in its twelfth month, about
  // 10 % more in its first, peak memory 154 and 288 MiB instead of 238 and 846).
  // cache_size: 256 MiB for imports; 32 MiB for month runs, whose pages are
  // mostly read once: every page of a larger cache is memory touched for the
  // first time, and on a virtual machine that first touch is the costly part
  // (at a million persons, the twelfth month's run on copies of one database,
  // six alternating runs each: median wall time 0.86 s and 1.00 s of CPU with
  // 256 MiB, 0.725 s and 0.87 s with 32 MiB, 0.72 s with 16 MiB; peak memory
  // 165 and 98 MiB).
  // wal_autocheckpoint: a checkpoint every 8192 pages (64 MiB) instead of 1000,
  // so pages written by several commits are copied back once; durability is
  // unchanged (WAL, synchronous=NORMAL); journal_size_limit bounds the WAL file
  // left behind by a checkpoint. The bulk jobs checkpoint on a thread of their
  // own instead (start_checkpointer).
  const bool bulk = workload != Workload::requests;
  const bool mapped = workload == Workload::bulk;
  const char* cache_size = workload == Workload::bulk        ? "PRAGMA cache_size = -262144"
                           : workload == Workload::month_run ? "PRAGMA cache_size = -32768"
                                                             : "PRAGMA cache_size = -16384";
  for (const char* pragma : {"PRAGMA page_size = 8192", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                             "PRAGMA foreign_keys = OFF", "PRAGMA temp_store = MEMORY", cache_size,
                             mapped ? "PRAGMA mmap_size = 2147418112" : "PRAGMA mmap_size = 0",
                             "PRAGMA wal_autocheckpoint = 8192", "PRAGMA journal_size_limit = 67108864"}) {
    if (auto ok = database->exec(pragma); !ok) {
      return fail(ErrorCode::io_error, path, "cannot use the database: " + ok.error().message);
    }
  }
  if (bulk) database->start_checkpointer(kBackgroundCheckpointPages);
  return std::unique_ptr<Database>(std::move(database));
}

}  // namespace shebao::storage
