"""What an operator does: build the release wheel, install it into a fresh virtualenv with no
package index, import it there and evaluate an order, in a separate process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import json
    from decimal import Decimal
    import aba_loyalty_core
    from aba_loyalty_core import Engine, OrderError

    engine = Engine({
        "currency": {"code": "IDR", "rounding": "1"},
        "programs": [{"id": 1, "name": "P1", "kind": "promotion", "sequence": 1, "rules": [],
                      "rewards": [{"id": 1, "type": "discount", "mode": "percent",
                                   "value": 10, "applicability": "order"}]}],
    })
    result = engine.evaluate({"uid": "u1", "date_order": "2024-05-01T10:00:00",
                              "lines": [{"id": 1, "product_id": 1, "qty": 2,
                                         "price_unit": 45000.0}]})
    assert result["totals"]["total"] == Decimal("81000"), result
    try:
        engine.evaluate({"uid": "u2", "date_order": "2024-05-01", "lines": [
            {"id": 1, "product_id": 1, "qty": 0, "price_unit": 1}]})
    except OrderError as error:
        message = str(error)
    print(json.dumps({"version": aba_loyalty_core.__version__,
                      "total": str(result["totals"]["total"]), "error": message,
                      "file": aba_loyalty_core.__file__}))
""")


@pytest.mark.timeout(900)
def test_wheel_installs_and_runs_in_a_clean_venv(tmp_path):
    maturin = shutil.which("maturin")
    assert maturin, "maturin is part of requirements-dev.txt"
    dist = tmp_path / "dist"
    subprocess.run(
        [maturin, "build", "--release", "--quiet", "--out", str(dist)],
        cwd=ROOT, check=True, capture_output=True, text=True,
        # Reuse the workspace's compiled dependencies instead of a cold build.
        env={**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target")},
    )
    wheels = list(dist.glob("aba_loyalty_core-*.whl"))
    assert len(wheels) == 1, wheels
    assert "abi3" in wheels[0].name, wheels[0].name

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-index", "--disable-pip-version-check",
         str(wheels[0])],
        check=True, capture_output=True, text=True,
    )
    # Run from an empty directory so that the checkout's python/ cannot be imported instead.
    run = subprocess.run([python, "-c", SCRIPT], cwd=tmp_path, check=True,
                         capture_output=True, text=True,
                         env={"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"})
    import json

    report = json.loads(run.stdout)
    assert report["version"] == "0.1.0"
    assert report["total"] == "81000"
    assert report["error"] == "lines[0].qty: must be > 0 in a sale"
    assert str(env_dir) in report["file"], report["file"]
    assert sys.prefix not in report["file"]
