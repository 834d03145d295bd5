"""Engine configs and orders for tests, benches and the demo.

Two levels: primitives that spell every id (``reward``, ``promo``, ``loyalty``, ``engine_config``,
``line``, ``order``), and the typical documents of the README (``TIERS``, ``aba_points``,
``typical_config``, ``typical_line``, ``typical_order``): IDR with rounding 1, points precision 2,
tiers basic x1 and gold x1.5, the "ABA Points" loyalty program (1 point per 10,000) with a fixed,
a per-point and a cheapest-item reward, and a gold member's order with a card of 100 points.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal

IDR = {"code": "IDR", "rounding": "1"}
#: The tiers of the README and the worked examples.
TIERS = [
    {"code": "basic", "rank": 0, "multiplier": "1", "min_spend": "0"},
    {"code": "gold", "rank": 2, "multiplier": "1.5", "min_spend": "5000000"},
]
#: The default order date of the primitive ``order``.
WHEN = datetime(2025, 6, 10, 12, 0, tzinfo=timezone.utc)


# -- primitives ------------------------------------------------------------------------------------

def reward(rid: int, mode: str, value, applicability: str = "order", **extra) -> dict:
    return {"id": rid, "type": "discount", "mode": mode, "value": value,
            "applicability": applicability, **extra}


def percent(rid: int, value, applicability: str = "order", **extra) -> dict:
    return reward(rid, "percent", value, applicability, **extra)


def promo(pid: int, sequence: int, *rewards: dict, rules=(), **extra) -> dict:
    return {"id": pid, "name": f"P{pid}", "kind": "promotion", "sequence": sequence,
            "rules": list(rules), "rewards": list(rewards), **extra}


def loyalty(pid: int, sequence: int, rules=(), rewards=(), **extra) -> dict:
    return {"id": pid, "name": f"L{pid}", "kind": "loyalty", "sequence": sequence,
            "rules": list(rules), "rewards": list(rewards), **extra}


def engine_config(*programs: dict, rounding="1", tiers=None, precision: int = 2,
                  **extra) -> dict:
    """A config of these programs in IDR (`rounding`), without tiers unless given."""
    out = {"currency": {"code": "IDR", "rounding": rounding}, "points_precision": precision,
           "programs": list(programs), **extra}
    if tiers is not None:
        out["tiers"] = tiers
    return out


def line(lid, product: int, qty, price, **extra) -> dict:
    return {"id": lid, "product_id": product, "qty": qty, "price_unit": price, **extra}


def order(*lines: dict, **extra) -> dict:
    """A bare order: uid "u1" at WHEN, no partner, no card."""
    return {"uid": "u1", "date_order": WHEN, "lines": list(lines), **extra}


#: One tier, gold x2 from 0: a member's points are doubled.
GOLD = [{"code": "gold", "rank": 1, "multiplier": "2", "min_spend": "0"}]


def snapshot(partner: int = 9, tier: str | None = "gold", start: datetime = WHEN - timedelta(days=1),
             end: datetime = WHEN + timedelta(days=1)) -> dict:
    """A membership snapshot valid from a day before WHEN to a day after it."""
    return {"partner_id": partner, "tier": tier, "evaluated_at": start, "valid_until": end}


def with_change(document: dict, path: tuple, value=None, *, delete: bool = False) -> dict:
    """A deep copy of `document` with the value at `path` replaced (or deleted)."""
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


# -- the typical documents -------------------------------------------------------------------------

def aba_points(**extra) -> dict:
    """Loyalty program 10, "ABA Points": 1 point per 10,000 (money rule 100); rewards 101 (fixed
    10,000 for 50 points), 102 (100 per point, at most 5,000) and 103 (50 % off the cheapest
    item for 20 points)."""
    program = {
        "id": 10, "name": "ABA Points", "kind": "loyalty", "sequence": 10,
        "rules": [{"id": 100, "mode": "money", "amount": "0.0001"}],
        "rewards": [
            reward(101, "fixed", "10000", required_points="50"),
            reward(102, "per_point", "100", required_points="1", max_amount="5000"),
            reward(103, "percent", "50", "cheapest", required_points="20"),
        ],
    }
    program.update(extra)
    return program


def typical_config(*programs: dict, tiers: bool = True, **extra) -> dict:
    """IDR, points precision 2, TIERS plus "gold-bis" (rank 2 like gold, listed after it),
    memberships valid 30 days; programs: ABA Points unless given."""
    config = {
        "currency": dict(IDR),
        "points_precision": 2,
        "tiers": [*copy.deepcopy(TIERS),
                  {"code": "gold-bis", "rank": 2, "multiplier": "2", "min_spend": "5000000"}]
        if tiers else [],
        "membership": {"validity_days": 30},
        "programs": list(programs) or [aba_points()],
    }
    config.update(extra)
    return config


def typical_line(lid=1, qty=1, price=Decimal(100000), **extra) -> dict:
    item = {"id": lid, "product_id": 1, "category_ids": [1], "qty": qty, "price_unit": price}
    item.update(extra)
    return item


def gold_membership(partner_id: int = 7) -> dict:
    return {"partner_id": partner_id, "tier": "gold", "evaluated_at": datetime(2024, 5, 1),
            "valid_until": datetime(2024, 5, 31)}


def typical_order(*lines: dict, **extra) -> dict:
    """Order "pos-1" of 10 May 2024 by partner 7, a gold member, with card 500 of program 10
    holding 100 points; one line of 100,000 unless given."""
    body = {
        "uid": "pos-1",
        "date_order": datetime(2024, 5, 10, 10, 0),
        "partner_id": 7,
        "card": {"id": 500, "program_id": 10, "points": Decimal(100)},
        "membership": gold_membership(),
        "lines": list(lines) or [typical_line()],
    }
    body.update(extra)
    return body
