"""Native loyalty calculation core and ETL for Odoo 18 points of sale."""

from aba_loyalty_core._native import __version__

__all__ = ["__version__"]
