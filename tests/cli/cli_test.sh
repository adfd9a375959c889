#!/usr/bin/env bash
# Behaviour of the `shebao` command line: exit statuses, error lines, outputs.
# Usage: cli_test.sh SHEBAO SOURCE_DIR
set -uo pipefail
shebao=$1
source_dir=$2
work=$(mktemp -d)
# shellcheck source=tests/cli/test_db.sh
. "$(dirname "$0")/test_db.sh"
trap 'test_db_cleanup; rm -rf "$work"' EXIT
failures=0

# expect STATUS DESCRIPTION -- COMMAND...: runs the command, checks its exit status,
# leaves stdout in $work/out and stderr in $work/err.
expect() {
  local want=$1 description=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL $description: exit $got, want $want"
    sed 's/^/  out: /' "$work/out" | head -5
    sed 's/^/  err: /' "$work/err" | head -5
    failures=$((failures + 1))
    return 1
  fi
  return 0
}

# contains FILE TEXT DESCRIPTION
contains() {
  if ! grep -qF -- "$2" "$1"; then
    echo "FAIL $3: '$2' not in output:"
    sed 's/^/  | /' "$1" | head -5
    failures=$((failures + 1))
  fi
}

case_file() {  # case_file NAME JSON
  printf '%s\n' "$2" >"$work/$1.json"
  echo "$work/$1.json"
}

good=$(case_file good '{"id":"T-1","kind":"retirement.date","input":{"birth_month":"1971-06","category":"female_55"},"expect":{"retirement_month":"2026-11","age_months":665},"tolerance":"0"}')
wrong=$(case_file wrong '{"id":"T-2","kind":"retirement.date","input":{"birth_month":"1971-06","category":"female_55"},"expect":{"retirement_month":"2026-12"},"tolerance":"0"}')
bad_input=$(case_file bad_input '{"id":"T-3","kind":"retirement.date","input":{"birth_month":"1971-13","category":"male"}}')
bad_category=$(case_file bad_category '{"id":"T-4","kind":"retirement.date","input":{"birth_month":"1971-01","category":"female"}}')
unknown_key=$(case_file unknown_key '{"id":"T-5","kind":"retirement.date","input":{"birth_month":"1971-01","category":"male","optoin":"latest"}}')
wrong_error=$(case_file wrong_error '{"id":"T-6","kind":"retirement.date","input":{"birth_month":"1971-01","category":"male"},"expect_error":"invalid_input","tolerance":"0"}')
out_of_range=$(case_file out_of_range '{"id":"T-7","kind":"retirement.date","input":{"birth_month":"1950-01","category":"male","option":"earliest"}}')
unknown_kind=$(case_file unknown_kind '{"id":"T-8","kind":"pension.unknown","input":{}}')
printf '{"id": "T-9", "kind": ' >"$work/malformed.json"

expect 0 "passing case" -- "$shebao" calc --case "$good"
contains "$work/out" '"id":"T-1","result":{"retirement_month":"2026-11"' "passing case output"
contains "$work/out" '"trace":[{"step":"statutory_age"' "passing case trace"
expect 0 "--no-trace" -- "$shebao" calc --case "$good" --no-trace
if grep -q '"trace"' "$work/out"; then echo "FAIL --no-trace printed a trace"; failures=$((failures + 1)); fi
expect 1 "failing expectation" -- "$shebao" calc --case "$wrong"
contains "$work/err" "retirement_month: expected" "failing expectation names the field"
expect 2 "invalid month" -- "$shebao" calc --case "$bad_input"
contains "$work/out" '"error":{"code":"invalid_input","field":"input.birth_month"' "invalid month error object"
expect 2 "unknown category" -- "$shebao" calc --case "$bad_category"
contains "$work/out" '"code":"unknown_category","field":"input.category"' "unknown category error"
expect 2 "misspelt optional key" -- "$shebao" calc --case "$unknown_key"
contains "$work/out" '"field":"input.optoin"' "misspelt key is named"
expect 1 "expected error not raised" -- "$shebao" calc --case "$wrong_error"
expect 2 "out of range" -- "$shebao" calc --case "$out_of_range"
contains "$work/out" '"code":"out_of_range"' "out of range code"
expect 2 "unknown kind" -- "$shebao" calc --case "$unknown_kind"
expect 2 "malformed JSON" -- "$shebao" calc --case "$work/malformed.json"
contains "$work/out" '"code":"invalid_input"' "malformed JSON error"
expect 4 "missing case file" -- "$shebao" calc --case "$work/none.json"
contains "$work/out" '"code":"io_error"' "missing file error"

mkdir -p "$work/dir"
cp "$good" "$wrong" "$work/dir/"
expect 1 "check with one failure" -- "$shebao" calc --check "$work/dir"
contains "$work/out" "1 passed, 1 failed" "check summary"
contains "$work/out" "FAIL T-2" "check names the failing case"

# Direct forms.
expect 0 "direct retirement" -- "$shebao" calc retirement --birth 1971-06 --category female_55
contains "$work/out" "2026-11" "direct retirement month"
contains "$work/out" "Why:" "direct form explains"
expect 0 "direct retirement json" -- "$shebao" calc retirement --birth 1965-01 --category male --option earliest --json
contains "$work/out" '"retirement_month":"2025-01"' "earliest option"
expect 2 "direct form bad value" -- "$shebao" calc retirement --birth 1971-6 --category male
contains "$work/err" "invalid_input: --birth:" "direct form names the flag"
if [ "$(wc -l <"$work/err")" -ne 1 ]; then echo "FAIL direct form error is not one line"; failures=$((failures + 1)); fi
expect 2 "direct form unknown category" -- "$shebao" calc retirement --birth 1971-06 --category woman
contains "$work/err" "unknown_category: --category" "direct form category"
expect 2 "direct form missing flag" -- "$shebao" calc retirement --category male
expect 2 "direct form non-integer" -- "$shebao" calc minimum-months --year 2030.5
contains "$work/err" "--year" "non-integer names the flag"
expect 0 "minimum months" -- "$shebao" calc minimum-months --year 2031 --json
contains "$work/out" '"minimum_months":192' "minimum months 2031"
expect 2 "unknown command" -- "$shebao" frobnicate
expect 2 "--case and --check together" -- "$shebao" calc --case "$good" --check "$work/dir"

# Rules data: a valid directory, and a broken copy that names file and line.
expect 0 "rules check" -- "$shebao" rules check "$source_dir/rules"
contains "$work/out" "rules ok:" "rules check summary"
cp -r "$source_dir/rules" "$work/rules"
cat >>"$work/rules/cn/contributions.toml" <<'TOML'

[[employer_pension_rate]]
from = 2019-01-01
value = "0.18"
rule = "CN-EMP-RATE-2019"
status = "confirmed"
source = "test"
TOML
expect 3 "overlapping rules" -- "$shebao" rules check "$work/rules"
contains "$work/err" "contributions.toml:" "overlap names the file"
contains "$work/err" "overlaps" "overlap is explained"
expect 3 "calc refuses broken rules" -- "$shebao" --rules "$work/rules" calc retirement --birth 1971-06 --category male
expect 4 "missing rules directory" -- "$shebao" --rules "$work/no-rules" calc retirement --birth 1971-06 --category male

# System of record: a small population, a month run, a transfer through its steps.
db=$(test_db_url record) || exit 1
expect 0 "gen" -- "$shebao" gen --persons 300 --regions 2 --years 1 --seed 5 --out "$work/pop"
expect 0 "import registry" -- "$shebao" import registry "$work/pop/employers.csv" "$work/pop/persons.csv" --db "$db" --today 2026-11-29
contains "$work/out" "300 accepted, 0 rejected" "persons imported"
expect 0 "import declaration" -- "$shebao" import declaration "$work"/pop/declarations/????-??.csv --db "$db" --today 2026-11-29
if grep -q " [1-9][0-9]* rejected" "$work/out"; then echo "FAIL generated declarations rejected"; cat "$work/out"; failures=$((failures + 1)); fi
test -s "$work/pop/declarations/2026-10.csv.feedback.csv" || { echo "FAIL no feedback file"; failures=$((failures + 1)); }
expect 0 "glob with feedback files" -- "$shebao" import declaration "$work/pop/declarations/2026-10.csv" "$work/pop/declarations/2026-10.csv.feedback.csv" --db "$db" --today 2026-11-29
contains "$work/out" "0 new, 0 corrected" "re-import is unchanged"
contains "$work/err" "skipped" "feedback file skipped"
expect 2 "future month" -- "$shebao" run-month 2027-01 --db "$db" --today 2026-11-29
expect 2 "bad month" -- "$shebao" run-month 2026-13 --db "$db"
expect 0 "run-month" -- "$shebao" run-month 2026-10 --db "$db" --today 2026-11-29
expect 2 "bad database url" -- "$shebao" stats --db "mysql://localhost/x"
line=$(sed -n 2p "$work/pop/declarations/2026-10.csv")
code=$(echo "$line" | cut -d, -f1)
person=$(echo "$line" | cut -d, -f3)
from="CN-${code:2:2}"
to="CN-11"; [ "$from" = "CN-11" ] && to="CN-31"
expect 0 "transfer request" -- "$shebao" transfer request "$person" --from "$from" --to "$to" --db "$db" --today 2026-11-29
contains "$work/out" "transfer 1: requested" "transfer requested"
expect 2 "second open transfer" -- "$shebao" transfer request "$person" --from "$from" --to "$to" --db "$db"
contains "$work/err" "conflict" "open transfer conflict"
expect 0 "send before compute does nothing" -- "$shebao" transfer send 1 --db "$db"
contains "$work/out" "nothing to do" "step order"
expect 0 "transfer compute" -- "$shebao" transfer compute 1 --db "$db"
if grep -q "refused" "$work/out"; then
  contains "$work/out" "temporary account" "refusal reason"
else
  contains "$work/out" "computed" "transfer computed"
  expect 0 "transfer send" -- "$shebao" transfer send 1 --db "$db"
  expect 0 "transfer credit" -- "$shebao" transfer credit 1 --db "$db"
  contains "$work/out" "credited" "transfer credited"
fi
expect 0 "transfer status by person" -- "$shebao" transfer status "$person" --db "$db"
contains "$work/out" "transfer 1:" "status lists the transfer"
expect 2 "unknown transfer" -- "$shebao" transfer compute 99 --db "$db"
expect 2 "same province" -- "$shebao" transfer request "$person" --from "$from" --to "$from" --db "$db"
expect 2 "unknown person" -- "$shebao" transfer request 11010519491231002X --from CN-11 --to CN-44 --db "$db"
expect 0 "verify" -- "$shebao" verify --db "$db"
contains "$work/out" "all invariants hold" "verify summary"
expect 0 "stats json" -- "$shebao" stats --json --db "$db"
contains "$work/out" '"persons":300' "stats persons"

if [ "$failures" -ne 0 ]; then
  echo "$failures CLI checks failed"
  exit 1
fi
echo "all CLI checks passed"
