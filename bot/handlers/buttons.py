"""Inline buttons under a check reply: details and "deteksi keliru" feedback.

Callback data comes from the client, so it is an opaque signed id (`CallbackCodec`); a
forged or altered button decodes to nothing and is refused. Details are computed again from
the original message the reply quotes, because the text itself is never stored.
"""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update

from bot.context import BotContext
from bot.db.checks import CheckRepository
from bot.db.models import CheckRow
from bot.handlers.refusals import refuse_button
from bot.telegram.details import render_details
from bot.telegram.facts import facts_from_message
from bot.telegram.keyboards import ACTION_DETAILS, ACTION_FALSE_POSITIVE
from bot.texts import id as texts

DETAILS_ACTION = ACTION_DETAILS
FEEDBACK_ACTION = ACTION_FALSE_POSITIVE


async def show_details(update: Update, context: BotContext) -> None:
    """Reply with the full explanation of a check."""
    query = update.callback_query
    if query is None:
        return
    row = await pressed_check(context, query)
    if row is None:
        return
    bot_reply = query.message
    original = getattr(bot_reply, "reply_to_message", None)
    if not isinstance(bot_reply, Message) or original is None:
        await query.answer(texts.ORIGINAL_GONE, show_alert=True)
        return
    result = context.services.engine.check(facts_from_message(original))
    await query.answer()
    await bot_reply.reply_text(render_details(result, row.reference))


async def record_feedback(update: Update, context: BotContext) -> None:
    """Record that the presser believes a finding was wrong."""
    query = update.callback_query
    if query is None:
        return
    row = await pressed_check(context, query)
    if row is None:
        return
    rule = row.rule_ids[0] if row.rule_ids else None
    async with context.services.sessions.begin() as session:
        added = await CheckRepository().add_feedback(
            session=session, check_id=row.id, telegram_user_id=query.from_user.id, rule=rule
        )
    await query.answer(texts.FEEDBACK_THANKS if added else texts.FEEDBACK_ALREADY)


async def pressed_check(context: BotContext, query: CallbackQuery) -> CheckRow | None:
    """The check a button belongs to, only if the button sits under that check's own reply.

    Signed data proves the bot issued it, not where: data copied from another reply must not
    act on (or reveal) someone else's check. Refusals are answered and audited.
    """
    decoded = context.services.codec.decode(query.data)
    message = query.message
    if decoded is None or message is None:
        await refuse_button(context, query, "invalid")
        return None
    async with context.services.sessions() as session:
        row = await CheckRepository().by_id(session=session, check_id=decoded[1])
    if row is None:
        await refuse_button(context, query, "unknown check")
        return None
    if row.chat_id != message.chat.id or row.reply_message_id != message.message_id:
        await refuse_button(context, query, "button moved to another message")
        return None
    return row


async def refuse_unknown_button(update: Update, context: BotContext) -> None:
    """Answer a button nobody handles (forged, or outdated) so the client stops waiting."""
    query = update.callback_query
    if query is not None:
        await refuse_button(context, query, "no handler")
