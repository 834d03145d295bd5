"""Retry of transient concurrency failures: exponential backoff with full jitter.

Two levels, because PostgreSQL errors differ in what a retry needs:
- lock timeout (55P03) and deadlock (40P01) abort one statement: retrying inside a savepoint of
  the same transaction can succeed (`retry_in_savepoint`);
- a serialization failure (40001) means the transaction's snapshot is stale (Odoo runs at
  REPEATABLE READ): only a new transaction helps, so it is re-raised from a savepoint and retried
  by `with_retry` around the whole transaction (inside Odoo, by its own RPC `retrying`, which
  handles the same three codes with backoff and jitter).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from .errors import RetryExhaustedError

SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
LOCK_NOT_AVAILABLE = "55P03"
RETRYABLE_SQLSTATES = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE})
STATEMENT_RETRYABLE = frozenset({DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE})

T = TypeVar("T")


def sqlstate(exc: BaseException) -> str | None:
    """SQLSTATE of a driver exception (psycopg2 `pgcode`, psycopg 3 `sqlstate`), else None."""
    return getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)


def backoff_delays(attempts: int, base: float, cap: float,
                   rng: Callable[[], float] = random.random) -> Iterator[float]:
    """Delays before retries 1..attempts-1: uniform in [0, min(cap, base * 2**n)] (full jitter)."""
    for n in range(attempts - 1):
        yield min(cap, base * (2 ** n)) * rng()


def with_retry(conn, work: Callable[[object], T], *, attempts: int = 8, base: float = 0.01,
               cap: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `work(cursor)` in a transaction on `conn`, commit, and retry the whole transaction on
    40001 / 40P01 / 55P03. Any other error rolls back and propagates."""
    delays = backoff_delays(attempts, base, cap)
    last: BaseException | None = None
    for _ in range(attempts):
        try:
            with conn.cursor() as cur:
                result = work(cur)
            conn.commit()
            return result
        except Exception as exc:
            conn.rollback()
            if sqlstate(exc) not in RETRYABLE_SQLSTATES:
                raise
            last = exc
            delay = next(delays, None)
            if delay is None:
                break
            sleep(delay)
    raise RetryExhaustedError(f"gave up after {attempts} attempts: {last}") from last


_SAVEPOINT = "SAVEPOINT aba_ledger"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT aba_ledger"
_RELEASE = "RELEASE SAVEPOINT aba_ledger"


def retry_in_savepoint(cr, work: Callable[[], T], *, attempts: int = 5, base: float = 0.01,
                       cap: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `work()` inside a savepoint of the current transaction; on a lock timeout or deadlock,
    roll back to the savepoint and try again. Serialization failures (and any other error) roll
    back to the savepoint and propagate."""
    delays = backoff_delays(attempts, base, cap)
    last: BaseException | None = None
    for _ in range(attempts):
        cr.execute(_SAVEPOINT)
        try:
            result = work()
        except Exception as exc:
            cr.execute(_ROLLBACK_TO)
            cr.execute(_RELEASE)
            if sqlstate(exc) not in STATEMENT_RETRYABLE:
                raise
            last = exc
            delay = next(delays, None)
            if delay is None:
                break
            sleep(delay)
            continue
        cr.execute(_RELEASE)
        return result
    raise RetryExhaustedError(f"gave up after {attempts} attempts: {last}") from last
