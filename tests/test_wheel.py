"""What an operator does: build the release wheel, install it into a fresh virtualenv with no
package index, import it there and evaluate an order, in a separate process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import venv
import zipfile
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


NO_GENERATOR = textwrap.dedent("""
    import contextlib, importlib, io, json
    from aba_loyalty_core import _native, etl
    from aba_loyalty_core.etl import __main__ as cli

    try:
        importlib.import_module("aba_loyalty_core._testing")
        testing_module = "importable"
    except ImportError as error:
        testing_module = type(error).__name__
    try:
        importlib.import_module("aba_loyalty_testdata")
        testdata_package = "importable"
    except ImportError as error:
        testdata_package = type(error).__name__
    parser = cli._parser()
    commands = sorted(next(a for a in parser._actions if a.dest == "command").choices)
    usage = io.StringIO()
    with contextlib.redirect_stderr(usage):
        try:
            cli.main(["activity", "--moves", "1"])
            exit_code = 0
        except SystemExit as exit:
            exit_code = exit.code
    print(json.dumps({
        "etl_names": sorted(n for n in dir(etl) if "generat" in n or "activ" in n),
        "etl_all": sorted(etl.__all__),
        "native_names": sorted(n for n in dir(_native) if "generat" in n or "activ" in n
                               or "testing" in n),
        "testing_module": testing_module,
        "testdata_package": testdata_package,
        "commands": commands,
        "activity_exit": exit_code,
        "activity_usage": usage.getvalue(),
    }))
""")


@pytest.fixture(scope="module")
def release_wheel(tmp_path_factory) -> Path:
    """The release wheel, built as an operator builds it (pyproject.toml's features only)."""
    maturin = shutil.which("maturin")
    assert maturin, "maturin is part of requirements-dev.txt"
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [maturin, "build", "--release", "--quiet", "--out", str(dist)],
        cwd=ROOT, check=True, capture_output=True, text=True,
        # Reuse the workspace's compiled dependencies instead of a cold build.
        env={**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target")},
    )
    wheels = list(dist.glob("aba_loyalty_core-*.whl"))
    assert len(wheels) == 1, wheels
    assert "abi3" in wheels[0].name, wheels[0].name
    return wheels[0]


@pytest.fixture(scope="module")
def wheel_python(release_wheel, tmp_path_factory) -> Path:
    """The python of a fresh virtualenv with the release wheel installed (no package index)."""
    env_dir = tmp_path_factory.mktemp("wheel") / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-index", "--disable-pip-version-check",
         str(release_wheel)],
        check=True, capture_output=True, text=True,
    )
    return python


def _run_in_wheel_venv(python: Path, script: str) -> dict:
    # Run from an empty directory so that the checkout's python/ cannot be imported instead.
    cwd = python.parent.parent.parent
    run = subprocess.run([python, "-c", script], cwd=cwd, check=True,
                         capture_output=True, text=True,
                         env={"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"})
    return json.loads(run.stdout)


@pytest.mark.timeout(900)
def test_wheel_installs_and_runs_in_a_clean_venv(wheel_python):
    report = _run_in_wheel_venv(wheel_python, SCRIPT)
    assert report["version"] == "0.1.0"
    assert report["total"] == "81000"
    assert report["error"] == "lines[0].qty: must be > 0 in a sale"
    assert str(wheel_python.parent.parent) in report["file"], report["file"]
    assert sys.prefix not in report["file"]


@pytest.mark.timeout(900)
def test_release_wheel_exposes_no_generator(release_wheel, wheel_python):
    """The Odoo-shaped generator (and its `activity`, which writes fake moves) is test tooling:
    the release wheel has neither its Python module nor its native functions nor CLI commands;
    nor the shared test documents (aba_loyalty_testdata)."""
    with zipfile.ZipFile(release_wheel) as wheel:
        names = wheel.namelist()
    assert "aba_loyalty_core/etl/__main__.py" in names  # the listing is the package's
    assert not [n for n in names if "_testing" in n or "generat" in n], names
    assert not [n for n in names if "testdata" in n], names
    assert {n.split("/")[0] for n in names} == {"aba_loyalty_core",
                                               "aba_loyalty_core-0.1.0.dist-info"}, names
    report = _run_in_wheel_venv(wheel_python, NO_GENERATOR)
    assert report["etl_names"] == [] and report["native_names"] == []
    assert "generate" not in report["etl_all"] and "activity" not in report["etl_all"]
    assert report["testing_module"] == "ModuleNotFoundError"
    assert report["testdata_package"] == "ModuleNotFoundError"
    assert report["commands"] == ["audit", "check", "follow", "full-load", "status", "sync", "validate"]
    assert report["activity_exit"] == 2
    assert "invalid choice: 'activity'" in report["activity_usage"]
