"""An invoice's history and its customer's timeline record each step of its life as it happened:
what, when (the step's own moment), by whom, in words a bookkeeper reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing.domain.errors import Conflict
from billing.domain.orders import InvoiceOrder, LineOrder
from tests.unit.wiring import ADMIN, TENANT, Billow


def at(seconds: int) -> datetime:
    """The wiring's clock starts at 02:00 on 1 March and moves a second on each reading."""
    return datetime(2026, 3, 1, 2, 0, seconds, tzinfo=UTC)


def test_a_draft_finalized_then_voided_has_each_step_in_its_history_and_on_the_timeline():
    billow = Billow()
    order = InvoiceOrder(billow.customer_id, lines=(LineOrder(name="Setup", unit_price="9.99"),))
    draft = billow.invoicing.drafts.create(ADMIN, order)
    billow.invoicing.lifecycle.finalize(ADMIN, draft.id)
    billow.invoicing.lifecycle.void(ADMIN, draft.id)

    history = billow.invoices.history(TENANT, draft.id, limit=10, cursor=None).items
    assert [(e.type, e.at, e.actor, e.summary, e.data) for e in reversed(history)] == [
        ("created", at(2), "user_1", "Invoice created as a draft", {}),
        ("finalized", at(3), "user_1", "Invoice INV-000001 finalized (€9.99)", {"number": "INV-000001"}),
        ("voided", at(4), "user_1", "Invoice INV-000001 voided", {}),
    ]
    timeline = [e for e in billow.customers.events[(TENANT, billow.customer_id)] if e.type.startswith("invoice.")]
    assert [(e.type, e.occurred_at, e.actor, e.summary, e.data) for e in timeline] == [
        ("invoice.created", at(2), "user_1", "Invoice draft created (€9.99)", {"invoice_id": draft.id, "number": None}),
        (
            "invoice.finalized",
            at(3),
            "user_1",
            "Invoice INV-000001 finalized (€9.99)",
            {"invoice_id": draft.id, "number": "INV-000001"},
        ),
        (
            "invoice.voided",
            at(4),
            "user_1",
            "Invoice INV-000001 voided",
            {"invoice_id": draft.id, "number": "INV-000001"},
        ),
    ]


def test_a_deleted_draft_leaves_a_line_on_the_timeline_and_a_void_one_cannot_be_voided_again():
    billow = Billow()
    order = InvoiceOrder(billow.customer_id, lines=(LineOrder(name="Setup", unit_price="9.99"),))
    draft = billow.invoicing.drafts.create(ADMIN, order)
    billow.invoicing.lifecycle.delete(ADMIN, draft.id)
    last = billow.customers.events[(TENANT, billow.customer_id)][-1]
    assert (last.type, last.summary, last.actor) == ("invoice.deleted", "Invoice draft deleted", "user_1")

    other = billow.invoicing.drafts.create(ADMIN, order)
    billow.invoicing.lifecycle.finalize(ADMIN, other.id)
    billow.invoicing.lifecycle.void(ADMIN, other.id)
    with pytest.raises(Conflict) as again:
        billow.invoicing.lifecycle.void(ADMIN, other.id)
    assert again.value.message == "the invoice is already void"
