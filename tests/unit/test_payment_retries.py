"""A retry after a crash never charges, refunds or creates twice (SPEC W1, X3): every processor
call carries a key derived from what we recorded, so asking again replays the first answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from billing.domain.access import Caller, Role
from billing.domain.customers import CustomerType, new_customer
from billing.domain.errors import Conflict, PaymentFailed, ProcessorDown, StaleWrite, ValidationFailed
from billing.domain.payments import PaymentMethod, PaymentStatus
from billing.domain.timeline import timeline_event
from billing.services.payment_methods import PaymentMethodService
from billing.services.payments import PaymentService
from tests.unit.fakes import (
    FixedClock,
    IdempotentStripe,
    InMemoryCustomers,
    InMemoryMethods,
    InMemoryPayments,
    InMemorySettings,
    OneAccount,
)

CALLER = Caller("t", "user_1", Role.ADMIN)


class Ledger:
    def __init__(self, stripe: IdempotentStripe):
        self.clock = FixedClock()
        self.customers = InMemoryCustomers()
        customer = new_customer("t", self.clock.now(), CustomerType.COMPANY, company_name="Muster GmbH")
        card = PaymentMethod("pm_1", customer.id, "card", "visa", "4242", 12, 2030, self.clock.now())
        customer = replace(customer, default_payment_method_id=card.id, processor_customer_id="cus_linked")
        self.customers.add(customer, timeline_event(customer.id, "customer.created", self.clock.now(), "u", "new"))
        self.customer_id = customer.id
        self.stripe = stripe
        self.payments = InMemoryPayments()
        methods = InMemoryMethods([card])
        self.method_service = PaymentMethodService(self.customers, methods, OneAccount(), stripe, self.clock)
        self.service = PaymentService(
            self.customers,
            methods,
            self.payments,
            OneAccount(),
            stripe,
            self.method_service,
            InMemorySettings(),
            self.clock,
        )

    def charge(self, amount=1190, key="order-1", **extra):
        request = {"customer_id": self.customer_id, "amount": amount, "currency": "eur"} | extra
        return self.service.charge(CALLER, request, key)


def test_a_charge_whose_answer_was_lost_is_finished_by_the_retry_not_made_again():
    ledger = Ledger(IdempotentStripe(lose_answers=1))
    with pytest.raises(ProcessorDown):
        ledger.charge()
    payment = ledger.charge()
    assert payment.status is PaymentStatus.SUCCEEDED
    assert len(ledger.stripe.charges) == 1
    assert list(ledger.payments.payments.values()) == [payment]
    # The processor heard one key, twice: the one the recorded payment names.
    assert ledger.stripe.keys == [f"billow-charge-{payment.id}"] * 2


def test_a_retry_after_the_charge_was_recorded_reads_it_and_charges_nothing():
    ledger = Ledger(IdempotentStripe())
    first = ledger.charge()
    again = ledger.charge()
    assert again.id == first.id and again.status is PaymentStatus.SUCCEEDED
    assert len(ledger.stripe.charges) == 1


def test_without_a_request_key_each_request_is_its_own_charge():
    ledger = Ledger(IdempotentStripe())
    ledger.charge(key=None)
    ledger.charge(key=None)
    assert len(ledger.stripe.charges) == 2


def test_a_retried_decline_answers_the_same_decline_and_records_one_payment():
    ledger = Ledger(IdempotentStripe(decline="insufficient_funds"))
    with pytest.raises(PaymentFailed) as first:
        ledger.charge()
    with pytest.raises(PaymentFailed) as again:
        ledger.charge()
    assert again.value.payment_id == first.value.payment_id
    assert again.value.decline_code == first.value.decline_code == "insufficient_funds"
    assert len(ledger.payments.payments) == 1


def test_a_request_key_reused_for_another_charge_is_refused_by_name():
    ledger = Ledger(IdempotentStripe())
    ledger.charge(amount=1190)
    for other in ({"amount": 1200}, {"currency": "usd"}, {"payment_method_id": "pm_other"}):
        with pytest.raises(ValidationFailed) as refused:
            ledger.charge(**({"amount": 1190} | other))
        assert refused.value.errors[0].field == "Idempotency-Key"


def test_a_payment_the_processor_never_answered_for_a_day_is_not_charged_again():
    ledger = Ledger(IdempotentStripe(lose_answers=1))
    with pytest.raises(ProcessorDown):
        ledger.charge()
    ledger.clock.current += timedelta(days=1)
    with pytest.raises(Conflict, match="Stripe never answered"):
        ledger.charge()
    assert ledger.stripe.keys[-1:] == ledger.stripe.keys[:1]  # asked once only


def test_a_refund_whose_answer_was_lost_is_made_once_when_retried():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge()
    ledger.stripe.lose_answers = 1
    with pytest.raises(ProcessorDown):
        ledger.service.refund(CALLER, payment.id, 500)
    refunded = ledger.service.refund(CALLER, payment.id, 500)
    assert refunded.amount_refunded == 500
    assert ledger.stripe.charges[payment.processor_payment_id]["amount_refunded"] == 500


def test_the_whole_remainder_can_be_refunded_by_amount_and_not_a_cent_more():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge(amount=1190)
    ledger.service.refund(CALLER, payment.id, 190)
    with pytest.raises(ValidationFailed, match="must be 1 to 1000"):
        ledger.service.refund(CALLER, payment.id, 1001)
    with pytest.raises(ValidationFailed):
        ledger.service.refund(CALLER, payment.id, 0)
    assert ledger.service.refund(CALLER, payment.id, 1000).status is PaymentStatus.REFUNDED


def test_two_partial_refunds_of_the_same_amount_are_two_refunds():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge(amount=1000)
    ledger.service.refund(CALLER, payment.id, 300)
    assert ledger.service.refund(CALLER, payment.id, 300).amount_refunded == 600


def test_a_processor_customer_is_created_once_when_linking_it_is_retried():
    stripe = IdempotentStripe()
    ledger = Ledger(stripe)
    save = ledger.customers.save
    failures = iter([StaleWrite("customer")])

    def save_failing_once(*args, **kwargs):
        failure = next(failures, None)
        if failure:
            raise failure
        return save(*args, **kwargs)

    ledger.customers.save = save_failing_once
    customer = replace(ledger.customers.get("t", ledger.customer_id), processor_customer_id=None)
    with pytest.raises(StaleWrite):
        ledger.method_service.processor_customer(CALLER, customer, "acct_1")
    linked = ledger.method_service.processor_customer(CALLER, customer, "acct_1")
    assert linked.processor_customer_id == "cus_stripe1"
    assert stripe.customers_created == 1
