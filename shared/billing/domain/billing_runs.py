"""The nightly billing run: one record per tenant and date, counting what the run did.
Its id is the date, so every run of that date (a retry, a second one racing) adds to one record."""

from __future__ import annotations

import json
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


class WorkKind(StrEnum):
    BILL = "bill"  # what is due of the subscription: activation, its end, dunning, its period
    REMIND = "remind"  # the buyer is reminded of the payment on ``payment_on``


@dataclass(frozen=True)
class BillingWork:
    """One subscription's share of a run."""

    kind: WorkKind
    subscription_id: str
    payment_on: date | None = None


@dataclass(frozen=True)
class WorkMessage:
    """A run's work for one subscription as it travels on the billing queue; written and read
    here only (the same JSON the queue has always carried)."""

    tenant_id: str
    run_id: str
    run_date: date
    work: BillingWork
    hosted_base: str
    today: date | None = None  # a sandbox tenant's test-clock day

    def to_json(self) -> str:
        work: dict[str, str] = {"kind": self.work.kind.value, "subscription_id": self.work.subscription_id}
        if self.work.payment_on is not None:
            work["payment_on"] = self.work.payment_on.isoformat()
        body: dict[str, object] = {
            "tenant_id": self.tenant_id,
            "run_id": self.run_id,
            "run_date": self.run_date.isoformat(),
            "work": work,
            "hosted_base": self.hosted_base,
        }
        if self.today is not None:
            body["today"] = self.today.isoformat()
        return json.dumps(body)

    @classmethod
    def from_json(cls, text: str) -> WorkMessage:
        body = json.loads(text)
        work = body["work"]
        return cls(
            tenant_id=body["tenant_id"],
            run_id=body["run_id"],
            run_date=date.fromisoformat(body["run_date"]),
            work=BillingWork(
                WorkKind(work["kind"]),
                work["subscription_id"],
                date.fromisoformat(work["payment_on"]) if work.get("payment_on") else None,
            ),
            hosted_base=body.get("hosted_base", ""),
            today=date.fromisoformat(body["today"]) if body.get("today") else None,
        )


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
