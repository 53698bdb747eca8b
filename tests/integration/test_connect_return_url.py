"""The Stripe Connect callback sends the browser back only to an origin the deployment allows
(an open redirect otherwise): the API's own, or one of ConsoleOrigins; locally the gateway's."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests


def _state(authorize_url: str) -> str:
    return parse_qs(urlsplit(authorize_url).query)["state"][0]


def _denied(stack, state: str) -> requests.Response:
    return requests.get(
        f"{stack.url}/v1/stripe/oauth/callback",
        params={"state": state, "error": "access_denied"},
        allow_redirects=False,
        timeout=10,
    )


def test_the_probe_a_foreign_return_url_is_refused_and_never_redirected_to(api, stack):
    response = api.post("/v1/settings/stripe/connect", json={"return_url": "https://evil.example/landing"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert [f["field"] for f in error["fields"]] == ["return_url"]


@pytest.mark.parametrize(
    "return_url",
    [
        "https://evil.example/landing",
        "{url}@evil.example/landing",  # user info: the host is evil.example
        "http://user:pw@{host}/landing",
        "{url}.evil.example/landing",  # the allowed origin as a prefix of another host
        "http://{host}:1/landing",  # another port
        "https://{host}/landing",  # another scheme
        "http://{host}\\@evil.example/",  # a backslash: a slash to a browser
        "http:/\\evil.example/",
        "http:///evil.example/",
        "http://\tevil.example/",
        "{url}:/landing",  # an empty port
        "http://[::1/",  # a host that does not parse
    ],
)
def test_a_return_url_off_the_allowed_origins_is_refused_when_started(api, stack, return_url):
    url = return_url.format(url=stack.url, host=urlsplit(stack.url).netloc)
    response = api.post("/v1/settings/stripe/connect", json={"return_url": url})
    assert response.status_code == 422, (url, response.text)
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["return_url"]


@pytest.mark.parametrize("path", ["/console/settings?tab=payments", "/", ""])
def test_a_return_url_on_the_gateways_own_origin_is_returned_to(api, stack, path):
    start = api.post("/v1/settings/stripe/connect", json={"return_url": f"{stack.url}{path}"})
    assert start.status_code == 201, start.text
    landed = _denied(stack, _state(start.json()["authorize_url"]))
    assert landed.status_code == 302
    location = urlsplit(landed.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == stack.url
    assert parse_qs(location.query)["stripe_connect"] == ["error"]
    assert parse_qs(location.query)["reason"] == ["access_denied"]


def test_a_stored_return_url_off_the_allowed_origins_gets_the_plain_page(api, stack):
    # Given a state stored before return URLs were checked (or with an origin allowed no longer)
    from datetime import UTC, datetime, timedelta

    from billing.adapters.dynamodb.payments import DynamoProcessorConnections

    expires = datetime.now(UTC) + timedelta(minutes=5)
    DynamoProcessorConnections().remember_state("old-state", api.tenant, "https://evil.example/landing", expires)
    page = _denied(stack, "old-state")
    assert page.status_code == 200
    assert "Location" not in page.headers
    assert "not connected" in page.text


def test_without_a_return_url_the_callback_still_answers_a_page(api, stack):
    start = api.post("/v1/settings/stripe/connect")
    assert start.status_code == 201
    page = _denied(stack, _state(start.json()["authorize_url"]))
    assert page.status_code == 200 and "not connected" in page.text
