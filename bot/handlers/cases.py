"""Escalation in the chat: report buttons, "share anyway", alert buttons, reasons, /kasus.

The content a report is about is read again from the message the check reply quotes (the
text is never stored outside the sealed evidence). Who may press an alert button is decided
by the Escalator on every press, from numeric ids; a refusal is answered and audited.
"""

from __future__ import annotations

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.context import BotContext
from bot.db.checks import CheckRepository
from bot.db.models import CheckRow
from bot.escalation.policy import Trigger
from bot.escalation.service import ActOutcome, ReportOutcome
from bot.handlers.refusals import audit_refusal, refuse_button
from bot.telegram.facts import facts_from_message
from bot.texts import id as texts

REPORT_ACTION = "r"
SHARE_ACTION = "s"
SHARE_CONFIRM_ACTION = "sc"
ALERT_ACTIONS = ("ack", "fwd", "nov", "dec", "cfm")
_REPORT_REPLIES = {
    ReportOutcome.OPENED: texts.REPORT_OPENED,
    ReportOutcome.MERGED: texts.REPORT_MERGED,
    ReportOutcome.ALREADY_REPORTED: texts.REPORT_ALREADY,
    ReportOutcome.RATE_LIMITED: texts.REPORT_LIMITED,
    ReportOutcome.NOT_REPORTABLE: texts.REPORT_NOT_NEEDED,
}


async def report_content(update: Update, context: BotContext) -> None:
    """Open or join a case after "Laporkan ke pimpinan" or a confirmed "share anyway"."""
    query = update.callback_query
    if query is None:
        return
    pressed = await own_check(context, query)
    if pressed is None:
        return
    action, check = pressed
    original = await _quoted_original(query.message)
    if original is None:
        await query.answer(texts.ORIGINAL_GONE, show_alert=True)
        return
    facts = facts_from_message(original)
    result = context.services.engine.check(facts)
    trigger = Trigger.SHARE_ANYWAY if action == SHARE_CONFIRM_ACTION else Trigger.REPORT
    report = await context.services.escalator.report(
        result, facts, reporter_id=query.from_user.id, check_id=check.id, trigger=trigger
    )
    await query.answer(
        _REPORT_REPLIES[report.outcome].format(reference=report.reference), show_alert=True
    )


async def warn_share_anyway(update: Update, context: BotContext) -> None:
    """Say that sharing a 🔴 message anyway will be recorded, and ask to confirm."""
    query = update.callback_query
    if query is None:
        return
    pressed = await own_check(context, query)
    if pressed is None:
        return
    confirm = context.services.codec.encode(SHARE_CONFIRM_ACTION, pressed[1].id)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BUTTON_SHARE_ANYWAY_CONFIRM, callback_data=confirm)]]
    )
    await query.answer()
    reply_to = query.message if isinstance(query.message, Message) else None
    if reply_to is not None:
        await reply_to.reply_text(texts.SHARE_ANYWAY_WARNING, reply_markup=keyboard, do_quote=True)


async def act_on_alert(update: Update, context: BotContext) -> None:
    """Carry out an official's press on an alert button (ack, forward, dismiss, decide)."""
    query = update.callback_query
    decoded = context.services.codec.decode(query.data if query else None)
    if query is None:
        return
    if decoded is None:
        await refuse_button(context, query, "invalid")
        return
    action, token_id = decoded
    result = await context.services.escalator.act(action, token_id, query.from_user.id)
    reference = result.reference or "-"
    if result.outcome is ActOutcome.REFUSED:
        detail = {"action": action, "case_id": result.case_id}
        await audit_refusal(context, query.from_user.id, "button.refused", str(token_id), detail)
        await query.answer(texts.ACT_REFUSED, show_alert=True)
    elif result.outcome is ActOutcome.ASK_REASON:
        await query.answer()
        chat_id = query.message.chat.id if query.message else query.from_user.id
        await context.bot.send_message(
            chat_id,
            texts.ASK_REASON.format(reference=reference),
            reply_markup=ForceReply(selective=True),
        )
    elif result.outcome is ActOutcome.DONE:
        await query.answer(texts.ACT_DONE.format(reference=reference))
    elif result.outcome is ActOutcome.NOT_ALLOWED:
        await query.answer(texts.ACT_NOT_ALLOWED.format(reference=reference), show_alert=True)
    else:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)


async def take_reason(update: Update, context: BotContext) -> bool:
    """If the sender owes a reason for a pending decision, record it; True when it did."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text or message.text.startswith("/"):
        return False
    # The question was sent with ForceReply, so an answer is a reply to the bot; anything else
    # is a message to check, and skipping the lookup keeps a transaction off that hot path.
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return False
    escalator = context.services.escalator
    async with context.services.sessions.begin() as session:
        pending = await escalator.cases.take_input(session=session, user_id=user.id)
    if pending is None:
        return False
    result = await escalator.act(pending.action, pending.token_id, user.id, reason=message.text)
    if result.outcome is ActOutcome.DONE:
        await message.reply_text(texts.REASON_RECORDED.format(reference=result.reference))
    else:
        await message.reply_text(texts.BUTTON_EXPIRED)
    return True


async def list_cases(update: Update, context: BotContext) -> None:
    """List the open cases this official may see, and officials who cannot be alerted."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    escalator = context.services.escalator
    cases = await escalator.visible_cases(user.id)
    if cases is None:
        await message.reply_text(texts.CASES_NOT_ALLOWED)
        return
    lines = [texts.CASES_HEADER.format(count=len(cases)) if cases else texts.CASES_NONE]
    for case in cases:
        lines.append(
            texts.CASES_LINE.format(
                reference=case.reference,
                status=texts.CASE_STATUS_LABELS.get(case.status, case.status),
                rules=", ".join(case.rule_ids),
                count=case.reporter_count,
            )
        )
    unenrolled = await escalator.unenrolled_officials()
    if unenrolled:
        lines += ["", texts.CASES_UNENROLLED]
        lines += [
            texts.CASES_UNENROLLED_LINE.format(
                name=o.name,
                role=o.role,
                problem=texts.OFFICIAL_PROBLEMS.get((o.problem or "").split(":")[0], o.problem),
            )
            for o in unenrolled
        ]
    await message.reply_text("\n".join(lines)[:4000])


async def _quoted_original(message: object) -> Message | None:
    """The user's message the bot's check reply quotes, if Telegram still shows it."""
    if not isinstance(message, Message):
        return None
    return message.reply_to_message


async def own_check(context: BotContext, query: CallbackQuery) -> tuple[str, CheckRow] | None:
    """(action, check) behind a report button, pressed by the person who asked for it."""
    decoded = context.services.codec.decode(query.data)
    if decoded is None:
        await refuse_button(context, query, "invalid")
        return None
    async with context.services.sessions() as session:
        check = await CheckRepository().by_id(session=session, check_id=decoded[1])
    if check is None or check.telegram_user_id != query.from_user.id:
        await refuse_button(context, query, "not the asker's check")
        return None
    return decoded[0], check
