"""A tenant connects its Stripe account through Stripe Connect OAuth: the account is
taken from Stripe's answer to an authorisation code, never from the tenant's word. The state that
travels through Stripe is random, bound to the tenant that started, short-lived and used once."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from billing.domain.access import Caller, Permission
from billing.domain.errors import BadRequest, Conflict, DomainError
from billing.domain.origins import checked_return_url, is_allowed_return_url, origin_of
from billing.ports import Clock, PaymentGateway, ProcessorConnections

STATE_LIFETIME = timedelta(minutes=15)


class InvalidConnectState(BadRequest):
    code = "invalid_state"


@dataclass(frozen=True)
class ConnectStart:
    authorize_url: str
    expires_at: datetime


@dataclass(frozen=True)
class ConnectOutcome:
    """Where the admin's browser goes next, and what to tell them."""

    tenant_id: str
    return_url: str | None
    account: str | None = None
    error: str | None = None  # access_denied, account_taken, or Stripe's reason

    @property
    def connected(self) -> bool:
        return self.account is not None


class StripeConnectService:
    """``console_origins``: where, besides the API's own origin (the callback's, where the console is
    served), the browser may be sent back to after Stripe; any other return URL is refused."""

    def __init__(
        self,
        connections: ProcessorConnections,
        gateway: PaymentGateway,
        clock: Clock,
        console_origins: Collection[str] = frozenset(),
    ):
        self._connections = connections
        self._gateway = gateway
        self._clock = clock
        self._console_origins = frozenset(console_origins)

    def _return_origins(self, redirect_uri: str | None) -> frozenset[str]:
        own = origin_of(redirect_uri) if redirect_uri else None
        return self._console_origins | ({own} if own else set())

    def start(self, caller: Caller, *, redirect_uri: str, return_url: str | None) -> ConnectStart:
        caller.require(Permission.ADMINISTER)
        if return_url is not None:
            checked_return_url(return_url, self._return_origins(redirect_uri))
        state = secrets.token_urlsafe(32)
        expires_at = self._clock.now() + STATE_LIFETIME
        self._connections.remember_state(state, caller.tenant_id, return_url, expires_at)
        return ConnectStart(self._gateway.connect_authorize_url(state=state, redirect_uri=redirect_uri), expires_at)

    def finish(
        self, *, state: str, code: str | None, error: str | None, redirect_uri: str | None = None
    ) -> ConnectOutcome:
        """Stripe's redirect back: the state names the tenant; the code, exchanged with the
        platform's secret key, names the account. A return URL stored before its origin was checked
        (or whose origin is allowed no longer) is dropped: the browser gets the plain page."""
        issued = self._connections.take_state(state) if state else None
        if issued is None:
            raise InvalidConnectState("this Stripe Connect link is unknown, expired or already used; start again")
        tenant_id, return_url = issued
        if not is_allowed_return_url(return_url, self._return_origins(redirect_uri)):
            return_url = None
        if error or not code:
            return ConnectOutcome(tenant_id, return_url, error=error or "no authorisation code")
        try:
            account = self._gateway.connected_account(code)
            self._connections.connect(tenant_id, account, self._connections.account_of(tenant_id))
        except Conflict:
            return ConnectOutcome(tenant_id, return_url, error="account_taken")
        except DomainError as refused:
            return ConnectOutcome(tenant_id, return_url, error=refused.message)
        return ConnectOutcome(tenant_id, return_url, account=account)
