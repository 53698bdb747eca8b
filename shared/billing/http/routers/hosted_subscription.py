"""The page where a buyer updates a subscription's payment method: outside the JWT
authorizer, opened by the unguessable, expiring token of the link Billow emailed. Its button
starts a Stripe Checkout Session in setup mode on the tenant's account; the method saved there
(a card, or a SEPA Direct Debit mandate) becomes the subscription's."""

from __future__ import annotations

import html
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.bootstrap import subscription_cases
from billing.domain.errors import Conflict, NotFound
from billing.http.contract import ApiRouter
from billing.http.public_pages import HTML_PAGE, message_page, page, page_saying, redirect
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
    except NotFound as missing:
        return message_page(404, missing.message)
    e = html.escape
    lines = "".join(f"<li>{e(line)}</li>" for line in view.lines)
    saved = f"<p id='saved' role='status'>{e(view.notice)}</p>" if view.notice else ""
    button = (
        f"<form method='post' action='{e(public_base(router))}/s/{e(token)}/setup'>"
        "<button type='submit' id='update'>Update payment method</button></form>"
    )
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Payment method - {e(view.business)}</title></head><body>"
        f"<h1>{e(view.business)}</h1><p>Your subscription:</p><ul>{lines}</ul>"
        f"<p>Next payment: <span id='next'>{e(view.next_payment)}</span></p>"
        f"<p>Payment method: <span id='method'>{e(view.method)}</span></p>{saved}{button}</body></html>"
    )
    return page(200, body)


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
    except NotFound as missing:
        return message_page(404, missing.message)
    except Conflict as refusal:
        return message_page(409, refusal.message)
    return redirect(303, url)
