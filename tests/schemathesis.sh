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
# Called by tests/run.sh once per backend.
set -euo pipefail
source "$(dirname "$0")/live_server.sh"
venv="$root/target/schemathesis-venv"
pypi_venv "$venv" schemathesis 'schemathesis>=4,<5'
start_server "$1"

"$BIN" seed-demo --users 300 --workspace demo >"$WORK/seed.log" 2>&1
scopes=users.view,users.invite,users.edit,users.change_role,users.suspend,users.remove,users.export
scopes=$scopes,groups.view,groups.manage,apps.view,apps.manage,audit.view,settings.manage
scopes=$scopes,api_keys.manage,owner
key=$("$BIN" api-key create --workspace demo --name schemathesis --scopes "$scopes" 2>/dev/null)
serve

status=0
timeout 600 "$venv/bin/schemathesis" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  --url "http://127.0.0.1:$PORT" \
  -H "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance \
  --max-examples 100 --seed 16 --no-color || status=$?
if [ "$status" -ne 0 ]; then
  echo "schemathesis failed ($status); the server's log:" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exit "$status"
