"""The engine shim's reports (fallbacks, shadow differences) recorded in the caller's Odoo
environment, linked to the order they are about.

The EngineShim is cached across transactions (aba.loyalty.engine._cached_shim), so its
callbacks cannot be bound to one environment: a ReportingShim sets, for the duration of one
call, the environment and the orders the call is about; the callbacks record there.
"""

import contextvars
import logging
import time

# Each engine call's duration, at DEBUG (off by default): what benches/bench_odoo_orders.py
# counts as the engine's share of an order's time.
_timing = logging.getLogger(__name__ + ".timing")

# The ReportingShim whose call is running in this thread (None: reports are dropped).
_CURRENT = contextvars.ContextVar("aba_loyalty_reporting_shim", default=None)


def report_fallback(report):
    reporting = _CURRENT.get()
    if reporting is not None:
        reporting.env["aba.loyalty.engine.fallback"].sudo()._record(
            report, reporting.order_for(report.get("order_uid"))
        )


def report_difference(report):
    reporting = _CURRENT.get()
    if reporting is not None:
        reporting.env["aba.loyalty.engine.difference"].sudo()._record(
            report, reporting.order_for(report.get("order_uid"))
        )


class ReportingShim:
    """A cached EngineShim used in one environment for `orders` (pos.order records, possibly
    empty): its reports are recorded there, each linked to the order whose uuid it names."""

    __slots__ = ("_orders", "_shim", "env")

    def __init__(self, shim, env, orders=None):
        self._shim = shim
        self.env = env
        self._orders = orders if orders is not None else env["pos.order"]

    def order_for(self, uid):
        """The order of this call whose uuid is `uid` (an empty recordset if none): the
        records at hand, no search."""
        if not uid:
            return self._orders.browse()
        return self._orders.filtered(lambda order: order.uuid == uid)[:1]

    def _call(self, method, *args):
        token = _CURRENT.set(self)
        start = time.perf_counter()
        try:
            return method(*args)
        finally:
            _CURRENT.reset(token)
            if _timing.isEnabledFor(logging.DEBUG):
                _timing.debug("engine call %.6f s", time.perf_counter() - start)

    def evaluate(self, order):
        return self._call(self._shim.evaluate, order)

    def evaluate_many(self, orders):
        return self._call(self._shim.evaluate_many, orders)

    def evaluate_membership(self, partner_id, spend, as_of):
        return self._call(self._shim.evaluate_membership, partner_id, spend, as_of)

    def path_for(self, uid):
        return self._shim.path_for(uid)
