#!/usr/bin/env bash
# Ledger throughput end to end on SQLite and on PostgreSQL: import (registry,
# declarations, payments) and the month runs of a synthetic population, each
# step timed as its own process with /usr/bin/time (wall, CPU, peak RSS).
# SQLite is compared with the sqlite3 shell's `.import` of the declaration CSV
# files into one bare table (no validation, no index, no ledger), and with the
# storage's own floor: the sqlite3 shell inserting the rows shebao keeps for the
# declarations and the month runs (declarations and their packs, employment
# spells, journal entries, employer-month totals), copied table to table from the
# finished database into a new one month by month, with shebao's settings and
# nothing else to do (no file to read, no check, no computation). PostgreSQL
# (a throw-away server on 127.0.0.1, durable: PG_DURABLE=1 of scripts/postgres-test-server) is compared with
# the same month computation written as plain set-based SQL inside PostgreSQL
# (INSERT ... SELECT joining declaration lines to a parameters table, two
# postings per person-month) and with PostgreSQL's own COPY of the same
# postings from a file (the storage's limit).
# Writes bench/results/ledger_bench.txt and ledger_bench_postgresql.txt (see bench/README.md).
#
# Usage: bench/ledger_bench.sh BUILD_DIR [PERSONS]    (default 1000000 persons, 12 months)
# Environment: KEEP=1 keeps the work directory; VERIFY=0 skips `shebao verify` of the SQLite
#              database at the end, VERIFY=1 also runs it on the PostgreSQL one (slow);
#              BACKENDS="sqlite postgresql" (default) chooses the backends.
set -euo pipefail
build=$(cd "$1" && pwd)
persons=${2:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
shebao="$build/shebao"
out="$root/bench/results"
summary="$out/ledger_bench.txt"
today=2026-11-29
national_person_months=1070000000

[ -x "$shebao" ] || { echo "ledger_bench: no $shebao (build first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "ledger_bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/shebao-ledger-bench.XXXXXX")
pg_dir="$work/postgres"
cleanup() {
  if [ -d "$pg_dir" ]; then "$root/scripts/postgres-test-server" stop "$pg_dir" || true; fi
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
backends=${BACKENDS:-sqlite postgresql}
db="$work/ledger.db"
steps="$work/steps.tsv"   # name, wall s, user s, sys s, peak RSS KiB, output line
: >"$steps"

echo "ledger_bench: generating $persons persons x 1 year in $work (not timed)" >&2
"$shebao" gen --persons "$persons" --regions 6 --years 1 --seed 3 --out "$work/data" >/dev/null
months=$(ls "$work/data/declarations" | sed -n 's/^\([0-9]\{4\}-[0-9]\{2\}\)\.csv$/\1/p' | sort)
declaration_files=()
for month in $months; do declaration_files+=("$work/data/declarations/$month.csv"); done

# timed NAME COMMAND... : runs one step, appends its figures to $steps.
timed() {
  local name=$1
  shift
  local log="$work/step.out" times="$work/step.time"
  sync  # the previous step's dirty pages are written back now, not during this step
  if ! /usr/bin/time -o "$times" -f "%e %U %S %M" "$@" >"$log" 2>"$work/step.err"; then
    echo "ledger_bench: step failed: $name" >&2
    cat "$work/step.err" >&2
    exit 1
  fi
  printf '%s\t%s\t%s\n' "$name" "$(tr ' ' '\t' <"$times")" "$(tr '\n' ' ' <"$log")" >>"$steps"
  echo "ledger_bench: $name: $(cut -d' ' -f1 "$times") s" >&2
}

if [[ " $backends " == *" sqlite "* ]]; then
timed "import registry" "$shebao" import registry "$work/data/employers.csv" "$work/data/persons.csv" \
  --db "sqlite:$db" --today "$today"
timed "import declarations" "$shebao" import declaration "${declaration_files[@]}" --db "sqlite:$db" --today "$today"
timed "import payments" "$shebao" import payment "$work/data/payments.csv" --db "sqlite:$db" --today "$today"
for month in $months; do
  timed "run-month $month" "$shebao" run-month "$month" --db "sqlite:$db" --today "$today"
done
db_bytes=$(( $(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0) ))
timed "stats" "$shebao" stats --json --db "sqlite:$db"
stats=$("$shebao" stats --json --db "sqlite:$db")
verified="not run (VERIFY=0)"
if [ "${VERIFY:-1}" = 1 ]; then
  if /usr/bin/time -o "$work/verify.time" -f "%e %U %S %M" "$shebao" verify --db "sqlite:$db" >"$work/verify.txt"; then
    verified="all invariants hold"; else verified="FAILED (see below)"; fi
  printf '%s\t%s\t%s\n' "verify" "$(tr ' ' '\t' <"$work/verify.time")" "$verified" >>"$steps"
fi

# Baseline: the sqlite3 shell takes the same declaration files into a bare table
# (same journal mode and synchronous setting as shebao).
baseline_line=""
if command -v sqlite3 >/dev/null 2>&1; then
  {
    echo "PRAGMA journal_mode = WAL;"
    echo "PRAGMA synchronous = NORMAL;"
    echo "CREATE TABLE declaration (credit_code TEXT, month TEXT, resident_id TEXT, wage TEXT, days_worked TEXT,"
    echo "  event TEXT, event_date TEXT);"
    echo ".mode csv"
    for file in "${declaration_files[@]}"; do echo ".import --skip 1 '$file' declaration"; done
  } >"$work/baseline.sql"
  sync
  /usr/bin/time -o "$work/baseline.time" -f "%e %U %S %M" sqlite3 "$work/baseline.db" <"$work/baseline.sql" >/dev/null
  baseline_rows=$(sqlite3 "$work/baseline.db" "SELECT COUNT(*) FROM declaration")
  baseline_line="$(cat "$work/baseline.time") $baseline_rows"

  # The floor: the rows the import and the month runs keep, inserted by SQLite
  # itself into a new database of shebao's schema (shebao migrate), a month at
  # a time (the declarations' side, then the ledger's), as shebao sets the
  # connection (WAL, synchronous NORMAL, 256 MiB of page cache). Only the
  # inserts and commits are timed (the shell's own timer, summed): no WAL page
  # is copied back to the database meanwhile (shebao does that on a thread of
  # its own), so the floor leaves the checkpoints out.
  "$shebao" migrate --db "sqlite:$work/floor.db" >/dev/null
  {
    echo "PRAGMA journal_mode = WAL;"
    echo "PRAGMA synchronous = NORMAL;"
    echo "PRAGMA cache_size = -262144;"
    echo "PRAGMA wal_autocheckpoint = 0;"
    echo "ATTACH '$db' AS kept;"
    echo ".timer on"
    for month in $months; do
      serial=$(( 10#${month%-*} * 12 + 10#${month#*-} - 1 ))
      next=$(( serial + 1 ))
      next_first=$(printf '%04d-%02d-01' $(( next / 12 )) $(( next % 12 + 1 )))
      echo "BEGIN;"
      echo "INSERT INTO main.employment_spells SELECT * FROM kept.employment_spells"
      echo "  WHERE hire_date >= '$month-01' AND hire_date < '$next_first' ORDER BY employer_id, person_id, hire_date;"
      echo "INSERT INTO main.declarations SELECT * FROM kept.declarations WHERE month = $serial ORDER BY declaration_id;"
      echo "INSERT INTO main.declaration_line_packs SELECT p.* FROM kept.declaration_line_packs p"
      echo "  JOIN kept.declarations d ON d.declaration_id = p.declaration_id WHERE d.month = $serial ORDER BY p.declaration_id;"
      echo "COMMIT;"
    done
    for month in $months; do
      serial=$(( 10#${month%-*} * 12 + 10#${month#*-} - 1 ))
      echo "BEGIN;"
      echo "INSERT INTO main.journal_entries SELECT * FROM kept.journal_entries WHERE month = $serial ORDER BY entry_id;"
      echo "INSERT INTO main.employer_months SELECT * FROM kept.employer_months WHERE month = $serial;"
      echo "COMMIT;"
    done
  } >"$work/floor.sql"
  sync
  sqlite3 "$work/floor.db" <"$work/floor.sql" >"$work/floor.out"
  awk '/^Run Time:/ { real += $4; user += $6; sys += $8 } END { printf "%.3f %.3f %.3f 0", real, user, sys }' \
    "$work/floor.out" >"$work/floor.time"
  floor_rows=$(sqlite3 "$work/floor.db" "SELECT (SELECT COUNT(*) FROM employment_spells) || ' ' || \
    (SELECT COUNT(*) FROM declarations) || ' ' || (SELECT COUNT(*) FROM journal_entries) || ' ' || \
    (SELECT COUNT(*) FROM employer_months) || ' ' || (SELECT COALESCE(SUM(length(lines)), 0) FROM declaration_line_packs) \
    || ' ' || (SELECT COALESCE(SUM(length(lines)), 0) FROM journal_entries)")
  floor_line="$(cat "$work/floor.time") $floor_rows"
fi

python3 - "$steps" "$summary" "$persons" "$db_bytes" "$stats" "$verified" "$national_person_months" \
  "$baseline_line" "$(nproc)" "$(sqlite3 --version 2>/dev/null | cut -d' ' -f1)" "${floor_line:-}" <<'PY'
import datetime, json, re, sys
(steps_path, summary_path, persons, db_bytes, stats, verified, national, baseline, cpus, sqlite_version,
 floor) = sys.argv[1:12]
persons, db_bytes, national = int(persons), int(db_bytes), int(national)
stats = json.loads(stats)
steps = []
for line in open(steps_path, encoding="utf-8"):
    name, wall, user, sys_, rss, output = (line.rstrip("\n").split("\t") + [""])[:6]
    steps.append(dict(name=name, wall=float(wall), cpu=float(user) + float(sys_), rss=int(rss), output=output))

def total(prefix, key="wall"):
    return sum(s[key] for s in steps if s["name"].startswith(prefix))

accepted = sum(int(n) for s in steps if s["name"] == "import declarations"
               for n in re.findall(r"(\d+) accepted", s["output"]))
booked = sum(int(n) for s in steps if s["name"].startswith("run-month")
             for n in re.findall(r"(\d+) person-months", s["output"]))
pm = accepted
import_wall, import_cpu = total("import declarations"), total("import declarations", "cpu")
runs_wall, runs_cpu = total("run-month"), total("run-month", "cpu")
other_wall = total("import registry") + total("import payments")
end_to_end = import_wall + runs_wall
rate = lambda seconds: pm / seconds if seconds > 0 else float("nan")
peak_rss = max(s["rss"] for s in steps if s["name"] not in ("stats", "verify"))
now = datetime.datetime.now(datetime.timezone.utc)
lines = [
    f"shebao ledger benchmark, {now:%Y-%m-%d %H:%M} UTC, SQLite {sqlite_version or '?'}, {cpus} cpus",
    f"population: {persons:,} persons x 12 months (shebao gen --regions 6 --years 1 --seed 3)",
    f"person-months (accepted declaration lines): {pm:,}; booked by the month runs: {booked:,}",
    f"database: {db_bytes / 2**20:,.0f} MiB; stats: {json.dumps(stats)}",
    f"verify: {verified}",
    "",
    f"{'step':28s} {'wall s':>8s} {'cpu s':>8s} {'peak RSS MiB':>13s}",
]
for s in steps:
    lines.append(f"{s['name']:28s} {s['wall']:8.2f} {s['cpu']:8.2f} {s['rss'] / 1024:13.1f}")
lines += [
    "",
    f"import declarations      {rate(import_wall):>12,.0f} person-months/s  ({import_wall:.2f} s wall, {import_cpu:.2f} s cpu)",
    f"month runs (12)          {rate(runs_wall):>12,.0f} person-months/s  ({runs_wall:.2f} s wall, {runs_cpu:.2f} s cpu)",
    f"end to end (import+runs) {rate(end_to_end):>12,.0f} person-months/s  ({end_to_end:.2f} s wall;"
    f" registry and payments {other_wall:.2f} s more)",
    f"peak memory              {peak_rss / 1024:12,.1f} MiB (largest step)",
]
if baseline:
    b_wall, b_user, b_sys, b_rss, b_rows = baseline.split()
    b_wall = float(b_wall)
    lines += [
        f"baseline: sqlite3 .import of the declaration files into a bare table: {int(b_rows):,} rows in "
        f"{b_wall:.2f} s ({int(b_rows) / b_wall:,.0f} rows/s)",
        f"shebao import+runs / baseline: {end_to_end / b_wall:.2f} x   (import alone {import_wall / b_wall:.2f} x)",
    ]
else:
    lines.append("baseline: sqlite3 shell not installed, not measured")
goal = 1_000_000
e2e = rate(end_to_end)
if floor:
    f_wall, f_user, f_sys, f_rss, spells, declarations, entries, employer_months, pack_bytes, entry_bytes = floor.split()
    f_wall = float(f_wall)
    lines += [
        f"floor: SQLite inserting the rows kept ({int(declarations):,} declarations with {int(pack_bytes) / 2**20:,.0f} MiB"
        f" of packed lines, {int(spells):,} employment spells, {int(entries):,} journal entries with"
        f" {int(entry_bytes) / 2**20:,.0f} MiB of packed postings, {int(employer_months):,} employer-months),"
        f" table to table, a month at a time, checkpoints left out: {f_wall:.2f} s wall"
        f" ({float(f_user) + float(f_sys):.2f} s cpu)",
        f"shebao import+runs / floor: {end_to_end / f_wall:.2f} x;   the goal's time for import+runs:"
        f" {pm / goal:.2f} s = {pm / goal / f_wall:.2f} x the floor",
    ]
lines += [
    f"goal >= {goal:,} person-months/s end to end: {'met' if e2e >= goal else 'NOT met'} ({e2e:,.0f})",
    f"projection, national run of {national:,} person-months at this rate: "
    f"{national / e2e / 3600:,.1f} hours (one process, one SQLite file, this machine)",
]
text = "\n".join(lines) + "\n"
open(summary_path, "w", encoding="utf-8").write(text)
print(text, end="")
PY
if [ "${VERIFY:-1}" = 1 ]; then cat "$work/verify.txt"; fi
echo "ledger_bench: results in $summary"
fi


# ---------------------------------------------------------------------------
# PostgreSQL
if [[ " $backends " == *" postgresql "* ]]; then
  pg_summary="$out/ledger_bench_postgresql.txt"
  server=$(PG_DURABLE=1 "$root/scripts/postgres-test-server" start "$pg_dir")
  psql=(/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1)
  "${psql[@]}" "$server" -c "CREATE DATABASE ledger_bench"
  pg="${server%/*}/ledger_bench"
  steps="$work/pg_steps.tsv"
  : >"$steps"
  timed "import registry" "$shebao" import registry "$work/data/employers.csv" "$work/data/persons.csv" \
    --db "$pg" --today "$today"
  timed "import declarations" "$shebao" import declaration "${declaration_files[@]}" --db "$pg" --today "$today"
  timed "import payments" "$shebao" import payment "$work/data/payments.csv" --db "$pg" --today "$today"
  # What autovacuum would do to the tables just loaded (visibility map, hint
  # bits, statistics), done now and timed (counted in end to end): otherwise it
  # runs during the first month runs and shares the 2 cores with them, by a
  # different amount in each run of this script. The plain-SQL run below starts
  # from analyzed, settled tables too.
  timed "vacuum analyze after import" "${psql[@]}" "$pg" -c "VACUUM (ANALYZE)"
  for month in $months; do
    timed "run-month $month" "$shebao" run-month "$month" --db "$pg" --today "$today"
  done
  pg_stats=$("$shebao" stats --json --db "$pg")
  pg_verified="not run (VERIFY=1 to run it)"
  if [ "${VERIFY:-0}" = 1 ]; then
    if "$shebao" verify --db "$pg" >"$work/pg_verify.txt"; then pg_verified="all invariants hold"; else
      pg_verified="FAILED"; cat "$work/pg_verify.txt"; fi
  fi
  pg_bytes=$("${psql[@]}" -At "$pg" -c "SELECT pg_database_size(current_database())")
  # Every posting as a row of `postings` would hold it: the rows of `postings` and
  # the packed contribution postings expanded (storage/packed_lines.h).
  # (`lines` is json text: the province is read once per entry, not once per line.)
  every_posting="WITH packed AS MATERIALIZED (
  SELECT entry_id, -person_id AS employer, (lines ->> 'province')::bigint AS province, lines -> 'lines' AS lines
  FROM journal_entries WHERE lines IS NOT NULL)
SELECT person_id, entry_id, seq, account_kind, account_owner, amount_fen FROM postings
UNION ALL
SELECT (j.v ->> 0)::bigint, e.entry_id, (3 * (j.n - 1) + a.k)::smallint, a.kind, a.owner, a.amount
FROM packed e CROSS JOIN LATERAL json_array_elements(e.lines) WITH ORDINALITY j(v, n)
CROSS JOIN LATERAL (VALUES (0, 3::smallint, e.employer, (j.v ->> 1)::bigint),
                           (1, 1::smallint, (j.v ->> 0)::bigint, (j.v ->> 2)::bigint),
                           (2, 2::smallint, e.province, (j.v ->> 3)::bigint))
  AS a(k, kind, owner, amount)
WHERE a.amount <> 0"
  postings=$("${psql[@]}" -At "$pg" -c "SELECT COUNT(*) FROM ($every_posting) p")

  # Plain set-based SQL over the same declaration lines: the month computation
  # an institution would write in its own database (base clamped to the
  # province's floor and ceiling, account and pooled parts, two postings per
  # person-month), every month in one INSERT ... SELECT.
  "${psql[@]}" "$pg" <<'SQL'
CREATE TABLE sql_parameters (province TEXT, month INTEGER, floor_fen BIGINT, ceiling_fen BIGINT,
                             employer_rate NUMERIC, individual_rate NUMERIC, account_rate NUMERIC,
                             PRIMARY KEY (province, month));
INSERT INTO sql_parameters
SELECT DISTINCT left(e.region, 2), m.month, 603480, 3017400, 0.16, 0.08, 0.08
FROM employers e CROSS JOIN (SELECT DISTINCT month FROM declarations) m;
CREATE TABLE sql_postings (person_id BIGINT, entry_key TEXT, account_kind SMALLINT, account_owner BIGINT,
                           amount_fen BIGINT);
ANALYZE;
SQL
  sync
  /usr/bin/time -o "$work/plain.time" -f "%e %U %S %M" "${psql[@]}" "$pg" -c "
INSERT INTO sql_postings (person_id, entry_key, account_kind, account_owner, amount_fen)
SELECT l.person_id, 'contribution/' || l.declaration_id || '/' || l.person_id, v.kind, v.owner, v.amount
FROM declaration_lines l
JOIN declarations d ON d.employer_id = l.employer_id AND d.declaration_id = l.declaration_id AND NOT d.superseded
JOIN employers e ON e.employer_id = l.employer_id
JOIN sql_parameters p ON p.province = left(e.region, 2) AND p.month = l.month
CROSS JOIN LATERAL (SELECT LEAST(GREATEST(l.wage_fen, p.floor_fen), p.ceiling_fen) AS base) b
CROSS JOIN LATERAL (VALUES (1::smallint, l.person_id, -round(b.base * p.account_rate)::bigint),
                           (2::smallint, left(e.region, 2)::bigint,
                            -round(b.base * (p.employer_rate + p.individual_rate - p.account_rate))::bigint))
  AS v(kind, owner, amount)"
  plain_rows=$("${psql[@]}" -At "$pg" -c "SELECT COUNT(*) FROM sql_postings")

  # PostgreSQL's own COPY of shebao's postings (one row each, packed ones too)
  # from a file into a table like postings (same primary key).
  copy_file="$(cat "$pg_dir/datadir")/postings.copy"  # in the server's own folder (it writes and reads it)
  "${psql[@]}" "$pg" -c "COPY ($every_posting) TO '$copy_file'" \
    -c "CREATE TABLE copy_postings (LIKE postings INCLUDING ALL)"
  sync
  /usr/bin/time -o "$work/copy.time" -f "%e %U %S %M" "${psql[@]}" "$pg" -c "COPY copy_postings FROM '$copy_file'"

  python3 - "$steps" "$pg_summary" "$persons" "$pg_bytes" "$pg_stats" "$pg_verified" "$national_person_months" \
    "$(cat "$work/plain.time") $plain_rows" "$(cat "$work/copy.time") $postings" "$(nproc)" \
    "$("${psql[@]}" -At "$pg" -c "SHOW server_version")" <<'PY'
import datetime, json, re, sys
steps_path, summary_path, persons, db_bytes, stats, verified, national, plain, copy, cpus, version = sys.argv[1:12]
persons, db_bytes, national = int(persons), int(db_bytes), int(national)
steps = []
for line in open(steps_path, encoding="utf-8"):
    name, wall, user, sys_, rss, output = (line.rstrip("\n").split("\t") + [""])[:6]
    steps.append(dict(name=name, wall=float(wall), cpu=float(user) + float(sys_), rss=int(rss), output=output))
total = lambda prefix, key="wall": sum(s[key] for s in steps if s["name"].startswith(prefix))
pm = sum(int(n) for s in steps if s["name"] == "import declarations" for n in re.findall(r"(\d+) accepted", s["output"]))
booked = sum(int(n) for s in steps if s["name"].startswith("run-month") for n in re.findall(r"(\d+) person-months", s["output"]))
import_wall, runs_wall = total("import declarations"), total("run-month")
vacuum_wall = total("vacuum analyze")
end_to_end = import_wall + vacuum_wall + runs_wall
rate = lambda seconds: pm / seconds if seconds > 0 else float("nan")
plain_wall, plain_rows = float(plain.split()[0]), int(plain.split()[4])
copy_wall, copy_rows = float(copy.split()[0]), int(copy.split()[4])
plain_rate = (plain_rows / 2) / plain_wall
now = datetime.datetime.now(datetime.timezone.utc)
lines = [
    f"shebao ledger benchmark on PostgreSQL {version}, {now:%Y-%m-%d %H:%M} UTC, {cpus} cpus, server on 127.0.0.1 "
    "(durable: fsync, synchronous_commit, full_page_writes on; shared_buffers 512MB, max_wal_size 8GB, "
    "checkpoint_timeout 30min)",
    f"population: {persons:,} persons x 12 months (shebao gen --regions 6 --years 1 --seed 3)",
    f"person-months (accepted declaration lines): {pm:,}; booked by the month runs: {booked:,}",
    f"database: {db_bytes / 2**20:,.0f} MiB; stats: {stats}",
    f"verify: {verified}",
    "",
    f"{'step':28s} {'wall s':>8s} {'cpu s':>8s} {'peak RSS MiB':>13s}",
]
for s in steps:
    lines.append(f"{s['name']:28s} {s['wall']:8.2f} {s['cpu']:8.2f} {s['rss'] / 1024:13.1f}")
lines += [
    "",
    f"import declarations      {rate(import_wall):>12,.0f} person-months/s  ({import_wall:.2f} s wall)",
    f"month runs (12)          {rate(runs_wall):>12,.0f} person-months/s  ({runs_wall:.2f} s wall; packed entries)",
    f"end to end (import+vacuum+runs) {rate(end_to_end):>5,.0f} person-months/s  ({end_to_end:.2f} s wall)",
    "",
    f"plain SQL month run (INSERT ... SELECT, 2 postings per person-month): {plain_rows // 2:,} person-months in "
    f"{plain_wall:.2f} s = {plain_rate:,.0f} person-months/s",
    f"  shebao month runs / plain SQL (rate): {rate(runs_wall) / plain_rate:.2f} x   (goal >= 3 x: "
    f"{'met' if rate(runs_wall) >= 3 * plain_rate else 'NOT met'})",
    f"PostgreSQL COPY of the same postings from a file: {copy_rows:,} rows in {copy_wall:.2f} s = "
    f"{copy_rows / copy_wall:,.0f} rows/s",
    f"  shebao month runs / COPY (time): {runs_wall / copy_wall:.2f} x   (goal <= 1.5 x: "
    f"{'met' if runs_wall <= 1.5 * copy_wall else 'NOT met'})",
    "",
    f"projection, national month run of {national:,} person-months at the month-run rate: "
    f"{national / rate(runs_wall) / 3600:,.1f} hours (one process, one server, this machine); "
    f"end to end with import: {national / rate(end_to_end) / 3600:,.1f} hours",
]
text = "\n".join(lines) + "\n"
open(summary_path, "w", encoding="utf-8").write(text)
print(text, end="")
PY
  echo "ledger_bench: results in $pg_summary"
fi
