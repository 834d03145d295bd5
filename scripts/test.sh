#!/usr/bin/env bash
# The whole test suite: lint, Rust tests, build the module, pytest (PostgreSQL is started by the
# tests themselves unless ABA_TEST_DSN names one). Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
echo "== lint" >&2
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy -p aba_loyalty_core --features testing --quiet -- -D warnings
ruff check python tests benches scripts odoo_addon
(cd fuzz && cargo fmt -- --check)
echo "== rust tests" >&2
cargo nextest run --workspace --exclude aba_loyalty_core --no-tests=fail --status-level fail --final-status-level fail
echo "== build module" >&2
build_module
# The .pyi stubs describe the runtime module exactly (names, signatures, classes).
echo "== stubs (mypy stubtest)" >&2
python -m mypy.stubtest aba_loyalty_core
# The reliability suite fuzzes for a bounded time with cargo fuzz (tests/reliability/test_fuzz.py).
command -v cargo-fuzz >/dev/null || cargo install --locked --quiet cargo-fuzz
echo "== python tests" >&2
set +e
python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
[ "$rc" -eq 5 ] && { echo "pytest collected no tests" >&2; exit 1; }
exit "$rc"
