# Sourced by the project's scripts: a project-local virtualenv with the module built into it.
# Idempotent; a second call only rebuilds the module when its sources changed (maturin does that).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${ABA_VENV:-$ROOT/.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! cmp -s "$ROOT/requirements-dev.txt" "$VENV/.requirements-dev.txt" 2>/dev/null; then
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
    cp "$ROOT/requirements-dev.txt" "$VENV/.requirements-dev.txt"
fi
# The addon's pure-Python parts under their one name, `aba_loyalty_lib`, for every program of the
# venv (demo, benches, tests): a path file naming the addon directory, as an editable install does.
addon_pth="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/aba_loyalty_addon.pth"
if [ "$(cat "$addon_pth" 2>/dev/null)" != "$ROOT/odoo_addon/asd_aba_loyalty" ]; then
    echo "$ROOT/odoo_addon/asd_aba_loyalty" >"$addon_pth"
fi
export VIRTUAL_ENV=$VENV PATH="$VENV/bin:$PATH"
# The module with the `testing` feature: aba_loyalty_core._testing (the Odoo-shaped source
# generator) exists only in this build, never in a release wheel.
build_module() {
    (cd "$ROOT" && maturin develop --release --features testing --quiet 2>&1 | grep -vE '^(📦|🔗|🐍|💻|📖|🛠|✏️|⚠️  Warning: .*Python 3.1)' >&2 || true)
    python -c 'import aba_loyalty_core._testing' || { echo "the module failed to build or import" >&2; exit 1; }
}
