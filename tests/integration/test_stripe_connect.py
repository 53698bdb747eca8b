"""A tenant proves it owns the Stripe account it connects: Stripe Connect OAuth with a one-time
state bound to the tenant. The raw account-id route is gone."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.integration.conftest import authorize_at_stripe, chromium, connect_stripe_account


def start(api, **body):
    response = api.post("/v1/settings/stripe/connect", json=body or None)
    assert response.status_code == 201, response.text
    return response.json()


def test_connecting_takes_the_account_from_stripe_not_from_the_tenant(api, stack):
    account = connect_stripe_account(api)
    assert account.startswith("acct_")
    assert account in stack.stripe.accounts
    assert api.request("PUT", "/v1/settings/stripe", json={"account_id": "acct_x"}).status_code == 404


def test_the_authorize_link_names_the_platform_and_comes_back_to_our_callback(api, stack):
    url = start(api)["authorize_url"]
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{stack.stripe_url}/oauth/authorize?")
    assert query["client_id"] == ["ca_billow_local_platform"]
    assert query["scope"] == ["read_write"]
    assert query["redirect_uri"] == [f"{stack.url}/v1/stripe/oauth/callback"]
    assert len(query["state"][0]) >= 40


def test_a_state_works_once(api):
    redirect = authorize_at_stripe(start(api)["authorize_url"])
    assert requests.get(redirect.headers["Location"], timeout=10).status_code == 200
    replay = requests.get(redirect.headers["Location"], timeout=10)
    assert replay.status_code == 400
    assert replay.json()["error"]["type"] == "invalid_state"


@pytest.mark.parametrize("query", ["", "?state=forged&code=ac_x", "?code=ac_x"])
def test_an_unknown_state_connects_nothing(stack, query):
    response = requests.get(f"{stack.url}/v1/stripe/oauth/callback{query}", timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_state"


def test_a_forged_code_with_a_real_state_connects_nothing(api, stack):
    state = parse_qs(urlsplit(start(api)["authorize_url"]).query)["state"][0]
    page = requests.get(f"{stack.url}/v1/stripe/oauth/callback?state={state}&code=ac_forged", timeout=10)
    assert page.status_code == 200
    assert "not connected" in page.text
    assert api.get("/v1/settings/stripe").json() == {"connected": False, "account_id": None}


def test_denying_at_stripe_connects_nothing_and_says_so(api):
    redirect = authorize_at_stripe(start(api)["authorize_url"], decision="deny")
    page = requests.get(redirect.headers["Location"], timeout=10)
    assert "not connected" in page.text and "denied" in page.text
    assert api.get("/v1/settings/stripe").json()["connected"] is False


def test_the_browser_returns_to_the_return_url_with_the_outcome(api, stack):
    # The console's origin: locally the gateway's own (ConsoleOrigins); other origins are a 422
    url = start(api, return_url=f"{stack.url}/console/settings?tab=payments")["authorize_url"]
    landed = requests.get(authorize_at_stripe(url).headers["Location"], allow_redirects=False, timeout=10)
    assert landed.status_code == 302
    location = urlsplit(landed.headers["Location"])
    assert (location.netloc, location.path) == (urlsplit(stack.url).netloc, "/console/settings")
    query = parse_qs(location.query)
    assert query["tab"] == ["payments"] and query["stripe_connect"] == ["connected"]
    assert query["account"] == [api.get("/v1/settings/stripe").json()["account_id"]]


def test_an_account_serves_one_tenant(api, new_tenant, stack):
    account = connect_stripe_account(api)
    other = new_tenant()
    url = start(other, return_url=f"{stack.url}/back")["authorize_url"]
    landed = requests.get(authorize_at_stripe(url, account=account).headers["Location"], allow_redirects=False)
    assert parse_qs(urlsplit(landed.headers["Location"]).query)["reason"] == ["account_taken"]
    assert other.get("/v1/settings/stripe").json()["connected"] is False
    assert api.get("/v1/settings/stripe").json()["account_id"] == account


def test_only_admins_start_it(api):
    assert api.as_role("billing").post("/v1/settings/stripe/connect").status_code == 403
    assert api.as_role("viewer").post("/v1/settings/stripe/connect").status_code == 403


def test_a_return_url_must_be_http(api):
    response = api.post("/v1/settings/stripe/connect", json={"return_url": "javascript:alert(1)"})
    assert response.status_code == 422


# ---------------------------------------------------------------- in a real browser


def test_an_admin_connects_in_a_headless_browser(api, stack):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    url = start(api)["authorize_url"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(url)
            assert "Connect your Stripe account" in page.inner_text("h1")
            page.click("#connect")
            page.wait_for_url(f"{stack.url}/v1/stripe/oauth/callback?*")
            text = page.inner_text("body")
        finally:
            browser.close()
    account = api.get("/v1/settings/stripe").json()["account_id"]
    assert f"Your Stripe account {account} is now connected" in text


def test_an_expired_state_connects_nothing(api, stack):
    # Given a state issued a minute past its lifetime (DynamoDB's TTL deletes lazily, so it is still there)
    from datetime import UTC, datetime, timedelta

    from billing.adapters.dynamodb.payments import DynamoProcessorConnections

    expired = datetime.now(UTC) - timedelta(minutes=1)
    DynamoProcessorConnections().remember_state("expired-state", api.tenant, None, expired)
    response = requests.get(f"{stack.url}/v1/stripe/oauth/callback?state=expired-state&code=ac_x", timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_state"
    assert api.get("/v1/settings/stripe").json()["connected"] is False
