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


class EtlConnectionError(EtlError):
    """A database cannot be reached, refuses the login, or its DSN is malformed.

    The message names the side (source or target) and the DSN without its password.
    """


class SourceSchemaError(EtlError):
    """The source lacks Odoo tables or columns the ETL reads; the message lists them."""


class AddonMissingError(SourceSchemaError):
    """The source lacks the asd_aba_loyalty addon's ledger tables: there is no ledger to
    derive the engine's balances from. Install the addon, or select Odoo-only streams."""


class EtlArgumentError(EtlError, ValueError):
    """An invalid ETL argument (unknown stream, bad threshold, missing DSN); names the field."""


class EtlBusyError(EtlError):
    """Another ETL process is synchronising the same stream right now."""


class NotLoadedError(EtlError):
    """A stream was never fully loaded into the target: run full_load first."""


__all__ = [
    "AddonMissingError",
    "ConfigError",
    "EtlArgumentError",
    "EtlBusyError",
    "EtlConnectionError",
    "EtlError",
    "InsufficientPointsError",
    "LoyaltyError",
    "NotLoadedError",
    "OrderError",
    "SourceSchemaError",
]
