"""What only the native module has: its module surface, evaluate_many releasing the GIL while
it computes, and the garbage collector's state kept across it. Behaviour common to both engines
is in the test_engine_*.py modules."""

from __future__ import annotations

import threading
import time

import aba_loyalty_core
import pytest
from aba_loyalty_core import ConfigError, Engine, InsufficientPointsError, LoyaltyError, OrderError
from aba_loyalty_testdata.documents import (
    aba_points,
    percent,
    promo,
    typical_config,
    typical_line,
    typical_order,
)


def test_module_surface():
    assert aba_loyalty_core.__version__ == "0.1.0"
    assert issubclass(ConfigError, LoyaltyError) and issubclass(ConfigError, ValueError)
    assert issubclass(OrderError, LoyaltyError) and issubclass(OrderError, ValueError)
    assert issubclass(InsufficientPointsError, LoyaltyError)
    assert "Engine" in repr(Engine(typical_config()))


def test_evaluate_many_releases_the_gil():
    engine = Engine(
        typical_config(
            *(promo(20 + n, n, percent(200 + n, 1 + n % 5)) for n in range(19)), aba_points()
        )
    )
    orders = [
        typical_order(*(typical_line(i, 1 + i % 3, 1000 * (i + n)) for i in range(10)), uid=f"u{n}")
        for n in range(3000)
    ]
    ticks: list[float] = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        time.sleep(0.01)
        windows = []
        for _ in range(3):
            start = time.perf_counter()
            engine.evaluate_many(orders)
            windows.append((start, time.perf_counter()))
    finally:
        stop.set()
        thread.join()
    inside = [t for t in ticks for (a, b) in windows if a < t < b]
    # A thread switch at the call's edges could account for a tick or two; a released GIL
    # gives hundreds.
    assert len(inside) >= 20, f"only {len(inside)} ticks while evaluate_many computed"


def test_evaluate_many_restores_the_garbage_collector_state():
    import gc

    engine = Engine(typical_config())
    orders = [typical_order(uid=f"u{n}") for n in range(50)]
    assert gc.isenabled()
    engine.evaluate_many(orders)
    assert gc.isenabled()
    gc.disable()
    try:
        engine.evaluate_many(orders)
        assert not gc.isenabled()
        with pytest.raises(OrderError):
            engine.evaluate_many([*orders, {"uid": ""}])
        assert not gc.isenabled()
    finally:
        gc.enable()
