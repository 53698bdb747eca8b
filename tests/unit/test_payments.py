"""Payment status rules, deliveries that waited, and two deliveries about one new card."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from billing.domain.customers import CustomerType, new_customer
from billing.domain.errors import StaleWrite
from billing.domain.payments import PaymentStatus, ProcessorPayment, new_payment, status_from_processor
from billing.domain.timeline import timeline_event
from billing.ports import MethodDetails
from billing.services.payment_methods import PaymentMethodService
from billing.services.payments import build_payments
from tests.unit.fakes import FixedClock, InMemoryCustomers, InMemorySettings, RecordingNotifier

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
    service = build_payments(
        None, None, payments, None, stripe, None, InMemorySettings(), FixedClock(), RecordingNotifier()
    )
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
    def payment_method(self, account, method_id, mandate_id=None):
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


class BankAccountAtStripe:
    """A SEPA account; its mandate reference is known only from the setup that names the mandate."""

    def payment_method(self, account, method_id, mandate_id=None):
        reference = "A1B2C3D4E5F60718" if mandate_id == "mandate_1" else ""
        return MethodDetails(method_id, "sepa_debit", "", "3000", 0, 0, "cus_stripe", "37040044", "DE", reference)


def test_a_bank_accounts_mandate_reference_comes_from_its_setup_and_later_deliveries_keep_it():
    customers = InMemoryCustomers()
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="Muster GmbH")
    customers.add(customer, timeline_event(customer.id, "customer.created", NOW, "u", "created"))
    methods = RacedMethods(customer.id)
    methods.raced = True  # no concurrent delivery here
    service = PaymentMethodService(customers, methods, None, BankAccountAtStripe(), FixedClock())
    assert service.reconcile("t", "acct_a", "pm_1", mandate_id="mandate_1") == "saved"
    assert methods.saved["pm_1"].mandate_reference == "A1B2C3D4E5F60718"
    # payment_method.attached names no mandate: the reference stays as the setup named it.
    assert service.reconcile("t", "acct_a", "pm_1") == "unchanged"
    assert methods.saved["pm_1"].mandate_reference == "A1B2C3D4E5F60718"
