"""Shared fixtures: a real PostgreSQL for the tests that need one.

The suite starts its own throw-away cluster with scripts/pg.sh unless ABA_TEST_DSN names a server
(a DSN to a maintenance database such as `postgres`, on a role that may create databases).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ODOO_DDL = ROOT / "crates" / "aba-loyalty-testing" / "sql" / "odoo18_loyalty_schema.sql"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """DSN of a PostgreSQL maintenance database; the cluster lives for the test session."""
    dsn = os.environ.get("ABA_TEST_DSN")
    if dsn:
        yield dsn
        return
    # Not under pytest's basetemp: /tmp/pytest-of-root is 0700, which the `postgres` user (the
    # cluster's owner when the suite runs as root) cannot traverse.
    data = Path(tempfile.mkdtemp(prefix="aba-test-pg-"))
    os.chmod(data, 0o755)
    script = ROOT / "scripts" / "pg.sh"
    out = subprocess.run(
        ["bash", str(script), "start", str(data), str(_free_port())],
        check=True, capture_output=True, text=True,
    )
    try:
        yield out.stdout.strip()
    finally:
        subprocess.run(["bash", str(script), "stop", str(data)], check=False)
        shutil.rmtree(data, ignore_errors=True)


def _with_db(dsn: str, dbname: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{dbname}"


@pytest.fixture
def make_db(pg_server):
    """Factory: a new, empty database per call, dropped at the end of the test."""
    import psycopg2

    created: list[str] = []

    def make(prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        conn = psycopg2.connect(pg_server)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        created.append(name)
        return _with_db(pg_server, name)

    yield make
    conn = psycopg2.connect(pg_server)
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in created:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture(scope="session")
def odoo_schema_sql() -> str:
    """Odoo 18's own DDL for the loyalty, POS and reference tables: the copy the source generator
    (crates/aba-loyalty-testing) ships; tests/test_etl.py checks it against its recorded sha256
    and against the columns the ETL's streams read."""
    return ODOO_DDL.read_text()


# -- one behaviour suite, both engines ------------------------------------------------------------
# The two-input pattern: a test taking `engine` runs once with the native aba_loyalty_core and once
# with the pure-Python legacy engine; each gives its Engine class and its exception classes.

@dataclass(frozen=True)
class EngineKit:
    name: str
    Engine: type
    LoyaltyError: type
    ConfigError: type
    OrderError: type
    InsufficientPointsError: type

    def message(self, expected: str) -> str:
        """An expected message (or `match` pattern) as the native engine words it, whole on the
        native engine and cut to its path on the legacy one: the engines must agree on the error
        class and the path, the reason text may differ (docs/spec.md, strict decoding)."""
        if self.name == "native":
            return expected
        path, colon, _reason = expected.partition(": ")
        return path + colon


def _engine_kit(name: str) -> EngineKit:
    if name == "native":
        import aba_loyalty_core as module
    else:
        from aba_loyalty_lib import aba_legacy_engine as module
    return EngineKit(name, module.Engine, module.LoyaltyError, module.ConfigError,
                     module.OrderError, module.InsufficientPointsError)


@pytest.fixture(params=["native", "legacy"])
def engine(request) -> EngineKit:
    """The Engine class and error classes of each engine in turn (`engine.name`)."""
    return _engine_kit(request.param)
