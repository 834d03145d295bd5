"""The audit (docs/audit.md) on real Odoo 18 demo databases, stock and with the addon.

Why: the audit was built and measured on a generated source (Odoo's real DDL); this runs it on
what a real Odoo 18 writes when pos_loyalty's client sends it POS orders, so that every finding
can be explained as a flaw of Odoo's data or a misreading by the audit.

    python benches/audit_odoo_demo.py ODOO_PATH ODOO_PYTHON [--orders 240] [--partners 12] \\
        [--redeem-share 0.25] [--refund-every 8] [--resend 6] [--seed 7] [--cache DIR] \\
        [--save DIR] [--json DIR] [--keep]

(run with the project's venv: the audit is this interpreter's `aba_loyalty_core`).

Setup (benches/odoo_harness.py): its own PostgreSQL; two demo databases with point_of_sale and
pos_loyalty, `stock` and `addon` (asd_aba_loyalty installed, use_rust_engine on, rollout
100 %). In each, Odoo's demo loyalty programs stay active (the demo "Loyalty Program": 10
points per currency unit, a free-product reward; "15% on next order"; buy-X-get-Y, coupons and
code promotions) and the bench's program is added (0.1 point per currency unit, a per-point
discount reward), with tax-free products and products carrying a sale tax of the demo company;
--partners customers each holding a card of the bench's program (--start-points, no history).

Orders: the same --orders orders, sent to each database over JSON-RPC as pos_loyalty's client
sends them (payment_screen.js `_postPushOrderResolve`): `pos.order.sync_from_ui([order])`, then
`confirm_coupon_programs` with the client's coupon data (the points it computed: money points
on prices with tax, half-up to 0.01; the demo program's on the amount after the bench's
discount line, as pos_order.js counts other programs' reward lines; a new card, negative id,
for a customer's first order in the demo program; a next-order coupon from 100 with tax), then
`add_loyalty_history_lines` (won / spent per loyalty card). One order in seven has no customer;
--redeem-share of the others spend bench points through a reward line, --pen-share of a
returning customer's sales take the demo program's free pen (the pen and its reward line, 5
demo points; a reward the engine does not map); every --refund-every-th
order is instead a refund, through the POS refund flow (a new order whose lines have negative
quantities and `refunded_orderline_id`, sent by sync_from_ui), of an earlier sale of the same
customer; in `stock`, --resend orders get their confirm_coupon_programs and history call sent a
second time, as an offline client re-sending does.

Then `python -m aba_loyalty_core.etl audit --source SRC --target TGT` (this interpreter's
module) on each database, with a fresh engine database as target; printed per database: the
programs audited / not audited (with reasons), orders paid / audited, findings by kind, every
finding with what the script did to its order, the cards with a difference, and the time.

Exit status: 0, or 2 when the setup failed or a call was refused (the run is then not one of
the orders above).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from odoo_harness import (
    BENCH_PROGRAM,
    OPEN_SESSION,
    SETUP_PREAMBLE,
    BudgetExceeded,
    HarnessError,
    JsonRpcClient,
    OdooHarness,
    log,
    pg_bin,
)

DBS = {"stock": ["point_of_sale", "pos_loyalty"],
       "addon": ["point_of_sale", "pos_loyalty", "asd_aba_loyalty"]}
EARN_RATE = Decimal("0.1")  # the bench program's points per currency unit
PRICES = (3, 5, 8, 12, 15, 20, 25, 40)
UUID_NS = uuid.UUID("5b0e3c1a-7d44-4c3e-9a0f-2d6f3a9e1c77")
CENT = Decimal("0.01")

SETUP = SETUP_PREAMBLE + r"""
# The demo programs stay as the demo installs them; the bench's is added next to them.
""" + BENCH_PROGRAM + r"""
tax = env["account.tax"].search([("type_tax_use", "=", "sale"), ("amount_type", "=", "percent"),
                                 ("price_include", "=", False), ("amount", ">", 0),
                                 ("company_id", "=", env.company.id)], limit=1)
products = env["product.product"].create([
    {"name": f"Audit item {price}", "type": "consu", "available_in_pos": True,
     "list_price": price, "taxes_id": [(5, 0, 0)]} for price in P["prices"]])
taxed = env["product.product"].create([
    {"name": f"Audit taxed item {price}", "type": "consu", "available_in_pos": True,
     "list_price": price, "taxes_id": [(6, 0, tax.ids)]} for price in P["prices"]]) if tax else products.browse()
partners = env["res.partner"].create([{"name": f"Audit customer {n}"} for n in range(P["partners"])])
cards = env["loyalty.card"].create([{"program_id": program.id, "partner_id": p.id,
                                     "points": P["start_points"]} for p in partners])
if P["addon"]:
    icp = env["ir.config_parameter"].sudo()
    icp.set_param("asd_aba_loyalty.use_rust_engine", "True")
    icp.set_param("asd_aba_loyalty.shadow_mode", "False")
    config.sudo().write({"rust_engine_rollout_percentage": 100})
""" + OPEN_SESSION + r"""
demo = env.ref("pos_loyalty.loyalty_program")
pen_reward = demo.reward_ids.filtered(lambda r: r.reward_type == "product")[:1]
pen = pen_reward.reward_product_id[:1]
next_order = env.ref("pos_loyalty.15_pc_on_next_order")
env.cr.commit()
RESULT = {
    "session_id": session.id, "pricelist_id": config.pricelist_id.id or False,
    "payment_method_id": method.id, "user_id": admin.id,
    "program_id": program.id, "reward_id": reward.id,
    "reward_product_id": reward.discount_line_product_id.id,
    "tax": [tax.id, tax.amount] if tax else None,
    "products": [[p.id, p.name, p.lst_price] for p in products],
    "taxed": [[p.id, p.name, p.lst_price] for p in taxed],
    "partners": partners.ids, "cards": cards.ids,
    "demo_program": {"id": demo.id, "active": demo.active, "rate": demo.rule_ids[:1].reward_point_amount,
                     "min_qty": demo.rule_ids[:1].minimum_qty},
    "pen": {"reward_id": pen_reward.id, "line_product_id": pen_reward.discount_line_product_id.id,
            "product_id": pen.id, "name": pen.name, "price": pen.lst_price,
            "tax_ids": pen.taxes_id.ids, "tax_rate": sum(pen.taxes_id.mapped("amount")),
            "cost": pen_reward.required_points} if pen else None,
    "next_order": {"id": next_order.id, "active": next_order.active,
                   "min_amount": next_order.rule_ids[:1].minimum_amount},
    "programs": [[p.id, p.name, p.program_type, p.active]
                 for p in env["loyalty.program"].with_context(active_test=False).search([])],
}
"""


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plan_orders(args) -> list[dict]:
    """The run's orders, independent of any database (indexes into the products, customers
    and earlier orders)."""
    rng = random.Random(args.seed)
    orders, sales_of, seen = [], defaultdict(list), set()
    for index in range(args.orders):
        partner = None if index % 7 == 6 else rng.randrange(args.partners)
        refundable = sales_of.get(partner, []) if partner is not None else []
        if index % args.refund_every == args.refund_every - 1 and refundable:
            sale = refundable.pop(rng.randrange(len(refundable)))
            count = len(orders[sale]["items"])
            # The first line refunded in full, a second one (when there is one) by one unit.
            refunded = [(0, orders[sale]["items"][0][2])]
            if count > 1 and orders[sale]["items"][1][2] > 1:
                refunded.append((1, 1))
            orders.append({"index": index, "partner": partner, "refund_of": sale,
                           "refunded": refunded, "tags": ["refund"]})
            continue
        items = [(rng.random() < 0.4, rng.randrange(len(PRICES)), rng.randint(1, 3))
                 for _ in range(rng.randint(1, args.lines))]
        spend = partner is not None and rng.random() < args.redeem_share
        # The client never discounts more than the order: at most half its amount without tax.
        cost = min(rng.randint(5, 20), sum(PRICES[p] * q for _t, p, q in items) // 2)
        # The demo program's free pen, for a customer whose demo card has points (an earlier sale).
        pen = partner in seen and rng.random() < args.pen_share
        orders.append({"index": index, "partner": partner, "items": items,
                       "cost": cost if spend else 0, "pen": pen, "tags": []})
        if partner is not None:
            sales_of[partner].append(index)
            seen.add(partner)
    resend = [o["index"] for o in orders
              if o["partner"] is not None and "refund" not in o["tags"]][-args.resend:] \
        if args.resend else []
    for index in resend:
        orders[index]["resend"] = True
    return orders


class Client:
    """pos_loyalty's client for one database: what it knows of the cards (its cache)."""

    def __init__(self, rpc: JsonRpcClient, setup: dict, addon: bool, tax_rate: Decimal,
                 start: datetime):
        self.rpc, self.setup, self.addon = rpc, setup, addon
        self.tax_rate = tax_rate
        self.start = start
        self.demo_cards: dict[int, int] = {}  # partner index -> demo program card id
        self.sale_lines: dict[int, list] = {}  # planned index -> [(line id, qty, price...)]
        self.order_ids: dict[int, int] = {}  # planned index -> pos.order id
        self.new_id = 0
        self.failures: list[str] = []

    def call(self, model, method, args):
        reply = self.rpc.call_kw(model, method, args)
        if not reply.ok:
            raise HarnessError(f"{model}.{method}: {reply.kind} {reply.error_name} "
                               f"{reply.error_message}")
        return reply.result

    def line(self, taxed: bool, product: int, qty: int):
        product_id, name, price = self.setup["taxed" if taxed else "products"][product]
        excl = Decimal(repr(price)) * qty
        incl = excl + (half_up(excl * self.tax_rate / 100) if taxed else 0)
        return product_id, name, price, excl, incl

    def send(self, spec: dict) -> None:
        index = spec["index"]
        uid = str(uuid.uuid5(UUID_NS, f"order-{index}"))
        stamp = (self.start + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S")
        partner_id = (self.setup["partners"][spec["partner"]]
                      if spec["partner"] is not None else False)
        lines, amount_incl, amount_excl = [], Decimal(0), Decimal(0)
        if "refund_of" in spec:
            sale_lines = self.sale_lines[spec["refund_of"]]
            for position, qty in spec["refunded"]:
                line_id, product_id, price, taxed = sale_lines[position]
                _pid, name, _price, excl, incl = self.line(taxed[0], taxed[1], qty)
                excl, incl = -excl, -incl
                lines.append({"product_id": product_id, "full_product_name": name, "qty": -qty,
                              "price_unit": price, "price_subtotal": float(excl),
                              "price_subtotal_incl": float(incl), "refunded_orderline_id": line_id,
                              "tax_ids": [[6, 0, [self.setup["tax"][0]] if taxed[0] else []]]})
                amount_incl += incl
                amount_excl += excl
        else:
            for taxed, product, qty in spec["items"]:
                product_id, name, price, excl, incl = self.line(taxed, product, qty)
                lines.append({"product_id": product_id, "full_product_name": name, "qty": qty,
                              "price_unit": price, "price_subtotal": float(excl),
                              "price_subtotal_incl": float(incl),
                              "tax_ids": [[6, 0, [self.setup["tax"][0]] if taxed else []]]})
                amount_incl += incl
                amount_excl += excl
        products_incl = amount_incl
        card = (self.setup["cards"][spec["partner"]] if spec["partner"] is not None else None)
        cost = spec.get("cost", 0)
        code = uuid.uuid5(UUID_NS, f"{uid}-code").hex[:10]
        pen = self.setup["pen"] if spec.get("pen") else None
        pen_card = self.demo_cards.get(spec["partner"]) if pen else None
        pen_incl, pen_code = Decimal(0), uuid.uuid5(UUID_NS, f"{uid}-pen").hex[:10]
        if pen_card:
            # The pen in the basket and the reward line giving it (`_getRewardLineValuesProduct`:
            # the reward's line product at minus the pen's price, with the pen's taxes).
            excl = Decimal(repr(pen["price"]))
            pen_incl = excl + half_up(excl * Decimal(repr(pen["tax_rate"])) / 100)
            taxes = [[6, 0, pen["tax_ids"]]]
            lines.append({"product_id": pen["product_id"], "full_product_name": pen["name"],
                          "qty": 1, "price_unit": pen["price"], "price_subtotal": float(excl),
                          "price_subtotal_incl": float(pen_incl), "tax_ids": taxes})
            lines.append({"product_id": pen["line_product_id"], "qty": 1,
                          "price_unit": -pen["price"], "price_subtotal": -float(excl),
                          "price_subtotal_incl": -float(pen_incl), "tax_ids": taxes,
                          "is_reward_line": True, "reward_id": pen["reward_id"],
                          "coupon_id": pen_card, "points_cost": pen["cost"],
                          "reward_identifier_code": pen_code})
        if cost:
            lines.append({"product_id": self.setup["reward_product_id"], "qty": 1,
                          "price_unit": -cost, "price_subtotal": -cost,
                          "price_subtotal_incl": -cost, "tax_ids": [[6, 0, []]],
                          "is_reward_line": True, "reward_id": self.setup["reward_id"],
                          "coupon_id": card, "points_cost": cost,
                          "reward_identifier_code": code})
            amount_incl -= cost
            amount_excl -= cost
        for n, vals in enumerate(lines):
            vals.update({"uuid": str(uuid.uuid5(UUID_NS, f"{uid}-{n}")), "discount": 0,
                         "pack_lot_ids": []})
        total = float(amount_incl)
        vals = {
            "uuid": uid, "name": f"Audit {index:05d}", "session_id": self.setup["session_id"],
            "user_id": self.setup["user_id"], "partner_id": partner_id,
            "pricelist_id": self.setup["pricelist_id"], "fiscal_position_id": False,
            "sequence_number": index + 1, "date_order": stamp, "state": "paid",
            "amount_tax": float(amount_incl - amount_excl), "amount_total": total,
            "amount_paid": total, "amount_return": 0.0, "to_invoice": False,
            "last_order_preparation_change": "{}",
            "lines": [[0, 0, v] for v in lines],
            "payment_ids": [[0, 0, {"amount": total,
                                    "payment_method_id": self.setup["payment_method_id"],
                                    "name": stamp}]],
        }
        answer = self.call("pos.order", "sync_from_ui", [[vals]])
        order_id = answer["pos.order"][0]["id"]
        self.order_ids[index] = order_id
        if "refund_of" in spec:
            return  # pos_loyalty's client earns nothing on refund lines: no coupon data
        stored = self.call("pos.order.line", "search_read",
                           [[["order_id", "=", order_id], ["is_reward_line", "=", False]],
                            ["id", "product_id", "price_unit"]])
        stored.sort(key=lambda r: r["id"])
        if pen_card:
            stored = [r for r in stored if r["product_id"][0] != pen["product_id"]]
        self.sale_lines[index] = [(r["id"], r["product_id"][0], r["price_unit"],
                                   (taxed, product))
                                  for r, (taxed, product, _q) in zip(stored, spec["items"], strict=True)]
        coupons, history = self.coupon_data(spec, card, cost, code, products_incl, amount_incl,
                                            (pen_incl, pen["cost"], pen_code) if pen_card else None)
        if not coupons:
            return
        for attempt in range(2 if spec.get("resend") else 1):
            payload = self.call("pos.order", "confirm_coupon_programs", [order_id, coupons])
            updates = [{"id": u["id"], "old_id": u["old_id"]}
                       for u in payload.get("coupon_updates", [])]
            if spec["partner"] is not None and not attempt:
                for update in payload.get("coupon_updates", []):
                    if update["program_id"] == self.setup["demo_program"]["id"]:
                        self.demo_cards[spec["partner"]] = update["id"]
            self.call("pos.order", "add_loyalty_history_lines", [[order_id], history, updates])

    def coupon_data(self, spec, card, cost, code, products_incl, amount_incl, pen):
        """(confirm_coupon_programs' coupon data, add_loyalty_history_lines' points) as
        payment_screen.js and pos_order.js compute them. `pen`: (the pen's price with tax, its
        points cost, its reward code) when the order takes the demo program's free pen: the
        bench program counts the pen and its reward line (another program's: they cancel),
        the demo program the pen (its own reward line is skipped), then takes the pen's points
        off (`_getPointsCorrection`)."""
        coupons, history = {}, []
        partner = spec["partner"]
        partner_id = self.setup["partners"][partner] if partner is not None else False
        qty = sum(q for _t, _p, q in spec["items"])
        if partner is not None:
            won = half_up(EARN_RATE * products_incl)
            coupons[str(card)] = {"points": float(won - cost), "program_id":
                                  self.setup["program_id"], "coupon_id": card,
                                  "barcode": False, "partner_id": partner_id}
            if cost:
                coupons[str(card)]["line_codes"] = [code]
            history.append({"card_id": card, "won": float(won), "spent": float(cost)})
            demo = self.setup["demo_program"]
            if demo["active"] and qty >= demo["min_qty"]:
                # Another program's discount line counts in this program's amount.
                pen_incl, pen_cost, pen_code = pen or (Decimal(0), 0, None)
                rate = Decimal(repr(demo["rate"]))
                # The free pen earns nothing: `_getPointsCorrection` takes its points off.
                won = half_up(rate * (amount_incl + pen_incl)) - half_up(rate * pen_incl)
                demo_card = self.demo_cards.get(partner)
                if demo_card is None:
                    self.new_id -= 1
                    demo_card = self.new_id
                coupons[str(demo_card)] = {"points": float(won) - pen_cost,
                                           "program_id": demo["id"], "coupon_id": demo_card,
                                           "barcode": False, "partner_id": partner_id}
                if pen_code:
                    coupons[str(demo_card)]["line_codes"] = [pen_code]
                history.append({"card_id": demo_card, "won": float(won),
                                "spent": float(pen_cost)})
        nxt = self.setup["next_order"]
        if nxt["active"] and amount_incl >= Decimal(repr(nxt["min_amount"])):
            self.new_id -= 1
            coupons[str(self.new_id)] = {"points": 1.0, "program_id": nxt["id"],
                                         "coupon_id": self.new_id, "barcode": False,
                                         "partner_id": partner_id}
        return coupons, history


def run_audit(python: str, harness: OdooHarness, name: str) -> tuple[dict, float, int, str]:
    target = f"{name}_engine"
    harness.pg.psql("postgres", f'CREATE DATABASE "{target}" OWNER odoo')
    start = time.monotonic()
    proc = subprocess.run([python, "-m", "aba_loyalty_core.etl", "audit",
                           "--source", harness.pg.dsn(name), "--target", harness.pg.dsn(target)],
                          capture_output=True, text=True, timeout=900, check=False)
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 3):
        raise HarnessError(f"audit of {name} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return json.loads(proc.stdout), seconds, proc.returncode, proc.stderr


def describe(report: dict, seconds: float, status: int, mode: str, plan: list,
             client: Client) -> None:
    tags = {}
    for spec in plan:
        order_id = client.order_ids.get(spec["index"])
        what = list(spec["tags"])
        if "refund_of" in spec:
            what.append(f"of pos.order {client.order_ids[spec['refund_of']]}")
        if spec.get("cost"):
            what.append(f"spends {spec['cost']} bench points")
        if spec.get("pen"):
            what.append("takes the demo program's free pen")
        if spec.get("resend"):
            what.append("confirm + history sent twice")
        if spec.get("items") and any(t for t, _p, _q in spec["items"]):
            what.append("taxed lines")
        if spec["partner"] is None:
            what.append("no customer")
        tags[order_id] = ", ".join(what) or "plain sale"
    print(f"\n== {mode}: audit exit status {status}, {seconds:.2f} s wall "
          f"({report['duration_ms'] / 1000:.2f} s in the audit, points basis from "
          f"{report['points_basis_from']})")
    for p in report["programs_audited"]:
        extra = (f", rewards not mapped {p['rewards_not_mapped']}"
                 if p.get("rewards_not_mapped") else "")
        print(f"  audited      {p['id']:3d} {p['name']!r} ({p['program_type']}, on prices "
              f"{'with' if p['points_on_tax_included'] else 'without'} tax{extra})")
    for p in report["programs_not_audited"]:
        print(f"  not audited  {p['id']:3d} {p['name']!r} ({p['program_type']}): {p['reason']}")
    print(f"  orders paid {report['orders_paid']}, audited (card, order) "
          f"{report['orders_audited']}, without an audited card "
          f"{report['orders_without_card']}, not evaluable {report['orders_not_evaluable']}, "
          f"redemptions as recorded {report['redemptions_as_recorded']}")
    for example in report["not_evaluable_examples"]:
        print(f"    not evaluable: {example}")
    print(f"  cards audited {report['cards_audited']}, with a difference "
          f"{report['cards_with_difference']}; points Odoo {report['points_total_odoo']}, "
          f"replayed {report['points_total_replayed']}")
    by_kind = {k: v for k, v in report["findings_by_kind"].items() if v}
    print(f"  findings {report['findings_count']}: {by_kind or 'none'}")
    for f in report["findings"]:
        print(f"    {f['kind']:20s} card {f['card_id']:4d} order {f['order_id']} odoo "
              f"{f['odoo']} engine {f['engine']}  [{tags.get(f['order_id'], '-')}]")
    for c in report["cards"]:
        print(f"    card {c['card_id']:4d} program {c['program_id']}: odoo {c['odoo_balance']} "
              f"replayed {c['replayed_balance']} difference {c['difference']} "
              f"unexplained {c['unexplained']}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("odoo_path", help="Odoo 18.0 source tree (odoo-bin, addons/)")
    parser.add_argument("odoo_python", help="interpreter with Odoo's requirements")
    parser.add_argument("--orders", type=int, default=240)
    parser.add_argument("--lines", type=int, default=4, help="most product lines per sale")
    parser.add_argument("--partners", type=int, default=12)
    parser.add_argument("--redeem-share", type=float, default=0.25)
    parser.add_argument("--refund-every", type=int, default=8)
    parser.add_argument("--pen-share", type=float, default=0.15,
                        help="share of a returning customer's sales taking the demo's free pen")
    parser.add_argument("--resend", type=int, default=6,
                        help="stock orders whose confirm and history calls are sent twice")
    parser.add_argument("--start-points", type=float, default=500)
    parser.add_argument("--modes", default="stock,addon")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=float, default=3600)
    parser.add_argument("--cache", metavar="DIR", help="reuse installed databases dumped there")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument("--json", metavar="DIR", help="also write each report there")
    parser.add_argument("--save", metavar="DIR",
                        help="also pg_dump each database there once its orders are in")
    args = parser.parse_args(argv)
    args.modes = [m for m in DBS if m in args.modes.split(",")]
    if not args.modes or min(args.orders, args.lines, args.partners, args.refund_every) < 1:
        parser.error("no mode, or a count below 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    plan = plan_orders(args)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=args.orders + 5)
    try:
        with OdooHarness(args.odoo_path, args.odoo_python, budget=args.budget,
                         keep=args.keep) as harness:
            log(f"audit_odoo_demo: work folder {harness.workdir}")
            harness.start_postgres()
            setups, names = {}, {m: f"aba_audit_{m}" for m in args.modes}
            for mode in args.modes:
                took = harness.install(names[mode], DBS[mode], cache_dir=args.cache)
                log(f"audit_odoo_demo: {mode} database ready in {took:.0f} s")
                setups[mode] = harness.shell_json(names[mode], SETUP, {
                    "earn_rate": float(EARN_RATE), "prices": list(PRICES),
                    "partners": args.partners, "start_points": args.start_points,
                    "addon": mode == "addon"})
            server = harness.serve(",".join(names.values()), workers=args.workers, extra_args=[
                f"--db-filter=^({'|'.join(names.values())})$"])
            clients = {}
            for mode in args.modes:
                rpc = JsonRpcClient(server.host, server.port)
                rpc.authenticate(names[mode], "admin", "admin")
                tax = setups[mode]["tax"]
                clients[mode] = Client(rpc, setups[mode], mode == "addon",
                                       Decimal(repr(tax[1])) if tax else Decimal(0), start)
            sent = time.monotonic()
            for spec in plan:
                for mode in args.modes:
                    if mode != "stock":
                        spec = {k: v for k, v in spec.items() if k != "resend"}
                    clients[mode].send(spec)
            log(f"audit_odoo_demo: {len(plan)} orders sent to each database in "
                f"{time.monotonic() - sent:.0f} s")
            server.stop()
            if args.save:
                Path(args.save).mkdir(parents=True, exist_ok=True)
                for name in names.values():
                    subprocess.run([pg_bin("pg_dump"), "-Fc", "-f", f"{args.save}/{name}.dump",
                                    harness.pg.dsn(name)], check=True, timeout=600)
            counts = Counter("refund" if "refund_of" in s else "sale with a customer"
                             if s["partner"] is not None else "sale without one" for s in plan)
            print(f"orders per database: {dict(counts)}; spending bench points "
                  f"{sum(1 for s in plan if s.get('cost'))}; taking the free pen "
                  f"{sum(1 for s in plan if s.get('pen'))}; re-sent in stock "
                  f"{sum(1 for s in plan if s.get('resend'))}; tax "
                  f"{setups[args.modes[0]]['tax']}")
            for mode in args.modes:
                print(f"{mode}: programs {setups[mode]['programs']}")
                report, seconds, status, _err = run_audit(sys.executable, harness, names[mode])
                if args.json:
                    Path(args.json).mkdir(parents=True, exist_ok=True)
                    Path(args.json, f"{mode}.json").write_text(json.dumps(report, indent=1))
                describe(report, seconds, status, mode, plan, clients[mode])
            return 0
    except (HarnessError, BudgetExceeded) as exc:
        log(f"audit_odoo_demo: setup or run failed: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
