"""Reliability suites: shared switches, the Odoo-shaped databases they attack, and the figures
they report.

`ABA_RELIABILITY_LONG=1` turns every suite into its long variant (more workers, operations, kills,
churn time, generated inputs and fuzzing time). Every suite records its figures with `record()`;
the run ends with one summary table (pytest's terminal summary), also written as JSON to
`$ABA_RELIABILITY_REPORT` when that is set.
"""

from __future__ import annotations

import psycopg2
import pytest
from reliability_report import terminal_summary


def pytest_terminal_summary(terminalreporter):
    terminal_summary(terminalreporter)


@pytest.fixture
def odoo_db(make_db, odoo_schema_sql):
    """An empty database with Odoo 18's real loyalty/POS DDL and the addon's ledger table (its
    CHECK balance_after >= 0; nothing added to Odoo's loyalty_card): what the ledger runs on
    inside Odoo."""
    from aba_loyalty_lib.aba_ledger import ensure_move_table

    dsn = make_db("rel")
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cur.execute(odoo_schema_sql)
        cur.execute("SET search_path TO public")
        ensure_move_table(cur)
    conn.close()
    return dsn
