#!/usr/bin/env bash
# The users-list benchmark of issues 4 and 6, one sitting: wrk on the list, a middle page, searches,
# sorts, a user console, a group's page, its member picker and an app's "who can run this?" at
# 1 M members, then the CSV export against `sqlite3 -csv` of the same joined columns, with the
# server's peak RSS. Loopback only; the server is stopped by its pid.
#
#   tests/benches/users_sitting.sh                 (SQLite, DATA=/tmp/bench-users)
#   PG_URL=postgres://… tests/benches/users_sitting.sh   (the same on PostgreSQL)
#
# The database is made once (create-owner + seed-demo --users $USERS) and reused. Knobs: USERS,
# DATA, PORT, SECONDS_EACH, EXPORT_RUNS, BIN (a release binary; built when unset).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
USERS=${USERS:-1000000}
DATA=${DATA:-/tmp/bench-users}
PORT=${PORT:-18082}
SECONDS_EACH=${SECONDS_EACH:-8}
EXPORT_RUNS=${EXPORT_RUNS:-2}
PASSWORD="a long enough passphrase"
BASE="http://127.0.0.1:$PORT"
mkdir -p "$DATA"
command -v wrk >/dev/null && command -v sqlite3 >/dev/null && command -v curl >/dev/null \
  || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk sqlite3 curl >/dev/null; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --manifest-path "$root/Cargo.toml" -q
  BIN="${CARGO_TARGET_DIR:-$root/target}/release/admin-console"
fi
db_args=(--data-dir "$DATA")
if [ -n "${PG_URL:-}" ]; then db_args+=(--database-url "$PG_URL"); fi
marker="$DATA/seeded-${USERS}${PG_URL:+-pg}"
if [ ! -f "$marker" ]; then
  echo "== seeding $USERS members"
  # seed-demo creates the workspace on the Enterprise plan; the owner joins it afterwards.
  /usr/bin/time -f "seed: %e s" "$BIN" "${db_args[@]}" seed-demo --users "$USERS"
  echo "$PASSWORD" | "$BIN" "${db_args[@]}" create-owner --email owner@example.com --workspace demo
  touch "$marker"
fi

"$BIN" "${db_args[@]}" --bind "127.0.0.1:$PORT" serve >"$DATA/server.log" 2>&1 & pid=$!
trap 'kill -TERM $pid 2>/dev/null; for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done; kill -KILL $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done

jar=$(mktemp)
csrf=$(curl -s -c "$jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -b "$jar" -c "$jar" -o /dev/null -X POST "$BASE/login" \
  --data-urlencode "csrf_token=$csrf" --data-urlencode "email=owner@example.com" \
  --data-urlencode "password=$PASSWORD"
cookie=$(awk '$6 == "console_session" {print $6 "=" $7}' "$jar")
[ -n "$cookie" ] || { echo "sign-in failed" >&2; exit 1; }
curl -fs -H "Cookie: $cookie" "$BASE/w/demo/users" >/dev/null   # warm the caches

# A middle page (the 500,000th member by name) and a member to open, read through the product.
sql() { if [ -n "${PG_URL:-}" ]; then psql "$PG_URL" -Atc "$1"; else sqlite3 "$DATA/console.db" "$1"; fi; }
ws=$(sql "SELECT id FROM workspaces WHERE slug = 'demo'")
middle=$(sql "SELECT id FROM memberships WHERE workspace_id = $ws AND status <> 'removed' ORDER BY sort_name, id LIMIT 1 OFFSET $((USERS / 2))")
member=$(sql "SELECT id FROM memberships WHERE workspace_id = $ws AND status = 'active' ORDER BY id LIMIT 1 OFFSET $((USERS / 3))")
group=$(sql "SELECT id FROM groups WHERE workspace_id = $ws ORDER BY member_count DESC, id LIMIT 1")
# A restricted app granted to the largest group reaching it: "who can run this?" at its heaviest.
app=$(sql "SELECT a.id FROM apps a JOIN grants g ON g.app_id = a.id JOIN groups gr ON gr.id = g.group_id
  WHERE a.workspace_id = $ws AND a.restricted ORDER BY gr.member_count DESC, a.id LIMIT 1")

echo "== export on the freshly started server (peak RSS from VmHWM, reset before each run; anonymous / file-backed RSS after)"
for run in $(seq "$EXPORT_RUNS"); do
  echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true
  start=$(date +%s.%N)
  lines=$(curl -fs -H "Cookie: $cookie" "$BASE/w/demo/users.csv" | wc -l)
  end=$(date +%s.%N)
  printf 'export run %d: %.2f s, %d lines, peak RSS %s (RssAnon %s, RssFile %s)\n' "$run" "$(echo "$end - $start" | bc)" "$lines" \
    "$(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")" "$(awk '/RssAnon/ {print $2, $3}' "/proc/$pid/status")" \
    "$(awk '/RssFile/ {print $2, $3}' "/proc/$pid/status")"
done
backend=SQLite; [ -n "${PG_URL:-}" ] && backend=PostgreSQL
echo "== $(date -u +%FT%TZ) $backend, $USERS members, wrk 2 threads x 8 connections, ${SECONDS_EACH}s each"
# Each path is viewed once first, and that first view's time is its own column: a search's first
# view proves where its matches lie (remembered by the instance until something changes, see
# README "The users list"); wrk then measures the views after it.
paths=(
  list=/w/demo/users
  middle="/w/demo/users?after=$middle"
  search="/w/demo/users?q=hopper4242"
  search_name="/w/demo/users?q=lovelace42"
  search_last="/w/demo/users?q=lovelace"
  search_first="/w/demo/users?q=grace"
  search_all="/w/demo/users?q=example"
  sort_active="/w/demo/users?sort=-last_active"
  sort_email="/w/demo/users?sort=email&after=$middle"
  console="/w/demo/users/$member"
  group_page="/w/demo/groups/$group"
  group_list="/w/demo/users?group=$group"
  picker="/w/demo/groups/$group/picker?q=lovelace42"
  picker_short="/w/demo/groups/$group/picker?q=ada"
  picker_first="/w/demo/groups/$group/picker?q=grace"
  group_email="/w/demo/users?group=$group&sort=email"
  who_can_run="/w/demo/apps/$app/permissions?level=run"
  healthz=/healthz
)
header=1
for spec in "${paths[@]}"; do
  first=$(curl -fs -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" "$BASE${spec#*=}")
  BASE=$BASE COOKIE=$cookie SECONDS_EACH=$SECONDS_EACH "$root/../shared/bench/wrk-paths.sh" "$spec" \
    | tail -n +$((2 - header)) \
    | awk -v first="$first" -v header="$header" 'header && NR == 1 {print $0 "  first_ms"; next} {printf "%s %9.2f\n", $0, first * 1000}'
  header=0
done

if [ -z "${PG_URL:-}" ]; then
  for run in 1 2; do
    start=$(date +%s.%N)
    # The export's ten columns (PRODUCT §6), groups and inviter included.
    lines=$(sqlite3 -csv "$DATA/console.db" "SELECT m.id, a.email, a.first_name, a.last_name, r.name, m.status,
        (SELECT group_concat(g.name, '; ') FROM group_members gm JOIN groups g ON g.id = gm.group_id
          WHERE gm.membership_id = m.id), m.created_at, m.last_active_at, i.email
        FROM memberships m JOIN accounts a ON a.id = m.account_id JOIN roles r ON r.id = m.role_id
        LEFT JOIN accounts i ON i.id = m.invited_by
        WHERE m.workspace_id = $ws AND m.status <> 'removed' ORDER BY m.id" | wc -l)
    end=$(date +%s.%N)
    printf 'sqlite3 -csv of the same joined columns, run %d: %.2f s, %d lines\n' "$run" "$(echo "$end - $start" | bc)" "$lines"
  done
fi
rm -f "$jar"
