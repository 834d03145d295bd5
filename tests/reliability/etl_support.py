"""Helpers of the ETL suites: engine vs source, row by row; the target's "never half-written"
invariants; the source writers (what Odoo's ORM and the addon's ledger do to the tables)."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import psycopg2
import psycopg2.errors
from aba_loyalty_lib.aba_ledger import (
    CardNotFoundError,
    InsufficientBalanceError,
    RetryExhaustedError,
    post_move,
)

SCHEMA = "aba_engine"
# stream -> (source table, engine table); engine columns carry Odoo's names except these.
STREAM_TABLES = {
    "partners": ("res_partner", "partners"),
    "programs": ("loyalty_program", "programs"),
    "rules": ("loyalty_rule", "rules"),
    "rewards": ("loyalty_reward", "rewards"),
    "cards": ("loyalty_card", "cards"),
    "moves": ("aba_loyalty_point_move", "point_moves"),
    "history": ("loyalty_history", "history"),
    "tiers": ("aba_loyalty_tier", "tiers"),
    "memberships": ("aba_loyalty_membership", "memberships"),
    "orders": ("pos_order", "orders"),
}
RENAMED = {("cards", "odoo_points"): "points"}


def _norm(value):
    """One comparable form for both sides: Odoo's float8 becomes the exact decimal of its
    shortest representation (what the ETL stores), jsonb compares as canonical JSON."""
    if isinstance(value, float):
        return Decimal(repr(value)).normalize()
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def _rows(cur, sql):
    cur.execute(sql)
    return [tuple(_norm(v) for v in row) for row in cur.fetchall()]


def compare(source_dsn: str, target_dsn: str) -> dict:
    """Every stream's engine table against its Odoo table, every column of every row, plus the
    engine's ledger-derived balances against the source ledger's sums. Returns
    {stream: {"rows": n, "missing": [...ids], "extra": [...], "different": [...]}} and
    "balances"."""
    src, tgt = psycopg2.connect(source_dsn), psycopg2.connect(target_dsn)
    out = {}
    try:
        with src.cursor() as s, tgt.cursor() as t:
            for stream, (source_table, engine_table) in STREAM_TABLES.items():
                t.execute("SELECT column_name FROM information_schema.columns WHERE "
                          "table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                          (SCHEMA, engine_table))
                cols = [r[0] for r in t.fetchall()]
                src_cols = [RENAMED.get((stream, c), c) for c in cols]
                src_rows = {r[0]: r for r in _rows(
                    s, f"SELECT {', '.join(src_cols)} FROM public.{source_table} ORDER BY id")}
                tgt_rows = {r[0]: r for r in _rows(
                    t, f"SELECT {', '.join(cols)} FROM {SCHEMA}.{engine_table} ORDER BY id")}
                out[stream] = {
                    "rows": len(src_rows),
                    "missing": sorted(set(src_rows) - set(tgt_rows)),
                    "extra": sorted(set(tgt_rows) - set(src_rows)),
                    "different": [
                        (i, [(c, a, b) for c, a, b in zip(cols, src_rows[i], tgt_rows[i], strict=True)
                             if a != b])
                        for i in sorted(set(src_rows) & set(tgt_rows))
                        if src_rows[i] != tgt_rows[i]
                    ],
                }
            ledger = {r[0]: (r[1], r[2]) for r in _rows(
                s, "SELECT card_id, sum(points), count(*) FROM aba_loyalty_point_move "
                   "GROUP BY card_id")}
            engine = {r[0]: (r[1], r[2]) for r in _rows(
                t, f"SELECT card_id, balance, moves FROM {SCHEMA}.card_balances")}
            out["balances"] = {
                "rows": len(ledger),
                "missing": sorted(set(ledger) - set(engine)),
                "extra": sorted(set(engine) - set(ledger)),
                "different": [(c, ledger[c], engine[c]) for c in sorted(set(ledger) & set(engine))
                              if ledger[c] != engine[c]],
            }
    finally:
        src.close()
        tgt.close()
    return out


def differences(report: dict) -> dict:
    """Only the streams that differ (empty when the engine equals the source)."""
    return {k: {kk: vv[:5] for kk, vv in v.items() if kk != "rows" and vv}
            for k, v in report.items() if v["missing"] or v["extra"] or v["different"]}


def lost_and_doubled(report: dict) -> tuple[int, int]:
    """Counted from a comparison: source rows the engine lacks (lost), and engine rows the source
    does not have plus cards whose engine balance counts more moves than the source ledger has
    (doubled)."""
    streams = {k: v for k, v in report.items() if k != "balances"}
    lost = sum(len(v["missing"]) for v in streams.values())
    doubled = sum(len(v["extra"]) for v in streams.values())
    balances = report.get("balances")
    if balances:
        doubled += sum(1 for _card, ledger, engine in balances["different"] if engine[1] > ledger[1])
    return lost, doubled


def rows_compared(report: dict) -> int:
    return sum(v["rows"] for v in report.values())


def committed_state_holds(target_dsn: str) -> list[str]:
    """What a crash may leave: every stream the target has a sync state for holds exactly the
    rows that state says, and the engine balances are the sums of the engine's ledger. Returns
    the violations (empty when the target is in a committed state)."""
    problems = []
    conn = psycopg2.connect(target_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.sync_state",))
            if not cur.fetchone()[0]:
                return problems
            cur.execute(f"SELECT stream, rows_total FROM {SCHEMA}.sync_state")
            for stream, total in cur.fetchall():
                cur.execute(f"SELECT count(*) FROM {SCHEMA}.{STREAM_TABLES[stream][1]}")
                have = cur.fetchone()[0]
                if have != total:
                    problems.append(f"{stream}: {have} rows, sync state says {total}")
            cur.execute(f"SELECT 1 FROM {SCHEMA}.sync_state WHERE stream = 'moves'")
            if cur.fetchone():
                cur.execute(f"""
                    SELECT count(*) FROM (
                      SELECT card_id, sum(points) AS b, count(*) AS n
                        FROM {SCHEMA}.point_moves GROUP BY card_id) m
                      FULL JOIN {SCHEMA}.card_balances c USING (card_id)
                     WHERE m.b IS DISTINCT FROM c.balance OR m.n IS DISTINCT FROM c.moves""")
                bad = cur.fetchone()[0]
                if bad:
                    problems.append(f"card_balances: {bad} cards differ from the engine ledger")
    finally:
        conn.close()
    return problems


class SourceWriter:
    """Writes to the Odoo-shaped source the way Odoo does: write_date = now() of the writing
    transaction (its start, as Odoo's ORM stamps it), ledger moves through aba_ledger."""

    def __init__(self, dsn: str, seed: int, tag: str) -> None:
        self.conn = psycopg2.connect(dsn)
        self.conn.set_session(isolation_level="READ COMMITTED")
        self.rng = random.Random(seed)
        self.tag = tag
        self.n = 0
        self.counts = {"updated": 0, "inserted": 0, "deleted": 0, "moves": 0, "refused": 0,
                       "rolled_back": 0}

    def close(self) -> None:
        self.conn.close()

    def _ids(self, cur, table: str, limit: int) -> list[int]:
        cur.execute(f"SELECT id FROM public.{table} TABLESAMPLE SYSTEM (5) LIMIT %s", (limit,))
        ids = [r[0] for r in cur.fetchall()]
        if not ids:
            cur.execute(f"SELECT id FROM public.{table} ORDER BY random() LIMIT %s", (limit,))
            ids = [r[0] for r in cur.fetchall()]
        return ids

    def _managed_card(self, cur) -> list[int]:
        """A card the ledger manages (one with moves): only those get moves (addon 18.0.2);
        Odoo's own gift cards, coupons and eWallets keep their points without any."""
        cur.execute("SELECT max(card_id) FROM public.aba_loyalty_point_move")
        top = cur.fetchone()[0] or 0
        cur.execute("SELECT c.id FROM public.loyalty_card c WHERE c.id >= %s AND EXISTS (SELECT 1 "
                    "FROM public.aba_loyalty_point_move m WHERE m.card_id = c.id) ORDER BY c.id "
                    "LIMIT 1", (self.rng.randint(1, max(top, 1)),))
        return [r[0] for r in cur.fetchall()]

    def batch(self, cur, size: int = 20, old_write_date: bool = False) -> None:
        """A mix of writes inside the caller's transaction (not committed here)."""
        stamp = ("(now() AT TIME ZONE 'UTC') - interval '3 days'" if old_write_date
                 else "now() AT TIME ZONE 'UTC'")
        rng = self.rng
        for _ in range(size):
            self.n += 1
            what = rng.random()
            if what < 0.30:
                cards = self._managed_card(cur)
                if not cards:
                    continue
                kind = rng.choice(("earn", "earn", "redeem", "refund"))
                pts = Decimal(rng.randint(1, 5000)) / 100
                cur.execute("SAVEPOINT w")
                try:
                    post_move(cur, card_id=cards[0], kind=kind,
                              points=pts if kind == "earn" else -pts,
                              order_uid=f"{self.tag}-{self.n}", engine="native")
                    cur.execute("RELEASE SAVEPOINT w")
                    self.counts["moves"] += 1
                except (InsufficientBalanceError, CardNotFoundError):
                    # (a card another writer deleted meanwhile)
                    cur.execute("ROLLBACK TO SAVEPOINT w")
                    self.counts["refused"] += 1
                except RetryExhaustedError:
                    # Writers lock cards in random order inside long transactions: deadlocks
                    # beyond the ledger's retries give up this move only, as in Odoo.
                    cur.execute("ROLLBACK TO SAVEPOINT w")
                    self.counts["rolled_back"] += 1
            elif what < 0.50:
                ids = self._ids(cur, "res_partner", 3)
                cur.execute(f"UPDATE public.res_partner SET phone = %s, write_date = {stamp} "
                            "WHERE id = ANY(%s)", (f"+62-{self.n}", ids))
                self.counts["updated"] += cur.rowcount
            elif what < 0.60:
                ids = self._ids(cur, "loyalty_program", 1)
                cur.execute("UPDATE public.loyalty_program SET name = jsonb_build_object("
                            f"'en_US', %s::text), write_date = {stamp} WHERE id = ANY(%s)",
                            (f"Program {self.tag}-{self.n}", ids))
                self.counts["updated"] += cur.rowcount
            elif what < 0.75:
                cur.execute(
                    "INSERT INTO public.res_partner (name, email, active, autopost_bills, "
                    f"create_date, write_date) VALUES (%s, %s, true, 'ask', {stamp}, {stamp})",
                    (f"Partner {self.tag}-{self.n}", f"{self.tag}{self.n}@example.com"))
                self.counts["inserted"] += 1
            elif what < 0.85:
                cur.execute(
                    "INSERT INTO public.loyalty_history (card_id, description, issued, used, "
                    "create_date, write_date) SELECT id, %s, %s, 0, "
                    f"{stamp}, {stamp} FROM public.loyalty_card ORDER BY random() LIMIT 1",
                    (f"churn {self.tag}-{self.n}", rng.randint(0, 900) / 7))
                self.counts["inserted"] += cur.rowcount
            elif what < 0.93:
                ids = self._ids(cur, "loyalty_history", 2)
                cur.execute("DELETE FROM public.loyalty_history WHERE id = ANY(%s)", (ids,))
                self.counts["deleted"] += cur.rowcount
            elif what < 0.95:
                # Odoo deletes a card (sale_loyalty on an order cancel, a used coupon), its
                # loyalty_history by cascade; a managed card's ledger moves stay.
                ids = self._ids(cur, "loyalty_card", 1)
                cur.execute("DELETE FROM public.loyalty_history WHERE card_id = ANY(%s)", (ids,))
                cur.execute("DELETE FROM public.loyalty_card WHERE id = ANY(%s)", (ids,))
                self.counts["deleted"] += cur.rowcount
            else:
                ids = self._ids(cur, "res_partner", 1)
                cur.execute("DELETE FROM public.res_partner WHERE id = ANY(%s) AND NOT EXISTS "
                            "(SELECT 1 FROM public.loyalty_card c WHERE c.partner_id = "
                            "res_partner.id)", (ids,))
                self.counts["deleted"] += cur.rowcount

    def commit_batch(self, size: int = 20, old_write_date: bool = False) -> bool:
        """One committed batch; False when the database chose it as a deadlock victim (or a
        serialization failure): rolled back, nothing of it committed, as in Odoo."""
        try:
            with self.conn.cursor() as cur:
                self.batch(cur, size, old_write_date)
            self.conn.commit()
            return True
        except (psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure):
            self.conn.rollback()
            self.counts["rolled_back"] += 1
            return False
