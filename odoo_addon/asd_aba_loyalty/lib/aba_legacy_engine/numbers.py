"""Decimal arithmetic of the spec: input decoding, the local context, the two roundings.

Every computation runs in CONTEXT (never the process default of 28 digits, HALF_EVEN): with
inputs below 10**12 and at most 28 fractional digits, 200 significant digits keep every product
and sum of the calculation exact, so the only roundings are the ones the spec asks for.
"""

from __future__ import annotations

import re
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

CONTEXT = Context(
    prec=200,
    rounding=ROUND_HALF_UP,
    Emin=-999_999,
    Emax=999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
_LIMIT = Decimal(10) ** 12
_MAX_FRACTION = Decimal("1e-28")
# Plain decimal notation, optionally signed, optionally with an exponent ("1.5", "-.5", "2e3").
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


class DecimalInputError(ValueError):
    """A value that is not an acceptable decimal; the reason goes into the caller's error."""


def parse_decimal(value: object) -> Decimal:
    """Decimal, int, str or float (read as Decimal(repr(x))) to a finite Decimal in range."""
    kind = type(value)
    if kind is Decimal:
        number = value
    elif kind is int:
        if not -_LIMIT < value < _LIMIT:
            raise DecimalInputError("out of range")
        return Decimal(value)
    elif kind is str:
        if not _DECIMAL_TEXT.match(value):
            raise DecimalInputError("must be a decimal number")
        number = Decimal(value)
    elif kind is float:
        number = Decimal(repr(value))
    elif isinstance(value, bool):
        raise DecimalInputError("must be a decimal number, not a bool")
    elif isinstance(value, (Decimal, int, str, float)):
        # Subclasses: read through the base type.
        base = next(t for t in (Decimal, int, str, float) if isinstance(value, t))
        return parse_decimal(base(value))
    else:
        raise DecimalInputError(f"must be a decimal number, not {kind.__name__}")
    if not number.is_finite():
        raise DecimalInputError("must be a finite number")
    if not -_LIMIT < number < _LIMIT:
        raise DecimalInputError("out of range")
    if number.as_tuple().exponent < -28 and number != number.quantize(
        _MAX_FRACTION, context=CONTEXT
    ):
        raise DecimalInputError("more than 28 fractional digits")
    return number


def scale_of(number: Decimal) -> int:
    """Fractional digits of a decimal as written ("0.01" -> 2, "100" -> 0)."""
    exponent = number.as_tuple().exponent
    return -exponent if exponent < 0 else 0


def fraction_digits(number: Decimal) -> int:
    """Fractional digits the value needs ("1.50" -> 1, "2.000" -> 0)."""
    if number == 0:
        return 0
    return scale_of(number.normalize(CONTEXT))


class MoneyRounding:
    """Half-up to a multiple of currency.rounding, quantized to the rounding's scale."""

    __slots__ = ("quantum", "step", "unit")

    def __init__(self, step: Decimal) -> None:
        self.step = step
        self.quantum = Decimal(1).scaleb(-scale_of(step))
        # A step of 1 or 10**-k is a plain quantize, the common and fast case.
        self.unit = step == self.quantum

    def __call__(self, amount: Decimal) -> Decimal:
        if self.unit:
            return amount.quantize(self.quantum, ROUND_HALF_UP, CONTEXT)
        steps = CONTEXT.divide(amount, self.step).quantize(ONE, ROUND_HALF_UP, CONTEXT)
        return CONTEXT.multiply(steps, self.step).quantize(self.quantum, ROUND_HALF_UP, CONTEXT)

    def ratio(self, numerator: Decimal, denominator: Decimal) -> Decimal:
        """numerator / denominator rounded like money: one division, the last operation."""
        return self(CONTEXT.divide(numerator, denominator))

    @property
    def zero(self) -> Decimal:
        return ZERO.quantize(self.quantum)


class PointsRounding:
    """Points to `points_precision` places: earned toward zero, per_point spent away from zero."""

    __slots__ = ("quantum",)

    def __init__(self, precision: int) -> None:
        self.quantum = Decimal(1).scaleb(-precision)

    def down(self, points: Decimal) -> Decimal:
        return points.quantize(self.quantum, ROUND_DOWN, CONTEXT)

    def up(self, points: Decimal) -> Decimal:
        return points.quantize(self.quantum, ROUND_UP, CONTEXT)
