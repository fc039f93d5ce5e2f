#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this), on a fresh Debian machine as root:
#   1. installs what the tests need when missing (PostgreSQL, Chromium + chromedriver, the
#      aiosmtpd SMTP sink from PyPI in a venv under target/, promtool and axe-core unpacked
#      under target/);
#   2. checks formatting and lints;
#   3. starts a throwaway PostgreSQL cluster on a free loopback port under target/;
#   4. runs every test — unit, HTTP integration, browser — once on SQLite and once on PostgreSQL;
#   5. runs schemathesis against the live API and scim2-tester against the live SCIM endpoint
#      (both from PyPI, into venvs under target/) on each backend;
#   6. runs the cluster test (tests/cluster.sh): three instances of the binary on PostgreSQL
#      behind HAProxy — consistency, SMTP down, kill -9 and a rolling restart under load;
#   7. stops what it started (by pid file), whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n== %s\n' "$*"; }

# --- 1. What the tests need -------------------------------------------------------------------
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  [ "$(id -u)" -eq 0 ] || { echo "run as root to install: ${need[*]}" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# A real SMTP server for the email tests (they start one each, on a free loopback port).
smtp_venv="$root/target/smtp-venv"
if ! "$smtp_venv/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1; then
  log "installing aiosmtpd into $smtp_venv"
  rm -rf "$smtp_venv"
  python3 -m venv "$smtp_venv"
  "$smtp_venv/bin/pip" install --quiet aiosmtpd
fi
export AIOSMTPD_PYTHON="$smtp_venv/bin/python"
# promtool checks /metrics (tests/it/metrics.rs): Debian's prometheus package, unpacked under
# target/ (not installed: nothing of it runs but promtool).
promtool="$root/target/promtool/usr/bin/promtool"
if ! "$promtool" --version >/dev/null 2>&1; then
  log "fetching promtool into $root/target/promtool"
  rm -rf "$root/target/promtool" "$root"/target/prometheus_*.deb
  mkdir -p "$root/target"
  (cd "$root/target" && { apt-get download prometheus >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get download prometheus >/dev/null 2>&1; }; })
  dpkg-deb -x "$root"/target/prometheus_*.deb "$root/target/promtool"
  rm -f "$root"/target/prometheus_*.deb
fi
export PROMTOOL="$promtool"
# axe-core checks every page for accessibility (tests/it/browser_a11y.rs): the npm package,
# pinned, unpacked under target/.
axe_version=4.14.1
axe_dir="$root/target/axe-core"
if ! grep -qs "\"version\": \"$axe_version\"" "$axe_dir/package/package.json"; then
  log "fetching axe-core $axe_version into $axe_dir"
  rm -rf "$axe_dir"; mkdir -p "$axe_dir"
  (cd "$axe_dir" && npm pack "axe-core@$axe_version" --silent >/dev/null && tar xzf "axe-core-$axe_version.tgz")
fi
export AXE_CORE="$axe_dir/package/axe.min.js"

# A failing test's message, not a backtrace that would push it out of the log's tail.
export RUST_BACKTRACE=0
if command -v cargo-nextest >/dev/null 2>&1; then
  run_tests() {
    cargo nextest run --config-file tests/nextest.toml --no-fail-fast --failure-output final "$@"
  }
else
  run_tests() { cargo test --no-fail-fast "$@"; }
fi

# --- 2. Format and lints ----------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

# --- 3. A throwaway PostgreSQL ----------------------------------------------------------------
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_dir="$root/target/pg-test"
rm -rf "$pg_dir"; mkdir -p "$pg_dir"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$pg_dir"
  as_pg() { su postgres -s /bin/bash -c "$*"; }
  # PostgreSQL refuses to run as root; its user must be able to reach the folder.
  if ! as_pg "test -w '$pg_dir'"; then
    rm -rf "$pg_dir"; pg_dir=$(mktemp -d /tmp/admin-console-pg.XXXXXX); chown postgres "$pg_dir"
  fi
else
  as_pg() { bash -c "$*"; }
fi
port=""
for candidate in $(seq 55432 55532); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "no free port for PostgreSQL" >&2; exit 1; }

stop_pg() {
  if [ -f "$pg_dir/data/postmaster.pid" ]; then
    as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -m immediate stop" >/dev/null 2>&1 || true
    pid=$(head -n 1 "$pg_dir/data/postmaster.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$pg_dir"
}
# Browsers a panicking test could not close (tests/it/common/browser.rs also sweeps them at the
# next start): Chromium with a test profile, and orphaned chromedrivers the tests started.
stop_browsers() {
  for proc in /proc/[0-9]*; do
    [ "${proc#/proc/}" = "$$" ] && continue
    cmd=$(tr '\0' ' ' 2>/dev/null < "$proc/cmdline" || true)
    ppid=$(awk '{print $4}' "$proc/stat" 2>/dev/null || true)
    case "$cmd" in
      *chromium*admin-console-chrome-*) kill -9 "${proc#/proc/}" 2>/dev/null || true ;;
      chromedriver\ --port=*--allowed-ips=127.0.0.1*) [ "$ppid" = 1 ] && { kill -9 "${proc#/proc/}" 2>/dev/null || true; } ;;
    esac
  done
}
cleanup() { stop_browsers; stop_pg; }
trap cleanup EXIT

log "starting PostgreSQL on 127.0.0.1:$port ($pg_dir)"
as_pg "'$pg_bin/initdb' -D '$pg_dir/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >"$root/target/pg-initdb.log" 2>&1
as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -l '$pg_dir/server.log' -w -t 60 \
  -o \"-c listen_addresses=127.0.0.1 -p $port -k '$pg_dir' -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null

# --- 4. Every test, on each backend -----------------------------------------------------------
log "building the tests"
cargo build --tests --quiet
log "tests on SQLite (unit, HTTP, browser)"
TEST_BACKEND=sqlite run_tests
log "tests on PostgreSQL (unit, HTTP, browser)"
TEST_BACKEND=postgres TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres" run_tests

# --- 5. The API against a checker nobody here wrote ------------------------------------------
log "schemathesis against the live API on SQLite"
./tests/schemathesis.sh sqlite
log "schemathesis against the live API on PostgreSQL"
as_pg "'$pg_bin/createdb' -h 127.0.0.1 -p $port -U postgres schemathesis"
./tests/schemathesis.sh "postgres://postgres@127.0.0.1:$port/schemathesis"
log "scim2-tester against the live SCIM endpoint on SQLite"
./tests/scim2_tester.sh sqlite
log "scim2-tester against the live SCIM endpoint on PostgreSQL"
as_pg "'$pg_bin/createdb' -h 127.0.0.1 -p $port -U postgres scim2_tester"
./tests/scim2_tester.sh "postgres://postgres@127.0.0.1:$port/scim2_tester"

# --- 6. Several instances behind a real load balancer ----------------------------------------
log "cluster test: three instances behind HAProxy"
TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres" ./tests/cluster.sh
log "all tests passed on SQLite and PostgreSQL; screenshots in target/screenshots/"
