"""The exception hierarchy of aba_loyalty_core.

Defined in Python so that classes can inherit from both LoyaltyError and the matching builtin
(a ConfigError is a ValueError); the native module raises these very classes (src/errors.rs).

An engine error carries where it is as data: ``.path``, a tuple of str keys and int indexes
(``("lines", 2, "qty")``; ``evaluate_many`` puts the order's index first), and ``.reason``, the
text after the path. The message is built from them: ``"lines[2].qty: must be > 0 in a sale"``;
an empty path names the document (``"order: must be a dict, not list"``). Errors that are not
about a field (the ETL's) have an empty path and their message as reason.
"""

from __future__ import annotations

from typing import Any

from aba_loyalty_core.types import Path


def render_path(path: Path) -> str:
    """``("programs", 3, "rewards", 0, "value")`` -> ``"programs[3].rewards[0].value"``."""
    text = ""
    for item in path:
        if isinstance(item, int):
            text += f"[{item}]"
        else:
            text += f".{item}" if text else item
    return text


class LoyaltyError(Exception):
    """Base class of every error this package raises."""

    #: What the message calls the document itself (an error with an empty path).
    document = "order"

    path: Path
    reason: str

    def __init__(self, message: str | None = None, *, path: Path = (), reason: str | None = None):
        self.path = tuple(path)
        self.reason = (message or "") if reason is None else reason
        if message is None:
            message = f"{render_path(self.path) or self.document}: {self.reason}"
        super().__init__(message)

    @classmethod
    def at(cls, path: Path, reason: str) -> LoyaltyError:
        """The error about the field at ``path``, its message built from the path and reason."""
        return cls(path=path, reason=reason)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.path, self.reason))


def _rebuild(cls: type[LoyaltyError], message: str, path: Path, reason: str) -> LoyaltyError:
    return cls(message, path=path, reason=reason)


class ConfigError(LoyaltyError, ValueError):
    """The engine configuration is malformed; ``.path`` names the field."""

    document = "config"


class OrderError(LoyaltyError, ValueError):
    """The order is malformed or a redemption is invalid; ``.path`` names the field."""


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
    "Path",
    "SourceSchemaError",
    "render_path",
]
