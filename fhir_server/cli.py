"""Command line: ``python -m fhir_server serve | load PATH... | init-demo``.

Without ``MONGODB_URI`` every command runs an embedded mongod with its data in
``FHIR_DATA_DIR`` (default ``./var``) and stops it when the command ends, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fhir_server import config
from fhir_server.rest import Context
from fhir_server.routes import make_context
from fhir_server.storage.mongo import Store, database, ensure_indexes


def cmd_serve(args: argparse.Namespace, settings: config.Settings) -> int:
    from fhir_server.web.server import run_gunicorn

    with database(settings) as (live, store):
        if args.demo:
            from fhir_server.ingest.demo import load_demo_once

            load_demo_once(_context(live, store))
            if live.auth_enabled:
                from fhir_server.auth.demo import create_demo_accounts

                create_demo_accounts(live, store)
        run_gunicorn(live, workers=args.workers)
    return 0


def cmd_load(args: argparse.Namespace, settings: config.Settings) -> int:
    from fhir_server.ingest.loader import LoadError, load_paths

    with database(settings) as (live, store):
        ctx = _context(live, store)
        try:
            report = load_paths(ctx, [Path(p) for p in args.paths], keep_going=args.keep_going)
        except LoadError as exc:
            print(f"load failed: {exc}", file=sys.stderr)
            if exc.report is not None:
                print(f"stored before the failure: {exc.report.resources} resources, {exc.report.files} files"
                      " loaded completely", file=sys.stderr)
            return 1
    summary = f"loaded {report.resources} resources from {report.files} files"
    if report.failures:
        summary += f"; {len(report.failures)} failures (below)"
    print(summary)
    for failure in report.failures:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if report.failures else 0


def cmd_import(args: argparse.Namespace, settings: config.Settings) -> int:
    from fhir_server.ingest.importer import run_import

    with database(settings) as (live, store):
        return run_import(_context(live, store), args.format, [Path(p) for p in args.paths])


def cmd_seed(args: argparse.Namespace, settings: config.Settings) -> int:
    from fhir_server.ingest.seeding import run_seed

    with database(settings) as (live, store):
        return run_seed(_context(live, store), live, args.patients, args.seed, args.workers)


def cmd_reindex(args: argparse.Namespace, settings: config.Settings) -> int:
    from fhir_server.search import reindex

    with database(settings) as (_live, store):
        reindex.run(store, ["--status"] if args.status else ["--all"] if args.all else [])
    return 0


def _context(settings: config.Settings, store: Store) -> Context:
    ensure_indexes(store)
    return make_context(settings, store)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(prog="python -m fhir_server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the FHIR API (gunicorn)")
    serve.add_argument("--demo", action="store_true", help="load the demo data first, once")
    serve.add_argument("--workers", type=int, default=None, help="gunicorn workers (FHIR_WORKERS, default 2)")
    serve.set_defaults(func=cmd_serve)
    load = sub.add_parser("load", help="load Bundles, resources and NDJSON files or folders")
    load.add_argument("paths", nargs="+")
    load.add_argument("--keep-going", action="store_true", help="load the other files when one fails")
    load.set_defaults(func=cmd_load)
    imp = sub.add_parser("import", help="map source documents with a mapper and load them (docs/mappers.md)")
    imp.add_argument("--format", required=True,
                     help="exam-protocol, hl7v2-oru, cda-discharge, dicom-study or instrumental")
    imp.add_argument("paths", nargs="+")
    imp.set_defaults(func=cmd_import)
    seed = sub.add_parser("seed", help="generate a synthetic Moscow population and load it (docs/seed_data.md)")
    seed.add_argument("--patients", type=int, default=200, help="number of people (default 200)")
    seed.add_argument("--seed", type=int, default=1, help="the population's seed (default 1)")
    seed.add_argument("--workers", type=int, default=1, help="processes generating and loading (default 1)")
    seed.set_defaults(func=cmd_seed)
    again = sub.add_parser("reindex", help="run pending search reindex jobs (docs/search.md)")
    again.add_argument("--status", action="store_true", help="list the jobs and their progress")
    again.add_argument("--all", action="store_true", help="reindex every resource")
    again.set_defaults(func=cmd_reindex)
    from fhir_server.auth.cli import add_commands  # clients ..., users ... (docs/auth.md)

    add_commands(sub)
    args = parser.parse_args(argv)
    settings = config.from_env()
    try:
        settings.check()
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return int(args.func(args, settings))
