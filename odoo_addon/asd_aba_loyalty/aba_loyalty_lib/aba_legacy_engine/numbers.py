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
# Decimal text as `decimal.Decimal` reads it, ASCII digits only: optional sign, digits with single
# underscores between them, optional fraction, optional exponent ("1_000.5", "-.5", "2E+3").
_DIGITS = r"[0-9](?:_?[0-9])*"
_DECIMAL_TEXT = re.compile(
    rf"[+-]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?[0-9]+)?\Z"
)
# Exactly representable: a coefficient of at most 96 bits at a scale of at most 28 (the range of
# the native engine's decimal type; no input the native side refuses is accepted here).
_MAX_COEFFICIENT = 2**96


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
        text = value.strip()
        if not _DECIMAL_TEXT.match(text):
            raise DecimalInputError(f"not a decimal number: {value!r}")
        number = Decimal(text)
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
    _sign, digits, exponent = number.as_tuple()
    if exponent < 0:
        # Trailing zeros of the fraction carry no value; drop them before judging the scale.
        # (Done on the digit string: linear even for a Decimal with thousands of zeros.)
        text = "".join(map(str, digits))
        removable = min(len(text) - len(text.rstrip("0")), -exponent)
        significant = text[: len(text) - removable].lstrip("0")
        if significant and -exponent - removable > 28:
            raise DecimalInputError("more than 28 decimal places")
        if len(significant) > 29 or (significant and int(significant) >= _MAX_COEFFICIENT):
            raise DecimalInputError("not exactly representable (too many significant digits)")
        if not significant:
            number = ZERO
        elif removable:
            # Kept without the zeros (as the native reader keeps it): "1.50" is read as 1.5.
            number = Decimal((_sign, digits[: len(digits) - removable], exponent + removable))
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


def plain(number: Decimal) -> Decimal:
    """The value without trailing fractional zeros ("1.50" -> 1.5, "2.0" -> 2, "100" stays 100):
    how a decimal given in the config is echoed in results (the tier multiplier)."""
    exponent = number.as_tuple().exponent
    if exponent >= 0:
        return number if exponent == 0 else number.quantize(ONE, context=CONTEXT)
    stripped = number.normalize(CONTEXT)
    return stripped.quantize(ONE) if stripped.as_tuple().exponent > 0 else stripped


def unsigned_zero(number: Decimal) -> Decimal:
    """-0 (a refund line at price 0) as 0: results never carry a negative zero."""
    return number.copy_abs() if not number and number.is_signed() else number


class MoneyRounding:
    """Half-up to a multiple of currency.rounding, quantized to the rounding's scale."""

    __slots__ = ("quantum", "step", "unit")

    def __init__(self, step: Decimal) -> None:
        self.step = step
        # The rounding's scale as a value ("0.010" and "0.01" both give 2 places, "1.0" gives 0).
        self.quantum = Decimal(1).scaleb(-fraction_digits(step))
        # A step of 1 or 10**-k is a plain quantize, the common and fast case.
        self.unit = step == self.quantum

    def __call__(self, amount: Decimal) -> Decimal:
        if self.unit:
            rounded = amount.quantize(self.quantum, ROUND_HALF_UP, CONTEXT)
        else:
            steps = CONTEXT.divide(amount, self.step).quantize(ONE, ROUND_HALF_UP, CONTEXT)
            rounded = CONTEXT.multiply(steps, self.step).quantize(
                self.quantum, ROUND_HALF_UP, CONTEXT)
        return unsigned_zero(rounded)

    def from_steps(self, steps: Decimal) -> Decimal:
        """A whole number of rounding steps as money (at the rounding's scale)."""
        return unsigned_zero(CONTEXT.multiply(steps, self.step).quantize(
            self.quantum, ROUND_HALF_UP, CONTEXT))

    def floor(self, amount: Decimal) -> Decimal:
        """Rounded toward zero to a multiple of the rounding, exactly (integer division)."""
        return self.from_steps(CONTEXT.divide_int(amount, self.step))

    @property
    def zero(self) -> Decimal:
        return ZERO.quantize(self.quantum)


class PointsRounding:
    """Points to `points_precision` places: earned toward zero, per_point spent away from zero."""

    __slots__ = ("quantum",)

    def __init__(self, precision: int) -> None:
        self.quantum = Decimal(1).scaleb(-precision)

    def down(self, points: Decimal) -> Decimal:
        return unsigned_zero(points.quantize(self.quantum, ROUND_DOWN, CONTEXT))

    def up(self, points: Decimal) -> Decimal:
        return unsigned_zero(points.quantize(self.quantum, ROUND_UP, CONTEXT))
