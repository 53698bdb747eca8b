"""The team's sign-ins in the stack's Cognito user pool, through its admin API (the console's app
client cannot write the tenant, role or mode; only this adapter does)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from billing.domain.access import Role
from billing.domain.errors import Conflict, ProcessorUnavailable, ValidationFailed

if TYPE_CHECKING:  # boto3-stubs: a development dependency, never in the layer
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


class EmailTaken(Conflict):
    code = "email_taken"

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} already has a Billow sign-in (one email signs in to one business)")


class DirectoryUnavailable(ProcessorUnavailable):
    code = "directory_unavailable"


@contextmanager
def _translated(email: str = "") -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code == "UsernameExistsException" or code == "AliasExistsException":
            raise EmailTaken(email) from error
        if code == "InvalidPasswordException":
            raise ValidationFailed.of(
                "password", "needs at least 12 characters with upper and lower case letters and a digit"
            ) from error
        if code == "InvalidParameterException" and email:
            raise ValidationFailed.of("email", message or "is not an email address the user pool accepts") from error
        if code in ("TooManyRequestsException", "InternalErrorException", "LimitExceededException"):
            raise DirectoryUnavailable("the user pool is busy; try again shortly") from error
        raise
    except BotoCoreError as error:
        raise DirectoryUnavailable("the user pool cannot be reached; try again shortly") from error


class CognitoDirectory:
    def __init__(self, user_pool_id: str, client: CognitoIdentityProviderClient | None = None):
        self._pool = user_pool_id
        self._client = client or boto3.client("cognito-idp")

    def add_person(
        self, email: str, tenant_id: str, role: Role, *, sandbox: bool, password: str, permanent: bool
    ) -> str:
        attributes = [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:tenant_id", "Value": tenant_id},
            {"Name": "custom:role", "Value": role.value},
        ]
        if sandbox:
            attributes.append({"Name": "custom:mode", "Value": "sandbox"})
        with _translated(email):
            created = self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=attributes,  # type: ignore[arg-type]
                TemporaryPassword=password,
                MessageAction="SUPPRESS",  # Billow sends the invitation itself, in the tenant's language
            )
        user_id = created["User"]["Username"]  # the pool's own id (its "sub"): email is an alias
        if permanent:
            try:
                with _translated(email):
                    self._client.admin_set_user_password(
                        UserPoolId=self._pool, Username=user_id, Password=password, Permanent=True
                    )
            except Exception:
                self.remove_person(user_id)
                raise
        return user_id

    def set_role(self, user_id: str, role: Role) -> None:
        with _translated():
            self._client.admin_update_user_attributes(
                UserPoolId=self._pool, Username=user_id, UserAttributes=[{"Name": "custom:role", "Value": role.value}]
            )
            self._client.admin_user_global_sign_out(UserPoolId=self._pool, Username=user_id)

    def remove_person(self, user_id: str) -> None:
        try:
            with _translated():
                self._client.admin_delete_user(UserPoolId=self._pool, Username=user_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "UserNotFoundException":
                raise

    def has_signed_in(self, user_id: str) -> bool:
        with _translated():
            try:
                user = self._client.admin_get_user(UserPoolId=self._pool, Username=user_id)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                    return False
                raise
        return user.get("UserStatus") != "FORCE_CHANGE_PASSWORD"

    def reset_invitation(self, user_id: str, password: str) -> None:
        with _translated():
            self._client.admin_set_user_password(
                UserPoolId=self._pool, Username=user_id, Password=password, Permanent=False
            )
