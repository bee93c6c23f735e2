"""Commands any ASN may use.

/start, /bantuan, /cek, /daftar, /sumber, /privasi, /dataku and /hapusdataku.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.checking.identifiers import is_valid_nip, mask_digits
from bot.context import BotContext
from bot.db.checks import CheckRepository
from bot.db.contacts import ContactRepository
from bot.db.staff import LinkResult, StaffRepository
from bot.handlers.messages import reply_with_check
from bot.handlers.refusals import refuse_button
from bot.texts import id as texts

DELETE_ACTION = "x"
_REGISTER_REPLIES = {
    LinkResult.LINKED: texts.REGISTER_LINKED,
    LinkResult.ALREADY_LINKED_SAME: texts.REGISTER_SAME,
    LinkResult.NIP_UNKNOWN: texts.REGISTER_UNKNOWN,
    LinkResult.NIP_TAKEN: texts.REGISTER_TAKEN,
    LinkResult.USER_HAS_OTHER_NIP: texts.REGISTER_OTHER,
    LinkResult.NEEDS_ADMIN: texts.REGISTER_NEEDS_ADMIN,
}


async def start(update: Update, context: BotContext) -> None:
    """Say what Saring does, what it keeps and for how long."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if message.chat.type == ChatType.PRIVATE:
        # From now on the bot may write to this person first (alerts for officials, P9).
        async with context.services.sessions.begin() as session:
            await ContactRepository().mark_started(session=session, chat_id=user.id)
    days = context.services.settings.retention_days
    await message.reply_text(texts.START.format(retention_days=days))


async def show_help(update: Update, context: BotContext) -> None:
    """Explain how to use the bot, in private chats and in groups."""
    if update.effective_message is None:
        return
    text = texts.HELP.format(bot_username=context.bot.username or "saring_bot")
    await update.effective_message.reply_text(text)


async def show_privacy(update: Update, context: BotContext) -> None:
    """Explain what is stored, why, and for how long."""
    if update.effective_message is None:
        return
    days = context.services.settings.retention_days
    await update.effective_message.reply_text(texts.PRIVACY.format(retention_days=days))


async def check_replied(update: Update, context: BotContext) -> None:
    """Check the message this /cek replies to."""
    message = update.effective_message
    if message is None:
        return
    if message.reply_to_message is None:
        await message.reply_text(texts.CHECK_NEEDS_REPLY)
        return
    await reply_with_check(update, context, message.reply_to_message)


async def register(update: Update, context: BotContext) -> None:
    """Link the sender's numeric Telegram id to their NIP in the staff roster."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    nip = "".join((context.args or [""])[0].split()) if context.args else ""
    if not nip:
        await message.reply_text(texts.REGISTER_USAGE)
        return
    if not is_valid_nip(nip):
        await message.reply_text(texts.REGISTER_INVALID)
        return
    async with context.services.sessions.begin() as session:
        result = await StaffRepository().link_telegram(
            session=session, nip=nip, telegram_user_id=user.id, actor=f"telegram:{user.id}"
        )
    await message.reply_text(_REGISTER_REPLIES[result].format(nip=mask_digits(nip)))


async def search_sources(update: Update, context: BotContext) -> None:
    """List official sources whose name or value contains the word."""
    message = update.effective_message
    if message is None:
        return
    word = " ".join(context.args or []).strip()
    if not word:
        await message.reply_text(texts.SOURCES_USAGE)
        return
    found = context.services.engine.registry.search(word[:100], limit=10)
    if not found:
        await message.reply_text(texts.SOURCES_NONE.format(word=word[:100]))
        return
    lines = [texts.SOURCES_FOUND.format(word=word[:100])]
    lines += [texts.SOURCE_LINE.format(name=e.name, value=e.value) for e in found]
    await message.reply_text("\n".join(lines))


async def export_my_data(update: Update, context: BotContext) -> None:
    """Send the user everything Saring holds about them, as a JSON file (UU PDP)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.chat.type != ChatType.PRIVATE:
        return
    async with context.services.sessions() as session:
        data = await CheckRepository().export_user(session=session, telegram_user_id=user.id)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    await message.reply_document(
        document=body, filename=f"saring-data-{stamp}.json", caption=texts.EXPORT_CAPTION
    )


async def ask_delete_my_data(update: Update, context: BotContext) -> None:
    """Ask for confirmation before deleting the user's data."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.chat.type != ChatType.PRIVATE:
        return
    data = context.services.codec.encode(DELETE_ACTION, user.id)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.DELETE_BUTTON, callback_data=data)]]
    )
    await message.reply_text(texts.DELETE_CONFIRM, reply_markup=keyboard)


async def delete_my_data(update: Update, context: BotContext) -> None:
    """Delete the presser's own data once they confirmed; the button names whose data it is."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    decoded = context.services.codec.decode(query.data)
    if decoded is None or decoded[1] != query.from_user.id:
        await refuse_button(context, query, "not the owner's data", texts.NOT_YOURS)
        return
    user_id = query.from_user.id
    async with context.services.sessions.begin() as session:
        report = await CheckRepository().delete_user(
            session=session, telegram_user_id=user_id, actor=f"telegram:{user_id}"
        )
    lines = [
        texts.DELETE_DONE.format(checks=report.checks_deleted, feedback=report.feedback_deleted)
    ]
    if report.retained:
        lines += ["", texts.DELETE_RETAINED, *(f"• {item}" for item in report.retained)]
    await query.answer()
    await query.edit_message_text("\n".join(lines))
