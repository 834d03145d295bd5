"""Security of the ETL and the ledger.

- The ETL's source connection is read-only: a write through it is refused by the server, even
  when the DSN itself asks for a writable session; a full load, syncs and validation leave every
  source table byte-for-byte as it was.
- DSN passwords never appear in CLI output, logs, reports, the target's tables or exception
  messages (a role with a password, URL and keyword DSN forms, failing and working connections).
- No identifier or value is concatenated into SQL: the ledger's SQL is checked statically (only
  module constants may be formatted in), hostile values go through as data, hostile stream names,
  cadences and tolerances are refused as arguments.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from reliability_report import record

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "odoo_addon" / "asd_aba_loyalty" / "aba_loyalty_lib" / "aba_ledger"


def _checksums(dsn: str) -> dict:
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        tables = [r[0] for r in cur.fetchall()]
        out = {}
        for table in tables:
            cur.execute(f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) '
                        f'FROM public."{table}" t')
            out[table] = cur.fetchone()[0]
    conn.close()
    return out


def _with_options(dsn: str, options: str) -> str:
    sep = "&" if "?" in dsn else "?"
    return f"{dsn}{sep}options={quote(options)}"


@pytest.fixture
def loaded(make_db):
    from aba_loyalty_core import _testing

    source, target = make_db("secsrc"), make_db("sectgt")
    _testing.generate(source, cards=300)
    return source, target


def test_source_connection_is_read_only(loaded):
    from aba_loyalty_core import etl

    source, target = loaded
    attempts = 0
    for dsn in (source,
                _with_options(source, "-c default_transaction_read_only=off"),
                _with_options(source, "-c default_transaction_read_only=off -c "
                                      "transaction_read_only=off")):
        check = etl.check_source(dsn)
        attempts += 1
        assert check["read_only_enforced"] is True, check
        assert "read-only" in (check["read_only_error"] or ""), check

    before = _checksums(source)
    writable = _with_options(source, "-c default_transaction_read_only=off")
    runner = etl.Etl(writable, target)
    runner.full_load()
    runner.sync()
    runner.validate()
    runner.full_load(resume=False)
    assert _checksums(source) == before, "the ETL changed the source"
    record("security", source_write_attempts_refused=attempts, source_tables_unchanged=len(before))


@pytest.fixture
def secret_role(pg_server):
    """A login role with a password (superuser: privileges are not what is under test)."""
    name = f"etl_{uuid.uuid4().hex[:8]}"
    password = f"Pw{uuid.uuid4().hex}Zq"
    conn = psycopg2.connect(pg_server)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE ROLE "{name}" LOGIN SUPERUSER PASSWORD %s', (password,))
    yield name, password
    # The role owns the engine schema it created: hand everything back before dropping it.
    with conn.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate")
        databases = [r[0] for r in cur.fetchall()]
    for database in databases:
        other = psycopg2.connect(psycopg2.extensions.make_dsn(pg_server, dbname=database))
        other.autocommit = True
        with other.cursor() as cur:
            cur.execute(f'REASSIGN OWNED BY "{name}" TO CURRENT_USER')
            cur.execute(f'DROP OWNED BY "{name}"')
        other.close()
    with conn.cursor() as cur:
        cur.execute(f'DROP ROLE IF EXISTS "{name}"')
    conn.close()


def _dsn_forms(dsn: str, user: str, password: str) -> tuple[str, str]:
    """The same database as a URL and as keyword=value, both carrying the password."""
    parsed = psycopg2.extensions.parse_dsn(dsn)
    url = (f"postgresql://{user}:{password}@{parsed['host']}:{parsed['port']}/"
           f"{parsed['dbname']}")
    kv = (f"host={parsed['host']} port={parsed['port']} dbname={parsed['dbname']} "
          f"user={user} password={password}")
    return url, kv


def test_passwords_never_leak(loaded, secret_role, caplog, tmp_path):
    from aba_loyalty_core import etl
    from aba_loyalty_core.errors import EtlError

    source, target = loaded
    user, password = secret_role
    src_url, src_kv = _dsn_forms(source, user, password)
    tgt_url, tgt_kv = _dsn_forms(target, user, password)
    seen: list[str] = []

    # The command line, every command, progress at INFO on stderr, JSON on stdout.
    cli = [sys.executable, "-m", "aba_loyalty_core.etl"]
    runs = [
        ["full-load", "--source", src_url, "--target", tgt_kv],
        ["sync", "--source", src_kv, "--target", tgt_url],
        ["validate", "--source", src_url, "--target", tgt_url],
        ["status", "--target", tgt_kv],
        ["status", "--target", tgt_url, "--prometheus"],
        ["check", "--source", src_kv],
        ["follow", "--source", src_url, "--target", tgt_kv, "--interval", "0.2",
         "--duration", "1", "--validate-every", "0.5"],
        # Failing connections: wrong port, missing database, unparsable port.
        ["sync", "--source", src_url.replace(f":{psycopg2.extensions.parse_dsn(source)['port']}/",
                                             ":1/"), "--target", tgt_url],
        ["sync", "--source", src_url.rsplit("/", 1)[0] + "/no_such_db", "--target", tgt_url],
        ["sync", "--source", src_kv.replace("port=", "port=notaport"), "--target", tgt_kv],
    ]
    for args in runs:
        done = subprocess.run([*cli, *args], check=False, capture_output=True, text=True, timeout=120)
        seen += [done.stdout, done.stderr]
        assert done.returncode in (0, 1, 3), (args[0], done.stderr[-2000:])
    # Also through the environment variables.
    env_run = subprocess.run([*cli, "sync"], check=False, capture_output=True, text=True, timeout=120,
                             env={**os.environ, "ABA_SOURCE_DSN": src_kv,
                                  "ABA_TARGET_DSN": tgt_url})
    seen += [env_run.stdout, env_run.stderr]

    # The Python API: reports, repr, logging at DEBUG, exceptions.
    caplog.set_level(logging.DEBUG)
    runner = etl.Etl(src_url, tgt_kv)
    seen.append(repr(runner))
    seen.append(json.dumps(runner.sync()))
    seen.append(json.dumps(runner.validate(threshold=1.0, on_alert=lambda r: None)))
    seen.append(json.dumps(runner.status()))
    seen.append(runner.metrics())
    seen.append(json.dumps(etl.check_source(src_kv)))
    failures = 0
    port = psycopg2.extensions.parse_dsn(source)["port"]
    for bad_source in (src_url.replace(f":{port}/", ":1/"),
                       src_url.rsplit("/", 1)[0] + "/no_such_db",
                       src_kv + " sslmode=bogus",
                       f"postgresql://{user}:{password}@127.0.0.1:notaport/x"):
        with pytest.raises(EtlError) as info:
            etl.Etl(bad_source, tgt_url).sync()
        failures += 1
        seen += [str(info.value), repr(info.value), str(info.value.__cause__ or "")]
    seen.append(caplog.text)

    # The target's own tables: run log, errors, validation reports.
    conn = psycopg2.connect(target)
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'aba_engine'")
        for (table,) in cur.fetchall():
            cur.execute(f"SELECT count(*) FROM aba_engine.{table} t WHERE t::text LIKE %s",
                        (f"%{password}%",))
            assert cur.fetchone()[0] == 0, f"password stored in aba_engine.{table}"
    conn.close()

    leaks = [text for text in seen if password in text]
    assert not leaks, leaks[0][:500]
    assert any(user in text for text in seen), "the checks looked at nothing relevant"
    record("security", password_checks=len(seen), failing_connections_checked=failures + 3,
           password_leaks=len(leaks))


# --- no SQL built from values ---------------------------------------------------------------------

def _sql_calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "execute":
            yield node


def _module_constants(tree) -> set[str]:
    """Names bound once at module level to a literal string or an f-string of such names."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name) and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
            names.add(node.targets[0].id)
    return names


def test_ledger_sql_formats_in_only_constants():
    constants: set[str] = set()
    trees = {p: ast.parse(p.read_text()) for p in sorted(LEDGER.glob("*.py"))}
    for tree in trees.values():
        constants |= _module_constants(tree)
    checked, offenders = 0, []
    for path, tree in trees.items():
        local_sql = {}
        for node in ast.walk(tree):
            # Local names holding SQL text (`where = "WHERE ..."`): must be literals.
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Tuple):
                        for elt, val in zip(target.elts, getattr(node.value, "elts", []), strict=False):
                            if isinstance(elt, ast.Name):
                                local_sql.setdefault(elt.id, []).append(val)
        for call in _sql_calls(tree):
            checked += 1
            sql = call.args[0] if call.args else None
            if isinstance(sql, ast.Constant) or (isinstance(sql, ast.Name) and sql.id in constants):
                continue
            if isinstance(sql, ast.JoinedStr):
                for part in sql.values:
                    if not isinstance(part, ast.FormattedValue):
                        continue
                    value = part.value
                    ok = isinstance(value, ast.Name) and (
                        value.id in constants
                        or all(isinstance(v, ast.Constant) for v in local_sql.get(value.id, [None])))
                    if not ok:
                        offenders.append(f"{path.name}:{call.lineno} formats {ast.unparse(value)}")
                continue
            offenders.append(f"{path.name}:{call.lineno} executes {ast.unparse(sql)}")
    assert checked >= 8
    assert not offenders, offenders
    record("security", ledger_sql_statements_reviewed=checked,
           concatenated_values=len(offenders))


def test_hostile_values_are_data_and_hostile_arguments_are_refused(loaded, odoo_db):
    from aba_loyalty_core import etl
    from aba_loyalty_core.errors import EtlArgumentError
    from aba_loyalty_lib.aba_ledger import post_move

    source, target = loaded
    payload = "x'); DROP TABLE loyalty_card; --"
    conn = psycopg2.connect(source)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE res_partner SET name = %s, write_date = now() AT TIME ZONE 'UTC' "
                    "WHERE id = (SELECT min(id) FROM res_partner) RETURNING id", (payload,))
        partner = cur.fetchone()[0]
    conn.close()
    runner = etl.Etl(source, target)
    runner.full_load()
    conn = psycopg2.connect(target)
    with conn.cursor() as cur:
        cur.execute("SELECT name FROM aba_engine.partners WHERE id = %s", (partner,))
        assert cur.fetchone()[0] == payload
    conn.close()

    refused = 0
    for bad in (["cards; DROP TABLE aba_engine.cards"], ["cards' OR '1'='1"], ['"cards"']):
        with pytest.raises(EtlArgumentError, match=r"streams\[0\]"):
            runner.sync(streams=bad)
        refused += 1
    with pytest.raises(EtlArgumentError, match="cadences"):
        runner.sync(cadences={"critical; DROP TABLE x": 1.0})
    with pytest.raises(EtlArgumentError):
        runner.validate(tolerance="0.1; DROP TABLE aba_engine.cards")
    refused += 2

    # The ledger stores a hostile order uid as data.
    conn = psycopg2.connect(odoo_db)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO loyalty_card (code, points) VALUES ('SEC', 0) RETURNING id")
        card = cur.fetchone()[0]
        move = post_move(cur, card_id=card, kind="earn", points=5, order_uid=payload)
        cur.execute("SELECT order_uid FROM aba_loyalty_point_move WHERE id = %s", (move.move_id,))
        assert cur.fetchone()[0] == payload
        cur.execute("SELECT count(*) FROM loyalty_card")
        assert cur.fetchone()[0] == 1
    conn.close()
    record("security", hostile_arguments_refused=refused)
