"""Posting one move: the only way points change.

Under `SELECT ... FOR UPDATE` on the card row, the move is inserted with its UNIQUE idempotency
key (`ON CONFLICT DO NOTHING`: a re-sent order finds its key taken and changes nothing), then the
card is updated by one SQL increment whose RETURNING value becomes the move's `balance_after`.
Python never writes a balance it computed from a value it read.

A move may ask for more than the card holds: a refund always takes the balance to zero at most and
records the rest as `unrecovered`; a redemption or negative adjustment does the same with
`clamp=True` (a paid order is never refused: the rest is its `shortfall`), and is refused with
`InsufficientBalanceError` otherwise. With `open_missing=True`, a card that has no move yet (a
card that predates the ledger, or one of a program the engine took over later) first gets its
`opening` move, equal to its balance at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .errors import CardNotFoundError, InsufficientBalanceError, InvalidMoveError
from .retry import retry_in_savepoint
from .schema import MOVE_TABLE

KINDS = ("earn", "redeem", "refund", "return", "adjust", "opening")
CHECK_VIOLATION = "23514"


@dataclass(frozen=True)
class MoveResult:
    """What a call to `post_move` did. `created` is False when the key already existed: the
    other fields then describe the move recorded the first time."""

    move_id: int
    card_id: int
    kind: str
    points: Decimal          # signed points applied to the card
    balance_after: Decimal
    unrecovered: Decimal     # refund points that could not be taken back (>= 0)
    created: bool
    shortfall: Decimal = Decimal(0)   # clamped redemption/adjustment points not covered (>= 0)


def idempotency_key(order_uid: str, card_id: int, kind: str) -> str:
    """The move key of an order's effect on a card: one earn, one redeem, one refund per
    (order, card)."""
    if not order_uid:
        raise InvalidMoveError("order_uid: must be a non-empty string")
    if kind not in KINDS:
        raise InvalidMoveError(f"kind: unknown kind {kind!r}")
    return f"{kind}:{int(card_id)}:{order_uid}"


def _decimal(value, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidMoveError(f"{field}: not a number: {value!r}")
    result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not result.is_finite():
        raise InvalidMoveError(f"{field}: not a finite number: {value!r}")
    return result


def _check_sign(kind: str, points: Decimal) -> None:
    if kind in ("earn", "opening", "return") and points < 0:
        raise InvalidMoveError(f"points: {kind} must be >= 0, got {points}")
    if kind == "redeem" and points > 0:
        raise InvalidMoveError(f"points: redeem must be <= 0, got {points}")


def _existing(cr, key: str) -> MoveResult | None:
    cr.execute(
        f"SELECT id, card_id, kind, points, balance_after, COALESCE(unrecovered, 0), "
        f"COALESCE(shortfall, 0) FROM {MOVE_TABLE} WHERE idempotency_key = %s",
        (key,),
    )
    row = cr.fetchone()
    if row is None:
        return None
    return MoveResult(row[0], row[1], row[2], Decimal(row[3]),
                      Decimal(row[4]) if row[4] is not None else Decimal(0),
                      Decimal(row[5]), False, Decimal(row[6]))


def _lock_card(cr, card_id: int):
    cr.execute(
        # float8 -> numeric keeps 15 significant digits, i.e. the value Odoo displays.
        "SELECT COALESCE(points, 0)::numeric, partner_id, program_id, code "
        "FROM loyalty_card WHERE id = %s FOR UPDATE",
        (card_id,),
    )
    row = cr.fetchone()
    if row is None:
        raise CardNotFoundError(f"card_id: loyalty card {card_id} does not exist")
    return Decimal(row[0]), row[1], row[2], row[3]


def _applied(kind: str, requested: Decimal, balance: Decimal, card_id: int, clamp: bool):
    """(points to apply, unrecovered, shortfall) for a move asking `requested` on a card holding
    `balance`."""
    zero = Decimal(0)
    if requested >= 0 or balance + requested >= 0:
        return requested, zero, zero
    available = max(balance, zero)
    if kind == "refund":
        # A refund is never blocked: take what is there, record the rest.
        return -available, -(requested + available), zero
    if clamp:
        # A paid order is never refused: spend what is there, record the rest.
        return -available, zero, -(requested + available)
    raise InsufficientBalanceError(card_id, balance, -requested)


_MOVE_COLUMNS = ("card_id", "card_code", "partner_id", "program_id", "order_uid", "pos_order_id",
                 "kind", "points", "balance_after", "unrecovered", "shortfall",
                 "idempotency_key", "engine", "create_uid", "write_uid")
# One constant statement for every insert (a column a caller leaves out is NULL).
_INSERT_MOVE_SQL = (
    f"INSERT INTO {MOVE_TABLE} (card_id, card_code, partner_id, program_id, order_uid, "
    "pos_order_id, kind, points, balance_after, unrecovered, shortfall, idempotency_key, engine, "
    "create_uid, write_uid, create_date, write_date) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "%s, %s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)


def _insert_move(cr, values: dict) -> int | None:
    unknown = set(values) - set(_MOVE_COLUMNS)
    if unknown:
        raise InvalidMoveError(f"{min(unknown)}: not a column of the ledger move")
    cr.execute(_INSERT_MOVE_SQL, [values.get(column) for column in _MOVE_COLUMNS])
    row = cr.fetchone()
    return row[0] if row else None


def _open_if_missing(cr, card_id, balance, partner, program, code, user_id) -> Decimal:
    """The card's `opening` move when it has no move at all (the caller holds the card lock).
    A negative balance left by a flow outside the ledger is then repaired to zero by an
    `adjust` move. Returns the balance after."""
    cr.execute(f"SELECT 1 FROM {MOVE_TABLE} WHERE card_id = %s LIMIT 1", (card_id,))
    if cr.fetchone():
        return balance
    common = {"card_id": card_id, "card_code": code, "partner_id": partner,
              "program_id": program, "unrecovered": 0, "create_uid": user_id,
              "write_uid": user_id}
    _insert_move(cr, dict(common, kind="opening", points=balance,
                          balance_after=balance,
                          idempotency_key=f"opening:{card_id}"))
    if balance < 0:
        _insert_move(cr, dict(common, kind="adjust", points=-balance, balance_after=0,
                              idempotency_key=f"repair-negative:{card_id}"))
        cr.execute("UPDATE loyalty_card SET points = 0 WHERE id = %s", (card_id,))
        return Decimal(0)
    return balance


def _post_once(cr, *, card_id, kind, points, key, order_uid, pos_order_id, engine, user_id,
               partner_id, program_id, clamp, open_missing) -> MoveResult:
    balance, card_partner, card_program, code = _lock_card(cr, card_id)
    existing = _existing(cr, key)
    if existing is not None:
        return existing
    partner = partner_id if partner_id is not None else card_partner
    program = program_id if program_id is not None else card_program
    if open_missing and kind != "opening":
        balance = _open_if_missing(cr, card_id, balance, card_partner, card_program, code,
                                   user_id)
    if kind == "opening":
        # The card already holds these points (they predate the ledger): record, do not add.
        applied, unrecovered, shortfall, delta = points, Decimal(0), Decimal(0), Decimal(0)
    else:
        applied, unrecovered, shortfall = _applied(kind, points, balance, card_id, clamp)
        delta = applied
    move_id = _insert_move(cr, {
        "card_id": card_id, "card_code": code, "partner_id": partner, "program_id": program,
        "order_uid": order_uid, "pos_order_id": pos_order_id, "kind": kind, "points": applied,
        "unrecovered": unrecovered, "shortfall": shortfall, "idempotency_key": key,
        "engine": engine, "create_uid": user_id, "write_uid": user_id,
    })
    if move_id is None:
        # Inserted by a concurrent transaction after our check (visible now that it committed).
        found = _existing(cr, key)
        if found is None:
            raise InvalidMoveError(f"idempotency_key: {key!r} conflicts but cannot be read")
        return found
    # One statement: the card's increment and the move's balance_after. The numeric detour keeps
    # the float8 cache free of binary drift (0.1 + 0.2 stays 0.3).
    cr.execute(
        "WITH card AS (UPDATE loyalty_card SET points = (COALESCE(points, 0)::numeric + %s)"
        "::float8, write_date = now() AT TIME ZONE 'UTC', write_uid = COALESCE(%s, write_uid) "
        "WHERE id = %s RETURNING points) "
        f"UPDATE {MOVE_TABLE} m SET balance_after = card.points::numeric FROM card "
        "WHERE m.id = %s RETURNING m.balance_after",
        (delta, user_id, card_id, move_id),
    )
    balance_after = Decimal(cr.fetchone()[0])
    return MoveResult(move_id, card_id, kind, applied, balance_after, unrecovered, True, shortfall)


def post_move(cr, *, card_id: int, kind: str, points, key: str | None = None,
              order_uid: str | None = None, pos_order_id: int | None = None,
              engine: str | None = None, user_id: int | None = None,
              partner_id: int | None = None, program_id: int | None = None,
              lock_timeout_ms: int | None = 2000, retry_attempts: int = 5,
              clamp: bool = False, open_missing: bool = False) -> MoveResult:
    """Post one move and update the card's cached balance, atomically, exactly once per key.

    `points` is signed (earn/opening/return >= 0, redeem <= 0, refund/adjust either sign). The
    key defaults to `idempotency_key(order_uid, card_id, kind)`. Raises `InsufficientBalanceError`
    for a redemption or negative adjustment beyond the balance (nothing written) unless `clamp`
    (then the balance goes to zero and the rest is the move's `shortfall`),
    `CardNotFoundError`, `InvalidMoveError`. A refund beyond the balance takes it to zero and
    records the rest in `unrecovered`. `open_missing`: see the module docstring. Lock timeouts and deadlocks are retried in a savepoint;
    serialization failures propagate for a whole-transaction retry (see `retry`).
    """
    if kind not in KINDS:
        raise InvalidMoveError(f"kind: unknown kind {kind!r}")
    amount = _decimal(points, "points")
    _check_sign(kind, amount)
    if key is None:
        key = idempotency_key(order_uid or "", card_id, kind)

    def work():
        if lock_timeout_ms is not None:
            # Transaction-local and undone by the savepoint rollback on failure; restored below
            # on success so the rest of the caller's transaction keeps its own setting.
            cr.execute("SELECT current_setting('lock_timeout'), "
                       "set_config('lock_timeout', %s, true)", (f"{int(lock_timeout_ms)}ms",))
            previous = cr.fetchone()[0]
        try:
            result = _post_once(cr, card_id=card_id, kind=kind, points=amount, key=key,
                                order_uid=order_uid, pos_order_id=pos_order_id, engine=engine,
                                user_id=user_id, partner_id=partner_id, program_id=program_id,
                                clamp=clamp, open_missing=open_missing)
        except Exception as exc:
            if getattr(exc, "pgcode", None) == CHECK_VIOLATION:
                raise InsufficientBalanceError(card_id, "below zero", -amount) from exc
            raise
        if lock_timeout_ms is not None:
            cr.execute("SELECT set_config('lock_timeout', %s, true)", (previous,))
        return result

    return retry_in_savepoint(cr, work, attempts=retry_attempts)
