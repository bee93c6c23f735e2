"""Group -1: drop what Saring must not answer before any other handler sees it.

Identity is the numeric id. Telegram itself (777000) and the anonymous group admin
(1087968824) are never people, so nothing they send counts as a request or a role. In
groups the bot speaks only when commanded or mentioned: noise there is how a bot gets kicked.
"""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.handlers.refusals import audit_refusal
from bot.identities import NOT_PEOPLE


async def guard(update: Update, context: BotContext) -> None:
    """Stop updates from non-people, channel posts and group chatter not meant for the bot."""
    user = update.effective_user
    if user is None or user.is_bot or user.id in NOT_PEOPLE:
        message = update.effective_message
        if user is not None and message is not None and (message.text or "").startswith("/"):
            # A command under an identity that is never a person (the anonymous group admin)
            # is refused like any other, and leaves the same trace.
            command = message.text.split(maxsplit=1)[0][:64] if message.text else ""
            await audit_refusal(
                context, user.id, "command.refused", command, {"chat_id": message.chat_id}
            )
        raise ApplicationHandlerStop
    if update.channel_post or update.edited_channel_post or update.edited_message:
        raise ApplicationHandlerStop
    message = update.message
    chat = update.effective_chat
    if message is None or chat is None or chat.type == ChatType.PRIVATE:
        return
    if not _addressed_to_bot(message, context.bot.username):
        raise ApplicationHandlerStop


def _addressed_to_bot(message: Message, username: str | None) -> bool:
    """A command, an @mention of the bot, or a reply to one of the bot's messages."""
    entities = message.parse_entities([MessageEntity.BOT_COMMAND, MessageEntity.MENTION])
    handle = f"@{username}".casefold() if username else None
    for entity, text in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return "@" not in text or (handle is not None and text.casefold().endswith(handle))
        if entity.type == MessageEntity.MENTION and handle and text.casefold() == handle:
            return True
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.username == username)
