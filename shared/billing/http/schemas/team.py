"""A business signing up, and its team: who signs in to the console, in which role."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from billing.domain.access import Role
from billing.domain.team import Member, MemberStatus, Team
from billing.http.schemas.catalog import Locale
from billing.http.schemas.common import Email, Request, Response

# A sign-in's email, lower-cased: one person, however they type it (the pool is case-insensitive too).
SignInEmail = Annotated[Email, StringConstraints(min_length=3, to_lower=True)]


class SignUpCreate(Request):
    business_name: str = Field(min_length=1, max_length=200, description="The business's name, as invoices show it")
    email: SignInEmail = Field(description="The first person's email: they sign in with it and become the admin")
    password: str = Field(
        min_length=12,
        max_length=99,
        description="At least 12 characters with upper and lower case letters and a digit (the user pool's policy)",
    )
    locale: Locale = Field(default="de_DE", description="The business's language and formats (de_DE, en_US, ...)")


class MemberCreate(Request):
    email: SignInEmail = Field(description="Where the invitation with a temporary password goes")
    role: Role


class MemberUpdate(Request):
    role: Role


class MemberOut(Response):
    object: Literal["team_member"] = "team_member"
    user_id: str = Field(description="The person's id in the user pool (their token's subject)")
    email: str
    role: Role
    status: MemberStatus = Field(description="invited: has not signed in yet; active: has")
    invited_at: dt.datetime
    invited_by: str = Field(description="The inviting admin's user id; empty for the person who signed up")


class TeamOut(Response):
    object: Literal["team"] = "team"
    data: list[MemberOut]
    manages_sign_ins: bool = Field(
        description="Whether Billow's own user pool holds the sign-ins (false: an outside issuer does, and "
        "the team is managed there)"
    )


class SignUpOut(Response):
    object: Literal["sign_up"] = "sign_up"
    tenant_id: str
    member: MemberOut


def member_out(member: Member) -> MemberOut:
    return MemberOut(
        user_id=member.user_id,
        email=member.email,
        role=member.role,
        status=member.status,
        invited_at=member.invited_at,
        invited_by=member.invited_by,
    )


def team_out(team: Team, manages_sign_ins: bool) -> TeamOut:
    return TeamOut(data=[member_out(m) for m in team.members], manages_sign_ins=manages_sign_ins)
