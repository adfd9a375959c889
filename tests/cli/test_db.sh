# Sourced by the CLI tests: fresh databases on the backend under test.
#   SHEBAO_TEST_BACKEND=sqlite (default) | postgresql
# For postgresql the server URL comes from SHEBAO_TEST_PG_URL or from the file
# named by SHEBAO_TEST_PG_URL_FILE (ctest's postgres fixture writes it); a
# missing server is a failure.
# test_db_url NAME  -> prints a --db URL for a new, empty database NAME
# test_db_cleanup   -> drops the databases made (call from the EXIT trap)
test_db_backend=${SHEBAO_TEST_BACKEND:-sqlite}
test_db_made=()
test_db_server=""
if [ "$test_db_backend" = postgresql ]; then
  test_db_server=${SHEBAO_TEST_PG_URL:-}
  if [ -z "$test_db_server" ] && [ -n "${SHEBAO_TEST_PG_URL_FILE:-}" ]; then
    test_db_server=$(cat "$SHEBAO_TEST_PG_URL_FILE" 2>/dev/null)
  fi
  if [ -z "$test_db_server" ]; then echo "FAIL no PostgreSQL test server (SHEBAO_TEST_PG_URL[_FILE])"; exit 1; fi
  test_db_psql=${PG_BIN:-/usr/lib/postgresql/15/bin}/psql
fi
test_db_url() {
  if [ "$test_db_backend" = postgresql ]; then
    local name="t_$$_$1"
    "$test_db_psql" -q -X "$test_db_server" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null 2>&1 ||
      { echo "FAIL cannot create database $name on $test_db_server" >&2; return 1; }
    test_db_made+=("$name")
    echo "${test_db_server%/*}/$name"
  else
    echo "sqlite:$work/$1.db"
  fi
}
test_db_cleanup() {
  local name
  for name in "${test_db_made[@]}"; do
    "$test_db_psql" -q -X "$test_db_server" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1
  done
}
