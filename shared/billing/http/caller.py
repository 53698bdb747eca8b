"""The caller, taken only from the JWT claims API Gateway verified (never from path or body)."""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from billing.config import config
from billing.domain.access import Caller, Role
from billing.domain.errors import Forbidden

_TENANT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def caller_of(router: APIGatewayHttpRouter) -> Caller:
    claims = router.current_event.request_context.authorizer.jwt_claim or {}
    names = config()
    tenant = str(claims.get(names.tenant_claim, ""))
    role = str(claims.get(names.role_claim, ""))
    if not _TENANT_ID.match(tenant):
        raise Forbidden("the token names no valid tenant")
    sandbox = str(claims.get(names.mode_claim, "live")) == "sandbox"
    try:
        caller = Caller(tenant_id=tenant, user_id=str(claims.get("sub", "")), role=Role(role), sandbox=sandbox)
    except ValueError:
        raise Forbidden("the token names no known role (admin, billing, viewer)") from None
    if sandbox:  # its requests see its test clock's day
        from billing.bootstrap import test_clock_service
        from billing.clock import set_clock

        set_clock(test_clock_service().today_of(tenant))
    return caller


def claimed_email(router: APIGatewayHttpRouter) -> str:
    """The signed-in person's email, as the user pool's ID token names it (a script's token may not)."""
    claims = router.current_event.request_context.authorizer.jwt_claim or {}
    return str(claims.get("email", ""))
