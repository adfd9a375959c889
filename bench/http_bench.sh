#!/usr/bin/env bash
# HTTP API load test with wrk against 127.0.0.1 (part of `make bench`).
# Reads of one person's record (GET /v1/persons/{id}, audited) and pension
# estimates (POST /v1/calculations/pension, with trace), each for a bounded time;
# requests per second, p99 latency and errors go to bench/results/http_bench.txt.
# Usage: bench/http_bench.sh BUILD_DIR [SECONDS] [CONNECTIONS]
set -euo pipefail
build=$1
seconds=${2:-10}
connections=${3:-64}
root=$(cd "$(dirname "$0")/.." && pwd)
shebao="$build/shebao"
out="$root/bench/results/http_bench.txt"
mkdir -p "$root/bench/results"
command -v wrk >/dev/null || { echo "http bench: wrk is not installed (make deps)"; exit 1; }
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

db="sqlite:$work/db.sqlite"
today=2026-11-29
"$shebao" gen --persons 5000 --regions 2 --years 1 --seed 11 --out "$work/pop" >/dev/null 2>&1
"$shebao" import registry "$work/pop/employers.csv" "$work/pop/persons.csv" --db "$db" --today $today >/dev/null 2>&1
"$shebao" import declaration "$work"/pop/declarations/????-??.csv --db "$db" --today $today >/dev/null 2>&1
for month in $(ls "$work/pop/declarations" | grep -o '^[0-9]\{4\}-[0-9]\{2\}' | sort -u); do
  "$shebao" run-month "$month" --db "$db" --today $today >/dev/null 2>&1
done
person=$(sed -n 2p "$work/pop/declarations/2026-10.csv" | cut -d, -f3)
echo "bench-password" | "$shebao" user add --role person --login bench --person "$person" --db "$db" >/dev/null

"$shebao" serve --port 0 --db "$db" --today $today --rate 0 --quiet >"$work/url" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -1 "$work/url")
token=$(curl -s -H 'Content-Type: application/json' -X POST "$url/v1/sessions" \
  -d '{"login":"bench","password":"bench-password"}' | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$token" ] || { echo "http bench: login failed"; exit 1; }

cat >"$work/pension.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"retirement_month":"2025-12","average_wage":"8462","average_contribution_index":"0.7","contribution_months":420,"account_balance":"98000","retirement_age":{"years":60,"months":1}}'
LUA

run() {  # run LABEL URL [wrk args]: prints one summary line, returns 1 on errors
  local label=$1 target=$2
  shift 2
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $token" "$@" "$target" >"$work/wrk" 2>&1
  local rps p99 non2xx socket
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$work/wrk")
  p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$work/wrk")
  socket=$(awk '/Socket errors/ { print }' "$work/wrk")
  printf '%-34s %10s req/s   p99 %8s   errors: %s%s\n' "$label" "$rps" "$p99" "${non2xx:-0} non-2xx" \
    "${socket:+; $socket}"
  [ -z "$non2xx" ] && [ -z "$socket" ]
}

{
  echo "shebao HTTP API benchmark, $(date -u '+%Y-%m-%d %H:%M') UTC, wrk -t2 -c$connections -d${seconds}s against 127.0.0.1"
  echo "host: $(nproc) cores (shared); server: shebao serve, $(nproc) threads, SQLite, access log off"
  echo
  status=0
  run "baseline: GET /healthz" "$url/healthz" || status=1
  run "person record (GET, audited)" "$url/v1/persons/$person" || status=1
  run "pension estimate (POST, trace)" "$url/v1/calculations/pension" -s "$work/pension.lua" || status=1
  echo
  echo "goal for the record read: >= 20,000 req/s with p99 < 20 ms"
  echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared; compare with the baseline)"
  curl -s "$url/metrics" | grep -E '^shebao_audit_entries_total' || true
  exit $status
} | tee "$out"
status=${PIPESTATUS[0]}
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=
"$shebao" audit verify --db "$db" | tee -a "$out"
exit "$status"
