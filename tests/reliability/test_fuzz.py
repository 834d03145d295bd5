"""Coverage-guided fuzzing of config/order decoding and evaluation (`fuzz/`, cargo fuzz +
libFuzzer), for a bounded time: any panic, overflow or crash fails the run and leaves its input
under `fuzz/artifacts/decode_evaluate/`.

The toolchain is stable; cargo fuzz needs nightly-only compiler flags, so the run sets
`RUSTC_BOOTSTRAP=1`. Sanitizer: none (the calc crate has no `unsafe`, so AddressSanitizer would
only slow it down); overflow checks and debug assertions are on (`-a`). Duration: 60 s by
default, 30 min with ABA_RELIABILITY_LONG=1, or ABA_FUZZ_SECONDS.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from reliability_report import record, scale

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "fuzz"
TARGET = "decode_evaluate"
SECONDS = int(os.environ.get("ABA_FUZZ_SECONDS", scale(60, 1800)))


def _cargo_fuzz() -> str:
    found = shutil.which("cargo-fuzz") or str(Path.home() / ".cargo" / "bin" / "cargo-fuzz")
    if not Path(found).exists():
        pytest.fail("cargo-fuzz is not installed: `cargo install --locked cargo-fuzz` "
                    "(scripts/test.sh does it)")
    return found


@pytest.mark.timeout(SECONDS + 1800)
def test_fuzz_decode_and_evaluate_never_panics():
    _cargo_fuzz()
    env = {**os.environ, "RUSTC_BOOTSTRAP": "1"}
    corpus = FUZZ / "corpus" / TARGET
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts = FUZZ / "artifacts" / TARGET
    before = set(artifacts.glob("*")) if artifacts.exists() else set()
    run = subprocess.run(
        ["cargo", "fuzz", "run", "-s", "none", "-a", TARGET, "--",
         f"-max_total_time={SECONDS}", "-rss_limit_mb=2048", "-max_len=4096",
         "-print_final_stats=1"],
        cwd=FUZZ, env=env, capture_output=True, text=True, check=False,
        timeout=SECONDS + 1700)
    log = run.stdout + run.stderr
    new = sorted(set(artifacts.glob("*")) - before) if artifacts.exists() else []
    assert not new, f"the fuzzer found a crash; inputs: {new}\n{log[-4000:]}"
    assert run.returncode == 0, f"cargo fuzz failed (exit {run.returncode})\n{log[-4000:]}"
    runs = re.search(r"Done (\d+) runs", log)
    assert runs, log[-3000:]
    cov = re.findall(r"cov: (\d+) ft: (\d+)", log)
    record("fuzz (cargo fuzz)", seconds=SECONDS, inputs_tried=int(runs.group(1)),
           coverage_edges=int(cov[-1][0]) if cov else 0,
           features=int(cov[-1][1]) if cov else 0,
           corpus_files=len(list(corpus.iterdir())), crashes=len(new))
