#!/usr/bin/env bash
# The portal end to end: builds web/ when needed, generates a small database,
# adds one log-in per role, starts a real `shebao serve` on port 0 serving
# web/dist, and drives Debian's chromium (headless, playwright-core) through
# every journey with axe-core on every page (tests/web/e2e.mjs). Screenshots
# go to OUT (default: build/web-screenshots). The server reads the generated
# population extract, so the officer's coverage dashboard has figures. The server is stopped however
# the test ends.
# Usage: e2e.sh SHEBAO SOURCE_DIR [OUT]
set -euo pipefail
shebao=$(realpath "$1")
source_dir=$(realpath "$2")
out=${3:-$(dirname "$shebao")/web-screenshots}
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$source_dir/scripts/web-build" >"$work/web-build.log" 2>&1 || { cat "$work/web-build.log"; exit 1; }
tail -n 1 "$work/web-build.log"

db="sqlite:$work/portal.db"
"$shebao" gen --persons 80 --regions 2 --years 1 --seed 7 --out "$work/pop" >/dev/null
"$shebao" import registry "$work/pop/employers.csv" "$work/pop/persons.csv" --db "$db" >/dev/null
"$shebao" import declaration "$work/pop"/declarations/*.csv --db "$db" >/dev/null
"$shebao" import payment "$work/pop/payments.csv" --db "$db" >/dev/null
for file in "$work/pop"/declarations/????-??.csv; do
  "$shebao" run-month "$(basename "$file" .csv)" --db "$db" >/dev/null
done

# The person: the first one declared in the last month; the employer: theirs.
last=$(ls "$work/pop"/declarations/????-??.csv | tail -n 1)
line=$(sed -n 2p "$last")
employer=$(cut -d, -f1 <<<"$line")
person=$(cut -d, -f3 <<<"$line")
officer_region="${person:0:2}0000"
printf 'person-pass-1\n' | "$shebao" user add --role person --login person1 --person "$person" --db "$db" >/dev/null
printf 'employer-pass-1\n' | "$shebao" user add --role employer_agent --login employer1 --employer "$employer" --db "$db" >/dev/null
printf 'officer-pass-1\n' | "$shebao" user add --role officer --login officer1 --region "$officer_region" --db "$db" >/dev/null
# A near-duplicate of the person (the same name and birth date, a typo in the
# ID's sequence number, no phone), queued for review by `shebao dedup --db`.
twin17="${person:0:14}$(printf '%03d' $(((10#${person:14:3} + 2) % 1000)))"
twin=$(awk -v s="$twin17" 'BEGIN { split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ");
  for (i = 1; i <= 17; i++) sum += substr(s, i, 1) * w[i]; print s substr("10X98765432", sum % 11 + 1, 1) }')
awk -F, -v OFS=, -v p="$person" -v id="$twin" 'NR == 1 { print; next } $1 == p { $1 = id; $5 = ""; print }' \
  "$work/pop/persons.csv" >"$work/twin.csv"
"$shebao" import registry "$work/pop/employers.csv" "$work/twin.csv" --db "$db" >/dev/null
"$shebao" dedup --db "$db" >/dev/null
# The employer's declaration of the last month, the file the employer journey uploads.
{ head -n 1 "$last"; grep "^$employer," "$last"; } >"$work/declaration.csv"

"$shebao" serve --port 0 --threads 2 --quiet --rate 0 --db "$db" --web "$source_dir/web/dist" \
  --population "$work/pop/population.csv" \
  >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/serve.out" ] && break
  sleep 0.1
done
url=$(head -n 1 "$work/serve.out")
if [ -z "$url" ]; then
  echo "shebao serve did not start:"; cat "$work/serve.err"; exit 1
fi

mkdir -p "$out"
E2E_URL="$url" E2E_SHEBAO="$shebao" E2E_DB="$db" E2E_PERSON="$person" E2E_TWIN="$twin" E2E_EMPLOYER="$employer" E2E_DECLARATION="$work/declaration.csv" \
  E2E_OUT="$out" timeout 240 node "$source_dir/tests/web/e2e.mjs"
"$shebao" audit verify --db "$db"
