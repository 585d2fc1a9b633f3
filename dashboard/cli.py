"""Command line for scheduled refreshes and scripting: ``python -m dashboard --help``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from dashboard import auth, demo, export, importer, metrics, money, parsing, report, simulator
from dashboard import settings as S
from dashboard.db import Database, DatabaseError
from dashboard.i18n import default_lang
from dashboard.readers import ImportRefused


def _date(text: str) -> dt.date:
    try:
        value = parsing.parse_date(text)
    except ValueError:
        value = None
    if value is None:
        raise argparse.ArgumentTypeError(f"not a date: {text!r}")
    return value


def _thresholds(text: str) -> tuple[int, int]:
    try:
        t1, t2 = (parsing.parse_money(p) for p in text.split(",") if p.strip())
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError("expected T1,T2 in yen, e.g. 200000,80000") from exc
    if t1 is None or t2 is None or t1 < t2:
        raise argparse.ArgumentTypeError("expected T1,T2 with T1 >= T2")
    return float(t1), float(t2)


def _map_item(item: str) -> tuple[str, str]:
    """One --map canonical=Header, checked while the arguments are parsed (a clear usage error)."""
    canonical, sep, header = item.partition("=")
    if not sep or not canonical.strip() or not header:
        raise argparse.ArgumentTypeError(f"takes canonical=Header (e.g. mrr=月額), got {item!r}")
    return canonical.strip(), header


def _progress():
    """Progress of a long import on stderr, only when it is a terminal (never mixed into the JSON)."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(fraction: float, step: str) -> None:
        if time.monotonic() - started > 1 or fraction >= 1:
            print(f"\r{step:<10} {fraction:>4.0%}", end="\n" if fraction >= 1 else "", file=sys.stderr, flush=True)
    return show


def _print(obj) -> None:
    print(json.dumps(report.jsonable(obj), ensure_ascii=False, indent=2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Customer-success dashboard")
    parser.add_argument("--db", help="database file (default: $DASHBOARD_DB or data/dashboard.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="import a CSV, .xlsx or Parquet export as a new snapshot")
    p.add_argument("file")
    p.add_argument("--dataset", required=True, choices=sorted(importer.schema.DATASETS))
    p.add_argument("--sheet")
    p.add_argument("--map", action="append", default=[], metavar="canonical=Header", type=_map_item)
    p.add_argument("--by", help="who imports (recorded with the snapshot)")
    p.add_argument("--mode", choices=importer.MODES, default="replace",
                   help="replace (a full export, the default), append (add rows; usage, mrr, orders, touchpoints, "
                        "opportunities) or upsert (replace rows by key, add new keys; accounts, mrr)")
    p.add_argument("--confirm-replace", action="store_true",
                   help="replace even when the file would remove more than half of the current accounts")

    p = sub.add_parser("report", help="print the headline figures as JSON")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--period", choices=metrics.P.GRAINS, default="month")
    p.add_argument("--from", dest="start", type=_date)
    p.add_argument("--segment-by", choices=importer.schema.SEGMENT_COLUMNS)
    p.add_argument("--tier-thresholds", type=_thresholds)

    p = sub.add_parser("export", help="write a list that opens safely in (Japanese) Excel")
    p.add_argument("what", choices=["accounts", "at-risk", "rejected"])
    p.add_argument("--snapshot", type=int, help="with rejected: the snapshot whose unreadable rows to write")
    p.add_argument("--out", required=True)
    p.add_argument("--encoding", choices=export.ENCODINGS, default="utf-8-sig")
    p.add_argument("--as-of", type=_date)

    p = sub.add_parser("snapshots", help="list snapshots")
    p = sub.add_parser("restore", help="make an earlier snapshot current again")
    p.add_argument("snapshot", type=int)

    p = sub.add_parser("demo", help="load the bundled demo data")
    p.add_argument("--if-empty", action="store_true", help="only when the database has no data")

    p = sub.add_parser("user", help="manage who may log in (creates data/users.toml)")
    p.add_argument("action", choices=["add"])
    p.add_argument("name")
    p.add_argument("--role", choices=auth.ROLES, default="viewer")
    p.add_argument("--password", help="the password (default: read from standard input)")

    simulator.add_cli(sub)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.command == "simulate":
        _print(simulator.run_cli(args))
        return 0
    if args.command == "user":
        password = args.password or sys.stdin.readline().rstrip("\n")
        if not password:
            print("a password is required", file=sys.stderr)
            return 2
        _print({"user": args.name, "role": args.role, "file": str(auth.add_user(args.name, password, args.role))})
        return 0
    db = Database(args.db)
    lang = default_lang()
    money.use(S.get(db, "currency"))
    if args.command == "import":
        try:
            result = importer.import_file(db, args.file, args.dataset, sheet=args.sheet,
                                          overrides=dict(args.map), imported_by=args.by, lang=lang, mode=args.mode,
                                          confirm_replace=args.confirm_replace, progress=_progress())
        except ImportRefused as exc:
            print(exc.message(lang), file=sys.stderr)
            return 2
        for warning in result["warnings"]:
            print(warning, file=sys.stderr)
        _print({k: result[k] for k in ("dataset", "snapshot", "unchanged", "mode", "rows_read", "rows_loaded",
                                       "rows_rejected", "rows_duplicate", "mapping", "unmapped", "errors", "warnings",
                                       "encoding", "sheet")})
    elif args.command == "report":
        _print(report.build(db, as_of=args.as_of, period=args.period, start=args.start,
                            segment_by=args.segment_by, thresholds=args.tier_thresholds))
    elif args.command == "export":
        if args.what == "rejected":
            if args.snapshot is None:
                print("export rejected needs --snapshot N (see `snapshots`)", file=sys.stderr)
                return 2
            frame = importer.rejected_rows(db, args.snapshot)
        else:
            frame = at_risk_or_accounts(db, args.what, args.as_of)
        Path(args.out).write_bytes(export.to_csv_bytes(frame, args.encoding))
        _print({"out": args.out, "rows": len(frame), "encoding": args.encoding})
    elif args.command == "snapshots":
        _print(report.records(importer.list_snapshots(db), list(importer.list_snapshots(db).columns)))
    elif args.command == "restore":
        _print({"restored": args.snapshot, "dataset": importer.restore(db, args.snapshot)})
    elif args.command == "demo":
        if args.if_empty and not db.is_empty():
            _print({"demo": "skipped: the database already has data", "db": str(db.path)})
            return 0
        results = demo.load(db)
        _print([{k: r[k] for k in ("dataset", "snapshot", "rows_loaded", "rows_rejected")} for r in results])
    return 0


def at_risk_or_accounts(db: Database, what: str, as_of: dt.date | None = None):
    """The account list (with tier and health) or only the at-risk (red) accounts, lowest score first."""
    as_of = as_of or metrics.default_as_of(db)
    accounts, _ = report.tiers_as_of(db, as_of)
    config = report.health_config(db)
    if config["measures"]:
        scores = metrics.health_scores(db, as_of, config, with_change=False)
        accounts = accounts.merge(scores, on="account_id", how="left")
    else:
        accounts = accounts.assign(score=None, band=None)
    columns = ["account_id", "name", "tier", "mrr", "score", "band", "owner", "plan", "industry", "renewal_date"]
    accounts = accounts[columns].sort_values(["score", "mrr"], ascending=[True, False])
    if what == "at-risk":
        accounts = accounts[accounts["band"] == "red"]
    return accounts.round({"score": 1}).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except DatabaseError as exc:  # busy, read-only, damaged, full disk, not a database
        print(exc.message(default_lang()), file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
