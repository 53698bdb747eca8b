"""What a cancellation says, on the customer's timeline and in the buyer's email, for each way of
canceling; and what it refuses."""

from __future__ import annotations

from datetime import date

import pytest

from billing.domain.access import Caller, Role
from billing.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.unit.wiring import ADMIN, BILLING_EMAIL, TENANT, Billow

NOW = "Your subscription (Hosting) is canceled as of today. You will not be charged again."
REFUND = "For the unused days, €14.03 will be refunded to the means of payment you used (credit note CN-000001)."


@pytest.mark.parametrize(
    ("mode", "said", "emailed"),
    [
        ("immediately", "Canceled now; no further payments", [NOW]),
        (
            "at_period_end",
            "Canceled at the end of the current period (2026-04-01)",
            [
                "Your subscription (Hosting) is canceled at the end of its current period, on Apr 1, 2026. "
                "You will not be charged after that."
            ],
        ),
        ("immediately_with_refund", "Canceled now; €14.03 refunded for the unused days", [NOW, REFUND]),
    ],
)
def test_each_way_of_canceling_says_what_it_did_on_the_timeline_and_to_the_buyer(mode, said, emailed):
    billow = Billow()
    subscription = billow.subscribe()
    billow.on(date(2026, 3, 16), hour=10)  # 16 to 31 March: 15 of 31 days after today unused, 29.00 x 15/31 = 14.03
    entries, mails = len(billow.subscriptions.events), len(billow.mailer.sent)

    billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, mode, confirm=True)

    (entry,) = billow.subscriptions.events[entries:]
    assert (entry.type, entry.summary, entry.actor) == ("subscription.canceled", said, "user_1")
    assert entry.data == {"subscription_id": subscription.id}
    (email,) = billow.mailer.sent[mails:]
    assert email["to"] == [BILLING_EMAIL]
    assert email["subject"] == "Your subscription with Billow Demo GmbH is canceled"
    assert email["text"] == "\n\n".join(["Hello,", *emailed, "Kind regards\nBillow Demo GmbH"]) + "\n"


def test_a_german_tenants_buyer_reads_the_cancellation_and_its_refund_in_german():
    billow = Billow()
    billow.change_settings(locale="de_DE")
    subscription = billow.subscribe()
    billow.on(date(2026, 3, 16), hour=10)
    mails = len(billow.mailer.sent)

    billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, "immediately_with_refund", confirm=True)

    (email,) = billow.mailer.sent[mails:]
    assert email["subject"] == "Ihr Abonnement bei Billow Demo GmbH ist gekündigt"
    assert email["text"] == (
        "Guten Tag,\n\nIhr Abonnement (Hosting) ist mit dem heutigen Tag gekündigt. Es wird nichts mehr abgebucht."
        "\n\nFür die nicht genutzten Tage werden Ihnen 14,03\xa0€ auf das verwendete Zahlungsmittel erstattet "
        "(Rechnungskorrektur CN-000001).\n\nMit freundlichen Grüßen\nBillow Demo GmbH\n"
    )


def test_a_cancellation_needs_its_confirmation_and_a_canceled_subscription_is_not_canceled_again():
    billow = Billow()
    subscription = billow.subscribe()
    with pytest.raises(ValidationFailed) as unconfirmed:
        billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, "immediately", confirm=False)
    assert [(e.field, e.message) for e in unconfirmed.value.errors] == [
        ("confirm", "must be true: the customer will not be charged again")
    ]
    billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, "immediately", confirm=True)
    with pytest.raises(Conflict) as again:
        billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, "immediately", confirm=True)
    assert again.value.message == f"subscription {subscription.id} is already canceled"


def test_only_a_canceled_subscription_is_deleted_by_a_writer_and_the_timeline_and_webhooks_say_so():
    billow = Billow()
    subscription = billow.subscribe()
    cases = billow.subscription_cases.cancellation
    with pytest.raises(Conflict) as active:
        cases.delete(ADMIN, subscription.id)
    assert active.value.message == (
        "the subscription is active; cancel it first (only canceled or expired ones are deleted)"
    )
    cases.cancel(ADMIN, subscription.id, "immediately", confirm=True)
    with pytest.raises(Forbidden):
        cases.delete(Caller(TENANT, "user_2", Role.VIEWER), subscription.id)
    entries, changes = len(billow.subscriptions.events), len(billow.changes)

    cases.delete(ADMIN, subscription.id)

    (entry,) = billow.subscriptions.events[entries:]
    assert (entry.type, entry.summary, entry.actor) == (
        "subscription.deleted",
        f"Subscription {subscription.id} deleted",
        "user_1",
    )
    assert entry.data == {"subscription_id": subscription.id}
    assert [(c.change, c.record_id) for c in billow.changes[changes:]] == [("subscription.deleted", subscription.id)]
    with pytest.raises(NotFound):
        billow.subscription(subscription.id)
