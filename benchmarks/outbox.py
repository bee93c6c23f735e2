"""Outbox under a 429 storm (RELIABILITY.md B4): Saring's dispatcher against PTB's limiter.

Usage: .venv/bin/python benchmarks/outbox.py [--quick] [--seed N] [--database-url URL]

Workload (seeded): 5,000 queued alerts (1,000 with --quick) spread round-robin over 300
private recipients and 10 groups. The fake Bot API (tests/e2e/fake_bot_api.py) enforces
Telegram's limits (30/s global, 1/s per private chat with burst 3, 20/min per group) and
answers 5% of sends with a random 429 (retry_after 1-10 s, scoped to the chat).

Variants, same run, same script, fresh fake state each:
- saring: the alerts are queued in the outbox (SQLite in a temp dir unless --database-url)
  and drained by `Dispatcher` with `RateLimiter` defaults.
- ptb: the identical alerts sent by a plain loop (32 at a time, like the dispatcher's
  concurrency) through an ExtBot with `AIORateLimiter(max_retries=3)`; a send that still
  fails after its retries is counted as lost (a real loop would have to queue it somewhere).

Measured from the fake's own records: drain time, maximum requests in any 1 s window
(global, per private chat) and 60 s window (per group), 429s, retry-after window seconds,
and requests that arrived inside an announced retry_after (must be 0 for Saring). Compare
ratios within one run only; absolute figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "true")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import telegram  # noqa: E402
from telegram import Bot  # noqa: E402
from telegram.error import TelegramError  # noqa: E402
from telegram.ext import AIORateLimiter, ExtBot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.db.migrate import upgrade_to_head  # noqa: E402
from bot.db.outbox import OutboxRepository  # noqa: E402
from bot.db.session import create_engine, create_session_factory  # noqa: E402
from bot.escalation.dispatcher import Dispatcher  # noqa: E402
from bot.escalation.ratelimit import RateLimiter  # noqa: E402
from tests.e2e.fake_bot_api import FakeBotApi  # noqa: E402

TOKEN = "123456:BENCH"
PRIVATE = [7_000_000 + i for i in range(300)]
GROUPS = [-1_001_700_000 - i for i in range(10)]
CONCURRENCY = 32


def workload(count: int) -> list[tuple[int, str]]:
    chats = PRIVATE + GROUPS
    return [
        (chats[i % len(chats)], f"Peringatan ESK-{i}: mohon ditindaklanjuti.") for i in range(count)
    ]


def arm(fake: FakeBotApi, seed: int) -> None:
    fake.reset()
    fake.enforce_limits(global_per_s=30, private_per_s=1, private_burst=3, group_per_min=20)
    fake.inject_429s(0.05, (1, 10), seed=seed)


def max_in_window(times: Sequence[float], window: float) -> int:
    ordered, best, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def observe(fake: FakeBotApi, alerts: list[tuple[int, str]], elapsed: float) -> dict[str, Any]:
    calls = fake.sent("sendMessage")
    per_chat: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        per_chat[int(call.chat_id or 0)].append(call.at)
    delivered: dict[str, int] = defaultdict(int)
    for call in fake.sent("sendMessage", ok=True):
        delivered[str(call.params["text"])] += 1
    wanted = {text for _, text in alerts}
    window_s = sum(until - opened for _, opened, until in fake.retry_windows)
    return {
        "drain_s": round(elapsed, 2),
        "requests": len(calls),
        "delivered": len(wanted & delivered.keys()),
        "lost": len(wanted - delivered.keys()),
        "duplicates": sum(n - 1 for n in delivered.values() if n > 1),
        "429s": sum(1 for c in calls if c.status == 429),
        "bucket_429s": len(fake.limit_violations),
        "sent_during_retry_after": len(fake.sent_during_retry_after),
        "retry_window_s": round(window_s, 1),
        "max_global_per_1s": max_in_window([c.at for c in calls], 1.0),
        "max_private_per_1s": max(max_in_window(per_chat[c], 1.0) for c in PRIVATE),
        "max_group_per_60s": max(max_in_window(per_chat[c], 60.0) for c in GROUPS),
    }


async def run_saring(fake: FakeBotApi, alerts: list[tuple[int, str]], url: str) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    repo = OutboxRepository()
    async with sessions.begin() as session:
        for chat_id, text in alerts:
            await repo.enqueue(
                session=session, chat_id=chat_id, method="sendMessage",
                payload={"text": text}, purpose="alert_unit_head",
            )  # fmt: skip
    limiter = RateLimiter()
    request = HTTPXRequest(connection_pool_size=CONCURRENCY * 2, pool_timeout=30)
    async with Bot(TOKEN, base_url=fake.base_url, request=request) as bot:
        worker = Dispatcher(sessions, bot, limiter=limiter, concurrency=CONCURRENCY, idle_poll=0.1)
        started = time.monotonic()
        task = asyncio.create_task(worker.run())
        while True:
            await asyncio.sleep(0.25)
            async with sessions() as session:
                backlog = await repo.backlog(session=session)
            if backlog.pending == backlog.sending == 0:
                break
        elapsed = time.monotonic() - started
        await worker.stop()
        await task
    await engine.dispose()
    result = observe(fake, alerts, elapsed)
    result["limiter_paused_s"] = {k: round(v, 1) for k, v in limiter.paused_seconds.items()}
    return result


async def run_ptb(fake: FakeBotApi, alerts: list[tuple[int, str]]) -> dict[str, Any]:
    request = HTTPXRequest(connection_pool_size=CONCURRENCY * 2, pool_timeout=30)
    limiter = AIORateLimiter(max_retries=3)
    gate = asyncio.Semaphore(CONCURRENCY)
    failures: dict[str, int] = defaultdict(int)

    async def send(bot: ExtBot[None], chat_id: int, text: str) -> None:
        async with gate:
            try:
                await bot.send_message(chat_id, text)
            except TelegramError as exc:
                failures[type(exc).__name__] += 1

    bot: ExtBot[None] = ExtBot(TOKEN, base_url=fake.base_url, request=request, rate_limiter=limiter)
    async with bot:
        started = time.monotonic()
        await asyncio.gather(*(send(bot, chat_id, text) for chat_id, text in alerts))
        elapsed = time.monotonic() - started
    result = observe(fake, alerts, elapsed)
    result["gave_up"] = dict(failures)
    return result


def ratio(a: float, b: float) -> str:
    if b == 0:
        return "—" if a == 0 else "∞"
    return f"{a / b:.2f}×"


def render(results: dict[str, Any]) -> str:
    saring, ptb = results["variants"]["saring"], results["variants"]["ptb"]
    rows = [
        ("drain time (s)", "drain_s"), ("delivered", "delivered"), ("lost", "lost"),
        ("duplicates", "duplicates"), ("requests", "requests"), ("429 answers", "429s"),
        ("429 from flood buckets", "bucket_429s"),
        ("requests inside a retry_after (must be 0)", "sent_during_retry_after"),
        ("retry-after window seconds opened", "retry_window_s"),
        ("max global requests / 1 s (limit 30)", "max_global_per_1s"),
        ("max requests to one private chat / 1 s (limit 1, burst 3)", "max_private_per_1s"),
        ("max requests to one group / 60 s (limit 20)", "max_group_per_60s"),
    ]  # fmt: skip
    lines = [
        f"B4 outbox under a 429 storm — {results['alerts']} alerts, seed {results['seed']}",
        "",
        "| measure | Saring dispatcher | PTB AIORateLimiter(max_retries=3) | Saring / PTB |",
        "|---|---:|---:|---:|",
    ]
    for label, key in rows:
        lines.append(f"| {label} | {saring[key]} | {ptb[key]} | {ratio(saring[key], ptb[key])} |")
    lines.append("")
    lines.append(f"Saring limiter paused (s, by scope): {saring['limiter_paused_s']}")
    lines.append(f"PTB sends given up after retries: {ptb['gave_up'] or 'none'}")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    alerts = workload(1_000 if args.quick else 5_000)
    variants: dict[str, Any] = {}
    async with FakeBotApi(TOKEN) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'outbox.db'}"
            await upgrade_to_head(url)
            arm(fake, args.seed)
            variants["saring"] = await run_saring(fake, alerts, url)
        arm(fake, args.seed)
        variants["ptb"] = await run_ptb(fake, alerts)
    return {
        "benchmark": "B4-outbox",
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "versions": {"python-telegram-bot": telegram.__version__},
        "seed": args.seed,
        "alerts": len(alerts),
        "database": "sqlite" if not args.database_url else "external",
        "variants": variants,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 alerts instead of 5,000")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--database-url", help="e.g. postgresql+asyncpg://... (default: SQLite)")
    args = parser.parse_args(argv)
    # AIORateLimiter logs every RetryAfter it gives up on with a traceback; the table counts them.
    logging.getLogger("telegram.ext").setLevel(logging.CRITICAL)
    results = asyncio.run(run(args))
    print(render(results))
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"outbox-{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {path.relative_to(ROOT)}")
    saring = results["variants"]["saring"]
    return 0 if saring["sent_during_retry_after"] == 0 and saring["lost"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
