"""Integration tests: the embedded stack (moto's server, the gateway, the real handlers) started
once for the session and driven over real HTTP. Each test gets tenants of its own."""

from __future__ import annotations

import logging
import uuid

import pytest
import requests

from local.auth import issue_token
from local.run import LocalStack


@pytest.fixture(scope="session")
def stack():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    running = LocalStack().start()
    yield running
    running.stop()


class Api:
    """A web client of one tenant, with one role."""

    def __init__(self, base_url: str, tenant: str, role: str = "admin"):
        self.base_url = base_url
        self.tenant = tenant
        self.role = role
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {issue_token(tenant, role)}"

    def as_role(self, role: str) -> Api:
        return Api(self.base_url, self.tenant, role)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=30, **kwargs)

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


def fields_of(response: requests.Response) -> list[str]:
    return [f["field"] for f in response.json()["error"].get("fields", [])]


def connect_stripe_account(api: Api) -> str:
    """Connect a new Stripe account of the stand-in to the tenant; returns its id."""
    account = f"acct_{uuid.uuid4().hex[:16]}"
    response = api.request("PUT", "/v1/settings/stripe", json={"account_id": account})
    assert response.status_code == 200, response.text
    return account
