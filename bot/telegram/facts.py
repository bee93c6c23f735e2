"""Read what the engine may look at out of a PTB `Message`.

Identity rules (RELIABILITY.md P12/P13): only numeric ids identify a channel, group or user.
A hidden sender yields a `ForwardOrigin` without any id, so however it is named, the registry
has nothing to match and the origin can never be reported as official.
"""

from __future__ import annotations

import telegram
from telegram.constants import MessageEntityType

from bot.checking.findings import ForwardOrigin, MessageFacts, OriginKind
from bot.texts import id as texts

MAX_CHECK_CHARS = 4096  # Telegram's own limit for text; captions 1024

_URL_ENTITY_TYPES = [MessageEntityType.URL, MessageEntityType.TEXT_LINK]
# Checked in this order: an animation also carries `document`, a venue also carries `location`.
_CONTENT_ATTRIBUTES = (
    "animation",
    "photo",
    "video",
    "video_note",
    "voice",
    "audio",
    "document",
    "sticker",
    "venue",
    "location",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "invoice",
)


def message_text(message: telegram.Message) -> str:
    """The text to check: the message text, or the caption of a photo, video, document..."""
    return message.text or message.caption or ""


def facts_from_message(message: telegram.Message) -> MessageFacts:
    """Everything the engine may look at; the text is passed through as the user sent it."""
    return MessageFacts(
        text=message_text(message),
        entity_urls=entity_urls(message),
        forward=forward_origin(message),
    )


def entity_urls(message: telegram.Message) -> tuple[str, ...]:
    """Targets of `text_link` entities and the text of `url` entities, in order, once each.

    PTB converts Telegram's UTF-16 offsets, so an emoji before a link does not shift it.
    """
    if message.text is not None:
        parsed = message.parse_entities(_URL_ENTITY_TYPES)
    elif message.caption is not None:
        parsed = message.parse_caption_entities(_URL_ENTITY_TYPES)
    else:
        return ()
    urls: list[str] = []
    for entity, written in sorted(parsed.items(), key=lambda item: item[0].offset):
        url = entity.url if entity.type == MessageEntityType.TEXT_LINK else written
        url = (url or "").strip()
        if url:
            urls.append(url)
    return tuple(dict.fromkeys(urls))


def forward_origin(message: telegram.Message) -> ForwardOrigin | None:
    """Where Telegram says the message came from; None for a typed or copied message.

    A linked channel's post that Telegram copies into its discussion group
    (`is_automatic_forward`) counts as a forward from that channel (`sender_chat`) when Telegram
    gives no `forward_origin` of its own.
    """
    origin = message.forward_origin
    if origin is not None:
        return _from_origin(origin)
    chat = message.sender_chat
    if message.is_automatic_forward and chat is not None:
        return ForwardOrigin(
            OriginKind.CHANNEL, chat_id=chat.id, username=chat.username, title=chat.title
        )
    return None


def _from_origin(origin: telegram.MessageOrigin) -> ForwardOrigin | None:
    if isinstance(origin, telegram.MessageOriginChannel):
        chat = origin.chat
        return ForwardOrigin(
            OriginKind.CHANNEL, chat_id=chat.id, username=chat.username, title=chat.title
        )
    if isinstance(origin, telegram.MessageOriginChat):
        chat = origin.sender_chat
        return ForwardOrigin(
            OriginKind.CHAT, chat_id=chat.id, username=chat.username, title=chat.title
        )
    if isinstance(origin, telegram.MessageOriginUser):
        user = origin.sender_user
        return ForwardOrigin(
            OriginKind.USER, user_id=user.id, username=user.username, sender_name=user.full_name
        )
    if isinstance(origin, telegram.MessageOriginHiddenUser):
        return ForwardOrigin(OriginKind.HIDDEN_USER, sender_name=origin.sender_user_name)
    # A future origin type: it is a forward, but nothing in it can be verified.
    return ForwardOrigin(OriginKind.HIDDEN_USER)


def describe_unsupported(message: telegram.Message) -> str | None:
    """None when there is text to check; otherwise what the message is, in Indonesian.

    The handler uses it to say what Saring can check instead of silently ignoring a photo.
    """
    if message_text(message).strip():
        return None
    for attribute in _CONTENT_ATTRIBUTES:
        if getattr(message, attribute, None):
            return texts.CONTENT_KINDS[attribute]
    return texts.CONTENT_UNKNOWN
