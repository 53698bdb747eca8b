"""/v1/invoices/{id}/credit-notes, /v1/credit-notes and /v1/customers/{id}/credit-balance."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.bootstrap import invoicing
from billing.domain.credit_notes import CreditNoteFilter
from billing.domain.errors import ValidationFailed
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.idempotency import create_once
from billing.http.routers.common import (
    Cursor,
    DateFilter,
    EInvoiceKind,
    IdempotencyKey,
    Limit,
    created,
    created_export,
    created_response,
    public_base,
    status_query,
)
from billing.http.schemas.common import ListPage, page_of
from billing.http.schemas.credit_notes import (
    CreditBalanceOut,
    CreditBalancesOut,
    CreditNoteCreate,
    CreditNoteExportRequest,
    CreditNoteOut,
    credit_note_out,
)
from billing.http.schemas.customers import ExportOut
from billing.http.schemas.invoices import DocumentLinkOut, SendRequest

router = ApiRouter()
TAGS = ["Credit notes"]
REASONS = (
    "duplicate",
    "fraudulent",
    "order_change",
    "product_unsatisfactory",
    "refund",
    "cancellation",
    "void",
    "other",
)


@router.post(
    "/v1/invoices/<invoice_id>/credit-notes",
    tags=TAGS,
    summary="Credit a finalized invoice: lines and quantities, an amount, or all that is left",
    description="Numbered from the tenant's own gapless sequence and final when made; never more than is left of "
    "the invoice. What the invoice still asked for stops being due; money already paid goes back as `settlement` "
    "says. With an `Idempotency-Key`, a retry answers the same credit note and its refund is made once.",
    responses=created_response(CreditNoteOut),
)
def create_credit_note(
    invoice_id: str, body: CreditNoteCreate, idempotency_key: IdempotencyKey = None
) -> Response[CreditNoteOut]:
    caller = caller_of(router)
    order = body.order()

    def create() -> dict:
        note = invoicing().credit_notes.create(caller, invoice_id, order, idempotency_key)
        return credit_note_out(note).model_dump(mode="json")

    request = body.model_dump(mode="json")
    return created(create_once(router, caller, idempotency_key, f"create_credit_note:{invoice_id}", request, create))


@router.get("/v1/credit-notes", tags=TAGS, summary="List credit notes, newest first, with filters that combine")
def list_credit_notes(
    invoice_id: Annotated[str | None, Query(max_length=40, description="Only this invoice's")] = None,
    customer_id: Annotated[str | None, Query(max_length=40, description="Only this customer's")] = None,
    reason: Annotated[str | None, status_query(REASONS, "refund,void")] = None,
    created_from: DateFilter = None,
    created_to: DateFilter = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> ListPage[CreditNoteOut]:
    if created_from and created_to and created_from > created_to:
        raise ValidationFailed.of("created_to", "must not be before created_from")
    where = CreditNoteFilter(
        invoice_id=invoice_id,
        customer_id=customer_id,
        reasons=tuple(reason.split(",")) if reason else (),
        created_from=created_from.isoformat() if created_from else None,
        created_to=created_to.isoformat() if created_to else None,
    )
    page = invoicing().credit_note_queries.list(caller_of(router), where, limit=limit, cursor=cursor)
    return ListPage[CreditNoteOut](**page_of(page, credit_note_out))


@router.post(
    "/v1/credit-notes/export",
    tags=TAGS,
    summary="Export credit notes as XLSX or CSV (presigned link)",
    description="The chosen ids, else every credit note the filters select; columns as chosen, with a net and a "
    "VAT column per rate.",
    responses=created_response(ExportOut),
)
def export_credit_notes(body: CreditNoteExportRequest | None = None) -> Response[ExportOut]:
    body = body or CreditNoteExportRequest()
    export = invoicing().credit_note_export.export(
        caller_of(router), body.filter(), body.columns, body.format, decimal_comma=body.decimal_comma
    )
    return created_export(export)


@router.get("/v1/credit-notes/<credit_note_id>", tags=TAGS, summary="Get a credit note")
def get_credit_note(credit_note_id: str) -> CreditNoteOut:
    return credit_note_out(invoicing().credit_note_queries.get(caller_of(router), credit_note_id))


@router.post(
    "/v1/credit-notes/<credit_note_id>/send",
    tags=TAGS,
    summary="Email the credit note with its PDF to the customer's billing email (or to whom the body names)",
)
def send_credit_note(credit_note_id: str, body: SendRequest | None = None) -> CreditNoteOut:
    sending = (body or SendRequest()).order()
    delivery = invoicing().credit_note_delivery
    return credit_note_out(delivery.send(caller_of(router), credit_note_id, sending, public_base(router)))


@router.get(
    "/v1/credit-notes/<credit_note_id>/pdf",
    tags=TAGS,
    summary="The credit note as a PDF: a presigned download link",
    description="A Rechnungskorrektur naming the invoice it corrects by number and date (a Stornorechnung when "
    "it cancels all of it), with what became of the money. Rendered once and kept.",
)
def credit_note_pdf(credit_note_id: str) -> DocumentLinkOut:
    link = invoicing().credit_note_documents.pdf_link(caller_of(router), credit_note_id, public_base(router))
    return DocumentLinkOut(url=link.url, expires_at=link.expires_at)


@router.get(
    "/v1/credit-notes/<credit_note_id>/e-invoice",
    tags=TAGS,
    summary="The credit note as an EN 16931 e-invoice (type 381, referencing the invoice it corrects)",
    description="409 lists every setting or field the credit note lacks for the chosen format.",
)
def credit_note_einvoice(credit_note_id: str, kind: EInvoiceKind = "zugferd") -> DocumentLinkOut:
    from billing.domain.invoices import EInvoiceFormat

    documents = invoicing().credit_note_documents
    link = documents.einvoice_link(caller_of(router), credit_note_id, EInvoiceFormat(kind), public_base(router))
    return DocumentLinkOut(url=link.url, expires_at=link.expires_at)


@router.get(
    "/v1/customers/<customer_id>/credit-balance",
    tags=TAGS,
    summary="The customer's credit per currency, which their next invoices use first",
)
def customer_credit_balance(customer_id: str) -> CreditBalancesOut:
    balances = invoicing().balances.of(caller_of(router), customer_id)
    return CreditBalancesOut(balances=[CreditBalanceOut(currency=c, amount=a) for c, a in sorted(balances.items())])
