#!/usr/bin/env bash
# PostgreSQL going away under shebao: the server is restarted (pg_ctl restart
# -m fast) in the middle of a declaration import, and the session of a month
# run is ended by pg_terminate_backend. Each interrupted command must fail
# with a clear error (what was lost, what to do), and running it again must
# complete the work: `verify` passes and `stats` equal a clean run's.
# Usage: restart_test.sh SHEBAO SERVER_DIR [PERSONS]
#   SERVER_DIR: the folder of scripts/postgres-test-server (its url file names the server).
set -uo pipefail
shebao=$1
server_dir=$2
persons=${3:-30000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
export SHEBAO_TEST_BACKEND=postgresql SHEBAO_TEST_PG_URL_FILE="$server_dir/url"
# shellcheck source=tests/cli/test_db.sh
. "$here/../cli/test_db.sh"
trap 'test_db_cleanup; rm -rf "$work"' EXIT
today=2026-11-29
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

"$shebao" gen --persons "$persons" --regions 4 --years 1 --seed 5 --out "$work/data" >/dev/null || { echo "FAIL gen"; exit 1; }
declarations=$(ls "$work"/data/declarations/????-??.csv)
months=$(ls "$work/data/declarations" | grep -E "^[0-9]{4}-[0-9]{2}\.csv$" | sed "s/\.csv$//" | sort)
reference=$(test_db_url reference) || exit 1
target=$(test_db_url restarted) || exit 1

load() {  # load DB: every step once
  "$shebao" import registry "$work/data/employers.csv" "$work/data/persons.csv" --db "$1" --today $today >/dev/null &&
    "$shebao" import declaration $declarations --db "$1" --today $today >/dev/null &&
    "$shebao" import payment "$work/data/payments.csv" --db "$1" --today $today >/dev/null &&
    for month in $months; do "$shebao" run-month "$month" --db "$1" --today $today >/dev/null || return 1; done
}
load "$reference" || { echo "FAIL the clean run"; exit 1; }

# 1. Restart of the server during the declaration import.
"$shebao" import registry "$work/data/employers.csv" "$work/data/persons.csv" --db "$target" --today $today >/dev/null ||
  fail "registry import"
start=$(date +%s%N)
# shellcheck disable=SC2086
"$shebao" import declaration $declarations --db "$target" --today $today >"$work/out1" 2>"$work/err1" &
pid=$!
sleep 0.5
if ! kill -0 "$pid" 2>/dev/null; then fail "the import ended before the restart (use more persons)"; fi
"$here/../../scripts/postgres-test-server" restart "$server_dir" || fail "restart of the server"
wait "$pid"
status=$?
echo "restart after 0.5 s of a $(( ($(date +%s%N) - start) / 1000000 )) ms import: exit $status: $(tail -1 "$work/err1")"
[ "$status" -ne 0 ] || fail "an import cut by a server restart must fail"
grep -q "connection to PostgreSQL was lost" "$work/err1" || fail "no clear error after the restart: $(cat "$work/err1")"
grep -q "run the same command again" "$work/err1" || fail "the error does not say what to do: $(cat "$work/err1")"
# shellcheck disable=SC2086
"$shebao" import declaration $declarations --db "$target" --today $today >/dev/null 2>"$work/err" ||
  fail "re-run of the import: $(cat "$work/err")"
"$shebao" import payment "$work/data/payments.csv" --db "$target" --today $today >/dev/null || fail "payment import"

# 2. The month run's session ended by the server (pg_terminate_backend) mid-run.
first_month=$(echo "$months" | head -1)
"$shebao" run-month "$first_month" --db "$target" --today $today >"$work/out2" 2>"$work/err2" &
pid=$!
sleep 0.3
"$test_db_psql" -q -X "$test_db_server" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
  WHERE datname = '${target##*/}' AND pid <> pg_backend_pid()" >/dev/null
wait "$pid"
status=$?
echo "terminated month run: exit $status: $(tail -1 "$work/err2")"
if [ "$status" -ne 0 ]; then
  grep -q "connection to PostgreSQL was lost" "$work/err2" || fail "no clear error after terminate: $(cat "$work/err2")"
fi
for month in $months; do
  "$shebao" run-month "$month" --db "$target" --today $today >/dev/null 2>"$work/err" || fail "run-month $month: $(cat "$work/err")"
done

"$shebao" verify --db "$target" >"$work/verify" || { fail "verify after the restart"; cat "$work/verify"; }
want=$("$shebao" stats --json --db "$reference")
got=$("$shebao" stats --json --db "$target")
[ "$want" = "$got" ] || fail "stats differ from the clean run
  clean:     $want
  restarted: $got"
[ "$failures" -eq 0 ] || exit 1
echo "restart test: clear errors, re-runs complete, verify passes, stats equal the clean run: $got"
