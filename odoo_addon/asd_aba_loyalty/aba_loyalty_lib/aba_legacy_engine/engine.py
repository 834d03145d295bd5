"""The public Engine: a validated config, then evaluate / evaluate_many / evaluate_membership."""

from __future__ import annotations

from decimal import localcontext
from typing import Any

from .config import decode_config
from .errors import LoyaltyError, OrderError, with_index
from .evaluation import evaluate_order
from .membership import evaluate_membership
from .numbers import CONTEXT
from .order import decode_order


class Engine:
    """Pure-Python loyalty engine; same API and results as aba_loyalty_core.Engine."""

    __slots__ = ("_config",)

    def __init__(self, config: Any) -> None:
        with localcontext(CONTEXT):
            self._config = decode_config(config)

    def evaluate(self, order: Any) -> dict:
        with localcontext(CONTEXT):
            return evaluate_order(self._config, decode_order(order))

    def evaluate_many(self, orders: Any) -> list[dict]:
        if not isinstance(orders, (list, tuple)):
            raise OrderError.at(("orders",), f"must be a list, not {type(orders).__name__}")
        results = []
        with localcontext(CONTEXT):
            for index, order in enumerate(orders):
                try:
                    results.append(evaluate_order(self._config, decode_order(order)))
                except LoyaltyError as exc:
                    raise with_index(exc, index) from None
        return results

    def evaluate_membership(self, partner_id: Any, spend: Any, as_of: Any) -> dict:
        with localcontext(CONTEXT):
            return evaluate_membership(self._config, partner_id, spend, as_of)

