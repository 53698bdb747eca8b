"""The page where a buyer updates a subscription's payment method: outside the JWT
authorizer, opened by the unguessable, expiring token of the link Billow emailed. Its button
starts a Stripe Checkout Session in setup mode on the tenant's account; the method saved there
(a card, or a SEPA Direct Debit mandate) becomes the subscription's."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.bootstrap import subscription_cases
from billing.domain.errors import NotFound, PublicRefusal
from billing.http.contract import ApiRouter
from billing.http.public_pages import HTML_PAGE, dead_link_page, message_page, page_saying, redirect, rendered
from billing.http.routers.common import public_base

router = ApiRouter(public=True)
TAGS = ["Hosted payment-method page"]
SetupReturn = Annotated[str | None, Query(max_length=200, description="The Checkout Session the buyer returns from")]


@router.get(
    "/s/<token>",
    tags=TAGS,
    summary="The page where the buyer updates a subscription's payment method",
    responses={200: HTML_PAGE, 404: page_saying("No subscription for this link, or the link expired")},
)
def payment_method_page(token: str, setup: SetupReturn = None) -> Response[str]:
    service = subscription_cases().payment_methods.page
    try:
        view = service.method_page(token, setup)
    except NotFound:
        return dead_link_page(router, "link_not_found")
    from billing.formatting import Formatter
    from billing.texts import method_label, texts

    words = texts(view.locale, "page")
    formatter = Formatter(view.locale, "eur")
    return rendered(
        200,
        "payment_method.html",
        language=words.language,
        text=words,
        business=view.business,
        lines=view.lines,
        number=formatter.number,
        next_payment=formatter.day(view.next_payment_on) if view.next_payment_on else words["no_next_payment"],
        method=method_label(view.method, words) if view.method else words["no_method"],
        mandate=view.method.mandate_reference if view.method else "",
        saved=view.saved,
        setup_url=f"{public_base(router)}/s/{token}/setup",
    )


@router.post(
    "/s/<token>/setup",
    tags=TAGS,
    summary="The button: on to a Stripe Checkout page that saves a card or a bank account",
    responses={
        303: {"description": "To Stripe Checkout (setup mode)", "content": {}},
        404: page_saying("No subscription for this link, or the link expired"),
        409: page_saying("The subscription has ended, or the business takes no online payments"),
    },
)
def start_payment_method_setup(token: str) -> Response[str]:
    try:
        url = subscription_cases().payment_methods.setup.start_method_setup(token, public_base(router))
    except NotFound:
        return dead_link_page(router, "link_not_found")
    except PublicRefusal as refusal:
        return message_page(409, refusal.reason, refusal.locale)
    return redirect(303, url)
