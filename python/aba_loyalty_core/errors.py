"""The exception hierarchy of aba_loyalty_core.

Defined in Python so that classes can inherit from both LoyaltyError and the matching builtin
(a ConfigError is a ValueError); the native module raises these very classes (src/errors.rs).
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


class EtlError(LoyaltyError):
    """Base class of the ETL's errors."""


__all__ = [
    "ConfigError",
    "EtlError",
    "InsufficientPointsError",
    "LoyaltyError",
    "OrderError",
]
