"""Numbers into and out of the engine as Decimals (never through binary floats' arithmetic)."""

from decimal import Decimal

ZERO = Decimal(0)


def float_decimal(value):
    """An Odoo float field's value as a decimal read through its shortest repr (None/False: 0)."""
    return Decimal(repr(float(value or 0.0)))


def to_decimal(value):
    """A stored number (Decimal, float, int or its text, as the plan and the result keep them)
    as a decimal; None is 0."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))
