"""/v1/sign-up (a new business, public) and /v1/team (its people and their roles, admins change)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from billing.bootstrap import team_service
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.idempotency import create_once
from billing.http.routers.common import IdempotencyKey, created, created_response
from billing.http.schemas.team import (
    MemberCreate,
    MemberOut,
    MemberUpdate,
    SignUpCreate,
    SignUpOut,
    TeamOut,
    member_out,
    team_out,
)
from billing.services.team import SignUp

router = ApiRouter()
sign_up_router = ApiRouter(public=True)
TAGS = ["Team"]


@sign_up_router.post(
    "/v1/sign-up",
    tags=TAGS,
    summary="Sign up a business: a new tenant whose first person is its admin (no token needed)",
    description="Answers 403 `sign_up_closed` when the deployment turned self-service sign-up off (or trusts an "
    "outside issuer), 409 `email_taken` when the email already signs in somewhere, 422 on `password` when the "
    "user pool's policy refuses it.",
    responses={
        **created_response(SignUpOut),
        403: {"description": "Self-service sign-up is turned off"},
        409: {"description": "The email already has a sign-in"},
    },
)
def sign_up(body: SignUpCreate) -> Response[SignUpOut]:
    team, founder = team_service().sign_up(SignUp(**body.model_dump()))
    return created(SignUpOut(tenant_id=team.tenant_id, member=member_out(founder)).model_dump(mode="json"))


@router.get("/v1/team", tags=TAGS, summary="The team: who signs in to the console, in which role")
def get_team() -> TeamOut:
    service = team_service()
    return team_out(service.team(caller_of(router)), service.manages_sign_ins)


@router.post(
    "/v1/team/members",
    tags=TAGS,
    summary="Invite a person with a role (admins only): they get an email with a temporary password",
    responses=created_response(MemberOut),
)
def invite_member(body: MemberCreate, idempotency_key: IdempotencyKey = None) -> Response[MemberOut]:
    caller = caller_of(router)
    return created(
        create_once(
            router,
            caller,
            idempotency_key,
            "invite_member",
            body.model_dump(mode="json"),
            lambda: member_out(team_service().invite(caller, body.email, body.role)).model_dump(mode="json"),
        )
    )


@router.patch(
    "/v1/team/members/<user_id>",
    tags=TAGS,
    summary="Change a person's role (admins only; the last admin stays one)",
)
def update_member(user_id: str, body: MemberUpdate) -> MemberOut:
    return member_out(team_service().change_role(caller_of(router), user_id, body.role))


@router.post(
    "/v1/team/members/<user_id>/invitation",
    tags=TAGS,
    summary="Send an invitation again, with a new temporary password (admins only)",
)
def resend_invitation(user_id: str) -> MemberOut:
    return member_out(team_service().resend_invitation(caller_of(router), user_id))


@router.delete(
    "/v1/team/members/<user_id>",
    tags=TAGS,
    summary="Remove a person from the team (admins only; not the last admin): their sign-in is deleted",
)
def remove_member(user_id: str) -> Response[None]:
    team_service().remove(caller_of(router), user_id)
    return Response(status_code=204)
