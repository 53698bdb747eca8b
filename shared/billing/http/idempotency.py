"""``Idempotency-Key`` on creates, through Powertools idempotency: the same key and body
return the first response and write nothing new; the same key with another body is a 422."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from billing.config import config
from billing.domain.access import Caller, Permission
from billing.domain.errors import REQUEST_KEY_FIELD, Conflict, ValidationFailed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"


HEADER = REQUEST_KEY_FIELD
KEY_LIFETIME_SECONDS = 24 * 3600


def create_once(
    router: Router,
    caller: Caller,
    key: str | None,
    operation: str,
    body: dict,
    create: Callable[[], dict],
    requires: Permission = Permission.WRITE,
) -> dict:
    """Run ``create`` once per (tenant, operation, Idempotency-Key); replay its response after.
    The key is the route's validated ``Idempotency-Key`` header (billing.http.routers.common).
    The caller's role is checked first: a stored response is answered only to a caller who may
    make the request (a viewer replaying a billing user's key gets 403, not the 201)."""
    caller.require(requires)
    if key is None:
        return create()
    # Imported here, not at module scope: Powertools idempotency brings boto3, which a handler's
    # cold start otherwise never needs (PynamoDB talks to botocore directly).
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    create_idempotently, idempotency = _idempotent()
    idempotency.register_lambda_context(router.lambda_context)
    request = {"tenant": caller.tenant_id, "operation": operation, "key": key, "body": body}
    try:
        return create_idempotently(request=request, create=create)
    except IdempotencyValidationError:
        raise ValidationFailed.of(HEADER, "was already used with a different request body") from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyKeyInUse(f"a request with this {HEADER} is still in progress; retry shortly") from None


@cache
def _idempotent() -> tuple[Callable[..., dict[str, Any]], IdempotencyConfig]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    idempotency = IdempotencyConfig(
        event_key_jmespath="[tenant, operation, key]",
        payload_validation_jmespath="body",
        expires_after_seconds=KEY_LIFETIME_SECONDS,
    )
    persistence = DynamoDBPersistenceLayer(table_name=config().idempotency_table_name)
    decorate = idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=idempotency)
    return decorate(_create), idempotency


def _create(*, request: dict, create: Callable[[], dict]) -> dict:
    return create()
