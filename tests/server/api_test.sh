#!/usr/bin/env bash
# The HTTP API end to end: a real `shebao serve` on port 0 over a generated
# database, exercised with curl, then stopped with SIGTERM.
# Usage: [SHEBAO_TEST_BACKEND=postgresql] api_test.sh SHEBAO SOURCE_DIR
# (postgresql: a fresh database on the test server, see tests/cli/test_db.sh).
set -uo pipefail
shebao=$1
source_dir=$2
work=$(mktemp -d)
server_pid=
# shellcheck source=tests/cli/test_db.sh
. "$source_dir/tests/cli/test_db.sh"
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  test_db_cleanup
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

db=$(test_db_url db) || exit 1  # sqlite: $work/db.db
today=2026-11-29
"$shebao" gen --persons 200 --regions 2 --years 1 --seed 7 --out "$work/pop" >/dev/null 2>&1 || { echo "gen failed"; exit 1; }
"$shebao" import registry "$work/pop/employers.csv" "$work/pop/persons.csv" --db "$db" --today $today >/dev/null 2>&1

# A person with contributions, an employer of the same file, one of another region.
person=$(sed -n 2p "$work/pop/declarations/2026-10.csv" | cut -d, -f3)
employer=$(sed -n 2p "$work/pop/declarations/2026-10.csv" | cut -d, -f1)
person_region=$(grep "^$employer," "$work/pop/employers.csv" | cut -d, -f3)
other=$(awk -F, -v r="$person_region" 'NR > 1 && $4 != r { print $1; exit }' "$work/pop/persons.csv")
# A colleague at the employer, in no merge.
colleague=$(sed -n 3p "$work/pop/declarations/2026-10.csv" | cut -d, -f3)

# A near-duplicate of the person ("twin"): the same name and birth date, another
# sequence number of the same parity in the ID (so the same sex), no phone, the
# hukou in the officer's region; `shebao dedup --db` queues the pair once.
check_character() {  # check_character FIRST17
  local s=$1 sum=0 i weights=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) chars=10X98765432
  for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * weights[i])); done
  echo "${chars:$((sum % 11)):1}"
}
near_id() {  # near_id ID STEP: the ID with its sequence number moved by STEP (an even number)
  local first17=${1:0:14}$(printf '%03d' $(((10#${1:14:3} + $2) % 1000)))
  echo "$first17$(check_character "$first17")"
}
twin=$(near_id "$person" 2)
awk -F, -v OFS=, -v p="$person" -v id="$twin" -v r="$person_region" \
  'NR == 1 { print; next } $1 == p { $1 = id; $4 = r; $5 = ""; print }' "$work/pop/persons.csv" >"$work/twin.csv"
"$shebao" import registry "$work/pop/employers.csv" "$work/twin.csv" --db "$db" --today $today >/dev/null 2>&1 ||
  fail "import twin"
# The twin has two months of its own at the person's employer (2026-03 and 2026-04,
# amid the person's months): a merge into the twin puts both records' months together.
# Each line goes after the employer's last line of the month (a declaration is contiguous).
declare_twin() {  # declare_twin MONTH LINE
  local file="$work/pop/declarations/$1.csv" at
  at=$(grep -n "^$employer,$1," "$file" | tail -1 | cut -d: -f1)
  [ -n "$at" ] && sed -i "${at}a $2" "$file" || fail "no declaration of $employer in $1"
}
declare_twin 2026-03 "$employer,2026-03,$twin,12345.67,31,hire,2026-03-01"
declare_twin 2026-04 "$employer,2026-04,$twin,12345.67,30,leave,2026-04-30"
"$shebao" import declaration "$work"/pop/declarations/????-??.csv --db "$db" --today $today >/dev/null 2>&1
for month in $(ls "$work/pop/declarations" | grep -o '^[0-9]\{4\}-[0-9]\{2\}' | sort -u); do
  "$shebao" run-month "$month" --db "$db" --today $today >/dev/null 2>&1 || fail "run-month $month"
done
"$shebao" dedup --db "$db" >"$work/dedup1" 2>&1 || fail "dedup --db: $(cat "$work/dedup1")"
grep -q " [1-9][0-9]* added to the review queue" "$work/dedup1" || fail "dedup --db queued nothing: $(cat "$work/dedup1")"
"$shebao" dedup --db "$db" >"$work/dedup2" 2>&1 || fail "dedup --db again: $(cat "$work/dedup2")"
grep -q " 0 added to the review queue" "$work/dedup2" || fail "dedup --db again queued pairs: $(cat "$work/dedup2")"
"$shebao" dedup --db "$db" --input x.csv >/dev/null 2>&1 && fail "dedup accepted --db with --input"

add_user() {  # add_user LOGIN ROLE [flags...]
  local login=$1 role=$2
  shift 2
  echo "password-$login" | "$shebao" user add --role "$role" --login "$login" "$@" --db "$db" >/dev/null ||
    fail "user add $login"
}
add_user me person --person "$person"
add_user officer officer --region "$person_region"
add_user agent employer_agent --employer "$employer"
add_user auditor auditor
add_user admin admin
echo "short" | "$shebao" user add --role admin --login weak --db "$db" >/dev/null 2>&1 && fail "a short password was accepted"
echo "password-x" | "$shebao" user add --role officer --login bad --region 99 --db "$db" >/dev/null 2>&1 &&
  fail "an officer without a valid region was accepted"

# A bad population extract stops the start with a clear message.
printf 'resident_id,name\nnot-an-id,x\n' >"$work/bad_population.csv"
if timeout 30 "$shebao" serve --port 0 --db "$db" --population "$work/bad_population.csv" >"$work/bad.out" 2>"$work/bad.err"; then
  fail "serve started with a bad population extract"
fi
grep -q "population" "$work/bad.err" || fail "bad extract: no clear message: $(cat "$work/bad.err")"
[ -s "$work/bad.out" ] && fail "serve printed a URL with a bad population extract"

"$shebao" serve --port 0 --db "$db" --today $today --read-timeout-ms 1000 --max-body 65536 --rate 0 \
  --population "$work/pop/population.csv" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 300); do [ -s "$work/serve.out" ] && break; sleep 0.1; done
url=$(head -1 "$work/serve.out")
case "$url" in http://127.0.0.1:[0-9]*) ;; *) echo "FAIL first line is not the URL: '$url'"; exit 1 ;; esac
port=${url##*:}

# request NAME WANT_STATUS curl-args...: body in $work/body, status checked.
request() {
  local name=$1 want=$2
  shift 2
  local got
  got=$(curl -s -o "$work/body" -w '%{http_code}' "$@")
  if [ "$got" != "$want" ]; then fail "$name: status $got, want $want: $(head -c 300 "$work/body")"; return 1; fi
  return 0
}
has() {  # has NAME TEXT: the last body contains TEXT
  grep -qF -- "$2" "$work/body" || fail "$1: '$2' not in $(head -c 300 "$work/body")"
}
json=(-H 'Content-Type: application/json')
login() {
  curl -s "${json[@]}" -X POST "$url/v1/sessions" -d "{\"login\":\"$1\",\"password\":\"password-$1\"}" |
    sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p'
}

request healthz 200 "$url/healthz" && has healthz '"status":"ok"'
request openapi 200 "$url/openapi.json"
cmp -s "$work/body" "$source_dir/api/openapi.json" || fail "/openapi.json is not api/openapi.json"
request "unknown route" 404 "$url/v2/nothing" && has "unknown route" '"code":"not_found"'
request "no token" 401 "$url/v1/persons/$person" && has "no token" '"code":"unauthenticated"'
request "bad password" 401 "${json[@]}" -X POST "$url/v1/sessions" -d '{"login":"me","password":"wrong-password"}'

me=$(login me)
[ -n "$me" ] || fail "login"
auth=(-H "Authorization: Bearer $me")
request "own record" 200 "${auth[@]}" "$url/v1/persons/$person" && has "own record" "\"resident_id\":\"$person\""
request "contributions" 200 "${auth[@]}" "$url/v1/persons/$person/contributions" && has contributions '"personal_fen"'
request "account" 200 "${auth[@]}" "$url/v1/persons/$person/account" && has account '"balance_fen"'
request "other person" 404 "${auth[@]}" "$url/v1/persons/$other"
cp "$work/body" "$work/forbidden"
request "missing person" 404 "${auth[@]}" "$url/v1/persons/110101199001010015"
cmp -s "$work/body" "$work/forbidden" || fail "forbidden and missing answers differ"
request "malformed JSON" 400 "${auth[@]}" "${json[@]}" -X PATCH "$url/v1/persons/$person/contact" -d '{"phone":'
has "malformed JSON" '"field":"body"'
request "wrong type" 400 "${auth[@]}" "${json[@]}" -X PATCH "$url/v1/persons/$person/contact" -d '{"phone":5}'
has "wrong type" '"field":"phone"'
request "contact" 200 "${auth[@]}" "${json[@]}" -X PATCH "$url/v1/persons/$person/contact" -d '{"phone":"13900000000"}'
has contact '"phone":"13900000000"'
head -c 100000 /dev/zero | tr '\0' 'a' >"$work/big"
request "oversized body" 413 "${auth[@]}" "${json[@]}" -X PATCH "$url/v1/persons/$person/contact" --data-binary @"$work/big"
has "oversized body" '"code":"too_large"'
request "pension estimate" 200 "${auth[@]}" "${json[@]}" -X POST "$url/v1/calculations/pension" \
  -d '{"retirement_month":"2025-12","average_wage":"8462","average_contribution_index":"0.7","contribution_months":420,"account_balance":"98000","retirement_age":{"years":60,"months":1}}'
has "pension estimate" '"total_pension":"3225.54"'
request "transfer" 201 "${auth[@]}" "${json[@]}" -H 'Idempotency-Key: t-1' -X POST "$url/v1/persons/$person/transfers" \
  -d '{"from":"CN-35","to":"CN-44"}'
cp "$work/body" "$work/transfer"
request "transfer replay" 201 "${auth[@]}" "${json[@]}" -H 'Idempotency-Key: t-1' -X POST \
  "$url/v1/persons/$person/transfers" -d '{"from":"CN-35","to":"CN-44"}'
cmp -s "$work/body" "$work/transfer" || fail "idempotent replay differs"
request "transfer other body" 409 "${auth[@]}" "${json[@]}" -H 'Idempotency-Key: t-1' -X POST \
  "$url/v1/persons/$person/transfers" -d '{"from":"CN-35","to":"CN-45"}'
request "transfers" 200 "${auth[@]}" "$url/v1/persons/$person/transfers"
[ "$(grep -o '"transfer_id"' "$work/body" | wc -l)" = 1 ] || fail "the replayed POST made a second transfer"

officer=$(login officer)
request "officer read" 200 -H "Authorization: Bearer $officer" -H 'X-Purpose: pension claim 17' "$url/v1/persons/$person"
request "officer other region" 404 -H "Authorization: Bearer $officer" "$url/v1/persons/$other"
agent=$(login agent)
request "agent employer" 200 -H "Authorization: Bearer $agent" "$url/v1/employers/$employer"
request "agent person record" 404 -H "Authorization: Bearer $agent" "$url/v1/persons/$person"
printf 'credit_code,month,resident_id,wage,days_worked,event,event_date\n%s,2026-11,%s,9000.00,30,,\n' "$employer" "$person" \
  >"$work/decl.csv"
request "declaration upload" 201 -H "Authorization: Bearer $agent" -H 'Content-Type: text/csv' \
  --data-binary @"$work/decl.csv" "$url/v1/employers/$employer/declarations"
has "declaration upload" '"accepted":1'
upload_id=$(sed -n 's/.*"upload_id":\([0-9]*\).*/\1/p' "$work/body")
request "upload feedback" 200 -H "Authorization: Bearer $agent" "$url/v1/employers/$employer/uploads/$upload_id"
has "upload feedback" '"feedback"'

# The coverage report: the auditor's equals `shebao report coverage --json`
# without the per-person list; the officer's is the officer's region only.
"$shebao" report coverage --population "$work/pop/population.csv" --db "$db" --json >"$work/coverage_cli.json" ||
  fail "report coverage"
request "coverage by person" 403 "${auth[@]}" "$url/v1/reports/coverage"
request "coverage by agent" 403 -H "Authorization: Bearer $agent" "$url/v1/reports/coverage"
auditor=$(login auditor)
request "coverage all" 200 -H "Authorization: Bearer $auditor" "$url/v1/reports/coverage"
cp "$work/body" "$work/coverage_all.json"
request "coverage officer" 200 -H "Authorization: Bearer $officer" "$url/v1/reports/coverage"
cp "$work/body" "$work/coverage_officer.json"
python3 - "$work/coverage_cli.json" "$work/coverage_all.json" "$work/coverage_officer.json" "$work/pop/population.csv" \
  "$person_region" <<'PY' || fail "coverage figures"
import csv, json, sys
cli, api, officer = (json.load(open(p)) for p in sys.argv[1:4])
region = sys.argv[5]
problems = []
for key in ("month", "window_months", "population", "matched", "matched_by_id", "matched_by_engine", "covered", "reasons", "trend", "cells"):
    if cli[key] != api[key]:
        problems.append(f"{key}: cli {cli[key]!r} api {api[key]!r}")
for g in api["groups"]:
    c = cli["groups"][g["group"]]
    if (c["population"], c["covered"]) != (g["population"], g["covered"]):
        problems.append(f"group {g['group']}")
if "uncovered" in api:
    problems.append("the per-person list is in the answer")
def covers(own, r):
    if own == r: return True
    if own.endswith("0000"): return own[:2] == r[:2]
    if own.endswith("00"): return own[:4] == r[:4]
    return False
placed = sum(1 for row in csv.DictReader(open(sys.argv[4])) if covers(region, row["region"]))
if officer["region"] != region or officer["population"] != placed:
    problems.append(f"officer: region {officer['region']} population {officer['population']}, want {placed}")
if any(c["province"] != int(region[:2]) for c in officer["cells"]):
    problems.append("officer sees cells of another province")
if sum(c["population"] for c in officer["cells"]) != officer["population"]:
    problems.append("officer cells do not add up")
if officer["population"] >= api["population"]:
    problems.append("officer sees everything")
for p in problems: print("coverage:", p)
sys.exit(1 if problems else 0)
PY

# Arrears: the same figures as the late payers of `shebao report compliance`.
"$shebao" report compliance --population "$work/pop/population.csv" --db "$db" --json >"$work/compliance.json" ||
  fail "report compliance"
request "arrears by agent" 200 -H "Authorization: Bearer $agent" "$url/v1/employers/$employer/arrears" &&
  has "arrears by agent" '"late_fees":"'
request "arrears by person" 404 "${auth[@]}" "$url/v1/employers/$employer/arrears"
checked=0
for code in $(python3 -c 'import json,sys; print(" ".join(p["credit_code"] for p in json.load(open(sys.argv[1]))["late_payers"][:5]))' "$work/compliance.json"); do
  request "arrears $code" 200 -H "Authorization: Bearer $auditor" "$url/v1/employers/$code/arrears" || continue
  python3 - "$work/compliance.json" "$work/body" "$code" <<'PY' || fail "arrears figures of $code"
import json, sys
payer = next(p for p in json.load(open(sys.argv[1]))["late_payers"] if p["credit_code"] == sys.argv[3])
api = json.load(open(sys.argv[2]))
fen = lambda text: round(float(text) * 100)
want = (payer["unpaid_months"], payer["arrears"], payer["late_fees"])
got = (api["unpaid_months"], api["arrears"], api["late_fees"])
rows = sum(fen(m["arrears"]) for m in api["months"])
if want != got or rows != fen(api["arrears"]) or len(api["months"]) != api["unpaid_months"]:
    print("arrears:", sys.argv[3], "want", want, "got", got, "rows", rows)
    sys.exit(1)
PY
  checked=$((checked + 1))
done
echo "arrears checked against compliance for $checked employers"

# The statement as PDF in both languages; the figures are read back with pdftotext.
request "account for statement" 200 "${auth[@]}" "$url/v1/persons/$person/account"
balance=$(sed -n 's/.*"balance":"\([0-9.-]*\)".*/\1/p' "$work/body")
request "contributions for statement" 200 "${auth[@]}" "$url/v1/persons/$person/contributions"
first_personal=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["months"][0]; print("%d.%02d" % divmod(m["personal_fen"], 100))' "$work/body")
name=$(grep "^$person," "$work/pop/persons.csv" | cut -d, -f2)
status=$(curl -s -o "$work/statement.pdf" -w '%{http_code} %{content_type}' "${auth[@]}" "$url/v1/persons/$person/statement?lang=zh")
statement_text=
if [ "${status%% *}" = 503 ]; then
  echo "note: this build has no PDF renderer; statement checks skipped"
elif [ "$status" != "200 application/pdf" ]; then
  fail "statement: $status"
elif ! command -v pdftotext >/dev/null; then
  echo "note: pdftotext missing; statement text not checked"
else
  statement_text=yes
  head -c 5 "$work/statement.pdf" | grep -q '%PDF-' || fail "statement (zh) is not a PDF"
  pdftotext -layout "$work/statement.pdf" - | tr -d ',' >"$work/statement.zh.txt"
  for text in "$person" "$name" "$balance" "$first_personal"; do
    grep -qF -- "$text" "$work/statement.zh.txt" || fail "statement (zh) lacks '$text'"
  done
  request "statement en" 200 "${auth[@]}" "$url/v1/persons/$person/statement?lang=en"
  pdftotext -layout "$work/body" - | tr -d ',' >"$work/statement.en.txt"
  for text in "$person" "$balance" "$first_personal"; do
    grep -qF -- "$text" "$work/statement.en.txt" || fail "statement (en) lacks '$text'"
  done
  request "statement bad language" 400 "${auth[@]}" "$url/v1/persons/$person/statement?lang=fr"
  request "statement of another person" 404 "${auth[@]}" "$url/v1/persons/$other/statement"
fi

request "access log" 200 "${auth[@]}" "$url/v1/persons/$person/access-log"
has "access log" '"who":"officer"'
has "access log" '"purpose":"pension claim 17"'
request "audit log" 200 -H "Authorization: Bearer $auditor" "$url/v1/audit?limit=1000" && has "audit log" '"prev_hash"'
request "audit log by person" 403 "${auth[@]}" "$url/v1/audit"

# The review queue: the twin pair, decided by the officer of the region.
officer_auth=(-H "Authorization: Bearer $officer")
request "review queue" 200 "${officer_auth[@]}" "$url/v1/review/pairs" && has "review queue" "\"$twin\""
pair=$(grep -o '"pair_id":[0-9]*,"person_a":"[0-9X]*","person_b":"[0-9X]*"' "$work/body" | grep "$twin" |
  head -1 | sed 's/"pair_id":\([0-9]*\).*/\1/')
[ -n "$pair" ] || fail "the twin pair is not in the officer's queue"
request "review queue by a person" 403 "${auth[@]}" "$url/v1/review/pairs"
request "review queue by an agent" 403 -H "Authorization: Bearer $agent" "$url/v1/review/pairs"
request "review queue bad status" 400 "${officer_auth[@]}" "$url/v1/review/pairs?status=maybe"
request "review pair" 200 "${officer_auth[@]}" "$url/v1/review/pairs/$pair" && has "review pair" '"name":"exact"'
request "review pair by an agent" 404 -H "Authorization: Bearer $agent" "$url/v1/review/pairs/$pair"
request "review pair unknown" 404 "${officer_auth[@]}" "$url/v1/review/pairs/999999"
request "review pair bad id" 400 "${officer_auth[@]}" "$url/v1/review/pairs/x1"
request "merge without reason" 400 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/review/pairs/$pair/merge" \
  -d "{\"survivor\":\"$twin\"}"
request "merge outside the pair" 400 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/review/pairs/$pair/merge" \
  -d "{\"survivor\":\"$other\",\"reason\":\"same person\"}"
request "undo of nothing" 409 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/review/pairs/$pair/undo" \
  -d '{"reason":"nothing"}'
# statement NAME RESIDENT_ID FILE: the officer's English statement of the person as text.
statement() {
  request "$1" 200 "${officer_auth[@]}" "$url/v1/persons/$2/statement?lang=en" || return 1
  pdftotext -layout "$work/body" - | tr -d ',\f' >"$3"
}
# check_statement NAME TEXT CONTRIBUTIONS_JSON MONTHS BALANCE_FEN: the statement's rows
# are the contributions' months, in month order, with their base and both parts; its
# month count and personal-account balance are MONTHS and BALANCE_FEN.
check_statement() {
  python3 - "$@" <<'PY' || fail "$1"
import json, re, sys
name, text_file, contributions_file, want_months, want_balance = sys.argv[1:6]
text = open(text_file, encoding="utf-8").read()
months = json.load(open(contributions_file))["months"]
yuan = lambda fen: "%s%d.%02d" % ("-" if fen < 0 else "", abs(fen) // 100, abs(fen) % 100)
problems = []
rows = [line.split() for line in text.splitlines() if re.match(r"^\s*\d{4}-\d{2}\s", line)]
got = [(r[0], r[-3], r[-2], r[-1]) for r in rows]
want = [(m["month"], yuan(m["base_fen"]), yuan(m["personal_fen"]),
         yuan(m["pooled_fen"] if m["kind"] == "employee" else 0)) for m in months]
if got != want:
    problems.append(f"rows {got} want {want}")
if [m["month"] for m in months] != sorted(m["month"] for m in months):
    problems.append("the contributions are not in month order")
if len(months) != int(want_months) or f"Months contributed: {want_months}" not in text:
    problems.append(f"not {want_months} months")
if f"Personal account balance: {yuan(int(want_balance))}" not in text:
    problems.append(f"balance is not {yuan(int(want_balance))}")
for p in problems: print(f"{name}: {p}")
sys.exit(1 if problems else 0)
PY
}
balance_fen() { sed -n 's/.*"balance_fen":\(-\{0,1\}[0-9]*\).*/\1/p' "$work/body"; }
# Before the merge: the twin's own two months and balance, the person's balance, and a
# colleague's statement (in no merge, it stays as it is).
request "twin contributions" 200 "${officer_auth[@]}" "$url/v1/persons/$twin/contributions" &&
  cp "$work/body" "$work/twin_own.json" && has "twin contributions" '"month_count":2,'
request "twin account" 200 "${officer_auth[@]}" "$url/v1/persons/$twin/account"
twin_fen=$(balance_fen)
request "person account" 200 "${officer_auth[@]}" "$url/v1/persons/$person/account"
person_fen=$(balance_fen)
request "person contributions" 200 "${officer_auth[@]}" "$url/v1/persons/$person/contributions"
person_months=$(sed -n 's/.*"month_count":\([0-9]*\).*/\1/p' "$work/body")
[ "${twin_fen:-0}" -gt 0 ] && [ "${person_fen:-0}" -gt 0 ] && [ "${person_months:-0}" -gt 2 ] ||
  fail "twin and person: balances '$twin_fen' '$person_fen', person's months '$person_months'"
if [ -n "$statement_text" ]; then
  statement "twin statement" "$twin" "$work/twin_own.txt" &&
    check_statement "twin statement" "$work/twin_own.txt" "$work/twin_own.json" 2 "$twin_fen"
  statement "colleague statement" "$colleague" "$work/colleague.txt"
fi
# The person's record is merged into the twin's: the twin's contributions, account and
# statement now include the person's months and balance; nothing is deleted.
request "merge" 200 "${officer_auth[@]}" "${json[@]}" -H 'Idempotency-Key: m-1' -X POST \
  "$url/v1/review/pairs/$pair/merge" -d "{\"survivor\":\"$twin\",\"reason\":\"same person\"}" &&
  has merge '"status":"merged"'
request "merge replay" 200 "${officer_auth[@]}" "${json[@]}" -H 'Idempotency-Key: m-1' -X POST \
  "$url/v1/review/pairs/$pair/merge" -d "{\"survivor\":\"$twin\",\"reason\":\"same person\"}"
request "merge again" 409 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/review/pairs/$pair/merge" \
  -d "{\"survivor\":\"$twin\",\"reason\":\"same person\"}"
request "dismiss a merged pair" 409 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/review/pairs/$pair/dismiss" \
  -d '{"reason":"different"}'
request "merged record" 200 "${officer_auth[@]}" "$url/v1/persons/$person" && has "merged record" "\"merged_into\":\"$twin\""
request "survivor" 200 "${officer_auth[@]}" "$url/v1/persons/$twin" && has "survivor" "\"absorbed\":[\"$person\"]"
request "survivor contributions" 200 "${officer_auth[@]}" "$url/v1/persons/$twin/contributions" &&
  has "survivor contributions" "\"record\":\"$person\""
cp "$work/body" "$work/twin_merged.json"
request "survivor account" 200 "${officer_auth[@]}" "$url/v1/persons/$twin/account"
[ "$(balance_fen)" = $((twin_fen + person_fen)) ] ||
  fail "the survivor's balance $(balance_fen) is not $twin_fen + $person_fen"
if [ -n "$statement_text" ]; then
  statement "survivor statement" "$twin" "$work/twin_merged.txt" &&
    check_statement "survivor statement" "$work/twin_merged.txt" "$work/twin_merged.json" \
      $((person_months + 2)) $((twin_fen + person_fen))
  statement "colleague statement after the merge" "$colleague" "$work/colleague_merged.txt" &&
    { cmp -s "$work/colleague.txt" "$work/colleague_merged.txt" || fail "a merge changed the colleague's statement"; }
fi
request "undo merge" 200 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/review/pairs/$pair/undo" \
  -d '{"reason":"wrong person"}' && has "undo merge" '"status":"open"'
request "undo again" 409 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/review/pairs/$pair/undo" -d '{"reason":"x"}'
request "twin after undo" 200 "${officer_auth[@]}" "$url/v1/persons/$twin/contributions" &&
  has "twin after undo" '"month_count":2,'
if [ -n "$statement_text" ]; then
  statement "twin statement after undo" "$twin" "$work/twin_undone.txt" &&
    check_statement "twin statement after undo" "$work/twin_undone.txt" "$work/twin_own.json" 2 "$twin_fen"
fi
request "dismiss" 200 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/review/pairs/$pair/dismiss" \
  -d '{"reason":"different persons"}' && has dismiss '"status":"dismissed"'
request "dismissed list" 200 "${officer_auth[@]}" "$url/v1/review/pairs?status=dismissed" && has "dismissed list" "\"$twin\""
request "auditor undo" 404 -H "Authorization: Bearer $auditor" "${json[@]}" -X POST \
  "$url/v1/review/pairs/$pair/undo" -d '{"reason":"x"}'
request "auditor queue" 200 -H "Authorization: Bearer $auditor" "$url/v1/review/pairs?status=all"
# Registration: a third near-duplicate is answered with its likely duplicates and queued.
triplet=$(near_id "$person" 4)
name=$(grep "^$person," "$work/pop/persons.csv" | cut -d, -f2)
request "register a near-duplicate" 201 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/persons" \
  -d "{\"resident_id\":\"$triplet\",\"name\":\"$name\",\"hukou_region\":\"$person_region\",\"retirement_category\":\"$(grep "^$person," "$work/pop/persons.csv" | cut -d, -f6)\",\"scheme\":\"employee\"}" &&
  has "register a near-duplicate" '"possible_duplicates":[{"pair_id"'
request "registration pairs" 200 "${officer_auth[@]}" "$url/v1/review/pairs" && has "registration pairs" "\"$triplet\""
# A person imported by another process while the server runs is a candidate
# at the next registration of the same person (another spelling, an ID typo).
late_first17="${person_region}19770707051"
late="$late_first17$(check_character "$late_first17")"
{ head -1 "$work/pop/persons.csv"; echo "$late,司马相如,Sima Xiangru,$person_region,,male,employee,,"; } >"$work/late.csv"
"$shebao" import registry "$work/pop/employers.csv" "$work/late.csv" --db "$db" --today $today >"$work/late.out" 2>&1 ||
  fail "import while serving: $(cat "$work/late.out")"
late_again=$(near_id "$late" 2)
request "register an imported person again" 201 "${officer_auth[@]}" "${json[@]}" -X POST "$url/v1/persons" \
  -d "{\"resident_id\":\"$late_again\",\"name\":\"司马湘如\",\"hukou_region\":\"$person_region\",\"retirement_category\":\"male\",\"scheme\":\"employee\"}"
[ "$(grep -o "\"resident_id\":\"$late\"" "$work/body" | wc -l)" = 1 ] ||
  fail "the person imported while serving is not a candidate once: $(head -c 600 "$work/body")"

# Keep-alive: two requests over one connection.
curl -sv "$url/healthz" "$url/healthz" -o /dev/null -o /dev/null 2>"$work/keepalive"
grep -qi "re-using existing connection" "$work/keepalive" || fail "keep-alive: the connection was not reused"

# A slow client (headers never finished) is disconnected after the read timeout.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&3
sleep 1.5
if ! timeout 3 cat <&3 >/dev/null; then fail "slow client: the connection is still open"; fi
exec 3<&-
# Garbage instead of HTTP gets a 400 and a closed connection, and the server lives on.
printf 'NOT HTTP AT ALL\r\n\r\n' | timeout 3 bash -c "cat >/dev/tcp/127.0.0.1/$port" 2>/dev/null
request "alive after garbage" 200 "$url/healthz"

request metrics 200 "$url/metrics"
has metrics 'shebao_http_requests_total{method="GET",route="/v1/persons/{resident_id}",status="200"}'
has metrics 'shebao_audit_entries_total'
grep -q '"msg":"request"' "$work/serve.err" || fail "no JSON access log lines on stderr"

# Graceful stop on SIGTERM, then the audit chain verifies.
kill -TERM "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then fail "server still running 10 s after SIGTERM"; fi
wait "$server_pid"
status=$?
server_pid=
[ "$status" = 0 ] || { fail "serve exited with $status after SIGTERM"; tail -30 "$work/serve.err" | grep -v "^{" | head -30; }
"$shebao" audit verify --db "$db" >"$work/verify" || fail "audit verify on an intact log: $(cat "$work/verify")"
entries=$(sed -n 's/audit log intact: \([0-9]*\) entries/\1/p' "$work/verify")
[ "${entries:-0}" -ge 10 ] || fail "audit log has ${entries:-0} entries, want at least 10"

if [ "$test_db_backend" = postgresql ]; then
  sql() { "$test_db_psql" -q -X "$db" -v ON_ERROR_STOP=1 -c "$1" >/dev/null || fail "psql: $1"; }
  sql "CREATE TABLE audit_copy AS SELECT * FROM audit_log"
  sql "UPDATE audit_log SET purpose = 'curiosity' WHERE seq = 3"
  "$shebao" audit verify --db "$db" >"$work/verify" && fail "an altered entry was not detected"
  grep -q "entry 3" "$work/verify" || fail "audit verify does not name entry 3: $(cat "$work/verify")"
  sql "DELETE FROM audit_log; INSERT INTO audit_log SELECT * FROM audit_copy"
  sql "DELETE FROM audit_log WHERE seq = 4"
  "$shebao" audit verify --db "$db" >"$work/verify" && fail "a deleted entry was not detected"
  grep -q "entry 5" "$work/verify" || fail "audit verify does not name entry 5: $(cat "$work/verify")"
elif command -v sqlite3 >/dev/null; then
  file=${db#sqlite:}
  cp "$file" "$work/copy.sqlite"
  sqlite3 "$file" "UPDATE audit_log SET purpose = 'curiosity' WHERE seq = 3"
  "$shebao" audit verify --db "$db" >"$work/verify" && fail "an altered entry was not detected"
  grep -q "entry 3" "$work/verify" || fail "audit verify does not name entry 3: $(cat "$work/verify")"
  cp "$work/copy.sqlite" "$file"
  rm -f "$file-wal" "$file-shm"
  sqlite3 "$file" "DELETE FROM audit_log WHERE seq = 4"
  "$shebao" audit verify --db "$db" >"$work/verify" && fail "a deleted entry was not detected"
  grep -q "entry 5" "$work/verify" || fail "audit verify does not name entry 5: $(cat "$work/verify")"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failures"
  exit 1
fi
echo "http api: all checks passed"
