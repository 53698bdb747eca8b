"""The nightly billing run: one record per tenant and date, counting what the run did.
Its id is the date, so every run of that date (a retry, a second one racing) adds to one record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Outcome(StrEnum):
    """What the run did with one subscription; each names a count of the run's record."""

    DUE = "due"  # planned: due on or before the run's date
    INVOICED = "invoiced"  # a period's invoice written
    CHARGED = "charged"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing due after all (billed by another run, or changed meanwhile)
    ACTIVATED = "activated"  # a scheduled subscription whose start came
    CANCELED = "canceled"  # canceled at the end of its period
    EXPIRED = "expired"
    REMINDERS = "reminders"
    RETRIED = "retried"  # a failed charge tried again


@dataclass(frozen=True)
class BillingRun:
    tenant_id: str
    id: str  # run_<date>
    run_date: date
    started_at: datetime
    updated_at: datetime
    due: int = 0
    invoiced: int = 0
    charged: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    activated: int = 0
    canceled: int = 0
    expired: int = 0
    reminders: int = 0
    retried: int = 0
    last_error: str = ""


def run_id(run_date: date) -> str:
    return f"run_{run_date.isoformat()}"


def scheduled_run_date(scheduled_time: str | None, zone: str, now: datetime) -> date:
    """The date a scheduled run bills: the scheduled time's date in the schedule's time zone (02:00
    in Berlin on the 24th is 01:00 UTC on the 24th; 00:30 in Berlin is still the 23rd in UTC)."""
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(scheduled_time.replace("Z", "+00:00")) if scheduled_time else now
    return moment.astimezone(ZoneInfo(zone)).date()
