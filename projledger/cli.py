"""The `projledger` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from projledger.settings import default_as_of, load_settings


def _date(text: str) -> date:
    return date.fromisoformat(text)


def cmd_db(args) -> int:
    from projledger.db import connect, database_url, embedded

    settings = load_settings()
    if args.action == "street-passwords":
        from projledger import reference
        from projledger.db.roles import street_password, street_role

        if street_password("x") is None:
            print("PROJLEDGER_STREET_PASSWORD_KEY is not set: street roles have no password")
            return 2
        for code in reference.values("streets.street_code"):
            print(f"{street_role(code)}\t{street_password(code)}")
        return 0
    if args.action == "stop":
        if settings.database_url_override:
            print("DATABASE_URL is set: there is no embedded server to stop")
            return 0
        print("stopped" if embedded.stop(settings.home) else "no embedded server was running")
        return 0
    if args.action == "reset":
        from projledger.demo import reset_embedded

        if settings.database_url_override:
            print("DATABASE_URL is set: reset only applies to the embedded database")
            return 2
        reset_embedded(settings)
    conn = connect(settings)
    if args.action == "roles":
        from projledger.db.roles import ensure_roles

        for line in ensure_roles(conn):
            print(line)
    conn.close()
    if args.action in ("start", "url", "reset"):
        print(database_url(settings))
    return 0


def cmd_demo(args) -> int:
    from projledger.demo import run_demo

    return run_demo(load_settings(), args.as_of, seed=args.seed, scale=args.scale)


def cmd_generate(args) -> int:
    from projledger.generate import generate

    manifest = generate(
        Path(args.out), seed=args.seed, scale=args.scale, as_of=args.as_of, months=args.months
    )
    counts = manifest.get("counts", {})
    print(
        f"wrote a drop folder to {args.out} (seed {args.seed}, scale {args.scale}, "
        f"as of {args.as_of}): " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return 0


def cmd_ingest(args) -> int:
    from ingest.load import ingest_inbox
    from projledger.db import connect
    from projledger.db.locks import IngestLocked
    from projledger.report import batch_table

    conn = connect(load_settings())
    try:
        results = ingest_inbox(conn, Path(args.inbox), args.feed or None, wait=not args.no_wait)
    except IngestLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(batch_table(results))
    return 0


def cmd_run(args) -> int:
    from projledger.night import run_night

    report = run_night(load_settings(), Path(args.inbox), args.as_of)
    print(report.summary)
    return 0 if report.ok else 1


def cmd_build(args) -> int:
    from projledger.night import build_warehouse

    result = build_warehouse(load_settings(), args.as_of, full_refresh=args.full_refresh)
    print(result.summary())
    return 0


def cmd_checks(args) -> int:
    from projledger.night import run_checks

    results = run_checks(load_settings(), args.as_of)
    failed = [r for r in results if not r.success]
    crashed = [r for r in failed if r.error]
    print(f"{len(results)} checks, {len(failed)} with findings, {len(crashed)} could not run")
    for r in failed:
        print(f"  {r.check_name}: {r.unexpected} unexpected" + (f" ({r.error})" if r.error else ""))
    # Findings are the data's problem (they go to the digests); a check that could not run is
    # the pipeline's, and a scheduler must see it.
    return 1 if crashed else 0


def cmd_summary(args) -> int:
    from projledger.night import summary

    print(summary(load_settings(), args.as_of))
    return 0


def cmd_alerts(args) -> int:
    import alerts

    settings = load_settings()
    if args.action == "preview":
        print(alerts.preview(settings, args.as_of, owner=args.owner))
    elif args.action == "send":
        for line in alerts.send_digests(settings, args.as_of):
            print(line)
    return 0


def cmd_waiver(args) -> int:
    from alerts import waivers

    settings = load_settings()
    if args.action == "add":
        waivers.add_waiver(
            settings,
            owner=args.owner,
            rule_id=args.rule,
            item_id=args.item,
            until=args.until,
            reason=args.reason,
        )
        print("waiver recorded")
    else:
        for line in waivers.list_waivers(settings):
            print(line)
    return 0


def cmd_bulletin(args) -> int:
    from reports.bulletin import issue_bulletin, parse_month

    try:
        issued = issue_bulletin(
            load_settings(), parse_month(args.month), args.bulletin_as_of, send=not args.no_send
        )
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"bulletin {args.month} as of {issued.as_of}: {issued.status}")
    print(f"  {issued.html_path}\n  {issued.pdf_path}")
    if issued.error:
        print(f"  not sent: {issued.error}")
    return 0 if issued.error is None else 1


def cmd_airflow(args) -> int:
    from projledger.airflow_local import standalone

    return standalone(load_settings()) or 0


def cmd_bench(args) -> int:
    from projledger.bench import main as bench_main

    return bench_main(
        quick=args.quick,
        scales=args.scales,
        store=args.store,
        rows=args.rows,
        preload_files=args.preload_files,
        registry_rows=args.registry_rows,
        alerts=args.alerts,
        owners=args.owners,
        open_items=args.open_items,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="projledger", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("db", help="the warehouse database")
    p.add_argument("action", choices=["start", "stop", "url", "reset", "roles", "street-passwords"])
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("demo", help="generate a district and run one night on the embedded db")
    p.add_argument("--as-of", type=_date, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("generate", help="write a realistic drop folder of every feed")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--as-of", type=_date, default=None)
    p.add_argument("--months", type=int, default=14, help="months of history")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("ingest", help="load every new file of an inbox into the event store")
    p.add_argument("--inbox", required=True)
    p.add_argument("--feed", action="append", help="only this feed (repeatable)")
    p.add_argument("--no-wait", action="store_true", help="fail if another ingest holds a feed")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("run", help="run one night: ingest, dbt build, checks, alerts, summary")
    p.add_argument("--inbox", required=True)
    p.add_argument("--as-of", type=_date, default=None)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("build", help="dbt build of the warehouse as of a date")
    p.add_argument("--as-of", type=_date, default=None)
    p.add_argument("--full-refresh", action="store_true", help="rebuild incremental models")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("checks", help="run the Great Expectations checks as of a date")
    p.add_argument("--as-of", type=_date, default=None)
    p.set_defaults(func=cmd_checks)

    p = sub.add_parser("summary", help="print the summary of a night already run")
    p.add_argument("--as-of", type=_date, default=None)
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("alerts", help="department alert digests")
    p.add_argument("action", choices=["preview", "send"])
    p.add_argument("--as-of", type=_date, default=None)
    p.add_argument("--owner", help="a dept_code or street_code")
    p.set_defaults(func=cmd_alerts)

    p = sub.add_parser("waiver", help="the waiver register")
    p.add_argument("action", choices=["add", "list"])
    p.add_argument("--owner")
    p.add_argument("--rule")
    p.add_argument("--item")
    p.add_argument("--until", type=_date)
    p.add_argument("--reason")
    p.set_defaults(func=cmd_waiver)

    p = sub.add_parser("bulletin", help="render and mail the monthly bulletin (月度通报)")
    p.add_argument("--month", required=True, help="YYYY-MM")
    # Default: the as_of the warehouse was last built for.
    p.add_argument("--as-of", dest="bulletin_as_of", type=_date, default=None)
    p.add_argument("--no-send", action="store_true", help="render and record, do not mail")
    p.set_defaults(func=cmd_bulletin)

    p = sub.add_parser("airflow", help="start a local Airflow on the embedded database")
    p.set_defaults(func=cmd_airflow)

    p = sub.add_parser("bench", help="measure ingest and nights against a plain COPY")
    p.add_argument("--quick", action="store_true", help="scales 1 and 10 only")
    p.add_argument("--scales", type=float, nargs="*")
    p.add_argument(
        "--store",
        action="store_true",
        help="the event store's write path only: a tax file into an empty store, into a "
        "store of --preload-files x --rows events, an unchanged re-send; XLSX read rate",
    )
    p.add_argument("--rows", type=int, default=1_000_000, help="rows per tax file (--store)")
    p.add_argument("--preload-files", type=int, default=10, help="files held before (--store)")
    p.add_argument("--registry-rows", type=int, default=20_000, help="XLSX rows (--store)")
    p.add_argument(
        "--alerts",
        action="store_true",
        help="a night's alert history after a year of digests of --owners owners, each with "
        "--open-items items listed every night",
    )
    p.add_argument("--owners", type=int, default=30, help="digest owners (--alerts)")
    p.add_argument("--open-items", type=int, default=200, help="open items an owner (--alerts)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "as_of", "unset") is None:
        args.as_of = default_as_of()
    from projledger.db.conninfo import DatabaseUrlError

    try:
        return args.func(args)
    except DatabaseUrlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
