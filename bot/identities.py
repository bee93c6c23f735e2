"""Telegram ids that are never people and therefore never hold a role or make a request.

Trust numeric ids only, and not these: 777000 is Telegram itself (service notifications,
automatic forwards), 1087968824 is the anonymous group admin, 136817688 the "Channel" bot
that stands in for a channel posting in a group.
"""

from __future__ import annotations

TELEGRAM_SERVICE_ID = 777000
ANONYMOUS_ADMIN_ID = 1087968824
CHANNEL_BOT_ID = 136817688
NOT_PEOPLE = frozenset({TELEGRAM_SERVICE_ID, ANONYMOUS_ADMIN_ID, CHANNEL_BOT_ID})
