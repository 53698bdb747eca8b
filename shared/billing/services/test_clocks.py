"""A test clock per sandbox tenant (beyond what the schedule's anchors offer): Stripe's test
clocks move at most two billing intervals at a time and Kill Bill's clock is server-wide; here
each sandbox tenant has its own day, and advancing it runs that tenant's billing work for every
day up to the target, in order, on that day's date. A live tenant cannot use it (403)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from billing.clock import clock_at
from billing.domain.access import Caller, Permission
from billing.domain.errors import ValidationFailed
from billing.ports import Clock
from billing.services.billing_runs import BillingRunService

MAX_ADVANCE_DAYS = 366  # a year (a leap year's too) per call


@dataclass(frozen=True)
class TestClock:
    today: date
    advanced: bool  # False: the tenant's clock still follows the real date
    days_run: tuple[date, ...] = ()  # the billing days an advance ran (the days with work to do)


class TestClockRepository(Protocol):
    def today_of(self, tenant_id: str) -> date | None: ...

    def moved(self, tenant_id: str, today: date, now: datetime) -> None: ...


class Schedule(Protocol):
    def scheduled(self, tenant_id: str, shard: int) -> Iterable[tuple[date, str, bool]]: ...

    def scheduled_of(self, tenant_id: str, subscription_id: str) -> Iterable[tuple[date, str, bool]]: ...


@dataclass(frozen=True)
class TestClockService:
    clocks: TestClockRepository
    runs: BillingRunService
    schedule: Schedule
    clock: Clock
    shards: int

    def today_of(self, tenant_id: str) -> date | None:
        return self.clocks.today_of(tenant_id)

    def get(self, caller: Caller) -> TestClock:
        caller.require(Permission.READ)
        caller.require_sandbox()
        today = self.clocks.today_of(caller.tenant_id)
        return TestClock(today or self.clock.now().date(), today is not None)

    def advance(self, caller: Caller, to: date, hosted_base: str) -> TestClock:
        """Move the tenant's day to ``to``, running its billing (bills, retries, reminders,
        activations, expiries) on each day in between that has work, in order. The clock is
        saved after each day, so an advance cut short continues from where it stopped."""
        caller.require(Permission.ADMINISTER)
        caller.require_sandbox()
        tenant = caller.tenant_id
        current = self.clocks.today_of(tenant) or self.clock.now().date()
        if to <= current:
            raise ValidationFailed.of("date", f"must be after the test clock's day, {current}")
        if (to - current).days > MAX_ADVANCE_DAYS:
            raise ValidationFailed.of("date", f"must lie at most {MAX_ADVANCE_DAYS} days after {current}")
        # The indexes are read once; after each day only the subscriptions it worked are read
        # again (a subscription made while an advance runs joins the next one).
        scheduled: dict[str, list[tuple[date, str, bool]]] = {}
        for shard in range(self.shards):
            for entry in self.schedule.scheduled(tenant, shard):
                scheduled.setdefault(entry[1], []).append(entry)
        days_run = []
        while (step := self._next_day(tenant, [e for es in scheduled.values() for e in es], current, to)) is not None:
            day, due, remind, payment_on = step
            with clock_at(day):
                self.runs.run_planned(caller, day, due, remind, payment_on, hosted_base, in_process=True)
                self.clocks.moved(tenant, day, self.clock.now())
            for subscription_id in {*due, *remind}:
                scheduled[subscription_id] = list(self.schedule.scheduled_of(tenant, subscription_id))
            days_run.append(day)
            current = day
        with clock_at(to):
            self.clocks.moved(tenant, to, self.clock.now())
        return TestClock(to, True, tuple(days_run))

    def _next_day(
        self, tenant_id: str, scheduled: list[tuple[date, str, bool]], current: date, to: date
    ) -> tuple[date, list[str], list[str], date | None] | None:
        """The first day after ``current`` (and not after ``to``) with billing work - a day of the
        due or dunning index, or a payment's reminder day; days without work are skipped - and
        that day's work: (day, subscriptions due, subscriptions to remind, the payment day they
        are reminded of)."""
        tomorrow = current + timedelta(days=1)
        reminder = self.runs.reminder_day(tenant_id, current)
        ahead = reminder - current if reminder is not None else None
        candidates = [max(day, tomorrow) for day, _, _ in scheduled]
        if ahead is not None:
            candidates += [day - ahead for day, _, dunning in scheduled if not dunning and day - ahead > current]
        day = min(candidates, default=None)
        if day is None or day > to:
            return None
        due = list(dict.fromkeys(s for on, s, _ in scheduled if on <= day))
        payment_on = day + ahead if ahead is not None else None
        remind = [s for on, s, dunning in scheduled if not dunning and on == payment_on]
        return day, due, remind, payment_on
