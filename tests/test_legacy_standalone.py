"""The legacy engine and the shim load in a bare interpreter: no Odoo, no aba_loyalty_core wheel,
no site-packages at all; only the addon directory on sys.path, so that its pure-Python parts are
`aba_loyalty_lib` as in every other context outside Odoo."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ADDON = Path(__file__).resolve().parent.parent / "odoo_addon" / "asd_aba_loyalty"

SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from decimal import Decimal, getcontext
    context_before = (getcontext().prec, getcontext().rounding)
    from aba_loyalty_lib import aba_legacy_engine
    from aba_loyalty_lib.aba_engine_shim import EngineShim

    config = {
        "currency": {"code": "IDR", "rounding": "1"},
        "programs": [
            {"id": 1, "name": "P1", "kind": "promotion", "sequence": 1, "rules": [],
             "rewards": [{"id": 11, "type": "discount", "mode": "percent", "value": "10",
                          "applicability": "order"}]},
            {"id": 10, "name": "Points", "kind": "loyalty", "sequence": 10,
             "rules": [{"id": 100, "mode": "money", "amount": "0.0001"}], "rewards": []},
        ],
    }
    order = {"uid": "bare-1", "date_order": "2025-01-05 10:00:00", "partner_id": 3,
             "card": {"id": 5, "program_id": 10, "points": 0},
             "lines": [{"id": 1, "product_id": 9, "qty": 1, "price_unit": 10001},
                       {"id": 2, "product_id": 8, "qty": 1, "price_unit": 20000}]}
    result = aba_legacy_engine.Engine(config).evaluate(order)
    reports = []
    shim = EngineShim(config, use_native=True, on_fallback=reports.append)
    shimmed = shim.evaluate(order)
    print(json.dumps({
        "version": aba_legacy_engine.__version__,
        "engine": result["engine"],
        "discount": str(result["totals"]["discount"]),
        "earned": str(result["points"]["earned"]),
        "shim_engine": shimmed["engine"],
        "shim_equal": shimmed == result,
        "fallback_stages": [r["stage"] for r in reports],
        "context_unchanged": context_before == (getcontext().prec, getcontext().rounding),
        "forbidden": sorted(m for m in sys.modules
                            if m.split(".")[0] in ("odoo", "aba_loyalty_core")),
        # Under one name: never a second copy as a top-level package.
        "top_level": sorted(m for m in sys.modules if m.startswith(("aba_legacy", "aba_engine",
                                                                    "aba_ledger"))),
        "site_loaded": "site" in sys.modules,
    }))
""")


def test_imports_and_evaluates_in_a_bare_interpreter():
    # -I: isolated (no PYTHONPATH, no user site, no cwd); -S: no site-packages (no wheel, no Odoo).
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", SCRIPT, str(ADDON)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out == {
        "version": "0.1.0",
        "engine": "legacy",
        "discount": "3000",
        "earned": "3.00",
        "shim_engine": "legacy",
        "shim_equal": True,
        "fallback_stages": ["import"],
        "context_unchanged": True,
        "forbidden": [],
        "top_level": [],
        "site_loaded": False,
    }
