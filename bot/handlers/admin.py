"""Commands for Diskominfotik admins: registry, hoax database, statistics.

Who is an admin is decided by the numeric Telegram id only: `SARING_ADMIN_IDS` or the
`admin` role in the staff roster. A username is a label anybody can take over. Every refusal
is answered politely and audited, so probing shows up in the audit log (P11).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import wraps

from telegram import Update

from bot.checking.sources import SourceKind
from bot.context import BotContext
from bot.db.check_stats import check_stats
from bot.db.repositories import DuplicateSourceError
from bot.db.staff import StaffRepository
from bot.handlers.refusals import audit_refusal
from bot.identities import NOT_PEOPLE
from bot.registry.hoaxes import HoaxInputError
from bot.registry.sources import SourceInputError
from bot.texts import id as texts

STATS_DAYS = 30
Handler = Callable[[Update, BotContext], Awaitable[None]]


async def is_admin(context: BotContext, user_id: int) -> bool:
    """An admin by configuration or by roster role; never Telegram's service identities."""
    if user_id in NOT_PEOPLE:
        return False
    if user_id in context.services.settings.admin_ids:
        return True
    async with context.services.sessions() as session:
        return await StaffRepository().role_of(session=session, telegram_user_id=user_id) == "admin"


def admin_only(handler: Handler) -> Handler:
    """Run the command for admins; refuse and audit everyone else."""

    @wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return
        if await is_admin(context, user.id):
            await handler(update, context)
            return
        command = (message.text or "").split(maxsplit=1)[0][:64]
        detail = {"chat_id": message.chat_id, "chat_type": message.chat.type}
        await audit_refusal(context, user.id, "command.refused", command, detail)
        await message.reply_text(texts.ADMIN_REFUSED)

    return guarded


@admin_only
async def add_source(update: Update, context: BotContext) -> None:
    """Register an official source: /sumber_tambah KIND VALUE [name]."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    args = context.args or []
    if len(args) < 2:
        kinds = ", ".join(k.value for k in SourceKind)
        await message.reply_text(texts.ADMIN_SOURCE_USAGE.format(kinds=kinds))
        return
    name = " ".join(args[2:]) or None
    try:
        row = await context.services.sources.add(
            args[0], args[1], name=name, actor=f"telegram:{user.id}"
        )
    except SourceInputError as exc:
        await message.reply_text(texts.ADMIN_INVALID.format(problem=str(exc)[:300]))
        return
    except DuplicateSourceError:
        await message.reply_text(texts.ADMIN_SOURCE_EXISTS.format(kind=args[0], value=args[1]))
        return
    await context.services.reload_engine()
    await message.reply_text(
        texts.ADMIN_SOURCE_ADDED.format(kind=row.kind, value=row.value, name=row.name)
    )


@admin_only
async def remove_source(update: Update, context: BotContext) -> None:
    """Remove an official source: /sumber_hapus KIND VALUE."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    args = context.args or []
    if len(args) != 2:
        await message.reply_text(texts.ADMIN_SOURCE_REMOVE_USAGE)
        return
    try:
        removed = await context.services.sources.remove(
            args[0], args[1], actor=f"telegram:{user.id}"
        )
    except SourceInputError as exc:
        await message.reply_text(texts.ADMIN_INVALID.format(problem=str(exc)[:300]))
        return
    template = texts.ADMIN_SOURCE_REMOVED if removed else texts.ADMIN_SOURCE_MISSING
    if removed:
        await context.services.reload_engine()
    await message.reply_text(template.format(kind=args[0], value=args[1]))


@admin_only
async def add_hoax(update: Update, context: BotContext) -> None:
    """Record the replied-to message as a known hoax: /hoaks_tambah CLARIFICATION_URL."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    replied = message.reply_to_message
    claim = (replied.text or replied.caption or "") if replied else ""
    if not claim or not context.args:
        await message.reply_text(texts.ADMIN_HOAX_USAGE)
        return
    try:
        row, created = await context.services.hoaxes.add(
            claim, context.args[0], actor=f"telegram:{user.id}", source="telegram"
        )
    except HoaxInputError as exc:
        await message.reply_text(texts.ADMIN_INVALID.format(problem=str(exc)[:300]))
        return
    if created:
        await context.services.reload_engine()
    template = texts.ADMIN_HOAX_ADDED if created else texts.ADMIN_HOAX_EXISTS
    await message.reply_text(template.format(id=row.id))


@admin_only
async def show_statistics(update: Update, context: BotContext) -> None:
    """Checks per day, verdicts, top rules and feedback over the last 30 days."""
    message = update.effective_message
    assert message is not None
    since = datetime.now(UTC) - timedelta(days=STATS_DAYS)
    async with context.services.sessions() as session:
        stats = await check_stats(session, since)
    lines = [texts.STATS_HEADER.format(days=STATS_DAYS)]
    lines.append(texts.STATS_TOTAL.format(total=sum(stats.verdicts.values())))
    for verdict, label in texts.VERDICT_LABELS.items():
        lines.append(texts.STATS_VERDICT.format(label=label, count=stats.verdicts.get(verdict, 0)))
    top = ", ".join(f"{rule} ({count})" for rule, count in stats.top_rules) or "-"
    lines.append(texts.STATS_RULES.format(rules=top))
    lines.append(texts.STATS_FEEDBACK.format(feedback=sum(stats.feedback.values())))
    lines += [texts.STATS_DAY.format(day=day, count=count) for day, count in stats.per_day[-7:]]
    await message.reply_text("\n".join(lines))
