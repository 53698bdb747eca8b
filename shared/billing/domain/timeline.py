"""A customer's timeline of billing events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from billing.domain.ids import new_id

SYSTEM_ACTOR = "billow"  # what Billow does by itself (a billing run, a refund followed) is done by this actor


@dataclass(frozen=True)
class TimelineEvent:
    id: str
    customer_id: str
    type: str
    occurred_at: datetime
    actor: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


def timeline_event(
    customer_id: str, event_type: str, at: datetime, actor: str, summary: str, **data: Any
) -> TimelineEvent:
    return TimelineEvent(new_id("event"), customer_id, event_type, at, actor, summary, data)
