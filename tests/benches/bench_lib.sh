# What the shell benchmarks share (sourced): a release binary, a database seeded once with USERS
# members, the server on loopback (stopped by its pid on exit), the Owner's session cookie, API
# keys, and `run` (one wrk row). Knobs: USERS, DATA, PORT, SECONDS_EACH, ROUNDS, BIN, PG_URL
# (PostgreSQL instead of DATA's SQLite file).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
USERS=${USERS:-1000000}
DATA=${DATA:-/tmp/bench-users}
SECONDS_EACH=${SECONDS_EACH:-8}
ROUNDS=${ROUNDS:-3}
PASSWORD="a long enough passphrase"
mkdir -p "$DATA"
command -v wrk >/dev/null && command -v curl >/dev/null \
  || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl >/dev/null; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --manifest-path "$root/Cargo.toml" -q
  BIN="${CARGO_TARGET_DIR:-$root/target}/release/admin-console"
fi
db_args=(--data-dir "$DATA")
if [ -n "${PG_URL:-}" ]; then db_args+=(--database-url "$PG_URL"); fi
marker="$DATA/seeded-${USERS}${PG_URL:+-pg}"
if [ ! -f "$marker" ]; then
  echo "== seeding $USERS members"
  /usr/bin/time -f "seed: %e s" "$BIN" "${db_args[@]}" seed-demo --users "$USERS"
  echo "$PASSWORD" | "$BIN" "${db_args[@]}" create-owner --email owner@example.com --workspace demo
  touch "$marker"
fi

# A key of the demo workspace holding these scopes (comma-separated).
api_key() {
  "$BIN" "${db_args[@]}" api-key create --workspace demo --name "bench-$1" --scopes "$1" 2>/dev/null
}

# Starts the server on PORT (the API's rate limit lifted: wrk would meet it in a second) and signs
# the Owner in: BASE and cookie are set.
start_server() {
  BASE="http://127.0.0.1:$PORT"
  API_RATE_LIMIT=100000000 "$BIN" "${db_args[@]}" --bind "127.0.0.1:$PORT" serve >"$DATA/server.log" 2>&1 &
  pid=$!
  trap 'kill -TERM $pid 2>/dev/null; for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done; kill -KILL $pid 2>/dev/null || true' EXIT
  for _ in $(seq 300); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done
  local jar csrf
  jar=$(mktemp)
  csrf=$(curl -s -c "$jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
  curl -s -b "$jar" -c "$jar" -o /dev/null -X POST "$BASE/login" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "email=owner@example.com" \
    --data-urlencode "password=$PASSWORD"
  cookie=$(awk '$6 == "console_session" {print $6 "=" $7}' "$jar")
  rm -f "$jar"
  [ -n "$cookie" ] || { echo "sign-in failed" >&2; exit 1; }
  curl -fs -H "Cookie: $cookie" "$BASE/w/demo/users" >/dev/null
}

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }

# One row: label, requests/s, p50 and p99 in ms, non-2xx answers (wrk 2 threads x 8 connections).
run() {
  local label=$1 header=$2 path=$3 out rps p50 p99 non2xx
  out=$(wrk -t2 -c8 -d"${SECONDS_EACH}s" --latency -H "$header" "$BASE$path")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  printf '%-24s %10s %9s %9s %7s\n' "$label" "$rps" "$p50" "$p99" "$non2xx"
}

header() {
  echo "== $(date -u +%FT%TZ) SQLite, $USERS members, wrk 2 threads x 8 connections, ${SECONDS_EACH}s each, $ROUNDS rounds"
  printf '%-24s %10s %9s %9s %7s\n' label req_per_s p50_ms p99_ms non2xx
}
