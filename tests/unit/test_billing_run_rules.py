"""The billing run's date and record."""

from __future__ import annotations

from datetime import UTC, date, datetime

from billing.domain.billing_runs import run_id, scheduled_run_date

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_a_scheduled_run_bills_the_date_of_its_own_time_zone():
    # 02:00 in Berlin (CET, UTC+1) on the 24th is 01:00 UTC on the 24th: the 24th is billed
    assert scheduled_run_date("2026-11-24T01:00:00Z", "Europe/Berlin", NOW) == date(2026, 11, 24)
    # 00:30 in Berlin on the 24th is still the 23rd in UTC, and the 24th in Berlin
    assert scheduled_run_date("2026-11-23T23:30:00Z", "Europe/Berlin", NOW) == date(2026, 11, 24)
    assert scheduled_run_date("2026-11-23T23:30:00Z", "UTC", NOW) == date(2026, 11, 23)
    # summer time (CEST, UTC+2): 01:30 in Berlin on 1 July is 23:30 UTC on 30 June
    assert scheduled_run_date("2026-06-30T23:30:00+00:00", "Europe/Berlin", NOW) == date(2026, 7, 1)
    assert scheduled_run_date(None, "America/New_York", NOW) == date(2026, 11, 23)  # 07:00 there


def test_every_run_of_a_date_shares_one_record():
    assert run_id(date(2026, 11, 24)) == "run_2026-11-24"


def test_a_work_message_travels_the_queue_as_the_json_it_always_was_and_reads_back_the_same():
    """The billing queue's messages are written and read in one place; their JSON is the shape
    workers already in flight understand (a deploy never strands a message)."""
    import json
    from datetime import date

    from billing.domain.billing_runs import BillingWork, WorkKind, WorkMessage

    remind = WorkMessage(
        "t", "run_2026-03-07", date(2026, 3, 7), BillingWork(WorkKind.REMIND, "sub_1", date(2026, 3, 21)), "https://x"
    )
    assert json.loads(remind.to_json()) == {
        "tenant_id": "t",
        "run_id": "run_2026-03-07",
        "run_date": "2026-03-07",
        "work": {"kind": "remind", "subscription_id": "sub_1", "payment_on": "2026-03-21"},
        "hosted_base": "https://x",
    }
    assert WorkMessage.from_json(remind.to_json()) == remind
    sandbox = WorkMessage("t", "r", date(2026, 3, 7), BillingWork(WorkKind.BILL, "sub_2"), "", today=date(2027, 1, 1))
    assert json.loads(sandbox.to_json())["today"] == "2027-01-01"
    assert WorkMessage.from_json(sandbox.to_json()) == sandbox
