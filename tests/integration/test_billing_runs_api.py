"""The billing run started by hand over HTTP: each period of each subscription billed once, whatever
is retried or raced; a run that stopped between the invoice and the charge is finished by the next
one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from billing.formatting import Formatter
from tests.integration.test_payments_api import save_card
from tests.integration.test_subscriptions_api import MONTHLY, stripe_intents, subscribe, today


def due_today(api, payments: int | None = None, **extra) -> dict:
    """A subscription scheduled to start in ten days whose start is then moved to today by an edit of
    its next payment date: its first period is due, with nothing charged yet - the run bills it,
    invoice first, then the charge."""
    later = {**MONTHLY, "billing_start": {"type": "delay_days", "days": 10}}
    if payments:
        later["payments"] = payments
    (subscription,) = subscribe(api, later, **extra).json()["data"]
    assert subscription["status"] == "scheduled"
    moved = api.patch(f"/v1/subscriptions/{subscription['id']}", json={"next_payment_date": today().isoformat()})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["next_payment_on"], moved.json()["periods_billed"]) == (today().isoformat(), 0)
    return moved.json()


def start(api, **body):
    return api.post("/v1/billing-runs", json=body or None)


def run(api, stack, **body) -> dict:
    """Start the run, let the queue's workers finish it, and read its record."""
    started = start(api, **body)
    assert started.status_code == 201, started.text
    stack.queues.drain()
    return api.get(f"/v1/billing-runs/{started.json()['id']}").json()


def test_a_run_bills_the_due_period_once_and_counts_it(stack, subscriber, stripe_client, standin):
    save_card(subscriber, stripe_client, standin)
    subscription = due_today(subscriber)
    planned = start(subscriber)
    assert planned.status_code == 201, planned.text
    assert (planned.json()["due"], planned.json()["invoiced"]) == (1, 0)  # planned; the workers bill it
    stack.queues.drain()
    record = subscriber.get(f"/v1/billing-runs/{planned.json()['id']}").json()
    assert record["id"] == f"run_{today().isoformat()}"
    assert (record["due"], record["invoiced"], record["charged"], record["failed"]) == (1, 1, 1, 0)
    standin.drain()
    after = subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (after["periods_billed"], after["payments_made"], after["status"]) == (1, 1, "active")
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    assert (invoice["status"], invoice["lines"][0]["period_start"]) == ("paid", today().isoformat())
    again = run(subscriber, stack)  # the same date again: nothing is due any more
    assert (again["due"], again["invoiced"], again["charged"]) == (1, 1, 1)
    assert len(stripe_intents(standin, subscriber.account)) == 1
    assert [r["id"] for r in subscriber.get("/v1/billing-runs").json()["data"]] == [record["id"]]
    assert subscriber.get(f"/v1/billing-runs/{record['id']}").json()["invoiced"] == 1


def test_five_runs_racing_bill_each_period_once(stack, subscriber, stripe_client, standin):
    save_card(subscriber, stripe_client, standin)
    made = [due_today(subscriber) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: start(subscriber), range(5)))
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    stack.queues.drain()
    standin.drain()
    invoices = subscriber.get("/v1/invoices", params={"limit": 100}).json()["data"]
    assert len(invoices) == 3 and all(i["status"] == "paid" for i in invoices)
    assert len(stripe_intents(standin, subscriber.account)) == 3  # one charge per period, never more
    for subscription in made:
        assert subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()["payments_made"] == 1


def test_a_worker_that_stopped_between_the_invoice_and_the_charge_is_finished_by_the_redelivery(
    stack, subscriber, stripe_client, standin
):
    """Stripe charges but every answer is lost (the worker fails after the period's invoice was
    written): the message comes back from the queue, and the second delivery finishes the same
    charge - one PaymentIntent - instead of skipping a subscription whose next payment moved on."""
    save_card(subscriber, stripe_client, standin)
    subscription = due_today(subscriber)
    lose = {"path": "/v1/payment_intents", "times": 3}  # the gateway's try and its two retries
    requests.post(f"{stack.stripe_url}/_standin/lose-answers", json=lose, timeout=10)
    record = run(subscriber, stack)
    assert (record["failed"], record["invoiced"], record["charged"]) == (1, 1, 1)
    assert "Stripe could not be reached" in record["last_error"]
    standin.drain()
    assert [i["status"] for i in subscriber.get("/v1/invoices").json()["data"]] == ["paid"]
    assert [i["status"] for i in stripe_intents(standin, subscriber.account)] == ["succeeded"]
    assert subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()["payments_made"] == 1
    again = run(subscriber, stack)
    assert (again["charged"], len(stripe_intents(standin, subscriber.account))) == (1, 1)


def test_invoice_mode_periods_are_sent_and_a_future_date_or_a_billing_user_is_refused(stack, subscriber):
    due_today(subscriber, collection_method="send_invoice")
    record = run(subscriber, stack)
    assert (record["invoiced"], record["sent"]) == (1, 1)
    invoices = subscriber.get("/v1/invoices").json()["data"]
    assert [(i["status"], bool(i["last_sent_at"])) for i in invoices] == [("open", True)]
    tomorrow = start(subscriber, date="2999-01-01")
    assert tomorrow.status_code == 422 and tomorrow.json()["error"]["fields"][0]["field"] == "date"
    assert subscriber.as_role("billing").post("/v1/billing-runs").status_code == 403
    assert subscriber.as_role("billing").get("/v1/billing-runs").status_code == 200
    assert subscriber.as_role("viewer").get("/v1/billing-runs").status_code == 403
    assert subscriber.get("/v1/billing-runs/run_1999-01-01").status_code == 404


def test_a_reminder_goes_out_once_the_set_number_of_days_before_a_payment(stack, subscriber):
    from datetime import timedelta

    from tests.integration.test_payments_api import mail_to

    (subscription,) = subscribe(subscriber, collection_method="send_invoice").json()["data"]
    payment_day = today() + timedelta(days=14)
    payment_on = payment_day.isoformat()
    moved = subscriber.patch(f"/v1/subscriptions/{subscription['id']}", json={"next_payment_date": payment_on})
    assert moved.status_code == 200, moved.text
    first = run(subscriber, stack)
    assert (first["reminders"], first["due"]) == (1, 0), str(first)
    (reminder,) = [m for m in mail_to(subscriber.email) if m.subject.startswith("Your next payment")]
    assert reminder.subject == f"Your next payment to Billow Demo GmbH on {Formatter('en_US', 'eur').day(payment_day)}"
    assert "€29.00, will be invoiced" in reminder.body and "1 × Hosting" in reminder.body
    again = run(subscriber, stack)  # the same period is reminded once
    assert again["reminders"] == 1
    assert len([m for m in mail_to(subscriber.email) if m.subject.startswith("Your next payment")]) == 1
    subscriber.patch("/v1/settings", json={"reminder_days": 20})
    assert subscriber.get("/v1/settings").json()["reminder_days"] == 20


def test_the_last_payment_of_a_term_expires_the_subscription_and_the_run_counts_it(
    stack, subscriber, stripe_client, standin
):
    save_card(subscriber, stripe_client, standin)
    subscription = due_today(subscriber, payments=1)
    record = run(subscriber, stack)
    assert (record["invoiced"], record["charged"], record["expired"]) == (1, 1, 1)
    after = subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (after["status"], after["payments_left"], after["next_payment_on"]) == ("expired", 0, None)
    assert subscriber.delete(f"/v1/subscriptions/{subscription['id']}").status_code == 204  # expired ones may go


def test_a_run_interrupted_halfway_is_finished_by_running_the_date_again(stack, subscriber, stripe_client, standin):
    """The workers die with half the run's messages; the run of the same date, started again,
    bills the rest - and nothing twice."""
    save_card(subscriber, stripe_client, standin)
    made = [due_today(subscriber) for _ in range(4)]
    with stack.queues.paused():
        planned = start(subscriber)
        assert planned.status_code == 201, planned.text
        assert stack.queues.lose(2) == 2
    stack.queues.drain()
    standin.drain()
    half = subscriber.get(f"/v1/billing-runs/{planned.json()['id']}").json()
    assert (half["due"], half["invoiced"], half["charged"]) == (4, 2, 2)
    again = run(subscriber, stack)
    standin.drain()
    assert (again["due"], again["invoiced"], again["charged"]) == (4 + 2, 4, 4)  # the second run found two due
    invoices = subscriber.get("/v1/invoices", params={"limit": 100}).json()["data"]
    assert sorted(i["status"] for i in invoices) == ["paid"] * 4
    assert len(stripe_intents(standin, subscriber.account)) == 4
    for subscription in made:
        assert subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()["payments_made"] == 1
