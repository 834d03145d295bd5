"""Strict field readers shared by the config and order decoders.

Each reader takes the mapping, the key, the mapping's path (a tuple of keys and indexes) and the
error class to raise, and raises it at path + (key,) with the reason (errors.py renders
`<path>.<key>: <reason>`). Optional fields may be absent or None (None means the default).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .errors import Path
from .moments import MomentInputError, parse_date, parse_datetime
from .numbers import DecimalInputError, parse_decimal

_ABSENT = object()


def join(base: Path, key: str) -> Path:
    return (*base, key)


def item(base: Path, index: int) -> Path:
    return (*base, index)


def mapping(value: Any, path: Path, error: type, allowed: frozenset) -> dict:
    """The value as a dict with only `allowed` keys."""
    if not isinstance(value, dict):
        raise error.at(path, f"must be a dict, not {type(value).__name__}")
    for key in value:
        if key not in allowed:
            if not isinstance(key, str):
                raise error.at(path, f"keys must be strings, got {type(key).__name__}")
            raise error.at((*path, key), "unknown key")
    return value


def sequence(value: Any, path: Path, error: type) -> list | tuple:
    if not isinstance(value, (list, tuple)):
        raise error.at(path, f"must be a list, not {type(value).__name__}")
    return value


def _required(obj: dict, key: str, base: Path, error: type) -> Any:
    value = obj.get(key)
    if value is None:
        raise error.at((*base, key), "required")
    return value


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_I64 = 2**63


def as_int(value: Any, path: Path, error: type) -> int:
    """An int (never a bool) within the 64-bit range ids and ranks have everywhere."""
    if not is_int(value):
        raise error.at(path, f"must be an int, not {type(value).__name__}")
    if not -_I64 <= value < _I64:
        raise error.at(path, "out of range (64-bit integer)")
    return int(value)


def req_int(obj: dict, key: str, base: Path, error: type) -> int:
    return as_int(_required(obj, key, base, error), join(base, key), error)


def opt_int(obj: dict, key: str, base: Path, error: type, default: int | None) -> int | None:
    value = obj.get(key)
    return default if value is None else as_int(value, join(base, key), error)


def req_str(obj: dict, key: str, base: Path, error: type, *, non_empty: bool = False) -> str:
    value = _required(obj, key, base, error)
    if not isinstance(value, str):
        raise error.at((*base, key), f"must be a str, not {type(value).__name__}")
    if non_empty and not value:
        raise error.at((*base, key), "must not be empty")
    return str(value)


def opt_bool(obj: dict, key: str, base: Path, error: type, default: bool) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise error.at((*base, key), f"must be a bool, not {type(value).__name__}")
    return value


def choice(obj: dict, key: str, base: Path, error: type, options: tuple, default=_ABSENT) -> str:
    value = obj.get(key)
    if value is None:
        if default is _ABSENT:
            raise error.at((*base, key), "required")
        return default
    if not isinstance(value, str) or value not in options:
        raise error.at((*base, key), f"must be one of {', '.join(options)}, not {value!r}")
    return str(value)


def as_decimal(value: Any, path: Path, error: type) -> Decimal:
    try:
        return parse_decimal(value)
    except DecimalInputError as exc:
        raise error.at(path, f"{exc}") from None


def req_decimal(obj: dict, key: str, base: Path, error: type) -> Decimal:
    return as_decimal(_required(obj, key, base, error), join(base, key), error)


def opt_decimal(obj: dict, key: str, base: Path, error: type, default: Decimal) -> Decimal:
    value = obj.get(key)
    return default if value is None else as_decimal(value, join(base, key), error)


def int_list(obj: dict, key: str, base: Path, error: type) -> tuple:
    """An optional list of int ids (default empty)."""
    value = obj.get(key)
    if value is None:
        return ()
    path = join(base, key)
    items = sequence(value, path, error)
    return tuple(as_int(entry, item(path, i), error) for i, entry in enumerate(items))


def opt_date(obj: dict, key: str, base: Path, error: type) -> date | None:
    value = obj.get(key)
    if value is None:
        return None
    try:
        return parse_date(value)
    except MomentInputError as exc:
        raise error.at((*base, key), f"{exc}") from None


def as_datetime(value: Any, path: Path, error: type) -> datetime:
    if value is None:
        raise error.at(path, "required")
    try:
        return parse_datetime(value)
    except MomentInputError as exc:
        raise error.at(path, f"{exc}") from None


def req_datetime(obj: dict, key: str, base: Path, error: type) -> datetime:
    return as_datetime(obj.get(key), join(base, key), error)
