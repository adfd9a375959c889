#!/usr/bin/env bash
# Coverage report and policy simulation over a generated population: time and
# peak memory of `shebao report coverage`, `report compliance` and `simulate`
# on PERSONS persons (default 1,000,000) with 12 months booked, against a
# baseline measured here on the same database: the sqlite3 shell scanning the
# contribution entries the coverage report reads (the storage's own limit).
# Goals (issue): coverage report and simulation each <= 10 s at 1,000,000 persons.
# Writes bench/results/analytics_bench.txt.
#
# Usage: bench/analytics_bench.sh BUILD_DIR [PERSONS]
# Environment: KEEP=1 keeps the work directory; WORK=DIR uses DIR as the work
# directory and, when DIR already holds a prepared database (DIR/prepared), does
# not prepare it again (the timed steps are run anew).
set -euo pipefail
build=$(cd "$1" && pwd)
persons=${2:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
shebao="$build/shebao"
out="$root/bench/results"
summary="$out/analytics_bench.txt"
today=2026-11-29
[ -x "$shebao" ] || { echo "analytics_bench: no $shebao (build first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "analytics_bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$out"
if [ -n "${WORK:-}" ]; then
  mkdir -p "$WORK"
  work=$(cd "$WORK" && pwd)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/shebao-analytics-bench.XXXXXX")
  if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
fi
db="sqlite:$work/db.sqlite"

if [ -f "$work/prepared" ] && [ "$(cat "$work/prepared")" = "$persons" ]; then
  echo "analytics_bench: using the database prepared in $work" >&2
else
rm -rf "$work/g" "$work/db.sqlite" "$work/prepared"
echo "analytics_bench: preparing $persons persons x 12 months in $work (not timed)" >&2
"$shebao" gen --persons "$persons" --regions 8 --years 1 --seed 5 --out "$work/g" >/dev/null
"$shebao" import registry "$work/g/employers.csv" "$work/g/persons.csv" --db "$db" --today $today >/dev/null
"$shebao" import declaration "$work"/g/declarations/????-??.csv --db "$db" --today $today >/dev/null
"$shebao" import payment "$work/g/payments.csv" --db "$db" --today $today >/dev/null
for file in "$work"/g/declarations/????-??.csv; do
  "$shebao" run-month "$(basename "$file" .csv)" --db "$db" --today $today >/dev/null
done
echo "$persons" >"$work/prepared"
fi

results="$work/results.tsv"
: >"$results"
load=$(cut -d' ' -f1-3 /proc/loadavg)
timed() {  # timed NAME COMMAND...
  local name=$1
  shift
  sync
  /usr/bin/time -o "$work/time" -f "%e %M %U %S" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
    { echo "analytics_bench: $name failed" >&2; cat "$work/$name.err" >&2; exit 1; }
  printf '%s\t%s\n' "$name" "$(tr ' ' '\t' <"$work/time")" >>"$results"
  echo "analytics_bench: $name: $(cut -d' ' -f1 "$work/time") s" >&2
}
timed baseline sqlite3 "$work/db.sqlite" \
  "SELECT count(*), sum(person_id), sum(month) FROM journal_entries WHERE kind IN (1, 2); SELECT count(*) FROM persons;"
timed coverage "$shebao" report coverage --population "$work/g/population.csv" --db "$db" --json
timed compliance "$shebao" report compliance --population "$work/g/population.csv" --db "$db" --json
timed simulate "$shebao" simulate --set employer_pension_rate=0.14 --set flexible_min_base_ratio=0.40 \
  --population "$work/g/population.csv" --db "$db" --json

extract_rows=$(($(wc -l <"$work/g/population.csv") - 1))
entries=$(cut -d'|' -f1 "$work/baseline.out" | head -1)
awk -F'\t' -v load="$load" -v cores="$(nproc)" -v persons="$persons" -v rows="$extract_rows" -v entries="$entries" -v date="$(date -u '+%Y-%m-%d %H:%M')" '
  { wall[$1] = $2; rss[$1] = $3; cpu[$1] = $4 + $5 }
  END {
    printf "shebao analytics benchmark, %s UTC, %d cores, load average before the steps %s\n", date, cores, load
    printf "population: %d persons registered, %d extract rows, %d contribution entries (12 months)\n\n", persons, rows, entries
    printf "%-34s %9s %9s %12s %12s\n", "step", "wall s", "CPU s", "peak MiB", "x baseline"
    split("baseline coverage compliance simulate", order, " ")
    for (i = 1; i <= 4; ++i) {
      s = order[i]
      printf "%-34s %9.2f %9.2f %12.0f %12.1f\n", s, wall[s], cpu[s], rss[s] / 1024, wall[s] / (wall["baseline"] > 0 ? wall["baseline"] : 1)
    }
    printf "\nbaseline: the sqlite3 shell scanning the same contribution entries and persons\n"
    printf "CPU s: user + system; above wall s when a step uses both cores\n"
    if (persons >= 1000000) {
      printf "goal: coverage report <= 10 s at 1,000,000 persons: %s (%.1f s)\n", wall["coverage"] <= 10 ? "met" : "NOT met", wall["coverage"]
      printf "goal: policy simulation <= 10 s at 1,000,000 persons: %s (%.1f s)\n", wall["simulate"] <= 10 ? "met" : "NOT met", wall["simulate"]
    } else {
      printf "goals are stated for 1,000,000 persons; this run had %d\n", persons
    }
  }' "$results" | tee "$summary"
