"""Payment status rules and processed-once event handling (SPEC W2), against fakes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from billing.domain.customers import CustomerType, new_customer
from billing.domain.errors import InvalidSignature, NotFound, StaleWrite
from billing.domain.payments import PaymentStatus, ProcessorPayment, new_payment, status_from_processor
from billing.domain.timeline import timeline_event
from billing.ports import MethodDetails, ProcessorEvent
from billing.services.payment_methods import PaymentMethodService
from billing.services.payments import PaymentService
from billing.services.stripe_events import StripeEventService
from tests.unit.fakes import FixedClock, InMemoryCustomers, InMemorySettings

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def state(status="succeeded", **kw) -> ProcessorPayment:
    return ProcessorPayment(reference="pi_1", status=status, amount=1000, currency="eur", **kw)


@pytest.mark.parametrize(
    ("processor", "ours"),
    [
        (state(), PaymentStatus.SUCCEEDED),
        (state("processing"), PaymentStatus.PENDING),
        (state("requires_payment_method"), PaymentStatus.PENDING),  # created, not tried yet
        (state("requires_payment_method", failure_code="card_declined"), PaymentStatus.FAILED),
        (state("canceled"), PaymentStatus.FAILED),
        (state(amount_refunded=400), PaymentStatus.SUCCEEDED),  # partly refunded
        (state(amount_refunded=1000), PaymentStatus.REFUNDED),
        (state(amount_refunded=1000, disputed=True), PaymentStatus.DISPUTED),
    ],
)
def test_our_status_follows_the_processors_current_state(processor, ours):
    assert status_from_processor(processor) is ours


def test_following_a_state_keeps_what_the_processor_says():
    payment = new_payment("t", "cus_1", 1000, "eur", NOW)
    followed = payment.following(state(charge_id="ch_1", amount_refunded=1000), NOW)
    assert (followed.status, followed.processor_charge_id, followed.amount_refunded) == (
        PaymentStatus.REFUNDED,
        "ch_1",
        1000,
    )


class FakeGateway:
    def verified_event(self, payload: str, signature: str | None) -> ProcessorEvent:
        if signature != "valid":
            raise InvalidSignature("bad")
        event = json.loads(payload)
        return ProcessorEvent(event["id"], event["type"], event.get("account"), 0, event["data"]["object"])


class FakeLog:
    def __init__(self):
        self.status: dict[str, str] = {}

    def claim(self, event_id, event_type):
        if self.status.get(event_id) in ("done", "processing"):
            return False
        self.status[event_id] = "processing"
        return True

    def finish(self, event_id, outcome):
        self.status[event_id] = "done"

    def fail(self, event_id, error):
        self.status[event_id] = "failed"


class FakeConnections:
    def tenant_of(self, account):
        return {"acct_a": "tenant-a"}.get(account)


class RecordingPayments:
    def __init__(self, failures: int = 0, missing: bool = False):
        self.calls: list[tuple[str, str]] = []
        self.failures = failures
        self.missing = missing

    def sync(self, tenant_id, account, reference):
        self.calls.append((tenant_id, reference))
        if self.missing:
            raise NotFound("no such payment intent")
        if self.failures:
            self.failures -= 1
            raise RuntimeError("DynamoDB throttled")
        return "pending -> succeeded"


def service(payments: RecordingPayments, log: FakeLog | None = None) -> StripeEventService:
    return StripeEventService(FakeGateway(), log or FakeLog(), FakeConnections(), None, None, None, payments, None)


def delivery(event_type="payment_intent.succeeded", account="acct_a", event_id="evt_1") -> str:
    return json.dumps({"id": event_id, "type": event_type, "account": account, "data": {"object": {"id": "pi_1"}}})


def test_an_event_is_processed_once_however_often_it_arrives():
    payments = RecordingPayments()
    events = service(payments)
    outcomes = [events.receive(delivery(), "valid").outcome for _ in range(10)]
    assert payments.calls == [("tenant-a", "pi_1")]
    assert outcomes[0] == "pending -> succeeded"
    assert set(outcomes[1:]) == {"duplicate: already processed"}


def test_a_failed_attempt_is_retried_by_the_next_delivery():
    payments, log = RecordingPayments(failures=1), FakeLog()
    events = service(payments, log)
    with pytest.raises(RuntimeError):
        events.receive(delivery(), "valid")
    assert log.status["evt_1"] == "failed"
    assert events.receive(delivery(), "valid").outcome == "pending -> succeeded"
    assert log.status["evt_1"] == "done"


def test_bad_signature_touches_nothing():
    payments, log = RecordingPayments(), FakeLog()
    with pytest.raises(InvalidSignature):
        service(payments, log).receive(delivery(), "forged")
    assert payments.calls == [] and log.status == {}


@pytest.mark.parametrize(
    ("payload", "outcome"),
    [
        (delivery(account="acct_unknown"), "ignored: no tenant is connected to this account"),
        (delivery(event_type="customer.created"), "ignored: unhandled event type"),
    ],
)
def test_unknown_accounts_and_unhandled_types_are_acknowledged_without_effect(payload, outcome):
    payments, log = RecordingPayments(), FakeLog()
    assert service(payments, log).receive(payload, "valid").outcome == outcome
    assert payments.calls == [] and log.status == {}


def test_an_object_missing_at_the_processor_is_acknowledged_not_retried():
    log = FakeLog()
    receipt = service(RecordingPayments(missing=True), log).receive(delivery(), "valid")
    assert receipt.outcome.startswith("ignored")
    assert log.status["evt_1"] == "done"


# ---------------------------------------------------------------- deliveries that waited


class VersionedPayments:
    """One stored payment, saved only over the version it was read at (as DynamoDB does)."""

    def __init__(self, payment):
        self.stored = payment

    def by_processor_reference(self, tenant_id, reference):
        return self.stored

    def get(self, tenant_id, payment_id):
        return self.stored

    def save(self, payment, event):
        if payment.version != self.stored.version:
            raise StaleWrite("payment")
        self.stored = replace(payment, version=payment.version + 1)
        return self.stored


class StripeMovingOn:
    """Answers with its current state, and right after that answer a refund happens at Stripe and
    the API saves it: the delivery now holds a state older than what is stored."""

    def __init__(self, payments: VersionedPayments):
        self.payments = payments
        self.current = state(amount_refunded=500)

    def payment(self, account, reference):
        answer, self.current = self.current, state(amount_refunded=1000)
        stored = self.payments.stored
        self.payments.save(stored.following(self.current, NOW), None)
        return answer


def test_a_delivery_that_waited_never_undoes_a_newer_refund():
    paid = replace(new_payment("t", "cus_1", 1000, "eur", NOW), processor_payment_id="pi_1", version=1).following(
        state(amount_refunded=500), NOW
    )
    payments = VersionedPayments(paid)
    stripe = StripeMovingOn(payments)
    service = PaymentService(None, None, payments, None, stripe, None, InMemorySettings(), FixedClock())
    service.sync("t", "acct_a", "pi_1")
    assert payments.stored.amount_refunded == 1000
    assert payments.stored.status is PaymentStatus.REFUNDED


# ---------------------------------------------------------------- two deliveries about one new card


class RacedMethods:
    """Saved methods; the first add loses a race to a concurrent delivery that saved the card
    (and its timeline entry) a moment earlier."""

    def __init__(self, customer_id: str):
        self.customer_id = customer_id
        self.saved: dict[str, object] = {}
        self.added_entries = 0
        self.raced = False

    def list(self, tenant_id, customer_id):
        return list(self.saved.values())

    def owner_of(self, tenant_id, method_id):
        return self.customer_id if method_id in self.saved else None

    def customer_of_processor_customer(self, tenant_id, processor_customer_id):
        return self.customer_id

    def add(self, tenant_id, method, event):
        if not self.raced:
            self.raced = True
            self.saved[method.id] = method
            self.added_entries += 1
            raise StaleWrite("payment method")
        if method.id in self.saved:
            raise StaleWrite("payment method")
        self.saved[method.id] = method
        self.added_entries += 1

    def save(self, tenant_id, method, event):
        self.saved[method.id] = method


class CardAtStripe:
    def payment_method(self, account, method_id):
        return MethodDetails(method_id, "card", "visa", "4242", 12, 2030, "cus_stripe")


def test_a_card_two_deliveries_save_at_once_is_added_once_and_becomes_the_default():
    customers = InMemoryCustomers()
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="Muster GmbH")
    customers.add(customer, timeline_event(customer.id, "customer.created", NOW, "u", "created"))
    methods = RacedMethods(customer.id)
    service = PaymentMethodService(customers, methods, None, CardAtStripe(), FixedClock())
    assert service.reconcile("t", "acct_a", "pm_1") == "unchanged"  # the other delivery saved it
    assert methods.added_entries == 1
    assert methods.saved["pm_1"].is_default
    assert customers.get("t", customer.id).default_payment_method_id == "pm_1"
