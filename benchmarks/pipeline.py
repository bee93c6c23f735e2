"""End-to-end benchmark (RELIABILITY.md B3, P23): webhook receipt to reply sent, under load.

Usage: .venv/bin/python benchmarks/pipeline.py [--quick] [--rates 50,200,400] [--no-naive]
       [--profile] [--yappi FILE]

Saring runs as production does, `python -m bot run --webhook` in its own process with a
fresh PostgreSQL database per run, replying through python-telegram-bot to the fake Bot API
(tests/e2e/fake_bot_api.py), which runs in this process with 100 ms +- 50 ms latency per
call. An open-loop sender posts ~1 KB private-message updates (1,000 chats in turn) at a
fixed rate; latency runs from the moment an update is posted to the moment the fake
receives the sendMessage that quotes it (reply_parameters.message_id), both on this
process's monotonic clock.

Side by side, in the same run: a "naive PTB" bot, PTB's own webhook server (`run_webhook`),
`concurrent_updates=1`, `AIORateLimiter()` defaults, a handler that checks the message with
the same engine and replies (no database). It shows what the inbox + concurrent worker buys.
Updates still unanswered when the drain window ends count as lost for that run (the naive
bot keeps its queue in memory, so stopping it loses them for good).

Every 50th update is a classified memo that opens a case and alerts 2 officials
(benchmarks/escalations.py), as B3 asks; receipt -> alert latency and the outbox backlog are
reported. Not modelled: Telegram's global flood limit (30 messages/s would cap any bot far
below 200/s; the fake does not enforce it), kills. The box has 2 cores shared by the bot,
PostgreSQL, the fake and the sender, and with whatever else runs: compare within one run.
Target reported against: Saring at 200 updates/s, p95 <= 1.5 s, 0 errors, 0 lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import escalations, loadgen  # noqa: E402
from benchmarks.ingest import CLK, DEFAULT_PG, free_port, fresh_postgres, machine_cpu  # noqa: E402

TOKEN = "123456:BENCH-token-for-benchmarks-only"
SECRET = "bench-webhook-secret-0123456789abcdef"
WEBHOOK_URL = "https://bench.example/telegram/webhook"
PYTHON = sys.executable
TARGET_P95_S = 1.5


# ============================================================================ naive bot (child)
def serve_profiled(out: str) -> None:
    """`saring run --webhook` under yappi's CPU clock (it follows coroutines and greenlets,
    which cProfile and sampled stacks misattribute); a pstats file at `out` on exit."""
    import runpy

    import yappi  # the bench extra

    yappi.set_clock_type("cpu")
    yappi.start()
    sys.argv = ["saring", "run", "--webhook"]
    try:
        runpy.run_module("bot", run_name="__main__")
    except SystemExit:
        pass
    finally:
        yappi.stop()
        yappi.get_func_stats().save(out, type="pstat")


def serve_naive(port: int, api_url: str) -> None:
    """PTB as its documentation starts you off: its webhook, one update at a time."""
    from telegram import ReplyParameters, Update
    from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters

    from bot.checking import build_engine
    from bot.checking.seed import load_source_seed
    from bot.settings import DEFAULT_CONFIG_DIR
    from bot.telegram.facts import facts_from_message

    engine = build_engine(
        DEFAULT_CONFIG_DIR, list(load_source_seed(DEFAULT_CONFIG_DIR / "sources.yaml")), []
    )

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        result = engine.check(facts_from_message(message))
        quote = ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)
        await context.bot.send_message(message.chat_id, result.reply, reply_parameters=quote)

    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(api_url)
        .concurrent_updates(1)
        .rate_limiter(AIORateLimiter())
        .build()
    )
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE, reply))
    application.run_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="telegram/webhook",
        secret_token=SECRET,
        webhook_url=WEBHOOK_URL,
        max_connections=40,
    )


# ============================================================================ harness
class Bot:
    """A bot under test in its own process, logging to a temporary file."""

    def __init__(
        self, kind: str, api_url: str, db_url: str | None, yappi_out: str | None = None
    ) -> None:
        self.kind, self.port = kind, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {"PYTHONPATH": str(ROOT), "PTB_TIMEDELTA": "true"}
        if kind == "naive":
            command = [PYTHON, __file__, "--serve-naive", "--port", str(self.port)]
            command += ["--api-url", api_url]
        else:
            command = [PYTHON, "-m", "bot", "run", "--webhook"]
            if yappi_out:  # CPU-clock profile of the whole process, written when it stops
                command = [PYTHON, __file__, "--serve-profiled", yappi_out]
            env |= {
                "SARING_TELEGRAM_TOKEN": TOKEN,
                "SARING_TELEGRAM_API_URL": api_url,
                "SARING_DATABASE_URL": db_url or "",
                "SARING_WEBHOOK_URL": WEBHOOK_URL,
                "SARING_WEBHOOK_SECRET": SECRET,
                "SARING_LISTEN": f"127.0.0.1:{self.port}",
                "SARING_PPK_CHAT_ID": str(escalations.PPK_CHAT),
            }
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=self.log, env=env, cwd=ROOT
        )

    async def ready(self, fake: Any, timeout: float = 90.0) -> None:
        """Listening, and the webhook registered with the fake."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline and self.process.poll() is None:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.post(
                        self.url + "/telegram/webhook",
                        data=b"{}",
                        headers={"Content-Type": "application/json"},
                    ) as response:
                        if response.status == 403 and fake.sent("setWebhook", ok=True):
                            return
                await asyncio.sleep(0.25)
        raise RuntimeError(f"{self.kind} did not start:\n{self.log_text()[-3000:]}")

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def replies_by_message(fake: Any, wanted: dict[int, float]) -> tuple[dict[int, Any], int]:
    """First sendMessage quoting each wanted message id, and how many extra (duplicates)."""
    first: dict[int, Any] = {}
    duplicates = 0
    for call in fake.sent("sendMessage"):
        ref = call.params.get("reply_parameters") or {}
        mid = ref.get("message_id") if isinstance(ref, dict) else None
        if mid not in wanted:
            continue
        if mid in first:
            duplicates += 1
        else:
            first[mid] = call
    return first, duplicates


async def drain(fake: Any, posted: dict[int, float], seconds: float) -> None:
    """Wait, bounded, until every posted update has an answered reply."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        first, _ = replies_by_message(fake, posted)
        if len(first) >= len(posted) and all(c.status is not None for c in first.values()):
            return
        await asyncio.sleep(0.5)


def percentile_or_lost(values: list[float], total: int, q: float) -> float | None:
    """Nearest-rank percentile over `total` updates, unanswered ones ranking last (None)."""
    ordered = sorted(values)
    rank = max(0, int(q * total + 0.999999) - 1)
    return round(ordered[rank] * 1e3, 1) if rank < len(ordered) else None


def start_profiler(
    bot: Bot, kind: str, rate: float, args: argparse.Namespace
) -> tuple[subprocess.Popen[bytes], Path] | None:
    """py-spy on Saring during the highest-rate run, when --profile asks (CPU only)."""
    py_spy = Path(PYTHON).with_name("py-spy")
    if not args.profile or kind == "naive" or rate != max(args.rates) or not py_spy.exists():
        return None
    out = ROOT / "benchmarks" / "results" / f"pyspy-{kind}-{rate:g}-{os.getpid()}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [str(py_spy), "record", "-p", str(bot.process.pid), "-d", str(int(args.seconds))]
    command += ["-r", "100", "-f", "raw", "--nonblocking", "-o", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, out


def finish_profiler(profiler: tuple[subprocess.Popen[bytes], Path] | None) -> dict[str, Any]:
    """Share of samples per frame: own time (leaf) and inclusive, top 25 of each."""
    if profiler is None:
        return {}
    process, path = profiler
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(30)
    if not path.exists():
        return {"profile": "py-spy produced nothing (ptrace not permitted?)"}
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, n = stack.split(";"), int(count)
        total += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n

    def top(table: dict[str, int]) -> list[str]:
        ranked = sorted(table.items(), key=lambda kv: -kv[1])[:25]
        return [f"{n / total * 100:.1f}% {frame}" for frame, n in ranked]

    return {"profile": {"file": str(path.relative_to(ROOT)), "samples": total,
                        "own": top(own), "inclusive": top(inclusive)}}  # fmt: skip


async def one_run(
    kind: str, rate: float, args: argparse.Namespace, fake: Any, db_url: str | None
) -> dict[str, Any]:
    fake.reset()
    saring = kind != "naive"
    if saring and db_url:  # the roster the escalating 2% need (migrates the fresh database)
        with tempfile.TemporaryDirectory() as workdir:
            escalations.import_roster(PYTHON, ROOT, db_url, Path(workdir))
    profiled = args.yappi and kind != "naive" and rate == max(args.rates)
    bot = Bot(kind, fake.base_url, db_url, yappi_out=args.yappi if profiled else None)
    try:
        await bot.ready(fake)
        fake.set_latency(0.05, 0.15, seed=rate)
        await loadgen.open_loop(  # warm-up: first imports, pools, engine caches
            bot.url, secret=SECRET, rate=10, duration=1, first_id=1, chats=10
        )
        await drain(fake, {i: 0.0 for i in range(1, 11)}, 10)
        sampler = escalations.BacklogSampler(db_url) if saring and db_url else None
        if sampler is not None:
            await escalations.heads_press_start(bot.url, SECRET, fake)
            sampler.start()
        posted: dict[int, float] = {}
        busy0, total0 = machine_cpu()
        cpu0 = cpu_seconds(bot.process.pid)
        profiler = start_profiler(bot, kind, rate, args)
        load = await loadgen.open_loop(
            bot.url,
            secret=SECRET,
            rate=rate,
            duration=args.seconds,
            first_id=1_000,
            on_post=lambda uid, mid, chat, at: posted.__setitem__(mid, at),
            special=(escalations.EVERY, escalations.memo_template()),
        )
        sent_at = time.monotonic()
        await drain(fake, posted, args.drain if kind != "naive" else args.naive_drain)
        busy1, total1 = machine_cpu()
        cpu1 = cpu_seconds(bot.process.pid)
        drained_s = time.monotonic() - sent_at
        profile = finish_profiler(profiler)
        if sampler is not None:
            await sampler.stop()
            profile["escalation"] = escalations.summarize(fake, posted, sampler)
    finally:
        bot.stop()
    summary = summarize(kind, rate, load, fake, posted, bot, drained_s) | profile
    summary["box_busy_pct"] = round((busy1 - busy0) / max(total1 - total0, 1e-9) * 100, 1)
    # Who used the CPU, in % of one core over the run (the box has 2 cores: 200% in all).
    wall = (total1 - total0) / (os.cpu_count() or 1)
    summary["cpu_pct_of_one_core"] = {
        name: round((cpu1[name] - cpu0[name]) / max(wall, 1e-9) * 100, 1) for name in cpu0
    }
    replied = summary["replied"]
    summary["bot_cpu_ms_per_reply"] = (
        round((cpu1["bot"] - cpu0["bot"]) / replied * 1e3, 2) if replied else None
    )
    summary["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    bot.log.close()
    Path(bot.log.name).unlink(missing_ok=True)
    return summary


def cpu_seconds(bot_pid: int) -> dict[str, float]:
    """CPU seconds so far of the bot, this harness (sender and fake API), and PostgreSQL."""
    postgres = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)
            if fields[0].endswith("(postgres"):
                values = fields[1].split()
                postgres += (int(values[11]) + int(values[12])) / CLK
    return {"bot": _process_cpu(bot_pid), "harness": time.process_time(), "postgres": postgres}


def _process_cpu(pid: int) -> float:
    with contextlib.suppress(OSError):
        values = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(values[11]) + int(values[12])) / CLK
    return 0.0


def summarize(
    kind: str,
    rate: float,
    load: loadgen.LoadResult,
    fake: Any,
    posted: dict[int, float],
    bot: Bot,
    drained_s: float,
) -> dict[str, Any]:
    first, duplicates = replies_by_message(fake, posted)
    answered = {mid: c for mid, c in first.items() if c.status == 200}
    latencies = [answered[mid].at - posted[mid] for mid in answered]
    api_errors = [c for c in fake.calls if c.status not in (None, 200)]
    log = bot.log_text()
    markers = (" ERROR ", " CRITICAL ", "Traceback")
    log_errors = [ln for ln in log.splitlines() if any(m in ln for m in markers)]
    total = len(posted)
    span = max((c.at for c in answered.values()), default=0) - min(posted.values(), default=0)
    return {
        "system": kind,
        "rate": rate,
        "posted": total,
        "acked": load.ok,
        "webhook_non_2xx": load.non_2xx,
        "webhook_transport_errors": load.errors,
        "webhook_ack_latency": load.latency,
        "sender_lag_max_ms": load.extra["sender_lag_max_ms"],
        "replied": len(answered),
        "lost": total - len(answered),
        "duplicates": duplicates,
        "api_errors": len(api_errors),
        "log_errors": len(log_errors),
        "log_error_sample": log_errors[:3],
        "errors": load.non_2xx + load.errors + len(api_errors) + len(log_errors),
        "replies_per_s": round(len(answered) / span, 1) if span > 0 else 0.0,
        "drain_s": round(drained_s, 1),
        "p50_ms": percentile_or_lost(latencies, total, 0.50),
        "p95_ms": percentile_or_lost(latencies, total, 0.95),
        "p99_ms": percentile_or_lost(latencies, total, 0.99),
        "max_answered_ms": round(max(latencies) * 1e3, 1) if latencies else None,
    }


@contextlib.asynccontextmanager
async def database(kind: str, args: argparse.Namespace) -> AsyncIterator[str | None]:
    if kind == "saring-postgresql":
        async with fresh_postgres(args.pg_url) as url:
            yield url
    elif kind == "saring-sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/saring.sqlite3"
    else:
        yield None


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from tests.e2e.fake_bot_api import FakeBotApi

    plan = [("saring-postgresql", rate) for rate in args.rates]
    if args.sqlite:
        plan.append(("saring-sqlite", 50.0))
    if args.naive:
        plan += [("naive", rate) for rate in args.naive_rates]
    results = []
    async with FakeBotApi(token=TOKEN) as fake:
        for kind, rate in plan:
            print(f"  {kind} at {rate:g}/s for {args.seconds:g} s ...", flush=True)
            async with database(kind, args) as db_url:
                results.append(await one_run(kind, rate, args, fake, db_url))
    return results


# ============================================================================ report
def _ms(value: float | None) -> str:
    return "lost" if value is None else f"{value:,.0f}"


def render(results: list[dict[str, Any]]) -> str:
    lines = [
        "| system | updates/s | posted | replied | lost | dup | errors | p50 ms | p95 ms "
        "| p99 ms | replies/s | ack p99 ms | box busy % | CPU % bot/harness/pg "
        "| bot CPU ms/reply |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        cpu = r["cpu_pct_of_one_core"]
        lines.append(
            f"| {r['system']} | {r['rate']:g} | {r['posted']} | {r['replied']} | {r['lost']} "
            f"| {r['duplicates']} | {r['errors']} | {_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} "
            f"| {_ms(r['p99_ms'])} | {r['replies_per_s']} | {r['webhook_ack_latency']['p99_ms']} "
            f"| {r['box_busy_pct']} | {'/'.join(f'{v:.0f}' for v in cpu.values())} "
            f"| {r['bot_cpu_ms_per_reply']} |"
        )
    lines += [
        "",
        "| escalating 2% | cases | unit-head alerts sent | p50 / p95 receipt -> unit head "
        "| PPK packets sent | p50 / p95 receipt -> PPK | outbox backlog max / at end | 429s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        e = r.get("escalation")
        if not e:
            continue
        head, ppk = e["unit_head_alert_latency"], e["ppk_alert_latency"]
        backlog = [count for _, count in e["outbox_backlog"]] or [0]
        lines.append(
            f"| {r['system']} {r['rate']:g}/s | {e['escalations']} "
            f"| {e['unit_head_alerts_sent']} | {_ms(head['p50_ms'])} / {_ms(head['p95_ms'])} ms "
            f"| {e['ppk_alerts_sent']} | {_ms(ppk['p50_ms'])} / {_ms(ppk['p95_ms'])} ms "
            f"| {max(backlog)} / {backlog[-1]} | {e['http_429']} |"
        )
    lines += [
        "",
        "| comparison at the same rate | Saring | naive PTB | ratio |",
        "|---|---|---|---|",
    ]
    by = {(r["system"], r["rate"]): r for r in results}
    for (system, rate), r in by.items():
        naive = by.get(("naive", rate))
        if system != "saring-postgresql" or naive is None:
            continue
        ratio = r["replies_per_s"] / naive["replies_per_s"] if naive["replies_per_s"] else 0
        lines.append(
            f"| {rate:g}/s: replies per second | {r['replies_per_s']} | {naive['replies_per_s']} "
            f"| x{ratio:.1f} |"
        )
        lines.append(
            f"| {rate:g}/s: answered within the run | {r['replied']}/{r['posted']} "
            f"| {naive['replied']}/{naive['posted']} | |"
        )
    lines += ["", "| target | value | result |", "|---|---|---|"]
    for r in results:
        if (r["system"] == "saring-postgresql" and r["rate"] == 200) or (
            r["system"] == "saring-sqlite" and r["rate"] == 50
        ):
            ok = (
                r["p95_ms"] is not None
                and r["p95_ms"] <= TARGET_P95_S * 1e3
                and r["errors"] == 0
                and r["lost"] == 0
            )
            lines.append(
                f"| {r['system']} at {r['rate']:g}/s: p95 <= 1,500 ms, 0 errors, 0 lost "
                f"| p95 {_ms(r['p95_ms'])} ms, {r['errors']} errors, {r['lost']} lost "
                f"| {'pass' if ok else '**FAIL**'} |"
            )
    return "\n".join(lines)


def _rates(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="15 s per run (default 60 s)")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--rates", type=_rates, default=None, help="Saring rates, e.g. 50,200")
    parser.add_argument("--naive-rates", type=_rates, default=[50.0, 200.0])
    parser.add_argument("--no-naive", dest="naive", action="store_false")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--drain", type=float, default=30.0, help="Saring drain bound, s")
    parser.add_argument("--naive-drain", type=float, default=5.0)
    parser.add_argument(
        "--profile", action="store_true", help="py-spy on Saring at the highest rate"
    )
    parser.add_argument("--pg-url", default=os.environ.get("SARING_BENCH_PG_ADMIN", DEFAULT_PG))
    parser.add_argument(
        "--yappi", metavar="FILE", help="profile Saring's CPU at the highest rate (pstats FILE)"
    )
    parser.add_argument("--serve-naive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-profiled", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_profiled:
        serve_profiled(args.serve_profiled)
        return 0
    if args.serve_naive:
        serve_naive(args.port, args.api_url)
        return 0
    args.seconds = args.seconds or (15.0 if args.quick else 60.0)
    args.rates = args.rates or [50.0, 200.0]  # 400 on request: --rates 50,200,400
    args.sqlite = (not args.quick) if args.sqlite is None else args.sqlite
    started = time.perf_counter()
    print(f"B3 pipeline: {args.seconds:g} s per run, fake API latency 50-150 ms", flush=True)
    results = asyncio.run(run(args))
    doc = {
        "benchmark": "pipeline",
        "quick": args.quick,
        "seconds_per_run": args.seconds,
        "api_latency_s": [0.05, 0.15],
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "seconds": round(time.perf_counter() - started, 1),
        "runs": results,
    }
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"pipeline-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(render(results))
    print(f"\n{doc['seconds']} s; JSON: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
