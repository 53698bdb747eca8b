"""Billing-run request and response bodies (SPEC B1-B4)."""

from __future__ import annotations

import datetime as dt

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
    reminders: int
    last_error: str
