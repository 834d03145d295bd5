"""The exception classes of the legacy engine: the same names and meanings as aba_loyalty_core's.

Every message is "<path>: <reason>", the path naming the bad field (`lines[2].qty`).
"""

from __future__ import annotations


class LoyaltyError(Exception):
    """Base class of every error this package raises."""


class ConfigError(LoyaltyError, ValueError):
    """The engine configuration is malformed; the message names the field's path."""


class OrderError(LoyaltyError, ValueError):
    """The order is malformed or a redemption is invalid; the message names the field's path."""


class InsufficientPointsError(LoyaltyError):
    """The points requested for redemption exceed the card's balance."""


def with_index(exc: LoyaltyError, index: int) -> LoyaltyError:
    """The same error for the `index`-th order of a batch: its path prefixed by `[index]`."""
    message = str(exc)
    sep = "" if message.startswith(("[", ":")) else "."
    return type(exc)(f"[{index}]{sep}{message}")


__all__ = [
    "ConfigError",
    "InsufficientPointsError",
    "LoyaltyError",
    "OrderError",
    "with_index",
]
