"""Billing-run request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from billing.http.schemas.common import Day, Request, Response


class BillingRunStart(Request):
    date: Day | None = Field(None, description="The run's date; today when omitted (never a later day)")


class BillingRunOut(Response):
    id: str = Field(description="run_<date>: every run of a date adds to one record")
    run_date: dt.date
    started_at: dt.datetime
    updated_at: dt.datetime
    due: int = Field(description="Subscriptions due on or before the date when it was planned")
    invoiced: int
    charged: int
    sent: int
    failed: int
    skipped: int
    activated: int
    canceled: int
    expired: int
    reminders: int = Field(description="Reminders before a payment, and overdue reminders of invoice-mode invoices")
    retried: int = Field(description="Dunning retries of failed charges (each also counted charged or failed)")
    last_error: str


class TestClockAdvance(Request):
    date: Day = Field(description="The day to move the tenant's clock to (after its day now, at most 366 days on)")


class TestClockOut(Response):
    object: Literal["test_clock"] = "test_clock"
    today: dt.date = Field(description="The sandbox tenant's day: what its requests and billing see as today")
    advanced: bool = Field(description="False while the clock still follows the real date")
    days_run: list[dt.date] = Field(
        description="The billing days an advance ran, in order (days with nothing due are skipped)"
    )
