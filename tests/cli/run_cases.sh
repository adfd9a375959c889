#!/usr/bin/env bash
# Runs every case file through `shebao calc --case` (the command line a user
# and the institution's own checks use) and through `shebao calc --check`.
# Usage: run_cases.sh SHEBAO CASES_DIR
set -uo pipefail
shebao=$1
cases=$2
failed=0
count=0
for file in "$cases"/*.json; do
  count=$((count + 1))
  output=$("$shebao" calc --case "$file" 2>&1)
  status=$?
  expects_error=$(grep -c '"expect_error"' "$file")
  if [ "$status" -ne 0 ]; then
    echo "FAIL $file (exit $status): $output"
    failed=$((failed + 1))
    continue
  fi
  # A passing case prints one JSON line with the id and either a result with its
  # trace or the expected error.
  first=$(printf '%s\n' "$output" | head -n 1)
  if [ "$expects_error" -eq 0 ]; then
    case "$first" in
      *'"result":'*'"trace":'*) ;;
      *) echo "FAIL $file: output lacks result or trace: $first"; failed=$((failed + 1)) ;;
    esac
  else
    case "$first" in
      *'"error":{"code":'*) ;;
      *) echo "FAIL $file: output lacks the error object: $first"; failed=$((failed + 1)) ;;
    esac
  fi
done
summary=$("$shebao" calc --check "$cases" | tail -n 1)
echo "calc --check: $summary"
if [ "$summary" != "$count passed, 0 failed" ]; then
  echo "FAIL calc --check summary, expected '$count passed, 0 failed'"
  failed=$((failed + 1))
fi
echo "$count case files, $failed failures"
[ "$failed" -eq 0 ]
