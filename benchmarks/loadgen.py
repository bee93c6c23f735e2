"""HTTP load for the ingestion and pipeline benchmarks (B2, B3): bodies, senders, statistics.

Two ways to load a webhook, both bounded in request count and in time:

* closed loop: `connections` senders, each posting the next update as soon as the previous
  one is answered (what Telegram does with `max_connections` = 40). wrk runs it when it is
  installed (C, one thread, far cheaper per request than Python); otherwise the aiohttp
  sender below, which benchmarks start in its own process (`python benchmarks/loadgen.py
  closed ...`) so it does not share an event loop with anything it measures.
* open loop: updates are due at fixed times (`rate` per second) whatever the server does;
  latency counts from the due time, so a stalled server cannot hide its queue (no
  coordinated omission).

Bodies are realistic ~1 KB private-message updates with unique `update_id`s and
`message_id`s, rendered from one JSON template by splicing the numbers in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.web.webhook import SECRET_HEADER, WEBHOOK_PATH  # noqa: E402
from tests import factories as f  # noqa: E402

_UID, _MID, _CID = 987_654_321_987, 123_456_789_123, 555_444_333
# Written into a template's text, replaced by each request's update id (unique content).
UPDATE_ID_MARK = _UID
SAMPLE_TEXT = (
    "Yth. Bapak/Ibu, mohon dicek kebenarannya: beredar pesan berantai bahwa mulai bulan depan "
    "tunjangan kinerja pegawai akan dipotong untuk program baru, dan pegawai diminta mengisi "
    "data pribadi lewat tautan yang dibagikan di grup. Pesan ini juga menyebut surat edaran "
    "yang katanya sudah ditandatangani pimpinan, tetapi nomor suratnya tidak disebutkan. "
    "Saya terima dari grup alumni pagi ini dan banyak yang sudah meneruskan. Apakah ini benar "
    "dan boleh saya bagikan ke grup kantor? Terima kasih atas bantuannya. Sumber yang dikutip: "
    "https://info-kepegawaian.example.com/berita/2024/potongan-tunjangan"
)


class BodyTemplate:
    """One update JSON with its update_id, message_id and chat id spliced in per request."""

    def __init__(self, text: str = SAMPLE_TEXT) -> None:
        link = text.split()[-1] if "://" in text else None
        message = f.message_json(
            text,
            chat_id=_CID,
            user_id=_CID,
            message_id=_MID,
            username="asn_bench",
            entities=[f.entity_for(text, link)] if link else None,
            forward_origin=f.origin_user(424_242, "Humas", "humas_grup"),
        )
        rendered = json.dumps(f.update_json(message, update_id=_UID), ensure_ascii=False)
        self.parts = rendered.replace(str(_UID), "\0U\0").replace(str(_MID), "\0M\0")
        self.parts = self.parts.replace(str(_CID), "\0C\0")

    def render(self, update_id: int, message_id: int, chat_id: int) -> bytes:
        values = {"U": str(update_id), "M": str(message_id), "C": str(chat_id)}
        pieces = self.parts.split("\0")
        return "".join(values.get(p, p) if i % 2 else p for i, p in enumerate(pieces)).encode()

    def lua_pieces(self, chat_id: int) -> list[tuple[str, str]]:
        """(literal, number placeholder) pairs for the wrk script; chat id fixed."""
        pieces = self.parts.replace("\0C\0", str(chat_id)).split("\0")
        return [
            (pieces[i], pieces[i + 1] if i + 1 < len(pieces) else "")
            for i in range(0, len(pieces), 2)
        ]


def latency_stats(seconds: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/p99.9/max in milliseconds (nearest rank); None for an empty sample."""
    if not seconds:
        return {k: None for k in ("p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms")}
    ordered = sorted(seconds)

    def rank(q: float) -> float:
        return round(
            ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1e3, 2
        )

    return {
        "p50_ms": rank(0.50),
        "p95_ms": rank(0.95),
        "p99_ms": rank(0.99),
        "p999_ms": rank(0.999),
        "max_ms": round(ordered[-1] * 1e3, 2),
        "mean_ms": round(sum(ordered) / len(ordered) * 1e3, 2),
    }


@dataclass
class LoadResult:
    """What a sender saw. `ok` counts 2xx answers; `errors` transport failures."""

    tool: str
    sent: int = 0
    ok: int = 0
    non_2xx: int = 0
    errors: int = 0
    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    latency: dict[str, float | None] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return round(self.ok / self.seconds, 1) if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"acked_per_s": self.rps}


def headers(secret: str) -> dict[str, str]:
    return {SECRET_HEADER: secret, "Content-Type": "application/json"}


# ----------------------------------------------------------------------------- closed loop
async def closed_loop(
    base_url: str,
    *,
    secret: str,
    connections: int,
    duration: float,
    first_id: int,
    max_requests: int = 2_000_000,
    chats: int = 1_000,
) -> LoadResult:
    """`connections` senders back to back for `duration` s; waits for every in-flight answer."""
    template, result = BodyTemplate(), LoadResult("python-aiohttp")
    latencies: list[float] = []
    counter = iter(range(first_id, first_id + max_requests))
    url, hdrs = base_url + WEBHOOK_PATH, headers(secret)
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    started = time.perf_counter()
    deadline = started + duration

    async def sender(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            uid = next(counter, None)
            if uid is None:
                return
            body = template.render(uid, uid, 10_000 + uid % chats)
            await _post(session, url, body, hdrs, result, latencies)

    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(sender(session) for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    result.latency = latency_stats(latencies)
    result.extra["id_range"] = [first_id, first_id + result.sent - 1]
    return result


async def _post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    hdrs: dict[str, str],
    result: LoadResult,
    latencies: list[float],
    due: float | None = None,
) -> int | None:
    result.sent += 1
    began = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=hdrs) as response:
            await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        result.errors += 1
        return None
    latencies.append(time.perf_counter() - (began if due is None else due))
    result.statuses[str(status)] = result.statuses.get(str(status), 0) + 1
    if 200 <= status < 300:
        result.ok += 1
    else:
        result.non_2xx += 1
    return status


# ----------------------------------------------------------------------------- open loop
async def open_loop(
    base_url: str,
    *,
    secret: str,
    rate: float,
    duration: float,
    first_id: int,
    connections: int = 40,
    chats: int = 1_000,
    on_post: Any = None,
    timeout: float = 30.0,
    special: tuple[int, BodyTemplate] | None = None,
) -> LoadResult:
    """Post update i at t0 + i/rate (i < rate*duration); latency counted from the due time.

    `on_post(update_id, message_id, chat_id, posted_at)` is called as each request leaves,
    with `time.monotonic()`, so a caller can match what the server did later. With
    `special=(n, template)`, updates whose id is a multiple of n use that template.
    """
    template, result = BodyTemplate(), LoadResult("python-open-loop")
    latencies: list[float] = []
    url, hdrs = base_url + WEBHOOK_PATH, headers(secret)
    total = int(rate * duration)
    lag_max = 0.0
    connector = aiohttp.TCPConnector(limit=connections)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        started = time.perf_counter()
        tasks = []
        for i in range(total):
            due = started + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lag_max = max(lag_max, time.perf_counter() - due)
            uid = first_id + i
            chat = 10_000 + uid % chats
            if on_post is not None:
                on_post(uid, uid, chat, time.monotonic())
            chosen = special[1] if special and uid % special[0] == 0 else template
            body = chosen.render(uid, uid, chat)
            tasks.append(
                asyncio.create_task(_post(session, url, body, hdrs, result, latencies, due))
            )
        await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - started
    result.latency = latency_stats(latencies)
    result.extra |= {"rate": rate, "sender_lag_max_ms": round(lag_max * 1e3, 1)}
    result.extra["id_range"] = [first_id, first_id + total - 1]
    return result


# ----------------------------------------------------------------------------- wrk
def wrk_path() -> str | None:
    return shutil.which("wrk")


def _lua_string(text: str) -> str:
    level = "=" * 3
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def wrk_script(secret: str, first_id: int, chat_id: int = 20_000) -> str:
    """A wrk script: unique ids per request, the whole summary printed as one JSON line."""
    pieces = BodyTemplate().lua_pieces(chat_id)
    concat = []
    for literal, slot in pieces:
        concat.append(_lua_string(literal))
        if slot:
            concat.append("n")
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["{SECRET_HEADER}"] = {_lua_string(secret)}
local counter = {first_id - 1}
request = function()
  counter = counter + 1
  local n = tostring(counter)
  return wrk.format(nil, nil, nil, {" .. ".join(concat)})
end
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format(
    'WRKJSON {{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p95":%d,"p99":%d,"p999":%d,"max":%d,"mean":%f}}\\n',
    s.requests, s.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"""


def run_wrk(
    base_url: str, *, secret: str, connections: int, duration: float, first_id: int
) -> subprocess.Popen[str]:
    """Start wrk (one thread) in the background; finish with `wrk_result`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(secret, first_id))
    command = [
        wrk_path() or "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        script.name,
        base_url + WEBHOOK_PATH,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_result(process: subprocess.Popen[str], first_id: int, timeout: float) -> LoadResult:
    """Collect wrk's JSON line. Requests still in flight when wrk stops are not counted."""
    out, _ = process.communicate(timeout=timeout)
    line = next((x for x in out.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary:\n{out}")
    s = json.loads(line.removeprefix("WRKJSON "))
    transport = s["connect"] + s["read"] + s["write"] + s["timeout"]
    result = LoadResult("wrk", sent=s["requests"], ok=s["requests"] - s["status"])
    result.non_2xx, result.errors = s["status"], transport
    result.seconds = s["duration_us"] / 1e6
    result.latency = {
        f"{k}_ms": round(s[k] / 1e3, 2) for k in ("p50", "p95", "p99", "p999", "max", "mean")
    }
    # wrk's counter also advanced for requests cut off at the end: ids up to first+sent+conns.
    result.extra["id_range"] = [first_id, first_id + s["requests"] - 1]
    return result


# ----------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    """`closed` mode for a separate load process; prints one LoadResult as JSON."""
    parser = argparse.ArgumentParser(description="closed-loop webhook load (aiohttp)")
    parser.add_argument("mode", choices=["closed"])
    parser.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8081")
    parser.add_argument("--secret", required=True)
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--first-id", type=int, default=1)
    args = parser.parse_args(argv)
    result = asyncio.run(
        closed_loop(
            args.url,
            secret=args.secret,
            connections=args.connections,
            duration=args.duration,
            first_id=args.first_id,
        )
    )
    print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
