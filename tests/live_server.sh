# Sourced by the scripts that run a checker from PyPI against a live server (schemathesis.sh,
# scim2_tester.sh): `pypi_venv DIR COMMAND PACKAGE…` installs the checker into a venv under target/
# when missing; `start_server DATABASE` (`sqlite` for a new SQLite file, or an empty PostgreSQL
# database's URL) builds the binary, points DATABASE_URL and DATA_DIR at a throwaway folder and
# defines `serve`, which starts the server on a free loopback port (PORT) and stops it by its pid
# when the script exits, whatever happens. BIN is the binary, WORK the folder.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="${CARGO_TARGET_DIR:-$root/target}/debug/admin-console"

pypi_venv() {
  local venv=$1 command=$2
  shift 2
  if ! "$venv/bin/$command" --help >/dev/null 2>&1; then
    echo "installing $* into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "$@"
  fi
}

start_server() {
  (cd "$root" && cargo build --quiet --bin admin-console)
  WORK=$(mktemp -d /tmp/admin-console-checker.XXXXXX)
  SERVER_PID=""
  trap 'stop_server' EXIT
  case "$1" in
    sqlite) export DATABASE_URL="sqlite://$WORK/console.db" ;;
    *) export DATABASE_URL=$1 ;;
  esac
  export DATA_DIR="$WORK/data"
  unset SMTP_URL
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}

# Starts the server (its rate limit raised: a checker sends thousands of requests a minute, and the
# limit is tested elsewhere) and waits until it listens.
serve() {
  PORT=""
  for candidate in $(seq 18100 18299); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then PORT=$candidate; break; fi
  done
  [ -n "$PORT" ] || { echo "no free port for the server" >&2; exit 1; }
  (BIND=127.0.0.1:$PORT API_RATE_LIMIT=1000000 exec "$BIN" >"$WORK/server.log" 2>&1) &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
  done
}
