"""evaluate_membership: the snapshot of the tier a partner's spend earns (docs/spec.md §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import fields as f
from .errors import OrderError
from .model import Config


def evaluate_membership(config: Config, partner_id: Any, spend: Any, as_of: Any) -> dict:
    partner = f.as_int(partner_id, ("partner_id",), OrderError)
    amount = f.as_decimal(spend, ("spend",), OrderError)
    moment = f.as_datetime(as_of, ("as_of",), OrderError)
    best = None
    for tier in config.tiers:
        # Highest rank wins; among equal ranks the one listed first.
        if tier.min_spend <= amount and (best is None or tier.rank > best.rank):
            best = tier
    try:
        valid_until = moment + timedelta(days=config.validity_days)
    except OverflowError:
        raise OrderError.at(("as_of",), "out of range") from None
    return {
        "partner_id": partner,
        "tier": None if best is None else best.code,
        "evaluated_at": moment,
        "valid_until": valid_until,
    }
