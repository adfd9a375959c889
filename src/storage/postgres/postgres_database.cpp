#include "storage/postgres/postgres_database.h"
#include "storage/postgres/pg_values.h"

#include "storage/packed_lines.h"
#include "storage/read_ahead.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <thread>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace shebao::storage {
namespace {

using registry::Employer;
using registry::Person;

// ---------------------------------------------------------------------------
// Migrations: append only, the same versions and descriptions as the SQLite
// backend's; each writes the PostgreSQL form of that step. A released
// migration is never edited.
//
// Distribution (Citus, docs/architecture.md §6): every person-keyed table has
// person_id first in its primary key and in each unique index; employer-keyed
// tables have employer_id; no foreign keys. A resident ID is unique through
// resident_ids (keyed by the ID itself), not through a unique index on persons.
struct Migration {
  int version;
  const char* description;
  const char* sql;
};

const Migration kMigrations[] = {
    {1, "registry, declarations, payments, ledger",
     R"SQL(
CREATE SEQUENCE person_ids;
CREATE SEQUENCE employer_ids;
-- Reserved by the backend in blocks of 1024 (nextval returns the first of a block).
CREATE SEQUENCE declaration_ids INCREMENT BY 1024;
CREATE SEQUENCE entry_ids INCREMENT BY 1024;
CREATE TABLE resident_ids (
  resident_id TEXT PRIMARY KEY,
  person_id BIGINT NOT NULL
);
CREATE TABLE persons (
  person_id BIGINT PRIMARY KEY,
  resident_id TEXT NOT NULL,
  name TEXT NOT NULL,
  name_pinyin TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL,
  birth_date DATE NOT NULL,
  hukou_region TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  retirement_category TEXT NOT NULL,
  scheme TEXT NOT NULL,
  scheme_region TEXT NOT NULL DEFAULT '',
  flexible_base_ratio TEXT
);
CREATE TABLE employers (
  employer_id BIGINT PRIMARY KEY DEFAULT nextval('employer_ids'),
  credit_code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  region TEXT NOT NULL,
  size TEXT NOT NULL,
  unit_type TEXT NOT NULL
);
CREATE TABLE employment_spells (
  person_id BIGINT NOT NULL,
  employer_id BIGINT NOT NULL,
  hire_date DATE NOT NULL,
  leave_date DATE,
  PRIMARY KEY (person_id, employer_id, hire_date)
);
CREATE TABLE declarations (
  declaration_id BIGINT NOT NULL,
  employer_id BIGINT NOT NULL,
  month INTEGER NOT NULL,
  version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  source TEXT NOT NULL,
  line_count INTEGER NOT NULL,
  superseded BOOLEAN NOT NULL DEFAULT FALSE,
  PRIMARY KEY (employer_id, declaration_id),
  UNIQUE (employer_id, month, version)
);
CREATE INDEX declarations_by_month ON declarations (month, superseded);
-- A line carries its declaration's employer and month: the month run reads
-- lines without the declarations table (on Citus, without a cross-shard join).
CREATE TABLE declaration_lines (
  person_id BIGINT NOT NULL,
  declaration_id BIGINT NOT NULL,
  employer_id BIGINT NOT NULL,
  month INTEGER NOT NULL,
  wage_fen BIGINT NOT NULL,
  days_worked INTEGER NOT NULL,
  event TEXT NOT NULL DEFAULT '',
  event_date DATE,
  PRIMARY KEY (person_id, declaration_id)
);
CREATE INDEX declaration_lines_by_declaration ON declaration_lines (declaration_id);
CREATE TABLE payments (
  employer_id BIGINT NOT NULL,
  month INTEGER NOT NULL,
  paid_on DATE NOT NULL,
  PRIMARY KEY (employer_id, month)
);
CREATE TABLE employer_months (
  employer_id BIGINT NOT NULL,
  month INTEGER NOT NULL,
  dues_fen BIGINT NOT NULL,
  paid_fen BIGINT NOT NULL,
  PRIMARY KEY (employer_id, month)
);
CREATE TABLE journal_entries (
  person_id BIGINT NOT NULL,   -- distribution key; an employer's entries: -employer_id
  entry_id BIGINT NOT NULL,
  idempotency_key TEXT NOT NULL,
  kind SMALLINT NOT NULL,
  month INTEGER NOT NULL,
  source_id BIGINT NOT NULL,
  corrects_entry_id BIGINT,
  PRIMARY KEY (entry_id, person_id)  -- ids ascend: new rows go to the right edge of the index
);
CREATE INDEX journal_by_correction ON journal_entries (corrects_entry_id) WHERE corrects_entry_id IS NOT NULL;
CREATE TABLE postings (
  person_id BIGINT NOT NULL,
  entry_id BIGINT NOT NULL,
  seq SMALLINT NOT NULL,
  account_kind SMALLINT NOT NULL,
  account_owner BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  PRIMARY KEY (entry_id, seq, person_id)
);
)SQL"},
    // As SQLite's migration 2: a contribution's key is (declaration, person), a
    // flexible payment's (person, month); stored as '' and unique as integers.
    // Every unique index includes person_id, as Citus requires (a key names
    // its person, so unique with its person is unique); each leads with the
    // column the lookups name (the key, the declaration, the month).
    {2, "access paths for imports and month runs; contribution and flexible keys as integers",
     R"SQL(
CREATE INDEX employment_by_employer ON employment_spells (employer_id, leave_date, hire_date) INCLUDE (person_id);
CREATE INDEX persons_flexible ON persons (person_id) INCLUDE (scheme_region, flexible_base_ratio) WHERE scheme = 'flexible';
ALTER TABLE journal_entries ADD CONSTRAINT computed_keys_stored_empty CHECK ((kind IN (1, 2)) = (idempotency_key = ''));
CREATE UNIQUE INDEX journal_key ON journal_entries (idempotency_key, person_id) WHERE kind NOT IN (1, 2);
CREATE UNIQUE INDEX journal_contribution ON journal_entries (source_id, person_id) WHERE kind = 1;
CREATE UNIQUE INDEX journal_flexible ON journal_entries (month, person_id) WHERE kind = 2;
)SQL"},
    {3, "transfers between provinces",
     R"SQL(
CREATE SEQUENCE transfer_ids;
CREATE TABLE transfers (
  person_id BIGINT NOT NULL,
  transfer_id BIGINT NOT NULL DEFAULT nextval('transfer_ids'),
  from_province INTEGER NOT NULL,
  to_province INTEGER NOT NULL,
  requested_on DATE NOT NULL,
  status TEXT NOT NULL,
  account_fen BIGINT NOT NULL DEFAULT 0,
  pooled_fen BIGINT NOT NULL DEFAULT 0,
  counted_months BIGINT NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (person_id, transfer_id)
);
CREATE INDEX transfers_by_id ON transfers (transfer_id);
)SQL"},
    // SQLite's migration 4 reorders its tables; here: the month run's arrears
    // query reads the employer-months still to settle from a partial index
    // instead of scanning all history (dues not yet paid in full), and
    // recent payment dates from their own index.
    {4, "flexible workers' index covers the month run's query; employment spells by employer",
     R"SQL(
CREATE INDEX employer_months_unsettled ON employer_months (month) WHERE dues_fen <> paid_fen;
CREATE INDEX payments_by_date ON payments (paid_on);
)SQL"},
    // As SQLite's migration 5: the HTTP API's tables (storage/api_store.h,
    // storage/postgres/postgres_api_store.cpp) and the per-person read paths.
    // None of the API tables is person-keyed (they are keyed by login, token,
    // sequence number, user or upload id), so none is distributed by person_id:
    // on Citus api_users, api_sessions, api_idempotency and api_uploads are
    // reference tables (small, read by every request on any node);
    // audit_log and audit_head stay local tables on the coordinator (one chain,
    // one writer, group commits; docs/architecture.md §6). No foreign keys.
    // Indexes: journal_by_person and postings_by_account as on SQLite;
    // employment_spells' primary key (person_id, employer_id, hire_date)
    // already leads with person_id, so employment_by_person is that key here
    // (no second index).
    {5, "HTTP API: users, sessions, audit log, idempotency, uploads; per-person read paths",
     R"SQL(
CREATE SEQUENCE api_user_ids;
CREATE TABLE api_users (
  user_id BIGINT PRIMARY KEY DEFAULT nextval('api_user_ids'),
  login TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  person TEXT NOT NULL DEFAULT '',
  employer TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE api_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
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
  count BIGINT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE api_idempotency (
  user_id BIGINT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body BYTEA NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE SEQUENCE api_upload_ids;
CREATE TABLE api_uploads (
  upload_id BIGINT PRIMARY KEY DEFAULT nextval('api_upload_ids'),
  employer TEXT NOT NULL,
  created_at TEXT NOT NULL,
  summary TEXT NOT NULL,
  feedback TEXT NOT NULL
);
CREATE INDEX journal_by_person ON journal_entries (person_id, month);
CREATE INDEX postings_by_account ON postings (account_kind, account_owner);
)SQL"},
    // Person search, as SQLite's migration 6: the keys (byte order, COLLATE "C",
    // for prefix ranges) and the queue, filled by statement-level triggers with
    // transition tables (one INSERT per statement, so a COPY-fed merge of a
    // million persons queues them in one go). On Citus the two tables are
    // reference tables and the triggers need citus.enable_unsafe_triggers.
    {6, "person search: name keys and the queue of persons to index",
     R"SQL(
CREATE TABLE person_search_keys (
  key TEXT COLLATE "C" NOT NULL,
  person_id BIGINT NOT NULL,
  PRIMARY KEY (key, person_id)
);
CREATE INDEX person_search_keys_by_person ON person_search_keys (person_id);
CREATE TABLE person_search_queue (person_id BIGINT PRIMARY KEY);
INSERT INTO person_search_queue (person_id) SELECT person_id FROM persons;
CREATE FUNCTION person_search_queue_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO person_search_queue (person_id) SELECT person_id FROM inserted ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER person_search_on_insert AFTER INSERT ON persons REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION person_search_queue_inserted();
CREATE FUNCTION person_search_queue_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO person_search_queue (person_id)
  SELECT n.person_id FROM renamed_new n JOIN renamed_old o ON o.person_id = n.person_id
  WHERE n.name IS DISTINCT FROM o.name OR n.name_pinyin IS DISTINCT FROM o.name_pinyin
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER person_search_on_rename AFTER UPDATE ON persons
  REFERENCING OLD TABLE AS renamed_old NEW TABLE AS renamed_new
  FOR EACH STATEMENT EXECUTE FUNCTION person_search_queue_renamed();
)SQL"},
    // --- Review queue of suspected duplicate persons and the merge log
    // (storage/api_store.h; matching/merge_log.h semantics). Persons are named
    // by resident ID; a merge never deletes or rewrites a person row.
    {7, "review queue of suspected duplicate persons; merge log",
     R"SQL(
CREATE SEQUENCE review_pair_ids;
CREATE TABLE review_pairs (
  pair_id BIGINT PRIMARY KEY DEFAULT nextval('review_pair_ids'),
  person_a TEXT NOT NULL,
  person_b TEXT NOT NULL,
  probability DOUBLE PRECISION NOT NULL,
  weight DOUBLE PRECISION NOT NULL,
  evidence TEXT NOT NULL,
  source TEXT NOT NULL,
  found_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'merged', 'dismissed')),
  decided_by TEXT NOT NULL DEFAULT '',
  decided_at TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  merge_sequence BIGINT NOT NULL DEFAULT 0,
  UNIQUE (person_a, person_b),
  CHECK (person_a COLLATE "C" < person_b COLLATE "C")
);
CREATE INDEX review_pairs_by_status ON review_pairs (status, pair_id);
CREATE TABLE person_merges (
  sequence BIGINT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('merge', 'undo')),
  survivor TEXT NOT NULL,
  merged TEXT NOT NULL,
  undoes BIGINT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL,
  pair_id BIGINT NOT NULL
);
CREATE INDEX person_merges_by_survivor ON person_merges (survivor);
CREATE INDEX person_merges_by_merged ON person_merges (merged);
CREATE INDEX person_merges_by_undoes ON person_merges (undoes) WHERE kind = 'undo';
)SQL"},
    // As SQLite's migration 8: contributions packed per declaration
    // (storage/packed_lines.h), one journal entry of kind 1 per declaration
    // (person_id the negated employer, on the employer's shard on Citus) with its
    // postings in `lines`; a reversal of one is one kind-8 entry, amounts
    // negated. Earlier rows are converted the same way.
    {8, "contributions packed per declaration: one journal entry, postings in lines",
     R"SQL(
ALTER TABLE journal_entries ADD COLUMN lines JSON;
CREATE TEMPORARY TABLE m8_person_months ON COMMIT DROP AS
SELECT e.entry_id, e.source_id AS declaration_id, e.person_id, e.month,
       COALESCE(SUM(p.amount_fen) FILTER (WHERE p.account_kind = 3), 0) AS receivable_fen,
       COALESCE(SUM(p.amount_fen) FILTER (WHERE p.account_kind = 1), 0) AS personal_fen,
       COALESCE(SUM(p.amount_fen) FILTER (WHERE p.account_kind = 2), 0) AS pooled_fen,
       MAX(p.account_owner) FILTER (WHERE p.account_kind = 3) AS employer_id,
       MAX(p.account_owner) FILTER (WHERE p.account_kind = 2) AS province,
       (SELECT MIN(r.entry_id) FROM journal_entries r WHERE r.corrects_entry_id = e.entry_id) AS reversal_id
FROM journal_entries e LEFT JOIN postings p ON p.person_id = e.person_id AND p.entry_id = e.entry_id
WHERE e.kind = 1 GROUP BY e.entry_id, e.source_id, e.person_id, e.month;
CREATE TEMPORARY TABLE m8_declarations ON COMMIT DROP AS
SELECT m.declaration_id, COALESCE(MAX(d.employer_id), MAX(m.employer_id)) AS employer_id, MIN(m.month) AS month,
       MIN(m.entry_id) AS entry_id, MIN(m.reversal_id) AS reversal_id,
       COALESCE(MAX(m.province), MAX(substr(r.region, 1, 2)::int), 0) AS province
FROM m8_person_months m LEFT JOIN declarations d ON d.declaration_id = m.declaration_id
LEFT JOIN employers r ON r.employer_id = d.employer_id GROUP BY m.declaration_id;
INSERT INTO employer_months (employer_id, month, dues_fen, paid_fen)
SELECT x.employer_id, x.month, -SUM(m.receivable_fen), 0
FROM m8_person_months m JOIN m8_declarations x ON x.declaration_id = m.declaration_id
WHERE x.reversal_id IS NOT NULL AND m.reversal_id IS NULL GROUP BY x.employer_id, x.month
ON CONFLICT (employer_id, month) DO UPDATE SET dues_fen = employer_months.dues_fen + excluded.dues_fen;
DELETE FROM postings WHERE entry_id IN (SELECT entry_id FROM m8_person_months UNION ALL
                                        SELECT reversal_id FROM m8_person_months WHERE reversal_id IS NOT NULL);
DELETE FROM journal_entries WHERE entry_id IN (SELECT entry_id FROM m8_person_months UNION ALL
                                               SELECT reversal_id FROM m8_person_months WHERE reversal_id IS NOT NULL);
INSERT INTO journal_entries (person_id, entry_id, idempotency_key, kind, month, source_id, corrects_entry_id, lines)
SELECT -x.employer_id, x.entry_id, '', 1, x.month, x.declaration_id, NULL,
       json_build_object('employer', x.employer_id, 'province', x.province, 'lines', (
         SELECT json_agg(json_build_array(m.person_id, m.receivable_fen, m.personal_fen, m.pooled_fen)
                         ORDER BY m.person_id)
         FROM m8_person_months m WHERE m.declaration_id = x.declaration_id))
FROM m8_declarations x;
INSERT INTO journal_entries (person_id, entry_id, idempotency_key, kind, month, source_id, corrects_entry_id, lines)
SELECT -x.employer_id, x.reversal_id, 'reversal/contribution/' || x.declaration_id, 8, x.month, x.declaration_id,
       x.entry_id,
       json_build_object('employer', x.employer_id, 'province', x.province, 'lines', (
         SELECT json_agg(json_build_array(m.person_id, -m.receivable_fen, -m.personal_fen, -m.pooled_fen)
                         ORDER BY m.person_id)
         FROM m8_person_months m WHERE m.declaration_id = x.declaration_id))
FROM m8_declarations x WHERE x.reversal_id IS NOT NULL;
)SQL"},
    // As SQLite's migration 9: flexible workers' payments packed, one journal
    // entry of kind 2 per month, scheme province and block of 4096 person ids
    // (ledger::kFlexibleBlock), person_id its first line's person (a person's
    // entries: journal_flexible_by_person, from the block's start to the
    // person); amount 0 of a line is the collection bank. Earlier rows are
    // converted the same way.
    {9, "flexible payments packed per month, scheme province and block of persons",
     R"SQL(
CREATE TEMPORARY TABLE m9_person_months ON COMMIT DROP AS
SELECT e.entry_id, e.person_id, e.person_id / 4096 AS block, e.month,
       COALESCE(SUM(p.amount_fen) FILTER (WHERE p.account_kind = 4), 0) AS bank_fen,
       COALESCE(SUM(p.amount_fen) FILTER (WHERE p.account_kind = 1), 0) AS personal_fen,
       COALESCE(SUM(p.amount_fen) FILTER (WHERE p.account_kind = 2), 0) AS pooled_fen,
       COALESCE(MAX(p.account_owner) FILTER (WHERE p.account_kind = 4),
                MAX(p.account_owner) FILTER (WHERE p.account_kind = 2), 0) AS province
FROM journal_entries e LEFT JOIN postings p ON p.person_id = e.person_id AND p.entry_id = e.entry_id
WHERE e.kind = 2 AND e.lines IS NULL GROUP BY e.entry_id, e.person_id, e.month;
CREATE TEMPORARY TABLE m9_entries ON COMMIT DROP AS
SELECT month, province, block, MIN(entry_id) AS entry_id, MIN(person_id) AS person_id
FROM m9_person_months GROUP BY month, province, block;
DELETE FROM postings p USING m9_person_months m WHERE p.person_id = m.person_id AND p.entry_id = m.entry_id;
DELETE FROM journal_entries e USING m9_person_months m WHERE e.person_id = m.person_id AND e.entry_id = m.entry_id;
INSERT INTO journal_entries (person_id, entry_id, idempotency_key, kind, month, source_id, corrects_entry_id, lines)
SELECT x.person_id, x.entry_id, '', 2, x.month, 0, NULL,
       json_build_object('employer', 0, 'province', x.province, 'lines', l.lines)
FROM m9_entries x JOIN (
  SELECT month, province, block,
         json_agg(json_build_array(person_id, bank_fen, personal_fen, pooled_fen) ORDER BY person_id) AS lines
  FROM m9_person_months GROUP BY month, province, block) l
  ON l.month = x.month AND l.province = x.province AND l.block = x.block;
CREATE INDEX journal_flexible_by_person ON journal_entries (person_id) WHERE kind = 2;
)SQL"},
    // As SQLite's migration 10: an employer's entries (person_id = -employer_id)
    // leave journal_by_person, which each month's packed contributions,
    // payments and late fees reached on every leaf, and postings_by_account
    // holds the personal accounts' postings only (every read by account names
    // account_kind = 1; the receivables of payments and late fees reached most
    // of its leaves). The arrears query's own indexes (employer_months_unsettled,
    // payments_by_date) are migration 4's; employer_months keeps employer_id
    // first in its key (the distribution rule above), so it is not reordered by
    // month as on SQLite.
    {10, "employer-keyed index entries off the month run's path",
     R"SQL(
DROP INDEX journal_by_person;
CREATE INDEX journal_by_person ON journal_entries (person_id, month) WHERE person_id > 0;
DROP INDEX postings_by_account;
CREATE INDEX postings_by_account ON postings (account_kind, account_owner) WHERE account_kind = 1;
)SQL"},
    // As SQLite's migration 11: a month run's payments and late fees packed, one
    // journal entry of kind 9 per run month and block of 1024 employer ids
    // (ledger::kEmployerBlock), person_id the negated first employer (on that
    // employer's shard on Citus), key its first line's; the rows of the form
    // the month run wrote are converted per entry month and block.
    {11, "payments and late fees packed per run month and block of employers",
     R"SQL(
CREATE INDEX journal_settlement ON journal_entries (month, person_id) WHERE kind = 9;
CREATE TEMPORARY TABLE m11_rows ON COMMIT DROP AS
SELECT e.entry_id, e.kind, e.person_id, -e.person_id AS employer_id, e.month AS entry_month,
       e.idempotency_key AS key, CASE e.kind WHEN 3 THEN a.account_owner ELSE b.account_owner END AS province,
       a.amount_fen, substr(e.idempotency_key, length(CASE e.kind WHEN 3 THEN 'payment/' ELSE 'late_fee/' END) +
                                               length((-e.person_id)::text) + 2) AS rest
FROM journal_entries e JOIN postings a ON a.person_id = e.person_id AND a.entry_id = e.entry_id AND a.seq = 0
JOIN postings b ON b.person_id = e.person_id AND b.entry_id = e.entry_id AND b.seq = 1
WHERE e.kind IN (3, 4) AND e.lines IS NULL AND e.person_id < 0 AND e.source_id = -e.person_id
  AND e.corrects_entry_id IS NULL AND e.month >= 12 AND e.month < 120000 AND a.amount_fen > 0
  AND b.amount_fen = -a.amount_fen
  AND NOT EXISTS (SELECT 1 FROM postings c WHERE c.person_id = e.person_id AND c.entry_id = e.entry_id
                  AND c.seq NOT IN (0, 1))
  AND ((e.kind = 3 AND a.account_kind = 4 AND b.account_kind = 3 AND b.account_owner = -e.person_id)
    OR (e.kind = 4 AND a.account_kind = 3 AND a.account_owner = -e.person_id AND b.account_kind = 2));
CREATE TEMPORARY TABLE m11_lines ON COMMIT DROP AS
SELECT r.*, CASE WHEN r.kind = 3 THEN r.entry_month WHEN r.rest ~ '^[0-9]{4}-[0-9]{2}/'
            THEN substr(r.rest, 1, 4)::int * 12 + substr(r.rest, 6, 2)::int - 1 END AS month,
       CASE r.kind WHEN 3 THEN substr(r.rest, 9, 10) END AS paid_on,
       CASE WHEN r.kind = 3 AND substr(r.rest, 20) ~ '^-?[0-9]{1,18}$' THEN substr(r.rest, 20)::bigint END
         AS paid_before
FROM m11_rows r;
DELETE FROM m11_lines WHERE month IS NULL OR month < 12 OR month >= 120000 OR key IS DISTINCT FROM CASE kind
  WHEN 3 THEN 'payment/' || employer_id || '/' || lpad((month / 12)::text, 4, '0') || '-' ||
              lpad((month % 12 + 1)::text, 2, '0') || '/' || paid_on || '/' || paid_before
  ELSE 'late_fee/' || employer_id || '/' || lpad((month / 12)::text, 4, '0') || '-' ||
       lpad((month % 12 + 1)::text, 2, '0') || '/' || lpad((entry_month / 12)::text, 4, '0') || '-' ||
       lpad((entry_month % 12 + 1)::text, 2, '0') END
  OR (kind = 3 AND paid_on !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') OR (kind = 4 AND month > entry_month);
CREATE TEMPORARY TABLE m11_entries ON COMMIT DROP AS
SELECT entry_month, employer_id / 1024 AS block, MIN(entry_id) AS entry_id, MIN(employer_id) AS employer_id
FROM m11_lines GROUP BY entry_month, employer_id / 1024;
DELETE FROM postings p USING m11_lines m WHERE p.person_id = m.person_id AND p.entry_id = m.entry_id;
DELETE FROM journal_entries e USING m11_lines m WHERE e.person_id = m.person_id AND e.entry_id = m.entry_id;
INSERT INTO journal_entries (person_id, entry_id, idempotency_key, kind, month, source_id, corrects_entry_id, lines)
SELECT -x.employer_id, x.entry_id,
       (SELECT l.key FROM m11_lines l WHERE l.entry_month = x.entry_month AND l.employer_id = x.employer_id
        ORDER BY l.entry_id LIMIT 1),
       9, x.entry_month, 0, NULL, json_build_object('settlements', l.lines)
FROM m11_entries x JOIN (
  SELECT entry_month, employer_id / 1024 AS block,
         json_agg(CASE kind WHEN 3 THEN json_build_array(3, employer_id, province, month, amount_fen, paid_on,
                                                         paid_before)
                  ELSE json_build_array(4, employer_id, province, month, amount_fen) END
                  ORDER BY employer_id, entry_id) AS lines
  FROM m11_lines GROUP BY entry_month, employer_id / 1024) l
  ON l.entry_month = x.entry_month AND l.block = x.block;
)SQL"},
    // Migration 12 (on SQLite the same version changes nothing): a month run
    // writes each employer-month twice, its dues when the month is booked and
    // its payment when the next run settles it (`INSERT ... ON CONFLICT DO
    // UPDATE` of employer_months). Those updates now stay on the row's page
    // (heap-only tuples: no new entry in any index): the page keeps half its
    // room for them (fillfactor 50; pages written before keep their rows, and
    // gain room as their old versions are pruned), and no index names
    // dues_fen or paid_fen. employer_months_unsettled (migration 4) named both
    // in its predicate, so every update inserted into both indexes; the arrears
    // query (kEmployerDuesToSettle) does not read it (the months still to
    // settle also include those paid in full after the month's first day: one
    // scan of the table).
    {12, "employer-month totals updated in place",
     R"SQL(
DROP INDEX IF EXISTS employer_months_unsettled;
ALTER TABLE employer_months SET (fillfactor = 50);
)SQL"},
    // --- A change mark on the matching fields of persons (storage/api_store.h,
    // read_persons_for_matching): every update that changes one of them sets
    // match_changed to the updating transaction's id (64 bits, with its epoch:
    // never wraps); 0 for a person never changed. Transactions commit in any
    // order, so a reader asks for the marks from the oldest transaction still
    // open at its previous read (see postgres_api_store.cpp, kMatchPersons).
    {13, "persons: a change mark on the fields entity resolution compares",
     R"SQL(
ALTER TABLE persons ADD COLUMN match_changed BIGINT NOT NULL DEFAULT 0;
CREATE INDEX persons_match_changed ON persons (match_changed) WHERE match_changed > 0;
CREATE FUNCTION persons_match_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.match_changed := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END $$;
CREATE TRIGGER persons_match_changed BEFORE UPDATE ON persons FOR EACH ROW
  WHEN (OLD.resident_id IS DISTINCT FROM NEW.resident_id OR OLD.name IS DISTINCT FROM NEW.name
        OR OLD.sex IS DISTINCT FROM NEW.sex OR OLD.birth_date IS DISTINCT FROM NEW.birth_date
        OR OLD.phone IS DISTINCT FROM NEW.phone)
  EXECUTE FUNCTION persons_match_changed();
)SQL"},
    // Migration 14 is SQLite's (a declaration's lines packed into one row);
    // PostgreSQL keeps a row per line, which its month run reads with COPY and
    // Citus distributes by person, and records the version so that both
    // backends count the same migrations.
    {14, "declaration lines packed per declaration", ""},
};

// The idempotency key of a journal entry row `e` (see migration 2).
#define SHEBAO_PG_MONTH_TEXT(m) "lpad((" m " / 12)::text, 4, '0') || '-' || lpad((" m " % 12 + 1)::text, 2, '0')"
#define SHEBAO_PG_ENTRY_KEY(e)                                                                     \
  "CASE " e ".kind WHEN 1 THEN 'contribution/' || " e ".source_id "                              \
  "WHEN 2 THEN 'flexible/' || " e ".person_id || '/' || " SHEBAO_PG_MONTH_TEXT(e ".month") " " \
  "ELSE " e ".idempotency_key END"

// The key of line `j` (json_array_elements of 'settlements') of a packed
// settlement entry `e` (migration 11), as SHEBAO_SETTLEMENT_KEY on SQLite; NULL
// where its month is not a number.
#define SHEBAO_PG_LINE_MONTH(j) "(CASE WHEN (" j ".value ->> 3) ~ '^[0-9]{1,9}$' THEN (" j ".value ->> 3)::int END)"
#define SHEBAO_PG_SETTLEMENT_KEY(e, j)                                                                          \
  "CASE " j ".value ->> 0 WHEN '3' THEN 'payment/' ELSE 'late_fee/' END || (" j ".value ->> 1) || '/' || "         \
  SHEBAO_PG_MONTH_TEXT(SHEBAO_PG_LINE_MONTH(j)) " || '/' || CASE " j ".value ->> 0 WHEN '3' THEN (" j              \
  ".value ->> 5) || '/' || (" j ".value ->> 6) ELSE " SHEBAO_PG_MONTH_TEXT(e ".month") " END"

// Amount n (1 receivable, 2 personal, 3 pooled) of a packed line `j.value`, and
// its number of postings (non-zero amounts); see storage/packed_lines.h.
#define SHEBAO_PG_LINE_AMOUNT(n) "(j.value ->> " #n ")::bigint"
#define SHEBAO_PG_LINE_POSTINGS                                                                            \
  "((j.value ->> 1)::bigint <> 0)::int + ((j.value ->> 2)::bigint <> 0)::int + ((j.value ->> 3)::bigint <> 0)::int"

// ---------------------------------------------------------------------------
// Statements, named.
constexpr const char* kFindPerson = R"SQL(
SELECT person_id, resident_id, name, name_pinyin, sex, birth_date, hukou_region, phone, retirement_category, scheme,
       scheme_region, flexible_base_ratio FROM persons WHERE person_id = (SELECT person_id FROM resident_ids
       WHERE resident_id = $1))SQL";
constexpr const char* kFindPersonById = R"SQL(
SELECT person_id, resident_id, name, name_pinyin, sex, birth_date, hukou_region, phone, retirement_category, scheme,
       scheme_region, flexible_base_ratio FROM persons WHERE person_id = $1)SQL";
constexpr const char* kFindPersonId = "SELECT person_id FROM resident_ids WHERE resident_id = $1";
constexpr const char* kAllPersonIds = "SELECT resident_id, person_id FROM resident_ids";
constexpr const char* kAllEmployers = "SELECT employer_id, credit_code, name, region, size, unit_type FROM employers";
constexpr const char* kUpsertEmployer = R"SQL(
INSERT INTO employers (credit_code, name, region, size, unit_type) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (credit_code) DO UPDATE SET name = excluded.name, region = excluded.region, size = excluded.size,
  unit_type = excluded.unit_type
RETURNING employer_id)SQL";
// Persons arrive in a temporary table (COPY); a resident ID gets its person_id
// once (resident_ids), then the person row is inserted or updated; the last row
// of an ID in the batch wins, as row-by-row upserts would.
constexpr const char* kPersonStage = R"SQL(
CREATE TEMPORARY TABLE IF NOT EXISTS person_stage (
  ord INTEGER, resident_id TEXT, name TEXT, name_pinyin TEXT, sex TEXT, birth_date DATE, hukou_region TEXT,
  phone TEXT, retirement_category TEXT, scheme TEXT, scheme_region TEXT, flexible_base_ratio TEXT
) ON COMMIT DELETE ROWS)SQL";
constexpr const char* kCopyPersonStage =
    "COPY person_stage (ord, resident_id, name, name_pinyin, sex, birth_date, hukou_region, phone, "
    "retirement_category, scheme, scheme_region, flexible_base_ratio) FROM STDIN";
constexpr const char* kMergePersonStage = R"SQL(
INSERT INTO resident_ids (resident_id, person_id)
SELECT resident_id, nextval('person_ids') FROM (SELECT resident_id, MIN(ord) AS first FROM person_stage
  GROUP BY resident_id ORDER BY first) s
ON CONFLICT (resident_id) DO NOTHING;
INSERT INTO persons (person_id, resident_id, name, name_pinyin, sex, birth_date, hukou_region, phone,
                     retirement_category, scheme, scheme_region, flexible_base_ratio)
SELECT r.person_id, s.resident_id, s.name, s.name_pinyin, s.sex, s.birth_date, s.hukou_region, s.phone,
       s.retirement_category, s.scheme, s.scheme_region, s.flexible_base_ratio
FROM (SELECT DISTINCT ON (resident_id) * FROM person_stage ORDER BY resident_id, ord DESC) s
JOIN resident_ids r ON r.resident_id = s.resident_id
ON CONFLICT (person_id) DO UPDATE SET name = excluded.name, name_pinyin = excluded.name_pinyin,
  hukou_region = excluded.hukou_region, phone = excluded.phone, retirement_category = excluded.retirement_category,
  scheme = excluded.scheme, scheme_region = excluded.scheme_region, flexible_base_ratio = excluded.flexible_base_ratio;
TRUNCATE person_stage)SQL";
// Many hires at once (the first declarations of a population: every employee
// is hired) go through a temporary table (COPY), not as rows of one INSERT.
constexpr std::size_t kHiresStaged = 512;
constexpr const char* kHireStage =
    "CREATE TEMPORARY TABLE IF NOT EXISTS hire_stage (person_id BIGINT, employer_id BIGINT, hire_date DATE)";
constexpr const char* kCopyHireStage = "COPY hire_stage (person_id, employer_id, hire_date) FROM STDIN";
constexpr const char* kEmployedIn = R"SQL(
SELECT 1 FROM employment_spells WHERE person_id = $1 AND employer_id = $2 AND hire_date <= $4::date
  AND (leave_date IS NULL OR leave_date >= $3::date) LIMIT 1)SQL";
constexpr const char* kLatestDeclaration = R"SQL(
SELECT declaration_id, version, content_hash FROM declarations WHERE employer_id = $1 AND month = $2
ORDER BY version DESC LIMIT 1)SQL";
constexpr const char* kCopyDeclarationLines =
    "COPY declaration_lines (person_id, declaration_id, employer_id, month, wage_fen, days_worked, event, event_date) "
    "FROM STDIN";
// With each declaration its employer's attributes, which the reads of its lines
// take from memory (EmployerAttributes). The contributions booked already are
// looked for among the month's range of declaration ids only (an index range
// of journal_contribution, empty at a month's first run): otherwise the
// planner sorted every contribution entry of the history for a merge anti
// join, a scan that grew with every month booked.
constexpr const char* kDeclarationsToBook = R"SQL(
WITH d AS MATERIALIZED (SELECT declaration_id, employer_id FROM declarations WHERE month = $1 AND NOT superseded)
SELECT d.declaration_id, d.employer_id, r.region, r.size, r.unit_type FROM d
LEFT JOIN employers r ON r.employer_id = d.employer_id
WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.kind = 1 AND e.source_id = d.declaration_id
                  AND e.source_id BETWEEN (SELECT min(declaration_id) FROM d) AND (SELECT max(declaration_id) FROM d))
ORDER BY d.declaration_id)SQL";
// Neither joined to employers nor sorted: a join built a hash of every employer
// for each group of declarations, and the sort by person needs the sort's own
// pass; the two were over half of the read's time in the server.
constexpr const char* kDeclaredPersonMonthsOf = R"SQL(
SELECT l.declaration_id, l.person_id, l.employer_id, l.month, l.wage_fen
FROM declaration_lines l WHERE l.declaration_id = ANY($1::bigint[]))SQL";
// Adds to employer-month totals (binary arrays: employer, month, dues, paid).
constexpr const char* kAddEmployerMonths = R"SQL(
INSERT INTO employer_months (employer_id, month, dues_fen, paid_fen)
SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[])
ON CONFLICT (employer_id, month) DO UPDATE SET dues_fen = employer_months.dues_fen + excluded.dues_fen,
  paid_fen = employer_months.paid_fen + excluded.paid_fen)SQL";
constexpr const char* kEmployerAttributes =
    "SELECT employer_id, region, size, unit_type FROM employers WHERE employer_id = ANY($1::bigint[])";
// `lines` is json (text): each field of it is read once per entry (OFFSET 0 keeps
// the subquery from being evaluated per line), the employer is -person_id.
constexpr const char* kPackedToReverse = R"SQL(
SELECT e.entry_id, e.month, e.source_id, -e.person_id, h.province,
       (j.value ->> 0)::bigint, (j.value ->> 1)::bigint, (j.value ->> 2)::bigint, (j.value ->> 3)::bigint
FROM declarations d JOIN journal_entries e ON e.kind = 1 AND e.source_id = d.declaration_id
CROSS JOIN LATERAL (SELECT (e.lines ->> 'province')::int AS province OFFSET 0) h
CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') WITH ORDINALITY AS j(value, n)
WHERE d.month = $1 AND d.superseded
  AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = e.entry_id)
ORDER BY e.entry_id, j.n)SQL";
// The flexible workers without a line in the month's packed flexible payments.
constexpr const char* kFlexibleToBook = R"SQL(
SELECT p.person_id, p.scheme_region, p.flexible_base_ratio FROM persons p
WHERE p.scheme = 'flexible' AND NOT EXISTS (
  SELECT 1 FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value)
  WHERE e.kind = 2 AND e.month = $1 AND (j.value ->> 0)::bigint = p.person_id)
ORDER BY p.person_id)SQL";
constexpr const char* kEmployerDues = R"SQL(
SELECT m.employer_id, e.region, m.month, m.dues_fen, m.paid_fen, p.paid_on
FROM employer_months m JOIN employers e ON e.employer_id = m.employer_id
LEFT JOIN payments p ON p.employer_id = m.employer_id AND p.month = m.month
WHERE m.month <= $1 ORDER BY m.employer_id, m.month)SQL";
// The rows of kEmployerDues that can still get a payment or a late fee in the
// month: dues not paid in full, and months paid in full whose payment date lies
// after the month's first day. A month with dues and payments both zero and no
// payment date gets neither a payment nor a fee and is not read. One scan of
// employer_months against a hash of the payments dated after the month's first
// day (payments_by_date; most months still to settle are the month just booked,
// paid after it); only a month not paid in full without such a payment looks
// its payment up by key. Written as two joins of the whole history (the months
// not paid in full with every payment, the payments since the first day with
// every month paid in full), the planner, which cannot estimate
// `dues_fen <> paid_fen`, hashed every payment and every paid month of the
// history (at 1,000,000 persons 0.7 s of a month run's 2.4 s in the server).
// `settle` is computed first (MATERIALIZED): with the sort of the result in
// the same plan, the planner merge-joined the whole of employer_months sorted.
constexpr const char* kEmployerDuesToSettle = R"SQL(
WITH settle AS MATERIALIZED (
  SELECT m.employer_id, m.month, m.dues_fen, m.paid_fen, r.paid_on
  FROM employer_months m LEFT JOIN payments r ON r.employer_id = m.employer_id AND r.month = m.month
                                             AND r.paid_on > $2::date AND r.month <= $1
  WHERE m.month <= $1 AND (m.dues_fen <> m.paid_fen OR r.paid_on IS NOT NULL))
SELECT s.employer_id, e.region, s.month, s.dues_fen, s.paid_fen, COALESCE(s.paid_on, p.paid_on)
FROM settle s JOIN employers e ON e.employer_id = s.employer_id
LEFT JOIN LATERAL (SELECT x.paid_on FROM payments x WHERE x.employer_id = s.employer_id AND x.month = s.month
                   AND s.paid_on IS NULL OFFSET 0) p ON TRUE
ORDER BY 1, 3)SQL";
// The same rows for the months before $1 only: what a month run's own writes
// before it settles (the month's dues, its reversals) leave unchanged, read on
// a side connection while the run books its declarations (SideReads). Written
// as the months not paid in full (one scan of employer_months with a filter,
// nothing joined to each row) with the payments dated after the month's first
// day, and the months paid in full with such a payment, looked up by key for
// the payments that match no month not paid in full (few: a payment is booked
// in the run of the month it is dated in): in the twelfth month at 1,000,000
// persons 150-240 ms, against 220-350 ms for one scan of every employer-month
// probing a hash of those payments. The same rows in the same order.
constexpr const char* kEmployerDuesToSettleBefore = R"SQL(
WITH recent AS MATERIALIZED (
  SELECT employer_id, month, paid_on FROM payments WHERE paid_on > $2::date AND month < $1),
open AS MATERIALIZED (
  SELECT employer_id, month, dues_fen, paid_fen FROM employer_months WHERE month < $1 AND dues_fen <> paid_fen),
settle AS (
  SELECT o.employer_id, o.month, o.dues_fen, o.paid_fen, r.paid_on
  FROM open o LEFT JOIN recent r ON r.employer_id = o.employer_id AND r.month = o.month
  UNION ALL
  SELECT m.employer_id, m.month, m.dues_fen, m.paid_fen, r.paid_on
  FROM recent r CROSS JOIN LATERAL (SELECT * FROM employer_months x WHERE x.employer_id = r.employer_id
                                    AND x.month = r.month AND x.dues_fen = x.paid_fen OFFSET 0) m
  WHERE NOT EXISTS (SELECT 1 FROM open o WHERE o.employer_id = r.employer_id AND o.month = r.month))
SELECT s.employer_id, e.region, s.month, s.dues_fen, s.paid_fen, COALESCE(s.paid_on, p.paid_on)
FROM settle s JOIN employers e ON e.employer_id = s.employer_id
LEFT JOIN LATERAL (SELECT x.paid_on FROM payments x WHERE x.employer_id = s.employer_id AND x.month = s.month
                   AND s.paid_on IS NULL OFFSET 0) p ON TRUE
ORDER BY 1, 3)SQL";
// The employers whose payment of month $1 is dated by its last day $2: of the
// month's own dues, only theirs can be settled in its run (a month's dues fall
// due after it).
constexpr const char* kPaymentsWithinMonth =
    "SELECT employer_id FROM payments WHERE month = $1 AND paid_on <= $2::date ORDER BY employer_id";
// The month's own dues of those employers, not paid in full, with that payment's date
// (kEmployerDuesToSettle's columns).
constexpr const char* kEmployerDuesOfMonth = R"SQL(
SELECT m.employer_id, e.region, m.month, m.dues_fen, m.paid_fen, p.paid_on
FROM employer_months m JOIN employers e ON e.employer_id = m.employer_id
JOIN payments p ON p.employer_id = m.employer_id AND p.month = m.month AND p.paid_on <= $3::date
WHERE m.month = $1 AND m.employer_id = ANY($2::bigint[]) AND m.dues_fen <> m.paid_fen
ORDER BY 1)SQL";
// Tables a month run reads that were never analyzed (reltuples -1) or whose
// rows changed since their statistics were gathered by more than they then
// held (plus 1,000): a table analyzed at each doubling, not at each month run
// (autovacuum keeps refining them in the background). A bulk load (the
// import's COPY of declaration lines, the previous month run's entries)
// leaves the planner without statistics until autovacuum comes round,
// asynchronously; planned on an unanalyzed declaration_lines, the read of a
// group of declarations' lines is a scan of every line, once per group.
// journal_entries is analyzed without its `lines` column (refresh_statistics),
// and an ANALYZE of some columns leaves n_mod_since_analyze as it was (the
// rest of the table is still to analyze for autovacuum): its rows only grow,
// so it is measured by its live rows, which ANALYZE sets to what it counted
// (reltuples). Measured by n_mod_since_analyze, it was analyzed again in
// every month run once its entries had doubled once (at 200,000 persons
// 0.3 s of a month run's 2 s in the server).
constexpr const char* kStaleTables = R"SQL(
SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.relid IN ('declaration_lines'::regclass, 'declarations'::regclass, 'journal_entries'::regclass,
                  'employer_months'::regclass, 'payments'::regclass, 'persons'::regclass, 'employers'::regclass)
  AND (c.reltuples < 0 OR CASE WHEN s.relid = 'journal_entries'::regclass THEN s.n_live_tup > 1000 + 2 * c.reltuples
                               ELSE s.n_mod_since_analyze > 1000 + c.reltuples END)
ORDER BY 1)SQL";
constexpr const char* kEntryExists =
    "SELECT 1 FROM journal_entries WHERE kind NOT IN (1, 2) AND idempotency_key = $1 LIMIT 1";
constexpr const char* kEntriesExist =
    "SELECT idempotency_key FROM journal_entries WHERE kind NOT IN (1, 2) AND idempotency_key = ANY($1::text[])";
constexpr const char* kContributionExists = "SELECT 1 FROM journal_entries WHERE kind = 1 AND source_id = $1 LIMIT 1";
// The keys of the packed payments' and late fees' lines (migration 11) of the run months $1 to $2.
constexpr const char* kSettlementKeys =
    "SELECT " SHEBAO_PG_SETTLEMENT_KEY("e", "j") " FROM journal_entries e "
    "CROSS JOIN LATERAL json_array_elements(e.lines -> 'settlements') j(value) "
    "WHERE e.kind = 9 AND e.month BETWEEN $1 AND $2";
constexpr const char* kFlexibleExists =
    "SELECT 1 FROM journal_entries WHERE kind = 2 AND month = $1 AND person_id = $2";
constexpr const char* kCopyEntries =
    "COPY journal_entries (person_id, entry_id, idempotency_key, kind, month, source_id, corrects_entry_id) FROM STDIN";
// Binary format (binary_packed_row, between kBinaryCopyHeader and
// kBinaryCopyTrailer): the server takes each field as it comes, with no scan of
// the text for delimiters and escapes and no integer to parse (the json is
// checked as in text format).
constexpr const char* kCopyPacked =
    "COPY journal_entries (person_id, entry_id, idempotency_key, kind, month, source_id, corrects_entry_id, lines) "
    "FROM STDIN (FORMAT binary)";
constexpr const char* kCopyPostings =
    "COPY postings (person_id, entry_id, seq, account_kind, account_owner, amount_fen) FROM STDIN";
constexpr const char* kPersonalYear = R"SQL(
SELECT owner, month, SUM(amount_fen) FROM (
  SELECT p.account_owner AS owner, e.month AS month, p.amount_fen AS amount_fen
  FROM postings p JOIN journal_entries e ON e.person_id = p.person_id AND e.entry_id = p.entry_id
  WHERE p.account_kind = 1 AND e.month < $2 AND NOT (e.kind = 5 AND e.month >= $1)
  UNION ALL
  SELECT (j.value ->> 0)::bigint, e.month, (j.value ->> 2)::bigint
  FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value)
  WHERE e.lines IS NOT NULL AND e.month < $2) a
GROUP BY owner, month ORDER BY owner, month)SQL";
constexpr const char* kPersonRegion =
    "SELECT person_id, CASE WHEN scheme_region <> '' THEN scheme_region ELSE hukou_region END FROM persons";
// Analytics: whole-table reads for coverage, compliance and simulation.
constexpr const char* kAnalyticsPersons =
    "SELECT person_id, resident_id, name, birth_date, scheme, scheme_region, flexible_base_ratio FROM persons "
    "ORDER BY person_id";
// Per person: months (bit k = month $1 - k) with a contribution not reversed, the
// latest month and the province it was paid in.
constexpr const char* kAnalyticsContributionMonths = R"SQL(
SELECT c.person_id,
       bit_or(CASE WHEN $1 - c.month BETWEEN 0 AND 63 THEN (1::bigint << ($1 - c.month)) ELSE 0 END),
       max(c.month),
       (array_agg(c.province ORDER BY c.month DESC))[1]
FROM (
  SELECT l.person_id, j.month, substr(e.region, 1, 2)::int AS province
  FROM journal_entries j
  JOIN declarations d ON d.declaration_id = j.source_id
  JOIN employers e ON e.employer_id = d.employer_id
  JOIN declaration_lines l ON l.declaration_id = j.source_id  -- the packed entry's persons (verify checks it)
  WHERE j.kind = 1 AND j.month <= $1
    AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = j.entry_id)
  UNION ALL
  SELECT (w.value ->> 0)::bigint, j.month, (j.lines ->> 'province')::int  -- the province booked in
  FROM journal_entries j CROSS JOIN LATERAL json_array_elements(j.lines -> 'lines') w(value)
  WHERE j.kind = 2 AND j.month <= $1
    AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = j.entry_id)
) c GROUP BY c.person_id)SQL";
constexpr const char* kAnalyticsTransferPersons = "SELECT DISTINCT person_id FROM transfers";
constexpr const char* kAnalyticsLatestEmployeeMonth = R"SQL(
SELECT d.month FROM declarations d
WHERE EXISTS (SELECT 1 FROM journal_entries j WHERE j.kind = 1 AND j.source_id = d.declaration_id)
ORDER BY d.month DESC LIMIT 1)SQL";
constexpr const char* kAnalyticsLatestFlexibleMonth = "SELECT max(month) FROM journal_entries WHERE kind = 2";
// Late fees booked as rows (kind 4) and packed (kind 9, migration 11).
constexpr const char* kAnalyticsLateFees = R"SQL(
SELECT employer_id, SUM(fee_fen) FROM (
  SELECT -j.person_id AS employer_id, p.amount_fen AS fee_fen
  FROM journal_entries j JOIN postings p ON p.person_id = j.person_id AND p.entry_id = j.entry_id
  WHERE j.kind = 4 AND p.account_kind = 3 AND j.month <= $1
  UNION ALL
  SELECT (l.value ->> 1)::bigint, (l.value ->> 4)::bigint
  FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'settlements') l(value)
  WHERE e.kind = 9 AND e.month <= $1 AND (l.value ->> 0) = '4') f GROUP BY employer_id)SQL";
constexpr const char* kAnalyticsDeclaredLines = R"SQL(
SELECT l.person_id, l.employer_id, l.wage_fen FROM declarations d
JOIN declaration_lines l ON l.declaration_id = d.declaration_id AND l.employer_id = d.employer_id
WHERE d.month = $1 AND NOT d.superseded)SQL";
constexpr const char* kAnalyticsSimulationPersons =
    "SELECT person_id, resident_id, birth_date, scheme, scheme_region, flexible_base_ratio, retirement_category, "
    "hukou_region FROM persons";
constexpr const char* kAnalyticsSimulationEmployers = "SELECT employer_id, region, size, unit_type FROM employers";
// Of person $1: the months up to $2 with a contribution that stands (not
// reversed: the person's lines of packed employee contributions, kind 1, and
// of packed flexible payments, kind 2), and the personal account's balance
// (credit negative, as kPersonalBalance).
constexpr const char* kAnalyticsPensionFacts = SHEBAO_PG_PERSON_LINES
    "SELECT (SELECT count(DISTINCT m.month) FROM ("
    "SELECT l.month FROM person_lines l WHERE l.kind IN (1, 2) AND l.month <= $2 "
    "AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.corrects_entry_id = l.entry_id)) m), "
    "(SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE account_kind = 1 AND account_owner = $1) "
    "+ (SELECT COALESCE(SUM(personal_fen), 0) FROM person_lines)";
constexpr const char* kInsertTransfer = R"SQL(
INSERT INTO transfers (person_id, from_province, to_province, requested_on, status) VALUES ($1, $2, $3, $4, $5)
RETURNING transfer_id)SQL";
constexpr const char* kUpdateTransfer = R"SQL(
UPDATE transfers SET status = $2, account_fen = $3, pooled_fen = $4, counted_months = $5, reason = $6
WHERE transfer_id = $1)SQL";
constexpr const char* kFindTransfer = R"SQL(
SELECT transfer_id, person_id, from_province, to_province, requested_on, status, account_fen, pooled_fen,
       counted_months, reason FROM transfers WHERE transfer_id = $1)SQL";
constexpr const char* kTransfersOfPerson = R"SQL(
SELECT transfer_id, person_id, from_province, to_province, requested_on, status, account_fen, pooled_fen,
       counted_months, reason FROM transfers WHERE person_id = $1 ORDER BY transfer_id)SQL";
constexpr const char* kPersonMonthsInProvince = R"SQL(
SELECT d.declaration_id, d.employer_id, e.region, e.size, e.unit_type, d.month, l.wage_fen
FROM declaration_lines l JOIN declarations d ON d.employer_id = l.employer_id AND d.declaration_id = l.declaration_id
JOIN employers e ON e.employer_id = d.employer_id
WHERE l.person_id = $1 AND NOT d.superseded AND e.region LIKE $2 ORDER BY d.month)SQL";
constexpr const char* kPersonalBalance = SHEBAO_PG_PERSON_LINES
    "SELECT (SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE account_kind = 1 AND account_owner = $1) "
    "+ (SELECT COALESCE(SUM(personal_fen), 0) FROM person_lines)";

// --- idempotency keys (as the SQLite backend) ---
constexpr std::string_view kContributionPrefix = "contribution/";
constexpr std::string_view kFlexiblePrefix = "flexible/";

bool take_int(std::string_view& text, std::int64_t& value) {
  auto read = std::from_chars(text.data(), text.data() + text.size(), value);
  if (read.ec != std::errc()) return false;
  const std::size_t length = static_cast<std::size_t>(read.ptr - text.data());
  if (text.substr(0, length) != std::to_string(value)) return false;
  text.remove_prefix(length);
  return true;
}
bool parse_contribution_key(std::string_view key, std::int64_t& source_id) {
  if (!key.starts_with(kContributionPrefix)) return false;
  key.remove_prefix(kContributionPrefix.size());
  return take_int(key, source_id) && key.empty();
}
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
std::string_view stored_key(const ledger::JournalEntry& entry) {
  const bool computed =
      entry.kind == ledger::EntryKind::contribution || entry.kind == ledger::EntryKind::flexible_contribution;
  return computed ? std::string_view("") : std::string_view(entry.idempotency_key);
}

// --- COPY text format ---
void copy_text(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}
void copy_int(std::string& out, std::int64_t value) {
  char buffer[24];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}

// One journal_entries row in COPY text (person_id, entry_id, idempotency_key,
// kind, month, source_id, corrects_entry_id), without its line end; a packed
// entry's COPY appends its `lines` after it.
void copy_entry_row(std::string& out, std::int64_t person_id, std::int64_t entry_id, std::string_view key,
                    ledger::EntryKind kind, YearMonth month, std::int64_t source_id,
                    const std::optional<std::int64_t>& corrects_entry_id) {
  copy_int(out, person_id);
  out += '\t';
  copy_int(out, entry_id);
  out += '\t';
  copy_text(out, key);
  out += '\t';
  copy_int(out, static_cast<std::int64_t>(kind));
  out += '\t';
  copy_int(out, month.serial());
  out += '\t';
  copy_int(out, source_id);
  out += '\t';
  if (corrects_entry_id) {
    copy_int(out, *corrects_entry_id);
  } else {
    out += "\\N";
  }
}

// COPY's binary format: the header (signature, flags 0, no extension) and the trailer.
constexpr std::string_view kBinaryCopyHeader("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
constexpr std::string_view kBinaryCopyTrailer("\377\377", 2);

// A non-null integer field of a binary COPY row (or array element): its
// length, then its bytes.
inline void put_binary_int(std::string& out, std::int64_t value, int bytes) {
  pg::put_big_endian(out, static_cast<std::uint32_t>(bytes), 4);
  pg::put_big_endian(out, static_cast<std::uint64_t>(value), bytes);
}

// One row of kCopyPacked in binary format: copy_entry_row's columns, then
// `lines`, the json that append_lines(out) writes.
template <typename AppendLines>
void binary_packed_row(std::string& out, std::int64_t person_id, std::int64_t entry_id, std::string_view key,
                       ledger::EntryKind kind, YearMonth month, std::int64_t source_id,
                       const std::optional<std::int64_t>& corrects_entry_id, AppendLines&& append_lines) {
  pg::put_big_endian(out, 8, 2);  // fields
  put_binary_int(out, person_id, 8);
  put_binary_int(out, entry_id, 8);
  pg::put_big_endian(out, key.size(), 4);
  out += key;
  put_binary_int(out, static_cast<std::int64_t>(kind), 2);  // smallint
  put_binary_int(out, month.serial(), 4);                  // integer
  put_binary_int(out, source_id, 8);
  if (corrects_entry_id) {
    put_binary_int(out, *corrects_entry_id, 8);
  } else {
    pg::put_big_endian(out, 0xffffffffu, 4);  // -1: null
  }
  const std::size_t length_at = out.size();
  pg::put_big_endian(out, 0, 4);
  append_lines(out);
  pg::write_big_endian(out.data() + length_at, out.size() - length_at - 4, 4);
}

// A server or libpq message on one line (they come with newlines and tabs).
std::string one_line(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Parameters of a statement, as text (nullopt = NULL).
class Params {
 public:
  Params& add(std::int64_t value) {
    values_.push_back(std::to_string(value));
    return *this;
  }
  Params& add(std::string_view value) {
    values_.emplace_back(value);
    return *this;
  }
  Params& add(const char* value) { return add(std::string_view(value)); }
  Params& add(const std::string& value) { return add(std::string_view(value)); }
  Params& add(const std::optional<std::string>& value) {
    values_.push_back(value);
    return *this;
  }
  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const {
    std::vector<const char*> out;
    for (const auto& value : values_) out.push_back(value ? value->c_str() : nullptr);
    return out;
  }

 private:
  std::vector<std::optional<std::string>> values_;
};

using pg::int_of;
using pg::null_at;
using pg::text_of;

// The connections of one database URL, at most kMaxConnections open at once.
class ConnectionPool {
 public:
  explicit ConnectionPool(std::string url) : url_(std::move(url)) {}
  ~ConnectionPool() {
    for (PGconn* conn : idle_) PQfinish(conn);
  }
  Result<PGconn*> acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
    if (!idle_.empty()) {
      PGconn* conn = idle_.back();
      idle_.pop_back();
      if (PQstatus(conn) == CONNECTION_OK) return conn;
      PQfinish(conn);
      --open_;
    }
    ++open_;
    lock.unlock();
    PGconn* conn = PQconnectdb(url_.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      const std::string message = one_line(conn ? PQerrorMessage(conn) : "out of memory");
      PQfinish(conn);
      release_slot();
      return fail(ErrorCode::io_error, "--db",
                  "cannot connect to PostgreSQL: " + message + "; check that the server runs and the URL is right");
    }
    PGresult* set = PQexec(conn, "SET datestyle TO ISO, YMD; SET client_min_messages TO warning");
    PQclear(set);
    // A value longer than about 2 kB (the `lines` of a large employer's packed
    // entry) is compressed as it is written: with lz4 where the server has it,
    // not pglz, whose compression was the largest single cost of a month run's
    // COPY of packed entries. Each value records its method, so every reader
    // takes both; on a server built without lz4 this fails and pglz stays.
    PQclear(PQexec(conn, "SET default_toast_compression TO lz4"));
    return conn;
  }
  void release(PGconn* conn) {
    std::lock_guard lock(mutex_);
    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE) {
      idle_.push_back(conn);
    } else {
      PQfinish(conn);
      --open_;
    }
    available_.notify_one();
  }

 private:
  void release_slot() {
    std::lock_guard lock(mutex_);
    --open_;
    available_.notify_one();
  }
  std::string url_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<PGconn*> idle_;
  int open_ = 0;
};

// A reserved run of ids from a sequence with INCREMENT BY kIdBlock.
constexpr std::int64_t kIdBlock = 1024;
// The most blocks a growing IdBlocks takes at once.
constexpr std::int64_t kMostIdBlocks = 64;
struct IdBlocks {
  // Growing: each reservation takes at least twice as many blocks as the one
  // before (up to kMostIdBlocks), so a long run asks for ids a few times, not
  // once per block (each ask ends the journal's open COPY, see book_packed_ahead).
  bool growing = false;
  std::int64_t next_refill = 1;  // blocks
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;  // [next, end)
  std::int64_t available() const {
    std::int64_t n = 0;
    for (const auto& [next, end] : ranges) n += end - next;
    return n;
  }
  std::int64_t take() {
    auto& [next, end] = ranges.front();
    const std::int64_t id = next++;
    if (next == end) ranges.erase(ranges.begin());
    return id;
  }
};

std::string date_literal(Date date) { return "'" + date.to_string() + "'"; }

// A month run's connections plan without parallel workers or JIT and sort and
// hash in memory (PostgresDatabase::refresh_statistics says why).
constexpr const char* kMonthRunSettings =
    "SET max_parallel_workers_per_gather TO 0; SET jit TO off; SET work_mem TO '64MB'";

// A declaration line as a month run reads it (kDeclaredPersonMonthsOf).
struct DeclaredLine {
  std::int64_t declaration_id;
  std::int64_t person_id;
  std::int64_t employer_id;
  int month;
  std::int64_t wage_fen;
};

// Declaration lines in (declaration, person) order, the key's order.
void sort_declared_lines(std::vector<DeclaredLine>& lines) {
  std::sort(lines.begin(), lines.end(), [](const DeclaredLine& a, const DeclaredLine& b) {
    return a.declaration_id != b.declaration_id ? a.declaration_id < b.declaration_id : a.person_id < b.person_id;
  });
}

// The lines of a kDeclaredPersonMonthsOf result (binary format: no integer is
// printed by the server and parsed here) in (declaration, person) order, the
// key's order (the statement does not sort them).
std::vector<DeclaredLine> declared_lines_of(const PGresult* res) {
  using pg::binary_int_of;
  const int n = PQntuples(res);
  std::vector<DeclaredLine> lines;
  lines.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    lines.push_back(DeclaredLine{binary_int_of(res, i, 0), binary_int_of(res, i, 1), binary_int_of(res, i, 2),
                                 static_cast<int>(binary_int_of(res, i, 3)), binary_int_of(res, i, 4)});
  }
  sort_declared_lines(lines);
  return lines;
}

// A one-dimensional array of bigint or integer in PostgreSQL's binary format
// (a parameter sent with format 1): no nulls, lower bound 1.
template <typename Int>
std::string binary_array(const std::vector<Int>& values) {
  static_assert(sizeof(Int) == 8 || sizeof(Int) == 4);
  std::string out;
  out.reserve(20 + values.size() * (4 + sizeof(Int)));
  pg::put_big_endian(out, 1, 4);                           // dimensions
  pg::put_big_endian(out, 0, 4);                           // no nulls
  pg::put_big_endian(out, sizeof(Int) == 8 ? 20 : 23, 4);  // int8 or int4
  pg::put_big_endian(out, values.size(), 4);
  pg::put_big_endian(out, 1, 4);  // lower bound
  for (const Int value : values) put_binary_int(out, value, static_cast<int>(sizeof(Int)));
  return out;
}

// An array literal of ids ("{1,2,3}").
std::string id_array(std::span<const std::int64_t> ids) {
  std::string array = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) array += ',';
    array += std::to_string(ids[i]);
  }
  array += '}';
  return array;
}

// The lines of the declarations with ids first..last, in declaration order,
// as one binary COPY (the month's declarations are mostly one range of ids:
// one index range scan and one statement instead of one per group). A line's
// employer and month are its declaration's (the import writes them so): they
// are not sent (a third fewer bytes to send, receive and parse).
std::string copy_declared_lines(std::int64_t first, std::int64_t last) {
  return "COPY (SELECT l.declaration_id, l.person_id, l.wage_fen FROM declaration_lines l "
         "WHERE l.declaration_id BETWEEN " + std::to_string(first) + " AND " + std::to_string(last) +
         " ORDER BY l.declaration_id) TO STDOUT (FORMAT binary)";
}

// Rows of a binary COPY of copy_declared_lines, fed as they come: a line's
// declaration, person and wage (its employer and month left 0).
class DeclaredLineStream {
 public:
  // Takes the bytes of one CopyData message (the server sends a row per
  // message: parsed in place when nothing is left over from the one before);
  // calls `row` for each whole row. False when the data is not such a COPY's.
  template <typename F>
  bool feed(const char* data, std::size_t size, F&& row) {
    if (buffer_.empty() && header_read_) {
      const std::size_t used = parse(data, size, row);
      if (used == kFailed) return false;
      buffer_.append(data + used, size - used);
      return true;
    }
    buffer_.append(data, size);
    std::size_t at = 0;
    if (!header_read_) {
      constexpr std::string_view kSignature("PGCOPY\n\377\r\n\0", 11);
      if (buffer_.size() < 19) return true;
      if (std::string_view(buffer_).substr(0, 11) != kSignature) return false;
      const std::uint32_t extension = be32(buffer_.data() + 15);
      if (buffer_.size() < 19 + extension) return true;
      at = 19 + extension;
      header_read_ = true;
    }
    const std::size_t used = parse(buffer_.data() + at, buffer_.size() - at, row);
    if (used == kFailed) return false;
    buffer_.erase(0, at + used);
    return true;
  }
  bool ended() const { return ended_ && buffer_.empty(); }

 private:
  static constexpr std::size_t kFailed = static_cast<std::size_t>(-1);
  // Calls `row` for each whole row of data[0, size); the bytes used, or kFailed.
  template <typename F>
  std::size_t parse(const char* data, std::size_t size, F&& row) {
    std::size_t at = 0;
    while (size - at >= 2) {
      const auto fields = static_cast<std::int16_t>(be16(data + at));
      if (fields == -1) {  // the trailer
        ended_ = true;
        return at + 2;
      }
      if (fields != 3) return kFailed;
      // Three non-null bigints, each after its length.
      constexpr std::size_t kRow = 2 + 3 * (4 + 8);
      if (size - at < kRow) break;
      const char* p = data + at + 2;
      std::int64_t values[3];
      for (std::int64_t& value : values) {
        if (be32(p) != 8u) return kFailed;
        value = static_cast<std::int64_t>(be64(p + 4));
        p += 12;
      }
      row(DeclaredLine{values[0], values[1], 0, 0, values[2]});
      at += kRow;
    }
    return at;
  }

  static std::uint16_t be16(const char* p) { return static_cast<std::uint16_t>(pg::big_endian(p, 2)); }
  static std::uint32_t be32(const char* p) { return static_cast<std::uint32_t>(pg::big_endian(p, 4)); }
  static std::uint64_t be64(const char* p) { return pg::big_endian(p, 8); }

  std::string buffer_;
  bool header_read_ = false;
  bool ended_ = false;
};

// A month run's declaration lines read ahead. The run reads a group of
// declarations' lines, then books the group, in turn; here a thread of its own
// reads the next groups' lines on a pooled connection of its own (a second
// backend, which the server runs beside the one booking), parses and sorts
// them, at most kAhead groups ahead. When the declarations' ids span at most
// twice as many ids as there are declarations (a month's declarations imported
// together), the lines of the whole span come in one COPY, those of other
// declarations left out; otherwise each group's lines are one query. take()
// hands over the lines of the next declarations in the order they were given;
// asked for any other declarations, it declines and the caller reads them
// itself. The lines read are committed ones: the backend reads ahead only when
// its own open transaction has written no declaration.
class LineReadAhead {
 public:
  static constexpr std::size_t kChunk = 256;  // declarations per read
  // Reads done and not yet taken, at most: a run settles the months before its
  // own while the first of its lines are read (64 reads of 256 declarations:
  // about 200,000 lines, 5 MiB).
  static constexpr std::size_t kAhead = 64;
  using ErrorOf = std::function<Error(PGconn*, const PGresult*)>;

  // `employers[i]` is the employer of declaration `ids[i]`, `month` their month.
  LineReadAhead(ConnectionPool& pool, std::vector<std::int64_t> ids, std::vector<std::int64_t> employers, int month,
                ErrorOf error_of)
      : pool_(pool),
        ids_(std::move(ids)),
        employers_(std::move(employers)),
        month_(month),
        error_of_(std::move(error_of)),
        thread_([this] { run(); }) {}
  LineReadAhead(const LineReadAhead&) = delete;
  LineReadAhead& operator=(const LineReadAhead&) = delete;
  ~LineReadAhead() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // The lines of `ids` in (declaration, person) order when they are the next
  // declarations of those given; nullopt otherwise.
  std::optional<Result<std::vector<DeclaredLine>>> take(std::span<const std::int64_t> ids) {
    if (ids.empty() || ids.size() > ids_.size() - next_ ||
        !std::equal(ids.begin(), ids.end(), ids_.begin() + static_cast<std::ptrdiff_t>(next_))) {
      return std::nullopt;
    }
    next_ += ids.size();
    const std::int64_t last = ids.back();
    std::vector<DeclaredLine> out;
    for (;;) {
      while (taken_ < current_.lines.size() && current_.lines[taken_].declaration_id <= last) {
        out.push_back(current_.lines[taken_++]);
      }
      if (current_.last_id >= last) return out;
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
      if (ready_.empty()) {
        if (problem_) return Result<std::vector<DeclaredLine>>(tl::unexpected(*problem_));
        return Result<std::vector<DeclaredLine>>(
            fail(ErrorCode::internal, "postgresql: declared person-months", "the lines read ahead ended early"));
      }
      current_ = std::move(ready_.front());
      ready_.pop_front();
      taken_ = 0;
      lock.unlock();
      changed_.notify_all();
    }
  }

 private:
  struct Chunk {
    std::int64_t last_id = std::numeric_limits<std::int64_t>::min();  // of the declarations read
    std::vector<DeclaredLine> lines;
  };

  void run() {
    auto conn = pool_.acquire();
    if (!conn) return finish(conn.error());
    // enable_sort off: the lines of a span come in declaration order from the
    // index on it, never from a sort of the span.
    PQclear(PQexec(*conn, (std::string(kMonthRunSettings) + "; SET enable_sort TO off").c_str()));
    std::optional<Error> problem;
    const bool one_span = !ids_.empty() && ids_.back() - ids_.front() < 2 * static_cast<std::int64_t>(ids_.size());
    if (one_span) {
      problem = stream(*conn);
    } else {
      problem = by_groups(*conn);
    }
    pool_.release(*conn);
    finish(std::move(problem));
  }

  // Waits until fewer than kAhead chunks are ready; false when asked to stop.
  bool wait_for_room() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stop_ || ready_.size() < kAhead; });
    return !stop_;
  }
  void hand_over(Chunk chunk) {
    {
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(chunk));
    }
    changed_.notify_all();
  }

  // The whole span in one COPY, cut into chunks of kChunk declarations.
  std::optional<Error> stream(PGconn* conn) {
    const std::string sql = copy_declared_lines(ids_.front(), ids_.back());
    PgResult start(PQexec(conn, sql.c_str()));
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_OUT) return error_of_(conn, start.get());
    DeclaredLineStream rows;
    std::size_t chunk_begin = 0;  // index into ids_ of the current chunk's first declaration
    std::size_t wanted = 0;       // index into ids_: the next declaration a row can belong to
    Chunk chunk;
    chunk.last_id = ids_[std::min(kChunk, ids_.size()) - 1];
    bool stopped = false;
    const auto close_chunks_before = [&](std::int64_t declaration_id) {
      // Hands over every chunk whose declarations all come before `declaration_id`.
      while (chunk_begin < ids_.size() && chunk.last_id < declaration_id) {
        if (!wait_for_room()) {
          stopped = true;
          return;
        }
        sort_declared_lines(chunk.lines);
        chunk_begin += kChunk;
        Chunk next;
        if (chunk_begin < ids_.size()) next.last_id = ids_[std::min(chunk_begin + kChunk, ids_.size()) - 1];
        hand_over(std::exchange(chunk, std::move(next)));
      }
    };
    std::optional<Error> problem;
    for (;;) {
      char* data = nullptr;
      const int size = PQgetCopyData(conn, &data, 0);
      if (size < 0) break;
      const bool ok = rows.feed(data, static_cast<std::size_t>(size), [&](const DeclaredLine& line) {
        if (stopped) return;
        close_chunks_before(line.declaration_id);
        while (wanted < ids_.size() && ids_[wanted] < line.declaration_id) ++wanted;
        if (wanted < ids_.size() && ids_[wanted] == line.declaration_id) {
          chunk.lines.push_back(line);
          chunk.lines.back().employer_id = employers_[wanted];
          chunk.lines.back().month = month_;
        }
      });
      PQfreemem(data);
      if (!ok) {
        problem = fail(ErrorCode::internal, "postgresql: declared person-months",
                       "the lines' COPY did not have the expected binary form").value();
        break;
      }
      if (stopped) break;
    }
    if (stopped || problem) return problem;  // the connection, mid-COPY, is closed on release
    PgResult end(PQgetResult(conn));
    if (!end || PQresultStatus(end.get()) != PGRES_COMMAND_OK) return error_of_(conn, end.get());
    while (PGresult* more = PQgetResult(conn)) PQclear(more);
    if (!rows.ended()) {
      return fail(ErrorCode::internal, "postgresql: declared person-months", "the lines' COPY ended early").value();
    }
    close_chunks_before(std::numeric_limits<std::int64_t>::max());
    return std::nullopt;
  }

  // One query per chunk of kChunk declarations.
  std::optional<Error> by_groups(PGconn* conn) {
    std::optional<Error> problem;
    for (std::size_t from = 0; from < ids_.size(); from += kChunk) {
      if (!wait_for_room()) break;
      const std::span<const std::int64_t> ids(ids_.data() + from, std::min(kChunk, ids_.size() - from));
      const std::string array = id_array(ids);
      const char* values[] = {array.c_str()};
      PgResult r(PQexecParams(conn, kDeclaredPersonMonthsOf, 1, nullptr, values, nullptr, nullptr, 1));
      if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        problem = error_of_(conn, r.get());
        break;
      }
      hand_over(Chunk{ids.back(), declared_lines_of(r.get())});
    }
    return problem;
  }
  void finish(std::optional<Error> problem) {
    {
      std::lock_guard lock(mutex_);
      problem_ = std::move(problem);
      finished_ = true;
    }
    changed_.notify_all();
  }

  ConnectionPool& pool_;
  const std::vector<std::int64_t> ids_;
  const std::vector<std::int64_t> employers_;
  const int month_;
  const ErrorOf error_of_;
  // The taking side's (the backend's thread).
  std::size_t next_ = 0;  // ids_ handed over so far
  Chunk current_;
  std::size_t taken_ = 0;  // lines of current_ handed over
  // Shared with the reading thread.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Chunk> ready_;
  bool stop_ = false;
  bool finished_ = false;
  std::optional<Error> problem_;
  std::thread thread_;  // last: started once the rest is in place
};

// Reads of committed rows on a pooled connection of its own (a second
// backend), on a thread of its own, while the caller goes on with its
// transaction: a month run's flexible workers and employer-months to settle
// are read while it books the month's declarations, on the core the booking
// backend leaves. take(i) waits for statement i. What the caller's open
// transaction writes in the meantime is not seen: the caller takes a result
// only when its own writes since cannot change it (PostgresDatabase's
// SideReadState).
class SideReads {
 public:
  struct Statement {
    const char* sql;
    std::vector<std::string> params;
    // Run on the side thread on the statement's result, before take() returns it
    // (parsing the rows there, not on the caller's thread).
    std::function<void(const PGresult*)> convert;
  };
  using ErrorOf = std::function<Error(PGconn*, const PGresult*)>;

  SideReads(ConnectionPool& pool, std::vector<Statement> statements, ErrorOf error_of)
      : pool_(pool), statements_(std::move(statements)), error_of_(std::move(error_of)),
        results_(statements_.size()), thread_([this] { run(); }) {}
  SideReads(const SideReads&) = delete;
  SideReads& operator=(const SideReads&) = delete;
  ~SideReads() { thread_.join(); }  // its statements are reads: they finish

  // Whether statement i is done (take(i) returns at once).
  bool ready(std::size_t i) {
    std::lock_guard lock(mutex_);
    return finished_ > i;
  }
  // Statement i's result (once).
  Result<PgResult> take(std::size_t i) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return finished_ > i; });
    if (!results_[i]) return tl::unexpected(results_[i].error());
    return std::move(*results_[i]);
  }

 private:
  void run() {
    auto conn = pool_.acquire();
    std::optional<Error> problem;
    if (!conn) problem = conn.error();
    if (!problem) {
      PQclear(PQexec(*conn, kMonthRunSettings));
    }
    for (std::size_t i = 0; i < statements_.size(); ++i) {
      Result<PgResult> result = tl::unexpected(problem.value_or(Error{}));
      if (!problem) {
        std::vector<const char*> values;
        for (const std::string& value : statements_[i].params) values.push_back(value.c_str());
        PgResult r(PQexecParams(*conn, statements_[i].sql, static_cast<int>(values.size()), nullptr, values.data(),
                                nullptr, nullptr, 0));
        if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
          problem = error_of_(*conn, r.get());
          result = tl::unexpected(*problem);
        } else if (statements_[i].convert) {
          statements_[i].convert(r.get());
          result = std::move(r);
        } else {
          result = std::move(r);
        }
      }
      {
        std::lock_guard lock(mutex_);
        results_[i] = std::move(result);
        finished_ = i + 1;
      }
      done_.notify_all();
    }
    if (conn) pool_.release(*conn);
  }

  ConnectionPool& pool_;
  const std::vector<Statement> statements_;
  const ErrorOf error_of_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Result<PgResult>> results_;
  std::size_t finished_ = 0;  // statements done
  std::thread thread_;        // last: started once the rest is in place
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::unique_ptr<ConnectionPool> pool, PGconn* conn) : pool_(std::move(pool)), conn_(conn) {}
  ~PostgresDatabase() override {
    if (conn_ != nullptr) {
      drop_copy();
      if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
      pool_->release(conn_);
    }
  }

  std::string_view backend() const override { return "postgresql"; }
  // Ten times SQLite's: each COMMIT waits for the server to write its WAL to
  // the disk (fsync, a few milliseconds on this machine's disk), and a month
  // run at 1,000,000 persons (about 690,000 person-months) committed 35 times
  // in its declarations alone; now 4 times.
  std::size_t batch_entries() const override { return 200000; }

  // --- plumbing ---
  tl::unexpected<Error> error(PGconn* conn, const char* what, const PGresult* r) {
    std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
    if (message.empty()) message = PQerrorMessage(conn);
    message = one_line(message);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state ? state : "";
    if (PQstatus(conn) != CONNECTION_OK || sqlstate.starts_with("08") || sqlstate == "57P01" ||
        sqlstate == "57P02" || sqlstate == "57P03") {
      if (conn == conn_) lost_ = true;  // verify's pooled connections run on other threads
      return fail(ErrorCode::io_error, std::string("postgresql: ") + what,
                  "the connection to PostgreSQL was lost (" + message +
                      "); the open transaction was rolled back by the server, committed work is kept; run the same "
                      "command again when the server is back to complete it");
    }
    if (sqlstate == "23505") return fail(ErrorCode::conflict, std::string("postgresql: ") + what, message);
    if (sqlstate.starts_with("53") || sqlstate.starts_with("58")) {
      return fail(ErrorCode::io_error, std::string("postgresql: ") + what, message);
    }
    return fail(ErrorCode::internal, std::string("postgresql: ") + what, message + (sqlstate.empty() ? "" : " [" + sqlstate + "]"));
  }

  Result<PgResult> exec_on(PGconn* conn, const std::string& sql, const char* what) {
    if (conn == conn_) {
      if (auto ok = await_copy(); !ok) return tl::unexpected(ok.error());
    }
    PgResult r(PQexec(conn, sql.c_str()));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error(conn, what, r.get());
    return r;
  }
  Result<PgResult> exec(const std::string& sql, const char* what) { return exec_on(conn_, sql, what); }

  // Several statements in one round trip; every statement's result.
  Result<std::vector<PgResult>> exec_all(const std::string& sql, const char* what) {
    if (auto ok = await_copy(); !ok) return tl::unexpected(ok.error());
    if (PQsendQuery(conn_, sql.c_str()) != 1) return error(conn_, what, nullptr);
    std::vector<PgResult> results;
    std::optional<Error> problem;
    while (PGresult* next = PQgetResult(conn_)) {
      PgResult r(next);
      const auto status = PQresultStatus(r.get());
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        if (!problem) problem = error(conn_, what, r.get()).value();
        continue;
      }
      results.push_back(std::move(r));
    }
    if (problem) return tl::unexpected(*problem);
    if (PQstatus(conn_) != CONNECTION_OK) return error(conn_, what, nullptr);
    return results;
  }

  // result_format 1: binary (pg::binary_int_of).
  Result<PgResult> query(const char* sql, const Params& params, const char* what, int result_format = 0) {
    if (auto ok = flush(true); !ok) return tl::unexpected(ok.error());
    return query_now(sql, params, what, result_format);
  }
  Result<PgResult> query_now(const char* sql, const Params& params, const char* what, int result_format = 0) {
    if (auto ok = await_copy(); !ok) return tl::unexpected(ok.error());
    const auto values = params.pointers();
    PgResult r(PQexecParams(conn_, sql, params.size(), nullptr, values.data(), nullptr, nullptr, result_format));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error(conn_, what, r.get());
    return r;
  }

  Result<void> copy(const char* sql, const std::string& data, const char* what) {
    if (auto ok = send_copy(sql, data, what); !ok) return ok;
    return copy_result(what);
  }
  // A COPY's data sent; its result not read yet (copy_result).
  Result<void> send_copy(const char* sql, const std::string& data, const char* what) {
    if (auto ok = await_copy(); !ok) return ok;
    PgResult start(PQexec(conn_, sql));
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) return error(conn_, what, start.get());
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1) {
      return error(conn_, what, nullptr);
    }
    return {};
  }
  Result<void> copy_result(const char* what) {
    PgResult end(PQgetResult(conn_));
    Result<void> outcome;
    if (!end || PQresultStatus(end.get()) != PGRES_COMMAND_OK) outcome = error(conn_, what, end.get());
    while (PGresult* more = PQgetResult(conn_)) PQclear(more);
    return outcome;
  }

  // Sends what the open transaction keeps buffered (statements; with
  // `with_lines`, the declaration lines too).
  // Sends what the open transaction keeps buffered: statements; with
  // `everything`, the declaration lines and the employer-month totals too
  // (before any read, and at commit).
  Result<void> flush(bool everything) {
    if (auto ok = stage_hires(); !ok) return drop_pending(ok.error());
    if (!pending_sql_.empty() || !pending_heads_.empty() || !pending_hires_.empty() || hires_staged_ ||
        !pending_leaves_.empty()) {
      const std::string sql = take_pending();
      if (auto ok = exec(sql, "write buffered statements"); !ok) return drop_pending(ok.error());
      pending_spells_ = false;
    }
    if (everything && !pending_lines_.empty()) {
      std::string data = std::move(pending_lines_);
      pending_lines_.clear();
      if (auto ok = copy(kCopyDeclarationLines, data, "copy declaration lines"); !ok) return drop_pending(ok.error());
    }
    if (everything && !pending_employer_months_.empty()) {
      if (auto ok = write_employer_months(); !ok) return drop_pending(ok.error());
    }
    return {};
  }
  // The buffered employer-month totals. Those that only add dues are mostly a
  // month's first (a month run's own month): they go in with COPY, as new rows,
  // and only when one of them exists already (a correction, a re-run) all of
  // them are added to the rows instead (ON CONFLICT). The others (payments)
  // are added to their rows. The arrays go as binary parameters: no SQL text
  // of thousands of numbers to parse.
  Result<void> write_employer_months() {
    std::vector<std::int64_t> employers, dues, paid;
    std::vector<std::int32_t> months;
    std::string new_rows;
    for (const auto& [key, delta] : pending_employer_months_) {
      if (delta.second == 0) {
        copy_int(new_rows, key.first);
        new_rows += '\t';
        copy_int(new_rows, key.second);
        new_rows += '\t';
        copy_int(new_rows, delta.first);
        new_rows += "\t0\n";
      } else {
        employers.push_back(key.first);
        months.push_back(key.second);
        dues.push_back(delta.first);
        paid.push_back(delta.second);
      }
    }
    if (!new_rows.empty()) {
      if (in_tx_) {
        if (auto ok = exec("SAVEPOINT employer_months", "write employer-month totals"); !ok) return tl::unexpected(ok.error());
      }
      auto copied = copy("COPY employer_months (employer_id, month, dues_fen, paid_fen) FROM STDIN", new_rows,
                         "write employer-month totals");
      if (!copied && copied.error().code != ErrorCode::conflict) return copied;
      if (in_tx_) {
        if (auto ok = exec(copied ? "RELEASE SAVEPOINT employer_months" : "ROLLBACK TO SAVEPOINT employer_months; "
                                                                            "RELEASE SAVEPOINT employer_months",
                           "write employer-month totals");
            !ok) {
          return tl::unexpected(ok.error());
        }
      }
      if (!copied) {
        for (const auto& [key, delta] : pending_employer_months_) {
          if (delta.second != 0) continue;
          employers.push_back(key.first);
          months.push_back(key.second);
          dues.push_back(delta.first);
          paid.push_back(0);
        }
      }
    }
    pending_employer_months_.clear();
    if (employers.empty()) return {};
    const std::string arrays[] = {binary_array(employers), binary_array(months), binary_array(dues),
                                  binary_array(paid)};
    const char* values[] = {arrays[0].data(), arrays[1].data(), arrays[2].data(), arrays[3].data()};
    const int lengths[] = {static_cast<int>(arrays[0].size()), static_cast<int>(arrays[1].size()),
                           static_cast<int>(arrays[2].size()), static_cast<int>(arrays[3].size())};
    const int formats[] = {1, 1, 1, 1};
    if (auto ok = await_copy(); !ok) return ok;
    PgResult r(PQexecParams(conn_, kAddEmployerMonths, 4, nullptr, values, lengths, formats, 0));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return error(conn_, "write employer-month totals", r.get());
    return {};
  }
  // Many buffered hires to hire_stage (COPY); take_pending() inserts them from there.
  Result<void> stage_hires() {
    if (!in_tx_ || pending_hires_.size() < kHiresStaged) return {};  // staged and inserted in one transaction
    std::string data;
    data.reserve(pending_hires_.size() * 32);
    for (const Hire& hire : pending_hires_) {
      copy_int(data, hire.person_id);
      data += '\t';
      copy_int(data, hire.employer_id);
      data += '\t';
      data += hire.hire_date.to_string();
      data += '\n';
    }
    // IF NOT EXISTS: also after a rollback that undid its creation.
    if (auto ok = exec(kHireStage, "stage hires"); !ok) return tl::unexpected(ok.error());
    if (auto ok = copy(kCopyHireStage, data, "copy hires"); !ok) return ok;
    pending_hires_.clear();
    hires_staged_ = true;
    return {};
  }
  tl::unexpected<Error> drop_pending(Error e) {
    pending_hires_.clear();
    hires_staged_ = false;
    pending_leaves_.clear();
    pending_employer_months_.clear();
    pending_sql_.clear();
    pending_lines_.clear();
    pending_heads_.clear();
    pending_declarations_.clear();
    pending_spells_ = false;
    return tl::unexpected(std::move(e));
  }
  // The buffered statements in the order they are sent: hires, leaves, statements,
  // declaration heads, employer-month totals.
  std::string take_pending() {
    std::string sql;
    if (hires_staged_) {
      sql = "INSERT INTO employment_spells (person_id, employer_id, hire_date) SELECT person_id, employer_id, "
            "hire_date FROM hire_stage ON CONFLICT DO NOTHING;\nDELETE FROM hire_stage";
      hires_staged_ = false;
    }
    if (!pending_hires_.empty()) {
      if (!sql.empty()) sql += ";\n";
      sql += "INSERT INTO employment_spells (person_id, employer_id, hire_date) VALUES ";
      for (std::size_t i = 0; i < pending_hires_.size(); ++i) {
        const Hire& hire = pending_hires_[i];
        sql += std::string(i == 0 ? "(" : ", (") + std::to_string(hire.person_id) + ", " +
               std::to_string(hire.employer_id) + ", " + date_literal(hire.hire_date) + ")";
      }
      sql += " ON CONFLICT DO NOTHING";
      pending_hires_.clear();
    }
    append_leaves(sql);
    if (!pending_sql_.empty()) {
      if (!sql.empty()) sql += ";\n";
      sql += pending_sql_;
      pending_sql_.clear();
    }
    append_heads(sql);
    return sql;
  }
  // Each leave closes the person's latest spell at the employer hired on or
  // before its date (none: nothing changes). Leaves of different (person,
  // employer) pairs touch different rows, so they go in one statement; a
  // pair's second leave in the buffer goes in a second statement after the
  // first, and so on (the calls' order). Only hires come before them; no
  // other buffered statement touches employment_spells.
  void append_leaves(std::string& sql) {
    if (pending_leaves_.empty()) return;
    std::map<std::pair<std::int64_t, std::int64_t>, std::size_t> seen;
    std::vector<std::string> rounds;
    for (const Leave& leave : pending_leaves_) {
      const std::size_t round = seen[{leave.person_id, leave.employer_id}]++;
      if (round == rounds.size()) rounds.emplace_back();
      std::string& values = rounds[round];
      values += std::string(values.empty() ? "(" : ", (") + std::to_string(leave.person_id) + "::bigint, " +
                std::to_string(leave.employer_id) + "::bigint, " + date_literal(leave.leave_date) + "::date)";
    }
    for (const std::string& values : rounds) {
      if (!sql.empty()) sql += ";\n";
      // An upsert whose every row conflicts: it finds each spell through the
      // primary key, one row at a time (an UPDATE ... FROM VALUES was planned
      // as a hash join over every spell).
      sql += "INSERT INTO employment_spells AS s (person_id, employer_id, hire_date, leave_date) SELECT v.p, v.e, "
             "h.hire_date, v.d FROM (VALUES " + values + ") AS v (p, e, d) CROSS JOIN LATERAL (SELECT "
             "MAX(x.hire_date) AS hire_date FROM employment_spells x WHERE x.person_id = v.p AND x.employer_id = v.e "
             "AND x.hire_date <= v.d) h WHERE h.hire_date IS NOT NULL ON CONFLICT (person_id, employer_id, hire_date) "
             "DO UPDATE SET leave_date = excluded.leave_date";
    }
    pending_leaves_.clear();
  }
  void append_heads(std::string& sql) {
    if (pending_heads_.empty()) return;
    if (!sql.empty()) sql += ";\n";
    sql += "INSERT INTO declarations (declaration_id, employer_id, month, version, content_hash, source, line_count, "
           "superseded) VALUES ";
    bool first = true;
    for (const Head& head : pending_heads_) {
      if (!first) sql += ", ";
      first = false;
      sql += "(" + std::to_string(head.declaration_id) + ", " + std::to_string(head.employer_id) + ", " +
             std::to_string(head.month) + ", " + std::to_string(head.version) + ", " + quote(head.content_hash) +
             ", " + quote(head.source) + ", " + std::to_string(head.line_count) + ", " +
             (head.superseded ? "TRUE" : "FALSE") + ")";
    }
    pending_heads_.clear();
    pending_declarations_.clear();
  }
  std::string quote(std::string_view text) {
    char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
    if (quoted == nullptr) return "''";
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
  }
  void defer(const std::string& sql) {
    if (!pending_sql_.empty()) pending_sql_ += ";\n";
    pending_sql_ += sql;
  }
  // A write outside begin()/commit() is its own transaction.
  Result<void> after_write() {
    if (in_tx_) return {};
    return flush(true);
  }

  Result<std::vector<std::int64_t>> reserve(const char* sequence, IdBlocks& blocks, std::int64_t count) {
    const std::int64_t missing = count - blocks.available();
    if (missing > 0) {
      std::int64_t wanted = (missing + kIdBlock - 1) / kIdBlock;
      if (blocks.growing) {
        wanted = std::max(wanted, blocks.next_refill);
        blocks.next_refill = std::min(kMostIdBlocks, 2 * blocks.next_refill);
      }
      auto r = query_now((std::string("SELECT nextval('") + sequence + "') FROM generate_series(1, $1)").c_str(),
                         Params().add(wanted), "reserve ids");
      if (!r) return tl::unexpected(r.error());
      for (int i = 0; i < PQntuples(r->get()); ++i) {
        const std::int64_t first = int_of(r->get(), i, 0);
        blocks.ranges.emplace_back(first, first + kIdBlock);
      }
    }
    std::vector<std::int64_t> ids;
    ids.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) ids.push_back(blocks.take());
    return ids;
  }

  // --- schema ---
  Result<int> migrate() override {
    flexible_written();
    settle_written(true);
    if (auto ok = exec("SELECT pg_advisory_lock(7461001)", "migrate"); !ok) return tl::unexpected(ok.error());
    auto outcome = migrate_locked();
    drop_copy();
    PQclear(PQexec(conn_, "SELECT pg_advisory_unlock(7461001)"));
    return outcome;
  }
  Result<int> migrate_locked() {
    if (auto ok = exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                       "description TEXT NOT NULL)",
                       "migrate");
        !ok) {
      return tl::unexpected(ok.error());
    }
    // Every migration not recorded yet, in order (gaps allowed, as on SQLite).
    auto r = exec("SELECT version FROM schema_migrations", "migrate");
    if (!r) return tl::unexpected(r.error());
    std::set<int> applied;
    for (int i = 0; i < PQntuples(r->get()); ++i) applied.insert(static_cast<int>(int_of(r->get(), i, 0)));
    int current = applied.empty() ? 0 : *applied.rbegin();
    for (const Migration& migration : kMigrations) {
      if (applied.count(migration.version) > 0) continue;
      const std::string sql = std::string("BEGIN;\n") + migration.sql +
                              ";\nINSERT INTO schema_migrations (version, description) VALUES (" +
                              std::to_string(migration.version) + ", " + quote(migration.description) + ");\nCOMMIT";
      if (auto ok = exec(sql, "migrate"); !ok) {
        drop_copy();
        PQclear(PQexec(conn_, "ROLLBACK"));
        Error e = ok.error();
        e.message = "migration " + std::to_string(migration.version) + " (" + migration.description +
                    ") failed: " + e.message;
        return tl::unexpected(e);
      }
      current = std::max(current, migration.version);
    }
    return current;
  }

  Result<void> begin() override {
    if (auto ok = exec("BEGIN", "begin"); !ok) return tl::unexpected(ok.error());
    in_tx_ = true;
    return {};
  }
  Result<void> commit() override {
    if (!in_tx_) return {};
    if (auto ok = flush(true); !ok) {
      rollback();
      return ok;
    }
    if (auto ok = await_copy(); !ok) {
      rollback();
      return ok;
    }
    auto r = exec("COMMIT", "commit");
    in_tx_ = false;
    declarations_written_ = false;
    transaction_ended();
    if (!r) return tl::unexpected(r.error());
    // COMMIT of a transaction that failed earlier answers ROLLBACK.
    if (std::strcmp(PQcmdStatus(r->get()), "ROLLBACK") == 0) {
      return fail(ErrorCode::internal, "postgresql: commit", "the transaction failed earlier and was rolled back");
    }
    return {};
  }
  void rollback() noexcept override {
    pending_hires_.clear();
    hires_staged_ = false;
    pending_leaves_.clear();
    prefetched_.reset();
    month_cache_.reset();
    payments_.clear();
    payments_loaded_ = false;
    pending_sql_.clear();
    pending_lines_.clear();
    pending_heads_.clear();
    pending_declarations_.clear();
    pending_spells_ = false;
    drop_copy();
    if (PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PQclear(PQexec(conn_, "ROLLBACK"));
    }
    in_tx_ = false;
    declarations_written_ = false;
    transaction_ended();
    side_ = SideReadState{};
    read_ahead_.reset();
    person_ids_.clear();
    person_ids_loaded_ = false;
    employers_.clear();
    employer_attributes_.clear();
    employers_loaded_ = false;
  }

  // Runs `body` all or nothing: inside a savepoint of the open transaction, or in its own.
  template <typename F>
  auto atomically(const char* name, F&& body) -> decltype(body()) {
    const bool own = !in_tx_;
    if (own) {
      if (auto ok = begin(); !ok) return tl::unexpected(ok.error());
    } else {
      // What is buffered goes before the savepoint (it is not part of `body`).
      std::string sql = take_pending();
      sql += std::string(sql.empty() ? "" : ";\n") + "SAVEPOINT " + name;
      if (auto ok = exec(sql, "savepoint"); !ok) return drop_pending(ok.error());
    }
    auto outcome = body();
    if (!outcome) {
      if (own || lost_) {
        rollback();
      } else {
        pending_hires_.clear();
        hires_staged_ = false;
        pending_leaves_.clear();
        pending_employer_months_.clear();
        pending_sql_.clear();
        pending_lines_.clear();
        pending_heads_.clear();
        pending_declarations_.clear();
        drop_copy();
        PQclear(PQexec(conn_, (std::string("ROLLBACK TO SAVEPOINT ") + name + "; RELEASE SAVEPOINT " + name).c_str()));
      }
      return outcome;
    }
    if (own) {
      if (auto ok = commit(); !ok) return tl::unexpected(ok.error());
    } else {
      defer(std::string("RELEASE SAVEPOINT ") + name);
    }
    return outcome;
  }

  // --- registry ---
  Result<std::int64_t> upsert_person(const Person& person) override {
    if (auto ok = upsert_persons(std::span<const Person>(&person, 1)); !ok) return tl::unexpected(ok.error());
    auto r = query_now(kFindPersonId, Params().add(person.resident_id), "upsert person");
    if (!r) return tl::unexpected(r.error());
    return int_of(r->get(), 0, 0);
  }

  Result<void> upsert_persons(std::span<const Person> persons) override {
    if (persons.empty()) return {};
    flexible_written();
    std::string data;
    data.reserve(persons.size() * 128);
    int ord = 0;
    for (const Person& p : persons) {
      copy_int(data, ord++);
      for (std::string_view field : {std::string_view(p.resident_id), std::string_view(p.name),
                                     std::string_view(p.name_pinyin), registry::to_string(p.sex)}) {
        data += '\t';
        copy_text(data, field);
      }
      data += '\t';
      data += p.birth_date.to_string();
      for (std::string_view field : {std::string_view(p.hukou_region), std::string_view(p.phone),
                                     std::string_view(p.retirement_category), registry::to_string(p.scheme),
                                     std::string_view(p.scheme_region)}) {
        data += '\t';
        copy_text(data, field);
      }
      data += '\t';
      if (p.flexible_base_ratio) {
        copy_text(data, p.flexible_base_ratio->to_string());
      } else {
        data += "\\N";
      }
      data += '\n';
    }
    return atomically("upsert_persons", [&]() -> Result<void> {
      defer(kPersonStage);  // IF NOT EXISTS: also after a savepoint that undid it was rolled back
      if (auto ok = flush(false); !ok) return ok;
      if (auto ok = copy(kCopyPersonStage, data, "copy persons"); !ok) return ok;
      defer(kMergePersonStage);
      return flush(false);
    });
  }

  Result<std::int64_t> upsert_employer(const Employer& employer) override {
    settle_written(false);
    employers_loaded_ = false;
    employers_.clear();
    employer_attributes_.clear();
    auto r = query(kUpsertEmployer,
                   Params()
                       .add(employer.credit_code)
                       .add(employer.name)
                       .add(employer.region)
                       .add(registry::to_string(employer.size))
                       .add(registry::to_string(employer.unit_type)),
                   "upsert employer");
    if (!r) return tl::unexpected(r.error());
    return int_of(r->get(), 0, 0);
  }

  static Person person_from(const PGresult* r, int row) {
    Person person;
    person.person_id = int_of(r, row, 0);
    person.resident_id = text_of(r, row, 1);
    person.name = text_of(r, row, 2);
    person.name_pinyin = text_of(r, row, 3);
    person.sex = text_of(r, row, 4) == "male" ? registry::Sex::male : registry::Sex::female;
    person.birth_date = *Date::parse(text_of(r, row, 5));
    person.hukou_region = text_of(r, row, 6);
    person.phone = text_of(r, row, 7);
    person.retirement_category = text_of(r, row, 8);
    person.scheme = *registry::parse_scheme(text_of(r, row, 9));
    person.scheme_region = text_of(r, row, 10);
    if (!null_at(r, row, 11)) person.flexible_base_ratio = *Decimal::parse(text_of(r, row, 11));
    return person;
  }

  Result<std::optional<Person>> find_person(std::string_view resident_id) override {
    auto r = query(kFindPerson, Params().add(resident_id), "find person");
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return std::optional<Person>();
    return std::optional<Person>(person_from(r->get(), 0));
  }

  Result<std::optional<Employer>> find_employer(std::string_view credit_code) override {
    // Employers are few next to persons: all of them are read once per
    // connection (and again after a change), then looked up here.
    if (!employers_loaded_) {
      auto r = query(kAllEmployers, Params(), "load employers");
      if (!r) return tl::unexpected(r.error());
      for (int i = 0; i < PQntuples(r->get()); ++i) {
        Employer employer;
        employer.employer_id = int_of(r->get(), i, 0);
        employer.credit_code = text_of(r->get(), i, 1);
        employer.name = text_of(r->get(), i, 2);
        employer.region = text_of(r->get(), i, 3);
        employer.size = *registry::parse_employer_size(text_of(r->get(), i, 4));
        employer.unit_type = *registry::parse_unit_type(text_of(r->get(), i, 5));
        employers_.emplace(employer.credit_code, std::move(employer));
      }
      employers_loaded_ = true;
    }
    const auto found = employers_.find(std::string(credit_code));
    if (found == employers_.end()) return std::optional<Employer>();
    return std::optional<Employer>(found->second);
  }

  Result<std::optional<std::int64_t>> find_person_id(std::string_view resident_id) override {
    // After a few single lookups, every committed resident ID is read at once
    // (a person's id never changes); IDs not found there are asked one by one.
    if (!person_ids_loaded_ && ++person_lookups_ >= kLookupsBeforeLoad) {
      auto r = query(kAllPersonIds, Params(), "load person ids");
      if (!r) return tl::unexpected(r.error());
      person_ids_.reserve(static_cast<std::size_t>(PQntuples(r->get())));
      for (int i = 0; i < PQntuples(r->get()); ++i) person_ids_.emplace(text_of(r->get(), i, 0), int_of(r->get(), i, 1));
      person_ids_loaded_ = true;
    }
    if (person_ids_loaded_) {
      const auto found = person_ids_.find(std::string(resident_id));
      if (found != person_ids_.end()) return std::optional<std::int64_t>(found->second);
    }
    auto r = query_now(kFindPersonId, Params().add(resident_id), "find person id");
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return std::optional<std::int64_t>();
    const std::int64_t id = int_of(r->get(), 0, 0);
    if (person_ids_loaded_) person_ids_.emplace(std::string(resident_id), id);
    return std::optional<std::int64_t>(id);
  }

  Result<bool> employed_in(std::int64_t person_id, std::int64_t employer_id, YearMonth month) override {
    auto r = query(kEmployedIn,
                   Params().add(person_id).add(employer_id).add(Date::first_of(month).to_string()).add(
                       Date::last_of(month).to_string()),
                   "employment");
    if (!r) return tl::unexpected(r.error());
    return PQntuples(r->get()) > 0;
  }

  // An import asks, for each (employer, month) unit, who is employed and which
  // declaration is the latest. For the month of the file, both are read for
  // every employer at once (one round trip) and kept up to date with this
  // connection's own writes (hires added; an employer with a leave is asked of
  // the database again). The import is the one writer of its units.
  Result<void> load_month(YearMonth month) {
    const std::string first = date_literal(Date::first_of(month));
    const std::string last = date_literal(Date::last_of(month));
    std::string sql = take_pending();
    if (!sql.empty()) sql += ";\n";
    sql += "SELECT employer_id, person_id FROM employment_spells WHERE hire_date <= " + last +
           " AND (leave_date IS NULL OR leave_date >= " + first + ");\n"
           "SELECT DISTINCT ON (employer_id) employer_id, declaration_id, version, content_hash FROM declarations "
           "WHERE month = " + std::to_string(month.serial()) + " ORDER BY employer_id, version DESC";
    auto results = exec_all(sql, "read the month's employment and declarations");
    if (!results) return drop_pending(results.error());
    pending_spells_ = false;
    MonthCache cache;
    cache.month = month.serial();
    const PGresult* spells = (*results)[results->size() - 2].get();
    for (int i = 0; i < PQntuples(spells); ++i) cache.employees[int_of(spells, i, 0)].push_back(int_of(spells, i, 1));
    const PGresult* latest = results->back().get();
    for (int i = 0; i < PQntuples(latest); ++i) {
      cache.latest.emplace(int_of(latest, i, 0),
                           StoredDeclaration{int_of(latest, i, 1), static_cast<int>(int_of(latest, i, 2)),
                                             text_of(latest, i, 3)});
    }
    month_cache_ = std::move(cache);
    return {};
  }

  Result<std::optional<std::vector<std::int64_t>>> employees_in(std::int64_t employer_id, YearMonth month,
                                                                std::size_t limit) override {
    if (!month_cache_ || month_cache_->month != month.serial()) {
      if (auto ok = load_month(month); !ok) return tl::unexpected(ok.error());
    }
    if (!month_cache_->changed.contains(employer_id)) {
      std::vector<std::int64_t> ids;
      if (const auto found = month_cache_->employees.find(employer_id); found != month_cache_->employees.end()) {
        ids = found->second;
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      if (ids.size() > limit) return std::optional<std::vector<std::int64_t>>();
      return std::optional<std::vector<std::int64_t>>(std::move(ids));
    }
    return employees_in_database(employer_id, month, limit);
  }

  Result<std::optional<std::vector<std::int64_t>>> employees_in_database(std::int64_t employer_id, YearMonth month,
                                                                         std::size_t limit) {
    // Buffered statements, this query and the employer-month's latest
    // declaration (which the import asks next) in one round trip (literals:
    // integers and dates only).
    const std::string first = date_literal(Date::first_of(month));
    const std::string last = date_literal(Date::last_of(month));
    const std::string employer = std::to_string(employer_id);
    std::string sql = take_pending();
    if (!sql.empty()) sql += ";\n";
    sql += "SELECT person_id FROM employment_spells WHERE employer_id = " + employer +
           " AND leave_date IS NULL AND hire_date <= " + last + " UNION ALL SELECT person_id FROM employment_spells "
           "WHERE employer_id = " + employer + " AND leave_date >= " + first + " AND hire_date <= " + last +
           " LIMIT " + std::to_string(limit + 1) + ";\nSELECT declaration_id, version, content_hash FROM declarations "
           "WHERE employer_id = " + employer + " AND month = " + std::to_string(month.serial()) +
           " ORDER BY version DESC LIMIT 1";
    auto results = exec_all(sql, "employees");
    if (!results) return drop_pending(results.error());
    pending_spells_ = false;
    const PGresult* latest = results->back().get();
    prefetched_ = Prefetched{{employer_id, month.serial()}, std::nullopt};
    if (PQntuples(latest) > 0) {
      prefetched_->latest = StoredDeclaration{int_of(latest, 0, 0), static_cast<int>(int_of(latest, 0, 1)),
                                              text_of(latest, 0, 2)};
    }
    const PgResult* r = &(*results)[results->size() - 2];
    std::vector<std::int64_t> ids;
    for (int i = 0; i < PQntuples(r->get()); ++i) ids.push_back(int_of(r->get(), i, 0));
    if (ids.size() > limit) return std::optional<std::vector<std::int64_t>>();
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return std::optional<std::vector<std::int64_t>>(std::move(ids));
  }

  Result<void> record_hire(std::int64_t person_id, std::int64_t employer_id, Date hire_date) override {
    // Kept as rows of one INSERT (many: through hire_stage), sent before the
    // leaves and the other buffered statements (a leave picks the latest spell
    // hired on or before its date, so inserting the hires first gives what the
    // calls in order would).
    pending_hires_.push_back(Hire{person_id, employer_id, hire_date});
    pending_spells_ = true;
    if (month_cache_ && hire_date <= Date::last_of(YearMonth::from_serial(month_cache_->month))) {
      month_cache_->employees[employer_id].push_back(person_id);
    }
    return after_write();
  }

  Result<void> record_leave(std::int64_t person_id, std::int64_t employer_id, Date leave_date) override {
    // Sent with the other leaves after the hires (append_leaves).
    pending_leaves_.push_back(Leave{person_id, employer_id, leave_date});
    pending_spells_ = true;
    if (month_cache_) month_cache_->changed.insert(employer_id);
    return after_write();
  }

  // --- declarations ---
  Result<std::optional<StoredDeclaration>> latest_declaration(std::int64_t employer_id, YearMonth month) override {
    const auto pending = pending_declarations_.find({employer_id, month.serial()});
    if (pending != pending_declarations_.end()) {
      const Head& head = pending_heads_[pending->second];
      return std::optional<StoredDeclaration>(StoredDeclaration{head.declaration_id, head.version, head.content_hash});
    }
    if (month_cache_ && month_cache_->month == month.serial()) {
      const auto found = month_cache_->latest.find(employer_id);
      if (found == month_cache_->latest.end()) return std::optional<StoredDeclaration>();
      return std::optional<StoredDeclaration>(found->second);
    }
    if (prefetched_ && prefetched_->key == std::pair<std::int64_t, int>(employer_id, month.serial())) {
      auto latest = std::move(prefetched_->latest);
      prefetched_.reset();
      return latest;
    }
    // Buffered writes touch only the employer-months in pending_declarations_.
    auto r = query_now(kLatestDeclaration, Params().add(employer_id).add(static_cast<std::int64_t>(month.serial())),
                       "latest declaration");
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return std::optional<StoredDeclaration>();
    return std::optional<StoredDeclaration>(StoredDeclaration{
        int_of(r->get(), 0, 0), static_cast<int>(int_of(r->get(), 0, 1)), text_of(r->get(), 0, 2)});
  }

  Result<std::int64_t> insert_declaration(std::int64_t employer_id, YearMonth month, int version,
                                          std::string_view content_hash, std::string_view source,
                                          const std::vector<DeclarationLine>& lines) override {
    auto id = reserve("declaration_ids", declaration_ids_, 1);
    if (!id) return tl::unexpected(id.error());
    if (in_tx_) declarations_written_ = true;
    const std::int64_t declaration_id = id->front();
    const std::pair<std::int64_t, int> key{employer_id, month.serial()};
    const auto earlier = pending_declarations_.find(key);
    if (earlier != pending_declarations_.end()) pending_heads_[earlier->second].superseded = true;
    if (version > 1) {
      defer("UPDATE declarations SET superseded = TRUE WHERE employer_id = " + std::to_string(employer_id) +
            " AND month = " + std::to_string(month.serial()) + " AND NOT superseded");
    }
    pending_declarations_[key] = pending_heads_.size();
    if (month_cache_ && month_cache_->month == month.serial()) {
      month_cache_->latest[employer_id] = StoredDeclaration{declaration_id, version, std::string(content_hash)};
    }
    pending_heads_.push_back(Head{declaration_id, employer_id, month.serial(), version, std::string(content_hash),
                                  std::string(source), static_cast<std::int64_t>(lines.size()), false});
    const std::string fixed = "\t" + std::to_string(declaration_id) + "\t" + std::to_string(employer_id) + "\t" +
                              std::to_string(month.serial()) + "\t";
    for (const DeclarationLine& line : lines) {
      copy_int(pending_lines_, line.person_id);
      pending_lines_ += fixed;
      copy_int(pending_lines_, line.wage_fen);
      pending_lines_ += '\t';
      copy_int(pending_lines_, line.days_worked);
      pending_lines_ += '\t';
      copy_text(pending_lines_, line.event);
      pending_lines_ += '\t';
      if (line.event_date) {
        pending_lines_ += line.event_date->to_string();
      } else {
        pending_lines_ += "\\N";
      }
      pending_lines_ += '\n';
    }
    if (pending_lines_.size() > kLineBufferBytes) {
      if (auto ok = flush(true); !ok) return tl::unexpected(ok.error());
    }
    if (auto ok = after_write(); !ok) return tl::unexpected(ok.error());
    return declaration_id;
  }

  // The payment dates are read once per connection; a change is buffered (one
  // statement with the next round trip) and answered from them.
  Result<bool> record_payment(std::int64_t employer_id, YearMonth month, Date paid_on) override {
    settle_written(true);
    if (!payments_loaded_) {
      auto r = query("SELECT employer_id, month, paid_on FROM payments", Params(), "read payments");
      if (!r) return tl::unexpected(r.error());
      for (int i = 0; i < PQntuples(r->get()); ++i) {
        payments_[{int_of(r->get(), i, 0), static_cast<int>(int_of(r->get(), i, 1))}] = text_of(r->get(), i, 2);
      }
      payments_loaded_ = true;
    }
    const std::string date = paid_on.to_string();
    auto& stored = payments_[{employer_id, month.serial()}];
    if (stored == date) return false;
    stored = date;
    defer("INSERT INTO payments (employer_id, month, paid_on) VALUES (" + std::to_string(employer_id) + ", " +
          std::to_string(month.serial()) + ", " + date_literal(paid_on) +
          ") ON CONFLICT (employer_id, month) DO UPDATE SET paid_on = excluded.paid_on");
    if (auto ok = after_write(); !ok) return tl::unexpected(ok.error());
    return true;
  }

  // --- month run ---
  // Before a month run's first read, once per connection: ANALYZE the tables
  // of kStaleTables (as PostgreSQL's documentation asks after a bulk load), and
  // neither parallel plans nor JIT compilation for the rest of the connection.
  // A month run's reads are index scans of one month's rows or of the
  // employer-months to settle; the planner still chose a parallel plan for the
  // month's declarations (a Gather Merge over a parallel bitmap scan), which
  // took 2 to 8 times as long as the plain one on a 2-core machine (starting
  // the worker, merging its sorted half), and a plan estimated above
  // jit_above_cost (misestimated employer-months to settle, or larger tables)
  // spends tens of milliseconds compiling for a statement of about as many.
  // work_mem 64 MB: the employer-months to settle (a hash of the month's
  // payments, a sort of about one row per employer) stay in memory instead of
  // spilling to temporary files at the default 4 MB.
  Result<void> refresh_statistics() {
    if (statistics_fresh_) return {};
    if (auto ok = exec(kMonthRunSettings,
                       "month run settings");
        !ok) {
      return tl::unexpected(ok.error());
    }
    auto stale = query(kStaleTables, Params(), "check planner statistics");
    if (!stale) return tl::unexpected(stale.error());
    std::string tables;
    for (int i = 0; i < PQntuples(stale->get()); ++i) {
      const std::string table = text_of(stale->get(), i, 0);
      tables += (i > 0 ? ", " : "") + table;
      // Not the packed entries' `lines` (large json, read by no plan): sampling
      // them would detoast and parse thousands of lines per sampled row.
      if (table == "journal_entries") {
        tables += " (person_id, entry_id, idempotency_key, kind, month, source_id, corrects_entry_id)";
      }
    }
    if (!tables.empty()) {
      if (auto ok = exec("ANALYZE " + tables, "analyze"); !ok) return tl::unexpected(ok.error());
    }
    statistics_fresh_ = true;
    return {};
  }

  Result<std::vector<std::int64_t>> declarations_to_book(YearMonth month) override {
    if (auto ok = refresh_statistics(); !ok) return tl::unexpected(ok.error());
    auto r = query(kDeclarationsToBook, Params().add(static_cast<std::int64_t>(month.serial())), "declarations to book");
    if (!r) return tl::unexpected(r.error());
    const PGresult* res = r->get();
    std::vector<std::int64_t> ids, employers;
    ids.reserve(static_cast<std::size_t>(PQntuples(res)));
    employers.reserve(ids.capacity());
    employer_attributes_.clear();  // read afresh with each month run's declarations
    for (int i = 0; i < PQntuples(res); ++i) {
      ids.push_back(int_of(res, i, 0));
      employers.push_back(int_of(res, i, 1));
      if (!null_at(res, i, 2)) remember_employer(res, i, 1);  // null: no such employer
    }
    read_ahead_.reset();
    if (!ids.empty() && !declarations_written_) {
      read_ahead_ = std::make_unique<LineReadAhead>(*pool_, ids, std::move(employers), month.serial(),
                                                    [this](PGconn* conn, const PGresult* r) {
                                                      return error(conn, "declared person-months", r).value();
                                                    });
    }
    if (!ids.empty()) start_side_reads(month);
    return ids;
  }
  // An employer's attributes from columns first..first+3 (id, region, size, unit type).
  void remember_employer(const PGresult* res, int row, int first) {
    EmployerAttributes attributes;
    attributes.region = text_of(res, row, first + 1);
    attributes.size = *registry::parse_employer_size(text_of(res, row, first + 2));
    attributes.unit_type = *registry::parse_unit_type(text_of(res, row, first + 3));
    employer_attributes_.insert_or_assign(int_of(res, row, first), std::move(attributes));
  }

  Result<std::vector<collection::DeclaredPersonMonth>> declared_person_months(std::int64_t declaration_id) override {
    return declared_person_months_of(std::span<const std::int64_t>(&declaration_id, 1));
  }

  Result<std::vector<collection::DeclaredPersonMonth>> declared_person_months_of(
      std::span<const std::int64_t> declaration_ids) override {
    std::vector<DeclaredLine> lines;
    std::optional<Result<std::vector<DeclaredLine>>> ahead;
    if (read_ahead_) ahead = read_ahead_->take(declaration_ids);
    if (ahead) {
      if (!*ahead) {
        read_ahead_.reset();
        return tl::unexpected(ahead->error());
      }
      lines = std::move(**ahead);
    } else {
      auto r = query(kDeclaredPersonMonthsOf, Params().add(id_array(declaration_ids)), "declared person-months", 1);
      if (!r) return tl::unexpected(r.error());
      lines = declared_lines_of(r->get());
    }
    std::vector<std::int64_t> missing;  // employers not in employer_attributes_
    std::unordered_set<std::int64_t> asked;
    for (const DeclaredLine& line : lines) {
      if (!employer_attributes_.contains(line.employer_id) && asked.insert(line.employer_id).second) {
        missing.push_back(line.employer_id);
      }
    }
    if (!missing.empty()) {
      auto found = query(kEmployerAttributes, Params().add(id_array(missing)), "declared person-months");
      if (!found) return tl::unexpected(found.error());
      for (int i = 0; i < PQntuples(found->get()); ++i) remember_employer(found->get(), i, 0);
    }
    std::vector<collection::DeclaredPersonMonth> rows;
    rows.reserve(lines.size());
    for (const DeclaredLine& line : lines) {
      const auto employer = employer_attributes_.find(line.employer_id);
      if (employer == employer_attributes_.end()) continue;  // no such employer: as the join it replaces
      collection::DeclaredPersonMonth row;
      row.declaration_id = line.declaration_id;
      row.person_id = line.person_id;
      row.employer_id = line.employer_id;
      row.employer_region = employer->second.region;
      row.employer_size = employer->second.size;
      row.unit_type = employer->second.unit_type;
      row.month = YearMonth::from_serial(line.month);
      row.declared_wage = Money::from_fen(line.wage_fen);
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<std::vector<StoredPackedEntry>> packed_entries_to_reverse(YearMonth month) override {
    if (auto ok = refresh_statistics(); !ok) return tl::unexpected(ok.error());
    auto r = query(kPackedToReverse, Params().add(static_cast<std::int64_t>(month.serial())), "entries to reverse");
    if (!r) return tl::unexpected(r.error());
    std::vector<StoredPackedEntry> entries;
    const PGresult* res = r->get();
    for (int i = 0; i < PQntuples(res); ++i) {
      const std::int64_t entry_id = int_of(res, i, 0);
      if (entries.empty() || entries.back().entry_id != entry_id) {
        StoredPackedEntry stored;
        stored.entry_id = entry_id;
        ledger::PackedEntry& entry = stored.entry;
        entry.month = YearMonth::from_serial(static_cast<int>(int_of(res, i, 1)));
        entry.source_id = int_of(res, i, 2);
        entry.idempotency_key = ledger::packed_contribution_key(entry.source_id);
        entry.kind = ledger::EntryKind::contribution;
        entry.employer_id = int_of(res, i, 3);
        entry.person_id = -entry.employer_id;
        entry.province = static_cast<int>(int_of(res, i, 4));
        entries.push_back(std::move(stored));
      }
      entries.back().entry.lines.push_back(
          ledger::PackedLine{int_of(res, i, 5), int_of(res, i, 6), int_of(res, i, 7), int_of(res, i, 8)});
    }
    return entries;
  }

  Result<std::vector<collection::FlexibleMonth>> flexible_months_to_book(YearMonth month) override {
    if (auto ok = refresh_statistics(); !ok) return tl::unexpected(ok.error());
    if (side_.reads && side_marks_.take_flexible(month)) {
      auto r = side_.reads->take(0);
      if (!r) return tl::unexpected(r.error());
      return std::move(side_.rows->flexible);
    }
    auto r = query(kFlexibleToBook, Params().add(static_cast<std::int64_t>(month.serial())), "flexible months");
    if (!r) return tl::unexpected(r.error());
    return flexible_rows(r->get(), month);
  }
  // The rows of kFlexibleToBook.
  static std::vector<collection::FlexibleMonth> flexible_rows(const PGresult* r, YearMonth month) {
    std::vector<collection::FlexibleMonth> rows;
    rows.reserve(static_cast<std::size_t>(PQntuples(r)));
    std::unordered_map<std::string, Decimal> ratios;  // a few values, each parsed once
    for (int i = 0; i < PQntuples(r); ++i) {
      collection::FlexibleMonth row;
      row.person_id = int_of(r, i, 0);
      row.scheme_region = text_of(r, i, 1);
      if (!null_at(r, i, 2)) {
        auto [ratio, added] = ratios.try_emplace(text_of(r, i, 2));
        if (added) ratio->second = *Decimal::parse(ratio->first);
        row.base_ratio = ratio->second;
      }
      row.month = month;
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<std::vector<EmployerMonthDues>> employer_dues(YearMonth up_to) override {
    auto r = query(kEmployerDues, Params().add(static_cast<std::int64_t>(up_to.serial())), "employer dues");
    if (!r) return tl::unexpected(r.error());
    return dues_rows(r->get());
  }

  Result<std::vector<EmployerMonthDues>> employer_dues_to_settle(YearMonth month) override {
    if (auto ok = refresh_statistics(); !ok) return tl::unexpected(ok.error());
    auto r = query(kEmployerDuesToSettle,
                   Params().add(static_cast<std::int64_t>(month.serial())).add(Date::first_of(month).to_string()),
                   "employer dues to settle");
    if (!r) return tl::unexpected(r.error());
    return dues_rows(r->get());
  }

  // The months before `month`: kEmployerDuesToSettleBefore, from the side
  // reads when they still hold. `month` itself: its dues not paid in full with
  // a payment dated by its last day (the payments from the side reads when they
  // still hold; the dues read here, where the run's own are).
  Result<std::vector<EmployerMonthDues>> employer_dues_to_settle(YearMonth month, SettlePart part) override {
    if (auto ok = refresh_statistics(); !ok) return tl::unexpected(ok.error());
    if (part == SettlePart::before) {
      Result<PgResult> r = fail(ErrorCode::internal, "", "");
      if (side_.reads && side_marks_.take_settle_before(month)) {
        r = side_.reads->take(1);
        if (!r) return tl::unexpected(r.error());
        return std::move(side_.rows->before);
      } else {
        r = query(kEmployerDuesToSettleBefore,
                  Params().add(static_cast<std::int64_t>(month.serial())).add(Date::first_of(month).to_string()),
                  "employer dues to settle");
      }
      if (!r) return tl::unexpected(r.error());
      return dues_rows(r->get());
    }
    Result<PgResult> paid = fail(ErrorCode::internal, "", "");
    if (side_.reads && side_marks_.take_payments_within(month)) {
      paid = side_.reads->take(2);
    } else {
      paid = query(kPaymentsWithinMonth,
                   Params().add(static_cast<std::int64_t>(month.serial())).add(Date::last_of(month).to_string()),
                   "employer dues to settle");
    }
    if (!paid) return tl::unexpected(paid.error());
    if (PQntuples(paid->get()) == 0) return std::vector<EmployerMonthDues>();
    std::vector<std::int64_t> employers;
    for (int i = 0; i < PQntuples(paid->get()); ++i) employers.push_back(int_of(paid->get(), i, 0));
    auto own = query(kEmployerDuesOfMonth,
                     Params()
                         .add(static_cast<std::int64_t>(month.serial()))
                         .add(id_array(employers))
                         .add(Date::last_of(month).to_string()),
                     "employer dues to settle");
    if (!own) return tl::unexpected(own.error());
    return dues_rows(own->get());
  }

  // The months before `month` are read on the side connection: ready once read.
  bool employer_dues_ready(YearMonth month, SettlePart part) override {
    if (part != SettlePart::before || !side_.reads || !side_marks_.settle_before_pending(month)) return true;
    return side_.reads->ready(1);
  }

  static std::vector<EmployerMonthDues> dues_rows(const PGresult* r) {
    std::vector<EmployerMonthDues> rows;
    for (int i = 0; i < PQntuples(r); ++i) {
      EmployerMonthDues row;
      row.employer_id = int_of(r, i, 0);
      row.employer_region = text_of(r, i, 1);
      row.month = YearMonth::from_serial(static_cast<int>(int_of(r, i, 2)));
      row.dues_fen = int_of(r, i, 3);
      row.paid_fen = int_of(r, i, 4);
      if (!null_at(r, i, 5)) row.paid_on = *Date::parse(text_of(r, i, 5));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<void> add_employer_month(std::int64_t employer_id, YearMonth month, std::int64_t dues_delta_fen,
                                  std::int64_t paid_delta_fen) override {
    // Summed here per employer-month and sent as one statement (the totals only
    // add up; every read of them sends the buffer first).
    employer_month_written(month.serial());
    auto& delta = pending_employer_months_[{employer_id, month.serial()}];
    delta.first += dues_delta_fen;
    delta.second += paid_delta_fen;
    return after_write();
  }

  // --- ledger ---
  Result<bool> entry_exists(std::string_view idempotency_key) override {
    std::int64_t source_id = 0;
    std::int64_t person_id = 0;
    YearMonth month;
    int first = 0, last = 0;
    Result<PgResult> r = fail(ErrorCode::internal, "", "");
    if (settlement_key_run_months(idempotency_key, first, last)) {
      const std::string key(idempotency_key);
      auto booked = entries_exist(std::span(&key, 1));
      if (!booked) return tl::unexpected(booked.error());
      return booked->front();
    } else if (parse_contribution_key(idempotency_key, source_id)) {
      r = query(kContributionExists, Params().add(source_id), "entry exists");
    } else if (parse_flexible_key(idempotency_key, person_id, month)) {
      r = query(kFlexibleExists, Params().add(static_cast<std::int64_t>(month.serial())).add(person_id),
                "entry exists");
    } else {
      r = query(kEntryExists, Params().add(idempotency_key), "entry exists");
    }
    if (!r) return tl::unexpected(r.error());
    return PQntuples(r->get()) > 0;
  }

  // Keys stored as text in one query; computed keys (contributions, flexible
  // payments) one by one, as entry_exists; the keys of packed payments' and
  // late fees' lines (migration 11) of the run months the keys can name at once.
  Result<std::vector<bool>> entries_exist(std::span<const std::string> keys) override {
    std::vector<bool> booked(keys.size(), false);
    std::string array = "{";
    std::vector<std::size_t> stored;
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
      auto r = query(kSettlementKeys, Params().add(static_cast<std::int64_t>(first)).add(static_cast<std::int64_t>(last)),
                     "settlement keys");
      if (!r) return tl::unexpected(r.error());
      for (int row = 0; row < PQntuples(r->get()); ++row) lines.insert(text_of(r->get(), row, 0));
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (lines.contains(keys[i])) {
        booked[i] = true;
        continue;
      }
      std::int64_t id = 0;
      YearMonth month;
      if (parse_contribution_key(keys[i], id) || parse_flexible_key(keys[i], id, month)) {
        auto exists = entry_exists(keys[i]);
        if (!exists) return tl::unexpected(exists.error());
        booked[i] = *exists;
        continue;
      }
      array += stored.empty() ? "\"" : ",\"";
      for (const char c : keys[i]) {
        if (c == '"' || c == '\\') array += '\\';
        array += c;
      }
      array += '"';
      stored.push_back(i);
    }
    array += '}';
    if (stored.empty()) return booked;
    auto r = query(kEntriesExist, Params().add(array), "entries exist");
    if (!r) return tl::unexpected(r.error());
    std::unordered_set<std::string> found;
    for (int row = 0; row < PQntuples(r->get()); ++row) found.insert(text_of(r->get(), row, 0));
    for (const std::size_t i : stored) booked[i] = found.contains(keys[i]);
    return booked;
  }

  Result<std::int64_t> book(const ledger::JournalEntry& entry) override {
    if (auto ok = ledger::check_entry(entry); !ok) return tl::unexpected(ok.error());
    if (auto ok = check_key(entry); !ok) return tl::unexpected(ok.error());
    auto ids = reserve("entry_ids", entry_ids_, 1);
    if (!ids) return tl::unexpected(ids.error());
    auto booked = write_entries(std::span<const ledger::JournalEntry>(&entry, 1), *ids, "book");
    if (!booked) return tl::unexpected(booked.error());
    return ids->front();
  }

  Result<void> book_many(std::span<const ledger::JournalEntry> entries) override {
    if (entries.empty()) return {};
    for (const ledger::JournalEntry& entry : entries) {
      if (auto ok = ledger::check_entry(entry); !ok) return tl::unexpected(ok.error());
      if (auto ok = check_key(entry); !ok) return tl::unexpected(ok.error());
    }
    auto ids = reserve("entry_ids", entry_ids_, static_cast<std::int64_t>(entries.size()));
    if (!ids) return tl::unexpected(ids.error());
    return write_entries(entries, *ids, "book_many");
  }

  // kCopyPacked rows (binary, no header) of packed entries with their ids.
  static std::string packed_rows(std::span<const ledger::PackedEntry> entries, const std::vector<std::int64_t>& ids) {
    std::string rows;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const ledger::PackedEntry& entry = entries[i];
      // A contribution's key is computed from its declaration, flexible payments'
      // from their first person and month (not stored).
      const bool computed =
          entry.kind == ledger::EntryKind::contribution || entry.kind == ledger::EntryKind::flexible_contribution;
      const std::string_view key = computed ? std::string_view() : std::string_view(entry.idempotency_key);
      binary_packed_row(rows, entry.person_id, ids[i], key, entry.kind, entry.month, entry.source_id,
                        entry.corrects_entry_id, [&](std::string& out) { append_packed_lines(out, entry); });
    }
    return rows;
  }
  // `rows` of kCopyPacked as a whole binary COPY's data.
  static std::string whole_binary_copy(const std::string& rows) {
    std::string data;
    data.reserve(kBinaryCopyHeader.size() + rows.size() + kBinaryCopyTrailer.size());
    data += kBinaryCopyHeader;
    data += rows;
    data += kBinaryCopyTrailer;
    return data;
  }

  // Checked packed entries with ids reserved, as kCopyPacked rows.
  Result<std::string> packed_copy(std::span<const ledger::PackedEntry> entries) {
    for (const ledger::PackedEntry& entry : entries) {
      if (auto ok = ledger::check_packed(entry); !ok) return tl::unexpected(ok.error());
      if (ReadAhead::changes_flexible(entry.kind)) flexible_written();
    }
    auto ids = reserve("entry_ids", entry_ids_, static_cast<std::int64_t>(entries.size()));
    if (!ids) return tl::unexpected(ids.error());
    return packed_rows(entries, *ids);
  }

  // One journal_entries row per packed entry (COPY), all or none.
  Result<void> book_packed(std::span<const ledger::PackedEntry> entries) override {
    if (entries.empty()) return {};
    auto copied = packed_copy(entries);
    if (!copied) return tl::unexpected(copied.error());
    const std::string rows = whole_binary_copy(*copied);
    return atomically("book_packed", [&]() -> Result<void> {
      if (auto ok = flush(false); !ok) return ok;
      return copy_entries(kCopyPacked, rows, "book packed entries", entries.size(), entries.front().idempotency_key,
                          "book_packed");
    });
  }

  // As book_packed, without waiting for the server: the rows go into the
  // open transaction with no savepoint, as more rows of one COPY left open
  // (streaming) until the connection is wanted for anything else (a read, the
  // employer-month totals, a reservation of ids, the commit). The server
  // stores them as they come while a month run prepares its next group of
  // declarations, with no statement, no round trip and no wait between groups.
  // A failure, a key booked already included, is reported by that next use of
  // the connection and leaves the transaction to roll back.
  Result<void> book_packed_ahead(std::span<const ledger::PackedEntry> entries) override {
    if (!in_tx_) return book_packed(entries);
    if (entries.empty()) return {};
    auto rows = packed_copy(entries);
    if (!rows) return tl::unexpected(rows.error());
    return stream_packed(*rows, entries.size(), entries.front().idempotency_key, "book packed entries",
                         "book_packed");
  }
  // As book_packed_ahead, for book_settlements (the same COPY).
  Result<void> book_settlements_ahead(std::span<const ledger::SettlementEntry> entries) override {
    if (!in_tx_) return book_settlements(entries);
    if (entries.empty()) return {};
    auto rows = settlement_copy(entries);
    if (!rows) return tl::unexpected(rows.error());
    return stream_packed(*rows, entries.size(), entries.front().idempotency_key, "book settlement entries",
                         "book_settlements");
  }
  // Rows of kCopyPacked onto the open COPY, started if none is.
  Result<void> stream_packed(const std::string& rows, std::size_t count, const std::string& first_key,
                             const char* what, const char* name) {
    if (auto ok = flush(false); !ok) return ok;
    if (!copy_open_) {
      if (auto ok = await_copy(); !ok) return ok;
      PgResult start(PQexec(conn_, kCopyPacked));
      if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) return error(conn_, what, start.get());
      copy_open_ = true;
      pending_copy_ = PendingCopy{0, first_key, what, name};
      if (PQputCopyData(conn_, kBinaryCopyHeader.data(), static_cast<int>(kBinaryCopyHeader.size())) != 1) {
        return error(conn_, what, nullptr);
      }
    }
    pending_copy_->count += count;
    // Flushed: the rows reach the server now, not when libpq's buffer fills.
    if (PQputCopyData(conn_, rows.data(), static_cast<int>(rows.size())) != 1 || PQflush(conn_) != 0) {
      return error(conn_, what, nullptr);
    }
    return {};
  }
  // The result of the COPY book_packed_ahead sent, if any (ended first if open).
  Result<void> await_copy() {
    if (!pending_copy_) return {};
    if (copy_open_) {
      copy_open_ = false;
      if (PQputCopyData(conn_, kBinaryCopyTrailer.data(), static_cast<int>(kBinaryCopyTrailer.size())) != 1 ||
          PQputCopyEnd(conn_, nullptr) != 1) {
        const char* what = pending_copy_->what;
        pending_copy_.reset();
        while (PGresult* more = PQgetResult(conn_)) PQclear(more);
        return error(conn_, what, nullptr);
      }
    }
    const PendingCopy pending = std::move(*pending_copy_);
    pending_copy_.reset();
    auto ok = copy_result(pending.what);
    if (!ok && ok.error().code == ErrorCode::conflict) {
      return fail(ErrorCode::conflict, pending.count == 1 ? pending.first_key : std::string(pending.name),
                  pending.count == 1 ? "this entry is already booked"
                                     : "an entry of this batch is already booked (" + ok.error().message + ")");
    }
    return ok;
  }
  // Reads and drops the result of such a COPY (the transaction is being rolled back).
  void drop_copy() noexcept {
    if (!pending_copy_) return;
    pending_copy_.reset();
    if (copy_open_) {
      copy_open_ = false;
      PQputCopyEnd(conn_, "the transaction is rolled back");
    }
    while (PGresult* more = PQgetResult(conn_)) PQclear(more);
  }

  // kCopyPacked rows (binary, no header) of packed settlement entries with their ids.
  static std::string settlement_rows(std::span<const ledger::SettlementEntry> entries,
                                     const std::vector<std::int64_t>& ids) {
    std::string rows;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const ledger::SettlementEntry& entry = entries[i];
      binary_packed_row(rows, entry.person_id, ids[i], entry.idempotency_key, ledger::EntryKind::settlement,
                        entry.month, 0, std::nullopt,
                        [&](std::string& out) { append_settlement_lines(out, entry); });
    }
    return rows;
  }

  // Checked settlement entries with ids reserved, as kCopyPacked rows.
  Result<std::string> settlement_copy(std::span<const ledger::SettlementEntry> entries) {
    for (const ledger::SettlementEntry& entry : entries) {
      if (auto ok = ledger::check_settlement(entry); !ok) return tl::unexpected(ok.error());
    }
    auto ids = reserve("entry_ids", entry_ids_, static_cast<std::int64_t>(entries.size()));
    if (!ids) return tl::unexpected(ids.error());
    return settlement_rows(entries, *ids);
  }

  // One journal_entries row per packed settlement entry (COPY), all or none.
  Result<void> book_settlements(std::span<const ledger::SettlementEntry> entries) override {
    if (entries.empty()) return {};
    auto copied = settlement_copy(entries);
    if (!copied) return tl::unexpected(copied.error());
    const std::string rows = whole_binary_copy(*copied);
    return atomically("book_settlements", [&]() -> Result<void> {
      if (auto ok = flush(false); !ok) return ok;
      return copy_entries(kCopyPacked, rows, "book settlement entries", entries.size(),
                          entries.front().idempotency_key, "book_settlements");
    });
  }

  // COPY of journal entries; a key already booked is a conflict naming the
  // entry (one) or the batch (`name`).
  Result<void> copy_entries(const char* sql, const std::string& rows, const char* what, std::size_t count,
                            const std::string& first_key, const char* name) {
    auto ok = copy(sql, rows, what);
    if (!ok && ok.error().code == ErrorCode::conflict) {
      return fail(ErrorCode::conflict, count == 1 ? first_key : std::string(name),
                  count == 1 ? "this entry is already booked"
                             : "an entry of this batch is already booked (" + ok.error().message + ")");
    }
    return ok;
  }

  // The entries and their postings with COPY, all or none.
  Result<void> write_entries(std::span<const ledger::JournalEntry> entries, const std::vector<std::int64_t>& ids,
                             const char* name) {
    std::string entry_rows;
    std::string posting_rows;
    entry_rows.reserve(entries.size() * 48);
    posting_rows.reserve(entries.size() * 100);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const ledger::JournalEntry& entry = entries[i];
      copy_entry_row(entry_rows, entry.person_id, ids[i], stored_key(entry), entry.kind, entry.month,
                     entry.source_id, entry.corrects_entry_id);
      entry_rows += '\n';
      std::int64_t seq = 0;
      for (const ledger::Posting& posting : entry.postings) {
        copy_int(posting_rows, entry.person_id);
        posting_rows += '\t';
        copy_int(posting_rows, ids[i]);
        posting_rows += '\t';
        copy_int(posting_rows, seq++);
        posting_rows += '\t';
        copy_int(posting_rows, static_cast<std::int64_t>(posting.account.kind));
        posting_rows += '\t';
        copy_int(posting_rows, posting.account.owner);
        posting_rows += '\t';
        copy_int(posting_rows, posting.amount_fen);
        posting_rows += '\n';
      }
    }
    return atomically(name, [&]() -> Result<void> {
      if (auto ok = flush(false); !ok) return ok;
      if (auto ok = copy_entries(kCopyEntries, entry_rows, "book entries", entries.size(),
                                 entries.front().idempotency_key, name);
          !ok) {
        return ok;
      }
      return copy(kCopyPostings, posting_rows, "book postings");
    });
  }

  Result<std::vector<PersonalYear>> personal_year_activity(int year) override {
    std::unordered_map<std::int64_t, std::string> regions;
    {
      auto r = query(kPersonRegion, Params(), "person regions");
      if (!r) return tl::unexpected(r.error());
      for (int i = 0; i < PQntuples(r->get()); ++i) regions[int_of(r->get(), i, 0)] = text_of(r->get(), i, 1);
    }
    const int first = YearMonth::of(year, 1).serial();
    auto r = query(kPersonalYear, Params().add(static_cast<std::int64_t>(first)).add(static_cast<std::int64_t>(first + 12)),
                   "personal year");
    if (!r) return tl::unexpected(r.error());
    std::vector<PersonalYear> rows;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      const std::int64_t owner = int_of(r->get(), i, 0);
      const int month_serial = static_cast<int>(int_of(r->get(), i, 1));
      const std::int64_t credit = -int_of(r->get(), i, 2);
      if (rows.empty() || rows.back().person_id != owner) {
        PersonalYear row;
        row.person_id = owner;
        row.region = regions[owner];
        rows.push_back(std::move(row));
      }
      if (month_serial < first) {
        rows.back().opening_fen += credit;
      } else if (credit != 0) {
        rows.back().credits.emplace_back(month_serial - first + 1, credit);
      }
    }
    return rows;
  }

  // --- transfers ---
  Result<std::int64_t> insert_transfer(const portability::Transfer& transfer) override {
    auto r = query(kInsertTransfer,
                   Params()
                       .add(transfer.person_id)
                       .add(static_cast<std::int64_t>(transfer.from_province))
                       .add(static_cast<std::int64_t>(transfer.to_province))
                       .add(transfer.requested_on.to_string())
                       .add(portability::to_string(transfer.status)),
                   "insert transfer");
    if (!r) return tl::unexpected(r.error());
    return int_of(r->get(), 0, 0);
  }

  Result<void> update_transfer(const portability::Transfer& transfer) override {
    auto r = query(kUpdateTransfer,
                   Params()
                       .add(transfer.transfer_id)
                       .add(portability::to_string(transfer.status))
                       .add(transfer.account_fen)
                       .add(transfer.pooled_fen)
                       .add(transfer.counted_months)
                       .add(transfer.reason),
                   "update transfer");
    if (!r) return tl::unexpected(r.error());
    return {};
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

  Result<std::optional<Person>> find_person_by_id(std::int64_t person_id) override {
    auto r = query(kFindPersonById, Params().add(person_id), "person by id");
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return std::optional<Person>();
    return std::optional<Person>(person_from(r->get(), 0));
  }

  Result<std::vector<collection::DeclaredPersonMonth>> person_months_in_province(std::int64_t person_id,
                                                                                 int province) override {
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%02d%%", province % 100);
    auto r = query(kPersonMonthsInProvince, Params().add(person_id).add(std::string_view(prefix)),
                   "person months in province");
    if (!r) return tl::unexpected(r.error());
    std::vector<collection::DeclaredPersonMonth> rows;
    const PGresult* res = r->get();
    for (int i = 0; i < PQntuples(res); ++i) {
      collection::DeclaredPersonMonth row;
      row.declaration_id = int_of(res, i, 0);
      row.person_id = person_id;
      row.employer_id = int_of(res, i, 1);
      row.employer_region = text_of(res, i, 2);
      row.employer_size = *registry::parse_employer_size(text_of(res, i, 3));
      row.unit_type = *registry::parse_unit_type(text_of(res, i, 4));
      row.month = YearMonth::from_serial(static_cast<int>(int_of(res, i, 5)));
      row.declared_wage = Money::from_fen(int_of(res, i, 6));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<std::int64_t> personal_balance(std::int64_t person_id) override {
    auto r = query(kPersonalBalance, Params().add(person_id), "personal balance");
    if (!r) return tl::unexpected(r.error());
    return -int_of(r->get(), 0, 0);
  }

  // --- analytics ---
  Result<std::vector<analytics::RegisteredPerson>> registered_persons() override {
    auto r = query(kAnalyticsPersons, Params(), "read persons");
    if (!r) return tl::unexpected(r.error());
    const PGresult* res = r->get();
    const int rows = PQntuples(res);
    std::vector<analytics::RegisteredPerson> persons;
    persons.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      analytics::RegisteredPerson p;
      p.person_id = int_of(res, i, 0);
      p.resident_id = text_of(res, i, 1);
      p.name = text_of(res, i, 2);
      if (auto birth = Date::parse(text_of(res, i, 3))) p.birth_date = *birth;
      if (auto scheme = registry::parse_scheme(text_of(res, i, 4))) p.scheme = *scheme;
      p.scheme_region = text_of(res, i, 5);
      if (!null_at(res, i, 6)) {
        if (auto ratio = Decimal::parse(text_of(res, i, 6))) p.flexible_base_ratio = *ratio;
      }
      persons.push_back(std::move(p));
    }
    return persons;
  }

  Result<std::vector<analytics::CoverageFacts>> coverage_facts(YearMonth up_to) override {
    auto registered = registered_persons();
    if (!registered) return tl::unexpected(registered.error());
    std::vector<analytics::CoverageFacts> persons;
    persons.reserve(registered->size());
    for (const analytics::RegisteredPerson& person : *registered) persons.push_back(analytics::coverage_facts_of(person));
    registered->clear();
    std::unordered_map<std::int64_t, std::size_t> index;
    index.reserve(persons.size());
    for (std::size_t i = 0; i < persons.size(); ++i) index.emplace(persons[i].person_id, i);
    auto r = query(kAnalyticsContributionMonths, Params().add(static_cast<std::int64_t>(up_to.serial())),
                   "contribution months");
    if (!r) return tl::unexpected(r.error());
    const PGresult* res = r->get();
    for (int i = 0, rows = PQntuples(res); i < rows; ++i) {
      auto found = index.find(int_of(res, i, 0));
      if (found == index.end()) continue;
      analytics::CoverageFacts& p = persons[found->second];
      p.recent_months = static_cast<std::uint64_t>(int_of(res, i, 1));
      p.last_month = static_cast<std::int32_t>(int_of(res, i, 2));
      p.last_province = null_at(res, i, 3) ? std::int16_t{0} : static_cast<std::int16_t>(int_of(res, i, 3));
    }
    auto t = query(kAnalyticsTransferPersons, Params(), "transfers");
    if (!t) return tl::unexpected(t.error());
    for (int i = 0, rows = PQntuples(t->get()); i < rows; ++i) {
      if (auto found = index.find(int_of(t->get(), i, 0)); found != index.end()) {
        persons[found->second].transfer_requested = true;
      }
    }
    return persons;
  }

  Result<std::optional<YearMonth>> latest_contribution_month() override {
    std::optional<YearMonth> latest;
    for (const char* sql : {kAnalyticsLatestEmployeeMonth, kAnalyticsLatestFlexibleMonth}) {
      auto r = query(sql, Params(), "latest contribution month");
      if (!r) return tl::unexpected(r.error());
      if (PQntuples(r->get()) == 1 && !null_at(r->get(), 0, 0)) {
        const YearMonth month = YearMonth::from_serial(static_cast<int>(int_of(r->get(), 0, 0)));
        if (!latest || *latest < month) latest = month;
      }
    }
    return latest;
  }

  Result<std::vector<analytics::EmployerFacts>> employer_facts(YearMonth up_to) override {
    auto r = query(kAllEmployers, Params(), "read employers");
    if (!r) return tl::unexpected(r.error());
    std::vector<analytics::EmployerFacts> employers;
    std::unordered_map<std::int64_t, std::size_t> index;
    for (int i = 0, rows = PQntuples(r->get()); i < rows; ++i) {
      analytics::EmployerFacts facts;
      facts.employer.employer_id = int_of(r->get(), i, 0);
      facts.employer.credit_code = text_of(r->get(), i, 1);
      facts.employer.name = text_of(r->get(), i, 2);
      facts.employer.region = text_of(r->get(), i, 3);
      if (auto size = registry::parse_employer_size(text_of(r->get(), i, 4))) facts.employer.size = *size;
      if (auto type = registry::parse_unit_type(text_of(r->get(), i, 5))) facts.employer.unit_type = *type;
      index.emplace(facts.employer.employer_id, employers.size());
      employers.push_back(std::move(facts));
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
    auto fees = query(kAnalyticsLateFees, Params().add(static_cast<std::int64_t>(up_to.serial())), "late fees");
    if (!fees) return tl::unexpected(fees.error());
    for (int i = 0, rows = PQntuples(fees->get()); i < rows; ++i) {
      if (auto found = index.find(int_of(fees->get(), i, 0)); found != index.end()) {
        employers[found->second].late_fees_fen = int_of(fees->get(), i, 1);
      }
    }
    return employers;
  }

  Result<std::vector<analytics::DeclaredLineFact>> declared_lines(YearMonth month) override {
    auto r = query(kAnalyticsDeclaredLines, Params().add(static_cast<std::int64_t>(month.serial())), "declaration lines");
    if (!r) return tl::unexpected(r.error());
    std::vector<analytics::DeclaredLineFact> lines;
    lines.reserve(static_cast<std::size_t>(PQntuples(r->get())));
    for (int i = 0, rows = PQntuples(r->get()); i < rows; ++i) {
      lines.push_back(analytics::DeclaredLineFact{int_of(r->get(), i, 0), int_of(r->get(), i, 1), int_of(r->get(), i, 2)});
    }
    return lines;
  }

  Result<std::vector<analytics::SimulationPerson>> simulation_persons() override {
    auto r = query(kAnalyticsSimulationPersons, Params(), "read persons");
    if (!r) return tl::unexpected(r.error());
    const PGresult* res = r->get();
    const int rows = PQntuples(res);
    auto view = [&](int row, int column) {
      return std::string_view(PQgetvalue(res, row, column), static_cast<std::size_t>(PQgetlength(res, row, column)));
    };
    std::vector<analytics::SimulationPerson> persons(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      analytics::SimulationPerson& p = persons[static_cast<std::size_t>(i)];
      p.person_id = int_of(res, i, 0);
      p.resident_key = analytics::resident_id_key(view(i, 1)).value_or(0);
      if (auto birth = Date::parse(view(i, 2))) p.birth_date = *birth;
      if (auto scheme = registry::parse_scheme(view(i, 3))) p.scheme = *scheme;
      const std::string_view region = view(i, 4);
      std::from_chars(region.data(), region.data() + region.size(), p.scheme_region);
      if (!null_at(res, i, 5)) {
        if (auto ratio = Decimal::parse(view(i, 5))) p.base_ratio_e4 = analytics::base_ratio_e4(*ratio);
      }
      p.retirement_category = analytics::retirement_category_code(view(i, 6));
      const std::string_view hukou = view(i, 7);
      std::from_chars(hukou.data(), hukou.data() + hukou.size(), p.hukou_region);
    }
    return persons;
  }

  Result<std::vector<analytics::SimulationEmployer>> simulation_employers() override {
    auto r = query(kAnalyticsSimulationEmployers, Params(), "read employers");
    if (!r) return tl::unexpected(r.error());
    const PGresult* res = r->get();
    std::vector<analytics::SimulationEmployer> employers(static_cast<std::size_t>(PQntuples(res)));
    for (int i = 0, rows = PQntuples(res); i < rows; ++i) {
      analytics::SimulationEmployer& e = employers[static_cast<std::size_t>(i)];
      e.employer_id = int_of(res, i, 0);
      e.region = static_cast<std::int32_t>(int_of(res, i, 1));
      if (auto size = registry::parse_employer_size(text_of(res, i, 2))) e.size = *size;
      if (auto type = registry::parse_unit_type(text_of(res, i, 3))) e.unit_type = *type;
    }
    return employers;
  }

  Result<std::vector<analytics::PensionFacts>> pension_facts(const std::vector<std::int64_t>& person_ids,
                                                             YearMonth up_to) override {
    std::vector<analytics::PensionFacts> facts;
    facts.reserve(person_ids.size());
    for (const std::int64_t person_id : person_ids) {
      auto r = query(kAnalyticsPensionFacts,
                     Params().add(person_id).add(static_cast<std::int64_t>(up_to.serial())), "pension facts");
      if (!r) return tl::unexpected(r.error());
      facts.push_back(analytics::PensionFacts{person_id, int_of(r->get(), 0, 0), -int_of(r->get(), 0, 1)});
    }
    return facts;
  }

  using Database::verify;
  Result<std::vector<VerifyCheck>> verify(const VerifyProgress& progress) override;
  Result<Stats> stats() override;

 private:
  struct Head {
    std::int64_t declaration_id;
    std::int64_t employer_id;
    int month;
    int version;
    std::string content_hash;
    std::string source;
    std::int64_t line_count;
    bool superseded;
  };
  struct Prefetched {
    std::pair<std::int64_t, int> key;  // (employer, month)
    std::optional<StoredDeclaration> latest;
  };
  struct MonthCache {
    int month = 0;
    std::unordered_map<std::int64_t, std::vector<std::int64_t>> employees;  // employer → persons (unsorted)
    std::unordered_set<std::int64_t> changed;  // employers with a leave since: asked of the database
    std::unordered_map<std::int64_t, StoredDeclaration> latest;  // employer → latest declaration of the month
  };
  static constexpr std::size_t kLineBufferBytes = 8 << 20;
  static constexpr std::int64_t kLookupsBeforeLoad = 64;

  Result<std::vector<portability::Transfer>> transfers_where(const char* sql, std::int64_t key) {
    auto r = query(sql, Params().add(key), "transfers");
    if (!r) return tl::unexpected(r.error());
    std::vector<portability::Transfer> rows;
    const PGresult* res = r->get();
    for (int i = 0; i < PQntuples(res); ++i) {
      portability::Transfer t;
      t.transfer_id = int_of(res, i, 0);
      t.person_id = int_of(res, i, 1);
      t.from_province = static_cast<int>(int_of(res, i, 2));
      t.to_province = static_cast<int>(int_of(res, i, 3));
      t.requested_on = *Date::parse(text_of(res, i, 4));
      t.status = *portability::parse_transfer_status(text_of(res, i, 5));
      t.account_fen = int_of(res, i, 6);
      t.pooled_fen = int_of(res, i, 7);
      t.counted_months = int_of(res, i, 8);
      t.reason = text_of(res, i, 9);
      rows.push_back(std::move(t));
    }
    return rows;
  }

  std::unique_ptr<ConnectionPool> pool_;
  PGconn* conn_;
  bool in_tx_ = false;
  bool lost_ = false;
  // Buffered writes of the open transaction.
  struct Hire {
    std::int64_t person_id;
    std::int64_t employer_id;
    Date hire_date;
  };
  std::vector<Hire> pending_hires_;  // rows of employment_spells
  bool hires_staged_ = false;        // rows in hire_stage, inserted by the next take_pending()
  struct Leave {
    std::int64_t person_id;
    std::int64_t employer_id;
    Date leave_date;
  };
  std::vector<Leave> pending_leaves_;  // sent after the hires (append_leaves)
  std::map<std::pair<std::int64_t, int>, std::pair<std::int64_t, std::int64_t>> pending_employer_months_;
  std::string pending_sql_;
  std::string pending_lines_;  // COPY text of declaration_lines
  std::vector<Head> pending_heads_;
  std::map<std::pair<std::int64_t, int>, std::size_t> pending_declarations_;  // (employer, month) → pending_heads_
  bool pending_spells_ = false;
  std::optional<Prefetched> prefetched_;  // the latest declaration read with employees_in
  std::optional<MonthCache> month_cache_;
  std::map<std::pair<std::int64_t, int>, std::string> payments_;  // (employer, month) → paid_on
  bool payments_loaded_ = false;
  IdBlocks entry_ids_{.growing = true, .next_refill = 1, .ranges = {}};
  IdBlocks declaration_ids_;
  // Caches (a person's id never changes; employers are reloaded after a change).
  std::unordered_map<std::string, std::int64_t> person_ids_;
  bool person_ids_loaded_ = false;
  std::int64_t person_lookups_ = 0;
  std::unordered_map<std::string, Employer> employers_;
  bool employers_loaded_ = false;
  // What a month run's reads of declaration lines need of their employers, read
  // with the month's declarations (declarations_to_book) and, for an employer
  // not among them, with the lines; forgotten when an employer is written.
  struct EmployerAttributes {
    std::string region;
    registry::EmployerSize size = registry::EmployerSize::small;
    registry::UnitType unit_type = registry::UnitType::enterprise;
  };
  std::unordered_map<std::int64_t, EmployerAttributes> employer_attributes_;
  bool statistics_fresh_ = false;  // refresh_statistics() ran on this connection
  bool declarations_written_ = false;  // by the open transaction (its lines are not for another connection)
  std::unique_ptr<LineReadAhead> read_ahead_;  // the lines of the month's declarations (declarations_to_book)
  // A month run's reads on a side connection (SideReads), started with the
  // month's declarations: statement 0 the flexible workers to book (for
  // flexible_months_to_book), 1 the employer-months to settle before the month
  // and 2 the month's payments dated within it (for employer_dues_to_settle).
  // A result is taken once, and only while this connection's writes since
  // cannot have changed it (side_marks_, storage/read_ahead.h).
  struct SideRows {  // the rows of statements 0 and 1, parsed on the side thread
    std::vector<collection::FlexibleMonth> flexible;
    std::vector<EmployerMonthDues> before;
  };
  struct SideReadState {
    std::shared_ptr<SideRows> rows;
    std::unique_ptr<SideReads> reads;
  };
  SideReadState side_;
  ReadAhead side_marks_;
  // A COPY of book_packed_ahead whose result is still to be read (await_copy).
  struct PendingCopy {
    std::size_t count = 0;
    std::string first_key;
    const char* what = "";  // the step, for an error
    const char* name = "";  // the call, for a conflict of several entries
  };
  std::optional<PendingCopy> pending_copy_;
  bool copy_open_ = false;  // pending_copy_'s COPY still takes rows (stream_packed)
  void flexible_written() { side_marks_.flexible_written(in_tx_); }
  void settle_written(bool payments) { side_marks_.settle_written(in_tx_, payments); }
  void employer_month_written(int month) { side_marks_.employer_month_written(in_tx_, month); }
  void transaction_ended() { side_marks_.transaction_ended(); }
  // Starts the side reads of `month`'s run (see SideReadState).
  void start_side_reads(YearMonth month) {
    side_ = SideReadState{};
    side_marks_.stopped();
    const bool flexible = side_marks_.may_read_flexible();
    const bool settle = side_marks_.may_read_settle(month);
    if (!flexible && !settle) return;
    const std::string serial = std::to_string(month.serial());
    auto rows = std::make_shared<SideRows>();
    std::vector<SideReads::Statement> statements{
        {kFlexibleToBook, {serial}, [rows, month](const PGresult* r) { rows->flexible = flexible_rows(r, month); }},
        {kEmployerDuesToSettleBefore, {serial, Date::first_of(month).to_string()},
         [rows](const PGresult* r) { rows->before = dues_rows(r); }},
        {kPaymentsWithinMonth, {serial, Date::last_of(month).to_string()}, nullptr}};
    side_.reads = std::make_unique<SideReads>(*pool_, std::move(statements), [this](PGconn* conn, const PGresult* r) {
      return error(conn, "month run reads", r).value();
    });
    side_.rows = std::move(rows);
    side_marks_.started(month, flexible, settle);
  }
};

Result<std::vector<VerifyCheck>> PostgresDatabase::verify(const VerifyProgress& progress) {
  struct Definition {
    const char* name;
    const char* count_sql;
    const char* failure_sql;
  };
  static const Definition definitions[] = {
      {"journal entries sum to zero", "SELECT COUNT(*) FROM journal_entries",
       "SELECT 'entry ' || entry_id || ' sums to ' || SUM(amount_fen) FROM postings GROUP BY person_id, entry_id "
       "HAVING SUM(amount_fen) <> 0 "
       "UNION ALL SELECT 'entry ' || e.entry_id || ': the postings of person ' || (j.value ->> 0) || ' sum to ' || "
       "(" SHEBAO_PG_LINE_AMOUNT(1) " + " SHEBAO_PG_LINE_AMOUNT(2) " + " SHEBAO_PG_LINE_AMOUNT(3) ") "
       "FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value) "
       "WHERE e.lines IS NOT NULL AND " SHEBAO_PG_LINE_AMOUNT(1) " + " SHEBAO_PG_LINE_AMOUNT(2) " + "
       SHEBAO_PG_LINE_AMOUNT(3) " <> 0"},
      {"journal entries have at least two postings", "SELECT COUNT(*) FROM journal_entries",
       "SELECT 'entry ' || e.entry_id || ' (' || " SHEBAO_PG_ENTRY_KEY("e") " || ') has ' || COUNT(p.entry_id) || "
       "' postings' FROM journal_entries e LEFT JOIN postings p ON p.person_id = e.person_id AND p.entry_id = "
       "e.entry_id WHERE e.lines IS NULL GROUP BY e.person_id, e.entry_id HAVING COUNT(p.entry_id) < 2 "
       "UNION ALL SELECT 'entry ' || e.entry_id || ' (' || " SHEBAO_PG_ENTRY_KEY("e") " || ') has ' || "
       "SUM(" SHEBAO_PG_LINE_POSTINGS ") || ' postings' FROM journal_entries e "
       "CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value) WHERE e.lines IS NOT NULL "
       "GROUP BY e.entry_id, e.kind, e.source_id, e.person_id, e.month, e.idempotency_key "
       "HAVING SUM(" SHEBAO_PG_LINE_POSTINGS ") < 2"},
      {"packed entries are well-formed",
       "SELECT COUNT(*) FROM journal_entries WHERE lines IS NOT NULL OR kind IN (1, 2)",
       // As on SQLite; each JSON function only where its argument has its type.
       "SELECT 'entry ' || e.entry_id || ' of kind ' || e.kind || ' has a malformed packed form' "
       "FROM journal_entries e WHERE (e.lines IS NOT NULL) <> (e.kind IN (1, 2, 9) OR (e.kind = 8 AND EXISTS ("
       "SELECT 1 FROM journal_entries o WHERE o.entry_id = e.corrects_entry_id AND o.lines IS NOT NULL))) "
       "OR (e.lines IS NOT NULL AND e.kind <> 9 AND CASE WHEN json_typeof(e.lines) = 'object' AND json_typeof(e.lines -> 'lines') = "
       "'array' AND json_typeof(e.lines -> 'employer') = 'number' AND json_typeof(e.lines -> 'province') = 'number' "
       "THEN (e.lines ->> 'employer') <> (CASE WHEN e.kind = 2 THEN 0 ELSE -e.person_id END)::text "
       "OR (e.kind = 2 AND (e.source_id <> 0 OR e.corrects_entry_id IS NOT NULL "
       "OR (e.lines -> 'lines' -> 0 ->> 0) IS DISTINCT FROM e.person_id::text "
       "OR EXISTS (SELECT 1 FROM json_array_elements(e.lines -> 'lines') j(value) WHERE CASE WHEN "
       "json_typeof(j.value) = 'array' AND (j.value ->> 0) ~ '^[0-9]{1,18}$' THEN (j.value ->> 0)::bigint < "
       "e.person_id OR (j.value ->> 0)::bigint / " SHEBAO_FLEXIBLE_BLOCK " <> e.person_id / " SHEBAO_FLEXIBLE_BLOCK
       " ELSE true END))) "
       "OR EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = e.entry_id) "
       "OR EXISTS (SELECT 1 FROM json_array_elements(e.lines -> 'lines') j(value) WHERE CASE WHEN "
       "json_typeof(j.value) = 'array' THEN json_array_length(j.value) NOT IN (4, CASE WHEN e.kind = 2 THEN 5 ELSE 4 END) "
       "OR EXISTS (SELECT 1 FROM "
       "json_array_elements(j.value) a(v) WHERE a.v::text !~ '^-?[0-9]{1,18}$') ELSE true END) ELSE true END) "
       "UNION ALL SELECT 'entry ' || e.entry_id || ' names person ' || (j.value ->> 0) || ' twice' "
       "FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value) "
       "WHERE e.lines IS NOT NULL GROUP BY e.entry_id, j.value ->> 0 HAVING COUNT(*) > 1 "
       // Payments and late fees packed (kind 9, migration 11), as on SQLite.
       "UNION ALL SELECT 'entry ' || e.entry_id || ' of kind 9 has a malformed packed form' "
       "FROM journal_entries e WHERE e.kind = 9 AND CASE WHEN e.lines IS NOT NULL AND json_typeof(e.lines) = "
       "'object' AND json_typeof(e.lines -> 'settlements') = 'array' AND json_array_length(e.lines -> "
       "'settlements') > 0 THEN e.source_id <> 0 OR e.corrects_entry_id IS NOT NULL "
       "OR (e.lines -> 'settlements' -> 0 ->> 1) IS DISTINCT FROM (-e.person_id)::text "
       "OR EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = e.entry_id) "
       "OR EXISTS (SELECT 1 FROM json_array_elements(e.lines -> 'settlements') WITH ORDINALITY j(value, n) "
       "WHERE CASE WHEN json_typeof(j.value) = 'array' AND (j.value ->> 0) IN ('3', '4') "
       "AND (j.value ->> 1) ~ '^[0-9]{1,18}$' AND (j.value ->> 2) ~ '^-?[0-9]{1,9}$' "
       "AND (j.value ->> 3) ~ '^[0-9]{1,9}$' AND (j.value ->> 4) ~ '^[0-9]{1,18}$' "
       "THEN (j.value ->> 1)::bigint = 0 OR (j.value ->> 4)::bigint = 0 OR (j.value ->> 3)::int < 12 "
       "OR (j.value ->> 3)::int >= 120000 "
       "OR (j.value ->> 1)::bigint / " SHEBAO_EMPLOYER_BLOCK " <> -e.person_id / " SHEBAO_EMPLOYER_BLOCK " "
       "OR (j.n > 1 AND (e.lines -> 'settlements' -> (j.n::int - 2) ->> 1) ~ '^[0-9]{1,18}$' "
       "AND (j.value ->> 1)::bigint < (e.lines -> 'settlements' -> (j.n::int - 2) ->> 1)::bigint) "
       "OR (j.n = 1 AND e.idempotency_key IS DISTINCT FROM " SHEBAO_PG_SETTLEMENT_KEY("e", "j") ") "
       "OR CASE j.value ->> 0 WHEN '3' THEN json_array_length(j.value) <> 7 "
       "OR json_typeof(j.value -> 5) IS DISTINCT FROM 'string' "
       "OR (j.value ->> 5) !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' OR (j.value ->> 6) !~ '^-?[0-9]{1,18}$' "
       "OR (j.value ->> 3)::int > e.month ELSE json_array_length(j.value) <> 5 END "
       "ELSE true END) ELSE true END"},
      // A payment's or late fee's key (its line's, migration 11, or its row's) is booked once.
      {"a payment or late fee is booked once",
       "SELECT (SELECT COUNT(*) FROM journal_entries WHERE kind IN (3, 4)) + (SELECT COALESCE(SUM("
       "json_array_length(e.lines -> 'settlements')), 0) FROM journal_entries e WHERE e.kind = 9 "
       "AND json_typeof(e.lines -> 'settlements') = 'array')",
       "SELECT key || ' is booked ' || COUNT(*) || ' times' FROM (SELECT " SHEBAO_PG_SETTLEMENT_KEY("e", "j")
       " AS key FROM journal_entries e CROSS JOIN LATERAL json_array_elements(CASE WHEN "
       "json_typeof(e.lines -> 'settlements') = 'array' THEN e.lines -> 'settlements' END) j(value) "
       "WHERE e.kind = 9 UNION ALL SELECT idempotency_key FROM journal_entries WHERE kind IN (3, 4)) k "
       "GROUP BY key HAVING COUNT(*) > 1"},
      {"a flexible worker's month is booked once", "SELECT COUNT(*) FROM journal_entries WHERE kind = 2",
       "SELECT 'person ' || (j.value ->> 0) || ' month ' || e.month || ' is in ' || COUNT(*) || ' entries' "
       "FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value) "
       "WHERE e.kind = 2 AND e.lines IS NOT NULL GROUP BY e.month, j.value ->> 0 HAVING COUNT(*) > 1"},
      {"no posting without its journal entry", "SELECT COUNT(*) FROM postings",
       "SELECT 'posting ' || p.entry_id || '#' || p.seq FROM postings p "
       "WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.entry_id = p.entry_id)"},
      {"no duplicate idempotency key", "SELECT COUNT(*) FROM journal_entries",
       "SELECT idempotency_key FROM journal_entries WHERE kind NOT IN (1, 2) GROUP BY idempotency_key "
       "HAVING COUNT(*) > 1 "
       "UNION ALL SELECT 'contribution/' || source_id FROM journal_entries WHERE kind = 1 "
       "GROUP BY source_id HAVING COUNT(*) > 1 "
       "UNION ALL SELECT 'flexible/' || person_id || '/' || " SHEBAO_PG_MONTH_TEXT("month") " "
       "FROM journal_entries WHERE kind = 2 GROUP BY month, person_id HAVING COUNT(*) > 1 "
       "UNION ALL SELECT idempotency_key FROM journal_entries WHERE kind NOT IN (1, 2) "
       "AND (idempotency_key LIKE 'contribution/%' OR idempotency_key LIKE 'flexible/%') "
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
       "SELECT 1 FROM postings a WHERE a.person_id = r.person_id AND a.entry_id = r.entry_id AND NOT EXISTS ("
       "SELECT 1 FROM postings b WHERE b.person_id = o.person_id AND b.entry_id = o.entry_id AND b.seq = a.seq "
       "AND b.account_kind = a.account_kind AND b.account_owner = a.account_owner AND b.amount_fen = -a.amount_fen)) "
       "OR (r.lines IS NOT NULL AND (o.lines IS NULL OR (r.lines ->> 'employer') IS DISTINCT FROM "
       "(o.lines ->> 'employer') OR (r.lines ->> 'province') IS DISTINCT FROM (o.lines ->> 'province') "
       "OR json_array_length(r.lines -> 'lines') IS DISTINCT FROM json_array_length(o.lines -> 'lines') "
       "OR EXISTS (SELECT 1 FROM json_array_elements(r.lines -> 'lines') WITH ORDINALITY a(v, n) "
       "JOIN json_array_elements(o.lines -> 'lines') WITH ORDINALITY b(v, n) ON b.n = a.n "
       "WHERE (a.v ->> 0)::bigint IS DISTINCT FROM (b.v ->> 0)::bigint "
       "OR (a.v ->> 1)::bigint IS DISTINCT FROM -(b.v ->> 1)::bigint "
       "OR (a.v ->> 2)::bigint IS DISTINCT FROM -(b.v ->> 2)::bigint "
       "OR (a.v ->> 3)::bigint IS DISTINCT FROM -(b.v ->> 3)::bigint))))"},
      // As on SQLite: one packed entry per declaration, its persons the lines.
      {"every line of a booked declaration has exactly one contribution entry",
       "SELECT COUNT(*) FROM declaration_lines l JOIN declarations d ON d.declaration_id = l.declaration_id "
       "WHERE l.declaration_id IN (SELECT source_id FROM journal_entries WHERE kind = 1)",
       "SELECT 'declaration ' || e.source_id || ' has ' || (SELECT COUNT(*) FROM declaration_lines l "
       "WHERE l.declaration_id = e.source_id) || ' lines, its entry ' || json_array_length(e.lines -> 'lines') "
       "FROM journal_entries e WHERE e.kind = 1 AND (SELECT COUNT(*) FROM declaration_lines l "
       "WHERE l.declaration_id = e.source_id) IS DISTINCT FROM json_array_length(e.lines -> 'lines')"},
      {"no contribution entry without its declaration line", "SELECT COUNT(*) FROM journal_entries WHERE kind = 1",
       "SELECT " SHEBAO_PG_ENTRY_KEY("e") " || ' person ' || (j.value ->> 0) FROM journal_entries e "
       "CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value) WHERE e.kind = 1 AND NOT EXISTS ("
       "SELECT 1 FROM declaration_lines l WHERE l.declaration_id = e.source_id "
       "AND l.person_id = (j.value ->> 0)::bigint)"},
      {"employer-month dues equal the booked receivables", "SELECT COUNT(*) FROM employer_months",
       "WITH differences AS (SELECT employer_id, month, dues_fen AS dues, paid_fen AS paid FROM employer_months "
       "UNION ALL SELECT p.account_owner, e.month, "
       "-SUM(CASE WHEN e.kind IN (1, 8) THEN p.amount_fen ELSE 0 END), "
       "-SUM(CASE WHEN e.kind = 3 THEN -p.amount_fen ELSE 0 END) "
       "FROM postings p JOIN journal_entries e ON e.person_id = p.person_id AND e.entry_id = p.entry_id "
       "WHERE p.account_kind = 3 GROUP BY p.account_owner, e.month "
       // A packed entry's employer is -person_id (checked with its form above);
       // packed flexible payments (kind 2) have none.
       "UNION ALL SELECT -e.person_id, e.month, -SUM(" SHEBAO_PG_LINE_AMOUNT(1) "), 0 "
       "FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value) "
       "WHERE e.lines IS NOT NULL AND e.kind <> 2 GROUP BY e.entry_id, e.person_id, e.month "
       // Packed payments (migration 11): each line names its employer and month.
       "UNION ALL SELECT (j.value ->> 1)::bigint, (j.value ->> 3)::int, 0, -SUM((j.value ->> 4)::bigint) "
       "FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'settlements') j(value) "
       "WHERE e.kind = 9 AND (j.value ->> 0) = '3' GROUP BY 1, 2) "
       "SELECT 'employer ' || employer_id || ' month ' || month FROM differences GROUP BY employer_id, month "
       "HAVING SUM(dues) <> 0 OR SUM(paid) <> 0"},
      {"only the latest declaration of an employer-month is current", "SELECT COUNT(*) FROM declarations",
       "SELECT 'employer ' || employer_id || ' month ' || month FROM declarations WHERE NOT superseded "
       "GROUP BY employer_id, month HAVING COUNT(*) > 1"},
  };
  // One check on one connection: (count, failures with the first one).
  const auto run_check = [this](PGconn* conn, const Definition& definition) -> Result<VerifyCheck> {
    VerifyCheck check;
    check.name = definition.name;
    auto counted = exec_on(conn, definition.count_sql, "verify");
    if (!counted) return tl::unexpected(counted.error());
    check.checked = int_of(counted->get(), 0, 0);
    auto failures = exec_on(conn, definition.failure_sql, "verify");
    if (!failures) return tl::unexpected(failures.error());
    check.failures = PQntuples(failures->get());
    if (check.failures > 0) check.first_failure = text_of(failures->get(), 0, 0);
    return check;
  };
  std::vector<VerifyCheck> checks;
  if (in_tx_) {
    // Inside an open transaction: on its connection, one after the other.
    if (auto ok = flush(true); !ok) return tl::unexpected(ok.error());
    if (auto ok = await_copy(); !ok) return tl::unexpected(ok.error());
    for (const Definition& definition : definitions) {
      auto check = run_check(conn_, definition);
      if (!check) return tl::unexpected(check.error());
      checks.push_back(std::move(*check));
      if (progress) progress(checks.size(), std::size(definitions));
    }
    return checks;
  }
  // Otherwise the checks run in parallel, each on a pooled connection (the pool
  // holds at most kMaxConnections, this one included). Each check reads a
  // consistent snapshot; no writer runs during `shebao verify`.
  std::vector<std::future<Result<VerifyCheck>>> running;
  for (const Definition& definition : definitions) {
    running.push_back(std::async(std::launch::async, [this, &definition, &run_check]() -> Result<VerifyCheck> {
      auto conn = pool_->acquire();
      if (!conn) return tl::unexpected(conn.error());
      auto check = run_check(*conn, definition);
      pool_->release(*conn);
      return check;
    }));
  }
  std::optional<Error> problem;
  std::size_t ended = 0;
  for (auto& future : running) {
    auto check = future.get();
    if (progress) progress(++ended, running.size());  // in the checks' order: the next may have ended already
    if (!check) {
      if (!problem) problem = check.error();
      continue;
    }
    checks.push_back(std::move(*check));
  }
  if (problem) return tl::unexpected(*problem);
  return checks;
}

Result<Stats> PostgresDatabase::stats() {
  auto r = query(R"SQL(
SELECT (SELECT COUNT(*) FROM persons), (SELECT COUNT(*) FROM employers), (SELECT COUNT(*) FROM declarations),
       (SELECT COUNT(*) FROM declaration_lines), (SELECT COUNT(*) FROM journal_entries),
       (SELECT COUNT(*) FROM postings) + packed.postings + 2 * settled.lines,
       (SELECT COALESCE(-SUM(amount_fen), 0) FROM postings WHERE account_kind = 1) - packed.personal,
       (SELECT COALESCE(-SUM(amount_fen), 0) FROM postings WHERE account_kind = 2) - packed.pooled + settled.fees,
       (SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE account_kind = 3) + packed.receivable
         + settled.fees - settled.paid
FROM (SELECT COALESCE(SUM(((j.value ->> 1)::bigint <> 0)::int + ((j.value ->> 2)::bigint <> 0)::int
                          + ((j.value ->> 3)::bigint <> 0)::int), 0) AS postings,
             COALESCE(SUM((j.value ->> 1)::bigint) FILTER (WHERE e.kind <> 2), 0) AS receivable,
             COALESCE(SUM((j.value ->> 2)::bigint), 0) AS personal,
             COALESCE(SUM((j.value ->> 3)::bigint), 0) AS pooled
      FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'lines') j(value)
      WHERE e.lines IS NOT NULL) packed,
     -- Packed payments and late fees (migration 11): two postings a line.
     (SELECT COUNT(*) AS lines,
             COALESCE(SUM((j.value ->> 4)::bigint) FILTER (WHERE (j.value ->> 0) = '4'), 0) AS fees,
             COALESCE(SUM((j.value ->> 4)::bigint) FILTER (WHERE (j.value ->> 0) = '3'), 0) AS paid
      FROM journal_entries e CROSS JOIN LATERAL json_array_elements(e.lines -> 'settlements') j(value)
      WHERE e.kind = 9) settled)SQL",
                 Params(), "stats");
  if (!r) return tl::unexpected(r.error());
  Stats stats;
  std::int64_t* fields[] = {&stats.persons, &stats.employers, &stats.declarations,
                            &stats.declaration_lines, &stats.journal_entries, &stats.postings,
                            &stats.personal_account_balance_fen, &stats.pooled_fund_balance_fen,
                            &stats.receivable_balance_fen};
  for (int i = 0; i < 9; ++i) *fields[i] = int_of(r->get(), 0, i);
  return stats;
}

}  // namespace

Result<std::unique_ptr<Database>> open_postgres(const std::string& url) {
  auto pool = std::make_unique<ConnectionPool>(url);
  auto conn = pool->acquire();
  if (!conn) return tl::unexpected(conn.error());
  return std::unique_ptr<Database>(std::make_unique<PostgresDatabase>(std::move(pool), *conn));
}

}  // namespace shebao::storage
