"""The exception classes of the legacy engine: the same names, meanings and attributes as
aba_loyalty_core's.

Every error carries where it is as data: ``.path``, a tuple of str keys and int indexes (``("lines",
2, "qty")``; ``evaluate_many`` puts the order's index first), and ``.reason``, the text after the
path. The message is built from them: ``"lines[2].qty: must be > 0 in a sale"``; an empty path
names the document (``"order: must be a dict, not list"``).
"""

from __future__ import annotations

from typing import Any

#: A field's location: str keys and int indexes from the document's root.
Path = tuple[str | int, ...]


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


def with_index(exc: LoyaltyError, index: int) -> LoyaltyError:
    """The same error for the ``index``-th order of a batch: ``index`` put before its path."""
    return type(exc).at((index, *exc.path), exc.reason)


__all__ = [
    "ConfigError",
    "InsufficientPointsError",
    "LoyaltyError",
    "OrderError",
    "Path",
    "render_path",
    "with_index",
]
