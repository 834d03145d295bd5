"""Command line: ``python -m aba_loyalty_core.etl COMMAND``.

Progress goes to stderr (logging), the JSON report to stdout. DSNs come from --source/--target
or $ABA_SOURCE_DSN/$ABA_TARGET_DSN. Exit status: 0 ok, 1 ETL error, 2 usage error, 3 validation
below its threshold or an audit with more findings than its threshold.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from aba_loyalty_core.errors import EtlError
from aba_loyalty_core.etl import _api

EXIT_ERROR = 1
EXIT_ALERT = 3


def _print(report: Any) -> None:
    sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
    sys.stdout.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aba_loyalty_core.etl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    def dsns(p: argparse.ArgumentParser, source: bool = True, target: bool = True) -> None:
        if source:
            p.add_argument("--source", help=f"Odoo DSN (default ${_api.SOURCE_ENV})")
        if target:
            p.add_argument("--target", help=f"engine DSN (default ${_api.TARGET_ENV})")

    def streams(p: argparse.ArgumentParser) -> None:
        p.add_argument("--streams", help=f"comma-separated subset of: {', '.join(_api.STREAMS)}")

    p = sub.add_parser("full-load", help="copy every stream from one source snapshot")
    dsns(p)
    streams(p)
    p.add_argument("--restart", action="store_true", help="start a new load instead of resuming")

    p = sub.add_parser("sync", help="one incremental round")
    dsns(p)
    streams(p)
    p.add_argument("--due-only", action="store_true", help="only streams whose cadence elapsed")
    p.add_argument("--method", choices=("ranged", "scan"), default="ranged",
                   help="ranged: index ranges and a bounded sweep (default); scan: read whole tables")
    p.add_argument("--sweep-blocks", type=int, help="ranged: pages swept per stream and round")
    p.add_argument("--check-keys", type=int, help="ranged: ids whose keys are checked per stream and round")

    p = sub.add_parser("follow", help="sync each stream on its cadence until interrupted")
    dsns(p)
    streams(p)
    p.add_argument("--interval", type=float, help="one cadence (seconds) for every group")
    p.add_argument("--rounds", type=int, help="stop after N rounds that synced something")
    p.add_argument("--duration", type=float, help="stop after S seconds")
    p.add_argument("--validate-every", type=float, help="also validate every S seconds")
    p.add_argument("--threshold", type=float, default=_api.DEFAULT_THRESHOLD)

    p = sub.add_parser("validate", help="Odoo's balances against the engine's, card by card")
    dsns(p)
    p.add_argument("--threshold", type=float, default=_api.DEFAULT_THRESHOLD,
                   help="alert (exit 3) below this consistency rate (default 0.999)")
    p.add_argument("--tolerance", default="0.000001")
    p.add_argument("--max-discrepancies", type=int, default=1000)

    p = sub.add_parser("audit", help="replay Odoo's POS history through the engine; findings and adjust proposals")
    dsns(p)
    p.add_argument("--since", help="orders with date_order >= this ISO date/time (UTC)")
    p.add_argument("--until", help="orders with date_order < this ISO date/time (UTC)")
    p.add_argument("--threshold", type=int, default=0, help="alert (exit 3) above this many findings (default 0)")
    p.add_argument("--tolerance", default="0.000001", help="points difference still counted as equal")
    p.add_argument("--max-findings", type=int, default=10_000, help="findings kept in the report (all are counted)")
    p.add_argument("--max-cards", type=int, default=10_000, help="card summaries kept in the report")
    p.add_argument("--sort-memory-mb", type=float, default=16,
                   help="MiB of replayed orders held in memory before they are sorted on disk (default 16)")
    basis = p.add_mutually_exclusive_group()
    basis.add_argument("--points-on-tax-included", dest="points_on_tax_included", action="store_const", const=True,
                       help="replay on unit prices with tax (default: the basis Odoo used)")
    basis.add_argument("--points-on-tax-excluded", dest="points_on_tax_included", action="store_const", const=False,
                       help="replay on unit prices without tax")

    p = sub.add_parser("status", help="per-stream state, last runs, last validation")
    dsns(p, source=False)
    p.add_argument("--prometheus", action="store_true", help="Prometheus text instead of JSON")

    p = sub.add_parser("check", help="inspect the source and prove the ETL cannot write to it")
    dsns(p, target=False)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return _run(args)
    except EtlError as exc:
        logging.getLogger("aba_loyalty_core.etl").error("%s: %s", type(exc).__name__, exc)
        return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "status":
        if args.prometheus:
            sys.stdout.write(_api.metrics(args.target))
        else:
            _print(_api.status(args.target))
        return 0
    if cmd == "check":
        _print(_api.check_source(args.source))
        return 0
    etl = _api.Etl(args.source, args.target)
    if cmd == "full-load":
        _print(etl.full_load(streams=args.streams, resume=not args.restart))
        return 0
    if cmd == "sync":
        _print(etl.sync(streams=args.streams, due_only=args.due_only, method=args.method,
                        sweep_blocks=args.sweep_blocks, check_keys=args.check_keys))
        return 0
    if cmd == "validate":
        report = etl.validate(threshold=args.threshold, tolerance=args.tolerance,
                              max_discrepancies=args.max_discrepancies)
        _print(report)
        return EXIT_ALERT if report["alert"] else 0
    if cmd == "audit":
        report = etl.audit(since=args.since, until=args.until, threshold=args.threshold,
                           tolerance=args.tolerance, max_findings=args.max_findings, max_cards=args.max_cards,
                           points_on_tax_included=args.points_on_tax_included,
                           sort_memory_mb=args.sort_memory_mb)
        _print(report)
        return EXIT_ALERT if report["alert"] else 0
    if cmd == "follow":
        alerted: list[dict[str, Any]] = []

        def on_round(report: dict[str, Any]) -> None:
            sys.stdout.write(json.dumps(report, default=str) + "\n")
            sys.stdout.flush()

        summary = etl.follow(streams=args.streams, interval=args.interval, max_rounds=args.rounds,
                             duration=args.duration, on_round=on_round,
                             validate_every=args.validate_every, threshold=args.threshold,
                             on_alert=alerted.append)
        sys.stdout.write(json.dumps({"summary": summary}, default=str) + "\n")
        return EXIT_ALERT if alerted else 0
    raise AssertionError(cmd)


if __name__ == "__main__":
    sys.exit(main())
