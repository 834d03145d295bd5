"""Contention on one loyalty card through a real multi-worker Odoo 18: errors, duplicates, points.

Why: the unit and Odoo tests run one request at a time; a shop runs several tills, offline
re-sends and retried RPCs, all hitting the same customer's card. This bench reproduces that
against a real server and counts, from the run itself, what matters: server errors (tracebacks,
e.g. a SerializationFailure that survived Odoo's 5 retries), refusals (UserError answers), orders
stored twice, points lost or doubled in the ledger, and the latency of each POS call.

    python benches/bench_odoo_contention.py ODOO_PATH ODOO_PYTHON \\
        [--workers 4] [--clients 8] [--seconds 60] [--dup-share 0.25] \\
        [--mode addon-on|addon-off|stock]

ODOO_PATH: an Odoo 18.0 source tree; ODOO_PYTHON: an interpreter with Odoo's requirements (and,
for the native engine, the aba_loyalty_core wheel). The bench starts its own PostgreSQL
(scripts/pg.sh), creates a database with point_of_sale, pos_loyalty (and asd_aba_loyalty unless
--mode stock) and demo data, sets the engine flag (addon-on: native engine, rollout 100 %;
addon-off: legacy engine), opens a POS session, archives the demo programs and creates one
loyalty program (0.1 point per currency unit, 1 currency unit off per point) and one customer
holding one card: the hot card. It then serves Odoo with --workers on 127.0.0.1 and runs
--clients POS clients for --seconds, each one a loop of paid orders for that customer, sent
exactly as pos_loyalty's client sends them (via /web/dataset/call_kw, logged in as admin):

    pos.order.validate_coupon_programs  (the card's point change; a decline drops the reward)
    pos.order.sync_from_ui([order])     (uuid, lines [0, 0, {...}], payment_ids, state 'paid')
    pos.order.confirm_coupon_programs   (the client's coupon data: points won - points spent)
    pos.order.add_loyalty_history_lines

--redeem-share of the orders carry a reward line spending points; --dup-share of them are sent
twice at once (two threads, two sessions, the same uuid: an offline re-send racing the first
send). Exit status 1 when a server error, a duplicate order or (addon modes) lost or doubled
points were counted; 2 when the setup failed. Everything started is stopped on exit.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from odoo_harness import (
    BENCH_LOYALTY_PROGRAM,
    OPEN_SESSION,
    SETUP_PREAMBLE,
    BudgetExceeded,
    HarnessError,
    JsonRpcClient,
    OdooHarness,
    Reply,
    log,
    percentile,
)

DB = "aba_contention"
EARN_RATE = Decimal("0.1")  # points per currency unit (the program's money rule)
PRICES = (12, 25, 40)  # tax-free products: order amounts and points are exact
CALLS = ("validate_coupon_programs", "sync_from_ui", "confirm_coupon_programs",
         "add_loyalty_history_lines")
EPSILON = Decimal("0.000001")

SETUP = SETUP_PREAMBLE + r"""
if P["mode"] != "stock":
    icp = env["ir.config_parameter"].sudo()
    icp.set_param("asd_aba_loyalty.use_rust_engine", "True" if P["mode"] == "addon-on" else "False")
    icp.set_param("asd_aba_loyalty.shadow_mode", "False")
    config.rust_engine_rollout_percentage = 100
""" + BENCH_LOYALTY_PROGRAM + r"""
partner = env["res.partner"].create({"name": "Bench hot customer"})
card = env["loyalty.card"].create({"program_id": program.id, "partner_id": partner.id,
                                   "points": P["start_points"]})
""" + OPEN_SESSION + r"""
env.cr.commit()
RESULT = {
    "config_id": config.id, "session_id": session.id, "session_state": session.state,
    "pricelist_id": config.pricelist_id.id or False, "payment_method_id": method.id,
    "user_id": admin.id, "program_id": program.id, "reward_id": reward.id,
    "reward_product_id": reward.discount_line_product_id.id,
    "products": [[p.id, p.name, p.lst_price] for p in products],
    "partner_id": partner.id, "card_id": card.id, "card_points": card.points,
}
"""


@dataclass
class Order:
    """One order of the run (one uuid), as built by its client, and what the client saw."""

    uid: str
    vals: dict
    base: Decimal
    cost: int  # points spent by its reward line (0: none sent)
    dup: bool
    won: Decimal = Decimal(0)  # the client's points won (stock Odoo applies these)
    declined: bool = False  # validate_coupon_programs declined its reward: sent without it
    confirmed_deltas: list = field(default_factory=list)  # client deltas of successful confirms

    @property
    def expected_earn(self) -> Decimal:
        return (self.base * EARN_RATE).quantize(Decimal("0.01"))


@dataclass
class Call:
    name: str
    reply: Reply


class Run:
    """What the clients did; shared by every client thread (appends under a lock)."""

    def __init__(self, setup: dict, args):
        self.setup = setup
        self.args = args
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.orders: list[Order] = []
        self.answered_nothing = 0  # syncs answered without the order: it was stored already
        self.sync_outcome: dict[str, set] = {}  # uuid -> reply kinds of its syncs
        self.load = (os.getloadavg()[0], float("nan"))  # machine load: start, end of the run

    def record(self, name: str, reply: Reply) -> Reply:
        with self.lock:
            self.calls.append(Call(name, reply))
        return reply

    def add_order(self, order: Order) -> None:
        with self.lock:
            self.orders.append(order)


def build_order(setup: dict, rng: random.Random, client: int, seq: int, redeem: bool,
                dup: bool) -> Order:
    lines, base = [], Decimal(0)
    for product_id, name, price in rng.sample(setup["products"], rng.randint(1, 3)):
        qty = rng.randint(1, 3)
        amount = float(Decimal(repr(price)) * qty)
        base += Decimal(repr(price)) * qty
        lines.append([0, 0, {
            "uuid": str(uuid.uuid4()), "product_id": product_id, "full_product_name": name,
            "qty": qty, "price_unit": price, "discount": 0, "price_subtotal": amount,
            "price_subtotal_incl": amount, "tax_ids": [[6, 0, []]], "pack_lot_ids": [],
        }])
    cost = rng.randint(10, 40) if redeem else 0
    cost = cost if cost and cost <= base / 2 else 0  # the discount never hits the amount's cap
    if cost:
        lines.append(reward_line(setup, cost))
    total = float(base - cost)
    uid = str(uuid.uuid4())
    vals = {
        "uuid": uid,
        "name": f"Order {setup['session_id']:05d}-{client:03d}-{seq:04d}",
        "session_id": setup["session_id"],
        "user_id": setup["user_id"],
        "partner_id": setup["partner_id"],
        "pricelist_id": setup["pricelist_id"],
        "fiscal_position_id": False,
        "sequence_number": seq,
        "date_order": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "state": "paid",
        "amount_tax": 0.0,
        "amount_total": total,
        "amount_paid": total,
        "amount_return": 0.0,
        "to_invoice": False,
        "last_order_preparation_change": "{}",
        "lines": lines,
        "payment_ids": [[0, 0, {
            "amount": total, "payment_method_id": setup["payment_method_id"],
            "name": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        }]],
    }
    order = Order(uid, vals, base, cost, dup)
    order.won = order.expected_earn
    return order


def reward_line(setup: dict, cost: int) -> list:
    """A per-point discount line as pos_loyalty's client sends it (1 currency unit a point)."""
    return [0, 0, {
        "uuid": str(uuid.uuid4()), "product_id": setup["reward_product_id"], "qty": 1,
        "price_unit": -cost, "discount": 0, "price_subtotal": -cost,
        "price_subtotal_incl": -cost, "tax_ids": [[6, 0, []]], "pack_lot_ids": [],
        "is_reward_line": True, "reward_id": setup["reward_id"],
        "coupon_id": setup["card_id"], "points_cost": cost,
        "reward_identifier_code": uuid.uuid4().hex[:10],
    }]


def drop_reward(order: Order) -> None:
    """What the cashier does when the server declines the reward: the order without it."""
    vals = order.vals
    vals["lines"] = [line for line in vals["lines"] if not line[2].get("is_reward_line")]
    total = float(order.base)
    vals["amount_total"] = vals["amount_paid"] = total
    vals["payment_ids"][0][2]["amount"] = total
    order.cost, order.declined = 0, True


def coupon_data(setup: dict, order: Order) -> dict:
    """pos_loyalty's `_postPushOrderResolve` coupon data for the customer's card."""
    card = setup["card_id"]
    data = {"points": float(order.won - order.cost), "program_id": setup["program_id"],
            "coupon_id": card, "barcode": False, "partner_id": setup["partner_id"]}
    codes = [line[2]["reward_identifier_code"] for line in order.vals["lines"]
             if line[2].get("is_reward_line")]
    if codes:
        data["line_codes"] = codes
    return {str(card): data}


def send(run: Run, client: JsonRpcClient, order: Order, barrier: threading.Barrier | None):
    """sync_from_ui, then (when this send stored the order) confirm and history, as the POS."""
    setup = run.setup
    if barrier is not None:
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
    sync = run.record("sync_from_ui", client.call_kw("pos.order", "sync_from_ui",
                                                     [[order.vals]]))
    with run.lock:
        run.sync_outcome.setdefault(order.uid, set()).add(sync.kind)
    if not sync.ok:
        return
    stored = [o["id"] for o in (sync.result or {}).get("pos.order", [])
              if o.get("uuid", order.uid) == order.uid]
    if not stored:
        with run.lock:  # the order was there already: the server answers nothing to confirm
            run.answered_nothing += 1
        return
    order_id = stored[0]
    coupons = coupon_data(setup, order)
    confirm = run.record("confirm_coupon_programs", client.call_kw(
        "pos.order", "confirm_coupon_programs", [order_id, coupons]))
    if not confirm.ok:
        return
    with run.lock:
        order.confirmed_deltas.append(order.won - order.cost)
    updates = [{"id": u["id"], "old_id": u["old_id"]}
               for u in (confirm.result or {}).get("coupon_updates", [])]
    history = [{"order_id": order_id, "card_id": setup["card_id"], "spent": order.cost,
                "won": float(order.won), "total": float(order.won - order.cost)}]
    run.record("add_loyalty_history_lines", client.call_kw(
        "pos.order", "add_loyalty_history_lines", [[order_id], history, updates]))


def client_loop(run: Run, index: int, main: JsonRpcClient, twin: JsonRpcClient,
                deadline: float) -> None:
    args, setup = run.args, run.setup
    rng = random.Random(args.seed * 1000 + index)
    seq = 0
    while time.monotonic() < deadline:
        seq += 1
        order = build_order(setup, rng, index, seq, rng.random() < args.redeem_share,
                            rng.random() < args.dup_share)
        run.add_order(order)
        changes = {str(setup["card_id"]): float(order.won - order.cost)}
        check = run.record("validate_coupon_programs", main.call_kw(
            "pos.order", "validate_coupon_programs", [[], changes, []]))
        # The client ignores a failing validation; a decline (not enough points) makes the
        # cashier remove the reward.
        if check.ok and not (check.result or {}).get("successful", True) and order.cost:
            drop_reward(order)
        if not order.dup:
            send(run, main, order, None)
            continue
        barrier = threading.Barrier(2)
        other = threading.Thread(target=send, args=(run, twin, order, barrier), daemon=True)
        other.start()
        send(run, main, order, barrier)
        other.join(timeout=main.timeout + 30)


# -- checks -------------------------------------------------------------------------------------


def dec(text: str) -> Decimal:
    return Decimal(text) if text not in ("", None) else Decimal(0)


def check_database(harness: OdooHarness, run: Run, mode: str) -> dict:
    """Counts from the database after the server stopped: orders per uuid, ledger moves per
    order, the card against its ledger."""
    setup, pg = run.setup, harness.pg
    params = {"partner": setup["partner_id"], "card": setup["card_id"]}
    status = ", string_agg(coalesce(aba_loyalty_status, '-'), ',')" if mode != "stock" else ""
    stored = {}
    for row in pg.psql(DB, "SELECT uuid, count(*), string_agg(state, ',')" + status +
                       " FROM pos_order WHERE partner_id = :'partner' GROUP BY uuid", params):
        stored[row[0]] = {"count": int(row[1]), "states": row[2].split(","),
                          "status": row[3].split(",") if len(row) > 3 else []}
    card_points = dec(pg.psql(DB, "SELECT points FROM loyalty_card WHERE id = :'card'",
                              params)[0][0])
    facts = {"stored": stored, "card_points": card_points}
    if mode == "stock":
        return facts
    moves = defaultdict(lambda: defaultdict(lambda: [0, Decimal(0)]))
    for uid, kind, count, points in pg.psql(
            DB, "SELECT coalesce(order_uid, ''), kind, count(*), sum(points) FROM "
                "aba_loyalty_point_move WHERE card_id = :'card' GROUP BY 1, 2", params):
        moves[uid][kind] = [int(count), dec(points)]
    total, lowest, count = pg.psql(
        DB, "SELECT coalesce(sum(points), 0), coalesce(min(balance_after), 0), count(*) "
            "FROM aba_loyalty_point_move WHERE card_id = :'card'", params)[0]
    engines = Counter({engine: int(n) for engine, n in pg.psql(
        DB, "SELECT coalesce(engine, '-'), count(*) FROM aba_loyalty_point_move "
            "WHERE card_id = :'card' AND order_uid IS NOT NULL GROUP BY 1", params)})
    facts.update(moves=moves, ledger_sum=dec(total), lowest_balance=dec(lowest),
                 move_count=int(count), engines=engines)
    return facts


def ledger_findings(run: Run, facts: dict) -> dict:
    """Per stored order: exactly one earn of its expected points and, when it sent a reward,
    exactly one redeem of the reward's cost. Points missing (a move absent or short) are lost;
    a move posted twice or larger doubles them."""
    orders = {o.uid: o for o in run.orders}
    moves = facts["moves"]
    found = Counter()
    lost_points = doubled_points = expected_change = Decimal(0)
    for uid in facts["stored"]:
        order = orders.get(uid)
        if order is None:
            found["unknown_orders"] += 1
            continue
        kinds = moves.get(uid, {})
        earn_n, earn = kinds.get("earn", (0, Decimal(0)))
        redeem_n, redeem = kinds.get("redeem", (0, Decimal(0)))
        want_earn, cost = order.expected_earn, Decimal(order.cost)
        expected_change += want_earn - cost
        lost = max(Decimal(0), want_earn - earn) + max(Decimal(0), cost + redeem)
        extra = max(Decimal(0), earn - want_earn) + max(Decimal(0), -redeem - cost)
        if lost > EPSILON:
            found["lost_orders"] += 1
            lost_points += lost
        if extra > EPSILON or earn_n > 1 or redeem_n > 1:
            found["doubled_orders"] += 1
            doubled_points += extra
    for uid, kinds in moves.items():
        if uid and uid not in facts["stored"]:
            found["orphan_moves"] += sum(n for n, _ in kinds.values())
    found["adjust_moves"] = moves.get("", {}).get("adjust", (0, 0))[0]
    return {"counts": found, "lost_points": lost_points, "doubled_points": doubled_points,
            "expected_change": expected_change}


def server_log_counts(path: Path) -> tuple[Counter, Counter]:
    """(retries and give-ups of Odoo's concurrency retry loop, failed statements by PostgreSQL
    error and statement head) from the server's log."""
    counts, statements = Counter(), Counter()
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return counts, statements
    for match in re.finditer(r"INFO \S+ odoo\.service\.model: (\w+), \d+ tries left", text):
        counts[f"retried {match.group(1)}"] += 1
    counts["gave up after the last retry"] = len(re.findall(r"maximum number of tries", text))
    counts["ERROR lines"] = len(re.findall(r"^\S+ \S+ \d+ ERROR ", text, re.MULTILINE))
    for match in re.finditer(r"odoo\.sql_db: bad query: b?['\"](.*)\n(?:ERROR:\s*)?(.*)", text):
        statement = " ".join(match.group(1).replace("\\n", " ").split()).rstrip("'\"")
        statements[(match.group(2).strip(), statement[:72])] += 1
    return counts, statements


# -- report -------------------------------------------------------------------------------------


def pts(points: Decimal) -> str:
    """Points to 6 decimals (float8 noise such as 539.3000000000001 left out)."""
    return format(points.quantize(Decimal("0.000001")).normalize() + 0, "f")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def report(run: Run, facts: dict, server_log: tuple[Counter, Counter], elapsed: float,
           server_workers: int, mode: str) -> int:
    args, setup = run.args, run.setup
    orders = run.orders
    by_kind = Counter(c.reply.kind for c in run.calls)
    by_call = Counter(c.name for c in run.calls)
    errors = Counter((c.reply.error_name, c.name) for c in run.calls if c.reply.kind == "error")
    refusals = Counter((c.reply.error_name, c.name) for c in run.calls
                       if c.reply.kind == "refusal")
    transport = Counter((c.reply.error_name, c.name) for c in run.calls
                        if c.reply.kind == "transport")
    first_message = {}
    for c in run.calls:
        if c.reply.kind != "ok":
            first_message.setdefault(c.reply.error_name,
                                     (c.reply.error_message.strip().splitlines() or [""])[0])
    stored = facts["stored"]
    duplicates = sum(1 for s in stored.values() if s["count"] > 1)
    dup_rows = sum(s["count"] - 1 for s in stored.values() if s["count"] > 1)
    declines = sum(1 for o in orders if o.declined)

    print(f"== Odoo contention bench, mode {mode}: {server_workers} workers, {args.clients} "
          f"clients for {elapsed:.1f} s (dup share {args.dup_share}, redeem share "
          f"{args.redeem_share}, seed {args.seed}); machine load average {run.load[0]:.1f} at "
          f"the start, {run.load[1]:.1f} at the end, on {os.cpu_count()} cores")
    print(f"orders built: {len(orders)} ({sum(o.dup for o in orders)} sent twice at once, "
          f"{sum(o.cost > 0 for o in orders)} redeeming; {declines} rewards declined by "
          f"validate_coupon_programs and dropped)")
    print(f"requests: {len(run.calls)} = " +
          ", ".join(f"{name} {by_call[name]}" for name in CALLS) +
          f"; {len(run.calls) / elapsed:.1f} req/s")
    print(f"  ok: {by_kind['ok']}")
    print(f"  server errors (tracebacks): {by_kind['error']}")
    for (name, call), n in errors.most_common():
        print(f"    {n:6d}  {name} in {call}: {first_message.get(name, '')[:160]}")
    print(f"  refusals (UserError answers): {by_kind['refusal']}")
    for (name, call), n in refusals.most_common():
        print(f"    {n:6d}  {name} in {call}: {first_message.get(name, '')[:160]}")
    print(f"  transport errors (no JSON-RPC answer): {by_kind['transport']}")
    for (name, call), n in transport.most_common():
        print(f"    {n:6d}  {name} in {call}: {first_message.get(name, '')[:160]}")
    states = Counter(state for s in stored.values() for state in s["states"])
    print(f"orders stored: {len(stored)} uuids, {sum(s['count'] for s in stored.values())} "
          f"rows ({', '.join(f'{k} {v}' for k, v in sorted(states.items()))}); "
          f"{len(stored) / elapsed:.1f} orders/s")
    not_stored = [o for o in orders if o.uid not in stored]
    outcomes = Counter("+".join(sorted(run.sync_outcome.get(o.uid, {"not sent"})))
                       for o in not_stored)
    print(f"  orders not stored: {len(not_stored)}" + (
        " (their sync answered: " + ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items()))
        + ")" if not_stored else ""))
    print(f"  duplicates (uuid stored more than once): {duplicates} uuids, {dup_rows} extra "
          f"rows; syncs answered without their order (stored already): "
          f"{run.answered_nothing}")
    latency = defaultdict(list)
    for c in run.calls:
        latency[c.name].append(c.reply.seconds)
    for name in CALLS:
        values = latency.get(name)
        if values:
            print(f"  latency {name:26s} p50 {ms(percentile(values, 50))}  p99 "
                  f"{ms(percentile(values, 99))}  max {ms(max(values))}  (n={len(values)})")
    log_counts, statements = server_log
    print("server log: " + (", ".join(f"{k} {v}" for k, v in sorted(log_counts.items()))
                            or "nothing counted"))
    for (error, statement), n in statements.most_common(6):
        print(f"  {n:6d}  {error[:60]}: {statement}")

    start_points = Decimal(repr(setup["card_points"]))
    change = facts["card_points"] - start_points
    failures = []
    if by_kind["error"] or by_kind["transport"]:
        failures.append(f"{by_kind['error']} server errors, {by_kind['transport']} transport "
                        "errors")
    if duplicates:
        failures.append(f"{duplicates} duplicated orders")
    if mode == "stock":
        orders_by_uid = {o.uid: o for o in orders}
        once = sum((orders_by_uid[u].won - orders_by_uid[u].cost for u in stored
                    if u in orders_by_uid), Decimal(0))
        client_deltas = sum((d for o in orders for d in o.confirmed_deltas), Decimal(0))
        print(f"hot card #{setup['card_id']}: {pts(start_points)} -> "
              f"{pts(facts['card_points'])} points (change {pts(change)}); once per stored "
              f"order: {pts(once)} (difference {pts(change - once)}); the clients' confirmed "
              f"changes: {pts(client_deltas)} (difference {pts(change - client_deltas)}); "
              f"{'NEGATIVE balance' if facts['card_points'] < 0 else 'not negative'}")
    else:
        found = ledger_findings(run, facts)
        counts = found["counts"]
        status = Counter(st for s in stored.values() for st in s["status"])
        consistent = abs(facts["card_points"] - facts["ledger_sum"]) <= EPSILON
        negative = facts["card_points"] < 0 or facts["lowest_balance"] < 0
        print(f"ledger of hot card #{setup['card_id']}: {facts['move_count']} moves (orders' "
              f"moves by engine: "
              f"{', '.join(f'{k} {v}' for k, v in sorted(facts['engines'].items()))}); "
              f"loyalty status of stored orders: "
              f"{', '.join(f'{k} {v}' for k, v in sorted(status.items()))}")
        print(f"  orders with lost points: {counts['lost_orders']} ({pts(found['lost_points'])}"
              f" points); with doubled points: {counts['doubled_orders']} "
              f"({pts(found['doubled_points'])} points); moves of orders not stored: "
              f"{counts['orphan_moves']}; adjust moves: {counts['adjust_moves']}; orders "
              f"stored but not sent by the bench: {counts['unknown_orders']}")
        print(f"  card {pts(start_points)} -> {pts(facts['card_points'])} points (change "
              f"{pts(change)}, expected from the stored orders {pts(found['expected_change'])});"
              f" ledger sum {pts(facts['ledger_sum'])}: "
              f"{'equal' if consistent else 'DIFFERENT'}; lowest balance_after "
              f"{pts(facts['lowest_balance'])}: "
              f"{'NEGATIVE' if negative else 'never negative'}")
        bad = (counts["lost_orders"] + counts["doubled_orders"] + counts["orphan_moves"] +
               counts["unknown_orders"] + counts["adjust_moves"])
        if bad or not consistent or negative or abs(change - found["expected_change"]) > EPSILON:
            failures.append(f"ledger: {counts['lost_orders']} lost, {counts['doubled_orders']} "
                            f"doubled, {counts['orphan_moves']} orphan moves, cache "
                            f"{'consistent' if consistent else 'inconsistent'}, "
                            f"{'negative' if negative else 'not negative'}")
    if failures:
        print("RESULT: FAIL: " + "; ".join(failures))
        return 1
    print("RESULT: OK (no server error, no duplicate" +
          (", no lost or doubled points)" if mode != "stock" else ")"))
    return 0


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("odoo_path", help="Odoo 18.0 source tree (odoo-bin, addons/)")
    parser.add_argument("odoo_python", help="interpreter with Odoo's requirements")
    parser.add_argument("--workers", type=int, default=4, help="Odoo HTTP workers (default 4)")
    parser.add_argument("--clients", type=int, default=8, help="POS client threads (default 8)")
    parser.add_argument("--seconds", type=float, default=60,
                        help="how long the clients start new orders (default 60)")
    parser.add_argument("--dup-share", type=float, default=0.25,
                        help="share of orders sent twice at once (default 0.25)")
    parser.add_argument("--redeem-share", type=float, default=0.3,
                        help="share of orders with a reward line spending points (default 0.3)")
    parser.add_argument("--start-points", type=float, default=100,
                        help="the hot card's points at the start (default 100)")
    parser.add_argument("--mode", choices=("addon-on", "addon-off", "stock"), default="addon-on",
                        help="addon-on: asd_aba_loyalty with the native engine flag on and a "
                        "100%% rollout; addon-off: the addon on its legacy engine; stock: "
                        "Odoo without the addon (default addon-on)")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--budget", type=float, default=3600,
                        help="seconds before everything is stopped, whatever the stage "
                        "(default 3600)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument("--addons-dir", metavar="DIR",
                        help="the folder holding asd_aba_loyalty (default: this checkout's "
                        "odoo_addon), e.g. another worktree's to measure its addon")
    parser.add_argument("--cache", metavar="DIR",
                        help="reuse the installed database dumped in DIR by an earlier run of "
                        "the same Odoo tree, addons and mode (a fresh install dumps it there)")
    args = parser.parse_args(argv)
    if not (0 <= args.dup_share <= 1 and 0 <= args.redeem_share <= 1):
        parser.error("--dup-share and --redeem-share are shares between 0 and 1")
    if args.workers < 1 or args.clients < 1 or args.seconds <= 0:
        parser.error("--workers, --clients and --seconds must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    modules = ["point_of_sale", "pos_loyalty"] + ([] if args.mode == "stock"
                                                  else ["asd_aba_loyalty"])
    try:
        with OdooHarness(args.odoo_path, args.odoo_python, budget=args.budget,
                         keep=args.keep, addons_dir=args.addons_dir) as harness:
            log(f"bench: work folder {harness.workdir}; addons {harness.addons_dir}")
            harness.start_postgres()
            log(f"bench: PostgreSQL on port {harness.pg.port}; installing {', '.join(modules)} "
                "with demo data")
            took = harness.install(DB, modules, cache_dir=args.cache)
            log(f"bench: installed in {took:.0f} s; preparing the POS session and the hot card")
            setup = harness.shell_json(DB, SETUP, {
                "mode": args.mode, "earn_rate": float(EARN_RATE), "prices": list(PRICES),
                "start_points": args.start_points})
            log(f"bench: session {setup['session_id']} ({setup['session_state']}), card "
                f"{setup['card_id']} with {setup['card_points']} points; serving with "
                f"{args.workers} workers")
            server = harness.serve(DB, workers=args.workers)
            run = Run(setup, args)
            pairs = []
            for _ in range(args.clients):
                pair = (JsonRpcClient(server.host, server.port),
                        JsonRpcClient(server.host, server.port))
                for client in pair:
                    client.authenticate(DB, "admin", "admin")
                pairs.append(pair)
            log(f"bench: {2 * args.clients} sessions logged in; running {args.seconds:.0f} s")
            run.load = (os.getloadavg()[0], float("nan"))
            start = time.monotonic()
            threads = [threading.Thread(target=client_loop,
                                        args=(run, i, main_client, twin, start + args.seconds),
                                        daemon=True)
                       for i, (main_client, twin) in enumerate(pairs)]
            for thread in threads:
                thread.start()
            for thread in threads:
                # A client finishes its order in flight: at most one POS flow past the end.
                thread.join(timeout=max(0.0, start + args.seconds - time.monotonic())
                            + len(CALLS) * pairs[0][0].timeout + 30)
            elapsed = time.monotonic() - start
            run.load = (run.load[0], os.getloadavg()[0])
            stuck = sum(thread.is_alive() for thread in threads)
            if stuck:
                log(f"bench: {stuck} client(s) still waiting: stopping the server anyway")
            server.stop()  # no request may still change the database while it is checked
            for pair in pairs:
                for client in pair:
                    client.close()
            facts = check_database(harness, run, args.mode)
            return report(run, facts, server_log_counts(server.log_path), elapsed,
                          args.workers, args.mode)
    except (HarnessError, BudgetExceeded) as exc:
        log(f"bench: setup or run failed: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
