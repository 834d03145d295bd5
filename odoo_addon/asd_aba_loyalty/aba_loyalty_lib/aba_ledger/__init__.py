"""Points ledger SQL for Odoo's `loyalty_card`, on any DB-API (psycopg2) cursor.

Pure Python, no Odoo import: the addon's models call it with `env.cr`, the main test suite calls
it with plain psycopg2 connections against Odoo's real DDL.
"""

from .consistency import ConsistencyReport, Discrepancy, check_consistency
from .errors import (
    CardNotFoundError,
    InsufficientBalanceError,
    InvalidMoveError,
    LedgerError,
    RetryExhaustedError,
)
from .moves import KINDS, MoveResult, idempotency_key, post_move
from .opening import post_opening_moves
from .retry import RETRYABLE_SQLSTATES, backoff_delays, retry_in_savepoint, sqlstate, with_retry
from .schema import (
    BALANCE_CHECK,
    BALANCE_CHECK_SQL,
    CARD_CHECK,
    CARD_FK,
    KEY_CONSTRAINT,
    MOVE_TABLE,
    MOVE_TABLE_DDL,
    drop_card_check,
    drop_card_foreign_key,
    ensure_card_check,
    ensure_move_table,
)

__all__ = [
    "BALANCE_CHECK",
    "BALANCE_CHECK_SQL",
    "CARD_CHECK",
    "CARD_FK",
    "KEY_CONSTRAINT",
    "KINDS",
    "MOVE_TABLE",
    "MOVE_TABLE_DDL",
    "RETRYABLE_SQLSTATES",
    "CardNotFoundError",
    "ConsistencyReport",
    "Discrepancy",
    "InsufficientBalanceError",
    "InvalidMoveError",
    "LedgerError",
    "MoveResult",
    "RetryExhaustedError",
    "backoff_delays",
    "check_consistency",
    "drop_card_check",
    "drop_card_foreign_key",
    "ensure_card_check",
    "ensure_move_table",
    "idempotency_key",
    "post_move",
    "post_opening_moves",
    "retry_in_savepoint",
    "sqlstate",
    "with_retry",
]
