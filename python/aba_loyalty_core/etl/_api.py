"""The Python face of the ETL: DSN resolution, report decoding, follow loop, alert hook."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from aba_loyalty_core.errors import EtlArgumentError, EtlBusyError, EtlError
from aba_loyalty_core.etl import _bindings

log = logging.getLogger("aba_loyalty_core.etl")

SOURCE_ENV = "ABA_SOURCE_DSN"
TARGET_ENV = "ABA_TARGET_DSN"
DEFAULT_THRESHOLD = 0.999

#: name -> {"table", "group", "addon", "cadence_s"}; in load order.
STREAMS: dict[str, dict[str, Any]] = {
    name: {"table": table, "group": group, "addon": addon, "cadence_s": cadence}
    for name, table, group, addon, cadence in _bindings.etl_streams()
}
#: cadence group -> default seconds (docs/design.md: critical 1 min, non-critical 5 min, reference 1 h).
GROUPS: dict[str, float] = {info["group"]: info["cadence_s"] for info in STREAMS.values()}

Report = dict[str, Any]
When = datetime | date | str


def _when(value: When | None, field: str) -> str | None:
    """An audit bound as the ISO text the native side parses (naive = UTC, as Odoo stores it)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise EtlArgumentError(f"{field}: {value!r} is not a date, datetime or ISO string")


def _dsn(value: str | None, env: str, what: str) -> str:
    dsn = value or os.environ.get(env)
    if not dsn:
        raise EtlArgumentError(f"{what}: no DSN given and ${env} is not set")
    return dsn


def _streams(streams: Sequence[str] | str | None) -> list[str] | None:
    if streams is None:
        return None
    if isinstance(streams, str):
        return [s.strip() for s in streams.split(",") if s.strip()]
    return list(streams)


def _cadences(cadences: Mapping[str, float] | None, interval: float | None) -> dict[str, float] | None:
    if interval is not None:
        if not interval > 0:
            raise EtlArgumentError(f"interval: {interval!r} is not a positive number of seconds")
        return {group: float(interval) for group in GROUPS}
    return dict(cadences) if cadences else None


class Etl:
    """Connections to an Odoo database (read-only) and an engine database, kept across calls."""

    def __init__(self, source_dsn: str | None = None, target_dsn: str | None = None) -> None:
        source = _dsn(source_dsn, SOURCE_ENV, "source_dsn")
        target = _dsn(target_dsn, TARGET_ENV, "target_dsn")
        self._native = _bindings.Etl(source, target)
        self._target = target

    def __repr__(self) -> str:
        return repr(self._native)

    def full_load(self, *, streams: Sequence[str] | str | None = None, resume: bool = True) -> Report:
        """Copy every selected stream (default: all) from one source snapshot.

        Each stream commits on its own with its sync state; after a crash, calling again resumes
        the interrupted load (``resume=False`` starts a new one). Bad source rows are skipped and
        listed under ``streams[i]["rejects"]`` with their table and id.
        """
        return json.loads(self._native.full_load(_streams(streams), resume))

    def sync(
        self,
        *,
        streams: Sequence[str] | str | None = None,
        due_only: bool = False,
        cadences: Mapping[str, float] | None = None,
        method: str = "ranged",
        sweep_blocks: int | None = None,
        check_keys: int | None = None,
    ) -> Report:
        """Bring the selected streams up to date (``due_only``: those whose cadence elapsed).

        ``method="ranged"`` (default) reads what changed through indexes plus a bounded sweep
        of ``sweep_blocks`` pages and a key check of ``check_keys`` ids per stream (tables that
        small are read and checked whole every round); ``method="scan"`` is the first version's
        sequential scan of every table. See docs/etl.md.
        """
        return json.loads(self._native.sync(_streams(streams), due_only, _cadences(cadences, None),
                                            method, sweep_blocks, check_keys))

    def validate(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        tolerance: str = "0.000001",
        max_discrepancies: int = 1000,
        on_alert: Callable[[Report], object] | None = None,
    ) -> Report:
        """Compare Odoo's card balances with the engine's ledger-derived ones, card by card.

        Only cards with ledger history are compared: Odoo's own cards without any move are
        counted in ``cards_unmanaged``, cards Odoo deleted whose history the engine keeps in
        ``cards_deleted_with_history`` (neither is a discrepancy). The report (stored in the
        target too) has totals, ``discrepancies`` (card, field, both values),
        ``consistency_rate`` (consistent / ``cards_compared``) and ``alert`` (rate below
        ``threshold``). On alert the
        native side logs at ERROR and ``on_alert(report)`` is called.
        """
        report = json.loads(self._native.validate(float(threshold), str(tolerance), int(max_discrepancies)))
        if report["alert"] and on_alert is not None:
            on_alert(report)
        return report

    def audit(
        self,
        *,
        since: When | None = None,
        until: When | None = None,
        threshold: int = 0,
        tolerance: str = "0.000001",
        max_findings: int = 10_000,
        max_cards: int = 10_000,
        points_on_tax_included: bool | None = None,
        sort_memory_mb: float = 16,
        on_alert: Callable[[Report], object] | None = None,
    ) -> Report:
        """Replay Odoo's paid POS orders in [since, until) through the engine (docs/audit.md).

        Reads the source only (a read-only snapshot); evaluates every (card, order) natively
        without the GIL; compares with ``loyalty_history`` and ``loyalty_card.points``. The
        report (also stored in the target) has ``findings`` (kind, card_id, order_id, odoo,
        engine), ``findings_by_kind``, ``cards`` (per card whose replay differs: both balances,
        the difference and the proposed ``adjust`` move, never written to Odoo),
        ``programs_not_audited`` with reasons, and ``alert`` (more findings than
        ``threshold``; then ``on_alert(report)`` is called). Points are earned on unit prices
        with tax when ``points_on_tax_included`` is true, without when false; ``None`` takes the
        basis Odoo used (the addon's ``aba_points_on_tax_included`` per program when installed,
        else stock Odoo's prices with tax); ``points_basis_from`` says which. Replayed orders
        beyond ``sort_memory_mb`` MiB are sorted on disk (temporary files; ``sort_runs`` in the
        report), so memory stays bounded whatever the history's size.
        """
        if points_on_tax_included is not None and not isinstance(points_on_tax_included, bool):
            raise EtlArgumentError(f"points_on_tax_included: {points_on_tax_included!r} is not a bool or None")
        for field, value in (("threshold", threshold), ("max_findings", max_findings), ("max_cards", max_cards)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise EtlArgumentError(f"{field}: {value!r} is not an integer >= 0")
        if isinstance(sort_memory_mb, bool) or not isinstance(sort_memory_mb, (int, float)) \
                or not 0.0625 <= sort_memory_mb <= 4096:
            raise EtlArgumentError(f"sort_memory_mb: {sort_memory_mb!r} is not a number of MiB in [0.0625, 4096]")
        report = json.loads(self._native.audit(_when(since, "since"), _when(until, "until"), threshold,
                                               str(tolerance), max_findings, max_cards, points_on_tax_included,
                                               int(sort_memory_mb * (1 << 20))))
        if report["alert"] and on_alert is not None:
            on_alert(report)
        return report

    def status(self, *, cadences: Mapping[str, float] | None = None) -> Report:
        return json.loads(self._native.status(_cadences(cadences, None)))

    def check_source(self) -> Report:
        return json.loads(self._native.check_source())

    def metrics(self, *, cadences: Mapping[str, float] | None = None) -> str:
        return _bindings.etl_metrics(self._target, _cadences(cadences, None))

    def follow(
        self,
        *,
        streams: Sequence[str] | str | None = None,
        cadences: Mapping[str, float] | None = None,
        interval: float | None = None,
        max_rounds: int | None = None,
        duration: float | None = None,
        stop: threading.Event | None = None,
        on_round: Callable[[Report], object] | None = None,
        on_error: Callable[[EtlError], object] | None = None,
        validate_every: float | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        on_alert: Callable[[Report], object] | None = None,
    ) -> Report:
        """Sync each stream whenever its cadence elapses, until stopped.

        Stops after ``max_rounds`` rounds that synced something, after ``duration`` seconds,
        when ``stop`` is set, or on KeyboardInterrupt. ``interval`` gives every group the same
        cadence (e.g. 1 s for low latency). An error in a round is logged (and passed to
        ``on_error``) and the loop goes on: the failed stream is retried on its next turn with
        nothing half-written. ``validate_every`` (seconds) also validates periodically.
        """
        cads = _cadences(cadences, interval)
        selected = _streams(streams)
        started = time.monotonic()
        rounds = errors = 0
        rows = 0
        last_validation: Report | None = None
        next_validation = started + validate_every if validate_every else None
        wait = stop.wait if stop is not None else time.sleep

        def finished() -> bool:
            if stop is not None and stop.is_set():
                return True
            if max_rounds is not None and rounds >= max_rounds:
                return True
            return duration is not None and time.monotonic() - started >= duration

        try:
            while not finished():
                pause = 1.0
                try:
                    report = json.loads(self._native.sync(selected, True, cads))
                except EtlBusyError as exc:
                    log.warning("%s", exc)
                except EtlError as exc:
                    errors += 1
                    log.error("sync round failed: %s", exc)
                    if on_error is not None:
                        on_error(exc)
                else:
                    if report["streams"]:
                        rounds += 1
                        rows += report["rows_upserted"] + report["rows_deleted"]
                        if on_round is not None:
                            on_round(report)
                    pause = report["next_due_in_s"]
                if next_validation is not None and time.monotonic() >= next_validation:
                    last_validation = self.validate(threshold=threshold, on_alert=on_alert)
                    next_validation = time.monotonic() + (validate_every or 0)
                if finished():
                    break
                if duration is not None:
                    pause = min(pause, max(0.0, duration - (time.monotonic() - started)))
                wait(max(0.05, min(pause, 5.0)))
        except KeyboardInterrupt:
            log.info("follow interrupted")
        return {
            "rounds": rounds,
            "errors": errors,
            "rows_changed": rows,
            "duration_s": time.monotonic() - started,
            "last_validation": last_validation,
        }


def full_load(
    source_dsn: str | None = None,
    target_dsn: str | None = None,
    *,
    streams: Sequence[str] | str | None = None,
    resume: bool = True,
) -> Report:
    """See :meth:`Etl.full_load`."""
    return Etl(source_dsn, target_dsn).full_load(streams=streams, resume=resume)


def sync(
    source_dsn: str | None = None,
    target_dsn: str | None = None,
    *,
    streams: Sequence[str] | str | None = None,
    due_only: bool = False,
    cadences: Mapping[str, float] | None = None,
    method: str = "ranged",
    sweep_blocks: int | None = None,
    check_keys: int | None = None,
) -> Report:
    """See :meth:`Etl.sync`."""
    return Etl(source_dsn, target_dsn).sync(streams=streams, due_only=due_only, cadences=cadences,
                                            method=method, sweep_blocks=sweep_blocks,
                                            check_keys=check_keys)


def validate(
    source_dsn: str | None = None,
    target_dsn: str | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    tolerance: str = "0.000001",
    max_discrepancies: int = 1000,
    on_alert: Callable[[Report], object] | None = None,
) -> Report:
    """See :meth:`Etl.validate`."""
    return Etl(source_dsn, target_dsn).validate(
        threshold=threshold, tolerance=tolerance, max_discrepancies=max_discrepancies, on_alert=on_alert
    )


def audit(
    source_dsn: str | None = None,
    target_dsn: str | None = None,
    *,
    since: When | None = None,
    until: When | None = None,
    threshold: int = 0,
    tolerance: str = "0.000001",
    max_findings: int = 10_000,
    max_cards: int = 10_000,
    points_on_tax_included: bool | None = None,
    sort_memory_mb: float = 16,
    on_alert: Callable[[Report], object] | None = None,
) -> Report:
    """See :meth:`Etl.audit`."""
    return Etl(source_dsn, target_dsn).audit(since=since, until=until, threshold=threshold, tolerance=tolerance,
                                             max_findings=max_findings, max_cards=max_cards,
                                             points_on_tax_included=points_on_tax_included,
                                             sort_memory_mb=sort_memory_mb, on_alert=on_alert)


def follow(source_dsn: str | None = None, target_dsn: str | None = None, **options: Any) -> Report:
    """See :meth:`Etl.follow`."""
    return Etl(source_dsn, target_dsn).follow(**options)


def status(target_dsn: str | None = None, *, cadences: Mapping[str, float] | None = None) -> Report:
    """Per-stream state, last runs and last validation; needs only the engine's DSN."""
    target = _dsn(target_dsn, TARGET_ENV, "target_dsn")
    return json.loads(_bindings.etl_status(target, _cadences(cadences, None)))


def metrics(target_dsn: str | None = None, *, cadences: Mapping[str, float] | None = None) -> str:
    """The status as Prometheus text exposition."""
    target = _dsn(target_dsn, TARGET_ENV, "target_dsn")
    return _bindings.etl_metrics(target, _cadences(cadences, None))


def check_source(source_dsn: str | None = None) -> Report:
    """What the source offers (streams, addon) and proof that the ETL cannot write to it."""
    return json.loads(_bindings.etl_check_source(_dsn(source_dsn, SOURCE_ENV, "source_dsn")))
