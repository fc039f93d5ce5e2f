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
root=$(cd "$(dirname "$0")/../.." && pwd)
USERS=${USERS:-1000000}
DATA=${DATA:-/tmp/bench-users}
PORT=${PORT:-18084}
SECONDS_EACH=${SECONDS_EACH:-8}
ROUNDS=${ROUNDS:-3}
BASE="http://127.0.0.1:$PORT"
mkdir -p "$DATA"
command -v wrk >/dev/null && command -v curl >/dev/null \
  || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl >/dev/null; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --manifest-path "$root/Cargo.toml" -q
  BIN="${CARGO_TARGET_DIR:-$root/target}/release/admin-console"
fi
db_args=(--data-dir "$DATA")
marker="$DATA/seeded-${USERS}"
if [ ! -f "$marker" ]; then
  echo "== seeding $USERS members"
  /usr/bin/time -f "seed: %e s" "$BIN" "${db_args[@]}" seed-demo --users "$USERS"
  touch "$marker"
fi
key=$("$BIN" "${db_args[@]}" api-key create --workspace demo --name bench-scim --scopes scim 2>/dev/null)

API_RATE_LIMIT=100000000 "$BIN" "${db_args[@]}" --bind "127.0.0.1:$PORT" serve >"$DATA/server.log" 2>&1 & pid=$!
trap 'kill -TERM $pid 2>/dev/null; for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done; kill -KILL $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done
auth="Authorization: Bearer $key"
# A member in the middle of the workspace, looked up by address as an IdP does.
email=$(curl -fs -H "$auth" "$BASE/scim/v2/Users?startIndex=$((USERS / 2))&count=1&attributes=userName" \
  | sed -n 's/.*"userName":"\([^"]*\)".*/\1/p')
[ -n "$email" ] || { echo "no member found" >&2; exit 1; }
filter="/scim/v2/Users?filter=userName%20eq%20%22$email%22"
curl -fs -H "$auth" "$BASE$filter" | grep -q "\"totalResults\":1" || { echo "lookup failed" >&2; exit 1; }

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }
echo "== $(date -u +%FT%TZ) SQLite, $USERS members, wrk 2 threads x 8 connections, ${SECONDS_EACH}s each"
for round in $(seq "$ROUNDS"); do
  out=$(wrk -t2 -c8 -d"${SECONDS_EACH}s" --latency -H "$auth" "$BASE$filter")
  printf 'round %d: userName eq  %s req/s, p50 %s ms, p99 %s ms, non-2xx %s\n' "$round" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)" "$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)" \
    "$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)"
done
echo "== deep pages of a full sync (startIndex=500001&count=100), one at a time"
for run in $(seq 5); do
  curl -fs -o /dev/null -w "page at 500001: %{time_total} s, %{size_download} bytes\n" -H "$auth" \
    "$BASE/scim/v2/Users?startIndex=500001&count=100"
done
