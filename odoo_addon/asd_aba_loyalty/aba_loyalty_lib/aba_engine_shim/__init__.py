"""Routing between the native aba_loyalty_core engine and the legacy Python engine.

`EngineShim` picks the path per order from the feature flag and a deterministic rollout bucket,
falls back to legacy on any native failure (reported to `on_fallback`), and in shadow mode
computes both, returns the legacy result and reports every difference to `on_difference`.
"""

from .routing import bucket
from .shim import EngineShim

__all__ = ["EngineShim", "bucket"]
