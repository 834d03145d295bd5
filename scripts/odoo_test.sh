#!/usr/bin/env bash
# Run the addon's Odoo tests against a real Odoo 18 (it does not install Odoo).
#   scripts/odoo_test.sh ODOO_PATH [PYTHON]
# ODOO_PATH: an Odoo 18.0 source tree (odoo-bin, addons/); PYTHON: an interpreter with Odoo's
# requirements (default: python3). Starts its own PostgreSQL via scripts/pg.sh, creates a fresh
# database, installs point_of_sale, pos_loyalty and asd_aba_loyalty with demo data, then runs
# `--test-tags /asd_aba_loyalty`. Exit status: non-zero on an install error or a failed test.
# Env: ABA_ODOO_PG_PORT (default: a free port), ABA_ODOO_KEEP=1 keeps the logs.
set -euo pipefail
odoo=${1:?usage: odoo_test.sh ODOO_PATH [PYTHON]}
python=${2:-python3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
odoo=$(cd "$odoo" && pwd)
[ -x "$odoo/odoo-bin" ] || [ -f "$odoo/odoo-bin" ] || { echo "no odoo-bin in $odoo" >&2; exit 2; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=${ABA_ODOO_PG_PORT:-$(free_port)}
work=$(mktemp -d /tmp/aba-odoo-test-XXXXXX)
chmod 755 "$work"
cleanup() {
    bash "$ROOT/scripts/pg.sh" stop "$work/pg"
    [ "${ABA_ODOO_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
dsn=$(bash "$ROOT/scripts/pg.sh" start "$work/pg" "$port")
# Odoo refuses to connect as `postgres`: a dedicated role.
psql "$dsn" -qAtc "CREATE ROLE odoo LOGIN SUPERUSER" >/dev/null
db=aba_odoo_test
common=(--addons-path="$odoo/addons,$odoo/odoo/addons,$ROOT/odoo_addon"
        --db_host=127.0.0.1 --db_port="$port" --db_user=odoo -d "$db"
        --data-dir="$work/data" --http-port="$(free_port)" --without-demo= --stop-after-init)
log="$work/odoo.log"
echo "== install point_of_sale,pos_loyalty (demo data)" >&2
(cd "$odoo" && "$python" odoo-bin "${common[@]}" -i point_of_sale,pos_loyalty \
    --log-level=warn) >"$log.base" 2>&1 || { tail -50 "$log.base" >&2; exit 1; }
echo "== install asd_aba_loyalty and run its tests" >&2
set +e
(cd "$odoo" && "$python" odoo-bin "${common[@]}" -i asd_aba_loyalty \
    --test-enable --test-tags /asd_aba_loyalty --log-level=info) >"$log" 2>&1
rc=$?
set -e
# Our own warnings at install, then the test summary.
grep -E "(WARNING|ERROR|CRITICAL) .*(asd_aba_loyalty|aba_)" "$log" >&2 || true
grep -E "odoo.tests.(stats|result)|skipped |FAIL:|ERROR:" "$log" | tail -40 >&2
errors=$(grep -cE " (ERROR|CRITICAL) " "$log" || true)
if [ "$rc" -ne 0 ] || [ "$errors" -ne 0 ]; then
    echo "odoo_test.sh: FAILED (exit $rc, $errors error line(s)); log: $log" >&2
    ABA_ODOO_KEEP=1
    exit 1
fi
echo "odoo_test.sh: OK" >&2
