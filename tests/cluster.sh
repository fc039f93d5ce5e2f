#!/usr/bin/env bash
# The console as a cluster: three instances of the real binary on one PostgreSQL database behind
# HAProxy (tests/cluster/haproxy.cfg.in), with a real SMTP sink (aiosmtpd), all on 127.0.0.1 on
# free ports. Checks, each printing a PASS/FAIL line with its numbers:
#   1. a suspension made through instance A ends the person's access through C at once, and a
#      role change made through B shows on A's next page view;
#      throttling: wrong passwords spread over A, B and C add up to one sign-in pause that every
#      instance enforces;
#   2. SMTP down while 100 invitations are sent through A, B and C; the sink back on the same
#      port: every email arrives exactly once (OUTBOX_RETRY_SECONDS=2: the workers' first retry
#      comes 2 s after the failure);
#   3. kill -9 of one instance during 30 s of mixed load through HAProxy (page views, invitations,
#      role changes, sign-ins): every write answered 303 has its rows and its audit event, no
#      instance answers 5xx, HAProxy stops sending to the dead one; only writes in flight to it
#      at the kill may fail (a POST that reached an instance is never sent twice);
#   4. a rolling restart under the same load (SIGTERM; the instance stops being ready at once —
#      /readyz answers 503 while it drains (SHUTDOWN_DRAIN_SECONDS, 3 s), then it refuses new
#      connections —, finishes its requests in flight and exits 0 within 30 s;
#      HAProxy takes it out; start again, wait until HAProxy sees it UP, next one): not one
#      failed request; then no email is held back by a graceful stop or delivered twice.
#
#   TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres tests/cluster.sh
#
# TEST_PG_URL: an admin URL of a running PostgreSQL; a database cluster_<random> is created on it
# and dropped at the end. AIOSMTPD_PYTHON: a python with aiosmtpd (default target/smtp-venv, which
# tests/run.sh installs). ADMIN_CONSOLE_BIN: a built binary to use instead of building
# target/debug/admin-console. CLUSTER_HAPROXY_TEMPLATE: another HAProxy template to try.
# CLUSTER_DRAIN_FIRST=1: the rolling restart also drains each instance in HAProxy (runtime API)
# before its SIGTERM, as an operator could; off by default: the test relies on the console alone.
# Installs Debian's haproxy package when haproxy is missing (as root). Everything it starts is
# stopped by pid when it exits, whatever happened; on a failure the logs are kept in
# target/cluster-logs/. Takes about 100 s.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

: "${TEST_PG_URL:?set TEST_PG_URL to an admin URL of a running PostgreSQL (postgres://postgres@127.0.0.1:5432/postgres)}"
AIOSMTPD_PYTHON=${AIOSMTPD_PYTHON:-$root/target/smtp-venv/bin/python}
began=$(date +%s)

log() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - began))"; }
now() { date +%s.%N; }

# --- What it needs ------------------------------------------------------------------------------
if ! command -v haproxy >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "haproxy is missing: run as root to install it" >&2; exit 1; }
  log "installing haproxy"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq haproxy >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq haproxy >/dev/null; }
fi
command -v psql >/dev/null 2>&1 || { echo "psql is missing" >&2; exit 1; }
"$AIOSMTPD_PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
  { echo "no aiosmtpd in $AIOSMTPD_PYTHON (tests/run.sh installs it into target/smtp-venv)" >&2; exit 1; }
if [ -n "${ADMIN_CONSOLE_BIN:-}" ]; then
  built=$ADMIN_CONSOLE_BIN
else
  cargo build --quiet --bin admin-console
  built=${CARGO_TARGET_DIR:-$root/target}/debug/admin-console
fi

RUN=$(mktemp -d /tmp/admin-console-cluster.XXXXXX)
# A copy: a rebuild meanwhile does not change the binary the restarts run.
cp "$built" "$RUN/admin-console"
BIN=$RUN/admin-console
MAILDIR=$RUN/maildir
mkdir -p "$MAILDIR"/{tmp,new,cur}

declare -A PID=([a]="" [b]="" [c]="")
HAPROXY_PID="" SMTP_PID="" LOAD_PID="" DB_NAME="" failures=0

stop_pid() { # pid, seconds to wait after SIGTERM before SIGKILL
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 $(($2 * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    [ "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" = Z ] && break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  set +e
  stop_pid "$LOAD_PID" 2
  for name in a b c; do stop_pid "${PID[$name]}" 5; done
  stop_pid "$HAPROXY_PID" 2
  stop_pid "$SMTP_PID" 2
  if [ -n "$DB_NAME" ]; then
    psql "$TEST_PG_URL" -qX -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1
  fi
  if [ "$status" -ne 0 ] || [ "$failures" -ne 0 ]; then
    rm -rf "$root/target/cluster-logs"
    mkdir -p "$root/target/cluster-logs"
    cp "$RUN"/*.log "$RUN"/*.json "$RUN"/*.jsonl "$RUN"/haproxy.cfg "$root/target/cluster-logs/" 2>/dev/null
    echo "logs kept in target/cluster-logs/" >&2
  fi
  rm -rf "$RUN"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports: the three instances, HAProxy, the SMTP sink.
read -r PORT_A PORT_B PORT_C PORT_HAPROXY PORT_SMTP < <(python3 -c '
import socket
held = [socket.socket() for _ in range(5)]
for s in held:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))')
declare -A PORT=([a]=$PORT_A [b]=$PORT_B [c]=$PORT_C)

DB_NAME=cluster_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
psql "$TEST_PG_URL" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB_NAME" >/dev/null
DATABASE_URL=$(python3 -c '
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(url._replace(path="/" + sys.argv[2])))' "$TEST_PG_URL" "$DB_NAME")

# The same on every instance (README "Running several instances").
export DATABASE_URL
export BASE_URL=http://127.0.0.1:$PORT_HAPROXY
SESSION_KEY=$(head -c 64 /dev/urandom | base64 -w0)
ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64 -w0)
export SESSION_KEY ENCRYPTION_KEY
export SMTP_URL=smtp://127.0.0.1:$PORT_SMTP
export RUST_LOG=warn,request=info LOG_FORMAT=json API_RATE_LIMIT=100000 OUTBOX_RETRY_SECONDS=2
# What the Python steps read.
export CLUSTER_URL_A=http://127.0.0.1:$PORT_A CLUSTER_URL_B=http://127.0.0.1:$PORT_B
export CLUSTER_URL_C=http://127.0.0.1:$PORT_C CLUSTER_URL_HAPROXY=$BASE_URL
export CLUSTER_MAILDIR=$MAILDIR CLUSTER_HAPROXY_SOCKET=$RUN/haproxy.sock CLUSTER_SLUG=acme
CLUSTER_PASSWORD=cluster-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CLUSTER_OWNER_EMAIL=ada@example.com CLUSTER_PASSWORD
export PYTHONDONTWRITEBYTECODE=1
steps() { python3 "$root/tests/cluster/steps.py" "$@"; }
# A check that may fail without stopping the run (its PASS/FAIL line says why).
check() { "$@" || failures=$((failures + 1)); }

start_instance() {
  local name=$1
  mkdir -p "$RUN/$name"
  (BIND=127.0.0.1:${PORT[$name]} DATA_DIR=$RUN/$name exec "$BIN" serve) >>"$RUN/$name.log" 2>&1 &
  PID[$name]=$!
}

# Waits until an instance's /readyz answers 200.
wait_ready() {
  local name=$1
  python3 - "${PORT[$name]}" "$2" <<'EOF' || { echo "instance $name is not ready" >&2; tail -n 20 "$RUN/$name.log" >&2; return 1; }
import sys, time, urllib.request
port, limit = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
EOF
}

wait_port() { # port, tenths of a second
  local i
  for i in $(seq 1 "$2"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start_sink() {
  (exec "$AIOSMTPD_PYTHON" -m aiosmtpd -n -l "127.0.0.1:$PORT_SMTP" -c aiosmtpd.handlers.Mailbox \
    "$MAILDIR") >>"$RUN/smtp.log" 2>&1 &
  SMTP_PID=$!
  wait_port "$PORT_SMTP" 150 || { echo "the SMTP sink did not start" >&2; return 1; }
}

# Stops the sink; true once its port refuses connections.
stop_sink() {
  kill "$SMTP_PID"
  wait "$SMTP_PID" 2>/dev/null || true
  SMTP_PID=""
  ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT_SMTP") 2>/dev/null
}

# Waits until a process (a child of this script) has exited; false after $2 seconds.
wait_exit() {
  local pid=$1 deadline=$(($(date +%s) + $2)) state
  while [ "$(date +%s)" -le "$deadline" ]; do
    state=$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -z "$state" ] || [ "$state" = Z ] && return 0
    sleep 0.05
  done
  return 1
}

# --- Setup ----------------------------------------------------------------------------------------
log "setup: database $DB_NAME, instances on $PORT_A $PORT_B $PORT_C, HAProxy on $PORT_HAPROXY, SMTP on $PORT_SMTP"
printf '%s\n' "$CLUSTER_PASSWORD" | "$BIN" create-owner --email "$CLUSTER_OWNER_EMAIL" \
  --workspace acme --first-name Ada --last-name Lovelace >"$RUN/create-owner.log" 2>&1 ||
  { cat "$RUN/create-owner.log" >&2; exit 1; }
# More than a Free plan's 10 seats.
psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 \
  -c "UPDATE workspaces SET plan = 'enterprise', seat_limit = NULL WHERE slug = 'acme'" >/dev/null
start_sink
for name in a b c; do start_instance "$name"; done
for name in a b c; do wait_ready "$name" 60; done
sed -e "s|@RUN_DIR@|$RUN|g" -e "s|@HAPROXY_PORT@|$PORT_HAPROXY|g" -e "s|@PORT_A@|$PORT_A|g" \
  -e "s|@PORT_B@|$PORT_B|g" -e "s|@PORT_C@|$PORT_C|g" \
  "${CLUSTER_HAPROXY_TEMPLATE:-tests/cluster/haproxy.cfg.in}" >"$RUN/haproxy.cfg"
haproxy -c -q -f "$RUN/haproxy.cfg"
(exec haproxy -f "$RUN/haproxy.cfg" -db) >>"$RUN/haproxy.log" 2>&1 &
HAPROXY_PID=$!
wait_port "$PORT_HAPROXY" 100 || { echo "HAProxy did not start" >&2; cat "$RUN/haproxy.log" >&2; exit 1; }
for name in a b c; do steps wait-haproxy --server "$name" --timeout 30 >/dev/null; done
steps people

# --- 1. One instance's change, the next request on another ------------------------------------
log "scenario 1: consistency across instances"
check steps consistency
check steps throttle

# --- 2. SMTP down while invitations are sent ----------------------------------------------------
log "scenario 2: SMTP down during 100 invitations"
s2_start=$(date +%s)
stop_sink || { echo "the SMTP sink still answers" >&2; exit 1; }
down_at=$(now)
if steps invite-many --tag s2 --count 100 && steps mail-failed --tag s2 --count 100 --timeout 30; then
  # Keep the outage at least 8 s long, then the sink comes back on the same port.
  sleep "$(python3 -c "import sys; print(max(0.0, 8 - ($(now) - $down_at)))")"
  outage=$(python3 -c "print(f'{$(now) - $down_at:.1f}')")
  start_sink
  echo "SMTP was down for $outage s"
  check steps mail-check --tag s2 --count 100 --timeout 150 --settle 6
else
  failures=$((failures + 1))
  start_sink
fi
echo "scenario 2 took $(($(date +%s) - s2_start)) s"

# --- 3. kill -9 under load ----------------------------------------------------------------------
log "scenario 3: kill -9 of instance b during 30 s of load through HAProxy"
rm -f "$RUN/kill.started"
python3 tests/cluster/load.py --phase kill --duration 30 --workers 6 \
  --started-file "$RUN/kill.started" --out "$RUN/load-kill.json" &
LOAD_PID=$!
for _ in $(seq 1 600); do [ -f "$RUN/kill.started" ] && break; sleep 0.1; done
[ -f "$RUN/kill.started" ] || { echo "the load did not start" >&2; exit 1; }
sleep 10
kill_time=$(now)
kill -9 "${PID[b]}"
wait "${PID[b]}" 2>/dev/null || true
PID[b]=""
echo "killed b at $kill_time"
wait "$LOAD_PID"
LOAD_PID=""
check steps check-load --label "scenario 3 (kill -9 of b under load)" \
  --results "$RUN/load-kill.json" --haproxy-log "$RUN/haproxy.log" \
  --instance-logs "$RUN/a.log" "$RUN/b.log" "$RUN/c.log" --kill-time "$kill_time" --killed b --window 5
# b comes back for the next scenario.
start_instance b
wait_ready b 60
steps wait-haproxy --server b --timeout 30 >/dev/null

# --- 4. Rolling restart under load --------------------------------------------------------------
log "scenario 4: rolling restart (a, b, c) under load through HAProxy"
rm -f "$RUN/rolling.started" "$RUN/rolling.stop"
python3 tests/cluster/load.py --phase rolling --until-file "$RUN/rolling.stop" --max-duration 200 \
  --workers 6 --started-file "$RUN/rolling.started" --out "$RUN/load-rolling.json" &
LOAD_PID=$!
for _ in $(seq 1 600); do [ -f "$RUN/rolling.started" ] && break; sleep 0.1; done
[ -f "$RUN/rolling.started" ] || { echo "the load did not start" >&2; exit 1; }
sleep 3
: >"$RUN/stops.jsonl"
for name in a b c; do
  pid=${PID[$name]}
  if [ "${CLUSTER_DRAIN_FIRST:-0}" = 1 ]; then
    # Opt-in, not the default: HAProxy stops sending to the instance before it gets SIGTERM
    # (what the console's own drain, /readyz 503 for SHUTDOWN_DRAIN_SECONDS, achieves).
    steps haproxy-set --server "$name" --state drain
    sleep 0.5
  fi
  t0=$(now)
  # Sends SIGTERM, then looks at /readyz on a connection opened before and at a new connection.
  probe=$(steps graceful --name "$name" --pid "$pid") ||
    probe='{"signalled": '"$t0"', "readyz": [null, "no answer"], "new_connection": "?"}'
  rc=0
  if wait_exit "$pid" 35; then
    wait "$pid" || rc=$?
  else
    rc=timeout
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  python3 -c '
import json, sys
stop = json.loads(sys.argv[1])
stop.update(name=sys.argv[2], rc=sys.argv[3], took=float(sys.argv[4]) - float(sys.argv[5]))
print(json.dumps(stop))' "$probe" "$name" "$rc" "$(now)" "$t0" >>"$RUN/stops.jsonl"
  # Gone for a moment, as in a real deploy: HAProxy takes it out, then back once it is ready.
  steps wait-haproxy --server "$name" --state DOWN --timeout 10 >/dev/null
  start_instance "$name"
  wait_ready "$name" 60
  [ "${CLUSTER_DRAIN_FIRST:-0}" = 1 ] && steps haproxy-set --server "$name" --state ready
  steps wait-haproxy --server "$name" --timeout 30 >/dev/null
  echo "restarted $name (exit $rc); HAProxy saw it DOWN, then UP"
  sleep 2
done
touch "$RUN/rolling.stop"
wait "$LOAD_PID"
LOAD_PID=""
check steps stops-check --stops "$RUN/stops.jsonl" --results "$RUN/load-rolling.json" \
  --haproxy-log "$RUN/haproxy.log"
check steps check-load --label "scenario 4 (rolling restart under load)" \
  --results "$RUN/load-rolling.json" --haproxy-log "$RUN/haproxy.log" --stops "$RUN/stops.jsonl" \
  --instance-logs "$RUN/a.log" "$RUN/b.log" "$RUN/c.log"
check steps outbox-check --kill-time "$kill_time" --timeout 30

log "done"
if [ "$failures" -ne 0 ]; then
  echo "FAIL: $failures check(s) failed ($(($(date +%s) - began)) s)"
  exit 1
fi
echo "PASS: the cluster test passed ($(($(date +%s) - began)) s)"
