"""The ETL against real PostgreSQL: a generated Odoo-18-shaped source, an engine target."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from aba_loyalty_core import _testing, etl
from aba_loyalty_core.errors import (
    AddonMissingError,
    EtlArgumentError,
    EtlConnectionError,
    EtlError,
    NotLoadedError,
    SourceSchemaError,
)

# The generator's DDL (test tooling, crates/aba-loyalty-testing): Odoo 18's and the addon's.
SQL = Path(__file__).resolve().parent.parent / "crates" / "aba-loyalty-testing" / "sql"
ODOO_DDL, ADDON_DDL = SQL / "odoo18_loyalty_schema.sql", SQL / "addon_schema.sql"

TARGET_TABLES = {
    "partners": "partners", "programs": "programs", "rules": "rules", "rewards": "rewards",
    "cards": "cards", "moves": "point_moves", "history": "history", "tiers": "tiers",
    "memberships": "memberships", "orders": "orders",
}
RENAMED = {"odoo_points": "points"}


def _norm(value):
    """Compare Odoo's float8 with the engine's numeric as docs/spec.md reads floats."""
    if isinstance(value, float):
        return Decimal(repr(value)).normalize()
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def _rows(dsn: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return [tuple(_norm(v) for v in row) for row in cur.fetchall()]
    finally:
        conn.close()


def _execute(dsn: str, *statements: str) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def _target_columns(target: str, table: str) -> list[tuple[str, str]]:
    return _rows(target, f"""
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'aba_engine' AND table_name = '{table}' ORDER BY ordinal_position""")


def _digest(dsn: str, table: str, exprs: list[str]) -> list[tuple]:
    row = " || '|' || ".join(f"coalesce(({e})::text, '<null>')" for e in exprs)
    return _rows(dsn, f"SELECT count(*), md5(string_agg({row}, E'\\n' ORDER BY id)) FROM {table}")


def assert_same(source: str, target: str, streams=None) -> None:
    """Every stream's rows are equal on both sides, column by column (numbers compared as
    exact decimals: Odoo's float8 through its shortest text form, as docs/spec.md reads floats)."""
    for stream, table in TARGET_TABLES.items():
        if streams is not None and stream not in streams:
            continue
        cols = _target_columns(target, table)
        src_table = f"public.{etl.STREAMS[stream]['table']}"

        def expr(col: str, kind: str, side: str) -> str:
            name = RENAMED.get(col, col) if side == "source" else col
            return f"trim_scale({name}::text::numeric)" if kind == "numeric" else name

        src = _digest(source, src_table, [expr(c, k, "source") for c, k in cols])
        tgt = _digest(target, f"aba_engine.{table}", [expr(c, k, "target") for c, k in cols])
        if src != tgt:  # slow path, only to say what differs
            names = [c for c, _ in cols]
            expected = _rows(source, f"SELECT {', '.join(RENAMED.get(c, c) for c in names)} "
                                     f"FROM {src_table} ORDER BY id")
            actual = _rows(target, f"SELECT {', '.join(names)} FROM aba_engine.{table} ORDER BY id")
            assert actual == expected, f"{stream} differs"
            raise AssertionError(f"{stream}: digests differ ({src} vs {tgt})")


def assert_balances_are_ledger_sums(target: str) -> None:
    bad = _rows(target, """
        SELECT b.card_id FROM aba_engine.card_balances b
        LEFT JOIN (SELECT card_id, sum(points) s FROM aba_engine.point_moves GROUP BY card_id) m
          ON m.card_id = b.card_id
        WHERE m.s IS DISTINCT FROM b.balance
        UNION ALL
        SELECT card_id FROM aba_engine.point_moves
        WHERE card_id NOT IN (SELECT card_id FROM aba_engine.card_balances)""")
    assert bad == []


# The generated source of 2,000 cards: 1,800 engine-managed loyalty cards (ids 1..1800, each with
# ledger moves) and 200 gift cards, coupons and eWallets (ids 1801..2000, points, no move).
MANAGED, UNMANAGED = 1800, 200


@pytest.fixture
def dbs(make_db):
    """(source, target): a generated source of 2,000 cards and an empty engine database."""
    source = make_db("src")
    _testing.generate(source, cards=2000, seed=0.1)
    return source, make_db("tgt")


def test_shipped_odoo_ddl_is_odoo_18s_own_and_has_what_the_etl_reads(make_db):
    """The generator (and every test source) uses a schema-only dump of a real Odoo 18: it must
    stay byte-identical to the dump whose sha256 is recorded beside it, and, loaded into an empty
    database, offer every table and column the ETL's streams read (the addon's streams only with
    the addon's DDL), as the ETL's own preflight sees them."""
    recorded, name = (ODOO_DDL.parent / (ODOO_DDL.name + ".sha256")).read_text().split()
    assert name == ODOO_DDL.name
    assert hashlib.sha256(ODOO_DDL.read_bytes()).hexdigest() == recorded
    odoo_only = make_db("ddl")
    _execute(odoo_only, ODOO_DDL.read_text())
    check = etl.check_source(odoo_only)
    addon_streams = {name for name, info in etl.STREAMS.items() if info["addon"]}
    assert set(check["streams_available"]) == set(etl.STREAMS) - addon_streams
    assert set(check["missing"]) == addon_streams and check["addon_installed"] is False
    _execute(odoo_only, ADDON_DDL.read_text())
    check = etl.check_source(odoo_only)
    assert check["streams_available"] == list(etl.STREAMS)
    assert check["missing"] == {} and check["optional_missing"] == {}
    assert check["addon_installed"] is True


def test_activity_refuses_a_database_generate_did_not_create(make_db):
    """activity writes fake earnings and doubles balances: on an Odoo database (same tables,
    rows, no generator marker) it refuses before writing anything, with the documented class."""
    odoo = make_db("odoo")
    _execute(odoo, ODOO_DDL.read_text(), ADDON_DDL.read_text(),
             "INSERT INTO loyalty_card (id, code, points) VALUES (1, 'real-1', 50)")
    before = _rows(odoo, "SELECT id, points FROM loyalty_card ORDER BY id")
    for database in (odoo, make_db("empty")):
        with pytest.raises(EtlArgumentError, match="not created by generate") as err:
            _testing.activity(database, moves=10, drift=1)
        assert _testing.MARKER_TABLE in str(err.value)
    assert _rows(odoo, "SELECT id, points FROM loyalty_card ORDER BY id") == before
    assert _rows(odoo, "SELECT count(*) FROM aba_loyalty_point_move") == [(0,)]
    assert _rows(odoo, "SELECT count(*) FROM loyalty_history") == [(0,)]
    # A generated source carries the marker; without it (dropped), activity refuses it too.
    generated = make_db("gen")
    _testing.generate(generated, cards=20)
    assert _testing.activity(generated, moves=5)["moves"] == 5
    _execute(generated, f"DROP TABLE {_testing.MARKER_TABLE}")
    with pytest.raises(EtlArgumentError, match="not created by generate"):
        _testing.activity(generated, moves=5)


def test_full_load_copies_every_stream_exactly(dbs):
    source, target = dbs
    report = etl.full_load(source, target)
    assert [s["stream"] for s in report["streams"]] == list(etl.STREAMS)
    assert report["rows_rejected"] == 0 and not report["resumed"]
    by_name = {s["stream"]: s for s in report["streams"]}
    assert by_name["moves"]["rows_read"] == 8000 and by_name["cards"]["rows_total"] == 2000
    assert_same(source, target)
    assert_balances_are_ledger_sums(target)
    # A second full load changes nothing and doubles nothing.
    again = etl.full_load(source, target)
    assert again["load_id"] == report["load_id"] + 1
    assert_same(source, target)
    validation = etl.validate(source, target)
    assert validation["consistency_rate"] == 1.0 and validation["discrepancies"] == []
    assert validation["cards_compared"] == MANAGED and validation["cards_unmanaged"] == UNMANAGED
    assert validation["cards_odoo"] == 2000 and validation["cards_deleted_with_history"] == 0


def test_generated_source_has_managed_cards_with_moves_and_odoo_cards_without(dbs):
    """The generator models addon 18.0.2: moves (opening first, keyed `opening:<card id>`, each
    carrying its card's code) only on managed loyalty cards; Odoo's own cards have points and no
    move."""
    source, _ = dbs
    assert _rows(source, """
        SELECT count(DISTINCT m.card_id), min(m.card_id), max(m.card_id),
               count(*) FILTER (WHERE m.card_code IS DISTINCT FROM c.code),
               count(*) FILTER (WHERE m.kind = 'opening' AND m.idempotency_key <> 'opening:' || m.card_id)
        FROM aba_loyalty_point_move m JOIN loyalty_card c ON c.id = m.card_id""") == [
        (MANAGED, 1, MANAGED, 0, 0)]
    assert _rows(source, "SELECT DISTINCT kind FROM aba_loyalty_point_move ORDER BY 1") == [
        ("adjust",), ("earn",), ("opening",), ("redeem",), ("refund",), ("return",)]
    assert _rows(source, f"""
        SELECT p.program_type, count(*), bool_and(c.points > 0) FROM loyalty_card c
        JOIN loyalty_program p ON p.id = c.program_id WHERE c.id > {MANAGED}
        GROUP BY 1 ORDER BY 1""") == [("coupons", 67, True), ("ewallet", 67, True), ("gift_card", 66, True)]


def test_incremental_sync_after_inserts_updates_and_deletes(dbs):
    source, target = dbs
    etl.full_load(source, target)
    stamp = "now() AT TIME ZONE 'UTC'"
    _execute(
        source,
        f"""INSERT INTO aba_loyalty_point_move (card_id, partner_id, program_id, order_uid, kind, points,
                idempotency_key, engine, write_date)
            VALUES (7, 1, 1, 'new-1', 'earn', 12.34, 'new-1:7:earn', 'native', {stamp}),
                   (8, 1, 1, 'new-2', 'earn', 1.5, 'new-2:8:earn', 'native', {stamp})""",
        f"UPDATE loyalty_card SET points = points + 12.34, write_date = {stamp} WHERE id = 7",
        f"UPDATE loyalty_card SET points = points + 1.5, write_date = {stamp} WHERE id = 8",
        f"UPDATE res_partner SET name = 'Renamed', write_date = {stamp} WHERE id = 3",
        "DELETE FROM loyalty_history WHERE id IN (5, 6, 7)",
        "DELETE FROM res_partner WHERE id = 4",
        f"""INSERT INTO loyalty_program (id, currency_id, program_type, applies_on, name, active, write_date)
            VALUES (99, 1, 'promotion', 'current', '{{"en_US": "Flash sale"}}', true, {stamp})""",
    )
    report = etl.sync(source, target)
    by_name = {s["stream"]: s for s in report["streams"]}
    assert by_name["moves"]["rows_upserted"] == 2
    assert by_name["history"]["rows_deleted"] == 3
    assert by_name["partners"]["rows_deleted"] == 1 and by_name["partners"]["rows_upserted"] == 1
    assert by_name["programs"]["rows_inserted"] == 1
    assert_same(source, target)
    assert_balances_are_ledger_sums(target)
    assert etl.validate(source, target)["discrepancies_count"] == 0
    # Deleting a ledger move moves the engine's balance (and validation sees Odoo's cache stale).
    _execute(source, "DELETE FROM aba_loyalty_point_move WHERE card_id = 8 AND order_uid = 'new-2'")
    etl.sync(source, target, streams=["moves"])
    assert_same(source, target, streams=["moves"])
    assert_balances_are_ledger_sums(target)
    report = etl.validate(source, target)
    assert [(d["card_id"], d["kind"]) for d in report["discrepancies"]] == [(8, "mismatch")]
    # An idle sync reads next to nothing and changes nothing.
    idle = etl.sync(source, target)
    assert idle["rows_deleted"] == 0
    assert_same(source, target)


def test_odoo_deleting_cards_keeps_their_ledger_history(dbs):
    """Odoo deletes cards (sale_loyalty on order cancel, a used coupon...) and keeps computing
    its own cards' points: the sync deletes the cards from the engine's copy and keeps the ledger
    moves of a managed one (no foreign key, no cascade), whose balance still derives from them.
    Validation compares only the managed cards: 100 %, the deleted one and Odoo's own cards
    counted apart; a real difference is still found."""
    source, target = dbs
    etl.full_load(source, target)
    (moves_20, balance_20) = _rows(target, """
        SELECT count(*), sum(points) FROM aba_engine.point_moves WHERE card_id = 20""")[0]
    assert moves_20 >= 1
    stamp = "now() AT TIME ZONE 'UTC'"
    _execute(
        source,
        # A managed card deleted, with Odoo's cascade on its loyalty_history; its moves stay.
        "DELETE FROM loyalty_history WHERE card_id = 20",
        "DELETE FROM loyalty_card WHERE id = 20",
        # A coupon used up and deleted; a gift card spent and an eWallet topped up (no moves).
        f"DELETE FROM loyalty_card WHERE id = {MANAGED + 7}",
        f"UPDATE loyalty_card SET points = points / 2, write_date = {stamp} WHERE id = {MANAGED + 3}",
        f"UPDATE loyalty_card SET points = points + 100, write_date = {stamp} WHERE id = {MANAGED + 2}",
        # A new gift card.
        f"""INSERT INTO loyalty_card (id, code, points, program_id, write_date)
            VALUES (6001, 'GIFT-6001', 250, 5, {stamp})""",
    )
    report = etl.sync(source, target)
    by_name = {s["stream"]: s for s in report["streams"]}
    assert by_name["cards"]["rows_deleted"] == 2 and by_name["cards"]["rows_upserted"] == 3
    assert by_name["moves"]["rows_deleted"] == 0
    assert_same(source, target)
    assert_balances_are_ledger_sums(target)
    assert _rows(target, "SELECT count(*) FROM aba_engine.cards WHERE id IN (20, 1807)") == [(0,)]
    assert _rows(target, """
        SELECT count(*), sum(points), min(card_code), max(card_code) FROM aba_engine.point_moves
        WHERE card_id = 20""") == [(moves_20, balance_20, "ABA-0000000020", "ABA-0000000020")]
    assert _rows(target, "SELECT balance FROM aba_engine.card_balances WHERE card_id = 20") == [
        (balance_20,)]

    validation = etl.validate(source, target)
    assert validation["consistency_rate"] == 1.0 and validation["alert"] is False
    assert validation["discrepancies"] == [] and validation["discrepancies_count"] == 0
    assert validation["cards_compared"] == MANAGED - 1 == validation["consistent"]
    assert validation["cards_deleted_with_history"] == 1
    assert validation["cards_unmanaged"] == UNMANAGED - 1 + 1
    assert validation["cards_odoo"] == 2000 - 2 + 1

    # A later full load (a replace) keeps the history too.
    etl.full_load(source, target)
    assert _rows(target, "SELECT count(*) FROM aba_engine.point_moves WHERE card_id = 20") == [
        (moves_20,)]
    # A real difference on a managed card is still found, and only that.
    _execute(source, f"UPDATE loyalty_card SET points = points + 1, write_date = {stamp} WHERE id = 21")
    etl.sync(source, target)
    report = etl.validate(source, target)
    assert [(d["card_id"], d["kind"]) for d in report["discrepancies"]] == [(21, "mismatch")]
    assert report["cards_deleted_with_history"] == 1 and report["cards_compared"] == MANAGED - 1


def test_ledger_without_card_code_and_shortfall_still_loads(dbs):
    """A source whose addon predates 18.0.2 (no move card_code/shortfall): the moves load with
    those columns NULL, by full load and by sync; the source check says what is read as NULL."""
    source, target = dbs
    _execute(source, "ALTER TABLE aba_loyalty_point_move DROP COLUMN card_code, DROP COLUMN shortfall")
    check = etl.check_source(source)
    assert check["addon_installed"] is True and check["missing"] == {}
    assert check["optional_missing"] == {
        "moves": ["aba_loyalty_point_move.card_code", "aba_loyalty_point_move.shortfall"]}
    report = etl.full_load(source, target)
    assert report["rows_rejected"] == 0
    assert_same(source, target, streams=[s for s in etl.STREAMS if s != "moves"])
    assert_balances_are_ledger_sums(target)
    _execute(source, """INSERT INTO aba_loyalty_point_move (card_id, kind, points, idempotency_key, write_date)
                        VALUES (5, 'return', 3, 'return:5:old-1', now() AT TIME ZONE 'UTC')""",
             "UPDATE loyalty_card SET points = points + 3 WHERE id = 5")
    assert etl.sync(source, target, streams=["cards", "moves"])["rows_upserted"] == 2
    assert _rows(target, """SELECT count(*), count(card_code), count(shortfall)
                            FROM aba_engine.point_moves""") == [(8001, 0, 0)]
    moves = [c for c, _ in _target_columns(target, "point_moves") if c not in ("card_code", "shortfall")]
    assert _digest(source, "aba_loyalty_point_move", moves) == _digest(
        target, "aba_engine.point_moves", moves)
    validation = etl.validate(source, target)
    assert validation["consistency_rate"] == 1.0 and validation["cards_compared"] == MANAGED


def test_late_commit_with_old_write_date_is_not_missed(dbs):
    """Odoo stamps write_date with the transaction start: a long transaction commits rows
    "in the past", behind any write_date watermark. They must arrive on the next sync."""
    source, target = dbs
    etl.full_load(source, target)
    early = psycopg2.connect(source)   # writes before the sync, commits after it
    late = psycopg2.connect(source)    # starts before the sync, writes and commits after it
    try:
        with early.cursor() as cur:
            cur.execute("""INSERT INTO aba_loyalty_point_move (id, card_id, kind, points, idempotency_key, write_date)
                           VALUES (900001, 9, 'earn', 4.25, 'late-a', now() AT TIME ZONE 'UTC')""")
            cur.execute("UPDATE loyalty_card SET points = points + 4.25, write_date = '2001-01-01' WHERE id = 9")
        with late.cursor() as cur:
            cur.execute("SELECT now()")   # its transaction (and Odoo's write_date) starts here
        time.sleep(0.05)
        first = etl.sync(source, target)
        assert {s["stream"]: s["rows_read"] for s in first["streams"]}["moves"] == 0
        with late.cursor() as cur:
            cur.execute("""INSERT INTO aba_loyalty_point_move (id, card_id, kind, points, idempotency_key, write_date)
                           VALUES (900002, 10, 'earn', 1.75, 'late-b', now() AT TIME ZONE 'UTC')""")
            cur.execute("""INSERT INTO loyalty_history (id, card_id, description, issued, used, write_date)
                           VALUES (900002, 10, 'late', 1.75, 0, '1999-12-31')""")
            cur.execute("UPDATE loyalty_card SET points = points + 1.75 WHERE id = 10")
        early.commit()
        late.commit()
    finally:
        early.close()
        late.close()
    watermark_before = {s["stream"]: s["watermark_write_date"] for s in etl.status(target)["streams"]}
    second = etl.sync(source, target)
    moves = {s["stream"]: s for s in second["streams"]}["moves"]
    assert moves["rows_upserted"] >= 2
    assert _rows(target, "SELECT id FROM aba_engine.point_moves WHERE id > 900000 ORDER BY id") == [
        (900001,), (900002,)]
    assert_same(source, target)
    assert etl.validate(source, target)["discrepancies_count"] == 0
    # The history row's write_date is older than the stream's watermark: still there.
    assert str(watermark_before["history"]) > "1999-12-31"


def test_killed_load_resumes_without_loss_or_duplicates(make_db):
    source, target = make_db("src"), make_db("tgt")
    _testing.generate(source, cards=25000, seed=0.2)
    env = dict(os.environ, ABA_SOURCE_DSN=source, ABA_TARGET_DSN=target)
    proc = subprocess.Popen([sys.executable, "-m", "aba_loyalty_core.etl", "-q", "full-load"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        committed: list[tuple] = []
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                committed = _rows(target, "SELECT stream FROM aba_engine.sync_state")
            except psycopg2.Error:
                committed = []
            if ("cards",) in committed:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, "the load finished before it could be killed"
    (status,) = _rows(target, "SELECT status FROM aba_engine.loads")[0]
    assert status == "running"
    done_before = {r[0] for r in _rows(target, "SELECT stream FROM aba_engine.sync_state")}
    assert "cards" in done_before and "orders" not in done_before
    # The stream cut midway left nothing behind: its transaction rolled back.
    for stream, table in TARGET_TABLES.items():
        if stream not in done_before:
            assert _rows(target, f"SELECT count(*) FROM aba_engine.{table}") == [(0,)], stream

    resumed = etl.full_load(source, target)
    assert resumed["resumed"] is True
    assert set(resumed["skipped"]) == done_before
    assert {s["stream"] for s in resumed["streams"]} == set(etl.STREAMS) - done_before
    assert _rows(target, "SELECT status FROM aba_engine.loads") == [("done",)]
    assert_same(source, target)
    assert_balances_are_ledger_sums(target)
    assert etl.validate(source, target)["consistency_rate"] == 1.0


def test_validation_reports_injected_discrepancies_exactly(dbs):
    source, target = dbs
    etl.full_load(source, target)
    (points_10,) = _rows(source, "SELECT points FROM loyalty_card WHERE id = 10")[0]
    (balance_11,) = _rows(target, "SELECT balance FROM aba_engine.card_balances WHERE card_id = 11")[0]
    (balance_13,) = _rows(target, "SELECT balance FROM aba_engine.card_balances WHERE card_id = 13")[0]
    _execute(source,
             "UPDATE loyalty_card SET points = points + 5 WHERE id = 10",     # Odoo's cache drifts
             # Odoo's own card (no move): not compared.
             "INSERT INTO loyalty_card (id, code, points, program_id) VALUES (5001, 'NEW-5001', 7.5, 6)",
             # A managed card whose history the engine has not got.
             "INSERT INTO loyalty_card (id, code, points, program_id) VALUES (5002, 'NEW-5002', 2.5, 1)",
             """INSERT INTO aba_loyalty_point_move (card_id, card_code, kind, points, idempotency_key)
                VALUES (5002, 'NEW-5002', 'opening', 2.5, 'opening:5002')""",
             # Odoo deletes a card: its history stays in the ledger (not a discrepancy).
             "DELETE FROM loyalty_card WHERE id = 12",
             # The engine has history the source's ledger no longer has at all.
             "DELETE FROM aba_loyalty_point_move WHERE card_id = 13",
             "DELETE FROM loyalty_card WHERE id = 13")
    _execute(target, "UPDATE aba_engine.card_balances SET balance = balance - 0.01 WHERE card_id = 11")
    alerts = []
    report = etl.validate(source, target, threshold=0.9999, on_alert=alerts.append)

    def dec(value):
        return None if value is None else Decimal(value)

    found = {(d["card_id"], d["field"], d["kind"], dec(d["odoo"]), dec(d["engine"]))
             for d in report["discrepancies"]}
    (points_11,) = _rows(source, "SELECT points FROM loyalty_card WHERE id = 11")[0]
    assert found == {
        (10, "points", "mismatch", points_10 + 5, points_10),
        (11, "points", "mismatch", points_11, balance_11 - Decimal("0.01")),
        (13, "points", "missing_in_odoo", None, balance_13),
        (5002, "points", "missing_in_engine", Decimal("2.5"), None),
    }
    assert report["cards_compared"] == MANAGED and report["consistent"] == MANAGED - 4
    assert report["cards_unmanaged"] == UNMANAGED + 1 and report["cards_deleted_with_history"] == 1
    assert report["discrepancies_count"] == 4
    assert report["consistency_rate"] == pytest.approx((MANAGED - 4) / MANAGED)
    assert report["alert"] is True and alerts == [report]
    stored = _rows(target, f"""SELECT card_id, kind FROM aba_engine.validation_discrepancies
                              WHERE report_id = {report['report_id']} ORDER BY card_id""")
    assert stored == [(10, "mismatch"), (11, "mismatch"), (13, "missing_in_odoo"), (5002, "missing_in_engine")]
    last = etl.status(target)["last_validation"]
    assert last["alert"] is True and (last["cards_unmanaged"], last["cards_deleted_with_history"]) == (
        UNMANAGED + 1, 1)
    # Below the threshold the CLI exits 3; above it, 0.
    env = dict(os.environ, ABA_SOURCE_DSN=source, ABA_TARGET_DSN=target)
    cli = [sys.executable, "-m", "aba_loyalty_core.etl", "-q", "validate"]
    alert = subprocess.run(cli, env=env, capture_output=True, text=True, check=False)
    assert alert.returncode == 3, alert.stderr
    assert json.loads(alert.stdout)["discrepancies_count"] == 4
    assert "below the threshold" in alert.stderr
    ok = subprocess.run([*cli, "--threshold", "0.99"], env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr


def test_source_is_read_only(dbs):
    source, target = dbs
    check = etl.check_source(source)
    assert check["read_only_enforced"] is True
    assert "read-only" in check["read_only_error"]
    assert check["addon_installed"] is True and check["missing"] == {}
    before = _rows(source, "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables")
    etl.full_load(source, target)
    etl.sync(source, target)
    etl.validate(source, target)
    time.sleep(0.6)  # statistics are flushed asynchronously
    after = _rows(source, "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables")
    assert after == before
    assert _rows(source, "SELECT count(*) FROM pg_namespace WHERE nspname = 'aba_engine'") == [(0,)]


def test_bad_source_rows_are_reported_and_skipped(dbs):
    source, target = dbs
    _execute(source,
             "UPDATE loyalty_card SET points = 'NaN' WHERE id = 15",
             "UPDATE aba_loyalty_point_move SET kind = 'bogus' WHERE id = 2500",
             "UPDATE loyalty_program SET name = '\"not a translation\"' WHERE id = 4",
             "UPDATE loyalty_rule SET reward_point_amount = 'Infinity' WHERE id = 2")
    report = etl.full_load(source, target)
    rejects = {(r["table"], r["id"]): r["reason"]
               for s in report["streams"] for r in s["rejects"]}
    assert set(rejects) == {("loyalty_card", 15), ("aba_loyalty_point_move", 2500),
                            ("loyalty_program", 4), ("loyalty_rule", 2)}
    assert "points is NaN" in rejects[("loyalty_card", 15)]
    assert "kind \"bogus\"" in rejects[("aba_loyalty_point_move", 2500)]
    assert "translation" in rejects[("loyalty_program", 4)]
    assert "infinite" in rejects[("loyalty_rule", 2)]
    assert report["rows_rejected"] == 4
    # Everything else arrived; the bad rows did not, and the target lists them.
    assert _rows(target, "SELECT count(*) FROM aba_engine.cards") == [(1999,)]
    assert _rows(target, "SELECT count(*) FROM aba_engine.point_moves") == [(7999,)]
    stored = _rows(target, "SELECT source_table, source_id FROM aba_engine.rejects ORDER BY 1, 2")
    assert stored == [("aba_loyalty_point_move", 2500), ("loyalty_card", 15),
                      ("loyalty_program", 4), ("loyalty_rule", 2)]


def test_missing_odoo_table_is_named_and_nothing_is_written(dbs):
    source, target = dbs
    _execute(source, "DROP TABLE loyalty_history")
    with pytest.raises(SourceSchemaError, match="loyalty_history"):
        etl.full_load(source, target)
    assert _rows(target, "SELECT count(*) FROM pg_namespace WHERE nspname = 'aba_engine'") == [(0,)]


def test_source_without_the_addon(make_db):
    source, target = make_db("src"), make_db("tgt")
    report = _testing.generate(source, cards=500, with_addon=False)
    assert "aba_loyalty_point_move" not in report["rows"]
    with pytest.raises(AddonMissingError, match="aba_loyalty_point_move") as err:
        etl.full_load(source, target)
    assert "asd_aba_loyalty" in str(err.value)
    check = etl.check_source(source)
    assert check["addon_installed"] is False and "moves" in check["missing"]
    # Odoo's own streams still load when selected; validation refuses: there is no ledger.
    odoo_only = [name for name, info in etl.STREAMS.items() if not info["addon"]]
    loaded = etl.full_load(source, target, streams=odoo_only)
    assert {s["stream"] for s in loaded["streams"]} == set(odoo_only)
    assert_same(source, target, streams=odoo_only)
    with pytest.raises(NotLoadedError, match="moves"):
        etl.validate(source, target)


def test_errors_name_what_is_wrong_and_never_the_password(dbs, pg_server):
    source, target = dbs
    port = pg_server.rsplit(":", 1)[1].split("/")[0]
    with pytest.raises(EtlConnectionError) as err:
        etl.full_load(f"postgresql://odoo:Sup3rS3cret@127.0.0.1:{int(port) + 1}/nope", target)
    assert "source" in str(err.value) and "Sup3rS3cret" not in str(err.value)
    with pytest.raises(EtlConnectionError, match="target"):
        etl.sync(source, "postgresql://postgres:Sup3rS3cret@127.0.0.1:1/x")
    with pytest.raises(EtlArgumentError, match=r"streams\[1\]"):
        etl.full_load(source, target, streams=["cards", "coupons"])
    with pytest.raises(NotLoadedError, match="cards"):
        etl.sync(source, target, streams=["cards"])
    with pytest.raises(EtlArgumentError, match="threshold"):
        etl.full_load(source, target, streams=["programs"]) and etl.validate(source, target, threshold=2)
    with pytest.raises(EtlArgumentError, match="ABA_TARGET_DSN"):
        os.environ.pop("ABA_TARGET_DSN", None)
        etl.status()
    assert issubclass(EtlConnectionError, EtlError)


def test_cli_never_prints_the_password(dbs):
    source, target = dbs
    secret = "PaSsW0rdXYZ"

    def with_password(dsn: str) -> str:
        return dsn.replace("postgres@", f"postgres:{secret}@")

    env = dict(os.environ, ABA_SOURCE_DSN=with_password(source), ABA_TARGET_DSN=with_password(target))
    base = [sys.executable, "-m", "aba_loyalty_core.etl"]
    for args in (["full-load"], ["sync"], ["validate"], ["status"], ["status", "--prometheus"], ["check"]):
        out = subprocess.run([*base, *args], env=env, capture_output=True, text=True, check=False)
        assert out.returncode == 0, (args, out.stderr)
        assert secret not in out.stdout + out.stderr, args
    report = json.loads(subprocess.run([*base, "-q", "status"], env=env, capture_output=True, check=False,
                                       text=True).stdout)
    assert report["target"].startswith("postgresql://postgres@")
    bad = subprocess.run([*base, "sync", "--target", with_password(target).rsplit("/", 1)[0] + ":1/x"],
                         env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and secret not in bad.stdout + bad.stderr


def test_status_and_prometheus_metrics(dbs):
    source, target = dbs
    assert etl.status(target)["schema_present"] is False
    etl.full_load(source, target)
    etl.sync(source, target, streams=["cards", "moves"])
    status = etl.status(target)
    streams = {s["stream"]: s for s in status["streams"]}
    assert status["schema_version"] == 5 and status["load"]["status"] == "done"
    assert streams["moves"]["rows_total"] == 8000 and streams["moves"]["runs_total"] == 2
    assert streams["moves"]["last_run"]["kind"] == "sync" and streams["moves"]["cadence_s"] == 60
    assert streams["partners"]["cadence_s"] == 3600 and streams["programs"]["cadence_s"] == 300
    assert streams["moves"]["last_run"]["lag_ms"] >= 0
    text = etl.metrics(target)
    assert 'aba_etl_stream_rows{stream="cards",group="critical"} 2000' in text
    assert "# TYPE aba_etl_last_run_lag_seconds gauge" in text
    etl.validate(source, target)
    assert "aba_etl_validation_consistency_ratio 1" in etl.metrics(target)


def test_follow_brings_a_commit_over_within_seconds(dbs):
    source, target = dbs
    etl.full_load(source, target)
    stop = threading.Event()
    rounds: list[dict] = []
    runner = threading.Thread(target=lambda: etl.follow(
        source, target, interval=0.2, stop=stop, on_round=rounds.append, streams=["cards", "moves"]))
    runner.start()
    try:
        time.sleep(0.3)
        _execute(source, """INSERT INTO aba_loyalty_point_move (id, card_id, kind, points, idempotency_key, write_date)
                            VALUES (777777, 3, 'earn', 2, 'follow-1', now() AT TIME ZONE 'UTC')""")
        committed = time.monotonic()
        arrived = None
        while time.monotonic() - committed < 10:
            if _rows(target, "SELECT 1 FROM aba_engine.point_moves WHERE id = 777777"):
                arrived = time.monotonic() - committed
                break
            time.sleep(0.02)
    finally:
        stop.set()
        runner.join(10)
    assert arrived is not None and arrived < 2.0
    assert rounds and all(r["streams"] for r in rounds)


def test_activity_sync_and_validation_catch_doubled_balances(dbs):
    """The demo's round: Odoo-like activity on the source, one sync, validation finds exactly
    the cards whose cached balance was doubled without a ledger move."""
    source, target = dbs
    etl.full_load(source, target)
    activity = _testing.activity(source, moves=300, drift=3)
    assert activity["moves"] == 300 and len(activity["drifted_cards"]) == 3
    report = etl.sync(source, target)
    assert {s["stream"]: s["rows_upserted"] for s in report["streams"]}["moves"] == 300
    assert_same(source, target, streams=["cards", "moves", "history"])
    assert_balances_are_ledger_sums(target)
    validation = etl.validate(source, target)
    assert sorted(d["card_id"] for d in validation["discrepancies"]) == activity["drifted_cards"]
    assert validation["alert"] is True  # 3 of 2,000 cards: 99.85 % < 99.9 %


def test_a_delete_is_seen_even_when_a_bad_row_evens_the_counts(dbs):
    """A rejected source row is missing from the engine: with one key deleted in the source,
    source and engine counts are equal, yet the deleted key must go."""
    source, target = dbs
    _execute(source, "UPDATE loyalty_history SET issued = 'NaN' WHERE id = 11")
    assert etl.full_load(source, target)["rows_rejected"] == 1
    _execute(source, "DELETE FROM loyalty_history WHERE id = 12")
    report = etl.sync(source, target, streams=["history"])
    assert report["streams"][0]["rows_deleted"] == 1
    assert _rows(target, "SELECT count(*) FROM aba_engine.history WHERE id IN (11, 12)") == [(0,)]


def test_ranged_rounds_on_tables_beyond_their_budget(make_db):
    """Tables larger than a round's budget (here made tiny: one 1 MiB chunk swept and 4,096 ids
    checked per stream and round): new ledger moves arrive on the first round through the key
    range, an update made through a write_date index the operator added on the first round, and
    what no index shows (a raw SQL update, a delete, an id below the key floor) within a cycle of
    the sweep and the key check; the engine then equals the source."""
    source, target = make_db("src"), make_db("tgt")
    _testing.generate(source, cards=20000, seed=0.3)
    _execute(source, "CREATE INDEX history_write_date_idx ON loyalty_history (write_date, id)")
    etl.full_load(source, target)
    budget = {"sweep_blocks": 128, "check_keys": 4096}
    stamp = "now() AT TIME ZONE 'UTC'"
    (top_history,) = _rows(source, "SELECT max(id) FROM loyalty_history")[0]
    _execute(
        source,
        f"""INSERT INTO aba_loyalty_point_move (card_id, kind, points, idempotency_key, write_date)
            VALUES (11, 'earn', 2.5, 'ranged-1', {stamp})""",
        f"UPDATE loyalty_card SET points = points + 2.5, write_date = {stamp} WHERE id = 11",
        f"UPDATE loyalty_history SET description = 'via the ORM', write_date = {stamp} WHERE id = 30000",
        "UPDATE loyalty_history SET description = 'raw SQL' WHERE id = 30001",
        "DELETE FROM loyalty_history WHERE id = 40000",
        # An id above the sequence's: later ids from the sequence are below the key floor.
        f"""INSERT INTO loyalty_history (id, card_id, description, issued, used, write_date)
            VALUES ({top_history + 5000}, 12, 'high', 1, 0, {stamp})""",
    )
    # A row deleted and written again under its old id with an old write_date.
    _execute(source, "DELETE FROM loyalty_history WHERE id = 3")
    _execute(source, """INSERT INTO loyalty_history (id, card_id, description, issued, used, write_date)
                         VALUES (3, 12, 'reused id 3', 1, 0, '2001-01-01')""")

    def engine(sql):
        return _rows(target, sql)

    first = etl.sync(source, target, **budget)
    by_name = {s["stream"]: s for s in first["streams"]}
    assert by_name["history"]["method"] == "ranged"
    assert by_name["history"]["write_date_index"] is True
    assert by_name["moves"]["write_date_index"] is False
    assert by_name["moves"]["blocks_swept"] < 20 * 128  # a slice, not the table
    assert engine("SELECT count(*) FROM aba_engine.point_moves WHERE idempotency_key = 'ranged-1'") == [(1,)]
    assert engine("SELECT description FROM aba_engine.history WHERE id = 30000") == [("via the ORM",)]
    assert_balances_are_ledger_sums(target)

    chunks = -(-max(r[0] for r in _rows(source, """
        SELECT pg_relation_size(oid) / 8192 FROM pg_class
        WHERE relname IN ('loyalty_history', 'aba_loyalty_point_move', 'res_partner')""")) // 128)
    key_slices = -(-(top_history + 5000) // 4096)
    for _ in range(max(chunks, key_slices) + 2):
        etl.sync(source, target, **budget)
    assert engine("SELECT description FROM aba_engine.history WHERE id IN (3, 30001) ORDER BY id") == [
        ("reused id 3",), ("raw SQL",)]
    assert engine("SELECT count(*) FROM aba_engine.history WHERE id = 40000") == [(0,)]
    assert_same(source, target)
    assert_balances_are_ledger_sums(target)
    # The first version's method still runs, and agrees.
    scan = etl.sync(source, target, method="scan")
    assert {s["method"] for s in scan["streams"]} == {"scan"} and scan["rows_deleted"] == 0
    assert_same(source, target)
    with pytest.raises(EtlArgumentError):
        etl.sync(source, target, method="logical")
