"""Crash safety of the ETL: the command line (`python -m aba_loyalty_core.etl`) SIGKILLed at random
moments of full loads and of incremental syncs, many times, on an Odoo-shaped source.

After every kill the target must be in a committed state (each stream holds exactly the rows its
sync state says, engine balances == engine ledger sums); after the resumed run the engine equals
the source, every column of every row of every stream, and every card's ledger-derived balance.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from etl_support import (
    SourceWriter,
    committed_state_holds,
    compare,
    differences,
    lost_and_doubled,
    rows_compared,
)
from reliability_report import record, scale

CARDS = scale(8_000, 150_000)
FULL_KILLS = scale(10, 40)
SYNC_KILLS = scale(8, 40)


class EtlProcess:
    """The CLI as a child process, its stderr read line by line (progress: one line per stream
    committed), killable at any moment."""

    def __init__(self, *args: str) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aba_loyalty_core.etl", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def wait_progress(self, count: int, timeout: float) -> bool:
        """Wait for `count` committed-stream lines; False if the process ended first."""
        seen, deadline = 0, time.monotonic() + timeout
        while seen < count and time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                if self.proc.poll() is not None:
                    return False
                continue
            if " read, " in line and " upserted" in line:
                seen += 1
        return seen >= count

    def kill(self) -> bool:
        """SIGKILL; True if the process was still running (a real kill)."""
        if self.proc.poll() is not None:
            return False
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        return True

    def finish(self, timeout: float = 300) -> str:
        out, _ = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, "".join(self.stderr)[-3000:]
        return out

    def busy(self, timeout: float = 300) -> bool:
        """Wait for the end; True when it refused to run because a stream was still locked."""
        self.proc.wait(timeout=timeout)
        time.sleep(0.05)  # the reader thread drains the last lines
        text = "".join(self.stderr)
        if self.proc.returncode == 1 and "EtlBusyError" in text:
            return True
        assert self.proc.returncode == 0, text[-3000:]
        return False


BUSY = {"retries": 0}


def run_to_end(*args: str) -> None:
    """Run the CLI to completion. Right after a SIGKILL the killed client's server backend may
    still hold its stream's lock until PostgreSQL notices the client is gone (it rolls that
    transaction back); the ETL then refuses with EtlBusyError, and, as an operator would, we
    run it again."""
    for _ in range(120):
        if not EtlProcess(*args).busy():
            return
        BUSY["retries"] += 1
        time.sleep(0.5)
    raise AssertionError(f"{args[0]}: still busy after 60 s")


@pytest.fixture
def source_and_target(make_db):
    from aba_loyalty_core import _testing

    source, target, calibration = make_db("crashsrc"), make_db("crashtgt"), make_db("crashcal")
    _testing.generate(source, cards=CARDS)
    # One complete run elsewhere: its duration is the window the kills aim at.
    started = time.monotonic()
    run_to_end("full-load", "--source", source, "--target", calibration)
    return source, target, time.monotonic() - started


def _kill_somewhere(args, rng: random.Random, typical: float, streams: int) -> tuple[bool, str]:
    """Start the CLI and kill it: either at a random instant of its typical run time, or a
    random jitter after its k-th stream committed (so kills land inside the work, not only in
    the interpreter's start-up). Returns (killed, where)."""
    proc = EtlProcess(*args)
    if rng.random() < 0.5:
        delay = rng.uniform(0.0, typical)
        time.sleep(delay)
        where = f"t+{delay:.2f}s"
    else:
        k = rng.randint(0, streams - 1)
        if k and not proc.wait_progress(k, timeout=typical * 3):
            proc.proc.wait()
            return False, "finished before"
        jitter = rng.uniform(0.0, typical / max(streams, 1))
        time.sleep(jitter)
        where = f"after stream {k} +{jitter:.2f}s"
    killed = proc.kill()
    return killed, where


@pytest.mark.timeout(900)
def test_full_load_and_syncs_survive_sigkill(source_and_target):
    source, target, typical_full = source_and_target
    rng = random.Random(20260525)
    dsns = ["--source", source, "--target", target]
    kills, where = 0, []
    # Lost and doubled rows, counted over every comparison of the engine with the source.
    seen = {"lost": 0, "doubled": 0}

    def observe(report: dict) -> dict:
        lost, doubled = lost_and_doubled(report)
        seen["lost"] += lost
        seen["doubled"] += doubled
        return report

    # Full loads killed at random moments (the first ones interrupt the very first load).
    for _ in range(FULL_KILLS):
        killed, at = _kill_somewhere(["full-load", *dsns], rng, typical_full, streams=10)
        if not killed:
            continue
        kills += 1
        where.append(at)
        problems = committed_state_holds(target)
        assert not problems, f"after a kill at {at}: {problems}"
    run_to_end("full-load", *dsns)
    report = observe(compare(source, target))
    assert not differences(report), differences(report)

    # Incremental syncs killed at random moments, the source changing between them.
    writer = SourceWriter(source, seed=7, tag="crash")
    sync_kills, synced_rounds = 0, 0
    try:
        for n in range(SYNC_KILLS):
            writer.commit_batch(size=400, old_write_date=(n % 3 == 0))
            killed, at = _kill_somewhere(["sync", *dsns], rng, typical=1.5, streams=10)
            if killed:
                sync_kills += 1
                where.append(f"sync {at}")
                problems = committed_state_holds(target)
                assert not problems, f"after a sync kill at {at}: {problems}"
            else:
                synced_rounds += 1
            if n % 4 == 3:
                # Every few rounds a sync runs to the end and the engine must equal the source.
                run_to_end("sync", *dsns)
                report = observe(compare(source, target))
                assert not differences(report), (n, differences(report))
    finally:
        counts = dict(writer.counts)
        writer.close()
    run_to_end("sync", *dsns)
    report = observe(compare(source, target))
    assert not differences(report), differences(report)
    total_kills = kills + sync_kills
    assert kills >= FULL_KILLS // 2, f"only {kills} full-load kills landed"
    record("etl crash safety", kills_survived=total_kills, full_load_kills=kills,
           sync_kills=sync_kills, source_writes=sum(counts.values()),
           rows_compared=rows_compared(report), rows_lost=seen["lost"], rows_doubled=seen["doubled"],
           full_load_s=round(typical_full, 2), busy_after_kill_retries=BUSY["retries"])
