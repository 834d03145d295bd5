"""Native loyalty calculation core and ETL for Odoo 18 points of sale.

``Engine(config)`` validates a configuration once; ``evaluate(order)``,
``evaluate_many(orders)`` (releases the GIL) and ``evaluate_membership(partner_id, spend,
as_of)`` compute results as plain dicts with ``decimal.Decimal`` money and points and aware UTC
datetimes. Bad input raises ``ConfigError`` / ``OrderError`` / ``InsufficientPointsError``
(all ``LoyaltyError``) with a message naming the field's path.
"""

from aba_loyalty_core._native import Engine, __version__
from aba_loyalty_core.errors import (
    ConfigError,
    EtlError,
    InsufficientPointsError,
    LoyaltyError,
    OrderError,
)

__all__ = [
    "ConfigError",
    "Engine",
    "EtlError",
    "InsufficientPointsError",
    "LoyaltyError",
    "OrderError",
    "__version__",
]
