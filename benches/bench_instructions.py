"""Instructions per order, native vs legacy, counted by callgrind (independent of machine load).

Runs this script under `valgrind --tool=callgrind` twice per engine: 2N orders of
bench_native_vs_legacy's workload built each time, N then 2N of them evaluated one by one with
`evaluate()`; the difference of the two totals divided by N is the cost of one `evaluate()`,
without what both runs share (interpreter, imports, building the orders, decoding the config).

    source scripts/env.sh && build_module
    python benches/bench_instructions.py [--orders 200]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SEED = 20250301


def evaluate(engine_name: str, count: int, built: int) -> None:
    """The measured child: `built` orders generated (the same in both runs, so that building
    them cancels out), the first `count` through one engine's `evaluate()`."""
    import aba_loyalty_core
    from aba_loyalty_lib import aba_legacy_engine
    from aba_loyalty_testdata.workload import build_config, build_order

    rng = random.Random(SEED)
    config = build_config(rng)
    orders = [build_order(rng, n) for n in range(built)]
    module = aba_loyalty_core if engine_name == "native" else aba_legacy_engine
    engine = module.Engine(config)
    for order in orders[:count]:
        engine.evaluate(order)


def instructions(engine_name: str, count: int, built: int, workdir: Path) -> int:
    out = workdir / f"callgrind.{engine_name}.{count}"
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         sys.executable, __file__, "--child", engine_name, str(count), str(built)],
        capture_output=True, text=True, check=False,
    )
    if run.returncode != 0:
        sys.exit(f"valgrind failed ({engine_name}, {count}):\n{run.stderr[-2000:]}")
    # callgrind's summary line on stderr: "==pid== Collected : <instructions>"
    match = re.search(r"Collected\s*:\s*(\d+)", run.stderr)
    if not match:
        sys.exit(f"no instruction count in valgrind's output ({engine_name}, {count})")
    return int(match.group(1))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        evaluate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="N (the runs take N and 2N)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    per_order = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine_name in ("native", "legacy"):
            built = 2 * args.orders
            small = instructions(engine_name, args.orders, built, Path(tmp))
            large = instructions(engine_name, built, built, Path(tmp))
            per_order[engine_name] = (large - small) / args.orders
            print(f"{engine_name:7} {per_order[engine_name]:>12,.0f} instructions per order "
                  f"({args.orders} and {2 * args.orders} orders: {small:,} / {large:,})")
    print(f"ratio legacy/native: {per_order['legacy'] / per_order['native']:.1f}x")


if __name__ == "__main__":
    main()
