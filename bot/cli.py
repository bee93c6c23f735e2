"""The `saring` command line, exactly as DESIGN.md's interface contract gives it.

Each subcommand is a small async function over `Services`. Expected failures (bad input,
broken config, unreachable database) become one line on stderr and a non-zero exit, never a
traceback: the people running these are operators, not developers.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.app import MissingTokenError
from bot.checking import ForwardOrigin, LoadError, MessageFacts, OriginKind, RuleEngine
from bot.checking.guidance import render_footer
from bot.checking.serialization import result_to_dict
from bot.db.repositories import DuplicateSourceError
from bot.registry.files import ImportFileError
from bot.registry.hoaxes import HoaxInputError
from bot.registry.officials import officials_status
from bot.registry.roster import import_roster
from bot.registry.sources import SourceInputError
from bot.runtime import serve
from bot.services import Services, create_services
from bot.settings import Settings
from bot.web.app import ConfigurationError, Mode

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
MAX_STDIN_CHARS = 1_000_000


class CommandError(Exception):
    """An expected failure, reported as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saring", description="Saring sebelum sharing: check messages before sharing."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("check", help="check a message (TEXT or stdin)")
    check.add_argument("text", nargs="?", help="message text; read from stdin when omitted")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--jsonl", metavar="FILE", help="check JSON Lines from FILE or - (stdin)")
    check.add_argument("--forward-chat-id", type=int, help="numeric id of the forwarded chat")
    check.add_argument("--forward-chat-username", help="username of the forwarded chat (a label)")
    check.set_defaults(handler=run_check)
    run = commands.add_parser("run", help="run the Telegram bot")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--polling", dest="mode", action="store_const", const="polling")
    mode.add_argument("--webhook", dest="mode", action="store_const", const="webhook")
    run.set_defaults(handler=None, mode="polling")
    _add_sources(commands)
    _add_hoaxes(commands)
    roster = commands.add_parser("roster", help="staff roster").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    imp = roster.add_parser(
        "import", help="import CSV nip,name,unit_code,unit_name,role,telegram_user_id"
    )
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=run_roster_import)
    officials = commands.add_parser("officials", help="officials who receive alerts")
    officials_actions = officials.add_subparsers(dest="action", required=True, metavar="ACTION")
    officials_actions.add_parser(
        "status", help="unit heads, PPK and admins: linked, started, reachable"
    ).set_defaults(handler=run_officials_status)
    db = commands.add_parser("db", help="database maintenance").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="migrate the database to the newest schema").set_defaults(
        handler=run_db_upgrade
    )
    return parser


def _add_sources(commands: Any) -> None:
    sources = commands.add_parser("sources", help="official-source registry").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = sources.add_parser("add", help="add KIND VALUE")
    add.add_argument("kind")
    add.add_argument("value")
    add.add_argument("--name")
    add.add_argument("--owner-unit")
    add.set_defaults(handler=run_sources_add)
    listing = sources.add_parser("list", help="list entries")
    listing.add_argument("--kind")
    listing.set_defaults(handler=run_sources_list)
    remove = sources.add_parser("remove", help="remove KIND VALUE")
    remove.add_argument("kind")
    remove.add_argument("value")
    remove.set_defaults(handler=run_sources_remove)
    imp = sources.add_parser("import", help="import CSV with columns kind,value,name")
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=run_sources_import)
    sources.add_parser("export", help="print CSV kind,value,name").set_defaults(
        handler=run_sources_export
    )


def _add_hoaxes(commands: Any) -> None:
    hoaxes = commands.add_parser("hoaxes", help="known-hoax database").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = hoaxes.add_parser("add", help="add a claim")
    add.add_argument("text")
    add.add_argument("--clarification-url")
    add.set_defaults(handler=run_hoaxes_add)
    listing = hoaxes.add_parser("list", help="list claims")
    listing.add_argument("--limit", type=int)
    listing.set_defaults(handler=run_hoaxes_list)
    imp = hoaxes.add_parser("import", help="import CSV or JSONL with text,clarification_url")
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=run_hoaxes_import)


def actor() -> str:
    """Who the audit log names for a command-line change."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


# --- check -------------------------------------------------------------------------------


async def run_check(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    engine = await services.build_engine()
    if args.jsonl:
        return _check_jsonl(engine, args.jsonl, out)
    text = args.text if args.text is not None else sys.stdin.read(MAX_STDIN_CHARS)
    if not text.strip():
        raise CommandError("nothing to check: give TEXT or pipe a message on stdin")
    origin = _origin(args.forward_chat_id, args.forward_chat_username)
    result = engine.check(MessageFacts(text=text, forward=origin))
    reply = f"{result.reply}\n\n{render_footer(result.content_hash[:10], datetime.now(UTC))}"
    if args.json:
        out.write(json.dumps(result_to_dict(result, reply=reply), ensure_ascii=False) + "\n")
    else:
        out.write(reply + "\n")
    return EXIT_OK


def _origin(chat_id: int | None, username: str | None) -> ForwardOrigin | None:
    if chat_id is None and not username:
        return None
    return ForwardOrigin(
        kind=OriginKind.CHANNEL, chat_id=chat_id, username=(username or "").lstrip("@") or None
    )


def _check_jsonl(engine: RuleEngine, source: str, out: TextIO) -> int:
    """One result per input line, same `id`; a bad line yields an error object, not a stop."""
    failed = False
    for number, line in _lines(source):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError("expected an object with a string 'text'")
            chat_id = item.get("forward_chat_id")
            origin = _origin(
                int(chat_id) if chat_id is not None else None, item.get("forward_chat_username")
            )
        except (ValueError, TypeError) as exc:
            failed = True
            record: dict[str, Any] = {"id": None, "line": number, "error": str(exc)}
        else:
            result = engine.check(MessageFacts(text=item["text"], forward=origin))
            record = {"id": item.get("id"), **result_to_dict(result)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return EXIT_FAILURE if failed else EXIT_OK


def _lines(source: str) -> Iterator[tuple[int, str]]:
    if source == "-":
        yield from enumerate(sys.stdin, start=1)
        return
    try:
        with open(source, encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{source}: cannot read: {exc}") from None


# --- sources -----------------------------------------------------------------------------


async def run_sources_add(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    row = await services.sources.add(
        args.kind, args.value, name=args.name, actor=actor(), owner_unit=args.owner_unit
    )
    out.write(f"added {row.kind} {row.value} ({row.name})\n")
    return EXIT_OK


async def run_sources_list(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    for row in await services.sources.list(args.kind):
        flag = " [seed: to be confirmed]" if row.seed else ""
        out.write(f"{row.kind}\t{row.value}\t{row.name}{flag}\n")
    return EXIT_OK


async def run_sources_remove(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    if not await services.sources.remove(args.kind, args.value, actor=actor()):
        raise CommandError(f"no source {args.kind} {args.value} in the registry")
    out.write(f"removed {args.kind} {args.value}\n")
    return EXIT_OK


async def run_sources_import(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    report = await services.sources.import_csv(args.file, actor=actor())
    out.write(f"imported {report.added} source(s); {report.already_present} already present\n")
    return EXIT_OK


async def run_sources_export(services: Services, _: argparse.Namespace, out: TextIO) -> int:
    out.write(await services.sources.export_csv())
    return EXIT_OK


# --- hoaxes and db -----------------------------------------------------------------------


async def run_hoaxes_add(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    row, created = await services.hoaxes.add(args.text, args.clarification_url, actor=actor())
    out.write(f"{'added' if created else 'already known as'} hoax #{row.id}\n")
    return EXIT_OK


async def run_hoaxes_list(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    for row in await services.hoaxes.list(args.limit):
        text = " ".join(row.text.split())
        short = text if len(text) <= 80 else text[:79] + "…"
        out.write(f"#{row.id}\t{row.added_at:%Y-%m-%d}\t{short}\t{row.clarification_url or '-'}\n")
    return EXIT_OK


async def run_hoaxes_import(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    report = await services.hoaxes.import_file(args.file, actor=actor())
    out.write(f"imported {report.added} claim(s); {report.duplicates} already known\n")
    return EXIT_OK


async def run_roster_import(services: Services, args: argparse.Namespace, out: TextIO) -> int:
    report = await import_roster(services.sessions, args.file, actor=actor())
    out.write(
        f"roster: {report.added} added, {report.updated} updated, {report.unchanged} unchanged\n"
    )
    for conflict in report.conflicts:
        out.write(f"conflict: {conflict}\n")
    return EXIT_FAILURE if report.conflicts else EXIT_OK


async def run_officials_status(services: Services, _: argparse.Namespace, out: TextIO) -> int:
    async with services.sessions() as session:
        statuses = await officials_status(session)
    for official in statuses:
        user = official.telegram_user_id if official.telegram_user_id is not None else "-"
        state = official.problem or "reachable"
        out.write(f"{official.role}\t{official.unit_code}\t{official.name}\t{user}\t{state}\n")
    missing = sum(1 for s in statuses if s.problem)
    out.write(f"{len(statuses)} official(s), {missing} cannot be alerted directly\n")
    return EXIT_OK


async def run_db_upgrade(services: Services, _: argparse.Namespace, out: TextIO) -> int:
    out.write("database is at the newest schema\n")
    return EXIT_OK


# --- entry -------------------------------------------------------------------------------

Handler = Callable[[Services, argparse.Namespace, TextIO], Awaitable[int]]
EXPECTED_ERRORS = (
    CommandError,
    LoadError,
    SourceInputError,
    HoaxInputError,
    DuplicateSourceError,
)


async def _dispatch(settings: Settings, handler: Handler, args: argparse.Namespace) -> int:
    services = await create_services(settings)
    try:
        return await handler(services, args, sys.stdout)
    finally:
        await services.close()


def main(argv: list[str] | None = None) -> int:
    """Parse, run, and turn expected failures into one line and an exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        if args.command == "run":
            serve(settings, Mode(args.mode))
            return EXIT_OK
        return asyncio.run(_dispatch(settings, args.handler, args))
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = "SARING_" + "_".join(str(p) for p in problem["loc"]).upper()
        return _fail(f"invalid setting {field}: {problem['msg']}")
    except ImportFileError as exc:
        return _fail("; ".join(exc.problems[:20]))
    except LoadError as exc:
        return _fail("; ".join(exc.problems[:20]))
    except EXPECTED_ERRORS as exc:
        return _fail(str(exc))
    except (MissingTokenError, ConfigurationError, ValueError) as exc:
        return _fail(str(exc))
    except (SQLAlchemyError, OSError) as exc:
        return _fail(f"database error: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> int:
    sys.stderr.write(f"saring: error: {message}\n")
    return EXIT_FAILURE
