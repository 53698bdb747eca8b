"""A Stripe stand-in for the embedded stack: the subset of Stripe's HTTP API that Billow uses,
spoken well enough that the real `stripe` client talks to it with nothing changed but its base
address. It keeps Stripe's shapes: form-encoded requests with bracketed keys, `Stripe-Account`
namespaces for connected accounts, idempotency keys (same key and parameters replay the first
response, other parameters are an `idempotency_error`), 402 `card_error` bodies with a
`decline_code`, and signed webhook deliveries (`Stripe-Signature: t=...,v1=...`).

Its objects carry every field the `stripe` SDK types as never null (the SDK is generated from
Stripe's OpenAPI description), and the nullable ones Billow reads. Events name the request that
caused them (`request.id`, `request.idempotency_key`), creations emit their `*.created` event, and
`GET /v1/events` lists them as Stripe does when a webhook was missed.

Test switches (under /_standin/, never part of Stripe's API): deliver each event N times, hold
deliveries and release them in reverse order, drain the queue, open a dispute on a charge, and
lose the answers to the next N requests to a path after doing their work (a timeout on the way
back, which the client sees as a network error), and settle the SEPA debits still processing (the
days a bank takes, passed at once).

SEPA Direct Debit: a SetupIntent confirmed with ``payment_method_data[type]=sepa_debit`` and a
test IBAN saves a ``sepa_debit`` method and its mandate; a debit is ``processing`` at first
(``payment_intent.processing``) and succeeds or fails, as its IBAN says, when settled.

Connect OAuth for Standard accounts: /oauth/authorize shows the page where a business grants
the platform access (approving creates its account), /oauth/token exchanges the one-time code,
with the platform's secret key, for the account id.

Checkout Sessions (mode ``payment``): create, retrieve, expire; the session's ``url`` is a page of
the stand-in's own where the buyer picks a test card and pays. Paying confirms a PaymentIntent on
the connected account and emits what Stripe does (``payment_intent.succeeded``, ``charge.succeeded``,
``checkout.session.completed``), then sends the browser to the ``success_url``.

Not imitated: Express/Custom onboarding and account links, 3-D Secure flows (off-session authentication only
fails), Checkout modes other than payment, Billing objects, pagination of lists other than events, API
versions, rate limits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import queue
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import requests
from werkzeug.wrappers import Request, Response

log = logging.getLogger("billow.stripe_standin")

# Stripe's test payment methods, as https://docs.stripe.com/testing lists them.
TEST_CARDS = {
    "pm_card_visa": ("visa", "4242", "succeed"),
    "pm_card_mastercard": ("mastercard", "4444", "succeed"),
    "pm_card_amex": ("amex", "8431", "succeed"),
    "pm_card_chargeDeclined": ("visa", "0002", "decline:generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "charge:insufficient_funds"),
    "pm_card_insufficientFunds": ("visa", "9995", "charge:insufficient_funds"),
    "pm_card_chargeCustomerFail": ("visa", "0341", "charge:generic_decline"),
    "pm_card_authenticationRequired": ("visa", "3184", "charge:authentication_required"),
    "pm_card_chargeDeclinedStolenCard": ("visa", "9979", "charge:stolen_card"),
    "pm_card_chargeDeclinedLostCard": ("visa", "9987", "charge:lost_card"),
}
# Stripe's SEPA Direct Debit test IBANs: the debit is "processing" at first and succeeds or fails
# later (here: when the /_standin/settle-debits switch says the days have passed).
TEST_IBANS = {
    "DE89370400440532013000": "succeed",
    "DE62370400440532013001": "fail",
}
DEBIT_FAILURE = {"code": "insufficient_funds", "message": "The customer's bank account has insufficient funds."}
DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "stolen_card": "Your card was declined.",
    "lost_card": "Your card was declined.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
}
API_VERSION = "2025-01-27.acacia"
NO_BILLING_DETAILS = {"address": None, "email": None, "name": None, "phone": None, "tax_id": None}
DISPUTE_EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


class StripeError(Exception):
    def __init__(self, status: int, error: dict):
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


class OAuthFailure(Exception):
    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


CONSENT_PAGE = """<!doctype html>
<html><head><title>Connect with Stripe</title></head>
<body>
<h1>Connect your Stripe account</h1>
<p>The platform <code>{client_id}</code> asks for read and write access to your Stripe account.</p>
<form method="post" action="/oauth/authorize/decide">
  <input type="hidden" name="client_id" value="{client_id}">
  <input type="hidden" name="redirect_uri" value="{redirect_uri}">
  <input type="hidden" name="state" value="{state}">
  <label>Sign in to an existing account (or leave blank to create one)
    <input type="text" name="account" id="account" value=""></label>
  <button type="submit" name="decision" value="allow" id="connect">Connect my Stripe account</button>
  <button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>
</body></html>
"""


def invalid(message: str, param: str | None = None, status: int = 400) -> StripeError:
    error = {"type": "invalid_request_error", "message": message}
    if param:
        error["param"] = param
    return StripeError(status, error)


def allowed_method_types(params: dict) -> list[str]:
    """The payment method types a create allows, as the pinned API version (2026-10-28.endive) takes
    them: ``allowed_payment_method_types``; the older ``payment_method_types`` is refused."""
    if "payment_method_types" in params:
        error = {
            "type": "invalid_request_error",
            "code": "payment_method_types_no_longer_supported",
            "param": "payment_method_types",
            "message": "payment_method_types is not supported on this API version; use allowed_payment_method_types",
        }
        raise StripeError(400, error)
    return params.get("allowed_payment_method_types") or ["card"]


def missing(kind: str, object_id: str, param: str = "id", status: int = 404) -> StripeError:
    error = {
        "type": "invalid_request_error",
        "code": "resource_missing",
        "param": param,
        "message": f"No such {kind}: '{object_id}'",
    }
    return StripeError(status, error)


def decode_form(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding: ``metadata[tenant]=x``, ``expand[0]=latest_charge``."""
    result: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(result)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass
class Account:
    objects: dict[str, dict] = field(default_factory=dict)


@dataclass
class Switches:
    copies: int = 1  # deliver every event this many times
    hold: bool = False  # keep events until released
    webhook_url: str | None = None


class StripeStandIn:
    def __init__(self, secret_key: str, webhook_secret: str, connect_client_id: str = "ca_standin"):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.connect_client_id = connect_client_id
        self.authorization_codes: dict[str, str] = {}  # code -> account it grants
        self.switches = Switches()
        self.accounts: dict[str | None, Account] = {}
        self.idempotency: dict[tuple[str | None, str], tuple[str, int, dict]] = {}
        self.events: list[dict] = []
        self.held: list[dict] = []
        self.deliveries: list[tuple[str, int]] = []
        self.requests_seen: list[tuple[str, str, str | None]] = []
        self.behaviours: dict[str, str] = {}  # pm_... -> how the test card behaves
        self.lost_answers: dict[str, int] = {}  # path -> answers still to lose
        self.processing: list[tuple[str | None, str]] = []  # SEPA debits the bank has not answered yet
        self._request: dict = {"id": None, "idempotency_key": None}  # the API request being served
        self._lock = threading.RLock()
        self._host_url = ""  # where this stand-in was reached: Checkout pages live here
        self._queue: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._deliver_forever, name="stripe-standin-webhooks", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ HTTP

    def __call__(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_standin/"):
            return self._control(request)
        if request.path in ("/oauth/authorize", "/oauth/authorize/decide"):
            return self._authorize_page(request)
        if request.path.startswith("/c/pay/"):
            return self._checkout_page(request)
        self._host_url = request.host_url.rstrip("/")
        if self._api_key(request.headers.get("Authorization", "")) != self.secret_key:
            return _json(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
        account = request.headers.get("Stripe-Account")
        if account is not None and not re.fullmatch(r"acct_[A-Za-z0-9]+", account):
            return _json(400, {"error": {"type": "invalid_request_error", "message": "Invalid Stripe-Account"}})
        pairs = parse_qsl(request.get_data(as_text=True), keep_blank_values=True)
        pairs += parse_qsl(request.query_string.decode(), keep_blank_values=True)
        params = decode_form(pairs)
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            self.requests_seen.append((request.method, request.path, account))
            response = self._answer(request, params, account, key)
            if self.lost_answers.get(request.path):
                self.lost_answers[request.path] -= 1
                return _json(500, {"error": {"type": "api_error", "message": "the answer was lost (test switch)"}})
        return response

    def _answer(self, request: Request, params: dict, account: str | None, key: str | None) -> Response:
        """The response to one API request: a replay for a repeated idempotency key, else routed."""
        fingerprint = json.dumps([request.method, request.path, params], sort_keys=True)
        if key and request.method == "POST":
            seen = self.idempotency.get((account, key))
            if seen is not None:
                if seen[0] != fingerprint:
                    message = (
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}'."
                    )
                    return _json(400, {"error": {"type": "idempotency_error", "message": message}})
                response = _json(seen[1], seen[2])
                response.headers["Idempotent-Replayed"] = "true"
                return response
        request_id = new_id("req")
        self._request = {"id": request_id, "idempotency_key": key if request.method == "POST" else None}
        try:
            status, body = 200, self._route(request.method, request.path, params, account, key)
        except OAuthFailure as failure:  # OAuth answers errors flat: {"error": code, "error_description": ...}
            status, body = 400, {"error": failure.code, "error_description": failure.description}
        except StripeError as error:
            status, body = error.status, {"error": error.error}
        finally:
            self._request = {"id": None, "idempotency_key": None}
        if key and request.method == "POST" and status < 500:
            self.idempotency[(account, key)] = (fingerprint, status, body)
        response = _json(status, body)
        response.headers["Request-Id"] = request_id
        return response

    @staticmethod
    def _api_key(header: str) -> str | None:
        """Stripe takes the key as a bearer token or as the Basic-auth user name (``curl -u sk_...:``)."""
        scheme, _, value = header.partition(" ")
        if scheme == "Bearer":
            return value
        if scheme == "Basic":
            try:
                return base64.b64decode(value).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                return None
        return None

    def _route(self, method: str, path: str, params: dict, account: str | None, key: str | None) -> dict:
        routes = [
            ("POST", r"/v1/customers", self._create_customer),
            ("GET", r"/v1/customers/(?P<id>cus_\w+)", self._get("customer")),
            ("POST", r"/v1/customers/(?P<id>cus_\w+)", self._update_customer),
            ("GET", r"/v1/customers/(?P<id>cus_\w+)/payment_methods", self._list_customer_methods),
            ("POST", r"/v1/setup_intents", self._create_setup_intent),
            ("GET", r"/v1/setup_intents/(?P<id>seti_\w+)", self._get("setup_intent")),
            ("GET", r"/v1/mandates/(?P<id>mandate_\w+)", self._get("mandate")),
            ("POST", r"/v1/setup_intents/(?P<id>seti_\w+)/confirm", self._confirm_setup_intent),
            ("GET", r"/v1/payment_methods", self._list_methods),
            ("GET", r"/v1/payment_methods/(?P<id>pm_\w+)", self._get("payment_method")),
            ("POST", r"/v1/payment_methods/(?P<id>pm_\w+)", self._update_method),
            ("POST", r"/v1/payment_methods/(?P<id>pm_\w+)/attach", self._attach),
            ("POST", r"/v1/payment_methods/(?P<id>pm_\w+)/detach", self._detach),
            ("POST", r"/v1/payment_intents", self._create_payment_intent),
            ("GET", r"/v1/payment_intents/(?P<id>pi_\w+)", self._get_payment_intent),
            ("GET", r"/v1/charges/(?P<id>ch_\w+)", self._get("charge")),
            ("POST", r"/v1/refunds", self._create_refund),
            ("POST", r"/oauth/token", self._oauth_token),
            ("GET", r"/v1/refunds/(?P<id>re_\w+)", self._get("refund")),
            ("POST", r"/v1/checkout/sessions", self._create_checkout_session),
            ("GET", r"/v1/checkout/sessions/(?P<id>cs_\w+)", self._get_checkout_session),
            ("POST", r"/v1/checkout/sessions/(?P<id>cs_\w+)/expire", self._expire_checkout_session),
            ("GET", r"/v1/events", self._list_events),
            ("GET", r"/v1/events/(?P<id>evt_\w+)", self._get_event),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                return handler(self._account(account), params, account=account, key=key, **match.groupdict())
        raise invalid(f"Unrecognized request URL ({method}: {path}).", status=404)

    def _account(self, account_id: str | None) -> Account:
        return self.accounts.setdefault(account_id, Account())

    def _get(self, kind: str):
        def get(acct: Account, params: dict, id: str, **_) -> dict:
            return self._find(acct, kind, id)

        return get

    def _find(self, acct: Account, kind: str, object_id: str, param: str = "id") -> dict:
        obj = acct.objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise missing(kind, object_id, param)
        return obj

    def _store(self, acct: Account, obj: dict) -> dict:
        acct.objects[obj["id"]] = obj
        return obj

    # ------------------------------------------------------------------ Connect OAuth

    def _authorize_page(self, request: Request) -> Response:
        """Stripe's consent page: GET shows it, the form posts the business's decision, and the
        browser is sent to the platform's redirect_uri with a code (or an error) and the state."""
        params = request.args if request.method == "GET" else request.form
        client_id, redirect_uri, state = (params.get(k, "") for k in ("client_id", "redirect_uri", "state"))
        if client_id != self.connect_client_id or not redirect_uri.startswith(("http://", "https://")):
            return Response("Invalid client_id or redirect_uri", status=400, content_type="text/plain")
        if request.method == "GET":
            fields = {"client_id": client_id, "redirect_uri": redirect_uri, "state": state}
            page = CONSENT_PAGE.format(**{k: html.escape(v, quote=True) for k, v in fields.items()})
            return Response(page, content_type="text/html")
        if request.form.get("decision") != "allow":
            answer = {"error": "access_denied", "error_description": "The user denied your request", "state": state}
        else:
            # The business signs in to an account it has, or creates one on the page.
            chosen = request.form.get("account", "")
            account = chosen if chosen in self.accounts else new_id("acct")
            with self._lock:
                self.accounts.setdefault(account, Account())
                code = new_id("ac")
                self.authorization_codes[code] = account
            answer = {"code": code, "scope": "read_write", "state": state}
        separator = "&" if "?" in redirect_uri else "?"
        return Response(status=302, headers={"Location": redirect_uri + separator + urlencode(answer)})

    def _oauth_token(self, acct: Account, params: dict, **_) -> dict:
        if params.get("grant_type") != "authorization_code":
            raise OAuthFailure("unsupported_grant_type", "Only authorization_code is supported here")
        account = self.authorization_codes.pop(params.get("code", ""), None)
        if account is None:
            raise OAuthFailure("invalid_grant", f"Authorization code does not exist: {params.get('code')}")
        return {
            "access_token": f"sk_test_{secrets.token_hex(12)}",
            "livemode": False,
            "refresh_token": f"rt_{secrets.token_hex(12)}",
            "scope": "read_write",
            "stripe_publishable_key": f"pk_test_{secrets.token_hex(12)}",
            "stripe_user_id": account,
            "token_type": "bearer",
        }

    # ------------------------------------------------------------------ customers and payment methods

    def _create_customer(self, acct: Account, params: dict, account: str | None, **_) -> dict:
        customer = self._store(
            acct,
            {
                "id": new_id("cus"),
                "object": "customer",
                "created": int(time.time()),
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": params.get("metadata", {}),
                "livemode": False,
                "invoice_settings": {"default_payment_method": None},
            },
        )
        self._emit("customer.created", customer, account)
        return customer

    def _update_customer(self, acct: Account, params: dict, id: str, account: str | None, **_) -> dict:
        customer = self._find(acct, "customer", id)
        for name in ("email", "name"):
            if name in params:
                customer[name] = params[name] or None
        if "metadata" in params:
            customer["metadata"] = {**customer["metadata"], **params["metadata"]}
        self._emit("customer.updated", customer, account)
        return customer

    def _method_from_token(self, acct: Account, token: str, param: str) -> dict:
        if token in acct.objects:
            return self._find(acct, "payment_method", token, param)
        if token not in TEST_CARDS:
            raise missing("PaymentMethod", token, param, status=400)
        brand, last4, behaviour = TEST_CARDS[token]
        method = self._store(
            acct,
            {
                "id": new_id("pm"),
                "object": "payment_method",
                "type": "card",
                "created": int(time.time()),
                "customer": None,
                "livemode": False,
                "metadata": {},
                "billing_details": dict(NO_BILLING_DETAILS),
                "card": {
                    "brand": brand,
                    "last4": last4,
                    "exp_month": 12,
                    "exp_year": time.gmtime().tm_year + 3,
                    "funding": "credit",
                    "country": "US",
                    "fingerprint": hashlib.sha1(token.encode()).hexdigest()[:16],
                },
            },
        )
        self.behaviours[method["id"]] = behaviour
        return method

    def _sepa_method(self, acct: Account, intent: dict, data: dict) -> dict:
        if "sepa_debit" not in intent["payment_method_types"]:
            raise invalid("The payment method type provided: sepa_debit is invalid.", "payment_method_data[type]")
        iban = re.sub(r"\s", "", (data.get("sepa_debit") or {}).get("iban", "")).upper()
        if iban not in TEST_IBANS:
            raise invalid("The IBAN you provided is invalid.", "payment_method_data[sepa_debit][iban]")
        details = {**NO_BILLING_DETAILS, **(data.get("billing_details") or {})}
        if not details.get("name") or not details.get("email"):
            raise invalid(
                "Missing required param: payment_method_data[billing_details][name] and [email] for sepa_debit.",
                "payment_method_data[billing_details]",
            )
        method = self._store(
            acct,
            {
                "id": new_id("pm"),
                "object": "payment_method",
                "type": "sepa_debit",
                "created": int(time.time()),
                "customer": None,
                "livemode": False,
                "metadata": {},
                "billing_details": details,
                "sepa_debit": {
                    "bank_code": iban[4:12],
                    "branch_code": "",
                    "country": iban[:2],
                    "last4": iban[-4:],
                    "fingerprint": hashlib.sha1(iban.encode()).hexdigest()[:16],
                    "generated_from": {"charge": None, "setup_attempt": None},
                },
            },
        )
        self.behaviours[method["id"]] = f"debit:{TEST_IBANS[iban]}"
        mandate = self._store(
            acct,
            {
                "id": new_id("mandate"),
                "object": "mandate",
                "livemode": False,
                "payment_method": method["id"],
                "status": "active",
                "type": "multi_use",
                "multi_use": {},
                "customer_acceptance": {"type": "online", "accepted_at": int(time.time())},
                "payment_method_details": {
                    "type": "sepa_debit",
                    # The reference the debits carry and the buyer's bank statement shows.
                    "sepa_debit": {"reference": secrets.token_hex(8).upper(), "url": ""},
                },
            },
        )
        intent["mandate"] = mandate["id"]
        return method

    def _attach_to(self, acct: Account, method: dict, customer_id: str, account: str | None) -> None:
        self._find(acct, "customer", customer_id, "customer")
        if method["customer"] and method["customer"] != customer_id:
            raise invalid("This PaymentMethod is already attached to another customer.", "payment_method")
        if method["customer"] != customer_id:
            method["customer"] = customer_id
            self._emit("payment_method.attached", method, account)

    def _attach(self, acct: Account, params: dict, id: str, account: str | None, **_) -> dict:
        method = self._find(acct, "payment_method", id)
        self._attach_to(acct, method, params.get("customer", ""), account)
        return method

    def _detach(self, acct: Account, params: dict, id: str, account: str | None, **_) -> dict:
        method = self._find(acct, "payment_method", id)
        if not method["customer"]:
            raise invalid("The payment method you provided is not attached to a customer so detachment is impossible.")
        method["customer"] = None
        self._emit("payment_method.detached", method, account)
        return method

    def _update_method(self, acct: Account, params: dict, id: str, account: str | None, **_) -> dict:
        method = self._find(acct, "payment_method", id)
        for name in ("exp_month", "exp_year"):
            if name in params.get("card", {}):
                method["card"][name] = int(params["card"][name])
        self._emit("payment_method.updated", method, account)
        return method

    def _list_methods(self, acct: Account, params: dict, **_) -> dict:
        customer = params.get("customer")
        methods = [
            o
            for o in acct.objects.values()
            if o["object"] == "payment_method" and o["customer"] == customer and customer
        ]
        return {"object": "list", "data": methods, "has_more": False, "url": "/v1/payment_methods"}

    def _list_customer_methods(self, acct: Account, params: dict, id: str, **kw) -> dict:
        self._find(acct, "customer", id)
        return self._list_methods(acct, {**params, "customer": id})

    def _create_setup_intent(self, acct: Account, params: dict, account: str | None, **_) -> dict:
        if params.get("customer"):
            self._find(acct, "customer", params["customer"], "customer")
        intent_id = new_id("seti")
        intent = self._store(
            acct,
            {
                "id": intent_id,
                "object": "setup_intent",
                "created": int(time.time()),
                "customer": params.get("customer"),
                "status": "requires_payment_method",
                "usage": params.get("usage", "off_session"),
                "payment_method": None,
                "payment_method_types": allowed_method_types(params),
                "metadata": params.get("metadata", {}),
                "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
                "last_setup_error": None,
                "livemode": False,
                "description": None,
                "next_action": None,
                "cancellation_reason": None,
            },
        )
        self._emit("setup_intent.created", intent, account)
        if params.get("confirm") == "true" and params.get("payment_method"):
            return self._confirm_setup_intent(acct, params, intent_id, account)
        return intent

    def _confirm_setup_intent(self, acct: Account, params: dict, id: str, account: str | None, **_) -> dict:
        """What Stripe.js does on the page: the buyer's card is confirmed against the intent."""
        intent = self._find(acct, "setup_intent", id)
        if intent["status"] == "succeeded":
            raise invalid("You cannot confirm this SetupIntent because it has already succeeded.")
        if (params.get("payment_method_data") or {}).get("type") == "sepa_debit":
            method = self._sepa_method(acct, intent, params["payment_method_data"])
        else:
            method = self._method_from_token(acct, params.get("payment_method", ""), "payment_method")
        behaviour = self.behaviours[method["id"]]
        if behaviour.startswith("decline:"):
            code = behaviour.split(":", 1)[1]
            intent["status"] = "requires_payment_method"
            intent["last_setup_error"] = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": code,
                "message": DECLINE_MESSAGES[code],
            }
            self._emit("setup_intent.setup_failed", intent, account)
            raise StripeError(402, {**intent["last_setup_error"], "setup_intent": dict(intent)})
        if intent["customer"]:
            self._attach_to(acct, method, intent["customer"], account)
        intent.update(status="succeeded", payment_method=method["id"])
        self._emit("setup_intent.succeeded", intent, account)
        return intent

    # ------------------------------------------------------------------ payments

    def _create_payment_intent(self, acct: Account, params: dict, account: str | None, key: str | None, **_) -> dict:
        try:
            amount = int(params.get("amount", ""))
        except ValueError:
            raise invalid("Invalid integer: amount", "amount") from None
        if amount < 1:
            raise invalid("Amount must be at least 1", "amount")
        if not re.fullmatch(r"[a-z]{3}", params.get("currency", "")):
            raise invalid("Invalid currency", "currency")
        customer = params.get("customer")
        if customer:
            self._find(acct, "customer", customer, "customer")
        intent_id = new_id("pi")
        intent = self._store(
            acct,
            {
                "id": intent_id,
                "object": "payment_intent",
                "created": int(time.time()),
                "amount": amount,
                "amount_received": 0,
                "currency": params["currency"],
                "customer": customer,
                "payment_method": None,
                "status": "requires_payment_method",
                "latest_charge": None,
                "metadata": params.get("metadata", {}),
                "description": params.get("description"),
                "last_payment_error": None,
                "livemode": False,
                "client_secret": f"{intent_id}_secret_x",
                "amount_capturable": 0,
                "capture_method": params.get("capture_method", "automatic_async"),
                "confirmation_method": params.get("confirmation_method", "automatic"),
                "payment_method_types": allowed_method_types(params),
                "setup_future_usage": params.get("setup_future_usage"),
                "canceled_at": None,
                "cancellation_reason": None,
                "next_action": None,
                "receipt_email": params.get("receipt_email"),
                "statement_descriptor": None,
                "on_behalf_of": None,
                "transfer_group": None,
            },
        )
        self._emit("payment_intent.created", intent, account)
        if params.get("confirm") != "true":
            return self._expanded(acct, intent, params)
        method = self._method_from_token(acct, params.get("payment_method", ""), "payment_method")
        if params.get("off_session") == "true" and method["customer"] != customer:
            raise invalid(
                "The provided PaymentMethod was previously used without being attached to a Customer or "
                "was detached from a Customer, and may not be used again.",
                "payment_method",
            )
        intent["payment_method"] = method["id"]
        behaviour = self.behaviours[method["id"]]
        charge = self._store(
            acct,
            {
                "id": new_id("ch"),
                "object": "charge",
                "created": int(time.time()),
                "amount": amount,
                "amount_captured": 0,
                "amount_refunded": 0,
                "captured": False,
                "currency": intent["currency"],
                "customer": customer,
                "description": intent["description"],
                "payment_intent": intent_id,
                "payment_method": method["id"],
                "billing_details": dict(method["billing_details"]),
                "livemode": False,
                "metadata": dict(intent["metadata"]),
                "paid": False,
                "refunded": False,
                "disputed": False,
                "status": "failed",
                "failure_code": None,
                "failure_message": None,
                "balance_transaction": None,
                "receipt_email": intent["receipt_email"],
                "outcome": {},
                "payment_method_details": {"type": method["type"], method["type"]: dict(method[method["type"]])},
                "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": ""},
            },
        )
        charge["refunds"]["url"] = f"/v1/charges/{charge['id']}/refunds"
        intent["latest_charge"] = charge["id"]
        if behaviour.startswith("debit:"):
            if method["type"] not in intent["payment_method_types"]:
                raise invalid(
                    f"The PaymentMethod provided ({method['type']}) is not allowed for this PaymentIntent.",
                    "payment_method",
                )
            charge.update(status="pending")
            intent.update(status="processing")
            self.processing.append((account, intent["id"]))
            self._emit("charge.pending", charge, account)
            self._emit("payment_intent.processing", intent, account)
            return self._expanded(acct, intent, params)
        if behaviour.split(":", 1)[0] in ("decline", "charge"):
            code = behaviour.split(":", 1)[1]
            error_code = "authentication_required" if code == "authentication_required" else "card_declined"
            error = {
                "type": "card_error",
                "code": error_code,
                "decline_code": code,
                "message": DECLINE_MESSAGES[code],
                "charge": charge["id"],
                "payment_method": method,
            }
            charge.update(
                failure_code=error_code,
                failure_message=DECLINE_MESSAGES[code],
                outcome={"type": "issuer_declined", "reason": code},
            )
            intent.update(status="requires_payment_method", last_payment_error=error)
            self._emit("charge.failed", charge, account)
            self._emit("payment_intent.payment_failed", intent, account)
            raise StripeError(402, {**error, "payment_intent": dict(intent)})
        charge.update(
            paid=True,
            captured=True,
            amount_captured=amount,
            status="succeeded",
            outcome={"type": "authorized", "network_status": "approved"},
        )
        intent.update(status="succeeded", amount_received=amount)
        self._emit("charge.succeeded", charge, account)
        self._emit("payment_intent.succeeded", intent, account)
        return self._expanded(acct, intent, params)

    def _get_payment_intent(self, acct: Account, params: dict, id: str, **_) -> dict:
        return self._expanded(acct, self._find(acct, "payment_intent", id), params)

    @staticmethod
    def _expanded(acct: Account, intent: dict, params: dict) -> dict:
        """``expand[]=latest_charge`` on create and retrieve: the charge object in place of its id."""
        intent = dict(intent)
        if "latest_charge" in params.get("expand", []) and intent["latest_charge"]:
            intent["latest_charge"] = acct.objects[intent["latest_charge"]]
        return intent

    # ------------------------------------------------------------------ Checkout

    def _create_checkout_session(self, acct: Account, params: dict, account: str | None, **_) -> dict:
        mode = params.get("mode")
        if mode not in ("payment", "setup"):
            raise invalid("The stand-in takes mode=payment or mode=setup.", "mode")
        for name in ("success_url", "cancel_url"):
            if not params.get(name, "").startswith(("http://", "https://")):
                raise invalid(f"Not a valid URL: {name}", name)
        items = params.get("line_items") or []
        if mode == "setup":
            if items:
                raise invalid("line_items cannot be used in setup mode.", "line_items")
            if not params.get("customer"):
                raise invalid("A customer is required in setup mode (the method is saved to it).", "customer")
            self._find(acct, "customer", params["customer"], "customer")
        elif not items:
            raise invalid("line_items is required in payment mode.", "line_items")
        amount, currency = 0, None
        for index, item in enumerate(items):
            price = item.get("price_data") or {}
            try:
                unit, quantity = int(price.get("unit_amount", "")), int(item.get("quantity", "1"))
            except ValueError:
                raise invalid("Invalid integer", f"line_items[{index}][price_data][unit_amount]") from None
            if unit < 1 or not (price.get("product_data") or {}).get("name"):
                raise invalid("A line needs a positive unit_amount and a product name.", f"line_items[{index}]")
            amount += unit * quantity
            currency = price.get("currency")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = self._store(
            acct,
            {
                "id": session_id,
                "object": "checkout.session",
                "created": int(time.time()),
                "expires_at": int(time.time()) + 24 * 3600,
                "mode": mode,
                "status": "open",
                "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
                "setup_intent": None,
                "amount_total": amount,
                "amount_subtotal": amount,
                "currency": currency,
                "customer": params.get("customer"),
                "customer_email": params.get("customer_email"),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata", {}),
                "payment_intent": None,
                "success_url": params["success_url"],
                "cancel_url": params["cancel_url"],
                "url": f"{self._host_url}/c/pay/{session_id}?account={account or ''}",
                "livemode": False,
                "payment_method_types": allowed_method_types(params),
                "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
                "custom_fields": [],
                "custom_text": {
                    "after_submit": None,
                    "shipping_address": None,
                    "submit": None,
                    "terms_of_service_acceptance": None,
                },
                "shipping_options": [],
                "_payment_intent_data": params.get("payment_intent_data", {}),
                "_setup_intent_data": params.get("setup_intent_data", {}),
            },
        )
        return self._public(session)

    def _get_checkout_session(self, acct: Account, params: dict, id: str, **_) -> dict:
        return self._public(self._find(acct, "checkout.session", id))

    @staticmethod
    def _public(session: dict) -> dict:
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def _expire_checkout_session(self, acct: Account, params: dict, id: str, account: str | None, **_) -> dict:
        session = self._find(acct, "checkout.session", id)
        if session["status"] != "open":
            raise invalid(f"Only open sessions can be expired; this one is {session['status']}.")
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", self._public(session), account)
        return self._public(session)

    def _checkout_page(self, request: Request) -> Response:
        """The hosted payment page: the amount, a choice of test cards, Pay. Paying confirms a
        PaymentIntent for the amount and sends the browser to the session's success_url."""
        session_id = request.path.removeprefix("/c/pay/")
        account = request.args.get("account") or None
        with self._lock:
            acct = self._account(account)
            session = acct.objects.get(session_id)
            if session is None or session["object"] != "checkout.session":
                return Response("No such checkout session", status=404)
            error = ""
            if request.method == "POST" and session["status"] == "open":
                try:
                    if session["mode"] == "setup":
                        self._setup_checkout(acct, session, request.form.get("card", "pm_card_visa"), account)
                    else:
                        self._pay_checkout(acct, session, request.form.get("card", "pm_card_visa"), account)
                except StripeError as failure:
                    error = failure.error.get("message", "The payment failed.")
                else:
                    target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
                    return Response(status=303, headers={"Location": target})
        choices = list(TEST_CARDS)
        if session["mode"] == "setup":
            heading, action = "Save a payment method", "Save"
            if "sepa_debit" in session["payment_method_types"]:
                choices += list(TEST_IBANS)
        else:
            heading = f"Pay {session['amount_total'] / 100:.2f} {str(session['currency']).upper()}"
            action = "Pay"
        options = "".join(f'<option value="{choice}">{choice}</option>' for choice in choices)
        state = "" if session["status"] == "open" else f"<p>This session is {session['status']}.</p>"
        page = (
            "<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
            "<title>Checkout (Stripe stand-in)</title></head><body>"
            f"<h1>{html.escape(heading)}</h1>{state}"
            + (f"<p id='error' role='alert'>{html.escape(error)}</p>" if error else "")
            + f"<form method='post'><label>Test card or IBAN <select name='card' id='card'>{options}</select></label>"
            f"<button type='submit' id='pay'>{action}</button></form>"
            f"<p><a href='{html.escape(session['cancel_url'])}'>Cancel</a></p></body></html>"
        )
        return Response(page, content_type="text/html; charset=utf-8")

    def _pay_checkout(self, acct: Account, session: dict, card: str, account: str | None) -> None:
        intent_data = session["_payment_intent_data"]
        params = {
            "amount": str(session["amount_total"]),
            "currency": session["currency"],
            "confirm": "true",
            "payment_method": card,
            "metadata": intent_data.get("metadata", {}),
            "description": intent_data.get("description"),
        }
        if session.get("customer"):
            params["customer"] = session["customer"]
        intent = self._create_payment_intent(acct, params, account, None)
        session.update(status="complete", payment_status="paid", payment_intent=intent["id"], url=None)
        self._emit("checkout.session.completed", self._public(session), account)

    def _setup_checkout(self, acct: Account, session: dict, choice: str, account: str | None) -> None:
        """The buyer saves a card (a test token) or a bank account (a test IBAN, with the mandate
        the page's terms grant) to the session's customer, through a SetupIntent."""
        data = session["_setup_intent_data"]
        intent = self._create_setup_intent(
            acct,
            {
                "customer": session["customer"],
                "allowed_payment_method_types": session["payment_method_types"],
                "metadata": data.get("metadata", {}),
            },
            account,
        )
        if choice in TEST_IBANS:
            buyer = {"name": "Test Buyer", "email": session.get("customer_email") or "buyer@example.com"}
            params = {
                "payment_method_data": {"type": "sepa_debit", "sepa_debit": {"iban": choice}, "billing_details": buyer}
            }
        else:
            params = {"payment_method": choice}
        intent = self._confirm_setup_intent(acct, params, intent["id"], account)
        session.update(status="complete", setup_intent=intent["id"], url=None)
        self._emit("checkout.session.completed", self._public(session), account)

    def _create_refund(self, acct: Account, params: dict, account: str | None, **_) -> dict:
        intent = self._find(acct, "payment_intent", params.get("payment_intent", ""), "payment_intent")
        if intent["status"] != "succeeded":
            raise invalid("This PaymentIntent does not have a successful charge to refund.", "payment_intent")
        charge = acct.objects[intent["latest_charge"]]
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = int(params.get("amount", remaining))
        if amount < 1 or amount > remaining:
            raise invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})", "amount"
            )
        refund = self._store(
            acct,
            {
                "id": new_id("re"),
                "object": "refund",
                "created": int(time.time()),
                "amount": amount,
                "currency": charge["currency"],
                "charge": charge["id"],
                "payment_intent": intent["id"],
                "status": "succeeded",
                "reason": params.get("reason"),
                "metadata": params.get("metadata", {}),
                "balance_transaction": None,
                "receipt_number": None,
                "destination_details": {"type": "card", "card": {"type": "refund", "reference_status": "pending"}},
            },
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].append(refund)
        charge["refunds"]["total_count"] += 1
        self._emit("refund.created", refund, account)
        self._emit("charge.refunded", charge, account)
        return refund

    # ------------------------------------------------------------------ events and deliveries

    def _list_events(self, acct: Account, params: dict, account: str | None, **_) -> dict:
        """Newest first, of the account the request speaks for; ``type`` (``*`` as a wildcard),
        ``types[]``, ``created[gt|gte|lt|lte]``, ``starting_after``/``ending_before`` and ``limit``."""
        try:
            limit = int(params.get("limit", 10))
        except ValueError:
            raise invalid("Invalid integer: limit", "limit") from None
        if not 1 <= limit <= 100:
            raise invalid("This value must be between 1 and 100.", "limit")
        wanted = params.get("types") or ([params["type"]] if params.get("type") else [])
        created = params.get("created", {})
        bounds = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
        events = [
            e
            for e in reversed(self.events)
            if e.get("account") == account
            and (not wanted or any(re.fullmatch(re.escape(t).replace(r"\*", ".*"), e["type"]) for t in wanted))
            and (not isinstance(created, dict) or all(bounds[op](e["created"], int(v)) for op, v in created.items()))
            and (not isinstance(created, str) or e["created"] == int(created))
        ]
        ids = [e["id"] for e in events]
        for cursor, after in (("starting_after", True), ("ending_before", False)):
            if params.get(cursor):
                if params[cursor] not in ids:
                    raise invalid(f"No such event: '{params[cursor]}'", cursor)
                at = ids.index(params[cursor])
                events = events[at + 1 :] if after else events[:at][-limit:]
        return {"object": "list", "data": events[:limit], "has_more": len(events) > limit, "url": "/v1/events"}

    def _get_event(self, acct: Account, params: dict, id: str, account: str | None, **_) -> dict:
        event = next((e for e in self.events if e["id"] == id and e.get("account") == account), None)
        if event is None:
            raise missing("event", id)
        return event

    def _emit(self, event_type: str, obj: dict, account: str | None) -> None:
        snapshot = json.loads(json.dumps(obj))
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": snapshot},
            "request": dict(self._request),
        }
        if account:
            event["account"] = account
        self.events.append(event)
        if self.switches.hold:
            self.held.append(event)
        else:
            for _ in range(self.switches.copies):
                self._queue.put(event)

    def signature(self, payload: str, timestamp: int | None = None) -> str:
        timestamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(self.webhook_secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
        return f"t={timestamp},v1={digest.hexdigest()}"

    def deliver(self, event: dict) -> int:
        """POST one event to the webhook endpoint as Stripe does; returns the HTTP status."""
        payload = json.dumps(event)
        url = self.switches.webhook_url
        if not url:
            return 0
        try:
            status = requests.post(
                url,
                data=payload,
                timeout=30,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": self.signature(payload),
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
            ).status_code
        except requests.RequestException as error:
            log.warning("webhook delivery of %s failed: %s", event["id"], error)
            status = 0
        self.deliveries.append((event["id"], status))
        return status

    def _deliver_forever(self) -> None:
        while True:
            event = self._queue.get()
            try:
                self.deliver(event)
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        self._queue.join()

    def settle_debits(self) -> list[str]:
        """The bank's answer to every SEPA debit still processing, as its test IBAN says."""
        with self._lock:
            pending, self.processing = self.processing, []
            self._request = {"id": None, "idempotency_key": None}  # the bank's answer, not a request
            for account, intent_id in pending:
                acct = self._account(account)
                intent = acct.objects[intent_id]
                charge = acct.objects[intent["latest_charge"]]
                if self.behaviours[intent["payment_method"]] == "debit:succeed":
                    charge.update(paid=True, captured=True, amount_captured=charge["amount"], status="succeeded")
                    intent.update(status="succeeded", amount_received=intent["amount"])
                    self._emit("charge.succeeded", charge, account)
                    self._emit("payment_intent.succeeded", intent, account)
                else:
                    charge.update(
                        status="failed", failure_code=DEBIT_FAILURE["code"], failure_message=DEBIT_FAILURE["message"]
                    )
                    error = {"type": "invalid_request_error", **DEBIT_FAILURE, "charge": charge["id"]}
                    intent.update(status="requires_payment_method", last_payment_error=error)
                    self._emit("charge.failed", charge, account)
                    self._emit("payment_intent.payment_failed", intent, account)
        self.drain()
        return [intent_id for _, intent_id in pending]

    # ------------------------------------------------------------------ test switches

    def _control(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        if request.path == "/_standin/config":
            for name in ("copies", "hold", "webhook_url"):
                if name in body:
                    setattr(self.switches, name, body[name])
            return _json(200, vars(self.switches))
        if request.path == "/_standin/release":
            with self._lock:
                held, self.held = self.held, []
            for event in reversed(held) if body.get("order") == "reverse" else held:
                for _ in range(self.switches.copies):
                    self._queue.put(event)
            self.drain()
            return _json(200, {"released": len(held)})
        if request.path == "/_standin/drain":
            self.drain()
            return _json(200, {"drained": True})
        if request.path == "/_standin/disputes":
            with self._lock:
                account = body.get("account")
                acct = self._account(account)
                charge = self._find(acct, "charge", body.get("charge", ""), "charge")
                charge["disputed"] = True
                dispute = self._store(
                    acct,
                    {
                        "id": new_id("dp"),
                        "object": "dispute",
                        "created": int(time.time()),
                        "amount": charge["amount"],
                        "currency": charge["currency"],
                        "charge": charge["id"],
                        "payment_intent": charge["payment_intent"],
                        "reason": body.get("reason", "fraudulent"),
                        "status": "needs_response",
                        "balance_transactions": [],
                        "evidence": {**dict.fromkeys(DISPUTE_EVIDENCE_FIELDS), "enhanced_evidence": {}},
                        "evidence_details": {
                            "due_by": int(time.time()) + 7 * 86400,
                            "enhanced_eligibility": {},
                            "has_evidence": False,
                            "past_due": False,
                            "submission_count": 0,
                            "submission_method": "not_submitted",
                        },
                        "is_charge_refundable": False,
                        "livemode": False,
                        "metadata": {},
                        "enhanced_eligibility_types": [],
                        "payment_method_details": {
                            "type": "card",
                            "card": {
                                "brand": charge["payment_method_details"]["card"]["brand"],
                                "case_type": "chargeback",
                                "network": charge["payment_method_details"]["card"]["brand"],
                                "network_reason_code": None,
                            },
                        },
                    },
                )
                self._emit("charge.dispute.created", dispute, account)
            return _json(200, dispute)
        if request.path == "/_standin/settle-debits":
            return _json(200, {"settled": self.settle_debits()})
        if request.path == "/_standin/lose-answers":
            with self._lock:
                self.lost_answers[body["path"]] = int(body.get("times", 1))
            return _json(200, {"lost_answers": self.lost_answers})
        if request.path == "/_standin/events":
            return _json(200, {"data": self.events, "deliveries": self.deliveries})
        return _json(404, {"error": {"type": "invalid_request_error", "message": "unknown switch"}})


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
