"""Where a browser may be sent back to: an origin the deployment allows, compared exactly by
scheme, host and port (billing.domain.origins), checked when Stripe Connect starts and again at
its callback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing.domain.access import Caller, Role
from billing.domain.errors import ValidationFailed
from billing.domain.origins import allowed_origins, checked_return_url, is_allowed_return_url, origin_of
from billing.services.stripe_connect import StripeConnectService
from tests.unit.fakes import FixedClock

CONSOLE = "https://console.example.com"
ALLOWED = frozenset({CONSOLE, "http://127.0.0.1:3000"})


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://console.example.com/settings?tab=payments", CONSOLE),
        ("https://console.example.com", CONSOLE),
        ("HTTPS://Console.Example.COM/x", CONSOLE),
        ("https://console.example.com:443/x", CONSOLE),
        ("https://console.example.com:8443/x", "https://console.example.com:8443"),
        ("http://console.example.com:80/", "http://console.example.com"),
        ("http://127.0.0.1:3000/console", "http://127.0.0.1:3000"),
        ("http://[::1]:3000/", "http://[::1]:3000"),
        ("https://console.example.com#@evil.example", CONSOLE),  # a fragment, not user info
        ("https://console.example.com?next=https://evil.example", CONSOLE),
    ],
)
def test_the_origin_of_a_url_is_its_scheme_host_and_port(url, origin):
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/settings",
        "//evil.example/",
        "javascript:alert(1)",
        "ftp://console.example.com/",
        "https:evil.example",
        "https:/evil.example",
        "https:///evil.example",
        "https://console.example.com@evil.example/",
        "https://user:pw@console.example.com/",
        "https://@console.example.com/",
        "https://console.example.com\\@evil.example/",
        "https:/\\evil.example/",
        "https://console.example.com\t.evil.example/",
        "https://console.example.com\n/",
        "https://console.example.com /",
        "https://cönsole.example.com/",
        "https://console.example.com:/",
        "https://console.example.com:+443/",
        "https://console.example.com:99999/",
        "https://console.example.com:port/",
        "https://[::1/",
    ],
)
def test_a_url_that_names_no_unambiguous_origin_has_none(url):
    assert origin_of(url) is None
    with pytest.raises(ValidationFailed) as refused:
        checked_return_url(url, ALLOWED)
    assert [e.field for e in refused.value.errors] == ["return_url"]


@pytest.mark.parametrize(
    "url",
    [
        "https://console.example.com/settings",
        "https://CONSOLE.example.com:443/settings",
        "http://127.0.0.1:3000/",
    ],
)
def test_a_url_on_an_allowed_origin_is_accepted_as_given(url):
    assert checked_return_url(url, ALLOWED) == url
    assert is_allowed_return_url(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/landing",
        "http://console.example.com/settings",  # another scheme
        "https://console.example.com:8443/",  # another port
        "https://console.example.com.evil.example/",  # the allowed host as a prefix
        "https://evil.example/https://console.example.com",
        "https://sub.console.example.com/",
        "http://127.0.0.1:3001/",
        "http://localhost:3000/",
    ],
)
def test_a_url_on_another_origin_is_refused_naming_return_url(url):
    with pytest.raises(ValidationFailed) as refused:
        checked_return_url(url, ALLOWED)
    assert [e.field for e in refused.value.errors] == ["return_url"]
    assert not is_allowed_return_url(url, ALLOWED)


def test_nothing_is_allowed_when_no_origin_is():
    assert not is_allowed_return_url(None, ALLOWED)
    with pytest.raises(ValidationFailed):
        checked_return_url(f"{CONSOLE}/", frozenset())


def test_the_deployments_list_holds_origins_only():
    setting = " https://console.example.com , https://Admin.Example.com:8443/,http://127.0.0.1:3000,,"
    assert allowed_origins(setting) == {CONSOLE, "https://admin.example.com:8443", "http://127.0.0.1:3000"}
    assert allowed_origins("") == frozenset()
    # Entries that are no origin allow nothing (rather than a guess at what was meant)
    bad = "console.example.com,https://x.example/path,https://y.example?q,https://u@z.example,*,https://w.example#"
    assert allowed_origins(bad) == frozenset()


# ---------------------------------------------------------------- the service


class _Connections:
    def __init__(self):
        self.states: dict[str, tuple[str, str | None]] = {}

    def account_of(self, tenant_id):
        return None

    def connect(self, tenant_id, account, previous):
        pass

    def remember_state(self, state, tenant_id, return_url, expires_at):
        self.states[state] = (tenant_id, return_url)

    def take_state(self, state):
        return self.states.pop(state, None)


class _Gateway:
    def connect_authorize_url(self, *, state, redirect_uri):
        return f"https://connect.stripe.test/oauth/authorize?state={state}"

    def connected_account(self, code):
        return "acct_1"


ADMIN = Caller("acme", "u1", Role.ADMIN)
API = "https://api.billow.example"
CALLBACK = f"{API}/v1/stripe/oauth/callback"


def _service(origins=frozenset({CONSOLE})):
    connections = _Connections()
    return StripeConnectService(connections, _Gateway(), FixedClock(), console_origins=origins), connections


@pytest.mark.parametrize("return_url", [f"{CONSOLE}/settings", f"{API}/console", None])
def test_starting_accepts_the_consoles_origins_and_the_apis_own(return_url):
    service, connections = _service()
    service.start(ADMIN, redirect_uri=CALLBACK, return_url=return_url)
    assert list(connections.states.values()) == [("acme", return_url)]


def test_starting_with_another_origin_is_refused_and_stores_nothing():
    service, connections = _service()
    with pytest.raises(ValidationFailed) as refused:
        service.start(ADMIN, redirect_uri=CALLBACK, return_url="https://evil.example/landing")
    assert [e.field for e in refused.value.errors] == ["return_url"]
    assert connections.states == {}


def test_the_callback_drops_a_stored_return_url_no_longer_allowed():
    service, connections = _service()
    connections.remember_state("s1", "acme", "https://evil.example/landing", datetime(2026, 3, 1, tzinfo=UTC))
    connections.remember_state("s2", "acme", f"{CONSOLE}/back", datetime(2026, 3, 1, tzinfo=UTC))
    outcome = service.finish(state="s1", code=None, error="access_denied", redirect_uri=CALLBACK)
    assert (outcome.return_url, outcome.error) == (None, "access_denied")
    assert service.finish(state="s2", code="ac_1", error=None, redirect_uri=CALLBACK).return_url == f"{CONSOLE}/back"
