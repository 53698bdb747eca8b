"""What every router shares: list query parameters and the 201 response of a create."""

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from billing.config import config
from billing.domain.errors import REQUEST_KEY_FIELD

if TYPE_CHECKING:
    from billing.services.exports import Export

Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=400, description="next_cursor of the previous page")]
Archived = Annotated[bool, Query(description="List archived records instead of active ones")]
Search = Annotated[str, Query(max_length=100, description="Case-insensitive substring search")]
DateFilter = Annotated[date | None, Query(description="YYYY-MM-DD, inclusive")]
EInvoiceKind = Annotated[
    Literal["zugferd", "xrechnung"], Query(alias="format", description="ZUGFeRD/Factur-X (PDF/A-3) or XRechnung (XML)")
]


def status_query(statuses: tuple[str, ...], example: str) -> Any:
    """A query parameter taking one status or several separated by commas (any of them):
    ``Annotated[str | None, status_query(...)]``."""
    one = "|".join(statuses)
    return Query(
        max_length=100,
        pattern=rf"^({one})(,({one}))*$",
        description=f"One status or several separated by commas (any of them): {example}",
    )


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=REQUEST_KEY_FIELD,
        min_length=1,
        max_length=255,
        description="Makes a retry safe: the same key and body answer the first response and create nothing "
        "new for 24 hours; the same key with another body is a 422; while the first request runs, a 409 "
        "idempotency_key_in_use",
    ),
]


def created(body: dict[str, Any]) -> Response[Any]:
    """201 with a record's JSON form. ``Response[Any]``: the route's own annotation
    (``Response[CustomerOut]``) names the model Powertools validates this body against and
    documents, while the body itself is the dict (an idempotent replay answers the stored one)."""
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


def created_export(export: "Export") -> Response[Any]:
    """201 with an export's expiring link, as every export route answers."""
    from billing.http.schemas.customers import ExportOut

    return created(ExportOut(url=export.url, expires_at=export.expires_at, rows=export.rows).model_dump(mode="json"))


def created_response(model: type) -> dict[int, OpenAPIResponse]:
    """The OpenAPI entry of a create route: 201 with the created record."""
    return {201: {"description": "Created", "content": {"application/json": {"model": model}}}}


def public_base(router: APIGatewayHttpRouter) -> str:
    """Where this API's public pages (the hosted invoice, the buyer's payment-method page, the
    Connect callback) live, for the links it writes; see ``base_of``."""
    return base_of(router.current_event)


def configured_public_base() -> str:
    """The deployment's public address (PublicApiUrl; locally the gateway's own), or ''."""
    return config().public_api_url


def base_of(event: APIGatewayProxyEventV2) -> str:
    """The configured public address; never a request header. A link built from X-Forwarded-Proto
    or Host would carry an invoice's token to whatever host the caller named. Deployed without
    PublicApiUrl, the domain API Gateway itself served the request on (it routes only the API's
    own domains, so a forged Host reaches no API), over HTTPS, the only scheme it serves."""
    configured = configured_public_base()
    if configured:
        return configured
    context = event.request_context
    stage = "" if context.stage in ("$default", None) else f"/{context.stage}"
    return f"https://{context.domain_name}{stage}"
