"""The PaymentGateway port on Stripe, through the real `stripe` client, acting on each tenant's
connected account (``stripe_account``). Stripe errors become domain errors here and nowhere else.
Imported only by code paths that talk to Stripe: `stripe` costs cold-start time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar, cast

import stripe
from stripe.oauth_error import OAuthError

from billing.config import config
from billing.domain.errors import (
    Conflict,
    InvalidEvent,
    InvalidSignature,
    NotFound,
    ProcessorUnavailable,
    ValidationFailed,
)
from billing.domain.payments import AuthenticationRequired, PaymentDeclined, ProcessorPayment
from billing.observability import logger
from billing.ports import CheckoutSession, MethodDetails, ProcessorEvent, SavedSetup, SetupSession

if TYPE_CHECKING:  # the params modules are many: types only, never imported at run time
    from stripe.params import (
        CustomerCreateParams,
        CustomerUpdateParams,
        PaymentIntentCreateParams,
        RefundCreateParams,
        SetupIntentCreateParams,
    )
    from stripe.params.checkout import SessionCreateParams

T = TypeVar("T")

SIGNATURE_TOLERANCE_SECONDS = 300


def _plain(obj: Any) -> dict[str, Any]:
    """stripe-python objects are not dicts; the adapter works on plain data."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj or {})


# What a buyer may save for off-session charges: a card, or a SEPA Direct Debit mandate. Sent as
# ``allowed_payment_method_types``: the API version stripe 16 pins (2026-10-28.endive) refuses the
# older ``payment_method_types`` on PaymentIntent, SetupIntent and Checkout Session creates (400
# payment_method_types_no_longer_supported).
SAVED_METHOD_TYPES = ("card", "sepa_debit")


def _processor_payment(intent: Any) -> ProcessorPayment:
    intent = _plain(intent)
    charge = intent.get("latest_charge")
    charge = charge if isinstance(charge, dict) else None
    error = intent.get("last_payment_error") or {}
    return ProcessorPayment(
        reference=intent["id"],
        status=intent["status"],
        amount=intent["amount"],
        currency=intent["currency"],
        charge_id=charge["id"] if charge else intent.get("latest_charge"),
        amount_refunded=charge["amount_refunded"] if charge else 0,
        disputed=bool(charge and charge.get("disputed")),
        failure_code=error.get("code"),
        decline_code=error.get("decline_code"),
        failure_message=error.get("message"),
        payment_method_id=intent.get("payment_method") if isinstance(intent.get("payment_method"), str) else None,
    )


class StripeGateway:
    """Stripe through its official client. The platform's keys are given, or loaded by
    ``load_keys`` on first use, so building a gateway never waits on the network (a SnapStart
    snapshot holds the gateway, never the keys)."""

    def __init__(
        self,
        api_key: str = "",
        webhook_secret: str = "",
        api_base: str | None = None,
        max_network_retries: int = 2,
        publishable_key: str = "",
        connect_client_id: str | None = None,
        load_keys: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        given = {
            "secret_key": api_key,
            "webhook_secret": webhook_secret,
            "publishable_key": publishable_key,
            "connect_client_id": connect_client_id,
        }
        self._load_keys = load_keys or (lambda: given)
        self._api_base = api_base
        self._max_network_retries = max_network_retries

    @cached_property
    def _keys(self) -> dict[str, Any]:
        return self._load_keys()

    @cached_property
    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            self._keys["secret_key"],
            client_id=self._keys.get("connect_client_id") or None,
            base_addresses={"api": self._api_base, "connect": self._api_base} if self._api_base else None,
            max_network_retries=self._max_network_retries,
        )

    @staticmethod
    def _options(account: str, idempotency_key: str | None = None) -> stripe.RequestOptions:
        options: stripe.RequestOptions = {"stripe_account": account}
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        return options

    def _call(self, request: Callable[[], T]) -> T:
        try:
            return request()
        except stripe.CardError as error:
            details = error.error
            intent = getattr(details, "payment_intent", None) if details is not None else None
            state = _processor_payment(intent) if intent else None
            declined = AuthenticationRequired if error.code == "authentication_required" else PaymentDeclined
            raise declined(
                error.code or "card_declined",
                getattr(details, "decline_code", None),
                error.user_message or str(error),
                state,
            ) from None
        except stripe.IdempotencyError as error:
            raise Conflict(f"Stripe refused a repeated request with other parameters: {error.user_message}") from None
        except stripe.InvalidRequestError as error:
            if error.http_status == 404:
                raise NotFound(f"Stripe has no such object: {error.user_message}") from None
            raise ValidationFailed.of(error.param or "request", error.user_message or str(error)) from None
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
            raise _unavailable(error) from None

    def create_customer(self, account: str, *, email: str, name: str, metadata: dict, idempotency_key: str) -> str:
        params: CustomerCreateParams = {"name": name, "metadata": metadata}
        if email:
            params["email"] = email
        customer = self._call(
            lambda: self._client.v1.customers.create(params=params, options=self._options(account, idempotency_key))
        )
        return customer.id

    def update_customer(self, account: str, processor_customer_id: str, *, email: str, name: str) -> None:
        params: CustomerUpdateParams = {"name": name, "email": email}  # an empty email clears it at Stripe too
        self._call(
            lambda: self._client.v1.customers.update(
                processor_customer_id, params=params, options=self._options(account)
            )
        )

    def connect_authorize_url(self, *, state: str, redirect_uri: str) -> str:
        params: stripe.OAuth.OAuthAuthorizeUrlParams = {
            "response_type": "code",
            "scope": "read_write",
            "state": state,
            "redirect_uri": redirect_uri,
        }
        return self._client.oauth.authorize_url(params=params)

    def connected_account(self, code: str) -> str:
        try:
            token = self._client.oauth.token(params={"grant_type": "authorization_code", "code": code})
        except OAuthError as error:
            raise ValidationFailed.of(
                "code", f"Stripe refused the authorisation: {error.user_message or error}"
            ) from None
        except (stripe.APIConnectionError, stripe.APIError) as error:
            raise _unavailable(error) from None
        return cast(str, token.stripe_user_id)  # an authorization_code grant always names the account

    def create_setup_intent(
        self, account: str, *, processor_customer_id: str, metadata: dict, idempotency_key: str
    ) -> SetupSession:
        params: SetupIntentCreateParams = {
            "customer": processor_customer_id,
            "usage": "off_session",
            "allowed_payment_method_types": list(SAVED_METHOD_TYPES),
            "metadata": metadata,
        }
        intent = self._call(
            lambda: self._client.v1.setup_intents.create(params=params, options=self._options(account, idempotency_key))
        )
        secret = cast(str, intent.client_secret)  # a SetupIntent just created carries its client secret
        return SetupSession(intent.id, secret, self._keys.get("publishable_key") or "")

    def payment_method(self, account: str, method_id: str, mandate_id: str | None = None) -> MethodDetails:
        method = _plain(
            self._call(lambda: self._client.v1.payment_methods.retrieve(method_id, options=self._options(account)))
        )
        mandate = (
            _plain(self._call(lambda: self._client.v1.mandates.retrieve(mandate_id, options=self._options(account))))
            if mandate_id
            else {}
        )
        mandate_debit = (mandate.get("payment_method_details") or {}).get("sepa_debit") or {}
        card = method.get("card") or {}
        debit = method.get("sepa_debit") or {}  # a bank account has no brand or expiry: its bank and country
        return MethodDetails(
            id=method["id"],
            type=method["type"],
            brand=card.get("brand") or "",
            last4=card.get("last4") or debit.get("last4") or "",
            exp_month=int(card.get("exp_month") or 0),
            exp_year=int(card.get("exp_year") or 0),
            processor_customer_id=method.get("customer"),
            bank_code=debit.get("bank_code") or "",
            country=debit.get("country") or "",
            mandate_reference=mandate_debit.get("reference") or "",
        )

    def detach_payment_method(self, account: str, method_id: str) -> None:
        self._call(lambda: self._client.v1.payment_methods.detach(method_id, options=self._options(account)))

    def charge(
        self,
        account: str,
        *,
        processor_customer_id: str,
        method_id: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        metadata: dict,
        description: str,
    ) -> ProcessorPayment:
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": currency,
            "customer": processor_customer_id,
            "payment_method": method_id,
            "allowed_payment_method_types": list(SAVED_METHOD_TYPES),
            "off_session": True,
            "confirm": True,
            "metadata": metadata,
            "expand": ["latest_charge"],
        }
        if description:
            params["description"] = description
        intent = self._call(
            lambda: self._client.v1.payment_intents.create(
                params=params, options=self._options(account, idempotency_key)
            )
        )
        return _processor_payment(intent)

    def refund(self, account: str, *, payment_reference: str, amount: int | None, idempotency_key: str) -> None:
        params: RefundCreateParams = {"payment_intent": payment_reference}
        if amount:
            params["amount"] = amount
        self._call(
            lambda: self._client.v1.refunds.create(params=params, options=self._options(account, idempotency_key))
        )

    def payment(self, account: str, reference: str) -> ProcessorPayment:
        intent = self._call(
            lambda: self._client.v1.payment_intents.retrieve(
                reference, params={"expand": ["latest_charge"]}, options=self._options(account)
            )
        )
        return _processor_payment(intent)

    def verified_event(self, payload: str, signature: str | None) -> ProcessorEvent:
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature or "", self._keys.get("webhook_secret") or "", SIGNATURE_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as error:
            raise InvalidSignature(f"the Stripe-Signature header does not verify: {error}") from None
        _refuse_future_timestamp(signature or "")
        try:
            event = json.loads(payload)
        except (ValueError, RecursionError):
            raise InvalidEvent("the payload is not JSON") from None
        if not isinstance(event, dict) or not _is_text(event.get("id")) or not _is_text(event.get("type")):
            raise InvalidEvent("the payload is not a Stripe event: it needs a string id and type")
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        created = event.get("created")
        return ProcessorEvent(
            event["id"],
            event["type"],
            event.get("account") if _is_text(event.get("account")) else None,
            created if isinstance(created, int) and not isinstance(created, bool) else 0,
            obj if isinstance(obj, dict) else {},
        )

    def create_checkout(
        self,
        account: str,
        *,
        amount: int,
        currency: str,
        name: str,
        success_url: str,
        cancel_url: str,
        metadata: dict,
        customer_email: str | None,
        idempotency_key: str,
    ) -> CheckoutSession:
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {"currency": currency, "unit_amount": amount, "product_data": {"name": name}},
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "description": name},
        }
        if customer_email:
            params["customer_email"] = customer_email
        session = self._call(
            lambda: self._client.v1.checkout.sessions.create(
                params=params, options=self._options(account, idempotency_key)
            )
        )
        return _checkout(session)

    def checkout(self, account: str, session_id: str) -> CheckoutSession:
        return _checkout(
            self._call(lambda: self._client.v1.checkout.sessions.retrieve(session_id, options=self._options(account)))
        )

    def create_setup_checkout(
        self,
        account: str,
        *,
        processor_customer_id: str,
        success_url: str,
        cancel_url: str,
        metadata: dict,
        idempotency_key: str,
    ) -> CheckoutSession:
        params: SessionCreateParams = {
            "mode": "setup",
            "customer": processor_customer_id,
            "allowed_payment_method_types": list(SAVED_METHOD_TYPES),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "setup_intent_data": {"metadata": metadata},
        }
        session = self._call(
            lambda: self._client.v1.checkout.sessions.create(
                params=params, options=self._options(account, idempotency_key)
            )
        )
        return _checkout(session)

    def setup_method(self, account: str, setup_reference: str) -> SavedSetup | None:
        intent = _plain(
            self._call(lambda: self._client.v1.setup_intents.retrieve(setup_reference, options=self._options(account)))
        )
        method, mandate = intent.get("payment_method"), intent.get("mandate")
        if intent.get("status") != "succeeded" or not _is_text(method):
            return None
        return SavedSetup(method, mandate if _is_text(mandate) else None)

    def expire_checkout(self, account: str, session_id: str) -> None:
        session = self.checkout(account, session_id)
        if session.status == "open":
            self._call(lambda: self._client.v1.checkout.sessions.expire(session_id, options=self._options(account)))


def _is_text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value)


def _refuse_future_timestamp(signature: str) -> None:
    """Stripe's check bounds a signature's age only; a timestamp far ahead is as suspect as one far behind."""
    stamps = [part[2:] for part in signature.split(",") if part.startswith("t=")]
    if stamps and stamps[0].isdigit() and int(stamps[0]) > time.time() + SIGNATURE_TOLERANCE_SECONDS:
        raise InvalidSignature("the Stripe-Signature timestamp lies in the future")


@cache
def gateway_from_environment() -> StripeGateway:
    return StripeGateway(api_base=config().stripe_api_base, load_keys=platform_keys)


def platform_keys() -> dict[str, Any]:
    """The platform's keys: from the environment locally, from Secrets Manager in AWS (a JSON
    secret with ``secret_key``, ``webhook_secret``, ``publishable_key`` and ``connect_client_id``,
    the platform's ``ca_...``)."""
    settings = config()
    if settings.stripe_keys is not None:
        return asdict(settings.stripe_keys)
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(settings.stripe_secret_name, transform="json", max_age=300)


def _checkout(session: Any) -> CheckoutSession:
    session = _plain(session)
    return CheckoutSession(
        id=session["id"],
        url=session.get("url"),
        status=session.get("status") or "open",
        payment_status=session.get("payment_status") or "unpaid",
        payment_reference=session.get("payment_intent") if isinstance(session.get("payment_intent"), str) else None,
        amount=int(session.get("amount_total") or 0),
        currency=session.get("currency") or "",
        metadata=dict(session.get("metadata") or {}),
        setup_reference=session.get("setup_intent") if _is_text(session.get("setup_intent")) else None,
    )


def _unavailable(error: Exception) -> ProcessorUnavailable:
    """Stripe could not be reached or failed: the reason is logged, the caller is told to retry."""
    logger.warning("Stripe unavailable", extra={"reason": str(error)})
    return ProcessorUnavailable("Stripe could not be reached; retry shortly")
