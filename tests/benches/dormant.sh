#!/usr/bin/env bash
# Issue 18's dormant-member filter at 1 M members on SQLite, alternated in one sitting with the
# list unfiltered and under other filters (status, role), so "as fast as any filtered list" is
# measured beside them: not active for 30 and 90 days (by name; least and most recently active
# first), and the CSV export of the 30-day dormant members. wrk 2 threads x 8 connections; loopback
# only; the server is stopped by its pid.
#
#   tests/benches/dormant.sh        (DATA=/tmp/bench-users, shared with users_sitting.sh)
#
# Knobs: USERS, DATA, PORT, SECONDS_EACH, ROUNDS, BIN (a release binary; built when unset).
set -euo pipefail
PORT=${PORT:-18085}
source "$(dirname "$0")/bench_lib.sh"
start_server
c="Cookie: $cookie"
header
for round in $(seq "$ROUNDS"); do
  echo "-- round $round"
  run list "$c" "/w/demo/users"
  run status_suspended "$c" "/w/demo/users?status=suspended"
  run role_auditor "$c" "/w/demo/users?role=auditor"
  run dormant_30 "$c" "/w/demo/users?inactive_days=30"
  run dormant_90 "$c" "/w/demo/users?inactive_days=90"
  run dormant_30_oldest_first "$c" "/w/demo/users?inactive_days=30&sort=last_active"
  run dormant_30_recent_first "$c" "/w/demo/users?inactive_days=30&sort=-last_active"
done
echo "== export of the 30-day dormant members, one at a time"
for run in $(seq 3); do
  curl -fs -o "$DATA/dormant.csv" -w "export: %{time_total} s, %{size_download} bytes, " -H "$c" \
    "$BASE/w/demo/users.csv?inactive_days=30"
  echo "$(($(wc -l <"$DATA/dormant.csv") - 1)) rows"
done
