"""Loading the native module and telling its input errors from its failures."""

from __future__ import annotations

import importlib
from typing import Any

from ._legacy import legacy

INPUT_ERRORS = ("ConfigError", "OrderError", "InsufficientPointsError")


class NativeUnavailable(Exception):
    """Why the native path cannot be used: the stage ("import", "version", "call") and cause."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"{stage}: {type(cause).__name__}: {cause}")
        self.stage = stage
        self.cause = cause


class VersionMismatch(Exception):
    """aba_loyalty_core's major.minor differs from the legacy engine's."""


def major_minor(version: Any) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])


def load_module(module: Any | None) -> Any:
    """The injected module, or `import aba_loyalty_core`; checks its version."""
    if module is None:
        try:
            module = importlib.import_module("aba_loyalty_core")
        except Exception as exc:  # ImportError, or a broken extension failing to initialise
            raise NativeUnavailable("import", exc) from exc
    version = getattr(module, "__version__", None)
    if version is None or major_minor(version) != major_minor(legacy.__version__):
        mismatch = VersionMismatch(
            f"aba_loyalty_core {version} does not match the legacy engine {legacy.__version__}"
        )
        raise NativeUnavailable("version", mismatch)
    return module


def input_error_class(exc: BaseException) -> type | None:
    """The legacy class matching a native input error (by class name), else None."""
    for cls in type(exc).__mro__:
        if cls.__name__ in INPUT_ERRORS:
            return getattr(legacy, cls.__name__)
    return None


def as_legacy_error(exc: BaseException) -> BaseException | None:
    """The native input error re-created as the legacy class with the same message."""
    cls = input_error_class(exc)
    return None if cls is None else cls(str(exc))
