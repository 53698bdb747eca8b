"""The hosted invoice page: outside the JWT authorizer, opened by an unguessable
token, plain server-rendered HTML readable on a phone. While the invoice is open its Pay button
starts a Stripe Checkout Session; the buyer comes back to the page, which shows "Paid"."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.bootstrap import invoicing
from billing.domain.errors import Conflict, NotFound
from billing.http.contract import ApiRouter
from billing.http.public_pages import HTML_PAGE, TEMPLATES, message_page, page, page_saying, redirect
from billing.http.routers.common import public_base

router = ApiRouter(public=True)
TAGS = ["Hosted invoice page"]

LABELS = {
    "en": {
        "invoice": "Invoice",
        "status_open": "Open",
        "status_partially_paid": "Partially paid",
        "status_paid": "Paid",
        "status_credited": "Credited",
        "status_void": "Void",
        "status_draft": "Draft",
        "due_on": "Due on",
        "overdue": "Overdue",
        "paid_in_full": "Paid in full:",
        "payment_processing": "Thank you! Your payment is being confirmed; this page will show it shortly.",
        "pay": "Pay",
        "description": "Description",
        "quantity": "Qty",
        "amount": "Amount",
        "tax": "Tax",
        "total": "Total",
        "paid": "Paid",
        "download_pdf": "Download the invoice (PDF)",
        "billed_to": "Billed to",
        "issued": "issued",
    },
    "de": {
        "invoice": "Rechnung",
        "status_open": "Offen",
        "status_partially_paid": "Teilweise bezahlt",
        "status_paid": "Bezahlt",
        "status_credited": "Gutgeschrieben",
        "status_void": "Storniert",
        "status_draft": "Entwurf",
        "due_on": "Fällig am",
        "overdue": "Überfällig",
        "paid_in_full": "Vollständig bezahlt:",
        "payment_processing": "Vielen Dank! Ihre Zahlung wird bestätigt und erscheint hier in Kürze.",
        "pay": "Bezahlen",
        "description": "Beschreibung",
        "quantity": "Menge",
        "amount": "Betrag",
        "tax": "USt.",
        "total": "Gesamt",
        "paid": "Bezahlt",
        "download_pdf": "Rechnung herunterladen (PDF)",
        "billed_to": "Rechnung an",
        "issued": "ausgestellt am",
    },
}

CheckoutReturn = Annotated[str | None, Query(max_length=200, description="The Checkout Session the buyer returns from")]


@cache
def _template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return environment.get_template("hosted_invoice.html")


@router.get(
    "/i/<token>",
    tags=TAGS,
    summary="The hosted invoice page",
    responses={200: HTML_PAGE, 404: page_saying("No invoice for this link (or it was voided)")},
)
def hosted_invoice(token: str, checkout: CheckoutReturn = None) -> Response[str]:
    service = invoicing().hosted
    try:
        invoice = service.hosted(token)
    except NotFound as missing:
        return message_page(404, missing.message)
    pending = False
    if checkout:
        invoice, pending = service.return_from_checkout(invoice, checkout)
    from billing.formatting import Formatter

    seller = invoice.seller or service.seller_of(invoice.tenant_id)
    formatter = Formatter(seller.locale, invoice.currency)
    body = _template().render(
        invoice=invoice,
        seller=seller,
        text=LABELS.get(formatter.language, LABELS["en"]),
        language=formatter.language,
        money=formatter.money,
        number=formatter.number,
        day=formatter.day,
        overdue=invoice.overdue(service.today()),
        pending=pending,
        problem=None,
        pay_url=f"{public_base(router)}/i/{token}/pay",
        pdf_url=f"{public_base(router)}/i/{token}/pdf",
    )
    return page(200, body)


@router.post(
    "/i/<token>/pay",
    tags=TAGS,
    summary="The Pay button: on to a Stripe Checkout page for the amount due",
    responses={
        303: {"description": "To Stripe Checkout", "content": {}},
        404: page_saying("No invoice for this link"),
        409: page_saying("Nothing is due, or the business takes no online payments"),
    },
)
def pay_hosted_invoice(token: str) -> Response[str]:
    try:
        url = invoicing().hosted.pay_online(token, public_base(router))
    except NotFound as missing:
        return message_page(404, missing.message)
    except Conflict as refusal:
        return message_page(409, refusal.message)
    return redirect(303, url)


@router.get(
    "/i/<token>/pdf",
    tags=TAGS,
    summary="The invoice's PDF, from the hosted page",
    responses={
        302: {"description": "To a short-lived download link", "content": {}},
        404: page_saying("No invoice for this link"),
    },
)
def hosted_invoice_pdf(token: str) -> Response[str]:
    service = invoicing().hosted
    try:
        link = service.hosted_pdf_link(token, public_base(router))
    except NotFound as missing:
        return message_page(404, missing.message)
    return redirect(302, link.url)
