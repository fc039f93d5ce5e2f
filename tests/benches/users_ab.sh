#!/usr/bin/env bash
# A/B of two release binaries on one seeded SQLite database (1 M members), alternated: per round
# and binary, start it, sign in, wrk -t2 -c8 on the users list, a search and a user console, stop
# it (by its pid). Loopback only.
#
#   tests/benches/users_ab.sh before/admin-console after/admin-console
#
# Knobs: DATA (the database, seeded once), PORT, ROUNDS, SECS.
set -euo pipefail
A=$1; B=$2; DATA=${DATA:-/tmp/bench-ab}; PORT=${PORT:-18090}; ROUNDS=${ROUNDS:-3}; SECS=${SECS:-8}
PASSWORD="a long enough passphrase"; BASE="http://127.0.0.1:$PORT"
mkdir -p "$DATA"
if [ ! -f "$DATA/seeded" ]; then
  "$A" --data-dir "$DATA" seed-demo --users 1000000 >/dev/null 2>&1
  echo "$PASSWORD" | "$A" --data-dir "$DATA" create-owner --email owner@example.com --workspace demo >/dev/null
  touch "$DATA/seeded"
fi
ws=$(sqlite3 "$DATA/console.db" "SELECT id FROM workspaces WHERE slug='demo'")
member=$(sqlite3 "$DATA/console.db" "SELECT id FROM memberships WHERE workspace_id=$ws AND status='active' ORDER BY id LIMIT 1 OFFSET 333333")
run() {
  local bin=$1 label=$2
  "$bin" --data-dir "$DATA" --bind "127.0.0.1:$PORT" serve >"$DATA/server-$label.log" 2>&1 & local pid=$!
  for _ in $(seq 300); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done
  local jar; jar=$(mktemp)
  local csrf; csrf=$(curl -s -c "$jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
  curl -s -b "$jar" -c "$jar" -o /dev/null -X POST "$BASE/login" --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "email=owner@example.com" --data-urlencode "password=$PASSWORD"
  local cookie; cookie=$(awk '$6 == "console_session" {print $6 "=" $7}' "$jar")
  curl -fs -H "Cookie: $cookie" "$BASE/w/demo/users" >/dev/null
  for path in "/w/demo/users" "/w/demo/users?q=lovelace42" "/w/demo/users/$member"; do
    out=$(wrk -t2 -c8 -d${SECS}s --latency -H "Cookie: $cookie" "$BASE$path")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    echo "$label $path $rps req/s p99 $p99"
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}
for r in $(seq "$ROUNDS"); do run "$A" A; run "$B" B; done
