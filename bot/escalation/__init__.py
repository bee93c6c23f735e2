"""Escalation: when a check becomes a case, who is alerted, and what every alert says.

`policy` (the rules as data) and `alerts` (the messages) are pure; the Escalator in `service`
does the database and Telegram work.
"""

from __future__ import annotations

from bot.escalation.policy import AlertPlan, EscalationPolicy, Trigger, load_policy

ESCALATION_FILE = "escalation.yaml"

__all__ = ["ESCALATION_FILE", "AlertPlan", "EscalationPolicy", "Trigger", "load_policy"]
