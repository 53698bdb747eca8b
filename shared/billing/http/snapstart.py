"""SnapStart (Python 3.12 Lambdas): the initialised environment is snapshotted once per published
version and restored for each cold start. What init builds is then free per cold start, and what
the first request builds is not: so under SnapStart a function builds, before the snapshot, what
its routes use (the services and adapters, their modules, the botocore clients and the routes'
pydantic validators). Nothing in it may be unique per environment: after a restore the random
generator is reseeded and pooled connections are dropped. The platform's Stripe keys are loaded
on first use, never into the snapshot.

Without SnapStart (``AWS_LAMBDA_INITIALIZATION_TYPE`` is not ``snap-start``) nothing happens here,
and everything stays lazy: there, what init builds is paid on every cold start."""

from __future__ import annotations

import os
import random
from collections.abc import Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver


def prime_on_snapshot(app: APIGatewayHttpResolver, *builders: Callable[[], object]) -> bool:
    """Register the hooks when this environment is being prepared for a snapshot; True if so."""
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "snap-start":
        return False
    from snapshot_restore_py import register_after_restore, register_before_snapshot  # shipped by the runtime

    register_before_snapshot(prime, app, builders)
    register_after_restore(refresh)
    return True


def prime(app: APIGatewayHttpResolver, builders: tuple[Callable[[], object], ...]) -> None:
    """Build what the first request would: every service the routes use, the DynamoDB and AWS
    clients behind them, and the validators of each route's parameters, body and response."""
    for build in builders:
        build()
    for route in app._static_routes + app._dynamic_routes:
        route.dependant  # noqa: B018 - building it compiles the route's pydantic validators
        route.body_field  # noqa: B018
    _dynamodb_client()  # botocore reads its service models here
    from billing.formatting import format_amount

    format_amount(0, "eur")  # babel and the English locale data the records use


def refresh() -> None:
    """Run in every environment restored from the snapshot."""
    random.seed()  # each environment its own sequence
    _dynamodb_client()._endpoint.http_session.close()  # no socket shared from the snapshot


def _dynamodb_client():
    """The botocore client every repository shares (through the models' connection)."""
    from billing.adapters.dynamodb.models import BillowItem

    return BillowItem._get_connection().connection.client
