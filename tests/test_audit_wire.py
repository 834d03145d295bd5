"""The audit reads the orders and lines through its own wire client (crates/aba-loyalty-etl/src/
wire.rs), not the driver: it must log in however the driver does (trust, password, md5,
SCRAM-SHA-256, TCP or Unix socket) and say which stream a server error stopped."""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote

import psycopg2
import pytest
from aba_loyalty_core import _testing, etl
from aba_loyalty_core.errors import EtlConnectionError, EtlError

METHODS = ["password", "md5", "scram-sha-256"]
ROLE = {"password": "aba_auth_password", "md5": "aba_auth_md5", "scram-sha-256": "aba_auth_scram"}
SECRET = "s3cret w/ spaces & ü"


def _compared(report: dict) -> dict:
    keep = ("orders_paid", "orders_audited", "findings_count", "findings_by_kind", "cards_audited",
            "points_total_odoo", "points_total_replayed")
    return {k: report[k] for k in keep}


@pytest.fixture(scope="module")
def wire_source(pg_server):
    """A generated source, its audit as the superuser, and the three password roles able to read
    it (skipped where the server's pg_hba.conf, not ours, has no lines for them)."""
    admin = psycopg2.connect(pg_server)
    admin.autocommit = True
    names = [f"wire_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with admin.cursor() as cur:
        cur.execute("SELECT DISTINCT unnest(user_name) FROM pg_hba_file_rules")
        configured = {r[0] for r in cur.fetchall()}
        if not set(ROLE.values()) <= configured:
            admin.close()
            pytest.skip("the server's pg_hba.conf has no lines for the aba_auth_* roles (scripts/pg.sh adds them)")
        for name in names:
            cur.execute(f'CREATE DATABASE "{name}"')
        for method, role in ROLE.items():
            cur.execute(f"DROP ROLE IF EXISTS {role}")
            # md5 needs an md5-hashed password; the others work with the default (SCRAM) hash.
            cur.execute("SET password_encryption = %s", ("md5" if method == "md5" else "scram-sha-256",))
            cur.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", (SECRET,))
    base = pg_server.rpartition("/")[0]
    source, target = (f"{base}/{n}" for n in names)
    _testing.generate_pos(source, orders=600, lines=4, cards=60, errors_per_kind=2)
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        for role in ROLE.values():
            cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    yield source, target, etl.audit(source, target)
    with admin.cursor() as cur:
        for name in names:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in ROLE.values():
            cur.execute(f"DROP ROLE IF EXISTS {role}")
    admin.close()


def _as(dsn: str, role: str, password: str) -> str:
    scheme, _, rest = dsn.partition("://")
    _, _, hostpart = rest.partition("@")
    return f"{scheme}://{role}:{quote(password, safe='')}@{hostpart}"


@pytest.mark.parametrize("method", METHODS)
def test_each_password_method_reads_the_same_history(wire_source, method):
    source, target, as_superuser = wire_source
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute("SELECT auth_method FROM pg_hba_file_rules WHERE %s = ANY(user_name)", (ROLE[method],))
        assert cur.fetchone() == (method,)
    report = etl.audit(_as(source, ROLE[method], SECRET), target)
    assert report["orders_audited"] > 0
    assert _compared(report) == _compared(as_superuser)


def test_a_wrong_password_is_a_connection_error_without_the_password(wire_source):
    source, target, _ = wire_source
    with pytest.raises(EtlConnectionError, match="password authentication failed") as err:
        etl.audit(_as(source, ROLE["scram-sha-256"], "not the secret"), target)
    assert "not the secret" not in str(err.value)


def test_a_unix_socket_source(wire_source):
    source, target, as_superuser = wire_source
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_setting('unix_socket_directories'), current_setting('port'), current_database()")
        directories, port, database = cur.fetchone()
    directory = directories.split(",")[0].strip()
    if not os.path.exists(os.path.join(directory, f".s.PGSQL.{port}")):
        pytest.skip("the server's Unix socket is not on this machine")
    report = etl.audit(f"postgresql://postgres@/{database}?host={quote(directory, safe='')}&port={port}", target)
    assert _compared(report) == _compared(as_superuser)


def test_a_server_error_during_the_read_names_the_stream(wire_source):
    """The role may read everything the driver reads, but not the lines: the error is the
    server's, on the wire client's connection, naming what it was reading."""
    source, target, _ = wire_source
    role = ROLE["md5"]
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute(f"REVOKE SELECT ON pos_order_line FROM {role}")
    try:
        with pytest.raises(EtlError, match=r"while reading the POS order lines: permission denied "
                                           r"for table pos_order_line \(SQLSTATE 42501\)"):
            etl.audit(_as(source, role, SECRET), target)
    finally:
        with psycopg2.connect(source) as conn, conn.cursor() as cur:
            cur.execute(f"GRANT SELECT ON pos_order_line TO {role}")
