#!/usr/bin/env bash
# SCIM checked by a checker nobody here wrote: scim2-tester (PyPI, through scim2-cli) runs its
# compliance checks against /scim/v2 of a live server, with a workspace key holding `scim`.
# Its verdict counts: the run fails on any ERROR but those the README lists ("SCIM provisioning",
# checks scim2-tester cannot pass here), each for the reason given there:
#   - Users without an email address: the tester creates some Users with a random userName and
#     nothing else; every member here has an email address (the schema marks `emails` required), so
#     those are refused — and the Group checks that then reference those Users fail with them.
#   - Removing `timezone`: a member always has a time zone; removing it resets it to UTC, which is
#     still returned.
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
# Each ERROR with the line that says why; those the README lists are expected.
unexpected=$(awk '/^ERROR /{check=$2; getline why; print check " |" why}' "$WORK/report.txt" \
  | grep -v -E "give the person's email address \(userName is not one\)|is not a User of this workspace|did not remove attribute 'timezone'" || true)
passed=$(grep -c '^SUCCESS' "$WORK/report.txt" || true)
if [ "$passed" -lt 30 ]; then
  echo "scim2-tester: only $passed checks passed (status $status)" >&2
  exit 1
fi
if [ -n "$unexpected" ]; then
  echo "scim2-tester: errors the README does not list:" >&2
  echo "$unexpected" >&2
  tail -n 30 "$WORK/server.log" >&2
  exit 1
fi
echo "scim2-tester: $passed checks passed; the only errors are those the README lists"
