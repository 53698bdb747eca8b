"""The one table that maps domain errors to HTTP statuses, and the error body every 4xx uses:
``{"error": {"type": ..., "message": ..., "fields": [{"field": ..., "message": ...}]}}``."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from billing.adapters.dynamodb.errors import Unavailable
from billing.domain.errors import (
    BadRequest,
    Conflict,
    DeliveryFailed,
    DomainError,
    Forbidden,
    NotFound,
    PaymentFailed,
    ProcessorUnavailable,
    ValidationFailed,
)
from billing.http.contract import http_header_name
from billing.observability import logger

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    BadRequest: 400,
    ValidationFailed: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Unavailable: 503,
    ProcessorUnavailable: 503,
    DeliveryFailed: 503,
}


# A message is a sentence, except that Powertools' ServiceError may carry a dict, which goes out as it is.
Message = str | dict[Any, Any]


def error_body(
    error_type: str, message: Message, fields: list[dict[str, str]] | None = None, **details: object
) -> dict[str, Any]:
    body = {"error": {"type": error_type, "message": message, **details}}
    if fields is not None:
        body["error"]["fields"] = fields
    return body


def error_response(
    status: int, error_type: str, message: Message, fields: list[dict[str, str]] | None = None, **details: object
) -> Response[str]:
    body = error_body(error_type, message, fields, **details)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def api_gateway_error(status: int, error_type: str, message: str) -> dict[str, Any]:
    """An error answered before the resolver runs, in API Gateway's response format."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(error_body(error_type, message)),
        "isBase64Encoded": False,
    }


def _field_name(error: dict) -> str:
    if error.get("type") == "json_invalid":
        return "body"
    parts = [str(p) for p in error.get("loc", ())]
    if parts[:1] == ["header"]:
        return http_header_name(parts[1])
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    # Pydantic names the branch of a union that failed ("function-after[...]"); callers want the field.
    parts = [p for p in parts if "[" not in p]
    return ".".join(parts) or "body"


def _validation_message(error: dict) -> str:
    if error.get("type") == "json_invalid":
        return "request body is not valid JSON"
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    return str(error.get("msg", "invalid value"))


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response:
        fields: list[dict[str, str]] = []
        for e in error.errors():
            field = {"field": _field_name(e), "message": _validation_message(e)}
            if field["field"] not in [f["field"] for f in fields]:
                fields.append(field)
        return error_response(422, "validation_error", "the request is not valid", fields)

    @app.exception_handler(ValidationFailed)
    def _rule_broken(error: ValidationFailed) -> Response:
        fields = [{"field": e.field, "message": e.message} for e in error.errors]
        return error_response(422, error.code, error.message, fields)

    @app.exception_handler(PaymentFailed)
    def _payment_failed(error: PaymentFailed) -> Response:
        return error_response(
            402,
            "card_declined",
            error.message,
            payment_id=error.payment_id,
            decline_code=error.decline_code,
            authentication_required=error.authentication_required,
        )

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        status = next((s for cls, s in STATUS_BY_ERROR.items() if isinstance(error, cls)), 400)
        return error_response(status, error.code, error.message)

    @app.not_found
    def _no_route(_: Exception) -> Response:
        # Reached when API Gateway routed a request whose path parameters no route accepts (e.g. "a#b").
        return error_response(404, "not_found", "no such resource")

    @app.exception_handler(ServiceError)
    def _powertools_error(error: ServiceError) -> Response:
        return error_response(error.status_code, "request_error", error.msg)

    @app.exception_handler(RecursionError)
    def _nested_too_deep(_: RecursionError) -> Response:
        fields = [{"field": "body", "message": "JSON nested too deeply"}]
        return error_response(422, "validation_error", "the request is not valid", fields)

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "something went wrong on our side; it was logged")
