"""EngineShim: native or legacy per order, fallback on any native failure, shadow comparison."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .. import aba_legacy_engine as legacy
from .differences import differences
from .native import ErrorMap, NativeUnavailable, as_legacy_error, input_errors, load_module
from .routing import choose_path

_logger = logging.getLogger(__name__)

Report = Callable[[dict], Any]


class EngineShim:
    """Same API as the engines. Results tell their path in `"engine"`; input errors are always
    raised as aba_legacy_engine classes, so callers catch one set of classes."""

    def __init__(self, config: Any, *, use_native: bool, rollout_percentage: int = 100,
                 shadow: bool = False, on_fallback: Report | None = None,
                 on_difference: Report | None = None, native_module: Any = None) -> None:
        if isinstance(rollout_percentage, bool) or not isinstance(rollout_percentage, int) \
                or not 0 <= rollout_percentage <= 100:
            raise ValueError("rollout_percentage: must be an int in [0, 100]")
        self.use_native = bool(use_native)
        self.rollout_percentage = rollout_percentage
        self.shadow = bool(shadow)
        self._on_fallback = on_fallback
        self._on_difference = on_difference
        self._legacy = legacy.Engine(config)
        self._native: Any = None
        self._input_errors: ErrorMap = ()
        self._unavailable: NativeUnavailable | None = None
        if self.use_native or self.shadow:
            self._load_native(config, native_module)

    # -- routing -------------------------------------------------------------------------------

    def path_for(self, uid: str) -> str:
        """"native" | "legacy": deterministic in the uid (its sha256 bucket)."""
        return choose_path(uid, self.use_native, self.rollout_percentage)

    # -- public API ----------------------------------------------------------------------------

    def evaluate(self, order: Any) -> dict:
        uid = order.get("uid") if isinstance(order, dict) else None
        if self.shadow:
            return self._shadow_one(order, uid)
        if self.path_for(uid) == "legacy":
            return self._legacy.evaluate(order)
        if self._native is None:
            self._fallback(uid, self._unavailable)
            return self._legacy.evaluate(order)
        try:
            return self._native.evaluate(order)
        except Exception as exc:  # noqa: BLE001 - any native failure falls back
            self._raise_if_input_error(exc)
            self._fallback(uid, NativeUnavailable("call", exc))
            return self._legacy.evaluate(order)

    def evaluate_many(self, orders: Any) -> list[dict]:
        if not isinstance(orders, (list, tuple)):
            return self._legacy.evaluate_many(orders)  # raises the legacy OrderError
        if self.shadow:
            return self._shadow_many(orders)
        uids = [order.get("uid") if isinstance(order, dict) else None for order in orders]
        native_at = [i for i, uid in enumerate(uids) if self.path_for(uid) == "native"]
        if not native_at:
            return self._legacy.evaluate_many(orders)
        results: list[Any] = [None] * len(orders)
        errors: list[tuple[int, BaseException]] = []
        native_set = set(native_at)
        self._legacy_into(results, errors, [i for i in range(len(orders)) if i not in native_set],
                          orders)
        self._native_into(results, errors, native_at, orders, uids)
        if errors:
            raise min(errors, key=lambda pair: pair[0])[1]
        return results

    def evaluate_membership(self, partner_id: Any, spend: Any, as_of: Any) -> dict:
        if self.shadow:
            outcome = self._legacy_outcome(
                lambda: self._legacy.evaluate_membership(partner_id, spend, as_of))
            if self._native is not None:
                native = self._native_outcome(
                    None, lambda: self._native.evaluate_membership(partner_id, spend, as_of))
                if native is not None:
                    self._compare(None, native, outcome)
            else:
                self._fallback(None, self._unavailable)
            return self._unwrap(outcome)
        if self.path_for(str(partner_id)) == "legacy":
            return self._legacy.evaluate_membership(partner_id, spend, as_of)
        if self._native is None:
            self._fallback(None, self._unavailable)
            return self._legacy.evaluate_membership(partner_id, spend, as_of)
        try:
            return self._native.evaluate_membership(partner_id, spend, as_of)
        except Exception as exc:  # noqa: BLE001 - any native failure falls back
            self._raise_if_input_error(exc)
            self._fallback(None, NativeUnavailable("call", exc))
            return self._legacy.evaluate_membership(partner_id, spend, as_of)

    # -- native loading and failures -------------------------------------------------------------

    def _load_native(self, config: Any, native_module: Any) -> None:
        try:
            module = load_module(native_module)
        except NativeUnavailable as unavailable:
            self._unavailable = unavailable
            return
        self._input_errors = input_errors(module)
        try:
            self._native = module.Engine(config)
        except Exception as exc:  # noqa: BLE001 - any native failure falls back
            # The legacy engine accepted this config: a native ConfigError is still an input
            # error (raised as the legacy class); anything else makes the native path unusable.
            self._raise_if_input_error(exc)
            self._unavailable = NativeUnavailable("call", exc)

    def _raise_if_input_error(self, exc: Exception) -> None:
        translated = as_legacy_error(exc, self._input_errors)
        if translated is not None:
            raise translated from exc

    def _fallback(self, uid: Any, unavailable: NativeUnavailable | None) -> None:
        assert unavailable is not None
        cause = unavailable.cause
        report = {
            "order_uid": uid,
            "stage": unavailable.stage,
            "error_type": type(cause).__name__,
            "error": str(cause),
            "engine": "legacy",
        }
        _logger.warning("native engine fallback: %s", report)
        self._notify(self._on_fallback, report)

    @staticmethod
    def _notify(callback: Report | None, report: dict) -> None:
        if callback is None:
            return
        try:
            callback(report)
        except Exception:  # a broken reporter must not break the sale
            _logger.exception("loyalty engine report callback failed")

    # -- batches -------------------------------------------------------------------------------

    def _legacy_into(self, results: list, errors: list, at: list[int], orders: Any) -> None:
        for index in at:
            try:
                results[index] = self._legacy.evaluate_many([orders[index]])[0]
            except legacy.LoyaltyError as exc:
                errors.append((index, _reindex(exc, index)))
                return

    def _native_into(self, results: list, errors: list, at: list[int], orders: Any,
                     uids: list) -> None:
        if self._native is None:
            for index in at:
                self._fallback(uids[index], self._unavailable)
            self._legacy_into(results, errors, at, orders)
            return
        try:
            batch = self._native.evaluate_many([orders[index] for index in at])
        except Exception as exc:  # noqa: BLE001 - any native failure falls back
            translated = as_legacy_error(exc, self._input_errors)
            if translated is None:
                for index in at:
                    self._fallback(uids[index], NativeUnavailable("call", exc))
                self._legacy_into(results, errors, at, orders)
                return
            errors.append(_native_batch_error(translated, at))
            return
        for index, result in zip(at, batch, strict=False):
            results[index] = result

    # -- shadow --------------------------------------------------------------------------------

    def _shadow_one(self, order: Any, uid: Any) -> dict:
        outcome = self._legacy_outcome(lambda: self._legacy.evaluate(order))
        if self._native is None:
            self._fallback(uid, self._unavailable)
        else:
            native = self._native_outcome(uid, lambda: self._native.evaluate(order))
            if native is not None:
                self._compare(uid, native, outcome)
        return self._unwrap(outcome)

    def _shadow_many(self, orders: list) -> list[dict]:
        results = self._legacy.evaluate_many(orders)
        for order, result in zip(orders, results, strict=True):
            uid = order.get("uid")
            if self._native is None:
                self._fallback(uid, self._unavailable)
                continue
            native = self._native_outcome(uid, lambda order=order: self._native.evaluate(order))
            if native is not None:
                self._compare(uid, native, (result, None))
        return results

    @staticmethod
    def _legacy_outcome(call: Callable[[], dict]) -> tuple[dict | None, BaseException | None]:
        try:
            return call(), None
        except legacy.LoyaltyError as exc:
            return None, exc

    def _native_outcome(self, uid: Any, call: Callable[[], dict]):
        """(result, None) or (None, input error as legacy class); None after a native failure."""
        try:
            return call(), None
        except Exception as exc:  # noqa: BLE001 - any native failure falls back
            translated = as_legacy_error(exc, self._input_errors)
            if translated is None:
                self._fallback(uid, NativeUnavailable("call", exc))
                return None
            return None, translated

    def _compare(self, uid: Any, native: tuple, legacy_outcome: tuple) -> None:
        (native_result, native_error), (legacy_result, legacy_error) = native, legacy_outcome
        if native_error is None and legacy_error is None:
            found = differences(native_result, legacy_result)
        else:
            native_text = _describe(native_error)
            legacy_text = _describe(legacy_error)
            found = [] if native_text == legacy_text else [
                {"path": "error", "native": native_text, "legacy": legacy_text}
            ]
        if found:
            self._notify(self._on_difference, {"order_uid": uid, "differences": found})

    @staticmethod
    def _unwrap(outcome: tuple) -> dict:
        result, error = outcome
        if error is not None:
            raise error
        return result


def _describe(error: BaseException | None) -> str | None:
    return None if error is None else f"{type(error).__name__}: {error}"


def _reindex(exc: legacy.LoyaltyError, index: int) -> legacy.LoyaltyError:
    """A batch error (its path starts with its position in a sub-batch) renamed to the order's
    position ``index`` in the caller's batch: the path's first item replaced."""
    return type(exc).at((index, *exc.path[1:]), exc.reason)


def _native_batch_error(exc: legacy.LoyaltyError, at: list[int]) -> tuple[int, BaseException]:
    """A native evaluate_many error on the sub-batch ``at``, renamed to the order's index in the
    call (the path's first item is the position in the sub-batch)."""
    position = exc.path[0] if exc.path else None
    if isinstance(position, int) and 0 <= position < len(at):
        return at[position], _reindex(exc, at[position])
    return at[0], exc
