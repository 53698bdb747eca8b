"""The billing run's record as an operator reads it: what was due, what each subscription came
to, the last error (named by its subscription), one count write per batch, and who may start,
read and list runs. A failure is its item's alone: the neighbours are billed as if it were not
there."""

from __future__ import annotations

from datetime import date

import pytest

from billing.domain.access import Caller, Role
from billing.domain.billing_runs import BillingWork, Outcome, WorkKind, run_id
from billing.domain.errors import Forbidden, NotFound, ValidationFailed
from tests.unit.wiring import ADMIN, HOSTED, TENANT, Billow

APRIL_1 = date(2026, 4, 1)
MISSING = "sub_" + "0" * 26
BOOKKEEPER = Caller(TENANT, "user_2", Role.BILLING)
VIEWER = Caller(TENANT, "user_3", Role.VIEWER)


@pytest.fixture
def billow() -> Billow:
    return Billow()


def run_of(billow: Billow, day: date, due: list[str], remind: tuple[list[str], date | None] = ([], None)):
    """The run of ``day`` with its work given, done in process."""
    billow.on(day)
    return billow.billing_runs.run_planned(ADMIN, day, due, remind[0], remind[1], HOSTED, in_process=True)


def counts(run) -> dict[str, int]:
    names = ("due", "invoiced", "charged", "sent", "failed", "skipped", "activated", "reminders")
    return {name: getattr(run, name) for name in names if getattr(run, name)}


# ---------------------------------------------------------------- starting a run


def test_a_run_of_a_day_still_to_come_is_refused_and_leaves_no_record(billow):
    with pytest.raises(ValidationFailed) as refused:
        billow.billing_runs.start(ADMIN, date(2026, 3, 2), HOSTED)
    assert refused.value.message == "date: must not lie in the future"
    with pytest.raises(NotFound):
        billow.billing_runs.get(ADMIN, run_id(date(2026, 3, 2)))


def test_a_run_started_without_a_date_is_todays(billow):
    billow.subscribe()
    billow.on(APRIL_1)

    run = billow.billing_runs.start(ADMIN, None, HOSTED, in_process=True)

    assert (run.id, run.run_date) == ("run_2026-04-01", APRIL_1)
    assert counts(run) == {"due": 1, "invoiced": 1, "charged": 1}


def test_only_an_admin_starts_a_run_and_a_bookkeeper_reads_it(billow):
    billow.subscribe()
    with pytest.raises(Forbidden, match=r"^role 'billing' may not administer$"):
        billow.billing_runs.start(BOOKKEEPER, date(2026, 3, 1), HOSTED)
    with pytest.raises(Forbidden, match=r"^role 'billing' may not administer$"):
        billow.billing_runs.run_planned(BOOKKEEPER, date(2026, 3, 1), [], [], None, HOSTED)

    run = billow.night(APRIL_1)

    assert billow.billing_runs.get(BOOKKEEPER, run.id) == run
    with pytest.raises(Forbidden, match=r"^role 'viewer' may not write$"):
        billow.billing_runs.get(VIEWER, run.id)
    with pytest.raises(Forbidden, match=r"^role 'viewer' may not write$"):
        billow.billing_runs.list(VIEWER, limit=10, cursor=None)


def test_runs_are_listed_newest_first_a_page_at_a_time(billow):
    for day in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)):
        billow.night(day)

    first = billow.billing_runs.list(BOOKKEEPER, limit=2, cursor=None)
    rest = billow.billing_runs.list(BOOKKEEPER, limit=2, cursor=first.next_cursor)

    assert [r.id for r in first.items] == ["run_2026-03-03", "run_2026-03-02"]
    assert [r.id for r in rest.items] == ["run_2026-03-01"]


def test_the_nightly_schedule_starts_the_run_of_every_tenant_with_subscriptions(billow):
    billow.subscribe()
    billow.on(APRIL_1)

    started = billow.billing_runs.nightly(APRIL_1, HOSTED)

    assert started == [TENANT]
    assert counts(billow.runs.get(TENANT, run_id(APRIL_1))) == {"due": 1, "invoiced": 1, "charged": 1}


# ---------------------------------------------------------------- reminders


def test_with_reminders_off_the_run_plans_none_and_sends_none(billow):
    billow.subscribe()
    billow.change_settings(reminders_enabled=False)
    assert billow.billing_runs.reminder_day(TENANT, date(2026, 3, 18)) is None
    assert billow.night(date(2026, 3, 18)).reminders == 0
    assert not [m for m in billow.mailer.sent if "next payment" in m["subject"]]


def test_reminders_go_out_the_tenants_number_of_days_before_the_payment(billow):
    billow.subscribe()  # its next payment on 1 April
    billow.change_settings(reminder_days=5)

    assert billow.billing_runs.reminder_day(TENANT, date(2026, 3, 27)) == APRIL_1
    assert billow.night(date(2026, 3, 26)).reminders == 0
    assert counts(billow.night(date(2026, 3, 27))) == {"reminders": 1}


# ---------------------------------------------------------------- the record's counts and its last error


def test_a_subscription_that_cannot_be_billed_is_counted_failed_and_named_in_the_last_error(billow):
    good = billow.subscribe()

    run = run_of(billow, APRIL_1, [MISSING, good.id])

    assert counts(run) == {"due": 2, "invoiced": 1, "charged": 1, "failed": 1}
    assert run.last_error == f"{MISSING}: subscription {MISSING} not found"
    assert billow.subscription(good.id).periods_billed == 2


def test_the_last_error_is_the_batchs_last_failure(billow):
    other = "sub_" + "1" * 26

    run = run_of(billow, APRIL_1, [MISSING, other])

    assert counts(run) == {"due": 2, "failed": 2}
    assert run.last_error == f"{other}: subscription {other} not found"


def test_a_declined_charge_is_counted_failed_but_is_no_error_of_the_run(billow):
    subscription = billow.subscribe()
    billow.stripe.decline = "insufficient_funds"

    run = run_of(billow, APRIL_1, [subscription.id])

    assert counts(run) == {"due": 1, "invoiced": 1, "failed": 1}
    assert run.last_error == ""


def test_a_reminder_of_a_missing_subscription_fails_alone(billow):
    billow.subscribe()

    run = run_of(billow, date(2026, 3, 18), [], ([MISSING], APRIL_1))

    assert counts(run) == {"failed": 1}
    assert run.last_error == f"{MISSING}: subscription {MISSING} not found"


def test_each_batch_of_ten_adds_its_counts_in_one_write_after_the_planned_count(billow):
    billow.change_settings(reminders_enabled=False)
    for _ in range(11):
        billow.subscribe()
    before = len(billow.runs.counted_writes)

    run = billow.night(APRIL_1)

    writes = [outcomes for _, rid, outcomes in billow.runs.counted_writes[before:] if rid == run.id]
    assert writes == [
        {"due": 11},
        {"invoiced": 10, "charged": 10},
        {"invoiced": 1, "charged": 1},
    ]
    assert counts(run) == {"due": 11, "invoiced": 11, "charged": 11}


def test_a_subscription_due_and_in_dunning_is_planned_once(billow):
    subscription = billow.subscribe()
    billow.stripe.decline = "insufficient_funds"
    billow.night(APRIL_1)  # declined: retried from 2 April, and its next period due 1 May
    billow.stripe.decline = None

    assert billow.billing_runs.plan(TENANT, date(2026, 5, 1)) == [subscription.id]
    assert billow.billing_runs.plan(TENANT, date(2026, 5, 1), on=True) == [subscription.id]
    assert billow.billing_runs.plan(TENANT, date(2026, 4, 2), on=True) == []
    assert billow.billing_runs.plan(TENANT, date(2026, 4, 2)) == [subscription.id]


def test_work_handed_to_a_worker_answers_each_items_outcomes_in_order(billow):
    billed = billow.subscribe()
    billow.on(APRIL_1)
    work = [BillingWork(WorkKind.BILL, MISSING), BillingWork(WorkKind.BILL, billed.id)]

    answer = billow.billing_runs.work(TENANT, run_id(APRIL_1), APRIL_1, work, HOSTED)

    assert answer == [[Outcome.FAILED], [Outcome.INVOICED, Outcome.CHARGED]]
