"""Checking a message: facts -> engine -> reply -> record. The path every forward takes.

The check row is recorded (keyed by update_id) before the reply is sent, so a redelivered
update reuses its reference rather than creating a second check (P2). Only the hash, the
verdict and the rule ids are stored, never the text (DESIGN.md, Data and privacy).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, ReplyParameters, Update
from telegram.constants import ChatType

from bot.checking.findings import CheckResult, MessageFacts
from bot.checking.guidance import render_footer
from bot.context import BotContext
from bot.db.albums import AlbumRepository
from bot.db.checks import CheckDraft, CheckRepository
from bot.handlers.cases import take_reason
from bot.inbox.worker import defer_reply_record, retry_while_database_down
from bot.telegram.facts import describe_unsupported, facts_from_message
from bot.telegram.keyboards import check_keyboard
from bot.texts import id as texts

LOGGER = logging.getLogger(__name__)
# Album parts arrive as separate updates; the caption usually rides on the first one. A part
# without caption waits this long for a captioned sibling before saying there is no text.
ALBUM_GRACE_SECONDS = 2.0


async def check_message(update: Update, context: BotContext) -> None:
    """Check a forwarded or pasted message and reply with guidance."""
    message = update.effective_message
    if message is None or await take_reason(update, context):
        return
    # In a group the bot is mentioned under the message someone wants checked.
    in_group = message.chat.type != ChatType.PRIVATE
    target = message.reply_to_message if in_group and message.reply_to_message else message
    if target.from_user is not None and target.from_user.id == context.bot.id:
        return  # a reply to the bot's own message is conversation, not a request
    await reply_with_check(update, context, target)


async def reply_with_check(update: Update, context: BotContext, target: Message) -> None:
    """Check `target` (the message itself, or the one /cek replies to) and answer it."""
    reply_to = update.effective_message
    user = update.effective_user
    if reply_to is None or user is None:
        return
    if target.media_group_id and not await _album_turn(update, context, target):
        return
    unsupported = describe_unsupported(target)
    if unsupported is not None:
        notice = texts.UNSUPPORTED_CONTENT.format(kind=unsupported.capitalize())
        await context.bot.send_message(reply_to.chat_id, notice, reply_parameters=quoting(target))
        return
    services = context.services
    facts = facts_from_message(target)
    result = services.engine.check(facts)
    draft = CheckDraft(
        update_id=update.update_id,
        telegram_user_id=user.id,
        chat_id=reply_to.chat_id,
        content_hash=result.content_hash,
        verdict=result.verdict.value,
        rule_ids=result.rule_ids,
    )
    row, created = await services.check_log.record(draft)
    if not created and row.reply_message_id is not None:
        return  # a redelivered update whose reply already went out
    note = await _escalate(context, result, facts, user.id, row.id)
    text = f"{result.reply}\n\n{note}{render_footer(row.reference, row.created_at)}"
    policy = services.escalator.policy
    keyboard = check_keyboard(
        services.codec,
        row.id,
        result.verdict,
        can_report=policy.can_report(result),
        can_share_anyway=policy.can_share_anyway(result),
    )
    # Quote the checked message: the Detail button re-reads it from the quote, because the
    # text itself is never stored.
    sent = await context.bot.send_message(
        chat_id=reply_to.chat_id,
        text=text,
        reply_markup=keyboard,
        reply_parameters=quoting(target),
    )
    if not defer_reply_record(row.id, sent.message_id):  # recorded with the update's settle
        await _remember_reply(context, row.id, sent.message_id)


async def _remember_reply(context: BotContext, check_id: int, message_id: int) -> None:
    """Record that the reply went out, riding out a short database outage.

    If this record is lost the update is processed again after its lease and the reply is
    sent twice (RELIABILITY P8), so it is retried for most of the lease before giving up.
    """

    async def record() -> None:
        async with context.services.sessions.begin() as session:
            await CheckRepository().set_reply_messages(
                session=session, replies=[(check_id, message_id)]
            )

    lost = await retry_while_database_down(record)
    if lost is not None:
        LOGGER.warning("reply of check %s sent but not recorded: %r", check_id, lost)


async def _escalate(
    context: BotContext, result: CheckResult, facts: MessageFacts, user_id: int, check_id: int
) -> str:
    """Open a case on its own when the policy says so; the reply tells the asker plainly."""
    report = await context.services.escalator.after_check(
        result, facts, reporter_id=user_id, check_id=check_id
    )
    if report is None or report.reference is None:
        return ""
    return texts.AUTO_CASE_NOTE.format(reference=report.reference) + "\n\n"


def quoting(message: Message) -> ReplyParameters:
    """Reply to `message`, and still deliver if it was deleted meanwhile."""
    return ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)


async def _album_turn(update: Update, context: BotContext, part: Message) -> bool:
    """Whether this album part is the one to answer; an album gets one answer, not one per photo.

    The captioned part answers. Captionless parts answer nothing, except that the first of
    them schedules a notice in case no part of the album carries text at all.
    """
    assert part.media_group_id is not None
    albums = AlbumRepository()
    async with context.services.sessions.begin() as session:
        if part.caption or part.text:
            return await albums.mark_answered(
                session=session, media_group_id=part.media_group_id, chat_id=part.chat_id
            )
        first = await albums.first_seen(
            session=session, media_group_id=part.media_group_id, chat_id=part.chat_id
        )
    if first:
        context.application.create_task(
            _notice_if_album_has_no_text(context, part), update=update, name="album-notice"
        )
    return False


async def _notice_if_album_has_no_text(context: BotContext, part: Message) -> None:
    assert part.media_group_id is not None
    await asyncio.sleep(ALBUM_GRACE_SECONDS)
    async with context.services.sessions.begin() as session:
        claimed = await AlbumRepository().mark_answered(
            session=session, media_group_id=part.media_group_id, chat_id=part.chat_id
        )
    if claimed:
        await context.bot.send_message(
            part.chat_id, texts.ALBUM_WITHOUT_TEXT, reply_parameters=quoting(part)
        )
