"""The hosted invoice page: outside the JWT authorizer, opened by an unguessable
token, plain server-rendered HTML readable on a phone. While the invoice is open its Pay button
starts a Stripe Checkout Session; the buyer comes back to the page, which shows "Paid"."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.bootstrap import invoicing
from billing.domain.errors import NotFound, PublicRefusal
from billing.http.contract import ApiRouter
from billing.http.public_pages import HTML_PAGE, dead_link_page, message_page, page_saying, redirect, rendered
from billing.http.routers.common import public_base

router = ApiRouter(public=True)
TAGS = ["Hosted invoice page"]

CheckoutReturn = Annotated[str | None, Query(max_length=200, description="The Checkout Session the buyer returns from")]


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
    except NotFound:
        return dead_link_page(router, "invoice_not_found")
    pending = False
    if checkout:
        invoice, pending = service.return_from_checkout(invoice, checkout)
    from billing.formatting import Formatter
    from billing.texts import tax_label, texts

    seller = invoice.seller or service.seller_of(invoice.tenant_id)
    formatter = Formatter(seller.locale, invoice.currency)
    words = texts(seller.locale, "page")
    return rendered(
        200,
        "hosted_invoice.html",
        invoice=invoice,
        seller=seller,
        text=words,
        language=words.language,
        tax_label=lambda name, percentage: tax_label(name, formatter.percent(percentage), words["tax"]),
        money=formatter.money,
        number=formatter.number,
        day=formatter.day,
        overdue=invoice.overdue(service.today()),
        pending=pending,
        problem=None,
        pay_url=f"{public_base(router)}/i/{token}/pay",
        pdf_url=f"{public_base(router)}/i/{token}/pdf",
    )


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
    except NotFound:
        return dead_link_page(router, "invoice_not_found")
    except PublicRefusal as refusal:
        return message_page(409, refusal.reason, refusal.locale)
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
    except NotFound:
        return dead_link_page(router, "invoice_not_found")
    return redirect(302, link.url)
