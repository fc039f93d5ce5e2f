#!/usr/bin/env bash
# The API checked by a checker nobody here wrote: schemathesis (PyPI) reads /api/v1/openapi.json
# from a live server and sends it thousands of generated requests (coverage, fuzzing, and
# stateful sequences that follow the document's links), with a key holding every scope.
# Passes only with 0 server errors, 0 answers that break the documented schema, content type or
# headers, and 0 undocumented status codes.
#
#   tests/schemathesis.sh sqlite          (a new SQLite file)
#   tests/schemathesis.sh postgres://…    (an empty PostgreSQL database)
#
# Called by tests/run.sh once per backend. Starts the server on a free loopback port and stops it
# (by its pid) whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
bin="$target/debug/admin-console"

venv="$root/target/schemathesis-venv"
if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  echo "installing schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi

cargo build --quiet --bin admin-console
work=$(mktemp -d /tmp/admin-console-schemathesis.XXXXXX)
server_pid=""
stop() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

case "$1" in
  sqlite) export DATABASE_URL="sqlite://$work/console.db" ;;
  *) export DATABASE_URL=$1 ;;
esac
export DATA_DIR="$work/data"
unset SMTP_URL
"$bin" seed-demo --users 300 --workspace demo >"$work/seed.log" 2>&1
scopes=users.view,users.invite,users.edit,users.change_role,users.suspend,users.remove,users.export
scopes=$scopes,groups.view,groups.manage,apps.view,apps.manage,audit.view,settings.manage
scopes=$scopes,api_keys.manage,owner
key=$("$bin" api-key create --workspace demo --name schemathesis --scopes "$scopes" 2>/dev/null)

port=""
for candidate in $(seq 18100 18199); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "no free port for the server" >&2; exit 1; }
# The checker sends thousands of requests a minute: the rate limit is tested elsewhere.
(BIND=127.0.0.1:$port API_RATE_LIMIT=1000000 exec "$bin" >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

status=0
timeout 600 "$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance \
  --max-examples 100 --seed 16 --no-color || status=$?
if [ "$status" -ne 0 ]; then
  echo "schemathesis failed ($status); the server's log:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
