"""Loading the native module and telling its input errors from its failures."""

from __future__ import annotations

import importlib
from typing import Any

from .. import aba_legacy_engine as legacy

#: The native module's documented input error classes (module attributes), each raised to
#: callers as the legacy class of the same meaning.
INPUT_ERRORS = ("InsufficientPointsError", "ConfigError", "OrderError")

#: (native class, legacy class) pairs of a loaded module.
ErrorMap = tuple[tuple[type, type], ...]


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


def input_errors(module: Any) -> ErrorMap:
    """The module's input error classes paired with the legacy ones (a class the module does not
    export is left out: its errors are failures, not input errors)."""
    pairs = []
    for name in INPUT_ERRORS:
        native_cls = getattr(module, name, None)
        if isinstance(native_cls, type) and issubclass(native_cls, BaseException):
            pairs.append((native_cls, getattr(legacy, name)))
    return tuple(pairs)


def as_legacy_error(exc: BaseException, errors: ErrorMap) -> BaseException | None:
    """The native input error re-created as the legacy class, with the same path, reason and
    message; None when ``exc`` is not an input error of the module."""
    for native_cls, legacy_cls in errors:
        if isinstance(exc, native_cls):
            path = tuple(getattr(exc, "path", ()))
            reason = getattr(exc, "reason", None)
            return legacy_cls(str(exc), path=path, reason=reason)
    return None
