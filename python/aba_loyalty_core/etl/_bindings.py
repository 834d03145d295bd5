"""The ETL's part of the native module (typed in _bindings.pyi)."""

from aba_loyalty_core._native import (  # noqa: F401
    Etl,
    etl_check_source,
    etl_metrics,
    etl_status,
    etl_streams,
)
