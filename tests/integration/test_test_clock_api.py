"""A sandbox tenant's test clock driving the billing run end to end: subscriptions of several
frequencies and both collection methods, a card that fails, a year advanced - and every invoice,
charge, reminder, retry, status change and expiry checked against a schedule computed here,
independently of Billow's own period arithmetic (dateutil's relativedelta)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from billing.formatting import Formatter
from tests.integration.test_invoice_documents import raw_mail_to
from tests.integration.test_payments_api import mail_to, save_card
from tests.integration.test_subscriptions_api import MONTHLY, today

QUARTERLY = {"name": "Support", "unit_price": "90.00", "billing_frequency": "quarterly"}
YEARLY = {"name": "Domain", "unit_price": "12.00", "billing_frequency": "annually"}


@pytest.fixture
def sandbox(subscriber):
    """The subscriber's tenant with sandbox tokens: it may use the test clock."""
    test = subscriber.as_mode("sandbox")
    test.customer, test.account, test.email = subscriber.customer, subscriber.account, subscriber.email
    return test


def advance(api, to: date) -> dict:
    answer = api.post("/v1/test-clock/advance", json={"date": to.isoformat()}, timeout=600)
    assert answer.status_code == 200, answer.text
    return answer.json()


def new_customer(api, **extra) -> dict:
    email = f"b-{uuid.uuid4().hex[:8]}@kunde.de"
    body = {"type": "company", "company_name": f"Kunde {email[:10]}", "email": email, "billing_email": email}
    return api.post("/v1/customers", json=body | extra).json()


def subscribe_for(api, customer: dict, *lines, **extra) -> list[dict]:
    body = {"customer_id": customer["id"], "currency": "eur", "lines": list(lines), **extra}
    answer = api.post("/v1/subscriptions", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def invoices_of(api, customer: dict) -> list[dict]:
    found = api.get("/v1/invoices", params={"customer_id": customer["id"], "limit": 100}).json()["data"]
    return sorted(found, key=lambda i: i["lines"][0]["period_start"])


def payments_of(api, customer: dict) -> list[dict]:
    found = api.get("/v1/payments", params={"customer_id": customer["id"], "limit": 100}).json()["data"]
    return sorted(found, key=lambda p: p["created_at"])


def subjects(customer: dict, start: str) -> list[str]:
    return [m.subject for m in mail_to(customer["billing_email"]) if m.subject.startswith(start)]


def test_a_live_tenant_has_no_test_clock_and_an_advance_is_checked(subscriber, sandbox):
    live = subscriber.get("/v1/test-clock")
    assert (live.status_code, live.json()["error"]["type"]) == (403, "forbidden")
    assert "live tenant" in live.json()["error"]["message"]
    assert subscriber.post("/v1/test-clock/advance", json={"date": "2030-01-01"}).status_code == 403
    clock = sandbox.as_role("viewer").get("/v1/test-clock")
    assert clock.json() == {"object": "test_clock", "today": today().isoformat(), "advanced": False, "days_run": []}
    assert sandbox.as_role("billing").post("/v1/test-clock/advance", json={"date": "2030-01-01"}).status_code == 403
    for bad in (today().isoformat(), (today() + timedelta(days=367)).isoformat()):
        refused = sandbox.post("/v1/test-clock/advance", json={"date": bad})
        assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "date", refused.text
    moved = advance(sandbox, today() + timedelta(days=3))
    assert (moved["today"], moved["advanced"], moved["days_run"]) == (
        (today() + timedelta(days=3)).isoformat(),
        True,
        [],
    )
    assert sandbox.get("/v1/test-clock").json()["today"] == moved["today"]
    # The tenant's requests see its day: a run of that day is no longer in the future.
    assert sandbox.post("/v1/billing-runs", json={"date": moved["today"]}).status_code == 201


def test_a_year_of_billing_matches_a_schedule_computed_independently(sandbox, stripe_client, standin):
    start = today()
    end = start + relativedelta(years=1)
    good = new_customer(sandbox)
    save_card(sandbox, stripe_client, standin, customer=good, make_default=True)
    (monthly,) = subscribe_for(sandbox, good, MONTHLY)
    (quarterly,) = subscribe_for(sandbox, good, {**QUARTERLY, "payments": 3})
    (yearly,) = subscribe_for(sandbox, good, YEARLY)
    failing = new_customer(sandbox)
    save_card(sandbox, stripe_client, standin, token="pm_card_chargeDeclinedInsufficientFunds", customer=failing)
    (declined,) = subscribe_for(sandbox, failing, {**MONTHLY, "billing_start": {"type": "delay_days", "days": 10}})
    invoiced = new_customer(sandbox)
    (by_invoice,) = subscribe_for(sandbox, invoiced, MONTHLY, collection_method="send_invoice", days_until_due=7)

    clock = advance(sandbox, end)
    standin.drain()
    assert clock["today"] == end.isoformat()

    # The schedule, computed here: a payment every interval from the start, never drifting.
    def payments(every: relativedelta, first: date = start, count: int | None = None) -> list[date]:
        dates, n = [], 0
        while (day := first + every * n) <= end and (count is None or n < count):
            dates.append(day)
            n += 1
        return dates

    month, quarter, year = relativedelta(months=1), relativedelta(months=3), relativedelta(years=1)
    expected = {
        monthly["id"]: payments(month),
        quarterly["id"]: payments(quarter, count=3),
        yearly["id"]: payments(year),
    }
    assert [len(v) for v in expected.values()] == [13, 3, 2]
    good_invoices = invoices_of(sandbox, good)
    for subscription_id, dates in expected.items():
        mine = [i for i in good_invoices if i["subscription_id"] == subscription_id]
        assert [i["lines"][0]["period_start"] for i in mine] == [d.isoformat() for d in dates]
        assert [i["issued_on"] for i in mine] == [d.isoformat() for d in dates]  # issued on its own day
        assert all(i["status"] == "paid" for i in mine)
    # One charge per invoice (each subscription's first at its creation), each on its day.
    charged = payments_of(sandbox, good)
    assert all(p["status"] == "succeeded" for p in charged)
    every = sorted(d for dates in expected.values() for d in dates)
    assert [date.fromisoformat(p["created_at"][:10]) for p in charged] == every

    # Statuses: the quarterly term of three payments expired one quarter after its last one.
    after = {s: sandbox.get(f"/v1/subscriptions/{s}").json() for s in expected}
    assert after[monthly["id"]]["status"] == "active"
    assert after[monthly["id"]]["next_payment_on"] == (start + month * 13).isoformat()
    assert (after[quarterly["id"]]["status"], after[quarterly["id"]]["ended_on"]) == (
        "expired",
        (start + quarter * 3).isoformat(),
    )
    assert (after[yearly["id"]]["status"], after[yearly["id"]]["payments_made"]) == ("active", 2)

    # Reminders 14 days before each payment after the first that falls in the year.
    reminded = sorted(d for dates in expected.values() for d in dates[1:] if d - timedelta(days=14) > start)
    assert len(subjects(good, "Your next payment")) == len(reminded)
    assert sorted(subjects(good, "Your next payment")) == sorted(
        f"Your next payment to Billow Demo GmbH on {Formatter('en_US', 'eur').day(d)}" for d in reminded
    )

    # The declined card: first charged on day 10, retried on days 1, 3, 5 and 7 after, then canceled.
    first_try = start + timedelta(days=10)
    tries = payments_of(sandbox, failing)
    assert [p["status"] for p in tries] == ["failed"] * 5
    assert [p["created_at"][:10] for p in tries] == [
        (first_try + timedelta(days=d)).isoformat() for d in (0, 1, 3, 5, 7)
    ]
    gone = sandbox.get(f"/v1/subscriptions/{declined['id']}").json()
    assert (gone["status"], gone["ended_on"]) == ("canceled", (first_try + timedelta(days=7)).isoformat())
    assert (gone["dunning"]["steps"], gone["dunning"]["next_on"], gone["periods_billed"]) == (4, None, 1)
    assert [i["status"] for i in invoices_of(sandbox, failing)] == ["open"]  # the debt stands
    assert len(subjects(failing, "Update the payment method")) == 1  # asked once, when it turned unpaid

    # Invoice mode: every month's invoice sent; unpaid, each is reminded of 1, 3, 5 and 7 days after
    # its due date (seven days after issue) - those whose reminder days fall in the year.
    sent = payments(month)
    mine = invoices_of(sandbox, invoiced)
    assert [(i["lines"][0]["period_start"], i["status"]) for i in mine] == [(d.isoformat(), "open") for d in sent]
    overdue_days = [d + timedelta(days=7 + r) for d in sent for r in (1, 3, 5, 7) if d + timedelta(days=7 + r) <= end]
    overdue = [m for m in raw_mail_to(invoiced["billing_email"]) if m["Subject"].startswith("Overdue: invoice")]
    assert len(overdue) == len(overdue_days) == 48
    assert "is 1 day overdue" in overdue[0].get_body(("plain",)).get_content()
    still = sandbox.get(f"/v1/subscriptions/{by_invoice['id']}").json()
    assert still["status"] == "active"
    # The last month's invoice is the one watched: in dunning from its first reminder on.
    first_reminder = sent[-1] + timedelta(days=7 + 1)
    reminded = [d for d in overdue_days if d >= first_reminder]
    assert (still["dunning"] and still["dunning"]["steps"], still["first_reminder_on"]) == (
        (len(reminded), None) if reminded else (None, first_reminder.isoformat())
    )
    assert set(clock["days_run"]) >= {d.isoformat() for d in overdue_days}


def declined_later(api, stripe_client, standin, card: str) -> tuple[dict, dict]:
    """A customer whose card on file declines, subscribed monthly from day 10 (so nothing is
    charged at creation)."""
    customer = new_customer(api)
    save_card(api, stripe_client, standin, token=card, customer=customer)
    (subscription,) = subscribe_for(api, customer, {**MONTHLY, "billing_start": {"type": "delay_days", "days": 10}})
    return customer, subscription


def test_a_hard_decline_is_not_retried_and_ends_the_subscription_on_the_last_retry_day(sandbox, stripe_client, standin):
    sandbox.patch("/v1/settings", json={"admin_notification_emails": ["chef@billow-demo.de"]})
    customer, subscription = declined_later(sandbox, stripe_client, standin, "pm_card_chargeDeclinedStolenCard")
    first_try = today() + timedelta(days=10)
    advance(sandbox, first_try + timedelta(days=3))
    unpaid = sandbox.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert unpaid["status"] == "unpaid"
    assert unpaid["dunning"] | {"failed_payment_id": None} == {
        "period": 0,
        "since": first_try.isoformat(),
        "steps": 0,
        "next_on": (first_try + timedelta(days=7)).isoformat(),  # only the final action is left
        "hard": True,
        "failed_payment_id": None,
    }
    advance(sandbox, first_try + timedelta(days=8))
    tries = payments_of(sandbox, customer)
    assert [(p["status"], p["decline_code"]) for p in tries] == [("failed", "stolen_card")]  # never retried
    gone = sandbox.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (gone["status"], gone["ended_on"]) == ("canceled", (first_try + timedelta(days=7)).isoformat())
    told = [m.subject for m in mail_to("chef@billow-demo.de")]
    assert f"Subscription {subscription['id']} canceled after its payment failed" in told
    runs = {r["run_date"]: r for r in sandbox.get("/v1/billing-runs").json()["data"]}
    assert runs[first_try.isoformat()]["failed"] == 1
    assert runs[(first_try + timedelta(days=7)).isoformat()]["canceled"] == 1


def test_keep_unpaid_and_a_retry_that_succeeds_with_the_new_card_make_it_active_again(sandbox, stripe_client, standin):
    sandbox.patch("/v1/settings", json={"dunning_retry_days": [2, 4], "dunning_final_action": "keep_unpaid"})
    customer, subscription = declined_later(sandbox, stripe_client, standin, "pm_card_chargeDeclinedInsufficientFunds")
    first_try = today() + timedelta(days=10)
    advance(sandbox, first_try)
    assert sandbox.get(f"/v1/subscriptions/{subscription['id']}").json()["status"] == "unpaid"
    save_card(sandbox, stripe_client, standin, customer=customer, make_default=True)  # the buyer's new card
    clock = advance(sandbox, first_try + timedelta(days=6))
    assert clock["days_run"] == [(first_try + timedelta(days=2)).isoformat()]  # the retry; then nothing is due
    tries = payments_of(sandbox, customer)
    assert [(p["status"], p["created_at"][:10]) for p in tries] == [
        ("failed", first_try.isoformat()),
        ("succeeded", (first_try + timedelta(days=2)).isoformat()),
    ]
    standin.drain()
    active = sandbox.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (active["status"], active["dunning"], active["payments_made"]) == ("active", None, 1)
    assert [i["status"] for i in invoices_of(sandbox, customer)] == ["paid"]
    run = sandbox.get(f"/v1/billing-runs/run_{first_try + timedelta(days=2)}").json()
    assert (run["retried"], run["charged"], run["failed"]) == (1, 1, 0)


def test_keep_unpaid_leaves_it_unpaid_when_the_retries_run_out(sandbox, stripe_client, standin):
    sandbox.patch("/v1/settings", json={"dunning_retry_days": [1], "dunning_final_action": "keep_unpaid"})
    customer, subscription = declined_later(sandbox, stripe_client, standin, "pm_card_chargeDeclinedInsufficientFunds")
    first_try = today() + timedelta(days=10)
    advance(sandbox, first_try + timedelta(days=5))
    kept = sandbox.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (kept["status"], kept["dunning"]["steps"], kept["dunning"]["next_on"]) == ("unpaid", 1, None)
    assert kept["next_payment_on"] == (first_try + relativedelta(months=1)).isoformat()  # billing goes on
    assert [p["status"] for p in payments_of(sandbox, customer)] == ["failed", "failed"]
    bad = sandbox.patch("/v1/settings", json={"dunning_retry_days": [3, 1]})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "dunning_retry_days"
