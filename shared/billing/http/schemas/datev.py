"""The DATEV export's request body."""

from __future__ import annotations

from pydantic import Field

from billing.http.schemas.common import Day, Request


class DatevExportRequest(Request):
    start: Day = Field(alias="from", description="The period's first day, YYYY-MM-DD")
    end: Day = Field(alias="to", description="Its last day, inclusive; at most a year after from")
