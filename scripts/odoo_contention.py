"""Many tills posting paid orders on one loyalty card, through a running Odoo with the addon.

    python scripts/odoo_contention.py URL DB DSN [--clients 8] [--orders 20] [--twice 0.25]

URL: the Odoo server (run it with --workers=4 to have real concurrency); DB: its database, with
point_of_sale, pos_loyalty and asd_aba_loyalty installed; DSN: libpq DSN of that database, for the
checks. As admin/admin it sets up a loyalty program (0.1 point per currency unit, a per-point
discount), a customer whose card holds 100 points, and a point-of-sale session; then `--clients`
threads each send `--orders` paid orders of that customer through `pos.order.sync_from_ui`, half
of them spending 5 points, a share (`--twice`) sent twice at once from two threads (an offline
till re-sending while the first request runs). Then it checks, and prints as JSON:
- every request answered without an error (no traceback reaches a till);
- every order once in pos_order, every order's earn/redeem once in the ledger, all posted;
- the card's cache equals its ledger sum, and no move left it below zero;
- request latency (p50, p99, max).
Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import psycopg2
import requests


class Client:
    def __init__(self, url, db, login="admin", password="admin"):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        reply = self.session.post(
            f"{self.url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}},
            timeout=60,
        ).json()
        if reply.get("error"):
            raise SystemExit(f"cannot log in: {reply['error']}")
        self.uid = reply["result"]["uid"]

    def call(self, model, method, *args, **kwargs):
        reply = self.session.post(
            f"{self.url}/web/dataset/call_kw/{model}/{method}",
            json={"jsonrpc": "2.0", "method": "call",
                  "params": {"model": model, "method": method, "args": list(args),
                             "kwargs": kwargs}},
            timeout=120,
        ).json()
        if reply.get("error"):
            raise RuntimeError(json.dumps(reply["error"])[:2000])
        return reply["result"]


def setup(client):
    """Program, customer, card, product, open session; returns what the orders need."""
    config_id = client.call("pos.config", "search", [], limit=1)[0]
    config = client.call("pos.config", "read", [config_id],
                         ["payment_method_ids", "pricelist_id", "current_session_id"])[0]
    tag = uuid.uuid4().hex[:6]
    program = client.call("loyalty.program", "create", {
        "name": f"Contention {tag}", "program_type": "loyalty", "trigger": "auto",
        "applies_on": "both", "pos_ok": True, "pos_config_ids": [(6, 0, [config_id])],
        "rule_ids": [(0, 0, {"reward_point_mode": "money", "reward_point_amount": 0.1,
                             "minimum_qty": 0})],
        "reward_ids": [(0, 0, {"reward_type": "discount", "discount_mode": "per_point",
                               "discount": 1, "discount_applicability": "order",
                               "required_points": 1})],
    })
    reward = client.call("loyalty.reward", "search_read", [("program_id", "=", program)],
                         ["discount_line_product_id"])[0]
    partner = client.call("res.partner", "create", {"name": f"Hot Card {tag}"})
    card = client.call("loyalty.card", "create",
                       {"program_id": program, "partner_id": partner, "points": 100})
    product = client.call("product.product", "create", {
        "name": f"Contention item {tag}", "list_price": 20, "available_in_pos": True,
        "taxes_id": [(5, 0, 0)],
    })
    session = config["current_session_id"] and config["current_session_id"][0]
    if not session:
        session = client.call("pos.session", "create",
                              {"user_id": client.uid, "config_id": config_id})
    cash = client.call("pos.payment.method", "search",
                       [("id", "in", config["payment_method_ids"])], limit=1)[0]
    return {"config": config_id, "session": session, "partner": partner, "card": card,
            "program": program, "reward": reward["id"],
            "reward_product": reward["discount_line_product_id"][0], "product": product,
            "payment_method": cash, "pricelist": config["pricelist_id"] and
            config["pricelist_id"][0], "uid": client.uid}


def order_data(ctx, spend):
    uid = str(uuid.uuid4())
    qty = random.randint(1, 3)
    total = 20.0 * qty
    lines = [(0, 0, {"product_id": ctx["product"], "qty": qty, "price_unit": 20.0,
                     "price_subtotal": total, "price_subtotal_incl": total,
                     "tax_ids": [(6, 0, [])]})]
    if spend:
        lines.append((0, 0, {
            "product_id": ctx["reward_product"], "qty": 1, "price_unit": -5.0,
            "price_subtotal": -5.0, "price_subtotal_incl": -5.0, "is_reward_line": True,
            "reward_id": ctx["reward"], "coupon_id": ctx["card"], "points_cost": 5,
            "reward_identifier_code": uid[:8], "tax_ids": [(6, 0, [])],
        }))
        total -= 5.0
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "uuid": uid, "name": f"Order {uid}", "session_id": ctx["session"],
        "partner_id": ctx["partner"], "user_id": ctx["uid"], "pricelist_id": ctx["pricelist"],
        "fiscal_position_id": False, "date_order": now, "sequence_number": 1,
        "last_order_preparation_change": "{}", "to_invoice": False, "state": "paid",
        "lines": lines, "amount_total": total, "amount_tax": 0, "amount_paid": total,
        "amount_return": 0,
        "payment_ids": [(0, 0, {"amount": total, "name": now,
                                "payment_method_id": ctx["payment_method"]})],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("db")
    parser.add_argument("dsn")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--twice", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)
    admin = Client(args.url, args.db)
    ctx = setup(admin)
    clients = [Client(args.url, args.db) for _ in range(args.clients)]
    plan = []  # (client index, order, twice)
    for c in range(args.clients):
        for _ in range(args.orders):
            plan.append((c, order_data(ctx, spend=random.random() < 0.5),
                         random.random() < args.twice))
    latencies, errors, lock = [], [], threading.Lock()

    def send(client, data):
        t0 = time.perf_counter()
        try:
            client.call("pos.order", "sync_from_ui", [data])
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            with lock:
                errors.append(f"{data['uuid']}: {exc}"[:600])
        finally:
            with lock:
                latencies.append(time.perf_counter() - t0)

    def till(c):
        for owner, data, twice in plan:
            if owner != c:
                continue
            if twice:
                # The same order from two connections at the same moment.
                other = clients[(c + 1) % len(clients)]
                threads = [threading.Thread(target=send, args=(cl, data))
                           for cl in (clients[c], other)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            else:
                send(clients[c], data)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(till, range(args.clients)))
    elapsed = time.perf_counter() - t0
    time.sleep(1.0)  # post-commit postings of the last requests
    uids = [data["uuid"] for _, data, _ in plan]
    conn = psycopg2.connect(args.dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT uuid, count(*), min(aba_posting_state) FROM pos_order "
                    "WHERE uuid = ANY(%s) GROUP BY uuid", (uids,))
        rows = cur.fetchall()
        cur.execute("SELECT order_uid, kind, count(*) FROM aba_loyalty_point_move "
                    "WHERE card_id = %s AND kind IN ('earn', 'redeem') GROUP BY 1, 2",
                    (ctx["card"],))
        per_kind = cur.fetchall()
        cur.execute("SELECT c.points::numeric, (SELECT sum(points) FROM aba_loyalty_point_move "
                    "WHERE card_id = c.id), (SELECT min(balance_after) FROM "
                    "aba_loyalty_point_move WHERE card_id = c.id AND kind <> 'opening'), "
                    "(SELECT coalesce(sum(shortfall), 0) FROM aba_loyalty_point_move "
                    "WHERE card_id = c.id) FROM loyalty_card c WHERE c.id = %s", (ctx["card"],))
        cache, ledger, min_after, shortfall = cur.fetchone()
    conn.close()
    latencies.sort()
    requests_sent = len(latencies)
    result = {
        "clients": args.clients, "orders": len(plan),
        "sent_twice": sum(1 for p in plan if p[2]), "requests": requests_sent,
        "errors": len(errors), "error_samples": errors[:5],
        "orders_in_db": len(rows), "orders_doubled": sum(1 for r in rows if r[1] > 1),
        "orders_not_posted": sum(1 for r in rows if r[2] != "posted"),
        "moves_doubled": sum(1 for r in per_kind if r[2] > 1),
        "orders_without_earn": len(set(uids) - {r[0] for r in per_kind if r[1] == "earn"}),
        "cache": str(cache), "ledger": str(ledger), "min_balance_after": str(min_after),
        "shortfall": str(shortfall), "seconds": round(elapsed, 2),
        "p50_s": round(statistics.median(latencies), 3),
        "p99_s": round(latencies[min(requests_sent - 1, int(requests_sent * 0.99))], 3),
        "max_s": round(latencies[-1], 3),
    }
    print(json.dumps(result, indent=2))
    ok = (not errors and len(rows) == len(plan) and not result["orders_doubled"]
          and not result["orders_not_posted"] and not result["moves_doubled"]
          and not result["orders_without_earn"] and round(cache, 6) == round(ledger, 6)
          and min_after >= 0)
    print("contention: OK" if ok else "contention: FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
