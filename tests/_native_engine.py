"""The native module for the differential and shim tests: it must be built (scripts/test.sh
builds it before pytest), so its absence is a failure, never a skip."""

from __future__ import annotations

import pytest


def native_module():
    try:
        import aba_loyalty_core
    except ImportError as exc:  # pragma: no cover - a broken build
        pytest.fail(f"aba_loyalty_core is not importable (build it: scripts/env.sh; "
                    f"build_module): {exc}")
    if not hasattr(aba_loyalty_core, "Engine"):  # pragma: no cover
        pytest.fail("aba_loyalty_core has no Engine: the native module is not built from core")
    return aba_loyalty_core
