#!/usr/bin/env bash
# Issue 18's bulk action at 1 M members on SQLite: everyone a filter matches (a search and the
# dormant filter, ~9,600 people) previewed, then suspended, each request timed once. It changes
# the database, so it runs on a copy of the sittings' database (DATA=/tmp/bench-bulk, made from
# /tmp/bench-users when missing). Loopback only; the server is stopped by its pid.
#
#   tests/benches/bulk.sh
#
# Knobs: USERS, DATA, SOURCE, PORT, FILTER, BIN (a release binary; built when unset).
set -euo pipefail
SOURCE=${SOURCE:-/tmp/bench-users}
DATA=${DATA:-/tmp/bench-bulk}
PORT=${PORT:-18086}
FILTER=${FILTER:-q=lovelace&inactive_days=45}
if [ ! -f "$DATA/console.db" ] && [ -f "$SOURCE/console.db" ]; then
  mkdir -p "$DATA"
  cp "$SOURCE"/console.db "$SOURCE"/session.key "$SOURCE"/encryption.key "$DATA"/
  cp "$SOURCE"/seeded-* "$DATA"/
fi
source "$(dirname "$0")/bench_lib.sh"
start_server
csrf=$(curl -fs -H "Cookie: $cookie" "$BASE/me" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
form="csrf_token=$csrf&action=suspend&all_matching=1&filter_role=&$FILTER&reason=bench"
echo "== $(date -u +%FT%TZ) SQLite, $USERS members, bulk suspend of everyone matching $FILTER"
curl -fs -o "$DATA/preview.html" -w "preview: %{time_total} s, HTTP %{http_code}\n" \
  -H "Cookie: $cookie" --data "$form" "$BASE/w/demo/users/bulk"
sed -n 's/.*<h1>\(.*\)<\/h1>.*/\1/p;s/.*<h2>\(Will change ([0-9]*)\)<\/h2>.*/\1/p;s/.*<h2>\(Skipped ([0-9]*)\)<\/h2>.*/\1/p' "$DATA/preview.html"
curl -fs -o /dev/null -w "confirm: %{time_total} s, HTTP %{http_code}\n" \
  -H "Cookie: $cookie" --data "$form&confirm=1" "$BASE/w/demo/users/bulk"
