"""The API contract every route shares: short operation ids, the one error body, and the error
statuses each operation documents. Routers are built with `ApiRouter`, and the OpenAPI document is
finished by `complete_document`, so a new route gets all of this without writing it again."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

# Marks a field whose values are a code list (CurrencyCode, CountryCode); the document points such
# fields at one enum component instead of repeating the list.
CODE_LIST_MARK = "x-code-list"
# Marks the operations of an ApiRouter(public=True): the document gives them no security.
PUBLIC_MARK = "x-public"

F = TypeVar("F", bound=Callable[..., Any])


class ApiRouter(APIGatewayHttpRouter):
    """A Powertools router whose operations are named after their handler function
    (``create_customer``, not ``create_customer_v1_customers_post``)."""

    def __init__(self, *, public: bool = False) -> None:
        super().__init__()
        self.public = public

    def route(self, rule: str, method: Any, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        bound = inspect.signature(APIGatewayHttpRouter.route).bind_partial(self, rule, method, *args, **kwargs)
        arguments = {k: v for k, v in bound.arguments.items() if k != "self"}

        def register(func: F) -> F:
            arguments["operation_id"] = arguments.get("operation_id") or func.__name__
            if self.public:
                arguments["openapi_extensions"] = {PUBLIC_MARK: True}
            return super(ApiRouter, self).route(**arguments)(func)

        return register


def omittable(**constraints: Any) -> Any:
    """A field that may be left out but never sent as null: its type has no null, and the OpenAPI
    document drops the ``default: null`` (``complete_document``). Typed ``Any`` on purpose: the
    default is None while the field's type says what a value, when there is one, is."""
    return Field(None, **constraints)


class FieldErrorOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(description="The field, dotted with list indexes: lines.3.quantity; body for the whole body")
    message: str


class ErrorDetailOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(description="Stable machine-readable code: validation_error, not_found, card_declined, ...")
    message: str = Field(description="What went wrong, for a person")
    fields: list[FieldErrorOut] = omittable(description="Every offending field (422)")
    payment_id: str = omittable(description="The failed payment (402)")
    decline_code: str | None = Field(None, description="The processor's decline code (402)")
    authentication_required: bool = omittable(description="The buyer must authenticate the payment (402)")


class ErrorOut(BaseModel):
    """The body of every 4xx and 5xx Billow answers."""

    model_config = ConfigDict(extra="forbid")
    error: ErrorDetailOut


class GatewayErrorOut(BaseModel):
    """What API Gateway itself answers (in AWS) when its JWT authorizer refuses a request (401) or
    a body exceeds its limit (413); neither body can be configured on an HTTP API."""

    message: str


STATUS_DESCRIPTIONS = {
    400: "The body is not UTF-8, or a webhook's signature or payload is invalid",
    401: "No valid bearer token",
    402: "The card was declined or needs authentication; the payment is recorded as failed",
    403: "The caller's role may not do this (or a live tenant asked for the test clock)",
    404: "No such record for this tenant",
    409: "Conflicts with the record's current state, another record, or a request still running "
    "with the same Idempotency-Key (idempotency_key_in_use)",
    413: "The body exceeds 10 MB",
    415: "The body is not application/json",
    422: "A field is invalid; error.fields names each one",
    503: "A backing service (DynamoDB, Stripe) is unavailable; retry with the same Idempotency-Key",
}
GATEWAY_STATUSES = {401, 413}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def error_statuses(method: str, operation: dict) -> set[int]:
    """The errors an operation can answer, from its shape: who may call it, what it takes."""
    parameters = operation.get("parameters", [])
    public = operation.get("security") == []
    statuses = {503}
    if not public:
        statuses |= {401, 403}
        if method in WRITE_METHODS:
            statuses.add(409)
    if "requestBody" in operation:
        json_body = "application/json" in operation["requestBody"].get("content", {})
        statuses |= {400, 413, 415} | ({422} if json_body or not public else set())
    if any(p["in"] == "path" for p in parameters):
        statuses.add(404)
    if any(p["in"] in ("query", "header") for p in parameters):
        statuses.add(422)
    return statuses


def _error_response(status: int) -> dict[str, Any]:
    error: dict[str, object] = {"$ref": "#/components/schemas/ErrorOut"}
    if status in GATEWAY_STATUSES:
        error = {"anyOf": [error, {"$ref": "#/components/schemas/GatewayErrorOut"}]}
    return {"content": {"application/json": {"schema": error}}}


def http_header_name(name: str) -> str:
    """A header as HTTP writes it (``Idempotency-Key``); API Gateway hands them over lower-cased."""
    return "-".join(word.capitalize() for word in name.split("-"))


@overload
def _finish_schemas(schema: dict[str, Any]) -> dict[str, Any]: ...
@overload
def _finish_schemas(schema: list[Any]) -> list[Any]: ...
@overload
def _finish_schemas(schema: object) -> object: ...
def _finish_schemas(schema: object) -> object:
    """Drop the ``default: null`` pydantic writes for PATCH fields that may be omitted but never
    sent as null, and point code-list fields at their enum."""
    if isinstance(schema, list):
        return [_finish_schemas(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get(CODE_LIST_MARK):
        examples = {"examples": schema["examples"]} if "examples" in schema else {}
        return {"$ref": f"#/components/schemas/{schema[CODE_LIST_MARK]}", **examples}
    if "default" in schema and schema["default"] is None and "null" not in str(schema.get("anyOf", "")):
        del schema["default"]
    return {key: _finish_schemas(value) for key, value in schema.items()}


def _code_lists() -> dict[str, dict]:
    from iso3166 import countries_by_alpha2
    from iso4217 import Currency

    return {
        "CurrencyCode": {
            "type": "string",
            "enum": sorted(c.code.lower() for c in Currency if c.exponent is not None),
            "description": "An ISO 4217 currency with minor units, lower-case as Stripe writes it "
            "(upper-case is accepted too)",
        },
        "CountryCode": {
            "type": "string",
            "enum": ["", *sorted(countries_by_alpha2)],
            "description": "An ISO 3166-1 alpha-2 country (lower-case is accepted too), or blank",
        },
    }


def complete_document(document: dict) -> dict:
    """Finish Powertools' document: every operation's error statuses with the real error body,
    204 for deletes, public operations without security, currency and country codes as enums."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    for model in (ErrorOut, GatewayErrorOut):
        definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(definition.pop("$defs", {}))
        schemas[model.__name__] = definition
    schemas.update(_code_lists())
    for operations in document["paths"].values():
        for method, operation in operations.items():
            if operation.pop(PUBLIC_MARK, False):
                operation["security"] = []
            responses = operation["responses"]  # keyed by strings, as JSON has them
            responses.pop("422", None)  # Powertools' HTTPValidationError; ours comes below when it applies
            if method == "delete":
                responses.pop("200", None)
                responses["204"] = {"description": "Deleted"}
            # A route's own error entries keep their words; every error takes the one error body.
            own = {int(s): r for s, r in responses.items() if int(s) >= 400}
            for status in error_statuses(method, operation) | own.keys():
                described = own[status]["description"] if status in own else STATUS_DESCRIPTIONS[status]
                body = _error_response(status)
                if "text/html" in own.get(status, {}).get("content", {}):
                    # A page for a person; what fails before the page is made (a malformed path) is JSON.
                    body["content"]["text/html"] = {"schema": {"type": "string"}}
                responses[str(status)] = {**body, "description": described}
            operation["responses"] = dict(sorted(responses.items()))
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header":
                    parameter["name"] = http_header_name(parameter["name"])
                    parameter["schema"] = next(s for s in parameter["schema"]["anyOf"] if s.get("type") != "null")
    return _finish_schemas(document)
