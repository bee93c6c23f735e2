"""The escalating share of B3: 2% of updates are classified memos that alert 2 officials.

RELIABILITY.md B3 asks for 2% of updates to trigger escalations to 2 recipients and for the
receipt -> alert-sent latency and the outbox backlog over time. The setup is what a unit
rollout looks like: a roster of 1,000 ASN (the sending chats) in 10 units whose heads have
pressed /start, and a PPK group chat. Every 50th update forwards a "SANGAT RAHASIA" memo
whose number is the update id, so each one is new content: a critical case of its own, an
alert to the sender's unit head and an evidence packet to the PPK chat.

Telegram lets a bot post about 20 messages a minute into one group, so at 200 updates/s
(4 cases/s) the PPK chat's alerts queue in the outbox by design; the report shows how far.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from benchmarks import loadgen
from bot.db.session import create_engine
from tests import factories as f

EVERY = 50  # 2% of updates
UNITS = 10
FIRST_ASN = 10_000  # loadgen's chats are 10_000 + update_id % 1_000
ASN_COUNT = 1_000
FIRST_HEAD = 20_000
PPK_CHAT = -1_007_770_000_001
MEMO = (
    "SANGAT RAHASIA\nNOTA DINAS Nomor {number}/ND/2026 tentang rencana mutasi pejabat eselon "
    "III. Mohon jangan disebar keluar grup."
)
_REFERENCE = re.compile(r"SRG-\d{4}-\d{6}")


def memo_template() -> loadgen.BodyTemplate:
    """The memo, its number spliced from the update id like the rest of the body."""
    return loadgen.BodyTemplate(MEMO.format(number=loadgen.UPDATE_ID_MARK))


def _nip(serial: int) -> str:
    """A structurally valid 18-digit NIP: birth date, appointment month, sex, serial."""
    born = date(1970, 1, 1) + timedelta(days=serial)
    return f"{born:%Y%m%d}201001{1 + serial % 2}{serial % 999 + 1:03d}"


def write_roster(path: Path) -> None:
    rows = ["nip,name,unit_code,unit_name,role,telegram_user_id"]
    for unit in range(UNITS):
        head = FIRST_HEAD + unit
        rows.append(f"{_nip(5_000 + unit)},Kepala {unit},U{unit},Unit {unit},unit_head,{head}")
    per_unit = ASN_COUNT // UNITS  # consecutive chats share a unit, so the escalating
    for n in range(ASN_COUNT):  # 2% (every 50th chat) come from every unit alike
        user, unit = FIRST_ASN + n, n // per_unit
        rows.append(f"{_nip(n)},Pegawai {n},U{unit},Unit {unit},asn,{user}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def import_roster(python: str, root: Path, db_url: str, workdir: Path) -> None:
    """`saring roster import`, as an operator would (it migrates the fresh database too)."""
    roster = workdir / "roster.csv"
    write_roster(roster)
    env = os.environ | {"SARING_DATABASE_URL": db_url, "PYTHONPATH": str(root)}
    subprocess.run(
        [python, "-m", "bot", "roster", "import", str(roster)],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )


async def heads_press_start(bot_url: str, secret: str, fake: Any) -> None:
    """Each unit head sends /start, so their alerts reach them rather than the fallback."""
    url = bot_url + loadgen.WEBHOOK_PATH
    async with aiohttp.ClientSession() as session:
        for unit in range(UNITS):
            head = FIRST_HEAD + unit
            message = f.command_json("start", user_id=head, chat_id=head)
            body = f.update_json(message, update_id=900_000 + unit)
            async with session.post(url, json=body, headers=loadgen.headers(secret)) as response:
                response.raise_for_status()
    await fake.wait_for(
        "sendMessage", count=UNITS, timeout=30, predicate=lambda c: c.chat_id >= FIRST_HEAD
    )


class BacklogSampler:
    """The outbox's unsent alerts, once a second, while the load runs and drains."""

    def __init__(self, db_url: str) -> None:
        self._engine = create_engine(db_url)
        self.samples: list[tuple[float, int]] = []
        self.last_by_status: dict[str, int] = {}  # "purpose/status" -> rows, last sample
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        started = time.monotonic()
        query = text("SELECT purpose, status, count(*) FROM outbox GROUP BY purpose, status")
        while True:
            with contextlib.suppress(Exception):  # a sample lost is not a benchmark lost
                async with self._engine.connect() as connection:
                    rows = (await connection.execute(query)).all()
                self.last_by_status = {f"{p}/{s}": int(n) for p, s, n in rows}
                unsent = sum(int(n) for _, s, n in rows if s in ("pending", "sending"))
                self.samples.append((round(time.monotonic() - started, 1), unsent))
            await asyncio.sleep(1.0)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._engine.dispose()


def summarize(fake: Any, posted: dict[int, float], sampler: BacklogSampler) -> dict[str, Any]:
    """Receipt -> alert-sent latency for the PPK packet and the unit head's alert."""
    escalated = [uid for uid in posted if uid % EVERY == 0]
    sent = [c for c in fake.sent("sendMessage") if c.status == 200]
    # The asker's reply quotes their message (its id is the update id here) and names the
    # case it opened; that ties each alert, by the case reference, to its receipt time.
    opened: dict[str, int] = {}
    for call in sent:
        quoted = (call.params.get("reply_parameters") or {}).get("message_id")
        reference = _REFERENCE.search(call.params.get("text", ""))
        if quoted in posted and reference:
            opened.setdefault(reference.group(0), quoted)
    ppk_latency, head_latency = [], []
    for call in sent:
        reference = _REFERENCE.search(call.params.get("text", ""))
        if reference is None or reference.group(0) not in opened:
            continue
        latency = call.at - posted[opened[reference.group(0)]]
        if call.chat_id == PPK_CHAT:
            ppk_latency.append(latency)
        elif FIRST_HEAD <= (call.chat_id or 0) < FIRST_HEAD + UNITS:
            head_latency.append(latency)
    throttled = [c for c in fake.calls if c.status == 429]
    return {
        "escalations": len(escalated),
        "alerts_expected": 2 * len(escalated),
        "ppk_alerts_sent": len(ppk_latency),
        "unit_head_alerts_sent": len(head_latency),
        "ppk_alert_latency": loadgen.latency_stats(ppk_latency),
        "unit_head_alert_latency": loadgen.latency_stats(head_latency),
        "outbox_backlog": sampler.samples,
        "outbox_by_status": sampler.last_by_status,
        "http_429": len(throttled),
    }
