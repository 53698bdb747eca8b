"""What the console asks first: where it signs in (public), and who signed in with which rights."""

from __future__ import annotations

from billing.bootstrap import catalog_service, team_service
from billing.config import config
from billing.http.caller import caller_of, claimed_email
from billing.http.contract import ApiRouter
from billing.http.schemas.console import ConsoleConfigOut, MeOut, SignInOut

router = ApiRouter()
TAGS = ["Console"]


@router.get(
    "/v1/console/config",
    tags=TAGS,
    summary="Where the console signs in (no token needed)",
    description="The user pool's app client and Cognito's endpoint; `sign_in` is null when the API trusts an "
    "outside issuer.",
)
def get_console_config() -> ConsoleConfigOut:
    settings = config()
    sign_in = (
        SignInOut(endpoint=settings.sign_in_url, region=settings.region, client_id=settings.sign_in_client_id)
        if settings.sign_in_client_id
        else None
    )
    service = team_service()
    return ConsoleConfigOut(sign_in=sign_in, sign_up_open=service.sign_up_open and service.manages_sign_ins)


@router.get(
    "/v1/me",
    tags=TAGS,
    summary="Who signed in: the tenant, the role and what it may do, the business and its locale",
)
def get_me() -> MeOut:
    caller = caller_of(router)
    settings = catalog_service().get_settings(caller)
    return MeOut(
        user_id=caller.user_id,
        email=claimed_email(router),
        tenant_id=caller.tenant_id,
        role=caller.role,
        permissions=caller.permissions,
        sandbox=caller.sandbox,
        business_name=settings.business_name,
        locale=settings.locale,
    )
