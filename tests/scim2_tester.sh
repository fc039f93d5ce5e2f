#!/usr/bin/env bash
# SCIM checked by a checker nobody here wrote: scim2-tester (PyPI, through scim2-cli) runs its
# compliance checks against /scim/v2 of a live server, with a workspace key holding `scim`.
# Its verdict counts: the run fails on any check that errs or is skipped.
#
#   tests/scim2_tester.sh sqlite | postgres://…   (an empty PostgreSQL database)
set -euo pipefail
source "$(dirname "$0")/live_server.sh"
venv="$root/target/scim-venv"
pypi_venv "$venv" scim2 'scim2-cli==0.6.0' 'scim2-tester==0.5.2'
start_server "$1"

echo "a long enough passphrase" | "$BIN" create-owner --email ada@example.com --workspace acme >/dev/null 2>&1
key=$("$BIN" api-key create --workspace acme --name scim2-tester --scopes scim 2>/dev/null)
serve

status=0
SCIM_CLI_HEADERS="Authorization: Bearer $key" timeout 600 "$venv/bin/scim2" \
  --url "http://127.0.0.1:$PORT/scim/v2" test >"$WORK/report.txt" 2>&1 || status=$?
cat "$WORK/report.txt"
# Each check that errs or is skipped, with the line that says why.
failed=$(awk '/^(ERROR|SKIPPED) /{check=$1 " " $2; getline why; print check " |" why}' "$WORK/report.txt")
passed=$(grep -c '^SUCCESS' "$WORK/report.txt" || true)
if [ "$passed" -lt 50 ] || [ -n "$failed" ] || [ "$status" -ne 0 ]; then
  echo "scim2-tester: $passed checks passed (status $status); errors and skips:" >&2
  echo "$failed" >&2
  tail -n 30 "$WORK/server.log" >&2
  exit 1
fi
echo "scim2-tester: all $passed checks passed, none skipped"
