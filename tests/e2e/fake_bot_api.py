"""A local stand-in for the Telegram Bot API, served by aiohttp on 127.0.0.1.

End-to-end, reliability and benchmark tests point the real PTB stack (``Bot``, HTTPXRequest,
httpx) at this server, so error paths run through PTB's own exception mapping and nothing
inside the bot is patched.  The fake is deliberately *stricter* than the loose mocks a
handler test would use: it rejects what Telegram rejects (P16), can throttle like Telegram
(P6, B4), and can be scripted to fail, stall or be down (P7, P9).

Request handling, in order, for every call to ``/bot{token}/{method}``:

1. The call is appended to ``calls`` at arrival (``Call.at``, ``status=None``).  A wrong
   token answers 401.  If the call arrives inside a retry-after window that an earlier 429
   announced for its scope, it is appended to ``sent_during_retry_after``.
2. Latency (``set_latency``) and hangs (``hang``) are applied.  From here on the call runs
   shielded: a client that times out does not stop it, so it may still be delivered.
3. ``set_down`` answers every call with its status; then ``fail_next`` rules fire, then the
   random 429s of ``inject_429s``.
4. The method handler validates parameters (400s), then, for sends, applies
   ``block_chat`` (403), open retry-after windows and the flood buckets (429).
5. The call gets its status and result, goes to ``queue`` and wakes ``wait_for`` waiters.

Retry-after windows: every 429 answered to a *flood-limited* method (``LIMITED_METHODS``),
whether scripted or from the buckets, opens a window for ``retry_after`` seconds measured
from the moment the answer is produced.  Its scope is ``"global"`` when the global bucket
was exhausted, otherwise ``"chat:<chat_id>"`` (or ``"global"`` if the call had no chat).
Windows are bookkept even with limits off; only ``enforce_limits`` makes the fake refuse
in-window calls (429 with the remaining seconds, rounded up).  Markdown parse modes are not
validated; HTML is, with Telegram's tag subset and UTF-16 lengths of the visible text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


BOT_USER: dict[str, Any] = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Saring",
    "username": "saring_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
    "can_connect_to_business": False,
    "has_main_web_app": False,
}
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
#: Lower-cased methods that Telegram flood-limits per chat and globally.
LIMITED_METHODS = _names(
    (
        "sendMessage sendDocument sendPhoto sendVideo sendAudio sendAnimation sendVoice "
        "sendMediaGroup sendSticker sendLocation sendContact sendPoll copyMessage "
        "copyMessages forwardMessage forwardMessages editMessageText editMessageCaption "
        "editMessageReplyMarkup editMessageMedia"
    ).lower()
)
_JSON_FIELDS = _names(
    "reply_markup entities caption_entities allowed_updates commands scope link_preview_options "
    "reply_parameters media results message_ids permissions"
)
_INT_FIELDS = _names(
    "chat_id from_chat_id message_id offset limit timeout user_id max_connections cache_time "
    "message_thread_id reply_to_message_id until_date"
)
_BOOL_FIELDS = _names(
    "disable_notification protect_content show_alert drop_pending_updates "
    "disable_web_page_preview allow_sending_without_reply disable_content_type_detection"
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_PHRASES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}
_PHRASES |= {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}
_PHRASES |= {503: "Service Unavailable", 504: "Gateway Timeout"}


class ApiError(Exception):
    """An answer Telegram would give instead of a result."""

    def __init__(
        self, status: int, description: str, *, retry_after: int | None = None, scope: str = ""
    ) -> None:
        super().__init__(description)
        self.status, self.description = status, description
        self.retry_after, self.scope = retry_after, scope


# --------------------------------------------------------------------------- HTML parse mode
_TAG_KINDS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "a": "text_link", "code": "code", "pre": "pre",
    "tg-spoiler": "spoiler", "span": "spoiler", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}  # fmt: skip
_BARE_AMPERSAND = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_len(text: str) -> int:
    """Telegram measures lengths and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _cant_parse(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


class _TelegramHtml(HTMLParser):
    """Telegram's HTML dialect: a few tags, four named entities, everything else escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.units = 0
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[dict[str, Any]] = []

    def _text(self, text: str) -> None:
        self.parts.append(text)
        self.units += utf16_len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag not in _TAG_KINDS:
            raise _cant_parse(f'Unsupported start tag "{tag}"')
        if tag == "span" and values.get("class") != "tg-spoiler":
            raise _cant_parse('Tag "span" must have class "tg-spoiler"')
        if tag == "a" and not values.get("href"):
            raise _cant_parse('Tag "a" must have attribute "href"')
        self.stack.append((tag, self.units, values))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _cant_parse(f'Unsupported start tag "{tag}/"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1][0] if self.stack else None
            raise _cant_parse(f'Unmatched end tag "{tag}", expected "{open_tag}"')
        _, start, values = self.stack.pop()
        in_pre = bool(self.stack) and self.stack[-1][0] == "pre"
        language = (values.get("class") or "").removeprefix("language-")
        if tag == "code" and in_pre and language:
            self.stack[-1][2]["language"] = language
            return
        if self.units > start:
            self.entities.append(_entity(tag, start, self.units - start, values))

    def handle_data(self, data: str) -> None:
        for char in "<>&":
            if char in data:
                raise _cant_parse(f'Character "{char}" must be escaped')
        self._text(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_REFS:
            raise _cant_parse(f'Unsupported HTML entity "&{name};"')
        self._text(_NAMED_REFS[name])

    def handle_charref(self, name: str) -> None:
        try:
            self._text(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))
        except (ValueError, OverflowError):
            raise _cant_parse(f'Bad character reference "&#{name};"') from None

    def handle_comment(self, data: str) -> None:
        raise _cant_parse("Comments are not supported")

    def handle_decl(self, decl: str) -> None:
        raise _cant_parse("Declarations are not supported")

    def handle_pi(self, data: str) -> None:
        raise _cant_parse("Processing instructions are not supported")

    def unknown_decl(self, data: str) -> None:
        raise _cant_parse("Declarations are not supported")


def _entity(tag: str, offset: int, length: int, values: dict[str, str | None]) -> dict[str, Any]:
    kind = _TAG_KINDS[tag]
    if tag == "blockquote" and "expandable" in values:
        kind = "expandable_blockquote"
    entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        entity["url"] = values["href"]
    elif kind == "pre" and values.get("language"):
        entity["language"] = values["language"]
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = values.get("emoji-id") or ""
    return entity


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (visible text, entities) as Telegram would, or raise a 400 ``ApiError``."""
    bare = _BARE_AMPERSAND.search(text)
    if bare:  # html.parser would silently drop an unterminated "&X" at the end
        raise _cant_parse(f'Character "&" must be escaped (at offset {bare.start()})')
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


@dataclass(slots=True)
class UploadedFile:
    field_name: str
    filename: str
    content: bytes
    content_type: str


@dataclass(slots=True)
class Call:
    """One request as the fake saw it; ``status`` stays None while it is in flight."""

    method: str
    params: dict[str, Any]
    at: float
    status: int | None = None
    result: Any = None
    description: str | None = None
    retry_after: int | None = None
    files: dict[str, UploadedFile] = field(default_factory=dict)
    done_at: float | None = None

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(slots=True, frozen=True)
class LimitViolation:
    """A request the flood buckets refused (P6): the client sent faster than allowed."""

    scope: str
    method: str
    chat_id: int | str | None
    at: float
    retry_after: int


@dataclass(slots=True, frozen=True)
class RetryBreach:
    """A request that arrived while its scope was inside an announced retry-after window."""

    scope: str
    method: str
    chat_id: int | str | None
    at: float
    window_until: float


@dataclass(slots=True)
class _Failure:
    method: str | None
    status: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | str | None


@dataclass(slots=True)
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0 when one is there now); refills first."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass(slots=True)
class _Limits:
    global_per_s: float
    private_per_s: float
    private_burst: int
    group_per_min: float
    group_burst: int
    count_edits: bool
    buckets: dict[str, _Bucket] = field(default_factory=dict)

    def bucket(self, scope: str, chat_id: int | str | None, now: float) -> _Bucket:
        if scope not in self.buckets:
            if scope == "global":
                cap, rate = self.global_per_s, self.global_per_s
            elif isinstance(chat_id, int) and chat_id > 0:
                cap, rate = self.private_burst, self.private_per_s
            else:
                cap, rate = self.group_burst, self.group_per_min / 60
            self.buckets[scope] = _Bucket(cap, rate, cap, now)
        return self.buckets[scope]


def _coerce(name: str, value: Any) -> Any:
    """Undo PTB's form encoding: nested values arrive as JSON strings, numbers as text."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    if name in _BOOL_FIELDS:
        return value.lower() == "true"
    return value


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.content_type == "application/json":
        try:
            params.update(await request.json() if request.can_read_body else {})
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON request body") from None
    elif request.can_read_body:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                files[name] = UploadedFile(name, value.filename, content, value.content_type)
            else:
                params[name] = value
    return {k: _coerce(k, v) for k, v in params.items()}, files


def _scope_of(chat_id: int | str | None) -> str:
    return "global" if chat_id is None else f"chat:{chat_id}"


class FakeBotApi:
    """``async with FakeBotApi() as fake:`` serves a scriptable Bot API on 127.0.0.1.

    ``long_poll_cap`` bounds how long ``getUpdates`` waits whatever ``timeout`` the client
    asks for, so polling tests stay fast.
    """

    def __init__(self, token: str = "123456:TEST", *, long_poll_cap: float = 30.0) -> None:
        self.token = token
        self.long_poll_cap = long_poll_cap
        self._server: TestServer | None = None
        self._tasks: set[asyncio.Task[Call]] = set()
        self._handlers: dict[str, Callable[[Call], Any]] = {}
        for name in _names(
            "getMe setWebhook deleteWebhook getWebhookInfo setMyCommands getMyCommands "
            "deleteMyCommands sendMessage editMessageText editMessageReplyMarkup "
            "answerCallbackQuery deleteMessage sendDocument sendChatAction getUpdates close "
            "logOut getChat getFile"
        ):
            self._handlers[name.lower()] = getattr(self, "_m_" + name)
        self._canonical = {k: k2.__name__.removeprefix("_m_") for k, k2 in self._handlers.items()}
        self.reset()

    # ----------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> FakeBotApi:
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()
        return self

    async def __aexit__(self, *_: object) -> None:
        self._closing = True
        self.release()
        self._updates_changed.set()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._server is not None:
            await self._server.close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeBotApi is not running"
        return str(self._server.make_url("")).rstrip("/")

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def reset(self) -> None:
        """Forget calls, scripts, limits, chats' messages, webhook and queued updates."""
        self.calls: list[Call] = []
        self.queue: asyncio.Queue[Call] = asyncio.Queue()
        self.limit_violations: list[LimitViolation] = []
        self.sent_during_retry_after: list[RetryBreach] = []
        self.retry_windows: list[tuple[str, float, float]] = []  # (scope, opened, until)
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.documents: dict[str, UploadedFile] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.webhook_overrides: dict[str, Any] = {}
        self.updates: list[dict[str, Any]] = []
        self._open_windows: dict[str, float] = {}
        self._next_ids: Counter[int] = Counter()
        self._next_update_id = 1
        self._failures: list[_Failure] = []
        self._blocked: dict[int | str, str] = {}
        self._limits: _Limits | None = None
        self._latency: tuple[float, float, random.Random] | None = None
        self._storm: tuple[float, tuple[int, int], random.Random] | None = None
        self._hang: tuple[str | None, float] | None = None
        self._release = asyncio.Event()
        self._down: int | None = None
        self._closing = False
        self._changed = asyncio.Event()
        self._updates_changed = asyncio.Event()

    # ----------------------------------------------------------------- scripting
    def fail_next(
        self,
        method: str | None,
        status: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (None: any) with a Telegram error."""
        if description is None:
            description = _PHRASES.get(status, "Error")
            if retry_after is not None:
                description = f"Too Many Requests: retry after {retry_after}"
        low = method.lower() if method else None
        self._failures.append(_Failure(low, status, description, retry_after, times, chat_id))

    def inject_429s(
        self, rate: float, retry_after: tuple[int, int] = (1, 10), *, seed: int | None = None
    ) -> None:
        """Refuse a random ``rate`` share of flood-limited calls with 429 (B4's storm).

        ``retry_after`` is drawn uniformly from the inclusive range; ``rate=0`` turns it off.
        """
        self._storm = (rate, retry_after, random.Random(seed)) if rate > 0 else None

    def set_latency(self, min_s: float, max_s: float, *, seed: int | None = None) -> None:
        """Delay every call by a uniform random time; ``set_latency(0, 0)`` turns it off."""
        self._latency = (min_s, max_s, random.Random(seed)) if max_s > 0 else None

    def hang(self, method: str | None = None, *, seconds: float = 3600.0) -> None:
        """Stall matching calls for ``seconds`` or until ``release()``; then they proceed.

        A stalled call is still executed afterwards (the client has usually timed out by
        then), which is exactly how a slow Telegram produces duplicates.
        """
        self._hang = (method.lower() if method else None, seconds)

    def release(self) -> None:
        self._hang = None
        self._release.set()
        self._release = asyncio.Event()

    def set_down(self, status: int | None = 502) -> None:
        """Answer every call with ``status`` until ``set_down(None)`` (P7)."""
        self._down = status

    def block_chat(
        self, chat_id: int | str, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        """Answer 403 to sends, edits and chat actions for ``chat_id`` (P9)."""
        self._blocked[chat_id] = description

    def unblock_chat(self, chat_id: int | str) -> None:
        self._blocked.pop(chat_id, None)

    def enforce_limits(
        self,
        global_per_s: float = 30,
        private_per_s: float = 1,
        private_burst: int = 3,
        group_per_min: float = 20,
        *,
        group_burst: int | None = None,
        count_edits: bool = True,
    ) -> None:
        """Throttle ``LIMITED_METHODS`` with token buckets, as Telegram does (P6, B4).

        Buckets: one global (capacity and refill ``global_per_s``), one per private chat
        (positive id: capacity ``private_burst``, refill ``private_per_s``/s), one per group or
        channel (capacity ``group_burst``, default ``group_per_min``, refill per minute).  A
        call takes a token from the global and its chat bucket only if both have one; else
        it gets 429 with ``retry_after = max(1, ceil(wait))`` and a ``LimitViolation``.
        While limits are on, calls inside an open retry-after window are refused with 429
        too (they are recorded in ``sent_during_retry_after`` whether limits are on or not).
        ``count_edits=False`` exempts ``editMessage*`` from the buckets.
        """
        burst = group_per_min if group_burst is None else group_burst
        self._limits = _Limits(
            global_per_s, private_per_s, private_burst, group_per_min, int(burst), count_edits
        )

    def disable_limits(self) -> None:
        self._limits = None

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for ``getUpdates``; assigns ``update_id`` when missing."""
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self.updates.append(update)
        self._updates_changed.set()
        self._updates_changed = asyncio.Event()
        return update

    def set_webhook_info(self, **overrides: Any) -> None:
        """Override ``getWebhookInfo`` fields (``pending_update_count``, ``last_error_date``)."""
        self.webhook_overrides.update(overrides)

    # ----------------------------------------------------------------- inspection
    def sent(
        self, method: str | None = None, chat_id: int | str | None = None, *, ok: bool | None = None
    ) -> list[Call]:
        """Recorded calls filtered by method (case-insensitive), chat and success."""
        low = method.lower() if method else None
        return [
            c
            for c in self.calls
            if (low is None or c.method.lower() == low)
            and (chat_id is None or c.chat_id == chat_id)
            and (ok is None or (c.status is not None and c.ok == ok))
        ]

    async def wait_for(
        self,
        method: str | None,
        *,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Return all answered matching calls once there are at least ``count`` of them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            found = [
                c
                for c in self.sent(method)
                if c.status is not None and (predicate is None or predicate(c))
            ]
            remaining = deadline - loop.time()
            if len(found) >= count:
                return found
            if remaining <= 0:
                seen = Counter(f"{c.method}->{c.status}" for c in self.calls)
                raise TimeoutError(
                    f"waited {timeout}s for {count} answered {method or 'any'} call(s)"
                    f"{' matching the predicate' if predicate else ''}; found {len(found)}; "
                    f"calls seen: {dict(seen) or 'none'}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    # ----------------------------------------------------------------- pipeline
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(self._canonical.get(method.lower(), method), {}, time.monotonic())
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            call.params, call.files = await _read_params(request)
        except ApiError as err:
            return self._respond(self._record(call, err))
        self._note_breach(call)
        # Shielded: a client that times out and disconnects must not stop the call, because
        # Telegram also carries on with a request whose caller stopped waiting.
        task = asyncio.create_task(self._execute(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return self._respond(await asyncio.shield(task))

    async def _execute(self, call: Call) -> Call:
        try:
            await self._delay(call)
            if self._down is not None:
                raise ApiError(self._down, _PHRASES.get(self._down, "Error"))
            self._scripted_failure(call)
            handler = self._handlers.get(call.method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(call)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as err:
            return self._record(call, err)
        return self._record(call, result)

    def _record(self, call: Call, outcome: Any) -> Call:
        call.done_at = time.monotonic()
        if isinstance(outcome, ApiError):
            call.status, call.description = outcome.status, outcome.description
            call.retry_after = outcome.retry_after
            if outcome.retry_after is not None:
                self._open_window(call, outcome)
        else:
            call.status, call.result = 200, outcome
        self.queue.put_nowait(call)
        self._changed.set()
        self._changed = asyncio.Event()
        return call

    @staticmethod
    def _respond(call: Call) -> web.Response:
        if call.status == 200:
            return web.json_response({"ok": True, "result": call.result})
        body: dict[str, Any] = {"ok": False, "error_code": call.status}
        body["description"] = call.description
        if call.retry_after is not None:
            body["parameters"] = {"retry_after": call.retry_after}
        return web.json_response(body, status=call.status or 500)

    async def _delay(self, call: Call) -> None:
        if self._latency is not None:
            low, high, rng = self._latency
            await asyncio.sleep(rng.uniform(low, high))
        if self._hang is not None and self._hang[0] in (None, call.method.lower()):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), self._hang[1])

    def _scripted_failure(self, call: Call) -> None:
        for rule in self._failures:
            if rule.method not in (None, call.method.lower()):
                continue
            if rule.chat_id is not None and rule.chat_id != call.chat_id:
                continue
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._failures.remove(rule)
            raise ApiError(rule.status, rule.description, retry_after=rule.retry_after)
        if self._storm is not None and call.method.lower() in LIMITED_METHODS:
            rate, (low, high), rng = self._storm
            if rng.random() < rate:
                wait = rng.randint(low, high)
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def _note_breach(self, call: Call) -> None:
        if call.method.lower() not in LIMITED_METHODS:
            return
        for scope in ("global", _scope_of(call.chat_id)):
            until = self._open_windows.get(scope)
            if until is not None and call.at < until:
                breach = RetryBreach(scope, call.method, call.chat_id, call.at, until)
                self.sent_during_retry_after.append(breach)

    def _open_window(self, call: Call, err: ApiError) -> None:
        if call.method.lower() not in LIMITED_METHODS or not err.retry_after:
            return
        scope = err.scope or _scope_of(call.chat_id)
        now = time.monotonic()
        until = max(self._open_windows.get(scope, 0.0), now + err.retry_after)
        self._open_windows[scope] = until
        self.retry_windows.append((scope, now, until))

    def _gate(self, call: Call) -> None:
        """Refusals that happen only once a send is otherwise valid: 403, then 429."""
        chat_id = call.chat_id
        if chat_id in self._blocked:
            raise ApiError(403, self._blocked[chat_id])
        limits = self._limits
        if limits is None or call.method.lower() not in LIMITED_METHODS:
            return
        if not limits.count_edits and call.method.lower().startswith("edit"):
            return
        now = time.monotonic()
        for scope in ("global", _scope_of(chat_id)):
            until = self._open_windows.get(scope, 0.0)
            if until > now:
                wait = max(1, math.ceil(until - now))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        waits = {
            s: limits.bucket(s, chat_id, now).wait(now) for s in ("global", _scope_of(chat_id))
        }
        scope, wait = max(waits.items(), key=lambda item: item[1])
        if wait > 0:
            retry = max(1, math.ceil(wait))
            self.limit_violations.append(LimitViolation(scope, call.method, chat_id, now, retry))
            desc = f"Too Many Requests: retry after {retry}"
            raise ApiError(429, desc, retry_after=retry, scope=scope)
        for s in waits:
            limits.buckets[s].tokens -= 1

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self.documents:
            raise web.HTTPNotFound()
        return web.Response(body=self.documents[file_id].content)

    # ----------------------------------------------------------------- content helpers
    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def _require_chat(self, call: Call) -> int:
        chat_id = call.chat_id
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _stored(self, call: Call, missing: str) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        message = self.messages.get((chat_id, call.params.get("message_id", 0)))
        if message is None:
            raise ApiError(400, f"Bad Request: {missing}")
        return message

    @staticmethod
    def _render(
        value: Any, parse_mode: Any, entities: Any, *, limit: int, what: str
    ) -> tuple[str, list[dict[str, Any]]]:
        """Text as Telegram stores it, checked against Telegram's length limits (P16)."""
        raw = "" if value is None else str(value)
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            text, found = parse_html(raw)
        else:  # Markdown modes are passed through unvalidated.
            text, found = raw, list(entities or [])
        if what == "text" and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > limit:
            name = "message is too long" if what == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {name}")
        return text, found

    @staticmethod
    def _markup(value: Any) -> dict[str, Any] | None:
        """Inline keyboards are echoed back; every callback_data must be 1..64 UTF-8 bytes."""
        if not isinstance(value, dict) or "inline_keyboard" not in value:
            return None
        for row in value["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return value

    def _new_message(self, chat_id: int, content: dict[str, Any]) -> dict[str, Any]:
        self._next_ids[chat_id] += 1
        message = {
            "message_id": self._next_ids[chat_id],
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v},
        }
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _reply_to(self, call: Call, chat_id: int) -> dict[str, Any]:
        ref = call.params.get("reply_parameters") or {}
        message_id = ref.get("message_id") or call.params.get("reply_to_message_id")
        original = self.messages.get((chat_id, message_id)) if message_id else None
        return {"reply_to_message": original} if original else {}

    # ----------------------------------------------------------------- methods
    def _m_getMe(self, _: Call) -> dict[str, Any]:
        return dict(BOT_USER)

    def _m_sendMessage(self, call: Call) -> dict[str, Any]:
        p = call.params
        chat_id = self._require_chat(call)
        text, entities = self._render(
            p.get("text"), p.get("parse_mode"), p.get("entities"), limit=MAX_TEXT, what="text"
        )
        markup = self._markup(p.get("reply_markup"))
        self._gate(call)
        content = {"text": text, "entities": entities, "reply_markup": markup}
        return self._new_message(chat_id, content | self._reply_to(call, chat_id))

    def _m_sendDocument(self, call: Call) -> dict[str, Any]:
        p = call.params
        chat_id = self._require_chat(call)
        upload = call.files.get("document")
        if upload is None and not p.get("document"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption, entities = self._render(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities"),
            limit=MAX_CAPTION, what="caption",
        )  # fmt: skip
        markup = self._markup(p.get("reply_markup"))
        self._gate(call)
        file_id = f"DOC{len(self.documents) + 1}" if upload else str(p["document"])
        document: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if upload is not None:
            self.documents[file_id] = upload
            document |= {"file_name": upload.filename, "mime_type": upload.content_type}
            document["file_size"] = len(upload.content)
        content = {"document": document, "caption": caption, "caption_entities": entities}
        return self._new_message(chat_id, content | {"reply_markup": markup})

    def _m_editMessageText(self, call: Call) -> dict[str, Any] | bool:
        p = call.params
        if p.get("inline_message_id"):
            return True
        message = self._stored(call, "message to edit not found")
        text, entities = self._render(
            p.get("text"), p.get("parse_mode"), p.get("entities"), limit=MAX_TEXT, what="text"
        )
        return self._edit(call, message, {"text": text, "entities": entities})

    def _m_editMessageReplyMarkup(self, call: Call) -> dict[str, Any] | bool:
        if call.params.get("inline_message_id"):
            return True
        message = self._stored(call, "message to edit not found")
        return self._edit(call, message, {})

    def _edit(self, call: Call, message: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        """Telegram drops a keyboard the edit does not repeat, and refuses no-op edits."""
        content["reply_markup"] = self._markup(call.params.get("reply_markup"))
        if all(message.get(k) == (v or None) for k, v in content.items()):
            raise ApiError(400, _NOT_MODIFIED)
        self._gate(call)
        for key, value in content.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())
        return dict(message)

    def _m_deleteMessage(self, call: Call) -> bool:
        message = self._stored(call, "message to delete not found")
        del self.messages[(message["chat"]["id"], message["message_id"])]
        return True

    def _m_answerCallbackQuery(self, call: Call) -> bool:
        if not call.params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        if len(str(call.params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _m_sendChatAction(self, call: Call) -> bool:
        self._require_chat(call)
        if not call.params.get("action"):
            raise ApiError(400, "Bad Request: action is empty")
        self._gate(call)
        return True

    def _m_getChat(self, call: Call) -> dict[str, Any]:
        return self._chat(self._require_chat(call)) | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
        }

    def _m_getFile(self, call: Call) -> dict[str, Any]:
        file_id = str(call.params.get("file_id"))
        if file_id not in self.documents:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = len(self.documents[file_id].content)
        path = f"documents/{file_id}"
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": size,
            "file_path": path,
        }

    def _m_setWebhook(self, call: Call) -> bool:
        p = call.params
        if p.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = {k: v for k, v in p.items() if k != "drop_pending_updates"}
        self.webhook.setdefault("url", "")
        return True

    def _m_deleteWebhook(self, call: Call) -> bool:
        if call.params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = {"url": ""}
        return True

    def _m_getWebhookInfo(self, _: Call) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info | self.webhook_overrides

    @staticmethod
    def _commands_key(call: Call) -> str:
        scope = call.params.get("scope") or {"type": "default"}
        return f"{json.dumps(scope, sort_keys=True)}|{call.params.get('language_code') or ''}"

    def _m_setMyCommands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands are invalid")
        for item in commands:
            name = str(item.get("command", ""))
            ok_name = 1 <= len(name) <= 32 and all(
                c.islower() or c.isdigit() or c == "_" for c in name
            )
            if not ok_name:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(item.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(call)] = commands
        return True

    def _m_getMyCommands(self, call: Call) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(call), [])

    def _m_deleteMyCommands(self, call: Call) -> bool:
        self.commands.pop(self._commands_key(call), None)
        return True

    def _m_close(self, _: Call) -> bool:
        return True

    def _m_logOut(self, _: Call) -> bool:
        return True

    async def _m_getUpdates(self, call: Call) -> list[dict[str, Any]]:
        """Confirm below ``offset``, then long-poll up to min(timeout, long_poll_cap)."""
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        p = call.params
        offset = p.get("offset")
        if isinstance(offset, int):
            self.updates = self.updates[offset:] if offset < 0 else [
                u for u in self.updates if u["update_id"] >= offset
            ]  # fmt: skip
        limit = max(1, min(100, int(p.get("limit") or 100)))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(p.get("timeout") or 0), self.long_poll_cap)
        allowed = set(p.get("allowed_updates") or [])
        while True:
            changed = self._updates_changed
            ready = [u for u in self.updates if not allowed or allowed & u.keys()]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing:
                return ready[:limit]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
