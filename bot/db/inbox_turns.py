"""Whose turn it is: the statements that pick the inbox updates a worker may claim.

Per-chat order (RELIABILITY P4): only the lowest unfinished update of a chat is claimable, and
only while no other update of that chat is processing under a live lease. On PostgreSQL two
replicas could each see a different "lowest" row when a lower update_id commits late, so the
claim takes a transaction-scoped advisory lock per chat (try-lock: a chat another claimer is
busy with is simply skipped) and re-reads under the lock (bot/db/inbox.py, `claim`).

The statements are built once, with bound parameters: a worker claims many times a second,
and building this query anew (aliases, EXISTS subqueries, a fresh cache key) cost
milliseconds of CPU each time (benchmarks/pipeline.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    not_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from bot.db.models import InboxRow, UTCDateTime

PENDING = "pending"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"
# Unfinished updates a claim looks at, oldest first (see `_heads_in_window`).
WINDOW = 2_000
# Namespace (first key) of the per-chat advisory locks; the second key is derived from chat_id.
CHAT_LOCK_NAMESPACE = 0x5A_494E_42  # "ZINB"
# Takes, in one round trip, the try-locks of every candidate chat; returns the chats it got.
LOCK_CHATS = text(
    "SELECT chat_id FROM unnest(CAST(:chats AS bigint[])) AS chat_id"
    " WHERE pg_try_advisory_xact_lock(:namespace, CAST(chat_id % 2147483647 AS integer))"
).bindparams(bindparam("chats", type_=ARRAY(InboxRow.chat_id.type)))


@dataclass(frozen=True, slots=True)
class ClaimStatements:
    candidates: Select[Any]  # (update_id, chat_id) in turn; binds now, limit
    take_locked: Any  # PostgreSQL: re-read under the chat locks and take; + locked, worker, until
    take: Any  # SQLite: take these ids; binds ids, worker, until


@functools.cache
def claim_statements() -> ClaimStatements:
    """The claim's statements, built once (see the module docstring)."""
    table = InboxRow.__table__
    in_turn = _claimable(table, bindparam("now", type_=UTCDateTime()))
    lowest_first = (table.c.update_id,)
    limit = bindparam("limit", type_=Integer())
    locked_chat = or_(
        table.c.chat_id.is_(None),
        table.c.chat_id == any_(bindparam("locked", type_=ARRAY(table.c.chat_id.type))),
    )
    locked_rows = (
        select(table.c.update_id)
        .where(in_turn, locked_chat)
        .order_by(*lowest_first)
        .limit(limit)
        .with_for_update(skip_locked=True, of=table)
    )
    taken = {
        "status": PROCESSING,
        "claimed_by": bindparam("worker"),
        "claimed_until": bindparam("until", type_=UTCDateTime()),
    }
    returned = (table.c.update_id, table.c.chat_id, table.c.payload, table.c.attempts)
    return ClaimStatements(
        candidates=_heads_in_window(table, bindparam("now", type_=UTCDateTime()), limit),
        take_locked=update(table)
        .where(table.c.update_id.in_(locked_rows.scalar_subquery()))
        .values(**taken)
        .returning(*returned),
        take=update(table)
        .where(table.c.update_id.in_(bindparam("ids", expanding=True)))
        .values(**taken)
        .returning(*returned),
    )


def _heads_in_window(table: Any, now: Any, limit: Any) -> Select[Any]:
    """The oldest claimable chat heads among the WINDOW oldest unfinished updates.

    Why a window: asking the whole table which rows are in turn costs a probe per waiting
    row, so a claim grew with the backlog, and a backlog that slowed claims grew faster
    (B3 at 200/s collapsed after 40 s). The WINDOW oldest unfinished updates come in order
    from a partial index, and a chat with a row among them has its lowest unfinished row
    among them too, so "first of its chat" is a window function over these rows alone.
    Rows past the window wait until older ones finish: first come, first served.
    """
    unfinished = (
        select(table.c.update_id, table.c.chat_id, table.c.status, table.c.claimed_until)
        .where(table.c.status.in_((PENDING, PROCESSING)))
        .order_by(table.c.update_id)
        .limit(WINDOW)
        .cte("unfinished")
    )
    live = and_(unfinished.c.status == PROCESSING, unfinished.c.claimed_until >= now)
    chat = {"partition_by": unfinished.c.chat_id}
    ranked = select(
        unfinished,
        func.row_number().over(order_by=unfinished.c.update_id, **chat).label("turn"),
        func.sum(case((live, 1), else_=0)).over(**chat).label("busy"),
    ).subquery("ranked")
    ready = _ready(ranked, now)
    in_turn = or_(ranked.c.chat_id.is_(None), and_(ranked.c.turn == 1, ranked.c.busy == 0))
    return (
        select(ranked.c.update_id, ranked.c.chat_id)
        .where(ready, in_turn)
        .order_by(ranked.c.update_id)
        .limit(limit)
    )


def _claimable(table: Any, now: Any) -> Any:
    """Updates that may be claimed at `now` (see the module docstring)."""
    earlier, busy = table.alias("earlier"), table.alias("busy")
    earlier_unfinished = exists().where(
        earlier.c.chat_id == table.c.chat_id,
        earlier.c.status.in_((PENDING, PROCESSING)),
        earlier.c.update_id < table.c.update_id,
    )
    other_busy = exists().where(
        busy.c.chat_id == table.c.chat_id,
        busy.c.status == PROCESSING,
        busy.c.claimed_until >= now,
        busy.c.update_id != table.c.update_id,
    )
    ready = _ready(table, now)
    in_turn = or_(table.c.chat_id.is_(None), and_(not_(earlier_unfinished), not_(other_busy)))
    return and_(ready, in_turn)


def _ready(rows: Any, now: Any) -> Any:
    """Pending and due, or processing under a lease that has run out (any table or subquery)."""
    return or_(
        and_(
            rows.c.status == PENDING,
            or_(rows.c.claimed_until.is_(None), rows.c.claimed_until <= now),
        ),
        and_(rows.c.status == PROCESSING, rows.c.claimed_until < now),
    )
