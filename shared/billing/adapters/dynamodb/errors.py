"""Translate DynamoDB failures into domain errors, so nothing above the adapter sees botocore."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from pynamodb.exceptions import PynamoDBException, TransactWriteError

from billing.domain.errors import DomainError, StaleWrite

THROTTLING_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "InternalServerError",
}


# Per transaction item, what builds the domain error when its condition fails (None: a stale write).
OnCondition = list[Callable[[], DomainError] | None]


class Unavailable(DomainError):
    """DynamoDB is throttling or briefly unavailable; the caller may retry (HTTP 503)."""

    code = "unavailable"


def failed_conditions(error: TransactWriteError) -> list[bool]:
    """Per transaction item, whether its condition failed."""
    reasons = error.cancellation_reasons or []
    return [bool(r and r.code == "ConditionalCheckFailed") for r in reasons]


@contextmanager
def translated(what: str, on_condition: Sequence[Callable[[], DomainError] | None] = ()) -> Iterator[None]:
    """Run DynamoDB calls. ``on_condition[i]`` builds the domain error for a failed condition on
    transaction item ``i``; a failed condition with no builder means someone changed ``what``."""
    try:
        yield
    except TransactWriteError as error:
        failed = failed_conditions(error)
        for index, did_fail in enumerate(failed):
            if did_fail:
                builder = on_condition[index] if index < len(on_condition) else None
                raise (builder() if builder else StaleWrite(what)) from error
        if error.cause_response_code in THROTTLING_CODES or any(
            r and r.code in ("TransactionConflict", "ThrottlingError") for r in error.cancellation_reasons or []
        ):
            raise Unavailable(f"{what}: the database is busy, retry shortly") from error
        raise
    except PynamoDBException as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise StaleWrite(what) from error
        if error.cause_response_code in THROTTLING_CODES:
            raise Unavailable(f"{what}: the database is busy, retry shortly") from error
        raise
