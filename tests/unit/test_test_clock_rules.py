"""The test clock's day stepping: only days with work are run, in order, each with the work of that
day (due or dunning on or before it; reminders of the payments ``reminder_days`` ahead), and never
past the target."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from billing.clock import SystemClock, clock_at
from billing.domain.access import Caller, Role
from billing.domain.errors import Forbidden, ValidationFailed
from billing.services.test_clocks import TestClockService as ClockService

TODAY = SystemClock().now().date()
SANDBOX = Caller("t", "u", Role.ADMIN, sandbox=True)


class Clocks:
    def __init__(self):
        self.today: date | None = None

    def today_of(self, tenant_id):
        return self.today

    def moved(self, tenant_id, today, now):
        assert now.date() == today  # saved on the day it names
        self.today = today


class Schedule:
    """The indexes: (day, subscription, dunning?) entries; billing a due entry moves it a month on."""

    def __init__(self, *entries):
        self.entries = list(entries)

    def scheduled(self, tenant_id, shard):
        return list(self.entries) if shard == 0 else []

    def scheduled_of(self, tenant_id, subscription_id):
        return [entry for entry in self.entries if entry[1] == subscription_id]


class Runs:
    def __init__(self, schedule: Schedule, reminder_days: int | None = 14, stuck: frozenset = frozenset()):
        self.schedule, self.reminder_days, self.stuck, self.ran = schedule, reminder_days, stuck, []

    def reminder_day(self, tenant_id, day):
        return day + timedelta(days=self.reminder_days) if self.reminder_days else None

    def run_planned(self, caller, day, due, remind, payment_on, hosted_base, *, in_process):
        assert in_process and SystemClock().now().date() == day  # run on that day's date
        self.ran.append((day, sorted(due), sorted(remind), payment_on))
        moved = []
        for on, subscription_id, dunning in self.schedule.entries:
            if subscription_id in due and subscription_id not in self.stuck and not dunning:
                on = on + timedelta(days=30)
            if not (dunning and subscription_id in due):  # a dunning step done leaves the index
                moved.append((on, subscription_id, dunning))
        self.schedule.entries = moved


def service(schedule: Schedule, **runs) -> tuple[ClockService, Runs, Clocks]:
    fake_runs, clocks = Runs(schedule, **runs), Clocks()
    return ClockService(clocks, fake_runs, schedule, SystemClock(), 16), fake_runs, clocks


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


def test_only_days_with_work_are_run_in_order_with_their_work():
    clock, runs, clocks = service(Schedule((day(20), "a", False), (day(3), "b", True)))
    answer = clock.advance(SANDBOX, day(52), "")
    assert runs.ran == [
        (day(3), ["b"], [], day(17)),  # b's dunning step
        (day(6), [], ["a"], day(20)),  # a reminded 14 days before its payment
        (day(20), ["a"], [], day(34)),
        (day(36), [], ["a"], day(50)),  # a's next payment, 30 days on
        (day(50), ["a"], [], day(64)),
    ]
    assert (answer.today, answer.days_run, clocks.today) == (day(52), tuple(r[0] for r in runs.ran), day(52))


def test_without_reminders_only_due_days_run_and_work_left_over_runs_again_the_next_day():
    clock, runs, _ = service(
        Schedule((day(-2), "late", False), (day(2), "a", False)), reminder_days=None, stuck=frozenset({"late"})
    )
    clock.advance(SANDBOX, day(3), "")
    assert runs.ran == [(day(1), ["late"], [], None), (day(2), ["a", "late"], [], None), (day(3), ["late"], [], None)]


def test_an_advance_continues_from_the_clock_and_is_checked():
    clock, runs, clocks = service(Schedule((day(10), "a", False)), reminder_days=None)
    clock.advance(SANDBOX, day(5), "")
    assert (runs.ran, clocks.today) == ([], day(5))
    with clock_at(day(5)):
        assert clock.get(SANDBOX).today == day(5)
    with pytest.raises(ValidationFailed) as same_day:
        clock.advance(SANDBOX, day(5), "")
    assert same_day.value.errors[0].field == "date"
    with pytest.raises(ValidationFailed):
        clock.advance(SANDBOX, day(5 + 367), "")
    with pytest.raises(Forbidden):
        clock.advance(Caller("t", "u", Role.ADMIN), day(9), "")
    with pytest.raises(Forbidden):
        clock.advance(Caller("t", "u", Role.BILLING, sandbox=True), day(9), "")
    clock.advance(SANDBOX, day(5 + 366), "")
    assert runs.ran[0][0] == day(10)
