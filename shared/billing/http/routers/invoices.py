"""/v1/invoices."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.bootstrap import invoicing
from billing.domain.money import MAX_AMOUNT
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
from billing.http.schemas.common import ListPage, out, page_of
from billing.http.schemas.customers import ExportOut
from billing.http.schemas.invoices import (
    ChargeInvoice,
    DocumentLinkOut,
    HistoryEntryOut,
    InvoiceCreate,
    InvoiceExportRequest,
    InvoiceOut,
    InvoiceUpdate,
    PaymentRecord,
    ReceiptRequest,
    SendRequest,
    SentReceiptOut,
    history_entry_out,
    invoice_out,
)

router = ApiRouter()
TAGS = ["Invoices"]
STATUSES = ("draft", "open", "partially_paid", "paid", "credited", "void")
StatusFilter = Annotated[str | None, status_query(STATUSES, "open,partially_paid")]
AmountFilter = Annotated[int | None, Query(ge=0, le=MAX_AMOUNT, description="Total in minor units, inclusive")]


def _out(invoice) -> dict:
    return _invoice_out(invoice).model_dump(mode="json")


def _invoice_out(invoice) -> InvoiceOut:
    return invoice_out(invoice, invoicing().queries.today(), public_base(router))


@router.post(
    "/v1/invoices",
    tags=TAGS,
    summary="Create an invoice (a draft, or finalized at once)",
    responses=created_response(InvoiceOut),
)
def create_invoice(body: InvoiceCreate, idempotency_key: IdempotencyKey = None) -> Response[InvoiceOut]:
    caller = caller_of(router)
    order = body.order()
    return created(
        create_once(
            router,
            caller,
            idempotency_key,
            "create_invoice",
            body.model_dump(mode="json"),
            lambda: _out(invoicing().drafts.create(caller, order, idempotency_key)),
        )
    )


@router.get("/v1/invoices", tags=TAGS, summary="List invoices, newest first, with filters that combine")
def list_invoices(
    status: StatusFilter = None,
    customer_id: Annotated[str | None, Query(max_length=40, description="Only this customer's invoices")] = None,
    number: Annotated[str | None, Query(max_length=40, description="The invoice number")] = None,
    due_from: DateFilter = None,
    due_to: DateFilter = None,
    created_from: DateFilter = None,
    created_to: DateFilter = None,
    amount_min: AmountFilter = None,
    amount_max: AmountFilter = None,
    overdue: Annotated[bool | None, Query(description="Only open invoices past their due date")] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> ListPage[InvoiceOut]:
    service = invoicing()
    where = service.queries.filter(
        statuses=tuple(status.split(",")) if status else (),
        customer_id=customer_id,
        number=number,
        due_from=due_from,
        due_to=due_to,
        created_from=created_from,
        created_to=created_to,
        total_min=amount_min,
        total_max=amount_max,
        overdue=bool(overdue),
    )
    page = service.queries.list(caller_of(router), where, limit=limit, cursor=cursor)
    return ListPage[InvoiceOut](**page_of(page, _invoice_out))


@router.post(
    "/v1/invoices/export",
    tags=TAGS,
    summary="Export invoices as XLSX or CSV (presigned link)",
    description="The chosen ids, else every invoice the filters select; columns as chosen.",
    responses=created_response(ExportOut),
)
def export_invoices(body: InvoiceExportRequest | None = None) -> Response[ExportOut]:
    body = body or InvoiceExportRequest()
    service = invoicing()
    where = service.queries.filter(
        statuses=tuple(body.status),
        customer_id=body.customer_id,
        due_from=body.due_from,
        due_to=body.due_to,
        created_from=body.created_from,
        created_to=body.created_to,
        total_min=body.amount_min,
        total_max=body.amount_max,
        overdue=body.overdue,
        ids=tuple(body.ids),
    )
    export = service.export.export(
        caller_of(router), where, body.columns, body.format, decimal_comma=body.decimal_comma
    )
    return created_export(export)


@router.get("/v1/invoices/<invoice_id>", tags=TAGS, summary="Get an invoice")
def get_invoice(invoice_id: str) -> InvoiceOut:
    return _invoice_out(invoicing().queries.get(caller_of(router), invoice_id))


@router.patch(
    "/v1/invoices/<invoice_id>",
    tags=TAGS,
    summary="Edit an invoice",
    description="Drafts freely. A finalized invoice only when the tenant's settings allow it, by an admin, "
    "never after a payment and never a subscription's invoice (409 with the reasons otherwise).",
)
def update_invoice(invoice_id: str, body: InvoiceUpdate) -> InvoiceOut:
    return _invoice_out(invoicing().drafts.update(caller_of(router), invoice_id, body.changes()))


@router.delete(
    "/v1/invoices/<invoice_id>",
    tags=TAGS,
    summary="Delete an invoice",
    description="Drafts (billing). A finalized invoice only when the tenant's settings allow it, by an admin, and "
    "never once paid; its number stays a gap.",
)
def delete_invoice(invoice_id: str) -> Response[None]:
    invoicing().lifecycle.delete(caller_of(router), invoice_id)
    return Response(status_code=204)


@router.post("/v1/invoices/<invoice_id>/finalize", tags=TAGS, summary="Finalize: number the draft and open it")
def finalize_invoice(invoice_id: str) -> InvoiceOut:
    return _invoice_out(invoicing().lifecycle.finalize(caller_of(router), invoice_id))


@router.post("/v1/invoices/<invoice_id>/void", tags=TAGS, summary="Void an open invoice (irreversible)")
def void_invoice(invoice_id: str) -> InvoiceOut:
    return _invoice_out(invoicing().lifecycle.void(caller_of(router), invoice_id))


@router.post(
    "/v1/invoices/<invoice_id>/clone",
    tags=TAGS,
    summary="Copy an invoice into a new draft",
    responses=created_response(InvoiceOut),
)
def clone_invoice(invoice_id: str, idempotency_key: IdempotencyKey = None) -> Response[InvoiceOut]:
    caller = caller_of(router)
    clone = lambda: _out(invoicing().drafts.clone(caller, invoice_id))  # noqa: E731
    return created(create_once(router, caller, idempotency_key, f"clone_invoice:{invoice_id}", {}, clone))


@router.post(
    "/v1/invoices/<invoice_id>/payments",
    tags=TAGS,
    summary="Record a payment by hand, or apply one from the ledger",
    description="No receipt is sent; send one with the receipt route.",
)
def record_invoice_payment(invoice_id: str, body: PaymentRecord) -> InvoiceOut:
    return _invoice_out(invoicing().collection.record_payment(caller_of(router), invoice_id, body.entry()))


@router.post(
    "/v1/invoices/<invoice_id>/send",
    tags=TAGS,
    summary="Email the invoice with its PDF and hosted link (a draft is finalized first)",
)
def send_invoice(invoice_id: str, body: SendRequest | None = None) -> InvoiceOut:
    sending = (body or SendRequest()).order()
    return _invoice_out(invoicing().delivery.send(caller_of(router), invoice_id, sending, public_base(router)))


@router.post(
    "/v1/invoices/<invoice_id>/charge",
    tags=TAGS,
    summary="Charge the amount due to the customer's card on file",
    description="One charge per invoice and amount due: a retry finishes the first charge, never a second.",
    responses={402: {"description": "Declined: error with decline_code and payment_id; the invoice stays open"}},
)
def charge_invoice(invoice_id: str, body: ChargeInvoice | None = None) -> InvoiceOut:
    method = body.payment_method_id if body else None
    return _invoice_out(invoicing().collection.charge(caller_of(router), invoice_id, method))


@router.post(
    "/v1/invoices/<invoice_id>/payments/<payment_id>/receipt",
    tags=TAGS,
    summary="Email a receipt for a payment recorded on the invoice; answers what was sent",
)
def send_invoice_receipt(invoice_id: str, payment_id: str, body: ReceiptRequest | None = None) -> SentReceiptOut:
    to = body.to if body else None
    receipt = invoicing().delivery.send_receipt(caller_of(router), invoice_id, payment_id, to or None)
    return out(SentReceiptOut, receipt)


@router.delete(
    "/v1/invoices/<invoice_id>/payments/<payment_id>",
    tags=TAGS,
    summary="Remove a payment recorded by hand (or applied from the ledger)",
)
def remove_invoice_payment(invoice_id: str, payment_id: str) -> Response[None]:
    invoicing().collection.remove_payment(caller_of(router), invoice_id, payment_id)
    return Response(status_code=204)


@router.get("/v1/invoices/<invoice_id>/history", tags=TAGS, summary="Every change of an invoice, newest first")
def invoice_history(invoice_id: str, limit: Limit = 25, cursor: Cursor = None) -> ListPage[HistoryEntryOut]:
    page = invoicing().queries.history(caller_of(router), invoice_id, limit=limit, cursor=cursor)
    return ListPage[HistoryEntryOut](**page_of(page, history_entry_out))


@router.get(
    "/v1/invoices/<invoice_id>/pdf",
    tags=TAGS,
    summary="The invoice as a PDF: a presigned download link",
    description="Rendered once per version of the document and kept; a draft's PDF is stamped DRAFT, a void one VOID.",
)
def invoice_pdf(invoice_id: str) -> DocumentLinkOut:
    link = invoicing().documents.pdf_link(caller_of(router), invoice_id, public_base(router))
    return DocumentLinkOut(url=link.url, expires_at=link.expires_at)


@router.get(
    "/v1/invoices/<invoice_id>/e-invoice",
    tags=TAGS,
    summary="The invoice as an EN 16931 e-invoice: ZUGFeRD/Factur-X (PDF/A-3) or XRechnung (CII XML)",
    description="409 lists every setting or field the invoice lacks for the chosen format.",
)
def invoice_einvoice(
    invoice_id: str,
    kind: EInvoiceKind = "zugferd",
) -> DocumentLinkOut:
    from billing.domain.invoices import EInvoiceFormat

    link = invoicing().documents.einvoice_link(caller_of(router), invoice_id, EInvoiceFormat(kind), public_base(router))
    return DocumentLinkOut(url=link.url, expires_at=link.expires_at)
