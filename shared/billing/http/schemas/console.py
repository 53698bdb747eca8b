"""What the console asks before its screens: where to sign in, and who signed in."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from billing.domain.access import Permission, Role
from billing.http.schemas.common import Response


class SignInOut(Response):
    endpoint: str = Field(description="Cognito's user-pool API (InitiateAuth, RespondToAuthChallenge)")
    region: str
    client_id: str = Field(description="The console's app client of the stack's user pool")


class ConsoleConfigOut(Response):
    object: Literal["console_config"] = "console_config"
    sign_in: SignInOut | None = Field(
        description="Where the console signs in; null when the API trusts an outside issuer"
    )
    sign_up_open: bool = Field(description="Whether a new business may sign up at the console (POST /v1/sign-up)")


class MeOut(Response):
    object: Literal["me"] = "me"
    user_id: str = Field(description="The token's subject")
    email: str = Field(description="The signed-in person's email; empty for a token that names none")
    tenant_id: str
    role: Role
    permissions: list[Permission] = Field(description="What the role may do: read, write, administer")
    sandbox: bool = Field(description="A test tenant: it has a test clock")
    business_name: str = Field(description="The tenant's business name from its settings")
    locale: str = Field(description="The tenant's locale (de_DE, en_US, ...): the console's language and formats")
