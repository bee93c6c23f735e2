"""Refusals are answered politely and written to the audit log (RELIABILITY P11).

Probing shows up as a pattern of refusals from one numeric id; an unanswered refusal would
also leave the client's button spinning.
"""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery

from bot.context import BotContext
from bot.db.repositories import AuditRepository
from bot.texts import id as texts


async def audit_refusal(
    context: BotContext, user_id: int, action: str, key: str, detail: dict[str, Any]
) -> None:
    """One audit row: who tried what, on which entity (the attempt, never message text)."""
    async with context.services.sessions.begin() as session:
        await AuditRepository().record(
            session=session,
            actor=f"telegram:{user_id}",
            action=action,
            entity=action.split(".", 1)[0],
            entity_key=key[:255],
            before=None,
            after=detail,
        )


async def refuse_button(
    context: BotContext, query: CallbackQuery, why: str, text: str = texts.BUTTON_EXPIRED
) -> None:
    """Answer a refused press and audit it with the (truncated) data the client sent."""
    await audit_refusal(
        context, query.from_user.id, "button.refused", (query.data or "")[:64], {"why": why}
    )
    await query.answer(text, show_alert=True)
