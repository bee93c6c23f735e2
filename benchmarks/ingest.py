"""Ingestion benchmark (RELIABILITY.md B2): acknowledged webhook updates per second.

Usage: .venv/bin/python benchmarks/ingest.py [--quick] [--generator auto|wrk|python]

Variants, in this order every run, each server in its own process on 127.0.0.1:
  (a) python-telegram-bot's own webhook server (`Application.run_webhook`, Tornado, the update
      only queued in memory) against the fake Bot API: the reference;
  (b) our route (`bot.web.webhook.receive_update`) with a no-op inbox commit: the upper bound;
  (c) our route committing to a durable SQLite inbox;
  (d) our route committing to a durable PostgreSQL inbox (a fresh database made and dropped
      here);
  (e) (d) while a second load floods the same port with forged (wrong-secret) requests;
  then (d) again at a fixed 200 updates/s (open loop) for the p99 gate.
Load: closed loop, 40 connections (Telegram's default max_connections), ~1 KB private-message
updates with unique update_ids; wrk when installed, else the aiohttp sender of loadgen.py in a
separate process. The box has 2 cores: the sender, the server and PostgreSQL compete for
them, so absolute figures are low and noisy; compare the ratios within one run.
Correctness: rows stored == updates acknowledged with 2xx (wrk stops without waiting for the
last in-flight requests, so there up to `connections` extra rows are legitimate: stored, but
the ack never read), and no forged update is ever stored.
Gates: (d) >= 0.5 x (a) in req/s; (d) p99 <= 100 ms at 200 req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import loadgen  # noqa: E402
from bot.db.inbox import NewUpdate  # noqa: E402
from bot.inbox.intake import Intake  # noqa: E402
from bot.web.webhook import INTAKE_KEY, WEBHOOK_PATH, WebhookIntake, receive_update  # noqa: E402

TOKEN = "123456:BENCH-token-for-benchmarks-only"
SECRET = "bench-webhook-secret-0123456789abcdef"
FORGED_FIRST_ID = 9_000_000_000
PYTHON = sys.executable
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
CLK = os.sysconf("SC_CLK_TCK")


# ============================================================================ servers (child)
class _MemoryIntake(Intake):
    """The production route and group commit with the INSERT left out: the in-memory ack."""

    def __init__(self) -> None:
        super().__init__(sessions=None)  # type: ignore[arg-type]
        self.counter = [0]

    async def _store(self, updates: Sequence[NewUpdate]) -> list[bool]:
        self.counter[0] += len(updates)
        return [True] * len(updates)


async def _our_receiver(kind: str, db_url: str | None) -> web.Application:
    """The production webhook route on a bare aiohttp app, plus a row counter for checking."""
    app = web.Application(client_max_size=1 << 20)
    if kind == "memory":
        intake: Intake = _MemoryIntake()

        async def count() -> tuple[int, int]:
            return intake.counter[0], 0  # type: ignore[attr-defined]
    else:
        from sqlalchemy import func, select

        from bot.db.migrate import ensure_database
        from bot.db.models import InboxRow
        from bot.db.session import create_engine, create_session_factory

        assert db_url
        await ensure_database(db_url)
        engine = create_engine(db_url)
        if kind == "postgresql-pool40":  # diagnostic: the same engine with a larger pool
            from sqlalchemy.ext.asyncio import create_async_engine

            await engine.dispose()
            engine = create_async_engine(
                db_url, pool_pre_ping=True, pool_size=args_pool_size(), max_overflow=10
            )
        sessions = create_session_factory(engine)
        intake = Intake(sessions)

        async def count() -> tuple[int, int]:
            async with sessions() as session:
                rows = await session.scalar(select(func.count()).select_from(InboxRow))
                forged = await session.scalar(
                    select(func.count()).where(InboxRow.update_id >= FORGED_FIRST_ID)
                )
            return int(rows or 0), int(forged or 0)

        async def dispose(_: web.Application) -> None:
            await engine.dispose()

        app.on_cleanup.append(dispose)

    async def counted(_: web.Request) -> web.Response:
        rows, forged = await count()
        return web.json_response({"rows": rows, "forged_rows": forged})

    app[INTAKE_KEY] = WebhookIntake(SECRET.encode(), intake, lambda: None)
    app.router.add_post(WEBHOOK_PATH, receive_update)
    app.router.add_get("/bench/count", counted)
    return app


def args_pool_size() -> int:
    return int(os.environ.get("SARING_BENCH_POOL_SIZE", "40"))


def _serve_ptb(port: int, api_url: str) -> None:
    """The reference: PTB's Tornado webhook server; updates only reach an in-memory queue."""
    from telegram.ext import Application

    application = Application.builder().token(TOKEN).base_url(api_url).build()
    application.run_webhook(
        listen="127.0.0.1",
        port=port,
        url_path=WEBHOOK_PATH.lstrip("/"),
        secret_token=SECRET,
        webhook_url="https://bench.example/telegram/webhook",
        max_connections=40,
    )


def serve(kind: str, port: int, db_url: str | None, api_url: str | None) -> None:
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    if kind == "ptb":
        assert api_url
        _serve_ptb(port, api_url)
        return
    web.run_app(
        _our_receiver(kind, db_url), host="127.0.0.1", port=port, print=None, access_log=None
    )


# ============================================================================ harness (parent)
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def postgres_cpu() -> dict[int, float]:
    """CPU seconds per local postgres process (the database's share of a durable commit)."""
    found: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if "(postgres)" in stat.read_text():
                found[int(stat.parent.name)] = cpu_seconds(int(stat.parent.name))
    return found


def postgres_cpu_since(before: dict[int, float]) -> float:
    """CPU used since `before` by postgres processes still alive (exited ones are missed)."""
    return sum(now - before.get(pid, 0.0) for pid, now in postgres_cpu().items())


def machine_cpu() -> tuple[float, float]:
    """(busy, total) seconds of all cores, from /proc/stat: other tenants show up here."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLK, sum(values) / CLK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Server:
    """One receiver in its own process; stopped with SIGTERM (then SIGKILL after 10 s)."""

    def __init__(self, kind: str, *, db_url: str | None = None, api_url: str | None = None):
        self.kind, self.port = kind, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [PYTHON, str(Path(__file__)), "--serve", kind, "--port", str(self.port)]
        command += ["--db-url", db_url or "", "--api-url", api_url or ""]
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the server
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log, env=env)

    async def ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                with contextlib.suppress(aiohttp.ClientError):
                    headers = {"Content-Type": "application/json"}
                    async with session.post(
                        self.url + WEBHOOK_PATH, data=b"{}", headers=headers
                    ) as r:
                        if r.status == 403:
                            return
                await asyncio.sleep(0.2)
        self.log.seek(0)
        raise RuntimeError(f"{self.kind} server did not start:\n{self.log.read()[-3000:]}")

    async def count(self) -> dict[str, int]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.url + "/bench/count") as response,
        ):
            return dict(await response.json())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def closed_load(
    generator: str, url: str, *, secret: str, connections: int, seconds: float, first_id: int
) -> tuple[subprocess.Popen[str], Any]:
    """Start a closed-loop load in its own process; returns it and a collector."""
    if generator == "wrk":
        process = loadgen.run_wrk(
            url, secret=secret, connections=connections, duration=seconds, first_id=first_id
        )
        return process, lambda: loadgen.wrk_result(process, first_id, timeout=seconds + 60)
    command = [PYTHON, str(ROOT / "benchmarks" / "loadgen.py"), "closed", "--url", url]
    command += ["--secret", secret, "--connections", str(connections)]
    command += ["--duration", str(seconds), "--first-id", str(first_id)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

    def collect() -> loadgen.LoadResult:
        out, _ = process.communicate(timeout=seconds + 120)
        data = json.loads(out.strip().splitlines()[-1])
        data.pop("acked_per_s", None)
        return loadgen.LoadResult(**data)

    return process, collect


async def measure(
    server: Server,
    args: argparse.Namespace,
    first_id: int,
    *,
    forged: bool = False,
) -> dict[str, Any]:
    """One closed-loop run against a running server, with CPU, RSS and the row check."""
    before = await server.count() if server.kind != "ptb" else {}
    cpu0, pg0, child0 = cpu_seconds(server.process.pid), postgres_cpu(), children_cpu()
    busy0, total0 = machine_cpu()
    started = time.perf_counter()
    _, collect = await closed_load(
        args.generator, server.url, secret=SECRET, connections=args.connections,
        seconds=args.seconds, first_id=first_id,
    )  # fmt: skip
    forged_collect = None
    if forged:
        _, forged_collect = await closed_load(
            args.generator, server.url, secret="forged-" + SECRET[7:],
            connections=args.connections, seconds=args.seconds, first_id=FORGED_FIRST_ID,
        )  # fmt: skip
    result = await asyncio.to_thread(collect)
    forged_result = await asyncio.to_thread(forged_collect) if forged_collect else None
    wall = time.perf_counter() - started
    out: dict[str, Any] = result.to_dict()
    out["server_cpu_pct"] = round((cpu_seconds(server.process.pid) - cpu0) / wall * 100, 1)
    out["postgres_cpu_pct"] = round(postgres_cpu_since(pg0) / wall * 100, 1)
    out["generator_cpu_pct"] = round((children_cpu() - child0) / wall * 100, 1)
    out["server_rss_mb"] = rss_mb(server.process.pid)
    busy1, total1 = machine_cpu()
    out["machine_busy_pct"] = round((busy1 - busy0) / max(total1 - total0, 1e-9) * 100, 1)
    out["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    if forged_result is not None:
        out["forged"] = forged_result.to_dict()
    if server.kind != "ptb":
        await asyncio.sleep(0.5)  # requests cut off by wrk may still be committing
        after = await server.count()
        stored = after["rows"] - before["rows"]
        slack = args.connections if args.generator == "wrk" else 0
        out["rows_stored"] = stored
        out["forged_rows"] = after["forged_rows"]
        out["rows_match_acks"] = 0 <= stored - result.ok <= slack and after["forged_rows"] == 0
    return out


async def fixed_rate(server: Server, args: argparse.Namespace, first_id: int) -> dict[str, Any]:
    before = await server.count()
    result = await loadgen.open_loop(
        server.url, secret=SECRET, rate=args.rate, duration=args.fixed_seconds, first_id=first_id
    )
    after = await server.count()
    out = result.to_dict()
    out["rows_stored"] = after["rows"] - before["rows"]
    out["rows_match_acks"] = out["rows_stored"] == result.ok
    return out


@contextlib.asynccontextmanager
async def fresh_postgres(admin_url: str) -> AsyncIterator[str]:
    """A database of our own for the run, dropped afterwards whatever happens."""
    import asyncpg

    name = f"saring_bench_ingest_{os.getpid()}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
        base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def _postgres_variants(
    variant: Any, results: dict[str, Any], args: argparse.Namespace, pg_url: str, first_id: int
) -> None:
    """(d), (e) and the fixed-rate gate on one server; then the same with a 40-connection pool.

    The second server is a diagnostic, not a variant of the design: it differs from (d) only
    in SQLAlchemy's pool (the production engine keeps 5 + 10 overflow connections, so under
    40 concurrent webhooks it opens and closes connections all the time).
    """
    for kind, suffix in (("postgresql", ""), ("postgresql-pool40", "_pool40")):
        server = Server(kind, db_url=pg_url)
        try:
            await server.ready()
            if suffix:
                await variant("d_diag_postgresql_pool40", server)
            else:
                await variant("d_ours_postgresql", server)
                await variant("e_ours_postgresql_forged", server, forged=True)
            print(f"  d{suffix} at {args.rate:g}/s fixed rate ...", flush=True)
            results[f"d_fixed_rate{suffix}"] = await fixed_rate(server, args, first_id + 10**8)
            first_id += 2 * 10**8
        finally:
            server.stop()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.e2e.fake_bot_api import FakeBotApi

    results: dict[str, Any] = {}
    next_id = 1

    async def variant(name: str, server: Server, **kw: Any) -> None:
        nonlocal next_id
        print(f"  {name} ...", flush=True)
        results[name] = await measure(server, args, next_id, **kw)
        next_id += results[name]["sent"] + 10 * args.connections

    async with FakeBotApi(token=TOKEN) as fake, fresh_postgres(args.pg_url) as pg_url:
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_url = f"sqlite+aiosqlite:///{tmp}/inbox.sqlite3"
            plan = [
                ("a_ptb_webhook", "ptb", None),
                ("b_ours_memory", "memory", None),
                ("c_ours_sqlite", "sqlite", sqlite_url),
            ]
            for name, kind, url in plan:
                server = Server(kind, db_url=url, api_url=fake.base_url)
                try:
                    await server.ready()
                    await variant(name, server)
                finally:
                    server.stop()
            await _postgres_variants(variant, results, args, pg_url, next_id)
    return results


# ============================================================================ report
def _status(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def _fixed_row(label: str, fx: dict[str, Any]) -> str:
    lat = fx["latency"]
    return (
        f"| {label} p99 at {fx['extra']['rate']:g} req/s open loop (ms) | {lat['p99_ms']} "
        f"(p50 {lat['p50_ms']}, p99.9 {lat['p999_ms']}, non-2xx {fx['non_2xx']}, "
        f"rows = acks {fx['rows_match_acks']}) | <= 100 "
        f"| {_status((lat['p99_ms'] or 1e9) <= 100)} |"
    )


def render(r: dict[str, Any]) -> str:
    ref = r["a_ptb_webhook"]["acked_per_s"] or 1.0
    lines = [
        "| variant | acked req/s | x (a) | p50 ms | p99 ms | p99.9 ms | non-2xx | errors "
        "| rows = acks | server CPU % | postgres CPU % | load CPU % | box busy % | server RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, v in r.items():
        if name.startswith("d_fixed_rate"):
            continue
        lat = v["latency"]
        check = {True: "yes", False: "**NO**", None: "n/a"}[v.get("rows_match_acks")]
        lines.append(
            f"| {name} | {v['acked_per_s']} | {v['acked_per_s'] / ref:.2f} | {lat['p50_ms']} "
            f"| {lat['p99_ms']} | {lat['p999_ms']} | {v['non_2xx']} | {v['errors']} | {check} "
            f"| {v['server_cpu_pct']} | {v['postgres_cpu_pct']} | {v['generator_cpu_pct']} "
            f"| {v['machine_busy_pct']} | {v['server_rss_mb']} |"
        )
    e = r["e_ours_postgresql_forged"]
    if "forged" in e:
        forged = e["forged"]
        lines.append(
            f"\n(e) forged load: {forged['sent']} sent, {forged['non_2xx']} refused, "
            f"{forged['ok']} accepted, {round(forged['sent'] / max(forged['seconds'], 1e-9))} "
            f"req/s; forged rows stored: {e['forged_rows']}"
        )
    d, fx = r["d_ours_postgresql"], r["d_fixed_rate"]
    ratio = d["acked_per_s"] / ref
    lines += [
        "",
        "| gate | value | target | result |",
        "|---|---|---|---|",
        f"| (d) req/s / (a) req/s | {ratio:.2f} | >= 0.5 | {_status(ratio >= 0.5)} |",
        _fixed_row("(d)", fx),
    ]
    if "d_fixed_rate_pool40" in r:
        pool = r["d_diag_postgresql_pool40"]["acked_per_s"] / ref
        lines += [
            f"| diagnostic: (d) with pool_size=40, req/s / (a) | {pool:.2f} | >= 0.5 "
            f"| {_status(pool >= 0.5)} |",
            _fixed_row("diagnostic: (d) with pool_size=40,", r["d_fixed_rate_pool40"]),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 s per variant (default 30 s)")
    parser.add_argument("--seconds", type=float, default=None, help="closed-loop seconds")
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--rate", type=float, default=200.0, help="fixed-rate gate, req/s")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--pg-url", default=os.environ.get("SARING_BENCH_PG_ADMIN", DEFAULT_PG))
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port, args.db_url or None, args.api_url or None)
        return 0
    args.seconds = args.seconds or (8.0 if args.quick else 30.0)
    args.fixed_seconds = 10.0 if args.quick else 30.0
    if args.generator == "auto":
        args.generator = "wrk" if loadgen.wrk_path() else "python"
    started = time.perf_counter()
    print(f"B2 ingestion: {args.seconds:g} s per variant, load by {args.generator}", flush=True)
    results = asyncio.run(run(args))
    doc = {
        "benchmark": "ingest",
        "quick": args.quick,
        "generator": args.generator,
        "connections": args.connections,
        "seconds_per_variant": args.seconds,
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "seconds": round(time.perf_counter() - started, 1),
        "variants": results,
    }
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"ingest-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(render(results))
    print(f"\n{doc['seconds']} s; JSON: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
