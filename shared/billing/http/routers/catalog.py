"""/v1/products, /v1/tax-rates and /v1/settings."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from billing.bootstrap import catalog_service, customer_service
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.idempotency import create_once
from billing.http.routers.common import Archived, Cursor, IdempotencyKey, Limit, Search, created, created_response
from billing.http.schemas.catalog import (
    ProductCreate,
    ProductOut,
    ProductUpdate,
    SettingsOut,
    SettingsUpdate,
    TaxRateCreate,
    TaxRateOut,
    TaxRateUpdate,
    product_out,
    settings_out,
    tax_rate_out,
)
from billing.http.schemas.common import ListPage, changes_of, page_of

router = ApiRouter()
PRODUCTS, TAX_RATES, SETTINGS = ["Products"], ["Tax rates"], ["Settings"]


@router.post(
    "/v1/products", tags=PRODUCTS, summary="Add a product to the library", responses=created_response(ProductOut)
)
def create_product(body: ProductCreate, idempotency_key: IdempotencyKey = None) -> Response[ProductOut]:
    caller = caller_of(router)
    return created(
        create_once(
            router,
            caller,
            idempotency_key,
            "create_product",
            body.model_dump(mode="json"),
            lambda: product_out(catalog_service().create_product(caller, body.model_dump())).model_dump(mode="json"),
        )
    )


@router.get("/v1/products", tags=PRODUCTS, summary="List or search products (name, description, SKU)")
def list_products(
    archived: Archived = False, search: Search = "", limit: Limit = 25, cursor: Cursor = None
) -> ListPage[ProductOut]:
    page = catalog_service().list_products(
        caller_of(router), archived=archived, search=search, limit=limit, cursor=cursor
    )
    return ListPage[ProductOut](**page_of(page, product_out))


@router.get("/v1/products/<product_id>", tags=PRODUCTS, summary="Get a product")
def get_product(product_id: str) -> ProductOut:
    return product_out(catalog_service().get_product(caller_of(router), product_id))


@router.patch("/v1/products/<product_id>", tags=PRODUCTS, summary="Update a product")
def update_product(product_id: str, body: ProductUpdate) -> ProductOut:
    changes = changes_of(body, nullable=("unit_cost", "tax_rate_id"))
    return product_out(catalog_service().update_product(caller_of(router), product_id, changes))


@router.post("/v1/products/<product_id>/archive", tags=PRODUCTS, summary="Archive a product")
def archive_product(product_id: str) -> ProductOut:
    return product_out(catalog_service().set_product_archived(caller_of(router), product_id, True))


@router.post("/v1/products/<product_id>/restore", tags=PRODUCTS, summary="Restore an archived product")
def restore_product(product_id: str) -> ProductOut:
    return product_out(catalog_service().set_product_archived(caller_of(router), product_id, False))


@router.post("/v1/tax-rates", tags=TAX_RATES, summary="Add a tax rate", responses=created_response(TaxRateOut))
def create_tax_rate(body: TaxRateCreate, idempotency_key: IdempotencyKey = None) -> Response[TaxRateOut]:
    caller = caller_of(router)
    return created(
        create_once(
            router,
            caller,
            idempotency_key,
            "create_tax_rate",
            body.model_dump(mode="json"),
            lambda: tax_rate_out(catalog_service().create_tax_rate(caller, body.model_dump())).model_dump(mode="json"),
        )
    )


@router.get("/v1/tax-rates", tags=TAX_RATES, summary="List tax rates")
def list_tax_rates(archived: Archived = False, limit: Limit = 25, cursor: Cursor = None) -> ListPage[TaxRateOut]:
    page = catalog_service().list_tax_rates(caller_of(router), archived=archived, limit=limit, cursor=cursor)
    return ListPage[TaxRateOut](**page_of(page, tax_rate_out))


@router.get("/v1/tax-rates/<tax_rate_id>", tags=TAX_RATES, summary="Get a tax rate")
def get_tax_rate(tax_rate_id: str) -> TaxRateOut:
    return tax_rate_out(catalog_service().get_tax_rate(caller_of(router), tax_rate_id))


@router.patch("/v1/tax-rates/<tax_rate_id>", tags=TAX_RATES, summary="Update a tax rate")
def update_tax_rate(tax_rate_id: str, body: TaxRateUpdate) -> TaxRateOut:
    return tax_rate_out(catalog_service().update_tax_rate(caller_of(router), tax_rate_id, changes_of(body)))


@router.post("/v1/tax-rates/<tax_rate_id>/archive", tags=TAX_RATES, summary="Archive a tax rate")
def archive_tax_rate(tax_rate_id: str) -> TaxRateOut:
    return tax_rate_out(catalog_service().set_tax_rate_archived(caller_of(router), tax_rate_id, True))


@router.post("/v1/tax-rates/<tax_rate_id>/restore", tags=TAX_RATES, summary="Restore an archived tax rate")
def restore_tax_rate(tax_rate_id: str) -> TaxRateOut:
    return tax_rate_out(catalog_service().set_tax_rate_archived(caller_of(router), tax_rate_id, False))


@router.get("/v1/settings", tags=SETTINGS, summary="The tenant's settings")
def get_settings() -> SettingsOut:
    return settings_out(catalog_service().get_settings(caller_of(router)))


@router.patch("/v1/settings", tags=SETTINGS, summary="Change the tenant's settings (admins only)")
def update_settings(body: SettingsUpdate) -> SettingsOut:
    changes = changes_of(body, nullable=("default_tax_rate_id",))
    caller = caller_of(router)
    updated = catalog_service().update_settings(caller, changes)
    if changes.get("datev_enabled"):  # every customer gets a debtor number (those with one keep it)
        customer_service().assign_debtor_numbers(caller)
    return settings_out(updated)
