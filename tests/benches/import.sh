#!/usr/bin/env bash
# Issue 18's CSV import at 1 M members on SQLite: a file of 10,000 rows (9,000 new addresses and
# 1,000 members already there) previewed, then imported, each request timed once. It changes the
# database, so it runs on a copy of the sittings' database (DATA=/tmp/bench-bulk, made from
# /tmp/bench-users when missing). Loopback only; the server is stopped by its pid.
#
#   tests/benches/import.sh
#
# Knobs: USERS, DATA, SOURCE, PORT, BIN (a release binary; built when unset).
set -euo pipefail
SOURCE=${SOURCE:-/tmp/bench-users}
DATA=${DATA:-/tmp/bench-bulk}
PORT=${PORT:-18087}
if [ ! -f "$DATA/console.db" ] && [ -f "$SOURCE/console.db" ]; then
  mkdir -p "$DATA"
  cp "$SOURCE"/console.db "$SOURCE"/session.key "$SOURCE"/encryption.key "$SOURCE"/seeded-* "$DATA"/
fi
source "$(dirname "$0")/bench_lib.sh"
start_server
csrf=$(curl -fs -H "Cookie: $cookie" "$BASE/me" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
run_id=$(date +%s)
file="$DATA/import-$run_id.csv"
{
  echo "email,first_name,last_name,role"
  for i in $(seq 1 9000); do echo "bench$run_id.$i@import.example,Imported,Person$i,member"; done
  curl -fs -H "Cookie: $cookie" "$BASE/w/demo/users.csv?q=lovelace" | sed -n '2,1001p' | cut -d, -f2 | sed 's/$/,,,/'
} >"$file"
echo "== $(date -u +%FT%TZ) SQLite, $USERS members, import of $(($(wc -l <"$file") - 1)) rows"
curl -fs -o "$DATA/import-preview.html" -w "preview: %{time_total} s, HTTP %{http_code}\n" \
  -H "Cookie: $cookie" -F "csrf_token=$csrf" -F "file=@$file;type=text/csv" "$BASE/w/demo/import"
sed -n 's/.*<p>\(Will be invited: .*\)<\/p>.*/\1/p' "$DATA/import-preview.html" | sed 's/<[^>]*>//g'
id=$(sed -n 's/.*action="\/w\/demo\/import\/\([0-9]*\)".*/\1/p' "$DATA/import-preview.html" | head -1)
curl -fs -o /dev/null -w "import: %{time_total} s, HTTP %{http_code}\n" \
  -H "Cookie: $cookie" --data "csrf_token=$csrf" "$BASE/w/demo/import/$id"
