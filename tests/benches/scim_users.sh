#!/usr/bin/env bash
# Issue 17's benchmark: SCIM reads as an identity provider makes them, at 1 M members on SQLite —
# the lookup of a user by userName (the IdP's "does this person exist?") with wrk (2 threads x 8
# connections), and pages deep in a full sync (startIndex=500001&count=100) timed one by one.
# Loopback only; the server is stopped by its pid.
#
#   tests/benches/scim_users.sh        (DATA=/tmp/bench-users, shared with users_sitting.sh)
#
# Knobs: USERS, DATA, PORT, SECONDS_EACH, ROUNDS, BIN (a release binary; built when unset).
set -euo pipefail
PORT=${PORT:-18084}
source "$(dirname "$0")/bench_lib.sh"
key=$(api_key scim)
start_server
auth="Authorization: Bearer $key"
# A member in the middle of the workspace, looked up by address as an IdP does.
email=$(curl -fs -H "$auth" "$BASE/scim/v2/Users?startIndex=$((USERS / 2))&count=1&attributes=userName" \
  | sed -n 's/.*"userName":"\([^"]*\)".*/\1/p')
[ -n "$email" ] || { echo "no member found" >&2; exit 1; }
filter="/scim/v2/Users?filter=userName%20eq%20%22$email%22"
curl -fs -H "$auth" "$BASE$filter" | grep -q "\"totalResults\":1" || { echo "lookup failed" >&2; exit 1; }

header
for round in $(seq "$ROUNDS"); do
  run "userName eq (round $round)" "$auth" "$filter"
done
echo "== deep pages of a full sync (startIndex=500001&count=100), one at a time"
for run in $(seq 5); do
  curl -fs -o /dev/null -w "page at 500001: %{time_total} s, %{size_download} bytes\n" -H "$auth" \
    "$BASE/scim/v2/Users?startIndex=500001&count=100"
done
