"""Inbound Stripe events against fakes: each event is processed once however often it arrives; each
type reaches the handler that re-reads its object from Stripe, with the id the object names; a
malformed object, an unknown customer or a missing object is acknowledged with what became of it; a
failure is logged for the next delivery."""

from __future__ import annotations

import json

import pytest

from billing.domain.errors import InvalidSignature, NotFound
from billing.ports import ProcessorEvent
from billing.services.stripe_events import (
    NO_OBJECT,
    CheckoutEvents,
    PaymentEvents,
    PaymentMethodEvents,
    StripeEventService,
    event_handlers,
)
from tests.unit.fakes import FixedClock


class SignedEvents:
    """Verifies as Stripe's library does, with "valid" as the only good signature."""

    def verified_event(self, payload: str, signature: str | None) -> ProcessorEvent:
        if signature != "valid":
            raise InvalidSignature("bad")
        event = json.loads(payload)
        return ProcessorEvent(event["id"], event["type"], event.get("account"), 0, event["data"]["object"])


class Log:
    """The processed-once log: claims, finishes and failures, in order, and each event's status."""

    def __init__(self):
        self.status: dict[str, str] = {}
        self.calls: list[tuple] = []

    def claim(self, event_id, event_type):
        self.calls.append(("claim", event_id, event_type))
        if self.status.get(event_id) in ("done", "processing"):
            return False
        self.status[event_id] = "processing"
        return True

    def finish(self, event_id, outcome):
        self.calls.append(("finish", event_id, outcome))
        self.status[event_id] = "done"

    def fail(self, event_id, error):
        self.calls.append(("fail", event_id, error))
        self.status[event_id] = "failed"


class Connections:
    def tenant_of(self, account):
        assert account, "an event without an account needs no lookup"
        return {"acct_a": "tenant-a"}.get(account)


class Recorder:
    """Stands in for the method and payment services and the repositories the events reach;
    raises ``raises`` on its next ``times`` answers (all of them when ``times`` is None)."""

    def __init__(self, raises: Exception | None = None, times: int | None = None):
        self.calls: list[tuple] = []
        self.raises = raises
        self.times = times

    def _answer(self, *call):
        self.calls.append(call)
        if self.raises and self.times != 0:
            self.times = None if self.times is None else self.times - 1
            raise self.raises
        return f"done {call[0]}"

    def reconcile(self, tenant_id, account, method_id, make_default=False, mandate_id=None):
        return self._answer("reconcile", tenant_id, account, method_id, make_default, mandate_id)

    def sync(self, tenant_id, account, reference):
        return self._answer("sync", tenant_id, account, reference)

    def customer_of_processor_customer(self, tenant_id, processor_customer_id):
        self.calls.append(("customer_of", tenant_id, processor_customer_id))
        return "cus_1" if (tenant_id, processor_customer_id) == ("tenant-a", "cus_stripe") else None

    def add_event(self, tenant_id, event):
        self.calls.append(("add_event", tenant_id, event))

    def settle_checkout(self, tenant_id, account, session_id):
        return self._answer("settle_checkout", tenant_id, account, session_id)

    def settle_setup(self, tenant_id, account, session_id):
        return self._answer("settle_setup", tenant_id, account, session_id)


def service(recorder: Recorder, log: Log, clock=None) -> StripeEventService:
    handlers = event_handlers(
        PaymentMethodEvents(recorder, recorder, recorder, clock),
        PaymentEvents(recorder),
        CheckoutEvents(recorder, recorder),
    )
    return StripeEventService(SignedEvents(), log, Connections(), handlers)


def payload(event_type="payment_intent.succeeded", obj=None, account="acct_a", event_id="evt_1") -> str:
    obj = {"id": "pi_1"} if obj is None else obj
    return json.dumps({"id": event_id, "type": event_type, "account": account, "data": {"object": obj}})


def deliver(event_type, obj, *, account="acct_a", raises=None):
    recorder, log, clock = Recorder(raises), Log(), FixedClock()
    receipt = service(recorder, log, clock).receive(payload(event_type, obj, account), "valid")
    return receipt, recorder.calls, log.calls, clock


# ---------------------------------------------------------------- processed once


def test_an_event_is_processed_once_however_often_it_arrives():
    recorder = Recorder()
    events = service(recorder, Log())
    outcomes = [events.receive(payload(), "valid").outcome for _ in range(10)]
    assert recorder.calls == [("sync", "tenant-a", "acct_a", "pi_1")]
    assert outcomes[0] == "done sync"
    assert set(outcomes[1:]) == {"duplicate: already processed"}


def test_a_failed_attempt_is_logged_with_its_kind_and_retried_by_the_next_delivery():
    recorder, log = Recorder(RuntimeError("DynamoDB throttled"), times=1), Log()
    events = service(recorder, log)
    with pytest.raises(RuntimeError):
        events.receive(payload("charge.refunded", {"payment_intent": "pi_1"}), "valid")
    assert log.calls == [("claim", "evt_1", "charge.refunded"), ("fail", "evt_1", "RuntimeError: DynamoDB throttled")]
    assert events.receive(payload("charge.refunded", {"payment_intent": "pi_1"}), "valid").outcome == "done sync"
    assert log.status["evt_1"] == "done"


def test_bad_signature_touches_nothing():
    recorder, log = Recorder(), Log()
    with pytest.raises(InvalidSignature):
        service(recorder, log).receive(payload(), "forged")
    assert recorder.calls == [] and log.calls == []


@pytest.mark.parametrize("account", [None, "", "acct_other"])
def test_an_event_of_no_connected_tenant_touches_nothing(account):
    receipt, calls, log, _ = deliver("payment_intent.succeeded", {"id": "pi_1"}, account=account)
    assert (receipt.event_id, receipt.outcome) == ("evt_1", "ignored: no tenant is connected to this account")
    assert (calls, log) == ([], [])


def test_unhandled_types_and_duplicates_answer_with_the_event_id():
    receipt, calls, log, _ = deliver("customer.created", {"id": "cus_1"})
    assert (receipt.event_id, receipt.outcome, calls, log) == ("evt_1", "ignored: unhandled event type", [], [])
    recorder, claimed = Recorder(), Log()
    claimed.status["evt_2"] = "processing"  # another delivery is at it
    receipt = service(recorder, claimed).receive(payload(event_id="evt_2"), "valid")
    assert (receipt.event_id, receipt.outcome, recorder.calls) == ("evt_2", "duplicate: already processed", [])


def test_an_object_gone_from_the_account_is_acknowledged_and_not_retried():
    receipt, _, log, _ = deliver("payment_intent.succeeded", {"id": "pi_1"}, raises=NotFound("no such payment intent"))
    assert receipt.outcome == "ignored: no such payment intent"
    assert log[-1] == ("finish", "evt_1", "ignored: no such payment intent")


# ---------------------------------------------------------------- dispatch


@pytest.mark.parametrize(
    ("event_type", "obj", "call"),
    [
        (
            "setup_intent.succeeded",
            {"payment_method": "pm_1"},
            ("reconcile", "tenant-a", "acct_a", "pm_1", False, None),
        ),
        (
            "setup_intent.succeeded",
            {"payment_method": "pm_1", "metadata": {"billow_make_default": "true"}},
            ("reconcile", "tenant-a", "acct_a", "pm_1", True, None),
        ),
        (
            "setup_intent.succeeded",
            {"payment_method": "pm_1", "metadata": {"billow_make_default": "yes"}},
            ("reconcile", "tenant-a", "acct_a", "pm_1", False, None),
        ),
        (
            "setup_intent.succeeded",
            {"payment_method": "pm_1", "mandate": "mandate_1"},  # a bank account's: its mandate named
            ("reconcile", "tenant-a", "acct_a", "pm_1", False, "mandate_1"),
        ),
        ("payment_method.attached", {"id": "pm_2"}, ("reconcile", "tenant-a", "acct_a", "pm_2", False, None)),
        ("payment_method.detached", {"id": "pm_2"}, ("reconcile", "tenant-a", "acct_a", "pm_2", False, None)),
        ("payment_method.updated", {"id": "pm_2"}, ("reconcile", "tenant-a", "acct_a", "pm_2", False, None)),
        ("payment_intent.succeeded", {"id": "pi_1"}, ("sync", "tenant-a", "acct_a", "pi_1")),
        ("payment_intent.payment_failed", {"id": "pi_1"}, ("sync", "tenant-a", "acct_a", "pi_1")),
        ("payment_intent.processing", {"id": "pi_1"}, ("sync", "tenant-a", "acct_a", "pi_1")),
        ("charge.refunded", {"id": "ch_1", "payment_intent": "pi_1"}, ("sync", "tenant-a", "acct_a", "pi_1")),
        ("charge.dispute.created", {"id": "dp_1", "payment_intent": "pi_1"}, ("sync", "tenant-a", "acct_a", "pi_1")),
        ("checkout.session.completed", {"id": "cs_1"}, ("settle_checkout", "tenant-a", "acct_a", "cs_1")),
        (
            "checkout.session.async_payment_succeeded",
            {"id": "cs_1"},
            ("settle_checkout", "tenant-a", "acct_a", "cs_1"),
        ),
    ],
)
def test_each_event_type_re_reads_the_object_it_names(event_type, obj, call):
    receipt, calls, log, _ = deliver(event_type, obj)
    assert calls == [call]
    assert (receipt.event_id, receipt.outcome) == ("evt_1", f"done {call[0]}")
    assert log == [("claim", "evt_1", event_type), ("finish", "evt_1", f"done {call[0]}")]


@pytest.mark.parametrize(
    ("event_type", "obj", "outcome"),
    [
        ("setup_intent.succeeded", {"payment_method": None}, "no payment method"),
        ("setup_intent.succeeded", {"payment_method": {"id": "pm_1"}}, "no payment method"),
        ("payment_method.attached", {"id": ""}, NO_OBJECT),
        ("payment_intent.succeeded", {"id": 7}, NO_OBJECT),
        ("charge.refunded", {"id": "ch_1"}, "no payment intent"),
        ("setup_intent.setup_failed", {"customer": None}, NO_OBJECT),
        ("setup_intent.setup_failed", {"customer": "cus_unknown"}, "ignored: unknown customer"),
        ("checkout.session.completed", {"id": None}, NO_OBJECT),
    ],
)
def test_an_object_that_names_nothing_usable_is_acknowledged_and_logged_done(event_type, obj, outcome):
    receipt, calls, log, _ = deliver(event_type, obj)
    assert receipt.outcome == outcome
    assert [c[0] for c in calls] in ([], ["customer_of"])
    assert log[-1] == ("finish", "evt_1", outcome)
    assert NO_OBJECT == "ignored: the event names no object"


def test_a_failed_setup_is_written_on_the_customers_timeline_with_the_decline():
    error = {"message": "Your card was declined.", "decline_code": "generic_decline"}
    receipt, calls, _, clock = deliver(
        "setup_intent.setup_failed", {"customer": "cus_stripe", "last_setup_error": error}
    )
    assert receipt.outcome == "recorded setup failure"
    (kind, tenant, entry) = calls[-1]
    assert (kind, tenant) == ("add_event", "tenant-a")
    assert (entry.customer_id, entry.type, entry.actor, entry.occurred_at) == (
        "cus_1",
        "payment_method.setup_failed",
        "stripe",
        clock.current,
    )
    assert entry.summary == "Saving a payment method failed: Your card was declined."
    assert entry.data == {"decline_code": "generic_decline"}


@pytest.mark.parametrize("error", [None, "broken", {}])
def test_a_failed_setup_without_a_readable_error_says_so(error):
    _, calls, _, _ = deliver("setup_intent.setup_failed", {"customer": "cus_stripe", "last_setup_error": error})
    entry = calls[-1][2]
    assert entry.summary == "Saving a payment method failed: unknown reason"
    assert entry.data == {"decline_code": None}


def test_a_checkout_session_of_a_subscriptions_setup_goes_to_the_subscriptions_any_other_to_its_invoice():
    setup = {"id": "cs_1", "metadata": {"billow_subscription": "sub_1"}}
    receipt, calls, _, _ = deliver("checkout.session.completed", setup)
    assert receipt.outcome == "done settle_setup" and calls == [("settle_setup", "tenant-a", "acct_a", "cs_1")]
    receipt, calls, _, _ = deliver("checkout.session.async_payment_succeeded", {"id": "cs_2", "metadata": {}})
    assert receipt.outcome == "done settle_checkout" and calls == [("settle_checkout", "tenant-a", "acct_a", "cs_2")]


def test_events_no_handler_group_takes_are_acknowledged_as_unhandled():
    recorder, log = Recorder(), Log()
    events = StripeEventService(SignedEvents(), log, Connections(), event_handlers(PaymentEvents(recorder)))
    receipt = events.receive(payload("checkout.session.completed", {"id": "cs_1"}), "valid")
    assert receipt.outcome == "ignored: unhandled event type" and recorder.calls == []
