"""The payments ledger against fakes: what Stripe is asked, what is recorded and said on the
timeline, and that a retry after a crash never charges, refunds or creates twice (every processor
call carries a key derived from what we recorded, so asking again replays the first answer)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest

from billing.domain.access import Caller, Role
from billing.domain.customers import CustomerType, new_customer
from billing.domain.errors import Conflict, Forbidden, PaymentFailed, ProcessorUnavailable, StaleWrite, ValidationFailed
from billing.domain.paging import MAX_PAGE_SIZE
from billing.domain.payments import Charge, PaymentMethod, PaymentStatus, refund_claimed
from billing.domain.timeline import timeline_event
from billing.services.payment_methods import PaymentMethodService
from billing.services.payments import build_payments
from tests.unit.fakes import (
    FixedClock,
    IdempotentStripe,
    InMemoryCustomers,
    InMemoryMethods,
    InMemoryPayments,
    InMemorySettings,
    OneAccount,
    RecordingNotifier,
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
        self.notifier = RecordingNotifier()
        self.card, self.other_card = card, replace(card, id="pm_2", last4="4444", brand="mastercard")
        methods = self.methods = InMemoryMethods([card, self.other_card])
        settings = InMemorySettings()
        settings.save(replace(settings.get("t"), currencies=("eur", "usd")))
        self.method_service = PaymentMethodService(self.customers, methods, OneAccount(), stripe, self.clock)
        self.service = build_payments(
            self.customers,
            methods,
            self.payments,
            OneAccount(),
            stripe,
            self.method_service,
            settings,
            self.clock,
            self.notifier,
            sleep=lambda seconds: self.sleep(seconds),
        )
        self.sleep = time.sleep  # a test may wait differently

    def charge(self, amount=1190, key="order-1", **extra):
        charge = Charge(**({"customer_id": self.customer_id, "amount": amount, "currency": "eur"} | extra))
        return self.service.charge(CALLER, charge, key)


def test_a_charge_whose_answer_was_lost_is_finished_by_the_retry_not_made_again():
    ledger = Ledger(IdempotentStripe(lose_answers=1))
    with pytest.raises(ProcessorUnavailable):
        ledger.charge()
    payment = ledger.charge()
    assert payment.status is PaymentStatus.SUCCEEDED
    assert len(ledger.stripe.charges) == 1
    assert list(ledger.payments.payments.values()) == [payment]
    # The processor heard one key, twice: the one the recorded payment names.
    assert ledger.stripe.keys == [f"billow-charge-{payment.id}"] * 2


def test_a_retry_naming_the_currency_in_capitals_is_the_same_request():
    ledger = Ledger(IdempotentStripe(lose_answers=1))
    with pytest.raises(ProcessorUnavailable):
        ledger.charge(currency="EUR")
    assert ledger.charge(currency="EUR").status is PaymentStatus.SUCCEEDED
    assert len(ledger.stripe.charges) == 1


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
    first = ledger.charge(amount=1190)
    for other in ({"amount": 1200}, {"currency": "usd"}, {"payment_method_id": "pm_other"}):
        with pytest.raises(ValidationFailed) as refused:
            ledger.charge(**({"amount": 1190} | other))
        assert [(e.field, e.message) for e in refused.value.errors] == [
            ("Idempotency-Key", f"was already used for payment {first.id} of other details")
        ]


def test_a_payment_the_processor_never_answered_for_a_day_is_not_charged_again():
    ledger = Ledger(IdempotentStripe(lose_answers=1))
    with pytest.raises(ProcessorUnavailable):
        ledger.charge()
    ledger.clock.current += timedelta(days=1)
    with pytest.raises(Conflict, match=r"and Stripe never answered; look it up in Stripe before charging again$"):
        ledger.charge()
    assert ledger.stripe.keys[-1:] == ledger.stripe.keys[:1]  # asked once only


def test_a_refund_whose_answer_was_lost_is_confirmed_from_stripes_state_and_made_once():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge()
    ledger.stripe.lose_answers = 1
    refunded = ledger.service.refund(CALLER, payment.id, 500)
    assert refunded.amount_refunded == 500 and refunded.refund_claim is None
    assert ledger.stripe.charges[payment.processor_payment_id]["amount_refunded"] == 500
    assert len([k for k in ledger.stripe.keys if k.startswith("billow-refund-")]) == 1


def test_each_refund_request_is_its_own_refund_at_stripe():
    """Two identical requests are two refunds (each claim names its own idempotency key)."""
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge(amount=1000)
    ledger.service.refund(CALLER, payment.id, 300)
    after = ledger.service.refund(CALLER, payment.id, 300)
    assert after.amount_refunded == 600 and after.refund_claim is None
    keys = [k for k in ledger.stripe.keys if k.startswith("billow-refund-")]
    assert len(set(keys)) == 2


def test_a_refund_waits_for_one_still_being_made_and_then_finds_what_is_left():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge(amount=1000)
    stored = ledger.payments.get("t", payment.id)
    claimed, claim = refund_claimed(stored, 1000, ledger.clock.now())
    ledger.payments.save(claimed, None)
    ledger.stripe.refund("acct_1", payment_reference=payment.processor_payment_id, amount=1000, idempotency_key="x")

    def finish_the_other(seconds):  # while this request waits, the other one ends its claim
        current = ledger.payments.get("t", payment.id)
        if current.refund_claim is not None:
            ledger.service.ledger.settle(
                current, ledger.stripe.payment("acct_1", payment.processor_payment_id), "u", "acct_1", release=claim.id
            )

    ledger.sleep = finish_the_other
    with pytest.raises(Conflict, match="is refunded in full; nothing is left to refund"):
        ledger.service.refund(CALLER, payment.id, None)
    assert ledger.stripe.charges[payment.processor_payment_id]["amount_refunded"] == 1000


def test_a_refund_claim_still_running_after_the_wait_is_a_409_and_a_stale_one_is_decided_by_stripe():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge(amount=1000)
    claimed, _ = refund_claimed(ledger.payments.get("t", payment.id), 400, ledger.clock.now())
    ledger.payments.save(claimed, None)
    waits = []
    ledger.sleep = waits.append
    with pytest.raises(Conflict, match="is still being made; retry shortly"):
        ledger.service.refund(CALLER, payment.id, 100)
    assert sum(waits) >= 10 and ledger.stripe.charges[payment.processor_payment_id]["amount_refunded"] == 0
    ledger.clock.current += timedelta(seconds=61)  # the request that claimed it died; Stripe never saw it
    refunded = ledger.service.refund(CALLER, payment.id, 100)
    assert (refunded.amount_refunded, refunded.refund_claim) == (100, None)


def test_the_whole_remainder_can_be_refunded_by_amount_and_not_a_cent_more():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge(amount=1190)
    ledger.service.refund(CALLER, payment.id, 190)
    with pytest.raises(ValidationFailed) as above:
        ledger.service.refund(CALLER, payment.id, 1001)
    assert [(e.field, e.message) for e in above.value.errors] == [("amount", "must be 1 to 1000")]
    assert ledger.service.refund(CALLER, payment.id, 1).amount_refunded == 191  # a single cent is a refund
    assert timeline(ledger)[-1][2] == f"Payment {payment.id} refunded in part: 1 of 1190 eur"
    with pytest.raises(ValidationFailed):
        ledger.service.refund(CALLER, payment.id, 0)
    assert ledger.service.refund(CALLER, payment.id, 999).status is PaymentStatus.REFUNDED


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
    assert stripe.customers_created == [
        {"email": "", "name": "Muster GmbH", "metadata": {"billow_tenant": "t", "billow_customer": customer.id}}
    ]


# ---------------------------------------------------------------- what is asked and recorded


def timeline(ledger) -> list[tuple]:
    return [(e.type, e.actor, e.summary, e.data) for e in ledger.payments.events]


def test_a_charge_asks_stripe_for_the_recorded_payment_and_says_so_on_the_timeline():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge(amount=1190, currency="usd", description="Order 7", key=None)
    assert ledger.stripe.charges["pi_1"] == {
        "processor_customer_id": "cus_linked",
        "method_id": "pm_1",
        "amount": 1190,
        "currency": "usd",
        "metadata": {"billow_tenant": "t", "billow_payment": payment.id, "billow_customer": ledger.customer_id},
        "description": "Order 7",
        "amount_refunded": 0,
    }
    assert (payment.method, payment.payment_method_id, payment.description) == (
        "visa •••• 4242 (12/2030)",
        "pm_1",
        "Order 7",
    )
    assert (payment.processor_payment_id, payment.processor_charge_id) == ("pi_1", "ch_1")
    assert timeline(ledger) == [
        ("payment.created", "user_1", f"Payment {payment.id} started", {"payment_id": payment.id}),
        (
            "payment.succeeded",
            "user_1",
            f"Payment {payment.id} succeeded",
            {"payment_id": payment.id, "amount": 1190, "currency": "usd"},
        ),
    ]
    assert [e.customer_id for e in ledger.payments.events] == [ledger.customer_id] * 2
    assert ledger.notifier.changes == [(payment.id, "pending", "succeeded")]


def test_a_charge_uses_the_method_asked_for_else_the_default_and_names_the_field_when_there_is_none():
    ledger = Ledger(IdempotentStripe())
    assert ledger.charge(payment_method_id="pm_2", key=None).payment_method_id == "pm_2"
    assert ledger.stripe.charges["pi_1"]["method_id"] == "pm_2"
    with pytest.raises(ValidationFailed) as unknown:
        ledger.charge(payment_method_id="pm_gone", key=None)
    assert [(e.field, e.message) for e in unknown.value.errors] == [
        ("payment_method_id", "the customer has no such payment method on file")
    ]
    ledger.methods.methods.clear()
    with pytest.raises(ValidationFailed) as none:
        ledger.charge(key=None)
    assert none.value.errors[0].field == "customer_id"
    assert none.value.errors[0].message.startswith("the customer has no payment method on file to charge")
    with pytest.raises(ValidationFailed):
        ledger.charge(currency="chf", key=None)  # the tenant bills in eur and usd only


@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize(
    ("decline", "authentication"), [("insufficient_funds", False), ("authentication_required", True)]
)
def test_a_decline_is_recorded_failed_with_the_reason_and_answered_with_the_decline_code(
    with_state, decline, authentication
):
    ledger = Ledger(IdempotentStripe(decline=decline, decline_state=with_state))
    with pytest.raises(PaymentFailed) as failed:
        ledger.charge(key=None)
    payment = next(iter(ledger.payments.payments.values()))
    assert (failed.value.payment_id, failed.value.decline_code, failed.value.authentication_required) == (
        payment.id,
        decline,
        authentication,
    )
    # Stripe's word on the PaymentIntent is kept; the error's own message only when Stripe sent no intent.
    message = IdempotentStripe.STATE_MESSAGE if with_state else "Your card was declined."
    assert str(failed.value) == message
    assert (payment.status, payment.failure_code, payment.failure_message) == (
        PaymentStatus.FAILED,
        "card_declined",
        message,
    )
    assert payment.processor_payment_id == ("pi_1" if with_state else None)
    assert timeline(ledger)[-1][:3] == ("payment.failed", "user_1", f"Payment {payment.id} failed: {message}")
    assert ledger.notifier.changes == [(payment.id, "pending", "failed")]


def test_an_unreachable_stripe_is_a_retryable_error_that_says_how_to_retry():
    ledger = Ledger(IdempotentStripe(lose_answers=1))
    with pytest.raises(
        ProcessorUnavailable, match=r"^Stripe could not be reached; retry with the same Idempotency-Key$"
    ):
        ledger.charge()
    payment = ledger.charge()
    ledger.stripe.lose_answers = ledger.stripe.lose_reads = 1  # the refund's answer, then the read of the payment
    with pytest.raises(ProcessorUnavailable, match=r"^Stripe could not be reached; whether the refund was made is not"):
        ledger.service.refund(CALLER, payment.id, None)
    ledger.clock.current += timedelta(seconds=61)  # the claim it left is decided by Stripe's state
    with pytest.raises(Conflict, match=r"is refunded in full; nothing is left to refund$"):
        ledger.service.refund(CALLER, payment.id, None)
    assert ledger.payments.get("t", payment.id).refund_claim is None


def test_a_decline_retried_after_a_day_answers_from_the_record_without_asking_stripe():
    ledger = Ledger(IdempotentStripe(decline="insufficient_funds"))
    with pytest.raises(PaymentFailed) as first:
        ledger.charge()
    ledger.clock.current += timedelta(days=1)
    asked = list(ledger.stripe.keys)
    with pytest.raises(PaymentFailed) as again:
        ledger.charge()
    assert ledger.stripe.keys == asked
    assert (again.value.payment_id, str(again.value), again.value.decline_code) == (
        first.value.payment_id,
        IdempotentStripe.STATE_MESSAGE,
        "card_declined",
    )
    assert again.value.authentication_required is False


def test_a_retry_a_day_after_success_reads_the_current_state_from_stripe():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge()
    ledger.stripe.charges["pi_1"]["amount_refunded"] = 1190  # refunded in Stripe's dashboard meanwhile
    ledger.clock.current += timedelta(days=1)
    assert ledger.charge().status is PaymentStatus.REFUNDED
    assert len(ledger.stripe.charges) == 1 and ledger.payments.get("t", payment.id).amount_refunded == 1190
    assert timeline(ledger)[-1][:2] == ("payment.refunded", "user_1")


def test_refunds_say_in_part_or_in_full_with_their_own_amount():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge(amount=1190)
    ledger.service.refund(CALLER, payment.id, 300)
    done = ledger.service.refund(CALLER, payment.id, None)  # the rest
    assert (done.status, done.amount_refunded) == (PaymentStatus.REFUNDED, 1190)
    assert timeline(ledger)[2:] == [
        (
            "payment.refunded",
            "user_1",
            f"Payment {payment.id} refunded in part: 300 of 1190 eur",
            {"payment_id": payment.id, "amount": 300, "amount_refunded": 300, "currency": "eur"},
        ),
        (
            "payment.refunded",
            "user_1",
            f"Payment {payment.id} refunded in full: 890 of 1190 eur",
            {"payment_id": payment.id, "amount": 890, "amount_refunded": 1190, "currency": "eur"},
        ),
    ]
    # Each refund is asked for with its own key and its amount spelled out (the rest: 890).
    refund_keys = [k for k in ledger.stripe.keys if k.startswith("billow-refund-rfd_")]
    assert len(set(refund_keys)) == 2 and ledger.stripe.params[refund_keys[-1]]["amount"] == 890
    # The timeline and the notifier hear of each change; a refund in part changes no status.
    assert ledger.notifier.changes == [(payment.id, "pending", "succeeded"), (payment.id, "succeeded", "refunded")]
    assert {e.customer_id for e in ledger.payments.events} == {ledger.customer_id}
    assert [e.occurred_at for e in ledger.payments.events] == sorted(e.occurred_at for e in ledger.payments.events)
    assert done.updated_at == ledger.payments.events[-1].occurred_at


def test_only_a_succeeded_payment_can_be_refunded():
    ledger = Ledger(IdempotentStripe(lose_answers=1))
    with pytest.raises(ProcessorUnavailable):
        ledger.charge()
    pending = next(iter(ledger.payments.payments.values()))
    with pytest.raises(Conflict, match=r"^only a succeeded payment can be refunded; this one is pending$"):
        ledger.service.refund(CALLER, pending.id, None)
    recorded = ledger.charge()
    ledger.payments.payments[("t", recorded.id)] = replace(recorded, processor_payment_id=None)
    with pytest.raises(Conflict):
        ledger.service.refund(CALLER, recorded.id, None)


def test_sync_follows_stripe_and_says_what_changed():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge()
    assert ledger.service.sync("t", "acct_1", "pi_1") == "unchanged"
    ledger.stripe.charges["pi_1"]["amount_refunded"] = 1190
    assert ledger.service.sync("t", "acct_1", "pi_1") == "succeeded -> refunded"
    assert timeline(ledger)[-1][:2] == ("payment.refunded", "stripe")
    assert ledger.service.sync("t", "acct_1", "pi_unknown") == "ignored: no payment of this tenant has that reference"
    assert ledger.service.sync("other", "acct_1", "pi_1").startswith("ignored")
    assert ledger.payments.get("t", payment.id).status is PaymentStatus.REFUNDED


def test_reading_needs_the_read_permission_and_lists_are_capped():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge()
    viewer = Caller("t", "user_2", Role.VIEWER)
    assert ledger.service.get_payment(viewer, payment.id) == payment
    assert ledger.service.ledger.list_payments(viewer, cursor="c1").items == [payment]
    assert (ledger.payments.listed["limit"], ledger.payments.listed["cursor"]) == (25, "c1")
    listed = ledger.service.ledger.list_payments(
        viewer, status="succeeded", customer_id=ledger.customer_id, limit=10_000
    )
    assert [p.id for p in listed.items] == [payment.id]
    assert ledger.payments.listed == {
        "tenant_id": "t",
        "status": "succeeded",
        "customer_id": ledger.customer_id,
        "limit": MAX_PAGE_SIZE,
        "cursor": None,
    }
    with pytest.raises(Forbidden):
        ledger.service.charge(viewer, {"customer_id": ledger.customer_id, "amount": 1, "currency": "eur"})
    with pytest.raises(Forbidden):
        ledger.service.refund(viewer, payment.id, None)


def test_a_payment_that_keeps_changing_is_left_to_the_next_delivery():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge()
    ledger.stripe.charges["pi_1"]["amount_refunded"] = 1190
    saves = []

    def always_stale(updated, event):
        saves.append(updated)
        raise StaleWrite("payment")

    ledger.payments.save = always_stale
    with pytest.raises(Conflict, match=rf"^payment {payment.id} kept changing; the next delivery will settle it$"):
        ledger.service.sync("t", "acct_1", "pi_1")
    assert len(saves) == 5


def test_the_first_charge_of_a_customer_creates_it_at_stripe_for_the_tenant():
    ledger = Ledger(IdempotentStripe())
    stored = ledger.customers.get("t", ledger.customer_id)
    ledger.customers.customers[("t", ledger.customer_id)] = replace(stored, processor_customer_id=None)
    payment = ledger.charge(key=None)
    metadata = {"billow_tenant": "t", "billow_customer": payment.customer_id}
    assert ledger.stripe.customers_created[0]["metadata"] == metadata
    assert ledger.stripe.charges["pi_1"]["processor_customer_id"] == "cus_stripe1"
    assert (payment.description, ledger.stripe.charges["pi_1"]["description"]) == ("", "")
    assert ledger.payments.events[0].occurred_at == payment.created_at


class RacingWrites:
    """Another writer (a webhook delivery) saves the payment right before our next save, once."""

    def __init__(self, payments):
        self.payments = payments
        self.save = payments.save
        payments.save = self.racing_save

    def racing_save(self, payment, event):
        stored = self.payments.payments.get((payment.tenant_id, payment.id))
        if stored is not None:  # not its first write: the other writer gets there first
            self.payments.save = self.save
            self.save(stored, None)  # their save bumps the version
        return self.save(payment, event)


@pytest.mark.parametrize("what", ["charge", "refund", "sync", "resume"])
def test_a_save_that_lost_a_race_reads_again_asks_stripe_again_and_settles(what):
    ledger = Ledger(IdempotentStripe(lose_answers=1 if what == "resume" else 0))
    if what == "resume":
        with pytest.raises(ProcessorUnavailable):
            ledger.charge()
        RacingWrites(ledger.payments)
        payment = ledger.charge()
    elif what == "charge":
        RacingWrites(ledger.payments)
        payment = ledger.charge()
    else:
        payment = ledger.charge()
        ledger.stripe.charges["pi_1"]["amount_refunded"] = 400 if what == "sync" else 0
        RacingWrites(ledger.payments)
        if what == "refund":
            payment = ledger.service.refund(CALLER, payment.id, 400)
        else:
            ledger.service.sync("t", "acct_1", "pi_1")
            payment = ledger.payments.get("t", payment.id)
    expected = 400 if what in ("refund", "sync") else 0
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.SUCCEEDED, expected)
    assert timeline(ledger)[-1][1] == ("stripe" if what == "sync" else "user_1")


def test_a_concurrent_retry_that_recorded_its_payment_first_is_finished_not_doubled():
    ledger = Ledger(IdempotentStripe())
    add = ledger.payments.add

    def they_were_first(payment, event, request_key=None):
        ledger.payments.add = add
        add(replace(payment, id="pay_theirs"), event, request_key=request_key)
        return add(payment, event, request_key=request_key)  # raises RequestTaken

    ledger.payments.add = they_were_first
    payment = ledger.charge()
    assert payment.id == "pay_theirs" and payment.status is PaymentStatus.SUCCEEDED
    assert len(ledger.stripe.charges) == 1 and len(ledger.payments.payments) == 1


def test_a_fact_learned_without_a_status_change_is_saved_without_a_timeline_entry():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge()
    ledger.payments.payments[("t", payment.id)] = replace(
        ledger.payments.get("t", payment.id), processor_charge_id=None
    )
    entries = len(ledger.payments.events)
    assert ledger.service.sync("t", "acct_1", "pi_1") == "unchanged"
    assert ledger.payments.get("t", payment.id).processor_charge_id == "ch_1"
    assert len(ledger.payments.events) == entries


def test_a_payment_cancelled_at_stripe_fails_without_inventing_a_reason():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge()
    ledger.stripe.charges["pi_1"]["status"] = "canceled"
    assert ledger.service.sync("t", "acct_1", "pi_1") == "succeeded -> failed"
    assert timeline(ledger)[-1][:3] == ("payment.failed", "stripe", f"Payment {payment.id} failed")


def test_a_decline_without_words_retried_a_day_later_says_it_was_declined():
    ledger = Ledger(IdempotentStripe(decline="insufficient_funds"))
    with pytest.raises(PaymentFailed):
        ledger.charge()
    stored = next(iter(ledger.payments.payments.values()))
    ledger.payments.payments[("t", stored.id)] = replace(stored, failure_message=None)
    ledger.clock.current += timedelta(days=1)
    with pytest.raises(PaymentFailed, match=r"^the payment was declined$"):
        ledger.charge()
