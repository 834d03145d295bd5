#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL 15 cluster for tests, benchmarks and the demo.
#   scripts/pg.sh start DIR [PORT]   -> prints the DSN on stdout
#   scripts/pg.sh stop DIR
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data directory}; port=${3:-54329}
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
[ -x "$bindir/pg_ctl" ] || { echo "pg.sh: no PostgreSQL server binaries found (set PG_BINDIR)" >&2; exit 2; }
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # The audit's own wire client (crates/aba-loyalty-etl/src/wire.rs) is tested with every
    # password method it speaks: these roles, made by tests/test_audit_wire.py, log in with them.
    hba="$dir/data/pg_hba.conf"
    if ! grep -q aba_auth_ "$hba"; then
        { printf 'host all aba_auth_password 127.0.0.1/32 password\n'
          printf 'host all aba_auth_md5 127.0.0.1/32 md5\n'
          printf 'host all aba_auth_scram 127.0.0.1/32 scram-sha-256\n'
          cat "$hba"; } >"$hba.new"
        cat "$hba.new" >"$hba" && rm -f "$hba.new"
        as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 \
            && as_owner "$bindir/pg_ctl" -D "$dir/data" reload >/dev/null
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        # fsync off: a test cluster is disposable, and durability of its files is not under test.
        as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=512MB -c max_wal_size=4GB" >/dev/null \
            || { cat "$dir/server.log" >&2; exit 1; }
    fi
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    [ -f "$dir/data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*) echo "usage: pg.sh start|stop DIR [PORT]" >&2; exit 2 ;;
esac
