"""Figures for admins (/statistik): checks per day, verdicts, top rules, feedback per rule.

Counted from what a check row keeps (verdict and rule ids, never the text), for a window
that starts at `since`; days are UTC calendar days on both databases.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckRow, FeedbackRow

TOP_RULES = 5


@dataclass(frozen=True, slots=True)
class Stats:
    """Figures for the admin since a point in time; days are UTC calendar days."""

    since: datetime
    total: int
    per_day: list[tuple[date, int]]
    verdicts: dict[str, int]
    top_rules: list[tuple[str, int]]
    # Feedback presses per rule, most first; None is feedback on the verdict as a whole.
    feedback: dict[str | None, int]


async def check_stats(session: AsyncSession, since: datetime) -> Stats:
    """Checks per UTC day, verdict counts, the most frequent rules and feedback per rule."""
    recent = CheckRow.created_at >= since
    day = _utc_day(session)
    per_day = await session.execute(
        select(day, func.count()).where(recent).group_by(day).order_by(day)
    )
    verdicts = await session.execute(
        select(CheckRow.verdict, func.count()).where(recent).group_by(CheckRow.verdict)
    )
    rule_counts: Counter[str] = Counter()
    for rule_ids in await session.scalars(select(CheckRow.rule_ids).where(recent)):
        rule_counts.update(set(rule_ids or ()))
    feedback = await session.execute(
        select(FeedbackRow.rule, func.count())
        .where(FeedbackRow.created_at >= since)
        .group_by(FeedbackRow.rule)
    )
    verdict_counts = {verdict: int(count) for verdict, count in verdicts}
    return Stats(
        since=since,
        total=sum(verdict_counts.values()),
        per_day=[(_as_date(value), int(count)) for value, count in per_day],
        verdicts=verdict_counts,
        top_rules=sorted(rule_counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_RULES],
        feedback=dict(
            sorted(
                ((rule or None, int(count)) for rule, count in feedback),
                key=lambda item: (-item[1], item[0] or ""),
            )
        ),
    )


def _utc_day(session: AsyncSession) -> Any:
    """The UTC calendar day of `created_at` (PostgreSQL would use the session time zone)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", CheckRow.created_at), Date)
    return func.date(CheckRow.created_at)  # SQLite stores naive UTC text


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
