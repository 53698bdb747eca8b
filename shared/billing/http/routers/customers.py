"""/v1/customers."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from billing.bootstrap import customer_export, customer_service
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.idempotency import create_once
from billing.http.routers.common import (
    Archived,
    Cursor,
    IdempotencyKey,
    Limit,
    Search,
    created,
    created_export,
    created_response,
)
from billing.http.schemas.common import ListPage, changes_of, page_of
from billing.http.schemas.customers import (
    AddressCreate,
    AddressUpdate,
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    ExportOut,
    TimelineEventOut,
    customer_out,
    timeline_event_out,
)

router = ApiRouter()
TAGS = ["Customers"]


@router.post("/v1/customers", tags=TAGS, summary="Create a customer", responses=created_response(CustomerOut))
def create_customer(body: CustomerCreate, idempotency_key: IdempotencyKey = None) -> Response[CustomerOut]:
    caller = caller_of(router)
    fields = body.model_dump(exclude={"address", "billing_address"})
    fields["address"] = body.address.model_dump() if body.address else None
    fields["billing_address"] = body.billing_address.model_dump() if body.billing_address else None
    return created(
        create_once(
            router,
            caller,
            idempotency_key,
            "create_customer",
            body.model_dump(mode="json"),
            lambda: customer_out(customer_service().create(caller, fields)).model_dump(mode="json"),
        )
    )


@router.get("/v1/customers", tags=TAGS, summary="List customers")
def list_customers(
    archived: Archived = False, search: Search = "", limit: Limit = 25, cursor: Cursor = None
) -> ListPage[CustomerOut]:
    page = customer_service().list(caller_of(router), archived=archived, search=search, limit=limit, cursor=cursor)
    return ListPage[CustomerOut](**page_of(page, customer_out))


@router.post(
    "/v1/customers/export",
    tags=TAGS,
    summary="Export all customers as XLSX (presigned link)",
    responses=created_response(ExportOut),
)
def export_customers() -> Response[ExportOut]:
    export = customer_export().export(caller_of(router))
    return created_export(export)


@router.get("/v1/customers/<customer_id>", tags=TAGS, summary="Get a customer")
def get_customer(customer_id: str) -> CustomerOut:
    return customer_out(customer_service().get(caller_of(router), customer_id))


@router.patch("/v1/customers/<customer_id>", tags=TAGS, summary="Update a customer")
def update_customer(customer_id: str, body: CustomerUpdate) -> CustomerOut:
    changes = changes_of(body, nullable=("billing_address", "debtor_number", "vat_treatment"))
    return customer_out(customer_service().update(caller_of(router), customer_id, changes))


@router.post(
    "/v1/customers/<customer_id>/vat-id/check", tags=TAGS, summary="Ask VIES again about the customer's VAT id"
)
def check_vat_id(customer_id: str) -> CustomerOut:
    return customer_out(customer_service().check_vat_id(caller_of(router), customer_id))


@router.delete("/v1/customers/<customer_id>", tags=TAGS, summary="Delete a customer (only with no records)")
def delete_customer(customer_id: str) -> Response[None]:
    customer_service().delete(caller_of(router), customer_id)
    return Response(status_code=204)


@router.post("/v1/customers/<customer_id>/archive", tags=TAGS, summary="Archive a customer")
def archive_customer(customer_id: str) -> CustomerOut:
    return customer_out(customer_service().archive(caller_of(router), customer_id))


@router.post("/v1/customers/<customer_id>/restore", tags=TAGS, summary="Restore an archived customer")
def restore_customer(customer_id: str) -> CustomerOut:
    return customer_out(customer_service().restore(caller_of(router), customer_id))


@router.post(
    "/v1/customers/<customer_id>/addresses",
    tags=TAGS,
    summary="Add an address to a customer",
    responses=created_response(CustomerOut),
)
def add_customer_address(
    customer_id: str, body: AddressCreate, idempotency_key: IdempotencyKey = None
) -> Response[CustomerOut]:
    caller = caller_of(router)
    values = body.model_dump(exclude={"make_default"})
    return created(
        create_once(
            router,
            caller,
            idempotency_key,
            f"add_customer_address:{customer_id}",
            body.model_dump(mode="json"),
            lambda: customer_out(
                customer_service().add_address(caller, customer_id, values, body.make_default)
            ).model_dump(mode="json"),
        )
    )


@router.patch(
    "/v1/customers/<customer_id>/addresses/<address_id>", tags=TAGS, summary="Edit an address or make it the default"
)
def update_customer_address(customer_id: str, address_id: str, body: AddressUpdate) -> CustomerOut:
    values = body.model_dump(exclude={"make_default"}, exclude_none=True)
    return customer_out(
        customer_service().edit_address(caller_of(router), customer_id, address_id, values, body.make_default)
    )


@router.get("/v1/customers/<customer_id>/timeline", tags=TAGS, summary="A customer's billing events, newest first")
def customer_timeline(customer_id: str, limit: Limit = 25, cursor: Cursor = None) -> ListPage[TimelineEventOut]:
    page = customer_service().timeline(caller_of(router), customer_id, limit=limit, cursor=cursor)
    return ListPage[TimelineEventOut](**page_of(page, timeline_event_out))
