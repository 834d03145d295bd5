"""Decoding and validation of the engine configuration (docs/spec.md §2), in field order."""

from __future__ import annotations

from typing import Any

from . import fields as f
from .errors import ConfigError, Path
from .model import Config, Filter, Program, Reward, Rule, Tier
from .numbers import HUNDRED, ZERO, plain

E = ConfigError

_CONFIG_KEYS = frozenset({"currency", "points_precision", "tiers", "membership", "programs"})
_CURRENCY_KEYS = frozenset({"code", "rounding"})
_TIER_KEYS = frozenset({"code", "rank", "multiplier", "min_spend"})
_MEMBERSHIP_KEYS = frozenset({"validity_days"})
_PROGRAM_KEYS = frozenset({
    "id", "name", "kind", "sequence", "active", "date_from", "date_to", "exclusive",
    "spend_earned", "points_basis", "rules", "rewards",
})
_RULE_KEYS = frozenset({
    "id", "mode", "amount", "product_ids", "category_ids", "min_qty", "min_amount",
})
_REWARD_KEYS = frozenset({
    "id", "type", "mode", "value", "applicability", "product_ids", "category_ids", "max_amount",
    "required_points",
})


class _Ids:
    """Program, rule and reward ids are each unique across the config."""

    def __init__(self) -> None:
        self.programs: set[int] = set()
        self.rules: set[int] = set()
        self.rewards: set[int] = set()

    @staticmethod
    def claim(seen: set, value: int, path: Path) -> int:
        if value in seen:
            raise E.at(path, f"duplicate id {value}")
        seen.add(value)
        return value


def decode_config(raw: Any) -> Config:
    cfg = f.mapping(raw, (), E, _CONFIG_KEYS)
    if cfg.get("currency") is None:
        raise E.at(("currency",), "required")
    currency = f.mapping(cfg["currency"], ("currency",), E, _CURRENCY_KEYS)
    code = f.req_str(currency, "code", ("currency",), E)
    rounding = f.req_decimal(currency, "rounding", ("currency",), E)
    if rounding <= 0:
        raise E.at(("currency", "rounding"), "must be > 0")

    precision = f.opt_int(cfg, "points_precision", (), E, 2)
    if not 0 <= precision <= 6:
        raise E.at(("points_precision",), "must be in [0, 6]")

    tiers = _decode_tiers(cfg.get("tiers"))

    validity_days = 30
    if cfg.get("membership") is not None:
        membership = f.mapping(cfg["membership"], ("membership",), E, _MEMBERSHIP_KEYS)
        validity_days = f.opt_int(membership, "validity_days", ("membership",), E, 30)
        if validity_days < 1:
            raise E.at(("membership", "validity_days"), "must be >= 1")

    if cfg.get("programs") is None:
        raise E.at(("programs",), "required")
    ids = _Ids()
    programs = [
        _decode_program(entry, f.item(("programs",), i), ids)
        for i, entry in enumerate(f.sequence(cfg["programs"], ("programs",), E))
    ]
    return Config(code, rounding, precision, tiers, validity_days, programs)


def _decode_tiers(raw: Any) -> list[Tier]:
    if raw is None:
        return []
    tiers: list[Tier] = []
    codes: set[str] = set()
    for i, entry in enumerate(f.sequence(raw, ("tiers",), E)):
        path = f.item(("tiers",), i)
        tier = f.mapping(entry, path, E, _TIER_KEYS)
        code = f.req_str(tier, "code", path, E, non_empty=True)
        if code in codes:
            raise E.at((*path, "code"), f"duplicate tier code {code!r}")
        codes.add(code)
        rank = f.req_int(tier, "rank", path, E)
        multiplier = f.req_decimal(tier, "multiplier", path, E)
        if multiplier <= 0:
            raise E.at((*path, "multiplier"), "must be > 0")
        min_spend = f.req_decimal(tier, "min_spend", path, E)
        if min_spend < 0:
            raise E.at((*path, "min_spend"), "must be >= 0")
        tiers.append(Tier(code, rank, plain(multiplier), min_spend))
    return tiers


def _decode_program(raw: Any, path: Path, ids: _Ids) -> Program:
    program = f.mapping(raw, path, E, _PROGRAM_KEYS)
    program_id = ids.claim(ids.programs, f.req_int(program, "id", path, E), (*path, "id"))
    name = f.req_str(program, "name", path, E)
    kind = f.choice(program, "kind", path, E, ("loyalty", "promotion"))
    sequence = f.req_int(program, "sequence", path, E)
    active = f.opt_bool(program, "active", path, E, True)
    date_from = f.opt_date(program, "date_from", path, E)
    date_to = f.opt_date(program, "date_to", path, E)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise E.at((*path, "date_to"), "must not be before date_from")
    exclusive = f.opt_bool(program, "exclusive", path, E, False)
    # Any program may carry it; only a loyalty program's is read (as points_basis).
    spend_earned = f.opt_bool(program, "spend_earned", path, E, False)
    points_basis = f.choice(program, "points_basis", path, E, ("base", "paid"), "base")

    if program.get("rules") is None:
        raise E.at((*path, "rules"), "required")
    rules = [
        _decode_rule(entry, f.item((*path, "rules"), i), ids)
        for i, entry in enumerate(f.sequence(program["rules"], (*path, "rules"), E))
    ]
    if program.get("rewards") is None:
        raise E.at((*path, "rewards"), "required")
    rewards = [
        _decode_reward(entry, f.item((*path, "rewards"), i), ids, kind == "loyalty")
        for i, entry in enumerate(f.sequence(program["rewards"], (*path, "rewards"), E))
    ]
    return Program(program_id, name, kind, sequence, active, date_from, date_to, exclusive,
                   spend_earned, points_basis, rules, rewards)


def _decode_rule(raw: Any, path: Path, ids: _Ids) -> Rule:
    rule = f.mapping(raw, path, E, _RULE_KEYS)
    rule_id = ids.claim(ids.rules, f.req_int(rule, "id", path, E), (*path, "id"))
    mode = f.choice(rule, "mode", path, E, ("order", "money", "unit"))
    amount = f.req_decimal(rule, "amount", path, E)
    if amount <= 0:
        raise E.at((*path, "amount"), "must be > 0")
    product_ids = f.int_list(rule, "product_ids", path, E)
    category_ids = f.int_list(rule, "category_ids", path, E)
    min_qty = f.opt_decimal(rule, "min_qty", path, E, ZERO)
    min_amount = f.opt_decimal(rule, "min_amount", path, E, ZERO)
    return Rule(rule_id, mode, amount, Filter(product_ids, category_ids), min_qty, min_amount)


def _decode_reward(raw: Any, path: Path, ids: _Ids, loyalty: bool) -> Reward:
    reward = f.mapping(raw, path, E, _REWARD_KEYS)
    reward_id = ids.claim(ids.rewards, f.req_int(reward, "id", path, E), (*path, "id"))
    f.choice(reward, "type", path, E, ("discount",))
    mode = f.choice(reward, "mode", path, E, ("percent", "fixed", "per_point"))
    if mode == "per_point" and not loyalty:
        raise E.at((*path, "mode"), "per_point is for loyalty rewards only")
    value = f.req_decimal(reward, "value", path, E)
    if value <= 0:
        raise E.at((*path, "value"), "must be > 0")
    if mode == "percent" and value > HUNDRED:
        raise E.at((*path, "value"), "a percent must be <= 100")
    applicability = f.choice(reward, "applicability", path, E, ("order", "cheapest", "specific"))
    product_ids = f.int_list(reward, "product_ids", path, E)
    category_ids = f.int_list(reward, "category_ids", path, E)
    max_amount = f.opt_decimal(reward, "max_amount", path, E, ZERO)  # <= 0: no cap
    if loyalty or reward.get("required_points") is not None:
        # Promotions may carry it (Odoo stores 1); it must then be valid, and is ignored.
        required_points = f.req_decimal(reward, "required_points", path, E)
        if required_points <= 0:
            raise E.at((*path, "required_points"), "must be > 0")
    else:
        required_points = None
    return Reward(reward_id, mode, value, applicability, Filter(product_ids, category_ids),
                  max_amount, required_points if loyalty else None)

