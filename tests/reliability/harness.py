"""Reliability harness: real bot processes, a Telegram-like sender, a database outage switch.

The bot runs exactly as deployed (``python -m bot run --webhook``) in its own process group,
so a SIGKILL is a real crash and a SIGTERM a real deploy. The fake Bot API (tests/e2e) and
everything that measures live in the test process, which the bot's death does not touch.

- ``BotProcess``: one ``saring run --webhook`` subprocess: start, readiness, SIGKILL,
  SIGTERM with the time to exit, RSS.
- ``Supervisor``: keeps a set of replicas running like systemd's ``Restart=always``, and
  records every kill, stop and restart with its time.
- ``Sender``: posts updates like Telegram does: at most 40 connections, a response slower than
  the (scaled) deadline counts as failed, anything but a 2xx is retried, and with several
  replicas it round-robins and falls over like a load balancer.
- ``DatabaseProxy``: a TCP relay in front of PostgreSQL; ``stop()`` drops every connection and
  refuses new ones, which is what a stopped server looks like to a client, without stopping
  the server other tests on this machine use.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.db.session import create_engine

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456:RELIABILITY-token-for-tests-only"
SECRET = "reliability-webhook-secret-0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"
FIRST_CHAT = 50_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_updates(count: int, *, chats: int, first_id: int = 1_000_001) -> list[dict[str, Any]]:
    """Private-chat text updates; ``message_id == update_id``, so a reply names its update."""
    now = int(time.time())
    updates = []
    for n in range(count):
        update_id = first_id + n
        chat = FIRST_CHAT + n % chats
        user = {"id": chat, "is_bot": False, "first_name": f"ASN {chat}", "language_code": "id"}
        text = f"Info penting nomor {n}: mohon sebarkan ke grup kantor sebelum jam {n % 24}.00"
        message = {
            "message_id": update_id,
            "from": user,
            "chat": {"id": chat, "type": "private", "first_name": user["first_name"]},
            "date": now,
            "text": text,
        }
        updates.append({"update_id": update_id, "message": message})
    return updates


# ----------------------------------------------------------------------------- processes
@dataclass
class BotProcess:
    """One ``saring run --webhook`` replica; its output goes to ``log_path``."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        env = os.environ | self.env | {"SARING_LISTEN": f"127.0.0.1:{self.port}"}
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.name} at {time.monotonic():.3f}\n".encode())
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--webhook"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killpg reaches any child too
            )
        self.started_at = time.monotonic()

    async def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> float:
        """Seconds from start until ``path`` answers 200; fails if the process dies."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as http:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise RuntimeError(f"{self.name} exited while starting; see {self.log_path}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(self.url + path) as response:
                        if response.status == 200:
                            return time.monotonic() - self.started_at
                await asyncio.sleep(0.05)
        raise TimeoutError(f"{self.name} not ready on {path} after {timeout}s; {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the whole group and reap it: a crash with no chance to clean up."""
        process = self.process
        if process is not None and process.returncode is None:
            _signal_group(process, signal.SIGKILL)
            process.wait()

    async def terminate(self, timeout: float = 30.0) -> float:
        """SIGTERM, then the seconds until the process exited (SIGKILL after ``timeout``)."""
        process = self.process  # a supervisor may start a new one as soon as this one exits
        assert process is not None
        sent = time.monotonic()
        _signal_group(process, signal.SIGTERM)
        while process.poll() is None and time.monotonic() - sent < timeout:
            await asyncio.sleep(0.02)
        took = time.monotonic() - sent
        if process.poll() is None:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        return took

    def rss_kib(self) -> int:
        """VmRSS of the replica, in KiB (Linux /proc)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")


def _signal_group(process: subprocess.Popen[bytes], number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, number)


@dataclass(frozen=True, slots=True)
class Event:
    at: float
    replica: str
    kind: str  # "kill", "term", "start"
    seconds: float = 0.0  # exit time after SIGTERM


class Supervisor:
    """Keeps replicas alive: whatever dies is started again (after ``restart_delay``)."""

    def __init__(self, replicas: Sequence[BotProcess], *, restart_delay: float = 0.0) -> None:
        self.replicas = list(replicas)
        self.restart_delay = restart_delay
        self.events: list[Event] = []
        self._watching = False
        self._task: asyncio.Task[None] | None = None

    def count(self, kind: str) -> int:
        return sum(1 for e in self.events if e.kind == kind)

    def times(self, kind: str) -> list[float]:
        return [e.at for e in self.events if e.kind == kind]

    async def start(self) -> None:
        for replica in self.replicas:
            replica.start()
        for replica in self.replicas:
            await replica.wait_ready("/readyz")
        self._watching = True
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        while self._watching:
            for replica in self.replicas:
                if not replica.alive and self._watching:
                    await asyncio.sleep(self.restart_delay)
                    replica.start()
                    self.events.append(Event(time.monotonic(), replica.name, "start"))
            await asyncio.sleep(0.05)

    def kill(self, replica: BotProcess) -> float:
        replica.kill()
        at = time.monotonic()
        self.events.append(Event(at, replica.name, "kill"))
        return at

    async def kill_at_random(
        self,
        replica: BotProcess,
        rng: random.Random,
        *,
        kills: int,
        pause: tuple[float, float],
        on_kill: Callable[[float], None] = lambda at: None,
    ) -> None:
        """``kills`` SIGKILLs, each a random ``pause`` after the replica came (back) up."""
        for _ in range(kills):
            while not replica.alive:
                await asyncio.sleep(0.02)
            await replica.wait_ready()
            await asyncio.sleep(rng.uniform(*pause))
            on_kill(self.kill(replica))

    async def terminate(self, replica: BotProcess) -> float:
        took = await replica.terminate()
        self.events.append(Event(time.monotonic(), replica.name, "term", took))
        return took

    async def settle(self) -> None:
        """Stop restarting, wait until every replica is up again (so none dies mid-start)."""
        self._watching = False
        if self._task is not None:
            await self._task
        for replica in self.replicas:
            if not replica.alive:
                replica.start()
                self.events.append(Event(time.monotonic(), replica.name, "start"))
            await replica.wait_ready()

    async def shutdown(self) -> None:
        """Stop watching and end every replica; SIGKILL whatever a SIGTERM does not end."""
        self._watching = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for replica in self.replicas:
            if replica.alive:
                await replica.terminate(timeout=15)
            replica.kill()


# ----------------------------------------------------------------------------- sender
@dataclass
class SendStats:
    acked: dict[int, float] = field(default_factory=dict)  # update_id -> time of its 2xx
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    gave_up: list[int] = field(default_factory=list)
    in_flight: int = 0
    in_flight_at: list[tuple[float, int]] = field(default_factory=list)  # sampled on demand

    @property
    def attempts(self) -> int:
        return self.statuses.total() + self.errors.total()

    @property
    def retries(self) -> int:
        return self.attempts - len(self.acked)


class Sender:
    """Delivers updates like Telegram: retry until a 2xx, round-robin over replicas."""

    def __init__(
        self,
        targets: Sequence[str],
        *,
        connections: int = 40,
        deadline: float = 2.0,
        give_up_after: float = 300.0,
    ) -> None:
        self.targets = [t.rstrip("/") + WEBHOOK_PATH for t in targets]
        self.connections = connections
        self.deadline = deadline
        self.give_up_after = give_up_after
        self.stats = SendStats()
        self._next = itertools.count()

    async def send_all(self, updates: Iterable[dict[str, Any]], rate: float | None = None) -> None:
        """Send every update, open-loop at ``rate`` per second (None: as fast as allowed)."""
        connector = aiohttp.TCPConnector(limit=self.connections)
        timeout = aiohttp.ClientTimeout(total=self.deadline)
        slots = asyncio.Semaphore(self.connections)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            begin = time.monotonic()
            tasks = []
            for n, update in enumerate(updates):
                if rate:
                    await asyncio.sleep(max(0.0, begin + n / rate - time.monotonic()))
                await slots.acquire()
                task = asyncio.create_task(self._deliver(http, update))
                task.add_done_callback(lambda _: slots.release())
                tasks.append(task)
            await asyncio.gather(*tasks)

    async def _deliver(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        started = time.monotonic()
        failures = 0
        while time.monotonic() - started < self.give_up_after:
            target = self.targets[next(self._next) % len(self.targets)]
            if await self._attempt(http, target, update):
                self.stats.acked[update["update_id"]] = time.monotonic()
                return
            failures += 1
            # Another replica gets the next try at once; a lone one gets a short backoff.
            if len(self.targets) == 1 or failures % len(self.targets) == 0:
                await asyncio.sleep(min(0.1 * 2 ** min(failures, 5), 2.0))
        self.stats.gave_up.append(update["update_id"])

    async def _attempt(self, http: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> bool:
        self.stats.in_flight += 1
        try:
            async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                await response.read()
                self.stats.statuses[response.status] += 1
                return 200 <= response.status < 300
        except TimeoutError:
            self.stats.errors["timeout"] += 1
        except aiohttp.ClientError as error:
            self.stats.errors[type(error).__name__] += 1
        finally:
            self.stats.in_flight -= 1
        return False


# ----------------------------------------------------------------------------- database proxy
class DatabaseProxy:
    """127.0.0.1:<port> relayed to PostgreSQL; ``stop()`` is a server outage to the client."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        """Close the listener (new connections are refused) and cut every open connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.transport.abort()


# ----------------------------------------------------------------------------- database
async def execute(
    url: str, statement: str, *, autocommit: bool = False, **parameters: Any
) -> list[Any]:
    """Run one statement on a fresh connection; the rows it returned (if any)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            if autocommit:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await connection.execute(text(statement), parameters)
            rows = list(result.all()) if result.returns_rows else []
            await connection.commit()
            return rows
    finally:
        await engine.dispose()


async def inbox_statuses(url: str) -> dict[int, str]:
    rows = await execute(url, "SELECT update_id, status FROM inbox_updates")
    return {int(update_id): str(status) for update_id, status in rows}


async def wait_all_done(url: str, expected: set[int], timeout: float) -> dict[int, str]:
    """Poll the inbox until every expected update is ``done`` (or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(SQLAlchemyError, OSError):
            statuses = await inbox_statuses(url)
            if all(statuses.get(i) == "done" for i in expected):
                return statuses
        if time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.5)


# ----------------------------------------------------------------------------- replies
@dataclass(frozen=True, slots=True)
class Reply:
    message_id: int  # the user's message it answers, i.e. its update (make_updates)
    at: float  # when the send reached the fake Bot API (time.monotonic, same clock)


def replies(calls: Iterable[Any]) -> list[Reply]:
    """Delivered check replies (sendMessage answered 200), oldest first."""
    found = []
    for call in calls:
        if call.method == "sendMessage" and call.status == 200:
            target = (call.params.get("reply_parameters") or {}).get("message_id")
            if isinstance(target, int):
                found.append(Reply(target, call.at))
    return sorted(found, key=lambda r: r.at)


@dataclass
class ReplyAudit:
    """Replies per update: missing ones, and extra ones split by whether a crash explains them."""

    per_update: Counter[int]
    missing: list[int]
    explained: dict[int, int]  # update -> extra replies with a crash after the previous send
    unexplained: dict[int, int]

    @property
    def extra(self) -> int:
        return sum(self.explained.values()) + sum(self.unexplained.values())


class DuplicateReplies(AssertionError):
    """Some update was answered more than once (an xfail can name exactly this failure)."""


def assert_no_duplicates(audit: ReplyAudit) -> None:
    if audit.extra:
        doubled = sorted(audit.explained.keys() | audit.unexplained.keys())
        raise DuplicateReplies(f"{audit.extra} duplicate replies, to updates {doubled[:10]}")


def audit_replies(
    delivered: Sequence[Reply],
    expected: Iterable[int],
    crashes: Sequence[float | tuple[float, float]] = (),
    *,
    window: float = 5.0,
) -> ReplyAudit:
    """An extra reply is "interrupted" when a crash came within ``window`` s of the previous.

    Only a send whose ``reply_message_id`` commit never happened is repeated, and that commit
    follows the send by milliseconds; a crash long after the previous send explains nothing.
    A crash is a moment (SIGKILL) or a (start, end) interval (an outage). Consecutive sends
    of one update span disjoint intervals, so each extra reply needs its own interruption.
    """
    spans = [c if isinstance(c, tuple) else (c, c) for c in crashes]
    per_update: Counter[int] = Counter(r.message_id for r in delivered)
    times: dict[int, list[float]] = {}
    for reply in delivered:
        times.setdefault(reply.message_id, []).append(reply.at)
    explained: dict[int, int] = {}
    unexplained: dict[int, int] = {}
    for update_id, seen in times.items():
        for earlier, later in itertools.pairwise(seen):
            until = min(later, earlier + window)
            crashed = any(start <= until and end >= earlier for start, end in spans)
            bucket = explained if crashed else unexplained
            bucket[update_id] = bucket.get(update_id, 0) + 1
    missing = sorted(i for i in expected if per_update[i] == 0)
    return ReplyAudit(per_update, missing, explained, unexplained)


# ----------------------------------------------------------------------------- reporting
def sends_in_flight(calls: Iterable[Any], at: float) -> int:
    """sendMessage calls the fake had received but not yet answered at time ``at``."""
    return sum(
        1
        for c in calls
        if c.method == "sendMessage" and c.at <= at and (c.done_at is None or c.done_at > at)
    )


def print_table(title: str, rows: Sequence[tuple[str, object]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n== {title}")
    for name, value in rows:
        print(f"   {name:<{width}}  {value}")
