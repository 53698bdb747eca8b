"""Stripe Connect OAuth: an admin starts it and is sent to Stripe; Stripe sends the
browser back to the public callback, whose state names the tenant and whose code names the account."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.bootstrap import stripe_connect_service
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.routers.common import created, created_response, public_base
from billing.http.schemas.payments import ConnectIn, ConnectOut

router = ApiRouter()
callback_router = ApiRouter(public=True)
SETTINGS = ["Settings"]
CALLBACK_PATH = "/v1/stripe/oauth/callback"
Param = Annotated[str | None, Query(max_length=500)]


@router.post(
    "/v1/settings/stripe/connect",
    tags=SETTINGS,
    summary="Start connecting the tenant's Stripe account (admins only): open authorize_url in the browser",
    responses=created_response(ConnectOut),
)
def start_stripe_connect(body: ConnectIn | None = None) -> Response[ConnectOut]:
    start = stripe_connect_service().start(
        caller_of(router),
        redirect_uri=public_base(router) + CALLBACK_PATH,
        return_url=body.return_url if body else None,
    )
    return created(ConnectOut(authorize_url=start.authorize_url, expires_at=start.expires_at).model_dump(mode="json"))


@callback_router.get(
    CALLBACK_PATH,
    tags=SETTINGS,
    summary="Where Stripe sends the admin's browser back after the authorisation",
    responses={
        200: {"description": "A page saying the account is connected, or why not", "content": {"text/html": {}}},
        302: {"description": "Back to the return_url, with stripe_connect=connected or =error&reason=", "content": {}},
        400: {"description": "The state is unknown, expired or already used (invalid_state)"},
    },
)
def finish_stripe_connect(
    state: Param = None, code: Param = None, error: Param = None, error_description: Param = None
) -> Response[str]:
    outcome = stripe_connect_service().finish(
        state=state or "", code=code, error=error, redirect_uri=public_base(callback_router) + CALLBACK_PATH
    )
    if outcome.return_url:
        answer = {"stripe_connect": "connected", "account": outcome.account} if outcome.connected else {}
        answer = answer or {"stripe_connect": "error", "reason": outcome.error or "unknown"}
        return Response(status_code=302, headers={"Location": _with_query(outcome.return_url, answer)}, body="")
    if outcome.connected:
        message = f"Your Stripe account {outcome.account} is now connected to Billow. You can close this window."
    else:
        reason = error_description or outcome.error or "unknown"
        message = f"Your Stripe account was not connected: {reason}."
    page = f"<!doctype html><html><head><title>Billow</title></head><body><p>{html.escape(message)}</p></body></html>"
    return Response(status_code=200, content_type=content_types.TEXT_HTML, body=page)


def _with_query(url: str, extra: dict) -> str:
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *extra.items()])
    return urlunsplit(parts._replace(query=query))
