"""The deployment's configuration: every environment variable Billow reads, read in this one
place into one typed, frozen value (template.yaml sets them in AWS, ``local/`` on the embedded
stack). Nothing else reads ``os.environ``, except Lambda's own ``AWS_LAMBDA_INITIALIZATION_TYPE``
and what boto3 reads by itself."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

DAY_SECONDS = 24 * 3600
VIES_URL = "https://ec.europa.eu/taxation_customs/vies/rest-api"


@dataclass(frozen=True)
class StripeKeys:
    """The platform's Stripe keys, when they are given in the environment (locally); in AWS they
    are read from Secrets Manager under ``Config.stripe_secret_name``."""

    secret_key: str
    webhook_secret: str = ""
    publishable_key: str = ""
    connect_client_id: str = ""


@dataclass(frozen=True)
class Config:
    table_name: str = "billow"
    idempotency_table_name: str = ""
    region: str = "eu-central-1"
    # An endpoint for every AWS service (moto's server locally), and one for DynamoDB alone.
    aws_endpoint: str | None = None
    dynamodb_endpoint: str | None = None
    document_bucket: str = ""
    export_bucket: str = ""
    document_link_seconds: int = 3600
    export_link_seconds: int = 3600
    subscription_export_link_seconds: int = 30 * DAY_SECONDS
    mail_from: str = ""
    # Every link Billow writes is built on it (PublicApiUrl; locally the gateway's own address).
    public_api_url: str = ""
    # Where a Stripe Connect return_url may lead besides the API's own origin (comma-separated).
    console_origins: str = ""
    stripe_api_base: str | None = None
    stripe_secret_name: str = ""
    stripe_keys: StripeKeys | None = None
    # Without a queue the billing run works in the request that starts it.
    billing_queue_url: str | None = None
    # The EU's VAT id register (VIES); locally the embedded stack's stand-in.
    vies_url: str = VIES_URL
    billing_time_zone: str = "UTC"
    tenant_claim: str = "custom:tenant_id"
    role_claim: str = "custom:role"
    mode_claim: str = "custom:mode"
    # The console's sign-in: the stack's user pool's app client, and Cognito's endpoint (locally
    # moto's); no client id with an outside issuer.
    sign_in_client_id: str = ""
    sign_in_endpoint: str = ""
    # The stack's own user pool, where the team's sign-ins are made (empty with an outside issuer:
    # its people are managed there, and sign-up and the team routes refuse).
    user_pool_id: str = ""
    self_sign_up: bool = True

    @property
    def sign_in_url(self) -> str:
        return self.sign_in_endpoint or f"https://cognito-idp.{self.region}.amazonaws.com/"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Config:
        def text(name: str, default: str = "") -> str:
            return environ.get(name, default).strip() or default

        def seconds(name: str, default: int) -> int:
            value = text(name)
            return int(value) if value else default

        stripe_keys = None
        if text("STRIPE_SECRET_KEY"):
            stripe_keys = StripeKeys(
                secret_key=text("STRIPE_SECRET_KEY"),
                webhook_secret=text("STRIPE_WEBHOOK_SECRET"),
                publishable_key=text("STRIPE_PUBLISHABLE_KEY"),
                connect_client_id=text("STRIPE_CONNECT_CLIENT_ID"),
            )
        return cls(
            table_name=text("TABLE_NAME", "billow"),
            idempotency_table_name=text("IDEMPOTENCY_TABLE_NAME"),
            region=text("AWS_REGION") or text("AWS_DEFAULT_REGION") or "eu-central-1",
            aws_endpoint=text("AWS_ENDPOINT_URL") or None,
            dynamodb_endpoint=text("AWS_ENDPOINT_URL_DYNAMODB") or text("AWS_ENDPOINT_URL") or None,
            document_bucket=text("DOCUMENT_BUCKET"),
            export_bucket=text("EXPORT_BUCKET"),
            document_link_seconds=seconds("DOCUMENT_LINK_SECONDS", 3600),
            export_link_seconds=seconds("EXPORT_LINK_SECONDS", 3600),
            subscription_export_link_seconds=seconds("SUBSCRIPTION_EXPORT_LINK_SECONDS", 30 * DAY_SECONDS),
            mail_from=text("MAIL_FROM"),
            public_api_url=text("PUBLIC_API_URL").rstrip("/"),
            console_origins=text("CONSOLE_ORIGINS"),
            stripe_api_base=text("STRIPE_API_BASE") or None,
            stripe_secret_name=text("STRIPE_SECRET_NAME"),
            stripe_keys=stripe_keys,
            billing_queue_url=text("BILLING_QUEUE_URL") or None,
            vies_url=text("VIES_URL", VIES_URL),
            billing_time_zone=text("BILLING_TIME_ZONE", "UTC"),
            tenant_claim=text("TENANT_CLAIM", "custom:tenant_id"),
            role_claim=text("ROLE_CLAIM", "custom:role"),
            mode_claim=text("MODE_CLAIM", "custom:mode"),
            sign_in_client_id=text("SIGN_IN_CLIENT_ID"),
            sign_in_endpoint=text("SIGN_IN_ENDPOINT"),
            user_pool_id=text("USER_POOL_ID"),
            self_sign_up=text("SELF_SIGN_UP", "true").lower() == "true",
        )


@cache
def config() -> Config:
    """The configuration, read once per Lambda environment (``config.cache_clear()`` after the
    environment changes, as the local stack does when it starts)."""
    return Config.from_environment()
