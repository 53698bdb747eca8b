"""The caller, taken only from the JWT claims API Gateway verified (never from path or body)."""

from __future__ import annotations

import os
import re

from aws_lambda_powertools.event_handler.api_gateway import Router

from billing.domain.access import Caller, Role
from billing.domain.errors import Forbidden

_TENANT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def caller_of(router: Router) -> Caller:
    claims = router.current_event.request_context.authorizer.jwt_claim or {}
    tenant = str(claims.get(os.environ.get("TENANT_CLAIM", "custom:tenant_id"), ""))
    role = str(claims.get(os.environ.get("ROLE_CLAIM", "custom:role"), ""))
    if not _TENANT_ID.match(tenant):
        raise Forbidden("the token names no valid tenant")
    try:
        return Caller(tenant_id=tenant, user_id=str(claims.get("sub", "")), role=Role(role))
    except ValueError:
        raise Forbidden("the token names no known role (admin, billing, viewer)") from None
