#!/usr/bin/env bash
# Issue 16's benchmark: the JSON API's users list beside the HTML list it mirrors, at 1 M members
# on SQLite, alternated in one sitting — the first page of 50, and a search with many matches and
# one with few — with wrk (2 threads x 8 connections). The page is read with the Owner's session
# cookie, the API with an API key holding users.view. Loopback only; the server is stopped by its
# pid.
#
#   tests/benches/api_users.sh            (DATA=/tmp/bench-users, shared with users_sitting.sh)
#
# Knobs: USERS, DATA, PORT, SECONDS_EACH, ROUNDS, BIN (a release binary; built when unset).
set -euo pipefail
PORT=${PORT:-18083}
source "$(dirname "$0")/bench_lib.sh"
key=$(api_key users.view)
start_server
curl -fs -H "Authorization: Bearer $key" "$BASE/api/v1/users" >/dev/null

header
for round in $(seq "$ROUNDS"); do
  echo "-- round $round"
  run page_list "Cookie: $cookie" "/w/demo/users"
  run api_list "Authorization: Bearer $key" "/api/v1/users"
  run page_search_many "Cookie: $cookie" "/w/demo/users?q=lovelace"
  run api_search_many "Authorization: Bearer $key" "/api/v1/users?q=lovelace"
  run page_search_few "Cookie: $cookie" "/w/demo/users?q=lovelace42"
  run api_search_few "Authorization: Bearer $key" "/api/v1/users?q=lovelace42"
done
