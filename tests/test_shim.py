"""The native/legacy shim: routing, fallback and its report, error classes, shadow mode."""

from __future__ import annotations

import hashlib
import sys
import types
from collections import Counter
from decimal import Decimal

import pytest
from _native_engine import native_module
from aba_loyalty_lib import aba_legacy_engine
from aba_loyalty_lib.aba_engine_shim import EngineShim, bucket
from aba_loyalty_testdata.documents import engine_config, loyalty, percent, promo, reward

CONFIG = engine_config(
    promo(1, 1, percent(11, "10"), name="Ten off"),
    loyalty(10, 5, rules=[{"id": 100, "mode": "money", "amount": "0.001"}],
            rewards=[reward(101, "per_point", "100", required_points="1")], name="Points"),
    tiers=[{"code": "gold", "rank": 1, "multiplier": "1.5", "min_spend": "100"}],
)


def make_order(uid: str, **extra) -> dict:
    order = {
        "uid": uid, "date_order": "2025-05-01T08:00:00Z", "partner_id": 5,
        "card": {"id": 77, "program_id": 10, "points": "50"},
        "membership": {"partner_id": 5, "tier": "gold", "evaluated_at": "2025-04-01T00:00:00",
                       "valid_until": "2025-05-31T00:00:00"},
        "lines": [{"id": 1, "product_id": 3, "qty": "2", "price_unit": "12345"},
                  {"id": 2, "product_id": 4, "qty": "1.5", "price_unit": "999"}],
        "redeem": [{"reward_id": 101, "points": "7"}],
    }
    order.update(extra)
    return order


LEGACY = aba_legacy_engine.Engine(CONFIG)


def module(engine_cls, version: str = aba_legacy_engine.__version__,
           *, exports_errors: bool = True) -> types.ModuleType:
    """A stand-in native module (the shim's `native_module` injection point), exporting its
    input error class as the real module does."""
    fake = types.ModuleType("fake_native")
    fake.__version__ = version
    fake.Engine = engine_cls
    if exports_errors:
        fake.OrderError = OrderError
    return fake


class RaisingEngine:
    """Builds fine, fails on every call, as a crashed native call would."""

    def __init__(self, config):
        self.config = config

    def evaluate(self, order):
        raise RuntimeError("native exploded")

    def evaluate_many(self, orders):
        raise RuntimeError("native exploded")

    def evaluate_membership(self, partner_id, spend, as_of):
        raise RuntimeError("native exploded")


class OrderError(Exception):
    """A foreign input error class: translated because the module exports it as its
    OrderError, with its path and reason, never because of its name."""

    def __init__(self, message, *, path=(), reason=None):
        super().__init__(message)
        self.path, self.reason = path, reason


class RejectingEngine(RaisingEngine):
    def evaluate(self, order):
        raise OrderError("lines[0].qty: must be > 0 in a sale", path=("lines", 0, "qty"),
                         reason="must be > 0 in a sale")

    def evaluate_many(self, orders):
        raise OrderError("[0].lines[0].qty: must be > 0 in a sale",
                         path=(0, "lines", 0, "qty"), reason="must be > 0 in a sale")


def uid_in(path: str, percentage: int) -> str:
    """A uid whose bucket puts it on `path` at this rollout percentage."""
    for n in range(10_000):
        uid = f"order-{n}"
        if (bucket(uid) < percentage) == (path == "native"):
            return uid
    raise AssertionError("no uid found")


# -- routing -----------------------------------------------------------------------------------

def test_bucket_is_the_documented_sha256_prefix():
    for uid in ("", "a", "pos-0001-00042", "ü-ß"):
        digest = hashlib.sha256(uid.encode()).digest()
        assert bucket(uid) == int.from_bytes(digest[:8], "big") % 100
    assert bucket("pos-0001-00042") == bucket("pos-0001-00042")


def test_buckets_are_roughly_uniform():
    counts = Counter(bucket(f"00042-{n:06d}-0001") for n in range(20_000))
    assert set(counts) == set(range(100))
    # 200 expected per bucket; a binomial 5-sigma band is about +-70.
    assert all(130 <= count <= 270 for count in counts.values()), counts


def test_rollout_is_deterministic_and_proportional():
    native = native_module()
    shims = [EngineShim(CONFIG, use_native=True, rollout_percentage=30, native_module=native)
             for _ in range(2)]
    uids = [f"pos-{n}" for n in range(5_000)]
    paths = [shims[0].path_for(uid) for uid in uids]
    assert paths == [shims[1].path_for(uid) for uid in uids]
    assert paths == ["native" if bucket(uid) < 30 else "legacy" for uid in uids]
    share = paths.count("native") / len(paths)
    assert 0.27 < share < 0.33
    for uid in uids[:50]:
        assert shims[0].evaluate(make_order(uid))["engine"] == shims[0].path_for(uid)


def test_flag_off_never_touches_native():
    built = []

    class Recording(RaisingEngine):
        def __init__(self, config):
            built.append(config)

    shim = EngineShim(CONFIG, use_native=False, native_module=module(Recording))
    result = shim.evaluate(make_order("off-1"))
    assert result == LEGACY.evaluate(make_order("off-1"))
    assert result["engine"] == "legacy"
    assert shim.path_for("off-1") == "legacy"
    assert built == []


def test_flag_on_uses_native_with_equal_results():
    native = native_module()
    reports = []
    shim = EngineShim(CONFIG, use_native=True, native_module=native, on_fallback=reports.append)
    order = make_order("on-1")
    result = shim.evaluate(order)
    assert result["engine"] == "native"
    assert {**result, "engine": "legacy"} == LEGACY.evaluate(order)
    many = shim.evaluate_many([make_order("on-2"), make_order("on-3")])
    assert [r["engine"] for r in many] == ["native", "native"]
    assert reports == []


def test_zero_percent_rollout_is_all_legacy():
    shim = EngineShim(CONFIG, use_native=True, rollout_percentage=0,
                      native_module=module(RaisingEngine))
    assert all(shim.path_for(f"u{n}") == "legacy" for n in range(500))
    assert shim.evaluate(make_order("u1"))["engine"] == "legacy"


# -- fallback ----------------------------------------------------------------------------------

def test_native_call_that_raises_falls_back_and_reports():
    reports = []
    shim = EngineShim(CONFIG, use_native=True, native_module=module(RaisingEngine),
                      on_fallback=reports.append)
    order = make_order("boom-1")
    result = shim.evaluate(order)
    assert result == LEGACY.evaluate(order)
    assert reports == [{"order_uid": "boom-1", "stage": "call", "error_type": "RuntimeError",
                        "error": "native exploded", "engine": "legacy"}]


def test_native_batch_that_raises_falls_back_per_order():
    reports = []
    shim = EngineShim(CONFIG, use_native=True, native_module=module(RaisingEngine),
                      on_fallback=reports.append)
    orders = [make_order(f"batch-{n}") for n in range(3)]
    assert shim.evaluate_many(orders) == LEGACY.evaluate_many(orders)
    assert [(r["order_uid"], r["stage"]) for r in reports] == [
        ("batch-0", "call"), ("batch-1", "call"), ("batch-2", "call")]


def test_native_module_that_cannot_be_imported_falls_back(monkeypatch):
    # A None entry in sys.modules makes `import aba_loyalty_core` raise ImportError.
    monkeypatch.setitem(sys.modules, "aba_loyalty_core", None)
    reports = []
    shim = EngineShim(CONFIG, use_native=True, on_fallback=reports.append)
    order = make_order("no-wheel")
    assert shim.evaluate(order) == LEGACY.evaluate(order)
    assert len(reports) == 1
    assert reports[0]["stage"] == "import"
    assert reports[0]["order_uid"] == "no-wheel"
    assert reports[0]["error_type"] in ("ImportError", "ModuleNotFoundError")
    assert reports[0]["engine"] == "legacy"


def test_version_mismatch_falls_back():
    reports = []
    built = []

    class Recording(RaisingEngine):
        def __init__(self, config):
            built.append(config)

    shim = EngineShim(CONFIG, use_native=True, on_fallback=reports.append,
                      native_module=module(Recording, version="0.2.0"))
    order = make_order("old-wheel")
    assert shim.evaluate(order) == LEGACY.evaluate(order)
    assert built == []
    (report,) = reports
    assert report["stage"] == "version"
    assert "0.2.0" in report["error"] and aba_legacy_engine.__version__ in report["error"]


def test_patch_version_difference_is_not_a_mismatch():
    native = native_module()
    major_minor = aba_legacy_engine.__version__.split(".")[:2]
    patched = module(native.Engine, version=".".join([*major_minor, "99"]))
    shim = EngineShim(CONFIG, use_native=True, native_module=patched)
    assert shim.evaluate(make_order("patch"))["engine"] == "native"


def test_a_failing_report_callback_does_not_break_the_sale():
    def broken(report):
        raise ValueError("log sink down")

    shim = EngineShim(CONFIG, use_native=True, native_module=module(RaisingEngine),
                      on_fallback=broken)
    assert shim.evaluate(make_order("sink"))["engine"] == "legacy"


# -- input errors ------------------------------------------------------------------------------

def test_native_input_error_is_raised_as_the_legacy_class_not_a_fallback():
    reports = []
    shim = EngineShim(CONFIG, use_native=True, native_module=module(RejectingEngine),
                      on_fallback=reports.append)
    with pytest.raises(aba_legacy_engine.OrderError, match=r"^lines\[0\]\.qty: must be > 0") as err:
        shim.evaluate(make_order("bad"))
    assert err.value.path == ("lines", 0, "qty") and err.value.reason == "must be > 0 in a sale"
    assert reports == []
    # In a batch, the native position in the sub-batch becomes the caller's index, structurally.
    uid = uid_in("native", 50)
    shim = EngineShim(CONFIG, use_native=True, rollout_percentage=50,
                      native_module=module(RejectingEngine), on_fallback=reports.append)
    with pytest.raises(aba_legacy_engine.OrderError, match=r"^\[1\]\.lines\[0\]\.qty: ") as err:
        shim.evaluate_many([make_order(uid_in("legacy", 50)), make_order(uid)])
    assert err.value.path == (1, "lines", 0, "qty") and reports == []


def test_a_foreign_class_named_like_an_input_error_is_a_failure_unless_exported():
    """Classes are matched by identity with the module's exports, not by name: the same error
    from a module that does not export it is a native failure (fallback), not an input error."""
    reports = []
    shim = EngineShim(CONFIG, use_native=True, on_fallback=reports.append,
                      native_module=module(RejectingEngine, exports_errors=False))
    assert shim.evaluate(make_order("named-alike"))["engine"] == "legacy"
    assert [r["error_type"] for r in reports] == ["OrderError"]


@pytest.mark.parametrize("use_native", [False, True])
def test_real_input_errors_come_as_legacy_classes(use_native):
    shim = EngineShim(CONFIG, use_native=use_native, native_module=native_module())
    bad_qty = make_order("bad-qty", lines=[{"id": 1, "product_id": 3, "qty": 0,
                                           "price_unit": 1}])
    with pytest.raises(aba_legacy_engine.OrderError, match=r"^lines\[0\]\.qty: "):
        shim.evaluate(bad_qty)
    too_much = make_order("greedy", redeem=[{"reward_id": 101, "points": "51"}])
    with pytest.raises(aba_legacy_engine.InsufficientPointsError, match=r"^redeem: "):
        shim.evaluate(too_much)
    with pytest.raises(aba_legacy_engine.OrderError, match=r"^\[1\]\.lines\[0\]\.qty: ") as err:
        shim.evaluate_many([make_order("fine"), bad_qty])
    assert err.value.path == (1, "lines", 0, "qty") and err.value.reason == "must be > 0 in a sale"


def test_batch_error_index_is_the_callers_index_across_paths():
    shim = EngineShim(CONFIG, use_native=True, rollout_percentage=50,
                      native_module=native_module())
    legacy_uid, native_uid = uid_in("legacy", 50), uid_in("native", 50)
    bad = make_order(native_uid, lines=[{"id": 1, "product_id": 3, "qty": -1,
                                         "price_unit": 1}])
    orders = [make_order(legacy_uid), make_order(legacy_uid + "x"), bad]
    with pytest.raises(aba_legacy_engine.OrderError, match=r"^\[2\]\.lines\[0\]\.qty: ") as err:
        shim.evaluate_many(orders)
    assert err.value.path == (2, "lines", 0, "qty")
    results = shim.evaluate_many([make_order(legacy_uid), make_order(native_uid)])
    assert [r["engine"] for r in results] == ["legacy", "native"]


def test_bad_config_is_a_legacy_config_error():
    with pytest.raises(aba_legacy_engine.ConfigError, match=r"^currency\.rounding: "):
        EngineShim({**CONFIG, "currency": {"code": "IDR", "rounding": "0"}}, use_native=True,
                   native_module=native_module())


# -- shadow ------------------------------------------------------------------------------------

def test_shadow_reports_every_difference_and_returns_legacy():
    native = native_module()

    class Drifting:
        """The real native engine with two results tampered with."""

        def __init__(self, config):
            self.engine = native.Engine(config)

        def evaluate(self, order):
            result = self.engine.evaluate(order)
            result["lines"][0]["discount"] += 1
            result["points"]["earned"] = Decimal("0.01")
            return result

    differences = []
    shim = EngineShim(CONFIG, use_native=False, shadow=True, native_module=module(Drifting),
                      on_difference=differences.append)
    order = make_order("shadow-1")
    expected = LEGACY.evaluate(order)
    assert shim.evaluate(order) == expected
    (report,) = differences
    assert report["order_uid"] == "shadow-1"
    assert report["differences"] == [
        {"path": "lines[0].discount", "native": expected["lines"][0]["discount"] + 1,
         "legacy": expected["lines"][0]["discount"]},
        {"path": "points.earned", "native": Decimal("0.01"),
         "legacy": expected["points"]["earned"]},
    ]


def test_shadow_with_an_equal_native_reports_nothing():
    differences, reports = [], []
    shim = EngineShim(CONFIG, use_native=True, shadow=True, native_module=native_module(),
                      on_difference=differences.append, on_fallback=reports.append)
    orders = [make_order(f"same-{n}") for n in range(20)]
    assert shim.evaluate_many(orders) == LEGACY.evaluate_many(orders)
    assert all(shim.evaluate(order)["engine"] == "legacy" for order in orders)
    assert differences == [] and reports == []


def test_shadow_reports_a_native_failure_and_an_error_mismatch():
    reports, differences = [], []
    shim = EngineShim(CONFIG, use_native=True, shadow=True, native_module=module(RaisingEngine),
                      on_fallback=reports.append, on_difference=differences.append)
    assert shim.evaluate(make_order("s-fail"))["engine"] == "legacy"
    assert [r["stage"] for r in reports] == ["call"] and differences == []

    shim = EngineShim(CONFIG, use_native=True, shadow=True, native_module=module(RejectingEngine),
                      on_difference=differences.append)
    assert shim.evaluate(make_order("s-reject"))["engine"] == "legacy"
    (report,) = differences
    assert report["differences"] == [{
        "path": "error", "native": "OrderError: lines[0].qty: must be > 0 in a sale",
        "legacy": None}]


def test_membership_goes_through_the_shim():
    shim = EngineShim(CONFIG, use_native=True, native_module=native_module())
    snapshot = shim.evaluate_membership(5, "150", "2025-05-01T00:00:00")
    assert snapshot == LEGACY.evaluate_membership(5, "150", "2025-05-01T00:00:00")
    assert snapshot["tier"] == "gold"


def test_a_real_native_overflow_falls_back_to_the_exact_legacy_result():
    # 10**12 x 10**12 needs more digits than the native decimal holds: the native engine refuses
    # with a plain LoyaltyError (not an input error), the legacy one computes it exactly.
    reports = []
    shim = EngineShim(CONFIG, use_native=True, native_module=native_module(),
                      on_fallback=reports.append)
    huge = make_order("huge", redeem=[], lines=[
        {"id": 1, "product_id": 3, "qty": "999999999999.999", "price_unit": "999999999999.9999"}])
    result = shim.evaluate(huge)
    assert result == LEGACY.evaluate(huge)
    assert result["lines"][0]["base"] == Decimal(999999999999998900000000)
    (report,) = reports
    assert report["stage"] == "call" and report["error_type"] == "LoyaltyError"
    assert report["order_uid"] == "huge"
