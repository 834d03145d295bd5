"""ETL from Odoo 18's PostgreSQL into the loyalty engine's PostgreSQL.

The work is native (Rust, binary COPY both ways) and runs without the GIL; progress is logged
through :mod:`logging` under the ``aba_loyalty_etl`` logger. Every call returns a plain dict
(JSON-shaped; exact decimals are strings). DSNs default to the environment variables
``ABA_SOURCE_DSN`` (Odoo, only ever read) and ``ABA_TARGET_DSN`` (the engine).

    from aba_loyalty_core import etl
    etl.full_load(source, target)             # every stream, resumable
    etl.sync(source, target)                  # what changed since the last run
    report = etl.validate(source, target)     # Odoo's balances against the engine's
    report = etl.audit(source, target)        # Odoo's POS history replayed (docs/audit.md)
    etl.follow(source, target)                # sync each stream on its cadence, until stopped
    etl.status(target); etl.metrics(target)   # run log / Prometheus text

Test sources (an Odoo-shaped generator) are not part of this package's release: see
``aba_loyalty_core._testing`` in a development build.
"""

from aba_loyalty_core.etl._api import (
    DEFAULT_THRESHOLD,
    GROUPS,
    STREAMS,
    Etl,
    audit,
    check_source,
    follow,
    full_load,
    metrics,
    status,
    sync,
    validate,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "GROUPS",
    "STREAMS",
    "Etl",
    "audit",
    "check_source",
    "follow",
    "full_load",
    "metrics",
    "status",
    "sync",
    "validate",
]
