#!/usr/bin/env bash
# `shebao dedup` and `shebao gen-people` end to end: quality on a small labelled
# data set (scored by the command and by the reference scorer), the output and
# review files, and the errors for bad input (file, line and field named).
# Usage: cli_dedup_test.sh SHEBAO SOURCE_DIR [full|light]   (light: no generated set)
set -euo pipefail
shebao=$1
root=$2
mode=${3:-full}
data="$root/tests/data/linkage"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# 1. --eval on FEBRL 1: F1 above the goal, in text and JSON.
out=$("$shebao" dedup --eval "$data/febrl1" --json)
f1=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["f1"])' "$out")
python3 -c "import sys; sys.exit(0 if $f1 >= 0.99 else 1)" || fail "febrl1 F1 $f1 < 0.99"
"$shebao" dedup --eval "$data/febrl1" | grep -q "^pairwise .*F1" || fail "text report lacks the pairwise line"
# Blocking recall: the true pairs among the candidates (499 of FEBRL 1's 500 share a block).
python3 -c 'import json, sys
r = json.loads(sys.argv[1])
sys.exit(0 if r["true_pairs_compared"] == 499 and abs(r["blocking_recall"] - 0.998) < 1e-9 else 1)' "$out" ||
  fail "blocking recall in JSON: $out"
"$shebao" dedup --eval "$data/febrl1" | grep -q "^blocking  *recall 0.9980 (499 true pairs among the 978 pairs compared)" ||
  fail "text report lacks the blocking recall line"

# 2. --input/--output/--review on a blind copy (no entity_id); the reference scorer agrees.
python3 - "$data/febrl1/records.csv" "$tmp/blind.csv" <<'PY'
import csv, sys
rows = csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))
out = csv.writer(open(sys.argv[2], "w", newline="", encoding="utf-8"), lineterminator="\n")
header = next(rows); k = header.index("entity_id")
out.writerow(header[:k] + header[k + 1:])
for row in rows: out.writerow(row[:k] + row[k + 1:])
PY
"$shebao" dedup --input "$tmp/blind.csv" --output "$tmp/pred.csv" --review "$tmp/review.csv" >/dev/null
[ "$(head -1 "$tmp/pred.csv")" = "record_id,cluster_id" ] || fail "predictions header"
[ "$(wc -l < "$tmp/pred.csv")" -eq 1001 ] || fail "predictions must have one row per record"
[ "$(head -1 "$tmp/review.csv")" = "record_id_a,record_id_b,probability,weight,reason" ] || fail "review header"
ref=$(python3 "$data/score.py" "$data/febrl1/records.csv" "$tmp/pred.csv")
ref_f1=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["f1"])' "$ref")
[ "$ref_f1" = "$f1" ] || fail "reference scorer F1 $ref_f1 differs from dedup --eval $f1"

# 3. Generated Chinese records: gen-people, then --eval.
if [ "$mode" = full ]; then
mkdir -p "$tmp/cn"
"$shebao" gen-people --records 2000 --seed 3 --out "$tmp/cn/records.csv"
[ "$(wc -l < "$tmp/cn/records.csv")" -eq 2001 ] || fail "gen-people row count"
cn=$("$shebao" dedup --eval "$tmp/cn" --json)
cn_f1=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["f1"])' "$cn")
python3 -c "import sys; sys.exit(0 if $cn_f1 >= 0.95 else 1)" || fail "generated Chinese F1 $cn_f1 < 0.95"
fi

# 4. Bad input: exit 2 and a message naming file, line and field.
expect_error() {  # expected_status pattern command...
  local status=$1 pattern=$2
  shift 2
  set +e
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  set -e
  [ "$got" -eq "$status" ] || fail "$* exited $got, expected $status"
  grep -q -- "$pattern" "$tmp/err" || fail "$* error lacks '$pattern': $(cat "$tmp/err")"
}
printf 'record_id,given_name\nA,x\nA,y\n' > "$tmp/dup.csv"
expect_error 2 "dup.csv:3: field record_id: duplicate" "$shebao" dedup --input "$tmp/dup.csv" --output "$tmp/o.csv"
printf 'record_id,given_name\nA,x\n,y\n' > "$tmp/empty.csv"
expect_error 2 "empty.csv:3: field record_id: empty" "$shebao" dedup --input "$tmp/empty.csv" --output "$tmp/o.csv"
printf 'given_name,surname\nx,y\n' > "$tmp/nokey.csv"
expect_error 2 "nokey.csv:1: field record_id" "$shebao" dedup --input "$tmp/nokey.csv" --output "$tmp/o.csv"
printf 'record_id,given_name,surname\nA,x,y\nB,x\n' > "$tmp/short.csv"
expect_error 2 "short.csv:3" "$shebao" dedup --input "$tmp/short.csv" --output "$tmp/o.csv"
mkdir -p "$tmp/noent"
printf 'record_id,given_name\nA,x\n' > "$tmp/noent/records.csv"
expect_error 2 "field entity_id" "$shebao" dedup --eval "$tmp/noent"
mkdir -p "$tmp/emptyent"
printf 'record_id,entity_id,given_name\nA,1,x\nB,,y\n' > "$tmp/emptyent/records.csv"
expect_error 2 "records.csv:3: field entity_id: empty" "$shebao" dedup --eval "$tmp/emptyent"
expect_error 4 "missing.csv" "$shebao" dedup --input "$tmp/missing.csv" --output "$tmp/o.csv"
expect_error 2 "give one of --input FILE, --eval DIR or --db URL" "$shebao" dedup --output "$tmp/o.csv"
expect_error 2 "give one of --input FILE, --eval DIR or --db URL" "$shebao" dedup --input "$tmp/blind.csv" --db "sqlite:$tmp/r.db"
expect_error 2 "--db writes to the review queue" "$shebao" dedup --db "sqlite:$tmp/r.db" --output "$tmp/o.csv"
expect_error 2 "cluster-support" "$shebao" dedup --input "$tmp/blind.csv" --output "$tmp/o.csv" --cluster-support 2
expect_error 2 "records" "$shebao" gen-people --records 0 --out "$tmp/x.csv"
# No progress lines when stderr is not a terminal.
"$shebao" dedup --input "$tmp/blind.csv" --output "$tmp/pred2.csv" 2>"$tmp/err" >/dev/null
[ ! -s "$tmp/err" ] || fail "progress written when stderr is not a terminal"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "cli dedup: all checks passed"
