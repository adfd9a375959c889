#!/usr/bin/env bash
# Coverage, compliance and simulation end to end: a generated population is
# imported and its months run; the coverage report must find the extract's
# known uncovered share per group (within one percentage point) and reasons,
# and bad extracts or parameters are refused with what and where.
# Usage: analytics_test.sh SHEBAO
set -uo pipefail
shebao=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
db="sqlite:$work/db.sqlite"
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
c3=$(grep -o '"population":[0-9]*,"matched":[0-9]*,"matched_by_name":[0-9]*,"covered":[0-9]*' "$work/coverage.json" | grep -o '[0-9]*$')
c1=$(grep -o '"population":[0-9]*,"matched":[0-9]*,"matched_by_name":[0-9]*,"covered":[0-9]*' "$work/w1.json" | grep -o '[0-9]*$')
[ "$c1" -le "$c3" ] && [ "$c3" -gt 0 ] || fail "coverage: window 1 covers $c1, window 3 covers $c3"

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
