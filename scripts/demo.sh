#!/usr/bin/env bash
# The main job, on a fresh machine: build the module, start a private PostgreSQL, generate an
# Odoo-18-shaped source database, run the ETL (full load, an incremental round, validation) and
# evaluate generated orders natively and through the legacy path. Extra arguments go to demo.py.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
echo "== building the module" >&2
build_module
if [ -n "${ABA_TEST_DSN:-}" ]; then
    dsn=$ABA_TEST_DSN
else
    pgdir=$(mktemp -d /tmp/aba-demo-pg.XXXXXX)
    chmod 755 "$pgdir"
    port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    echo "== starting PostgreSQL in $pgdir on port $port" >&2
    dsn=$(scripts/pg.sh start "$pgdir" "$port")
    trap 'scripts/pg.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
fi
python scripts/demo.py --server-dsn "$dsn" "$@"
