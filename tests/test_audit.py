"""The audit (issue 13, docs/audit.md) against real PostgreSQL: a generated Odoo 18 POS history
with injected errors of every kind, replayed through the engine."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from aba_loyalty_core import _testing, etl
from aba_loyalty_core.errors import EtlArgumentError, SourceSchemaError

KINDS = {
    "credited_twice", "points_without_rule", "points_too_many", "points_too_few",
    "refund_kept_points", "negative_balance", "discount_over_base", "no_history",
}


@pytest.fixture(scope="module")
def audited(pg_server):
    """A generated source (2,000 orders x 10 lines, 2 injections per kind) and its audit."""
    import uuid

    import psycopg2

    names = [f"audit_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    conn = psycopg2.connect(pg_server)
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in names:
            cur.execute(f'CREATE DATABASE "{name}"')
    base = pg_server.rpartition("/")[0]
    source, target = (f"{base}/{n}" for n in names)
    generated = _testing.generate_pos(source, orders=2000, lines=10, cards=300, errors_per_kind=2)
    report = etl.audit(source, target)
    yield source, target, generated, report
    with conn.cursor() as cur:
        for name in names:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _keys(items):
    return Counter((i["kind"], i["card_id"], i["order_id"]) for i in items)


def test_every_injected_error_is_found_and_none_invented(audited):
    _, _, generated, report = audited
    injected = generated["injected"]
    assert {i["kind"] for i in injected} == KINDS
    assert Counter(i["kind"] for i in injected) == dict.fromkeys(KINDS, 2)
    assert _keys(report["findings"]) == _keys(injected)
    assert report["findings_count"] == len(injected) and not report["findings_truncated"]
    assert report["findings_by_kind"] == dict.fromkeys(KINDS, 2)
    assert report["alert"] is True  # default threshold 0


def test_replayed_orders_sorted_on_disk_give_the_same_report(audited):
    """Past `sort_memory_mb` the replayed orders go to sorted runs on disk and are merged back:
    the same findings, cards and totals as when they all fit in memory."""
    source, target, _, report = audited
    assert report["sort_runs"] == 0
    spilled = etl.audit(source, target, sort_memory_mb=0.0625, max_findings=100_000)
    assert spilled["sort_runs"] >= 2
    assert _keys(spilled["findings"]) == _keys(report["findings"])
    assert spilled["cards"] == report["cards"]
    for key in ("orders_audited", "points_total_odoo", "points_total_replayed", "findings_by_kind"):
        assert spilled[key] == report[key], key


def test_the_whole_history_was_replayed(audited):
    source, _, generated, report = audited
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE partner_id IS NULL) FROM pos_order")
        orders, without_partner = cur.fetchone()
    assert report["orders_paid"] == orders == generated["rows"]["pos_order"]
    assert report["orders_without_card"] == without_partner > 0
    assert report["orders_audited"] == orders - without_partner
    assert report["orders_not_evaluable"] == 0
    audited_ids = {p["id"] for p in report["programs_audited"]}
    not_audited = {p["id"]: p for p in report["programs_not_audited"]}
    assert audited_ids == {1, 2, 3, 4} and set(not_audited) == {5, 6, 7}
    assert all(p["reason"] for p in not_audited.values())


def test_each_finding_carries_both_values(audited):
    _, _, _, report = audited
    by_kind = {f["kind"]: f for f in report["findings"]}
    # The generator's scenarios: 500,000 base + 10% tax -> 55 points; see aba-loyalty-testing's pos.rs.
    assert (by_kind["credited_twice"]["odoo"], by_kind["credited_twice"]["engine"]) == ("110", "55")
    assert (by_kind["points_without_rule"]["odoo"], by_kind["points_without_rule"]["engine"]) == ("1", "0")
    assert (by_kind["points_too_many"]["odoo"], by_kind["points_too_many"]["engine"]) == ("56", "55")
    assert (by_kind["points_too_few"]["odoo"], by_kind["points_too_few"]["engine"]) == ("27.5", "55")
    assert (by_kind["refund_kept_points"]["odoo"], by_kind["refund_kept_points"]["engine"]) == ("0", "-55")
    assert Decimal(by_kind["negative_balance"]["odoo"]) == Decimal(-5)
    # 150 points x 100 on a 10,000 order with its 11,000 base (tax included).
    assert (by_kind["discount_over_base"]["odoo"], by_kind["discount_over_base"]["engine"]) == ("15000", "11000")
    assert (by_kind["no_history"]["odoo"], by_kind["no_history"]["engine"]) == ("0", "55")


def test_card_summaries_propose_adjust_moves(audited):
    _, _, generated, report = audited
    cards = {c["card_id"]: c for c in report["cards"]}
    expected = {  # kind -> replayed - odoo on its card
        "credited_twice": -55, "points_without_rule": -1, "points_too_many": -1, "points_too_few": Decimal("27.5"),
        # the replay spends 110 points (the 11,000 base) where Odoo took 150
        "refund_kept_points": -55, "discount_over_base": 40, "no_history": 55,
    }
    for inj in generated["injected"]:
        if inj["kind"] == "negative_balance":
            # Odoo let the card spend what it did not have; the replay agrees on the points.
            assert inj["card_id"] not in cards
            continue
        card = cards[inj["card_id"]]
        assert Decimal(card["difference"]) == expected[inj["kind"]], inj
        assert Decimal(card["replayed_balance"]) - Decimal(card["odoo_balance"]) == Decimal(card["difference"])
        assert card["adjust"]["kind"] == "adjust" and Decimal(card["adjust"]["points"]) == expected[inj["kind"]]
    assert report["cards_with_difference"] == len(cards) == 2 * len(expected)


def _bulk_earning_orders(source, program):
    """(card, order) of the generated bulk orders whose history issued points on `program`."""
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute("SELECT h.card_id, h.order_id FROM loyalty_history h JOIN loyalty_card c ON c.id = h.card_id"
                    " WHERE c.code LIKE 'ABA-%%' AND c.program_id = %s AND h.issued > 0", (program,))
        return set(cur.fetchall())


def test_points_basis_is_odoo_stock_tax_included_without_the_addon(audited):
    _, _, _, report = audited
    assert report["points_basis_from"] == "odoo"
    assert all(p["points_on_tax_included"] for p in report["programs_audited"])


def test_replayed_on_the_wrong_basis_every_earning_order_looks_over_credited(audited):
    """The generated lines carry a 10% tax that Odoo earned on: replayed without tax (the CLI's
    --points-on-tax-excluded), every bulk order of the per-amount program is found credited too
    many points: the false findings a wrong basis gives."""
    source, target, generated, _ = audited
    run = [sys.executable, "-m", "aba_loyalty_core.etl", "audit", "--source", source, "--target", target,
           "--points-on-tax-excluded", "--max-findings", "100000"]
    done = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    assert report["points_basis_from"] == "argument"
    assert not any(p["points_on_tax_included"] for p in report["programs_audited"])
    over = {(f["card_id"], f["order_id"]) for f in report["findings"] if f["kind"] == "points_too_many"}
    bulk = _bulk_earning_orders(source, 1)
    assert bulk and bulk <= over
    assert report["findings_count"] > len(generated["injected"])
    included = etl.audit(source, target, points_on_tax_included=True)
    assert included["points_basis_from"] == "argument"
    assert _keys(included["findings"]) == _keys(generated["injected"])


def test_the_addons_setting_decides_the_basis_when_installed(audited):
    """With the addon's column on loyalty_program, each program's aba_points_on_tax_included
    decides: off finds the bulk orders over-credited, on finds only the injections."""
    source, target, generated, _ = audited
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE loyalty_program ADD COLUMN aba_points_on_tax_included boolean")
    try:
        off = etl.audit(source, target, max_findings=100_000)
        assert off["points_basis_from"] == "addon"
        over = {(f["card_id"], f["order_id"]) for f in off["findings"] if f["kind"] == "points_too_many"}
        assert _bulk_earning_orders(source, 1) <= over
        with psycopg2.connect(source) as conn, conn.cursor() as cur:
            cur.execute("UPDATE loyalty_program SET aba_points_on_tax_included = true")
        on = etl.audit(source, target)
        assert on["points_basis_from"] == "addon"
        assert _keys(on["findings"]) == _keys(generated["injected"])
    finally:
        with psycopg2.connect(source) as conn, conn.cursor() as cur:
            cur.execute("ALTER TABLE loyalty_program DROP COLUMN aba_points_on_tax_included")


def test_a_promotion_for_the_next_order_is_not_audited(audited):
    """An automatic promotion with applies_on "future" gives a coupon for the next order, not a
    discount on this one: listed as not audited, and no finding or discount comes from it."""
    source, target, generated, _ = audited
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute(
            # The generator writes its ids itself: the sequences were not advanced.
            """INSERT INTO loyalty_program (id, name, program_type, trigger, applies_on, active,
                   sequence, company_id, currency_id)
               SELECT (SELECT max(id) + 1 FROM loyalty_program),
                      '{"en_US": "Next order 10 percent"}'::jsonb, 'promotion', 'auto', 'future', true,
                      0, company_id, currency_id FROM loyalty_program WHERE id = 1
               RETURNING id"""
        )
        (program_id,) = cur.fetchone()
        cur.execute(
            """INSERT INTO loyalty_reward (id, program_id, reward_type, discount_mode, discount,
                   discount_applicability, active, required_points, description)
               VALUES ((SELECT max(id) + 1 FROM loyalty_reward), %s, 'discount', 'percent', 10,
                       'order', true, 1, '{"en_US": "10 percent on the next order"}'::jsonb)""",
            (program_id,),
        )
    try:
        report = etl.audit(source, target)
        not_audited = {p["id"]: p["reason"] for p in report["programs_not_audited"]}
        assert "next order" in not_audited[program_id]
        assert program_id not in {p["id"] for p in report["programs_audited"]}
        assert _keys(report["findings"]) == _keys(generated["injected"])
    finally:
        with psycopg2.connect(source) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM loyalty_reward WHERE program_id = %s", (program_id,))
            cur.execute("DELETE FROM loyalty_program WHERE id = %s", (program_id,))


def test_a_refund_gives_back_the_points_its_sale_spent(audited):
    """The generator's refund of a sale that redeemed 10 points: Odoo took the sale's points
    back and gave the 10 back; the replay (the sale as the engine's `original`) agrees."""
    source, _, _, report = audited
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute("""SELECT DISTINCT r.partner_id, r.id, h.issued, h.used
                       FROM pos_order r JOIN pos_order_line rl ON rl.order_id = r.id
                       JOIN pos_order_line sl ON sl.id = rl.refunded_orderline_id
                       JOIN pos_order_line reward ON reward.order_id = sl.order_id AND reward.points_cost > 0
                       JOIN loyalty_history h ON h.order_id = r.id""")
        refunds = cur.fetchall()
    assert refunds and all(issued == 10 and used > issued for _, _, issued, used in refunds)
    flagged = {f["card_id"] for f in report["findings"]} | {c["card_id"] for c in report["cards"]}
    assert not flagged & {card for card, _, _, _ in refunds}


ADDON_DDL = Path(__file__).resolve().parent.parent / "crates" / "aba-loyalty-testing" / "sql" / "addon_schema.sql"


def _addon_membership_ddl():
    """The addon's tier table and pos_order snapshot columns, as Odoo created them (the addon's
    DDL the generators use), to add to a generated source without the addon."""
    ddl = ADDON_DDL.read_text()
    tier = re.search(r"CREATE TABLE public\.aba_loyalty_tier \(.*?\);", ddl, re.S)[0]
    columns = re.findall(r"ADD COLUMN (aba_membership_\w+ [\w ]+?)[,;]", ddl)
    assert tier and len(columns) == 3
    return [tier, "ALTER TABLE public.pos_order " + ", ".join("ADD COLUMN " + c for c in columns)]


def test_membership_snapshots_multiply_the_points_as_the_addon_did(audited):
    """Where the addon is installed, an order's membership snapshot (its tier's multiplier) is
    replayed: a gold (1.5x) customer's orders whose history Odoo recorded at 1x are found
    under-credited by half; once history says 1.5x too, the card agrees."""
    source, target, generated, _ = audited
    injected_cards = {card for _, card, _ in _keys(generated["injected"])}
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        for statement in _addon_membership_ddl():
            cur.execute(statement)
        cur.execute("""INSERT INTO aba_loyalty_tier (id, code, rank, multiplier, min_spend, active)
                       VALUES (1, 'basic', 0, 1, 0, true), (2, 'gold', 2, 1.5, 5000000, true)""")
        cur.execute("""SELECT c.id, c.partner_id FROM loyalty_card c
                       WHERE c.code LIKE 'ABA-%%' AND c.program_id = 1 AND c.partner_id %% 5 <> 0
                         AND c.id <> ALL(%s)
                         AND (SELECT count(*) FROM loyalty_history h WHERE h.card_id = c.id AND h.issued > 0) >= 3
                       ORDER BY c.id LIMIT 1""", (sorted(injected_cards),))
        card, partner = cur.fetchone()
        cur.execute("""UPDATE pos_order SET aba_membership_tier = 'gold',
                              aba_membership_evaluated_at = date_order - interval '1 day',
                              aba_membership_valid_until = date_order + interval '1 day'
                       WHERE partner_id = %s AND state IN ('paid', 'done', 'invoiced') RETURNING id""", (partner,))
        gold_orders = {order for (order,) in cur.fetchall()}
        cur.execute("SELECT order_id, issued FROM loyalty_history WHERE card_id = %s AND issued > 0", (card,))
        issued = {order: Decimal(str(points)) for order, points in cur.fetchall()}
    try:
        report = etl.audit(source, target, max_findings=100_000)
        assert report["orders_with_membership"] == len(gold_orders) * sum(
            1 for c in _cards_of_partner(source, partner) if c in {p["id"] for p in report["programs_audited"]})
        mine = {f["order_id"]: f for f in report["findings"] if f["card_id"] == card}
        assert set(mine) == set(issued) and set(issued) <= gold_orders
        for order, finding in mine.items():
            assert finding["kind"] == "points_too_few"
            assert Decimal(finding["odoo"]) == issued[order]
            assert abs(Decimal(finding["engine"]) - issued[order] * Decimal("1.5")) <= Decimal("0.01")
        # History as the addon records it: the engine's points (the replay's own figure).
        with psycopg2.connect(source) as conn, conn.cursor() as cur:
            for order, finding in mine.items():
                cur.execute("UPDATE loyalty_history SET issued = %s WHERE card_id = %s AND order_id = %s",
                            (finding["engine"], card, order))
            cur.execute("UPDATE loyalty_card SET points = points + %s WHERE id = %s",
                        (sum(Decimal(f["engine"]) - Decimal(f["odoo"]) for f in mine.values()), card))
        agreed = etl.audit(source, target, max_findings=100_000)
        assert not [f for f in agreed["findings"] if f["card_id"] == card]
        assert _keys(agreed["findings"]) == _keys(generated["injected"])
    finally:
        with psycopg2.connect(source) as conn, conn.cursor() as cur:
            for order, points in issued.items():
                cur.execute("UPDATE loyalty_history SET issued = %s WHERE card_id = %s AND order_id = %s",
                            (points, card, order))
            cur.execute("""UPDATE loyalty_card c SET points = (SELECT sum(issued - used) FROM loyalty_history h
                                                            WHERE h.card_id = c.id) WHERE id = %s""", (card,))
            cur.execute("""ALTER TABLE pos_order DROP COLUMN aba_membership_tier,
                           DROP COLUMN aba_membership_evaluated_at, DROP COLUMN aba_membership_valid_until""")
            cur.execute("DROP TABLE aba_loyalty_tier")


def _cards_of_partner(source, partner):
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute("SELECT program_id FROM loyalty_card WHERE partner_id = %s", (partner,))
        return [program for (program,) in cur.fetchall()]


def test_report_is_stored_in_the_target(audited):
    _, target, _, report = audited
    with psycopg2.connect(target) as conn, conn.cursor() as cur:
        cur.execute("SELECT findings, alert, report->>'report_id' FROM aba_engine.audit_reports WHERE id = %s",
                    (report["report_id"],))
        assert cur.fetchone() == (report["findings_count"], True, str(report["report_id"]))
        cur.execute("SELECT kind, card_id, order_id FROM aba_engine.audit_findings WHERE report_id = %s",
                    (report["report_id"],))
        stored = Counter(cur.fetchall())
        cur.execute("SELECT card_id, points FROM aba_engine.audit_adjustments WHERE report_id = %s",
                    (report["report_id"],))
        adjust = dict(cur.fetchall())
    assert stored == _keys(report["findings"])
    assert adjust == {c["card_id"]: Decimal(c["adjust"]["points"]) for c in report["cards"]}


def test_the_source_is_not_written(audited):
    """The audit reads in a read-only transaction: nothing in the source changed."""
    source, target, _, _ = audited

    def fingerprint():
        with psycopg2.connect(source) as conn, conn.cursor() as cur:
            cur.execute("SELECT (SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM loyalty_card c),"
                        " (SELECT md5(string_agg(h::text, ',' ORDER BY h.id)) FROM loyalty_history h)")
            cards = cur.fetchone()
            cur.execute("SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables "
                        "WHERE relname = 'loyalty_card'")
            return cards, cur.fetchone()[0]

    before = fingerprint()
    etl.audit(source, target)
    assert fingerprint() == before


def test_since_until_window(audited):
    source, target, _, full = audited
    with psycopg2.connect(source) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pos_order WHERE date_order < '2024-06-01' AND partner_id IS NOT NULL")
        early = cur.fetchone()[0]
    report = etl.audit(source, target, until="2024-06-01", threshold=1000)
    assert report["orders_audited"] == early < full["orders_audited"]
    # The injected scenarios sit in the first 101 days: all of them are in the window.
    assert _keys(report["findings"]) == _keys(full["findings"])
    assert report["alert"] is False
    later = etl.audit(source, target, since=datetime(2025, 1, 1, 7, tzinfo=timezone(timedelta(hours=7))))
    assert later["since"] == "2025-01-01T00:00:00"
    assert later["findings_count"] == 0 and later["cards"] == []


def test_cli_prints_json_and_exits_3_above_the_threshold(audited):
    source, target, generated, _ = audited
    run = [sys.executable, "-m", "aba_loyalty_core.etl", "audit", "--source", source, "--target", target]
    alert = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert alert.returncode == 3, alert.stderr
    assert json.loads(alert.stdout)["findings_count"] == len(generated["injected"])
    assert "audit" in alert.stderr  # progress on stderr
    ok = subprocess.run([*run, "--threshold", str(len(generated["injected"]))], capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2024-13-01"}, "until"),
        ({"since": "2024-02-01", "until": "2024-01-01"}, "until"),
        ({"tolerance": "-1"}, "tolerance"),
        ({"tolerance": "abc"}, "tolerance"),
        ({"threshold": -1}, "threshold"),
        ({"max_findings": "10"}, "max_findings"),
        ({"points_on_tax_included": "yes"}, "points_on_tax_included"),
        ({"sort_memory_mb": 0.01}, "sort_memory_mb"),
        ({"sort_memory_mb": 8192}, "sort_memory_mb"),
        ({"sort_memory_mb": "16"}, "sort_memory_mb"),
    ],
)
def test_bad_arguments_name_the_field(audited, kwargs, field):
    source, target, _, _ = audited
    with pytest.raises(EtlArgumentError, match=field):
        etl.audit(source, target, **kwargs)


def test_a_source_without_pos_tables_is_refused(make_db):
    source, target = make_db("asrc"), make_db("atgt")
    with pytest.raises(SourceSchemaError, match="pos_order"):
        etl.audit(source, target)


# -- reading real Odoo data (docs/audit.md, "On a real Odoo 18 database") ----------------------


@pytest.fixture
def small(make_db):
    """A small generated source of its own (a test may change it), its target, the injected
    findings and the cards and orders they are on (left alone by the tests below)."""
    source, target = make_db("asrc"), make_db("atgt")
    generated = _testing.generate_pos(source, orders=300, lines=3, cards=40, errors_per_kind=1)
    injected = generated["injected"]
    return source, target, injected, {i["card_id"] for i in injected}


def _sql(dsn, sql, params=()):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def _plain_sale(source, skip_cards):
    """(card, order, history line id) of a sale of a program 1 (money) card whose partner has
    no other card, without redemption, not refunded, with one history line."""
    rows = _sql(source, """
        SELECT c.id, o.id, min(h.id) FROM loyalty_card c
        JOIN pos_order o ON o.partner_id = c.partner_id
        JOIN loyalty_history h ON h.card_id = c.id AND h.order_id = o.id
        WHERE c.program_id = 1 AND NOT (c.id = ANY(%s))
          AND (SELECT count(*) FROM loyalty_card c2 WHERE c2.partner_id = c.partner_id) = 1
          AND NOT EXISTS (SELECT 1 FROM pos_order_line l WHERE l.order_id = o.id
                          AND (l.is_reward_line OR l.qty < 0 OR l.refunded_orderline_id IS NOT NULL))
          AND NOT EXISTS (SELECT 1 FROM pos_order_line r JOIN pos_order_line s
                          ON s.id = r.refunded_orderline_id WHERE s.order_id = o.id)
        GROUP BY c.id, o.id HAVING count(h.id) = 1 ORDER BY o.id LIMIT 1""", (list(skip_cards),))
    assert rows
    return rows[0]


def _set_sale(source, card, order, history, amount, issued):
    """The sale's lines made tax-free at one unit each, summing to `amount`; Odoo's history line
    and the card's points moved to `issued`."""
    lines = [r[0] for r in _sql(source, "SELECT id FROM pos_order_line WHERE order_id = %s "
                                        "ORDER BY id", (order,))]
    each = (amount // len(lines) // 1000) * 1000
    prices = [each] * (len(lines) - 1) + [amount - each * (len(lines) - 1)]
    for line, price in zip(lines, prices, strict=True):
        _sql(source, """UPDATE pos_order_line SET qty = 1, discount = 0, price_unit = %s,
                        price_subtotal = %s, price_subtotal_incl = %s WHERE id = %s""",
             (price, price, price, line))
    (old,) = _sql(source, "SELECT issued FROM loyalty_history WHERE id = %s", (history,))[0]
    _sql(source, "UPDATE loyalty_history SET issued = %s WHERE id = %s", (float(issued), history))
    _sql(source, "UPDATE loyalty_card SET points = points + %s WHERE id = %s",
         (float(issued) - old, card))


def _add_addon_column(source):
    _sql(source, "ALTER TABLE loyalty_program ADD COLUMN aba_points_on_tax_included boolean")
    _sql(source, "UPDATE loyalty_program SET aba_points_on_tax_included = true")


def test_stock_odoo_points_are_rounded_half_up_as_its_client_does(small):
    """pos_loyalty's client rounds money points half-up to 0.01 (`roundPrecision`), the engine
    down: an order earning 12.345 points got 12.35 from stock Odoo, which is no finding; where
    the addon computed the points, 12.35 is one too many."""
    source, target, injected, cards = small
    card, order, history = _plain_sale(source, cards)
    # Program 1 earns 0.0001 point per unit of money: 123,450 earns 12.345.
    _set_sale(source, card, order, history, 123_450, Decimal("12.35"))
    stock = etl.audit(source, target)
    assert stock["points_basis_from"] == "odoo"
    assert _keys(stock["findings"]) == _keys(injected)
    assert card not in {c["card_id"] for c in stock["cards"]}
    _add_addon_column(source)
    addon = etl.audit(source, target)
    extra = _keys(addon["findings"]) - _keys(injected)
    assert extra == Counter({("points_too_many", card, order): 1})
    found = next(f for f in addon["findings"] if f["order_id"] == order)
    assert (found["odoo"], found["engine"]) == ("12.35", "12.34")


def test_stock_odoo_earns_after_other_programs_reward_lines(small):
    """pos_loyalty's client counts another program's discount line in a money rule's amount
    (it skips only the program's own and gift card / eWallet lines): a 123,450 sale with a
    23,450 discount of program 2's card earns 10 points in stock Odoo, no finding; a gift card
    line does not lower the points, and where the addon computed them, the discount does not."""
    source, target, injected, cards = small
    card, order, history = _plain_sale(source, cards)
    _set_sale(source, card, order, history, 123_450, Decimal("10"))
    (other,) = _sql(source, "SELECT id FROM loyalty_card WHERE program_id = 2 LIMIT 1")[0]
    (line,) = _sql(source, """
        INSERT INTO pos_order_line (id, order_id, product_id, name, qty, price_unit, discount,
               price_subtotal, price_subtotal_incl, is_reward_line, reward_id, coupon_id, points_cost)
        SELECT (SELECT max(id) + 1 FROM pos_order_line), %s, product_id, 'Program 2 reward', 1,
               -23450, 0, -23450, -23450, true, 3, %s, 10
        FROM pos_order_line WHERE order_id = %s LIMIT 1 RETURNING id""", (order, other, order))[0]
    stock = etl.audit(source, target)
    assert _keys(stock["findings"]) == _keys(injected)
    # The same line from a gift card program (5): Odoo's client does not count it.
    _sql(source, """INSERT INTO loyalty_reward (id, program_id, reward_type, discount_mode, discount,
                        discount_applicability, description, active, required_points)
                    VALUES (99, 5, 'discount', 'per_point', 1, 'order',
                            '{"en_US": "gift card"}'::jsonb, true, 1)""")
    _sql(source, "UPDATE pos_order_line SET reward_id = 99 WHERE id = %s", (line,))
    gift = etl.audit(source, target)
    assert _keys(gift["findings"]) - _keys(injected) == Counter({("points_too_few", card, order): 1})
    _sql(source, "UPDATE pos_order_line SET reward_id = 3 WHERE id = %s", (line,))
    _add_addon_column(source)
    addon = etl.audit(source, target)
    found = [f for f in addon["findings"] if f["order_id"] == order]
    assert [(f["kind"], f["odoo"], f["engine"]) for f in found] == [
        ("points_too_few", "10", "12.34")]


def test_the_addons_ledger_stands_in_for_a_refunds_missing_history_line(small):
    """The addon takes a refund's points back through its ledger (aba_loyalty_point_move) and
    pos_loyalty writes no history line for a refund: the moves are what Odoo recorded."""
    source, target, injected, cards = small
    rows = _sql(source, """
        SELECT h.id, h.card_id, h.order_id, h.issued, h.used FROM loyalty_history h
        WHERE NOT (h.card_id = ANY(%s)) AND EXISTS (
            SELECT 1 FROM pos_order_line l WHERE l.order_id = h.order_id
            AND l.refunded_orderline_id IS NOT NULL) ORDER BY h.id LIMIT 1""", (list(cards),))
    history, card, order, issued, used = rows[0]
    assert issued - used < 0  # the refund took points back
    _sql(source, "DELETE FROM loyalty_history WHERE id = %s", (history,))
    without = etl.audit(source, target)
    assert ("refund_kept_points", card, order) in _keys(without["findings"])
    _sql(source, """CREATE TABLE aba_loyalty_point_move (id serial PRIMARY KEY,
                        card_id int NOT NULL, pos_order_id int, kind varchar NOT NULL,
                        points numeric NOT NULL, create_date timestamp)""")
    _sql(source, """INSERT INTO aba_loyalty_point_move (card_id, pos_order_id, kind, points,
                        create_date) VALUES (%s, NULL, 'opening', 1000, now()),
                        (%s, %s, 'refund', %s, now()), (%s, %s, 'refund_return', %s, now())""",
         (card, card, order, -used, card, order, issued))
    ledger = etl.audit(source, target)
    assert _keys(ledger["findings"]) == _keys(injected)
    assert card not in {c["card_id"] for c in ledger["cards"]}


def test_points_the_history_does_not_explain_open_the_balance(small):
    """A card created with points (or holding them before loyalty_history): the history's
    running balance starts from them, so spending them is no negative balance."""
    source, target, injected, cards = small
    (card, points, total) = _sql(source, """
        SELECT c.id, c.points, sum(h.issued - h.used) FROM loyalty_card c
        JOIN loyalty_history h ON h.card_id = c.id WHERE NOT (c.id = ANY(%s))
        GROUP BY c.id, c.points HAVING abs(c.points - sum(h.issued - h.used)) < 0.001
        ORDER BY c.id LIMIT 1""", (list(cards),))[0]
    spend = total + 500  # a manual change after the orders: 500 below what history gave
    _sql(source, """INSERT INTO loyalty_history (id, card_id, description, issued, used, create_date)
                    VALUES ((SELECT max(id) + 1 FROM loyalty_history), %s, 'manual', 0, %s,
                            now() + interval '1 day')""", (card, spend))
    _sql(source, "UPDATE loyalty_card SET points = %s WHERE id = %s", (points + 1000 - spend, card))
    opened = etl.audit(source, target)
    assert _keys(opened["findings"]) == _keys(injected)
    _sql(source, "UPDATE loyalty_card SET points = %s WHERE id = %s", (points - spend, card))
    closed = etl.audit(source, target)
    assert _keys(closed["findings"]) - _keys(injected) == Counter(
        {("negative_balance", card, None): 1})


def test_units_a_product_reward_gives_free_earn_nothing(small):
    """A free product of the card's program (a product reward: the product in the basket and
    the reward line giving it) earns no points, in Odoo's client (`_getPointsCorrection`) as in
    the addon (`_aba_free_units`); the reward the engine does not map is taken as recorded."""
    source, target, injected, cards = small
    card, order, history = _plain_sale(source, cards)
    _set_sale(source, card, order, history, 123_450, Decimal("12.35"))
    (product,) = _sql(source, """SELECT id FROM product_product WHERE id NOT IN
                                 (SELECT product_id FROM pos_order_line WHERE order_id = %s)
                                 ORDER BY id LIMIT 1""", (order,))[0]
    (reward,) = _sql(source, """
        INSERT INTO loyalty_reward (id, program_id, reward_type, reward_product_id,
               reward_product_qty, discount_mode, discount, discount_applicability, description,
               active, required_points)
        VALUES ((SELECT max(id) + 1 FROM loyalty_reward), 1, 'product', %s, 1, 'percent', 0,
                'order', '{"en_US": "free product"}'::jsonb, true, 5) RETURNING id""",
        (product,))[0]
    for price, is_reward in ((10_000, False), (-10_000, True)):
        _sql(source, """
            INSERT INTO pos_order_line (id, order_id, product_id, name, qty, price_unit, discount,
                   price_subtotal, price_subtotal_incl, is_reward_line, reward_id, coupon_id,
                   points_cost)
            VALUES ((SELECT max(id) + 1 FROM pos_order_line), %s, %s, 'free product', 1, %s, 0,
                    %s, %s, %s, %s, %s, %s)""",
             (order, product, price, price, price, is_reward, reward if is_reward else None,
              card if is_reward else None, 5 if is_reward else 0))
    _sql(source, "UPDATE loyalty_history SET used = 5 WHERE id = %s", (history,))
    _sql(source, "UPDATE loyalty_card SET points = points - 5 WHERE id = %s", (card,))
    report = etl.audit(source, target)
    assert _keys(report["findings"]) == _keys(injected)
    assert report["redemptions_as_recorded"] >= 1
    assert reward in next(p for p in report["programs_audited"] if p["id"] == 1)["rewards_not_mapped"]
