"""The fake Bot API, driven by the real PTB stack (Bot, HTTPXRequest, httpx).

If the fake answers differently from Telegram, every e2e and reliability test built on it
lies; so these tests pin its answers to what PTB surfaces to the bot.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from tests import factories as f
from tests.e2e.fake_bot_api import ApiError, FakeBotApi, parse_html

TOKEN = "123456:TEST"
PRIVATE = 1001
GROUP = -1001234567890


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's future timedelta periods, so reading retry_after does not warn."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN, long_poll_cap=0.3) as api:
        yield api


def _bot(fake: FakeBotApi, token: str = TOKEN, **request_kw: Any) -> Bot:
    request = HTTPXRequest(connection_pool_size=8, **request_kw)
    return Bot(token, base_url=fake.base_url, base_file_url=fake.base_file_url, request=request)


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with _bot(fake) as b:
        yield b


def _keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Laporkan", callback_data=data)]])


# ----------------------------------------------------------------------------- basics
async def test_when_bot_initializes_then_get_me_names_the_saring_bot(fake: FakeBotApi) -> None:
    async with _bot(fake) as bot:
        assert bot.username == "saring_bot"
        assert bot.id == 123456
    assert [c.method for c in fake.calls] == ["getMe"]
    assert fake.url.startswith("http://127.0.0.1:")


async def test_when_sending_repeatedly_then_message_ids_increment_per_chat(bot: Bot) -> None:
    first = await bot.send_message(PRIVATE, "Satu")
    second = await bot.send_message(PRIVATE, "Dua")
    other = await bot.send_message(GROUP, "Grup")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert second.text == "Dua"
    assert second.chat.type == "private"
    assert other.chat.type == "supergroup"
    assert second.from_user is not None and second.from_user.is_bot


async def test_when_ext_bot_sends_with_a_keyboard_then_it_is_echoed(fake: FakeBotApi) -> None:
    request = HTTPXRequest(connection_pool_size=2)
    async with ExtBot(TOKEN, base_url=fake.base_url, request=request) as bot:
        sent = await bot.send_message(PRIVATE, "Pilih", reply_markup=_keyboard("esc:ok:7"))
    assert sent.reply_markup == _keyboard("esc:ok:7")
    (call,) = fake.sent("sendMessage")
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "esc:ok:7"
    assert call.params["chat_id"] == PRIVATE  # form text "1001" arrives as an int


# ----------------------------------------------------------------------------- P16 validation
REFUSED_SENDS = [
    # 4097 ASCII characters: one over the limit
    ({"text": "x" * 4097}, "Message is too long"),
    # 2049 emoji = 4098 UTF-16 units, although len() is only 2049
    ({"text": "😀" * 2049}, "Message is too long"),
    # only whitespace counts as empty
    ({"text": " \n "}, "Message text is empty"),
    ({"text": ""}, "Message text is empty"),
    # tags stripped, nothing visible left
    ({"text": "<b> </b>", "parse_mode": ParseMode.HTML}, "Message text is empty"),
    # 65 ASCII bytes of callback_data
    ({"text": "x", "reply_markup": _keyboard("a" * 65)}, "Button_data_invalid"),
    # 33 × "é" is 33 characters but 66 UTF-8 bytes
    ({"text": "x", "reply_markup": _keyboard("é" * 33)}, "Button_data_invalid"),
    # <p> is not in Telegram's HTML subset
    ({"text": "<p>Halo</p>", "parse_mode": ParseMode.HTML}, "Can't parse entities"),
    # an unclosed tag
    ({"text": "<b>Halo", "parse_mode": ParseMode.HTML}, "Can't parse entities"),
    # crossed tags
    ({"text": "<b><i>x</b></i>", "parse_mode": ParseMode.HTML}, "Can't parse entities"),
    # a raw "<" that should have been escaped
    ({"text": "1 < 2", "parse_mode": ParseMode.HTML}, "Can't parse entities"),
    # a bare ampersand
    ({"text": "Q&A", "parse_mode": ParseMode.HTML}, "Can't parse entities"),
    # a named entity Telegram does not know
    ({"text": "a&nbsp;b", "parse_mode": ParseMode.HTML}, "Can't parse entities"),
    # span without the spoiler class
    ({"text": "<span>x</span>", "parse_mode": ParseMode.HTML}, "Can't parse entities"),
    # a link without href
    ({"text": "<a>x</a>", "parse_mode": ParseMode.HTML}, "Can't parse entities"),
]


@pytest.mark.parametrize(("kwargs", "message"), REFUSED_SENDS)
async def test_when_a_send_breaks_telegram_limits_then_ptb_raises_bad_request(
    bot: Bot, fake: FakeBotApi, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(PRIVATE, **kwargs)
    assert caught.value.message.startswith(message)
    assert fake.sent("sendMessage")[0].status == 400


ACCEPTED_SENDS = [
    # exactly 4096 ASCII characters
    {"text": "x" * 4096},
    # 2048 emoji = exactly 4096 UTF-16 units
    {"text": "😀" * 2048},
    # markup makes the raw string longer than 4096, but Telegram counts the visible text
    {"text": "<b>" + "x" * 4096 + "</b>", "parse_mode": ParseMode.HTML},
    # 32 × "é" = exactly 64 UTF-8 bytes of callback_data
    {"text": "x", "reply_markup": _keyboard("é" * 32)},
    # every supported tag, nested and escaped properly
    {
        "text": "<b>a</b><strong>b</strong><i>c</i><u>d</u><s>e</s><tg-spoiler>f</tg-spoiler>"
        '<span class="tg-spoiler">g</span><a href="https://jakarta.go.id">h</a><code>i</code>'
        '<pre><code class="language-python">j</code></pre><blockquote expandable>k</blockquote>'
        "&lt;&gt;&amp;&quot;&#33;&#x21;",
        "parse_mode": ParseMode.HTML,
    },
    # Markdown is passed through unvalidated (a documented limitation)
    {"text": "*tebal*", "parse_mode": ParseMode.MARKDOWN_V2},
]


@pytest.mark.parametrize("kwargs", ACCEPTED_SENDS)
async def test_when_a_send_fits_telegram_limits_then_it_is_accepted(
    bot: Bot, kwargs: dict[str, Any]
) -> None:
    assert (await bot.send_message(PRIVATE, **kwargs)).message_id == 1


async def test_when_html_is_sent_then_visible_text_and_utf16_entities_come_back(
    bot: Bot,
) -> None:
    html = (
        '😀 <b>Bapak</b> <a href="https://jakarta.go.id">tautan</a> '
        '<pre><code class="language-py">x</code></pre>'
    )
    sent = await bot.send_message(PRIVATE, html, parse_mode=ParseMode.HTML)
    assert sent.text == "😀 Bapak tautan x"
    kinds = [(e.type, e.offset, e.length) for e in sent.entities]
    assert kinds == [("bold", 3, 5), ("text_link", 9, 6), ("pre", 16, 1)]
    assert sent.entities[1].url == "https://jakarta.go.id"
    assert sent.entities[2].language == "py"
    assert sent.parse_entities()[sent.entities[0]] == "Bapak"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_when_any_text_is_html_escaped_then_it_parses_back_to_itself(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert parse_html(escaped) == (text, [])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="<>&/ab;#x1 \"='", max_size=30))
def test_when_arbitrary_markup_is_parsed_then_it_is_accepted_or_refused_with_400(
    text: str,
) -> None:
    try:
        visible, entities = parse_html(text)
    except ApiError as err:
        assert err.status == 400 and "can't parse entities" in err.description
    else:
        assert all(
            e["offset"] + e["length"] <= len(visible.encode("utf-16-le")) // 2 for e in entities
        )


async def test_when_a_caption_exceeds_1024_then_the_document_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(PRIVATE, b"isi", filename="a.txt", caption="x" * 1025)


async def test_when_a_document_is_uploaded_then_name_and_bytes_are_recorded(
    bot: Bot, fake: FakeBotApi
) -> None:
    sent = await bot.send_document(PRIVATE, b"%PDF-1.4 isi", filename="laporan.pdf", caption="Lap")
    assert sent.document is not None and sent.document.file_name == "laporan.pdf"
    (call,) = fake.sent("sendDocument", chat_id=PRIVATE)
    assert (call.files["document"].filename, call.files["document"].content) == (
        "laporan.pdf",
        b"%PDF-1.4 isi",
    )
    remote = await bot.get_file(sent.document.file_id)
    assert bytes(await remote.download_as_bytearray()) == b"%PDF-1.4 isi"


# ----------------------------------------------------------------------------- edits, small calls
async def test_when_a_message_is_edited_then_telegram_edit_rules_apply(bot: Bot) -> None:
    sent = await bot.send_message(PRIVATE, "Lama", reply_markup=_keyboard("a"))
    edited = await bot.edit_message_text("Baru", PRIVATE, sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "Baru"
    assert edited.reply_markup is None  # an edit that does not repeat the keyboard drops it
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Baru", PRIVATE, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Baru", PRIVATE, 999)
    again = await bot.edit_message_reply_markup(
        PRIVATE, sent.message_id, reply_markup=_keyboard("b")
    )
    assert again.reply_markup == _keyboard("b")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(PRIVATE, sent.message_id, reply_markup=_keyboard("b"))


async def test_when_a_message_is_deleted_twice_then_the_second_is_refused(bot: Bot) -> None:
    sent = await bot.send_message(PRIVATE, "Hapus saya")
    assert await bot.delete_message(PRIVATE, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(PRIVATE, sent.message_id)


async def test_when_small_methods_are_called_then_they_answer_like_telegram(
    bot: Bot, fake: FakeBotApi
) -> None:
    assert await bot.answer_callback_query("4000001", text="Terima kasih") is True
    assert await bot.send_chat_action(PRIVATE, "typing") is True
    assert (await bot.get_chat(GROUP)).type == "supergroup"
    assert await bot.set_my_commands([("cek", "Periksa pesan")]) is True
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("cek", "Periksa pesan")
    ]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Cek-Pesan", "x")])
    assert await bot.close() is True and await bot.log_out() is True
    assert {c.method for c in fake.calls} >= {"answerCallbackQuery", "getMyCommands", "logOut"}


async def test_when_webhook_is_set_then_info_reflects_it_and_polling_conflicts(
    bot: Bot, fake: FakeBotApi
) -> None:
    await bot.set_webhook("https://saring.example/telegram/webhook", secret_token="rahasia")
    fake.set_webhook_info(pending_update_count=7, last_error_date=1_700_000_000)
    info = await bot.get_webhook_info()
    assert info.url == "https://saring.example/telegram/webhook"
    assert info.pending_update_count == 7
    assert info.last_error_date == dtm.datetime.fromtimestamp(1_700_000_000, dtm.UTC)
    assert fake.webhook["secret_token"] == "rahasia"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook() is True
    assert await bot.get_updates() == ()


# ----------------------------------------------------------------------------- error mapping
# What PTB 22 turns each status into; the bot's retry logic keys off these classes.
ERROR_MAPPING = [
    (400, "Bad Request: chat not found", BadRequest),
    (403, "Forbidden: bot was blocked by the user", Forbidden),
    # 404 on a valid endpoint is read as a bad token
    (404, "Not Found", InvalidToken),
    (409, "Conflict: terminated by other getUpdates request", Conflict),
    # every 5xx is a NetworkError, which PTB callers treat as retryable
    (500, "Internal Server Error", NetworkError),
    (502, "Bad Gateway", NetworkError),
]


@pytest.mark.parametrize(("status", "description", "error"), ERROR_MAPPING)
async def test_when_the_api_answers_an_error_then_ptb_raises_the_mapped_class(
    bot: Bot, fake: FakeBotApi, status: int, description: str, error: type[TelegramError]
) -> None:
    fake.fail_next("sendMessage", status, description)
    with pytest.raises(TelegramError) as caught:
        await bot.send_message(PRIVATE, "x")
    assert type(caught.value) is error
    assert (await bot.send_message(PRIVATE, "lagi")).text == "lagi"  # only the next call fails


async def test_when_429_is_scripted_then_ptb_raises_retry_after_with_its_delay(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=2, chat_id=PRIVATE)
    await bot.send_message(GROUP, "tidak terdampak")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(PRIVATE, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=2)
    assert [w[0] for w in fake.retry_windows] == [f"chat:{PRIVATE}"]


async def test_when_a_chat_is_blocked_then_only_sends_to_it_are_forbidden(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.block_chat(PRIVATE)
    fake.block_chat(2002, "Forbidden: bot can't initiate conversation with a user")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(PRIVATE, "x")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(2002, "x")
    assert (await bot.send_message(3003, "x")).chat.id == 3003
    fake.unblock_chat(PRIVATE)
    assert (await bot.send_message(PRIVATE, "x")).message_id == 1


async def test_when_the_api_is_down_then_calls_fail_until_it_recovers(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.set_down(502)
    for call in (bot.send_message(PRIVATE, "x"), bot.get_me()):
        with pytest.raises(NetworkError, match="Bad Gateway") as caught:
            await call
        assert type(caught.value) is NetworkError
    fake.set_down(None)
    assert (await bot.send_message(PRIVATE, "x")).message_id == 1
    assert [c.status for c in fake.calls[-3:]] == [502, 502, 200]


async def test_when_the_token_is_wrong_then_ptb_reports_an_invalid_token(fake: FakeBotApi) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with _bot(fake, token="999:WRONG"):
            pass
    assert fake.calls[0].status == 401


async def test_when_an_unknown_method_is_called_then_it_is_not_found(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": PRIVATE})


async def test_when_a_call_hangs_past_the_read_timeout_then_the_send_still_lands(
    fake: FakeBotApi,
) -> None:
    async with _bot(fake, read_timeout=0.2) as bot:
        fake.hang("sendMessage", seconds=0.5)
        with pytest.raises(TimedOut):
            await bot.send_message(PRIVATE, "lambat")
        (call,) = await fake.wait_for("sendMessage", timeout=2)
    assert call.status == 200  # delivered although the client gave up: a duplicate risk


async def test_when_a_hang_is_released_then_waiting_calls_proceed_at_once(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.hang(seconds=60)
    pending = asyncio.create_task(bot.send_message(PRIVATE, "x"))
    await asyncio.sleep(0.1)
    assert not pending.done()
    fake.release()
    assert (await asyncio.wait_for(pending, 2)).message_id == 1


async def test_when_latency_is_set_then_each_call_takes_at_least_the_minimum(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.set_latency(0.05, 0.08, seed=7)
    started = time.monotonic()
    await bot.send_message(PRIVATE, "x")
    await bot.send_message(PRIVATE, "y")
    assert time.monotonic() - started >= 0.1


# ----------------------------------------------------------------------------- wait_for
async def test_when_a_call_arrives_later_then_wait_for_returns_it(
    bot: Bot, fake: FakeBotApi
) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(PRIVATE, "satu")
        await bot.send_message(GROUP, "dua")

    task = asyncio.create_task(later())
    calls = await fake.wait_for("SENDMESSAGE", count=2, timeout=2)
    await task
    assert [c.params["text"] for c in calls] == ["satu", "dua"]
    grouped = await fake.wait_for("sendMessage", predicate=lambda c: c.chat_id == GROUP)
    assert [c.params["text"] for c in grouped] == ["dua"]


async def test_when_a_call_never_comes_then_wait_for_times_out_naming_what_was_seen(
    bot: Bot, fake: FakeBotApi
) -> None:
    await bot.send_message(PRIVATE, "x")
    with pytest.raises(asyncio.TimeoutError) as caught:
        await fake.wait_for("deleteMessage", timeout=0.1)
    assert "deleteMessage" in str(caught.value)
    assert "sendMessage->200" in str(caught.value) and "getMe->200" in str(caught.value)


async def test_when_reset_then_calls_and_scripts_are_forgotten(bot: Bot, fake: FakeBotApi) -> None:
    fake.fail_next(None, 500)
    fake.block_chat(PRIVATE)
    fake.reset()
    assert fake.calls == []
    assert (await bot.send_message(PRIVATE, "x")).message_id == 1


# ----------------------------------------------------------------------------- getUpdates
async def test_when_updates_are_confirmed_by_offset_then_they_are_not_served_again(
    bot: Bot, fake: FakeBotApi
) -> None:
    ids = [fake.push_update(f.update_json(f.message_json(f"m{i}")))["update_id"] for i in range(3)]
    first = await bot.get_updates(limit=2)
    assert [u.update_id for u in first] == ids[:2]
    rest = await bot.get_updates(offset=ids[1] + 1)
    assert [u.message.text for u in rest if u.message] == ["m2"]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert fake.updates == []


async def test_when_long_polling_then_a_push_wakes_the_poll_and_silence_returns_empty(
    bot: Bot, fake: FakeBotApi
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == ()  # capped at 0.3 s by long_poll_cap
    assert time.monotonic() - started < 2

    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    fake.push_update(f.callback_query_json("esc:ok:1"))
    (update,) = await asyncio.wait_for(poll, 2)
    assert update.callback_query is not None and update.callback_query.data == "esc:ok:1"


# ----------------------------------------------------------------------------- flood limits
async def test_when_five_rapid_sends_hit_one_private_chat_then_the_burst_of_3_passes(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.enforce_limits()
    outcomes: list[str] = []
    for i in range(5):
        try:
            await bot.send_message(PRIVATE, f"pesan {i}")
            outcomes.append("ok")
        except RetryAfter as exc:
            outcomes.append(f"429:{exc.retry_after.total_seconds():g}")
    assert outcomes == ["ok", "ok", "ok", "429:1", "429:1"]
    assert [(v.scope, v.retry_after) for v in fake.limit_violations] == [(f"chat:{PRIVATE}", 1)]
    # the 5th ignored the announced retry_after: that is what the benchmark must never see
    assert [b.scope for b in fake.sent_during_retry_after] == [f"chat:{PRIVATE}"]
    assert (await bot.send_message(2002, "chat lain")).message_id == 1


async def test_when_a_client_obeys_retry_after_then_no_breach_is_recorded(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.enforce_limits(private_burst=1)
    await bot.send_message(PRIVATE, "satu")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(PRIVATE, "dua")
    await asyncio.sleep(caught.value.retry_after.total_seconds())
    assert (await bot.send_message(PRIVATE, "dua")).message_id == 2
    assert fake.sent_during_retry_after == []


async def test_when_a_group_gets_more_than_its_per_minute_budget_then_it_is_throttled(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.enforce_limits(group_per_min=20)
    for i in range(20):
        await bot.send_message(GROUP, f"{i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "21")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)  # one token per 3 s


async def test_when_the_global_rate_is_exceeded_then_every_chat_is_paused(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.enforce_limits(global_per_s=30)
    sends = (bot.send_message(10_000 + i, "x") for i in range(45))
    results = await asyncio.gather(*sends, return_exceptions=True)
    refused = [r for r in results if isinstance(r, RetryAfter)]
    assert 30 <= len(results) - len(refused) < 45 and refused
    assert {v.scope for v in fake.limit_violations} == {"global"}
    with pytest.raises(RetryAfter):
        await bot.send_message(30_000, "x")  # a fresh chat, but the global window is open
    assert fake.sent_during_retry_after[-1].scope == "global"
    assert fake.sent_during_retry_after[-1].chat_id == 30_000


async def test_when_limits_are_off_then_a_scripted_429_is_still_bookkept(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=5)
    with pytest.raises(RetryAfter):
        await bot.send_message(PRIVATE, "x")
    await bot.answer_callback_query("1")  # not flood-limited: no breach
    assert (await bot.send_message(PRIVATE, "terlalu cepat")).message_id == 1
    (breach,) = fake.sent_during_retry_after
    assert breach.scope == f"chat:{PRIVATE}" and breach.window_until - breach.at > 4


async def test_when_a_429_storm_is_injected_then_about_that_share_of_sends_is_refused(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.inject_429s(0.25, (1, 3), seed=11)
    results = await asyncio.gather(
        *(bot.send_message(10_000 + i, "x") for i in range(200)), return_exceptions=True
    )
    delays = [r.retry_after.total_seconds() for r in results if isinstance(r, RetryAfter)]
    assert 25 <= len(delays) <= 75
    assert set(delays) <= {1, 2, 3}
    assert await bot.answer_callback_query("1")  # only flood-limited methods are hit
    fake.inject_429s(0)
    assert (await bot.send_message(PRIVATE, "reda")).message_id == 1


# ----------------------------------------------------------------------------- raw HTTP
async def test_when_raw_json_form_or_query_requests_arrive_then_params_are_decoded(
    fake: FakeBotApi,
) -> None:
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "x"}]]}
    async with aiohttp.ClientSession() as http:
        url = f"{fake.base_url}{TOKEN}"
        json_body = {"chat_id": 5, "text": "123", "reply_markup": markup}
        async with http.post(f"{url}/sendmessage", json=json_body) as resp:
            assert (await resp.json())["result"]["reply_markup"] == markup
        form = {"chat_id": "-5", "text": "[1]", "disable_notification": "true"}
        async with http.post(f"{url}/SendMessage", data=form) as resp:
            assert resp.status == 200
        async with http.get(f"{url}/getMe") as resp:
            assert (await resp.json())["result"]["username"] == "saring_bot"
        async with http.post(f"{url}/nope") as resp:
            assert (resp.status, (await resp.json())["description"]) == (404, "Not Found")
    first, second = fake.sent("sendMessage")
    assert first.params["text"] == "123" and second.params["text"] == "[1]"
    assert (second.params["chat_id"], second.params["disable_notification"]) == (-5, True)


# ----------------------------------------------------------------------------- factories
def _msg(text: str | None = None, **kw: Any) -> dict[str, Any]:
    return f.update_json(f.message_json(text, **kw))


FACTORY_UPDATES: list[tuple[str, Callable[[], dict[str, Any]]]] = [
    ("plain text", lambda: _msg("Halo Bapak")),
    ("command", lambda: f.update_json(f.command_json("cek", "isi pesan"))),
    ("photo with caption", lambda: _msg(caption="foto", photo=True)),
    ("document", lambda: _msg(document=True, caption="surat")),
    ("video", lambda: _msg(video=True)),
    ("text link", lambda: _msg("klik", entities=[f.text_link_entity(0, 4, "https://x.id")])),
    ("url entity", lambda: _msg("lihat x.id", entities=[f.url_entity(6, 4)])),
    ("mention", lambda: _msg("@ani ya", entities=[f.mention_entity(0, 4)])),
    ("fwd channel", lambda: _msg("a", forward_origin=f.origin_channel(-1001, "Info", "info", 5))),
    ("fwd user", lambda: _msg("a", forward_origin=f.origin_user(42, "Ani", "ani"))),
    ("fwd hidden user", lambda: _msg("a", forward_origin=f.origin_hidden_user("Anon"))),
    ("fwd chat", lambda: _msg("a", forward_origin=f.origin_chat(-1002, "Grup", "admin"))),
    ("reply", lambda: _msg("balas", reply_to=f.bot_message_json("asal"))),
    ("reply by id", lambda: _msg("balas", reply_to=3)),
    ("group mention", lambda: f.update_json(f.group_message_json("cek ini", mention_bot=True))),
    ("callback", lambda: f.callback_query_json("esc:ok:1", user_id=7, chat_id=7)),
    ("edited", lambda: f.edited_message_json("ubah")),
    ("channel post", lambda: f.channel_post_json("Pengumuman", username="kanalresmi")),
    ("bot added", lambda: f.my_chat_member_json()),
    (
        "bot promoted",
        lambda: f.my_chat_member_json(old_status="member", new_status="administrator"),
    ),
    ("bot blocked", lambda: f.my_chat_member_json(chat_id=1001, new_status="kicked")),
    ("new members", lambda: f.update_json(f.service_message_json())),
    *[(f"album item {i}", lambda i=i: f.album_json(["satu", None, "tiga"])[i]) for i in range(3)],
]


@pytest.mark.parametrize(
    "build", [b for _, b in FACTORY_UPDATES], ids=[n for n, _ in FACTORY_UPDATES]
)
def test_when_a_factory_update_is_parsed_by_ptb_then_it_round_trips_without_warnings(
    build: Callable[[], dict[str, Any]],
) -> None:
    data = build()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        update = Update.de_json(data, Bot(TOKEN))
    assert [str(w.message) for w in caught] == []
    assert update.update_id == data["update_id"]
    assert update.to_dict().keys() == data.keys()
    assert not update.api_kwargs
    payload = update.effective_message or update.callback_query or update.my_chat_member
    assert payload is not None and not payload.api_kwargs


def test_when_factories_build_messages_then_ptb_sees_the_telegram_shapes() -> None:
    origins = [
        f.origin_channel(-1001, "Info DKI", "infodki", 55),
        f.origin_user(42, "Ani"),
        f.origin_hidden_user("Anon"),
        f.origin_chat(-1002, "Grup", "admin"),
    ]
    kinds = [MessageOriginChannel, MessageOriginUser, MessageOriginHiddenUser, MessageOriginChat]
    for origin, kind in zip(origins, kinds, strict=True):
        assert isinstance(f.make_message("x", forward_origin=origin).forward_origin, kind)
    command = f.make_update(f.update_json(f.command_json("cek", "a b"))).message
    assert command is not None and command.text == "/cek a b"
    assert list(command.parse_entities(["bot_command"]).values()) == ["/cek"]
    mention = f.make_update(f.update_json(f.group_message_json("😀 cek", mention_bot=True)))
    assert mention.message is not None
    assert list(mention.message.parse_entities(["mention"]).values()) == ["@saring_bot"]
    assert mention.message.chat.type == "supergroup"
    album = [f.make_update(u) for u in f.album_json(["a", "b"])]
    assert {u.message.media_group_id for u in album if u.message} == {"13579246801357924"}


async def test_when_factory_updates_are_polled_from_the_fake_then_ptb_parses_them(
    bot: Bot, fake: FakeBotApi
) -> None:
    for _, build in FACTORY_UPDATES:
        fake.push_update(build())
    updates = await bot.get_updates()
    assert len(updates) == len(FACTORY_UPDATES)
    assert len({u.update_id for u in updates}) == len(updates)
