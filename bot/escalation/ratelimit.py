"""Keeps the outbox under Telegram's flood limits and inside every announced retry_after.

Telegram allows a bot about 30 messages/s overall, about 1/s to one private chat (short bursts
pass) and 20/min to one group; beyond that it answers 429 with `retry_after`, and requests
sent inside that window prolong the ban. Token buckets keep the dispatcher below the limits;
pauses keep it silent inside a window.

Scopes and choices:
- Budgets are per process. Replicas each get a share: the default global budget of 25/s keeps
  one replica safely below 30/s; with N replicas set `RateLimits.global_per_s` to about 25/N.
  Per-chat buckets cannot be shared either, which is why alerts to one chat should be
  produced by one replica at a time in practice (they are: an outbox row is claimed once).
- A 429 pauses the chat it was answered for. The Bot API does not say whether a 429 was about
  the chat or the whole bot, so it is read as global only when it looks global: at least
  `global_429_chats` different chats refused within `global_429_window` seconds AND refusals
  are at least half of what was let out in that window. Random per-chat 429s (B4's storm)
  therefore never stop the other chats, while a bot-wide ban (almost every request refused)
  stops everything.
- At most one request per chat is in flight (`sending`): a 429 is seen before the next
  request to that chat is let out, so nothing is ever sent inside a window the previous
  answer opened. (PTB's AIORateLimiter lets concurrent requests through during a pause:
  python-telegram-bot issue #5338.)
- Buckets are slightly stricter than Telegram's (see `RateLimits`), because Telegram counts
  arrival times and network jitter can bunch requests that left evenly spaced.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final

GLOBAL: Final = "global"
Scope = int | str  # a chat id, or GLOBAL
# Pauses end this much after Telegram's window, so clock granularity cannot reopen it early.
PAUSE_MARGIN_S = 0.05
# Per-chat buckets kept before refilled ones are forgotten.
MAX_BUCKETS = 10_000


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Budgets of one process (see the module docstring for replicas)."""

    global_per_s: float = 25.0
    global_burst: float = 5.0  # at most 30 in any one second
    private_per_s: float = 0.95  # Telegram: about 1/s
    private_burst: float = 3.0
    group_per_min: float = 19.0  # Telegram: 20/min
    group_burst: float = 5.0
    global_429_chats: int = 3
    global_429_window: float = 1.0


@dataclass(slots=True)
class TokenBucket:
    """`capacity` tokens, refilled at `rate` per second; one token per request."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0: one is there now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    """In-process, asyncio-only limiter shared by the dispatcher's tasks."""

    limits: RateLimits = field(default_factory=RateLimits)
    clock: Callable[[], float] = time.monotonic
    _global: TokenBucket = field(init=False)
    _chats: dict[int, TokenBucket] = field(default_factory=dict, init=False)
    _paused: dict[Scope, float] = field(default_factory=dict, init=False)
    _locks: dict[int, tuple[asyncio.Lock, int]] = field(default_factory=dict, init=False)
    _let_out: deque[float] = field(default_factory=deque, init=False)
    _refusals: deque[tuple[float, int]] = field(default_factory=deque, init=False)
    paused_seconds: dict[str, float] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        limits = self.limits
        self._global = TokenBucket(
            limits.global_burst, limits.global_per_s, limits.global_burst, self.clock()
        )

    async def acquire(self, chat_id: int) -> None:
        """Wait until the global and the chat's bucket allow a request and no pause covers it."""
        while True:
            now = self.clock()
            until = max(self._paused.get(GLOBAL, 0.0), self._paused.get(chat_id, 0.0))
            if until > now:
                await asyncio.sleep(until - now)
                continue
            chat = self._bucket(chat_id, now)
            wait = max(self._global.wait(now), chat.wait(now))
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self._global.tokens -= 1
            chat.tokens -= 1
            self._let_out.append(now)
            return

    @asynccontextmanager
    async def sending(self, chat_id: int) -> AsyncIterator[None]:
        """Hold the chat's only in-flight slot for one request, then let it out.

        Pause inside the block when the answer is a 429, before the next request may start.
        """
        lock = self._lock(chat_id)
        try:
            async with lock:
                await self.acquire(chat_id)
                yield
        finally:
            self._unlock(chat_id)

    def pause(self, scope: Scope, seconds: float) -> None:
        """Send nothing to `scope` (a chat id, or GLOBAL) for `seconds` from now."""
        now = self.clock()
        until = now + seconds + PAUSE_MARGIN_S
        previous = self._paused.get(scope, 0.0)
        if until <= previous:
            return
        key = "global" if scope == GLOBAL else ("private" if int(scope) > 0 else "group")
        self.paused_seconds[key] = self.paused_seconds.get(key, 0.0) + until - max(previous, now)
        self._paused[scope] = until

    def throttled(self, chat_id: int, retry_after: float) -> Scope:
        """Obey a 429 answered for `chat_id`; returns the scope paused (see module docstring)."""
        scope = self.scope_of_429(chat_id)
        self.pause(scope, retry_after)
        return scope

    def scope_of_429(self, chat_id: int) -> Scope:
        """The chat, unless refusals across many chats say the whole bot is banned."""
        now = self.clock()
        horizon = now - self.limits.global_429_window
        self._refusals.append((now, chat_id))
        while self._refusals and self._refusals[0][0] < horizon:
            self._refusals.popleft()
        while self._let_out and self._let_out[0] < horizon:
            self._let_out.popleft()
        chats = {chat for _, chat in self._refusals}
        looks_global = len(chats) >= self.limits.global_429_chats and 2 * len(
            self._refusals
        ) >= max(len(self._let_out), 1)
        return GLOBAL if looks_global else chat_id

    def paused_until(self, scope: Scope) -> float:
        """Monotonic time the scope's pause ends (0.0: not paused)."""
        return self._paused.get(scope, 0.0)

    def _bucket(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            limits = self.limits
            if chat_id > 0:
                capacity, rate = limits.private_burst, limits.private_per_s
            else:
                capacity, rate = limits.group_burst, limits.group_per_min / 60
            if len(self._chats) >= MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._chats[chat_id] = TokenBucket(capacity, rate, capacity, now)
        return bucket

    def _forget_full(self, now: float) -> None:
        """A refilled bucket is the same as a new one: drop those so memory stays bounded."""
        for chat_id, bucket in list(self._chats.items()):
            if bucket.wait(now) == 0 and bucket.tokens >= bucket.capacity:
                del self._chats[chat_id]

    def _lock(self, chat_id: int) -> asyncio.Lock:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        return lock

    def _unlock(self, chat_id: int) -> None:
        lock, users = self._locks[chat_id]
        if users <= 1:
            del self._locks[chat_id]
        else:
            self._locks[chat_id] = (lock, users - 1)
