#!/usr/bin/env bash
# Server CPU per view (issue 20 §1): wrk (2 threads x 8 connections) on one page for SECONDS_EACH,
# the server process's CPU (utime + stime from /proc) divided by the views answered, and
# PostgreSQL's own CPU beside it. Run it alternately on both backends, same sitting:
#
#   VIEW=/w/demo/users/<member id> tests/benches/cpu_per_view.sh                    (SQLite)
#   PG_URL=postgres://… DATA=/tmp/bench-pg VIEW=… tests/benches/cpu_per_view.sh    (PostgreSQL)
#
# Knobs as in bench_lib.sh, and VIEW (default: the users list).
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"
PORT=${PORT:-18095}
VIEW=${VIEW:-/w/demo/users}
start_server
for _ in $(seq 8); do curl -fs -o /dev/null -H "Cookie: $cookie" "$BASE$VIEW"; done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local total=0 p
  for p in $(pgrep -u postgres || true); do total=$((total + $(ticks "$p"))); done
  echo "$total"
}
hz=$(getconf CLK_TCK)
s0=$(ticks "$pid"); p0=$(pg_ticks)
out=$(wrk -t2 -c8 -d"${SECONDS_EACH}s" -H "Cookie: $cookie" "$BASE$VIEW")
s1=$(ticks "$pid"); p1=$(pg_ticks)
views=$(awk '/requests in/ {print $1}' <<<"$out")
printf '%s: %s views/s, server CPU %d µs a view, PostgreSQL %d µs a view\n' "$VIEW" \
  "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
  $(( (s1 - s0) * 1000000 / hz / views )) $(( (p1 - p0) * 1000000 / hz / views ))
