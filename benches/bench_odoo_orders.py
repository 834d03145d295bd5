"""What a till waits for: the same POS orders through a real Odoo 18, stock and with the addon.

Why: the engine's own figures (tens of µs per order) say nothing about a POS order's time in
Odoo, where the addon adds its ORM work (cards, plan, ledger posting) around the engine call.
This bench sends the same orders, as pos_loyalty's client sends them, to four databases served
by one multi-worker Odoo, and prints per-order latency side by side:

    stock   point_of_sale + pos_loyalty, without asd_aba_loyalty (its own database)
    off     asd_aba_loyalty, engine flag off: the legacy (pure Python) engine
    on      asd_aba_loyalty, engine flag on: the native engine, rollout 100 %
    shadow  asd_aba_loyalty in shadow mode: legacy result used, native computed and compared

    python benches/bench_odoo_orders.py ODOO_PATH ODOO_PYTHON [--orders 300] [--lines 5] \\
        [--batch 10] [--clients 4] [--workers 4] [--cache DIR] [--profile on,off --profile-orders 60]

Setup: its own PostgreSQL (scripts/pg.sh); a demo database with point_of_sale and pos_loyalty
(stock) and one with asd_aba_loyalty too, copied three times (off, on, shadow: the flags set
in each copy). In every database the same setup: the demo programs archived, one loyalty
program the addon manages (0.1 point per currency unit, a per-point discount reward),
tax-free products, --partners customers each holding a card, an open POS session.

Orders: --orders orders generated once from --seed (--lines lines each, a customer with a card,
--redeem-share of them spending points through a reward line), each sent as the POS client
does: `pos.order.sync_from_ui([order])` then `pos.order.confirm_coupon_programs` (the client's
coupon data); an order's time is the two calls' time as the client sees it. Two phases, the
same orders in each (new uuids): `seq`, one client; `par`, --clients clients at once (Odoo
runs --workers workers). The modes are interleaved: batches of --batch orders, round robin over
the four databases (the order of the modes rotating from batch to batch), so that the load of
this shared machine falls on every mode alike; the load average is printed per phase.

The engine's share: the addon logs each engine call's duration (logger
`odoo.addons.asd_aba_loyalty.models.engine_reports.timing` at DEBUG, enabled for this server
only), summed per database and phase and divided by the orders' time.

--profile MODES: afterwards, --profile-orders more orders through `odoo-bin shell` on each named
database, under cProfile (sync_from_ui + confirm_coupon_programs + commit, as a request does),
and the top entries by own and cumulative time printed, then the addon's own functions.

Exit status 1 when a call failed or the addon databases' cards end with different points (the
three engines' paths must agree); 2 when the setup failed.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import re
import shutil
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from odoo_harness import (
    BENCH_LOYALTY_PROGRAM,
    OPEN_SESSION,
    SETUP_PREAMBLE,
    BudgetExceeded,
    HarnessError,
    JsonRpcClient,
    OdooHarness,
    log,
    percentile,
)

MODES = ("stock", "off", "on", "shadow")
ADDON_MODES = ("off", "on", "shadow")
DB_PREFIX = "aba_orders"
# (use_rust_engine, shadow_mode) per addon mode.
FLAGS = {"off": (False, False), "on": (True, False), "shadow": (False, True)}
EARN_RATE = Decimal("0.1")  # points per currency unit (the program's money rule)
PRICES = (3, 5, 8, 12, 15, 20, 25, 40)  # tax-free products: amounts and points are exact
TIMING_LOGGER = "odoo.addons.asd_aba_loyalty.models.engine_reports.timing"
TIMING_LINE = re.compile(
    r" DEBUG (\S+) " + re.escape(TIMING_LOGGER) + r": engine call ([0-9.]+) s")
UUID_NS = uuid.UUID("8a6b1f2e-0c61-4d0e-9c2b-6f1f5e0b9a11")


def db_name(mode: str) -> str:
    return f"{DB_PREFIX}_{mode}"


SETUP = SETUP_PREAMBLE + BENCH_LOYALTY_PROGRAM + r"""
partners = env["res.partner"].create([{"name": f"Bench customer {n}"}
                                      for n in range(P["partners"])])
cards = env["loyalty.card"].create([{"program_id": program.id, "partner_id": p.id,
                                     "points": P["start_points"]} for p in partners])
""" + OPEN_SESSION + r"""
env.cr.commit()
RESULT = {
    "config_id": config.id, "session_id": session.id, "session_state": session.state,
    "pricelist_id": config.pricelist_id.id or False, "payment_method_id": method.id,
    "user_id": admin.id, "program_id": program.id, "reward_id": reward.id,
    "reward_product_id": reward.discount_line_product_id.id,
    "products": [[p.id, p.name, p.lst_price] for p in products],
    "partners": partners.ids, "cards": cards.ids,
}
"""

PROFILE = r"""
import cProfile, io, pstats, time
P = PARAMS
env = env(user=env.ref("base.user_admin"))
Order = env["pos.order"]
profiler = cProfile.Profile()
start = time.perf_counter()
for item in P["orders"]:
    profiler.enable()
    answer = Order.sync_from_ui([item["vals"]])
    order_id = answer["pos.order"][0]["id"]
    Order.browse(order_id).confirm_coupon_programs(item["coupons"])
    env.cr.commit()  # the request's commit, and the addon's post-commit ledger posting
    profiler.disable()
elapsed = time.perf_counter() - start
if P["dump"]:
    profiler.dump_stats(P["dump"])
text = {}
for key in ("tottime", "cumulative"):
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(P["top"])
    text[key] = out.getvalue()
# The addon's own functions (their time includes the ORM and SQL work they cause).
out = io.StringIO()
pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats("asd_aba_loyalty", P["top"])
text["addon"] = out.getvalue().replace(P["addons"], "")
RESULT = {"seconds": elapsed, "orders": len(P["orders"]), "text": text}
"""


# -- orders ------------------------------------------------------------------------------------


def plan_orders(count: int, lines: int, partners: int, redeem_share: float, seed: int) -> list:
    """The run's orders, independent of any database: product and customer indexes, quantities,
    the points a reward line spends (0: none)."""
    rng = random.Random(seed)
    orders = []
    for index in range(count):
        items = [(rng.randrange(len(PRICES)), rng.randint(1, 3)) for _ in range(lines)]
        base = sum(Decimal(PRICES[p]) * qty for p, qty in items)
        cost = rng.randint(10, 40) if rng.random() < redeem_share else 0
        cost = cost if cost <= base / 2 else 0  # the discount never hits the amount's cap
        orders.append({"index": index, "items": items, "partner": index % partners,
                       "base": base, "cost": cost})
    return orders


def order_payload(setup: dict, spec: dict, phase: str, stamp: str) -> dict:
    """(sync_from_ui vals, confirm_coupon_programs coupon data) of one planned order in one
    database, as pos_loyalty's client sends them."""
    uid = str(uuid.uuid5(UUID_NS, f"{phase}-{spec['index']}"))
    line_vals = []
    for n, (product, qty) in enumerate(spec["items"]):
        product_id, name, price = setup["products"][product]
        amount = float(Decimal(repr(price)) * qty)
        line_vals.append([0, 0, {
            "uuid": str(uuid.uuid5(UUID_NS, f"{uid}-{n}")), "product_id": product_id,
            "full_product_name": name, "qty": qty, "price_unit": price, "discount": 0,
            "price_subtotal": amount, "price_subtotal_incl": amount, "tax_ids": [[6, 0, []]],
            "pack_lot_ids": [],
        }])
    card = setup["cards"][spec["partner"]]
    cost = spec["cost"]
    if cost:
        line_vals.append([0, 0, {
            "uuid": str(uuid.uuid5(UUID_NS, f"{uid}-reward")),
            "product_id": setup["reward_product_id"], "qty": 1, "price_unit": -cost,
            "discount": 0, "price_subtotal": -cost, "price_subtotal_incl": -cost,
            "tax_ids": [[6, 0, []]], "pack_lot_ids": [], "is_reward_line": True,
            "reward_id": setup["reward_id"], "coupon_id": card, "points_cost": cost,
            "reward_identifier_code": uuid.uuid5(UUID_NS, f"{uid}-code").hex[:10],
        }])
    total = float(spec["base"] - cost)
    seq = spec["index"] + (0 if phase == "seq" else 100000 if phase == "par" else 200000)
    vals = {
        "uuid": uid, "name": f"Bench {phase} {spec['index']:05d}",
        "session_id": setup["session_id"], "user_id": setup["user_id"],
        "partner_id": setup["partners"][spec["partner"]], "pricelist_id": setup["pricelist_id"],
        "fiscal_position_id": False, "sequence_number": seq, "date_order": stamp,
        "state": "paid", "amount_tax": 0.0, "amount_total": total, "amount_paid": total,
        "amount_return": 0.0, "to_invoice": False, "last_order_preparation_change": "{}",
        "lines": line_vals,
        "payment_ids": [[0, 0, {"amount": total, "payment_method_id": setup["payment_method_id"],
                                "name": stamp}]],
    }
    won = (spec["base"] * EARN_RATE).quantize(Decimal("0.01"))
    coupons = {str(card): {"points": float(won - cost), "program_id": setup["program_id"],
                           "coupon_id": card, "barcode": False,
                           "partner_id": setup["partners"][spec["partner"]]}}
    if cost:
        coupons[str(card)]["line_codes"] = [line_vals[-1][2]["reward_identifier_code"]]
    return {"vals": vals, "coupons": coupons}


# -- run ---------------------------------------------------------------------------------------


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)  # (phase, mode) -> [seconds per order]
        self.failures = defaultdict(list)  # (phase, mode) -> [messages]

    def add(self, phase, mode, seconds=None, failure=None):
        with self.lock:
            if failure is None:
                self.latency[(phase, mode)].append(seconds)
            else:
                self.failures[(phase, mode)].append(failure)


def send_order(client: JsonRpcClient, payload: dict) -> tuple[float, str | None]:
    """One order as the POS sends it: (seconds of the two calls, failure or None)."""
    sync = client.call_kw("pos.order", "sync_from_ui", [[payload["vals"]]])
    if not sync.ok:
        return sync.seconds, f"sync_from_ui: {sync.kind} {sync.error_name} {sync.error_message}"
    stored = (sync.result or {}).get("pos.order") or []
    if not stored:
        return sync.seconds, "sync_from_ui answered no order"
    confirm = client.call_kw("pos.order", "confirm_coupon_programs",
                             [stored[0]["id"], payload["coupons"]])
    seconds = sync.seconds + confirm.seconds
    if not confirm.ok:
        return seconds, (f"confirm_coupon_programs: {confirm.kind} {confirm.error_name} "
                         f"{confirm.error_message}")
    return seconds, None


def run_batch(results: Results, phase: str, mode: str, clients: list, payloads: list) -> None:
    """`payloads` through `clients` of `mode` (one thread per client, taking orders from one
    queue), waited for."""
    todo = queue.SimpleQueue()
    for payload in payloads:
        todo.put(payload)

    def worker(client):
        while True:
            try:
                payload = todo.get_nowait()
            except queue.Empty:
                return
            seconds, failure = send_order(client, payload)
            results.add(phase, mode, seconds, failure)

    if len(clients) == 1:
        worker(clients[0])
        return
    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_phase(results: Results, phase: str, modes, clients: dict, payloads: dict,
              batch: int) -> dict:
    """Every mode's orders of `phase`, in batches round robin over the modes; returns the
    phase's conditions."""
    load_start = os.getloadavg()
    start = time.monotonic()
    count = len(next(iter(payloads.values())))
    for number, first in enumerate(range(0, count, batch)):
        shift = number % len(modes)
        for mode in modes[shift:] + modes[:shift]:
            run_batch(results, phase, mode, clients[mode], payloads[mode][first:first + batch])
    return {"seconds": time.monotonic() - start, "load_start": load_start,
            "load_end": os.getloadavg()}


def engine_seconds(log_path: Path, start: int, end: int) -> dict:
    """{database: [engine call seconds]} from the server log's bytes [start, end)."""
    found = defaultdict(list)
    with open(log_path, "rb") as handle:
        handle.seek(start)
        text = handle.read(end - start).decode(errors="replace")
    for match in TIMING_LINE.finditer(text):
        found[match.group(1)].append(float(match.group(2)))
    return found


def card_points(harness: OdooHarness, mode: str, cards: list) -> Decimal:
    rows = harness.pg.psql(db_name(mode), "SELECT coalesce(sum(points), 0) FROM loyalty_card "
                           f"WHERE id IN ({','.join(str(int(c)) for c in cards)})")
    return Decimal(rows[0][0]).quantize(Decimal("0.000001"))


# -- setup -------------------------------------------------------------------------------------


def prepare(harness: OdooHarness, args, modes) -> dict:
    """The databases of `modes` with the bench's setup; {mode: setup ids}."""
    setups = {}
    params = {"earn_rate": float(EARN_RATE), "prices": list(PRICES),
              "partners": args.partners, "start_points": args.start_points}
    base = ["point_of_sale", "pos_loyalty"]
    if "stock" in modes:
        took = harness.install(db_name("stock"), base, cache_dir=args.cache)
        log(f"bench: stock database ready in {took:.0f} s")
        setups["stock"] = harness.shell_json(db_name("stock"), SETUP, params)
    addon = [m for m in modes if m in ADDON_MODES]
    if addon:
        template = f"{DB_PREFIX}_addon"
        took = harness.install(template, [*base, "asd_aba_loyalty"], cache_dir=args.cache)
        log(f"bench: addon database ready in {took:.0f} s")
        setup = harness.shell_json(template, SETUP, params)
        for mode in addon:
            harness.pg.psql("postgres", f'CREATE DATABASE "{db_name(mode)}" TEMPLATE '
                            f'"{template}" OWNER odoo')
            files = harness.workdir / "data" / "filestore"
            if (files / template).is_dir():
                shutil.copytree(files / template, files / db_name(mode))
            use_rust, shadow = FLAGS[mode]
            harness.pg.psql(db_name(mode), f"""
                INSERT INTO ir_config_parameter (key, value, create_date, write_date)
                VALUES ('asd_aba_loyalty.use_rust_engine', '{use_rust}', now(), now()),
                       ('asd_aba_loyalty.shadow_mode', '{shadow}', now(), now())
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
                UPDATE pos_config SET rust_engine_rollout_percentage = 100;
            """)
            flags = harness.pg.psql(db_name(mode), """
                SELECT key, value FROM ir_config_parameter
                 WHERE key IN ('asd_aba_loyalty.use_rust_engine', 'asd_aba_loyalty.shadow_mode')
                 ORDER BY key""")
            if [v for _k, v in flags] != [str(shadow), str(use_rust)]:
                raise HarnessError(f"mode {mode}: flags not set: {flags}")
            setups[mode] = setup
    return setups


# -- report ------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def report(results: Results, phase: str, cond: dict, engine: dict, modes, args) -> int:
    """Print `phase`'s table; returns its failed orders."""
    failed = 0
    clients = 1 if phase == "seq" else args.clients
    print(f"\n== phase {phase}: {clients} client(s) per mode, Odoo {args.workers} workers, "
          f"{args.orders} orders per mode in batches of {args.batch} round robin; "
          f"{cond['seconds']:.0f} s; load average {cond['load_start'][0]:.2f} at the start, "
          f"{cond['load_end'][0]:.2f} at the end ({os.cpu_count()} cores)")
    print(f"{'mode':8s} {'orders':>6s} {'p50 ms':>8s} {'p99 ms':>8s} {'mean ms':>8s} "
          f"{'p50/stock':>10s} {'mean/stock':>11s} {'engine ms/order':>16s} "
          f"{'engine share':>13s} {'failed':>7s}")
    stock = results.latency.get((phase, "stock")) or []
    stock_p50 = percentile(stock, 50) if stock else float("nan")
    stock_mean = sum(stock) / len(stock) if stock else float("nan")
    for mode in modes:
        values = results.latency.get((phase, mode)) or []
        failures = results.failures.get((phase, mode)) or []
        failed += len(failures)
        if not values:
            print(f"{mode:8s} {0:6d}  (no order answered; {len(failures)} failed)")
            continue
        total = sum(values)
        mean = total / len(values)
        calls = engine.get(db_name(mode), [])
        engine_total = sum(calls)
        share = (f"{100 * engine_total / total:12.2f}%" if mode != "stock"
                 else f"{'-':>13s}")
        per_order = (f"{1000 * engine_total / len(values):16.3f}" if mode != "stock"
                     else f"{'-':>16s}")
        print(f"{mode:8s} {len(values):6d} {ms(percentile(values, 50)):>8s} "
              f"{ms(percentile(values, 99)):>8s} {ms(mean):>8s} "
              f"{percentile(values, 50) / stock_p50:9.3f}x {mean / stock_mean:10.3f}x "
              f"{per_order} {share} {len(failures):7d}")
    for mode in modes:
        for message in (results.failures.get((phase, mode)) or [])[:3]:
            print(f"  failure ({mode}): {message[:300]}")
    return failed


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("odoo_path", help="Odoo 18.0 source tree (odoo-bin, addons/)")
    parser.add_argument("odoo_python", help="interpreter with Odoo's requirements")
    parser.add_argument("--orders", type=int, default=300, help="orders per mode and phase")
    parser.add_argument("--lines", type=int, default=5, help="product lines per order")
    parser.add_argument("--partners", type=int, default=20, help="customers, one card each")
    parser.add_argument("--redeem-share", type=float, default=0.3,
                        help="share of orders spending points through a reward line")
    parser.add_argument("--start-points", type=float, default=100000,
                        help="every card's points at the start (enough for every reward)")
    parser.add_argument("--batch", type=int, default=10,
                        help="orders sent to one mode before the next mode's turn")
    parser.add_argument("--clients", type=int, default=4, help="clients of the `par` phase")
    parser.add_argument("--workers", type=int, default=4, help="Odoo HTTP workers")
    parser.add_argument("--phases", default="seq,par", help="seq, par or both (default)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"a subset of {','.join(MODES)} (default: all)")
    parser.add_argument("--profile", default="", metavar="MODES",
                        help="modes to profile afterwards through odoo-bin shell and cProfile")
    parser.add_argument("--profile-orders", type=int, default=60)
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument("--profile-dump", metavar="DIR",
                        help="also write each profile there (MODE.pstats, for pstats/snakeviz)")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--budget", type=float, default=5400,
                        help="seconds before everything is stopped, whatever the stage")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument("--addons-dir", metavar="DIR",
                        help="the folder holding asd_aba_loyalty (default: this checkout's)")
    parser.add_argument("--cache", metavar="DIR",
                        help="reuse installed databases dumped in DIR by an earlier run")
    args = parser.parse_args(argv)
    args.modes = tuple(m for m in MODES if m in args.modes.split(","))
    args.phases = tuple(p for p in ("seq", "par") if p in args.phases.split(","))
    args.profile = tuple(m for m in MODES if m in args.profile.split(","))
    if not args.modes or (not args.phases and not args.profile):
        parser.error("no mode, or neither a phase nor a profile, selected")
    if min(args.orders, args.lines, args.partners, args.batch, args.clients,
           args.workers) < 1:
        parser.error("counts must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    modes = args.modes
    plan = plan_orders(args.orders, args.lines, args.partners, args.redeem_share, args.seed)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    try:
        with OdooHarness(args.odoo_path, args.odoo_python, budget=args.budget,
                         keep=args.keep, addons_dir=args.addons_dir) as harness:
            log(f"bench: work folder {harness.workdir}; addons {harness.addons_dir}")
            harness.start_postgres()
            setups = prepare(harness, args, tuple(dict.fromkeys(modes + args.profile)))
            failed, mismatch = 0, False
            if args.phases:
                dbs = ",".join(db_name(m) for m in modes)
                server = harness.serve(dbs, workers=args.workers, extra_args=[
                    f"--db-filter=^{DB_PREFIX}_({'|'.join(modes)})$",
                    f"--log-handler={TIMING_LOGGER}:DEBUG"])
                clients = {}
                for mode in modes:
                    clients[mode] = []
                    for _ in range(max(args.clients, 1)):
                        client = JsonRpcClient(server.host, server.port)
                        client.authenticate(db_name(mode), "admin", "admin")
                        clients[mode].append(client)
                # Warm-up: each worker loads each database's registry and caches before the
                # timed orders (one order per client, not counted).
                warm = plan_orders(args.clients, args.lines, args.partners, 1.0, args.seed + 1)
                for mode in modes:
                    run_batch(Results(), "warm", mode, clients[mode],
                              [order_payload(setups[mode], spec, "warm", stamp)
                               for spec in warm])
                results, conditions, engine = Results(), {}, {}
                for phase in args.phases:
                    payloads = {m: [order_payload(setups[m], spec, phase, stamp)
                                    for spec in plan] for m in modes}
                    used = clients if phase == "par" else {m: c[:1] for m, c in clients.items()}
                    mark = server.log_path.stat().st_size
                    log(f"bench: phase {phase}: {len(plan)} orders per mode")
                    conditions[phase] = run_phase(results, phase, modes, used, payloads,
                                                  args.batch)
                    time.sleep(1.0)  # the workers' last log lines written
                    engine[phase] = engine_seconds(server.log_path, mark,
                                                   server.log_path.stat().st_size)
                    # Printed as soon as the phase ends (a long run still shows its first).
                    failed += report(results, phase, conditions[phase], engine[phase], modes,
                                     args)
                    sys.stdout.flush()
                server.stop()
                for client_list in clients.values():
                    for client in client_list:
                        client.close()
                addon = [m for m in modes if m in ADDON_MODES]
                points = {m: card_points(harness, m, setups[m]["cards"]) for m in modes}
                print("\ncards' points at the end (sum over the bench's cards): " +
                      ", ".join(f"{m} {points[m]}" for m in modes))
                mismatch = len({points[m] for m in addon}) > 1
                if mismatch:
                    print("MISMATCH: the addon's modes end with different points")
            for mode in args.profile:
                specs = plan_orders(args.profile_orders, args.lines, args.partners,
                                    args.redeem_share, args.seed + 2)
                orders = [order_payload(setups[mode], spec, "prof", stamp) for spec in specs]
                log(f"bench: profiling {len(orders)} orders on {mode}")
                found = harness.shell_json(db_name(mode), PROFILE,
                                           {"orders": orders, "top": args.profile_top,
                                            "addons": str(harness.addons_dir) + "/",
                                            "dump": (f"{args.profile_dump}/{mode}.pstats"
                                                     if args.profile_dump else "")},
                                           timeout=1800)
                print(f"\n== profile, mode {mode}: {found['orders']} orders in "
                      f"{found['seconds']:.1f} s through odoo-bin shell "
                      f"({1000 * found['seconds'] / found['orders']:.1f} ms per order, "
                      "profiler on)")
                for key in ("tottime", "cumulative", "addon"):
                    print(f"-- top {args.profile_top} by {key}" if key != "addon" else
                          f"-- the addon's functions, top {args.profile_top} by cumulative")
                    body = found["text"][key]
                    print(body[body.find("   ncalls"):].rstrip())
            print(f"\nRESULT: {'FAIL' if failed or mismatch else 'OK'} ({failed} failed "
                  f"orders{', points differ between addon modes' if mismatch else ''})")
            return 1 if failed or mismatch else 0
    except (HarnessError, BudgetExceeded) as exc:
        log(f"bench: setup or run failed: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
