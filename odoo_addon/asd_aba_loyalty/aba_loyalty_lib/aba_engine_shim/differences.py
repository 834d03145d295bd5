"""Field-by-field comparison of a native and a legacy result, for shadow mode."""

from __future__ import annotations

from typing import Any

MISSING = "<missing>"
_IGNORED_TOP_LEVEL = frozenset({"engine"})


def differences(native: Any, legacy: Any) -> list[dict]:
    """Every leaf that differs, as {"path", "native", "legacy"}; `engine` is ignored.

    Leaves differ when their values differ or their types do (Decimal("1") vs 1.0 is a
    difference here even though Python calls them equal: the addon stores what it gets).
    """
    found: list[dict] = []
    _walk(native, legacy, "", found)
    return found


def _key_path(base: str, key: Any) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f"{base}.{key}" if base else key
    return f"{base}[{key!r}]"


def _walk(native: Any, legacy: Any, path: str, found: list[dict]) -> None:
    if isinstance(native, dict) and isinstance(legacy, dict):
        keys = list(legacy) + [key for key in native if key not in legacy]
        for key in keys:
            if not path and key in _IGNORED_TOP_LEVEL:
                continue
            _walk(native.get(key, MISSING), legacy.get(key, MISSING), _key_path(path, key), found)
    elif isinstance(native, list) and isinstance(legacy, list):
        for index in range(max(len(native), len(legacy))):
            _walk(
                native[index] if index < len(native) else MISSING,
                legacy[index] if index < len(legacy) else MISSING,
                f"{path}[{index}]",
                found,
            )
    elif type(native) is not type(legacy) or native != legacy:
        found.append({"path": path, "native": native, "legacy": legacy})
