"""An invoice's life after its draft as a bookkeeper and an admin meet it: the number it takes in
the tenant's format, the history and timeline lines of each step, who may finalize, void and
delete, and the exact words of each refusal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from billing.domain.access import Caller, Role
from billing.domain.errors import Conflict, Forbidden, StaleWrite, ValidationFailed
from billing.domain.invoices import MAX_FINALIZE_BATCH, InvoiceFilter, InvoiceStatus
from billing.domain.orders import InvoiceOrder, LineOrder
from billing.services.invoices.common import CheckoutCloser
from tests.unit.fakes import OneAccount
from tests.unit.wiring import ADMIN, TENANT, Billow

BOOKKEEPER = Caller(TENANT, "user_2", Role.BILLING)
VIEWER = Caller(TENANT, "user_3", Role.VIEWER)


@pytest.fixture
def billow() -> Billow:
    return Billow()


def new_draft(billow: Billow, price: str = "9.99"):
    order = InvoiceOrder(billow.customer_id, lines=(LineOrder(name="Setup", unit_price=price),))
    return billow.invoicing.drafts.create(ADMIN, order)


def history_of(billow: Billow, invoice_id: str) -> list[tuple[str, str, str, dict]]:
    """The invoice's history, oldest first: (type, actor, summary, data)."""
    entries = billow.invoices.history(TENANT, invoice_id, limit=20, cursor=None).items
    return [(e.type, e.actor, e.summary, e.data) for e in reversed(entries)]


def last_timeline_line(billow: Billow) -> tuple[str, str, str]:
    event = billow.customers.events[(TENANT, billow.customer_id)][-1]
    return event.type, event.actor, event.summary


def stored_ids(billow: Billow) -> set[str]:
    return {i.id for i in billow.invoices.all(TENANT, InvoiceFilter())}


def bump_version(billow: Billow, invoice_id: str) -> None:
    """Another request saves the invoice (its version moves on)."""
    billow.invoices.save(billow.invoices.get(TENANT, invoice_id), None)


def changed_after_every_read(billow: Billow, monkeypatch) -> None:
    """Another request saves each invoice right after every read of it: every write is stale."""
    read = billow.invoices.get

    def get(tenant_id, invoice_id):
        found = read(tenant_id, invoice_id)
        billow.invoices.save(found, None)
        return found

    monkeypatch.setattr(billow.invoices, "get", get)


# ---------------------------------------------------------------- finalizing


def test_a_finalized_invoice_takes_the_tenants_prefix_digits_and_first_number(billow):
    billow.change_settings(invoice_number_prefix="RE-2026-", invoice_number_digits=4, invoice_number_start=100)
    draft = new_draft(billow)

    invoice = billow.invoicing.lifecycle.finalize(BOOKKEEPER, draft.id)

    assert (invoice.number, invoice.sequence, invoice.status) == ("RE-2026-0100", 100, InvoiceStatus.OPEN)
    assert (invoice.issued_on, invoice.finalized_at.date()) == (date(2026, 3, 1), date(2026, 3, 1))
    assert invoice.seller.business_name == "Billow Demo GmbH"
    assert history_of(billow, draft.id)[-1] == (
        "finalized",
        "user_2",
        "Invoice RE-2026-0100 finalized (€9.99)",
        {"number": "RE-2026-0100"},
    )
    assert last_timeline_line(billow) == ("invoice.finalized", "user_2", "Invoice RE-2026-0100 finalized (€9.99)")
    assert billow.invoicing.lifecycle.finalize(BOOKKEEPER, new_draft(billow).id).number == "RE-2026-0101"


def test_finalizing_an_open_invoice_again_answers_it_and_draws_no_second_number(billow):
    draft = new_draft(billow)
    first = billow.invoicing.lifecycle.finalize(ADMIN, draft.id)

    again = billow.invoicing.lifecycle.finalize(ADMIN, draft.id)

    assert (again.number, again.version) == (first.number, first.version)
    assert [e[0] for e in history_of(billow, draft.id)] == ["created", "finalized"]
    assert billow.invoicing.lifecycle.finalize(ADMIN, new_draft(billow).id).number == "INV-000002"


def test_a_draft_finalized_by_someone_else_meanwhile_is_answered_as_they_numbered_it(billow):
    draft = new_draft(billow)
    billow.invoices.meanwhile(lambda: billow.invoicing.lifecycle.finalize(ADMIN, draft.id))

    answer = billow.invoicing.lifecycle.finalize(BOOKKEEPER, draft.id)

    assert (answer.number, answer.status) == ("INV-000001", InvoiceStatus.OPEN)
    assert [(e[0], e[1]) for e in history_of(billow, draft.id)] == [("created", "user_1"), ("finalized", "user_1")]


def test_a_draft_changed_on_every_attempt_is_refused_as_stale_after_the_attempts_run_out(billow, monkeypatch):
    draft = new_draft(billow)
    changed_after_every_read(billow, monkeypatch)

    with pytest.raises(StaleWrite) as refused:
        billow.invoicing.lifecycle.finalize(ADMIN, draft.id)

    assert refused.value.message.startswith(f"invoice {draft.id} was changed by someone else meanwhile")
    assert billow.invoices.get(TENANT, draft.id).status is InvoiceStatus.DRAFT


def test_a_void_invoice_cannot_be_finalized_again(billow):
    draft = new_draft(billow)
    billow.invoicing.lifecycle.finalize(ADMIN, draft.id)
    billow.invoicing.lifecycle.void(ADMIN, draft.id)

    with pytest.raises(Conflict) as refused:
        billow.invoicing.lifecycle.finalize(ADMIN, draft.id)

    assert refused.value.message == f"invoice {draft.id} is void; only a draft is finalized"


def test_a_draft_without_lines_stops_the_whole_batch_before_anything_is_numbered(billow):
    drafts = [new_draft(billow), replace(new_draft(billow), lines=())]

    with pytest.raises(ValidationFailed) as refused:
        billow.invoicing.lifecycle.finalize_drafts(ADMIN, drafts)

    assert refused.value.message == "lines: an invoice needs at least one line to be finalized"
    assert billow.invoices.finalizations == []
    assert billow.invoices.get(TENANT, drafts[0].id).status is InvoiceStatus.DRAFT


def test_a_batch_is_numbered_in_the_order_given_and_one_too_many_is_refused(billow):
    drafts = [new_draft(billow) for _ in range(3)]

    numbered = billow.invoicing.lifecycle.finalize_drafts(ADMIN, [drafts[2], drafts[0], drafts[1]])

    assert [(i.id, i.number) for i in numbered] == [
        (drafts[2].id, "INV-000001"),
        (drafts[0].id, "INV-000002"),
        (drafts[1].id, "INV-000003"),
    ]
    with pytest.raises(ValueError, match=rf"^at most {MAX_FINALIZE_BATCH} invoices per batch$"):
        billow.invoicing.lifecycle.finalize_drafts(ADMIN, [drafts[0]] * (MAX_FINALIZE_BATCH + 1))


# ---------------------------------------------------------------- voiding


class RecordingGateway:
    """Stripe as far as closing a checkout goes: which sessions were expired, on which account."""

    def __init__(self):
        self.expired: list[tuple[str, str]] = []

    def expire_checkout(self, account, session_id):
        self.expired.append((account, session_id))


def test_voiding_closes_the_open_checkout_of_the_invoice_as_it_was_read(billow):
    gateway = RecordingGateway()
    lifecycle = replace(billow.invoicing.lifecycle, checkout=CheckoutCloser(gateway, OneAccount()))
    invoice = lifecycle.finalize(ADMIN, new_draft(billow).id)
    billow.invoices.save(replace(invoice, checkout_session_id="cs_open"), None)

    void = lifecycle.void(BOOKKEEPER, invoice.id)

    assert (void.status, void.checkout_session_id, void.hosted_token) == (InvoiceStatus.VOID, None, None)
    assert void.voided_at.date() == date(2026, 3, 1)
    assert gateway.expired == [(OneAccount().account_of(TENANT), "cs_open")]
    assert history_of(billow, invoice.id)[-1] == ("voided", "user_2", "Invoice INV-000001 voided", {})
    assert last_timeline_line(billow) == ("invoice.voided", "user_2", "Invoice INV-000001 voided")


# ---------------------------------------------------------------- deleting


def test_a_bookkeeper_deletes_a_draft_and_the_timeline_says_so(billow):
    draft = new_draft(billow)

    billow.invoicing.lifecycle.delete(BOOKKEEPER, draft.id)

    assert draft.id not in stored_ids(billow)
    assert last_timeline_line(billow) == ("invoice.deleted", "user_2", "Invoice draft deleted")
    assert billow.customers.events[(TENANT, billow.customer_id)][-1].occurred_at.date() == date(2026, 3, 1)


def test_only_an_admin_deletes_a_finalized_invoice_and_only_when_the_tenant_allows_it(billow):
    invoice = billow.invoicing.lifecycle.finalize(ADMIN, new_draft(billow).id)

    with pytest.raises(Forbidden) as bookkeeper:
        billow.invoicing.lifecycle.delete(BOOKKEEPER, invoice.id)
    with pytest.raises(Conflict) as not_allowed:
        billow.invoicing.lifecycle.delete(ADMIN, invoice.id)

    assert bookkeeper.value.message == "role 'billing' may not administer"
    assert not_allowed.value.message == "the tenant's settings do not allow deleting finalized invoices"
    billow.change_settings(invoice_deleting_allowed=True)
    billow.invoicing.lifecycle.delete(ADMIN, invoice.id)
    assert last_timeline_line(billow) == ("invoice.deleted", "user_1", "Invoice INV-000001 deleted")


def test_a_paid_invoice_is_refused_with_every_reason_at_once(billow):
    subscription = billow.subscribe()
    (paid,) = billow.invoices_of(subscription.id)

    with pytest.raises(Conflict) as refused:
        billow.invoicing.lifecycle.delete(ADMIN, paid.id)

    assert refused.value.message == (
        "the tenant's settings do not allow deleting finalized invoices; a paid invoice can never be deleted; "
        "an online payment was made on the invoice"
    )
    assert billow.invoices.get(TENANT, paid.id).status is InvoiceStatus.PAID


def test_a_draft_changed_while_it_is_deleted_is_read_again_and_still_deleted(billow):
    draft = new_draft(billow)
    billow.invoices.meanwhile(lambda: bump_version(billow, draft.id))

    billow.invoicing.lifecycle.delete(ADMIN, draft.id)

    assert draft.id not in stored_ids(billow)
    assert last_timeline_line(billow) == ("invoice.deleted", "user_1", "Invoice draft deleted")


def test_a_draft_changed_on_every_delete_attempt_is_refused_as_stale_and_kept(billow, monkeypatch):
    draft = new_draft(billow)
    changed_after_every_read(billow, monkeypatch)

    with pytest.raises(StaleWrite) as refused:
        billow.invoicing.lifecycle.delete(ADMIN, draft.id)

    assert refused.value.message.startswith(f"invoice {draft.id} was changed")
    assert billow.invoices.get(TENANT, draft.id).status is InvoiceStatus.DRAFT


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("step", ["finalize", "void", "delete"])
def test_a_viewer_may_not_change_an_invoice(billow, step):
    draft = new_draft(billow)
    with pytest.raises(Forbidden, match=r"^role 'viewer' may not write$"):
        getattr(billow.invoicing.lifecycle, step)(VIEWER, draft.id)
    assert billow.invoices.get(TENANT, draft.id).status is InvoiceStatus.DRAFT


def test_a_viewer_may_not_number_a_batch(billow):
    with pytest.raises(Forbidden):
        billow.invoicing.lifecycle.finalize_drafts(VIEWER, [new_draft(billow)])
    assert billow.invoices.finalizations == []
