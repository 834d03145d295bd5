"""Legacy pure-Python loyalty engine: the fallback of the native aba_loyalty_core.

Implements docs/spec.md with `decimal` in a local context; results equal the native engine's except
`"engine": "legacy"`. Imports neither Odoo nor aba_loyalty_core, so it loads in a bare Python.
"""

from .engine import Engine
from .errors import ConfigError, InsufficientPointsError, LoyaltyError, OrderError

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Engine",
    "InsufficientPointsError",
    "LoyaltyError",
    "OrderError",
    "__version__",
]
