#!/usr/bin/env bash
# Issue 20 §1's console figure: the server's CPU per view on PostgreSQL over SQLite's, from PAIRS
# alternating runs of cpu_per_view.sh (SQLite first, then PostgreSQL, same sitting), each pair's
# ratio and their median. Both databases are seeded once (bench_lib.sh) and reused.
#
#   PG_URL=postgres://…/bench1m PG_DATA=/tmp/bench-pg VIEW=/w/demo/users/<member id> \
#     tests/benches/cpu_ratio.sh
#
# Knobs: PAIRS (8), SECONDS_EACH (6), VIEW, DATA (SQLite's, /tmp/bench-users), PG_DATA, PG_URL,
# BIN (a release binary; built when unset), USERS.
set -euo pipefail
here=$(dirname "$0")
: "${PG_URL:?PG_URL names the PostgreSQL database}"
PAIRS=${PAIRS:-8}
export SECONDS_EACH=${SECONDS_EACH:-6} VIEW=${VIEW:-/w/demo/users}
if [ -z "${BIN:-}" ]; then
  root=$(cd "$here/../.." && pwd)
  cargo build --release --manifest-path "$root/Cargo.toml" -q
  BIN="${CARGO_TARGET_DIR:-$root/target}/release/admin-console"
fi
export BIN
# The server CPU figure of one run of cpu_per_view.sh (`env` arguments choose the backend).
cpu() { env "$@" "$here/cpu_per_view.sh" | sed -n 's/.*server CPU \([0-9]*\) µs a view.*/\1/p'; }
ratios=()
echo "== $(date -u +%FT%TZ) $VIEW, $PAIRS alternating pairs of ${SECONDS_EACH}s"
for i in $(seq "$PAIRS"); do
  sqlite=$(cpu -u PG_URL DATA="${DATA:-/tmp/bench-users}")
  pg=$(cpu DATA="${PG_DATA:-/tmp/bench-pg}")
  ratio=$(awk -v p="$pg" -v s="$sqlite" 'BEGIN {printf "%.3f", p / s}')
  ratios+=("$ratio")
  printf 'pair %d: SQLite %s µs, PostgreSQL %s µs a view: %s×\n' "$i" "$sqlite" "$pg" "$ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{r[NR] = $1} END {
  m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
  printf "median %.3f×, lowest %.3f×, highest %.3f× (target ≤ 1.2×)\n", m, r[1], r[NR]
}'
