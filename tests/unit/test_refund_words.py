"""What a refund (and a charge's retry) answers when Stripe refuses, cannot be reached, or someone
else saves the payment meanwhile: the words of each error, who the timeline says acted, that a
refused refund leaves no claim behind, and how long a second refund waits for the first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing.domain.errors import Conflict, PaymentFailed, ProcessorUnavailable, ValidationFailed
from billing.domain.payments import PaymentStatus, refund_claimed
from billing.services.payment_methods import SYSTEM_ACTOR as STRIPE_ACTOR
from tests.unit.fakes import IdempotentStripe
from tests.unit.test_payment_service import CALLER, Ledger, RacingWrites, timeline


class MoodyStripe(IdempotentStripe):
    """Stripe that may refuse a refund outright, fail to hear one at all (the request never got
    there), or, while a refund is being made, have its webhook delivered to Billow first."""

    def __init__(self, **options):
        super().__init__(**options)
        self.refusal: Exception | None = None
        self.unheard = 0
        self.meanwhile = None

    def refund(self, account, *, payment_reference, amount, idempotency_key):
        if self.refusal is not None:
            raise self.refusal
        if self.unheard:
            self.unheard -= 1
            raise ProcessorUnavailable("connection refused")
        answer = super().refund(
            account, payment_reference=payment_reference, amount=amount, idempotency_key=idempotency_key
        )
        if self.meanwhile is not None:
            self.meanwhile()
        return answer


@pytest.fixture
def ledger() -> Ledger:
    return Ledger(MoodyStripe())


@pytest.fixture
def paid(ledger: Ledger):
    return ledger.charge(amount=1000, key=None)


def refund(ledger: Ledger, payment, amount):
    return ledger.service.refund(CALLER, payment.id, amount)


def stored(ledger: Ledger, payment):
    return ledger.payments.get("t", payment.id)


def refunded_at_stripe(ledger: Ledger, payment) -> int:
    return ledger.stripe.charges[payment.processor_payment_id]["amount_refunded"]


# ---------------------------------------------------------------- refused, unheard, unconfirmed


def test_a_refund_stripe_refuses_is_answered_with_stripes_reason_and_leaves_no_claim(ledger, paid):
    ledger.stripe.refusal = ValidationFailed.of("amount", "Refund amount exceeds the charge's remaining amount")
    with pytest.raises(ValidationFailed) as refused:
        refund(ledger, paid, 400)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("amount", "Refund amount exceeds the charge's remaining amount")
    ]
    assert (stored(ledger, paid).refund_claim, stored(ledger, paid).amount_refunded) == (None, 0)
    ledger.stripe.refusal = None
    ledger.sleep = lambda seconds: pytest.fail("a refused refund left a claim to wait for")
    assert refund(ledger, paid, 400).amount_refunded == 400


def test_a_refund_stripe_never_heard_is_a_retryable_error_that_says_it_was_not_made(ledger, paid):
    refund(ledger, paid, 300)
    ledger.stripe.unheard = 1
    with pytest.raises(ProcessorUnavailable, match=r"^Stripe could not be reached; the refund was not made, retry it$"):
        refund(ledger, paid, 200)
    assert refunded_at_stripe(ledger, paid) == 300
    assert stored(ledger, paid).refund_claim is None
    assert refund(ledger, paid, 200).amount_refunded == 500


def test_a_refund_made_but_not_confirmed_says_so(ledger, paid):
    ledger.stripe.lose_reads = 1
    with pytest.raises(ProcessorUnavailable, match=r"^the refund was made; Stripe could not be reached to confirm it$"):
        refund(ledger, paid, 400)
    assert refunded_at_stripe(ledger, paid) == 400


def test_a_refund_whose_answer_was_lost_is_on_the_timeline_as_the_callers(ledger, paid):
    ledger.stripe.lose_answers = 1
    refund(ledger, paid, 400)
    assert timeline(ledger)[-1][:3] == (
        "payment.refunded",
        "user_1",
        f"Payment {paid.id} refunded in part: 400 of 1000 eur",
    )


def test_a_claim_left_by_a_request_that_died_is_decided_by_stripe_and_the_timeline_says_stripe_acted(ledger, paid):
    ledger.stripe.lose_answers = ledger.stripe.lose_reads = 1  # the refund made, neither answer heard
    with pytest.raises(ProcessorUnavailable):
        refund(ledger, paid, 400)
    ledger.clock.current += timedelta(seconds=61)
    ledger.stripe.lose_reads = 1
    with pytest.raises(ProcessorUnavailable, match=r"^Stripe could not be reached; retry the refund$"):
        refund(ledger, paid, 100)
    assert stored(ledger, paid).refund_claim is not None  # still undecided

    assert refund(ledger, paid, 100).amount_refunded == 500
    assert [(e[1], e[3]["amount"]) for e in timeline(ledger) if e[0] == "payment.refunded"] == [
        (STRIPE_ACTOR, 400),
        ("user_1", 100),
    ]


# ---------------------------------------------------------------- someone else saved the payment


@pytest.mark.parametrize("answer", ["heard", "lost"])
def test_a_refund_whose_webhook_arrived_first_is_settled_once_and_its_claim_released(ledger, paid, answer):
    ledger.stripe.meanwhile = lambda: ledger.service.sync("t", "acct_1", paid.processor_payment_id)
    ledger.stripe.lose_answers = 1 if answer == "lost" else 0
    after = refund(ledger, paid, 400)
    assert (after.amount_refunded, after.refund_claim) == (400, None)
    assert stored(ledger, paid).refund_claim is None
    assert refunded_at_stripe(ledger, paid) == 400


def test_a_claim_left_by_a_request_that_died_is_released_even_when_the_payment_is_saved_meanwhile(ledger, paid):
    ledger.payments.save(refund_claimed(stored(ledger, paid), 400, ledger.clock.now())[0], None)
    ledger.clock.current += timedelta(seconds=61)  # Stripe never saw that refund
    RacingWrites(ledger.payments)
    assert refund(ledger, paid, 100).amount_refunded == 100
    assert stored(ledger, paid).refund_claim is None
    assert refunded_at_stripe(ledger, paid) == 100


# ---------------------------------------------------------------- waiting for another refund


def test_a_second_refund_polls_in_short_growing_pauses_of_at_most_half_a_second(ledger, paid):
    claimed, _ = refund_claimed(stored(ledger, paid), 400, ledger.clock.now())
    ledger.payments.save(claimed, None)
    waits: list[float] = []
    ledger.sleep = waits.append
    with pytest.raises(Conflict, match=rf"^another refund of payment {paid.id} is still being made; retry shortly$"):
        refund(ledger, paid, 100)
    assert waits[:3] == pytest.approx([0.05, 0.0625, 0.078125])
    assert max(waits) == 0.5 and 10 <= sum(waits) < 10.5


# ---------------------------------------------------------------- charges retried


def test_a_decline_without_stripes_intent_keeps_the_issuers_decline_code():
    ledger = Ledger(IdempotentStripe(decline="insufficient_funds", decline_state=False))
    with pytest.raises(PaymentFailed):
        ledger.charge(key=None)
    (payment,) = ledger.payments.payments.values()
    assert (payment.status, payment.decline_code, payment.failure_code) == (
        PaymentStatus.FAILED,
        "insufficient_funds",
        "card_declined",
    )


def test_from_23_hours_on_a_declined_charge_is_answered_from_the_record_without_asking_stripe():
    ledger = Ledger(IdempotentStripe(decline="insufficient_funds"))
    with pytest.raises(PaymentFailed):
        ledger.charge()
    (payment,) = ledger.payments.payments.values()
    ledger.clock.current = payment.created_at + timedelta(hours=23) - timedelta(seconds=1)  # read once: 23h on
    asked = list(ledger.stripe.keys)
    with pytest.raises(PaymentFailed):
        ledger.charge()
    assert ledger.stripe.keys == asked


def test_a_retry_a_day_later_settles_stripes_state_even_when_the_payment_was_saved_meanwhile():
    ledger = Ledger(IdempotentStripe())
    payment = ledger.charge()
    ledger.stripe.charges[payment.processor_payment_id]["amount_refunded"] = 1190
    ledger.clock.current += timedelta(days=1)
    RacingWrites(ledger.payments)
    assert ledger.charge().status is PaymentStatus.REFUNDED
    assert timeline(ledger)[-1][:2] == ("payment.refunded", "user_1")
