"""Command line for scheduled refreshes and scripting: ``python -m dashboard --help``."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import os
import sys
import time
from pathlib import Path

from dashboard import (
    auth,
    demo,
    derivation,
    digest,
    export,
    money,
    periods,
    report,
    results,
    simulator,
    views,
    worklog,
    workspace,
)
from dashboard import settings as S
from dashboard.db import Database, DatabaseError, backup_path, backup_time, default_path, restore_backup
from dashboard.errors import for_message
from dashboard.i18n import default_lang, t
from dashboard.imports import importer, parsing
from dashboard.imports.readers import ImportRefused
from dashboard.results import drills, engines, result_store
from dashboard.results.spark_sql import UnsupportedSQL


def _parsed(parse, what: str):
    """An argument type reading a value with one of parsing's rules (a date, a month)."""
    def read(text: str) -> dt.date:
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None:
            raise argparse.ArgumentTypeError(f"not a {what}: {text!r}")
        return value
    return read


_date = _parsed(parsing.parse_date, "date")
_month_arg = _parsed(parsing.parse_month, "month")


def _thresholds(text: str) -> tuple[int, int]:
    try:
        t1, t2 = (parsing.parse_money(p) for p in text.split(",") if p.strip())
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError("expected T1,T2 in yen, e.g. 200000,80000") from exc
    if t1 is None or t2 is None or t1 < t2:
        raise argparse.ArgumentTypeError("expected T1,T2 with T1 >= T2")
    return float(t1), float(t2)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= S.MAX_ENGINE_TIMEOUT:
        raise argparse.ArgumentTypeError(f"seconds, more than 0 and at most {S.MAX_ENGINE_TIMEOUT}, got {text!r}")
    return value


def _spark_options(p: argparse.ArgumentParser, what: str) -> None:
    """--engine and where Spark runs: the same for report and export."""
    p.add_argument("--engine", choices=engines.ENGINES, default="duckdb",
                   help=f"where {what} computed: duckdb on this machine (default) or spark")
    p.add_argument("--spark-master", default=os.environ.get("SPARK_MASTER"),
                   help="with --engine spark: local[*] (default), spark://host:7077, yarn … ($SPARK_MASTER)")
    p.add_argument("--spark-remote", default=os.environ.get("SPARK_REMOTE"),
                   help="with --engine spark: a Spark Connect URL, sc://host:15002 ($SPARK_REMOTE)")
    p.add_argument("--spark-data", type=Path,
                   help="with --engine spark: the folder of Parquet datasets Spark reads, on storage the cluster "
                        "can read (default: <database>.spark beside the database); written when the data changed")
    p.add_argument("--spark-timeout", type=_seconds, default=engines.DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"with --engine spark: give up reaching the cluster after this long "
                        f"(default {engines.DEFAULT_TIMEOUT:g})")


def _map_item(item: str) -> tuple[str, str]:
    """One --map canonical=Header, checked while the arguments are parsed (a clear usage error)."""
    canonical, sep, header = item.partition("=")
    if not sep or not canonical.strip() or not header:
        raise argparse.ArgumentTypeError(f"takes canonical=Header (e.g. mrr=月額), got {item!r}")
    return canonical.strip(), header


def _pair(item: str) -> tuple[str, str]:
    """One --key or --param name=value."""
    name, sep, value = item.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"takes name=value (e.g. month=2026-09), got {item!r}")
    return name.strip(), value.strip()


def _progress():
    """Progress of a long import on stderr, only when it is a terminal (never mixed into the JSON)."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(fraction: float, step: str) -> None:
        if time.monotonic() - started > 1 or fraction >= 1:
            print(f"\r{step:<10} {fraction:>4.0%}", end="\n" if fraction >= 1 else "", file=sys.stderr, flush=True)
    return show


def _operator(name: str | None) -> auth.User:
    """Who acts on the command line: whoever can run it on the server holds the files, so an editor."""
    import getpass

    try:
        fallback = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        fallback = "cli"
    return auth.User(name or f"{fallback} (cli)", "editor")


def _records(section):
    """A section of the account as JSON: frames as lists of records, dicts of frames likewise."""
    if isinstance(section, dict):
        return {k: _records(v) for k, v in section.items()}
    if hasattr(section, "columns"):
        return report.records(section, list(section.columns))
    return section


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
    p.add_argument("--no-wait", "--no-prepare", dest="wait", action="store_false",
                   help="return after the commit, without keeping the pages' first views ready (for all but the "
                        "last import of a batch, or run `prepare` after it); ready_seconds is then null")

    sub.add_parser("prepare", help="score health and keep the results the pages open on (done after each "
                                   "import unless --no-wait; large data only, see --force)").add_argument(
        "--force", action="store_true", help="also when the data is small")

    p = sub.add_parser("report", help="print the headline figures as JSON")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--period", choices=periods.GRAINS, default="month")
    p.add_argument("--from", dest="start", type=_date)
    p.add_argument("--segment-by", choices=importer.schema.SEGMENT_COLUMNS)
    p.add_argument("--tier-thresholds", type=_thresholds)
    p.add_argument("--filter", action="append", default=[], metavar="column=value", dest="filters",
                   help="only accounts with this value, e.g. tier=Tier1 or owner=田中 (repeatable: values of one "
                        f"column are OR, columns are AND; columns: {', '.join(results.scope.COLUMNS)})")
    _spark_options(p, "the figures are")

    p = sub.add_parser("engine", help="where the pages' first views are computed after an import: show, or set "
                                      "duckdb (this machine) or spark (needs --spark-data)")
    p.add_argument("name", nargs="?", choices=engines.ENGINES)
    p.add_argument("--spark-master", help="local[*] (default), spark://host:7077, yarn …")
    p.add_argument("--spark-remote", help="a Spark Connect URL, sc://host:15002")
    p.add_argument("--spark-data", help="the folder of Parquet datasets, on storage the cluster can read")
    p.add_argument("--spark-timeout", type=_seconds, metavar="SECONDS",
                   help=f"give up reaching the cluster after this long (default {engines.DEFAULT_TIMEOUT:g})")
    p.add_argument("--by", help="who is changing it (an editor; default: the local operator)")

    p = sub.add_parser("export", help="write a list that opens safely in (Japanese) Excel")
    p.add_argument("what", choices=["accounts", "at-risk", "rejected"])
    p.add_argument("--snapshot", type=int, help="with rejected: the snapshot whose unreadable rows to write")
    p.add_argument("--out", required=True)
    p.add_argument("--encoding", choices=export.ENCODINGS, default="utf-8-sig")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--filter", action="append", default=[], metavar="column=value", dest="filters",
                   help="only accounts with this value (as for report)")
    _spark_options(p, "the accounts and at-risk lists are")

    p = sub.add_parser("account", help="one account whole as JSON: profile (tier, health, reasons, next action), "
                                       "MRR timeline with movements, health history, usage, touchpoints, deals")
    p.add_argument("account_id")
    p.add_argument("--as-of", type=_date)

    p = sub.add_parser("drill", help="the accounts behind one figure: the figure's value, the same worked out "
                                     "from the list, and the list (e.g. drill mrr_movements --key month=2026-09 "
                                     "--column churn)")
    p.add_argument("figure", help="the result the figure belongs to: " + ", ".join(results.DRILLS))
    p.add_argument("--column", help="the figure's column (default: its first drillable one)")
    p.add_argument("--key", action="append", default=[], type=_pair, metavar="column=value", dest="keys",
                   help="the figure's row (e.g. month=2026-09, tier=Tier1)")
    p.add_argument("--param", action="append", default=[], type=_pair, metavar="name=value", dest="params",
                   help="the figure's parameters (e.g. grain=month, start=2025-11-01, within_days=30)")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--filter", action="append", default=[], metavar="column=value", dest="filters",
                   help="only accounts with this value (as for report)")

    p = sub.add_parser("digest", help="the weekly digest as one HTML page for a mail client (KPIs against a week "
                                      "before, accounts that turned red, renewals within 30 days, overdue tasks); "
                                      "posted as JSON to the digest_webhook setting when it is set")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.add_argument("--owner", help="only this owner's accounts")
    p.add_argument("--as-of", type=_date)

    p = sub.add_parser("explain-mrr", help="how an account's MRR was derived from subscriptions or invoice lines: "
                                           "each line's monthly amount and rule, and the MRR at each month's end")
    p.add_argument("account_id")
    p.add_argument("--month", type=_month_arg, help="only this month (YYYY-MM)")

    p = sub.add_parser("snapshots", help="list snapshots")
    p = sub.add_parser("restore", help="make an earlier snapshot current again")
    p.add_argument("snapshot", type=int)

    p = sub.add_parser("backup", help="the automatic copy of the last good state (<db>.last-good)")
    p.add_argument("action", choices=["show", "restore"],
                   help="show: when it was saved; restore: put it in place of a damaged database")

    sub.add_parser("check", help="read every table back (every block's checksum) and the data version: "
                                 "exit 3 with advice when the file is damaged")

    p = sub.add_parser("demo", help="load the bundled demo data")
    p.add_argument("--if-empty", action="store_true", help="only when the database has no data")

    p = sub.add_parser("user", help="manage who may log in (creates data/users.toml)")
    p.add_argument("action", choices=["add", "list", "remove", "passwd"])
    p.add_argument("name", nargs="?")
    p.add_argument("--role", choices=auth.ROLES, default="viewer")
    p.add_argument("--password", help=f"the password, at least {auth.MIN_PASSWORD_LENGTH} characters "
                                      "(default: read from standard input)")

    simulator.add_cli(sub)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.command == "simulate":
        _print(simulator.run_cli(args))
        return 0
    if args.command == "user":
        return _user(args)
    try:
        scope = results.Scope.parse(getattr(args, "filters", []))
    except results.ScopeError as exc:
        print(f"--filter: {exc}", file=sys.stderr)
        return 2
    if args.command == "backup":
        return _backup(args)
    db = Database(args.db)
    db.data_version()  # a damaged file says so (with the restore advice) before any command reads it
    lang = default_lang()
    money.use(S.get(db, "currency"))
    if args.command in ("report", "export") and not db.read_only and result_store.pending(db) is not None:
        workspace.refresh(db)  # an import that did not wait (--no-wait): whoever reads the data next completes it
    if args.command == "import":
        try:
            result = workspace.import_file(db, args.file, args.dataset, sheet=args.sheet,
                                           overrides=dict(args.map), by=_operator(args.by), lang=lang, mode=args.mode,
                                           confirm_replace=args.confirm_replace, progress=_progress(),
                                           wait=args.wait)
        except ImportRefused as exc:
            print(exc.message(lang), file=sys.stderr)
            return 2
        for warning in result["warnings"]:
            print(warning, file=sys.stderr)
        _print({k: result[k] for k in ("dataset", "snapshot", "unchanged", "mode", "rows_read", "rows_loaded",
                                       "rows_rejected", "rows_duplicate", "mapping", "unmapped", "errors", "warnings",
                                       "encoding", "sheet", "commit_seconds", "ready", "ready_seconds")})
    elif args.command == "prepare":
        started = time.monotonic()
        done = result_store.prepare(db, force=args.force)
        _print({"days_scored_ahead": done["health_days"], "results_kept": done["results"],
                "seconds": round(time.monotonic() - started, 1)})
    elif args.command == "engine":
        if args.name == "spark" and not args.spark_data:
            print("engine spark: give --spark-data, the folder of Parquet datasets the cluster reads", file=sys.stderr)
            return 2
        if args.name:
            value = None if args.name == "duckdb" else {
                "name": "spark", "data": str(Path(args.spark_data).resolve()) if args.spark_data else None,
                "master": args.spark_master, "remote": args.spark_remote}
            if value and args.spark_timeout is not None:
                value["timeout"] = args.spark_timeout
            try:
                workspace.put_setting(db, "engine", value, by=_operator(args.by))
            except ValueError as exc:
                print(f"engine: {exc}", file=sys.stderr)
                return 2
            if args.name == "spark" and (reason := engines.java_missing(args.spark_remote)):
                print(f"engine: saved, but Spark cannot start here: {reason}", file=sys.stderr)
        _print({"engine": S.get(db, "engine") or {"name": "duckdb"}})
    elif args.command == "report":
        def build() -> dict:
            return report.build(db, as_of=args.as_of, period=args.period, start=args.start,
                                segment_by=args.segment_by, thresholds=args.tier_thresholds, scope=scope)
        out, code = _on_engine(db, args, build)
        if code:
            return code
        _print(out)
    elif args.command == "export":
        if args.what == "rejected":
            if args.snapshot is None:
                print("export rejected needs --snapshot N (see `snapshots`)", file=sys.stderr)
                return 2
            frame = importer.rejected_rows(db, args.snapshot)
        else:
            frame, code = _on_engine(db, args, lambda: account_list(db, args.what, args.as_of, scope))
            if code:
                return code
        try:
            Path(args.out).write_bytes(export.to_csv_bytes(frame, args.encoding))
        except OSError as exc:  # no such folder, not writable, a name too long: one line, not a traceback
            print(t("cannot_write", lang, file=for_message("file", args.out), detail=exc.strerror or str(exc)),
                  file=sys.stderr)
            return 2
        _print({"out": args.out, "rows": len(frame), "encoding": args.encoding})
    elif args.command == "account":
        as_of = args.as_of or results.call(db, "default_as_of")
        found = views.account(views.caller(db), args.account_id, as_of, lang)
        if found is None:
            print(t("account_not_found", lang, account=for_message("value", args.account_id)), file=sys.stderr)
            return 2
        _print({"as_of": as_of, **{name: found[name] if name == "profile" else _records(found[name])
                                   for name in views.ACCOUNT_SECTIONS}})
    elif args.command == "drill":
        as_of = args.as_of or results.call(db, "default_as_of")
        params = {"as_of": as_of, "start": periods.add_months(as_of.replace(day=1), -12), "grain": "month"} | dict(args.params)
        params.setdefault("from_month", params["start"])
        try:
            opened = drills.open_drill(views.caller(db, scope), args.figure, args.column, dict(args.keys), **params)
        except (results.ResultError, ValueError, KeyError) as exc:
            print(f"drill: {exc}", file=sys.stderr)
            return 2
        _print({"figure": args.figure, "column": opened.column, "keys": opened.keys,
                "params": drills.figure_params(opened.drill, {k: drills.typed(k, v) for k, v in params.items()}),
                "figure_value": opened.figure_value, "list_value": opened.list_value, "accounts": len(opened.rows),
                "counted": opened.counted, "rows": _records(opened.rows)})
    elif args.command == "digest":
        as_of = args.as_of or results.call(db, "default_as_of")
        # an owner's accounts are those assigned to them now (the call list's work), picked by the digest
        built = digest.build(views.caller(db, scope), worklog.state(db), as_of, periods.today(S.get(db, "time_zone")),
                             lang, owner=args.owner)
        try:
            Path(args.out).write_text(digest.to_html(built, lang), encoding="utf-8")
        except OSError as exc:
            print(t("cannot_write", lang, file=for_message("file", args.out), detail=exc.strerror or str(exc)),
                  file=sys.stderr)
            return 2
        posted, code = None, 0
        if url := S.get(db, "digest_webhook"):
            try:
                posted = digest.post(url, built)
            except (OSError, ValueError) as exc:  # unreachable, refused, an error status, a malformed address
                # said without the address (a chat webhook's URL is its secret); the file is written
                print(t("digest_post_failed", lang, detail=type(exc).__name__ + (
                    f" {exc.code}" if hasattr(exc, "code") else "")), file=sys.stderr)
                posted, code = getattr(exc, "code", None) or "failed", 4
        _print({"out": args.out, "as_of": as_of, "owner": args.owner, "turned_red": len(built["turned_red"]),
                "renewals": len(built["renewals"]), "overdue_tasks": len(built["overdue_tasks"]), "posted": posted})
        return code
    elif args.command == "explain-mrr":
        _print(derivation.explain(db, args.account_id, args.month, lang))
    elif args.command == "snapshots":
        _print(report.records(importer.list_snapshots(db), list(importer.list_snapshots(db).columns)))
    elif args.command == "restore":
        _print({"restored": args.snapshot, "dataset": workspace.restore(db, args.snapshot, by=_operator(None))})
    elif args.command == "check":
        _print(db.verify())
    elif args.command == "demo":
        if args.if_empty and not db.is_empty():
            _print({"demo": "skipped: the database already has data", "db": str(db.path)})
            return 0
        loaded = demo.load(db, by=_operator(None))
        _print([{k: r[k] for k in ("dataset", "snapshot", "rows_loaded", "rows_rejected")} for r in loaded])
    return 0


def _on_engine(db: Database, args: argparse.Namespace, compute):
    """``compute()`` on the engine --engine names: (its value, 0), or (None, 2) after one line on stderr
    when Spark cannot run it (not installed, a cluster not reached within --spark-timeout, an error)."""
    if args.engine != "spark":
        return compute(), 0
    folder = args.spark_data or Path(f"{db.path}.spark")
    spark = None
    try:
        spark = engines.SparkEngine(folder, master=args.spark_master, remote=args.spark_remote,
                                    timeout=args.spark_timeout)
        spark.reach()  # a cluster out of reach is said before the datasets are written for it
        engines.ensure_exported(db, folder)
        with engines.using(spark):
            return compute(), 0
    except (engines.EngineError, UnsupportedSQL) as exc:
        print(f"--engine spark: {exc}", file=sys.stderr)
        return None, 2
    finally:
        if spark is not None:
            spark.stop()


def _backup(args: argparse.Namespace) -> int:
    """backup show|restore: works on a database too damaged to open."""
    path = Path(args.db) if args.db else default_path()
    when = backup_time(path)
    if args.action == "show":
        _print({"db": str(path), "backup": str(backup_path(path)) if when else None, "saved_at": when})
        return 0
    kept = restore_backup(path, by=_operator(None))
    Database(path)  # opens and checks the restored file
    _print({"restored": str(path), "saved_at": when, "damaged_file_kept_as": str(kept)})
    return 0


def _user(args: argparse.Namespace) -> int:
    """user add|list|remove|passwd: the users file, never a password on the screen."""
    if args.action == "list":
        _print(auth.list_users())
        return 0
    if not args.name:
        print(f"user {args.action} needs a NAME", file=sys.stderr)
        return 2
    try:
        if args.action == "remove":
            _print({"removed": args.name, "file": str(auth.remove_user(args.name))})
            return 0
        password = args.password or sys.stdin.readline().rstrip("\n")
        if args.action == "passwd":
            _print({"user": args.name, "password": "changed", "file": str(auth.set_password(args.name, password))})
        else:
            _print({"user": args.name, "role": args.role, "file": str(auth.add_user(args.name, password, args.role))})
    except KeyError:
        print(f"there is no user {args.name!r} (see `user list`)", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


def account_list(db: Database, what: str, as_of: dt.date | None = None,
                 scope: results.Scope | None = None, lang: str | None = None):
    """The account list (with tier and health, largest MRR first) or the call list (with reasons and the
    next action), as the pages show them."""
    as_of = as_of or results.call(db, "default_as_of")
    if what == "at-risk":  # as the Accounts page lists it: without the accounts set aside, with the work
        work = worklog.state(db)
        q = views.caller(db, scope)
        aside = views.calls_now(q, work, as_of, periods.today(S.get(db, "time_zone")))[1]
        calls = views.at_risk_actions(q, as_of, lang or default_lang(), exclude=tuple(aside["account_id"]))
        return views.at_risk_download(worklog.with_work(calls, work))
    frame = results.run(db, "accounts", scope, as_of=as_of)
    columns = [c for c in results.RESULTS["accounts"].columns if c.name in frame]
    frame = frame[[c.name for c in columns]].round({"score": 1, "change": 1})
    return frame.reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except DatabaseError as exc:  # busy, read-only, damaged, full disk, not a database
        print(exc.message(default_lang()), file=sys.stderr)
        return 3
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
        # a path given here (--db, --spark-data, …) longer than the system allows: one line, as a refusal
        name = for_message("file", str(exc.filename or "")) or "?"
        print(t("file_name_too_long", default_lang(), file=name), file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
