#!/usr/bin/env bash
# Coverage, compliance and simulation end to end: a generated population is
# imported and its months run; the coverage report must find the extract's
# known uncovered share per group (within one percentage point) and reasons,
# and bad extracts or parameters are refused with what and where.
# Usage: analytics_test.sh SHEBAO   (SHEBAO_TEST_BACKEND=postgresql: on the test server, see test_db.sh)
set -uo pipefail
shebao=$1
work=$(mktemp -d)
# shellcheck source=tests/cli/test_db.sh
. "$(dirname "$0")/test_db.sh"
trap 'test_db_cleanup; rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
db=$(test_db_url analytics) || exit 1
today=2026-11-20

"$shebao" gen --persons 3000 --regions 3 --years 1 --seed 11 --out "$work/g" >/dev/null 2>&1 || { echo "FAIL gen"; exit 1; }
[ -s "$work/g/population.csv" ] || fail "gen writes population.csv"
[ -s "$work/g/population_truth.json" ] || fail "gen writes population_truth.json"
"$shebao" import registry "$work/g/persons.csv" "$work/g/employers.csv" --db "$db" --today $today >/dev/null || fail "import registry"
"$shebao" import declaration "$work"/g/declarations/*.csv --db "$db" --today $today >/dev/null || fail "import declarations"
"$shebao" import payment "$work/g/payments.csv" --db "$db" --today $today >/dev/null || fail "import payments"

# Before any month run there is nothing to report on.
"$shebao" report coverage --population "$work/g/population.csv" --db "$db" >"$work/out" 2>"$work/err"
[ $? -eq 2 ] && grep -q "run-month" "$work/err" || fail "coverage before any month run says to run the months"

for file in "$work"/g/declarations/????-??.csv; do
  month=$(basename "$file" .csv)
  "$shebao" run-month "$month" --db "$db" --today $today >/dev/null || fail "run-month $month"
done

# --- coverage: the known truth, per group ---
"$shebao" report coverage --population "$work/g/population.csv" --db "$db" --json \
  --uncovered "$work/uncovered.csv" --csv "$work/cells.csv" >"$work/coverage.json" || fail "report coverage --json"
for group in employee self_employed seasonal migrant other; do
  truth=$(grep -o "\"$group\": {\"population\": [0-9]*, \"uncovered\": [0-9]*" "$work/g/population_truth.json" |
    grep -o '[0-9][0-9]*' | tr '\n' ' ')
  found=$(grep -o "\"$group\":{\"population\":[0-9]*,\"covered\":[0-9]*" "$work/coverage.json" | grep -o '[0-9][0-9]*' |
    tr '\n' ' ')
  read -r t_pop t_unc <<<"$truth"
  read -r f_pop f_cov <<<"$found"
  if [ -z "${t_pop:-}" ] || [ -z "${f_pop:-}" ]; then fail "coverage: group $group missing (truth '$truth', report '$found')"; continue; fi
  [ "$t_pop" -gt 0 ] || fail "coverage: the generated extract has no $group"
  [ "$t_pop" -eq "$f_pop" ] || fail "coverage: $group population $f_pop, truth $t_pop"
  # |found share - truth share| <= 1 percentage point, in integers: 100*|f_unc*t_pop - t_unc*f_pop| <= t_pop*f_pop
  f_unc=$((f_pop - f_cov))
  diff=$((f_unc * t_pop - t_unc * f_pop)); diff=${diff#-}
  [ $((100 * diff)) -le $((t_pop * f_pop)) ] || fail "coverage: $group uncovered $f_unc of $f_pop, truth $t_unc of $t_pop"
done
truth_never=$(grep -o '"never_registered": [0-9]*' "$work/g/population_truth.json" | grep -o '[0-9]*$')
found_never=$(grep -o '"never_registered":[0-9]*' "$work/coverage.json" | grep -o '[0-9]*$')
[ "$truth_never" = "$found_never" ] && [ "$truth_never" -gt 0 ] || fail "coverage: never registered $found_never, truth $truth_never"
for reason in moved_without_transfer lapsed; do
  t=$(grep -o "\"$reason\": [0-9]*" "$work/g/population_truth.json" | grep -o '[0-9]*$')
  f=$(grep -o "\"$reason\":[0-9]*" "$work/coverage.json" | grep -o '[0-9]*$')
  [ "$t" = "$f" ] || fail "coverage: $reason $f, truth $t"
done
listed=$(($(wc -l <"$work/uncovered.csv") - 1))
reasons_total=$(grep -o '"reasons":{[^}]*}' "$work/coverage.json" | grep -o ':[0-9]*' | tr -d ':' | awk '{ s += $1 } END { print s + 0 }')
[ "$listed" -eq "$reasons_total" ] && [ "$listed" -gt 0 ] || fail "coverage: $listed people listed, reasons count $reasons_total"
head -1 "$work/uncovered.csv" | grep -q "^line,resident_id,name,region,group,reason" || fail "coverage: uncovered list header"
grep -q ",lapsed," "$work/uncovered.csv" || fail "coverage: the list names lapsed people"
head -1 "$work/cells.csv" | grep -q "^province,age_band,group,population,covered,coverage$" || fail "coverage: cells header"
"$shebao" report coverage --population "$work/g/population.csv" --db "$db" >"$work/table" || fail "coverage table"
grep -q "█" "$work/table" && grep -q "by month" "$work/table" || fail "coverage table has its charts"
# A narrower window covers no more people.
"$shebao" report coverage --population "$work/g/population.csv" --db "$db" --json --window 1 >"$work/w1.json" || fail "--window 1"
counts='"population":[0-9]*,"matched":[0-9]*,"matched_by_id":[0-9]*,"matched_by_engine":[0-9]*,"covered":[0-9]*'
c3=$(grep -o "$counts" "$work/coverage.json" | grep -o '[0-9]*$')
c1=$(grep -o "$counts" "$work/w1.json" | grep -o '[0-9]*$')
[ "$c1" -le "$c3" ] && [ "$c3" -gt 0 ] || fail "coverage: window 1 covers $c1, window 3 covers $c3"

# --- registered people the extract names without a usable ID: the matching engine ---
# Three registered working people appear with a mistyped ID (one digit changed:
# the check character no longer fits), one of them also with a traditional-
# character name and one with a pinyin-only name. The engine must find all three
# (and no never-registered person), so every group's coverage stays as before.
python3 - "$work/g/population.csv" "$work/g/persons.csv" "$work/variants.csv" <<'PY' || fail "write the variant extract"
import csv, sys
extract, persons, out = sys.argv[1:4]
pinyin = {row["resident_id"]: row["name_pinyin"] for row in csv.DictReader(open(persons, encoding="utf-8"))}
traditional = dict(zip("华国伟丽红军东刚杰刘陈张赵黄吴杨孙郑马罗谢韩冯邓许苏卢蒋兰凤龙鹏辉涛云宝贵荣飞长进庆义强岚艳静颖钟锋银铁汉乐学爱庄叶",
                       "華國偉麗紅軍東剛傑劉陳張趙黃吳楊孫鄭馬羅謝韓馮鄧許蘇盧蔣蘭鳳龍鵬輝濤雲寶貴榮飛長進慶義強嵐艷靜穎鍾鋒銀鐵漢樂學愛莊葉"))
rows = list(csv.DictReader(open(extract, encoding="utf-8")))
def mistype(rid):
    return rid[:15] + ("1" if rid[15] == "9" else chr(ord(rid[15]) + 1)) + rid[16:]
done = {"id": False, "traditional": False, "pinyin": False}
for row in rows:
    rid = row["resident_id"]
    if rid not in pinyin or row["employment_status"] != "employed":
        continue
    if not done["id"]:
        row["resident_id"] = mistype(rid); done["id"] = True
    elif not done["traditional"] and any(c in traditional for c in row["name"]):
        row["resident_id"] = mistype(rid); row["name"] = "".join(traditional.get(c, c) for c in row["name"])
        done["traditional"] = True
    elif not done["pinyin"]:
        row["resident_id"] = mistype(rid); row["name"] = pinyin[rid]; done["pinyin"] = True
if not all(done.values()):
    sys.exit("no rows for every variant: %s" % done)
with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader(); w.writerows(rows)
PY
"$shebao" report coverage --population "$work/variants.csv" --db "$db" --json >"$work/variants.json" ||
  fail "coverage of the variant extract"
grep -q '"matched_by_engine":3,' "$work/variants.json" || fail "engine: $(grep -o '"matched_by[^,]*,[^,]*' "$work/variants.json")"
groups_of() { grep -o '"groups":{[^}]*}[^}]*}[^}]*}[^}]*}[^}]*}}' "$1"; }
[ -n "$(groups_of "$work/coverage.json")" ] && [ "$(groups_of "$work/variants.json")" = "$(groups_of "$work/coverage.json")" ] ||
  fail "engine: the variant extract changes the groups' coverage: $(groups_of "$work/variants.json")"
grep -q "\"never_registered\":$truth_never," "$work/variants.json" || fail "engine: a never-registered person was matched"
"$shebao" report coverage --population "$work/variants.csv" --db "$db" >"$work/variants.txt" || fail "coverage table (variants)"
grep -q "3 by the matching engine" "$work/variants.txt" || fail "coverage table says how many the engine matched"

# --- bad extracts: what and where ---
extract="$work/g/population.csv"
{ head -2 "$extract"; sed -n 3p "$extract" | sed 's/^\([0-9]\{17\}\)./\1Z/'; } >"$work/bad_id.csv"
"$shebao" report coverage --population "$work/bad_id.csv" --db "$db" >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "bad_id.csv:3" "$work/err" && grep -q "resident_id" "$work/err" || fail "bad ID: $(cat "$work/err")"
{ head -1 "$extract"; sed -n 2p "$extract" | sed 's/,\(employed\|self_employed\|not_working\|seasonal\),/,retired_early,/'; } >"$work/bad_status.csv"
"$shebao" report coverage --population "$work/bad_status.csv" --db "$db" >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "bad_status.csv:2" "$work/err" && grep -q "employment_status" "$work/err" || fail "bad status: $(cat "$work/err")"
{ head -1 "$extract"; sed -n 2p "$extract" | sed 's/,[0-9.]*$/,-5.00/'; } >"$work/bad_income.csv"
"$shebao" report coverage --population "$work/bad_income.csv" --db "$db" >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "monthly_income" "$work/err" || fail "negative income: $(cat "$work/err")"
"$shebao" report coverage --population "$work/none.csv" --db "$db" >/dev/null 2>"$work/err"
[ $? -ne 0 ] && grep -q "none.csv" "$work/err" || fail "missing extract: $(cat "$work/err")"
"$shebao" report coverage --population "$extract" --db "sqlite:$work/nothing.sqlite" >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "import a registry first" "$work/err" || fail "missing database: $(cat "$work/err")"
"$shebao" report coverage --population "$extract" --db "$db" --window 0 >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q -- "--window" "$work/err" || fail "window 0: $(cat "$work/err")"

# --- compliance ---
"$shebao" report compliance --population "$extract" --db "$db" --json --csv "$work/employers.csv" >"$work/compliance.json" ||
  fail "report compliance"
grep -q '"employers":\[{"credit_code"' "$work/compliance.json" || fail "compliance names employers"
grep -q '"late_payers":\[{"credit_code"' "$work/compliance.json" || fail "compliance names late payers"
rows=$(($(wc -l <"$work/employers.csv") - 1))
[ "$rows" -gt 0 ] || fail "compliance CSV has rows"
# Ranked: missing contributions never increase down the list.
tail -n +2 "$work/employers.csv" | awk -F, 'NR > 1 && $NF + 0 > prev + 0 { bad = 1 } { prev = $NF } END { exit bad }' ||
  fail "compliance: employers ranked by missing contributions"
# Employers the generator marks as declaring less than they pay show short wages.
grep -q '"short_wages":[1-9]' "$work/compliance.json" || fail "compliance finds short wages"
grep -q '"undeclared_workers":[1-9]' "$work/compliance.json" || fail "compliance finds undeclared workers"

# --- simulation ---
"$shebao" simulate --set employer_pension_rate=0.16 --db "$db" --json >"$work/same.json" || fail "simulate same rate"
grep -q '"change":"0.00"' "$work/same.json" || fail "simulate: the rate in force changes nothing: $(cat "$work/same.json")"
"$shebao" simulate --set employer_pension_rate=0.14 --population "$extract" --db "$db" --json >"$work/sim.json" ||
  fail "simulate 14 %"
grep -q '"change":"-' "$work/sim.json" || fail "simulate: a lower employer rate lowers revenue"
grep -q '"errors":0' "$work/sim.json" || fail "simulate: every person-month computed"
"$shebao" simulate --set flexible_min_base_ratio=0.40 --population "$extract" --db "$db" --json >"$work/floor.json" ||
  fail "simulate flexible floor"
base=$(grep -o '"burdened_baseline":[0-9]*' "$work/floor.json" | grep -o '[0-9]*$')
sim=$(grep -o '"burdened_simulated":[0-9]*' "$work/floor.json" | grep -o '[0-9]*$')
[ -n "$base" ] && [ "$base" -gt 0 ] && [ "$sim" -lt "$base" ] || fail "simulate: a lower floor burdens fewer ($sim vs $base)"
# Pension awards of the persons reaching retirement in the simulated year.
grep -q '"pension":{"year":2026,"persons":[1-9]' "$work/sim.json" || fail "simulate: persons retiring in 2026: $(grep -o '"pension":{[^}]*' "$work/sim.json")"
grep -q '"pension":{[^}]*"change":"0.00"' "$work/sim.json" || fail "simulate: a contribution rate leaves the pensions as they are"
"$shebao" simulate --set basic_pension_accrual_rate=0.012 --population "$extract" --db "$db" --json >"$work/accrual.json" ||
  fail "simulate accrual rate"
pension_base=$(grep -o '"pension":{[^}]*"baseline":"[0-9.]*"' "$work/accrual.json" | grep -o '[0-9.]*"$' | tr -d '".')
pension_sim=$(grep -o '"pension":{[^}]*"simulated":"[0-9.]*"' "$work/accrual.json" | grep -o '[0-9.]*"$' | tr -d '".')
[ -n "$pension_base" ] && [ "$pension_base" -gt 0 ] && [ "$pension_sim" -gt "$pension_base" ] ||
  fail "simulate: a higher accrual rate raises the awards ($pension_sim vs $pension_base)"
grep -q '"pension":{.*"errors":0}}$' "$work/accrual.json" || fail "simulate: every award computed: $(grep -o '"pension":{.*' "$work/accrual.json")"
grep -q '"change":"0.00"' "$work/accrual.json" || fail "simulate: a pension parameter leaves revenue as it is"
"$shebao" simulate --set basic_pension_accrual_rate=0.012 --db "$db" >"$work/accrual.txt" || fail "simulate table"
grep -q "Pension awards of the [1-9][0-9]* persons reaching retirement in 2026" "$work/accrual.txt" ||
  fail "simulate table shows the pension awards"
# Values outside what a parameter allows: the parameter and what it takes.
for bad in basic_pension_accrual_rate=0.5:0.05 employer_pension_rate=1.2:"from 0 to below 1" pension_base_w=-1:"greater than 0" \
  divisor_age_47=207.5:"whole number" divisor_age_47=300:"divisor_age_47" flexible_min_base_ratio=0:"from 0.1 to 3"; do
  set_value=${bad%%:*}
  allowed=${bad#*:}
  "$shebao" simulate --set "$set_value" --db "$db" >/dev/null 2>"$work/err"
  [ $? -eq 2 ] && grep -q -- "--set" "$work/err" && grep -q "${set_value%%=*}" "$work/err" && grep -q -- "$allowed" "$work/err" ||
    fail "simulate --set $set_value: $(cat "$work/err")"
done
"$shebao" simulate --set contribution_base_floor_ratio=2 --set contribution_base_ceiling_ratio=1.5 --db "$db" >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "must not exceed contribution_base_ceiling_ratio" "$work/err" || fail "simulate floor above ceiling: $(cat "$work/err")"
"$shebao" simulate --set pension_divisor=100 --db "$db" >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "cannot be simulated" "$work/err" || fail "simulate unknown key: $(cat "$work/err")"
"$shebao" simulate --set employer_pension_rate=abc --db "$db" >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "employer_pension_rate" "$work/err" || fail "simulate bad value: $(cat "$work/err")"
"$shebao" simulate --set employer_pension_rate --db "$db" >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "KEY=VALUE" "$work/err" || fail "simulate without '=': $(cat "$work/err")"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "analytics: all checks passed"
