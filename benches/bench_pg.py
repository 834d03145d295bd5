"""The PostgreSQL server and the small admin helpers the ETL benchmarks share.

`server()` is `$ABA_BENCH_DSN` when set, else a throw-away cluster the project's own
`scripts/pg.sh` starts under `.pg/bench` (kept between runs, so generated sources are reused).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent


def with_db(dsn: str, name: str) -> str:
    return dsn.rsplit("/", 1)[0] + "/" + name


def admin(dsn: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def server() -> str:
    dsn = os.environ.get("ABA_BENCH_DSN")
    if dsn:
        return dsn
    data = ROOT / ".pg" / "bench"
    out = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "start", str(data), "54391"],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def kept_db(dsn: str, name: str, fresh: bool, complete: Callable[[str], bool],
            generate: Callable[[str], None]) -> tuple[str, float | None]:
    """The database `name`, reused when it exists, `complete(its dsn)` says so and not `fresh`;
    else made again with `generate(its dsn)`. (DSN, seconds generating: None when reused.)"""
    target = with_db(dsn, name)
    if not fresh and admin(dsn, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        try:
            if complete(target):
                return target, None
        except psycopg2.Error:
            pass
    admin(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(dsn, f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    generate(target)
    return target, time.perf_counter() - started

