"""Integration tests: the embedded stack (moto's server, the gateway, the real handlers) started
once for the session and driven over real HTTP. Each test gets tenants of its own."""

from __future__ import annotations

import logging
import shutil
import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import stripe

from local.auth import issue_token
from local.run import STRIPE_SECRET_KEY, LocalStack


@pytest.fixture(scope="session")
def stack():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    running = LocalStack().start()
    yield running
    running.stop()


class Api:
    """A web client of one tenant, with one role."""

    def __init__(self, base_url: str, tenant: str, role: str = "admin", mode: str | None = None):
        self.base_url = base_url
        self.tenant = tenant
        self.role = role
        self.mode = mode
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {issue_token(tenant, role, mode=mode)}"

    def as_role(self, role: str) -> Api:
        return Api(self.base_url, self.tenant, role, self.mode)

    def as_mode(self, mode: str) -> Api:
        """The same tenant with a token of another mode (``sandbox``: a test tenant)."""
        return Api(self.base_url, self.tenant, self.role, mode)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def new_tenant(stack):
    def make(role: str = "admin") -> Api:
        return Api(stack.url, f"t{uuid.uuid4().hex[:12]}", role)

    return make


@pytest.fixture
def api(new_tenant) -> Api:
    return new_tenant()


@pytest.fixture
def shop(api):
    """A tenant with numbering RE-2026-000001..., a customer with a billing address, a library
    product sold monthly and a 19 % tax rate."""
    settings = api.patch(
        "/v1/settings",
        json={"invoice_number_prefix": "RE-2026-", "invoice_number_digits": 6, "business_name": "Billow Demo GmbH"},
    )
    assert settings.status_code == 200, settings.text
    customer = api.post(
        "/v1/customers",
        json={
            "type": "company",
            "company_name": "Muster GmbH",
            "email": "info@muster.de",
            "billing_email": "ap@muster.de",
            "vat_id": "DE123456788",
            "address": {"line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
        },
    ).json()
    product = api.post(
        "/v1/products",
        json={"name": "Hosting", "unit_price": "11.90", "currency": "eur", "billing_frequency": "monthly"},
    ).json()
    rate = api.post("/v1/tax-rates", json={"name": "USt", "percentage": "19"}).json()
    api.customer, api.product, api.rate = customer, product, rate
    return api


@pytest.fixture
def standin(stack):
    """The Stripe stand-in, delivering each event once and at once; restored after the test."""
    stack.stripe.switches.copies = 1
    stack.stripe.switches.hold = False
    yield stack.stripe
    stack.stripe.switches.copies = 1
    stack.stripe.switches.hold = False
    stack.stripe.held.clear()


@pytest.fixture
def stripe_client(stack) -> stripe.StripeClient:
    """Stands in for Stripe.js in the buyer's browser and for the tenant's Stripe dashboard."""
    return stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": stack.stripe_url})


@pytest.fixture
def merchant(api, standin):
    """A tenant with its own connected Stripe account and one customer."""
    account = connect_stripe_account(api)
    customer = api.post(
        "/v1/customers", json={"type": "company", "company_name": "Muster GmbH", "email": "ap@muster.de"}
    ).json()
    api.account = account
    api.customer = customer
    return api


@pytest.fixture
def subscriber(merchant):
    """A connected merchant whose customer has a billing email."""
    email = f"ap-{uuid.uuid4().hex[:8]}@kunde.de"
    merchant.patch(f"/v1/customers/{merchant.customer['id']}", json={"billing_email": email})
    merchant.patch("/v1/settings", json={"business_name": "Billow Demo GmbH"})
    merchant.email = email
    return merchant


def chromium() -> str:
    """Debian's Chromium (or another) for the browser tests, or a skip that says how to get it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip("no Chromium on this machine: `make test` installs Debian's chromium when it runs as root")


def fields_of(response: requests.Response) -> list[str]:
    return [f["field"] for f in response.json()["error"].get("fields", [])]


def signed_post(stack, payload: str | bytes, signature: str | None) -> requests.Response:
    """A delivery to the webhook as Stripe sends it, with the given Stripe-Signature (or none)."""
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return requests.post(f"{stack.url}/v1/webhooks/stripe", data=payload, headers=headers, timeout=10)


def authorize_at_stripe(authorize_url: str, *, decision: str = "allow", account: str = "") -> requests.Response:
    """What the admin does on Stripe's consent page: allow (with a new or an existing account) or
    deny. Returns Stripe's redirect, not followed."""
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    query = dict(parse_qsl(urlsplit(authorize_url).query))
    form = {k: query[k] for k in ("client_id", "redirect_uri", "state")} | {"decision": decision, "account": account}
    base = authorize_url.split("/oauth/authorize")[0]
    return requests.post(f"{base}/oauth/authorize/decide", data=form, allow_redirects=False, timeout=10)


def connect_stripe_account(api: Api, account: str = "") -> str:
    """Connect the tenant to a Stripe account of the stand-in through Connect OAuth, as an admin's
    browser would; returns the account id."""
    start = api.post("/v1/settings/stripe/connect")
    assert start.status_code == 201, start.text
    redirect = authorize_at_stripe(start.json()["authorize_url"], account=account)
    assert redirect.status_code == 302, redirect.text
    landed = requests.get(redirect.headers["Location"], timeout=30)
    assert landed.status_code == 200, landed.text
    connection = api.get("/v1/settings/stripe").json()
    assert connection["connected"], landed.text
    return connection["account_id"]


def invoicing_over_dynamodb(invoices, clock):
    """The invoice use cases as the composition root wires them, over the embedded stack, with the
    test's own invoice repository and clock (for the tests that drive numbering directly)."""
    from billing import bootstrap
    from billing.adapters.dynamodb.credit_notes import DynamoCreditNotes
    from billing.adapters.dynamodb.payments import DynamoPayments
    from billing.adapters.dynamodb.repositories import (
        DynamoCatalogRepository,
        DynamoCustomerRepository,
        DynamoDocumentReader,
        DynamoSettingsRepository,
    )
    from billing.adapters.lazy import LazyEInvoices, LazyInvoicePdf
    from billing.adapters.s3.files import S3FileStore
    from billing.adapters.stripe.gateway import gateway_from_environment
    from billing.adapters.xlsx import OpenpyxlWriter
    from billing.config import config
    from billing.services.invoices import build_invoicing
    from billing.services.pricing import PricingService

    settings = DynamoSettingsRepository()
    return build_invoicing(
        invoices=invoices,
        credit_notes=DynamoCreditNotes(),
        payments=DynamoPayments(),
        customers=DynamoCustomerRepository(),
        settings=settings,
        documents=DynamoDocumentReader(),
        pricing=PricingService(DynamoCatalogRepository(), settings, clock),
        payment_service=bootstrap.payment_service(),
        gateway=gateway_from_environment(),
        connections=bootstrap.processor_connections(),
        events=bootstrap.events(),
        mailer=bootstrap.mailer(),
        files=S3FileStore(config().document_bucket),
        renderer=LazyInvoicePdf(),
        einvoices=LazyEInvoices(),
        exports=S3FileStore(config().export_bucket),
        spreadsheets=OpenpyxlWriter(),
        clock=clock,
    )


@pytest.fixture
def transactions():
    """The number of items of each TransactWriteItems request sent while the test runs, counted
    at the botocore client."""
    import botocore.client

    seen = []
    original = botocore.client.BaseClient._make_api_call

    def counting(client, operation, params):
        if operation == "TransactWriteItems":
            seen.append(len(params["TransactItems"]))
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = counting
    yield seen
    botocore.client.BaseClient._make_api_call = original


def pytest_terminal_summary(terminalreporter):
    """The size of the contract fuzz run, in every test log (CI's included)."""
    import sys

    contract = sys.modules.get("tests.integration.test_api_contract")
    if contract is not None and contract.cases_sent:
        terminalreporter.write_line(
            f"schemathesis: {len(contract.cases_sent)} generated requests over the live OpenAPI document"
        )
