#!/usr/bin/env bash
# Regenerate the addon's translation template, odoo_addon/asd_aba_loyalty/i18n/asd_aba_loyalty.pot,
# with Odoo's own exporter (`odoo-bin --i18n-export`) on a throw-away database where the addon is
# installed: every field label, selection, view string and _() message, as Odoo sees them.
#   scripts/odoo_pot.sh ODOO_PATH [PYTHON]
# ODOO_PATH: an Odoo 18.0 source tree; PYTHON: an interpreter with Odoo's requirements (default:
# python3). Starts its own PostgreSQL via scripts/pg.sh (stopped on exit). Run it after changing
# a translatable string, and commit the template.
set -euo pipefail
odoo=${1:?usage: odoo_pot.sh ODOO_PATH [PYTHON]}
python=${2:-python3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
odoo=$(cd "$odoo" && pwd)
[ -f "$odoo/odoo-bin" ] || { echo "no odoo-bin in $odoo" >&2; exit 2; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=${ABA_ODOO_PG_PORT:-$(free_port)}
work=$(mktemp -d /tmp/aba-odoo-pot-XXXXXX)
chmod 755 "$work"
cleanup() {
    bash "$ROOT/scripts/pg.sh" stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT
dsn=$(bash "$ROOT/scripts/pg.sh" start "$work/pg" "$port")
psql "$dsn" -qAtc "CREATE ROLE odoo LOGIN SUPERUSER" >/dev/null
common=(--addons-path="$odoo/addons,$odoo/odoo/addons,$ROOT/odoo_addon"
        --db_host=127.0.0.1 --db_port="$port" --db_user=odoo -d aba_pot
        --data-dir="$work/data" --http-port=0 --without-demo=all --stop-after-init
        --log-level=warn)
echo "== install asd_aba_loyalty (no demo data)" >&2
(cd "$odoo" && "$python" odoo-bin "${common[@]}" -i asd_aba_loyalty) >"$work/install.log" 2>&1 \
    || { tail -50 "$work/install.log" >&2; exit 1; }
pot="$ROOT/odoo_addon/asd_aba_loyalty/i18n/asd_aba_loyalty.pot"
mkdir -p "$(dirname "$pot")"
echo "== export the template" >&2
(cd "$odoo" && "$python" odoo-bin "${common[@]}" --modules=asd_aba_loyalty \
    --i18n-export="$pot") >"$work/export.log" 2>&1 || { tail -50 "$work/export.log" >&2; exit 1; }
echo "odoo_pot.sh: wrote $pot ($(grep -c '^msgid ' "$pot") messages)" >&2
