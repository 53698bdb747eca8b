"""The nightly billing run: the planner reads every subscription due on or before the
run's date from the due index, shard by shard; each one is worked through the subscriptions'
cycle, which bills a period once whoever else runs it, so a run may be retried, repeated or raced.
Counts go to the run's record of that tenant and date."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Protocol

from billing.domain.access import Caller, Permission
from billing.domain.billing_runs import BillingRun, BillingWork, Outcome, WorkKind, run_id
from billing.domain.errors import DomainError, ValidationFailed
from billing.domain.paging import MAX_PAGE_SIZE, Page
from billing.observability import logger
from billing.ports import Clock, EventPublisher, SettingsRepository
from billing.services.subscriptions.common import system_caller
from billing.services.subscriptions.cycle import BillingCycle, DueBilling
from billing.services.subscriptions.reminders import PaymentReminders

IN_PROCESS_BATCH = 10  # as many as a queue batch (SQS hands a worker at most ten)


class BillingRunRepository(Protocol):
    def due(self, tenant_id: str, shard: int, on_or_before: date, on: bool = False) -> Iterable[str]: ...

    def dunning(self, tenant_id: str, shard: int, on_or_before: date) -> Iterable[str]: ...

    def tenants(self) -> Iterable[str]: ...

    def started(self, tenant_id: str, run_id: str, run_date: date, now: datetime) -> None: ...

    def counted(
        self, tenant_id: str, run_id: str, outcomes: dict[Outcome, int], now: datetime, error: str = ""
    ) -> None: ...

    def get(self, tenant_id: str, run_id: str) -> BillingRun: ...

    def list(self, tenant_id: str, *, limit: int, cursor: str | None) -> Page[BillingRun]: ...


class BillingRunService:
    def __init__(
        self,
        runs: BillingRunRepository,
        cycle: BillingCycle,
        reminders: PaymentReminders,
        clock: Clock,
        shards: int,
        settings: SettingsRepository,
        events: EventPublisher,
        dispatch: Callable[[str, str, date, list[BillingWork], str], None] | None,
    ):
        self._runs = runs
        self._cycle = cycle
        self._reminders = reminders
        self._settings = settings
        self._events = events
        self._clock = clock
        self._shards = shards
        # Where planned work goes: a queue that workers consume (AWS), or, with none, in process
        # (the embedded stack).
        self._dispatch = dispatch or self._work_all

    def start(self, caller: Caller, run_date: date | None, hosted_base: str, *, in_process: bool = False) -> BillingRun:
        """Plan the tenant's run of the date and hand the work on (``in_process``: do it
        here, as the test clock does). Started again for the same date it adds to the same record
        and bills only what is still due."""
        caller.require(Permission.ADMINISTER)
        today = self._clock.now().date()
        run_date = run_date or today
        if run_date > today:
            raise ValidationFailed.of("date", "must not lie in the future")
        due = self.plan(caller.tenant_id, run_date)
        reminders = self.reminder_day(caller.tenant_id, run_date)
        remind = self.plan(caller.tenant_id, reminders, on=True) if reminders else []
        return self.run_planned(caller, run_date, due, remind, reminders, hosted_base, in_process=in_process)

    def reminder_day(self, tenant_id: str, run_date: date) -> date | None:
        """The payment day a run of ``run_date`` reminds of (None: the tenant sends none)."""
        settings = self._settings.get(tenant_id)
        if not settings.reminders_enabled:
            return None
        return run_date + timedelta(days=settings.reminder_days)

    def run_planned(
        self,
        caller: Caller,
        run_date: date,
        due: list[str],
        remind: list[str],
        payment_on: date | None,
        hosted_base: str,
        *,
        in_process: bool = False,
    ) -> BillingRun:
        """The run of a date whose work is known: ``due`` to bill, ``remind`` of ``payment_on``."""
        caller.require(Permission.ADMINISTER)
        rid = run_id(run_date)
        self._runs.started(caller.tenant_id, rid, run_date, self._clock.now())
        self._runs.counted(caller.tenant_id, rid, {Outcome.DUE: len(due)}, self._clock.now())
        work = [BillingWork(WorkKind.BILL, s) for s in due]
        if remind:
            assert payment_on is not None  # reminders are of a payment day
            work += [BillingWork(WorkKind.REMIND, s, payment_on) for s in remind]
        dispatch = self._work_all if in_process else self._dispatch
        dispatch(caller.tenant_id, rid, run_date, work, hosted_base)
        return self._runs.get(caller.tenant_id, rid)

    def nightly(self, run_date: date, public_base: str) -> list[str]:
        """The scheduled run: every tenant with subscriptions, each planned and queued for the date."""
        started = []
        for tenant_id in self._runs.tenants():
            self.start(system_caller(tenant_id), run_date, public_base)
            started.append(tenant_id)
        return started

    def plan(self, tenant_id: str, run_date: date, on: bool = False) -> list[str]:
        """Every subscription of the tenant due on or before the date (with ``on``: on that date),
        shard by shard (each shard is its own index partition, so no one partition carries a large
        tenant's whole read)."""
        seen: dict[str, None] = {}
        for shard in range(self._shards):
            for subscription_id in self._runs.due(tenant_id, shard, run_date, on):
                seen[subscription_id] = None
            if not on:  # A retry, an overdue reminder or a dunning's end is due too
                for subscription_id in self._runs.dunning(tenant_id, shard, run_date):
                    seen[subscription_id] = None
        return list(seen)

    def work(
        self, tenant_id: str, rid: str, run_date: date, items: list[BillingWork], hosted_base: str
    ) -> list[list[Outcome]]:
        """A batch of the run's work (a queue batch): each subscription's due billing, or its reminder.
        The batch's new invoices are numbered in one transaction and its counts added to the
        run's record in one write. A failure is counted and reported for its item alone, never
        raised to its neighbours; the subscription stays due, so a retry or the next run takes it."""
        caller = system_caller(tenant_id)
        results: list[list[Outcome]] = [[] for _ in items]
        prepared: dict[int, DueBilling] = {}
        errors: list[str] = []

        def attempt(index: int, step: Callable[[], list[Outcome]]) -> None:
            try:
                # Each item is a unit of work: what it sets off is followed when its step is done.
                with self._events.unit():
                    results[index] = step()
            except DomainError as failure:
                logger.warning("billing %s failed: %s", items[index].subscription_id, failure)
                results[index] = [Outcome.FAILED]
                errors.append(f"{items[index].subscription_id}: {failure}")
                prepared.pop(index, None)

        for index, item in enumerate(items):
            subscription_id = item.subscription_id
            if item.kind is WorkKind.REMIND:
                assert item.payment_on is not None  # a reminder is of a payment day
                payment_on = item.payment_on
                attempt(index, partial(self._reminders.remind, caller, subscription_id, payment_on))
                continue

            def prepare(index: int = index, subscription_id: str = subscription_id) -> list[Outcome]:
                prepared[index] = self._cycle.prepare_due_billing(caller, subscription_id, run_date, hosted_base)
                return prepared[index].outcomes

            attempt(index, prepare)
        self._cycle.number_invoices(caller, list(prepared.values()))
        for index, due in list(prepared.items()):
            attempt(index, partial(self._cycle.complete_due_billing, caller, due, hosted_base))
        counts = Counter(outcome for outcomes in results for outcome in outcomes)
        self._runs.counted(tenant_id, rid, dict(counts), self._clock.now(), errors[-1] if errors else "")
        return results

    def _work_all(self, tenant_id: str, rid: str, run_date: date, work: list[BillingWork], hosted_base: str) -> None:
        for start in range(0, len(work), IN_PROCESS_BATCH):
            self.work(tenant_id, rid, run_date, work[start : start + IN_PROCESS_BATCH], hosted_base)

    def get(self, caller: Caller, rid: str) -> BillingRun:
        caller.require(Permission.WRITE)
        return self._runs.get(caller.tenant_id, rid)

    def list(self, caller: Caller, *, limit: int, cursor: str | None) -> Page[BillingRun]:
        caller.require(Permission.WRITE)
        return self._runs.list(caller.tenant_id, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor)
