"""Dates and datetimes of the input: `date` or "YYYY-MM-DD"; `datetime` or ISO-8601 text, in UTC."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

_DATE_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
# YYYY-MM-DD, then optionally [T t space] HH:MM[:SS[(.|,)f{1,6}]], then optionally
# Z, z, ±HH:MM, ±HHMM or ±HH.
_DATETIME_TEXT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,6}))?)?"
    r"([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?\Z"
)


class MomentInputError(ValueError):
    """A value that is not an acceptable date or datetime; the reason goes into the caller's error."""


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        raise MomentInputError("must be a date, not a datetime")
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, str):
        match = _DATE_TEXT.match(value)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError as exc:  # e.g. 2024-02-30: the pattern matched, the date does not exist
                raise MomentInputError("must be a date (YYYY-MM-DD)") from exc
        raise MomentInputError("must be a date (YYYY-MM-DD)")
    raise MomentInputError(f"must be a date, not {type(value).__name__}")


def parse_datetime(value: object) -> datetime:
    """An aware UTC datetime; naive input is UTC."""
    if isinstance(value, datetime):
        return _to_utc(value)
    if isinstance(value, str):
        match = _DATETIME_TEXT.match(value)
        if match:
            year, month, day, hour, minute, second, fraction, offset = match.groups()
            try:
                moment = datetime(
                    int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                    int(second or 0), int(fraction.ljust(6, "0")) if fraction else 0,
                )
                if offset and offset not in "Zz":
                    hours, minutes = int(offset[1:3]), int(offset[-2:]) if len(offset) > 3 else 0
                    if hours > 23 or minutes > 59:
                        raise ValueError("offset out of range")
                    delta = timedelta(hours=hours, minutes=minutes)
                    moment = moment.replace(tzinfo=timezone(-delta if offset[0] == "-" else delta))
                return _to_utc(moment)
            except (ValueError, OverflowError) as exc:
                raise MomentInputError("must be an ISO-8601 datetime") from exc
        raise MomentInputError("must be an ISO-8601 datetime")
    raise MomentInputError(f"must be a datetime, not {type(value).__name__}")


def _to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise MomentInputError("out of range") from exc
